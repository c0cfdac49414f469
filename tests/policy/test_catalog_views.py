"""The control catalog's pages and API behaviour: filters, history, comparison, import with
errors, the current version refused for editing, and the menu entry."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from isms.core import services as core_services
from isms.core.models import JournalEntry
from isms.policy import catalog_io, services
from isms.policy.models import ControlStandard
from isms.policy.services import ControlRow, SectionRow


@pytest.fixture(autouse=True)
def english(client):  # type: ignore[no-untyped-def]
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def current(tsuru):  # type: ignore[no-untyped-def]
    v1 = services.create_version(
        None,
        tsuru.municipality,
        version="1",
        title="都留市情報セキュリティ対策基準",
        sections=[
            SectionRow("3", "強靱性"),
            SectionRow("3.1", "マイナンバー利用事務系"),
            SectionRow("5", "人的セキュリティ"),
            SectionRow("5.1", "職員等の遵守事項"),
        ],
        controls=[
            ControlRow(
                code="3.1.1",
                section="3.1",
                requirement="他の領域との通信を遮断する",
                roles=["system_manager"],
                segments=["mynumber"],
                is_key_item=True,
            ),
            ControlRow(code="5.1.1", section="5.1", requirement="ポリシーを守る", roles=[]),
            ControlRow(
                code="5.1.2",
                section="5.1",
                requirement="持出しは許可を得る",
                roles=["staff", "division_security_manager"],
            ),
        ],
    )
    return services.make_current(None, v1)


def _codes(response) -> list[str]:  # type: ignore[no-untyped-def]
    body = response.content.decode()
    return [c for c in ("3.1.1", "5.1.1", "5.1.2") if f'data-testid="control-{c}"' in body]


def test_the_list_shows_the_current_catalog_with_filters(client, tsuru, current):
    client.force_login(tsuru.staff)
    url = reverse("policy:control_list")
    assert _codes(client.get(url)) == ["3.1.1", "5.1.1", "5.1.2"]
    assert _codes(client.get(url, {"role": "staff"})) == ["5.1.1", "5.1.2"]
    assert _codes(client.get(url, {"role": "division_security_manager"})) == ["5.1.2"]
    assert _codes(client.get(url, {"segment": "lgwan"})) == ["5.1.1", "5.1.2"]
    assert _codes(client.get(url, {"key_only": "on"})) == ["3.1.1"]
    assert _codes(client.get(url, {"q": "許可"})) == ["5.1.2"]
    # a bad filter value is ignored, never a 500
    assert client.get(url, {"role": "mayor", "version": "x"}).status_code == 200


def test_the_menu_links_to_the_catalog(client, tsuru, current):
    client.force_login(tsuru.staff)
    body = client.get(reverse("web:dashboard")).content.decode()
    assert reverse("policy:control_list") in body


def test_a_control_shows_its_history_across_versions(client, tsuru, current):
    draft = services.copy_as_draft(tsuru.lead, current, version="2")
    changed = services.update_control(
        tsuru.lead, draft.controls.get(code="5.1.2"), requirement="持出しは必ず許可を得る"
    )
    client.force_login(tsuru.staff)
    body = client.get(reverse("policy:control_detail", args=[changed.pk])).content.decode()
    assert "持出しは許可を得る" in body and "持出しは必ず許可を得る" in body
    assert "content changed" in body
    assert "Edit this control" not in body  # staff may not edit


def test_the_comparison_lists_what_changed(client, tsuru, current):
    draft = services.copy_as_draft(tsuru.lead, current, version="2")
    services.update_control(tsuru.lead, draft.controls.get(code="5.1.2"), requirement="変更")
    client.force_login(tsuru.staff)
    response = client.get(reverse("policy:control_versions"), {"a": current.pk, "b": draft.pk})
    assert "0 added, 1 changed, 0 removed, 2 unchanged" in response.content.decode()
    # a version of nowhere is an error on the form, not a 500
    response = client.get(reverse("policy:control_versions"), {"a": 999999, "b": draft.pk})
    assert response.status_code == 200 and "Choose two versions" in response.content.decode()


def test_the_current_version_cannot_be_edited_and_says_why(client, tsuru, current):
    control = current.controls.get(code="5.1.1")
    client.force_login(tsuru.lead)
    url = reverse("policy:control_edit", args=[control.pk])
    response = client.post(url, {"requirement": "書き換え", "confidence": "recalled"})
    assert response.status_code == 200
    assert "never edited in place" in response.content.decode()
    control.refresh_from_db()
    assert control.requirement == "ポリシーを守る"


def test_a_draft_control_is_edited_and_made_current(client, tsuru, current):
    draft = services.copy_as_draft(tsuru.lead, current, version="2")
    control = draft.controls.get(code="5.1.1")
    client.force_login(tsuru.lead)
    response = client.post(
        reverse("policy:control_edit", args=[control.pk]),
        {"requirement": "ポリシーを必ず守る", "confidence": "recalled", "roles": ["staff"]},
    )
    assert response.status_code == 302
    response = client.post(reverse("policy:control_make_current", args=[draft.pk]))
    assert response.status_code == 302
    assert services.current_standard(tsuru.municipality) == draft
    assert JournalEntry.objects.filter(action="control_standard.make_current").count() == 2


def test_an_import_with_errors_shows_them_and_saves_nothing(client, tsuru, current):
    client.force_login(tsuru.lead)
    upload = SimpleUploadedFile("c.xlsx", b"not a workbook")
    response = client.post(reverse("policy:control_import"), {"file": upload, "version": "2"})
    body = response.content.decode()
    assert response.status_code == 200 and "not an Excel workbook" in body
    assert ControlStandard.objects.count() == 1


def test_an_import_makes_a_draft(client, tsuru, current):
    client.force_login(tsuru.lead)
    upload = SimpleUploadedFile("c.xlsx", catalog_io.export_catalog(current))
    response = client.post(reverse("policy:control_import"), {"file": upload, "version": "2"})
    assert response.status_code == 302
    draft = ControlStandard.objects.get(version="2")
    assert not draft.is_current and draft.previous == current
    export = client.get(reverse("policy:control_export", args=[draft.pk]))
    assert export["Content-Disposition"].startswith("attachment;")


def test_copy_with_a_taken_version_name_says_so(client, tsuru, current):
    client.force_login(tsuru.lead)
    response = client.post(
        reverse("policy:control_copy", args=[current.pk]), {"version": "1"}, follow=True
    )
    assert "already exists" in response.content.decode()
    assert ControlStandard.objects.count() == 1


# --- API behaviour ------------------------------------------------------------------------------


def _headers(user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    token = core_services.issue_api_token(user, name="t")[1]
    return {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_ACCEPT_LANGUAGE": "en"}


def test_the_api_lists_filters_and_refuses_to_edit_the_current_version(client, tsuru, current):
    headers = _headers(tsuru.lead)
    url = reverse("api:current_controls")
    rows = client.get(url, {"role": "staff"}, **headers).json()
    assert [r["code"] for r in rows] == ["5.1.1", "5.1.2"]
    assert rows[0]["section"] == "5.1" and rows[0]["chapter"] == 5
    control = current.controls.get(code="5.1.1")
    patch = client.patch(
        reverse("api:patch_control", kwargs={"control_id": control.pk}),
        json.dumps({"requirement": "x"}),
        content_type="application/json",
        **headers,
    )
    assert patch.status_code == 422
    assert "never edited in place" in json.dumps(patch.json())
    bad = client.patch(
        reverse("api:patch_control", kwargs={"control_id": control.pk}),
        json.dumps({"applies_to_roles": ["mayor"]}),
        content_type="application/json",
        **headers,
    )
    assert bad.status_code == 422


def test_the_api_import_reports_rows_and_the_copy_and_make_current_work(client, tsuru, current):
    headers = _headers(tsuru.lead)
    bad = client.post(
        reverse("api:import_standard") + "?version=2",
        {"file": SimpleUploadedFile("c.xlsx", b"PK\x03\x04 nope")},
        **headers,
    )
    assert bad.status_code == 422 and bad.json()["issues"][0]["row"] is None
    copy = client.post(
        reverse("api:copy_standard", kwargs={"standard_id": current.pk}),
        json.dumps({"version": "2"}),
        content_type="application/json",
        **headers,
    )
    assert copy.status_code == 201
    new_id = copy.json()["id"]
    made = client.post(
        reverse("api:make_standard_current", kwargs={"standard_id": new_id}), **headers
    )
    assert made.status_code == 200 and made.json()["is_current"] is True
    detail = client.get(
        reverse("api:get_control", kwargs={"control_id": current.controls.first().pk}),
        **headers,
    ).json()
    assert [h["version"] for h in detail["history"]] == ["1", "2"]
