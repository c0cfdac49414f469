"""The fieldwork, finding and corrective-action pages: the issue's bad input comes back as a
message with nothing saved (never a 500), uploads are checked by content, downloads are
attachments, each user sees what visibility allows (404 otherwise) and does what their right
allows (403 otherwise)."""

from __future__ import annotations

import datetime
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from isms.core.calendar import add_business_days
from isms.core.models import JournalEntry, Person
from isms.core.roles import Role
from isms.inspections import services as inspection_services
from isms.inspections.audits import services
from isms.inspections.audits.models import (
    Audit,
    AuditEvidence,
    AuditItem,
    AuditPlan,
    AuditWorkpaper,
    Finding,
)
from isms.inspections.models import CorrectiveAction, SelfInspection
from tests.audits import world_fieldwork as wf
from tests.audits.factories import PDF
from tests.support.factories import make_unit, make_user

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\0" * 400
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\0" * 400


@pytest.fixture
def client(client):  # type: ignore[no-untyped-def]
    """The pages in English (the messages asserted are the msgids)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _url(name: str, pk: int) -> str:
    return reverse(f"audits:{name}", args=[pk])


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def _close_audit(w) -> Audit:  # type: ignore[no-untyped-def]
    for item in w.audit.items.all():
        services.assess_item(w.auditor, item, result=AuditItem.Result.CONFORMING)
    return services.close_audit(w.auditor, w.audit, opinion="概ね適切")


def _other_unit_finding(w) -> Finding:  # type: ignore[no-untyped-def]
    """A finding of an audit of 税務課 (another unit than the world's 総務課)."""
    t = w.t
    unit = make_unit(t.municipality, "税務課", parent=t.bureau)
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
        title="税務課の監査",
        kind=Audit.Kind.INTERNAL,
        org_unit=unit,
        starts_on=w.audit.starts_on,
        ends_on=w.audit.starts_on,
    )
    services.assign_auditor(w.lead_auditor, audit, w.person(w.auditor), is_lead=True)
    services.submit_plan(w.lead_auditor, plan)
    services.approve_plan(w.chair, plan, reference="第2回情報セキュリティ委員会")
    return services.record_finding(
        w.auditor, audit, severity="major", title="税務課の指摘", description="台帳がない"
    )


# --- fieldwork ---------------------------------------------------------------------------------


