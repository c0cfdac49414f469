"""Import and export of org units, people and role assignments: CSV (UTF-8 with or without BOM,
CP932) and Excel.

One column map per kind (``ORG_UNIT_COLUMNS``, ``PERSON_COLUMNS``, ``ROLE_ASSIGNMENT_COLUMNS``)
names each Japanese header and its field; export, the template and import all read it.
:func:`read_rows` turns an upload into numbered rows; :func:`import_org_units`,
:func:`import_people` and :func:`import_role_assignments` check every row, then run each one
through the normal create/update service inside one transaction, and write one more journal
entry for the import itself. Any error means nothing is saved: the errors come back as
:class:`ImportIssue` (row, column, message, how to fix) in :class:`ImportRejected`.

**Memory.** A CSV upload is decoded once and then read row by row, twice: a first pass checks
every row and keeps only what later rows are compared with (the keys seen, for duplicates), a
second pass saves. The people import looks existing people up a chunk at a time. Only the org
chart (small, and ordered parents first) and Excel workbooks (openpyxl builds the whole sheet
to find merged cells) are held as lists. The journal entries of the rows are kept until the end
of the transaction (``journal.deferred``), so they do grow with the file.

>>> parse_date("令和7年4月1日"), parse_date("Ｒ７．４．１")
(datetime.date(2025, 4, 1), datetime.date(2025, 4, 1))
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from . import journal, services
from .calendar import fiscal_year_bounds, wareki_fiscal_year
from .models import Municipality, OrgUnit, Person, RoleAssignment, User
from .permissions import Action, require
from .roles import Role

__all__ = [
    "MAX_BYTES",
    "MAX_ROWS",
    "ORG_UNIT_COLUMNS",
    "PERSON_COLUMNS",
    "ROLE_ASSIGNMENT_COLUMNS",
    "Column",
    "ImportIssue",
    "ImportRejected",
    "ImportResult",
    "check_size",
    "count_rows",
    "export_csv",
    "export_xlsx",
    "import_org_units",
    "import_people",
    "import_role_assignments",
    "org_unit_rows",
    "parse_date",
    "parse_fiscal_year",
    "person_rows",
    "read_rows",
    "role_assignment_rows",
]

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
# Excel files are zip archives: bound what they unpack to, and the sheet's extent, before
# openpyxl builds cells (a 5 KB workbook naming cell XFD1048576 would otherwise fill memory).
MAX_XLSX_UNPACKED = 64 * 1024 * 1024
MAX_COLUMNS = 50
XLSX_SUFFIXES = (".xlsx", ".xlsm")
# Rows looked up in the database at a time (SQLite allows 32,766 parameters per statement).
CHUNK_ROWS = 500
# How often a long import reports its progress (``progress(done, total)``), in rows.
PROGRESS_EVERY = 200

Progress = Callable[[int, int], None]


# --- the column maps -------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a file: its Japanese header, the model field and how to read a cell."""

    header: str
    field: str
    kind: str  # text, code, choice, bool, int, date, unit, role, fiscal_year
    required: bool = False
    choices: Any = None  # a TextChoices class for kind == "choice"
    default: Any = ""


ORG_UNIT_COLUMNS = (
    Column("組織コード", "code", "code", required=True),
    Column("上位組織コード", "parent", "unit", default=None),
    Column("名称", "name", "text", required=True),
    Column("名称（カナ）", "name_kana", "text"),
    Column("種別", "kind", "choice", required=True, choices=OrgUnit.Kind),
    Column("機関", "organ_kind", "choice", required=True, choices=OrgUnit.OrganKind),
    Column("対象", "in_scope", "bool", default=True),
    Column("表示順", "sort_order", "int", default=0),
)

PERSON_COLUMNS = (
    Column("職員番号", "employee_number", "code", required=True),
    Column("姓", "family_name", "text", required=True),
    Column("名", "given_name", "text", required=True),
    Column("姓（フリガナ）", "family_name_kana", "text", required=True),
    Column("名（フリガナ）", "given_name_kana", "text", required=True),
    Column("職員区分", "staff_category", "choice", required=True, choices=Person.StaffCategory),
    Column("所属コード", "org_unit", "unit", default=None),
    Column("メールアドレス", "email", "text"),
    Column("任用終了日", "employment_end", "date", default=None),
    Column("在職", "is_active", "bool", default=True),
)

ROLE_ASSIGNMENT_COLUMNS = (
    Column("職員番号", "person", "code", required=True),
    Column("役割", "role", "role", required=True),
    Column("組織コード", "org_unit", "unit", default=None),
    Column("年度", "fiscal_year", "fiscal_year", default=None),
    Column("開始日", "start_date", "date", default=None),
    Column("終了日", "end_date", "date", default=None),
    Column("備考", "note", "text"),
)

YES, NO = "はい", "いいえ"
_TRUE = {"はい", "yes", "true", "1", "○", "〇", "y"}
_FALSE = {"いいえ", "no", "false", "0", "×", "n"}


