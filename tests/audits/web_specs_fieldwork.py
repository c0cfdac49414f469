"""Access specs of the audit fieldwork, finding and corrective-action pages, run by
tests/test_web_access.py.

Who may, from ``core/permissions.py`` RULES narrowed by ``audits/visibility.py`` and the
services: LEAD (統括情報セキュリティ責任者) sees every audit, finding and action, answers findings
with corrective actions and asks other units to check themselves (横展開); fieldwork, closing a
finding and verifying an action belong to the audit's own auditors (監査人, not a persona of the
matrix: LEAD gets 403, tests/audits/test_views_fieldwork.py covers the auditors). STAFF
(``t.staff``) sees only the findings whose corrective action they own and reports its progress;
ADMIN (an account flag, no audit role) sees no audit record (404) but the lists (empty).
SERVICE lacks the municipality's grant and is refused everything.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from isms.core.models import Person
from isms.core.permissions import Action
from isms.inspections.audits.models import AuditEvidence, AuditWorkpaper, Finding
from isms.inspections.models import CorrectiveAction, SelfInspection
from tests.audits import world_fieldwork as wf
from tests.support.access import ADMIN, LEAD, STAFF, WEB, AccessSpec

SEE = {STAFF, LEAD, ADMIN}
NOBODY: set[Any] = set()  # the audit's own auditors only: no persona of the matrix
OUT_OF_SIGHT = {STAFF, ADMIN}


def _url(name: str, **kwargs: object) -> str:
    return reverse(f"audits:{name}", kwargs=kwargs)


def _page(name: str, action: Action, permitted: set[Any], **more: Any) -> AccessSpec:
    more.setdefault("url", lambda t: _url(name))
    more.setdefault("other", None)
    return AccessSpec(name=f"audits:{name}", kind=WEB, action=action, permitted=permitted, **more)


def _record(name: str, action: Action, permitted: set[Any], obj: Any, **more: Any) -> AccessSpec:
    more.setdefault("other", 404)
    # The record is made (and journaled) before the runner takes its state.
    more.setdefault("target", obj)
    return _page(name, action, permitted, url=lambda t: _url(name, pk=obj(t).pk), **more)


def _post(name: str, action: Action, permitted: set[Any], obj: Any, **more: Any) -> AccessSpec:
    more.setdefault("ok", 302)
    return _record(name, action, permitted, obj, method="POST", **more)


def _finding_form(t: Any) -> dict[str, Any]:
    return {
        "severity": "minor",
        "title": "鍵の管理不備",
        "description": "サーバ室の鍵が施錠されていない箱にあった。",
        "recommendation": "",
        "item": wf.item(t).pk,
        "org_unit": t.unit.pk,
    }


def _workpaper_form(t: Any) -> dict[str, Any]:
    return {
        "kind": "interview",
        "performed_on": wf.audit(t).starts_on.isoformat(),
        "interviewee": "総務課長",
        "notes": "聞き取りを行った。",
    }


def _action_form(t: Any) -> dict[str, Any]:
    return {
        "title": "鍵の保管庫を設ける",
        "owner_number": Person.objects.get(user=t.staff).employee_number,
        "due_business_days": "15",
        "description": "",
    }


SPECS: list[AccessSpec] = [
    _record("audit_detail", Action.VIEW_AUDITS, {LEAD}, wf.audit, hidden=OUT_OF_SIGHT),
    _post(
        "audit_close",
        Action.PERFORM_AUDITS,
        NOBODY,
        wf.audit,
        hidden=OUT_OF_SIGHT,
        data=lambda t: {"opinion": "概ね適切"},
    ),
    _record("item_detail", Action.VIEW_AUDITS, {LEAD}, wf.item, hidden=OUT_OF_SIGHT),
    _post(
        "item_assess",
        Action.PERFORM_AUDITS,
        NOBODY,
        wf.item,
        hidden=OUT_OF_SIGHT,
        data=lambda t: {"result": "conforming", "result_note": ""},
    ),
    _post(
        "workpaper_create",
        Action.PERFORM_AUDITS,
        NOBODY,
        wf.item,
        hidden=OUT_OF_SIGHT,
        data=_workpaper_form,
        creates=AuditWorkpaper,
    ),
    _record("workpaper_edit", Action.PERFORM_AUDITS, NOBODY, wf.workpaper, hidden=OUT_OF_SIGHT),
    _post(
        "workpaper_edit",
        Action.PERFORM_AUDITS,
        NOBODY,
        wf.workpaper,
        hidden=OUT_OF_SIGHT,
        data=_workpaper_form,
    ),
    _post(
        "evidence_upload",
        Action.PERFORM_AUDITS,
        NOBODY,
        wf.workpaper,
        hidden=OUT_OF_SIGHT,
        creates=AuditEvidence,
    ),
    _record("evidence_download", Action.VIEW_AUDITS, {LEAD}, wf.evidence, hidden=OUT_OF_SIGHT),
    _page("finding_list", Action.VIEW_AUDITS, SEE),
    _record("finding_create", Action.PERFORM_AUDITS, NOBODY, wf.audit, hidden=OUT_OF_SIGHT),
    _post(
        "finding_create",
        Action.PERFORM_AUDITS,
        NOBODY,
        wf.audit,
        hidden=OUT_OF_SIGHT,
        data=_finding_form,
        creates=Finding,
    ),
    # t.staff owns an action of the finding: they see it, and only that.
    _record("finding_detail", Action.VIEW_AUDITS, {STAFF, LEAD}, wf.owned_finding, hidden={ADMIN}),
    _record("finding_edit", Action.PERFORM_AUDITS, NOBODY, wf.owned_finding, hidden={ADMIN}),
    _post(
        "finding_edit",
        Action.PERFORM_AUDITS,
        NOBODY,
        wf.owned_finding,
        hidden={ADMIN},
        data=_finding_form,
    ),
    _post(
        "finding_close",
        Action.PERFORM_AUDITS,
        NOBODY,
        wf.owned_finding,
        hidden={ADMIN},
        data=lambda t: {"note": "是正を確認"},
    ),
    _post(
        "finding_targeted",
        Action.MANAGE_INSPECTIONS,
        {LEAD},
        wf.finding,
        hidden=OUT_OF_SIGHT,
        data=lambda t: {"units": [t.unit.pk], "answer_business_days": "10"},
        creates=SelfInspection,
    ),
    _post(
        "action_create",
        Action.RESPOND_FINDINGS,
        {LEAD},
        wf.finding,
        hidden=OUT_OF_SIGHT,
        data=_action_form,
        creates=CorrectiveAction,
    ),
    _page("action_list", Action.VIEW_AUDITS, SEE),
    _post(
        "action_progress",
        Action.VIEW_AUDITS,
        {STAFF},
        wf.action,
        hidden={ADMIN},
        data=lambda t: {"note": "周知文を起案中"},
    ),
    _post("action_verify", Action.PERFORM_AUDITS, NOBODY, wf.done_action, hidden={ADMIN}),
    _post(
        "action_reject",
        Action.PERFORM_AUDITS,
        NOBODY,
        wf.done_action,
        hidden={ADMIN},
        data=lambda t: {"reason": "配布記録がない"},
    ),
]
