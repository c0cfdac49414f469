"""The incident API: the access matrix of every operation, and its behaviour."""

from __future__ import annotations

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from isms.core import services as core_services
from isms.core.models import JournalEntry
from isms.core.permissions import Action
from isms.incidents.models import ExternalReport, Incident, TimelineEntry
from tests.assets.factories import make_asset
from tests.incidents.web_specs import _unacknowledged
from tests.support import access
from tests.support.access import ADMIN, API, LEAD, STAFF, AccessSpec

STAFF_ALL = {STAFF, LEAD, ADMIN}


def _url(name: str, **kwargs: object) -> str:
    return reverse(f"api:{name}", kwargs=kwargs)


def _spec(name: str, action: Action, permitted: set, **more) -> AccessSpec:
    more.setdefault("url", lambda t: _url(name))
    more.setdefault("other", None)
    return AccessSpec(name=name, kind=API, action=action, permitted=permitted, **more)


def _on(name: str):
    return lambda t: _url(name, incident_id=t.incident.pk)


def _handle(name: str, data=None, ok: int = 200, **more) -> AccessSpec:
    more.setdefault("url", _on(name))
    more.setdefault("target", lambda t: t.incident)
    return _spec(
        name,
        Action.TRIAGE_INCIDENTS,
        {LEAD},
        method="POST",
        data=data,
        ok=ok,
        hidden={ADMIN},
        other=404,
        **more,
    )


def _now() -> str:
    return timezone.localtime().isoformat()


SPECS = [
    _spec("list_incidents", Action.VIEW_INCIDENTS, STAFF_ALL),
    _spec("incident_review_summary", Action.VIEW_ALL_INCIDENTS, {LEAD}),
    _spec(
        "get_incident",
        Action.VIEW_INCIDENTS,
        {STAFF, LEAD},
        url=_on("get_incident"),
        hidden={ADMIN},
        other=404,
    ),
    _spec(
        "list_incident_timeline",
        Action.VIEW_INCIDENTS,
        {STAFF, LEAD},
        url=_on("list_incident_timeline"),
        hidden={ADMIN},
        other=404,
    ),
    _spec(
        "report_incident",
        Action.REPORT_INCIDENTS,
        STAFF_ALL,
        method="POST",
        data=lambda t: {
            "municipality_id": t.municipality.pk,
            "title": "不審メール",
            "description": "添付を開いた",
        },
        ok=201,
        creates=Incident,
        other=422,
        other_field="municipality_id",
    ),
    _handle(
        "acknowledge_incident",
        url=lambda t: _url("acknowledge_incident", incident_id=_unacknowledged(t).pk),
        target=lambda t: _unacknowledged(t),
    ),
    _handle(
        "triage_incident",
        lambda t: {
            "is_incident": True,
            "severity": "medium",
            "kind": "malware",
            "threat_category": "intentional",
            "asset_ids": [t.asset.pk],
        },
    ),
    _handle("decide_incident_ppc_report", lambda t: {"decision": "no_report"}),
    _handle(
        "record_incident_external_report",
        lambda t: {
            "target": "police",
            "kind": "other",
            "reported_on": timezone.localdate().isoformat(),
        },
        ok=201,
        creates=ExternalReport,
    ),
    _handle(
        "decide_incident_publication",
        lambda t: {"publication": "not_publish", "reason": "公表基準に該当しない"},
    ),
    _handle(
        "add_incident_timeline_entry",
        lambda t: {"kind": "recovery", "occurred_at": _now(), "text": "端末を再設定"},
        ok=201,
        creates=TimelineEntry,
    ),
    _handle("close_incident", lambda t: {"root_cause": "更新遅れ", "review": "監視する"}),
]


@pytest.fixture
def world(tsuru, kofu):
    return access.make_world(tsuru, kofu)


@pytest.mark.parametrize(("spec", "case"), access.cases(SPECS))
def test_api_access(spec, case, world, client):
    access.check(client, world, spec, case)


def test_every_incident_api_operation_has_an_access_spec_and_a_route():
    from isms.incidents.api import router
    from tests.support.routes import API_ROUTES

    names = access.operation_names(router)
    assert names == {s.name for s in SPECS}
    assert {f"api:{n}" for n in names} <= set(API_ROUTES)


