"""Import and export of org units and people (``core.io``).

Export → import gives back the same data; CSV in UTF-8 (with or without BOM) and CP932 and Excel
are read; 和暦 and full-width digits are accepted; every bad input is refused with a Japanese
message naming the row and column, and then nothing at all is saved (no record, no journal entry).
"""

from __future__ import annotations

import csv
import datetime
import io as stdio
import unicodedata

import openpyxl
import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from isms.core import io
from isms.core.calendar import wareki_date
from isms.core.models import JournalEntry, OrgUnit, Person
from tests.support.factories import make_municipality, make_user
from tests.support.i18n import ensure_compiled

UNIT_HEADER = "組織コード,上位組織コード,名称,名称（カナ）,種別,機関,対象,表示順"
# 職員番号,姓,名,姓（フリガナ）,名（フリガナ）,職員区分,所属コード,メールアドレス,任用終了日,在職
PERSON_HEADER = ",".join(c.header for c in io.PERSON_COLUMNS)


@pytest.fixture(autouse=True)
def _japanese():
    ensure_compiled()
    with translation.override("ja"):
        yield


def _csv(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def _xlsx(rows: list[list[object]], merge: str | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    out = stdio.BytesIO()
    book.save(out)
    return out.getvalue()


def _counts():
    return OrgUnit.objects.count(), Person.objects.count(), JournalEntry.objects.count()


def _issues(call, *args, **kwargs):
    before = _counts()
    with pytest.raises(io.ImportRejected) as info:
        call(*args, **kwargs)
    assert _counts() == before, "a refused import saved something"
    return [(i.row, i.column, i.message, i.fix) for i in info.value.issues]


# --- round trip --------------------------------------------------------------------------------


def _export_units(m):
    return io.org_unit_rows(OrgUnit.objects.filter(municipality=m).order_by("sort_order", "code"))


def _export_people(m, *, without=()):
    qs = Person.objects.filter(municipality=m).exclude(employee_number__in=without)
    return io.person_rows(qs.select_related("org_unit").order_by("employee_number"))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_gives_the_same_data(tsuru, fmt):
    """The org chart and staff exported from 都留市 and imported into an empty municipality
    export again to exactly the same rows; importing them back into 都留市 changes nothing."""
    # given
    person = Person.objects.get(pk=tsuru.other_person.pk)
    person.employment_end = datetime.date(2026, 3, 31)
    person.email = "sato@example.jp"
    person.save()
    units, people = _export_units(tsuru.municipality), _export_people(tsuru.municipality)

    def encode(columns, rows):
        if fmt == "csv":
            return io.export_csv(columns, rows), "x.csv"
        return io.export_xlsx(columns, rows, "sheet"), "x.xlsx"

    fresh = make_municipality("131016", "千代田区")
    admin = make_user(fresh, "admin-fresh", municipality_admin=True)
    own = set(Person.objects.filter(municipality=fresh).values_list("employee_number", flat=True))
    # when
    made_units = io.import_org_units(admin, fresh, *encode(io.ORG_UNIT_COLUMNS, units))
    made_people = io.import_people(admin, fresh, *encode(io.PERSON_COLUMNS, people))
    again = io.import_people(tsuru.admin, tsuru.municipality, *encode(io.PERSON_COLUMNS, people))
    # then
    assert _export_units(fresh) == units
    assert _export_people(fresh, without=own) == people
    assert (made_units.created, made_people.created) == (len(units), len(people))
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(people))


def test_import_writes_one_entry_per_record_and_one_for_the_import(tsuru):
    """Each row goes through the create service (its own entry) and the import adds one more."""
    before = JournalEntry.objects.count()
    data = _csv(UNIT_HEADER, "900,,新部,,部局,市長部局,はい,1", "901,900,新課,,課,市長部局,はい,2")
    result = io.import_org_units(tsuru.admin, tsuru.municipality, data, "u.csv")
    assert (result.created, result.updated) == (2, 0)
    actions = list(JournalEntry.objects.order_by("seq").values_list("action", flat=True)[before:])
    assert actions == ["org_unit.create", "org_unit.create", "org_unit.import"]
    child = OrgUnit.objects.get(municipality=tsuru.municipality, code="901")
    assert child.parent.code == "900"


def test_children_may_come_before_their_parent_in_the_file(tsuru):
    data = _csv(UNIT_HEADER, "901,900,新課,,課,市長部局,,", "900,,新部,,部局,市長部局,,")
    io.import_org_units(tsuru.admin, tsuru.municipality, data, "u.csv")
    assert OrgUnit.objects.get(municipality=tsuru.municipality, code="901").parent.name == "新部"


def test_an_existing_row_is_updated_through_the_update_service(tsuru):
    data = _csv(UNIT_HEADER, f"{tsuru.unit.code},{tsuru.bureau.code},改名課,,課,市長部局,はい,0")
    result = io.import_org_units(tsuru.admin, tsuru.municipality, data, "u.csv")
    assert (result.created, result.updated) == (0, 1)
    assert OrgUnit.objects.get(pk=tsuru.unit.pk).name == "改名課"
    assert JournalEntry.objects.filter(action="org_unit.update").count() == 1


# --- encodings, 和暦, full-width ------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_is_read_in_utf8_with_or_without_bom_and_in_cp932(tsuru, encoding):
    data = _csv(
        PERSON_HEADER,
        f"P1,髙橋,一郎,タカハシ,イチロウ,職員,{tsuru.unit.code},,,はい",
        encoding=encoding,
    )
    io.import_people(tsuru.admin, tsuru.municipality, data, "p.csv")
    person = Person.objects.get(municipality=tsuru.municipality, employee_number="P1")
    assert (person.family_name, person.org_unit) == ("髙橋", tsuru.unit)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和8年3月31日", datetime.date(2026, 3, 31)),
        ("R8.3.31", datetime.date(2026, 3, 31)),
        ("R8/3/31", datetime.date(2026, 3, 31)),
        ("Ｒ８．３．３１", datetime.date(2026, 3, 31)),
        ("令和元年5月1日", datetime.date(2019, 5, 1)),
        ("平成31年4月30日", datetime.date(2019, 4, 30)),
        ("H31.4.30", datetime.date(2019, 4, 30)),
        ("２０２６－０３－３１", datetime.date(2026, 3, 31)),
        ("2026/3/31", datetime.date(2026, 3, 31)),
    ],
)
def test_wareki_and_full_width_dates_are_read(tsuru, text, expected):
    data = _csv(PERSON_HEADER, f"Ｐ２,山田,花子,ヤマダ,ハナコ,職員,{tsuru.unit.code},,{text},")
    io.import_people(tsuru.admin, tsuru.municipality, data, "p.csv")
    person = Person.objects.get(municipality=tsuru.municipality, employee_number="P2")
    assert person.employment_end == expected


