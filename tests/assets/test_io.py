"""Import and export of the asset register: round-trip, encodings, every kind of bad input."""

from __future__ import annotations

import csv
import io as stdlib_io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from isms.assets import io, services
from isms.assets.models import AssetHost, InformationAsset
from isms.core import io_jobs
from isms.core.io import ImportRejected, export_csv, export_xlsx
from isms.core.models import ImportJob, JournalEntry
from tests.assets.factories import make_asset, make_register, person_of

HEADER = "管理番号,資産名,種別,所管課コード,機密性,完全性,可用性,ホスト名/IPアドレス"


@pytest.fixture
def register(tsuru):
    r = make_register(tsuru)
    services.add_host(None, r.asset, host_name="srv-01", network="192.0.2.7")
    services.add_host(None, r.asset, network="10.0.0.0/24")
    services.update_asset(
        None,
        r.asset,
        custodian=person_of(r.colleague),
        storage_location="書庫A",
        hosting="cloud",
        cloud_service_name="LGWAN-ASP文書管理",
        number_of_persons=1200,
        holds_personal_info=True,
        retention_period="5年",
    )
    make_asset(
        r.municipality,
        r.citizen,
        name="学校の教材",
        asset_number="S-1",
        scope_facility="school",
        scope_purpose="teaching",
        in_scope=False,
        out_of_scope_reason="教育委員会の学校における教育利用のため",
    )
    return r


def _register_state(m):
    rows = InformationAsset.objects.filter(municipality=m).order_by("asset_number")
    return [
        (
            a.asset_number,
            {k: v for k, v in a.__dict__.items() if not k.startswith("_") and k != "updated_at"},
            sorted((h.host_name, h.network) for h in AssetHost.objects.filter(asset=a)),
        )
        for a in rows
    ]


def _csv(*lines: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join([header, *lines]) + "\r\n").encode(encoding)


def _issues(exc: pytest.ExceptionInfo[ImportRejected]) -> list[tuple[int | None, str]]:
    return [(i.row, i.column) for i in exc.value.issues]


def _export(m, user=None) -> list[list[str]]:
    qs = InformationAsset.objects.filter(municipality=m)
    return list(io.asset_rows(qs))


def test_export_then_import_changes_nothing(register):
    """The whole register, exported as CSV and as Excel and imported again: all unchanged,
    no journal entry but the import's own."""
    # given
    r = register
    m = r.municipality
    before = _register_state(m)
    rows = _export(m)
    csv_file = export_csv(io.ASSET_COLUMNS, rows)
    xlsx_file = export_xlsx(io.ASSET_COLUMNS, rows, "assets")
    entries = JournalEntry.objects.count()
    # when
    from_csv = io.import_assets(r.ciso, m, csv_file, "assets.csv")
    from_xlsx = io.import_assets(r.ciso, m, xlsx_file, "assets.xlsx")
    # then
    assert (from_csv.created, from_csv.updated, from_csv.unchanged) == (0, 0, len(rows))
    assert (from_xlsx.created, from_xlsx.updated, from_xlsx.unchanged) == (0, 0, len(rows))
    assert _register_state(m) == before
    assert JournalEntry.objects.count() == entries + 2  # the two imports
    assert len(rows) == 5


def test_the_exported_row_shows_every_column_in_japanese(register):
    headers = [c.header for c in io.ASSET_COLUMNS]
    row = dict(zip(headers, _export(register.municipality)[0], strict=True))
    assert row["所管課コード"] == register.unit.code
    assert row["管理者職員番号"] == person_of(register.colleague).employee_number
    assert row["ホスト名/IPアドレス"] == "srv-01 192.0.2.7/32; 10.0.0.0/24"
    assert row["個人情報"] == "はい"
    assert row["人数"] == "1200"
    assert row["機密性"] == "2"


def test_import_creates_and_updates_by_asset_number_in_cp932_with_full_width_digits(register):
    # given
    r = register
    m = r.municipality
    data = _csv(
        f"{r.asset.asset_number},総務課の文書（改）,情報,{r.unit.code},２,１,１,srv-01 192.0.2.7",
        f"NEW-１,新しい端末,ネットワーク・情報システム・設備・電磁的記録媒体,{r.unit.code},"
        "機密性２,１,１,pc-1 １９２.０.２.８；pc-2",
        encoding="cp932",
    )
    # when
    result = io.import_assets(r.manager, m, data, "assets.csv")
    # then
    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
    asset = InformationAsset.objects.get(pk=r.asset.pk)
    assert asset.name == "総務課の文書（改）"
    assert asset.storage_location == "書庫A"  # a column not in the file is left alone
    assert list(AssetHost.objects.filter(asset=asset).values_list("host_name", "network")) == [
        ("srv-01", "192.0.2.7/32")
    ]
    new = InformationAsset.objects.get(municipality=m, asset_number="NEW-1")
    assert (new.confidentiality, new.kind) == ("2", "system_equipment")
    assert sorted(AssetHost.objects.filter(asset=new).values_list("host_name", "network")) == [
        ("pc-1", "192.0.2.8/32"),
        ("pc-2", ""),
    ]
    assert JournalEntry.objects.filter(action="asset.import").count() == 1


