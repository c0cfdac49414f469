"""The audits API: the access matrix of every operation, the whole cycle through the API, the
issue's bad input, role checks, tenancy and visibility."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from isms.core import services as core_services
from isms.core.calendar import fiscal_year_of
from isms.core.models import JournalEntry
from isms.inspections import services as inspection_services
from isms.inspections.audits import services
from isms.inspections.audits.models import (
    Audit,
    AuditAuditor,
    AuditEvidence,
    AuditItem,
    AuditPlan,
    Finding,
)
from isms.inspections.models import CorrectiveAction
from isms.policy.models import Control
from tests.audits.api_specs import SPECS
from tests.audits.factories import PDF
from tests.support import access
from tests.support.factories import make_unit

# --- the access matrix ------------------------------------------------------------------------


@pytest.fixture
def matrix(tsuru, kofu):  # type: ignore[no-untyped-def]
    return access.make_world(tsuru, kofu)


@pytest.mark.parametrize(("spec", "case"), access.cases(SPECS))
def test_api_access(spec, case, matrix, client):  # type: ignore[no-untyped-def]
    access.check(client, matrix, spec, case)


def test_every_audit_api_operation_has_an_access_spec_and_a_route():
    from isms.inspections.audits.api import router
    from tests.support.routes import API_ROUTES

    names = access.operation_names(router)
    assert names == {s.name for s in SPECS}
    assert {f"api:{n}" for n in names} <= set(API_ROUTES)


# --- helpers ----------------------------------------------------------------------------------


def _url(name: str, **kwargs: Any) -> str:
    return reverse(f"api:{name}", kwargs=kwargs)


class Api:
    """Calls the API as one user, in English."""

    def __init__(self, client: Any, user: Any) -> None:
        self.client = client
        raw = core_services.issue_api_token(user, name="t")[1]
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": "en"}

    def get(self, name: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.client.get(_url(name, **kwargs), data or {}, **self.headers)

    def _send(self, method: str, name: str, body: Any, kwargs: dict[str, Any]) -> Any:
        call = getattr(self.client, method)
        return call(
            _url(name, **kwargs),
            json.dumps(body or {}),
            content_type="application/json",
            **self.headers,
        )

    def post(self, name: str, body: Any = None, **kwargs: Any) -> Any:
        return self._send("post", name, body, kwargs)

    def put(self, name: str, body: Any = None, **kwargs: Any) -> Any:
        return self._send("put", name, body, kwargs)

    def delete(self, name: str, **kwargs: Any) -> Any:
        return self._send("delete", name, None, kwargs)

    def upload(self, workpaper_id: int, name: str, data: bytes) -> Any:
        return self.client.post(
            _url("upload_audit_evidence", workpaper_id=workpaper_id),
            {"file": SimpleUploadedFile(name, data)},
            **self.headers,
        )


def _today() -> str:
    return timezone.localdate().isoformat()


def _fy() -> int:
    return fiscal_year_of(timezone.localdate())


def _finding(w: Any, *, severity: str = "minor", title: str = "ロック未実施") -> Finding:
    return services.record_finding(
        w.auditor,
        w.audit,
        item=w.audit.items.order_by("position").first(),
        severity=severity,
        title=title,
        description="離席時に端末がロックされていない",
    )


def _action(w: Any, finding: Finding, *, done: bool = False) -> CorrectiveAction:
    action = services.add_action(
        w.manager, finding, title="端末ロックの徹底", owner=w.person(w.owner), due_business_days=10
    )
    if done:
        action = inspection_services.progress_action(w.owner, action, note="周知", done=True)
    return action


def _close_items(w: Any, audit: Audit) -> None:
    for item in audit.items.all():
        services.assess_item(w.auditor, item, result=AuditItem.Result.CONFORMING)


# --- the cycle --------------------------------------------------------------------------------


def test_plan_is_drawn_up_returned_approved_and_listed(client, world, tsuru):  # type: ignore[no-untyped-def]
    w, fy = world, _fy()
    lead = Api(client, w.lead_auditor)
    chair = Api(client, w.chair)
    tax = make_unit(tsuru.municipality, "税務課", parent=tsuru.bureau)
    controls = list(Control.objects.filter(standard=w.plan.standard).order_by("pk")[:2])
    # a plan
    r = lead.post("create_audit_plan", {"fiscal_year": fy, "title": "API監査計画"})
    assert r.status_code == 201, r.content
    plan_id = r.json()["id"]
    assert r.json()["status"] == "draft"
    assert r.json()["prepared_by_id"] == w.person(w.lead_auditor).pk
    r = lead.put(
        "update_audit_plan",
        {"fiscal_year": fy, "title": "API監査計画（改）", "objective": "税務の確認"},
        plan_id=plan_id,
    )
    assert (r.status_code, r.json()["title"]) == (200, "API監査計画（改）")
    # an audit with two chosen controls, and its auditor
    audit_body = {
        "title": "税務課の監査",
        "kind": "internal",
        "org_unit_id": tax.pk,
        "starts_on": _today(),
        "ends_on": _today(),
    }
    r = lead.post(
        "add_audit_to_plan",
        audit_body | {"control_ids": [c.pk for c in controls]},
        plan_id=plan_id,
    )
    assert r.status_code == 201, r.content
    audit_id = r.json()["id"]
    assert r.json()["items"]["total"] == 2
    assert r.json()["items"]["pending"] == 2
    r = lead.post(
        "assign_audit_auditor",
        {"person_id": w.person(w.auditor).pk, "is_lead": True},
        audit_id=audit_id,
    )
    assert r.status_code == 201, r.content
    assert r.json()["is_lead"] is True
    # a second audit (a chapter), its auditor taken off again, then the audit removed
    chapter = controls[0].section.chapter
    r = lead.post("add_audit_to_plan", audit_body | {"chapters": [chapter]}, plan_id=plan_id)
    assert r.status_code == 201, r.content
    second = r.json()["id"]
    assert (
        r.json()["items"]["total"]
        == Control.objects.filter(standard=w.plan.standard, section__chapter=chapter).count()
    )
    r = lead.post(
        "assign_audit_auditor", {"person_id": w.person(w.lead_auditor).pk}, audit_id=second
    )
    assert r.status_code == 201, r.content
    assert lead.delete("remove_audit_auditor", auditor_id=r.json()["id"]).status_code == 204
    assert lead.delete("delete_audit", audit_id=second).status_code == 204
    assert not Audit.objects.filter(pk=second).exists()
    r = lead.put("update_audit", audit_body | {"title": "税務課の監査（改）"}, audit_id=audit_id)
    assert (r.status_code, r.json()["title"]) == (200, "税務課の監査（改）")
    assert [a["person_id"] for a in r.json()["auditors"]] == [w.person(w.auditor).pk]
    # the committee returns it, then approves it
    assert lead.post("submit_audit_plan", plan_id=plan_id).json()["status"] == "submitted"
    r = chair.post("return_audit_plan", {"reason": "範囲を広げること"}, plan_id=plan_id)
    assert (r.status_code, r.json()["status"]) == (200, "draft")
    assert lead.post("submit_audit_plan", plan_id=plan_id).status_code == 200
    r = chair.post(
        "approve_audit_plan", {"approval_reference": "第2回情報セキュリティ委員会"}, plan_id=plan_id
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "approved"
    assert r.json()["approved_by_id"] == w.person(w.chair).pk
    r = lead.get("get_audit_plan", plan_id=plan_id)
    assert r.json()["approval_reference"] == "第2回情報セキュリティ委員会"
    assert [a["id"] for a in r.json()["audits"]] == [audit_id]
    approved = lead.get("list_audit_plans", {"status": "approved", "fiscal_year": fy}).json()
    drafts = lead.get("list_audit_plans", {"status": "draft"}).json()
    assert plan_id in {p["id"] for p in approved["items"]}
    assert plan_id not in {p["id"] for p in drafts["items"]}
    assert w.draft.pk in {p["id"] for p in drafts["items"]}


def test_fieldwork_finding_and_corrective_action_through_the_api(client, world):  # type: ignore[no-untyped-def]
    w = world
    auditor, manager, owner = Api(client, w.auditor), Api(client, w.manager), Api(client, w.owner)
    items = auditor.get("list_audit_items", audit_id=w.audit.pk).json()["items"]
    assert len(items) == w.audit.items.count()
    item_id = items[0]["id"]
    # a working paper, corrected, with an evidence file
    r = auditor.post(
        "add_audit_workpaper",
        {"kind": "interview", "performed_on": _today(), "notes": "聞き取り", "interviewee": "課長"},
        item_id=item_id,
    )
    assert r.status_code == 201, r.content
    paper_id = r.json()["id"]
    r = auditor.put(
        "update_audit_workpaper",
        {"kind": "interview", "performed_on": _today(), "notes": "再聴取", "interviewee": "課長"},
        workpaper_id=paper_id,
    )
    assert (r.status_code, r.json()["notes"]) == (200, "再聴取")
    r = auditor.upload(paper_id, "規程.pdf", PDF)
    assert r.status_code == 201, r.content
    evidence_id = r.json()["id"]
    assert r.json()["content_type"] == "application/pdf"
    r = auditor.get("get_audit_item", item_id=item_id)
    assert [e["id"] for e in r.json()["workpapers"][0]["evidence"]] == [evidence_id]
    reads = JournalEntry.objects.filter(kind=JournalEntry.Kind.READ).count()
    r = auditor.get("download_audit_evidence", evidence_id=evidence_id)
    assert r.status_code == 200
    assert r["Content-Disposition"].startswith("attachment;")
    assert b"".join(r.streaming_content) == PDF
    assert JournalEntry.objects.filter(kind=JournalEntry.Kind.READ).count() == reads + 1
    # the item's result and a finding
    r = auditor.post(
        "assess_audit_item", {"result": "partial", "note": "一部未ロック"}, item_id=item_id
    )
    assert (r.status_code, r.json()["result"]) == (200, "partial")
    r = auditor.post(
        "record_audit_finding",
        {
            "item_id": item_id,
            "severity": "minor",
            "title": "ロック未実施",
            "description": "離席時に端末がロックされていない",
        },
        audit_id=w.audit.pk,
    )
    assert r.status_code == 201, r.content
    finding_id = r.json()["id"]
    assert r.json()["control_id"] == AuditItem.objects.get(pk=item_id).control_id
    r = auditor.put(
        "update_audit_finding",
        {"severity": "major", "title": "ロック未実施", "description": "複数の端末で未ロック"},
        finding_id=finding_id,
    )
    assert (r.status_code, r.json()["severity"]) == (200, "major")
    # the unit answers it; the owner reports; the auditor sends it back, then verifies it
    r = manager.post(
        "add_finding_action",
        {"title": "端末ロックの徹底", "owner_id": w.person(w.owner).pk, "due_business_days": 10},
        finding_id=finding_id,
    )
    assert r.status_code == 201, r.content
    action_id = r.json()["id"]
    assert r.json()["due_date"] > _today()
    r = owner.post("progress_audit_action", {"note": "周知した", "done": True}, action_id=action_id)
    assert (r.status_code, r.json()["status"]) == (200, "done")
    r = auditor.post("reject_audit_action", {"reason": "証跡なし"}, action_id=action_id)
    assert (r.status_code, r.json()["status"]) == (200, "in_progress")
    mine = owner.get("list_audit_actions", {"mine": True}).json()["items"]
    assert [a["id"] for a in mine] == [action_id]
    owner.post("progress_audit_action", {"note": "証跡を添付", "done": True}, action_id=action_id)
    r = auditor.post("verify_audit_action", {"note": "確認した"}, action_id=action_id)
    assert (r.status_code, r.json()["status"]) == (200, "closed")
    assert r.json()["verified_by_id"] == w.person(w.auditor).pk
    # the finding closes; the audit closes with its opinion; the plan closes
    r = auditor.post("close_audit_finding", {"note": "是正を確認"}, finding_id=finding_id)
    assert (r.status_code, r.json()["status"]) == (200, "closed")
    assert [a["status"] for a in r.json()["actions"]] == ["closed"]
    closed = auditor.get("list_audit_findings", {"status": "closed"}).json()["items"]
    assert [f["id"] for f in closed] == [finding_id]
    _close_items(w, w.audit)
    r = auditor.post("close_audit", {"opinion": "概ね適切"}, audit_id=w.audit.pk)
    assert (r.status_code, r.json()["status"]) == (200, "closed")
    r = Api(client, w.lead_auditor).post("close_audit_plan", plan_id=w.plan.pk)
    assert (r.status_code, r.json()["status"]) == (200, "closed")


def test_targeted_inspection_asks_other_units(client, world, tsuru):  # type: ignore[no-untyped-def]
    w = world
    finding = _finding(w)
    r = Api(client, tsuru.lead).post(
        "request_finding_targeted_inspection",
        {"org_unit_ids": [tsuru.unit.pk], "answer_business_days": 10},
        finding_id=finding.pk,
    )
    assert r.status_code == 201, r.content
    finding.refresh_from_db()
    assert r.json()["campaign_id"] == finding.targeted_inspection_id
    assert r.json()["units_asked"] >= 1
    again = Api(client, tsuru.lead).post(
        "request_finding_targeted_inspection",
        {"org_unit_ids": [tsuru.unit.pk]},
        finding_id=finding.pk,
    )
    assert again.status_code == 422
    assert "org_unit_ids" in again.json()["errors"]


def test_overdue_filters(client, world):  # type: ignore[no-untyped-def]
    w = world
    finding = _finding(w)
    late, on_time = _action(w, finding), _action(w, finding)
    CorrectiveAction.objects.filter(pk=late.pk).update(
        due_date=timezone.localdate() - datetime.timedelta(days=3)
    )
    lead = Api(client, w.lead_auditor)
    actions = lead.get("list_audit_actions", {"overdue": True}).json()["items"]
    assert [(a["id"], a["overdue"]) for a in actions] == [(late.pk, True)]
    findings = lead.get("list_audit_findings", {"overdue": True}).json()["items"]
    assert [f["id"] for f in findings] == [finding.pk]
    CorrectiveAction.objects.filter(pk=late.pk).update(due_date=on_time.due_date)
    assert lead.get("list_audit_findings", {"overdue": True}).json()["items"] == []


# --- the issue's bad input --------------------------------------------------------------------


def test_auditor_of_the_audited_unit_is_refused_with_the_reason(client, world):  # type: ignore[no-untyped-def]
    w = world
    audit = w.draft.audits.get()
    before = AuditAuditor.objects.count()
    r = Api(client, w.lead_auditor).post(
        "assign_audit_auditor", {"person_id": w.person(w.insider).pk}, audit_id=audit.pk
    )
    assert r.status_code == 422
    messages = r.json()["errors"]["person_id"]
    assert "cannot audit it" in messages[0]
    assert AuditAuditor.objects.count() == before


def test_no_operation_closes_an_action_without_verification(client, world, tsuru):  # type: ignore[no-untyped-def]
    """Progress cannot set a status; 'done' awaits the auditor; the self-inspection side's
    verification refuses an audit's action (service and page); no route closes it otherwise."""
    from isms.inspections.audits.api import router

    w = world
    action = _action(w, _finding(w))
    owner = Api(client, w.owner)
    r = owner.post(
        "progress_audit_action", {"note": "完了", "status": "closed"}, action_id=action.pk
    )
    assert r.status_code == 422
    assert "status" in r.json()["errors"]
    action.refresh_from_db()
    assert action.status == CorrectiveAction.Status.OPEN
    r = owner.post("progress_audit_action", {"note": "完了", "done": True}, action_id=action.pk)
    assert r.json()["status"] == "done"
    r = owner.post("progress_audit_action", {"note": "再報告", "done": True}, action_id=action.pk)
    assert r.status_code == 422
    # the owner is not its verifier, nor is the unit's manager or a lead
    for user in (w.owner, w.manager, tsuru.lead):
        r = Api(client, user).post("verify_audit_action", {}, action_id=action.pk)
        assert r.status_code == 403, user
    with pytest.raises(PermissionDenied):
        inspection_services.verify_action(tsuru.lead, action)
    client.force_login(tsuru.lead)
    page = client.post(reverse("inspections:improvement_verify", kwargs={"pk": action.pk}))
    assert page.status_code in (403, 404)
    action.refresh_from_db()
    assert action.status == CorrectiveAction.Status.DONE
    assert action.verified_by_id is None
    improvements = Api(client, tsuru.lead).get("list_improvements").json()["items"]
    assert action.pk not in {a["id"] for a in improvements}
    paths = {path for path in router.path_operations if "actions" in path}
    assert all(not p.endswith("/close") for p in paths)


