"""Organisation forms: org units, people, role assignments and role names.

Each form saves through its service (so a journal entry is written), shows a service's error in
Japanese next to the field it concerns, and refuses users whose roles do not allow the change,
leaving everything as it was.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from isms.core import services
from isms.core.calendar import fiscal_year_bounds, fiscal_year_of
from isms.core.models import JournalEntry, OrgUnit, Person, RoleAssignment, RoleDisplayName
from isms.core.roles import Role
from tests.support.i18n import ensure_compiled

REQUIRED = "この項目は必須です。"
NOT_HERE = "選択したものはこの団体に見つかりません。一覧から選び直してください。"


@pytest.fixture(autouse=True)
def _catalogs():
    ensure_compiled()


def _unit_data(**overrides):
    data = {
        "parent": "",
        "code": "130",
        "name": "情報政策課",
        "name_kana": "じょうほうせいさくか",
        "kind": "division",
        "organ_kind": "mayor_departments",
        "in_scope": "on",
    }
    data.update(overrides)
    return data


def _person_data(**overrides):
    data = {
        "employee_number": "A1001",
        "family_name": "高橋",
        "given_name": "一美",
        "family_name_kana": "タカハシ",
        "given_name_kana": "カズミ",
        "staff_category": "fiscal_year_appointed",
        "org_unit": "",
        "email": "",
        "employment_end": "",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def _journal_count() -> int:
    return JournalEntry.objects.count()


def _this_fiscal_year() -> int:
    return fiscal_year_of(timezone.localdate())


# --- org units -------------------------------------------------------------------------------


def test_lead_creates_an_org_unit_and_it_is_journaled(client, tsuru):
    # given
    client.force_login(tsuru.lead)
    # when
    response = client.post(reverse("core:org_unit_create"), _unit_data(parent=str(tsuru.bureau.pk)))
    # then
    unit = OrgUnit.objects.get(municipality=tsuru.municipality, code="130")
    assert response.status_code == 302
    assert response["Location"] == reverse("core:org_unit_detail", args=[unit.pk])
    assert (unit.name, unit.parent, unit.kind, unit.in_scope) == (
        "情報政策課",
        tsuru.bureau,
        "division",
        True,
    )
    entry = JournalEntry.objects.get(action="org_unit.create", object_id=str(unit.pk))
    assert entry.actor == tsuru.lead
    assert entry.after["name"] == "情報政策課"
    assert entry.after["parent"] == tsuru.bureau.pk


def test_duplicate_unit_code_is_shown_in_japanese_next_to_the_code_field(client, tsuru):
    # given
    client.force_login(tsuru.lead)
    units, entries = OrgUnit.objects.count(), _journal_count()
    # when
    response = client.post(reverse("core:org_unit_create"), _unit_data(code=tsuru.unit.code))
    # then
    message = (
        f"この団体には組織コード{tsuru.unit.code}の組織が既にあります。"
        "別のコードを入力してください。"
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"code": [message]}
    html = response.content.decode()
    assert f'<ul class="field-errors" id="id_code_error"><li>{message}</li></ul>' in html
    assert 'aria-invalid="true" aria-describedby="id_code_helptext id_code_error"' in html
    assert f'<li><a href="#id_code">組織コード: {message}</a></li>' in html
    assert (OrgUnit.objects.count(), _journal_count()) == (units, entries)


def test_missing_name_is_a_japanese_field_error_and_nothing_is_saved(client, tsuru):
    client.force_login(tsuru.lead)
    units = OrgUnit.objects.count()

    response = client.post(reverse("core:org_unit_create"), _unit_data(name=""))

    assert response.context["form"].errors == {"name": [REQUIRED]}
    assert OrgUnit.objects.count() == units


def test_parent_from_another_municipality_is_a_field_error_not_a_500(client, tsuru, kofu):
    # given
    client.force_login(tsuru.lead)
    units, entries = OrgUnit.objects.count(), _journal_count()
    # when
    response = client.post(reverse("core:org_unit_create"), _unit_data(parent=kofu.unit.pk))
    # then
    assert response.status_code == 200
    assert response.context["form"].errors == {"parent": [NOT_HERE]}
    assert (OrgUnit.objects.count(), _journal_count()) == (units, entries)


def test_staff_without_a_role_may_not_create_an_org_unit(client, tsuru):
    # given
    client.force_login(tsuru.staff)
    units, entries = OrgUnit.objects.count(), _journal_count()
    # when
    get = client.get(reverse("core:org_unit_create"))
    post = client.post(reverse("core:org_unit_create"), _unit_data())
    # then
    assert (get.status_code, post.status_code) == (403, 403)
    assert (OrgUnit.objects.count(), _journal_count()) == (units, entries)


def test_lead_renames_an_org_unit_and_the_journal_keeps_before_and_after(client, tsuru):
    client.force_login(tsuru.lead)
    unit = tsuru.unit

    response = client.post(
        reverse("core:org_unit_edit", args=[unit.pk]),
        _unit_data(
            parent=str(tsuru.bureau.pk),
            code=unit.code,
            name="総務管理課",
            kind=unit.kind,
            organ_kind=unit.organ_kind,
        ),
    )

    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.name == "総務管理課"
    entry = JournalEntry.objects.get(action="org_unit.update", object_id=str(unit.pk))
    assert (entry.before["name"], entry.after["name"]) == ("都留市総務課", "総務管理課")
    assert entry.actor == tsuru.lead


def test_moving_a_unit_below_its_own_child_is_refused_next_to_the_parent_field(client, tsuru):
    # given: the bureau has the unit below it
    client.force_login(tsuru.lead)
    bureau, entries = tsuru.bureau, _journal_count()
    # when
    response = client.post(
        reverse("core:org_unit_edit", args=[bureau.pk]),
        _unit_data(parent=str(tsuru.unit.pk), code=bureau.code, name=bureau.name, kind="bureau"),
    )
    # then
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "parent": [
            "都留市総務部を都留市総務課の下に置くことはできません。都留市総務課は都留市総務部の"
            "下位の組織です。自分の下位以外の上位組織を選んでください。"
        ]
    }
    assert "<h1>都留市総務部の編集</h1>" in response.content.decode()
    bureau.refresh_from_db()
    assert bureau.parent is None
    assert _journal_count() == entries


def test_editing_another_municipalitys_unit_is_not_found_and_changes_nothing(client, tsuru, kofu):
    client.force_login(tsuru.lead)

    response = client.post(
        reverse("core:org_unit_edit", args=[kofu.unit.pk]),
        _unit_data(code=kofu.unit.code, name="乗っ取り課"),
    )

    assert response.status_code == 404
    kofu.unit.refresh_from_db()
    assert kofu.unit.name == "甲府市総務課"


def test_create_and_edit_links_are_shown_only_to_users_who_may_use_them(client, tsuru):
    new_link = f'href="{reverse("core:org_unit_create")}"'
    edit_link = f'href="{reverse("core:org_unit_edit", args=[tsuru.unit.pk])}"'
    detail = reverse("core:org_unit_detail", args=[tsuru.unit.pk])

    client.force_login(tsuru.lead)
    assert new_link in client.get(reverse("core:org_unit_list")).content.decode()
    assert edit_link in client.get(detail).content.decode()

    client.force_login(tsuru.staff)
    assert new_link not in client.get(reverse("core:org_unit_list")).content.decode()
    assert edit_link not in client.get(detail).content.decode()


# --- people ----------------------------------------------------------------------------------


def test_administrator_registers_a_person_and_it_is_journaled(client, tsuru):
    # given
    client.force_login(tsuru.admin)
    # when
    response = client.post(
        reverse("core:person_create"),
        _person_data(org_unit=str(tsuru.unit.pk), employment_end="2026-03-31"),
    )
    # then
    person = Person.objects.get(municipality=tsuru.municipality, employee_number="A1001")
    assert response["Location"] == reverse("core:person_detail", args=[person.pk])
    assert (person.full_name, person.org_unit, person.employment_end) == (
        "高橋 一美",
        tsuru.unit,
        datetime.date(2026, 3, 31),
    )
    entry = JournalEntry.objects.get(action="person.create", object_id=str(person.pk))
    assert entry.actor == tsuru.admin


def test_duplicate_employee_number_is_shown_next_to_the_field(client, tsuru):
    # given
    client.force_login(tsuru.admin)
    taken = tsuru.other_person.employee_number
    people, entries = Person.objects.count(), _journal_count()
    # when
    response = client.post(reverse("core:person_create"), _person_data(employee_number=taken))
    # then
    assert response.context["form"].errors == {
        "employee_number": [
            f"この団体には職員番号{taken}の職員等が既に登録されています。番号を確認してください。"
        ]
    }
    assert (Person.objects.count(), _journal_count()) == (people, entries)


def test_person_in_another_municipalitys_unit_is_a_field_error(client, tsuru, kofu):
    client.force_login(tsuru.admin)
    people = Person.objects.count()

    response = client.post(reverse("core:person_create"), _person_data(org_unit=kofu.unit.pk))

    assert response.context["form"].errors == {"org_unit": [NOT_HERE]}
    assert Person.objects.count() == people


def test_staff_may_not_register_or_edit_people(client, tsuru):
    # given
    client.force_login(tsuru.staff)
    person = tsuru.other_person
    people, entries = Person.objects.count(), _journal_count()
    # when
    create = client.post(reverse("core:person_create"), _person_data())
    edit = client.post(
        reverse("core:person_edit", args=[person.pk]),
        _person_data(employee_number=person.employee_number, family_name="改ざん"),
    )
    # then
    assert (create.status_code, edit.status_code) == (403, 403)
    person.refresh_from_db()
    assert person.family_name == "佐藤"
    assert (Person.objects.count(), _journal_count()) == (people, entries)


def test_lead_edits_a_person(client, tsuru):
    client.force_login(tsuru.lead)
    person = tsuru.other_person

    response = client.post(
        reverse("core:person_edit", args=[person.pk]),
        _person_data(employee_number=person.employee_number, family_name="鈴木", is_active=""),
    )

    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.family_name, person.is_active) == ("鈴木", False)
    entry = JournalEntry.objects.get(action="person.update", object_id=str(person.pk))
    assert (entry.before["family_name"], entry.after["family_name"]) == ("佐藤", "鈴木")


# --- role assignments ------------------------------------------------------------------------


def test_lead_assigns_a_role_for_a_fiscal_year(client, tsuru):
    # given
    client.force_login(tsuru.lead)
    person, fy = tsuru.other_person, _this_fiscal_year()
    # when
    response = client.post(
        reverse("core:role_assignment_create", args=[person.pk]),
        {
            "role": "division_security_manager",
            "org_unit": tsuru.unit.pk,
            "period": "fiscal_year",
            "fiscal_year": fy,
            "note": "4月1日付",
        },
    )
    # then
    assert response["Location"] == reverse("core:person_detail", args=[person.pk])
    a = RoleAssignment.objects.get(person=person)
    assert (a.role, a.org_unit, a.fiscal_year, (a.start_date, a.end_date), a.note) == (
        "division_security_manager",
        tsuru.unit,
        fy,
        fiscal_year_bounds(fy),
        "4月1日付",
    )
    entry = JournalEntry.objects.get(action="role_assignment.create", object_id=str(a.pk))
    assert entry.actor == tsuru.lead


def test_lead_assigns_a_role_for_a_date_range(client, tsuru):
    client.force_login(tsuru.lead)
    person = tsuru.other_person

    client.post(
        reverse("core:role_assignment_create", args=[person.pk]),
        {
            "role": "auditor",
            "period": "dates",
            "fiscal_year": "",
            "start_date": "2025-06-01",
            "end_date": "2025-09-30",
        },
    )

    a = RoleAssignment.objects.get(person=person)
    assert (a.role, a.org_unit, a.fiscal_year, a.start_date, a.end_date) == (
        "auditor",
        None,
        None,
        datetime.date(2025, 6, 1),
        datetime.date(2025, 9, 30),
    )


def test_unit_role_without_a_unit_is_refused_next_to_the_unit_field(client, tsuru):
    # given
    client.force_login(tsuru.lead)
    person, entries = tsuru.other_person, _journal_count()
    # when
    response = client.post(
        reverse("core:role_assignment_create", args=[person.pk]),
        {
            "role": "system_manager",
            "org_unit": "",
            "period": "fiscal_year",
            "fiscal_year": _this_fiscal_year(),
        },
    )
    # then
    assert response.context["form"].errors == {
        "org_unit": ["この役割は組織ごとに担うものです。組織を選んでください。"]
    }
    assert RoleAssignment.objects.filter(person=person).count() == 0
    assert _journal_count() == entries


def test_overlapping_assignment_is_shown_next_to_the_fiscal_year(client, tsuru):
    # given: the person already holds the auditor role this fiscal year
    fy = _this_fiscal_year()
    services.assign_role(None, tsuru.other_person, Role.AUDITOR, fiscal_year=fy)
    client.force_login(tsuru.lead)
    entries = _journal_count()
    # when
    response = client.post(
        reverse("core:role_assignment_create", args=[tsuru.other_person.pk]),
        {"role": "auditor", "period": "fiscal_year", "fiscal_year": fy},
    )
    # then
    start, end = fiscal_year_bounds(fy)
    assert response.context["form"].errors == {
        "fiscal_year": [
            f"佐藤 花子は{start}から{end}まで、この組織でこの役割を既に担っています。"
            "先にその割当てを終了するか、重ならない期間を指定してください。"
        ]
    }
    assert RoleAssignment.objects.filter(person=tsuru.other_person).count() == 1
    assert _journal_count() == entries


def test_assigning_a_role_to_oneself_is_refused_above_the_form(client, tsuru):
    """兼務の禁止: nobody grants a role to themself."""
    client.force_login(tsuru.lead)
    me = tsuru.lead.person

    response = client.post(
        reverse("core:role_assignment_create", args=[me.pk]),
        {"role": "auditor", "period": "fiscal_year", "fiscal_year": _this_fiscal_year()},
    )

    form = response.context["form"]
    assert form.non_field_errors() == [
        "山田 太郎は自分の申請を承認できません（兼務の禁止）。別の承認者に依頼するか、"
        "CISOに理由を付けて例外措置を記録してもらってください。"
    ]
    assert not RoleAssignment.objects.filter(person=me, role="auditor").exists()


def test_unit_of_another_municipality_in_a_role_assignment_is_a_field_error(client, tsuru, kofu):
    client.force_login(tsuru.lead)

    response = client.post(
        reverse("core:role_assignment_create", args=[tsuru.other_person.pk]),
        {
            "role": "system_manager",
            "org_unit": kofu.unit.pk,
            "period": "fiscal_year",
            "fiscal_year": _this_fiscal_year(),
        },
    )

    assert response.context["form"].errors == {"org_unit": [NOT_HERE]}
    assert not RoleAssignment.objects.filter(person=tsuru.other_person).exists()


def test_fiscal_year_period_needs_a_fiscal_year(client, tsuru):
    client.force_login(tsuru.lead)

    response = client.post(
        reverse("core:role_assignment_create", args=[tsuru.other_person.pk]),
        {"role": "auditor", "period": "fiscal_year", "fiscal_year": ""},
    )

    assert response.context["form"].errors == {"fiscal_year": ["年度を選んでください。"]}


def test_staff_may_not_assign_roles(client, tsuru):
    client.force_login(tsuru.staff)
    entries = _journal_count()

    response = client.post(
        reverse("core:role_assignment_create", args=[tsuru.other_person.pk]),
        {"role": "auditor", "period": "fiscal_year", "fiscal_year": _this_fiscal_year()},
    )

    assert response.status_code == 403
    assert not RoleAssignment.objects.filter(person=tsuru.other_person).exists()
    assert _journal_count() == entries


@pytest.fixture
def assignment(tsuru):
    return services.assign_role(
        None, tsuru.other_person, Role.AUDITOR, start_date=datetime.date(2025, 4, 1)
    )


def test_lead_ends_a_role_assignment(client, tsuru, assignment):
    client.force_login(tsuru.lead)

    response = client.post(
        reverse("core:role_assignment_end", args=[assignment.pk]), {"end_date": "2025-12-31"}
    )

    assert response["Location"] == reverse("core:person_detail", args=[tsuru.other_person.pk])
    assignment.refresh_from_db()
    assert assignment.end_date == datetime.date(2025, 12, 31)
    entry = JournalEntry.objects.get(action="role_assignment.end", object_id=str(assignment.pk))
    assert (entry.before["end_date"], entry.after["end_date"]) == (None, "2025-12-31")


def test_end_date_before_the_start_is_shown_next_to_the_end_date(client, tsuru, assignment):
    client.force_login(tsuru.lead)
    entries = _journal_count()

    response = client.post(
        reverse("core:role_assignment_end", args=[assignment.pk]), {"end_date": "2025-03-31"}
    )

    assert response.context["form"].errors == {
        "end_date": ["終了日は開始日（2025-04-01）以降の日付にしてください。"]
    }
    assignment.refresh_from_db()
    assert assignment.end_date is None
    assert _journal_count() == entries


def test_staff_may_not_end_a_role_assignment(client, tsuru, assignment):
    client.force_login(tsuru.staff)

    response = client.post(
        reverse("core:role_assignment_end", args=[assignment.pk]), {"end_date": "2025-12-31"}
    )

    assert response.status_code == 403
    assignment.refresh_from_db()
    assert assignment.end_date is None


def test_ending_another_municipalitys_assignment_is_not_found(client, tsuru, kofu):
    other = RoleAssignment.objects.filter(person__user=kofu.lead).first()
    client.force_login(tsuru.lead)

    response = client.post(
        reverse("core:role_assignment_end", args=[other.pk]), {"end_date": "2025-12-31"}
    )

    assert response.status_code == 404
    other.refresh_from_db()
    assert other.end_date == fiscal_year_bounds(_this_fiscal_year())[1]


# --- role names ------------------------------------------------------------------------------


def test_renamed_role_is_shown_under_the_municipalitys_name(client, tsuru, kofu):
    # given
    services.assign_role(
        None,
        tsuru.other_person,
        Role.DIVISION_SECURITY_MANAGER,
        org_unit=tsuru.unit,
        fiscal_year=_this_fiscal_year(),
    )
    client.force_login(tsuru.lead)
    # when
    response = client.post(
        reverse("core:role_display_name_edit", args=["division_security_manager"]),
        {"name_ja": "情報管理者", "name_en": "Information manager"},
    )
    # then
    assert response["Location"] == reverse("core:role_display_name_list")
    renamed = RoleDisplayName.objects.get(municipality=tsuru.municipality)
    assert (renamed.role, renamed.name_ja, renamed.name_en) == (
        "division_security_manager",
        "情報管理者",
        "Information manager",
    )
    assert JournalEntry.objects.filter(action="role.rename", actor=tsuru.lead).count() == 1
    detail = client.get(reverse("core:org_unit_detail", args=[tsuru.unit.pk])).content.decode()
    assert "<td>情報管理者</td>" in detail
    assert "<td>情報セキュリティ管理者</td>" not in detail
    listing = client.get(reverse("core:role_assignment_list")).content.decode()
    assert "<td>情報管理者</td>" in listing
    # and another municipality keeps the standard name
    client.force_login(kofu.lead)
    assert "情報管理者" not in client.get(reverse("core:role_display_name_list")).content.decode()


def test_renamed_role_shows_its_english_name_in_english(client, tsuru):
    services.rename_role(tsuru.lead, tsuru.municipality, Role.AUDITOR, name_ja="監査員")
    client.force_login(tsuru.lead)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    listing = client.get(reverse("core:role_display_name_list")).content.decode()

    assert "<td>Auditor</td><td>Auditor</td>" in listing
    assert "監査員" not in listing


def test_empty_role_name_is_a_japanese_field_error(client, tsuru):
    client.force_login(tsuru.lead)
    entries = _journal_count()

    response = client.post(
        reverse("core:role_display_name_edit", args=["auditor"]), {"name_ja": "", "name_en": ""}
    )

    assert response.context["form"].errors == {"name_ja": [REQUIRED]}
    assert not RoleDisplayName.objects.exists()
    assert _journal_count() == entries


def test_staff_may_not_rename_roles_and_sees_no_rename_links(client, tsuru):
    client.force_login(tsuru.staff)

    response = client.post(
        reverse("core:role_display_name_edit", args=["auditor"]), {"name_ja": "監査員"}
    )
    listing = client.get(reverse("core:role_display_name_list")).content.decode()

    assert response.status_code == 403
    assert not RoleDisplayName.objects.exists()
    assert reverse("core:role_display_name_edit", args=["auditor"]) not in listing


def test_unknown_role_is_not_found(client, tsuru):
    client.force_login(tsuru.lead)

    response = client.get(reverse("core:role_display_name_edit", args=["mayor"]))

    assert response.status_code == 404
