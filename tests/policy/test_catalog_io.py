"""Excel export and import of the control catalog: the layout, every kind of bad input (errors
by row and column, nothing saved), and export → import round-tripping any valid catalog."""

from __future__ import annotations

import io
import itertools

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isms.core.io import ImportRejected
from isms.policy import catalog, catalog_io, services
from isms.policy.models import ControlStandard
from isms.policy.services import ControlRow, SectionRow

HEADERS = [c.header for c in catalog_io.CATALOG_COLUMNS]


def _book(*rows: list[object], headers: list[str] = HEADERS) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _row(code: str = "4.1.1", **cells: object) -> list[object]:
    values = {
        "章": "4 物理的セキュリティ",
        "節": "4.1 サーバ等の管理",
        "項目ID": code,
        "遵守事項": "サーバを施錠した部屋に置く",
        "判断基準": "入退室記録",
        "対象の役割": "情報システム管理者",
        "対象のセグメント": "",
        "対象の分類": "",
        "ガイドラインの節": "4.1",
        "確度": "想起",
        "重点項目": "はい",
    }
    values.update(cells)
    return [values[h] for h in HEADERS]


def _issues(tsuru, data: bytes, name: str = "c.xlsx") -> list[tuple[int | None, str, str]]:  # type: ignore[no-untyped-def]
    with pytest.raises(ImportRejected) as exc:
        catalog_io.import_catalog(tsuru.lead, tsuru.municipality, data, name, version="2")
    assert not ControlStandard.objects.filter(version="2").exists()
    return [(i.row, i.column, i.message) for i in exc.value.issues]


@pytest.fixture
def current(tsuru):  # type: ignore[no-untyped-def]
    v1 = services.create_version(
        tsuru.lead,
        tsuru.municipality,
        version="1",
        title="都留市情報セキュリティ対策基準",
        sections=[SectionRow("4", "物理的セキュリティ"), SectionRow("4.1", "サーバ等の管理")],
        controls=[
            ControlRow(
                code="4.1.1",
                section="4.1",
                requirement="サーバを施錠した部屋に置く",
                criteria="入退室記録",
                roles=["system_manager"],
                classes=["C3", "A2"],
                segments=["mynumber"],
                guideline_section="4.1",
                is_key_item=True,
            ),
            ControlRow(code="4.1.2", section="4.1", requirement="=UPSを備える"),
        ],
    )
    return services.make_current(tsuru.lead, v1)


def test_the_export_has_japanese_headers_and_names(current):
    book = openpyxl.load_workbook(io.BytesIO(catalog_io.export_catalog(current)))
    rows = [[c.value for c in r] for r in book.active.iter_rows()]
    assert rows[0] == HEADERS
    assert rows[1] == [
        "4 物理的セキュリティ",
        "4.1 サーバ等の管理",
        "4.1.1",
        "サーバを施錠した部屋に置く",
        "入退室記録",
        "情報システム管理者",
        "マイナンバー利用事務系",
        "機密性3、可用性2",
        "4.1",
        "想起",
        "はい",
    ]
    assert rows[2][3] == "=UPSを備える"  # text, not a formula
    assert book.active["D3"].data_type == "s"


def test_an_export_imports_as_a_draft_with_the_same_keys(tsuru, current):
    data = catalog_io.export_catalog(current)
    draft = catalog_io.import_catalog(tsuru.lead, tsuru.municipality, data, "c.xlsx", version="2")
    assert not draft.is_current and draft.previous == current
    comparison = services.compare(current, draft)
    assert len(comparison.unchanged) == 2 and not comparison.added + comparison.removed


def test_japanese_labels_and_codes_are_both_accepted(tsuru, current):
    data = _book(
        _row(
            "4.1.1",
            対象の役割="職員等、system_manager, 情報セキュリティ管理者",
            対象のセグメント="LGWAN接続系／internet",
            対象の分類="自治体機密性3A、I2",
            確度="confirmed",
            重点項目="",
        ),
        _row("4.1.9", 節="4.1", 章="4"),  # bare numbers: titles of the current version
    )
    draft = catalog_io.import_catalog(tsuru.lead, tsuru.municipality, data, "c.xlsx", version="2")
    c = draft.controls.get(code="4.1.1")
    assert c.applies_to_roles == ["staff", "division_security_manager", "system_manager"]
    assert c.applies_to_segments == ["lgwan", "internet"]
    assert c.applies_to_classes == ["C3A", "I2"]
    assert c.confidence == "confirmed" and not c.is_key_item
    assert draft.sections.get(number="4.1").title == "サーバ等の管理"


def test_errors_name_the_row_and_the_column(tsuru, current):
    data = _book(
        _row("4.1.1"),
        _row("4.1.1"),  # duplicate ID
        _row("4.7.1", 節="4.7"),  # unknown section, no title
        _row("4.1.4", 対象の役割="市長"),
        _row("4.1.5", 対象のセグメント="クラウド"),
        _row("4.1.6", 対象の分類="機密性9"),
        _row("4.1.7", 遵守事項=""),
        _row("4.1.8", 判断基準="長" * 4001),
        _row("4.1.9", 確度="たぶん", 重点項目="多分"),
        _row("5.1.1", 節="5.1 別の節"),  # section outside its chapter (4)
    )
    issues = _issues(tsuru, data)
    where = {(row, column) for row, column, _m in issues}
    assert {
        (3, "項目ID"),
        (4, "節"),
        (5, "対象の役割"),
        (6, "対象のセグメント"),
        (7, "対象の分類"),
        (8, "遵守事項"),
        (9, "判断基準"),
        (10, "確度"),
        (10, "重点項目"),
        (11, "節"),
    } <= where
    messages = " ".join(m for _r, _c, m in issues)
    assert "市長" in messages and "クラウド" in messages and "機密性9" in messages


