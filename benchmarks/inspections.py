"""Self-inspection campaigns at scale (issue 9): results pages and answer submission.

    .venv/bin/python -m benchmarks.inspections                    # smoke run: 2,000 people
    .venv/bin/python -m benchmarks.inspections --people 30000     # the issue's size
    .venv/bin/python -m benchmarks.inspections --steps pages      # only some steps

Starts a throw-away PostgreSQL 15 cluster (:mod:`benchmarks.pgcluster`) unless ``DATABASE_URL``
names an empty database, and removes it at the end. Then:

1. **generate**: one municipality of ``--people`` staff (the prefecture generator's 部 / 課 / 係
   tree and roles), the Tsuru 対策基準 (220 controls; 53 of them asked of every member of
   staff), last year's campaign (closed, every sheet answered) and this year's (open), each with
   one staff 点検票 per person assigned through ``services.assign``. The answers (53 per sheet:
   1.59 million per campaign at 30,000 people) go in with ``COPY`` and are not journaled; the
   campaigns, assignments and logins go through the services. Plus a small municipality of 100
   people with the same campaigns, whose pages give the query counts to compare with. Then
   ``VACUUM ANALYZE`` of the inspection tables (what autovacuum does over the weeks a campaign
   runs).
2. **pages**: the results page, the campaign page (progress per 課), the API results and the
   Excel export, as the CISO (every unit), a 部's 情報セキュリティ責任者 and a 課's
   情報セキュリティ管理者, with Django's test client (server time, no network), 15 timed requests
   interleaved between the two municipalities after 3 untimed ones; the median and the query
   count. Baselines in the same run: the dashboard and the campaign list. The slowest queries of
   the CISO's results page are kept with their ``EXPLAIN (ANALYZE, BUFFERS)``.
3. **writes**: 30 members of staff, one at a time, each saving their sheet in three parts
   through the API with the test client (journal on): the server time and the queries of one
   write without concurrency, beside a baseline GET.
4. **load**: gunicorn (``--workers`` sync workers, production settings, the journal on) on
   127.0.0.1 and ``locust --headless`` with ``--users`` users for ``--duration`` seconds, once per
   ``--wait`` think time: each user is a member of staff (own login, own API token) saving their
   own sheet in three parts, the last one submitting it (:mod:`benchmarks.inspections_locustfile`);
   a baseline GET after each write runs under the same load. Exact p50 / p95 / p99 from every
   request's time, failures, the journal head row's wait and hold per write
   (:func:`timed_application`), then ``journal.verify()``. Every worker is warmed up first.

Results: printed as tables, and written to ``var/benchmarks/inspections.json`` (``--json``).
The exit status is 1 when a page does not answer 200, a query count differs between the small
and the large municipality, a load request failed or the journal does not verify. Times are
never checked.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import env

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SMALL_PEOPLE = 100
WRITE_SHEETS = 30  # sheets saved one at a time in the "writes" step
STAFF = "staff"
# Sheet statuses of this year's campaign (the rest of the load-test reserve stays 未着手).
CURRENT_MIX = (("approved", 60), ("submitted", 25), ("in_progress", 12), ("returned", 3))
PREVIOUS_MIX = (("approved", 95), ("submitted", 5))
FINAL = {"approved", "submitted"}
COMMENTS = ("予算未確保のため次年度対応", "手順書を改訂中", "研修未受講者あり")


@dataclass
class Campaigns:
    """One municipality with its two campaigns and the logins the benchmark uses."""

    municipality_id: int
    people: int
    org_units: int
    current_id: int
    previous_id: int
    items: int
    sheets: int
    answers_current: int
    answers_previous: int
    logins: dict[str, str] = field(default_factory=dict)  # role -> username
    reserve: list[int] = field(default_factory=list)  # not-started sheets for the load test


# --- generation -------------------------------------------------------------------------------


def _catalog(m: Any) -> Any:
    import isms.data
    from isms.data.loader import read_yaml
    from isms.policy.services import load_control_standard

    path = Path(isms.data.__file__).parent / "tsuru" / "control_standard.yaml"
    return load_control_standard(None, m, read_yaml(path))


def _campaign(m: Any, fiscal_year: int) -> Any:
    from isms.core.models import OrgUnit
    from isms.inspections import services

    campaign = services.create_campaign(
        None,
        m,
        fiscal_year=fiscal_year,
        title=f"{fiscal_year}年度 情報セキュリティ自己点検（ベンチマーク）",
        opens_on=datetime.date(fiscal_year, 10, 1),
    )
    services.open_campaign(None, campaign)
    for bureau in OrgUnit.objects.filter(municipality=m, parent=None).order_by("pk"):
        services.assign(None, campaign, target_group=STAFF, org_unit=bureau)
    return campaign


def _weights(mix: Sequence[tuple[str, int]]) -> list[str]:
    return [status for status, share in mix for _ in range(share)]


def _fill(campaign: Any, reserve: set[int], mix: Sequence[tuple[str, int]], seed: str) -> int:
    """Answer every sheet but ``reserve`` with COPY; set the sheets' statuses. Returns answers."""
    from django.db import connection
    from django.utils import timezone

    from isms.inspections.models import InspectionAnswer, InspectionItem, InspectionResponse

    rng = random.Random(seed)
    items = list(
        InspectionItem.objects.filter(campaign=campaign, target_group=STAFF)
        .order_by("position")
        .values_list("pk", "chapter")
    )
    # Some controls are kept well, some badly; some 部 better than others.
    item_p = {pk: rng.uniform(0.55, 0.97) for pk, _ in items}
    sheets = list(
        InspectionResponse.objects.filter(campaign=campaign)
        .exclude(pk__in=reserve)
        .order_by("pk")
        .values_list("pk", "org_unit_id", "bureau_id")
    )
    bureau_shift = {b: rng.uniform(-0.08, 0.05) for _, _, b in sheets}
    statuses = _weights(mix)
    by_status: dict[str, list[int]] = {}
    now = timezone.now()
    cols = (
        "response_id, item_id, campaign_id, org_unit_id, bureau_id, chapter, value, comment, "
        "final, updated_at"
    )
    written = 0
    with (
        connection.cursor() as cur,
        cur.cursor.copy(f"COPY {InspectionAnswer._meta.db_table} ({cols}) FROM STDIN") as copy,
    ):
        for sheet, unit, bureau in sheets:
            status = rng.choice(statuses)
            by_status.setdefault(status, []).append(sheet)
            final = status in FINAL
            shift = bureau_shift[bureau]
            for item, chapter in items:
                p = item_p[item] + shift
                x = rng.random()
                if x < p:
                    value, comment = "implemented", ""
                elif x < p + (1 - p) * 0.5:
                    value, comment = "partial", ""
                elif x < p + (1 - p) * 0.85:
                    value = "not_implemented"
                    comment = rng.choice(COMMENTS) if rng.random() < 0.3 else ""
                else:
                    value, comment = "not_applicable", ""
                copy.write_row(
                    (sheet, item, campaign.pk, unit, bureau, chapter, value, comment, final, now)
                )
                written += 1
    for status, ids in by_status.items():
        for start in range(0, len(ids), 5000):
            InspectionResponse.objects.filter(pk__in=ids[start : start + 5000]).update(
                status=status,
                answered_count=len(items),
                submitted_at=now if status in FINAL else None,
                approved_at=now if status == "approved" else None,
                status_changed_at=timezone.now(),  # as the services do (results snapshot)
            )
    return written


