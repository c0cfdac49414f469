"""Import and export of role assignments (``core.io``), and the journal of every import.

Rows go through ``services.assign_role``, so its rules hold and are reported by row and column;
a person given the same role for the same unit twice over overlapping periods is refused naming
the other row; export → import reports every row unchanged; any error saves nothing.
"""

from __future__ import annotations

import datetime
import io as stdio

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from isms.core import io, journal, reorganisation, services
from isms.core.calendar import fiscal_year_bounds, fiscal_year_of
from isms.core.models import JournalEntry, OrgUnit, Person, RoleAssignment
from isms.core.roles import Role
from tests.support.factories import make_municipality, make_person, make_unit, make_user
from tests.support.i18n import ensure_compiled

HEADER = "職員番号,役割,組織コード,年度,開始日,終了日,備考"
FIX_ROW = "この行を直し、ファイル全体をもう一度取り込んでください。"
FY = fiscal_year_of(timezone.localdate())


@pytest.fixture(autouse=True)
def _japanese():
    ensure_compiled()
    with translation.override("ja"):
        yield


def _csv(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def _counts():
    return RoleAssignment.objects.count(), JournalEntry.objects.count()


def _issues(t, data, name="r.csv"):
    before = _counts()
    with pytest.raises(io.ImportRejected) as info:
        io.import_role_assignments(t.admin, t.municipality, data, name)
    assert _counts() == before, "a refused import saved something"
    return [(i.row, i.column, i.message, i.fix) for i in info.value.issues]


def _import(t, data, name="r.csv", actor=None):
    return io.import_role_assignments(actor or t.admin, t.municipality, data, name)


def _export(m):
    qs = (
        RoleAssignment.objects.filter(municipality=m)
        .select_related("person", "org_unit")
        .order_by("role", "person__employee_number", "start_date")
    )
    from isms.core.templatetags.isms_roles import role_labels

    return io.role_assignment_rows(qs, role_labels(m, "ja"))


def _encode(rows, fmt):
    if fmt == "csv":
        return io.export_csv(io.ROLE_ASSIGNMENT_COLUMNS, rows), "r.csv"
    return io.export_xlsx(io.ROLE_ASSIGNMENT_COLUMNS, rows, "roles"), "r.xlsx"


# --- round trip --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_gives_the_same_assignments(tsuru, fmt):
    """都留市's assignments (a whole year, a year ended early, a date range with a note) export
    to rows that, imported into a municipality with the same org chart and staff, export to the
    same rows again; imported back into 都留市 every row is unchanged."""
    # given
    lo, _hi = fiscal_year_bounds(FY)
    services.assign_role(
        None, tsuru.other_person, Role.SYSTEM_MANAGER, org_unit=tsuru.unit, fiscal_year=FY
    )
    ended = services.assign_role(
        None,
        tsuru.other_person,
        Role.DIVISION_SECURITY_MANAGER,
        org_unit=tsuru.unit,
        fiscal_year=FY,
    )
    services.end_role_assignment(tsuru.admin, ended, lo + datetime.timedelta(days=30))
    services.assign_role(
        None,
        tsuru.other_person,
        Role.CSIRT_MEMBER,
        start_date=lo,
        end_date=None,
        note="=兼務 (緊急時のみ)",
    )
    rows = _export(tsuru.municipality)
    fresh = make_municipality("131016", "千代田区")
    admin = make_user(fresh, "admin-fresh", municipality_admin=True)
    units = io.org_unit_rows(OrgUnit.objects.filter(municipality=tsuru.municipality))
    people = io.person_rows(
        Person.objects.filter(municipality=tsuru.municipality).select_related("org_unit")
    )
    io.import_org_units(admin, fresh, *_encode_any(io.ORG_UNIT_COLUMNS, units))
    io.import_people(admin, fresh, *_encode_any(io.PERSON_COLUMNS, people))
    # when
    made = io.import_role_assignments(admin, fresh, *_encode(rows, fmt))
    again = _import(tsuru, *_encode(rows, fmt))
    # then
    assert [r[3] for r in rows if r[1] == "情報システム管理者"] == [_wareki(FY)]
    ended_rows = [r for r in rows if r[1] == "情報セキュリティ管理者" and r[5]]
    assert [r[3:6] for r in ended_rows] == [
        ["", lo.isoformat(), (lo + datetime.timedelta(days=30)).isoformat()]
    ]
    assert _export(fresh) == rows
    assert (made.created, made.updated, made.unchanged) == (len(rows), 0, 0)
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(rows))


def _encode_any(columns, rows):
    return io.export_csv(columns, rows), "x.csv"


def _wareki(year):
    from isms.core.calendar import wareki_fiscal_year

    return wareki_fiscal_year(year)


