"""Fiscal years, 和暦 labels and business days."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from isms.core.calendar import (
    add_business_days,
    business_days_between,
    fiscal_year_bounds,
    fiscal_year_of,
    is_business_day,
    wareki_date,
    wareki_fiscal_year,
    wareki_year,
)


@pytest.mark.parametrize(
    ("day", "fy"),
    [
        (dt.date(2025, 3, 31), 2024),
        (dt.date(2025, 4, 1), 2025),
        (dt.date(2025, 12, 31), 2025),
        (dt.date(2026, 1, 1), 2025),
    ],
)
def test_fiscal_year_runs_april_to_march(day, fy):
    assert fiscal_year_of(day) == fy


@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_every_day_lies_within_the_bounds_of_its_fiscal_year(day):
    lo, hi = fiscal_year_bounds(fiscal_year_of(day))
    assert lo <= day <= hi
    assert (hi - lo).days in (364, 365)


@pytest.mark.parametrize(
    ("fy", "label"),
    [
        (2025, "令和7年度"),
        (2019, "令和元年度"),
        (2020, "令和2年度"),
        (2018, "平成30年度"),
        (1989, "平成元年度"),
    ],
)
def test_wareki_fiscal_year(fy, label):
    assert wareki_fiscal_year(fy) == label


def test_wareki_year_changes_era_on_the_day():
    assert wareki_year(2019, on=dt.date(2019, 4, 30)) == "平成31年"
    assert wareki_year(2019, on=dt.date(2019, 5, 1)) == "令和元年"
    assert wareki_date(dt.date(2025, 4, 1)) == "令和7年4月1日"


@pytest.mark.parametrize(
    ("day", "open_"),
    [
        (dt.date(2025, 11, 3), False),  # 文化の日 (holiday from the holidays package)
        (dt.date(2025, 11, 24), False),  # 振替休日 for 勤労感謝の日 on a Sunday
        (dt.date(2025, 12, 29), False),  # 年末年始
        (dt.date(2026, 1, 2), False),
        (dt.date(2026, 1, 5), True),
        (dt.date(2025, 11, 29), False),  # Saturday
        (dt.date(2025, 11, 25), True),
    ],
)
def test_business_days_skip_weekends_holidays_and_year_end(day, open_):
    assert is_business_day(day) is open_


def test_add_business_days_over_the_year_end():
    assert add_business_days(dt.date(2025, 12, 26), 1) == dt.date(2026, 1, 5)
    assert add_business_days(dt.date(2026, 1, 5), -1) == dt.date(2025, 12, 26)
    assert add_business_days(dt.date(2025, 12, 26), 0) == dt.date(2025, 12, 26)


@given(
    st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31)),
    st.integers(min_value=0, max_value=60),
)
def test_adding_n_business_days_spans_n_business_days(start, n):
    end = add_business_days(start, n)
    assert business_days_between(start, end) == n
    assert n == 0 or is_business_day(end)
