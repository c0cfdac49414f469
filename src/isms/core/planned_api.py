"""API of planned 組織改正: list them, plan one for a future date, cancel it.

Same path as the pages (see ``core.api``); a plan takes the body of ``…/reorganise``.
"""

import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from . import permissions, planned_changes
from .api import (
    ORG_CHANGE_FIELD_NAMES,
    OrgChangeIn,
    Pagination,
    _listing,
    _scoped_get,
    api_field_names,
    org_change_args,
)
from .models import OrgChange, OrgUnit, PlannedOrgChange
from .permissions import Action

router = Router(tags=["organisation"])


class PlannedOrgChangeOut(Schema):
    id: int
    municipality_id: int
    org_unit_id: int
    kind: OrgChange.Kind
    effective_date: datetime.date
    params: dict[str, Any]
    reason: str
    state: PlannedOrgChange.State
    error: str
    applied_change_id: int | None


class PlannedFilter(Schema):
    municipality_id: int | None = None
    state: PlannedOrgChange.State | None = None
    org_unit_id: int | None = None


@router.get("/planned-org-changes", response=list[PlannedOrgChangeOut])
@paginate(Pagination)
def list_planned_org_changes(request: HttpRequest, filters: Query[PlannedFilter]) -> Any:
    qs = _listing(
        request, Action.VIEW_ORGANISATION, PlannedOrgChange.objects.all(), filters.municipality_id
    )
    if filters.state is not None:
        qs = qs.filter(state=filters.state)
    if filters.org_unit_id is not None:
        qs = qs.filter(org_unit_id=filters.org_unit_id)
    return qs


@router.post("/org-units/{unit_id}/planned-changes", response={201: PlannedOrgChangeOut})
def plan_org_change(request: HttpRequest, unit_id: int, payload: OrgChangeIn) -> Any:
    unit = _scoped_get(request, Action.VIEW_ORGANISATION, OrgUnit, unit_id)
    permissions.require(request.user, Action.MANAGE_ORGANISATION, unit)
    kind, data = org_change_args(request, unit, payload)
    with api_field_names(ORG_CHANGE_FIELD_NAMES):
        return Status(201, planned_changes.plan_change(request.user, unit, kind, **data))  # type: ignore[arg-type]


@router.post("/planned-org-changes/{planned_id}/cancel", response=PlannedOrgChangeOut)
def cancel_planned_org_change(request: HttpRequest, planned_id: int) -> Any:
    planned = _scoped_get(request, Action.VIEW_ORGANISATION, PlannedOrgChange, planned_id)
    permissions.require(request.user, Action.MANAGE_ORGANISATION, planned)
    return planned_changes.cancel_planned(request.user, planned)  # type: ignore[arg-type]
