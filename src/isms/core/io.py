"""Import and export of org units and people: CSV (UTF-8 with or without BOM, CP932) and Excel.

One column map per kind (``ORG_UNIT_COLUMNS``, ``PERSON_COLUMNS``) names each Japanese header
and its field; export, the template and import all read it. :func:`read_rows` turns an upload
into numbered rows; :func:`import_org_units` and :func:`import_people` check every row, then run
each one through the normal create/update service inside one transaction, and write one more
journal entry for the import itself. Any error means nothing is saved: the errors come back as
:class:`ImportIssue` (row, column, message, how to fix) in :class:`ImportRejected`.

>>> parse_date("令和7年4月1日"), parse_date("Ｒ７．４．１")
(datetime.date(2025, 4, 1), datetime.date(2025, 4, 1))
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from . import journal, services
from .models import Municipality, OrgUnit, Person, User
from .permissions import Action, require

__all__ = [
    "MAX_BYTES",
    "MAX_ROWS",
    "ORG_UNIT_COLUMNS",
    "PERSON_COLUMNS",
    "Column",
    "ImportIssue",
    "ImportRejected",
    "ImportResult",
    "check_size",
    "export_csv",
    "export_xlsx",
    "import_org_units",
    "import_people",
    "org_unit_rows",
    "parse_date",
    "person_rows",
    "read_rows",
]

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
# Excel files are zip archives: bound what they unpack to, and the sheet's extent, before
# openpyxl builds cells (a 5 KB workbook naming cell XFD1048576 would otherwise fill memory).
MAX_XLSX_UNPACKED = 64 * 1024 * 1024
MAX_COLUMNS = 50
XLSX_SUFFIXES = (".xlsx", ".xlsm")


# --- the column maps -------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a file: its Japanese header, the model field and how to read a cell."""

    header: str
    field: str
    kind: str  # text, code, choice, bool, int, date, unit
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


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        raise UnicodeDecodeError("utf-16", data[:2], 0, 1, "UTF-16 is not accepted")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp932")


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


