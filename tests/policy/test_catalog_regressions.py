"""Regressions of the control catalog found in review: a workbook with broken XML inside, edits
of past (superseded) versions, and version names with surrounding spaces or saved twice."""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse
from django.utils import translation

from isms.core import io as core_io
from isms.core import services as core_services
from isms.core.models import OrgUnit
from isms.policy import catalog_io, services
from isms.policy.models import ControlStandard
from isms.policy.services import ControlRow, SectionRow


@pytest.fixture(autouse=True)
def english(client):  # type: ignore[no-untyped-def]
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def current(tsuru):  # type: ignore[no-untyped-def]
    v1 = services.create_version(
        None,
        tsuru.municipality,
        version="1",
        title="都留市情報セキュリティ対策基準",
        sections=[SectionRow("5", "人的セキュリティ"), SectionRow("5.1", "職員等の遵守事項")],
        controls=[
            ControlRow(code="5.1.1", section="5.1", requirement="ポリシーを守る", roles=[]),
            ControlRow(code="5.1.2", section="5.1", requirement="持出しは許可を得る", roles=[]),
        ],
    )
    return services.make_current(None, v1)


def _headers(user: Any) -> dict[str, str]:
    token = core_services.issue_api_token(user, name="t")[1]
    return {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_ACCEPT_LANGUAGE": "en"}


# --- 1. a workbook with broken XML inside ------------------------------------------------------


def _broken_xlsx(rows: list[list[str]]) -> bytes:
    """A valid .xlsx whose first sheet's XML is cut off (``<worksheet``)."""
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    good = io.BytesIO()
    book.save(good)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(good.getvalue())) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = b"<worksheet"
            dst.writestr(info, data)
    return out.getvalue()


BROKEN = _broken_xlsx([[c.header for c in catalog_io.CATALOG_COLUMNS]])


def test_a_workbook_with_broken_xml_is_refused_by_the_catalog_import(tsuru, current):
    with pytest.raises(core_io.ImportRejected) as exc:
        catalog_io.import_catalog(tsuru.lead, tsuru.municipality, BROKEN, "c.xlsx", version="2")
    assert [i.message for i in exc.value.issues] == [
        "The file cannot be read as an Excel workbook."
    ]
    assert ControlStandard.objects.count() == 1


def test_a_workbook_with_broken_xml_is_a_form_error_on_the_page(client, tsuru, current):
    client.force_login(tsuru.lead)
    upload = SimpleUploadedFile("c.xlsx", BROKEN)
    response = client.post(reverse("policy:control_import"), {"file": upload, "version": "2"})
    assert response.status_code == 200
    assert "cannot be read as an Excel workbook" in response.content.decode()
    assert ControlStandard.objects.count() == 1


def test_a_workbook_with_broken_xml_is_a_422_in_the_api(client, tsuru, current):
    response = client.post(
        reverse("api:import_standard") + "?version=2",
        {"file": SimpleUploadedFile("c.xlsx", BROKEN)},
        **_headers(tsuru.lead),
    )
    assert response.status_code == 422
    assert response.json()["issues"][0]["message"] == (
        "The file cannot be read as an Excel workbook."
    )
    assert ControlStandard.objects.count() == 1


def test_a_workbook_with_broken_xml_is_refused_by_the_other_imports_too(tsuru):
    data = _broken_xlsx([[c.header for c in core_io.ORG_UNIT_COLUMNS]])
    before = OrgUnit.objects.count()
    with pytest.raises(core_io.ImportRejected) as exc:
        core_io.import_org_units(tsuru.admin, tsuru.municipality, data, "u.xlsx")
    assert "cannot be read as an Excel workbook" in exc.value.issues[0].message
    assert OrgUnit.objects.count() == before