# --- errors ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportIssue:
    """One problem of an upload: where it is (row None: the whole file) and how to fix it."""

    row: int | None
    column: str
    message: str
    fix: str


class ImportRejected(Exception):
    """The upload was refused; nothing was saved."""

    def __init__(self, issues: Iterable[ImportIssue]) -> None:
        self.issues = sorted(issues, key=lambda i: i.row or 0)
        super().__init__("; ".join(i.message for i in self.issues))


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


# --- reading values --------------------------------------------------------------------------

_ERAS = {
    "令和": (2018, datetime.date(2019, 5, 1), None),
    "平成": (1988, datetime.date(1989, 1, 8), datetime.date(2019, 4, 30)),
    "昭和": (1925, datetime.date(1926, 12, 25), datetime.date(1989, 1, 7)),
}
_ERA_LETTERS = {"R": "令和", "H": "平成", "S": "昭和"}
_WAREKI = re.compile(
    r"^(令和|平成|昭和|[RHS])\s*(元|\d{1,2})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?$"
)
_WESTERN = re.compile(r"^(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?$")


def normalise(text: str) -> str:
    """Full-width digits, letters and punctuation to their ASCII forms (NFKC), trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def parse_date(text: str) -> datetime.date:
    """Read 2025-04-01, 2025/4/1, 2025年4月1日, 令和7年4月1日, R7.4.1, H31/4/30 (full-width too).

    Raises ``ValueError`` for anything else, or a date outside its era.
    """
    value = normalise(text).upper()
    m = _WAREKI.match(value)
    if m:
        era = _ERA_LETTERS.get(m[1], m[1])
        offset, first, last = _ERAS[era]
        year = 1 if m[2] == "元" else int(m[2])
        if year < 1:
            raise ValueError(text)
        day = datetime.date(offset + year, int(m[3]), int(m[4]))
        if day < first or (last is not None and day > last):
            raise ValueError(text)
        return day
    m = _WESTERN.match(value)
    if m:
        return datetime.date(int(m[1]), int(m[2]), int(m[3]))
    raise ValueError(text)


_FISCAL_YEAR = re.compile(r"^(令和|平成|[RH])\s*(元|\d{1,2})\s*(?:年度?)?$")
_FISCAL_YEAR_WESTERN = re.compile(r"^(\d{4})\s*(?:年度?)?$")


def parse_fiscal_year(text: str) -> int:
    """Read a fiscal year: 2025, 2025年度, 令和7年度, 令和元年度, R7, Ｒ７ (full-width too).

    Raises ``ValueError`` for anything else.

    >>> parse_fiscal_year("令和7年度"), parse_fiscal_year("Ｒ７"), parse_fiscal_year("平成31年度")
    (2025, 2025, 2019)
    """
    value = normalise(text).upper()
    m = _FISCAL_YEAR.match(value)
    if m:
        offset = _ERAS[_ERA_LETTERS.get(m[1], m[1])][0]
        year = 1 if m[2] == "元" else int(m[2])
        if year < 1:
            raise ValueError(text)
        return offset + year
    m = _FISCAL_YEAR_WESTERN.match(value)
    if m:
        return int(m[1])
    raise ValueError(text)


def _choice_map(choices: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for value, label in choices.choices:
        out[normalise(value).casefold()] = value
        for lang in ("en", "ja"):
            with translation.override(lang):
                out[normalise(str(label)).casefold()] = value
    return out


def _choice_label(choices: Any, value: str) -> str:
    with translation.override("ja"):
        return str(choices(value).label) if value in choices.values else value


# --- reading files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """A non-blank data row: its number in the file and its cells by header."""

    number: int
    cells: dict[str, str] = field(default_factory=dict)


def _file_issue(message: str, fix: str) -> ImportRejected:
    return ImportRejected([ImportIssue(None, "", message, fix)])


# Bytes decoded per step when checking the encoding of a CSV file.
_DECODE_STEP = 1 << 20


def _encoding(data: bytes) -> str:
    """Return the encoding of CSV bytes: UTF-8 (with or without BOM), else CP932.

    The whole file is decoded to check it, a step at a time, but the text is not kept: the
    rows are decoded again as they are read, so a large file is never held twice.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        raise UnicodeDecodeError("utf-16", data[:2], 0, 1, "UTF-16 is not accepted")
    view = memoryview(data)
    failure: UnicodeDecodeError | None = None
    for encoding in ("utf-8-sig", "cp932"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for start in range(0, len(view), _DECODE_STEP):
                decoder.decode(view[start : start + _DECODE_STEP])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            failure = exc
            continue
        return encoding
    assert failure is not None
    raise failure


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _merged_ranges(book: Any, sheet: Any) -> list[str]:
    """The merged ranges of a read-only sheet, which openpyxl reads only in full mode."""
    from openpyxl.xml.constants import SHEET_MAIN_NS  # type: ignore[import-untyped]
    from openpyxl.xml.functions import iterparse  # type: ignore[import-untyped]

    tag = f"{{{SHEET_MAIN_NS}}}mergeCell"
    ranges = []
    with book._archive.open(sheet._worksheet_path) as source:
        for _event, element in iterparse(source):
            if element.tag == tag:
                ranges.append(element.get("ref", ""))
            element.clear()
    return ranges


def _read_xlsx(data: bytes, *, max_rows: int = MAX_ROWS) -> list[tuple[int, list[str]]]:
    """Return the non-blank rows of the first sheet, read as a stream (``read_only``).

    Reading stops at the first non-blank row beyond ``max_rows`` data rows (too large).
    """
    import openpyxl  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
    from openpyxl.utils.cell import range_boundaries  # type: ignore[import-untyped]

    too_big = _file_issue(
        _("The workbook is too large: at most %(rows)s rows and %(cols)s columns are read.")
        % {"rows": f"{max_rows:,}", "cols": MAX_COLUMNS},
        _("Delete unused rows and columns (also empty formatted ones), or save it as CSV."),
    )
    header: list[str] = []

    def column_of(index: int) -> str:
        return (
            header[index - 1]
            if index - 1 < len(header) and header[index - 1]
            else (get_column_letter(index))
        )

    issues: list[ImportIssue] = []
    rows: list[tuple[int, list[str]]] = []
    merged: list[str] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNPACKED:
                raise too_big
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
            try:
                sheet = book.worksheets[0]
                # The stored dimension may be wrong (some programs write none or a stale one);
                # read every row there is.
                sheet.reset_dimensions()
                # Rows without cells are yielded too, so the count is the row number.
                for number, cells in enumerate(sheet.iter_rows(), start=1):
                    values = []
                    for index, c in enumerate(cells, start=1):
                        # A formula cell; text that merely starts with "=" (a cell of type
                        # text, as our export writes) is a value.
                        if c.data_type == "f":
                            issues.append(
                                ImportIssue(
                                    number,
                                    column_of(index),
                                    _("The cell holds a formula, not a value."),
                                    _(
                                        "Replace the formula by its value "
                                        "(copy, then paste values only)."
                                    ),
                                )
                            )
                        values.append(_cell_text(c.value))
                    while values and not values[-1]:
                        values.pop()
                    if not values:
                        continue
                    if len(values) > MAX_COLUMNS or len(rows) > max_rows:
                        raise too_big
                    if not rows:
                        header = values
                    rows.append((number, values))
                merged = _merged_ranges(book, sheet)
            finally:
                book.close()
    except ImportRejected:
        raise
    # Not only BadZipFile, InvalidFileException, KeyError, OSError, ValueError: broken XML
    # inside the archive raises a SyntaxError (ElementTree's ParseError, lxml's
    # XMLSyntaxError), and any other error of openpyxl's loader means the same to the user.
    except Exception as exc:
        raise _file_issue(
            _("The file cannot be read as an Excel workbook."),
            _("Save it again as an Excel workbook (.xlsx) or as CSV."),
        ) from exc
    merged_issues = []
    for ref in merged:
        min_col, min_row, _max_col, _max_row = range_boundaries(ref)
        merged_issues.append(
            ImportIssue(
                min_row,
                column_of(min_col),
                _("Merged cells (%(range)s) cannot be imported.") % {"range": ref},
                _("Unmerge the cells and put one value in each cell."),
            )
        )
    issues = merged_issues + issues
    if issues:
        raise ImportRejected(issues)
    return rows


def _csv_encoding(data: bytes) -> str:
    try:
        return _encoding(data)
    except UnicodeDecodeError as exc:
        raise _file_issue(
            _("The file is neither UTF-8 nor Shift_JIS (CP932) text."),
            _("Save the file as CSV in UTF-8 or Shift_JIS (CP932), for example from Excel."),
        ) from exc


def _csv_lines(data: bytes, encoding: str) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line number, cells)`` of CSV bytes, decoding one row at a time."""
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline=""))
    try:
        for values in reader:
            yield reader.line_num, [_unguard(v.strip()) for v in values]
    except csv.Error as exc:
        raise _file_issue(
            _("The file cannot be read as CSV: %(error)s") % {"error": exc},
            _("Check the quotation marks, or save the file again as CSV."),
        ) from exc


def check_size(size: int, *, max_bytes: int = MAX_BYTES) -> None:
    """Refuse an upload larger than ``max_bytes`` before reading it."""
    if size > max_bytes:
        raise _file_issue(
            _("The file is larger than %(size)s MB.") % {"size": f"{max_bytes / (1024 * 1024):g}"},
            _("Split the file into smaller files and import them one after another."),
        )


def _header_key(text: str) -> str:
    return re.sub(r"\s+", "", normalise(text))


@dataclass
class _Source:
    """An upload whose header has been checked; :meth:`rows` reads its data rows afresh."""

    lines: Callable[[], Iterator[tuple[int, list[str]]]]  # the non-blank lines, header first
    positions: dict[str, int]  # header → index of its column
    max_rows: int

    def rows(self) -> Iterator[Row]:
        """Yield the non-blank data rows; refuse the file at the first row beyond the limit."""
        lines = self.lines()
        next(lines)  # the header
        positions = self.positions
        for count, (n, values) in enumerate(lines, start=1):
            if count > self.max_rows:
                raise _file_issue(
                    _("The file has more than %(count)s rows.") % {"count": f"{self.max_rows:,}"},
                    _("Split the file into smaller files and import them one after another."),
                )
            yield Row(n, {h: (values[i] if i < len(values) else "") for h, i in positions.items()})


def _non_blank(lines: Iterable[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    return ((n, values) for n, values in lines if any(values))


def _open(
    data: bytes,
    filename: str,
    columns: tuple[Column, ...],
    *,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
) -> _Source:
    """Check the size, encoding and header of an upload; the rows are read later, as needed."""
    check_size(len(data), max_bytes=max_bytes)
    if filename.lower().endswith(XLSX_SUFFIXES):
        table = _read_xlsx(data, max_rows=max_rows)

        def lines() -> Iterator[tuple[int, list[str]]]:
            return _non_blank(table)
    else:
        encoding = _csv_encoding(data)

        def lines() -> Iterator[tuple[int, list[str]]]:
            return _non_blank(_csv_lines(data, encoding))

    first = next(lines(), None)
    if first is None:
        raise _file_issue(
            _("The file has no header row."),
            _("Start from the template, which has the headers in its first row."),
        )
    header_number, header = first
    known = {_header_key(c.header): c.header for c in columns}
    positions: dict[str, int] = {}
    issues = []
    for index, text in enumerate(header):
        if not text:
            continue
        name = known.get(_header_key(text))
        if name is None:
            issues.append(
                ImportIssue(
                    header_number,
                    text,
                    _("This header is not one of the template's."),
                    _("Use the headers of the template, or delete this column."),
                )
            )
        else:
            positions[name] = index
    for c in columns:
        if c.required and c.header not in positions:
            issues.append(
                ImportIssue(
                    header_number,
                    c.header,
                    _("This required column is missing."),
                    _("Add the column with this header, as in the template."),
                )
            )
    if issues:
        raise ImportRejected(issues)
    return _Source(lines, positions, max_rows)


def read_rows(
    data: bytes,
    filename: str,
    columns: tuple[Column, ...],
    *,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
) -> list[Row]:
    """Return the non-blank data rows of an upload, numbered as in the file (header: row 1).

    Raises :class:`ImportRejected` for a file too large, an encoding other than UTF-8 (with
    or without BOM) or CP932, merged cells, formulas, missing or unknown headers, or too many rows.
    """
    return list(_open(data, filename, columns, max_bytes=max_bytes, max_rows=max_rows).rows())


def count_rows(data: bytes, filename: str, *, max_bytes: int = MAX_BYTES) -> int:
    """Return the number of non-blank rows after the first (the header), reading nothing else.

    Raises :class:`ImportRejected` for a file too large or one that cannot be read at all.
    """
    check_size(len(data), max_bytes=max_bytes)
    if filename.lower().endswith(XLSX_SUFFIXES):
        lines: Iterator[tuple[int, list[str]]] = _non_blank(_read_xlsx(data))
    else:
        lines = _non_blank(_csv_lines(data, _csv_encoding(data)))
    return max(sum(1 for _line in lines) - 1, 0)


# --- checking rows ---------------------------------------------------------------------------


@dataclass
class _Parsed:
    row: Row
    data: dict[str, Any]
    unit_codes: dict[str, str]  # field → code of a unit column


class _Parser:
    """Check the cells of one row at a time against ``columns``.

    With ``unique``, the first column is the file's key and a value seen on an earlier row is
    refused. ``roles`` maps every accepted spelling of a role (see :func:`_role_map`) to its code.
    """

    def __init__(
        self,
        columns: tuple[Column, ...],
        *,
        unique: bool = True,
        roles: dict[str, str] | None = None,
        role_names: str = "",
    ) -> None:
        self.columns = columns
        self.choice_maps = {c.field: _choice_map(c.choices) for c in columns if c.kind == "choice"}
        self.key = columns[0] if unique else None
        self.seen: dict[str, int] = {}
        self.roles = roles or {}
        self.role_names = role_names

    def parse(self, row: Row, issues: list[ImportIssue]) -> _Parsed | None:
        """Return the row's values, or None after adding its problems to ``issues``."""
        data: dict[str, Any] = {}
        codes: dict[str, str] = {}
        ok = True

        def bad(column: Column, message: str, fix: str) -> None:
            nonlocal ok
            ok = False
            issues.append(ImportIssue(row.number, column.header, message, fix))

        for c in self.columns:
            if c.header not in row.cells:
                continue
            raw = row.cells[c.header]
            value = raw.strip() if c.kind == "text" else normalise(raw)
            if not value:
                if c.required:
                    bad(c, _("This value is required."), _("Enter a value."))
                data[c.field] = c.default
                continue
            if c.kind in ("text", "code"):
                data[c.field] = value
            elif c.kind == "choice":
                found = self.choice_maps[c.field].get(value.casefold())
                if found is None:
                    with translation.override("ja"):
                        labels = "、".join(str(label) for _v, label in c.choices.choices)
                    bad(
                        c,
                        _("This is not one of the allowed values."),
                        _("Enter one of: %(values)s.") % {"values": labels},
                    )
                data[c.field] = found
            elif c.kind == "role":
                found = self.roles.get(value.casefold())
                if found is None:
                    bad(
                        c,
                        _("This is not one of the allowed values."),
                        _("Enter one of: %(values)s.") % {"values": self.role_names},
                    )
                data[c.field] = found
            elif c.kind == "bool":
                folded = value.casefold()
                if folded not in _TRUE | _FALSE:
                    bad(c, _("Enter はい or いいえ."), _("Enter はい or いいえ."))
                data[c.field] = folded in _TRUE
            elif c.kind == "int":
                if not value.isdigit():
                    bad(c, _("Enter a whole number."), _("Enter a number such as 10."))
                    data[c.field] = c.default
                else:
                    data[c.field] = int(value)
            elif c.kind == "date":
                try:
                    data[c.field] = parse_date(value)
                except ValueError:
                    bad(
                        c,
                        _("This is not a date."),
                        _("Enter a date such as 2025-04-01, 令和7年4月1日 or R7.4.1."),
                    )
            elif c.kind == "fiscal_year":
                try:
                    data[c.field] = parse_fiscal_year(value)
                except ValueError:
                    bad(
                        c,
                        _("This is not a fiscal year."),
                        _("Enter a fiscal year such as 2025, 令和7年度 or R7."),
                    )
            elif c.kind == "unit":
                codes[c.field] = value
                data[c.field] = None
        key = self.key
        if key is not None and key.header in row.cells and data.get(key.field):
            first = self.seen.get(data[key.field])
            if first is not None:
                bad(
                    key,
                    _("The same %(column)s is already on row %(row)s.")
                    % {"column": key.header, "row": first},
                    _("Delete one of the two rows, or correct the value."),
                )
            else:
                self.seen[data[key.field]] = row.number
        return _Parsed(row, data, codes) if ok else None