def test_bad_rows_are_reported_by_row_and_column_and_nothing_is_saved(register):
    """Unknown class, invalid IP range, unknown unit, missing name, duplicate number."""
    # given
    r = register
    m = r.municipality
    count = InformationAsset.objects.count()
    data = _csv(
        f"B-1,資料,情報,{r.unit.code},5,1,1,",
        f"B-2,資料,情報,{r.unit.code},2,1,1,192.0.2.7/24",
        "B-3,資料,情報,NOPE,2,1,1,",
        f"B-4,,情報,{r.unit.code},2,1,1,",
        "",
        f"B-1,資料,情報,{r.unit.code},2,1,1,",
        f"B-6,資料,書類,{r.unit.code},2,1,1,",
    )
    # when
    with pytest.raises(ImportRejected) as exc:
        io.import_assets(r.ciso, m, data, "assets.csv")
    # then
    assert _issues(exc) == [
        (3, "ホスト名/IPアドレス"),
        (4, "所管課コード"),
        (5, "資産名"),
        (7, "管理番号"),
        (8, "種別"),
    ]
    assert "192.0.2.0/24" in exc.value.issues[0].message
    assert InformationAsset.objects.count() == count


def test_an_unknown_class_is_reported_on_its_column(register):
    r = register
    with pytest.raises(ImportRejected) as exc:
        io.import_assets(
            r.ciso, r.municipality, _csv(f"B-1,資料,情報,{r.unit.code},5,1,1,"), "a.csv"
        )
    assert _issues(exc) == [(2, "機密性")]
    assert "5" in exc.value.issues[0].message
    assert not InformationAsset.objects.filter(asset_number="B-1").exists()


def test_a_unit_manager_may_import_only_the_assets_of_their_units(register):
    """Rows of another unit, or updating another unit's asset, are errors; nothing saved."""
    # given
    r = register
    data = _csv(
        f"M-1,資料,情報,{r.section.code},2,1,1,",
        f"M-2,資料,情報,{r.other_division.code},2,1,1,",
        f"{r.other_asset.asset_number},奪取,情報,{r.unit.code},2,1,1,",
    )
    # when
    with pytest.raises(ImportRejected) as exc:
        io.import_assets(r.manager, r.municipality, data, "a.csv")
    # then
    assert _issues(exc) == [(3, "所管課コード"), (4, "管理番号")]
    assert not InformationAsset.objects.filter(asset_number__startswith="M-").exists()
    assert InformationAsset.objects.get(pk=r.other_asset.pk).name == "企画課の文書"


def test_an_unknown_custodian_is_an_error(register):
    r = register
    data = _csv(
        f"C-1,資料,情報,{r.unit.code},E99999",
        header="管理番号,資産名,種別,所管課コード,管理者職員番号",
    )
    with pytest.raises(ImportRejected) as exc:
        io.import_assets(r.ciso, r.municipality, data, "a.csv")
    assert _issues(exc) == [(2, "管理者職員番号")]


def _workbook(rows: list[list[object]]) -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    for row in rows:
        sheet.append(row)
    return book


def _xlsx(book: openpyxl.Workbook) -> bytes:
    buffer = stdlib_io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_excel_with_merged_cells_and_formulas_is_refused(register):
    r = register
    book = _workbook(
        [["X-1", "資料", "情報", r.unit.code, "2", "1", "1", ""], ["X-2", "=A2", "情報"]]
    )
    book.active.merge_cells("E2:F2")
    with pytest.raises(ImportRejected) as exc:
        io.import_assets(r.ciso, r.municipality, _xlsx(book), "a.xlsx")
    assert _issues(exc) == [(2, "機密性"), (3, "資産名")]
    assert not InformationAsset.objects.filter(asset_number__startswith="X-").exists()


