"""Bad input to the core services: a clear message on the right field, nothing half-saved.

Every refusal is checked three ways: the exact message, keyed by the field to fix; no row added
or changed; no journal entry written. Messages are compared in English so that they do not
depend on the Japanese catalog.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from isms.core import services
from isms.core.calendar import fiscal_year_bounds
from isms.core.models import JournalEntry, Municipality, OrgUnit, Person, RoleAssignment
from isms.core.roles import Role
from isms.core.validators import lg_code_check_digit, validate_lg_code
from tests.support.factories import make_person, make_unit

FORMAT = (
    "The local government code must be 6 half-width digits (5 digits and a check digit), "
    "e.g. 192040."
)
PREFECTURE = "The first two digits of the local government code must be a prefecture code 01–47."


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _snapshot():
    """Everything a refused service call must leave as it was."""
    return (
        list(Municipality.objects.order_by("pk").values()),
        list(OrgUnit.objects.order_by("pk").values()),
        list(Person.objects.order_by("pk").values()),
        list(RoleAssignment.objects.order_by("pk").values()),
        JournalEntry.objects.count(),
    )


def _refused(call, errors):  # type: ignore[no-untyped-def]
    """Run ``call``; assert it raises ``errors`` (field → messages) and changed nothing."""
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        call()
    assert exc.value.message_dict == errors
    assert _snapshot() == before


# --- 全国地方公共団体コード ------------------------------------------------------------------

prefixes = st.builds(
    lambda pref, rest: f"{pref:02d}{rest:03d}",
    st.integers(min_value=1, max_value=47),
    st.integers(min_value=0, max_value=999),
)


@given(prefixes)
def test_every_prefix_with_a_prefecture_has_exactly_one_check_digit(prefix):
    """Of the ten codes prefix+0 … prefix+9, exactly one is accepted: the computed one."""
    accepted = []
    for digit in "0123456789":
        try:
            validate_lg_code(prefix + digit)
        except ValidationError as exc:
            assert exc.code == "lg_code_check_digit"
        else:
            accepted.append(digit)
    assert accepted == [str(lg_code_check_digit(prefix))]


@given(
    st.sampled_from([0, *range(48, 100)]),
    st.integers(min_value=0, max_value=9999),
)
def test_no_code_outside_the_47_prefectures_is_accepted(pref, rest):
    """00 and 48–99 are no prefecture, whatever follows."""
    code = f"{pref:02d}{rest:04d}"
    with pytest.raises(ValidationError) as exc:
        validate_lg_code(code)
    assert exc.value.code == "lg_code_prefecture"
    assert exc.value.messages == [PREFECTURE]


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("192040", "都留市"),
        ("192015", "甲府市"),
        ("131016", "千代田区"),
        ("011002", "札幌市"),
        ("472018", "那覇市"),
    ],
)
def test_real_codes_are_valid(code, name):
    """Codes of real municipalities pass (total%11 == 0 gives 1, == 1 gives 0)."""
    validate_lg_code(code)


@pytest.mark.parametrize(
    "code",
    ["19204", "1920400", "19204a", "１９２０４０", " 192040", "192040\n", "", "19-204"],
    ids=["five", "seven", "letter", "full-width", "space", "newline", "empty", "dash"],
)
def test_malformed_codes_are_refused_with_the_format_message(code):
    """Anything but six half-width digits is a format error that shows an example."""
    with pytest.raises(ValidationError) as exc:
        validate_lg_code(code)
    assert exc.value.code == "lg_code_format"
    assert exc.value.messages == [FORMAT]


def test_wrong_check_digit_names_the_right_one():
    """The message says which digit the code should end in."""
    with pytest.raises(ValidationError) as exc:
        validate_lg_code("192041")
    assert exc.value.messages == ["The check digit of 192041 is wrong: it should end in 0."]


# --- municipalities -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"code": "19204X", "name": "都留市"}, {"code": [FORMAT]}),
        ({"code": "482040", "name": "都留市"}, {"code": [PREFECTURE]}),
        (
            {"code": "192041", "name": "都留市"},
            {"code": ["The check digit of 192041 is wrong: it should end in 0."]},
        ),
        (
            {"code": "192040", "name": "都留市", "prefecture": "13"},
            {
                "prefecture": [
                    "The prefecture does not match the local government code: a code starting "
                    "with 19 belongs to prefecture 19."
                ]
            },
        ),
        ({"code": "192040", "name": ""}, {"name": ["This field cannot be blank."]}),
    ],
    ids=["format", "prefecture", "check-digit", "prefecture-mismatch", "blank-name"],
)
def test_bad_municipality_is_refused_on_its_field(db, data, errors):
    """Only the field at fault is named: a bad code no longer also blames the prefecture
    derived from it (before the fix, '19204X' was also 'not a valid prefecture')."""
    _refused(lambda: services.create_municipality(None, **data), errors)


def test_duplicate_municipality_code_is_refused(tsuru):
    """Two municipalities cannot share a code."""
    _refused(
        lambda: services.create_municipality(None, code="192040", name="別の市"),
        {"code": ["Municipality with this Local government code already exists."]},
    )


def test_prefecture_is_taken_from_the_code(db):
    """Without a prefecture, the code's first two digits give it."""
    m = services.create_municipality(None, code="192015", name="甲府市")
    assert (m.prefecture, m.get_prefecture_display()) == ("19", "Yamanashi")
    assert JournalEntry.objects.filter(municipality=m, action="municipality.create").count() == 1


