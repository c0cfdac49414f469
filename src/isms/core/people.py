"""People queries: search by name, furigana or employee number, in 50音順.

>>> search(Person.objects.all(), "ﾀｶﾊｼ")  # finds 髙橋 (タカハシ) and 高橋 (たかはし)

The query is folded like the stored ``Person.search_key`` (``core.kana.fold``): full-width and
half-width, hiragana and katakana, common 異体字 and spaces make no difference. Results are in
50音順 of the furigana (``Person.sort_key``), then by employee number.
"""

from __future__ import annotations

from django.db.models import QuerySet

from .kana import fold
from .models import Person

__all__ = ["MAX_QUERY_LENGTH", "search"]

MAX_QUERY_LENGTH = 100


def search(qs: QuerySet[Person], query: str) -> QuerySet[Person]:
    """Narrow ``qs`` to the people whose name, furigana or number contains ``query``."""
    folded = fold(query[:MAX_QUERY_LENGTH])
    if folded:
        qs = qs.filter(search_key__contains=folded)
    return qs.order_by("sort_key", "employee_number")
