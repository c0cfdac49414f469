"""The demo's audit plan: loaded with the demo, independent auditors, and loaded only once."""

from __future__ import annotations

from django.utils import timezone

from isms.core.calendar import fiscal_year_of
from isms.core.models import JournalEntry, Person
from isms.inspections.audits import visibility
from isms.inspections.audits.models import (
    Audit,
    AuditAuditor,
    AuditItem,
    AuditPlan,
    AuditWorkpaper,
    Finding,
)
from isms.inspections.models import CorrectiveAction


def _counts() -> dict[str, int]:
    return {
        "plans": AuditPlan.objects.count(),
        "audits": Audit.objects.count(),
        "auditors": AuditAuditor.objects.count(),
        "items": AuditItem.objects.count(),
        "assessed": AuditItem.objects.exclude(result=AuditItem.Result.PENDING).count(),
        "workpapers": AuditWorkpaper.objects.count(),
        "findings": Finding.objects.count(),
        "actions": CorrectiveAction.objects.filter(finding__isnull=False).count(),
        "journal": JournalEntry.objects.filter(
            action__regex=r"^(audit|audit_plan|audit_item|audit_workpaper|finding)\."
        ).count(),
    }


def test_the_demo_has_an_approved_plan_with_two_audits_and_loads_once(db):
    from isms.core.models import User
    from isms.data.loader import load_demo

    # when
    load_demo(password="demo-test-password")
    # then
    today = timezone.localdate()
    plan = AuditPlan.objects.get()
    assert plan.status == AuditPlan.Status.APPROVED
    assert plan.fiscal_year == fiscal_year_of(today)
    assert plan.approved_by == Person.objects.get(user__username="ciso")
    assert plan.prepared_by == Person.objects.get(user__username="auditor")
    audits = list(plan.audits.order_by("sequence"))
    assert [a.org_unit.code for a in audits] == ["110", "220"]
    auditor = Person.objects.get(user__username="auditor")
    for audit in audits:
        assert list(audit.auditors.values_list("person", flat=True)) == [auditor.pk]
        assert audit.status == Audit.Status.FIELDWORK
        assert audit.items.exists()
        assert auditor.org_unit_id != audit.org_unit_id
    counts = _counts()
    assert counts["audits"] == 2
    assert counts["workpapers"] == 3
    assert counts["assessed"] == 4
    assert counts["findings"] == 2
    assert counts["actions"] == 2
    in_progress = CorrectiveAction.objects.get(finding__audit=audits[0])
    assert in_progress.status == CorrectiveAction.Status.IN_PROGRESS
    assert in_progress.owner.user.username == "kacho"
    late = CorrectiveAction.objects.get(finding__audit=audits[1])
    assert late.status == CorrectiveAction.Status.OPEN
    assert late.due_date < today
    # the demo logins see it: the manager their unit's audit, the auditor everything
    kacho = User.objects.get(username="kacho")
    assert set(visibility.visible_audits(kacho)) == {audits[0]}
    assert set(visibility.visible_findings(User.objects.get(username="auditor"))) == set(
        Finding.objects.all()
    )
    # when loaded again: nothing changes
    load_demo(password="demo-test-password")
    assert _counts() == counts
