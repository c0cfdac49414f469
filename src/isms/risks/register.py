"""Questions the risk register answers (read-only): heat map, top risks, by unit and segment,
changes since the last fiscal year, the yearly summary. Each takes a queryset already narrowed
to what the user sees, and runs a fixed number of queries whatever the number of risks.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from .models import LEVEL_RANK, Risk, RiskLevel, RiskSettings

__all__ = [
    "Changes",
    "HeatMap",
    "analysis_summary",
    "by_segment",
    "by_unit",
    "changes_since_last_year",
    "heat_map",
    "open_high_risks",
    "top_risks",
]

HIGH_LEVELS = (RiskLevel.HIGH, RiskLevel.VERY_HIGH)
TOP = 10


@dataclass(frozen=True)
class Cell:
    likelihood: int
    impact: int
    count: int
    level: str


@dataclass(frozen=True)
class HeatMap:
    """Counts per likelihood × impact; ``rows`` from the highest likelihood down."""

    likelihood_levels: list[dict[str, Any]]
    impact_levels: list[dict[str, Any]]
    rows: list[list[Cell]]
    total: int
    basis: str


def heat_map(qs: QuerySet[Risk], settings: RiskSettings, *, basis: str = "current") -> HeatMap:
    """Count the risks per cell: ``current`` (residual once treated) or ``inherent``."""
    from . import scales

    like, imp = (
        ("likelihood", "impact")
        if basis == "inherent"
        else ("current_likelihood", "current_impact")
    )
    counts = {
        (r[like], r[imp]): r["n"] for r in qs.order_by().values(like, imp).annotate(n=Count("pk"))
    }
    rows = []
    for lv in reversed(settings.likelihood_levels):
        rows.append(
            [
                Cell(
                    likelihood=lv["value"],
                    impact=iv["value"],
                    count=counts.get((lv["value"], iv["value"]), 0),
                    level=scales.risk_level(lv["value"], iv["value"], settings.bands),
                )
                for iv in settings.impact_levels
            ]
        )
    return HeatMap(
        likelihood_levels=settings.likelihood_levels,
        impact_levels=settings.impact_levels,
        rows=rows,
        total=sum(counts.values()),
        basis=basis,
    )


def top_risks(qs: QuerySet[Risk], n: int = TOP) -> list[Risk]:
    """The ``n`` highest current risks (score, then inherent score)."""
    return list(
        qs.select_related("asset", "asset_group", "threat", "owning_unit", "owner").order_by(
            "-current_score", "-likelihood", "pk"
        )[:n]
    )


def _level_counts(qs: QuerySet[Risk], key: str) -> list[dict[str, Any]]:
    rows: dict[Any, dict[str, Any]] = {}
    values = [key, "owning_unit__name"] if key == "owning_unit_id" else [key]
    for r in qs.order_by().values(*values, "current_level").annotate(n=Count("pk")):
        row = rows.setdefault(
            r[key],
            {"key": r[key], "name": r.get("owning_unit__name", ""), "total": 0}
            | {level: 0 for level in RiskLevel.values},
        )
        row[r["current_level"]] += r["n"]
        row["total"] += r["n"]
    return sorted(
        rows.values(),
        key=lambda row: (
            -row["very_high"],
            -row["high"],
            -row["total"],
            str(row["name"] or row["key"]),
        ),
    )


def by_unit(qs: QuerySet[Risk]) -> list[dict[str, Any]]:
    """Counts per owning unit and current level, units with most very high risks first."""
    return _level_counts(qs, "owning_unit_id")


def by_segment(qs: QuerySet[Risk]) -> list[dict[str, Any]]:
    """Counts per network segment (empty: no segment, or an asset group) and current level."""
    return _level_counts(qs, "segment")


def open_high_risks(qs: QuerySet[Risk]) -> QuerySet[Risk]:
    """High and very high current risks whose residual risk is not accepted."""
    return qs.filter(current_level__in=HIGH_LEVELS).exclude(status=Risk.Status.ACCEPTED)


@dataclass
class Changes:
    """The risks of a year compared with the year before (same subject, threat, vulnerability)."""

    fiscal_year: int
    new: int = 0
    gone: int = 0
    raised: int = 0
    lowered: int = 0
    unchanged: int = 0
    raised_ids: list[int] = field(default_factory=list)
    new_high_ids: list[int] = field(default_factory=list)


def changes_since_last_year(qs: QuerySet[Risk], fiscal_year: int) -> Changes:
    """Compare ``fiscal_year`` with the year before: new, gone, raised and lowered risks."""
    rows = (
        qs.filter(fiscal_year__in=(fiscal_year - 1, fiscal_year))
        .order_by()
        .values_list(
            "pk",
            "fiscal_year",
            "current_level",
            "asset_id",
            "asset_group_id",
            "threat_id",
            "vulnerability_id",
        )
    )
    before: dict[tuple[Any, ...], int] = {}
    now: dict[tuple[Any, ...], tuple[int, str]] = {}
    for pk, year, level, *key in rows:
        if year == fiscal_year:
            now[tuple(key)] = (pk, level)
        else:
            before[tuple(key)] = LEVEL_RANK[level]
    result = Changes(fiscal_year=fiscal_year)
    for key, (pk, level) in now.items():
        old = before.get(key)
        rank = LEVEL_RANK[level]
        if old is None:
            result.new += 1
            if level in HIGH_LEVELS:
                result.new_high_ids.append(pk)
        elif rank > old:
            result.raised += 1
            result.raised_ids.append(pk)
        elif rank < old:
            result.lowered += 1
        else:
            result.unchanged += 1
    result.gone = sum(1 for key in before if key not in now)
    return result


def analysis_summary(qs: QuerySet[Risk], fiscal_year: int) -> dict[str, Any]:
    """The figures a ``RiskAnalysis`` keeps: counts by level and status, and the changes."""
    year = qs.filter(fiscal_year=fiscal_year)
    levels = Counter(dict(year.order_by().values_list("current_level").annotate(n=Count("pk"))))
    statuses = Counter(dict(year.order_by().values_list("status").annotate(n=Count("pk"))))
    changes = changes_since_last_year(qs, fiscal_year)
    open_high = open_high_risks(year).aggregate(
        n=Count("pk"), untreated=Count("pk", filter=Q(treatment=""))
    )
    return {
        "fiscal_year": fiscal_year,
        "total": sum(levels.values()),
        "by_level": {level: levels.get(level, 0) for level in RiskLevel.values},
        "by_status": {status: statuses.get(status, 0) for status in Risk.Status.values},
        "open_high": open_high["n"],
        "open_high_untreated": open_high["untreated"],
        "changes": {
            "new": changes.new,
            "gone": changes.gone,
            "raised": changes.raised,
            "lowered": changes.lowered,
            "unchanged": changes.unchanged,
        },
    }