def _parse_rows(
    rows: Iterable[Row], columns: tuple[Column, ...], issues: list[ImportIssue]
) -> list[_Parsed]:
    parser = _Parser(columns)
    return [p for p in (parser.parse(row, issues) for row in rows) if p is not None]


def _chunks(items: Iterable[Any], size: int = CHUNK_ROWS) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _unknown_unit(row: Row, column: Column) -> ImportIssue:
    return ImportIssue(
        row.number,
        column.header,
        _("No org unit of this municipality has this code."),
        _("Enter a unit code from the organisation list, or import the org units first."),
    )


def _service_issues(
    row: Row, columns: tuple[Column, ...], exc: ValidationError
) -> list[ImportIssue]:
    headers = {c.field: c.header for c in columns}
    fix = _("Correct this row and import the whole file again.")
    if hasattr(exc, "error_dict"):
        return [
            ImportIssue(row.number, headers.get(name, ""), message, fix)
            for name, errors in exc.error_dict.items()
            for error in errors
            for message in error.messages
        ]
    return [ImportIssue(row.number, "", message, fix) for message in exc.messages]


def _column(columns: tuple[Column, ...], name: str) -> Column:
    return next(c for c in columns if c.field == name)


def _run(
    actor: User,
    municipality: Municipality,
    *,
    kind: str,
    filename: str,
    items: Iterable[tuple[_Parsed, Any]],
    columns: tuple[Column, ...],
    issues: list[ImportIssue],
    save: Any,
    total: int = 0,
    progress: Progress | None = None,
) -> ImportResult:
    """Save every row through ``save`` in one transaction; roll all back on any error.

    The rows' journal entries are written at the end (``journal.deferred``): the journal head is
    locked for the last moment only, after the rows the services lock, never before them.
    """
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    done = 0
    with transaction.atomic():
        with journal.deferred():
            for item in items:
                try:
                    outcome = save(item)
                except ValidationError as exc:
                    issues.extend(_service_issues(item[0].row, columns, exc))
                else:
                    counts[outcome] += 1
                done += 1
                if progress is not None and done % PROGRESS_EVERY == 0:
                    progress(done, max(total, done))
            if issues:
                raise ImportRejected(issues)  # rolls back every row saved above
        journal.record(
            actor=actor,
            action=f"{kind}.import",
            municipality=municipality,
            object_type="import",
            after={"file": filename, **counts},
        )
    if progress is not None:
        progress(done, max(total, done))
    return ImportResult(**counts)