def test_a_closed_finding_is_not_edited(client, world):  # type: ignore[no-untyped-def]
    w = world
    finding = _finding(w, severity=Finding.Severity.OBSERVATION, title="改善提案")
    auditor = Api(client, w.auditor)
    r = auditor.post("close_audit_finding", {"note": "指導のみ"}, finding_id=finding.pk)
    assert (r.status_code, r.json()["status"]) == (200, "closed")
    r = auditor.put(
        "update_audit_finding",
        {"severity": "major", "title": "書き換え", "description": "書き換え"},
        finding_id=finding.pk,
    )
    assert r.status_code == 422
    assert "closed" in r.json()["errors"]["__all__"][0]
    finding.refresh_from_db()
    assert (finding.title, finding.severity) == ("改善提案", "observation")


def test_no_evidence_after_the_audit_closed(client, world):  # type: ignore[no-untyped-def]
    w = world
    item = w.audit.items.order_by("position").first()
    paper = services.add_workpaper(
        w.auditor, item, kind="test", performed_on=timezone.localdate(), notes="設定確認"
    )
    _close_items(w, w.audit)
    services.close_audit(w.auditor, w.audit, opinion="適切")
    auditor = Api(client, w.auditor)
    r = auditor.upload(paper.pk, "追加.pdf", PDF)
    assert r.status_code == 422
    assert "closed" in r.json()["errors"]["__all__"][0]
    assert not AuditEvidence.objects.filter(workpaper=paper).exists()
    r = auditor.post(
        "add_audit_workpaper",
        {"kind": "test", "performed_on": _today(), "notes": "追記"},
        item_id=item.pk,
    )
    assert r.status_code == 422


