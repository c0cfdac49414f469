"""The risk register at prefecture scale: heat map and register pages over 50,000 risks.

Run standalone (not wired into benchmarks/run.py):

    ISMS_DATA_DIR=/tmp/bench-risks .venv/bin/python -m benchmarks.risks
    DATABASE_URL=postgres://…/isms_bench .venv/bin/python -m benchmarks.risks
    .venv/bin/python -m benchmarks.risks --postgres   # in a throw-away cluster (as root)
    … -m benchmarks.risks --quick          # 3 municipalities: a smoke run

**Data.** The asset benchmark's register (``benchmarks.assets``: 30 municipalities × 10,000
assets = 300,000, each with a 部 of 20 課, half of the assets in the first 課) plus one small
municipality of 500 assets. Every sixth asset of a municipality has a risk of this fiscal year
(1,667 a municipality, 50,000 in all; 83 in the small one) with a threat of the catalog, a
likelihood and impact spread over the 5 × 5 scale, a third of them treated with a residual
risk; and the same again for the year before (for "changes since last year"). Risks are bulk
inserted with the levels the services derive (``services._derive``).

**Pages.** As the first 課's 情報セキュリティ管理者 and as the 統括情報セキュリティ責任者 of the
first municipality, through Django's test client: the heat map page (``risks:heat_map``: SVG,
table, top risks, by unit, by segment, changes since last year), the register list
(``risks:risk_list``) at page 1 and at its last page, and the API's ``GET /api/v1/risks/heat-map``;
for the lead also the policy review page (``policy:policy_review``) and the API's risk analysis
(``GET /api/v1/policy/reviews/{fy}/risk-analysis``), baseline the 100 open high risks fetched.
Each: 3 untimed requests, then ``RUNS`` timed; the median is reported. The baseline, measured in
the same run, is the bare ORM work of the page: for the heat map the one grouped count query,
for the list the same 50 rows fetched and ordered. The query count of each page is compared
with the small municipality's: it must not differ (constant whatever the number of risks).
The load average is printed with every row: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from typing import Any

from benchmarks import assets as asset_bench
from benchmarks import env

RUNS = 15
EVERY = 6  # one risk per this many assets


def _fill_risks(m: Any, fiscal_year: int) -> int:
    from django.db import transaction

    from isms.assets.models import InformationAsset
    from isms.risks import services
    from isms.risks.catalog import ensure_catalog
    from isms.risks.models import Risk, Threat

    settings = ensure_catalog(m)
    if Risk.objects.filter(municipality=m).exists():
        return Risk.objects.filter(municipality=m, fiscal_year=fiscal_year).count()
    threats = list(Threat.objects.filter(municipality=m).order_by("code"))
    rows = (
        InformationAsset.objects.filter(municipality=m)
        .order_by("pk")
        .values_list("pk", "owning_unit_id", "segment")
    )
    batch = []
    for n, (pk, unit_id, segment) in enumerate(rows):
        if n % EVERY:
            continue
        k = n // EVERY
        for year in (fiscal_year - 1, fiscal_year):
            like, imp = 1 + (k + year) % 5, 1 + (k // 5) % 5
            risk = Risk(
                municipality=m,
                fiscal_year=year,
                asset_id=pk,
                owning_unit_id=unit_id,
                segment=segment,
                threat=threats[k % len(threats)],
                likelihood=like,
                impact=imp,
                proposed_impact=imp,
                impact_reasons=[],
            )
            if k % 3 == 0:
                risk.treatment = "reduce"
                risk.controls = "多要素認証"
                risk.residual_likelihood, risk.residual_impact = 1, imp
                risk.status = Risk.Status.TREATED
            services._derive(risk, settings)
            batch.append(risk)
    with transaction.atomic():
        Risk.objects.bulk_create(batch, batch_size=2000)
    return len(batch) // 2


def _pages(m: Any, small: Any, runs: int) -> list[dict[str, Any]]:
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from isms.core import services
    from isms.core.calendar import fiscal_year_of
    from isms.risks import register
    from isms.risks.models import Risk

    fy = fiscal_year_of(__import__("datetime").date.today())
    units, small_units = asset_bench._units(m), asset_bench._units(small)
    people = {
        "課 manager": (
            asset_bench._login(m, f"mgr-{m.code}", "division_security_manager", units[0]),
            asset_bench._login(
                small, f"mgr-{small.code}", "division_security_manager", small_units[0]
            ),
            lambda qs: qs.filter(owning_unit=units[0]),
        ),
        "lead": (
            asset_bench._login(m, f"lead-{m.code}", "lead_security_officer", units[0]),
            asset_bench._login(
                small, f"lead-{small.code}", "lead_security_officer", small_units[0]
            ),
            lambda qs: qs,
        ),
    }
    rows = []
    for who, (user, small_user, narrow) in people.items():
        client, small_client = Client(), Client()
        client.force_login(user)
        small_client.force_login(small_user)
        token = services.issue_api_token(user, name="bench")[1]
        small_token = services.issue_api_token(small_user, name="bench")[1]
        year = narrow(Risk.objects.filter(municipality=m, fiscal_year=fy))
        last_page = max(1, (year.count() + 49) // 50)

        def heat_base(year: Any = year) -> None:
            list(
                year.order_by()
                .values("current_likelihood", "current_impact")
                .annotate(n=Count("pk"))
            )

        def list_base(year: Any = year, last: int = last_page) -> None:
            offset = (last - 1) * 50
            list(
                year.select_related("asset", "threat", "owning_unit", "owner").order_by(
                    "-current_score", "-likelihood", "pk"
                )[offset : offset + 50]
            )

        cases = [
            ("heat map page", reverse("risks:heat_map"), {}, heat_base, False),
            ("register, page 1", reverse("risks:risk_list"), {}, list_base, False),
            (
                f"register, last page ({last_page})",
                reverse("risks:risk_list"),
                {"page": last_page},
                list_base,
                False,
            ),
            ("API heat map", "/api/v1/risks/heat-map", {}, heat_base, True),
        ]
        if who == "lead":
            # What the committee reviews (seed 2.8): the leads' page and the API.

            def review_base(year: Any = year) -> None:
                list(
                    register.open_high_risks(year)
                    .select_related("asset", "asset_group", "threat", "owning_unit", "owner")
                    .order_by("-current_score", "pk")[:100]
                )

            cases += [
                ("policy review page", reverse("policy:policy_review"), {}, review_base, False),
                (
                    "API risk analysis",
                    reverse("api:get_risk_analysis", kwargs={"fiscal_year": fy}),
                    {},
                    review_base,
                    True,
                ),
            ]
        for label, url, params, base, is_api in cases:
            headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if is_api else {}
            small_headers = {"HTTP_AUTHORIZATION": f"Bearer {small_token}"} if is_api else {}

            def view(c: Any = client, u: str = url, p: Any = params, h: Any = headers) -> None:
                response = c.get(u, p, **h)
                assert response.status_code == 200, response.status_code

            def small_view(c: Any = small_client, u: str = url, h: Any = small_headers) -> None:
                c.get(u, {}, **h)

            for fn in (base, view, view, small_view, view):
                fn()
            base_ms = asset_bench._median_ms(base, runs)
            view_ms = asset_bench._median_ms(view, runs)
            rows.append(
                {
                    "who": who,
                    "case": label,
                    "baseline_ms": round(base_ms, 2),
                    "page_ms": round(view_ms, 1),
                    "ratio": round(view_ms / base_ms, 1),
                    "queries": asset_bench._queries(view),
                    "small_queries": asset_bench._queries(small_view),
                }
            )
            rows[-1]["load"] = _load()
            print(rows[-1], flush=True)
    return rows


def _on_postgres(argv: list[str]) -> None:
    """Run this benchmark again in a child process against a throw-away cluster."""
    from benchmarks.pgcluster import throwaway_cluster

    with throwaway_cluster() as server:
        url = server.create_database("isms_risks_bench")
        print(f"PostgreSQL settings: {server.settings()}", flush=True)
        child = {**os.environ, "DATABASE_URL": url}
        subprocess.run([sys.executable, "-m", "benchmarks.risks", *argv], env=child, check=True)


def _load() -> str:
    """The load average (1, 5, 15 minutes): the machine is shared; every record states it."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument(
        "--postgres", action="store_true", help="in a throw-away PostgreSQL 15 cluster"
    )
    args = parser.parse_args()
    if args.postgres:
        _on_postgres([a for a in sys.argv[1:] if a != "--postgres"])
        return
    env.setup()
    env.migrate()
    import datetime

    from isms.core.calendar import fiscal_year_of

    count = 3 if args.quick else asset_bench.MUNICIPALITIES
    per = 2_000 if args.quick else asset_bench.PER_MUNICIPALITY
    runs = 5 if args.quick else RUNS
    fy = fiscal_year_of(datetime.date.today())
    started = time.perf_counter()
    municipalities = []
    risks = 0
    for i, code in enumerate(asset_bench._codes(count)):
        m = asset_bench._municipality(code, f"試験市{i + 1}")
        asset_bench._fill(m, per)
        risks += _fill_risks(m, fy)
        municipalities.append(m)
    small = asset_bench._municipality(asset_bench._codes(count + 1)[-1], "小規模町")
    asset_bench._fill(small, asset_bench.SMALL)
    _fill_risks(small, fy)
    generated = time.perf_counter() - started
    print(
        f"{env.database_label()}: {count * per:,} assets, {risks:,} risks this year, "
        f"generated in {generated:.0f} s; load average {_load()}",
        flush=True,
    )
    results = {
        "database": env.database_label(),
        "assets": count * per,
        "risks": risks,
        "load_before": _load(),
        "pages": _pages(municipalities[0], small, runs),
        "load_after": _load(),
    }
    env.write_json(args.json, results)


if __name__ == "__main__":
    main()
