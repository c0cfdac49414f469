"""The 組織改正 and 人事異動 pages: reorganise a unit, read its history, carry roles over."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone, translation

from isms.core import services
from isms.core.calendar import fiscal_year_of
from isms.core.models import JournalEntry, OrgChange, OrgUnit, RoleAssignment
from isms.core.roles import Role
from tests.support.factories import make_person, make_unit


def _year() -> int:
    return fiscal_year_of(timezone.localdate())


def test_merging_two_units_shows_the_history_and_last_years_manager(client, tsuru):
    """Given 税務課 with last year's manager, when merged into 市民課 through the page, then the
    role list for last year still finds 税務課's manager by its name, and the page shows it."""
    # given
    m = tsuru.municipality
    into = make_unit(m, "市民課", parent=tsuru.bureau)
    absorbed = make_unit(m, "税務課", parent=tsuru.bureau)
    tanaka = make_person(m, unit=absorbed, family="田中", given="誠")
    services.assign_role(
        None, tanaka, Role.DIVISION_SECURITY_MANAGER, org_unit=absorbed, fiscal_year=_year() - 1
    )
    client.force_login(tsuru.lead)

    # when
    response = client.post(
        reverse("core:org_unit_reorganise", kwargs={"pk": absorbed.pk}),
        {
            "kind": "merge",
            "effective_date": datetime.date(_year(), 4, 1).isoformat(),
            "into": into.pk,
            "reason": "組織改正",
        },
    )

    # then
    assert response.status_code == 302
    assert OrgUnit.objects.get(pk=absorbed.pk).abolished_on == datetime.date(_year(), 4, 1)
    client.post(reverse("web:set_fiscal_year"), {"fiscal_year": _year() - 1, "next": "/"})
    listing = client.get(reverse("core:role_assignment_list"), {"unit": "税務課"})
    assert [(a.person, name) for a, name in listing.context["rows"]] == [(tanaka, "税務課")]
    detail = client.get(reverse("core:org_unit_detail", kwargs={"pk": into.pk}))
    assert [s.predecessor for s in detail.context["history"].predecessors] == [
        OrgUnit.objects.get(pk=absorbed.pk)
    ]


def test_a_renamed_unit_page_says_what_it_was_called_in_the_selected_year(client, tsuru):
    """Given a unit renamed this 4/1, when last fiscal year is selected, then its page says
    which name it had then."""
    # given
    unit = make_unit(tsuru.municipality, "税務課", parent=tsuru.bureau)
    client.force_login(tsuru.lead)
    client.post(
        reverse("core:org_unit_reorganise", kwargs={"pk": unit.pk}),
        {"kind": "reorganise", "effective_date": f"{_year()}-04-01", "name": "課税課"},
    )

    # when
    client.post(reverse("web:set_fiscal_year"), {"fiscal_year": _year() - 1, "next": "/"})
    with translation.override("en"):
        response = client.get(reverse("core:org_unit_detail", kwargs={"pk": unit.pk}))

    # then
    assert response.context["name_then"] == "税務課"
    assert [v.name for v in response.context["history"].versions] == ["課税課", "税務課"]


def test_the_reorganise_form_names_the_missing_field_and_saves_nothing(client, tsuru):
    """Given a merge without its target, then the form says so on that field, nothing saved."""
    # given
    client.force_login(tsuru.lead)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    before = JournalEntry.objects.count()

    # when
    response = client.post(
        reverse("core:org_unit_reorganise", kwargs={"pk": tsuru.unit.pk}),
        {"kind": "merge", "effective_date": "令和7年"},
    )

    # then
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "effective_date": ["Enter a valid date."],
        "into": ["This field is required for this kind of change."],
    }
    assert (OrgChange.objects.count(), JournalEntry.objects.count()) == (0, before)


def test_a_service_refusal_comes_back_on_the_field(client, tsuru):
    """Given a unit with people, when abolished through the page, then the refusal is shown
    on the date field and nothing changes."""
    client.force_login(tsuru.lead)
    response = client.post(
        reverse("core:org_unit_reorganise", kwargs={"pk": tsuru.unit.pk}),
        {"kind": "abolish", "effective_date": timezone.localdate().isoformat()},
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["effective_date"]
    assert OrgUnit.objects.get(pk=tsuru.unit.pk).abolished_on is None


def test_the_carry_over_page_copies_the_year_and_reports_what_it_skipped(client, tsuru):
    """Given this year's roles, when the administrator carries over, then next year has them."""
    # given
    other = make_person(tsuru.municipality, unit=tsuru.unit)
    services.assign_role(
        None, other, Role.DIVISION_SECURITY_MANAGER, org_unit=tsuru.unit, fiscal_year=_year()
    )
    client.force_login(tsuru.admin)
    page = client.get(reverse("core:role_carry_over"))
    assert page.status_code == 200

    # when
    response = client.post(reverse("core:role_carry_over"), {"from_year": _year()})

    # then
    assert response.status_code == 302
    assert sorted(
        RoleAssignment.objects.filter(fiscal_year=_year() + 1).values_list("person", "role")
    ) == sorted(
        [(tsuru.lead.person.pk, "lead_security_officer"), (other.pk, "division_security_manager")]
    )


def _role_list_queries(client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("core:role_assignment_list"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_role_list_runs_the_same_number_of_queries_for_more_units(client, tsuru):
    """Given one more 課 with a manager, then the role list (with names as of the year and
    warnings) runs no more queries: no N+1 over units."""
    # given
    client.force_login(tsuru.lead)
    m = tsuru.municipality

    def add_unit(name: str) -> None:
        unit = make_unit(m, name, parent=tsuru.bureau)
        person = make_person(m, unit=unit)
        services.assign_role(
            None, person, Role.DIVISION_SECURITY_MANAGER, org_unit=unit, fiscal_year=_year()
        )

    add_unit("一課")
    first = _role_list_queries(client)

    # when
    for name in ("二課", "三課", "四課"):
        add_unit(name)

    # then
    assert _role_list_queries(client) == first
