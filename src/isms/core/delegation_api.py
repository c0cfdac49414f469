"""API of 代理・代決: list delegations, name a deputy, end a delegation.

Same path as the pages (see ``core.api``): lookups through ``permissions.scope`` (another
municipality's id is a 404), ids in the body resolved within the assignment's municipality
(else a 422 on that field), and the service decides who may delegate: the holder of the role or
whoever manages roles.
"""

import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from . import delegation, permissions
from .api import In, Pagination, _listing, _not_found, _ref, _scoped_get, api_field_names
from .models import Delegation, Person, RoleAssignment
from .permissions import Action
from .roles import Role

router = Router(tags=["organisation"])


class DelegationOut(Schema):
    id: int
    municipality_id: int
    assignment_id: int
    principal_id: int = Field(alias="assignment.person_id")
    role: Role = Field(alias="assignment.role")
    org_unit_id: int | None = Field(alias="assignment.org_unit_id")
    deputy_id: int
    start_date: datetime.date
    end_date: datetime.date
    reason: str
    revoked_at: datetime.datetime | None


class DelegationIn(In):
    assignment_id: int = Field(description="The role assignment whose role the deputy takes on")
    deputy_id: int = Field(description="The person who acts as deputy; they need a login")
    start_date: datetime.date
    end_date: datetime.date = Field(description="The last day the deputy may act (inclusive)")
    reason: str = Field(max_length=200)


class DelegationFilter(Schema):
    municipality_id: int | None = None
    current: bool = Field(False, description="Only delegations not ended or revoked")
    deputy_id: int | None = None


@router.get("/delegations", response=list[DelegationOut])
@paginate(Pagination)
def list_delegations(request: HttpRequest, filters: Query[DelegationFilter]) -> Any:
    qs = _listing(request, Action.VIEW_ROLES, Delegation.objects.all(), filters.municipality_id)
    if filters.current:
        qs = delegation.current_and_upcoming(qs)
    if filters.deputy_id is not None:
        qs = qs.filter(deputy_id=filters.deputy_id)
    return qs.select_related("assignment")


@router.get("/delegations/{delegation_id}", response=DelegationOut)
def get_delegation(request: HttpRequest, delegation_id: int) -> Any:
    return _scoped_get(request, Action.VIEW_ROLES, Delegation, delegation_id)


@router.post("/delegations", response={201: DelegationOut})
def create_delegation(request: HttpRequest, payload: DelegationIn) -> Any:
    permissions.require(request.user, Action.VIEW_ROLES)
    assignment = (
        permissions.scope(request.user, Action.VIEW_ROLES, RoleAssignment.objects.all())
        .filter(pk=payload.assignment_id)
        .select_related("person", "org_unit", "municipality")
        .first()
    )
    if assignment is None:
        raise _not_found("assignment_id")
    deputy = _ref(
        request,
        Person,
        payload.deputy_id,
        municipality=assignment.municipality,
        field="deputy_id",
        action=Action.VIEW_PEOPLE,
    )
    with api_field_names({"deputy": "deputy_id", "assignment": "assignment_id"}):
        return Status(
            201,
            delegation.create_delegation(
                request.user,  # type: ignore[arg-type]
                assignment,
                deputy,
                start_date=payload.start_date,
                end_date=payload.end_date,
                reason=payload.reason,
            ),
        )


@router.post("/delegations/{delegation_id}/end", response=DelegationOut)
def end_delegation(request: HttpRequest, delegation_id: int) -> Any:
    d = _scoped_get(request, Action.VIEW_ROLES, Delegation, delegation_id)
    return delegation.revoke_delegation(request.user, d)  # type: ignore[arg-type]