@pytest.mark.parametrize(
    "text", ["令和1年4月30日", "平成31年5月1日", "R0.4.1", "2026/2/30", "来年"]
)
def test_dates_that_do_not_exist_are_refused(text):
    with pytest.raises(ValueError):
        io.parse_date(text)


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@given(st.dates(min_value=datetime.date(1989, 1, 8), max_value=datetime.date(2100, 12, 31)))
def test_every_date_reads_back_from_each_way_of_writing_it(day):
    """ISO, 和暦 (kanji and letter forms) and their full-width versions all give the same day."""
    label = wareki_date(day)  # 令和7年4月1日 / 平成元年1月8日
    era = label[:2]
    n = label[2 : label.index("年")]
    year = 1 if n == "元" else int(n)
    letter = {"令和": "R", "平成": "H"}[era]
    forms = [
        day.isoformat(),
        f"{day.year}年{day.month}月{day.day}日",
        label,
        f"{letter}{year}.{day.month}.{day.day}",
        f"{letter.lower()}{year}/{day.month}/{day.day}",
    ]
    for text in forms:
        assert io.parse_date(text) == day
        assert io.parse_date(_full_width(text)) == day
        assert unicodedata.normalize("NFKC", _full_width(text)) == text


# --- bad input ---------------------------------------------------------------------------------

FIX_ROW = "この行を直し、ファイル全体をもう一度取り込んでください。"


def test_merged_cells_are_refused(tsuru):
    data = _xlsx(
        [UNIT_HEADER.split(","), ["900", "", "新部", "", "部局", "市長部局", "はい", "1"]],
        merge="C2:D2",
    )
    assert _issues(io.import_org_units, tsuru.admin, tsuru.municipality, data, "u.xlsx") == [
        (
            2,
            "名称",
            "結合されたセル（C2:D2）は取り込めません。",
            "セルの結合を解除し、1 つのセルに 1 つの値を入力してください。",
        )
    ]


def test_formulas_are_refused(tsuru):
    data = _xlsx(
        [UNIT_HEADER.split(","), ["900", "", "新部", "", "部局", "市長部局", "はい", "=1+1"]]
    )
    assert _issues(io.import_org_units, tsuru.admin, tsuru.municipality, data, "u.xlsx") == [
        (
            2,
            "表示順",
            "セルに値ではなく数式が入っています。",
            "数式を値に置き換えてください（コピーして「値のみ貼り付け」）。",
        )
    ]


