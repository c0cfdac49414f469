"""The access matrix of the audits API (``isms.inspections.audits.api``), and its records.

The records are made on first use for the tenant ``t`` the matrix addresses (``api_world``), on
top of ``tests.audits.factories.audit_world``: a submitted plan, a working paper with an evidence
file and a finding on the approved plan's audit, and two corrective actions owned by ``t.staff``
(one open, one reported done). So the plain member of staff sees the finding through the actions
they own (``audits.visibility``), but not the audit, its plan, items, working papers or
evidence; the lead security officer sees everything; the municipality administrator (an account
flag, no role) sees nothing of it (404); the service administrator without the grant may not
read audits at all (403).

None of the matrix's personas draws up, approves or performs audits (CISO, 委員長, 監査統括責任者,
監査人): those operations are refused to all of them, and proven permitted for the right role
holders in ``tests/audits/test_api.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils import timezone

from isms.core.calendar import fiscal_year_of
from isms.core.models import Person
from isms.core.permissions import Action
from isms.inspections import services as inspection_services
from isms.inspections.audits import services
from isms.inspections.audits.models import (
    Audit,
    AuditAuditor,
    AuditEvidence,
    AuditItem,
    AuditPlan,
    AuditWorkpaper,
    Finding,
)
from isms.inspections.models import CorrectiveAction, SelfInspection
from tests.audits.factories import PDF, audit_world
from tests.support.access import ADMIN, API, LEAD, STAFF, AccessSpec

SEE = {STAFF, LEAD, ADMIN}  # lists: everyone of the municipality (narrowed to what they see)
SEEN = {STAFF, LEAD}  # the finding and its actions: the lead, and the staff owning an action
NOBODY: set[Any] = set()


@dataclass
class ApiWorld:
    plan: AuditPlan  # approved
    audit: Audit  # of the approved plan, fieldwork open
    draft: AuditPlan
    draft_audit: Audit
    draft_auditor: AuditAuditor
    submitted: AuditPlan
    item: AuditItem
    workpaper: AuditWorkpaper
    evidence: AuditEvidence
    finding: Finding
    open_action: CorrectiveAction  # owned by t.staff, open
    done_action: CorrectiveAction  # owned by t.staff, reported done


def _submitted(t: Any, w: Any) -> AuditPlan:
    found = AuditPlan.objects.filter(municipality=t.municipality, title="監査計画C").first()
    if found is not None:
        return found
    today = timezone.localdate()
    plan = services.create_plan(
        w.lead_auditor,
        t.municipality,
        fiscal_year=w.plan.fiscal_year,
        title="監査計画C",
        standard=w.plan.standard,
    )
    audit = services.add_audit(
        w.lead_auditor,
        plan,
        title="提出済み計画の監査",
        kind=Audit.Kind.INTERNAL,
        org_unit=t.unit,
        starts_on=today,
        ends_on=today,
    )
    services.assign_auditor(w.lead_auditor, audit, w.person(w.auditor))
    return services.submit_plan(w.lead_auditor, plan)


def _action(w: Any, finding: Finding, title: str, *, done: bool) -> CorrectiveAction:
    found = CorrectiveAction.objects.filter(finding=finding, title=title).first()
    if found is not None:
        return found
    action = services.add_action(
        w.manager, finding, title=title, owner=w.person(w.owner), due_business_days=10
    )
    if done:
        action = inspection_services.progress_action(w.owner, action, note="対応済み", done=True)
    return action


def api_world(t: Any) -> ApiWorld:
    w = audit_world(t)
    audit = w.audit
    item = audit.items.order_by("position", "pk").first()
    assert item is not None
    paper = AuditWorkpaper.objects.filter(item=item).first() or services.add_workpaper(
        w.auditor,
        item,
        kind=AuditWorkpaper.Kind.DOCUMENT_REVIEW,
        performed_on=timezone.localdate(),
        notes="規程類を確認した",
    )
    evidence = AuditEvidence.objects.filter(workpaper=paper).first() or services.add_evidence(
        w.auditor, paper, name="規程.pdf", data=PDF
    )
    finding = Finding.objects.filter(audit=audit, title="API指摘").first() or (
        services.record_finding(
            w.auditor,
            audit,
            item=item,
            severity=Finding.Severity.MINOR,
            title="API指摘",
            description="離席時に端末がロックされていない",
        )
    )
    draft_audit = w.draft.audits.order_by("sequence").first()
    assert draft_audit is not None
    return ApiWorld(
        plan=w.plan,
        audit=audit,
        draft=w.draft,
        draft_audit=draft_audit,
        draft_auditor=draft_audit.auditors.order_by("pk").first(),
        submitted=_submitted(t, w),
        item=item,
        workpaper=paper,
        evidence=evidence,
        finding=finding,
        open_action=_action(w, finding, "端末ロックの徹底", done=False),
        done_action=_action(w, finding, "規程の周知", done=True),
    )


def _url(name: str, **kwargs: object) -> str:
    return reverse(f"api:{name}", kwargs=kwargs)


def _on(name: str, key: str, record: str) -> Any:
    """The URL of operation ``name`` with path parameter ``key`` naming ``api_world``'s
    ``record``."""
    return lambda t: _url(name, **{key: getattr(api_world(t), record).pk})


def _target(record: str) -> Any:
    return lambda t: getattr(api_world(t), record)


def _spec(name: str, action: Action, permitted: set[Any], **more: Any) -> AccessSpec:
    more.setdefault("url", lambda t: _url(name))
    more.setdefault("other", None)
    return AccessSpec(name=name, kind=API, action=action, permitted=permitted, **more)


def _record_op(
    name: str,
    key: str,
    record: str,
    action: Action,
    *,
    method: str = "POST",
    permitted: set[Any] = NOBODY,
    hidden: set[Any] = frozenset({ADMIN}),  # type: ignore[assignment]
    **more: Any,
) -> AccessSpec:
    """An operation on one of ``api_world``'s records: 404 for another municipality. The
    records are made through the target, before the runner takes the state."""
    more.setdefault("other", 404)
    more.setdefault("target", _target(record))
    if record in AUDIT_RECORDS:
        # The audit's own records are out of the action owner's sight (only the finding and
        # the actions are theirs): 404 for the plain member of staff.
        permitted = permitted - {STAFF}
        hidden = set(hidden) | {STAFF}
    return _spec(
        name,
        action,
        permitted,
        method=method,
        url=_on(name, key, record),
        hidden=hidden,
        **more,
    )


# Records of the draft and the submitted plans are out of the plain staff member's sight.
UNSEEN = {STAFF, ADMIN}
AUDIT_RECORDS = {"plan", "audit", "item", "workpaper", "evidence"}


def _today() -> str:
    return timezone.localdate().isoformat()


def _staff_person(t: Any) -> int:
    return Person.objects.get(user=t.staff).pk


SPECS = [
    # plans
    _spec("list_audit_plans", Action.VIEW_AUDITS, SEE),
    _spec(
        "create_audit_plan",
        Action.MANAGE_AUDITS,
        NOBODY,
        method="POST",
        data=lambda t: {
            "municipality_id": t.municipality.pk,
            "fiscal_year": fiscal_year_of(timezone.localdate()),
            "title": "API監査計画",
        },
        ok=201,
        other=403,  # nobody of the matrix may draw plans up anywhere
        creates=AuditPlan,
    ),
    _record_op(
        "get_audit_plan", "plan_id", "plan", Action.VIEW_AUDITS, method="GET", permitted=SEEN
    ),
    _record_op(
        "update_audit_plan",
        "plan_id",
        "draft",
        Action.MANAGE_AUDITS,
        method="PUT",
        hidden=UNSEEN,
        data=lambda t: {"fiscal_year": api_world(t).draft.fiscal_year, "title": "改題"},
    ),
    _record_op("submit_audit_plan", "plan_id", "draft", Action.MANAGE_AUDITS, hidden=UNSEEN),
    _record_op(
        "approve_audit_plan",
        "plan_id",
        "submitted",
        Action.APPROVE_AUDIT_PLANS,
        hidden=UNSEEN,
        data=lambda t: {"approval_reference": "第2回情報セキュリティ委員会"},
    ),
    _record_op(
        "return_audit_plan",
        "plan_id",
        "submitted",
        Action.APPROVE_AUDIT_PLANS,
        hidden=UNSEEN,
        data=lambda t: {"reason": "監査項目を見直すこと"},
    ),
    _record_op("close_audit_plan", "plan_id", "plan", Action.MANAGE_AUDITS),
    # audits
    _record_op(
        "add_audit_to_plan",
        "plan_id",
        "draft",
        Action.MANAGE_AUDITS,
        hidden=UNSEEN,
        data=lambda t: {
            "title": "追加の監査",
            "kind": "internal",
            "org_unit_id": t.unit.pk,
            "starts_on": _today(),
            "ends_on": _today(),
        },
        creates=Audit,
    ),
    _record_op("get_audit", "audit_id", "audit", Action.VIEW_AUDITS, method="GET", permitted=SEEN),
    _record_op(
        "update_audit",
        "audit_id",
        "draft_audit",
        Action.MANAGE_AUDITS,
        method="PUT",
        hidden=UNSEEN,
        data=lambda t: {
            "title": "改題した監査",
            "kind": "internal",
            "org_unit_id": t.unit.pk,
            "starts_on": _today(),
            "ends_on": _today(),
        },
    ),
    _record_op(
        "delete_audit",
        "audit_id",
        "draft_audit",
        Action.MANAGE_AUDITS,
        method="DELETE",
        hidden=UNSEEN,
    ),
    _record_op(
        "assign_audit_auditor",
        "audit_id",
        "draft_audit",
        Action.MANAGE_AUDITS,
        hidden=UNSEEN,
        data=lambda t: {"person_id": audit_world(t).person(audit_world(t).lead_auditor).pk},
        creates=AuditAuditor,
    ),
    _record_op(
        "remove_audit_auditor",
        "auditor_id",
        "draft_auditor",
        Action.MANAGE_AUDITS,
        method="DELETE",
        hidden=UNSEEN,
    ),
    _record_op(
        "close_audit",
        "audit_id",
        "audit",
        Action.PERFORM_AUDITS,
        data=lambda t: {"opinion": "概ね適切"},
    ),
    # fieldwork
    _record_op(
        "list_audit_items", "audit_id", "audit", Action.VIEW_AUDITS, method="GET", permitted=SEEN
    ),
    _record_op(
        "get_audit_item", "item_id", "item", Action.VIEW_AUDITS, method="GET", permitted=SEEN
    ),
    _record_op(
        "assess_audit_item",
        "item_id",
        "item",
        Action.PERFORM_AUDITS,
        data=lambda t: {"result": "conforming"},
    ),
    _record_op(
        "add_audit_workpaper",
        "item_id",
        "item",
        Action.PERFORM_AUDITS,
        data=lambda t: {"kind": "observation", "performed_on": _today(), "notes": "現地確認"},
        creates=AuditWorkpaper,
    ),
    _record_op(
        "update_audit_workpaper",
        "workpaper_id",
        "workpaper",
        Action.PERFORM_AUDITS,
        method="PUT",
        data=lambda t: {"kind": "observation", "performed_on": _today(), "notes": "再確認"},
    ),
    _record_op(
        "upload_audit_evidence",
        "workpaper_id",
        "workpaper",
        Action.PERFORM_AUDITS,
        creates=AuditEvidence,
    ),
    _record_op(
        "download_audit_evidence",
        "evidence_id",
        "evidence",
        Action.VIEW_AUDITS,
        method="GET",
        permitted=SEEN,
    ),
    # findings
    _spec("list_audit_findings", Action.VIEW_AUDITS, SEE),
    _record_op(
        "record_audit_finding",
        "audit_id",
        "audit",
        Action.PERFORM_AUDITS,
        data=lambda t: {"severity": "major", "title": "新たな指摘", "description": "未対応"},
        creates=Finding,
    ),
    _record_op(
        "get_audit_finding",
        "finding_id",
        "finding",
        Action.VIEW_AUDITS,
        method="GET",
        permitted=SEEN,
    ),
    _record_op(
        "update_audit_finding",
        "finding_id",
        "finding",
        Action.PERFORM_AUDITS,
        method="PUT",
        data=lambda t: {"severity": "major", "title": "改題", "description": "未対応"},
    ),
    _record_op(
        "close_audit_finding",
        "finding_id",
        "finding",
        Action.PERFORM_AUDITS,
        data=lambda t: {"note": "確認済み"},
    ),
    _record_op(
        "request_finding_targeted_inspection",
        "finding_id",
        "finding",
        Action.MANAGE_INSPECTIONS,
        permitted={LEAD},
        data=lambda t: {"org_unit_ids": [t.unit.pk], "answer_business_days": 10},
        ok=201,
        creates=SelfInspection,
    ),
    # corrective actions of findings
    _spec("list_audit_actions", Action.VIEW_AUDITS, SEE),
    _record_op(
        "add_finding_action",
        "finding_id",
        "finding",
        Action.RESPOND_FINDINGS,
        permitted={LEAD},
        data=lambda t: {
            "title": "再発防止",
            "owner_id": _staff_person(t),
            "due_business_days": 15,
        },
        ok=201,
        creates=CorrectiveAction,
    ),
    _record_op(
        "progress_audit_action",
        "action_id",
        "open_action",
        Action.VIEW_AUDITS,
        permitted={STAFF},
        data=lambda t: {"note": "手順書を改訂中"},
    ),
    _record_op(
        "verify_audit_action",
        "action_id",
        "done_action",
        Action.PERFORM_AUDITS,
        data=lambda t: {"note": "確認した"},
    ),
    _record_op(
        "reject_audit_action",
        "action_id",
        "done_action",
        Action.PERFORM_AUDITS,
        data=lambda t: {"reason": "証跡が不足"},
    ),
]
