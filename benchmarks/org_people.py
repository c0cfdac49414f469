"""People list/search at 30,000 people: folded search vs the bare ORM fetch of one page.

Run standalone (not wired into benchmarks/run.py):

    ISMS_DATA_DIR=/tmp/bench-org .venv/bin/python -m benchmarks.org_people
    DATABASE_URL=postgres://... .venv/bin/python -m benchmarks.org_people

Creates 30,000 people in a scratch municipality (bulk insert with their folded keys), then
measures the median time and query count of (a) the baseline: one page of 50 people ordered by
primary key, (b) the staff list's first page in 50音順, (c) a folded search (half-width kana
query). Ratios are against the baseline of the same run.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from benchmarks import env

PEOPLE = 30_000
RUNS = 21
PAGE = 50
FAMILY = [
    ("髙橋", "たかはし"),
    ("高﨑", "タカサキ"),
    ("齋藤", "ｻｲﾄｳ"),
    ("渡邊", "わたなべ"),
    ("山田", "ヤマダ"),
]
GIVEN = [("一郎", "イチロウ"), ("花子", "はなこ"), ("健", "ケン"), ("直子", "ナオコ")]


def _measure(fn: Any) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    queries = 0
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        queries = len(ctx.captured_queries)
    return statistics.median(times) * 1000, queries


def main() -> None:
    env.setup()
    env.migrate()
    from django.db import transaction

    from isms.core import people, services
    from isms.core.models import Municipality, Person

    m = Municipality.objects.filter(code="192091").first() or services.create_municipality(
        None, code="192091", name="北杜市"
    )
    if not Person.objects.filter(municipality=m).exists():
        batch = []
        for i in range(PEOPLE):
            family, family_kana = FAMILY[i % len(FAMILY)]
            given, given_kana = GIVEN[(i // 7) % len(GIVEN)]
            p = Person(
                municipality=m,
                employee_number=f"B{i:06d}",
                family_name=family,
                given_name=given,
                family_name_kana=family_kana,
                given_name_kana=given_kana,
                staff_category=Person.StaffCategory.REGULAR,
            )
            p.refresh_keys()
            batch.append(p)
        with transaction.atomic():
            Person.objects.bulk_create(batch, batch_size=1000)
    base_qs = Person.objects.filter(municipality=m)
    baseline = _measure(lambda: list(base_qs.order_by("pk")[:PAGE]))
    listing = _measure(lambda: list(people.search(base_qs, "")[:PAGE]))
    search = _measure(lambda: list(people.search(base_qs, "ﾀｶﾊｼ ｲﾁﾛｳ")[:PAGE]))
    result = {
        "database": env.database_label(),
        "people": Person.objects.filter(municipality=m).count(),
        "baseline_ms": round(baseline[0], 3),
        "list_50on_ms": round(listing[0], 3),
        "list_ratio": round(listing[0] / baseline[0], 2),
        "search_ms": round(search[0], 3),
        "search_ratio": round(search[0] / baseline[0], 2),
        "queries": {"baseline": baseline[1], "list": listing[1], "search": search[1]},
    }
    env.write_json(None, result)


if __name__ == "__main__":
    main()
