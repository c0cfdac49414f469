"""Excel export of a campaign's results (Japanese headers, one sheet per view)."""

from __future__ import annotations

import io as _io

from django.utils.translation import gettext as _
from openpyxl import Workbook

from .results import Rate, Results


def _rate_rows(rows: list[Rate]) -> list[list[object]]:
    return [
        [
            r.label,
            r.implemented,
            r.partial,
            r.not_implemented,
            r.not_applicable,
            r.rate,
            r.last_year,
            r.change,
        ]
        for r in rows
    ]


def results_xlsx(r: Results) -> bytes:
    """The results as a workbook: progress, 部, 課, chapters and the weakest controls."""
    wb = Workbook()
    progress = wb.active
    progress.title = _("Progress")
    progress.append(
        [
            _("unit"),
            _("sheets"),
            _("Not started"),
            _("Being answered"),
            _("Submitted"),
            _("Approved"),
            _("Returned"),
            _("submitted (%)"),
        ]
    )
    for p in r.progress:
        progress.append(
            [
                p.label,
                p.total,
                p.not_started,
                p.in_progress,
                p.submitted,
                p.approved,
                p.returned,
                p.done_percent,
            ]
        )
    head = [
        _("Implemented"),
        _("Partly implemented"),
        _("Not implemented"),
        _("Not applicable"),
        _("implementation rate (%)"),
        _("last year (%)"),
        _("change (points)"),
    ]
    for title, first, rows in (
        (_("By bureau"), _("bureau"), r.by_bureau),
        (_("By division"), _("unit"), r.by_unit),
        (_("By chapter"), _("chapter"), r.by_chapter),
        (_("Weakest controls"), _("control"), r.weakest),
    ):
        sheet = wb.create_sheet(title)
        sheet.append([first, *head])
        for row in _rate_rows(rows):
            sheet.append(row)
    out = _io.BytesIO()
    wb.save(out)
    return out.getvalue()