def test_garbage_renamed_xlsx_and_missing_headers_are_refused(register):
    r = register
    garbage = bytes(range(256)) * (10 * 1024 * 1024 // 256)
    with pytest.raises(ImportRejected) as exc:
        io.import_assets(r.ciso, r.municipality, garbage, "register.xlsx")
    assert exc.value.issues[0].row is None
    with pytest.raises(ImportRejected) as exc:
        io.import_assets(r.ciso, r.municipality, "管理番号,名前\r\n".encode(), "a.csv")
    assert sorted(i.column for i in exc.value.issues) == ["名前", "所管課コード", "種別", "資産名"]


def test_split_hosts_reads_one_cell():
    assert io.split_hosts("") == []
    assert io.split_hosts("WEB-01. ; 2001:db8::/32\n192.0.2.1 gw") == [
        ("web-01", ""),
        ("", "2001:db8::/32"),
        ("gw", "192.0.2.1/32"),
    ]
    for bad in ("192.0.2.300", "a b", "10.0.0.1 10.0.0.2", "bad_name!"):
        with pytest.raises(Exception, match="hosts"):
            io.split_hosts(bad)


# --- pages -------------------------------------------------------------------------------------


def _upload(data: bytes, name: str = "assets.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_the_import_page_shows_the_error_table_then_imports(client, register):
    # given
    r = register
    client.force_login(r.manager)
    url = reverse("assets:asset_import")
    bad = _csv(f"P-1,資料,情報,{r.unit.code},9,1,1,")
    good = _csv(f"P-1,資料,情報,{r.unit.code},2,1,1,")
    # when
    refused = client.post(url, {"file": _upload(bad)}, HTTP_ACCEPT_LANGUAGE="en")
    done = client.post(url, {"file": _upload(good)}, HTTP_ACCEPT_LANGUAGE="en")
    # then
    assert refused.status_code == 200
    assert [(i.row, i.column) for i in refused.context["issues"]] == [(2, "機密性")]
    assert done.status_code == 302
    assert InformationAsset.objects.filter(asset_number="P-1").exists()


def test_a_large_file_is_imported_in_the_background(client, register, monkeypatch):
    # given
    r = register
    monkeypatch.setattr(io_jobs, "BACKGROUND_ROWS", 1)
    client.force_login(r.ciso)
    data = _csv(*(f"J-{i},資料{i},情報,{r.unit.code},2,1,1," for i in range(3)))
    # when
    response = client.post(reverse("assets:asset_import"), {"file": _upload(data)})
    job = ImportJob.objects.get(kind=ImportJob.Kind.ASSET)
    page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en")
    core_page = client.get(reverse("core:import_job_detail", kwargs={"pk": job.pk}))
    # then
    assert response.url == reverse("assets:asset_import_job", kwargs={"pk": job.pk})
    assert (job.status, job.created) == (ImportJob.Status.DONE, 3)
    assert page.status_code == 200 and page.context["job"].pk == job.pk
    assert core_page.status_code == 404
    assert InformationAsset.objects.filter(asset_number__startswith="J-").count() == 3


def test_a_rejected_background_import_shows_its_errors(client, register, monkeypatch):
    r = register
    monkeypatch.setattr(io_jobs, "BACKGROUND_ROWS", 1)
    client.force_login(r.ciso)
    data = _csv(*(f"J-{i},資料,情報,NOPE,2,1,1," for i in range(2)))
    response = client.post(reverse("assets:asset_import"), {"file": _upload(data)})
    page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en", HTTP_HX_REQUEST="true")
    assert [(i.row, i.column) for i in page.context["issues"]] == [
        (2, "所管課コード"),
        (3, "所管課コード"),
    ]


def test_export_honours_visibility_and_the_lists_filters(client, register):
    # given
    r = register
    client.force_login(r.manager)
    url = reverse("assets:asset_export")
    # when
    everything = client.get(url)
    filtered = client.get(url, {"unit": r.section.pk})
    searched = client.get(url, {"q": "総務課"})
    xlsx = client.get(url, {"format": "xlsx"})

    # then
    def numbers(response):
        text = response.content.decode("utf-8-sig")
        return [row[0] for row in list(csv.reader(stdlib_io.StringIO(text)))[1:]]

    assert numbers(everything) == sorted([r.asset.asset_number, r.section_asset.asset_number])
    assert numbers(filtered) == [r.section_asset.asset_number]
    assert numbers(searched) == [r.asset.asset_number]
    sheet = openpyxl.load_workbook(stdlib_io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[1]] == [c.header for c in io.ASSET_COLUMNS]
    assert sheet.max_row == 3


def test_the_template_has_the_headers_only(client, register):
    client.force_login(register.manager)
    response = client.get(reverse("assets:asset_template"))
    text = response.content.decode("utf-8-sig")
    assert text.strip() == ",".join(c.header for c in io.ASSET_COLUMNS)
    assert response["Content-Disposition"] == 'attachment; filename="assets-template.csv"'


def test_the_demo_register_exported_and_imported_is_unchanged(db):
    """The 27 demo assets of 都留市 (every kind, hosts, scope exclusions) round-trip."""
    # given
    from isms.core.models import User
    from isms.data.loader import load_demo

    load_demo(password="demo-test-password")
    lead = User.objects.get(username="lead")
    m = lead.municipality
    before = _register_state(m)
    data = export_csv(
        io.ASSET_COLUMNS, io.asset_rows(InformationAsset.objects.filter(municipality=m))
    )
    # when
    result = io.import_assets(lead, m, data, "demo.csv")
    # then
    assert (result.created, result.updated, result.unchanged) == (0, 0, len(before))
    assert _register_state(m) == before


def test_an_import_job_page_is_its_uploaders_and_the_leads(client, register, monkeypatch):
    """Another 課's manager may not read a manager's background import (403); the CISO may."""
    # given
    r = register
    monkeypatch.setattr(io_jobs, "BACKGROUND_ROWS", 1)
    client.force_login(r.manager)
    data = _csv(*(f"K-{i},資料,情報,{r.unit.code},2,1,1," for i in range(2)))
    url = client.post(reverse("assets:asset_import"), {"file": _upload(data)}).url
    # when
    own = client.get(url)
    client.force_login(r.other_manager)
    other = client.get(url)
    client.force_login(r.ciso)
    lead = client.get(url)
    # then
    assert (own.status_code, other.status_code, lead.status_code) == (200, 403, 200)