def test_any_error_of_the_workbook_loader_is_refused_the_same_way(tsuru, monkeypatch):
    def explode(*args: Any, **kwargs: Any) -> None:
        raise TypeError("openpyxl could not cope")

    monkeypatch.setattr(openpyxl, "load_workbook", explode)
    data = catalog_io.export_catalog(
        services.create_version(
            None,
            tsuru.municipality,
            version="x",
            title="t",
            sections=[SectionRow("5", "人"), SectionRow("5.1", "職員")],
            controls=[ControlRow(code="5.1.1", section="5.1", requirement="r", roles=[])],
        )
    )
    with pytest.raises(core_io.ImportRejected) as exc:
        catalog_io.parse_catalog(data, "c.xlsx")
    assert exc.value.issues[0].message == "The file cannot be read as an Excel workbook."


# --- 2. past versions are kept as they were ----------------------------------------------------


@pytest.fixture
def past(tsuru, current):  # type: ignore[no-untyped-def]
    """Version 1 after version 2 was made current: a past version."""
    v2 = services.copy_as_draft(tsuru.lead, current, version="2")
    services.make_current(tsuru.lead, v2)
    current.refresh_from_db()
    return current


def test_making_a_version_current_records_when(tsuru, current, past):
    v2 = ControlStandard.objects.get(version="2")
    assert v2.is_current and v2.made_current_at is not None and not v2.is_draft
    assert not past.is_current and past.made_current_at is not None and not past.is_draft
    first = past.made_current_at
    services.make_current(tsuru.lead, past)  # back to version 1 (a rollback)
    past.refresh_from_db()
    assert past.is_current and past.made_current_at == first
    draft = services.copy_as_draft(tsuru.lead, past, version="3")
    assert draft.is_draft and draft.made_current_at is None


def test_a_past_version_is_not_edited_in_place(tsuru, past):
    control = past.controls.get(code="5.1.1")
    with pytest.raises(ValidationError) as exc:
        services.update_control(tsuru.lead, control, requirement="書き換え")
    assert "was current before" in str(exc.value)
    control.refresh_from_db()
    assert control.requirement == "ポリシーを守る"


def test_the_page_of_a_past_version_offers_no_edit_and_refuses_one(client, tsuru, past):
    client.force_login(tsuru.lead)
    control = past.controls.get(code="5.1.1")
    body = client.get(reverse("policy:control_detail", args=[control.pk])).content.decode()
    assert reverse("policy:control_edit", args=[control.pk]) not in body
    assert "past version" in body
    response = client.post(
        reverse("policy:control_edit", args=[control.pk]),
        {"requirement": "書き換え", "confidence": "recalled"},
    )
    assert response.status_code == 200 and "was current before" in response.content.decode()
    control.refresh_from_db()
    assert control.requirement == "ポリシーを守る"
    versions = client.get(reverse("policy:control_versions")).content.decode()
    assert "past version" in versions


def test_the_page_of_a_draft_still_offers_the_edit(client, tsuru, current):
    draft = services.copy_as_draft(tsuru.lead, current, version="2")
    control = draft.controls.get(code="5.1.1")
    client.force_login(tsuru.lead)
    body = client.get(reverse("policy:control_detail", args=[control.pk])).content.decode()
    assert reverse("policy:control_edit", args=[control.pk]) in body


def test_the_api_refuses_to_patch_a_past_version(client, tsuru, past):
    control = past.controls.get(code="5.1.1")
    response = client.patch(
        reverse("api:patch_control", kwargs={"control_id": control.pk}),
        json.dumps({"requirement": "x"}),
        content_type="application/json",
        **_headers(tsuru.lead),
    )
    assert response.status_code == 422
    assert "was current before" in json.dumps(response.json())
    control.refresh_from_db()
    assert control.requirement == "ポリシーを守る"
    listed = client.get(reverse("api:list_standards"), **_headers(tsuru.lead)).json()
    assert {s["version"]: s["made_current_at"] is not None for s in listed} == {
        "1": True,
        "2": True,
    }


# --- 3. version names with spaces, and a name saved twice --------------------------------------


def test_the_api_copy_with_a_taken_name_in_spaces_is_a_422(client, tsuru, current):
    response = client.post(
        reverse("api:copy_standard", kwargs={"standard_id": current.pk}),
        json.dumps({"version": " 1 "}),
        content_type="application/json",
        **_headers(tsuru.lead),
    )
    assert response.status_code == 422
    assert "already exists" in json.dumps(response.json())
    assert ControlStandard.objects.count() == 1


