"""The risk pages: bad input comes back next to its field, nothing half-saved, no 500."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse

from isms.assets.models import InformationAsset
from isms.core.models import JournalEntry, Person
from isms.risks import services
from isms.risks.models import Risk, Threat
from tests.assets.factories import make_asset
from tests.risks.factories import make_risk, threat

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def asset(tsuru):
    return make_asset(
        tsuru.municipality, tsuru.unit, asset_number="R-001", name="住民記録", confidentiality="3"
    )


def _form(tsuru, asset, **extra):
    data = {
        "asset_number": asset.asset_number,
        "threat": threat(tsuru.municipality).pk,
        "likelihood": "3",
        "impact": "",
        "scenario": "不正アクセスによる漏えい",
    }
    data.update(extra)
    return data


def test_propose_shows_the_impact_and_why_without_saving(client, tsuru, manager, asset):
    client.force_login(manager)

    response = client.post(reverse("risks:risk_create"), _form(tsuru, asset, propose="1"), **EN)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="proposed-impact" data-level="4"' in html
    assert "confidentiality class 3 → impact 4" in html
    assert not Risk.objects.exists()


def test_assess_saves_and_shows_the_reasons(client, tsuru, manager, asset):
    client.force_login(manager)

    response = client.post(reverse("risks:risk_create"), _form(tsuru, asset), **EN)

    risk = Risk.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "risks:risk_detail", args=[risk.pk]
    )
    detail = client.get(response.url, **EN).content.decode()
    assert "confidentiality class 3 → impact 4" in detail
    assert 'data-testid="inherent-level">3×4 = 12 (High)' in detail


def test_an_unknown_or_disposed_asset_is_an_error_next_to_the_number(client, tsuru, manager, asset):
    client.force_login(manager)
    response = client.post(
        reverse("risks:risk_create"), _form(tsuru, asset, asset_number="NOPE"), **EN
    )
    assert response.status_code == 200
    assert "No asset of this municipality has that number. Check it." in response.content.decode()

    InformationAsset.objects.filter(pk=asset.pk).update(status="disposed")
    response = client.post(reverse("risks:risk_create"), _form(tsuru, asset), **EN)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_asset_number_error"' in html
    assert "has been disposed of: its risks are no longer assessed." in html
    assert not Risk.objects.exists()


def test_another_impact_without_reason_is_an_error_on_the_reason(client, tsuru, manager, asset):
    client.force_login(manager)

    response = client.post(reverse("risks:risk_create"), _form(tsuru, asset, impact="1"), **EN)

    html = response.content.decode()
    assert 'id="id_impact_override_reason_error"' in html
    assert "The proposed impact is 4. Say why you chose 1, or keep the proposal." in html
    assert not Risk.objects.exists()


def test_treatment_without_owner_is_an_error_on_the_owner(client, tsuru, manager, asset):
    risk = make_risk(tsuru.municipality, asset, actor=manager)
    client.force_login(manager)
    url = reverse("risks:risk_treat", args=[risk.pk])

    response = client.post(url, {"treatment": "reduce", "controls": "MFA"}, **EN)

    assert 'id="id_owner_number_error"' in response.content.decode()
    risk.refresh_from_db()
    assert risk.treatment == ""
    number = Person.objects.get(user=manager).employee_number
    response = client.post(
        url,
        {
            "treatment": "reduce",
            "controls": "MFA",
            "owner_number": number,
            "residual_likelihood": "1",
            "residual_impact": "4",
        },
        **EN,
    )
    assert response.status_code == 302
    risk.refresh_from_db()
    assert (risk.treatment, risk.residual_level, risk.owner.employee_number) == (
        "reduce",
        "low",
        number,
    )


def test_acceptance_through_the_pages(client, tsuru, manager, ciso, asset):
    risk = make_risk(tsuru.municipality, asset, actor=manager)
    services.treat_risk(manager, risk, treatment="accept", owner=Person.objects.get(user=ciso))
    client.force_login(manager)
    client.post(reverse("risks:risk_request_acceptance", args=[risk.pk]), {}, **EN)
    risk.refresh_from_db()
    assert risk.status == "acceptance_requested"

    # the CISO owns the risk: refused with a message, nothing changed
    client.force_login(ciso)
    response = client.post(reverse("risks:risk_approve", args=[risk.pk]), {}, follow=True, **EN)
    assert "owns this risk and cannot accept it (兼務の禁止)" in response.content.decode()
    risk.refresh_from_db()
    assert risk.status == "acceptance_requested"

    client.force_login(tsuru.lead)
    client.post(reverse("risks:risk_approve", args=[risk.pk]), {"decision_reason": "了承"}, **EN)
    risk.refresh_from_db()
    assert (risk.status, risk.accepted_by_id) == ("accepted", tsuru.lead.pk)


def test_decisions_are_post_only(client, tsuru, manager, asset):
    risk = make_risk(tsuru.municipality, asset, actor=manager)
    client.force_login(tsuru.lead)

    assert client.get(reverse("risks:risk_approve", args=[risk.pk])).status_code == 405


def test_heat_map_page_reads_without_colour(client, tsuru, manager, asset):
    make_risk(tsuru.municipality, asset, actor=manager)  # 3 × 4
    client.force_login(manager)

    html = client.get(reverse("risks:heat_map"), **EN).content.decode()

    assert 'data-testid="cell-3-4" data-count="1"' in html
    assert "<title>likelihood 3, impact 4: 1 risks (High)</title>" in html
    assert 'aria-label="likelihood 3, impact 4: 1 risks (High)"' in html
    assert 'data-testid="heat-table"' in html
    assert "<script" not in html.split("<main", 1)[1]


def test_export_excel_and_csv(client, tsuru, manager, asset):
    make_risk(tsuru.municipality, asset, actor=manager)
    client.force_login(manager)

    response = client.get(reverse("risks:risk_export"), {"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("番号", "年度", "管理番号", "資産グループ")
    assert rows[1][2] == "R-001" and rows[1][14] == "高"

    csv = client.get(reverse("risks:risk_export"), {"format": "csv"}).content.decode("utf-8-sig")
    assert csv.splitlines()[1].split(",")[2] == "R-001"


def test_report_is_printable(client, tsuru, manager, asset):
    make_risk(tsuru.municipality, asset, actor=manager)
    client.force_login(manager)

    html = client.get(reverse("risks:risk_report"), **EN).content.decode()

    assert "R-001 住民記録" in html
    assert "risks/risks.css" in html


def test_catalog_extension_by_a_lead_and_errors_in_place(client, tsuru):
    client.force_login(tsuru.lead)
    url = reverse("risks:catalog")

    response = client.post(
        url,
        {"form": "threat", "t-category": "disaster", "t-code": "T-INT-01", "t-name_ja": "大雪"},
        **EN,
    )
    assert "Code T-INT-01 is already used. Choose another." in response.content.decode()

    response = client.post(
        url,
        {"form": "threat", "t-category": "disaster", "t-code": "T-OWN", "t-name_ja": "大雪"},
        **EN,
    )
    assert response.status_code == 302
    assert Threat.objects.get(municipality=tsuru.municipality, code="T-OWN").name_ja == "大雪"


def test_scales_with_a_gap_are_refused_on_the_page(client, tsuru):
    client.force_login(tsuru.lead)
    before = JournalEntry.objects.count()

    response = client.post(
        reverse("risks:scales"),
        {
            "likelihood_levels": "1|まれ|Rare\n3|時々|Possible",
            "impact_levels": "1|小|Small\n2|大|Large",
            "bands": "1, 2, 3",
        },
        **EN,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Level 2 is missing: number the levels 1, 2, 3 … without gaps." in html
    assert JournalEntry.objects.filter(action="risk_scales.update").count() == 0
    assert JournalEntry.objects.count() >= before


def test_another_municipalitys_risk_is_not_found(client, tsuru, kofu, manager, asset):
    risk = make_risk(tsuru.municipality, asset, actor=manager)
    client.force_login(kofu.lead)

    for name in ("risks:risk_detail", "risks:risk_treat"):
        assert client.get(reverse(name, args=[risk.pk]), **EN).status_code == 404
    assert client.post(reverse("risks:risk_approve", args=[risk.pk]), **EN).status_code == 404
    body = client.get(reverse("risks:risk_list"), **EN).content.decode()
    assert "住民記録" not in body
