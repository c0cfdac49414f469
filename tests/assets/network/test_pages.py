"""The network pages (in English): overview and upload, the check page with its polling,
the report, history and comparison, the exceptions register and the inventory."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from isms.assets.models import NetworkCheck, NetworkSnapshot, PolicyException
from isms.core.roles import Role
from tests.support.factories import make_user

from .support import PLANTED_FLOW, demo_assets, demo_files, demo_zip, make_zip, upload_demo

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _file(name, data):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


@pytest.fixture
def lead(client, tsuru):  # type: ignore[no-untyped-def]
    client.force_login(tsuru.lead)
    return client


def test_the_menu_leads_to_the_overview(lead):
    html = lead.get("/", **EN).content.decode()
    assert reverse("assets:network:overview") in html
    page = lead.get(reverse("assets:network:overview"), **EN)
    assert page.status_code == 200
    assert "Upload a network" in page.content.decode()


def test_uploading_a_zip_runs_the_check_and_shows_the_violation(lead, tsuru):
    # given
    world = demo_assets(tsuru)
    # when
    response = lead.post(
        reverse("assets:network:upload"),
        {"name": "本庁舎", "files": _file("network.zip", demo_zip())},
        **EN,
    )
    # then
    check = NetworkCheck.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("assets:network:check_detail", kwargs={"pk": check.pk})
    html = lead.get(response.url, **EN).content.decode()
    assert 'data-status="done"' in html and "hx-get" not in html
    assert "1 violation" in html
    assert "fw-edge.conf:91" in html and "fw-core.rules:9" in html
    assert world.bunsho.asset_number in html and "文書管理システム" in html
    assert reverse("assets:asset_detail", kwargs={"pk": world.bunsho.pk}) in html
    assert "sources=172.16.8.0%2F24" in html and "services=tcp%2F443" in html


def test_uploading_several_files_works_too(lead):
    files = [_file(n, d) for n, d in demo_files()]
    response = lead.post(reverse("assets:network:upload"), {"name": "", "files": files}, **EN)
    assert response.status_code == 302
    assert NetworkSnapshot.objects.get().files == ["fw-core.rules", "fw-edge.conf", "model.yaml"]


def test_a_malicious_zip_comes_back_with_the_error_and_saves_nothing(lead):
    data = make_zip([("model.yaml", b"x"), ("../evil.rules", b"x")])
    response = lead.post(
        reverse("assets:network:upload"), {"name": "x", "files": _file("n.zip", data)}, **EN
    )
    assert response.status_code == 200
    assert "leads out of the folder" in response.content.decode()
    assert not NetworkSnapshot.objects.exists()


def test_an_upload_without_files_names_the_field(lead):
    response = lead.post(reverse("assets:network:upload"), {"name": "x"}, **EN)
    assert response.status_code == 200 and "This field is required" in response.content.decode()


def test_an_invalid_network_shows_the_file_and_line(lead, tsuru):
    check = upload_demo(tsuru, tsuru.lead, **{"fw-core.rules": b"*filter\n-A FORWARD -j NOPE\n"})
    html = lead.get(reverse("assets:network:check_detail", kwargs={"pk": check.pk}), **EN)
    body = html.content.decode()
    assert html.status_code == 200 and 'data-error="invalid"' in body
    assert "fw-core.rules:" in body and "hint" in body


def test_a_running_check_is_polled_and_the_fragment_answers_htmx(lead, tsuru):
    check = upload_demo(tsuru, tsuru.lead)
    NetworkCheck.objects.filter(pk=check.pk).update(status="running", progress="verifying")
    url = reverse("assets:network:check_detail", kwargs={"pk": check.pk})
    page = lead.get(url, **EN).content.decode()
    fragment = lead.get(url, HTTP_HX_REQUEST="true", **EN).content.decode()
    assert 'hx-trigger="every 2s"' in page and "Verifying every pair of segments" in page
    assert fragment.startswith('<div id="network-check"') and "<html" not in fragment


def test_the_text_report_downloads_in_the_users_language(lead, tsuru):
    check = upload_demo(tsuru, tsuru.lead)
    url = reverse("assets:network:check_report", kwargs={"pk": check.pk})
    en = lead.get(url, **EN)
    ja = lead.get(url, HTTP_ACCEPT_LANGUAGE="ja")
    assert en["Content-Type"].startswith("text/plain") and "inet-vdi" in en.content.decode()
    assert "違反" in ja.content.decode()


def test_run_again_history_and_comparison(lead, tsuru):
    first = upload_demo(tsuru, tsuru.lead)
    ciso = make_user(tsuru.municipality, "ciso-p", roles=(Role.CISO,))
    from .support import approved_exception

    approved_exception(tsuru, tsuru.lead, ciso)
    response = lead.post(
        reverse("assets:network:run_check", kwargs={"pk": first.snapshot_id}), **EN
    )
    second = NetworkCheck.objects.exclude(pk=first.pk).get()
    assert response.url == reverse("assets:network:check_detail", kwargs={"pk": second.pk})
    history = lead.get(reverse("assets:network:history"), **EN).content.decode()
    assert f"#{first.pk}" in history and f"#{second.pk}" in history and "Compliant" in history
    redirect = lead.get(
        reverse("assets:network:history"), {"before": first.pk, "after": second.pk}, **EN
    )
    compare = lead.get(redirect.url, **EN).content.decode()
    assert 'data-section="resolved"' in compare and "inet-vdi → lgwan-servers" in compare


def test_requesting_and_approving_an_exception_through_the_pages(client, tsuru):
    # given
    ciso = make_user(tsuru.municipality, "ciso-p", roles=(Role.CISO,))
    client.force_login(tsuru.lead)
    url = reverse("assets:network:exceptions")
    prefilled = client.get(url, PLANTED_FLOW, **EN).content.decode()
    assert 'value="172.16.8.0/24"' in prefilled
    expires = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    # when: the lead asks
    asked = client.post(url, PLANTED_FLOW | {"reason": "保守", "expires": expires}, **EN)
    exception = PolicyException.objects.get()
    own = client.get(url, **EN).content.decode()
    # then: they cannot approve it themselves
    assert asked.status_code == 302
    assert reverse("assets:network:exception_approve", kwargs={"pk": exception.pk}) not in own
    refused = client.post(
        reverse("assets:network:exception_approve", kwargs={"pk": exception.pk}), **EN
    )
    assert refused.status_code == 302
    exception.refresh_from_db()
    assert exception.status == "requested"
    # when: the CISO approves
    client.force_login(ciso)
    page = client.get(url, **EN).content.decode()
    assert reverse("assets:network:exception_approve", kwargs={"pk": exception.pk}) in page
    client.post(reverse("assets:network:exception_approve", kwargs={"pk": exception.pk}), **EN)
    exception.refresh_from_db()
    assert exception.status == "approved" and exception.approved_by == ciso
    assert "days left" in client.get(url, **EN).content.decode()


def test_a_bad_exception_request_comes_back_with_errors(lead, tsuru):
    url = reverse("assets:network:exceptions")
    response = lead.post(
        url,
        {
            "sources": "0.0.0.0/0",
            "destinations": "x",
            "services": "tcp",
            "reason": "r",
            "expires": "2099-01-01",
        },
        **EN,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "too wide" in body and "not an IPv4 address" in body and "destination port" in body
    assert "at most one year" in body
    assert not PolicyException.objects.exists()


def test_rejecting_needs_a_note_and_withdrawing(client, tsuru):
    ciso = make_user(tsuru.municipality, "ciso-p", roles=(Role.CISO,))
    from isms.assets.network import services

    exception = services.request_exception(
        tsuru.lead,
        tsuru.municipality,
        reason="r",
        expires=timezone.localdate() + datetime.timedelta(days=3),
        **PLANTED_FLOW,
    )
    client.force_login(ciso)
    reject = reverse("assets:network:exception_reject", kwargs={"pk": exception.pk})
    client.post(reject, {"note": ""}, **EN)
    exception.refresh_from_db()
    assert exception.status == "requested"
    client.force_login(tsuru.lead)
    client.post(reverse("assets:network:exception_withdraw", kwargs={"pk": exception.pk}), **EN)
    exception.refresh_from_db()
    assert exception.status == "withdrawn"


def test_the_inventory_page_lists_findings(lead, tsuru):
    from tests.assets.factories import make_asset

    make_asset(
        tsuru.municipality, tsuru.unit, name="未設定機器", kind="system_equipment", segment=""
    )
    upload_demo(tsuru, tsuru.lead)
    html = lead.get(reverse("assets:network:inventory"), **EN).content.decode()
    assert 'data-finding="no_segment"' in html and "未設定機器" in html


def test_staff_see_nothing_and_another_municipality_gets_404(client, tsuru, kofu):
    check = upload_demo(tsuru, tsuru.lead)
    client.force_login(tsuru.staff)
    assert client.get(reverse("assets:network:overview"), **EN).status_code == 403
    client.force_login(kofu.lead)
    url = reverse("assets:network:check_detail", kwargs={"pk": check.pk})
    assert client.get(url, **EN).status_code == 404
    run = reverse("assets:network:run_check", kwargs={"pk": check.snapshot_id})
    assert client.post(run, **EN).status_code == 404
    assert NetworkCheck.objects.count() == 1


def test_an_upload_too_large_is_refused_before_it_is_read(lead, monkeypatch):
    from isms.assets.network import uploads

    monkeypatch.setattr(uploads, "MAX_TOTAL_BYTES", 1000)
    response = lead.post(
        reverse("assets:network:upload"),
        {"name": "x", "files": _file("network.zip", demo_zip())},
        **EN,
    )
    assert response.status_code == 200 and "larger than" in response.content.decode()
    assert not NetworkSnapshot.objects.exists()
