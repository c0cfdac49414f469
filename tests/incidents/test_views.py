"""The incident pages: the public form's refusals, the staff report, triage, timeline, closure."""

from __future__ import annotations

import datetime

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from isms.incidents import services
from isms.incidents.evidence import MAX_BYTES
from isms.incidents.models import Incident, PublicIntakeHit
from tests.assets.factories import make_asset
from tests.incidents.factories import PDF


def _public_url(m) -> str:  # type: ignore[no-untyped-def]
    return reverse("incidents:public_report", kwargs={"code": m.code})


def _started(seconds_ago: float = 30) -> str:
    return signing.dumps(timezone.now().timestamp() - seconds_ago, salt=services.PUBLIC_FORM_SALT)


def _form(**overrides):  # type: ignore[no-untyped-def]
    return {
        "title": "なりすましメール",
        "description": "市の名前で不審なメールが届きました。",
        "name": "",
        "contact": "",
        "website": "",
        "started": _started(),
    } | overrides


@pytest.fixture
def ja_client():  # type: ignore[no-untyped-def]
    return Client(HTTP_ACCEPT_LANGUAGE="ja")


# --- the public form ----------------------------------------------------------------------------


def test_the_public_form_needs_no_login_and_keeps_csrf(tsuru):
    client = Client(enforce_csrf_checks=True)
    page = client.get(_public_url(tsuru.municipality))
    assert page.status_code == 200
    assert b"csrfmiddlewaretoken" in page.content
    refused = client.post(_public_url(tsuru.municipality), _form())
    assert refused.status_code == 403  # no CSRF token: Django's refusal
    assert not Incident.objects.exists()


def test_a_resident_reports_and_checks_only_their_report(client, tsuru):
    done = client.post(_public_url(tsuru.municipality), _form())
    assert done.status_code == 200
    number = done.context["receipt"].confirmation
    assert number in done.content.decode()
    other = client.post(_public_url(tsuru.municipality), _form(title="別の人の通報"))
    assert other.status_code == 200
    status_url = reverse("incidents:public_status", kwargs={"code": tsuru.municipality.code})
    shown = client.post(status_url, {"confirmation": number})
    body = shown.content.decode()
    assert shown.context["found"] == done.context["receipt"].incident
    assert "なりすましメール" not in body and "別の人の通報" not in body
    assert "INC-" not in body  # not even the internal number
    unknown = client.post(status_url, {"confirmation": "ZZZZ-ZZZZ-ZZZZ-ZZZZ"})
    assert unknown.context["found"] is None


def test_an_unknown_municipality_is_a_404(client, tsuru):
    assert (
        client.get(reverse("incidents:public_report", kwargs={"code": "000000"})).status_code == 404
    )


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        (lambda: _form(website="http://spam.example"), 400, "最後の欄"),
        (lambda: _form(started=_started(0)), 400, "送信が早すぎます"),
        (lambda: _form(started="tampered"), 400, "期限切れ"),
        (lambda: _form(description="あ" * 2001), 400, "2000"),
    ],
)
def test_spam_robots_and_long_text_get_a_clear_japanese_refusal(
    ja_client, tsuru, form, status, message
):
    response = ja_client.post(_public_url(tsuru.municipality), form())
    assert response.status_code == status
    assert message in response.content.decode()
    assert not Incident.objects.exists()


def test_a_flood_is_refused_with_429(ja_client, tsuru):
    for _i in range(5):
        assert ja_client.post(_public_url(tsuru.municipality), _form()).status_code == 200
    response = ja_client.post(_public_url(tsuru.municipality), _form())
    assert response.status_code == 429
    assert "1時間" in response.content.decode()
    assert Incident.objects.count() == 5
    assert PublicIntakeHit.objects.filter(kind="report").count() == 5


