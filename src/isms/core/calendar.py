"""Japanese calendar helpers: fiscal years (年度), 和暦 labels and business days.

>>> fiscal_year_of(datetime.date(2026, 3, 31)), fiscal_year_of(datetime.date(2026, 4, 1))
(2025, 2026)
>>> wareki_fiscal_year(2025)
'令和7年度'
>>> add_business_days(datetime.date(2025, 12, 26), 1)  # 12/29–1/3 closed, 1/4 is a Sunday
datetime.date(2026, 1, 5)

Holidays come from the maintained ``holidays`` package (国民の祝日, 振替休日, 国民の休日);
年末年始 (12/29–1/3) is added here because it is a closing period of 地方自治法 §4-2, not a holiday.
"""

from __future__ import annotations

import datetime
from functools import lru_cache

import holidays

FISCAL_YEAR_START_MONTH = 4

# (first day, era name); newest first. 令和N年 = 2018+N, 平成N年 = 1988+N.
_ERAS = (
    (datetime.date(2019, 5, 1), "令和"),
    (datetime.date(1989, 1, 8), "平成"),
    (datetime.date(1926, 12, 25), "昭和"),
)


def fiscal_year_of(day: datetime.date) -> int:
    """Return the fiscal year (April–March) that ``day`` falls in."""
    return day.year if day.month >= FISCAL_YEAR_START_MONTH else day.year - 1


def fiscal_year_bounds(fiscal_year: int) -> tuple[datetime.date, datetime.date]:
    """Return the first and last day (inclusive) of a fiscal year."""
    return datetime.date(fiscal_year, 4, 1), datetime.date(fiscal_year + 1, 3, 31)


def wareki_year(year: int, *, on: datetime.date | None = None) -> str:
    """Return the era label of a calendar year, e.g. 2025 → 令和7年 (元年 for the first year).

    ``on`` picks the era for years in which it changed (2019 is 平成31年 until 4/30).
    """
    day = on or datetime.date(year, 12, 31)
    for start, name in _ERAS:
        if day >= start:
            n = year - start.year + 1
            return f"{name}{'元' if n == 1 else n}年"
    return f"{year}年"


def wareki_fiscal_year(fiscal_year: int) -> str:
    """Return the label of a fiscal year, e.g. 2025 → 令和7年度.

    A fiscal year takes the era of its first day, except FY2019, which everyone calls 令和元年度
    although it began on 平成31年4月1日.
    """
    if fiscal_year == 2019:
        return "令和元年度"
    return wareki_year(fiscal_year, on=datetime.date(fiscal_year, 4, 1)) + "度"


def wareki_date(day: datetime.date) -> str:
    """Return ``day`` as 令和7年4月1日."""
    return f"{wareki_year(day.year, on=day)}{day.month}月{day.day}日"


@lru_cache(maxsize=64)
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("JP", years=year)


def is_year_end_closure(day: datetime.date) -> bool:
    """Return whether ``day`` is in 年末年始 (12/29–1/3)."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def is_business_day(day: datetime.date) -> bool:
    """Return whether a municipal office is open on ``day`` (not 土日祝, not 年末年始)."""
    return day.weekday() < 5 and not is_year_end_closure(day) and day not in _holidays(day.year)


def add_business_days(start: datetime.date, days: int) -> datetime.date:
    """Return the date ``days`` business days after ``start`` (before it if negative)."""
    step = 1 if days >= 0 else -1
    day, remaining = start, abs(days)
    while remaining:
        day += datetime.timedelta(days=step)
        if is_business_day(day):
            remaining -= 1
    return day


def business_days_between(start: datetime.date, end: datetime.date) -> int:
    """Return the number of business days after ``start`` up to and including ``end``."""
    if end < start:
        return -business_days_between(end, start)
    return sum(
        1
        for n in range(1, (end - start).days + 1)
        if is_business_day(start + datetime.timedelta(days=n))
    )
