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

from isms.core.models import JournalEntry, OrgUnit, Person, RoleAssignment
from isms.core.roles import Role
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


# --- role assignments --------------------------------------------------------------------------


def _this_year() -> int:
    from django.utils import timezone

    from isms.core.calendar import fiscal_year_of

    return fiscal_year_of(timezone.localdate())


def test_a_good_role_assignment_upload_imports_and_returns_to_the_role_list(client, tsuru):
    # given
    client.force_login(tsuru.lead)
    number = tsuru.other_person.employee_number
    reiwa = f"R{_this_year() - 2018}"
    text = "職員番号,役割,組織コード,年度\r\n" + (
        f"{number},情報システム管理者,{tsuru.unit.code},{reiwa}\r\n"
    )
    # when
    response = client.post(
        reverse("core:role_assignment_import"),
        {"file": _upload(text, "roles.csv", "cp932")},
        follow=True,
    )
    # then
    assert response.redirect_chain == [(reverse("core:role_assignment_list"), 302)]
    body = response.content.decode()
    assert "取り込みました: 追加 1 件、変更 0 件、変更なし 0 件。" in body
    assert "情報システム管理者" in body
    a = RoleAssignment.objects.get(person=tsuru.other_person, role=Role.SYSTEM_MANAGER)
    assert (a.org_unit, a.fiscal_year) == (tsuru.unit, _this_year())


def test_a_role_assignment_upload_with_errors_shows_them_and_saves_nothing(client, tsuru):
    client.force_login(tsuru.admin)
    number = tsuru.other_person.employee_number
    text = (
        "職員番号,役割,組織コード,年度\r\n"
        f"{number},情報システム管理者,NOPE,{_this_year()}\r\n"
        f"{number},統括情報セキュリティ責任者,,{_this_year()}\r\n"
        f"{number},統括情報セキュリティ責任者,,{_this_year()}\r\n"
    )
    before = (RoleAssignment.objects.count(), JournalEntry.objects.count())
    response = client.post(reverse("core:role_assignment_import"), {"file": _upload(text)})
    body = response.content.decode()
    assert response.status_code == 200
    assert (
        "<tr><td>2</td><td>組織コード</td><td>このコードの組織はこの団体にありません。</td>"
    ) in body
    assert "<tr><td>4</td><td>役割</td>" in body
    assert (RoleAssignment.objects.count(), JournalEntry.objects.count()) == before


def test_the_role_assignment_export_has_the_years_assignments_with_shown_names(client, tsuru):
    from isms.core import services

    services.rename_role(
        tsuru.admin, tsuru.municipality, Role.LEAD_SECURITY_OFFICER, name_ja="統括責任者"
    )
    client.force_login(tsuru.staff)
    response = client.get(reverse("core:role_assignment_export"))
    assert response["Content-Disposition"] == 'attachment; filename="role-assignments.csv"'
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "職員番号,役割,組織コード,年度,開始日,終了日,備考"
    lead = Person.objects.get(user=tsuru.lead)
    from isms.core.calendar import wareki_fiscal_year

    assert f"{lead.employee_number},統括責任者,,{wareki_fiscal_year(_this_year())},,," in lines
    client.post(reverse("web:set_fiscal_year"), {"fiscal_year": _this_year() - 3, "next": "/"})
    earlier = client.get(reverse("core:role_assignment_export")).content.decode("utf-8-sig")
    assert earlier.splitlines() == [lines[0]]


def test_the_role_list_links_to_import_only_for_those_who_may_import(client, tsuru):
    client.force_login(tsuru.staff)
    staff_view = client.get(reverse("core:role_assignment_list")).content.decode()
    client.force_login(tsuru.lead)
    lead_view = client.get(reverse("core:role_assignment_list")).content.decode()
    assert reverse("core:role_assignment_export") in staff_view
    assert reverse("core:role_assignment_import") not in staff_view
    assert reverse("core:role_assignment_import") in lead_view
    page = client.get(reverse("core:role_assignment_import")).content.decode()
    assert reverse("core:role_assignment_template") in page