# --- what a row may say --------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_in_utf8_with_or_without_bom_and_cp932_is_read(tsuru, encoding):
    data = _csv(
        HEADER,
        f"{tsuru.other_person.employee_number},情報システム管理者,{tsuru.unit.code},{FY},,,髙橋の後任",
        encoding=encoding,
    )
    result = _import(tsuru, data)
    a = RoleAssignment.objects.get(person=tsuru.other_person, role=Role.SYSTEM_MANAGER)
    assert (result.created, a.org_unit, a.fiscal_year, a.note) == (
        1,
        tsuru.unit,
        FY,
        "髙橋の後任",
    )
    assert (a.start_date, a.end_date) == fiscal_year_bounds(FY)


@pytest.mark.parametrize(
    "role", ["情報システム管理者", "system_manager", "Information system manager", "IT担当課長"]
)
def test_a_role_is_read_by_its_shown_name_its_code_or_its_english_name(tsuru, role):
    """The municipality's own name for a role (here IT担当課長) is accepted like the standard."""
    services.rename_role(
        tsuru.admin, tsuru.municipality, Role.SYSTEM_MANAGER, name_ja="IT担当課長", name_en=""
    )
    data = _csv(HEADER, f"{tsuru.other_person.employee_number},{role},{tsuru.unit.code},{FY},,,")
    _import(tsuru, data)
    assert RoleAssignment.objects.filter(
        person=tsuru.other_person, role=Role.SYSTEM_MANAGER
    ).exists()


@pytest.mark.parametrize(
    ("text", "year"),
    [("2026", 2026), ("令和8年度", 2026), ("R8", 2026), ("Ｒ８", 2026), ("２０２６年度", 2026)],
)
def test_fiscal_years_are_read_in_western_and_japanese_forms(tsuru, text, year):
    data = _csv(HEADER, f"{tsuru.other_person.employee_number},監査人,,{text},,,")
    _import(tsuru, data)
    a = RoleAssignment.objects.get(person=tsuru.other_person, role=Role.AUDITOR)
    assert (a.fiscal_year, a.start_date) == (year, datetime.date(year, 4, 1))


@pytest.mark.parametrize("text", ["令和元年度", "平成31年度", "R1", "2019年度", "H31", "２０１９"])
def test_fiscal_year_2019_has_every_name(text):
    assert io.parse_fiscal_year(text) == 2019


@pytest.mark.parametrize("text", ["来年度", "R0", "令和", "20255", "2025/4/1"])
def test_what_is_not_a_fiscal_year_is_refused(text):
    with pytest.raises(ValueError):
        io.parse_fiscal_year(text)


def test_start_and_end_dates_in_wareki_and_full_width(tsuru):
    data = _csv(
        HEADER,
        f"{tsuru.other_person.employee_number},ＣＳＩＲＴ要員,,,令和7年4月1日,Ｒ７．９．３０,",
    )
    _import(tsuru, data)
    a = RoleAssignment.objects.get(person=tsuru.other_person, role=Role.CSIRT_MEMBER)
    assert (a.fiscal_year, a.start_date, a.end_date) == (
        None,
        datetime.date(2025, 4, 1),
        datetime.date(2025, 9, 30),
    )


def test_an_excel_workbook_is_read(tsuru):
    book = openpyxl.Workbook()
    book.active.append(HEADER.split(","))
    book.active.append([tsuru.other_person.employee_number, "監査人", None, FY, None, None, None])
    out = stdio.BytesIO()
    book.save(out)
    assert _import(tsuru, out.getvalue(), "r.xlsx").created == 1


# --- bad input ---------------------------------------------------------------------------------


def test_unknown_person_unit_and_role_are_refused_by_row_and_column(tsuru, kofu):
    """Another municipality's person and unit are as unknown as ones that do not exist."""
    number = tsuru.other_person.employee_number
    data = _csv(
        HEADER,
        f"{kofu.other_person.employee_number},情報システム管理者,{tsuru.unit.code},{FY},,,",
        f"{number},情報システム管理者,{kofu.unit.code},{FY},,,",
        f"{number},情報システム係長,{tsuru.unit.code},{FY},,,",
    )
    issues = _issues(tsuru, data)
    assert [i[:3] for i in issues] == [
        (2, "職員番号", _("No person of this municipality has this employee number.")),
        (3, "組織コード", "このコードの組織はこの団体にありません。"),
        (4, "役割", "使える値ではありません。"),
    ]
    assert issues[0][3] == _(
        "Enter an employee number from the staff list, or import the staff first."
    )
    assert issues[2][3].startswith(
        "次のいずれかを入力してください: 最高情報セキュリティ責任者（CISO）、"
    )
    assert "情報システム管理者" in issues[2][3]


