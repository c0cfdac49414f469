"""The incident services: reporting and its mail, the public form's refusals, triage and the
PPC suggestion, the timeline, closure with corrective actions, escalation, visibility."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail, signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from isms.core.models import JournalEntry, Person
from isms.core.permissions import SeparationOfDutiesError
from isms.core.roles import Role
from isms.incidents import services
from isms.incidents.evidence import MAX_BYTES
from isms.incidents.models import Evidence, Incident, PublicIntakeHit
from isms.incidents.visibility import visible_incidents
from isms.inspections.models import CorrectiveAction
from tests.assets.factories import make_asset
from tests.support.factories import make_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def token(seconds_ago: float = 60) -> str:
    return signing.dumps(timezone.now().timestamp() - seconds_ago, salt=services.PUBLIC_FORM_SALT)


def public(m, **kw):  # type: ignore[no-untyped-def]
    data = {
        "client": "client-a",
        "token": token(),
        "honeypot": "",
        "title": "市のサイトが改ざんされている",
        "description": "トップページに不審な文言が表示されています。",
    }
    return services.report_public(m, **(data | kw))


def triage_leak(actor, incident, n=150, **kw):  # type: ignore[no-untyped-def]
    data = {
        "is_incident": True,
        "severity": "high",
        "kind": "personal_data_breach",
        "threat_category": "unintentional",
        "persons_affected": n,
        "personal_data": True,
    }
    return services.triage(actor, incident, **(data | kw))


# --- reporting --------------------------------------------------------------------------------


def test_a_staff_report_is_numbered_and_mailed_to_the_manager_csirt_and_contact_point(
    tsuru, chain, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = services.report_incident(
            tsuru.staff, tsuru.municipality, title="不審メール", description="添付を開いた"
        )
    fy = incident.fiscal_year
    assert incident.number == f"INC-{fy}-0001"
    assert incident.org_unit == tsuru.unit and incident.reporter == tsuru.staff
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {
        "madoguchi@tsuru.example",
        "manager@tsuru.example",
        "csirt@tsuru.example",
    }
    assert incident.number in mail.outbox[0].subject
    # the next one counts on
    second = services.report_incident(
        tsuru.staff, tsuru.municipality, title="二件目", description="..."
    )
    assert second.number == f"INC-{fy}-0002"
    assert JournalEntry.objects.filter(action="incident.reported").count() == 2


def test_numbers_are_per_municipality(tsuru, kofu):
    a = services.report_incident(tsuru.staff, tsuru.municipality, title="a", description="a")
    b = services.report_incident(kofu.staff, kofu.municipality, title="b", description="b")
    assert a.number == b.number


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": ""}, "title"),
        ({"description": "x" * 4001}, "description"),
        ({"detected_at": timezone.now() + datetime.timedelta(days=1)}, "detected_at"),
    ],
)
def test_a_bad_staff_report_saves_nothing(tsuru, data, field):
    values = {"title": "件名", "description": "内容"} | data
    with pytest.raises(ValidationError) as exc:
        services.report_incident(tsuru.staff, tsuru.municipality, **values)
    assert field in exc.value.message_dict
    assert not Incident.objects.exists()


def test_a_mail_server_down_does_not_undo_the_report(
    tsuru, chain, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    with django_capture_on_commit_callbacks(execute=True):
        incident = services.report_incident(
            tsuru.staff, tsuru.municipality, title="件名", description="内容"
        )
    assert Incident.objects.filter(pk=incident.pk).exists()


# --- the public form ----------------------------------------------------------------------------


def test_a_public_report_gets_an_unguessable_confirmation_that_finds_only_itself(tsuru):
    receipt = public(tsuru.municipality)
    other = public(tsuru.municipality, client="client-b", title="別の通報")
    assert receipt.incident.channel == "public" and receipt.incident.reporter is None
    assert len(receipt.confirmation.replace("-", "")) == 16
    assert receipt.confirmation != other.confirmation
    # only its digest is stored
    assert receipt.confirmation not in str(Incident.objects.values_list())
    found = services.public_status(tsuru.municipality, receipt.confirmation.lower(), "c")
    assert found == receipt.incident
    assert services.public_status(tsuru.municipality, "AAAA-BBBB-CCCC-DDDD", "c") is None


def test_a_confirmation_number_of_another_municipality_finds_nothing(tsuru, kofu):
    receipt = public(tsuru.municipality)
    assert services.public_status(kofu.municipality, receipt.confirmation, "c") is None


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (lambda: {"honeypot": "http://spam.example"}, "spam"),
        (lambda: {"token": token(seconds_ago=0)}, "too_fast"),
        (lambda: {"token": "forged"}, "bad_token"),
        (lambda: {"token": token(seconds_ago=3 * 3600)}, "bad_token"),
    ],
)
def test_spam_and_robots_are_refused_with_a_message(tsuru, data, reason):
    with pytest.raises(services.Refused) as exc:
        public(tsuru.municipality, **data())
    assert exc.value.reason == reason
    assert exc.value.messages
    assert not Incident.objects.exists() and not PublicIntakeHit.objects.exists()


def test_a_flood_from_one_address_is_refused_after_the_limit(tsuru):
    for _i in range(5):
        public(tsuru.municipality)
    with pytest.raises(services.Refused) as exc:
        public(tsuru.municipality)
    assert exc.value.reason == "flood_client" and exc.value.status == 429
    assert Incident.objects.count() == 5
    # another address still gets through
    public(tsuru.municipality, client="client-b")


def test_a_flood_from_many_addresses_is_refused_per_municipality(tsuru, kofu):
    services.update_settings(None, tsuru.municipality, public_per_municipality_hour=3)
    for i in range(3):
        public(tsuru.municipality, client=f"c{i}")
    with pytest.raises(services.Refused) as exc:
        public(tsuru.municipality, client="c-new")
    assert exc.value.reason == "flood_municipality"
    public(kofu.municipality, client="c-new")  # other municipalities are not affected


def test_links_and_oversized_text_are_refused(tsuru):
    with pytest.raises(ValidationError) as exc:
        public(tsuru.municipality, description="http://a http://b http://c http://d")
    assert "description" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        public(tsuru.municipality, description="あ" * (services.PUBLIC_TEXT_MAX + 1))
    assert "description" in exc.value.message_dict
    assert not Incident.objects.exists()


def test_an_oversized_attachment_is_refused(tsuru):
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * MAX_BYTES, content_type="application/pdf")
    with pytest.raises(ValidationError) as exc:
        public(tsuru.municipality, attachment=big)
    assert "attachment" in exc.value.message_dict
    assert not Incident.objects.exists()


def test_an_attachment_of_a_forbidden_type_is_refused_by_its_content(tsuru):
    exe = SimpleUploadedFile("photo.png", b"MZ\x90\x00" + b"\x00" * 200, content_type="image/png")
    with pytest.raises(ValidationError) as exc:
        public(tsuru.municipality, attachment=exe)
    assert "attachment" in exc.value.message_dict
    assert not Evidence.objects.exists()


def test_an_accepted_attachment_is_stored_under_a_random_name(tsuru, settings):
    pdf = SimpleUploadedFile("../../etc/証拠.pdf", PDF, content_type="application/pdf")
    receipt = public(tsuru.municipality, attachment=pdf)
    evidence = receipt.incident.evidence.get()
    assert evidence.filename == "証拠.pdf" and evidence.content_type == "application/pdf"
    path = evidence.path(tsuru.municipality.pk)
    assert path.read_bytes() == PDF and "証拠" not in str(path)
    assert str(path).startswith(str(settings.DATA_DIR))


# --- triage and the PPC suggestion ------------------------------------------------------------


def test_triage_of_a_leak_of_150_persons_suggests_a_ppc_report_with_deadlines(
    tsuru, csirt, reported
):
    asset = make_asset(tsuru.municipality, tsuru.unit, holds_personal_info=True)
    incident = triage_leak(csirt, reported, assets=[asset])
    assert incident.status == "triaged"
    assert incident.ppc_suggested and incident.ppc_rule_ids == ["ppc-over-100"]
    detected = timezone.localdate(incident.detected_at)
    assert incident.ppc_preliminary_due == detected + datetime.timedelta(days=3)
    assert incident.ppc_final_due == detected + datetime.timedelta(days=30)
    assert list(incident.assets.all()) == [asset]
    assert JournalEntry.objects.filter(action="incident.triaged").exists()


def test_100_persons_suggest_nothing(csirt, reported):
    incident = triage_leak(csirt, reported, n=100, severity="low")
    assert not incident.ppc_suggested and incident.ppc_final_due is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"severity": ""}, "severity"),
        ({"threat_category": "aliens"}, "threat_category"),
        ({"persons_affected": -1}, "persons_affected"),
        ({"is_serious_situation": True}, "is_serious_situation"),
    ],
)
def test_bad_triage_is_refused(csirt, reported, data, field):
    with pytest.raises(ValidationError) as exc:
        triage_leak(csirt, reported, **data)
    assert field in exc.value.message_dict
    reported.refresh_from_db()
    assert reported.triaged_at is None


def test_not_an_incident_needs_a_reason_and_closes_it(csirt, reported):
    with pytest.raises(ValidationError):
        services.triage(csirt, reported, is_incident=False)
    incident = services.triage(csirt, reported, is_incident=False, note="誤検知")
    assert incident.status == "not_incident" and not incident.is_open


def test_only_the_csirt_and_leads_triage(tsuru, manager, reported):
    for user in (tsuru.staff, manager, tsuru.admin):
        with pytest.raises(PermissionDenied):
            triage_leak(user, reported)
    triage_leak(tsuru.lead, reported)


def test_the_decision_is_confirmed_by_a_person_and_an_override_needs_a_reason(csirt, reported):
    triage_leak(csirt, reported)
    with pytest.raises(ValidationError) as exc:
        services.decide_ppc_report(csirt, reported, decision="no_report")
    assert "reason" in exc.value.message_dict
    incident = services.decide_ppc_report(csirt, reported, decision="report")
    assert incident.ppc_decision == "report" and incident.ppc_decided_by == csirt
    entry = JournalEntry.objects.get(action="incident.ppc_decided")
    assert entry.after["suggested"] is True and entry.after["overridden"] is False
    services.decide_ppc_report(csirt, incident, decision="no_report", reason="本人の数を再確認")
    entry = JournalEntry.objects.filter(action="incident.ppc_decided").last()
    assert entry.after["overridden"] is True


def test_changed_facts_reset_the_decision(csirt, reported):
    triage_leak(csirt, reported)
    services.decide_ppc_report(csirt, reported, decision="report")
    incident = triage_leak(csirt, reported, n=10, severity="low")
    assert not incident.ppc_suggested and incident.ppc_decision == ""


def test_the_reporter_does_not_decide_on_their_own_report(tsuru, csirt):
    incident = services.report_incident(csirt, tsuru.municipality, title="t", description="d")
    triage_leak(csirt, incident)
    with pytest.raises(SeparationOfDutiesError):
        services.decide_ppc_report(csirt, incident, decision="report")
    services.decide_ppc_report(tsuru.lead, incident, decision="report")


def test_external_reports_and_publication(csirt, reported):
    triage_leak(csirt, reported)
    today = timezone.localdate()
    with pytest.raises(ValidationError) as exc:
        services.record_external_report(
            csirt, reported, target="ppc", kind="final", reported_on=today
        )
    assert "kind" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.record_external_report(
            csirt,
            reported,
            target="ppc",
            kind="preliminary",
            reported_on=today + datetime.timedelta(days=1),
        )
    assert "reported_on" in exc.value.message_dict
    for target, kind in (("ppc", "preliminary"), ("prefecture", "other"), ("mic", "other")):
        services.record_external_report(
            csirt, reported, target=target, kind=kind, reported_on=today
        )
    assert reported.external_reports.count() == 3
    with pytest.raises(ValidationError):
        services.decide_publication(csirt, reported, publication="publish", reason="")
    incident = services.decide_publication(
        csirt, reported, publication="publish", reason="公表基準: 100人超"
    )
    assert incident.publication == "publish"


# --- timeline and closure ---------------------------------------------------------------------


def test_timeline_entries_before_detection_or_in_the_future_are_refused(csirt, reported):
    with pytest.raises(ValidationError) as exc, translation.override("en"):
        services.add_timeline_entry(
            csirt,
            reported,
            kind="contact",
            occurred_at=reported.detected_at - datetime.timedelta(minutes=1),
            text="連絡",
        )
    assert "occurred_at" in exc.value.message_dict
    assert "before the incident was detected" in exc.value.message_dict["occurred_at"][0]
    with pytest.raises(ValidationError):
        services.add_timeline_entry(
            csirt,
            reported,
            kind="contact",
            occurred_at=timezone.now() + datetime.timedelta(hours=1),
            text="連絡",
        )
    assert not reported.timeline.exists()
    pdf = SimpleUploadedFile("log.pdf", PDF)
    entry = services.add_timeline_entry(
        csirt, reported, kind="evidence", occurred_at=timezone.now(), text="保全", attachment=pdf
    )
    assert entry.actor == Person.objects.get(user=csirt)
    assert entry.evidence.get().filename == "log.pdf"


def test_closure_needs_a_root_cause_and_a_review(tsuru, csirt, reported):
    triage_leak(csirt, reported, n=10, severity="low")
    with pytest.raises(ValidationError) as exc:
        services.close_incident(csirt, reported, root_cause="", review="")
    assert {"root_cause", "review"} <= set(exc.value.message_dict)
    reported.refresh_from_db()
    assert reported.is_open


def test_closure_waits_for_the_ppc_decision(csirt, reported):
    triage_leak(csirt, reported)
    with pytest.raises(ValidationError) as exc, translation.override("en"):
        services.close_incident(csirt, reported, root_cause="r", review="v")
    assert "PPC" in str(exc.value)


def test_closure_opens_corrective_actions_all_or_nothing(tsuru, csirt, reported):
    triage_leak(csirt, reported)
    services.decide_ppc_report(csirt, reported, decision="report")
    due = timezone.localdate() + datetime.timedelta(days=30)
    bad = [
        services.ActionSpec("媒体の暗号化", tsuru.other_person, due),
        services.ActionSpec("", tsuru.other_person, due),
    ]
    with pytest.raises(ValidationError) as exc:
        services.close_incident(csirt, reported, root_cause="r", review="v", actions=bad)
    assert "actions.1.title" in exc.value.message_dict
    assert not CorrectiveAction.objects.exists()
    incident = services.close_incident(
        csirt, reported, root_cause="持ち出し手順の不備", review="手順を改める", actions=bad[:1]
    )
    action = incident.corrective_actions.get()
    assert action.source == "incident" and action.source_reference == incident.number
    assert incident.status == "closed"
    with pytest.raises(ValidationError):
        services.add_timeline_entry(
            csirt, incident, kind="other", occurred_at=timezone.now(), text="x"
        )


def test_the_reporter_does_not_close_their_own_report(tsuru, csirt):
    incident = services.report_incident(csirt, tsuru.municipality, title="t", description="d")
    triage_leak(csirt, incident, n=1, severity="low")
    with pytest.raises(SeparationOfDutiesError):
        services.close_incident(csirt, incident, root_cause="r", review="v")


# --- visibility and reading -------------------------------------------------------------------


def test_reporters_see_their_own_the_chain_its_units_the_csirt_all(
    tsuru, kofu, csirt, manager, reported
):
    other = make_user(tsuru.municipality, "other-staff", unit=tsuru.bureau)
    assert list(visible_incidents(tsuru.staff)) == [reported]
    assert list(visible_incidents(manager)) == [reported]
    assert list(visible_incidents(csirt)) == [reported]
    assert list(visible_incidents(other)) == []
    assert list(visible_incidents(tsuru.admin)) == []
    assert list(visible_incidents(kofu.lead)) == []
    bureau_officer = make_user(
        tsuru.municipality, "bureau", roles=(Role.BUREAU_SECURITY_OFFICER,), unit=tsuru.bureau
    )
    assert list(visible_incidents(bureau_officer)) == [reported]


def test_reading_personal_data_details_is_journaled(tsuru, csirt, reported):
    services.read_incident(csirt, reported)
    entry = JournalEntry.objects.filter(kind=JournalEntry.Kind.READ).get()
    assert entry.object_id == str(reported.pk)
    with pytest.raises(PermissionDenied):
        services.read_incident(make_user(tsuru.municipality, "x", unit=tsuru.bureau), reported)


# --- escalation -------------------------------------------------------------------------------


def _monday(hour: int, minute: int = 0) -> datetime.datetime:
    """A Monday that is a business day (2026-06-01), at a local time."""
    return timezone.make_aware(datetime.datetime(2026, 6, 1, hour, minute))


def test_business_hours_skip_nights_and_weekends():
    friday_4pm = _monday(16) - datetime.timedelta(days=3)
    assert services.business_hours_between(friday_4pm, _monday(9, 30)) == pytest.approx(2.25)
    assert services.business_hours_between(_monday(18), _monday(23)) == 0


def test_unacknowledged_incidents_escalate_level_by_level(
    tsuru, chain, django_capture_on_commit_callbacks
):
    incident = services.report_incident(tsuru.staff, tsuru.municipality, title="t", description="d")
    Incident.objects.filter(pk=incident.pk).update(reported_at=_monday(9))
    mail.outbox.clear()
    assert services.escalate_overdue(_monday(12)) == []  # 3 business hours: not yet
    with django_capture_on_commit_callbacks(execute=True):
        assert [i.pk for i in services.escalate_overdue(_monday(13, 30))] == [incident.pk]
    incident.refresh_from_db()
    assert incident.escalation_level == 1
    assert set(mail.outbox[-1].to) == {"lead@tsuru.example", "sysman@tsuru.example"}
    assert "エスカレーション" in mail.outbox[-1].subject
    # the clock restarts: the CISO after four more business hours
    assert services.escalate_overdue(_monday(14)) == []
    with django_capture_on_commit_callbacks(execute=True):
        services.escalate_overdue(_monday(17, 30) + datetime.timedelta(days=1))
    incident.refresh_from_db()
    assert incident.escalation_level == 2
    assert mail.outbox[-1].to == ["ciso@tsuru.example"]
    assert JournalEntry.objects.filter(action="incident.escalated").count() == 2
    assert services.escalate_overdue(_monday(9) + datetime.timedelta(days=30)) == []


def test_acknowledged_but_stalled_incidents_escalate(tsuru, chain, csirt):
    incident = services.report_incident(tsuru.staff, tsuru.municipality, title="t", description="d")
    services.acknowledge(csirt, incident)
    Incident.objects.filter(pk=incident.pk).update(last_progress_at=_monday(9))
    assert services.escalate_overdue(_monday(16) + datetime.timedelta(days=1)) == []
    escalated = services.escalate_overdue(_monday(10) + datetime.timedelta(days=3))
    assert [i.pk for i in escalated] == [incident.pk]


def test_the_periodic_task_runs_the_escalation(tsuru):
    from isms.incidents.tasks import escalate_incidents

    assert escalate_incidents.call_local() == 0


# --- the policy review ------------------------------------------------------------------------


def test_review_summary_counts_the_fiscal_year(tsuru, csirt, reported):
    triage_leak(csirt, reported)
    services.decide_ppc_report(csirt, reported, decision="report")
    services.close_incident(csirt, reported, root_cause="r", review="v")
    services.report_incident(tsuru.staff, tsuru.municipality, title="t", description="d")
    summary = services.review_summary(tsuru.municipality, reported.fiscal_year)
    assert summary["reports"] == 2 and summary["closed"] == 1 and summary["open"] == 1
    assert summary["by_severity"] == {"high": 1} and summary["ppc_reports"] == 1
    assert summary["by_threat_category"] == {"unintentional": 1}
    assert services.review_summary(tsuru.municipality, reported.fiscal_year - 1)["reports"] == 0