def _same(obj: Any, data: dict[str, Any]) -> bool:
    return all(getattr(obj, name) == value for name, value in data.items())


# --- importing -------------------------------------------------------------------------------


def import_org_units(
    actor: User,
    municipality: Municipality,
    data: bytes,
    filename: str,
    *,
    progress: Progress | None = None,
    **limits: int,
) -> ImportResult:
    """Create or update the org units of a file, keyed by 組織コード; all or nothing.

    A parent may be a unit already registered or one further down the file.
    """
    require(actor, Action.MANAGE_ORGANISATION, municipality=municipality)
    columns = ORG_UNIT_COLUMNS
    rows = read_rows(data, filename, columns, **limits)
    issues: list[ImportIssue] = []
    parsed = _parse_rows(rows, columns, issues)
    existing = {u.code: u for u in OrgUnit.objects.filter(municipality=municipality)}
    in_file = {p.data["code"]: p for p in parsed}
    parent_col = _column(columns, "parent")
    for p in parsed:
        code = p.unit_codes.get("parent")
        if code and code not in existing and code not in in_file:
            issues.append(_unknown_unit(p.row, parent_col))
    # Parents in the file before their children; a loop within the file is refused.
    ordered: list[_Parsed] = []
    state: dict[str, str] = {}

    def visit(p: _Parsed, path: list[str]) -> None:
        code = p.data["code"]
        if state.get(code) == "done":
            return
        if state.get(code) == "open":
            issues.append(
                ImportIssue(
                    p.row.number,
                    parent_col.header,
                    _("The parent units in the file form a loop."),
                    _("Correct the parent unit codes so that each unit has a parent above it."),
                )
            )
            return
        state[code] = "open"
        parent = p.unit_codes.get("parent")
        if parent in in_file and parent != code:
            visit(in_file[parent], [*path, code])
        state[code] = "done"
        ordered.append(p)

    for p in parsed:
        visit(p, [])
    if issues:
        raise ImportRejected(issues)

    def save(item: tuple[_Parsed, Any]) -> str:
        p, _unused = item
        values = dict(p.data)
        parent_code = p.unit_codes.get("parent")
        if parent_code:
            if parent_code not in existing:
                return "unchanged"  # its parent's row failed: already reported, all rolls back
            values["parent"] = existing[parent_code]
        unit = existing.get(values["code"])
        if unit is None:
            unit = services.create_org_unit(actor, municipality, **values)
            existing[unit.code] = unit
            return "created"
        if _same(unit, values):
            return "unchanged"
        existing[unit.code] = services.update_org_unit(actor, unit, **values)
        return "updated"

    return _run(
        actor,
        municipality,
        kind="org_unit",
        filename=filename,
        items=[(p, None) for p in ordered],
        columns=columns,
        issues=issues,
        save=save,
        total=len(ordered),
        progress=progress,
    )


