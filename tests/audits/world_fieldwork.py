"""Fieldwork records of the access matrix and the page tests, made on first use for a tenant
``t`` (a ``Tenant`` or ``Site``) on top of ``tests.audits.factories.audit_world(t)``: a working
paper of the audit's first item with a PDF evidence file, a finding of that item, an open
corrective action owned by ``t.staff`` and a second one ``t.staff`` reported done."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from isms.core.models import Person
from isms.inspections import services as inspection_services
from isms.inspections.audits import services
from isms.inspections.audits.models import (
    Audit,
    AuditEvidence,
    AuditItem,
    AuditWorkpaper,
    Finding,
)
from isms.inspections.models import CorrectiveAction
from tests.audits.factories import PDF, AuditWorld, audit_world

FINDING_TITLE = "離席時の端末ロック未実施"
ACTION_TITLE = "端末ロックの周知"
DONE_TITLE = "スクリーンロック設定の配布"


def world(t: Any) -> AuditWorld:
    return audit_world(t)


def audit(t: Any) -> Audit:
    return world(t).audit


def item(t: Any) -> AuditItem:
    return audit(t).items.order_by("position", "pk").first()


def workpaper(t: Any) -> AuditWorkpaper:
    w = world(t)
    found = AuditWorkpaper.objects.filter(item=item(t)).order_by("pk").first()
    return found or services.add_workpaper(
        w.auditor,
        item(t),
        kind=AuditWorkpaper.Kind.DOCUMENT_REVIEW,
        performed_on=timezone.localdate(),
        notes="端末管理台帳を確認した。",
    )


def evidence(t: Any) -> AuditEvidence:
    paper = workpaper(t)
    found = AuditEvidence.objects.filter(workpaper=paper).order_by("pk").first()
    return found or services.add_evidence(world(t).auditor, paper, name="台帳.pdf", data=PDF)


def finding(t: Any) -> Finding:
    w = world(t)
    found = Finding.objects.filter(audit=w.audit, title=FINDING_TITLE).first()
    return found or services.record_finding(
        w.auditor,
        w.audit,
        item=item(t),
        severity=Finding.Severity.MINOR,
        title=FINDING_TITLE,
        description="離席時に端末がロックされていなかった。",
        recommendation="スクリーンロックを徹底すること。",
    )


def _action(t: Any, title: str) -> CorrectiveAction:
    w = world(t)
    f = finding(t)
    found = CorrectiveAction.objects.filter(finding=f, title=title).first()
    return found or services.add_action(
        w.manager, f, title=title, owner=Person.objects.get(user=t.staff), due_business_days=10
    )


def action(t: Any) -> CorrectiveAction:
    """An open corrective action of ``finding``, owned by ``t.staff``."""
    return _action(t, ACTION_TITLE)


def done_action(t: Any) -> CorrectiveAction:
    """A corrective action of ``finding`` that ``t.staff`` reported done (awaiting verification)."""
    a = _action(t, DONE_TITLE)
    if a.status in (CorrectiveAction.Status.OPEN, CorrectiveAction.Status.IN_PROGRESS):
        a = inspection_services.progress_action(t.staff, a, note="配布した。", done=True)
    return a


def owned_finding(t: Any) -> Finding:
    """``finding`` once ``t.staff`` owns one of its actions (so that they see it)."""
    action(t)
    return finding(t)