def test_bad_files_are_refused(client, world, settings):  # type: ignore[no-untyped-def]
    w = world
    item = w.audit.items.order_by("position").first()
    paper = services.add_workpaper(
        w.auditor, item, kind="test", performed_on=timezone.localdate(), notes="設定確認"
    )
    auditor = Api(client, w.auditor)
    no_file = client.post(
        _url("upload_audit_evidence", workpaper_id=paper.pk), {}, **auditor.headers
    )
    program = auditor.upload(paper.pk, "a.pdf", b"MZ\x90\x00" + b"\x00" * 300)
    settings.INSPECTION_EVIDENCE_MAX_BYTES = 10
    too_large = auditor.upload(paper.pk, "b.pdf", PDF)
    for r in (no_file, program, too_large):
        assert r.status_code == 422, r.content
        assert list(r.json()["errors"]) == ["file"]
    assert not AuditEvidence.objects.filter(workpaper=paper).exists()


def test_the_preparer_does_not_approve_their_own_plan(client, world, tsuru):  # type: ignore[no-untyped-def]
    w = world
    plan = services.create_plan(
        w.ciso, tsuru.municipality, fiscal_year=_fy(), title="CISOの計画", standard=w.plan.standard
    )
    audit = services.add_audit(
        w.ciso,
        plan,
        title="総務課",
        kind="internal",
        org_unit=tsuru.unit,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
    )
    services.assign_auditor(w.ciso, audit, w.person(w.auditor))
    services.submit_plan(w.ciso, plan)
    body = {"approval_reference": "第3回委員会"}
    own = Api(client, w.ciso).post("approve_audit_plan", body, plan_id=plan.pk)
    assert own.status_code == 422
    assert "兼務の禁止" in own.json()["errors"]["__all__"][0]
    no_right = Api(client, w.lead_auditor).post("approve_audit_plan", body, plan_id=plan.pk)
    assert no_right.status_code == 403
    plan.refresh_from_db()
    assert plan.status == AuditPlan.Status.SUBMITTED
    assert Api(client, w.chair).post("approve_audit_plan", body, plan_id=plan.pk).status_code == 200