def _resolve_unit(
    p: _Parsed,
    name: str,
    units: dict[str, OrgUnit],
    columns: tuple[Column, ...],
    issues: list[ImportIssue],
) -> None:
    code = p.unit_codes.get(name)
    if code:
        if code in units:
            p.data[name] = units[code]
        else:
            issues.append(_unknown_unit(p.row, _column(columns, name)))


def import_people(
    actor: User,
    municipality: Municipality,
    data: bytes,
    filename: str,
    *,
    progress: Progress | None = None,
    **limits: int,
) -> ImportResult:
    """Register or update the people of a file, keyed by 職員番号; all or nothing.

    The rows are read twice, one at a time (check, then save), and existing people are looked
    up a chunk at a time: memory holds the file, the numbers seen and one chunk, not every row.
    """
    require(actor, Action.MANAGE_PEOPLE, municipality=municipality)
    columns = PERSON_COLUMNS
    source = _open(data, filename, columns, **limits)
    issues: list[ImportIssue] = []
    units = {u.code: u for u in OrgUnit.objects.filter(municipality=municipality)}
    parser = _Parser(columns)
    total = 0
    for row in source.rows():
        total += 1
        p = parser.parse(row, issues)
        if p is not None:
            _resolve_unit(p, "org_unit", units, columns, issues)
    del parser  # the numbers seen: the second pass needs them no more
    if issues:
        raise ImportRejected(issues)

    def items() -> Iterator[tuple[_Parsed, Person | None]]:
        again = _Parser(columns, unique=False)
        parsed = (again.parse(row, issues) for row in source.rows())
        for chunk in _chunks(p for p in parsed if p is not None):
            for p in chunk:
                _resolve_unit(p, "org_unit", units, columns, issues)
            people = {
                person.employee_number: person
                for person in Person.objects.filter(
                    municipality=municipality,
                    employee_number__in=[p.data["employee_number"] for p in chunk],
                ).select_related("org_unit")
            }
            for p in chunk:
                yield p, people.get(p.data["employee_number"])

    def save(item: tuple[_Parsed, Person | None]) -> str:
        p, person = item
        if person is None:
            services.create_person(actor, municipality, **p.data)
            return "created"
        if _same(person, p.data):
            return "unchanged"
        services.update_person(actor, person, **p.data)
        return "updated"

    return _run(
        actor,
        municipality,
        kind="person",
        filename=filename,
        items=items(),
        columns=columns,
        issues=issues,
        save=save,
        total=total,
        progress=progress,
    )


