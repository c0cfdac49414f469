"""The whole audit cycle through the services, once (the detailed rules: test_services)."""

from __future__ import annotations

from django.core import mail

from isms.inspections import services as inspection_services
from isms.inspections.audits import services
from isms.inspections.audits.models import AuditItem, Finding
from isms.inspections.models import CorrectiveAction


def test_plan_to_closed_finding(world):  # type: ignore[no-untyped-def]
    w = world
    item = w.audit.items.order_by("position").first()
    services.add_workpaper(
        w.auditor,
        item,
        kind="interview",
        performed_on=w.audit.starts_on,
        notes="聞き取り",
        interviewee="総務課長",
    )
    finding = services.record_finding(
        w.auditor,
        w.audit,
        item=item,
        severity="minor",
        title="ロック未実施",
        description="離席時に端末がロックされていない",
    )
    assert finding.control_id == item.control_id
    assert finding.reference.endswith("-01-01")
    action = services.add_action(
        w.manager, finding, title="端末ロックの徹底", owner=w.person(w.owner), due_business_days=10
    )
    inspection_services.progress_action(w.owner, action, note="周知した", done=True)
    action.refresh_from_db()
    services.verify_action(w.auditor, action)
    action.refresh_from_db()
    assert action.status == CorrectiveAction.Status.CLOSED
    finding = services.close_finding(w.auditor, finding)
    assert finding.status == Finding.Status.CLOSED
    for i in w.audit.items.all():
        services.assess_item(w.auditor, i, result=AuditItem.Result.CONFORMING)
    audit = services.close_audit(w.auditor, w.audit, opinion="概ね適切")
    assert audit.status == "closed"
    assert any("Audit finding" in m.subject for m in mail.outbox) or not w.person(w.manager).email