def test_bad_input_is_a_field_error_and_saves_nothing(client, world, other_world):  # type: ignore[no-untyped-def]
    w = world
    lead = Api(client, w.lead_auditor)
    before = Audit.objects.count()
    body = {
        "title": "",
        "kind": "bogus",
        "org_unit_id": other_world.t.unit.pk,
        "starts_on": _today(),
        "ends_on": _today(),
    }
    r = lead.post("add_audit_to_plan", body, plan_id=w.draft.pk)
    assert r.status_code == 422
    assert list(r.json()["errors"]) == ["org_unit_id"]
    r = lead.post("add_audit_to_plan", body | {"org_unit_id": w.t.unit.pk}, plan_id=w.draft.pk)
    assert r.status_code == 422
    assert {"title", "kind"} <= set(r.json()["errors"])
    r = lead.post(
        "add_audit_to_plan",
        body | {"title": "x", "kind": "internal", "org_unit_id": w.t.unit.pk, "control_ids": [0]},
        plan_id=w.draft.pk,
    )
    assert list(r.json()["errors"]) == ["control_ids"]
    assert Audit.objects.count() == before
    r = lead.post("create_audit_plan", {"fiscal_year": 1900, "title": ""})
    assert r.status_code == 422
    assert {"fiscal_year", "title"} <= set(r.json()["errors"])
    r = lead.post("create_audit_plan", {"fiscal_year": 2026, "title": "x", "unknown": 1})
    assert list(r.json()["errors"]) == ["unknown"]
    r = lead.get("list_audit_findings", {"severity": "fatal"})
    assert list(r.json()["errors"]) == ["severity"]
    r = Api(client, w.auditor).post(
        "assess_audit_item", {"result": "partial"}, item_id=w.audit.items.first().pk
    )
    assert list(r.json()["errors"]) == ["note"]
    r = Api(client, w.lead_auditor).post("submit_audit_plan", plan_id=w.plan.pk)
    assert r.status_code == 422
    assert list(r.json()["errors"]) == ["__all__"]