def test_municipality_code_cannot_be_changed(tsuru):
    """update_municipality changes names only; the code is fixed."""
    _refused(
        lambda: services.update_municipality(tsuru.admin, tsuru.municipality, code="192015"),
        {"code": ["This field cannot be set here."]},
    )


# --- org units ------------------------------------------------------------------------------


def _unit(t, **data):  # type: ignore[no-untyped-def]
    fields = {"code": "N1", "name": "新設課", "kind": "division", "organ_kind": "mayor_departments"}
    return services.create_org_unit(t.lead, t.municipality, **(fields | data))


def test_duplicate_unit_code_is_refused_on_code(tsuru):
    """A code is unique within the municipality."""
    _refused(
        lambda: _unit(tsuru, code=tsuru.bureau.code, parent=tsuru.bureau),
        {
            "code": [
                f"Another org unit of this municipality already has the code {tsuru.bureau.code}. "
                "Choose another code."
            ]
        },
    )


def test_same_code_in_another_municipality_is_fine(tsuru, kofu):
    """Codes are per municipality."""
    unit = _unit(tsuru, code=kofu.unit.code)
    assert unit.code == kofu.unit.code


def test_duplicate_sibling_name_is_refused_on_name(tsuru):
    """Two units under one parent cannot share a name; under another parent they can."""
    _refused(
        lambda: _unit(tsuru, name=tsuru.unit.name, parent=tsuru.bureau),
        {"name": ["都留市総務部 already has a unit named 都留市総務課. Choose another name."]},
    )
    other_bureau = make_unit(tsuru.municipality, "企画部", kind=OrgUnit.Kind.BUREAU)
    assert _unit(tsuru, name=tsuru.unit.name, parent=other_bureau).name == tsuru.unit.name


def test_duplicate_top_level_name_is_refused(tsuru):
    """Top-level units are siblings too. Before the fix a second top-level 都留市総務部 was
    saved: the database constraint treats their empty parents as different."""
    _refused(
        lambda: _unit(tsuru, name=tsuru.bureau.name, kind="bureau"),
        {"name": ["There is already a top-level unit named 都留市総務部. Choose another name."]},
    )