def _role_map(municipality: Municipality) -> tuple[dict[str, str], str]:
    """Every accepted spelling of a role → its code, and the Japanese names to suggest.

    Accepted: the code, the standard Japanese and English names, and the municipality's own
    names (``RoleDisplayName``), which win over a standard name spelt the same.
    """
    from .templatetags.isms_roles import role_labels

    found: dict[str, str] = {}
    for role in Role:
        found[role.value.casefold()] = role.value
        for lang in ("en", "ja"):
            with translation.override(lang):
                found[normalise(str(role.label)).casefold()] = role.value
    shown = role_labels(municipality, "ja")
    with translation.override("en"):
        for code, label in role_labels(municipality, "en").items():
            found[normalise(label).casefold()] = code
    for code, label in shown.items():
        found[normalise(label).casefold()] = code
    return found, "、".join(shown[r.value] for r in Role)


@dataclass(frozen=True)
class _Period:
    row: int
    start: datetime.date
    end: datetime.date | None


def _period_of(p: _Parsed, issues: list[ImportIssue]) -> _Period | None:
    """The row's period from its 年度 or its 開始日/終了日; the service's rules, checked early."""
    columns = ROLE_ASSIGNMENT_COLUMNS
    fiscal_year, start, end = (p.data.get(n) for n in ("fiscal_year", "start_date", "end_date"))

    def bad(name: str, message: str, fix: str) -> None:
        issues.append(ImportIssue(p.row.number, _column(columns, name).header, message, fix))

    if fiscal_year is not None:
        if start is not None or end is not None:
            bad(
                "fiscal_year",
                _("Give either a fiscal year or a start and end date, not both."),
                _("Empty either the fiscal year or the start and end dates."),
            )
            return None
        if not 2000 <= fiscal_year <= 2100:
            bad(
                "fiscal_year",
                _("Enter a fiscal year such as 2025."),
                _("Enter a fiscal year such as 2025, 令和7年度 or R7."),
            )
            return None
        lo, hi = fiscal_year_bounds(fiscal_year)
        return _Period(p.row.number, lo, hi)
    if start is None:
        bad(
            "start_date",
            _("Give a fiscal year or a start date."),
            _("Enter the fiscal year, or the start date (and the end date if there is one)."),
        )
        return None
    if end is not None and end < start:
        bad(
            "end_date",
            _("The end date must not be before the start date."),
            _("Correct the dates."),
        )
        return None
    return _Period(p.row.number, start, end)