# --- roles, tenancy, visibility ---------------------------------------------------------------


def test_staff_cannot_manage_audits(client, world, tsuru):  # type: ignore[no-untyped-def]
    w = world
    finding = _finding(w)
    _action(w, finding)  # the staff member owns an action: they see the finding, not the audit
    staff = Api(client, tsuru.staff)
    assert staff.get("get_audit_finding", finding_id=finding.pk).status_code == 200
    assert staff.get("get_audit_plan", plan_id=w.plan.pk).status_code == 404
    assert staff.get("get_audit", audit_id=w.audit.pk).status_code == 404
    assert staff.post("create_audit_plan", {"fiscal_year": _fy(), "title": "x"}).status_code == 403
    assert staff.post("close_audit_plan", plan_id=w.plan.pk).status_code == 404
    r = staff.post("close_audit", {"opinion": "x"}, audit_id=w.audit.pk)
    assert r.status_code == 404
    r = staff.post(
        "record_audit_finding",
        {"severity": "major", "title": "x", "description": "x"},
        audit_id=w.audit.pk,
    )
    assert r.status_code == 404
    # the unit's manager sees the audit, and may not perform it
    manager = Api(client, w.manager)
    assert manager.get("get_audit", audit_id=w.audit.pk).status_code == 200
    r = manager.post(
        "record_audit_finding",
        {"severity": "major", "title": "x", "description": "x"},
        audit_id=w.audit.pk,
    )
    assert r.status_code == 403
    # the draft plan is out of their sight altogether
    assert staff.post("submit_audit_plan", plan_id=w.draft.pk).status_code == 404
    # an auditor not named for this audit records nothing in it
    r = Api(client, w.lead_auditor).post(
        "record_audit_finding",
        {"severity": "major", "title": "x", "description": "x"},
        audit_id=w.audit.pk,
    )
    assert r.status_code == 403
    # the unit's manager answers findings, the auditor does not
    finding = _finding(w, title="別件")
    body = {"title": "x", "owner_id": w.person(w.owner).pk, "due_business_days": 5}
    r = Api(client, w.auditor).post("add_finding_action", body, finding_id=finding.pk)
    assert r.status_code == 403
    assert not finding.corrective_actions.exists()


