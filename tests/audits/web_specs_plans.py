"""Access specs of the audit plan pages, run by tests/test_web_access.py.

Who may, from ``core/permissions.py`` RULES narrowed by ``audits/visibility.py``: everyone of
the municipality opens the list (VIEW_AUDITS); LEAD (統括情報セキュリティ責任者) sees every plan
(VIEW_ALL_AUDITS) but neither draws plans up (MANAGE_AUDITS: the CISO and the 監査統括責任者) nor
approves them (APPROVE_AUDIT_PLANS: the CISO and the committee chair), so the matrix's personas
are refused every write: 403 for LEAD, 404 for STAFF and ADMIN (no role: the plans are out of
their sight). The writes by the right people are in tests/audits/test_views_plans.py.
SERVICE lacks the municipality's grant and is refused everything.

Records come from ``tests.audits.factories.audit_world(t)`` (``t`` is the matrix's ``Site``),
made through ``target`` before the runner takes its state.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from isms.core.permissions import Action
from isms.inspections.audits.models import Audit, AuditAuditor, AuditPlan
from tests.audits.factories import audit_world
from tests.support.access import ADMIN, LEAD, STAFF, WEB, AccessSpec

SEE = {STAFF, LEAD, ADMIN}
SEES_ALL = {LEAD}
OUT_OF_SIGHT = {STAFF, ADMIN}


def plan(t: Any) -> AuditPlan:
    return audit_world(t).plan


def draft(t: Any) -> AuditPlan:
    return audit_world(t).draft


def draft_audit(t: Any) -> Audit:
    return audit_world(t).draft.audits.get()


def draft_auditor(t: Any) -> AuditAuditor:
    return draft_audit(t).auditors.get()


def _url(name: str, **kwargs: object) -> str:
    return reverse(f"audits:{name}", kwargs=kwargs)


def _page(name: str, action: Action, permitted: set[Any], **more: Any) -> AccessSpec:
    more.setdefault("url", lambda t: _url(name))
    more.setdefault("other", None)
    return AccessSpec(name=f"audits:{name}", kind=WEB, action=action, permitted=permitted, **more)


def _record(name: str, action: Action, permitted: set[Any], obj: Any, **more: Any) -> AccessSpec:
    more.setdefault("other", 404)
    # The records are made (and journaled) before the runner takes its state.
    more.setdefault("target", obj)
    more.setdefault("hidden", OUT_OF_SIGHT)
    return _page(name, action, permitted, url=lambda t: _url(name, pk=obj(t).pk), **more)


def _write(name: str, action: Action, obj: Any, **more: Any) -> AccessSpec:
    """A write nobody of the matrix may make: 403 for LEAD, 404 for the others."""
    more.setdefault("method", "POST")
    more.setdefault("ok", 302)
    return _record(name, action, set(), obj, **more)


def _plan_form(t: Any) -> dict[str, Any]:
    audit_world(t)
    return {"fiscal_year": str(plan(t).fiscal_year), "title": "臨時監査計画", "objective": ""}


def _audit_form(t: Any) -> dict[str, Any]:
    today = timezone.localdate().isoformat()
    return {
        "title": "追加監査",
        "kind": "internal",
        "org_unit": t.unit.pk,
        "starts_on": today,
        "ends_on": today,
    }


SPECS: list[AccessSpec] = [
    _page("plan_list", Action.VIEW_AUDITS, SEE),
    _page("plan_create", Action.MANAGE_AUDITS, set(), target=plan),
    _page(
        "plan_create",
        Action.MANAGE_AUDITS,
        set(),
        method="POST",
        data=_plan_form,
        ok=302,
        creates=AuditPlan,
        target=plan,
    ),
    _record("plan_detail", Action.VIEW_AUDITS, SEES_ALL, plan),
    _record("plan_edit", Action.MANAGE_AUDITS, set(), draft),
    _write("plan_edit", Action.MANAGE_AUDITS, draft, data=_plan_form),
    _write("plan_submit", Action.MANAGE_AUDITS, draft),
    _write(
        "plan_approve",
        Action.APPROVE_AUDIT_PLANS,
        draft,
        data=lambda t: {"approval_reference": "第2回情報セキュリティ委員会"},
    ),
    _write("plan_return", Action.APPROVE_AUDIT_PLANS, draft, data=lambda t: {"reason": "不足"}),
    _write("plan_close", Action.MANAGE_AUDITS, plan),
    _record("audit_create", Action.MANAGE_AUDITS, set(), draft),
    _write("audit_create", Action.MANAGE_AUDITS, draft, data=_audit_form, creates=Audit),
    _record("audit_edit", Action.MANAGE_AUDITS, set(), draft_audit),
    _write("audit_edit", Action.MANAGE_AUDITS, draft_audit, data=_audit_form),
    _write("audit_delete", Action.MANAGE_AUDITS, draft_audit),
    _record("auditor_add", Action.MANAGE_AUDITS, set(), draft_audit),
    _write(
        "auditor_add",
        Action.MANAGE_AUDITS,
        draft_audit,
        data=lambda t: {"person": audit_world(t).person(audit_world(t).lead_auditor).pk},
        creates=AuditAuditor,
    ),
    _write("auditor_remove", Action.MANAGE_AUDITS, draft_auditor),
]
