"""Import, export and template pages of org units and people.

An upload with errors comes back with a table of 行, 列, 内容, 直し方 and saves nothing; a good
one imports and goes back to the list; exports are CSV (UTF-8 with BOM) or Excel with Japanese
headers; the lists link to these pages only for users allowed to use them.
"""

from __future__ import annotations

import io as stdio

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from isms.core.models import JournalEntry, OrgUnit, Person
from tests.support.i18n import ensure_compiled


@pytest.fixture(autouse=True)
def _catalogs():
    ensure_compiled()


def _upload(text: str, name: str = "units.csv", encoding: str = "utf-8-sig"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def test_an_upload_with_errors_shows_them_and_saves_nothing(client, tsuru):
    # given
    client.force_login(tsuru.admin)
    text = "組織コード,上位組織コード,名称,種別,機関\r\n900,NOPE,新部,部局,市長部局\r\n"
    before = (OrgUnit.objects.count(), JournalEntry.objects.count())
    # when
    response = client.post(reverse("core:org_unit_import"), {"file": _upload(text)})
    # then
    assert response.status_code == 200
    body = response.content.decode()
    for heading in (
        '<th scope="col">行</th>',
        '<th scope="col">列</th>',
        '<th scope="col">内容</th>',
        '<th scope="col">直し方</th>',
    ):
        assert heading in body
    assert (
        "<tr><td>2</td><td>上位組織コード</td><td>このコードの組織はこの団体にありません。</td>"
        "<td>組織一覧にあるコードを入力するか、先に組織を取り込んでください。</td></tr>"
    ) in body
    assert "何も取り込んでいません。" in body
    assert (OrgUnit.objects.count(), JournalEntry.objects.count()) == before


def test_a_good_upload_imports_and_returns_to_the_list(client, tsuru):
    client.force_login(tsuru.admin)
    text = (
        "職員番号,姓,名,姓（フリガナ）,名（フリガナ）,職員区分,所属コード,任用終了日\r\n"
        f"Ｐ１,鈴木,一,スズキ,ハジメ,職員,{tsuru.unit.code},令和8年3月31日\r\n"
    )
    response = client.post(
        reverse("core:person_import"), {"file": _upload(text, "p.csv", "cp932")}, follow=True
    )
    assert response.redirect_chain == [(reverse("core:person_list"), 302)]
    assert "取り込みました: 追加 1 件、変更 0 件、変更なし 0 件。" in response.content.decode()
    person = Person.objects.get(municipality=tsuru.municipality, employee_number="P1")
    assert person.employment_end.isoformat() == "2026-03-31"


def test_an_oversized_upload_is_refused_before_reading(client, tsuru, settings):
    client.force_login(tsuru.admin)
    big = SimpleUploadedFile("u.csv", b"x" * (5 * 1024 * 1024 + 1), content_type="text/csv")
    response = client.post(reverse("core:org_unit_import"), {"file": big})
    assert response.status_code == 200
    assert "ファイルが 5 MB を超えています。" in response.content.decode()


def test_the_csv_export_is_utf8_with_bom_and_japanese_headers(client, tsuru):
    client.force_login(tsuru.staff)
    response = client.get(reverse("core:person_export"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="people.csv"'
    text = response.content.decode("utf-8")
    assert text.startswith(
        "\ufeff職員番号,姓,名,姓（フリガナ）,名（フリガナ）,職員区分,所属コード,"
    )
    assert tsuru.other_person.employee_number in text


def test_the_excel_export_and_template(client, tsuru):
    client.force_login(tsuru.admin)
    export = client.get(reverse("core:org_unit_export") + "?format=xlsx")
    template = client.get(reverse("core:org_unit_template") + "?format=xlsx")
    rows = list(openpyxl.load_workbook(stdio.BytesIO(export.content)).active.values)
    assert rows[0][:3] == ("組織コード", "上位組織コード", "名称")
    assert (tsuru.unit.code, tsuru.bureau.code, tsuru.unit.name) in [r[:3] for r in rows]
    blank = list(openpyxl.load_workbook(stdio.BytesIO(template.content)).active.values)
    assert blank == [rows[0]]
    assert template["Content-Disposition"] == 'attachment; filename="org-units-template.xlsx"'


def test_the_lists_link_to_import_only_for_those_who_may_import(client, tsuru):
    client.force_login(tsuru.staff)
    staff_view = client.get(reverse("core:person_list")).content.decode()
    client.force_login(tsuru.admin)
    admin_view = client.get(reverse("core:person_list")).content.decode()
    assert reverse("core:person_export") in staff_view
    assert reverse("core:person_import") not in staff_view
    assert reverse("core:person_import") in admin_view
    units = client.get(reverse("core:org_unit_list")).content.decode()
    assert reverse("core:org_unit_import") in units and reverse("core:org_unit_export") in units
