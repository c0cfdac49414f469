"""API of the compliance dashboard and the 監査報告書 (``/api/v1/audit-dashboard``,
``/api/v1/audit-plans/{id}/report``).

The same rules as the pages (``views_dashboard``): whoever may ``VIEW_ALL_AUDITS`` reads the whole
municipality, a unit's 管理者/責任者 their units (and those below), anyone else gets a 403; a
``unit_id`` out of the caller's sight is a 404. The report is ``VIEW_ALL_AUDITS`` only, its export
journaled; a machine that cannot render Japanese PDF answers 503 with the reason.

- ``GET /audit-dashboard?fy=&unit_id=&municipality_id=``: the five fiscal years up to ``fy``
  (default: the current one): per unit and per chapter, the self-inspection implementation
  rate, the audit conformity rate, findings by severity, open and overdue;
- ``GET /audit-plans/{plan_id}/report``: the PDF.

(No ``from __future__ import annotations``: django-ninja reads the annotations at import time.)
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from isms.core import permissions
from isms.core.models import Municipality, User
from isms.core.pdf import PdfUnavailable
from isms.core.permissions import Action

from . import dashboard as figures
from . import views_dashboard, visibility

__all__ = ["router"]

router = Router(tags=["audits"])


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


class DashboardFilter(Schema):
    fy: int | None = Field(None, ge=2000, le=2100)
    unit_id: int | None = None
    municipality_id: int | None = None


def _municipality(request: HttpRequest, municipality_id: int | None) -> Municipality:
    """The municipality named (or the user's own) whose audits the user may see; 404 else."""
    user = _user(request)
    permissions.require(user, Action.VIEW_AUDITS)
    allowed = permissions.scope(user, Action.VIEW_AUDITS, Municipality.objects.all())
    mid = municipality_id or user.municipality_id  # type: ignore[attr-defined]
    if mid is None:
        # A service administrator of one municipality need not name it.
        ids = list(allowed.values_list("pk", flat=True)[:2])
        if len(ids) != 1:
            raise ValidationError(
                {"municipality_id": _("Give the id of the municipality whose figures you want.")}
            )
        mid = ids[0]
    return get_object_or_404(allowed, pk=mid)


@router.get("/audit-dashboard", response=dict[str, Any])
def audit_dashboard(request: HttpRequest, filters: Query[DashboardFilter]) -> Any:
    municipality = _municipality(request, filters.municipality_id)
    scope = figures.viewer_scope(_user(request), municipality)
    unit = None
    if filters.unit_id is not None:
        unit = figures.unit_in_scope(municipality, scope, filters.unit_id)
        if unit is None:
            raise Http404
    fy = filters.fy if filters.fy is not None else figures.today_fiscal_year()
    return figures.build(municipality, fy, scope, unit=unit).as_dict()


@router.get("/audit-plans/{plan_id}/report", response={200: None, 503: dict[str, str]})
def audit_plan_report(request: HttpRequest, plan_id: int) -> Any:
    user = _user(request)
    permissions.require(user, Action.VIEW_ALL_AUDITS)
    plan = get_object_or_404(
        visibility.visible_plans(user).select_related("municipality", "standard", "approved_by"),
        pk=plan_id,
    )
    if not visibility.sees_all(user, plan.municipality.pk):
        raise PermissionDenied
    try:
        pdf = views_dashboard.report_pdf(user, plan)
    except PdfUnavailable as exc:
        return 503, {"detail": str(exc)}
    response: HttpResponse = views_dashboard.report_response(pdf, plan)
    return response
