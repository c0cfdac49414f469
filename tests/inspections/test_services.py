"""Self-inspection services: campaigns, assignment, answers, evidence, approval, results,
improvement items and reminders — with every bad input of the issue refused, nothing saved."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from isms.core import delegation
from isms.core.models import JournalEntry, Person, RoleAssignment
from isms.core.roles import Role
from isms.inspections import reminders, results, services, visibility
from isms.inspections.models import (
    CorrectiveAction,
    InspectionAnswer,
    InspectionEvidence,
    InspectionItem,
    InspectionResponse,
    SelfInspection,
    TargetGroup,
)
from tests.inspections.factories import make_campaign, make_standard
from tests.support.factories import make_person, make_unit, make_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 200
ZIP = b"PK\x03\x04" + b"\x00" * 200


def _person(user):
    return Person.objects.get(user=user)


def _staff_sheet(tsuru, campaign):
    services.assign(None, campaign, target_group=TargetGroup.STAFF, org_unit=tsuru.unit)
    return InspectionResponse.objects.get(campaign=campaign, person=_person(tsuru.staff))


def _answer_all(user, sheet, value="implemented", submit=True):
    items = InspectionItem.objects.filter(
        campaign_id=sheet.campaign_id, target_group=sheet.target_group
    )
    return services.save_answers(user, sheet, {i.pk: (value, "") for i in items}, submit=submit)


# --- campaigns --------------------------------------------------------------------------------


def test_campaign_generates_questionnaires_per_target_group(tsuru):
    campaign = make_campaign(tsuru.municipality, open_it=False)
    groups = dict(
        (g, InspectionItem.objects.filter(campaign=campaign, target_group=g).count())
        for g in TargetGroup.values
    )
    assert groups == {"staff": 2, "division_security_manager": 1, "system_manager": 1}
    assert campaign.deadline > campaign.opens_on
    assert JournalEntry.objects.filter(action="self_inspection.create").exists()


def test_campaign_needs_a_standard_and_a_title(tsuru):
    with pytest.raises(ValidationError) as exc:
        services.create_campaign(
            None, tsuru.municipality, fiscal_year=2026, title="", opens_on=None
        )
    assert {"title", "opens_on", "standard"} <= set(exc.value.message_dict)
    assert not SelfInspection.objects.exists()


def test_only_leads_set_up_campaigns(tsuru):
    make_standard(tsuru.municipality)
    with pytest.raises(PermissionDenied):
        services.create_campaign(
            tsuru.staff,
            tsuru.municipality,
            fiscal_year=2026,
            title="x",
            opens_on=timezone.localdate(),
        )
    campaign = services.create_campaign(
        tsuru.lead, tsuru.municipality, fiscal_year=2026, title="x", opens_on=timezone.localdate()
    )
    assert campaign.status == SelfInspection.Status.DRAFT


# --- assignment -------------------------------------------------------------------------------


def test_assign_to_unit_covers_units_below_and_snapshots_division_and_bureau(tsuru):
    section = make_unit(tsuru.municipality, "庶務係", parent=tsuru.unit, kind="section")
    clerk = make_person(tsuru.municipality, unit=section, family="係員")
    campaign = make_campaign(tsuru.municipality)
    created = services.assign(None, campaign, target_group="staff", org_unit=tsuru.bureau)
    assert created >= 3
    sheet = InspectionResponse.objects.get(campaign=campaign, person=clerk)
    assert (sheet.org_unit, sheet.bureau) == (tsuru.unit, tsuru.bureau)
    assert sheet.item_count == 2
    # Assigning again adds nothing.
    assert services.assign(None, campaign, target_group="staff", org_unit=tsuru.bureau) == 0


def test_assign_refuses_an_abolished_unit(tsuru):
    campaign = make_campaign(tsuru.municipality)
    old = make_unit(tsuru.municipality, "旧課", parent=tsuru.bureau)
    make_person(tsuru.municipality, unit=old)
    old.abolished_on = timezone.localdate() - datetime.timedelta(days=1)
    old.save()
    with pytest.raises(ValidationError) as exc:
        services.assign(None, campaign, target_group="staff", org_unit=old)
    assert "abolished" in exc.value.message_dict["org_unit"][0]
    assert not InspectionResponse.objects.exists()


def test_assign_refuses_a_closed_campaign_and_other_municipality(tsuru, kofu):
    campaign = make_campaign(tsuru.municipality)
    with pytest.raises(ValidationError) as exc:
        services.assign(None, campaign, target_group="staff", org_unit=kofu.unit)
    assert "org_unit" in exc.value.message_dict
    services.close_campaign(None, campaign)
    with pytest.raises(ValidationError):
        services.assign(None, campaign, target_group="staff", org_unit=tsuru.unit)
    assert not InspectionResponse.objects.exists()


def test_assign_managers_and_system_managers(tsuru, manager):
    from tests.assets.factories import make_asset

    campaign = make_campaign(tsuru.municipality)
    assert (
        services.assign(
            None, campaign, target_group="division_security_manager", org_unit=tsuru.bureau
        )
        == RoleAssignment.objects.filter(role=Role.DIVISION_SECURITY_MANAGER).count()
    )
    admin_user = make_user(
        tsuru.municipality, "sysadm", roles=(Role.SYSTEM_MANAGER,), unit=tsuru.unit
    )
    system = make_asset(
        tsuru.municipality,
        tsuru.unit,
        asset_number="SYS-1",
        name="住基システム",
        kind="system_equipment",
    )
    system.custodian = _person(admin_user)
    system.save()
    assert services.assign(None, campaign, target_group="system_manager", org_unit=tsuru.unit) == 1
    sheet = InspectionResponse.objects.get(campaign=campaign, target_group="system_manager")
    assert (sheet.person, sheet.system) == (_person(admin_user), system)
    # One person who answers no such questionnaire: a clear error.
    with pytest.raises(ValidationError) as exc:
        services.assign(None, campaign, target_group="system_manager", person=_person(tsuru.staff))
    assert "person" in exc.value.message_dict


# --- answers ----------------------------------------------------------------------------------


def test_save_resume_and_submit(tsuru):
    campaign = make_campaign(tsuru.municipality)
    sheet = _staff_sheet(tsuru, campaign)
    first, second = InspectionItem.objects.filter(campaign=campaign, target_group="staff")
    sheet = services.save_answers(tsuru.staff, sheet, {first.pk: ("partial", "一部のみ")})
    assert sheet.status == InspectionResponse.Status.IN_PROGRESS
    assert sheet.answered_count == 1
    # Resume: the draft is there; submitting with a question unanswered is refused.
    with pytest.raises(ValidationError) as exc:
        services.submit(tsuru.staff, sheet)
    assert second.code in exc.value.message_dict["answers"][0]
    sheet.refresh_from_db()
    assert sheet.status == InspectionResponse.Status.IN_PROGRESS
    sheet = services.save_answers(
        tsuru.staff, sheet, {second.pk: ("not_implemented", "")}, submit=True
    )
    assert sheet.status == InspectionResponse.Status.SUBMITTED
    assert InspectionAnswer.objects.filter(response=sheet, final=True).count() == 2
    assert InspectionAnswer.objects.get(response=sheet, item=first).comment == "一部のみ"


def test_bad_answer_value_saves_nothing(tsuru):
    campaign = make_campaign(tsuru.municipality)
    sheet = _staff_sheet(tsuru, campaign)
    first, second = InspectionItem.objects.filter(campaign=campaign, target_group="staff")
    with pytest.raises(ValidationError):
        services.save_answers(
            tsuru.staff, sheet, {first.pk: ("implemented", ""), second.pk: ("maybe", "")}
        )
    assert not InspectionAnswer.objects.exists()


def test_answers_after_the_campaign_closed_are_refused(tsuru):
    campaign = make_campaign(tsuru.municipality)
    sheet = _staff_sheet(tsuru, campaign)
    services.close_campaign(None, campaign)
    sheet.refresh_from_db()
    item = InspectionItem.objects.filter(campaign=campaign, target_group="staff").first()
    with pytest.raises(ValidationError) as exc:
        services.save_answers(tsuru.staff, sheet, {item.pk: ("implemented", "")})
    assert "closed" in exc.value.message_dict["campaign"][0]
    assert not InspectionAnswer.objects.exists()


def test_only_the_assigned_person_answers(tsuru, manager):
    campaign = make_campaign(tsuru.municipality)
    sheet = _staff_sheet(tsuru, campaign)
    item = InspectionItem.objects.filter(campaign=campaign, target_group="staff").first()
    for someone in (manager, tsuru.lead):
        with pytest.raises(PermissionDenied):
            services.save_answers(someone, sheet, {item.pk: ("implemented", "")})
    assert not InspectionAnswer.objects.exists()


# --- evidence ---------------------------------------------------------------------------------


def test_evidence_is_checked_by_content_and_size(tsuru, settings):
    campaign = make_campaign(tsuru.municipality)
    sheet = _staff_sheet(tsuru, campaign)
    item = InspectionItem.objects.filter(campaign=campaign, target_group="staff").first()
    for data in (ELF, ZIP):
        with pytest.raises(ValidationError) as exc:
            services.add_evidence(tsuru.staff, sheet, item, name="規程.pdf", data=data)
        assert "cannot be attached" in exc.value.message_dict["file"][0]
    settings.INSPECTION_EVIDENCE_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as exc:
        services.add_evidence(tsuru.staff, sheet, item, name="a.txt", data=b"x" * 2048)
    assert "too large" in exc.value.message_dict["file"][0]
    assert not InspectionEvidence.objects.exists()
    assert not InspectionAnswer.objects.exists()
    evidence = services.add_evidence(tsuru.staff, sheet, item, name="../../etc/規程.pdf", data=PDF)
    assert evidence.content_type == "application/pdf"
    assert evidence.original_name == "規程.pdf"
    assert services.evidence_path(evidence).read_bytes() == PDF
    assert ".." not in evidence.stored_name


# --- approval ---------------------------------------------------------------------------------


def test_manager_approves_and_the_answerer_cannot(tsuru, manager):
    campaign = make_campaign(tsuru.municipality)
    services.assign(None, campaign, target_group="staff", org_unit=tsuru.unit)
    own = InspectionResponse.objects.get(campaign=campaign, person=_person(manager))
    own = _answer_all(manager, own)
    with pytest.raises(ValidationError) as exc:
        services.approve(manager, own)
    assert exc.value.code == "sod_applicant_approver" or "兼務" in str(exc.value)
    own.refresh_from_db()
    assert own.status == InspectionResponse.Status.SUBMITTED
    staff_sheet = InspectionResponse.objects.get(campaign=campaign, person=_person(tsuru.staff))
    staff_sheet = _answer_all(tsuru.staff, staff_sheet)
    with pytest.raises(PermissionDenied):
        services.approve(tsuru.staff, staff_sheet)
    approved = services.approve(manager, staff_sheet)
    assert approved.status == InspectionResponse.Status.APPROVED
    assert approved.approved_by == _person(manager)
    # The lead approves the manager's own sheet.
    assert services.approve(tsuru.lead, own).status == InspectionResponse.Status.APPROVED


def test_manager_of_another_unit_cannot_approve(tsuru):
    other_unit = make_unit(tsuru.municipality, "税務課", parent=tsuru.bureau)
    outsider = make_user(
        tsuru.municipality, "other-mgr", roles=(Role.DIVISION_SECURITY_MANAGER,), unit=other_unit
    )
    campaign = make_campaign(tsuru.municipality)
    sheet = _answer_all(tsuru.staff, _staff_sheet(tsuru, campaign))
    with pytest.raises(PermissionDenied):
        services.approve(outsider, sheet)
    assert not visibility.visible_responses(outsider).filter(pk=sheet.pk).exists()


def test_deputy_approves_on_behalf_of_the_manager(tsuru, manager):
    deputy_user = make_user(tsuru.municipality, "deputy", unit=tsuru.unit)
    assignment = RoleAssignment.objects.get(person__user=manager)
    today = timezone.localdate()
    delegation.create_delegation(
        manager, assignment, _person(deputy_user), start_date=today, end_date=today, reason="出張"
    )
    campaign = make_campaign(tsuru.municipality)
    sheet = _answer_all(tsuru.staff, _staff_sheet(tsuru, campaign))
    approved = services.approve(deputy_user, sheet)
    assert approved.approved_by == _person(deputy_user)
    assert str(_person(manager)) in approved.approved_on_behalf_of
    entry = JournalEntry.objects.filter(action="inspection_response.approve").last()
    assert entry.on_behalf_of == approved.approved_on_behalf_of


def test_deputy_cannot_approve_the_absent_managers_own_sheet(tsuru, manager):
    deputy_user = make_user(tsuru.municipality, "deputy2", unit=tsuru.unit)
    assignment = RoleAssignment.objects.get(person__user=manager)
    today = timezone.localdate()
    delegation.create_delegation(
        manager, assignment, _person(deputy_user), start_date=today, end_date=today, reason="出張"
    )
    campaign = make_campaign(tsuru.municipality)
    services.assign(None, campaign, target_group="staff", person=_person(manager))
    sheet = _answer_all(manager, InspectionResponse.objects.get(person=_person(manager)))
    with pytest.raises(ValidationError):
        services.approve(deputy_user, sheet)


def test_return_needs_a_reason_and_reopens_the_sheet(tsuru, manager):
    campaign = make_campaign(tsuru.municipality)
    sheet = _answer_all(tsuru.staff, _staff_sheet(tsuru, campaign))
    with pytest.raises(ValidationError):
        services.return_sheet(manager, sheet, reason=" ")
    returned = services.return_sheet(manager, sheet, reason="根拠資料を添付してください")
    assert returned.status == InspectionResponse.Status.RETURNED
    assert not InspectionAnswer.objects.filter(response=sheet, final=True).exists()
    assert _answer_all(tsuru.staff, returned).status == InspectionResponse.Status.SUBMITTED


# --- results ----------------------------------------------------------------------------------


def test_results_aggregate_by_unit_bureau_chapter_with_last_year(tsuru, manager):
    last = make_campaign(tsuru.municipality, fiscal_year=2025, title="前年度")
    sheet = _answer_all(tsuru.staff, _staff_sheet(tsuru, last), value="not_implemented")
    services.close_campaign(None, last)
    campaign = make_campaign(tsuru.municipality, fiscal_year=2026)
    services.assign(None, campaign, target_group="staff", org_unit=tsuru.unit)
    sheet = InspectionResponse.objects.get(campaign=campaign, person=_person(tsuru.staff))
    first, second = InspectionItem.objects.filter(campaign=campaign, target_group="staff")
    services.save_answers(
        tsuru.staff,
        sheet,
        {first.pk: ("implemented", ""), second.pk: ("partial", "")},
        submit=True,
    )
    r = results.results(campaign)
    assert r.previous == last
    assert [(x.label, x.rate, x.last_year, x.change) for x in r.by_unit] == [
        (tsuru.unit.name, 75.0, 0.0, 75.0)
    ]
    assert [x.key for x in r.by_bureau] == [tsuru.bureau.pk]
    assert [(x.key, x.rate) for x in r.by_chapter] == [(4, 100.0), (5, 50.0)]
    assert r.weakest[0].label.startswith(second.code)
    progress = {p.label: p for p in r.progress}[tsuru.unit.name]
    assert (progress.submitted, progress.total) == (1, progress.total)
    # A manager sees their unit's results; plain staff see none.
    assert visibility.results_units(manager, campaign) == {tsuru.unit.pk}
    assert visibility.results_units(tsuru.staff, campaign) == set()
    assert visibility.results_units(tsuru.lead, campaign) is None


# --- improvement items ------------------------------------------------------------------------


def test_not_implemented_answer_becomes_an_improvement_item(tsuru, manager):
    campaign = make_campaign(tsuru.municipality)
    sheet = _answer_all(tsuru.staff, _staff_sheet(tsuru, campaign), value="not_implemented")
    answer = InspectionAnswer.objects.filter(response=sheet).first()
    due = timezone.localdate() + datetime.timedelta(days=30)
    with pytest.raises(PermissionDenied):
        services.create_improvement(tsuru.staff, answer, owner=_person(tsuru.staff), due_date=due)
    with pytest.raises(ValidationError):
        services.create_improvement(manager, answer, owner=None, due_date=due)
    action = services.create_improvement(manager, answer, owner=_person(tsuru.staff), due_date=due)
    assert action.source == CorrectiveAction.Source.SELF_INSPECTION
    assert action.inspection_answer == answer and action.org_unit == tsuru.unit
    with pytest.raises(ValidationError):
        services.create_improvement(manager, answer, owner=_person(tsuru.staff), due_date=due)
    # The owner reports it done; someone else verifies (not the owner).
    services.progress_action(tsuru.staff, action, note="手順書を改訂", done=True)
    with pytest.raises(PermissionDenied):
        services.verify_action(tsuru.staff, action)
    assert services.verify_action(manager, action).status == CorrectiveAction.Status.CLOSED


def test_implemented_answer_does_not_become_an_improvement(tsuru, manager):
    campaign = make_campaign(tsuru.municipality)
    sheet = _answer_all(tsuru.staff, _staff_sheet(tsuru, campaign))
    answer = InspectionAnswer.objects.filter(response=sheet).first()
    with pytest.raises(ValidationError):
        services.create_improvement(
            manager,
            answer,
            owner=_person(tsuru.staff),
            due_date=timezone.localdate() + datetime.timedelta(days=3),
        )
    assert not CorrectiveAction.objects.exists()


# --- reminders --------------------------------------------------------------------------------


def test_reminders_mail_overdue_respondents_and_their_manager_once_a_day(tsuru, manager):
    staff = _person(tsuru.staff)
    staff.email = "staff@example.jp"
    staff.save()
    boss = _person(manager)
    boss.email = "boss@example.jp"
    boss.save()
    campaign = make_campaign(
        tsuru.municipality, opens_on=timezone.localdate() - datetime.timedelta(days=60)
    )
    # Opening late moves the deadline; make it past again.
    SelfInspection.objects.filter(pk=campaign.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=1)
    )
    _staff_sheet(tsuru, campaign)
    mail.outbox.clear()
    # The staff member and the manager (who has a sheet too) as respondents; the manager again
    # for the unit.
    assert reminders.remind_overdue() == (2, 1)
    assert sorted(m.to[0] for m in mail.outbox) == [
        "boss@example.jp",
        "boss@example.jp",
        "staff@example.jp",
    ]
    mail.outbox.clear()
    assert reminders.remind_overdue()[0] == 0
    assert not [m for m in mail.outbox if m.to == ["staff@example.jp"]]


# --- tenancy ----------------------------------------------------------------------------------


def test_other_municipality_sees_nothing(tsuru, kofu):
    campaign = make_campaign(tsuru.municipality)
    _staff_sheet(tsuru, campaign)
    assert not visibility.visible_responses(kofu.lead).exists()
    assert not visibility.visible_campaigns(kofu.lead).exists()
    sheet = InspectionResponse.objects.first()
    with pytest.raises(PermissionDenied):
        services.approve(kofu.lead, sheet)