def _overlaps_in_file(
    periods: dict[tuple[str, str, str], list[_Period]], issues: list[ImportIssue]
) -> None:
    """Refuse a person given the same role for the same unit twice over overlapping periods."""
    header = _column(ROLE_ASSIGNMENT_COLUMNS, "role").header
    for group in periods.values():
        reach: _Period | None = None  # the period reaching furthest so far
        for period in sorted(group, key=lambda g: (g.start, g.row)):
            if reach is not None and (reach.end is None or period.start <= reach.end):
                first, later = sorted((reach.row, period.row))
                issues.append(
                    ImportIssue(
                        later,
                        header,
                        _(
                            "Row %(row)s already gives this person this role for the same unit, "
                            "over a period that overlaps this one."
                        )
                        % {"row": first},
                        _(
                            "Delete one of the two rows, or change the periods so that they "
                            "do not overlap."
                        ),
                    )
                )
            if reach is None or (
                reach.end is not None and (period.end is None or period.end > reach.end)
            ):
                reach = period


def _unknown_person(row: Row) -> ImportIssue:
    return ImportIssue(
        row.number,
        _column(ROLE_ASSIGNMENT_COLUMNS, "person").header,
        _("No person of this municipality has this employee number."),
        _("Enter an employee number from the staff list, or import the staff first."),
    )