def test_a_duplicate_row_is_refused_and_blank_rows_are_skipped(tsuru):
    data = _csv(
        UNIT_HEADER,
        "900,,新部,,部局,市長部局,,",
        ",,,,,,,",
        "",
        "９００,,別の部,,部局,市長部局,,",
    )
    assert _issues(io.import_org_units, tsuru.admin, tsuru.municipality, data, "u.csv") == [
        (
            5,
            "組織コード",
            "同じ組織コードが 2 行目にもあります。",
            "どちらかの行を削除するか、値を直してください。",
        )
    ]


def test_an_unknown_unit_code_is_refused(tsuru, kofu):
    """A unit of another municipality is as unknown as one that does not exist."""
    data = _csv(
        PERSON_HEADER,
        f"P1,山田,一,ヤマダ,ハジメ,職員,{tsuru.unit.code},,,",
        f"P2,山田,二,ヤマダ,ツギ,職員,{kofu.unit.code},,,",
    )
    assert _issues(io.import_people, tsuru.admin, tsuru.municipality, data, "p.csv") == [
        (
            3,
            "所属コード",
            "このコードの組織はこの団体にありません。",
            "組織一覧にあるコードを入力するか、先に組織を取り込んでください。",
        )
    ]


def test_a_bad_date_is_refused(tsuru):
    data = _csv(PERSON_HEADER, f"P1,山田,一,ヤマダ,ハジメ,職員,{tsuru.unit.code},,R8.2.30,")
    assert _issues(io.import_people, tsuru.admin, tsuru.municipality, data, "p.csv") == [
        (
            2,
            "任用終了日",
            "日付として読めません。",
            "2025-04-01、令和7年4月1日、R7.4.1 のように入力してください。",
        )
    ]


@given(
    text=st.text(
        st.characters(codec="cp932", exclude_categories=("Cs", "Cc"), exclude_characters="¢£¬‖−〜"),
        max_size=40,
    ),
    step=st.integers(1, 7),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp932"]),
)
def test_csv_rows_decoded_as_read_equal_those_of_the_whole_text(text, step, encoding):
    """The encoding is checked a few bytes at a time (characters split across the steps) and
    the rows decoded as they are read: the same cells as decoding the whole file at once."""
    lines = [[text, "a"], ["", text[::-1]], ["x,y", '"q"']]
    buffer = stdio.StringIO()
    csv.writer(buffer).writerows(lines)
    data = buffer.getvalue().encode(encoding)
    old = io._DECODE_STEP
    io._DECODE_STEP = step
    try:
        found = io._csv_encoding(data)
    finally:
        io._DECODE_STEP = old
    if encoding != "cp932":
        assert found == "utf-8-sig"
    rows = [cells for _n, cells in io._csv_lines(data, found)]
    expected = list(csv.reader(stdio.StringIO(data.decode(found), newline="")))
    assert rows == [[io._unguard(v.strip()) for v in r] for r in expected]


def test_a_file_that_turns_out_not_to_be_utf8_late_is_read_as_cp932(monkeypatch):
    """UTF-8 for the first step, then a Shift_JIS byte: the whole file is CP932 after all."""
    monkeypatch.setattr(io, "_DECODE_STEP", 4)
    data = "名前,備考\r\n".encode("cp932") + "ﾃｽﾄ,全角\r\n".encode("cp932")
    data = b"abc," + data
    assert io._csv_encoding(data) == "cp932"
    assert [c for _n, c in io._csv_lines(data, "cp932")][1] == ["ﾃｽﾄ", "全角"]


def test_utf16_is_refused(tsuru):
    data = _csv(UNIT_HEADER, "900,,新部,,部局,市長部局,,", encoding="utf-16")
    assert _issues(io.import_org_units, tsuru.admin, tsuru.municipality, data, "u.csv") == [
        (
            None,
            "",
            "ファイルの文字コードが UTF-8 でも Shift_JIS（CP932）でもありません。",
            "Excel などで、UTF-8 または Shift_JIS（CP932）の CSV として保存し直してください。",
        )
    ]


def test_an_oversized_file_is_refused(tsuru):
    data = _csv(UNIT_HEADER) + b" " * io.MAX_BYTES
    assert _issues(io.import_org_units, tsuru.admin, tsuru.municipality, data, "u.csv") == [
        (None, "", "ファイルが 5 MB を超えています。", "ファイルを分割し、順に取り込んでください。")
    ]