def test_errors_are_in_japanese_for_a_japanese_user(tsuru, current):
    from django.utils import translation

    with translation.override("ja"):
        issues = _issues(tsuru, _book(_row("4.1.1", 遵守事項="")))
    assert any("遵守事項" in m for _r, _c, m in issues), issues


def test_a_formula_cell_is_refused(tsuru, current):
    data = _book(_row("4.1.1", 遵守事項="=1+1"))
    assert [(r, c) for r, c, _m in _issues(tsuru, data)] == [(2, "遵守事項")]


def test_a_file_that_is_not_xlsx_is_refused(tsuru, current):
    assert _issues(tsuru, "章,節\n".encode(), "c.csv")[0][0] is None
    assert _issues(tsuru, b"PK\x03\x04 broken", "c.xlsx")[0][0] is None
    assert _issues(tsuru, _book(_row()), "c.xls")[0][0] is None


def test_a_huge_sheet_is_refused(tsuru, current):
    rows = [_row(f"4.1.{i}") for i in range(catalog_io.MAX_ROWS + 5)]
    issues = _issues(tsuru, _book(*rows))
    assert len(issues) == 1 and issues[0][0] is None


def test_unknown_headers_and_missing_columns_are_refused(tsuru, current):
    data = _book(["4", "4.1", "4.1.1"], headers=["章", "節", "番号"])
    columns = {c for _r, c, _m in _issues(tsuru, data)}
    assert {"番号", "項目ID", "遵守事項"} <= columns


def test_an_empty_sheet_and_a_taken_version_are_refused(tsuru, current):
    assert _issues(tsuru, _book())[0][0] is None
    with pytest.raises(ImportRejected) as exc:
        catalog_io.import_catalog(
            tsuru.lead, tsuru.municipality, _book(_row()), "c.xlsx", version="1"
        )
    assert exc.value.issues[0].column == "版"


# --- round trip ---------------------------------------------------------------------------------

_TEXT = st.text(
    alphabet=st.sampled_from("あいう漢字カナＡＢabc 012=+-@'、,/・「」\n"), min_size=1, max_size=40
).filter(lambda s: s.strip())
_TITLE = st.text(alphabet=st.sampled_from("あいう漢字管理（）・"), min_size=1, max_size=20)


@st.composite
def catalogs(draw):  # type: ignore[no-untyped-def]
    chapters = draw(st.lists(st.integers(1, 9), min_size=1, max_size=3, unique=True))
    sections: list[SectionRow] = []
    controls: list[ControlRow] = []
    for ch in chapters:
        sections.append(SectionRow(str(ch), draw(_TITLE)))
        for k in range(1, draw(st.integers(1, 3)) + 1):
            number = f"{ch}.{k}"
            sections.append(SectionRow(number, draw(_TITLE)))
            for i in range(1, draw(st.integers(1, 3)) + 1):
                controls.append(
                    ControlRow(
                        code=f"{number}.{i}",
                        section=number,
                        requirement=draw(_TEXT).strip(),
                        criteria=draw(st.one_of(st.just(""), _TEXT)).strip(),
                        roles=draw(st.lists(st.sampled_from(catalog.ROLE_CODES), unique=True)),
                        segments=draw(
                            st.lists(st.sampled_from(catalog.SEGMENT_CODES), unique=True)
                        ),
                        classes=draw(st.lists(st.sampled_from(catalog.class_codes()), unique=True)),
                        guideline_section=draw(st.sampled_from(["", number, "2.(1)"])),
                        confidence=draw(st.sampled_from(["confirmed", "recalled", "uncertain"])),
                        is_key_item=draw(st.booleans()),
                    )
                )
    return sections, controls


_COUNTER = itertools.count()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=catalogs())
def test_export_then_import_round_trips_any_valid_catalog(tsuru, data):
    sections, controls = data
    n = next(_COUNTER)
    original = services.create_version(
        tsuru.lead,
        tsuru.municipality,
        version=f"h{n}",
        title="t",
        sections=sections,
        controls=controls,
    )
    services.make_current(tsuru.lead, original)
    exported = catalog_io.export_catalog(original)
    draft = catalog_io.import_catalog(
        tsuru.lead, tsuru.municipality, exported, "c.xlsx", version=f"h{n}i"
    )

    def norm(standard: ControlStandard) -> tuple:
        s, c = services.rows_of(standard)
        return (
            sorted((r.number, r.title) for r in s),
            [
                (r.code, r.section, r.content(), r.guideline_section, r.confidence, r.is_key_item)
                for r in c
            ],
        )

    assert norm(draft) == norm(original)
    comparison = services.compare(original, draft)
    assert len(comparison.unchanged) == len(controls)
