"""Questions about the organisation on a past day or fiscal year (組織改正 history).

>>> holders_in(m, Role.DIVISION_SECURITY_MANAGER, unit_name="税務課", fiscal_year=2024)
[<RoleAssignment: 田中 誠 – 情報セキュリティ管理者>]

All reads: callers scope the municipality through ``permissions`` first. Each function runs a
fixed number of queries whatever the size of the organisation.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from .calendar import fiscal_year_bounds
from .models import Municipality, OrgUnit, OrgUnitSuccession, OrgUnitVersion, RoleAssignment
from .roles import Role

__all__ = [
    "UnitHistory",
    "holders_in",
    "names_on",
    "unit_history",
    "units_named",
    "version_on",
]


def _covering(day: datetime.date) -> Q:
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=day)) & (
        Q(valid_to__isnull=True) | Q(valid_to__gte=day)
    )


def _overlapping(lo: datetime.date, hi: datetime.date) -> Q:
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=hi)) & (
        Q(valid_to__isnull=True) | Q(valid_to__gte=lo)
    )


def version_on(unit: OrgUnit, day: datetime.date) -> OrgUnitVersion | None:
    """Return the version of ``unit`` that applied on ``day`` (None: it did not exist then)."""
    return OrgUnitVersion.objects.filter(org_unit=unit).filter(_covering(day)).first()


def names_on(unit_ids: Iterable[int], day: datetime.date) -> dict[int, str]:
    """Return the name each unit had on ``day`` (units that did not exist then are left out)."""
    rows = OrgUnitVersion.objects.filter(org_unit_id__in=list(unit_ids)).filter(_covering(day))
    return dict(rows.values_list("org_unit_id", "name"))


def units_named(
    municipality: Municipality | int, name: str, *, fiscal_year: int
) -> QuerySet[OrgUnit]:
    """Return the units that were called ``name`` at any time during ``fiscal_year``."""
    lo, hi = fiscal_year_bounds(fiscal_year)
    mid = municipality.pk if isinstance(municipality, Municipality) else municipality
    ids = (
        OrgUnitVersion.objects.filter(municipality_id=mid, name=name.strip())
        .filter(_overlapping(lo, hi))
        .values("org_unit_id")
    )
    return OrgUnit.objects.filter(pk__in=ids)


def holders_in(
    municipality: Municipality | int, role: Role | str, *, unit_name: str, fiscal_year: int
) -> list[RoleAssignment]:
    """Return who held ``role`` for the unit called ``unit_name`` during ``fiscal_year``.

    The unit is found by the name it had *then* (a renamed or merged unit is still found), and
    an assignment counts when it overlaps both the fiscal year and the period of that name.
    """
    lo, hi = fiscal_year_bounds(fiscal_year)
    mid = municipality.pk if isinstance(municipality, Municipality) else municipality
    versions = list(
        OrgUnitVersion.objects.filter(municipality_id=mid, name=unit_name.strip()).filter(
            _overlapping(lo, hi)
        )
    )
    if not versions:
        return []
    match = Q(pk__in=[])
    for v in versions:
        start = max(lo, v.valid_from) if v.valid_from else lo
        end = min(hi, v.valid_to) if v.valid_to else hi
        match |= Q(org_unit_id=v.org_unit_id, start_date__lte=end) & (
            Q(end_date__isnull=True) | Q(end_date__gte=start)
        )
    return list(
        RoleAssignment.objects.filter(municipality_id=mid, role=role)
        .filter(match)
        .select_related("person", "org_unit")
        .order_by("start_date", "pk")
    )


@dataclass(frozen=True)
class UnitHistory:
    """Everything the org unit page shows about a unit's past."""

    versions: list[OrgUnitVersion]
    predecessors: list[OrgUnitSuccession]
    successors: list[OrgUnitSuccession]


def unit_history(unit: OrgUnit) -> UnitHistory:
    """Return the versions of ``unit`` (newest first) and its succession links."""
    versions = list(OrgUnitVersion.objects.filter(org_unit=unit).select_related("parent", "change"))
    # Newest first; the open version (valid_to empty) on top, whatever the database's NULL order.
    versions.sort(key=lambda v: (v.valid_to is None, v.valid_to or datetime.date.min), reverse=True)
    links = OrgUnitSuccession.objects.select_related("change", "predecessor", "successor")
    return UnitHistory(
        versions=versions,
        predecessors=list(links.filter(successor=unit)),
        successors=list(links.filter(predecessor=unit)),
    )