def import_role_assignments(
    actor: User,
    municipality: Municipality,
    data: bytes,
    filename: str,
    *,
    progress: Progress | None = None,
    **limits: int,
) -> ImportResult:
    """Assign the roles of a file through ``services.assign_role``; all or nothing.

    A row whose assignment is already registered exactly so (same person, role, unit, period
    and note) is unchanged; two rows giving a person the same role for the same unit over
    overlapping periods are refused, naming the other row; every rule of ``assign_role``
    (unit or none, abolished units, overlap with a registered assignment, 兼務の禁止) is
    reported on its row.
    """
    require(actor, Action.MANAGE_ROLES, municipality=municipality)
    columns = ROLE_ASSIGNMENT_COLUMNS
    roles, role_names = _role_map(municipality)
    rows = read_rows(data, filename, columns, **limits)
    issues: list[ImportIssue] = []
    parser = _Parser(columns, unique=False, roles=roles, role_names=role_names)
    parsed = [p for p in (parser.parse(r, issues) for r in rows) if p is not None]
    units = {u.code: u for u in OrgUnit.objects.filter(municipality=municipality)}
    people: dict[str, Person] = {}
    for chunk in _chunks({p.data["person"] for p in parsed}):
        people.update(
            (person.employee_number, person)
            for person in Person.objects.filter(
                municipality=municipality, employee_number__in=chunk
            )
        )
    periods: dict[tuple[str, str, str], list[_Period]] = {}
    checked: list[tuple[_Parsed, _Period]] = []
    for p in parsed:
        before = len(issues)
        if p.data["person"] not in people:
            issues.append(_unknown_person(p.row))
        _resolve_unit(p, "org_unit", units, columns, issues)
        period = _period_of(p, issues)
        if period is not None:
            key = (p.data["person"], p.data["role"], p.unit_codes.get("org_unit", ""))
            periods.setdefault(key, []).append(period)
        if len(issues) == before and period is not None:
            checked.append((p, period))
    _overlaps_in_file(periods, issues)
    if issues:
        raise ImportRejected(issues)
    registered: set[tuple[Any, ...]] = set()
    for chunk in _chunks({people[p.data["person"]].pk for p, _period in checked}):
        registered.update(
            RoleAssignment.objects.filter(person_id__in=chunk).values_list(
                "person_id", "role", "org_unit_id", "start_date", "end_date", "note"
            )
        )

    def save(item: tuple[_Parsed, _Period]) -> str:
        p, period = item
        person, unit, note = (
            people[p.data["person"]],
            p.data.get("org_unit"),
            p.data.get("note", ""),
        )
        key = (person.pk, p.data["role"], unit.pk if unit else None, period.start, period.end)
        if (*key, note) in registered:
            return "unchanged"
        services.assign_role(
            actor,
            person,
            p.data["role"],
            org_unit=unit,
            fiscal_year=p.data.get("fiscal_year"),
            start_date=p.data.get("start_date"),
            end_date=p.data.get("end_date"),
            note=note,
        )
        return "created"

    return _run(
        actor,
        municipality,
        kind="role_assignment",
        filename=filename,
        items=checked,
        columns=columns,
        issues=issues,
        save=save,
        total=len(checked),
        progress=progress,
    )


# --- exporting -------------------------------------------------------------------------------


def _cell(column: Column, value: Any) -> str:
    if value is None:
        return ""
    if column.kind == "bool":
        return YES if value else NO
    if column.kind == "choice":
        return _choice_label(column.choices, value)
    if column.kind == "date":
        return str(value.isoformat())
    return str(value)


def org_unit_rows(units: Iterable[OrgUnit]) -> list[list[str]]:
    """The export rows of ``units`` (current units only; parents before children)."""
    units = [u for u in units if u.abolished_on is None]
    by_parent: dict[int | None, list[OrgUnit]] = {}
    for u in units:
        by_parent.setdefault(u.parent_id, []).append(u)
    codes = {u.pk: u.code for u in units}
    ordered: list[OrgUnit] = []

    def walk(parent: int | None) -> None:
        for u in by_parent.get(parent, []):
            ordered.append(u)
            walk(u.pk)

    walk(None)
    ordered += [u for u in units if u not in ordered]  # under an abolished parent
    out = []
    for u in ordered:
        row = []
        for c in ORG_UNIT_COLUMNS:
            value = codes.get(u.parent_id, "") if c.field == "parent" else getattr(u, c.field)
            row.append(_cell(c, value))
        out.append(row)
    return out


def person_rows(people: Iterable[Person]) -> list[list[str]]:
    """The export rows of ``people``."""
    out = []
    for p in people:
        row = []
        for c in PERSON_COLUMNS:
            if c.field == "org_unit":
                row.append(p.org_unit.code if p.org_unit else "")
            else:
                row.append(_cell(c, getattr(p, c.field)))
        out.append(row)
    return out


def role_assignment_rows(
    assignments: Iterable[RoleAssignment], labels: dict[str, str]
) -> list[list[str]]:
    """The export rows of ``assignments`` (with ``person`` and ``org_unit`` selected).

    ``labels`` are the role names as the municipality shows them in Japanese. An assignment for
    a whole fiscal year is written as its 年度 (令和7年度); any other period, including a year
    ended early, as its start and end dates.
    """
    out = []
    for a in assignments:
        whole_year = a.fiscal_year is not None and (a.start_date, a.end_date) == (
            fiscal_year_bounds(a.fiscal_year)
        )
        out.append(
            [
                a.person.employee_number,
                labels.get(a.role, a.role),
                a.org_unit.code if a.org_unit else "",
                wareki_fiscal_year(a.fiscal_year) if whole_year else "",
                "" if whole_year else a.start_date.isoformat(),
                "" if whole_year or a.end_date is None else a.end_date.isoformat(),
                a.note,
            ]
        )
    return out


# A cell starting with one of these is a formula to Excel (CSV injection); export prefixes it
# with an apostrophe, which Excel hides and import removes again.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _guard(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _unguard(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_START) else value


def export_csv(columns: tuple[Column, ...], rows: Iterable[list[str]]) -> bytes:
    """CSV in UTF-8 with BOM (Excel opens it correctly), Japanese headers first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.header for c in columns])
    writer.writerows([_guard(v) for v in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def export_xlsx(columns: tuple[Column, ...], rows: Iterable[list[str]], title: str) -> bytes:
    """An Excel workbook of one sheet; every cell a string (codes keep their leading zeros)."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append([c.header for c in columns])
    for row in rows:
        sheet.append(row)
    for cells in sheet.iter_rows(min_row=2):
        for c in cells:
            c.data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
