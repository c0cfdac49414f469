"""Pages of the compliance dashboard (``/audits/dashboard/``), its drill-down and the 監査報告書
of a plan for the 情報セキュリティ委員会 (PDF).

Whoever may ``VIEW_ALL_AUDITS`` sees the whole municipality; the 管理者/責任者 of a unit see their
units (and those below); anyone else gets a 403. The drill-down lists only the answers and audit
items the viewer may see (``inspections.visibility``, ``audits.visibility``). The report is for
``VIEW_ALL_AUDITS`` holders, and its export is journaled.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from isms.core import journal, permissions
from isms.core.calendar import wareki_fiscal_year
from isms.core.models import Municipality, OrgUnit, User
from isms.core.pdf import PdfUnavailable, render_pdf
from isms.core.permissions import Action

from . import dashboard as figures
from . import visibility
from .models import AuditPlan

PDF_TYPE = "application/pdf"
MIN_FISCAL_YEAR, MAX_FISCAL_YEAR = 2000, 2100


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _municipality(request: HttpRequest, action: Action) -> Municipality:
    municipality: Municipality | None = request.municipality  # type: ignore[attr-defined]
    if municipality is None or not permissions.can(
        _user(request), action, municipality=municipality
    ):
        raise PermissionDenied
    return municipality


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _fiscal_year(request: HttpRequest) -> int:
    """``fy`` if it is a plausible fiscal year, else the one selected in the header."""
    fy = _int(request.GET.get("fy"))
    if fy is None or not MIN_FISCAL_YEAR <= fy <= MAX_FISCAL_YEAR:
        return int(request.fiscal_year)  # type: ignore[attr-defined]
    return fy


def _unit(
    request: HttpRequest, municipality: Municipality, scope: frozenset[int] | None
) -> OrgUnit | None:
    """The ``unit`` asked for: None if none; 404 if it is not one the viewer may see."""
    raw = request.GET.get("unit", "")
    if raw == "":
        return None
    unit_id = _int(raw)
    unit = figures.unit_in_scope(municipality, scope, unit_id) if unit_id else None
    if unit is None:
        raise Http404
    return unit


def _links(d: figures.Dashboard, fy: int) -> None:
    """Each unit to its chapters, each cell to its drill-down."""
    base = reverse("audits:dashboard_drill")
    for r in d.units:
        r.href = "?" + urlencode({"fy": fy, "unit": r.key})
        for c in r.cells:
            c.href = f"{base}?{urlencode({'fy': c.fiscal_year, 'unit': r.key})}"
    for r in d.chapters:
        for c in r.cells:
            query: dict[str, int] = {"fy": c.fiscal_year, "chapter": r.key}
            if d.unit is not None:
                query["unit"] = d.unit.pk
            c.href = f"{base}?{urlencode(query)}"


@login_required
@require_GET
def dashboard(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    municipality = _municipality(request, Action.VIEW_AUDITS)
    scope = figures.viewer_scope(_user(request), municipality)
    unit = _unit(request, municipality, scope)
    fy = _fiscal_year(request)
    d = figures.build(municipality, fy, scope, unit=unit)
    _links(d, fy)
    return render(
        request,
        "audits/dashboard.html",
        {
            "d": d,
            "fy": fy,
            "fiscal_year_label": wareki_fiscal_year(fy),
            "year_labels": [(y, wareki_fiscal_year(y)) for y in d.years],
            "whole": scope is None,
        },
    )


@login_required
@require_GET
def drill(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    municipality = _municipality(request, Action.VIEW_AUDITS)
    user = _user(request)
    scope = figures.viewer_scope(user, municipality)
    unit = _unit(request, municipality, scope)
    raw_chapter = request.GET.get("chapter", "")
    chapter = _int(raw_chapter)
    if raw_chapter and (chapter is None or not 0 <= chapter <= 999):
        raise Http404
    fy = _fiscal_year(request)
    context: dict[str, Any] = {
        "fy": fy,
        "fiscal_year_label": wareki_fiscal_year(fy),
        "unit": unit,
        "chapter": chapter,
        "drill": None,
    }
    if unit is not None or chapter is not None:
        context["drill"] = figures.drill(user, municipality, fy, scope, unit, chapter)
    return render(request, "audits/drill.html", context)


def report_context(plan: AuditPlan) -> dict[str, Any]:
    """What the 監査報告書 shows (the page and the API render the same PDF)."""
    audits = figures.plan_report(plan)
    return {
        "plan": plan,
        "municipality": plan.municipality,
        "fiscal_year_label": wareki_fiscal_year(plan.fiscal_year),
        "today": timezone.localdate(),
        "audits": audits,
    }


def report_pdf(user: User, plan: AuditPlan) -> bytes:
    """Render the report of ``plan`` and journal the export (raises ``PdfUnavailable``)."""
    pdf = render_pdf("audits/report_pdf.html", report_context(plan))
    journal.record_read(actor=user, obj=plan, action="audit_report.export")
    return pdf


def report_response(pdf: bytes, plan: AuditPlan) -> HttpResponse:
    response = HttpResponse(pdf, content_type=PDF_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="audit-report-{plan.fiscal_year}-{plan.pk}.pdf"'
    )
    return response


def visible_plan(user: User, municipality: Municipality, pk: int) -> AuditPlan:
    """The plan ``pk`` for its report: ``VIEW_ALL_AUDITS`` (403), then the record (404)."""
    if not visibility.sees_all(user, municipality.pk):
        raise PermissionDenied
    return get_object_or_404(
        visibility.visible_plans(user)
        .filter(municipality=municipality)
        .select_related("municipality", "standard", "approved_by", "prepared_by"),
        pk=pk,
    )


@login_required
@require_GET
def plan_report(request: HttpRequest, pk: int) -> HttpResponse:
    municipality = _municipality(request, Action.VIEW_ALL_AUDITS)
    plan = visible_plan(_user(request), municipality, pk)
    try:
        pdf = report_pdf(_user(request), plan)
    except PdfUnavailable as exc:
        messages.error(request, str(exc))
        return redirect("audits:plan_detail", pk=plan.pk)
    return report_response(pdf, plan)
