"""Regression tests of the review of the self-inspection app (evidence names, failed submits,
verification capacity, managers of several 課, abolished units, locks, limits, reminders)."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.urls import reverse
from django.utils import timezone

from isms.core import delegation
from isms.core import services as core_services
from isms.core.calendar import add_business_days, fiscal_year_of
from isms.core.models import JournalEntry, Person, RoleAssignment
from isms.core.roles import Role
from isms.inspections import reminders, services
from isms.inspections.models import (
    CorrectiveAction,
    InspectionAnswer,
    InspectionEvidence,
    InspectionItem,
    InspectionResponse,
    SelfInspection,
)
from tests.inspections.factories import make_campaign
from tests.support.factories import make_person, make_unit, make_user

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SCRIPT = b'var s = new ActiveXObject("WScript.Shell");\ns.Run("calc.exe");\n'
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 200


def _person(user):  # type: ignore[no-untyped-def]
    return Person.objects.get(user=user)


def _sheet(tsuru, campaign=None):  # type: ignore[no-untyped-def]
    campaign = campaign or make_campaign(tsuru.municipality)
    services.assign(None, campaign, target_group="staff", org_unit=tsuru.unit)
    return InspectionResponse.objects.get(campaign=campaign, person__user=tsuru.staff)


def _items(sheet):  # type: ignore[no-untyped-def]
    return list(
        InspectionItem.objects.filter(campaign=sheet.campaign, target_group=sheet.target_group)
    )


def _files(settings) -> list[Path]:  # type: ignore[no-untyped-def]
    folder = services.evidence_dir()
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


# --- 1. download names come from the detected type ----------------------------------------------


def test_a_script_is_stored_and_downloaded_as_text_not_under_its_extension(client, tsuru):
    sheet = _sheet(tsuru)
    item = _items(sheet)[0]
    evidence = services.add_evidence(tsuru.staff, sheet, item, name="請求書.js", data=SCRIPT)
    assert evidence.content_type == "text/plain"
    assert evidence.original_name == "請求書.txt"
    client.force_login(tsuru.staff)
    response = client.get(reverse("inspections:evidence_download", args=[evidence.pk]), **EN)
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert disposition.endswith(".txt") and ".js" not in disposition
    assert response["X-Content-Type-Options"] == "nosniff"


def test_download_name_replaces_the_extension_of_rows_stored_before(tsuru):
    sheet = _sheet(tsuru)
    evidence = services.add_evidence(None, sheet, _items(sheet)[0], name="a.pdf", data=PDF)
    evidence.original_name, evidence.content_type = "x.vbs", "text/plain"
    assert services.download_name(evidence) == "x.txt"
    evidence.original_name, evidence.content_type = "report.PS1", "application/pdf"
    assert services.download_name(evidence) == "report.pdf"
    evidence.original_name, evidence.content_type = ".js", "text/csv"
    assert services.download_name(evidence) == "js.csv"
    evidence.original_name, evidence.content_type = "data", "application/x-unknown"
    assert services.download_name(evidence) == "data.bin"


# --- 2. a refused submission keeps the answers just saved ----------------------------------------


def test_a_refused_submit_keeps_the_saved_answers_and_says_so(client, tsuru):
    sheet = _sheet(tsuru)
    first, _second = _items(sheet)
    client.force_login(tsuru.staff)
    url = reverse("inspections:sheet_detail", args=[sheet.pk])
    response = client.post(
        url,
        {f"answer_{first.pk}": "implemented", f"comment_{first.pk}": "規程あり", "submit": "1"},
        follow=True,
        **EN,
    )
    page = response.content.decode()
    assert "Answer every question" in page
    assert "saved, but the sheet was not submitted" in page
    answer = InspectionAnswer.objects.get(response=sheet, item=first)
    assert (answer.value, answer.comment) == ("implemented", "規程あり")
    sheet.refresh_from_db()
    assert sheet.status == InspectionResponse.Status.IN_PROGRESS


def test_a_refused_file_leaves_no_file_on_disk(client, tsuru, settings):
    sheet = _sheet(tsuru)
    first, second = _items(sheet)
    client.force_login(tsuru.staff)
    url = reverse("inspections:sheet_detail", args=[sheet.pk])
    client.post(
        url,
        {
            f"answer_{first.pk}": "implemented",
            f"evidence_{first.pk}": SimpleUploadedFile("規程.pdf", PDF),
            f"evidence_{second.pk}": SimpleUploadedFile("a.pdf", ELF),
        },
        **EN,
    )
    assert not InspectionAnswer.objects.exists()
    assert not InspectionEvidence.objects.exists()
    assert _files(settings) == []


# --- 3. verification capacity per item -------------------------------------------------------


def _done_action(tsuru, owner_user, unit):  # type: ignore[no-untyped-def]
    action = services.create_corrective_action(
        None,
        tsuru.municipality,
        source=CorrectiveAction.Source.SELF_INSPECTION,
        title="手順書の改訂",
        owner=_person(owner_user),
        due_date=timezone.localdate() + datetime.timedelta(days=30),
        org_unit=unit,
    )
    return services.progress_action(None, action, note="完了", done=True)


def test_a_deputy_managing_another_unit_cannot_verify_the_absent_owners_item(tsuru, manager):
    other = make_unit(tsuru.municipality, "税務課", parent=tsuru.bureau)
    deputy = make_user(
        tsuru.municipality, "deputy", roles=(Role.DIVISION_SECURITY_MANAGER,), unit=other
    )
    today = timezone.localdate()
    delegation.create_delegation(
        manager,
        RoleAssignment.objects.get(person__user=manager),
        _person(deputy),
        start_date=today,
        end_date=today,
        reason="出張",
    )
    action = _done_action(tsuru, manager, tsuru.unit)
    with pytest.raises(ValidationError):
        services.verify_action(deputy, action)
    action.refresh_from_db()
    assert action.status == CorrectiveAction.Status.DONE


def test_a_manager_of_another_unit_cannot_verify(tsuru, manager):
    other = make_unit(tsuru.municipality, "税務課", parent=tsuru.bureau)
    other_manager = make_user(
        tsuru.municipality, "other", roles=(Role.DIVISION_SECURITY_MANAGER,), unit=other
    )
    action = _done_action(tsuru, tsuru.staff, tsuru.unit)
    with pytest.raises(PermissionDenied):
        services.verify_action(other_manager, action)
    # The unit's own manager and a lead may.
    assert services.verify_action(manager, action).status == CorrectiveAction.Status.CLOSED


def test_a_deputy_verifies_on_behalf_of_the_manager(tsuru, manager):
    deputy = make_user(tsuru.municipality, "deputy3", unit=tsuru.unit)
    today = timezone.localdate()
    delegation.create_delegation(
        manager,
        RoleAssignment.objects.get(person__user=manager),
        _person(deputy),
        start_date=today,
        end_date=today,
        reason="出張",
    )
    action = _done_action(tsuru, tsuru.staff, tsuru.unit)
    assert services.verify_action(deputy, action).status == CorrectiveAction.Status.CLOSED
    entry = JournalEntry.objects.filter(action="corrective_action.verify").last()
    assert str(_person(manager)) in entry.on_behalf_of


# --- 4. a manager of two 課 answers two questionnaires ----------------------------------------


def test_a_manager_of_two_divisions_gets_a_sheet_for_each(tsuru, manager):
    other = make_unit(tsuru.municipality, "税務課", parent=tsuru.bureau)
    core_services.assign_role(
        None,
        _person(manager),
        Role.DIVISION_SECURITY_MANAGER,
        org_unit=other,
        fiscal_year=fiscal_year_of(timezone.localdate()),
    )
    campaign = make_campaign(tsuru.municipality)
    services.assign(None, campaign, target_group="division_security_manager", org_unit=tsuru.bureau)
    sheets = InspectionResponse.objects.filter(campaign=campaign, person=_person(manager))
    assert sorted(s.org_unit.name for s in sheets) == sorted([tsuru.unit.name, "税務課"])
    # Assigning again adds nothing; staff still get one sheet each.
    assert (
        services.assign(
            None, campaign, target_group="division_security_manager", org_unit=tsuru.bureau
        )
        == 0
    )


# --- 5. abolished units below the assigned unit ------------------------------------------------


def test_assigning_a_parent_leaves_out_abolished_units_and_reports_them(tsuru):
    old = make_unit(tsuru.municipality, "旧企画課", parent=tsuru.bureau)
    below = make_unit(tsuru.municipality, "旧企画係", parent=old, kind="section")
    left = make_person(tsuru.municipality, unit=old, family="旧")
    left_below = make_person(tsuru.municipality, unit=below, family="旧係")
    old.abolished_on = timezone.localdate()
    old.save()
    campaign = make_campaign(tsuru.municipality)
    skipped: list[str] = []
    services.assign(None, campaign, target_group="staff", org_unit=tsuru.bureau, skipped=skipped)
    assert not InspectionResponse.objects.filter(person__in=[left, left_below]).exists()
    assert InspectionResponse.objects.filter(person__user=tsuru.staff).exists()
    assert skipped == ["旧企画課"]
    entry = JournalEntry.objects.filter(action="self_inspection.assign").last()
    assert entry.after["abolished_units_skipped"] == 1


# --- 6. status read again under the sheet lock --------------------------------------------------


def test_evidence_on_a_sheet_submitted_meanwhile_is_refused(tsuru):
    sheet = _sheet(tsuru)
    stale = InspectionResponse.objects.get(pk=sheet.pk)
    items = _items(sheet)
    services.save_answers(None, sheet, {i.pk: ("implemented", "") for i in items}, submit=True)
    with pytest.raises(ValidationError):
        services.add_evidence(tsuru.staff, stale, items[0], name="a.pdf", data=PDF)
    assert not InspectionEvidence.objects.exists()


def test_evidence_delete_on_a_sheet_submitted_meanwhile_is_refused(tsuru):
    sheet = _sheet(tsuru)
    items = _items(sheet)
    evidence = services.add_evidence(tsuru.staff, sheet, items[0], name="a.pdf", data=PDF)
    stale = InspectionEvidence.objects.select_related("answer__response").get(pk=evidence.pk)
    stale.answer.response  # noqa: B018 - loaded while the sheet is still in progress
    services.save_answers(None, sheet, {i.pk: ("implemented", "") for i in items}, submit=True)
    with pytest.raises(ValidationError):
        services.delete_evidence(tsuru.staff, stale)
    assert InspectionEvidence.objects.filter(pk=evidence.pk).exists()


# --- 7. limits, late opening, reminders ---------------------------------------------------------


def test_a_web_upload_over_the_limit_is_not_read_whole(client, tsuru, settings, monkeypatch):
    settings.INSPECTION_EVIDENCE_MAX_BYTES = 1024 * 1024
    sheet = _sheet(tsuru)
    item = _items(sheet)[0]
    reads: list[tuple] = []

    def reader(self):  # type: ignore[no-untyped-def]
        def read(*args):  # type: ignore[no-untyped-def]
            reads.append(args)
            return self.file.read(*args)

        return read

    # Over 2.5 MB, Django spools the upload to a temporary file.
    monkeypatch.setattr(TemporaryUploadedFile, "read", property(reader))
    client.force_login(tsuru.staff)
    big = SimpleUploadedFile("big.pdf", PDF + b"\0" * (3 * 1024 * 1024))
    response = client.post(
        reverse("inspections:sheet_evidence", args=[sheet.pk]),
        {"item": str(item.pk), "file": big},
        follow=True,
        **EN,
    )
    assert "too large (3.0 MB; at most 1 MB)" in response.content.decode()
    assert all(args and 0 <= args[0] <= 1024 * 1024 + 1 for args in reads), reads
    assert not InspectionEvidence.objects.exists()


def test_opening_late_moves_the_deadline(tsuru):
    today = timezone.localdate()
    campaign = make_campaign(
        tsuru.municipality, opens_on=today - datetime.timedelta(days=60), open_it=False
    )
    assert campaign.deadline < today
    opened = services.open_campaign(None, campaign)
    assert opened.deadline == add_business_days(today, campaign.answer_business_days)
    assert SelfInspection.objects.get(pk=campaign.pk).deadline == opened.deadline


def test_reminders_skip_people_who_have_left(tsuru):
    staff = _person(tsuru.staff)
    staff.email = "staff@example.jp"
    staff.save()
    campaign = make_campaign(tsuru.municipality)
    _sheet(tsuru, campaign)
    SelfInspection.objects.filter(pk=campaign.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=1)
    )
    Person.objects.filter(pk=staff.pk).update(is_active=False)
    mail.outbox.clear()
    reminders.remind_overdue()
    assert not [m for m in mail.outbox if m.to == ["staff@example.jp"]]


def test_one_answer_gets_at_most_one_improvement_item_in_the_database(tsuru, manager):
    from django.db import IntegrityError, transaction

    sheet = _sheet(tsuru)
    services.save_answers(
        None, sheet, {i.pk: ("not_implemented", "") for i in _items(sheet)}, submit=True
    )
    answer = InspectionAnswer.objects.filter(response=sheet).first()
    due = timezone.localdate() + datetime.timedelta(days=30)
    services.create_improvement(manager, answer, owner=_person(tsuru.staff), due_date=due)
    other = _done_action(tsuru, tsuru.staff, tsuru.unit)
    other.inspection_answer = answer
    with pytest.raises(IntegrityError), transaction.atomic():
        other.save(update_fields=["inspection_answer"])
