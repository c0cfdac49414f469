"""Excel export and import of the control catalog (対策基準).

One sheet, one row per control, Japanese headers (:data:`CATALOG_COLUMNS`). The 章 and 節 cells
hold the number and the title ("4 物理的セキュリティ", "4.1 サーバ等の管理"); on import a bare
number ("4.1") takes its title from the version the import starts from. Roles, segments and
classes are listed by their Japanese names (or codes), separated by "、".

An import is a NEW draft version made from the current one (:func:`services.create_version`):
every row is checked first, and any problem rejects the whole file with the row, the column,
what is wrong and how to fix it (:class:`isms.core.io.ImportRejected`); nothing is saved.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from isms.core.io import (
    NO,
    YES,
    Column,
    ImportIssue,
    ImportRejected,
    export_xlsx,
    read_rows,
)
from isms.core.models import Municipality, User

from . import catalog, services
from .models import ControlStandard
from .services import ControlRow, SectionRow

__all__ = [
    "CATALOG_COLUMNS",
    "MAX_BYTES",
    "MAX_ROWS",
    "export_catalog",
    "import_catalog",
    "parse_catalog",
]

CATALOG_COLUMNS = (
    Column("章", "chapter", "text", required=True),
    Column("節", "section", "text", required=True),
    Column("項目ID", "code", "text", required=True),
    Column("遵守事項", "requirement", "text", required=True),
    Column("判断基準", "criteria", "text"),
    Column("対象の役割", "roles", "text"),
    Column("対象のセグメント", "segments", "text"),
    Column("対象の分類", "classes", "text"),
    Column("ガイドラインの節", "guideline_section", "text"),
    Column("確度", "confidence", "text"),
    Column("重点項目", "is_key_item", "text"),
)
_H = {c.field: c.header for c in CATALOG_COLUMNS}

# A catalog has a few hundred controls; a file far beyond that is refused before reading.
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
SEPARATOR = "、"

_HEADING = re.compile(r"^\s*([0-9０-９]{1,2}(?:[.．][0-9A-Za-z０-９]{1,3})?)\s*(.*)$", re.S)
_YES = {"はい", "yes", "true", "1", "○", "〇", "◯", "y", "重点"}
_NO = {"いいえ", "no", "false", "0", "×", "n", ""}


def _confidence_label(code: str) -> str:
    return catalog.CONFIDENCE_LABELS_JA.get(code, code)


def _rows(standard: ControlStandard) -> Iterator[list[str]]:
    chapters = {s.chapter: s for s in standard.sections.all() if "." not in s.number}
    for c in standard.controls.select_related("section").order_by("position"):
        chapter = chapters.get(c.section.chapter)
        yield [
            f"{chapter.number} {chapter.title}" if chapter else str(c.section.chapter),
            f"{c.section.number} {c.section.title}",
            c.code,
            c.requirement,
            c.criteria,
            SEPARATOR.join(catalog.labels("roles", list(c.applies_to_roles))),
            SEPARATOR.join(catalog.labels("segments", list(c.applies_to_segments))),
            SEPARATOR.join(catalog.labels("classes", list(c.applies_to_classes))),
            c.guideline_section,
            _confidence_label(c.confidence),
            YES if c.is_key_item else NO,
        ]


def export_catalog(standard: ControlStandard) -> bytes:
    """Return ``standard`` as an Excel workbook (.xlsx), one row per control."""
    return export_xlsx(CATALOG_COLUMNS, _rows(standard), "対策基準")


def export_filename(standard: ControlStandard) -> str:
    safe = re.sub(r"[^0-9A-Za-z._-]+", "_", standard.version) or "version"
    return f"control-standard-{safe}.xlsx"


@dataclass
class ParsedCatalog:
    sections: list[SectionRow]
    controls: list[ControlRow]


def _heading(text: str) -> tuple[str, str] | None:
    m = _HEADING.match(text)
    if m is None:
        return None
    number = unicodedata.normalize("NFKC", m.group(1))
    return number, m.group(2).strip()


def _issue(row: int, field: str, message: str, fix: str) -> ImportIssue:
    return ImportIssue(row, _H[field], message, fix)


def _read_names(kind: str, field: str, row: int, text: str, issues: list[ImportIssue]) -> list[str]:
    codes, unknown = catalog.parse_names(kind, text)
    if unknown:
        known = SEPARATOR.join(catalog.labels(kind, list(catalog.valid_codes(kind))))
        issues.append(
            _issue(
                row,
                field,
                _("Unknown name(s): %(names)s.") % {"names": SEPARATOR.join(unknown)},
                _("Use these names, separated by 、: %(known)s.") % {"known": known},
            )
        )
    return codes


def parse_catalog(
    data: bytes, filename: str, *, base: ControlStandard | None = None
) -> ParsedCatalog:
    """Read and check an uploaded workbook; raise :class:`ImportRejected` listing every problem.

    ``base`` is the version the import starts from: a 章 or 節 cell holding only a number
    takes its title from there.
    """
    if not filename.lower().endswith(".xlsx") or not data.startswith(b"PK\x03\x04"):
        raise ImportRejected(
            [
                ImportIssue(
                    None,
                    "",
                    _("The file is not an Excel workbook (.xlsx)."),
                    _("Export the catalog, edit it in Excel and save it as .xlsx."),
                )
            ]
        )
    rows = read_rows(data, filename, CATALOG_COLUMNS, max_bytes=MAX_BYTES, max_rows=MAX_ROWS)
    known_titles: dict[str, str] = {}
    if base is not None:
        known_titles = {s.number: s.title for s in base.sections.all()}
    issues: list[ImportIssue] = []
    titles: dict[str, tuple[str, int]] = {}  # number → (title, first row)
    controls: list[ControlRow] = []
    codes: dict[str, int] = {}

    def section_cell(field: str, row: int, text: str, *, chapter: str | None) -> str | None:
        head = _heading(text)
        if head is None:
            issues.append(
                _issue(
                    row,
                    field,
                    _("“%(text)s” does not start with a number such as 4 or 4.1.")
                    % {"text": text[:40]},
                    _("Write the number, then the title, e.g. “4.1 サーバ等の管理”."),
                )
            )
            return None
        number, title = head
        is_section = "." in number
        if (field == "section") != is_section:
            issues.append(
                _issue(
                    row,
                    field,
                    (
                        _("“%(number)s” is not a section number.")
                        if field == "section"
                        else _("“%(number)s” is not a chapter number.")
                    )
                    % {"number": number},
                    _("Write the chapter as 4 and the section as 4.1."),
                )
            )
            return None
        if chapter is not None and number.split(".")[0] != chapter:
            issues.append(
                _issue(
                    row,
                    field,
                    _("Section %(number)s is not in chapter %(chapter)s.")
                    % {"number": number, "chapter": chapter},
                    _("Put the section under its chapter, or correct the numbers."),
                )
            )
            return None
        if not title:
            title = known_titles.get(number, "")
            if not title and number not in titles:
                issues.append(
                    _issue(
                        row,
                        field,
                        _("Unknown section %(number)s: it is not in the current catalog.")
                        % {"number": number},
                        _("Write its title after the number to add it, e.g. “%(number)s 題名”.")
                        % {"number": number},
                    )
                )
                return None
        if len(title) > services.MAX_TITLE:
            issues.append(
                _issue(
                    row,
                    field,
                    _("The title is longer than %(max)s characters.") % {"max": services.MAX_TITLE},
                    _("Shorten the title."),
                )
            )
            return None
        if title:
            seen = titles.get(number)
            if seen is None:
                titles[number] = (title, row)
            elif seen[0] != title:
                issues.append(
                    _issue(
                        row,
                        field,
                        _("%(number)s is titled “%(title)s” here but “%(other)s” in row %(row)s.")
                        % {"number": number, "title": title, "other": seen[0], "row": seen[1]},
                        _("Give it the same title in every row."),
                    )
                )
        return number

    for r in rows:
        n = r.number
        cells = {field: r.cells.get(header, "") for field, header in _H.items()}
        chapter = section_cell("chapter", n, cells["chapter"], chapter=None)
        section = section_cell("section", n, cells["section"], chapter=chapter)
        code = unicodedata.normalize("NFKC", cells["code"]).strip()
        if not code:
            issues.append(
                _issue(n, "code", _("The control ID is empty."), _("Write an ID such as 4.1.3."))
            )
        elif not services.CODE_PATTERN.match(code):
            issues.append(
                _issue(
                    n,
                    "code",
                    _("“%(code)s” is not a valid control ID.") % {"code": code[:40]},
                    _("Use 1–20 letters, digits, dots or hyphens, e.g. 4.1.3."),
                )
            )
        elif code in codes:
            issues.append(
                _issue(
                    n,
                    "code",
                    _("The control ID %(code)s is already used in row %(row)s.")
                    % {"code": code, "row": codes[code]},
                    _("Give each control its own ID."),
                )
            )
        else:
            codes[code] = n
        requirement = cells["requirement"].strip()
        if not requirement:
            issues.append(
                _issue(
                    n,
                    "requirement",
                    _("The requirement is empty."),
                    _("Write what must be done (遵守事項)."),
                )
            )
        for field in ("requirement", "criteria"):
            if len(cells[field]) > services.MAX_TEXT:
                issues.append(
                    _issue(
                        n,
                        field,
                        _("The text is longer than %(max)s characters.")
                        % {"max": services.MAX_TEXT},
                        _("Shorten the text or split the control in two."),
                    )
                )
        roles = _read_names("roles", "roles", n, cells["roles"], issues)
        segments = _read_names("segments", "segments", n, cells["segments"], issues)
        classes = _read_names("classes", "classes", n, cells["classes"], issues)
        guideline = unicodedata.normalize("NFKC", cells["guideline_section"]).strip()
        if len(guideline) > 20:
            issues.append(
                _issue(
                    n,
                    "guideline_section",
                    _("The guideline section is longer than 20 characters."),
                    _("Write only the number, e.g. 4.1."),
                )
            )
        confidence = _confidence(cells["confidence"])
        if confidence is None:
            issues.append(
                _issue(
                    n,
                    "confidence",
                    _("“%(text)s” is not a confidence.") % {"text": cells["confidence"][:40]},
                    _("Write 確認済み, 想起 or 不確か (empty: 想起)."),
                )
            )
        key = _key_item(cells["is_key_item"])
        if key is None:
            issues.append(
                _issue(
                    n,
                    "is_key_item",
                    _("“%(text)s” is neither yes nor no.") % {"text": cells["is_key_item"][:40]},
                    _("Write はい for a key item, else いいえ or nothing."),
                )
            )
        if section is not None:
            controls.append(
                ControlRow(
                    code=code,
                    section=section,
                    requirement=requirement,
                    criteria=cells["criteria"].strip(),
                    roles=roles,
                    segments=segments,
                    classes=classes,
                    guideline_section=guideline,
                    confidence=confidence or "recalled",
                    is_key_item=bool(key),
                )
            )
    if not rows:
        issues.append(
            ImportIssue(
                None,
                "",
                _("The file has no controls."),
                _("Add one row per control under the header row."),
            )
        )
    if issues:
        raise ImportRejected(issues)
    sections = [SectionRow(number, title) for number, (title, _row) in titles.items()]
    for number in {c.section for c in controls} | set(titles):
        chapter = number.split(".")[0]
        if chapter not in titles:
            sections.append(SectionRow(chapter, known_titles.get(chapter, chapter)))
            titles[chapter] = (known_titles.get(chapter, chapter), 0)
    return ParsedCatalog(sections=sections, controls=controls)


def _confidence(text: str) -> str | None:
    t = unicodedata.normalize("NFKC", text).strip().casefold()
    if not t:
        return "recalled"
    for code, label in catalog.CONFIDENCE_LABELS_JA.items():
        if t in {code, label.casefold()}:
            return code
    return None


def _key_item(text: str) -> bool | None:
    t = unicodedata.normalize("NFKC", text).strip().casefold()
    if t in _YES:
        return True
    if t in _NO:
        return False
    return None


def import_catalog(
    actor: User | None,
    municipality: Municipality,
    data: bytes,
    filename: str,
    *,
    version: str,
    title: str = "",
    note: str = "",
) -> ControlStandard:
    """Import a workbook as a new draft version made from the current one. All or nothing."""
    base = services.current_standard(municipality)
    parsed = parse_catalog(data, filename, base=base)
    try:
        return services.create_version(
            actor,
            municipality,
            version=version,
            title=title or (base.title if base is not None else _("Control standard")),
            sections=parsed.sections,
            controls=parsed.controls,
            previous=base,
            guideline_edition=base.guideline_edition if base is not None else "",
            note=note,
            source=filename[:100],
        )
    except ValidationError as exc:
        raise ImportRejected(
            ImportIssue(None, _field_header(name), message, "")
            for name, messages in exc.message_dict.items()
            for message in messages
        ) from exc


def _field_header(name: str) -> str:
    return {"version": "版", "title": "題名"}.get(name, "")