def test_the_same_role_twice_in_the_file_names_the_other_row(tsuru):
    """Row 4 overlaps row 2 (a whole year against a date range inside it); row 3 is the same
    role for another unit and row 5 the next year: both fine, and not imported either."""
    number, unit = tsuru.other_person.employee_number, tsuru.unit.code
    data = _csv(
        HEADER,
        f"{number},情報システム管理者,{unit},{FY},,,",
        f"{number},情報システム管理者,{tsuru.bureau.code},{FY},,,",
        f"{number},system_manager,{unit},,{FY}-10-01,{FY + 1}-03-31,",
        f"{number},情報システム管理者,{unit},{FY + 1},,,",
    )
    message = _(
        "Row %(row)s already gives this person this role for the same unit, over a period "
        "that overlaps this one."
    ) % {"row": 2}
    assert _issues(tsuru, data) == [
        (
            4,
            "役割",
            message,
            _("Delete one of the two rows, or change the periods so that they do not overlap."),
        )
    ]


def test_an_open_ended_row_overlaps_every_later_one(tsuru):
    number = tsuru.other_person.employee_number
    data = _csv(
        HEADER,
        f"{number},監査人,,,2025-04-01,,",
        f"{number},監査人,,,2025-06-01,2025-06-30,",
        f"{number},監査人,,,2030-04-01,2030-04-30,",
    )
    issues = _issues(tsuru, data)
    assert [(i[0], i[1]) for i in issues] == [(3, "役割"), (4, "役割")]
    assert [i[2] for i in issues] == [
        _(
            "Row %(row)s already gives this person this role for the same unit, over a period "
            "that overlaps this one."
        )
        % {"row": 2}
    ] * 2


def test_a_role_already_held_over_an_overlapping_period_is_refused(tsuru):
    """The registered assignment is found by the service; its message names its period."""
    lo, hi = fiscal_year_bounds(FY)
    services.assign_role(
        None, tsuru.other_person, Role.SYSTEM_MANAGER, org_unit=tsuru.unit, fiscal_year=FY
    )
    data = _csv(
        HEADER,
        f"{tsuru.other_person.employee_number},情報システム管理者,{tsuru.unit.code},,{FY}-05-01,,",
    )
    [(row, column, message, fix)] = _issues(tsuru, data)
    assert (row, column, fix) == (2, "開始日", FIX_ROW)
    assert message.startswith(f"{tsuru.other_person}は{lo}から{hi}まで、この組織でこの役割を既に")


def test_the_services_rules_are_reported_on_their_row_and_column(tsuru):
    """A unit role without a unit, a municipality-wide role with one, an abolished unit and
    兼務の禁止 (the administrator giving themself a role) each fail on their own row."""
    # given
    lo, _hi = fiscal_year_bounds(FY)
    gone = make_unit(tsuru.municipality, "廃止課", parent=tsuru.bureau, code="GONE")
    reorganisation.abolish_org_unit(tsuru.admin, gone, effective_date=lo)
    me = Person.objects.get(user=tsuru.admin)
    number = tsuru.other_person.employee_number
    data = _csv(
        HEADER,
        f"{number},情報システム管理者,,{FY},,,",
        f"{number},監査人,{tsuru.unit.code},{FY},,,",
        f"{number},情報システム管理者,GONE,{FY},,,",
        f"{me.employee_number},監査人,,{FY},,,",
    )
    # when
    issues = _issues(tsuru, data)
    # then
    assert [(i[0], i[1], i[3]) for i in issues] == [
        (2, "組織コード", FIX_ROW),
        (3, "組織コード", FIX_ROW),
        (4, "組織コード", FIX_ROW),
        (5, "職員番号", FIX_ROW),
    ]
    assert issues[0][2] == "この役割は組織ごとに担うものです。組織を選んでください。"
    assert "兼務の禁止" in issues[3][2]


def test_a_fiscal_year_and_dates_together_or_neither_are_refused(tsuru):
    number = tsuru.other_person.employee_number
    data = _csv(
        HEADER,
        f"{number},監査人,,{FY},{FY}-04-01,,",
        f"{number},監査人,,,,{FY}-04-01,",
        f"{number},監査人,,,{FY}-05-01,{FY}-04-01,",
        f"{number},監査人,,1999,,,",
    )
    assert [i[:3] for i in _issues(tsuru, data)] == [
        (2, "年度", "年度か開始日・終了日のどちらか一方を指定してください。"),
        (3, "開始日", "年度または開始日を指定してください。"),
        (4, "終了日", "終了日は開始日以降の日付にしてください。"),
        (5, "年度", "2025のように年度を入力してください。"),
    ]


