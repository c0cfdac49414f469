"""The self-inspection API: the access matrix of every operation, and behaviour."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from isms.core.models import Person
from isms.core.permissions import Action
from isms.inspections.models import (
    CorrectiveAction,
    InspectionEvidence,
    InspectionItem,
    InspectionResponse,
    SelfInspection,
)
from tests.inspections import world
from tests.inspections.factories import make_campaign
from tests.support import access
from tests.support.access import ADMIN, API, LEAD, STAFF, AccessSpec
from tests.support.factories import make_unit

SEE = {STAFF, LEAD, ADMIN}
MANAGE = {LEAD, ADMIN}


def _url(name: str, **kwargs: object) -> str:
    return reverse(f"api:{name}", kwargs=kwargs)


def _spec(name: str, action: Action, permitted: set, **more) -> AccessSpec:
    more.setdefault("url", lambda t: _url(name))
    more.setdefault("other", None)
    return AccessSpec(name=name, kind=API, action=action, permitted=permitted, **more)


def _campaign_url(name: str, obj=world.campaign):
    return lambda t: _url(name, campaign_id=obj(t).pk)


def _sheet_url(name: str, obj=world.sheet):
    return lambda t: _url(name, sheet_id=obj(t).pk)


def _on(name: str, action: Action, permitted: set, obj, url, **more) -> AccessSpec:
    """An operation on a record: made (and journaled) before the runner takes its state."""
    more.setdefault("other", 404)
    more.setdefault("target", obj)
    return _spec(name, action, permitted, url=url, **more)


SPECS = [
    _spec("list_campaigns", Action.VIEW_INSPECTIONS, SEE),
    _spec(
        "create_campaign",
        Action.MANAGE_INSPECTIONS,
        MANAGE,
        method="POST",
        data=lambda t: {
            "municipality_id": world.standard(t).municipality_id,
            "fiscal_year": 2026,
            "title": "API点検",
            "opens_on": timezone.localdate().isoformat(),
        },
        ok=201,
        other=422,
        other_field="municipality_id",
        creates=SelfInspection,
    ),
    _on(
        "get_campaign", Action.VIEW_INSPECTIONS, SEE, world.campaign, _campaign_url("get_campaign")
    ),
    _spec(
        "open_campaign",
        Action.MANAGE_INSPECTIONS,
        MANAGE,
        method="POST",
        url=_campaign_url("open_campaign", world.draft),
        other=404,
        target=world.draft,
    ),
    _spec(
        "close_campaign",
        Action.MANAGE_INSPECTIONS,
        MANAGE,
        method="POST",
        url=_campaign_url("close_campaign"),
        other=404,
        target=world.campaign,
    ),
    _spec(
        "assign_questionnaire",
        Action.MANAGE_INSPECTIONS,
        MANAGE,
        method="POST",
        url=_campaign_url("assign_questionnaire"),
        data=lambda t: {"target_group": "staff", "org_unit_id": t.unit.pk},
        ok=201,
        other=404,
        target=world.campaign,
        creates=InspectionResponse,
    ),
    _on(
        "campaign_results",
        Action.VIEW_ALL_INSPECTIONS,
        MANAGE,
        world.campaign,
        _campaign_url("campaign_results"),
    ),
    _spec("list_sheets", Action.VIEW_INSPECTIONS, SEE),
    _on("get_sheet", Action.VIEW_INSPECTIONS, SEE, world.sheet, _sheet_url("get_sheet")),
    _spec(
        "save_sheet_answers",
        Action.ANSWER_INSPECTIONS,
        {STAFF},
        method="PUT",
        url=_sheet_url("save_sheet_answers"),
        data=lambda t: {"answers": [{"item_id": world.items(t)[0].pk, "value": "partial"}]},
        other=404,
        target=world.sheet,
    ),
    _spec(
        "submit_sheet",
        Action.ANSWER_INSPECTIONS,
        {STAFF},
        method="POST",
        url=_sheet_url("submit_sheet", world.answered),
        other=404,
        target=world.answered,
    ),
    _spec(
        "upload_evidence",
        Action.ANSWER_INSPECTIONS,
        {STAFF},
        method="POST",
        url=_sheet_url("upload_evidence"),
        ok=422,  # the matrix sends JSON, not a file: refused as bad input, nothing saved
        journaled=False,
        other=404,
        target=world.sheet,
        creates=InspectionEvidence,
    ),
    _spec(
        "approve_sheet",
        Action.APPROVE_INSPECTIONS,
        {LEAD},
        method="POST",
        url=_sheet_url("approve_sheet", world.submitted),
        other=404,
        target=world.submitted,
    ),
    _spec(
        "return_sheet",
        Action.APPROVE_INSPECTIONS,
        {LEAD},
        method="POST",
        url=_sheet_url("return_sheet", world.submitted),
        data=lambda t: {"reason": "根拠を添付"},
        other=404,
        target=world.submitted,
    ),
    _spec(
        "create_improvement",
        Action.APPROVE_INSPECTIONS,
        {LEAD},
        method="POST",
        url=lambda t: _url("create_improvement", answer_id=world.answer(t).pk),
        data=lambda t: {
            "owner_id": t.other_person.pk,
            "due_date": (timezone.localdate() + datetime.timedelta(days=9)).isoformat(),
        },
        ok=201,
        other=404,
        target=world.answer,
        creates=CorrectiveAction,
    ),
    _spec("list_improvements", Action.VIEW_INSPECTIONS, SEE),
]


@pytest.fixture
def world_(tsuru, kofu):
    return access.make_world(tsuru, kofu)


@pytest.mark.parametrize(("spec", "case"), access.cases(SPECS))
def test_api_access(spec, case, world_, client):
    access.check(client, world_, spec, case)


def test_every_inspection_api_operation_has_an_access_spec_and_a_route():
    from isms.inspections.api import router
    from tests.support.routes import API_ROUTES

    names = access.operation_names(router)
    assert names == {s.name for s in SPECS}
    assert {f"api:{n}" for n in names} <= set(API_ROUTES)


# --- behaviour ---------------------------------------------------------------------------------


def _headers(user):
    from isms.core import services

    token = services.issue_api_token(user, name="t")[1]
    return {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_ACCEPT_LANGUAGE": "en"}


def test_answer_upload_submit_and_approve_through_the_api(client, tsuru, manager):
    campaign = make_campaign(tsuru.municipality)
    lead = _headers(tsuru.lead)
    r = client.post(
        _url("assign_questionnaire", campaign_id=campaign.pk),
        {"target_group": "staff", "org_unit_id": tsuru.unit.pk},
        content_type="application/json",
        **lead,
    )
    assert r.status_code == 201, r.content
    staff = _headers(tsuru.staff)
    mine = client.get(_url("list_sheets") + "?mine=true", **staff).json()["items"]
    assert len(mine) == 1
    sheet_id = mine[0]["id"]
    items = client.get(_url("get_sheet", sheet_id=sheet_id), **staff).json()["items"]
    r = client.put(
        _url("save_sheet_answers", sheet_id=sheet_id),
        {"answers": [{"item_id": items[0]["id"], "value": "bogus"}]},
        content_type="application/json",
        **staff,
    )
    assert r.status_code == 422
    assert f"answer_{items[0]['id']}" in r.json()["errors"]
    r = client.post(
        _url("upload_evidence", sheet_id=sheet_id),
        {"item_id": items[0]["id"], "file": _file("a.exe", b"MZ\x90\x00" + b"\x00" * 300)},
        **staff,
    )
    assert r.status_code == 422 and "file" in r.json()["errors"]
    r = client.post(
        _url("upload_evidence", sheet_id=sheet_id),
        {"item_id": items[0]["id"], "file": _file("規程.pdf", world.PDF)},
        **staff,
    )
    assert r.status_code == 201, r.content
    r = client.put(
        _url("save_sheet_answers", sheet_id=sheet_id),
        {"answers": [{"item_id": i["id"], "value": "implemented"} for i in items], "submit": True},
        content_type="application/json",
        **staff,
    )
    assert r.status_code == 200 and r.json()["status"] == "submitted"
    # The answerer cannot approve (403: not an approver); the unit's manager can.
    assert client.post(_url("approve_sheet", sheet_id=sheet_id), **staff).status_code == 403
    r = client.post(_url("approve_sheet", sheet_id=sheet_id), **_headers(manager))
    assert r.status_code == 200 and r.json()["status"] == "approved"
    res = client.get(_url("campaign_results", campaign_id=campaign.pk), **lead).json()
    assert res["by_unit"][0]["rate"] == 100.0


def test_assigning_to_an_abolished_unit_is_a_422_naming_the_field(client, tsuru):
    campaign = make_campaign(tsuru.municipality)
    old = make_unit(tsuru.municipality, "旧課", parent=tsuru.bureau)
    old.abolished_on = timezone.localdate()
    old.save()
    r = client.post(
        _url("assign_questionnaire", campaign_id=campaign.pk),
        {"target_group": "staff", "org_unit_id": old.pk},
        content_type="application/json",
        **_headers(tsuru.lead),
    )
    assert r.status_code == 422
    assert list(r.json()["errors"]) == ["org_unit_id"]
    assert not InspectionResponse.objects.exists()


def _file(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_items_are_not_shared_between_campaigns(tsuru):
    a = make_campaign(tsuru.municipality, title="A")
    b = make_campaign(tsuru.municipality, title="B")
    assert not set(InspectionItem.objects.filter(campaign=a).values_list("pk", flat=True)) & set(
        InspectionItem.objects.filter(campaign=b).values_list("pk", flat=True)
    )
    assert Person.objects.exists()
