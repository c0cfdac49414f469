"""組織改正 history: rename, move, merge, split and abolish, and questions about the past.

Messages are compared in English so that they do not depend on the Japanese catalog.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from isms.core import history, services
from isms.core.calendar import fiscal_year_of
from isms.core.models import (
    JournalEntry,
    OrgChange,
    OrgUnit,
    OrgUnitSuccession,
    OrgUnitVersion,
    Person,
)
from isms.core.reorganisation import (
    abolish_org_unit,
    merge_org_units,
    reorganise_org_unit,
    split_org_unit,
)
from isms.core.roles import Role
from tests.support.factories import make_person, make_unit

MANAGER = Role.DIVISION_SECURITY_MANAGER


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _this_year() -> int:
    return fiscal_year_of(timezone.localdate())


def _april_first() -> datetime.date:
    return datetime.date(_this_year(), 4, 1)


def test_a_new_unit_has_one_open_version_since_before_records(tsuru):
    """Given a new unit, then it has one version, open at both ends, with its details."""
    # given / when
    unit = make_unit(tsuru.municipality, "税務課", parent=tsuru.bureau, code="220")

    # then
    versions = list(OrgUnitVersion.objects.filter(org_unit=unit))
    assert [(v.valid_from, v.valid_to, v.name, v.code, v.parent_id) for v in versions] == [
        (None, None, "税務課", "220", tsuru.bureau.pk)
    ]


def test_a_correction_rewrites_the_current_version_in_place(tsuru):
    """Given a unit, when its name is corrected, then the open version carries the new name."""
    # given
    unit = make_unit(tsuru.municipality, "税物課", parent=tsuru.bureau)

    # when
    services.update_org_unit(tsuru.lead, unit, name="税務課")

    # then
    assert list(OrgUnitVersion.objects.filter(org_unit=unit).values_list("name", "valid_to")) == [
        ("税務課", None)
    ]


def test_a_rename_keeps_the_old_name_for_the_days_before_it(tsuru):
    """Given 税務課, when renamed 課税課 on 4/1, then the day before it answers 税務課."""
    # given
    unit = make_unit(tsuru.municipality, "税務課", parent=tsuru.bureau)
    day = _april_first()

    # when
    result = reorganise_org_unit(
        tsuru.lead, unit, effective_date=day, reason="組織改正", name="課税課"
    )

    # then
    unit.refresh_from_db()
    assert unit.name == "課税課"
    assert history.version_on(unit, day - datetime.timedelta(days=1)).name == "税務課"
    assert history.version_on(unit, day).name == "課税課"
    assert result.change.kind == OrgChange.Kind.REORGANISE
    entry = JournalEntry.objects.filter(action="org_unit.reorganise").get()
    assert (entry.before["name"], entry.after["name"], entry.after["effective_date"]) == (
        "税務課",
        "課税課",
        day.isoformat(),
    )


def test_a_move_records_the_old_parent(tsuru):
    """Given a 課 under one 部, when moved to another 部, then its history has both parents."""
    # given
    other = make_unit(tsuru.municipality, "市民部", kind=OrgUnit.Kind.BUREAU)
    unit = make_unit(tsuru.municipality, "税務課", parent=tsuru.bureau)
    day = _april_first()

    # when
    reorganise_org_unit(tsuru.lead, unit, effective_date=day, parent=other)

    # then
    assert history.version_on(unit, day - datetime.timedelta(days=1)).parent_id == tsuru.bureau.pk
    assert history.version_on(unit, day).parent_id == other.pk


def test_who_was_the_manager_of_a_renamed_unit_last_year(tsuru):
    """Given 税務課 with its manager last year and renamed this 4/1, when asked by last year's
    name, then last year's manager is found, and this year's name finds nothing for last year."""
    # given
    unit = make_unit(tsuru.municipality, "税務課", parent=tsuru.bureau)
    last_year = _this_year() - 1
    tanaka = make_person(tsuru.municipality, unit=unit, family="田中", given="誠")
    held = services.assign_role(None, tanaka, MANAGER, org_unit=unit, fiscal_year=last_year)
    reorganise_org_unit(tsuru.lead, unit, effective_date=_april_first(), name="課税課")

    # when
    found = history.holders_in(
        tsuru.municipality, MANAGER, unit_name="税務課", fiscal_year=last_year
    )

    # then
    assert found == [held]
    assert (
        history.holders_in(tsuru.municipality, MANAGER, unit_name="課税課", fiscal_year=last_year)
        == []
    )


def test_a_merge_moves_people_ends_roles_and_links_the_units(tsuru):
    """Given 市民課 and 税務課 with people and a manager, when 税務課 merges into 市民課 on 4/1,
    then its people move, its manager's role ends on 3/31, it is abolished and linked, and
    last year's manager of 税務課 is still found."""
    # given
    m = tsuru.municipality
    into = make_unit(m, "市民課", parent=tsuru.bureau)
    absorbed = make_unit(m, "税務課", parent=tsuru.bureau)
    day = _april_first()
    staff = make_person(m, unit=absorbed, family="高橋", given="一")
    manager = make_person(m, unit=absorbed, family="田中", given="誠")
    held = services.assign_role(
        None, manager, MANAGER, org_unit=absorbed, start_date=day - datetime.timedelta(days=400)
    )

    # when
    result = merge_org_units(tsuru.lead, absorbed, into=into, effective_date=day, reason="統合")

    # then
    absorbed.refresh_from_db()
    held.refresh_from_db()
    assert absorbed.abolished_on == day
    assert set(Person.objects.filter(org_unit=into)) == {staff, manager}
    assert held.end_date == day - datetime.timedelta(days=1)
    assert result.moved_people == 2
    assert list(
        OrgUnitSuccession.objects.values_list("predecessor_id", "successor_id", "change__kind")
    ) == [(absorbed.pk, into.pk, "merge")]
    assert history.version_on(absorbed, day) is None
    assert history.holders_in(m, MANAGER, unit_name="税務課", fiscal_year=_this_year() - 1) == [
        held
    ]
    actions = list(
        JournalEntry.objects.filter(at__gte=result.change.created_at)
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["org_unit.merge", "role_assignment.end", "person.update", "person.update"]


def test_a_merge_of_a_unit_with_units_below_is_refused_and_changes_nothing(tsuru):
    """Given a 部 with a 課 below, when merged, then it is refused naming the 課, nothing saved."""
    # given
    m = tsuru.municipality
    other = make_unit(m, "市民部", kind=OrgUnit.Kind.BUREAU)
    journal_before = JournalEntry.objects.count()

    # when
    with pytest.raises(ValidationError) as err:
        merge_org_units(tsuru.lead, tsuru.bureau, into=other, effective_date=_april_first())

    # then
    assert err.value.message_dict == {
        "into": [
            f"{tsuru.bureau.name} still has the unit {tsuru.unit.name} below it. Move, merge or "
            "abolish the units below first."
        ]
    }
    tsuru.bureau.refresh_from_db()
    assert tsuru.bureau.abolished_on is None
    assert OrgChange.objects.count() == 0
    assert JournalEntry.objects.count() == journal_before


def test_a_unit_cannot_merge_into_itself(tsuru):
    """Given a unit, when merged into itself, then the target field says so."""
    with pytest.raises(ValidationError) as err:
        merge_org_units(tsuru.lead, tsuru.unit, into=tsuru.unit, effective_date=_april_first())
    assert err.value.message_dict == {
        "into": ["A unit cannot merge into itself. Choose another unit."]
    }


def test_abolishing_a_unit_with_people_is_refused(tsuru):
    """Given a unit with staff, when abolished, then it is refused: people would be orphaned."""
    # given
    person = Person.objects.filter(org_unit=tsuru.unit).order_by("pk").first()

    # when
    with pytest.raises(ValidationError) as err:
        abolish_org_unit(tsuru.lead, tsuru.unit, effective_date=_april_first())

    # then
    assert err.value.message_dict == {
        "effective_date": [
            f"{person} and possibly others still belong to {tsuru.unit.name}. Move them to "
            "another unit, or merge the unit instead of abolishing it."
        ]
    }
    assert OrgUnit.objects.get(pk=tsuru.unit.pk).abolished_on is None


def test_abolishing_an_empty_unit_closes_its_history(tsuru):
    """Given an empty unit, when abolished, then its last version ends the day before."""
    # given
    unit = make_unit(tsuru.municipality, "臨時課", parent=tsuru.bureau)
    day = _april_first()

    # when
    abolish_org_unit(tsuru.lead, unit, effective_date=day)

    # then
    assert list(
        OrgUnitVersion.objects.filter(org_unit=unit).values_list("valid_to", flat=True)
    ) == [day - datetime.timedelta(days=1)]
    assert OrgUnit.objects.get(pk=unit.pk).abolished_on == day


def test_an_abolished_unit_takes_no_new_role_or_edit(tsuru):
    """Given an abolished unit, then assigning a role for it or editing it is refused."""
    # given
    unit = make_unit(tsuru.municipality, "臨時課", parent=tsuru.bureau)
    day = _april_first()
    abolish_org_unit(tsuru.lead, unit, effective_date=day)
    person = make_person(tsuru.municipality, unit=tsuru.unit)

    # when / then
    with pytest.raises(ValidationError) as err:
        services.assign_role(None, person, MANAGER, org_unit=unit, fiscal_year=_this_year())
    assert err.value.message_dict == {
        "org_unit": [
            f"臨時課 was abolished on {day.isoformat()}: assign the role for its successor, or "
            "end the period before that day."
        ]
    }
    with pytest.raises(ValidationError) as err:
        services.update_org_unit(tsuru.lead, OrgUnit.objects.get(pk=unit.pk), name="別名")
    assert err.value.messages == [
        f"臨時課 was abolished on {day.isoformat()} and can no longer be changed; its history "
        "stays as it was."
    ]


def test_a_split_creates_a_unit_that_starts_on_the_day(tsuru):
    """Given a unit, when 収納課 is split off it on 4/1, then the new unit exists from 4/1 only."""
    # given
    unit = make_unit(tsuru.municipality, "税務課", parent=tsuru.bureau)
    day = _april_first()

    # when
    result = split_org_unit(tsuru.lead, unit, effective_date=day, new_code="221", new_name="収納課")

    # then
    new = result.units[1]
    assert (new.name, new.parent_id, new.code) == ("収納課", tsuru.bureau.pk, "221")
    assert history.version_on(new, day - datetime.timedelta(days=1)) is None
    assert history.version_on(new, day).name == "収納課"
    assert history.unit_history(new).predecessors[0].predecessor == unit


def test_a_change_in_the_future_or_before_the_last_change_is_refused(tsuru):
    """Given a unit renamed on 4/1, then a date in the future or on 4/1 again is refused."""
    # given
    unit = make_unit(tsuru.municipality, "税務課", parent=tsuru.bureau)
    day = _april_first()
    reorganise_org_unit(tsuru.lead, unit, effective_date=day, name="課税課")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    # when / then
    with pytest.raises(ValidationError) as err:
        reorganise_org_unit(tsuru.lead, unit, effective_date=tomorrow, name="税政課")
    assert err.value.message_dict == {
        "effective_date": [
            f"{tomorrow.isoformat()} is in the future. Enter a reorganisation on or after the "
            "day it takes effect."
        ]
    }
    with pytest.raises(ValidationError) as err:
        reorganise_org_unit(tsuru.lead, unit, effective_date=day, name="税政課")
    assert err.value.message_dict == {
        "effective_date": [
            f"課税課 last changed on {day.isoformat()}. A new change must take effect after "
            "that day."
        ]
    }
    assert OrgUnit.objects.get(pk=unit.pk).name == "課税課"


def test_a_rename_to_a_sibling_name_is_refused_on_the_name(tsuru):
    """Given two 課 under one 部, when one is renamed to the other's name, then it is refused."""
    unit = make_unit(tsuru.municipality, "税務課", parent=tsuru.bureau)
    with pytest.raises(ValidationError) as err:
        reorganise_org_unit(tsuru.lead, unit, effective_date=_april_first(), name=tsuru.unit.name)
    assert err.value.message_dict == {
        "name": [
            f"{tsuru.bureau.name} already has a unit named {tsuru.unit.name}. Choose another name."
        ]
    }
    assert OrgUnitVersion.objects.filter(org_unit=unit).count() == 1


def test_staff_cannot_reorganise(tsuru):
    """Given a plain member of staff, when they rename a unit, then PermissionDenied."""
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        reorganise_org_unit(tsuru.staff, tsuru.unit, effective_date=_april_first(), name="x")
    assert OrgChange.objects.count() == 0


def test_names_on_answers_what_units_were_called_then(tsuru):
    """Given a renamed unit, then names_on the day before gives the old name in one query."""
    unit = make_unit(tsuru.municipality, "税務課", parent=tsuru.bureau)
    day = _april_first()
    reorganise_org_unit(tsuru.lead, unit, effective_date=day, name="課税課")
    assert history.names_on([unit.pk], day - datetime.timedelta(days=1)) == {unit.pk: "税務課"}


def test_nobody_can_be_placed_in_an_abolished_unit(tsuru):
    """Given an abolished unit, when a person is moved into it, then the unit field says so."""
    # given
    unit = make_unit(tsuru.municipality, "臨時課", parent=tsuru.bureau)
    abolish_org_unit(tsuru.lead, unit, effective_date=_april_first())
    person = make_person(tsuru.municipality, unit=tsuru.unit)

    # when
    with pytest.raises(ValidationError) as err:
        services.update_person(tsuru.lead, person, org_unit=OrgUnit.objects.get(pk=unit.pk))

    # then
    assert err.value.message_dict == {
        "org_unit": ["臨時課 has been abolished. Choose a current unit."]
    }
    assert Person.objects.get(pk=person.pk).org_unit_id == tsuru.unit.pk