def test_another_municipality_sees_nothing(client, world, other_world):  # type: ignore[no-untyped-def]
    w = world
    finding = _finding(w)
    action = _action(w, finding)
    for user in (other_world.lead_auditor, other_world.ciso, other_world.chair):
        kofu = Api(client, user)
        assert kofu.get("get_audit_plan", plan_id=w.plan.pk).status_code == 404
        assert kofu.get("get_audit", audit_id=w.audit.pk).status_code == 404
        assert kofu.get("get_audit_finding", finding_id=finding.pk).status_code == 404
        r = kofu.post("approve_audit_plan", {"approval_reference": "x"}, plan_id=w.draft.pk)
        assert r.status_code == 404
        assert kofu.post("verify_audit_action", {}, action_id=action.pk).status_code == 404
        plans = kofu.get("list_audit_plans").json()["items"]
        assert w.plan.pk not in {p["id"] for p in plans}
        assert kofu.get("list_audit_findings").json()["items"] == []
    # 都留市's auditor named in 甲府市's own audit: as if they did not exist
    r = Api(client, other_world.lead_auditor).post(
        "assign_audit_auditor",
        {"person_id": w.person(w.auditor).pk},
        audit_id=other_world.draft.audits.get().pk,
    )
    assert r.status_code == 422
    assert list(r.json()["errors"]) == ["person_id"]