def _login(m: Any, person: Any, username: str) -> Any:
    from isms.core import services

    user = services.create_user(None, username=username, password=None, municipality=m)
    services.link_login(None, person, user)
    return user


def _role_holder(m: Any, role: str, fiscal_year: int, taken: set[int]) -> Any:
    from isms.core.models import RoleAssignment

    for a in (
        RoleAssignment.objects.filter(municipality=m, role=role, fiscal_year=fiscal_year)
        .select_related("person")
        .order_by("pk")
    ):
        if a.person.user_id is None and a.person_id not in taken:
            return a.person
    raise RuntimeError(f"no {role} without a login")


def build(people: int, *, reserve: int, code_index: int, seed: int = 1) -> Campaigns:
    """Generate one municipality with last year's and this year's campaigns."""
    from django.db.models import Count
    from django.utils import timezone

    from benchmarks.generate import generate_one, specs_for
    from isms.core.calendar import fiscal_year_of
    from isms.core.models import Municipality, Person
    from isms.inspections import services
    from isms.inspections.models import InspectionAnswer, InspectionResponse

    started = time.perf_counter()
    spec = specs_for([people], first=code_index)[0]
    g = generate_one(spec, seed=seed)
    m = Municipality.objects.get(pk=g.municipality_id)
    _catalog(m)
    fy = fiscal_year_of(timezone.localdate())
    logins = {"CISO": g.ciso_username}
    taken = {Person.objects.get(user__username=g.ciso_username).pk}
    for role, label in (
        ("bureau_security_officer", "部 officer"),
        ("division_security_manager", "課 manager"),
    ):
        person = _role_holder(m, role, fy, taken)
        taken.add(person.pk)
        logins[label] = _login(m, person, f"{role}-{m.code}").username
    print(f"  {people:,} people generated ({time.perf_counter() - started:.0f} s)", flush=True)

    previous = _campaign(m, fy - 1)
    answers_previous = _fill(previous, set(), PREVIOUS_MIX, f"{seed}:{m.code}:previous")
    services.close_campaign(None, previous)
    print(f"  last year: {answers_previous:,} answers ({time.perf_counter() - started:.0f} s)")
    current = _campaign(m, fy)
    rng = random.Random(f"{seed}:{m.code}:reserve")
    candidates = list(
        InspectionResponse.objects.filter(campaign=current)
        .exclude(person_id__in=taken)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    reserved = sorted(rng.sample(candidates, min(reserve, len(candidates))))
    answers_current = _fill(current, set(reserved), CURRENT_MIX, f"{seed}:{m.code}:current")
    print(f"  this year: {answers_current:,} answers ({time.perf_counter() - started:.0f} s)")
    items = current.items.filter(target_group=STAFF).count()
    counts = dict(
        InspectionResponse.objects.filter(campaign=current)
        .values_list("campaign")
        .annotate(n=Count("pk"))
    )
    assert InspectionAnswer.objects.filter(campaign=current).count() == answers_current
    return Campaigns(
        municipality_id=m.pk,
        people=g.people,
        org_units=g.org_units,
        current_id=current.pk,
        previous_id=previous.pk,
        items=items,
        sheets=counts.get(current.pk, 0),
        answers_current=answers_current,
        answers_previous=answers_previous,
        logins=logins,
        reserve=reserved,
    )


def vacuum() -> float:
    from django.db import connection

    from isms.inspections.models import InspectionAnswer, InspectionItem, InspectionResponse

    started = time.perf_counter()
    with connection.cursor() as cur:
        for model in (InspectionAnswer, InspectionResponse, InspectionItem):
            cur.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    return time.perf_counter() - started


# --- pages ------------------------------------------------------------------------------------


def _pages(c: Campaigns) -> list[tuple[str, str, bool]]:
    pk = c.current_id
    return [
        ("dashboard (baseline)", "/", False),
        ("campaign list (baseline)", "/inspections/", False),
        ("campaign page (progress per 課)", f"/inspections/{pk}/", False),
        ("results page", f"/inspections/{pk}/results/", False),
        ("API results", f"/api/v1/inspections/campaigns/{pk}/results", True),
        ("Excel export of the results", f"/inspections/{pk}/results/export/", False),
    ]


def run_pages(small: Campaigns, large: Campaigns, *, warmup: int, repeat: int) -> dict[str, Any]:
    import logging

    from benchmarks.pages import Target, _client_for, measure
    from isms.core.models import User

    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    rows: list[dict[str, Any]] = []
    for who in large.logins:
        by_page: dict[str, list[Target]] = {}
        for c in (small, large):
            client, token = _client_for(User.objects.get(username=c.logins[who]))
            for name, url, is_api in _pages(c):
                by_page.setdefault(name, []).append(
                    Target(c.people, client, url, token if is_api else {})
                )
        for page, targets in by_page.items():
            measured, _sql = measure(page, targets, warmup=warmup, repeat=repeat)
            for mm in measured:
                rows.append({"who": who, **asdict(mm)})
            big = measured[-1]
            print(
                f"  {who:12} {page:34} {big.median_ms:8.1f} ms  {big.queries} queries "
                f"(small: {measured[0].median_ms:.1f} ms, {measured[0].queries})",
                flush=True,
            )
    return {"rows": rows, "slow_queries": slow_queries(large)}


def time_snapshot(c: Campaigns) -> dict[str, Any]:
    """What the results snapshot costs: one full computation of this year's whole-municipality
    results (what a refresh task or a small campaign's page does), and the check that it is
    current (what every CISO page does before reading it)."""
    from isms.inspections import results
    from isms.inspections.models import SelfInspection

    campaign = SelfInspection.objects.get(pk=c.current_id)
    started = time.perf_counter()
    results.store_snapshot(campaign)
    refresh_ms = (time.perf_counter() - started) * 1000
    checks = []
    for _ in range(15):
        started = time.perf_counter()
        results.latest_change(campaign)
        checks.append((time.perf_counter() - started) * 1000)
    out = {
        "refresh_ms": round(refresh_ms, 1),
        "current_check_ms": round(statistics.median(checks), 2),
    }
    print(
        f"  snapshot refresh {out['refresh_ms']:.0f} ms, "
        f"current check {out['current_check_ms']:.2f} ms",
        flush=True,
    )
    return out


def slow_queries(c: Campaigns, top: int = 4) -> list[dict[str, Any]]:
    """The slowest queries of the CISO's results page, with their plans."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from benchmarks.pages import _client_for
    from isms.core.models import User

    client, _token = _client_for(User.objects.get(username=c.logins["CISO"]))
    url = f"/inspections/{c.current_id}/results/"
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    queries = sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))[:top]
    out = []
    for q in queries:
        plan: list[str] = []
        if q["sql"].lstrip().upper().startswith("SELECT"):
            with connection.cursor() as cur:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
                plan = [r[0] for r in cur.fetchall()]
        out.append({"ms": round(float(q["time"]) * 1000, 1), "sql": q["sql"], "plan": plan})
    return out


def run_writes(c: Campaigns, sheets: Sequence[int], *, repeat: int) -> list[dict[str, Any]]:
    """Saves and submissions one at a time through the API (test client, journal on): the
    server time and queries of one write without concurrency, beside a baseline GET."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from isms.core import services
    from isms.inspections.models import InspectionItem, InspectionResponse

    items = list(
        InspectionItem.objects.filter(campaign_id=c.current_id, target_group=STAFF)
        .order_by("position", "pk")
        .values_list("pk", flat=True)
    )
    size = -(-len(items) // 3)
    parts = [items[i : i + size] for i in range(0, len(items), size)]
    rng = random.Random(7)
    times: dict[str, list[float]] = {}
    queries: dict[str, int] = {}
    query_ms: dict[str, list[list[Any]]] = {}
    statuses: dict[str, set[int]] = {}
    for n, sheet in enumerate(
        InspectionResponse.objects.filter(pk__in=sheets[:repeat]).select_related(
            "person", "campaign__municipality"
        )
    ):
        user = _login(
            sheet.campaign.municipality, sheet.person, f"w-{sheet.person.employee_number}"
        )
        _token, raw = services.issue_api_token(user, name="benchmark")
        client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {raw}")
        url = f"/api/v1/inspections/sheets/{sheet.pk}/answers"
        steps: list[tuple[str, Any]] = [
            ("baseline: GET campaign", None),
            ("PUT answers (save)", parts[0]),
            ("PUT answers (save)", parts[1]),
            ("PUT answers + submit", parts[2]),
        ]
        for name, part in steps:
            capture = n == 0
            ctx = CaptureQueriesContext(connection) if capture else None
            started = time.perf_counter()
            if ctx is not None:
                ctx.__enter__()
            if part is None:
                r = client.get(f"/api/v1/inspections/campaigns/{c.current_id}")
            else:
                body = {
                    "answers": [
                        {"item_id": i, "value": rng.choice(("implemented", "partial"))}
                        for i in part
                    ],
                    "submit": name.endswith("submit"),
                }
                r = client.put(url, body, content_type="application/json")
            if ctx is not None:
                ctx.__exit__(None, None, None)
                queries[name] = len(ctx.captured_queries)
                # Where the time of that (untimed) request went: each query's round trip, and
                # the rest (Python, the commit).
                total = (time.perf_counter() - started) * 1000
                query_ms[name] = [
                    [round(float(q["time"]) * 1000, 2), q["sql"][:100]]
                    for q in ctx.captured_queries
                ]
                query_ms[name].append(
                    [round(total - sum(q[0] for q in query_ms[name]), 2), "(not in queries)"]
                )
            else:
                times.setdefault(name, []).append((time.perf_counter() - started) * 1000)
            statuses.setdefault(name, set()).add(r.status_code)
    return [
        {
            "name": name,
            "count": len(t),
            "queries": queries.get(name, 0),
            "median_ms": round(statistics.median(t), 1),
            "p95_ms": round(_percentile(t, 0.95), 1),
            "statuses": sorted(statuses[name]),
            "query_ms": query_ms.get(name, []),
        }
        for name, t in times.items()
    ]


# --- load -------------------------------------------------------------------------------------


def _plan(c: Campaigns, sheets: Sequence[int], path: Path) -> None:
    from isms.core import services
    from isms.inspections.models import InspectionItem, InspectionResponse

    items = list(
        InspectionItem.objects.filter(campaign_id=c.current_id, target_group=STAFF)
        .order_by("position", "pk")
        .values_list("pk", flat=True)
    )
    staff = []
    for sheet in InspectionResponse.objects.filter(pk__in=sheets).select_related(
        "person", "campaign__municipality"
    ):
        person = sheet.person
        user = _login(sheet.campaign.municipality, person, f"staff-{person.employee_number}")
        _token, raw = services.issue_api_token(user, name="benchmark")
        staff.append({"token": raw, "sheet_id": sheet.pk, "item_ids": items})
    path.write_text(json.dumps({"campaign_id": c.current_id, "staff": staff}), encoding="utf-8")


def timed_application() -> Any:
    """The WSGI application of ``isms.wsgi``, with the journal head lock timed (gunicorn loads
    it as ``benchmarks.inspections:timed_application()``).

    Each journaled write appends ``[wait_s, hold_s]`` to ``$BENCH_INSPECTIONS_LOCKS/<pid>.jsonl``:
    the wait for the municipality's ``JournalHead`` row and how long it was held (until the
    commit), as :mod:`benchmarks.journal_throughput` measures it.
    """
    from isms.wsgi import application  # sets Django up: import it first

    journal = importlib.import_module("isms.core.journal")
    transaction = importlib.import_module("django.db.transaction")

    folder = Path(os.environ["BENCH_INSPECTIONS_LOCKS"])
    original = journal._lock_head

    def timed(chain: str) -> Any:
        asked = time.monotonic()
        head = original(chain)
        got = time.monotonic()

        def done() -> None:
            with (folder / f"{os.getpid()}.jsonl").open("a") as f:
                f.write(json.dumps([got - asked, time.monotonic() - got]) + "\n")

        transaction.on_commit(done)
        return head

    journal._lock_head = timed
    return application


def _locks(folder: Path, elapsed: float) -> dict[str, Any]:
    rows = [
        json.loads(line)
        for path in folder.glob("*.jsonl")
        for line in path.read_text().splitlines()
        if line
    ]
    waits = [r[0] * 1000 for r in rows]
    holds = [r[1] * 1000 for r in rows]
    for path in folder.glob("*.jsonl"):
        path.unlink()
    return {
        "writes": len(rows),
        "wait_p50_ms": round(_percentile(waits, 0.5), 1),
        "wait_p95_ms": round(_percentile(waits, 0.95), 1),
        "wait_max_ms": round(max(waits), 1) if waits else 0,
        "hold_p50_ms": round(_percentile(holds, 0.5), 1),
        "hold_p95_ms": round(_percentile(holds, 0.95), 1),
        "hold_max_ms": round(max(holds), 1) if holds else 0,
        "busy": round(sum(holds) / 1000 / elapsed, 3) if elapsed else 0,
    }


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(url: str, timeout: float, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.returncode} (output above)")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status < 500:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout:.0f} s")


def _warm(base: str, plan: Path, workers: int) -> None:
    """Send every gunicorn worker a few requests first: a worker's first request imports the
    URL configuration and the API (seconds on a loaded machine), which a server in service has
    long done."""
    from concurrent.futures import ThreadPoolExecutor

    data = json.loads(plan.read_text(encoding="utf-8"))
    token = data["staff"][0]["token"]

    def get(_n: int) -> None:
        request = urllib.request.Request(
            f"{base}/api/v1/inspections/campaigns/{data['campaign_id']}",
            headers={"Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request, timeout=60) as r:
            r.read()

    with ThreadPoolExecutor(max_workers=workers * 2) as pool:
        list(pool.map(get, range(workers * 8)))


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_load(
    c: Campaigns,
    *,
    waits: Sequence[str],
    users: int,
    duration: int,
    workers: int,
    per_run: int,
    scratch: Path,
) -> list[dict[str, Any]]:
    from isms.core.models import JournalEntry

    runs = []
    port = _free_port()
    child = {
        **os.environ,
        "ISMS_ALLOWED_HOSTS": "127.0.0.1",
        "ISMS_SECRET_KEY": env.SECRET_KEY,
    }
    child.pop("ISMS_TESTING", None)
    child.pop("ISMS_DEBUG", None)
    locks = scratch / "locks"
    locks.mkdir(exist_ok=True)
    child["BENCH_INSPECTIONS_LOCKS"] = str(locks)
    reserve = list(c.reserve)
    gunicorn = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "benchmarks.inspections:timed_application()",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=child,
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/login/", 90, gunicorn)
        for n, wait in enumerate(waits):
            sheets, reserve = reserve[:per_run], reserve[per_run:]
            plan, out = scratch / f"plan{n}.json", scratch / f"requests{n}.json"
            _plan(c, sheets, plan)
            _warm(f"http://127.0.0.1:{port}", plan, workers)
            entries_before = JournalEntry.objects.count()
            load_before = [round(x, 1) for x in os.getloadavg()]
            started = time.perf_counter()
            subprocess.run(
                [
                    str(VENV_BIN / "locust"),
                    "-f",
                    str(ROOT / "benchmarks" / "inspections_locustfile.py"),
                    "--headless",
                    "--users",
                    str(users),
                    "--spawn-rate",
                    str(users),
                    "--run-time",
                    f"{duration}s",
                    "--stop-timeout",
                    "10",
                    "--host",
                    f"http://127.0.0.1:{port}",
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                    "--exit-code-on-error",
                    "0",
                ],
                cwd=ROOT,
                env={
                    **child,
                    "BENCH_INSPECTIONS_PLAN": str(plan),
                    "BENCH_INSPECTIONS_OUT": str(out),
                    "BENCH_INSPECTIONS_WAIT": wait,
                },
                check=False,
                timeout=duration + 180,
            )
            elapsed = time.perf_counter() - started
            records = json.loads(out.read_text(encoding="utf-8")) if out.exists() else []
            runs.append(
                {
                    "wait_s": wait,
                    "users": users,
                    "workers": workers,
                    "seconds": round(elapsed, 1),
                    "staff_planned": len(sheets),
                    "journal_entries_written": JournalEntry.objects.count() - entries_before,
                    "load_before": load_before,
                    "load_after": [round(x, 1) for x in os.getloadavg()],
                    "requests": _summarise(records, elapsed),
                    "journal_head": _locks(locks, elapsed),
                }
            )
            print(json.dumps(runs[-1], ensure_ascii=False, indent=1), flush=True)
    finally:
        gunicorn.terminate()
        try:
            gunicorn.wait(timeout=30)
        except subprocess.TimeoutExpired:
            gunicorn.kill()
    return runs


def _summarise(records: Sequence[Sequence[Any]], elapsed: float) -> list[dict[str, Any]]:
    names = list(dict.fromkeys(r[0] for r in records))
    out = []
    for name in names:
        times = [r[1] for r in records if r[0] == name]
        failures = [r[3] for r in records if r[0] == name and r[2]]
        out.append(
            {
                "name": name,
                "count": len(times),
                "failures": len(failures),
                "first_failure": failures[0] if failures else "",
                "per_s": round(len(times) / elapsed, 1) if elapsed else 0,
                "p50_ms": round(_percentile(times, 0.50), 1),
                "p95_ms": round(_percentile(times, 0.95), 1),
                "p99_ms": round(_percentile(times, 0.99), 1),
                "max_ms": round(max(times), 1) if times else 0,
                "mean_ms": round(statistics.fmean(times), 1) if times else 0,
            }
        )
    return out


# --- report -----------------------------------------------------------------------------------


def checks(results: dict[str, Any]) -> list[str]:
    failed = []
    rows = results.get("pages", {}).get("rows", [])
    for key in sorted({(r["who"], r["page"]) for r in rows}):
        group = [r for r in rows if (r["who"], r["page"]) == key]
        if len({r["queries"] for r in group}) > 1:
            failed.append(f"{key}: query count varies: {[r['queries'] for r in group]}")
        bad = [r["status"] for r in group if r["status"] != 200]
        if bad:
            failed.append(f"{key}: answered {bad}")
    for row in results.get("writes", {}).get("rows", []):
        if row["statuses"] != [200]:
            failed.append(f"writes: {row['name']} answered {row['statuses']}")
    for run in results.get("load", []):
        for r in run["requests"]:
            if r["failures"]:
                failed.append(f"load {run['wait_s']}: {r['name']}: {r['failures']} failures")
    verify = results.get("verify")
    if verify is not None and not verify["ok"]:
        failed.append(f"journal verify failed: {verify['breaks'][:3]}")
    return failed


def markdown(results: dict[str, Any]) -> str:
    lines: list[str] = []
    g = results.get("generate", {})
    if g:
        big, small = g["large"], g["small"]
        lines += [
            f"Data: {big['people']:,} people, {big['org_units']:,} org units; {big['items']} "
            f"questions per staff sheet; {big['sheets']:,} sheets; "
            f"{big['answers_current']:,} answers this year and {big['answers_previous']:,} "
            f"last year (small municipality: {small['people']} people, "
            f"{small['answers_current']:,} answers). Generated in {g['seconds']} s "
            f"(VACUUM ANALYZE {g['vacuum_s']} s).",
            "",
        ]
    rows = results.get("pages", {}).get("rows", [])
    if rows:
        sizes = sorted({r["size"] for r in rows})
        lines += [
            f"| who | page | queries ({' / '.join(f'{s:,}' for s in sizes)}) | median ms "
            f"({' / '.join(f'{s:,}' for s in sizes)}) | ÷ dashboard ({sizes[-1]:,}) |",
            "|---|---|---|---|---|",
        ]
        base = {
            r["who"]: r["median_ms"]
            for r in rows
            if r["page"].startswith("dashboard") and r["size"] == sizes[-1]
        }
        for who, page in dict.fromkeys((r["who"], r["page"]) for r in rows):
            group = {r["size"]: r for r in rows if (r["who"], r["page"]) == (who, page)}
            q = " / ".join(str(group[s]["queries"]) for s in sizes)
            t = " / ".join(f"{group[s]['median_ms']:.1f}" for s in sizes)
            ratio = group[sizes[-1]]["median_ms"] / base[who] if base.get(who) else 0
            lines.append(f"| {who} | {page} | {q} | {t} | {ratio:.1f}× |")
        lines.append("")
    writes = results.get("writes", {}).get("rows", [])
    if writes:
        lines += [
            "One write at a time (test client, journal on): "
            + "; ".join(
                f"{w['name']}: {w['queries']} queries, median {w['median_ms']} ms, "
                f"p95 {w['p95_ms']} ms ({w['count']})"
                for w in writes
            ),
            "",
        ]
    for run in results.get("load", []):
        lines += [
            f"Load: {run['users']} users, think time {run['wait_s']} s, gunicorn "
            f"{run['workers']} sync workers, {run['seconds']} s; {run['staff_planned']} staff "
            f"planned; {run['journal_entries_written']:,} journal entries written; load "
            f"{' '.join(map(str, run['load_before']))} → {' '.join(map(str, run['load_after']))}",
            "",
            "Journal head row: {writes} writes; wait p50 / p95 / max {wait_p50_ms} / "
            "{wait_p95_ms} / {wait_max_ms} ms; held p50 / p95 / max {hold_p50_ms} / "
            "{hold_p95_ms} / {hold_max_ms} ms; busy {busy:.0%}".format(**run["journal_head"])
            if run.get("journal_head")
            else "",
            "",
            "| request | count | failures | per s | p50 ms | p95 ms | p99 ms | max ms |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in run["requests"]:
            lines.append(
                f"| {r['name']} | {r['count']} | {r['failures']} | {r['per_s']} | {r['p50_ms']} "
                f"| {r['p95_ms']} | {r['p99_ms']} | {r['max_ms']} |"
            )
        lines.append("")
    return "\n".join(lines)


def run(args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    env.setup()
    from isms.core import journal
    from isms.core.models import Municipality

    env.migrate()
    if Municipality.objects.exists():
        sys.exit("benchmarks.inspections needs an empty database")
    steps = set(args.steps.split(","))
    waits = [w for w in args.wait.split(",") if w]
    results: dict[str, Any] = {
        "database": env.database_label(),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "load_start": [round(x, 1) for x in os.getloadavg()],
    }
    started = time.perf_counter()
    print(f"== generate ({args.people:,} people + {SMALL_PEOPLE})", flush=True)
    reserve = (args.per_run * len(waits) if "load" in steps else 0) + WRITE_SHEETS + 1
    large = build(args.people, reserve=reserve, code_index=0)
    small = build(SMALL_PEOPLE, reserve=0, code_index=1)
    vacuum_s = vacuum()
    results["generate"] = {
        "seconds": round(time.perf_counter() - started, 1),
        "vacuum_s": round(vacuum_s, 1),
        "large": {k: v for k, v in asdict(large).items() if k != "reserve"},
        "small": {k: v for k, v in asdict(small).items() if k != "reserve"},
    }
    if "pages" in steps:
        print("== pages", flush=True)
        load = [round(x, 1) for x in os.getloadavg()]
        results["snapshot"] = time_snapshot(large)
        results["pages"] = run_pages(small, large, warmup=args.warmup, repeat=args.repeat)
        results["pages"]["load_before"] = load
        results["pages"]["load_after"] = [round(x, 1) for x in os.getloadavg()]
    if "writes" in steps:
        print("== writes, one at a time", flush=True)
        load = [round(x, 1) for x in os.getloadavg()]
        results["writes"] = {
            "rows": run_writes(large, large.reserve[-WRITE_SHEETS - 1 :], repeat=WRITE_SHEETS + 1),
            "load_before": load,
            "load_after": [round(x, 1) for x in os.getloadavg()],
        }
        for row in results["writes"]["rows"]:
            print(f"  { {k: v for k, v in row.items() if k != 'query_ms'} }", flush=True)
            for ms, sql in row["query_ms"]:
                print(f"    {ms:8.2f} ms  {sql}", flush=True)
    if "load" in steps:
        print("== load", flush=True)
        results["load"] = run_load(
            large,
            waits=waits,
            users=args.users,
            duration=args.duration,
            workers=args.workers,
            per_run=args.per_run,
            scratch=scratch,
        )
        t0 = time.perf_counter()
        report = journal.verify()
        results["verify"] = {
            "ok": report.ok,
            "entries": report.checked,
            "breaks": [str(b) for b in report.breaks],
            "seconds": round(time.perf_counter() - t0, 1),
        }
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.inspections", description=__doc__)
    parser.add_argument("--people", type=int, default=2_000, help="staff (30000 for the issue)")
    parser.add_argument(
        "--steps", default="pages,writes,load", help="pages,writes,load (generate always runs)"
    )
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=int, default=60, help="seconds per load run")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument(
        "--wait",
        default="0.5-1.5,0",
        help="think time per load run, comma-separated: '0.5-1.5' (uniform) or '0'",
    )
    parser.add_argument(
        "--per-run", type=int, default=400, help="staff (own sheet, login, token) per load run"
    )
    parser.add_argument("--json", default=str(ROOT / "var" / "benchmarks" / "inspections.json"))
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="isms-bench-insp.") as tmp:
        scratch = Path(tmp)
        (scratch / "data").mkdir()
        os.environ.setdefault("ISMS_DATA_DIR", str(scratch / "data"))
        if os.environ.get("DATABASE_URL"):
            results = run(args, scratch)
        else:
            from benchmarks.pgcluster import throwaway_cluster

            with throwaway_cluster() as server:
                os.environ["DATABASE_URL"] = server.create_database("isms_bench_inspections")
                results = run(args, scratch)
                results["postgresql"] = server.settings()
                from django.db import connections

                connections.close_all()
    failed = checks(results)
    results["failed_checks"] = failed
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str), "utf-8")
    print()
    print(markdown(results))
    for q in results.get("pages", {}).get("slow_queries", []):
        print(f"-- {q['ms']} ms: {q['sql'][:300]}")
        print("\n".join(q["plan"][:12]))
    print(f"Total {results['total_seconds']} s; results in {out}")
    if failed:
        print("\nFAILED CHECKS:")
        for line in failed:
            print(f"  - {line}")
        sys.exit(1)


if __name__ == "__main__":
    main()
