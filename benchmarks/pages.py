"""Query counts and response times of the list pages as the lists grow.

    ISMS_DATA_DIR=/tmp/bench .venv/bin/python -m benchmarks.pages           # SQLite
    DATABASE_URL=postgres://… .venv/bin/python -m benchmarks.pages          # PostgreSQL

Generates (into an empty database) one municipality each of 100, 1,000 and 10,000 people, plus
27 small ones for the service-administrator case, then requests each page with Django's test
client, logged in as that municipality's CISO (a person holding the role, not an administrator
flag, so the role lookup is exercised). For every page and size it records the number of SQL
queries of one request and the median and minimum time of ``--repeat`` requests after
``--warmup`` untimed ones.

A page is fine when its query count is the same for every size (no N+1) and its time grows far
slower than the list: the paginated lists should stay near 1x from 100 to 10,000 people. The org
chart is a whole tree by design, so its time grows with the number of org units while its query
count must not.

The service-administrator case requests the same pages as a prefecture operator who manages 1,
10 or 30 municipalities (each granting access to personal data), looking at the same
100-person municipality: query counts must not grow with the number of municipalities managed.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from benchmarks import env
from benchmarks.generate import Generated, generate, specs_for

SIZES = (100, 1_000, 10_000)
SERVICE_ADMIN_SCOPES = (1, 10, 30)
SMALL_MUNICIPALITY_PEOPLE = 20


@dataclass
class Measurement:
    """One page at one size."""

    page: str
    size: int
    status: int
    queries: int
    median_ms: float
    min_ms: float
    bytes: int


@dataclass(frozen=True)
class Target:
    """One page at one size: the client (logged in) and what to request."""

    size: int
    client: Any
    url: str
    headers: dict[str, str]


def measure(
    page: str, targets: Sequence[Target], *, warmup: int, repeat: int
) -> tuple[list[Measurement], dict[str, list[str]]]:
    """Measure one page at every size, interleaving the sizes request by request.

    Interleaving spreads whatever else the machine does evenly over the sizes, so their ratio
    stays meaningful on a busy machine. The query count (and SQL) come from one extra request
    per size, so that capturing queries does not slow the timed ones.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = {}
    sql = {}
    for t in targets:
        for _ in range(warmup):
            t.client.get(t.url, headers=t.headers)
        with CaptureQueriesContext(connection) as ctx:
            first[t.size] = t.client.get(t.url, headers=t.headers)
        sql[f"{page} @ {t.size}"] = [q["sql"] for q in ctx.captured_queries]
    times: dict[int, list[float]] = {t.size: [] for t in targets}
    for _ in range(repeat):
        for t in targets:
            started = time.perf_counter()
            t.client.get(t.url, headers=t.headers)
            times[t.size].append(time.perf_counter() - started)
    results = [
        Measurement(
            page=page,
            size=t.size,
            status=first[t.size].status_code,
            queries=len(sql[f"{page} @ {t.size}"]),
            median_ms=round(statistics.median(times[t.size]) * 1000, 2),
            min_ms=round(min(times[t.size]) * 1000, 2),
            bytes=len(first[t.size].content),
        )
        for t in targets
    ]
    return results, sql


