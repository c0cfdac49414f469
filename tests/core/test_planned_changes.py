"""組織改正 planned ahead: checked when planned, carried out on the day, or failed with a reason.

Messages are compared in English so that they do not depend on the Japanese catalog.
"""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from isms.core import history, journal, planned_changes, reorganisation, services
from isms.core.models import JournalEntry, OrgChange, OrgUnit, PlannedOrgChange
from isms.core.permissions import Action
from isms.core.reorganisation import abolish_org_unit
from tests.support import access
from tests.support.access import ADMIN, API, EVERYONE, LEAD, SERVICE, AccessSpec
from tests.support.factories import make_person, make_unit

DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _today() -> datetime.date:
    return timezone.localdate()


class _Clock:
    """The reorganisation services' clock, set to a later day (the night of the change)."""

    day: datetime.date | None = None

    def localdate(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return self.day if self.day is not None and not args else timezone.localdate(*args)

    def __getattr__(self, name):  # type: ignore[no-untyped-def]
        return getattr(timezone, name)


@pytest.fixture
def night_of(monkeypatch):
    """``night_of(day)`` runs the nightly task as it would on ``day``."""
    clock = _Clock()
    monkeypatch.setattr(reorganisation, "timezone", clock)

    def run(day: datetime.date) -> list[PlannedOrgChange]:
        clock.day = day
        return planned_changes.apply_due(day)

    return run


def test_a_planned_rename_changes_nothing_until_its_day(tsuru, night_of):
    # given
    day = _today() + 10 * DAY
    planned = planned_changes.plan_change(
        tsuru.lead, tsuru.unit, "reorganise", effective_date=day, reason="4/1 組織改正",
        name="デジタル推進課",
    )  # fmt: skip
    old_name = tsuru.unit.name
    # when: the nightly task runs the day before, then on the day
    before = night_of(day - DAY)
    done = night_of(day)
    # then
    assert before == []
    assert [p.pk for p in done] == [planned.pk]
    planned.refresh_from_db()
    unit = OrgUnit.objects.get(pk=tsuru.unit.pk)
    assert planned.state == PlannedOrgChange.State.APPLIED
    assert unit.name == "デジタル推進課"
    assert history.names_on([unit.pk], day - DAY) == {unit.pk: old_name}
    assert history.names_on([unit.pk], day) == {unit.pk: "デジタル推進課"}
    change = OrgChange.objects.get(pk=planned.applied_change_id)
    assert change.effective_date == day and change.created_by == tsuru.lead
    actions = list(
        JournalEntry.objects.filter(municipality=tsuru.municipality)
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions.index("org_change.plan") < actions.index("org_change.apply_planned")
    assert journal.verify().ok


def test_the_day_already_passed_runs_on_the_next_night(tsuru, night_of):
    """A night the worker was down: the change is carried out later with its own date."""
    day = _today() + 2 * DAY
    planned = planned_changes.plan_change(
        tsuru.lead, tsuru.unit, "reorganise", effective_date=day, name="遅延課"
    )
    night_of(day + 3 * DAY)
    planned.refresh_from_db()
    assert planned.state == PlannedOrgChange.State.APPLIED
    assert planned.applied_change.effective_date == day


def test_a_change_that_cannot_work_today_is_refused_when_planned(tsuru):
    """Abolishing a unit with people in it fails now, not at midnight on the day."""
    make_person(tsuru.municipality, unit=tsuru.unit)
    with pytest.raises(ValidationError) as caught:
        planned_changes.plan_change(
            tsuru.lead, tsuru.unit, "abolish", effective_date=_today() + 5 * DAY
        )
    assert "still" in str(caught.value)
    assert not PlannedOrgChange.objects.exists()
    assert OrgUnit.objects.get(pk=tsuru.unit.pk).abolished_on is None
    assert not OrgChange.objects.exists()


@pytest.mark.parametrize("offset", [0, -1])
def test_a_plan_must_be_for_a_day_after_today(tsuru, offset):
    with pytest.raises(ValidationError) as caught:
        planned_changes.plan_change(
            tsuru.lead, tsuru.unit, "reorganise", effective_date=_today() + offset * DAY, name="X"
        )
    assert list(caught.value.error_dict) == ["effective_date"]


def test_staff_cannot_plan_a_change(tsuru):
    with pytest.raises(PermissionDenied):
        planned_changes.plan_change(
            tsuru.staff, tsuru.unit, "reorganise", effective_date=_today() + DAY, name="X"
        )


def test_a_change_that_no_longer_fits_on_its_day_fails_with_the_reason(tsuru, night_of):
    """The unit to merge into was abolished meanwhile: the plan fails, the others still run."""
    # given
    target = make_unit(tsuru.municipality, "統合先課", parent=tsuru.bureau)
    other = make_unit(tsuru.municipality, "改名課", parent=tsuru.bureau)
    day = _today() + 7 * DAY
    merge = planned_changes.plan_change(
        tsuru.lead, tsuru.unit, "merge", effective_date=day, into=target
    )
    rename = planned_changes.plan_change(
        tsuru.lead, other, "reorganise", effective_date=day, name="新名称課"
    )
    abolish_org_unit(tsuru.lead, target, effective_date=_today())
    # when
    night_of(day)
    # then
    merge.refresh_from_db()
    rename.refresh_from_db()
    assert merge.state == PlannedOrgChange.State.FAILED
    assert "abolished" in merge.error
    assert OrgUnit.objects.get(pk=tsuru.unit.pk).abolished_on is None
    assert rename.state == PlannedOrgChange.State.APPLIED
    assert JournalEntry.objects.filter(action="org_change.fail_planned").count() == 1
    assert journal.verify().ok


def test_a_cancelled_plan_is_never_carried_out(tsuru, night_of):
    day = _today() + 3 * DAY
    planned = planned_changes.plan_change(
        tsuru.lead, tsuru.unit, "reorganise", effective_date=day, name="取消課"
    )
    planned_changes.cancel_planned(tsuru.admin, planned)
    with pytest.raises(ValidationError):
        planned_changes.cancel_planned(tsuru.admin, planned)
    assert night_of(day) == []
    assert OrgUnit.objects.get(pk=tsuru.unit.pk).name != "取消課"
    planned.refresh_from_db()
    assert planned.state == PlannedOrgChange.State.CANCELLED and planned.closed_by == tsuru.admin


def test_the_reorganise_page_plans_a_future_change_and_the_unit_page_cancels_it(client, tsuru):
    # given
    client.force_login(tsuru.lead)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    day = _today() + 20 * DAY
    # when
    response = client.post(
        reverse("core:org_unit_reorganise", args=[tsuru.unit.pk]),
        {"kind": "reorganise", "effective_date": day.isoformat(), "name": "未来課", "reason": "R"},
        follow=True,
    )
    # then
    page = response.content.decode()
    assert "Planned the reorganisation" in page
    assert "Planned reorganisations" in page and day.isoformat() in page
    assert OrgUnit.objects.get(pk=tsuru.unit.pk).name != "未来課"
    planned = PlannedOrgChange.objects.get()
    cancelled = client.post(
        reverse("core:planned_change_cancel", args=[planned.pk]), follow=True
    ).content.decode()
    assert "Cancelled the reorganisation planned for" in cancelled
    assert PlannedOrgChange.objects.get().state == PlannedOrgChange.State.CANCELLED


def test_the_api_plans_and_cancels(client, tsuru):
    raw = services.issue_api_token(tsuru.lead, name="t")[1]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": "en"}
    day = _today() + 30 * DAY

    def post(url, body):
        return client.post(url, json.dumps(body), content_type="application/json", **headers)

    plan_url = reverse("api:plan_org_change", kwargs={"unit_id": tsuru.unit.pk})
    today = post(plan_url, {"kind": "reorganise", "effective_date": _today().isoformat()})
    created = post(plan_url, {"kind": "merge", "effective_date": day.isoformat(), "into_id": 0})
    ok = post(plan_url, {"kind": "reorganise", "effective_date": day.isoformat(), "name": "計画課"})
    assert today.status_code == 422 and list(today.json()["errors"]) == ["effective_date"]
    assert created.status_code == 422 and list(created.json()["errors"]) == ["into_id"]
    assert ok.status_code == 201
    assert ok.json()["state"] == "planned" and ok.json()["params"] == {"name": "計画課"}
    listed = client.get(reverse("api:list_planned_org_changes"), **headers).json()
    assert [p["id"] for p in listed["items"]] == [ok.json()["id"]]
    cancel_url = reverse("api:cancel_planned_org_change", kwargs={"planned_id": ok.json()["id"]})
    assert post(cancel_url, {}).json()["state"] == "cancelled"
    assert post(cancel_url, {}).status_code == 422


# --- access matrix of the API ----------------------------------------------------------------


def _api_url(name, **kwargs):
    return reverse(f"api:{name}", kwargs=kwargs)


API_SPECS = [
    AccessSpec(
        name="list_planned_org_changes",
        kind=API,
        url=lambda t: _api_url("list_planned_org_changes"),
        action=Action.VIEW_ORGANISATION,
        permitted=EVERYONE,
        other=None,
    ),
    AccessSpec(
        name="plan_org_change",
        kind=API,
        method="POST",
        url=lambda t: _api_url("plan_org_change", unit_id=t.unit.pk),
        data=lambda t: {
            "kind": "reorganise",
            "effective_date": (_today() + 40 * DAY).isoformat(),
            "name": "計画課",
        },
        action=Action.MANAGE_ORGANISATION,
        permitted={LEAD, ADMIN, SERVICE},
        ok=201,
        creates=PlannedOrgChange,
    ),
    AccessSpec(
        name="cancel_planned_org_change",
        kind=API,
        method="POST",
        url=lambda t: _api_url("cancel_planned_org_change", planned_id=t.planned.pk),
        action=Action.MANAGE_ORGANISATION,
        permitted={LEAD, ADMIN, SERVICE},
        target=lambda t: t.planned,
    ),
]


@pytest.fixture
def world(tsuru, kofu):
    return access.make_world(tsuru, kofu)


@pytest.mark.parametrize(("spec", "case"), access.cases(API_SPECS))
def test_api_access(spec, case, world, client):
    access.check(client, world, spec, case)


def test_every_planned_change_api_operation_has_an_access_spec():
    from isms.core.planned_api import router

    assert access.operation_names(router) == {s.name for s in API_SPECS}


def test_the_nightly_task_carries_out_what_is_due(tsuru, monkeypatch):
    """The periodic task calls the service for today; a plan for tomorrow waits."""
    from isms.core.tasks import apply_planned_org_changes

    planned_changes.plan_change(
        tsuru.lead, tsuru.unit, "reorganise", effective_date=_today() + DAY, name="翌日課"
    )
    assert apply_planned_org_changes.call_local() == 0
    assert PlannedOrgChange.objects.get().state == PlannedOrgChange.State.PLANNED
