"""The 4/1 人事異動: carrying role assignments into the next fiscal year, and the warnings."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from isms.core import services
from isms.core.calendar import fiscal_year_bounds, fiscal_year_of
from isms.core.models import JournalEntry, OrgUnit, RoleAssignment
from isms.core.personnel import WarningKind, carry_over_roles, role_warnings
from isms.core.reorganisation import merge_org_units
from isms.core.roles import Role
from tests.support.factories import make_person, make_unit

MANAGER = Role.DIVISION_SECURITY_MANAGER


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _year() -> int:
    return fiscal_year_of(timezone.localdate())


def _next_year_rows(m, year):
    lo, hi = fiscal_year_bounds(year)
    return sorted(
        RoleAssignment.objects.filter(municipality=m, start_date=lo, end_date=hi).values_list(
            "person__family_name", "role", "org_unit__name"
        )
    )


def test_carry_over_copies_the_year_into_the_next_in_one_journal_batch(tsuru):
    """Given this year's assignments, when carried over, then each is copied into next year
    with one journal entry per assignment plus one for the run, all in one batch."""
    # given
    m, year = tsuru.municipality, _year()
    unit = make_unit(m, "税務課", parent=tsuru.bureau)
    tanaka = make_person(m, unit=unit, family="田中")
    services.assign_role(None, tanaka, MANAGER, org_unit=unit, fiscal_year=year)
    before = JournalEntry.objects.count()

    # when
    result = carry_over_roles(tsuru.admin, m, from_year=year)

    # then
    assert _next_year_rows(m, year + 1) == [
        ("山田", "lead_security_officer", None),
        ("田中", "division_security_manager", "税務課"),
    ]
    assert result.skipped == []
    entries = list(JournalEntry.objects.order_by("seq")[before:])
    assert [e.action for e in entries] == [
        "role_assignment.carry_over",
        "role_assignment.carry_over",
        "role_assignment.carry_over_year",
    ]
    assert len({e.at for e in entries}) == 1
    assert entries[-1].after == {
        "from_year": year,
        "to_year": year + 1,
        "created": 2,
        "skipped": [],
    }


def test_carry_over_twice_changes_nothing_the_second_time(tsuru):
    """Given a year carried over, when run again, then no assignment is added."""
    m, year = tsuru.municipality, _year()
    carry_over_roles(tsuru.admin, m, from_year=year)
    count = RoleAssignment.objects.count()

    result = carry_over_roles(tsuru.admin, m, from_year=year)

    assert (result.created, result.skipped, RoleAssignment.objects.count()) == ([], [], count)


def test_carry_over_skips_leavers_and_abolished_units(tsuru):
    """Given a leaver and a unit merged away on next 4/1, when carried over, then both are
    skipped with their reasons and the rest is copied."""
    # given
    m, year = tsuru.municipality, _year() - 1
    leaver = make_person(m, unit=tsuru.unit, family="退職")
    services.update_person(tsuru.admin, leaver, employment_end=datetime.date(year + 1, 3, 31))
    services.assign_role(None, leaver, MANAGER, org_unit=tsuru.unit, fiscal_year=year)
    old_unit = make_unit(m, "旧課", parent=tsuru.bureau)
    keeper = make_person(m, unit=old_unit, family="継続")
    services.assign_role(None, keeper, MANAGER, org_unit=old_unit, fiscal_year=year)
    merge_org_units(
        tsuru.admin, old_unit, into=tsuru.unit, effective_date=datetime.date(year + 1, 4, 1)
    )
    staff = make_person(m, unit=tsuru.unit, family="担当")
    services.assign_role(None, staff, Role.SYSTEM_STAFF, org_unit=tsuru.unit, fiscal_year=year)

    # when
    result = carry_over_roles(tsuru.admin, m, from_year=year)

    # then
    assert [a.person.family_name for a in result.created] == ["担当"]
    assert sorted((a.person.family_name, reason) for a, reason in result.skipped) == [
        ("継続", f"旧課 was abolished on {year + 1}-04-01."),
        ("退職", f"{leaver} has left by {year + 1}-04-01."),
    ]


def test_carry_over_skips_the_actors_own_role(tsuru):
    """Given the lead's own role this year, when the lead carries over, then it is skipped:
    nobody grants a role to themself (兼務の禁止)."""
    # when
    result = carry_over_roles(tsuru.lead, tsuru.municipality, from_year=_year())

    # then
    lead_person = tsuru.lead.person
    assert result.created == []
    assert [(a.person, reason) for a, reason in result.skipped] == [
        (
            lead_person,
            f"{lead_person} cannot approve their own request (兼務の禁止). Ask another "
            "approver, or have the CISO record an exception with its reason.",
        )
    ]


def test_staff_cannot_carry_over(tsuru):
    """Given a plain member of staff, then carry-over is refused and nothing is written."""
    before = (RoleAssignment.objects.count(), JournalEntry.objects.count())
    with pytest.raises(PermissionDenied):
        carry_over_roles(tsuru.staff, tsuru.municipality, from_year=_year())
    assert (RoleAssignment.objects.count(), JournalEntry.objects.count()) == before


def test_warnings_name_units_without_a_manager_leavers_and_conflicts(tsuru):
    """Given a 課 without a manager, a role held by a leaver and an auditor who manages a unit,
    then each is warned about, in that order."""
    # given
    m, year = tsuru.municipality, _year()
    managed = make_unit(m, "税務課", parent=tsuru.bureau)
    auditor = make_person(m, unit=managed, family="監査")
    services.assign_role(None, auditor, MANAGER, org_unit=managed, fiscal_year=year)
    services.assign_role(None, auditor, Role.AUDITOR, fiscal_year=year)
    leaver = make_person(m, unit=tsuru.unit, family="退職")
    services.assign_role(None, leaver, Role.SYSTEM_STAFF, org_unit=tsuru.unit, fiscal_year=year)
    services.update_person(tsuru.admin, leaver, is_active=False)

    # when
    warnings = role_warnings(m, year)

    # then
    assert [(w.kind, w.message) for w in warnings] == [
        (
            WarningKind.NO_MANAGER,
            f"{tsuru.unit.name} has no information security manager in this fiscal year.",
        ),
        (
            WarningKind.HOLDER_LEFT,
            f"{leaver} holds the role Information system staff but has left. End the assignment.",
        ),
        (
            WarningKind.CONFLICT,
            f"{auditor} is both Auditor and Information security manager for 税務課 "
            "(兼務の禁止): they cannot audit their own unit.",
        ),
    ]
    assert OrgUnit.objects.filter(kind=OrgUnit.Kind.DIVISION, municipality=m).count() == 2