def test_unit_manager_lists_only_their_units_findings(client, world, tsuru):  # type: ignore[no-untyped-def]
    w = world
    ours = _finding(w)
    tax = make_unit(tsuru.municipality, "税務課", parent=tsuru.bureau)
    plan = services.create_plan(
        w.lead_auditor,
        tsuru.municipality,
        fiscal_year=_fy(),
        title="税務",
        standard=w.plan.standard,
    )
    audit = services.add_audit(
        w.lead_auditor,
        plan,
        title="税務課の監査",
        kind="internal",
        org_unit=tax,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
    )
    services.assign_auditor(w.lead_auditor, audit, w.person(w.auditor))
    services.submit_plan(w.lead_auditor, plan)
    services.approve_plan(w.chair, plan, reference="第2回")
    theirs = services.record_finding(
        w.auditor, audit, severity="major", title="税務の指摘", description="未対応"
    )
    manager = Api(client, w.manager)
    listed = manager.get("list_audit_findings").json()["items"]
    assert [f["id"] for f in listed] == [ours.pk]
    assert manager.get("get_audit_finding", finding_id=theirs.pk).status_code == 404
    assert manager.get("get_audit", audit_id=audit.pk).status_code == 404
    everything = Api(client, w.lead_auditor).get("list_audit_findings").json()["items"]
    assert {f["id"] for f in everything} == {ours.pk, theirs.pk}
    by_unit = Api(client, w.lead_auditor).get("list_audit_findings", {"org_unit_id": tax.pk})
    assert [f["id"] for f in by_unit.json()["items"]] == [theirs.pk]