def test_oversized_and_forbidden_uploads_are_refused(ja_client, tsuru):
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * MAX_BYTES)
    response = ja_client.post(_public_url(tsuru.municipality), _form(attachment=big))
    assert response.status_code == 400 and "大きすぎます" in response.content.decode()
    exe = SimpleUploadedFile("a.pdf", b"MZ\x90\x00" + b"\x00" * 100)
    response = ja_client.post(_public_url(tsuru.municipality), _form(attachment=exe))
    assert response.status_code == 400 and "受け付けていません" in response.content.decode()
    assert not Incident.objects.exists()


# --- staff pages --------------------------------------------------------------------------------


def test_a_staff_member_reports_in_one_short_form(client, tsuru, chain):
    client.force_login(tsuru.staff)
    page = client.get(reverse("incidents:incident_report"))
    assert set(page.context["form"].fields) == {
        "title",
        "description",
        "detected_at",
        "personal_data",
    }
    response = client.post(
        reverse("incidents:incident_report"),
        {"title": "PC紛失", "description": "電車に置き忘れた", "detected_at": "2026-01-05T09:00"},
    )
    incident = Incident.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"/incidents/{incident.pk}/")


def test_triage_page_refuses_unknown_assets_and_shows_the_rule(client, tsuru, csirt, reported):
    client.force_login(csirt)
    url = reverse("incidents:incident_triage", kwargs={"pk": reported.pk})
    data = {
        "is_incident": "yes",
        "severity": "high",
        "kind": "personal_data_breach",
        "threat_category": "unintentional",
        "asset_numbers": "NOPE-1",
        "persons_affected": "150",
        "personal_data": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 200 and "NOPE-1" in response.content.decode()
    asset = make_asset(tsuru.municipality, tsuru.unit, asset_number="A-USB-1")
    response = client.post(url, data | {"asset_numbers": asset.asset_number})
    assert response.status_code == 302
    detail = client.get(reverse("incidents:incident_detail", kwargs={"pk": reported.pk}))
    body = detail.content.decode()
    assert 'data-suggested="yes"' in body
    assert "施行規則 第43条第4号" in body  # the rule's source
    assert "A-USB-1" in body and "LGWAN" in body.upper()  # the asset and its segment


def test_timeline_before_detection_and_closure_without_root_cause_come_back_with_messages(
    client, csirt, reported
):
    client.force_login(csirt)
    services.triage(
        csirt,
        reported,
        is_incident=True,
        severity="low",
        kind="loss_or_theft",
        threat_category="unintentional",
    )
    early = timezone.localtime(reported.detected_at - datetime.timedelta(hours=2))
    response = client.post(
        reverse("incidents:incident_timeline", kwargs={"pk": reported.pk}),
        {
            "tl-kind": "contact",
            "tl-occurred_at": early.strftime("%Y-%m-%dT%H:%M"),
            "tl-text": "連絡",
        },
    )
    assert response.status_code == 200
    assert "インシデントの検知" in response.content.decode()  # before detection
    response = client.post(
        reverse("incidents:incident_close", kwargs={"pk": reported.pk}),
        {"root_cause": "", "review": "見直し"},
    )
    assert response.status_code == 200
    assert "原因がないと" in response.content.decode()  # no root cause
    reported.refresh_from_db()
    assert reported.is_open


def test_evidence_downloads_as_an_attachment_and_is_journaled(client, tsuru, csirt, reported):
    from isms.core.models import JournalEntry

    entry = services.add_timeline_entry(
        csirt,
        reported,
        kind="evidence",
        occurred_at=timezone.now(),
        text="保全",
        attachment=SimpleUploadedFile("<script>.pdf", PDF),
    )
    client.force_login(csirt)
    evidence = entry.evidence.get()
    response = client.get(
        reverse(
            "incidents:evidence_download", kwargs={"pk": reported.pk, "evidence_pk": evidence.pk}
        )
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/octet-stream"
    assert b"".join(response.streaming_content) == PDF
    read = JournalEntry.objects.get(action="evidence_read", kind="read")
    assert read.object_id == str(reported.pk) and evidence.sha256 in read.after["reason"]