def test_too_many_rows_are_refused(tsuru):
    data = _csv(UNIT_HEADER, "900,,一部,,部局,市長部局,,", "901,,二部,,部局,市長部局,,")
    issues = _issues(
        io.import_org_units, tsuru.admin, tsuru.municipality, data, "u.csv", max_rows=1
    )
    assert issues == [
        (
            None,
            "",
            "ファイルの行数が 1 行を超えています。",
            "ファイルを分割し、順に取り込んでください。",
        )
    ]


def test_an_unknown_or_missing_header_is_refused(tsuru):
    data = _csv("組織コード,名前,種別,機関", "900,新部,部局,市長部局")
    issues = _issues(io.import_org_units, tsuru.admin, tsuru.municipality, data, "u.csv")
    assert issues == [
        (
            1,
            "名前",
            "この見出しは雛形にありません。",
            "雛形の見出しに合わせるか、この列を削除してください。",
        ),
        (1, "名称", "必須の列がありません。", "雛形と同じく、この見出しの列を追加してください。"),
    ]


def test_a_service_error_on_a_later_row_rolls_back_the_rows_before_it(tsuru):
    """Row 2 is valid and saved first; row 3 fails in the service; neither stays."""
    data = _csv(
        PERSON_HEADER,
        f"P1,山田,一,ヤマダ,ハジメ,職員,{tsuru.unit.code},ok@example.jp,,",
        f"P2,山田,二,ヤマダ,ツギ,職員,{tsuru.unit.code},not-an-address,,",
    )
    assert _issues(io.import_people, tsuru.admin, tsuru.municipality, data, "p.csv") == [
        (3, "メールアドレス", "有効なメールアドレスを入力してください。", FIX_ROW)
    ]


def test_a_bad_choice_names_the_allowed_values(tsuru):
    data = _csv(UNIT_HEADER, "900,,新部,,本部,市長部局,,")
    [(row, column, message, fix)] = _issues(
        io.import_org_units, tsuru.admin, tsuru.municipality, data, "u.csv"
    )
    assert (row, column, message) == (2, "種別", "使える値ではありません。")
    assert fix.startswith("次のいずれかを入力してください: 部局、課、")


def test_a_loop_of_parents_in_the_file_is_refused(tsuru):
    data = _csv(UNIT_HEADER, "900,901,一部,,部局,市長部局,,", "901,900,二部,,部局,市長部局,,")
    issues = _issues(io.import_org_units, tsuru.admin, tsuru.municipality, data, "u.csv")
    assert [i[:3] for i in issues] == [
        (2, "上位組織コード", "ファイル内の上位組織が循環しています。")
    ]


def test_importing_needs_the_manage_permission(tsuru):
    from django.core.exceptions import PermissionDenied

    data = _csv(UNIT_HEADER, "900,,新部,,部局,市長部局,,")
    before = _counts()
    with pytest.raises(PermissionDenied):
        io.import_org_units(tsuru.staff, tsuru.municipality, data, "u.csv")
    assert _counts() == before


def test_csv_export_neutralises_formulas_and_import_restores_the_value(tsuru):
    """A name starting with "=" is written as '=… so Excel shows text, and reads back unchanged."""
    # given
    person = Person.objects.get(pk=tsuru.other_person.pk)
    person.family_name = "=HYPERLINK(1)"
    person.save()
    rows = _export_people(tsuru.municipality)
    # when
    data = io.export_csv(io.PERSON_COLUMNS, rows)
    result = io.import_people(tsuru.admin, tsuru.municipality, data, "x.csv")
    # then
    assert ",'=HYPERLINK(1)," in data.decode("utf-8-sig")
    assert (result.created, result.updated) == (0, 0)
    assert Person.objects.get(pk=person.pk).family_name == "=HYPERLINK(1)"


def test_a_tiny_workbook_that_names_a_far_cell_is_refused_before_cells_are_built(tsuru):
    """Two cells, A1 and CV100000, would make openpyxl build ten million empty cells."""
    book = openpyxl.Workbook()
    book.active["A1"] = "組織コード"
    book.active["CV100000"] = "x"
    out = stdio.BytesIO()
    book.save(out)
    issues = _issues(io.import_org_units, tsuru.admin, tsuru.municipality, out.getvalue(), "x.xlsx")
    assert issues == [
        (
            None,
            "",
            "ワークブックが大きすぎます。読み込めるのは最大 50,000 行・50 列です。",
            "使っていない行と列（書式だけが設定された空の行・列も）を削除するか、"
            "CSV で保存してください。",
        )
    ]