def test_renaming_onto_a_sibling_name_is_refused(tsuru):
    """The same rule holds on update, and the unit keeps its name."""
    sibling = make_unit(tsuru.municipality, "企画課", parent=tsuru.bureau)
    _refused(
        lambda: services.update_org_unit(tsuru.lead, sibling, name=tsuru.unit.name),
        {"name": ["都留市総務部 already has a unit named 都留市総務課. Choose another name."]},
    )


@pytest.mark.parametrize("depth", [0, 1, 2])
def test_cycles_in_the_org_tree_are_refused_on_parent(tsuru, depth):
    """A unit under itself (depth 0), A→B→A (1) or A→B→C→A (2) is refused."""
    # given: a chain below the bureau
    chain = [tsuru.bureau]
    for i in range(depth):
        chain.append(make_unit(tsuru.municipality, f"下位{i}", parent=chain[-1]))
    top, bottom = chain[0], chain[-1]
    # when / then
    _refused(
        lambda: services.update_org_unit(tsuru.lead, top, parent=bottom),
        {
            "parent": [
                f"{top.name} cannot be placed under {bottom.name}: that unit is already below it. "
                "Choose a parent outside its own branch."
            ]
        },
    )


def test_parent_in_another_municipality_is_not_found(tsuru, kofu):
    """甲府市's bureau is not a possible parent for 都留市's unit."""
    _refused(
        lambda: _unit(tsuru, parent=kofu.bureau),
        {"parent": ["The selected record was not found in this municipality."]},
    )


def test_invalid_choices_are_refused_on_their_fields(tsuru):
    """Kinds outside the choices are field errors, not database errors."""
    _refused(
        lambda: _unit(tsuru, kind="ward", organ_kind="mayor"),
        {
            "kind": ["Value 'ward' is not a valid choice."],
            "organ_kind": ["Value 'mayor' is not a valid choice."],
        },
    )


def test_staff_without_a_role_may_not_create_a_unit(tsuru):
    """The service checks the permission itself (the CLI and tasks call it too)."""
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        services.create_org_unit(
            tsuru.staff, tsuru.municipality, code="N1", name="x", kind="division"
        )
    assert _snapshot() == before


def test_lead_of_one_municipality_may_not_create_in_another(tsuru, kofu):
    """都留市's lead has no right in 甲府市."""
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        services.create_org_unit(tsuru.lead, kofu.municipality, code="N1", name="x")
    assert _snapshot() == before


# --- people ------------------------------------------------------------------------------------


def _person(t, **data):  # type: ignore[no-untyped-def]
    fields = {
        "employee_number": "N0001",
        "family_name": "新井",
        "given_name": "一",
        "family_name_kana": "アライ",
        "given_name_kana": "ハジメ",
        "staff_category": "regular",
    }
    return services.create_person(t.lead, t.municipality, **(fields | data))


def test_duplicate_employee_number_is_refused_on_the_field(tsuru):
    """An employee number is unique within the municipality, on create and update."""
    taken = tsuru.other_person.employee_number
    message = {
        "employee_number": [
            f"Another person of this municipality already has the employee number {taken}. "
            "Check the number."
        ]
    }
    _refused(lambda: _person(tsuru, employee_number=taken), message)
    someone = _person(tsuru)
    _refused(lambda: services.update_person(tsuru.lead, someone, employee_number=taken), message)


def test_person_in_another_municipalitys_unit_is_not_found(tsuru, kofu):
    """甲府市's unit is not a possible unit for 都留市's person."""
    _refused(
        lambda: _person(tsuru, org_unit=kofu.unit),
        {"org_unit": ["The selected record was not found in this municipality."]},
    )


def test_unknown_person_field_is_refused(tsuru):
    """Services accept only their own fields (the municipality cannot be switched)."""
    _refused(
        lambda: services.update_person(
            tsuru.lead, tsuru.other_person, municipality=tsuru.municipality
        ),
        {"municipality": ["This field cannot be set here."]},
    )


# --- role assignments ----------------------------------------------------------------------


