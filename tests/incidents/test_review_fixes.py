"""Regressions of the incidents review: separation of duties when judging "not an incident",
evidence download names, the earliest date of detection, the client address behind a proxy,
read journaling, the list's summary, the public form's token reuse, the triage's asset cap,
asset visibility on the detail page, escalation to the level above the one told, and the
evidence hashes in the journal."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from isms.core.models import JournalEntry
from isms.core.permissions import SeparationOfDutiesError
from isms.incidents import services
from isms.incidents.clients import client_address
from isms.incidents.evidence import download_name
from isms.incidents.models import Evidence, Incident, IncidentCounter, PublicIntakeHit
from tests.assets.factories import make_asset
from tests.incidents.factories import PDF
from tests.incidents.test_api import Api
from tests.incidents.test_services import public, token, triage_leak


def _incident_url(name: str, incident: Incident) -> str:
    return reverse(f"incidents:{name}", kwargs={"pk": incident.pk})


# --- 1. "not an incident" follows the closure's rules -------------------------------------------


def test_the_reporter_does_not_judge_their_own_report_not_an_incident(tsuru, csirt):
    incident = services.report_incident(csirt, tsuru.municipality, title="t", description="d")
    with pytest.raises(SeparationOfDutiesError):
        services.triage(csirt, incident, is_incident=False, note="誤検知")
    incident.refresh_from_db()
    assert incident.is_open and incident.closed_at is None
    services.triage(tsuru.lead, incident, is_incident=False, note="誤検知")


def test_not_an_incident_with_facts_firing_a_ppc_rule_needs_a_no_report_decision(
    tsuru, csirt, reported
):
    with pytest.raises(ValidationError) as exc:
        triage_leak(csirt, reported, is_incident=False, note="誤検知")
    assert "is_incident" in exc.value.message_dict
    reported.refresh_from_db()
    assert reported.is_open and not reported.ppc_suggested
    triage_leak(csirt, reported)  # an incident: the suggestion fires
    services.decide_ppc_report(csirt, reported, decision="no_report", reason="実在しない名簿")
    judged = triage_leak(csirt, reported, is_incident=False, note="誤検知")
    assert judged.status == Incident.Status.NOT_INCIDENT and judged.ppc_decision == "no_report"


def test_not_an_incident_through_the_api_is_refused_for_the_reporter(client, tsuru, csirt):
    incident = services.report_incident(csirt, tsuru.municipality, title="t", description="d")
    team = Api(client, csirt)
    response = team.post(
        "triage_incident", {"is_incident": False, "note": "誤検知"}, incident_id=incident.pk
    )
    assert response.status_code == 422
    assert Incident.objects.get(pk=incident.pk).is_open
    leak = {"is_incident": False, "note": "誤検知", "persons_affected": 150, "personal_data": True}
    other = services.report_incident(tsuru.staff, tsuru.municipality, title="t", description="d")
    response = team.post("triage_incident", leak, incident_id=other.pk)
    assert response.status_code == 422 and "is_incident" in response.json()["errors"]


# --- 2. and 5. evidence downloads --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type", "expected"),
    [
        ("証拠.js", "text/plain", "証拠.txt"),
        ("run.ps1", "text/plain", "run.txt"),
        ("a.vbs.pdf", "application/pdf", "a.vbs.pdf"),
        ("写真.exe", "image/png", "写真.png"),
        ("noext", "image/jpeg", "noext.jpg"),
        (".bashrc", "text/plain", "bashrc.txt"),
        ("名簿.xlsx", "text/csv", "名簿.csv"),
    ],
)
def test_the_download_extension_comes_from_the_detected_type(name, content_type, expected):
    assert download_name(name, content_type) == expected


def test_a_script_uploaded_as_text_downloads_as_txt_and_is_journaled_in_the_incident_chain(
    client, tsuru, csirt, reported
):
    script = b'var shell = new ActiveXObject("WScript.Shell");\nshell.Run("calc");\n'
    entry = services.add_timeline_entry(
        csirt,
        reported,
        kind="evidence",
        occurred_at=timezone.now(),
        text="保全",
        attachment=SimpleUploadedFile("証拠.js", script),
    )
    evidence = entry.evidence.get()
    assert evidence.content_type == "text/plain" and evidence.filename == "証拠.js"
    client.force_login(csirt)
    detail = client.get(_incident_url("incident_detail", reported)).content.decode()
    assert "証拠.js" in detail  # the name the uploader gave, as display text
    url = reverse(
        "incidents:evidence_download", kwargs={"pk": reported.pk, "evidence_pk": evidence.pk}
    )
    response = client.get(url)
    disposition = response["Content-Disposition"]
    assert (
        disposition.startswith("attachment")
        and ".txt" in disposition
        and ".js" not in (disposition)
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    read = JournalEntry.objects.get(action="evidence_read")
    assert read.municipality_id == reported.municipality_id
    assert read.object_id == str(reported.pk) and evidence.sha256 in read.after["reason"]


# --- 3. the earliest date of detection ----------------------------------------------------------


@pytest.mark.parametrize("year", [1, 1900, 1999])
def test_a_detection_before_2000_is_a_field_error(tsuru, year):
    with pytest.raises(ValidationError) as exc:
        services.report_incident(
            tsuru.staff,
            tsuru.municipality,
            title="t",
            description="d",
            detected_at=datetime.datetime(year, 1, 1),
        )
    assert "detected_at" in exc.value.message_dict
    assert not Incident.objects.exists() and not IncidentCounter.objects.exists()


def test_a_detection_in_year_1_is_refused_by_the_page_and_the_api(client, tsuru):
    client.force_login(tsuru.staff)
    response = client.post(
        reverse("incidents:incident_report"),
        {"title": "t", "description": "d", "detected_at": "0001-01-01T00:00"},
    )
    assert response.status_code == 200 and "2000-01-01" in response.content.decode()
    api = Api(Client(), tsuru.staff)
    response = api.post(
        "report_incident",
        {"title": "t", "description": "d", "detected_at": "0001-01-01T00:00:00"},
    )
    assert response.status_code == 422 and "detected_at" in response.json()["errors"]
    response = api.post(
        "report_incident", {"title": "t", "description": "d", "detected_at": "1900-04-01T09:00"}
    )
    assert response.status_code == 422
    assert not Incident.objects.exists()


# --- 4. the client address behind a reverse proxy ----------------------------------------------


def _request(peer: str, forwarded: str | None = None):  # type: ignore[no-untyped-def]
    extra = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/", **extra)


def test_behind_nginx_on_a_unix_socket_the_right_most_forwarded_address_counts(settings):
    settings.TRUSTED_PROXIES = ["unix"]
    assert client_address(_request("", "203.0.113.7")) == "203.0.113.7"
    # the client's own header comes first; nginx appends the real peer last
    assert client_address(_request("", "198.51.100.1, 203.0.113.7")) == "203.0.113.7"


def test_a_forwarded_header_from_an_untrusted_peer_is_ignored(settings):
    settings.TRUSTED_PROXIES = ["unix", "10.0.0.0/8"]
    assert client_address(_request("203.0.113.7", "198.51.100.1")) == "203.0.113.7"
    settings.TRUSTED_PROXIES = []
    assert client_address(_request("", "198.51.100.1")) == ""


def test_trusted_proxies_in_the_chain_are_skipped_never_the_left_most_taken(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.1"]
    request = _request("10.1.2.3", "198.51.100.1, 203.0.113.7, 192.0.2.1")
    assert client_address(request) == "203.0.113.7"
    assert client_address(_request("10.1.2.3", "garbage, 10.0.0.5")) == "10.1.2.3"


def test_residents_behind_the_unix_socket_proxy_are_counted_apart(client, tsuru, settings):
    settings.TRUSTED_PROXIES = ["unix"]
    url = reverse("incidents:public_report", kwargs={"code": tsuru.municipality.code})

    def post(forwarded: str) -> int:
        data = {
            "title": "t",
            "description": "d",
            "website": "",
            "started": token(30),
            "name": "",
            "contact": "",
        }
        return client.post(url, data, REMOTE_ADDR="", HTTP_X_FORWARDED_FOR=forwarded).status_code

    for _i in range(5):
        assert post("203.0.113.7") == 200
    assert post("203.0.113.7") == 429
    # spoofing a left-most address does not escape the limit
    assert post("198.51.100.99, 203.0.113.7") == 429
    assert post("203.0.113.8") == 200  # another resident has their own bucket


# --- 6. a public report's name and contact -----------------------------------------------------


def test_reading_a_public_reports_name_and_contact_is_journaled(tsuru, csirt):
    receipt = public(tsuru.municipality, name="山田太郎", contact="090-0000-0000")
    services.read_incident(csirt, receipt.incident)
    entry = JournalEntry.objects.get(kind=JournalEntry.Kind.READ)
    assert entry.object_id == str(receipt.incident.pk)
    plain = services.report_incident(tsuru.staff, tsuru.municipality, title="t", description="d")
    services.read_incident(csirt, plain)  # a staff report names staff, not a resident
    assert JournalEntry.objects.filter(kind=JournalEntry.Kind.READ).count() == 1


# --- 7. the API list is a summary -----------------------------------------------------------------


def test_the_api_list_has_no_description_nor_personal_data_details(client, tsuru, csirt, reported):
    triage_leak(csirt, reported)
    before = JournalEntry.objects.filter(kind=JournalEntry.Kind.READ).count()
    items = Api(client, csirt).get("list_incidents").json()["items"]
    assert [i["number"] for i in items] == [reported.number]
    for field in ("description", "personal_data", "persons_affected", "involves_my_number"):
        assert field not in items[0]
    assert {"title", "status", "severity", "detected_at"} <= set(items[0])
    assert JournalEntry.objects.filter(kind=JournalEntry.Kind.READ).count() == before


def test_reading_the_timeline_through_the_api_is_journaled(client, csirt, reported):
    response = Api(client, csirt).get("list_incident_timeline", incident_id=reported.pk)
    assert response.status_code == 200
    assert JournalEntry.objects.filter(kind="read", object_id=str(reported.pk)).exists()


# --- 8. a form token is used once --------------------------------------------------------------


def test_a_public_form_token_is_used_once(tsuru):
    used = token()
    public(tsuru.municipality, token=used)
    with pytest.raises(services.Refused) as exc:
        public(tsuru.municipality, token=used, client="client-b")
    assert exc.value.reason == "token_used"
    assert Incident.objects.count() == 1
    assert not PublicIntakeHit.objects.filter(client=used).exists()  # a digest, not the token


def test_a_refresh_of_the_done_page_files_no_duplicate(tsuru):
    client = Client(HTTP_ACCEPT_LANGUAGE="ja")
    url = reverse("incidents:public_report", kwargs={"code": tsuru.municipality.code})
    data = {"title": "t", "description": "d", "website": "", "started": token(30)}
    assert client.post(url, data).status_code == 200
    again = client.post(url, data)
    assert again.status_code == 409 and "送信済み" in again.content.decode()
    assert Incident.objects.count() == 1


# --- 9. the triage's assets are capped --------------------------------------------------------


def test_too_many_asset_numbers_are_a_field_error(client, csirt, reported):
    client.force_login(csirt)
    numbers = "\n".join(f"A-{i:05d}" for i in range(201))
    response = client.post(
        _incident_url("incident_triage", reported),
        {"is_incident": "yes", "persons_affected": "0", "asset_numbers": numbers},
    )
    assert response.status_code == 200
    assert "asset_numbers" in response.context["form"].errors
    huge = client.post(
        _incident_url("incident_triage", reported),
        {"is_incident": "yes", "persons_affected": "0", "asset_numbers": "A-1 " * 40000},
    )
    assert huge.status_code == 200 and "asset_numbers" in huge.context["form"].errors
    api = Api(client, csirt).post(
        "triage_incident",
        {"is_incident": True, "asset_ids": list(range(1, 202))},
        incident_id=reported.pk,
    )
    assert api.status_code == 422


# --- 10. linked assets keep the assets app's visibility ---------------------------------------


def test_the_reporter_sees_only_the_number_of_an_asset_out_of_their_sight(
    client, tsuru, csirt, reported
):
    asset = make_asset(tsuru.municipality, tsuru.bureau, name="人事給与の秘密台帳")
    services.triage(
        csirt,
        reported,
        is_incident=True,
        severity="low",
        kind="loss_or_theft",
        threat_category="unintentional",
        assets=[asset],
        personal_data=True,
    )
    client.force_login(tsuru.staff)
    body = client.get(_incident_url("incident_detail", reported)).content.decode()
    assert asset.asset_number in body and "人事給与の秘密台帳" not in body
    client.force_login(tsuru.lead)
    body = client.get(_incident_url("incident_detail", reported)).content.decode()
    assert "人事給与の秘密台帳" in body


# --- 11. escalation goes above the level already told -------------------------------------------


def _monday(hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(2026, 6, 1, hour, minute))


def test_an_acknowledged_stalled_incident_escalates_to_the_ciso_not_again_to_level_1(
    tsuru, chain, csirt, django_capture_on_commit_callbacks
):
    incident = services.report_incident(tsuru.staff, tsuru.municipality, title="t", description="d")
    services.acknowledge(csirt, incident)  # tells level 1
    Incident.objects.filter(pk=incident.pk).update(last_progress_at=_monday(9))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        escalated = services.escalate_overdue(_monday(10) + datetime.timedelta(days=3))
    assert [i.pk for i in escalated] == [incident.pk]
    incident.refresh_from_db()
    assert incident.escalation_level == 2 and incident.notified_level == 2
    assert [m.to for m in mail.outbox] == [["ciso@tsuru.example"]]


def test_an_incident_the_ciso_was_told_of_is_not_escalated_again(tsuru, chain, csirt):
    incident = services.report_incident(tsuru.staff, tsuru.municipality, title="t", description="d")
    triage_leak(csirt, incident)  # serious: the CISO's level is told
    Incident.objects.filter(pk=incident.pk).update(last_progress_at=_monday(9))
    assert services.escalate_overdue(_monday(10) + datetime.timedelta(days=10)) == []


# --- 12. evidence hashes in the journal, no file left by a rollback ---------------------------


def test_the_journal_keeps_the_evidence_hash_of_a_timeline_entry_and_a_public_report(
    tsuru, csirt, reported
):
    services.add_timeline_entry(
        csirt,
        reported,
        kind="evidence",
        occurred_at=timezone.now(),
        text="保全",
        attachment=SimpleUploadedFile("log.pdf", PDF),
    )
    stored = Evidence.objects.get()
    entry = JournalEntry.objects.get(action="incident.timeline_added")
    assert entry.after["evidence"] == {
        "filename": "log.pdf",
        "sha256": stored.sha256,
        "size": len(PDF),
    }
    receipt = public(tsuru.municipality, attachment=SimpleUploadedFile("a.pdf", PDF))
    entry = JournalEntry.objects.get(action="incident.reported_public")
    assert entry.after["evidence"]["sha256"] == receipt.incident.evidence.get().sha256


def test_a_rolled_back_report_leaves_no_file(tsuru, csirt, reported, settings, monkeypatch):
    folder = Path(settings.DATA_DIR) / "incidents" / str(tsuru.municipality.pk)
    before = set(folder.glob("*")) if folder.exists() else set()

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("journal down")

    monkeypatch.setattr(services, "_journal", broken)
    with pytest.raises(RuntimeError):
        services.add_timeline_entry(
            csirt,
            reported,
            kind="evidence",
            occurred_at=timezone.now(),
            text="保全",
            attachment=SimpleUploadedFile("log.pdf", PDF),
        )
    with pytest.raises(RuntimeError):
        public(tsuru.municipality, attachment=SimpleUploadedFile("a.pdf", PDF))
    after = set(folder.glob("*")) if folder.exists() else set()
    assert after == before and not Evidence.objects.exists()
