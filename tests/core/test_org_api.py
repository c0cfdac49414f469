"""API of the 組織改正 history, role holders in a past year, warnings and the carry-over."""

from __future__ import annotations

import json

from django.urls import reverse
from django.utils import timezone

from isms.core import services
from isms.core.calendar import fiscal_year_of
from isms.core.models import JournalEntry, OrgChange
from isms.core.roles import Role
from tests.support.factories import make_person, make_unit


def _year() -> int:
    return fiscal_year_of(timezone.localdate())


def _auth(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {services.issue_api_token(user, name='t')[1]}"}


def test_rename_through_the_api_then_ask_who_held_the_role_under_the_old_name(client, tsuru):
    """Given 税務課 with last year's manager, when renamed through the API, then the history
    lists both names and the holders of last year are found by the old name."""
    # given
    m = tsuru.municipality
    unit = make_unit(m, "税務課", parent=tsuru.bureau)
    tanaka = make_person(m, unit=unit, family="田中", given="誠")
    held = services.assign_role(
        None, tanaka, Role.DIVISION_SECURITY_MANAGER, org_unit=unit, fiscal_year=_year() - 1
    )
    headers = _auth(tsuru.lead)

    # when
    response = client.post(
        reverse("api:reorganise_org_unit", kwargs={"unit_id": unit.pk}),
        json.dumps({"kind": "reorganise", "effective_date": f"{_year()}-04-01", "name": "課税課"}),
        content_type="application/json",
        **headers,
    )

    # then
    assert response.status_code == 201
    assert response.json()["kind"] == "reorganise"
    past = client.get(reverse("api:get_org_unit_history", kwargs={"unit_id": unit.pk}), **headers)
    assert [(v["name"], v["valid_to"]) for v in past.json()["versions"]] == [
        ("課税課", None),
        ("税務課", f"{_year()}-03-31"),
    ]
    holders = client.get(
        reverse("api:list_role_holders"),
        {"unit_name": "税務課", "fiscal_year": _year() - 1},
        **headers,
    )
    assert [a["id"] for a in holders.json()] == [held.pk]


def test_a_merge_without_its_target_is_a_422_on_into_id(client, tsuru):
    """Given a merge with no into_id, then the API answers 422 on into_id and saves nothing."""
    headers = _auth(tsuru.lead)
    before = JournalEntry.objects.count()
    response = client.post(
        reverse("api:reorganise_org_unit", kwargs={"unit_id": tsuru.unit.pk}),
        json.dumps({"kind": "merge", "effective_date": f"{_year()}-04-01"}),
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["into_id"]
    assert (OrgChange.objects.count(), JournalEntry.objects.count()) == (0, before)


def test_carry_over_and_warnings_through_the_api(client, tsuru):
    """Given this year's roles, when carried over by the administrator, then the lead's role is
    created for next year, and next year's warnings name the 課 without a manager."""
    headers = _auth(tsuru.admin)
    response = client.post(
        reverse("api:carry_over_role_assignments"),
        json.dumps({"from_year": _year()}),
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201
    assert len(response.json()["created_ids"]) == 1
    assert response.json()["skipped"] == []
    warnings = client.get(
        reverse("api:list_role_warnings"), {"fiscal_year": _year() + 1}, **headers
    ).json()
    assert [(w["kind"], w["org_unit_id"]) for w in warnings] == [("no_manager", tsuru.unit.pk)]