def _assign(t, role=Role.SYSTEM_MANAGER, **kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("org_unit", t.unit)
    return services.assign_role(t.lead, t.other_person, role, **kwargs)


D = datetime.date


@pytest.mark.parametrize(
    ("existing", "new", "field"),
    [
        ((D(2025, 4, 1), D(2025, 9, 30)), {"start_date": D(2025, 9, 30)}, "start_date"),
        ((D(2025, 4, 1), None), {"start_date": D(2030, 1, 1)}, "start_date"),
        (
            (D(2025, 6, 1), D(2025, 6, 30)),
            {"start_date": D(2025, 5, 1), "end_date": D(2025, 6, 1)},
            "start_date",
        ),
        ((D(2025, 6, 1), D(2025, 6, 30)), {"fiscal_year": 2025}, "fiscal_year"),
    ],
    ids=["touching-end", "after-open-ended", "covering-start", "fiscal-year"],
)
def test_overlapping_periods_are_refused(tsuru, existing, new, field):
    """The same person, role and unit cannot be held twice on any day; the message names
    the existing period, on the field the caller used (fiscal_year or start_date)."""
    # given
    _assign(tsuru, start_date=existing[0], end_date=existing[1])
    end = existing[1] or "open-ended"
    # when / then
    _refused(
        lambda: _assign(tsuru, **new),
        {
            field: [
                f"佐藤 花子 already holds this role for this unit from {existing[0]} to {end}. "
                "End that assignment first, or choose a period that does not overlap."
            ]
        },
    )


def test_adjacent_periods_and_other_units_do_not_overlap(tsuru):
    """The day after an end, or the same role for another unit, is fine."""
    _assign(tsuru, start_date=D(2025, 4, 1), end_date=D(2025, 9, 30))
    _assign(tsuru, start_date=D(2025, 10, 1))
    _assign(tsuru, org_unit=tsuru.bureau, start_date=D(2025, 4, 1))
    assert RoleAssignment.objects.filter(person=tsuru.other_person).count() == 3


@pytest.mark.parametrize(
    ("kwargs", "errors"),
    [
        (
            {"start_date": D(2025, 5, 1), "end_date": D(2025, 4, 30)},
            {"end_date": ["The end date must not be before the start date."]},
        ),
        ({}, {"start_date": ["Give a fiscal year or a start date."]}),
        (
            {"fiscal_year": 2025, "start_date": D(2025, 4, 1)},
            {"fiscal_year": ["Give either a fiscal year or a start and end date, not both."]},
        ),
        ({"fiscal_year": 1999}, {"fiscal_year": ["Enter a fiscal year such as 2025."]}),
    ],
    ids=["end-before-start", "no-period", "both", "fiscal-year-range"],
)
def test_bad_periods_are_refused_on_their_field(tsuru, kwargs, errors):
    """Each way of getting the period wrong names the field to fix."""
    _refused(lambda: _assign(tsuru, **kwargs), errors)


def test_unknown_role_is_refused(tsuru):
    """A role outside the policy's organisation is a field error."""
    _refused(
        lambda: _assign(tsuru, role="chief_hacker", fiscal_year=2025),
        {"role": ["Unknown role: chief_hacker."]},
    )


def test_municipality_wide_role_takes_no_unit(tsuru):
    """The CISO is CISO of the whole municipality, not of a unit."""
    _refused(
        lambda: _assign(tsuru, role=Role.CISO, fiscal_year=2025),
        {"org_unit": ["This role is held for the whole municipality: leave the unit empty."]},
    )


def test_unit_role_needs_a_unit(tsuru):
    """A system manager manages the systems of one unit."""
    _refused(
        lambda: _assign(tsuru, org_unit=None, fiscal_year=2025),
        {"org_unit": ["This role is held for an org unit: choose one."]},
    )


def test_fiscal_year_assignment_spans_april_to_march(tsuru):
    """fiscal_year=2025 means 2025-04-01 to 2026-03-31, and the write is journaled."""
    before = JournalEntry.objects.count()
    a = _assign(tsuru, fiscal_year=2025)
    assert (a.start_date, a.end_date) == fiscal_year_bounds(2025)
    assert (a.start_date, a.end_date) == (D(2025, 4, 1), D(2026, 3, 31))
    assert JournalEntry.objects.count() == before + 1


def test_ending_before_the_start_is_refused(tsuru):
    """end_role_assignment keeps the end on or after the start."""
    a = _assign(tsuru, start_date=D(2025, 4, 10))
    _refused(
        lambda: services.end_role_assignment(tsuru.lead, a, D(2025, 4, 9)),
        {"end_date": ["The end date must not be before the start date (2025-04-10)."]},
    )


def test_extending_an_ended_assignment_into_a_later_one_is_refused(tsuru):
    """Moving an end date later must not overlap the next assignment. Before the fix,
    end_role_assignment skipped the overlap check and saved two overlapping periods."""
    # given
    first = _assign(tsuru, start_date=D(2025, 4, 1), end_date=D(2025, 6, 30))
    _assign(tsuru, start_date=D(2025, 8, 1))
    # when / then
    _refused(
        lambda: services.end_role_assignment(tsuru.lead, first, D(2025, 12, 31)),
        {
            "end_date": [
                "佐藤 花子 already holds this role for this unit from 2025-08-01 to open-ended. "
                "End that assignment first, or choose a period that does not overlap."
            ]
        },
    )


def test_refused_end_leaves_the_callers_object_as_it_was(tsuru):
    """A refused end does not leave the new end date on the object the caller holds."""
    a = _assign(tsuru, start_date=D(2025, 4, 10), end_date=D(2025, 6, 30))
    with pytest.raises(ValidationError):
        services.end_role_assignment(tsuru.lead, a, D(2025, 4, 1))
    assert a.end_date == D(2025, 6, 30)


def test_role_in_another_municipalitys_unit_is_not_found(tsuru, kofu):
    """甲府市's unit cannot carry 都留市's person's role."""
    _refused(
        lambda: _assign(tsuru, org_unit=kofu.unit, fiscal_year=2025),
        {"org_unit": ["The selected record was not found in this municipality."]},
    )


def test_staff_may_not_assign_roles(tsuru):
    """Only the leads and administrators manage roles."""
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        services.assign_role(tsuru.staff, tsuru.other_person, Role.AUDITOR, fiscal_year=2025)
    assert _snapshot() == before


def test_demo_and_cli_writes_are_journaled_as_system(tsuru):
    """Services called without an actor (demo loader, CLI) still journal, as the system."""
    person = make_person(tsuru.municipality)
    entry = JournalEntry.objects.get(action="person.create", object_id=str(person.pk))
    assert (entry.actor, entry.actor_label) == (None, "system:demo")


def test_a_municipality_manager_cannot_touch_an_account_of_no_municipality(tsuru):
    """A lead of 都留市 may reset 都留市's logins, never a service administrator's or a
    superuser's (their municipality is empty, which must not read as the lead's own)."""
    from django.core.exceptions import PermissionDenied

    from isms.core import services
    from isms.core.models import JournalEntry
    from tests.support.factories import make_user

    operator = make_user(None, "pref-operator", service_admin_of=(tsuru.municipality,))
    before = JournalEntry.objects.count()
    with pytest.raises(PermissionDenied):
        services.set_password(tsuru.lead, operator, "another-long-passphrase")
    with pytest.raises(PermissionDenied):
        services.create_user(tsuru.lead, username="x", password=None, municipality=None)
    operator.refresh_from_db()
    assert operator.check_password("correct-horse-battery-staple")
    assert JournalEntry.objects.count() == before
    services.set_password(tsuru.lead, tsuru.staff, "another-long-passphrase")
