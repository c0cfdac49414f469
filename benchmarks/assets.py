"""The asset register at prefecture scale: list, filter and search pages, and a 50,000-row import.

Run standalone (not wired into benchmarks/run.py):

    ISMS_DATA_DIR=/tmp/bench-assets .venv/bin/python -m benchmarks.assets
    DATABASE_URL=postgres://…/isms_bench .venv/bin/python -m benchmarks.assets
    … -m benchmarks.assets --quick          # 3 municipalities, 5,000-row import: a smoke run

**Data.** 30 municipalities × 10,000 assets = 300,000 (bulk insert with the folded search
keys, as ``InformationAsset.save`` derives them), plus one small municipality of 500 assets
(the "small register" the query counts are compared with). Each municipality has a 部 with 20
課; the first 課 owns half of the assets (so that its manager's list has 100 pages of 50), the
rest are spread over the others. Classes, segments and kinds vary; one asset name in 25 holds
「マイナンバー」 written in full-width katakana, searched for in half-width (ﾏｲﾅﾝﾊﾞｰ).

**Pages.** As the first 課's 情報セキュリティ管理者 and as the 統括情報セキュリティ責任者 of the
first municipality, through Django's test client (middleware, the real view, template): the
register list (``assets:asset_list``) at page 1 and page 100, the list filtered by class and
segment, a folded search, and the API's ``GET /api/v1/assets`` at the same offsets. Each: 3
untimed requests, one with its queries captured, then ``RUNS`` timed; the median is reported.
The baseline is the bare ORM fetch of the same page (the same rows, ordered, sliced), measured
in the same run. The query count of each page is compared between page 1 and page 100 and
with the small municipality's register: it must not differ.

**Import.** A CSV of 50,000 new assets (all columns, hosts included) is imported by the lead
into an empty municipality of the same shape: wall time, and, in separate runs under
``tracemalloc``, the peak memory of the import against the peak of reading the same file alone
(``core.io.read_rows`` over the same bytes), at 10,000 and 50,000 rows.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from typing import Any

from benchmarks import env

PER_MUNICIPALITY = 10_000
MUNICIPALITIES = 30
SMALL = 500
UNITS = 20
RUNS = 15
PAGE = 50
IMPORT_ROWS = 50_000
NAMES = [
    "住民基本台帳システム",
    "課税台帳",
    "庁内ネットワーク図",
    "会議録",
    "ﾏｲﾅﾝﾊﾞｰ",
    "福祉システム端末",
    "契約書綴り",
    "ＵＳＢメモリ",
]


def _codes(count: int) -> list[str]:
    from benchmarks.generate import lg_code

    return [lg_code("19", 801 + i) for i in range(count)]


def _municipality(code: str, name: str) -> Any:
    from isms.core import services
    from isms.core.models import Municipality, OrgUnit

    m = Municipality.objects.filter(code=code).first()
    if m is not None:
        return m
    m = services.create_municipality(None, code=code, name=name)
    bureau = services.create_org_unit(
        None,
        m,
        code="B01",
        name="総務部",
        kind=OrgUnit.Kind.BUREAU,
        organ_kind=OrgUnit.OrganKind.MAYOR_DEPARTMENTS,
    )
    for i in range(UNITS):
        services.create_org_unit(
            None,
            m,
            code=f"D{i:02d}",
            name=f"第{i + 1}課",
            kind=OrgUnit.Kind.DIVISION,
            organ_kind=OrgUnit.OrganKind.MAYOR_DEPARTMENTS,
            parent=bureau,
        )
    return m


def _units(m: Any) -> list[Any]:
    from isms.core.models import OrgUnit

    return list(OrgUnit.objects.filter(municipality=m, code__startswith="D").order_by("code"))


def _unit_index(i: int) -> int:
    """Half of the assets to the first 課, the rest round the others."""
    return 0 if i % 2 == 0 else 1 + (i // 2) % (UNITS - 1)


def _asset_values(i: int) -> dict[str, Any]:
    name = NAMES[i % len(NAMES)]
    if i % 25 == 0:
        name = "マイナンバー利用端末"
    return {
        "asset_number": f"A{i:06d}",
        "name": f"{name}{i}",
        "kind": ("information", "system_equipment", "system_document")[i % 3],
        "segment": ("lgwan", "mynumber", "internet", "standalone", "")[i % 5],
        "confidentiality": ("1", "2", "2", "3")[i % 4],
        "integrity": ("1", "2")[i % 2],
        "availability": ("1", "2")[(i // 2) % 2],
        "storage_location": f"書庫{i % 40}",
    }


def _fill(m: Any, count: int) -> None:
    from django.db import transaction

    from isms.assets.models import InformationAsset, asset_search_key

    if InformationAsset.objects.filter(municipality=m).exists():
        return
    units = _units(m)
    batch = []
    for i in range(count):
        values = _asset_values(i)
        batch.append(
            InformationAsset(
                municipality=m,
                owning_unit=units[_unit_index(i)],
                search_key=asset_search_key(
                    values["name"], values["asset_number"], values["storage_location"]
                ),
                **values,
            )
        )
    with transaction.atomic():
        InformationAsset.objects.bulk_create(batch, batch_size=2000)


def _login(m: Any, username: str, role: Any, unit: Any) -> Any:
    from django.utils import timezone

    from isms.core import services
    from isms.core.calendar import fiscal_year_of
    from isms.core.models import Person, User

    user = User.objects.filter(username=username).first()
    if user is not None:
        return user
    user = services.create_user(None, username=username, password="bench-only-pw", municipality=m)
    person = services.create_person(
        None,
        m,
        employee_number=username[:20],
        family_name="試験",
        given_name="太郎",
        family_name_kana="シケン",
        given_name_kana="タロウ",
        staff_category=Person.StaffCategory.REGULAR,
        org_unit=unit,
    )
    services.link_login(None, person, user)
    services.assign_role(
        None,
        person,
        role,
        org_unit=unit if role == "division_security_manager" else None,
        fiscal_year=fiscal_year_of(timezone.localdate()),
    )
    return user


def _median_ms(fn: Any, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _queries(fn: Any) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def _pages(m: Any, small: Any, runs: int) -> list[dict[str, Any]]:
    from django.test import Client
    from django.urls import reverse

    from isms.assets.models import InformationAsset
    from isms.core import services

    units = _units(m)
    small_units = _units(small)
    people = {
        "課 manager": (
            _login(m, f"mgr-{m.code}", "division_security_manager", units[0]),
            _login(small, f"mgr-{small.code}", "division_security_manager", small_units[0]),
            lambda qs: qs.filter(owning_unit=units[0]),
        ),
        "lead": (
            _login(m, f"lead-{m.code}", "lead_security_officer", units[0]),
            _login(small, f"lead-{small.code}", "lead_security_officer", small_units[0]),
            lambda qs: qs,
        ),
    }
    cases = [
        ("list, page 1", {}, 1, {}),
        ("list, page 100", {}, 100, {}),
        (
            "filter class 2 + LGWAN, page 1",
            {"confidentiality": "2", "segment": "lgwan"},
            1,
            {"confidentiality": "2", "segment": "lgwan"},
        ),
        (
            "search ﾏｲﾅﾝﾊﾞｰ (folded), page 1",
            {"q": "ﾏｲﾅﾝﾊﾞｰ"},
            1,
            {"search_key__contains": "マイナンバー"},
        ),
    ]
    rows = []
    for who, (user, small_user, narrow) in people.items():
        client, small_client = Client(), Client()
        client.force_login(user)
        small_client.force_login(small_user)
        token = services.issue_api_token(user, name="bench")[1]
        small_token = services.issue_api_token(small_user, name="bench")[1]
        for label, params, page, orm_filter in cases:
            offset = (page - 1) * PAGE

            def baseline(
                orm_filter: dict[str, Any] = orm_filter, offset: int = offset, narrow: Any = narrow
            ) -> None:
                qs = narrow(InformationAsset.objects.filter(municipality=m, **orm_filter))
                list(qs.order_by("asset_number", "pk")[offset : offset + PAGE])

            page_params = params | ({"page": page} if page > 1 else {})
            api_params = params | {"limit": PAGE, "offset": offset}

            def view(c: Any = client, p: dict[str, Any] = page_params) -> None:
                response = c.get(reverse("assets:asset_list"), p)
                assert response.status_code == 200, response.status_code

            def api(c: Any = client, p: dict[str, Any] = api_params, t: str = token) -> None:
                response = c.get("/api/v1/assets", p, HTTP_AUTHORIZATION=f"Bearer {t}")
                assert response.status_code == 200, response.status_code

            def small_view(p: dict[str, Any] = params, c: Any = small_client) -> None:
                c.get(reverse("assets:asset_list"), p)

            def small_api(
                p: dict[str, Any] = params | {"limit": PAGE},
                c: Any = small_client,
                t: str = small_token,
            ) -> None:
                c.get("/api/v1/assets", p, HTTP_AUTHORIZATION=f"Bearer {t}")

            # Untimed first: caches, and the token's once-a-minute last_used_at stamp.
            for fn in (baseline, view, api, view, api, small_view, small_api):
                fn()
            base_ms = _median_ms(baseline, runs)
            view_ms = _median_ms(view, runs)
            api_ms = _median_ms(api, runs)
            rows.append(
                {
                    "who": who,
                    "case": label,
                    "baseline_ms": round(base_ms, 2),
                    "page_ms": round(view_ms, 1),
                    "api_ms": round(api_ms, 1),
                    "page_ratio": round(view_ms / base_ms, 1),
                    "api_ratio": round(api_ms / base_ms, 1),
                    "page_queries": _queries(view),
                    "api_queries": _queries(api),
                    "small_page_queries": _queries(small_view),
                    "small_api_queries": _queries(small_api),
                }
            )
            print(rows[-1], flush=True)
    return rows


def _import_file(rows: int, units: list[Any]) -> bytes:
    from isms.assets import io
    from isms.core.io import export_csv

    def lines() -> Any:
        for i in range(rows):
            v = _asset_values(i)
            yield [
                f"I{i:06d}",
                v["name"],
                {
                    "information": "情報",
                    "system_equipment": "機器",
                    "system_document": "システム関連文書",
                }[v["kind"]],
                units[_unit_index(i)].code,
                "",
                v["storage_location"],
                v["segment"]
                and {
                    "lgwan": "LGWAN",
                    "mynumber": "マイナンバー",
                    "internet": "インターネット",
                    "standalone": "スタンドアロン",
                }[v["segment"]],
                "",
                "",
                v["confidentiality"],
                v["integrity"],
                v["availability"],
                "はい" if i % 3 == 0 else "いいえ",
                "いいえ",
                "いいえ",
                "いいえ",
                str(100 + i % 5000),
                "5年",
                "",
                f"h{i}.example.lg.jp 10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"
                if i % 10 == 0
                else "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ]

    assert len(io.ASSET_COLUMNS) == 30
    return export_csv(io.ASSET_COLUMNS, lines())


def _import(lead_of: Any, m: Any, data: bytes, *, traced: bool) -> dict[str, Any]:
    from isms.assets import io
    from isms.core.io import read_rows

    gc.collect()
    read_peak = 0
    if traced:
        tracemalloc.start()
        rows = read_rows(data, "bench.csv", io.ASSET_COLUMNS, max_bytes=io.MAX_BYTES)
        read_peak = tracemalloc.get_traced_memory()[1]
        del rows
        tracemalloc.stop()
        gc.collect()
        tracemalloc.start()
    started = time.perf_counter()
    result = io.import_assets(lead_of, m, data, "bench.csv")
    seconds = time.perf_counter() - started
    import_peak = 0
    if traced:
        import_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return {
        "created": result.created,
        "seconds": round(seconds, 1),
        "read_peak_mb": round(read_peak / 2**20, 1),
        "import_peak_mb": round(import_peak / 2**20, 1),
    }


def _on_postgres(argv: list[str]) -> None:
    """Run this benchmark again in a child process against a throw-away cluster."""
    from benchmarks.pgcluster import throwaway_cluster

    with throwaway_cluster() as server:
        url = server.create_database("isms_assets_bench")
        child = {**os.environ, "DATABASE_URL": url}
        subprocess.run([sys.executable, "-m", "benchmarks.assets", *argv], env=child, check=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument(
        "--no-memory", action="store_true", help="skip the (slow) tracemalloc import runs"
    )
    parser.add_argument(
        "--postgres", action="store_true", help="in a throw-away PostgreSQL 15 cluster"
    )
    args = parser.parse_args()
    if args.postgres:
        _on_postgres([a for a in sys.argv[1:] if a != "--postgres"])
        return
    env.setup()
    env.migrate()
    count = 3 if args.quick else MUNICIPALITIES
    per = 2_000 if args.quick else PER_MUNICIPALITY
    import_rows = 5_000 if args.quick else IMPORT_ROWS
    runs = 5 if args.quick else RUNS
    codes = _codes(count + 4)
    started = time.perf_counter()
    municipalities = [_municipality(code, f"台帳市{i + 1}") for i, code in enumerate(codes[:count])]
    for m in municipalities:
        _fill(m, per)
    small = _municipality(codes[count], "小台帳町")
    _fill(small, SMALL)
    generated = time.perf_counter() - started
    from isms.assets.models import InformationAsset

    total = InformationAsset.objects.count()
    print(f"{env.database_label()}: {total:,} assets, generated in {generated:.0f} s", flush=True)
    results: dict[str, Any] = {
        "database": env.database_label(),
        "assets": total,
        "generation_s": round(generated, 1),
        "date": datetime.date.today().isoformat(),
        "pages": _pages(municipalities[0], small, runs),
    }
    if not args.skip_import:
        imports = []
        plan = [(import_rows, False), (import_rows // 5, True), (import_rows, True)]
        if args.no_memory:
            plan = plan[:1]
        for n, (rows, traced) in enumerate(plan):
            target = _municipality(codes[count + 1 + n], f"取込市{n + 1}")
            lead = _login(target, f"lead-{target.code}", "lead_security_officer", None)
            data = _import_file(rows, _units(target))
            outcome = _import(lead, target, data, traced=traced)
            outcome |= {"rows": rows, "file_mb": round(len(data) / 2**20, 1), "traced": traced}
            imports.append(outcome)
            print(outcome, flush=True)
        results["imports"] = imports
    env.write_json(args.json, results)


if __name__ == "__main__":
    main()