def _pages(g: Generated, fiscal_year: int) -> list[tuple[str, str, bool]]:
    """Return (name, url, is_api) of the pages measured for one municipality."""
    from isms.core.models import OrgUnit, Person

    last_page = max(1, -(-g.people // 50))
    # The CISO holds roles in all three fiscal years: the detail page shows them all.
    person = Person.objects.get(user__username=g.ciso_username)
    division = OrgUnit.objects.get(pk=g.division_ids[0])
    roles_api = f"/api/v1/role-assignments?limit=50&fiscal_year={fiscal_year}"
    return [
        ("dashboard", "/", False),
        ("people list", "/organisation/people/", False),
        ("people list, last page", f"/organisation/people/?page={last_page}", False),
        ("people search (佐藤)", "/organisation/people/?q=佐藤", False),
        ("person detail (CISO)", f"/organisation/people/{person.pk}/", False),
        ("org chart", "/organisation/org-units/", False),
        ("org unit detail (課)", f"/organisation/org-units/{division.pk}/", False),
        ("role assignments", "/organisation/roles/", False),
        ("journal", "/organisation/journal/", False),
        ("API people", "/api/v1/people?limit=50", True),
        ("API org units", "/api/v1/org-units?limit=50", True),
        ("API role assignments", roles_api, True),
    ]


def _client_for(user: Any, municipality_id: int | None = None) -> tuple[Any, dict[str, str]]:
    from django.test import Client

    from isms.core import services
    from isms.core.middleware import SESSION_MUNICIPALITY

    client = Client(raise_request_exception=False)
    client.force_login(user)
    if municipality_id is not None:
        session = client.session
        session[SESSION_MUNICIPALITY] = municipality_id
        session.save()
    _token, raw = services.issue_api_token(user, name="benchmark")
    return client, {"Authorization": f"Bearer {raw}"}


def _run_pages(
    made: Sequence[Generated], *, warmup: int, repeat: int, fiscal_year: int
) -> tuple[list[Measurement], dict[str, list[str]]]:
    from isms.core.models import User

    by_page: dict[str, list[Target]] = {}
    for g in made:
        client, token = _client_for(User.objects.get(username=g.ciso_username))
        for name, url, is_api in _pages(g, fiscal_year):
            target = Target(g.people, client, url, token if is_api else {})
            by_page.setdefault(name, []).append(target)
    return _measure_all(by_page, warmup=warmup, repeat=repeat)


def _measure_all(
    by_page: dict[str, list[Target]], *, warmup: int, repeat: int
) -> tuple[list[Measurement], dict[str, list[str]]]:
    results: list[Measurement] = []
    sql: dict[str, list[str]] = {}
    for page, targets in by_page.items():
        measured, statements = measure(page, targets, warmup=warmup, repeat=repeat)
        results += measured
        sql.update(statements)
    return results, sql


def _run_service_admin(
    made: Sequence[Generated], *, warmup: int, repeat: int
) -> tuple[list[Measurement], dict[str, list[str]]]:
    """Same pages, as a service administrator managing more and more municipalities."""
    from isms.core import services
    from isms.core.models import Municipality, User

    target = made[0]  # the 100-person municipality
    others = [g for g in made if g is not target]
    for g in made:
        admin = User.objects.get(username=g.admin_username)
        services.set_service_access(
            admin,
            Municipality.objects.get(pk=g.municipality_id),
            sensitive_access=True,
            reason="benchmark",
        )
    pages = [
        ("dashboard", "/", False),
        ("people list", "/organisation/people/", False),
        ("org chart", "/organisation/org-units/", False),
        ("API people", "/api/v1/people?limit=50", True),
    ]
    by_page: dict[str, list[Target]] = {}
    for scope in SERVICE_ADMIN_SCOPES:
        user = services.create_user(
            None, username=f"service-admin-{scope}", password=None, municipality=None
        )
        user.is_service_admin = True
        user.save(update_fields=["is_service_admin"])
        managed = [target, *others[: scope - 1]]
        user.managed_municipalities.set([g.municipality_id for g in managed])
        client, token = _client_for(user, target.municipality_id)
        for name, url, is_api in pages:
            by_page.setdefault(name, []).append(Target(scope, client, url, token if is_api else {}))
    results, sql = _measure_all(by_page, warmup=warmup, repeat=repeat)
    return results, {f"service admin {k}": v for k, v in sql.items()}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pages", description=__doc__)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--json", help="write the results here (for benchmarks.run)")
    parser.add_argument("--sql", action="store_true", help="include each page's SQL in the JSON")
    args = parser.parse_args(argv)

    env.setup()
    import logging

    from django.utils import timezone

    from isms.core.calendar import fiscal_year_of
    from isms.core.models import Municipality

    env.migrate()
    if Municipality.objects.exists():
        parser.error("benchmarks.pages needs an empty database")
    # A failing page is reported by its status in the results, not by a traceback per request.
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    started = time.perf_counter()
    sized = generate(specs_for(SIZES))
    small = generate(specs_for([SMALL_MUNICIPALITY_PEOPLE] * 27, first=len(SIZES)))
    generated_s = time.perf_counter() - started

    fy = fiscal_year_of(timezone.localdate())
    pages, sql = _run_pages(sized, warmup=args.warmup, repeat=args.repeat, fiscal_year=fy)
    admin, admin_sql = _run_service_admin(
        [sized[0], *small, *sized[1:]], warmup=args.warmup, repeat=args.repeat
    )
    result: dict[str, Any] = {
        "database": env.database_label(),
        "generate_seconds": round(generated_s, 1),
        "warmup": args.warmup,
        "repeat": args.repeat,
        "municipalities": [
            {
                "people": g.people,
                "org_units": g.org_units,
                "role_assignments": g.role_assignments,
                "journal_entries": g.journal_entries,
            }
            for g in sized
        ],
        "pages": [asdict(m) for m in pages],
        "service_admin": [asdict(m) for m in admin],
    }
    if args.sql:
        result["sql"] = {**sql, **admin_sql}
    env.write_json(args.json, result)


if __name__ == "__main__":
    main()