# --- behaviour ---------------------------------------------------------------------------------


class Api:
    def __init__(self, client, user):
        self.client = client
        raw = core_services.issue_api_token(user, name="t")[1]
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": "en"}

    def get(self, name, data=None, **kwargs):
        return self.client.get(_url(name, **kwargs), data or {}, **self.headers)

    def post(self, name, body=None, **kwargs):
        return self.client.post(
            _url(name, **kwargs),
            json.dumps(body or {}),
            content_type="application/json",
            **self.headers,
        )


def test_a_leak_of_150_persons_through_the_api(client, tsuru, csirt):
    staff = Api(client, tsuru.staff)
    created = staff.post(
        "report_incident", {"title": "誤送信", "description": "名簿を誤って送信した"}
    )
    assert created.status_code == 201, created.content
    iid = created.json()["id"]
    assert created.json()["channel"] == "api"
    team = Api(client, csirt)
    asset = make_asset(tsuru.municipality, tsuru.unit)
    triaged = team.post(
        "triage_incident",
        {
            "is_incident": True,
            "severity": "high",
            "kind": "personal_data_breach",
            "threat_category": "unintentional",
            "asset_ids": [asset.pk],
            "persons_affected": 150,
            "personal_data": True,
        },
        incident_id=iid,
    )
    assert triaged.status_code == 200, triaged.content
    body = triaged.json()
    assert body["ppc_suggested"] and [r["id"] for r in body["ppc_rules"]] == ["ppc-over-100"]
    assert body["ppc_rules"][0]["source"] and body["ppc_deadlines_uncertain"] is True
    assert body["ppc_final_due"] and body["asset_ids"] == [asset.pk]
    # reading it back is journaled (personal data)
    before = JournalEntry.objects.filter(kind=JournalEntry.Kind.READ).count()
    assert team.get("get_incident", incident_id=iid).status_code == 200
    assert JournalEntry.objects.filter(kind=JournalEntry.Kind.READ).count() == before + 1
    # an override without a reason is a 422 naming the field
    refused = team.post("decide_incident_ppc_report", {"decision": "no_report"}, incident_id=iid)
    assert refused.status_code == 422 and "reason" in refused.json()["errors"]
    assert (
        team.post("decide_incident_ppc_report", {"decision": "report"}, incident_id=iid).status_code
        == 200
    )
    early = (Incident.objects.get(pk=iid).detected_at - datetime.timedelta(hours=1)).isoformat()
    bad = team.post(
        "add_incident_timeline_entry",
        {"kind": "contact", "occurred_at": early, "text": "連絡"},
        incident_id=iid,
    )
    assert bad.status_code == 422 and list(bad.json()["errors"]) == ["occurred_at"]
    no_cause = team.post("close_incident", {"review": "v"}, incident_id=iid)
    assert no_cause.status_code == 422 and "root_cause" in no_cause.json()["errors"]
    due = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    closed = team.post(
        "close_incident",
        {
            "root_cause": "宛先確認の不足",
            "review": "ダブルチェックを導入",
            "actions": [
                {"title": "送信前確認の手順化", "owner_id": tsuru.other_person.pk, "due_date": due}
            ],
        },
        incident_id=iid,
    )
    assert closed.status_code == 200, closed.content
    assert closed.json()["status"] == "closed" and len(closed.json()["corrective_action_ids"]) == 1
    summary = team.get("incident_review_summary")
    assert summary.status_code == 200 and summary.json()["closed"] == 1


def test_staff_list_only_their_own_reports(client, tsuru, csirt):
    from isms.incidents import services

    own = services.report_incident(tsuru.staff, tsuru.municipality, title="a", description="a")
    services.report_incident(csirt, tsuru.municipality, title="b", description="b")
    listed = Api(client, tsuru.staff).get("list_incidents").json()
    assert [i["id"] for i in listed["items"]] == [own.pk]
    assert Api(client, csirt).get("list_incidents").json()["count"] == 2


def test_another_municipalitys_incident_is_a_404(client, tsuru, kofu):
    from isms.incidents import services

    theirs = services.report_incident(kofu.staff, kofu.municipality, title="a", description="a")
    response = Api(client, tsuru.lead).get("get_incident", incident_id=theirs.pk)
    assert response.status_code == 404
