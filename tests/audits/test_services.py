"""The rules of the audit services (対策基準 9.1) and the issue's bad input, one by one.

Each refusal is checked for what it says (the field or the exception) and for what it leaves
behind: nothing saved, no journal entry, no file on disk.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from isms.core import delegation, journal
from isms.core import services as core_services
from isms.core.calendar import fiscal_year_bounds
from isms.core.models import JournalEntry, OrgUnit, Person, RoleAssignment, SoDWaiver, User
from isms.core.permissions import SeparationOfDutiesError
from isms.core.roles import Role
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
from isms.inspections.models import CorrectiveAction, InspectionResponse, SelfInspection
from tests.audits.factories import PDF, AuditWorld
from tests.support.factories import make_unit, make_user

TODAY = timezone.localdate
DAY = datetime.timedelta(days=1)


# --- helpers -----------------------------------------------------------------------------------


def _fresh(user: User) -> User:
    """The same login without the per-request caches (roles, person, units)."""
    return User.objects.get(pk=user.pk)


def _person(user: User) -> Person:
    return Person.objects.get(user=user)


def _entries(action: str, obj: Any = None) -> int:
    qs = JournalEntry.objects.filter(action=action)
    if obj is not None:
        qs = qs.filter(object_id=str(obj.pk))
    return qs.count()


def _item(w: AuditWorld, n: int = 0) -> AuditItem:
    return w.audit.items.order_by("position")[n]


def _finding(w: AuditWorld, **kwargs: Any) -> Finding:
    fields: dict[str, Any] = {
        "item": _item(w),
        "severity": Finding.Severity.MINOR,
        "title": "ロック未実施",
        "description": "離席時に端末がロックされていない",
    }
    fields.update(kwargs)
    return services.record_finding(w.auditor, w.audit, **fields)


def _action(w: AuditWorld, finding: Finding, owner: User | None = None) -> CorrectiveAction:
    return services.add_action(
        w.manager,
        finding,
        title="端末ロックの徹底",
        owner=_person(owner or w.owner),
        due_business_days=10,
    )


def _done(w: AuditWorld, action: CorrectiveAction, owner: User | None = None) -> CorrectiveAction:
    return inspection_services.progress_action(owner or w.owner, action, note="周知", done=True)


def _submitted_plan(w: AuditWorld, preparer: User, title: str = "監査計画C") -> AuditPlan:
    plan = services.create_plan(
        preparer, w.t.municipality, fiscal_year=w.plan.fiscal_year, title=title
    )
    audit = services.add_audit(
        preparer,
        plan,
        title="総務課の監査",
        kind=Audit.Kind.INTERNAL,
        org_unit=w.t.unit,
        starts_on=w.audit.starts_on,
        ends_on=w.audit.starts_on,
    )
    services.assign_auditor(preparer, audit, _person(w.auditor), is_lead=True)
    return services.submit_plan(preparer, plan)


def _auditor_in(w: AuditWorld, unit: OrgUnit, name: str) -> User:
    return make_user(
        w.t.municipality, f"{name}-{w.t.municipality.code}", roles=(Role.AUDITOR,), unit=unit
    )


def _evidence_files() -> list[Path]:
    root = services.evidence_dir()
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _assess_all(w: AuditWorld) -> None:
    for item in w.audit.items.all():
        services.assess_item(w.auditor, item, result=AuditItem.Result.CONFORMING)


# --- plans -------------------------------------------------------------------------------------


def test_a_plan_needs_a_title_and_a_fiscal_year_and_nothing_is_saved_without(world):
    before = AuditPlan.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.create_plan(world.lead_auditor, world.t.municipality, fiscal_year=1999, title=" ")
    assert {"title", "fiscal_year"} <= set(exc.value.message_dict)
    assert AuditPlan.objects.count() == before


def test_only_the_ciso_and_the_lead_audit_officer_draw_up_plans(world):
    for user in (world.owner, world.manager, world.auditor, world.chair):
        with pytest.raises(PermissionDenied):
            services.create_plan(user, world.t.municipality, fiscal_year=2026, title="計画")


def test_a_plan_is_created_as_a_draft_by_its_preparer_and_journaled(world):
    plan = services.create_plan(
        world.ciso, world.t.municipality, fiscal_year=2026, title="令和8年度 監査実施計画"
    )
    assert plan.status == AuditPlan.Status.DRAFT
    assert plan.prepared_by == _person(world.ciso)
    assert _entries("audit_plan.create", plan) == 1


def test_a_plan_of_another_municipalitys_standard_is_refused(world, other_world):
    with pytest.raises(ValidationError) as exc:
        services.create_plan(
            world.lead_auditor,
            world.t.municipality,
            fiscal_year=2026,
            title="計画",
            standard=other_world.plan.standard,
        )
    assert "standard" in exc.value.message_dict


def test_only_a_draft_plan_is_changed(world):
    with pytest.raises(ValidationError) as exc:
        services.update_plan(
            world.lead_auditor, world.plan, fiscal_year=world.plan.fiscal_year, title="変更"
        )
    assert "plan" in exc.value.message_dict
    world.plan.refresh_from_db()
    assert world.plan.title == "監査計画A"
    draft = services.update_plan(
        world.lead_auditor, world.draft, fiscal_year=world.draft.fiscal_year, title="監査計画B改"
    )
    assert draft.title == "監査計画B改"
    assert _entries("audit_plan.update", draft) == 1


def test_a_plan_is_submitted_only_when_every_audit_has_auditors_and_items(world):
    plan = services.create_plan(
        world.lead_auditor, world.t.municipality, fiscal_year=world.plan.fiscal_year, title="空"
    )
    with pytest.raises(ValidationError):
        services.submit_plan(world.lead_auditor, plan)
    services.add_audit(
        world.lead_auditor,
        plan,
        title="総務課",
        kind=Audit.Kind.INTERNAL,
        org_unit=world.t.unit,
        starts_on=world.audit.starts_on,
        ends_on=world.audit.starts_on,
    )
    with pytest.raises(ValidationError) as exc:
        services.submit_plan(world.lead_auditor, plan)
    assert "no auditor" in str(exc.value)
    plan.refresh_from_db()
    assert plan.status == AuditPlan.Status.DRAFT
    assert _entries("audit_plan.submit", plan) == 0


def test_the_committee_chair_approves_a_submitted_plan_naming_the_decision(world):
    plan = services.submit_plan(world.lead_auditor, world.draft)
    with pytest.raises(ValidationError) as exc:
        services.approve_plan(world.chair, plan, reference="  ")
    assert "approval_reference" in exc.value.message_dict
    approved = services.approve_plan(world.chair, plan, reference="第2回委員会")
    assert approved.status == AuditPlan.Status.APPROVED
    assert approved.approved_by == _person(world.chair)
    assert approved.approval_reference == "第2回委員会"
    assert _entries("audit_plan.approve", plan) == 1
    with pytest.raises(ValidationError):
        services.approve_plan(world.chair, approved, reference="第3回委員会")


def test_a_draft_is_not_approved_before_it_is_submitted(world):
    with pytest.raises(ValidationError):
        services.approve_plan(world.chair, world.draft, reference="第2回委員会")
    world.draft.refresh_from_db()
    assert world.draft.status == AuditPlan.Status.DRAFT


def test_who_may_not_approve_a_plan(world):
    plan = services.submit_plan(world.lead_auditor, world.draft)
    for user in (world.lead_auditor, world.auditor, world.manager, world.owner, world.t.lead):
        with pytest.raises(PermissionDenied):
            services.approve_plan(user, plan, reference="第2回委員会")
    plan.refresh_from_db()
    assert plan.status == AuditPlan.Status.SUBMITTED


def test_the_preparer_never_approves_their_own_plan(world):
    # given: the CISO drew up and submitted the plan; the CISO may approve plans
    plan = _submitted_plan(world, world.ciso)
    # when / then
    with pytest.raises(SeparationOfDutiesError):
        services.approve_plan(world.ciso, plan, reference="第2回委員会")
    plan.refresh_from_db()
    assert plan.status == AuditPlan.Status.SUBMITTED
    assert _entries("audit_plan.approve", plan) == 0
    # and the committee's chair does
    assert services.approve_plan(world.chair, plan, reference="第2回委員会").status == "approved"


def test_the_preparers_deputy_never_approves_the_plan_for_them(world):
    # given: the CISO prepared the plan and named a deputy (with no approving role of their own)
    plan = _submitted_plan(world, world.ciso)
    deputy = make_user(world.t.municipality, "ciso-deputy", unit=world.audit_office)
    assignment = RoleAssignment.objects.get(person__user=world.ciso, role=Role.CISO)
    delegation.create_delegation(
        world.ciso,
        assignment,
        _person(deputy),
        start_date=TODAY(),
        end_date=TODAY() + DAY,
        reason="出張",
    )
    # when / then
    with pytest.raises(SeparationOfDutiesError):
        services.approve_plan(_fresh(deputy), plan, reference="第2回委員会")
    plan.refresh_from_db()
    assert plan.status == AuditPlan.Status.SUBMITTED
    # a plan prepared by someone else is approved by the deputy, journaled on the CISO's behalf
    other = services.submit_plan(world.lead_auditor, world.draft)
    services.approve_plan(_fresh(deputy), other, reference="第2回委員会")
    entry = JournalEntry.objects.get(action="audit_plan.approve", object_id=str(other.pk))
    assert str(_person(world.ciso)) in entry.on_behalf_of


def test_the_committee_returns_a_plan_with_the_reason(world):
    plan = services.submit_plan(world.lead_auditor, world.draft)
    with pytest.raises(ValidationError) as exc:
        services.return_plan(world.chair, plan, reason="")
    assert "reason" in exc.value.message_dict
    returned = services.return_plan(world.chair, plan, reason="監査項目を絞ること")
    assert returned.status == AuditPlan.Status.DRAFT
    entry = JournalEntry.objects.get(action="audit_plan.return", object_id=str(plan.pk))
    assert entry.after["reason"] == "監査項目を絞ること"


def test_a_plan_closes_only_when_its_audits_are_closed(world):
    with pytest.raises(ValidationError) as exc:
        services.close_plan(world.lead_auditor, world.plan)
    assert world.audit.reference in str(exc.value)
    _assess_all(world)
    services.close_audit(world.auditor, world.audit, opinion="概ね適切")
    closed = services.close_plan(world.lead_auditor, world.plan)
    assert closed.status == AuditPlan.Status.CLOSED
    with pytest.raises(ValidationError) as exc:
        services.add_workpaper(
            world.auditor, _item(world), kind="test", performed_on=TODAY(), notes="試験"
        )
    assert "closed" in str(exc.value)


# --- audits of a plan ----------------------------------------------------------------------------


def _add_audit(w: AuditWorld, **kwargs: Any) -> Audit:
    fields: dict[str, Any] = {
        "title": "監査",
        "kind": Audit.Kind.INTERNAL,
        "org_unit": w.t.unit,
        "starts_on": w.audit.starts_on,
        "ends_on": w.audit.starts_on,
    }
    fields.update(kwargs)
    return services.add_audit(w.lead_auditor, w.draft, **fields)


def test_an_audit_takes_place_within_the_plans_fiscal_year(world):
    first, last = fiscal_year_bounds(world.draft.fiscal_year)
    before = Audit.objects.count()
    for starts, ends in ((first - DAY, first), (last, last + DAY), (last + DAY, last + 2 * DAY)):
        with pytest.raises(ValidationError) as exc:
            _add_audit(world, starts_on=starts, ends_on=ends)
        assert "starts_on" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _add_audit(world, starts_on=last, ends_on=first)
    assert "ends_on" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _add_audit(world, starts_on=None, ends_on=None, title="", kind="audit")
    assert {"starts_on", "ends_on", "title", "kind"} <= set(exc.value.message_dict)
    assert Audit.objects.count() == before
    audit = _add_audit(world, starts_on=first, ends_on=last)
    assert audit.sequence == 2
    assert _entries("audit.create", audit) == 1


def test_an_audit_is_of_a_unit_of_the_municipality_and_an_external_one_names_its_firm(
    world, other_world
):
    with pytest.raises(ValidationError) as exc:
        _add_audit(world, org_unit=other_world.t.unit)
    assert "org_unit" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _add_audit(world, kind=Audit.Kind.EXTERNAL)
    assert "external_firm" in exc.value.message_dict
    audit = _add_audit(world, kind=Audit.Kind.EXTERNAL, external_firm="監査法人甲")
    assert audit.external_firm == "監査法人甲"


def test_the_items_come_from_the_chosen_controls_of_the_plans_standard(world, other_world):
    audit = _add_audit(world, chapters=[6])
    assert sorted(audit.items.values_list("code", flat=True)) == ["6.1.1", "6.3.1"]
    with pytest.raises(ValidationError) as exc:
        _add_audit(world, key_items_only=True)
    assert "controls" in exc.value.message_dict
    foreign = list(other_world.plan.standard.controls.all()[:1])
    with pytest.raises(ValidationError) as exc:
        _add_audit(world, controls=foreign)
    assert "controls" in exc.value.message_dict


def test_audits_are_added_to_and_removed_from_a_draft_only(world):
    with pytest.raises(ValidationError):
        services.add_audit(
            world.lead_auditor,
            world.plan,
            title="追加",
            kind=Audit.Kind.INTERNAL,
            org_unit=world.t.unit,
            starts_on=world.audit.starts_on,
            ends_on=world.audit.starts_on,
        )
    with pytest.raises(ValidationError):
        services.remove_audit(world.lead_auditor, world.audit)
    assert Audit.objects.filter(pk=world.audit.pk).exists()
    extra = world.draft.audits.get()
    pk = extra.pk
    services.remove_audit(world.lead_auditor, extra)
    assert not Audit.objects.filter(pk=pk).exists()
    assert JournalEntry.objects.filter(action="audit.delete", object_id=str(pk)).count() == 1


# --- auditors: independence (兼務の禁止) ------------------------------------------------------


def test_an_auditor_of_the_audited_unit_is_refused_and_nothing_is_saved(world):
    audit = world.draft.audits.get()
    with pytest.raises(SeparationOfDutiesError) as exc:
        services.assign_auditor(world.lead_auditor, audit, _person(world.insider))
    assert "兼務の禁止" in str(exc.value)
    assert not AuditAuditor.objects.filter(audit=audit, person=_person(world.insider)).exists()
    assert _entries("audit.assign_auditor", audit) == 1  # the world's own auditor only


def test_an_auditor_of_a_unit_below_the_audited_unit_is_refused(world):
    # given: an audit of the 部 above 監査室
    audit = _add_audit(world, org_unit=world.t.bureau)
    with pytest.raises(SeparationOfDutiesError):
        services.assign_auditor(world.lead_auditor, audit, _person(world.auditor))
    assert not audit.auditors.exists()


def test_an_auditor_of_the_unit_above_the_audited_unit_is_refused(world):
    # given: an auditor who belongs to the 部 itself, and an audit of a 課 below it
    bureau_auditor = _auditor_in(world, world.t.bureau, "bureau-auditor")
    audit = world.draft.audits.get()
    with pytest.raises(SeparationOfDutiesError):
        services.assign_auditor(world.lead_auditor, audit, _person(bureau_auditor))
    assert not AuditAuditor.objects.filter(person=_person(bureau_auditor)).exists()


def test_an_auditor_who_is_the_audited_units_manager_is_refused(world):
    # given: an auditor of 監査室 who also holds the 情報セキュリティ管理者 role of 総務課 (兼務)
    double = _auditor_in(world, world.audit_office, "double-role")
    core_services.assign_role(
        None,
        _person(double),
        Role.DIVISION_SECURITY_MANAGER,
        org_unit=world.t.unit,
        fiscal_year=world.plan.fiscal_year,
    )
    audit = world.draft.audits.get()
    with pytest.raises(SeparationOfDutiesError) as exc:
        services.assign_auditor(world.lead_auditor, audit, _person(double))
    assert "情報セキュリティ管理者" in str(exc.value)
    assert not AuditAuditor.objects.filter(person=_person(double)).exists()


def test_a_waiver_for_that_audit_allows_the_auditor(world):
    audit = world.draft.audits.get()
    core_services.grant_sod_waiver(
        world.ciso,
        _person(world.insider),
        kind=SoDWaiver.Kind.AUDITOR_AUDITEE,
        subject=f"audit:{audit.pk}",
        reason="監査人が不足するため",
    )
    auditor = services.assign_auditor(world.lead_auditor, audit, _person(world.insider))
    assert auditor.audit == audit


def test_a_waiver_for_another_audit_does_not_count(world):
    core_services.grant_sod_waiver(
        world.ciso,
        _person(world.insider),
        kind=SoDWaiver.Kind.AUDITOR_AUDITEE,
        subject=f"audit:{world.audit.pk}",
        reason="前回の監査のため",
    )
    audit = world.draft.audits.get()
    with pytest.raises(SeparationOfDutiesError):
        services.assign_auditor(world.lead_auditor, audit, _person(world.insider))
    # nor a waiver of the other kind for this very audit
    core_services.grant_sod_waiver(
        world.ciso,
        _person(world.insider),
        kind=SoDWaiver.Kind.APPLICANT_APPROVER,
        subject=f"audit:{audit.pk}",
        reason="別の種類",
    )
    with pytest.raises(SeparationOfDutiesError):
        services.assign_auditor(world.lead_auditor, audit, _person(world.insider))


def test_an_auditor_holds_an_auditor_role_and_is_staff_of_the_municipality(world, other_world):
    audit = world.draft.audits.get()
    with pytest.raises(ValidationError) as exc:
        services.assign_auditor(world.lead_auditor, audit, _person(world.owner))
    assert "person" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.assign_auditor(world.lead_auditor, audit, _person(other_world.auditor))
    assert "person" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.assign_auditor(world.lead_auditor, audit, None)
    assert "person" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.assign_auditor(world.lead_auditor, audit, _person(world.auditor))
    assert "already" in str(exc.value)
    assert audit.auditors.count() == 1


def test_moving_an_audit_to_its_auditors_unit_is_refused(world):
    audit = world.draft.audits.get()
    with pytest.raises(SeparationOfDutiesError):
        services.update_audit(
            world.lead_auditor,
            audit,
            title=audit.title,
            kind=audit.kind,
            org_unit=world.audit_office,
            starts_on=audit.starts_on,
            ends_on=audit.ends_on,
        )
    audit.refresh_from_db()
    assert audit.org_unit == world.t.unit
    assert _entries("audit.update", audit) == 0


def test_the_lead_auditor_flag_moves_and_auditors_leave_a_draft_only(world):
    audit = world.draft.audits.get()
    second = _auditor_in(world, world.audit_office, "second-auditor")
    added = services.assign_auditor(world.lead_auditor, audit, _person(second), is_lead=True)
    assert list(audit.auditors.filter(is_lead=True)) == [added]
    services.remove_auditor(world.lead_auditor, added)
    assert not AuditAuditor.objects.filter(pk=added.pk).exists()
    with pytest.raises(ValidationError):
        services.remove_auditor(world.lead_auditor, world.audit.auditors.get())


# --- fieldwork --------------------------------------------------------------------------------


def test_fieldwork_waits_for_the_committees_approval(world):
    audit = world.draft.audits.get()
    item = audit.items.first()
    with pytest.raises(ValidationError) as exc:
        services.add_workpaper(world.auditor, item, kind="test", performed_on=TODAY(), notes="x")
    assert "approved" in str(exc.value)
    with pytest.raises(ValidationError):
        services.record_finding(world.auditor, audit, severity="minor", title="t", description="d")
    assert not AuditWorkpaper.objects.filter(item__audit=audit).exists()
    assert not Finding.objects.filter(audit=audit).exists()


def test_only_the_audits_own_auditors_do_its_fieldwork(world):
    item = _item(world)
    for user in (world.lead_auditor, world.insider):  # auditors, but not of this audit
        with pytest.raises(PermissionDenied):
            services.add_workpaper(user, item, kind="test", performed_on=TODAY(), notes="x")
    for user in (world.owner, world.manager, world.ciso, world.t.lead):
        with pytest.raises(PermissionDenied):
            services.assess_item(user, item, result=AuditItem.Result.CONFORMING)
        with pytest.raises(PermissionDenied):
            services.record_finding(user, world.audit, severity="minor", title="t", description="d")
    assert not AuditWorkpaper.objects.filter(item__audit=world.audit).exists()


def test_a_working_paper_says_what_was_done_when_and_with_whom(world):
    item = _item(world)
    with pytest.raises(ValidationError) as exc:
        services.add_workpaper(
            world.auditor, item, kind="chat", performed_on=TODAY() + DAY, notes=" "
        )
    assert {"kind", "performed_on", "notes"} <= set(exc.value.message_dict)
    with pytest.raises(ValidationError) as exc:
        services.add_workpaper(
            world.auditor, item, kind="interview", performed_on=TODAY(), notes="聞き取り"
        )
    assert "interviewee" in exc.value.message_dict
    assert not AuditWorkpaper.objects.filter(item=item).exists()
    paper = services.add_workpaper(
        world.auditor,
        item,
        kind="interview",
        performed_on=TODAY(),
        notes="聞き取り",
        interviewee="総務課長",
    )
    assert paper.prepared_by == _person(world.auditor)
    assert _entries("audit_workpaper.create", paper) == 1
    world.audit.refresh_from_db()
    assert world.audit.status == Audit.Status.FIELDWORK
    updated = services.update_workpaper(
        world.auditor, paper, kind="document_review", performed_on=TODAY(), notes="規程を確認"
    )
    assert updated.notes == "規程を確認"
    assert _entries("audit_workpaper.update", paper) == 1


def test_evidence_is_kept_with_its_retention_date(world):
    paper = services.add_workpaper(
        world.auditor, _item(world), kind="test", performed_on=TODAY(), notes="設定を確認"
    )
    evidence = services.add_evidence(world.auditor, paper, name="設定.pdf", data=PDF)
    _first, last = fiscal_year_bounds(world.plan.fiscal_year)
    assert evidence.retain_until == last.replace(year=last.year + services.retention_years())
    assert evidence.content_type == "application/pdf"
    assert services.evidence_path(evidence).read_bytes() == PDF
    assert str(world.t.municipality.pk) in evidence.stored_name
    assert _entries("audit_evidence.create", evidence) == 1


def test_bad_evidence_files_are_refused_and_nothing_is_left(world, settings):
    paper = services.add_workpaper(
        world.auditor, _item(world), kind="test", performed_on=TODAY(), notes="設定を確認"
    )
    settings.INSPECTION_EVIDENCE_MAX_BYTES = 64
    for data in (b"", b"MZ\x90\x00" + b"\x00" * 40, PDF + b"x" * 100):
        with pytest.raises(ValidationError) as exc:
            services.add_evidence(world.auditor, paper, name="a.pdf", data=data)
        assert "file" in exc.value.message_dict
    assert not AuditEvidence.objects.exists()
    assert _evidence_files() == []


def test_evidence_after_the_audit_closed_is_refused_and_the_file_is_not_left(world):
    paper = services.add_workpaper(
        world.auditor, _item(world), kind="test", performed_on=TODAY(), notes="設定を確認"
    )
    _assess_all(world)
    services.close_audit(world.auditor, world.audit, opinion="概ね適切")
    with pytest.raises(ValidationError) as exc:
        services.add_evidence(world.auditor, paper, name="遅れた証拠.pdf", data=PDF)
    assert "closed" in str(exc.value)
    assert not AuditEvidence.objects.exists()
    assert _evidence_files() == []


def test_evidence_is_removed_from_disk_when_its_journal_entry_fails(world, monkeypatch):
    paper = services.add_workpaper(
        world.auditor, _item(world), kind="test", performed_on=TODAY(), notes="設定を確認"
    )

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("journal down")

    monkeypatch.setattr(services.journal, "record", broken)
    with pytest.raises(RuntimeError):
        services.add_evidence(world.auditor, paper, name="a.pdf", data=PDF)
    assert not AuditEvidence.objects.exists()
    assert _evidence_files() == []


def test_an_item_result_is_one_of_the_four_and_a_nonconformity_says_why(world):
    item = _item(world)
    for result in ("pending", "bad"):
        with pytest.raises(ValidationError) as exc:
            services.assess_item(world.auditor, item, result=result)
        assert "result" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.assess_item(world.auditor, item, result=AuditItem.Result.NONCONFORMING)
    assert "result_note" in exc.value.message_dict
    item.refresh_from_db()
    assert item.result == AuditItem.Result.PENDING
    assessed = services.assess_item(
        world.auditor, item, result=AuditItem.Result.PARTIAL, note="一部の端末で未設定"
    )
    assert assessed.assessed_by == _person(world.auditor)
    assert _entries("audit_item.assess", item) == 1


def test_an_audit_closes_with_an_opinion_once_every_item_has_its_result(world):
    with pytest.raises(ValidationError) as exc:
        services.close_audit(world.auditor, world.audit, opinion="")
    assert "opinion" in exc.value.message_dict
    assert _item(world).code in str(exc.value)
    _assess_all(world)
    closed = services.close_audit(world.auditor, world.audit, opinion="概ね適切")
    assert closed.status == Audit.Status.CLOSED
    assert _entries("audit.close", closed) == 1
    # the record is frozen
    with pytest.raises(ValidationError):
        services.assess_item(world.auditor, _item(world), result=AuditItem.Result.CONFORMING)
    with pytest.raises(ValidationError):
        _finding(world)
    with pytest.raises(ValidationError):
        services.close_audit(world.auditor, world.audit, opinion="再度")


# --- findings ----------------------------------------------------------------------------------


def test_a_finding_is_numbered_and_its_units_managers_are_told(
    world, django_capture_on_commit_callbacks
):
    Person.objects.filter(user=world.manager).update(email="kacho@example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        finding = _finding(world)
    assert finding.reference == f"{world.audit.reference}-01"
    assert finding.org_unit == world.t.unit
    assert finding.recorded_by == _person(world.auditor)
    assert _entries("finding.create", finding) == 1
    assert [m.to for m in mail.outbox] == [["kacho@example.jp"]]
    assert finding.reference in mail.outbox[0].body
    assert "指摘事項" in mail.outbox[0].subject  # mail is in Japanese, whoever recorded it
    assert _finding(world, title="二件目").sequence == 2


def test_a_finding_is_addressed_to_the_audited_unit_or_a_unit_below(world, other_world):
    section = make_unit(world.t.municipality, "庶務係", parent=world.t.unit, kind="section")
    assert _finding(world, org_unit=section).org_unit == section
    for unit in (world.audit_office, world.t.bureau, other_world.t.unit):
        with pytest.raises(ValidationError) as exc:
            _finding(world, org_unit=unit)
        assert "org_unit" in exc.value.message_dict
    assert Finding.objects.filter(audit=world.audit).count() == 1


def test_a_finding_has_a_severity_a_title_a_description_and_an_item_of_its_audit(world):
    other_item = world.draft.audits.get().items.first()
    with pytest.raises(ValidationError) as exc:
        _finding(world, severity="fatal", title="", description="", item=other_item)
    assert {"severity", "title", "description", "item"} <= set(exc.value.message_dict)
    assert not Finding.objects.exists()


def test_an_open_finding_is_corrected_and_a_closed_one_is_never_edited(world):
    finding = _finding(world, severity=Finding.Severity.OBSERVATION)
    finding = services.update_finding(
        world.auditor,
        finding,
        severity=Finding.Severity.OBSERVATION,
        title="改善提案",
        description="ロック時間を短くするとよい",
    )
    assert finding.title == "改善提案"
    assert _entries("finding.update", finding) == 1
    with pytest.raises(ValidationError) as exc:
        services.close_finding(world.auditor, finding)
    assert "note" in exc.value.message_dict
    services.close_finding(world.auditor, finding, note="助言のみ")
    with pytest.raises(ValidationError) as exc:
        services.update_finding(
            world.auditor,
            finding,
            severity=Finding.Severity.MAJOR,
            title="書き換え",
            description="書き換え",
        )
    assert "finding" in exc.value.message_dict
    finding.refresh_from_db()
    assert (finding.title, finding.severity) == ("改善提案", Finding.Severity.OBSERVATION)
    assert _entries("finding.update", finding) == 1
    with pytest.raises(ValidationError):
        _action(world, finding)


def test_a_major_or_minor_finding_closes_only_with_verified_actions(world):
    finding = _finding(world)
    with pytest.raises(ValidationError):
        services.close_finding(world.auditor, finding, note="対応不要")
    action = _action(world, finding)
    with pytest.raises(ValidationError) as exc:
        services.close_finding(world.auditor, finding)
    assert action.title in str(exc.value)
    _done(world, action)
    with pytest.raises(ValidationError):
        services.close_finding(world.auditor, finding)
    services.verify_action(world.auditor, action)
    with pytest.raises(PermissionDenied):
        services.close_finding(world.lead_auditor, finding)
    closed = services.close_finding(world.auditor, finding)
    assert closed.status == Finding.Status.CLOSED
    assert closed.closed_by == _person(world.auditor)
    assert _entries("finding.close", finding) == 1


# --- 横展開: targeted self-inspection ------------------------------------------------------


def test_a_lead_asks_other_units_to_check_themselves(world):
    finding = _finding(world)
    other_unit = make_unit(world.t.municipality, "企画課", parent=world.t.bureau)
    kacho = make_user(
        world.t.municipality,
        "kikaku-kacho",
        roles=(Role.DIVISION_SECURITY_MANAGER,),
        unit=other_unit,
    )
    campaign = services.request_targeted_inspection(
        world.t.lead, finding, units=[world.t.unit, other_unit]
    )
    assert campaign.status == SelfInspection.Status.OPEN
    assert list(campaign.items.values_list("control_id", flat=True)) == [finding.control_id]
    answerers = set(
        InspectionResponse.objects.filter(campaign=campaign).values_list("person__user", flat=True)
    )
    assert answerers == {world.manager.pk, kacho.pk}
    finding.refresh_from_db()
    assert finding.targeted_inspection == campaign
    assert _entries("finding.targeted_inspection", finding) == 1
    # a second request is refused, and makes no second campaign
    before = SelfInspection.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.request_targeted_inspection(world.t.lead, finding, units=[other_unit])
    assert "units" in exc.value.message_dict
    assert SelfInspection.objects.count() == before


def test_units_without_a_manager_are_an_error_and_nothing_is_saved(world):
    finding = _finding(world)
    before = SelfInspection.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.request_targeted_inspection(world.t.lead, finding, units=[world.audit_office])
    assert "情報セキュリティ管理者" in str(exc.value)
    assert SelfInspection.objects.count() == before
    finding.refresh_from_db()
    assert finding.targeted_inspection is None
    assert _entries("finding.targeted_inspection", finding) == 0


def test_a_targeted_inspection_needs_a_control_units_and_a_lead(world, other_world):
    finding = _finding(world, item=None)
    with pytest.raises(ValidationError) as exc:
        services.request_targeted_inspection(world.t.lead, finding, units=[])
    assert {"control", "units"} <= set(exc.value.message_dict)
    finding = _finding(world)
    with pytest.raises(ValidationError) as exc:
        services.request_targeted_inspection(world.t.lead, finding, units=[other_world.t.unit])
    assert "units" in exc.value.message_dict
    for user in (world.auditor, world.manager, world.owner):
        with pytest.raises(PermissionDenied):
            services.request_targeted_inspection(user, finding, units=[world.t.unit])
    assert not SelfInspection.objects.exists()


# --- corrective actions --------------------------------------------------------------------------


def test_the_units_manager_answers_a_finding_with_an_action_due_in_business_days(world):
    finding = _finding(world)
    action = _action(world, finding)
    assert action.finding == finding
    assert action.source == CorrectiveAction.Source.AUDIT
    assert action.source_reference == finding.reference
    assert action.org_unit == finding.org_unit
    assert action.control == finding.control
    assert action.due_date > TODAY()
    assert _entries("corrective_action.create", action) == 1


def test_an_action_needs_an_owner_of_the_municipality_and_a_due_date(world, other_world):
    finding = _finding(world)
    before = CorrectiveAction.objects.count()
    for owner, days in ((None, 10), (_person(other_world.owner), 10), (_person(world.owner), 0)):
        with pytest.raises(ValidationError):
            services.add_action(
                world.manager, finding, title="対策", owner=owner, due_business_days=days
            )
    with pytest.raises(ValidationError) as exc:
        services.add_action(
            world.manager, finding, title="対策", owner=_person(world.owner), due_date=TODAY() - DAY
        )
    assert "due_date" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.add_action(
            world.manager,
            finding,
            title="対策",
            owner=_person(world.owner),
            due_business_days=5,
            description="x" * (services.MAX_TEXT + 1),
        )
    assert "description" in exc.value.message_dict
    assert CorrectiveAction.objects.count() == before


def test_who_answers_a_finding(world):
    finding = _finding(world)
    other_unit = make_unit(world.t.municipality, "財政課", parent=world.t.bureau)
    other_manager = make_user(
        world.t.municipality,
        "zaisei-kacho",
        roles=(Role.DIVISION_SECURITY_MANAGER,),
        unit=other_unit,
    )
    for user in (world.owner, world.auditor, other_manager):
        with pytest.raises(PermissionDenied):
            services.add_action(
                user, finding, title="対策", owner=_person(world.owner), due_business_days=5
            )
    # a lead answers too
    assert services.add_action(
        world.t.lead, finding, title="対策", owner=_person(world.owner), due_business_days=5
    )


def test_done_is_not_closed_and_only_the_auditors_verification_closes(world):
    finding = _finding(world)
    action = _action(world, finding)
    with pytest.raises(ValidationError):
        services.verify_action(world.auditor, action)
    action = _done(world, action)
    assert action.status == CorrectiveAction.Status.DONE
    with pytest.raises(ValidationError):
        inspection_services.progress_action(world.owner, action, note="もう一度", done=True)
    # the inspections' verification refuses an audit's action, whoever asks
    for user in (world.t.lead, world.manager, None):
        with pytest.raises(PermissionDenied):
            inspection_services.verify_action(user, action)
    action.refresh_from_db()
    assert action.status == CorrectiveAction.Status.DONE
    verified = services.verify_action(world.auditor, action, note="確認した")
    assert verified.status == CorrectiveAction.Status.CLOSED
    assert verified.verified_by == _person(world.auditor)
    entry = JournalEntry.objects.get(action="corrective_action.verify", object_id=str(action.pk))
    assert entry.after["note"] == "確認した"


def test_the_owner_never_verifies_their_own_action(world):
    finding = _finding(world)
    # the owner is a plain member of staff: not an auditor at all
    action = _done(world, _action(world, finding))
    with pytest.raises(PermissionDenied):
        services.verify_action(world.owner, action)
    # the owner is the audit's auditor themself: 兼務の禁止
    own = _done(world, _action(world, finding, owner=world.auditor), owner=world.auditor)
    with pytest.raises(SeparationOfDutiesError):
        services.verify_action(world.auditor, own)
    own.refresh_from_db()
    assert own.status == CorrectiveAction.Status.DONE
    assert _entries("corrective_action.verify", own) == 0


def test_only_an_auditor_of_the_audit_verifies(world):
    action = _done(world, _action(world, _finding(world)))
    for user in (world.lead_auditor, world.insider, world.ciso, world.manager):
        with pytest.raises(PermissionDenied):
            services.verify_action(user, action)
    action.refresh_from_db()
    assert action.status == CorrectiveAction.Status.DONE


def test_an_action_of_another_source_is_not_verified_by_the_auditors(world):
    plain = inspection_services.create_corrective_action(
        None,
        world.t.municipality,
        source=CorrectiveAction.Source.INCIDENT,
        title="別の対策",
        owner=_person(world.owner),
        due_date=TODAY() + 5 * DAY,
    )
    with pytest.raises(ValidationError) as exc:
        services.verify_action(world.auditor, plain)
    assert "action" in exc.value.message_dict


def test_the_auditor_sends_a_done_action_back_with_the_reason(world):
    action = _done(world, _action(world, _finding(world)))
    with pytest.raises(ValidationError) as exc:
        services.reject_action(world.auditor, action, reason=" ")
    assert "reason" in exc.value.message_dict
    back = services.reject_action(world.auditor, action, reason="証跡が足りない")
    assert back.status == CorrectiveAction.Status.IN_PROGRESS
    assert back.completed_at is None
    entry = JournalEntry.objects.get(action="corrective_action.reject", object_id=str(action.pk))
    assert entry.after["reason"] == "証跡が足りない"
    with pytest.raises(ValidationError):
        services.reject_action(world.auditor, back, reason="再度")


def test_the_whole_cycle_is_journaled_step_by_step(world):
    finding = _finding(world)
    action = _done(world, _action(world, finding))
    services.verify_action(world.auditor, action)
    services.close_finding(world.auditor, finding)
    mid = world.t.municipality.pk
    actions = set(JournalEntry.objects.filter(municipality_id=mid).values_list("action", flat=True))
    assert {
        "audit_plan.create",
        "audit.create",
        "audit.assign_auditor",
        "audit_plan.submit",
        "audit_plan.approve",
        "finding.create",
        "corrective_action.create",
        "corrective_action.progress",
        "corrective_action.verify",
        "finding.close",
    } <= actions


def test_a_failing_step_leaves_nothing_half_saved(world, monkeypatch):
    real = journal.record

    def failing(**kwargs: Any) -> Any:
        if kwargs["action"] == "audit.create":
            raise RuntimeError("journal down")
        return real(**kwargs)

    monkeypatch.setattr(services.journal, "record", failing)
    audits, items = Audit.objects.count(), AuditItem.objects.count()
    with pytest.raises(RuntimeError):
        _add_audit(world)
    assert (Audit.objects.count(), AuditItem.objects.count()) == (audits, items)


# --- tenancy ---------------------------------------------------------------------------------


def test_another_municipalitys_actors_are_refused_on_every_write(world, other_world):
    w, o = world, other_world
    finding = _finding(w)
    action = _done(w, _action(w, finding))
    paper = services.add_workpaper(
        w.auditor, _item(w), kind="test", performed_on=TODAY(), notes="x"
    )
    submitted = services.submit_plan(w.lead_auditor, w.draft)
    calls = [
        lambda: services.create_plan(o.lead_auditor, w.t.municipality, fiscal_year=2026, title="x"),
        lambda: services.update_plan(o.lead_auditor, submitted, fiscal_year=2026, title="x"),
        lambda: services.submit_plan(o.lead_auditor, submitted),
        lambda: services.approve_plan(o.chair, submitted, reference="x"),
        lambda: services.return_plan(o.chair, submitted, reason="x"),
        lambda: services.close_plan(o.lead_auditor, w.plan),
        lambda: services.add_audit(
            o.lead_auditor,
            submitted,
            title="x",
            kind="internal",
            org_unit=o.t.unit,
            starts_on=TODAY(),
            ends_on=TODAY(),
        ),
        lambda: services.assign_auditor(o.lead_auditor, w.audit, _person(o.auditor)),
        lambda: services.remove_auditor(o.lead_auditor, w.audit.auditors.get()),
        lambda: services.add_workpaper(
            o.auditor, _item(w), kind="test", performed_on=TODAY(), notes="x"
        ),
        lambda: services.update_workpaper(
            o.auditor, paper, kind="test", performed_on=TODAY(), notes="x"
        ),
        lambda: services.add_evidence(o.auditor, paper, name="a.pdf", data=PDF),
        lambda: services.assess_item(o.auditor, _item(w), result="conforming"),
        lambda: services.close_audit(o.auditor, w.audit, opinion="x"),
        lambda: services.record_finding(
            o.auditor, w.audit, severity="minor", title="x", description="x"
        ),
        lambda: services.update_finding(
            o.auditor, finding, severity="minor", title="x", description="x"
        ),
        lambda: services.close_finding(o.auditor, finding, note="x"),
        lambda: services.request_targeted_inspection(o.t.lead, finding, units=[w.t.unit]),
        lambda: services.add_action(
            o.manager, finding, title="x", owner=_person(o.owner), due_business_days=5
        ),
        lambda: services.add_action(
            o.t.lead, finding, title="x", owner=_person(w.owner), due_business_days=5
        ),
        lambda: services.verify_action(o.auditor, action),
        lambda: services.reject_action(o.auditor, action, reason="x"),
    ]
    entries = JournalEntry.objects.count()
    for n, call in enumerate(calls):
        with pytest.raises(PermissionDenied):
            call()
            pytest.fail(f"call {n} was allowed")
    assert JournalEntry.objects.count() == entries
    action.refresh_from_db()
    assert action.status == CorrectiveAction.Status.DONE