def _read_xlsx(data: bytes) -> list[tuple[int, list[str]]]:
    import openpyxl  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
    from openpyxl.utils.exceptions import (  # type: ignore[import-untyped]
        InvalidFileException,
    )

    too_big = _file_issue(
        _("The workbook is too large: at most %(rows)s rows and %(cols)s columns are read.")
        % {"rows": f"{MAX_ROWS:,}", "cols": MAX_COLUMNS},
        _("Delete unused rows and columns (also empty formatted ones), or save it as CSV."),
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNPACKED:
                raise too_big
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise _file_issue(
            _("The file cannot be read as an Excel workbook."),
            _("Save it again as an Excel workbook (.xlsx) or as CSV."),
        ) from exc
    sheet = book.worksheets[0]
    if sheet.max_row > MAX_ROWS + 1 or sheet.max_column > MAX_COLUMNS:
        raise too_big
    header = [_cell_text(c.value) for c in next(sheet.iter_rows(min_row=1, max_row=1), ())]

    def column_of(index: int) -> str:
        return (
            header[index - 1]
            if index - 1 < len(header) and header[index - 1]
            else (get_column_letter(index))
        )

    issues = [
        ImportIssue(
            r.min_row,
            column_of(r.min_col),
            _("Merged cells (%(range)s) cannot be imported.") % {"range": r.coord},
            _("Unmerge the cells and put one value in each cell."),
        )
        for r in sheet.merged_cells.ranges
    ]
    rows: list[tuple[int, list[str]]] = []
    for cells in sheet.iter_rows():
        values = []
        for c in cells:
            if c.data_type == "f" or (isinstance(c.value, str) and c.value.startswith("=")):
                issues.append(
                    ImportIssue(
                        c.row,
                        column_of(c.column),
                        _("The cell holds a formula, not a value."),
                        _("Replace the formula by its value (copy, then paste values only)."),
                    )
                )
            values.append(_cell_text(c.value))
        if cells:
            rows.append((cells[0].row, values))
    if issues:
        raise ImportRejected(issues)
    return rows


def _read_csv(data: bytes) -> list[tuple[int, list[str]]]:
    try:
        text = _decode(data)
    except UnicodeDecodeError as exc:
        raise _file_issue(
            _("The file is neither UTF-8 nor Shift_JIS (CP932) text."),
            _("Save the file as CSV in UTF-8 or Shift_JIS (CP932), for example from Excel."),
        ) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return [(reader.line_num, [_unguard(v.strip()) for v in values]) for values in reader]
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
    check_size(len(data), max_bytes=max_bytes)
    table = _read_xlsx(data) if filename.lower().endswith(XLSX_SUFFIXES) else _read_csv(data)
    table = [(n, values) for n, values in table if any(values)]
    if not table:
        raise _file_issue(
            _("The file has no header row."),
            _("Start from the template, which has the headers in its first row."),
        )
    header_number, header = table[0]
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
    body = table[1:]
    if len(body) > max_rows:
        raise _file_issue(
            _("The file has more than %(count)s rows.") % {"count": f"{max_rows:,}"},
            _("Split the file into smaller files and import them one after another."),
        )
    return [
        Row(n, {h: (values[i] if i < len(values) else "") for h, i in positions.items()})
        for n, values in body
    ]


# --- checking rows ---------------------------------------------------------------------------


@dataclass
class _Parsed:
    row: Row
    data: dict[str, Any]
    unit_codes: dict[str, str]  # field → code of a unit column


def _parse_rows(
    rows: list[Row], columns: tuple[Column, ...], issues: list[ImportIssue]
) -> list[_Parsed]:
    choice_maps = {c.field: _choice_map(c.choices) for c in columns if c.kind == "choice"}
    key = columns[0]
    seen: dict[str, int] = {}
    parsed = []
    for row in rows:
        data: dict[str, Any] = {}
        codes: dict[str, str] = {}
        ok = True

        def bad(column: Column, message: str, fix: str, row: Row = row) -> None:
            nonlocal ok
            ok = False
            issues.append(ImportIssue(row.number, column.header, message, fix))

        for c in columns:
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
                found = choice_maps[c.field].get(value.casefold())
                if found is None:
                    with translation.override("ja"):
                        labels = "、".join(str(label) for _v, label in c.choices.choices)
                    bad(
                        c,
                        _("This is not one of the allowed values."),
                        _("Enter one of: %(values)s.") % {"values": labels},
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
            elif c.kind == "unit":
                codes[c.field] = value
                data[c.field] = None
        if key.header in row.cells and data.get(key.field):
            first = seen.get(data[key.field])
            if first is not None:
                bad(
                    key,
                    _("The same %(column)s is already on row %(row)s.")
                    % {"column": key.header, "row": first},
                    _("Delete one of the two rows, or correct the value."),
                )
            else:
                seen[data[key.field]] = row.number
        if ok:
            parsed.append(_Parsed(row, data, codes))
    return parsed


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
    items: list[tuple[_Parsed, Any]],
    columns: tuple[Column, ...],
    issues: list[ImportIssue],
    save: Any,
) -> ImportResult:
    """Save every row through ``save`` in one transaction; roll all back on any error."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    with transaction.atomic():
        for item in items:
            try:
                outcome = save(item)
            except ValidationError as exc:
                issues.extend(_service_issues(item[0].row, columns, exc))
                continue
            counts[outcome] += 1
        if issues:
            raise ImportRejected(issues)  # rolls back every row saved above
        journal.record(
            actor=actor,
            action=f"{kind}.import",
            municipality=municipality,
            object_type="import",
            after={"file": filename, **counts},
        )
    return ImportResult(**counts)


def _same(obj: Any, data: dict[str, Any]) -> bool:
    return all(getattr(obj, name) == value for name, value in data.items())


# --- importing -------------------------------------------------------------------------------


def import_org_units(
    actor: User, municipality: Municipality, data: bytes, filename: str, **limits: int
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
    )


def import_people(
    actor: User, municipality: Municipality, data: bytes, filename: str, **limits: int
) -> ImportResult:
    """Register or update the people of a file, keyed by 職員番号; all or nothing."""
    require(actor, Action.MANAGE_PEOPLE, municipality=municipality)
    columns = PERSON_COLUMNS
    rows = read_rows(data, filename, columns, **limits)
    issues: list[ImportIssue] = []
    parsed = _parse_rows(rows, columns, issues)
    units = {u.code: u for u in OrgUnit.objects.filter(municipality=municipality)}
    unit_col = _column(columns, "org_unit")
    for p in parsed:
        code = p.unit_codes.get("org_unit")
        if code:
            if code in units:
                p.data["org_unit"] = units[code]
            else:
                issues.append(_unknown_unit(p.row, unit_col))
    if issues:
        raise ImportRejected(issues)
    people = {
        p.employee_number: p
        for p in Person.objects.filter(
            municipality=municipality,
            employee_number__in=[p.data["employee_number"] for p in parsed],
        )
    }

    def save(item: tuple[_Parsed, Any]) -> str:
        p, _unused = item
        person = people.get(p.data["employee_number"])
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
        items=[(p, None) for p in parsed],
        columns=columns,
        issues=issues,
        save=save,
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
