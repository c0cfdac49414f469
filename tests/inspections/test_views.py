"""The self-inspection pages: bad input comes back as a message, nothing half-saved, no 500."""

from __future__ import annotations

import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from isms.core.models import Person
from isms.inspections import services
from isms.inspections.models import (
    InspectionAnswer,
    InspectionEvidence,
    InspectionItem,
    InspectionResponse,
)
from tests.inspections.factories import make_campaign
from tests.support.factories import make_unit

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _sheet(tsuru):
    campaign = make_campaign(tsuru.municipality)
    services.assign(None, campaign, target_group="staff", org_unit=tsuru.unit)
    return InspectionResponse.objects.get(campaign=campaign, person__user=tsuru.staff)


def _items(sheet):
    return list(InspectionItem.objects.filter(campaign=sheet.campaign, target_group="staff"))


def test_save_with_a_forbidden_file_saves_no_answer(client, tsuru):
    sheet = _sheet(tsuru)
    first, _second = _items(sheet)
    client.force_login(tsuru.staff)
    url = reverse("inspections:sheet_detail", args=[sheet.pk])
    response = client.post(
        url,
        {
            f"answer_{first.pk}": "implemented",
            f"evidence_{first.pk}": SimpleUploadedFile("a.pdf", b"MZ\x90\x00" + b"\0" * 300),
        },
        follow=True,
        **EN,
    )
    assert response.status_code == 200
    assert "cannot be attached" in response.content.decode()
    assert not InspectionAnswer.objects.exists()
    assert not InspectionEvidence.objects.exists()


def test_save_resume_and_submit_through_the_page(client, tsuru):
    sheet = _sheet(tsuru)
    first, second = _items(sheet)
    client.force_login(tsuru.staff)
    url = reverse("inspections:sheet_detail", args=[sheet.pk])
    client.post(
        url,
        {
            f"answer_{first.pk}": "partial",
            f"comment_{first.pk}": "途中",
            f"evidence_{first.pk}": SimpleUploadedFile("規程.pdf", PDF),
            "save": "1",
        },
        **EN,
    )
    page = client.get(url, **EN).content.decode()
    assert "途中" in page and "規程.pdf" in page
    response = client.post(url, {"submit": "1"}, follow=True, **EN)
    assert "Answer every question" in response.content.decode()
    client.post(url, {f"answer_{second.pk}": "implemented", "submit": "1"}, **EN)
    sheet.refresh_from_db()
    assert sheet.status == InspectionResponse.Status.SUBMITTED
    evidence = InspectionEvidence.objects.get()
    download = client.get(reverse("inspections:evidence_download", args=[evidence.pk]))
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == PDF


def test_answers_after_close_come_back_as_a_message(client, tsuru):
    sheet = _sheet(tsuru)
    services.close_campaign(None, sheet.campaign)
    first, _second = _items(sheet)
    client.force_login(tsuru.staff)
    response = client.post(
        reverse("inspections:sheet_detail", args=[sheet.pk]),
        {f"answer_{first.pk}": "implemented"},
        follow=True,
        **EN,
    )
    assert response.status_code == 200
    assert "The campaign is closed" in response.content.decode()
    assert not InspectionAnswer.objects.exists()


def test_assigning_an_abolished_unit_shows_the_reason(client, tsuru):
    campaign = make_campaign(tsuru.municipality)
    old = make_unit(tsuru.municipality, "旧課", parent=tsuru.bureau)
    old.abolished_on = timezone.localdate()
    old.save()
    client.force_login(tsuru.lead)
    response = client.post(
        reverse("inspections:campaign_assign", args=[campaign.pk]),
        {"target_group": "staff", "org_unit": old.pk},
        **EN,
    )
    assert response.status_code == 200
    assert "was abolished" in response.content.decode()
    assert not InspectionResponse.objects.exists()


def test_results_export_and_approval_queue(client, tsuru, manager):
    sheet = _sheet(tsuru)
    services.save_answers(
        tsuru.staff, sheet, {i.pk: ("implemented", "") for i in _items(sheet)}, submit=True
    )
    client.force_login(manager)
    queue = client.get(reverse("inspections:approval_queue"), **EN).content.decode()
    assert str(Person.objects.get(user=tsuru.staff)) in queue
    client.post(reverse("inspections:sheet_approve", args=[sheet.pk]), **EN)
    sheet.refresh_from_db()
    assert sheet.status == InspectionResponse.Status.APPROVED
    # The manager sees their unit's results.
    page = client.get(reverse("inspections:campaign_results", args=[sheet.campaign_id]), **EN)
    assert page.status_code == 200 and "100.0" in page.content.decode()
    body = client.get(reverse("inspections:campaign_export", args=[sheet.campaign_id])).content
    wb = openpyxl.load_workbook(io.BytesIO(body))
    assert len(wb.sheetnames) == 5
    rows = list(wb.worksheets[2].iter_rows(values_only=True))
    assert rows[1][0] == tsuru.unit.name and rows[1][5] == 100.0
    # Plain staff see no results.
    client.force_login(tsuru.staff)
    assert (
        client.get(reverse("inspections:campaign_results", args=[sheet.campaign_id])).status_code
        == 403
    )