def test_the_api_copy_stores_the_name_without_spaces(client, tsuru, current):
    headers = _headers(tsuru.lead)
    url = reverse("api:copy_standard", kwargs={"standard_id": current.pk})
    made = client.post(
        url, json.dumps({"version": " 2 "}), content_type="application/json", **headers
    )
    assert made.status_code == 201 and made.json()["version"] == "2"
    blank = client.post(
        url, json.dumps({"version": "  "}), content_type="application/json", **headers
    )
    assert blank.status_code == 422
    assert ControlStandard.objects.count() == 2


def test_the_api_import_with_a_taken_name_in_spaces_is_a_422(client, tsuru, current):
    response = client.post(
        reverse("api:import_standard") + "?version=%201%20",
        {"file": SimpleUploadedFile("c.xlsx", catalog_io.export_catalog(current))},
        **_headers(tsuru.lead),
    )
    assert response.status_code == 422
    assert "already exists" in json.dumps(response.json())
    assert ControlStandard.objects.count() == 1


def test_a_name_saved_by_another_request_meanwhile_is_a_field_error(tsuru, current, monkeypatch):
    # A double click or two concurrent copies: both pass the check, the second save collides.
    monkeypatch.setattr(services, "_check_header", lambda *args, **kwargs: None)
    with pytest.raises(ValidationError) as exc:
        services.copy_as_draft(tsuru.lead, current, version="1")
    assert "already exists" in " ".join(exc.value.message_dict["version"])
    assert ControlStandard.objects.count() == 1


def test_other_integrity_errors_are_not_disguised(tsuru, current, monkeypatch):
    def collide(*args: Any, **kwargs: Any) -> None:
        raise IntegrityError("something else")

    monkeypatch.setattr(services, "_save_rows", collide)
    with pytest.raises(IntegrityError):
        services.copy_as_draft(tsuru.lead, current, version="9")


# --- 1 (low). the workbook is read as a stream and reading stops at the row limit -------------


def _catalog_book(count: int) -> bytes:
    book = openpyxl.Workbook()
    book.active.append([c.header for c in catalog_io.CATALOG_COLUMNS])
    for i in range(count):
        book.active.append(["5 人的セキュリティ", "5.1 職員等の遵守事項", f"5.1.{i + 1}", "守る"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_reading_stops_after_the_row_limit(tsuru, current, monkeypatch):
    read = []
    original = core_io._cell_text

    def counting(value: Any) -> str:
        read.append(value)
        return original(value)

    monkeypatch.setattr(core_io, "_cell_text", counting)
    monkeypatch.setattr(catalog_io, "MAX_ROWS", 10)
    with pytest.raises(core_io.ImportRejected) as exc:
        catalog_io.import_catalog(
            tsuru.lead, tsuru.municipality, _catalog_book(500), "c.xlsx", version="2"
        )
    assert exc.value.issues[0].row is None and "10" in exc.value.issues[0].message
    width = len(catalog_io.CATALOG_COLUMNS)
    assert len(read) <= 12 * width  # the header, 10 rows and the one too many; not 500
    assert ControlStandard.objects.count() == 1


def test_a_stale_stored_dimension_does_not_hide_rows(tsuru, current):
    data = _catalog_book(3)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:K2"', content)
                assert b'ref="A1:K2"' in content
            dst.writestr(info, content)
    parsed = catalog_io.parse_catalog(out.getvalue(), "c.xlsx", base=current)
    assert [c.code for c in parsed.controls] == ["5.1.1", "5.1.2", "5.1.3"]


def test_the_migration_marks_the_current_and_the_journaled_past_versions(tsuru, current, past):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "isms.policy.migrations.0006_controlstandard_made_current_at"
    )
    draft = services.copy_as_draft(tsuru.lead, current, version="3")
    ControlStandard.objects.update(made_current_at=None)
    migration.backfill(apps, None)
    marked = dict(ControlStandard.objects.values_list("version", "made_current_at"))
    assert marked["1"] is not None and marked["2"] is not None  # journaled; current
    assert marked[draft.version] is None