def test_a_bad_fiscal_year_names_the_forms_accepted(tsuru):
    data = _csv(HEADER, f"{tsuru.other_person.employee_number},監査人,,来年度,,,")
    assert _issues(tsuru, data) == [
        (
            2,
            "年度",
            _("This is not a fiscal year."),
            _("Enter a fiscal year such as 2025, 令和7年度 or R7."),
        )
    ]


def test_formulas_and_merged_cells_are_refused(tsuru):
    book = openpyxl.Workbook()
    book.active.append(HEADER.split(","))
    book.active.append([tsuru.other_person.employee_number, "監査人", None, "=2025", None, None])
    book.active.append(["x", "y", None, None, None, None])
    book.active.merge_cells("A3:B3")
    out = stdio.BytesIO()
    book.save(out)
    assert [i[:2] for i in _issues(tsuru, out.getvalue(), "r.xlsx")] == [
        (2, "年度"),
        (3, "職員番号"),
    ]


def test_blank_rows_are_skipped_and_a_missing_column_is_refused(tsuru):
    number = tsuru.other_person.employee_number
    data = _csv(HEADER, ",,,,,,", "", f"{number},監査人,,{FY},,,")
    assert _import(tsuru, data).created == 1
    assert _issues(tsuru, _csv("職員番号,組織コード", f"{number},")) == [
        (1, "役割", "必須の列がありません。", "雛形と同じく、この見出しの列を追加してください。")
    ]


def test_importing_needs_the_right_to_manage_roles(tsuru):
    data = _csv(HEADER, f"{tsuru.other_person.employee_number},監査人,,{FY},,,")
    before = _counts()
    with pytest.raises(PermissionDenied):
        _import(tsuru, data, actor=tsuru.staff)
    assert _counts() == before


# --- the journal of an import (journal.deferred) ----------------------------------------------


def test_an_import_writes_its_entries_in_file_order_on_a_verifying_chain(tsuru):
    """The rows' entries are written when the rows are done, in file order, then the import's
    own entry; the chain verifies."""
    # given
    people = [make_person(tsuru.municipality, unit=tsuru.unit) for _i in range(3)]
    data = _csv(HEADER, *(f"{p.employee_number},監査人,,{FY},,," for p in people))
    before = JournalEntry.objects.filter(municipality=tsuru.municipality).count()
    # when
    _import(tsuru, data)
    # then
    entries = list(
        JournalEntry.objects.filter(municipality=tsuru.municipality).order_by("seq")[before:]
    )
    assert [e.action for e in entries] == ["role_assignment.create"] * 3 + [
        "role_assignment.import"
    ]
    made = [RoleAssignment.objects.get(person=p, role=Role.AUDITOR).pk for p in people]
    assert [int(e.object_id) for e in entries[:3]] == made
    assert entries[-1].after == {"file": "r.csv", "created": 3, "updated": 0, "unchanged": 0}
    assert [e.seq for e in entries] == list(range(entries[0].seq, entries[0].seq + 4))
    assert journal.verify().ok


def test_the_journal_head_is_not_locked_until_the_rows_are_saved(tsuru, monkeypatch):
    """Every row's service runs before the first entry is written (no head lock held while
    assign_role locks its Person rows)."""
    calls: list[str] = []
    real_assign, real_write = services.assign_role, journal._write

    def assign(*args, **kwargs):
        calls.append("assign")
        return real_assign(*args, **kwargs)

    def write(items, *args, **kwargs):
        items = list(items)
        calls.append(f"write {len(items)}")
        return real_write(items, *args, **kwargs)

    people = [make_person(tsuru.municipality, unit=tsuru.unit) for _i in range(2)]
    monkeypatch.setattr(services, "assign_role", assign)
    monkeypatch.setattr(journal, "_write", write)
    data = _csv(HEADER, *(f"{p.employee_number},監査人,,{FY},,," for p in people))
    _import(tsuru, data)
    assert calls == ["assign", "assign", "write 2", "write 1"]


def test_people_import_entries_are_in_order_and_verify(tsuru):
    header = ",".join(c.header for c in io.PERSON_COLUMNS)
    lines = [f"N{i:03d},山田,{i},ヤマダ,イチ,職員,{tsuru.unit.code},,,はい" for i in range(5)]
    io.import_people(tsuru.admin, tsuru.municipality, _csv(header, *lines), "p.csv")
    entries = list(
        JournalEntry.objects.filter(
            municipality=tsuru.municipality, action__in=["person.create", "person.import"]
        ).order_by("seq")
    )
    created = [e for e in entries if e.action == "person.create"][-5:]
    numbers = [Person.objects.get(pk=e.object_id).employee_number for e in created]
    assert numbers == [f"N{i:03d}" for i in range(5)]
    assert entries[-1].action == "person.import"
    assert journal.verify().ok