def test_auditor_records_a_working_paper_evidence_and_the_result(client, world):
    item = wf.item(world.t)
    client.force_login(world.auditor)
    page = client.get(_url("item_detail", item.pk))
    assert page.status_code == 200
    assert 'data-testid="workpaper-form"' in _text(page)
    response = client.post(
        _url("workpaper_create", item.pk),
        {
            "kind": "interview",
            "performed_on": timezone.localdate().isoformat(),
            "interviewee": "総務課長",
            "notes": "端末の管理について聞き取った。",
        },
    )
    assert response.status_code == 302
    paper = AuditWorkpaper.objects.get(item=item)
    response = client.post(
        _url("evidence_upload", paper.pk), {"file": SimpleUploadedFile("議事録.pdf", PDF)}
    )
    assert response.status_code == 302
    evidence = AuditEvidence.objects.get(workpaper=paper)
    assert evidence.content_type == "application/pdf"
    response = client.post(
        _url("item_assess", item.pk), {"result": "partial", "result_note": "一部未実施"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.result == AuditItem.Result.PARTIAL
    page = client.get(_url("audit_detail", world.audit.pk))
    assert 'data-testid="count-partial">1<' in _text(page)
    assert 'data-testid="record-finding"' in _text(page)
    assert 'data-testid="close-audit-form"' in _text(page)


def test_bad_working_paper_comes_back_with_the_message(client, world):
    item = wf.item(world.t)
    client.force_login(world.auditor)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.post(
        _url("workpaper_create", item.pk),
        {"kind": "interview", "performed_on": tomorrow.isoformat(), "notes": "聞き取り"},
    )
    assert response.status_code == 200
    assert "Name who was interviewed" in _text(response)
    assert "The day is in the future" in _text(response)
    assert not AuditWorkpaper.objects.exists()


def test_a_nonconforming_result_needs_a_note(client, world):
    item = wf.item(world.t)
    client.force_login(world.auditor)
    response = client.post(_url("item_assess", item.pk), {"result": "nonconforming"})
    assert response.status_code == 200
    assert "Say what does not conform." in _text(response)
    item.refresh_from_db()
    assert item.result == AuditItem.Result.PENDING


def test_workpaper_edit_by_the_auditor(client, world):
    paper = wf.workpaper(world.t)
    client.force_login(world.auditor)
    assert client.get(_url("workpaper_edit", paper.pk)).status_code == 200
    response = client.post(
        _url("workpaper_edit", paper.pk),
        {
            "kind": "document_review",
            "performed_on": paper.performed_on.isoformat(),
            "notes": "台帳と実機を照合した。",
        },
    )
    assert response.status_code == 302
    paper.refresh_from_db()
    assert paper.notes == "台帳と実機を照合した。"


def test_pdf_is_accepted_program_archive_and_empty_files_are_refused(client, world, settings):
    paper = wf.workpaper(world.t)
    client.force_login(world.auditor)
    for name, data, message in (
        ("tool.pdf", ELF, "cannot be attached"),
        ("bundle.pdf", ZIP, "cannot be attached"),
        ("empty.pdf", b"", "The file is empty"),
    ):
        response = client.post(
            _url("evidence_upload", paper.pk), {"file": SimpleUploadedFile(name, data)}
        )
        assert response.status_code == 200, name
        assert message in _text(response), name
    response = client.post(_url("evidence_upload", paper.pk), {})
    assert response.status_code == 200
    assert "Choose the evidence file" in _text(response)
    assert not AuditEvidence.objects.exists()
    assert not [p for p in settings.DATA_DIR.rglob("*") if p.is_file()]


def test_a_file_over_the_limit_is_refused(client, world, settings):
    settings.INSPECTION_EVIDENCE_MAX_BYTES = 64
    paper = wf.workpaper(world.t)
    client.force_login(world.auditor)
    response = client.post(
        _url("evidence_upload", paper.pk), {"file": SimpleUploadedFile("big.pdf", PDF * 4)}
    )
    assert response.status_code == 200
    assert "The file is too large" in _text(response)
    assert not AuditEvidence.objects.exists()


def test_evidence_after_the_audit_closed_is_refused(client, world):
    paper = wf.workpaper(world.t)
    _close_audit(world)
    client.force_login(world.auditor)
    response = client.post(
        _url("evidence_upload", paper.pk), {"file": SimpleUploadedFile("late.pdf", PDF)}
    )
    assert response.status_code == 200
    assert "The audit is closed" in _text(response)
    assert not AuditEvidence.objects.exists()
    response = client.post(
        _url("workpaper_create", paper.item_id),
        {"kind": "test", "performed_on": timezone.localdate().isoformat(), "notes": "追加"},
    )
    assert response.status_code == 200
    assert "The audit is closed" in _text(response)
    assert AuditWorkpaper.objects.count() == 1
    # The closed audit's pages offer no fieldwork form any more.
    page = client.get(_url("item_detail", paper.item_id))
    assert 'data-testid="workpaper-form"' not in _text(page)
    assert 'data-testid="evidence-form-' not in _text(page)


def test_closing_the_audit_needs_every_result_and_an_opinion(client, world):
    client.force_login(world.auditor)
    response = client.post(_url("audit_close", world.audit.pk), {"opinion": "概ね適切"})
    assert response.status_code == 200
    assert "Give the result of every audit item first" in _text(response)
    world.audit.refresh_from_db()
    assert world.audit.status != Audit.Status.CLOSED
    for item in world.audit.items.all():
        services.assess_item(world.auditor, item, result=AuditItem.Result.CONFORMING)
    response = client.post(_url("audit_close", world.audit.pk), {"opinion": "概ね適切"})
    assert response.status_code == 302
    world.audit.refresh_from_db()
    assert world.audit.status == Audit.Status.CLOSED


def test_download_is_an_attachment_and_its_read_is_journaled(client, world):
    evidence = wf.evidence(world.t)
    client.force_login(world.t.lead)
    reads = JournalEntry.objects.filter(kind=JournalEntry.Kind.READ).count()
    response = client.get(_url("evidence_download", evidence.pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f"attachment; filename*=UTF-8''{quote('台帳.pdf')}"
    entry = JournalEntry.objects.filter(kind=JournalEntry.Kind.READ).order_by("pk").last()
    assert JournalEntry.objects.filter(kind=JournalEntry.Kind.READ).count() == reads + 1
    assert entry.municipality_id == world.t.municipality.pk
    assert entry.action == "audit_evidence.read"


def test_download_is_404_out_of_sight(client, world, other_world):
    evidence = wf.evidence(world.t)
    for user in (world.t.staff, world.t.admin, other_world.auditor, other_world.t.lead):
        client.force_login(user)
        assert client.get(_url("evidence_download", evidence.pk)).status_code == 404, user


# --- findings ----------------------------------------------------------------------------------


def test_auditor_records_a_finding_whose_control_is_the_items(client, world):
    item = wf.item(world.t)
    client.force_login(world.auditor)
    assert client.get(_url("finding_create", world.audit.pk)).status_code == 200
    response = client.post(
        _url("finding_create", world.audit.pk),
        {
            "severity": "minor",
            "title": "パスワードの貼り紙",
            "description": "モニタにパスワードが貼られていた。",
            "item": item.pk,
            "org_unit": "",
        },
    )
    assert response.status_code == 302
    finding = Finding.objects.get(title="パスワードの貼り紙")
    assert finding.control_id == item.control_id
    assert finding.org_unit_id == world.audit.org_unit_id
    assert response.url == _url("finding_detail", finding.pk)


def test_finding_outside_the_audited_unit_or_without_text_is_refused(client, world):
    other = make_unit(world.t.municipality, "会計課", parent=world.t.bureau)
    client.force_login(world.auditor)
    response = client.post(
        _url("finding_create", world.audit.pk),
        {"severity": "critical", "title": "", "description": "", "org_unit": other.pk},
    )
    assert response.status_code == 200
    assert "The selected record was not found in this municipality." in _text(response)
    assert not Finding.objects.exists()


def test_editing_a_closed_finding_is_refused(client, world):
    finding = services.record_finding(
        world.auditor,
        world.audit,
        severity="observation",
        title="掲示の改善",
        description="掲示が古い。",
    )
    services.close_finding(world.auditor, finding, note="対応不要")
    client.force_login(world.auditor)
    response = client.post(
        _url("finding_edit", finding.pk),
        {"severity": "minor", "title": "書き換え", "description": "書き換え"},
    )
    assert response.status_code == 200
    assert "The finding is closed" in _text(response)
    finding.refresh_from_db()
    assert finding.title == "掲示の改善"
    page = client.get(_url("finding_detail", finding.pk))
    assert 'data-testid="edit-finding"' not in _text(page)


def test_auditor_edits_an_open_finding(client, world):
    finding = wf.finding(world.t)
    client.force_login(world.auditor)
    response = client.post(
        _url("finding_edit", finding.pk),
        {
            "severity": "major",
            "title": "端末ロック未実施（複数）",
            "description": finding.description,
            "org_unit": world.t.unit.pk,
        },
    )
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.severity == "major"
    assert finding.item_id == wf.item(world.t).pk


def test_only_the_audits_auditors_record_fieldwork(client, world):
    item = wf.item(world.t)
    finding = wf.finding(world.t)
    form = {"kind": "test", "performed_on": timezone.localdate().isoformat(), "notes": "x"}
    # the lead sees everything but audits nothing; the unit's manager sees its audit.
    for user in (world.t.lead, world.manager, world.lead_auditor, world.insider):
        client.force_login(user)
        assert client.post(_url("workpaper_create", item.pk), form).status_code == 403, user
        assert client.get(_url("finding_create", world.audit.pk)).status_code == 403, user
        assert client.post(_url("finding_close", finding.pk), {}).status_code == 403, user
    assert not AuditWorkpaper.objects.exists()


def test_finding_list_filters(client, world):
    finding = wf.finding(world.t)
    action = wf.action(world.t)
    client.force_login(world.t.lead)
    url = reverse("audits:finding_list")
    assert finding.title in _text(client.get(url))
    assert finding.title not in _text(client.get(url, {"overdue": "on"}))
    CorrectiveAction.objects.filter(pk=action.pk).update(
        due_date=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert finding.title in _text(client.get(url, {"overdue": "on"}))
    assert finding.title not in _text(client.get(url, {"severity": "major"}))
    assert finding.title not in _text(client.get(url, {"status": "closed"}))
    assert finding.title in _text(client.get(url, {"fiscal_year": world.plan.fiscal_year}))
    assert finding.title not in _text(client.get(url, {"fiscal_year": world.plan.fiscal_year - 1}))
    assert client.get(url, {"fiscal_year": "x", "status": "zzz"}).status_code == 200


def test_unit_manager_sees_their_units_finding_not_anothers(client, world):
    mine = wf.finding(world.t)
    theirs = _other_unit_finding(world)
    client.force_login(world.manager)
    listing = _text(client.get(reverse("audits:finding_list")))
    assert mine.title in listing
    assert theirs.title not in listing
    assert client.get(_url("finding_detail", mine.pk)).status_code == 200
    assert client.get(_url("finding_detail", theirs.pk)).status_code == 404
    assert client.get(_url("audit_detail", theirs.audit_id)).status_code == 404
    assert client.get(_url("audit_detail", world.audit.pk)).status_code == 200


def test_another_municipality_gets_404(client, world, other_world):
    finding = wf.finding(world.t)
    action = wf.action(world.t)
    paper = wf.workpaper(world.t)
    for user in (other_world.auditor, other_world.t.lead, other_world.ciso):
        client.force_login(user)
        for name, pk in (
            ("audit_detail", world.audit.pk),
            ("item_detail", paper.item_id),
            ("finding_detail", finding.pk),
            ("workpaper_edit", paper.pk),
        ):
            assert client.get(_url(name, pk)).status_code == 404, (user, name)
        for name, pk in (
            ("action_progress", action.pk),
            ("action_create", finding.pk),
            ("finding_targeted", finding.pk),
        ):
            assert client.post(_url(name, pk), {}).status_code == 404, (user, name)
        assert finding.title not in _text(client.get(reverse("audits:finding_list")))
        assert action.title not in _text(client.get(reverse("audits:action_list")))


# --- corrective actions ------------------------------------------------------------------------


def test_manager_adds_an_action_by_employee_number(client, world):
    finding = wf.finding(world.t)
    owner = Person.objects.get(user=world.t.staff)
    client.force_login(world.manager)
    page = client.get(_url("finding_detail", finding.pk))
    assert 'data-testid="action-form"' in _text(page)
    response = client.post(
        _url("action_create", finding.pk),
        {"title": "周知する", "owner_number": "NOPE-1", "due_business_days": "10"},
    )
    assert response.status_code == 200
    assert "No member of staff has this employee number." in _text(response)
    response = client.post(
        _url("action_create", finding.pk),
        {"title": "周知する", "owner_number": owner.employee_number, "due_business_days": "0"},
    )
    assert response.status_code == 200
    assert not CorrectiveAction.objects.filter(finding=finding).exists()
    response = client.post(
        _url("action_create", finding.pk),
        {"title": "周知する", "owner_number": owner.employee_number, "due_business_days": "10"},
    )
    assert response.status_code == 302
    action = CorrectiveAction.objects.get(finding=finding)
    assert action.owner == owner
    assert action.due_date == add_business_days(timezone.localdate(), 10)
    assert action.source == CorrectiveAction.Source.AUDIT


def test_staff_and_another_units_manager_may_not_add_actions(client, world):
    finding = wf.finding(world.t)
    other_manager = make_user(
        world.t.municipality,
        "a-other-manager",
        roles=(Role.DIVISION_SECURITY_MANAGER,),
        unit=make_unit(world.t.municipality, "企画課", parent=world.t.bureau),
    )
    owner = Person.objects.get(user=world.t.staff)
    form = {"title": "x", "owner_number": owner.employee_number, "due_business_days": "10"}
    client.force_login(world.t.staff)
    assert client.post(_url("action_create", finding.pk), form).status_code == 404
    wf.action(world.t)  # now the staff member sees the finding, but still does not answer it
    assert client.post(_url("action_create", finding.pk), form).status_code == 403
    client.force_login(other_manager)
    assert client.post(_url("action_create", finding.pk), form).status_code == 404
    assert CorrectiveAction.objects.filter(finding=finding).count() == 1


def test_owner_sees_and_progresses_their_own_action(client, world):
    action = wf.action(world.t)
    client.force_login(world.t.staff)
    listing = client.get(reverse("audits:action_list"), {"mine": "1"})
    assert action.title in _text(listing)
    assert f'data-testid="progress-form-{action.pk}"' in _text(listing)
    assert client.get(_url("finding_detail", action.finding_id)).status_code == 200
    response = client.post(
        _url("action_progress", action.pk),
        {"note": "周知文を配布した", "done": "on", "back": "list"},
    )
    assert response.status_code == 302
    assert response.url == reverse("audits:action_list")
    action.refresh_from_db()
    assert action.status == CorrectiveAction.Status.DONE
    # Nobody else reports on it.
    client.force_login(world.manager)
    assert client.post(_url("action_progress", action.pk), {"note": "x"}).status_code == 403


def test_overdue_actions_are_highlighted(client, world):
    action = wf.action(world.t)
    CorrectiveAction.objects.filter(pk=action.pk).update(
        due_date=timezone.localdate() - datetime.timedelta(days=3)
    )
    client.force_login(world.t.staff)
    assert f'data-testid="overdue-{action.pk}"' in _text(client.get(reverse("audits:action_list")))


def test_verify_only_by_an_auditor_of_the_audit_never_the_owner(client, world):
    done = wf.done_action(world.t)
    for user in (world.t.staff, world.t.lead, world.manager, world.lead_auditor):
        client.force_login(user)
        assert client.post(_url("action_verify", done.pk)).status_code == 403, user
        assert client.post(_url("action_reject", done.pk), {"reason": "x"}).status_code == 403
    done.refresh_from_db()
    assert done.status == CorrectiveAction.Status.DONE
    # An auditor who owns the action does not verify it (兼務の禁止).
    finding = wf.finding(world.t)
    own = services.add_action(
        world.manager,
        finding,
        title="監査人自身の処置",
        owner=world.person(world.auditor),
        due_business_days=5,
    )
    inspection_services.progress_action(world.auditor, own, note="済", done=True)
    client.force_login(world.auditor)
    response = client.post(_url("action_verify", own.pk), follow=True)
    assert response.status_code == 200
    own.refresh_from_db()
    assert own.status == CorrectiveAction.Status.DONE
    assert 'class="error"' in _text(response)


def test_auditor_sends_back_then_verifies_and_closes_the_finding(client, world):
    done = wf.done_action(world.t)
    finding = wf.finding(world.t)
    client.force_login(world.auditor)
    response = client.post(_url("action_reject", done.pk), {"reason": ""}, follow=True)
    assert "Say what is still missing." in _text(response)
    done.refresh_from_db()
    assert done.status == CorrectiveAction.Status.DONE
    client.post(_url("action_reject", done.pk), {"reason": "配布記録がない"})
    done.refresh_from_db()
    assert done.status == CorrectiveAction.Status.IN_PROGRESS
    inspection_services.progress_action(world.t.staff, done, note="記録を添付", done=True)
    response = client.post(_url("action_verify", done.pk))
    assert response.status_code == 302
    done.refresh_from_db()
    assert done.status == CorrectiveAction.Status.CLOSED
    assert done.verified_by == world.person(world.auditor)
    response = client.post(_url("finding_close", finding.pk), {"note": ""})
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.status == Finding.Status.CLOSED


def test_no_page_closes_an_action_without_verification(client, world):
    action = wf.action(world.t)
    finding = wf.finding(world.t)
    client.force_login(world.t.staff)
    client.post(
        _url("action_progress", action.pk), {"note": "完了", "done": "on", "status": "closed"}
    )
    action.refresh_from_db()
    assert action.status == CorrectiveAction.Status.DONE
    # Done again: refused, still awaiting verification.
    response = client.post(_url("action_progress", action.pk), {"done": "on"}, follow=True)
    assert "The action is already done." in _text(response)
    client.force_login(world.auditor)
    response = client.post(_url("finding_close", finding.pk), {"note": "閉じる"})
    assert response.status_code == 200
    assert "Verify every corrective action first" in _text(response)
    finding.refresh_from_db()
    action.refresh_from_db()
    assert finding.status == Finding.Status.OPEN
    assert action.status == CorrectiveAction.Status.DONE


def test_verifying_an_action_not_done_is_refused(client, world):
    action = wf.action(world.t)
    client.force_login(world.auditor)
    response = client.post(_url("action_verify", action.pk), follow=True)
    assert "Only an action its owner reported done" in _text(response)
    action.refresh_from_db()
    assert action.status == CorrectiveAction.Status.OPEN


# --- 横展開 ------------------------------------------------------------------------------------


def test_a_lead_asks_other_units_to_check_themselves(client, world):
    finding = wf.finding(world.t)
    other = make_unit(world.t.municipality, "市民課", parent=world.t.bureau)
    make_user(
        world.t.municipality,
        "a-shimin-manager",
        roles=(Role.DIVISION_SECURITY_MANAGER,),
        unit=other,
    )
    client.force_login(world.ciso)
    page = client.get(_url("finding_detail", finding.pk))
    assert 'data-testid="targeted-form"' in _text(page)
    response = client.post(
        _url("finding_targeted", finding.pk), {"units": [], "answer_business_days": "10"}
    )
    assert response.status_code == 200
    assert not SelfInspection.objects.exists()
    response = client.post(
        _url("finding_targeted", finding.pk), {"units": [other.pk], "answer_business_days": "10"}
    )
    assert response.status_code == 302
    finding.refresh_from_db()
    campaign = finding.targeted_inspection
    assert campaign is not None
    assert campaign.status == SelfInspection.Status.OPEN
    page = client.get(_url("finding_detail", finding.pk))
    assert reverse("inspections:campaign_detail", args=[campaign.pk]) in _text(page)
    # Asked once only.
    response = client.post(
        _url("finding_targeted", finding.pk), {"units": [other.pk], "answer_business_days": "10"}
    )
    assert response.status_code == 200
    assert "already asked" in _text(response)
    assert SelfInspection.objects.count() == 1


def test_targeted_inspection_needs_a_lead(client, world):
    finding = wf.finding(world.t)
    form = {"units": [world.t.unit.pk], "answer_business_days": "10"}
    for user in (world.auditor, world.lead_auditor, world.manager):
        client.force_login(user)
        assert client.post(_url("finding_targeted", finding.pk), form).status_code == 403, user
    assert not SelfInspection.objects.exists()


def test_a_unit_without_a_manager_is_named(client, world):
    finding = wf.finding(world.t)
    empty = make_unit(world.t.municipality, "空席課", parent=world.t.bureau)
    client.force_login(world.ciso)
    response = client.post(
        _url("finding_targeted", finding.pk), {"units": [empty.pk], "answer_business_days": "10"}
    )
    assert response.status_code == 200
    assert "has a 情報セキュリティ管理者 today" in _text(response)
    assert not SelfInspection.objects.exists()
    finding.refresh_from_db()
    assert finding.targeted_inspection_id is None


def test_draft_plans_audit_has_no_fieldwork(client, world):
    audit = world.draft.audits.get()
    assert world.draft.status == AuditPlan.Status.DRAFT
    client.force_login(world.auditor)
    page = client.get(_url("audit_detail", audit.pk))
    assert page.status_code == 200
    assert 'data-testid="record-finding"' not in _text(page)
    response = client.post(
        _url("finding_create", audit.pk),
        {"severity": "minor", "title": "x", "description": "y"},
    )
    assert response.status_code == 200
    assert "fieldwork waits for it" in _text(response)
    assert not Finding.objects.exists()
