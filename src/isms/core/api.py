"""API of the core app: municipalities, org units, people and role assignments.

Handlers scope every lookup with ``permissions.scope`` (another municipality's id is a 404) and
write through ``services``.
"""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import Field

from . import permissions, services
from .models import Municipality, OrgUnit, Person, RoleAssignment
from .permissions import Action
from .roles import Role

router = Router(tags=["organisation"])


# --- schemas -----------------------------------------------------------------------------


class MunicipalityOut(Schema):
    id: int
    name: str
    name_en: str
    code: str
    prefecture: str


class MunicipalityIn(Schema):
    name: str = Field(max_length=100)
    name_en: str = Field("", max_length=100)
    code: str = Field(max_length=6)
    prefecture: str = Field("", max_length=2)


class MunicipalityPatch(Schema):
    name: str | None = Field(None, max_length=100)
    name_en: str | None = Field(None, max_length=100)


class OrgUnitOut(Schema):
    id: int
    municipality_id: int
    parent_id: int | None
    code: str
    name: str
    name_kana: str
    kind: OrgUnit.Kind
    organ_kind: OrgUnit.OrganKind
    in_scope: bool
    sort_order: int


class OrgUnitIn(Schema):
    parent_id: int | None = None
    code: str = Field(max_length=20)
    name: str = Field(max_length=100)
    name_kana: str = Field("", max_length=200)
    kind: OrgUnit.Kind
    organ_kind: OrgUnit.OrganKind
    in_scope: bool = True
    sort_order: int = Field(0, ge=0, le=2_000_000_000)


class OrgUnitPatch(Schema):
    parent_id: int | None = None
    code: str | None = Field(None, max_length=20)
    name: str | None = Field(None, max_length=100)
    name_kana: str | None = Field(None, max_length=200)
    kind: OrgUnit.Kind | None = None
    organ_kind: OrgUnit.OrganKind | None = None
    in_scope: bool | None = None
    sort_order: int | None = Field(None, ge=0, le=2_000_000_000)


class PersonOut(Schema):
    id: int
    municipality_id: int
    employee_number: str
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    staff_category: Person.StaffCategory
    org_unit_id: int | None
    email: str
    employment_end: datetime.date | None
    is_active: bool


class PersonIn(Schema):
    employee_number: str = Field(max_length=20)
    family_name: str = Field(max_length=50)
    given_name: str = Field(max_length=50)
    family_name_kana: str = Field(max_length=100)
    given_name_kana: str = Field(max_length=100)
    staff_category: Person.StaffCategory
    org_unit_id: int | None = None
    email: str = Field("", max_length=254)
    employment_end: datetime.date | None = None
    is_active: bool = True


class PersonPatch(Schema):
    employee_number: str | None = Field(None, max_length=20)
    family_name: str | None = Field(None, max_length=50)
    given_name: str | None = Field(None, max_length=50)
    family_name_kana: str | None = Field(None, max_length=100)
    given_name_kana: str | None = Field(None, max_length=100)
    staff_category: Person.StaffCategory | None = None
    org_unit_id: int | None = None
    email: str | None = Field(None, max_length=254)
    employment_end: datetime.date | None = None
    is_active: bool | None = None


class RoleAssignmentOut(Schema):
    id: int
    municipality_id: int
    person_id: int
    role: Role
    org_unit_id: int | None
    fiscal_year: int | None
    start_date: datetime.date
    end_date: datetime.date | None
    note: str


class RoleAssignmentIn(Schema):
    person_id: int
    role: Role
    org_unit_id: int | None = None
    fiscal_year: int | None = None
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    note: str = Field("", max_length=200)


class RoleAssignmentEnd(Schema):
    end_date: datetime.date


class RoleAssignmentFilter(Schema):
    fiscal_year: int | None = None
    role: Role | None = None
    person_id: int | None = None


# --- helpers -----------------------------------------------------------------------------


def _scoped_get(request: HttpRequest, action: Action, model, pk: int):  # type: ignore[no-untyped-def]
    """Fetch ``model`` ``pk`` if the user may do ``action`` on it; 404 otherwise."""
    return get_object_or_404(permissions.scope(request.user, action, model.objects.all()), pk=pk)


def _ref(request: HttpRequest, action: Action, model, pk: int | None, field: str):  # type: ignore[no-untyped-def]
    """Resolve a referenced id from a body; another municipality's id reads as not found."""
    if pk is None:
        return None
    obj = permissions.scope(request.user, action, model.objects.all()).filter(pk=pk).first()
    if obj is None:
        from django.core.exceptions import ValidationError
        from django.utils.translation import gettext as _

        raise ValidationError({field: _("The selected record was not found in this municipality.")})
    return obj


def _target_municipality(
    request: HttpRequest, action: Action, municipality_id: int | None
) -> Municipality:
    """The municipality a create goes to: the given one if allowed, else the user's own."""
    mid = municipality_id if municipality_id is not None else request.user.municipality_id
    return _scoped_get(request, action, Municipality, mid or 0)


# --- municipalities ----------------------------------------------------------------------------


@router.get("/municipalities", response=list[MunicipalityOut])
def list_municipalities(request: HttpRequest):  # type: ignore[no-untyped-def]
    return permissions.scope(request.user, Action.VIEW_MUNICIPALITY, Municipality.objects.all())


@router.get("/municipalities/{municipality_id}", response=MunicipalityOut)
def get_municipality(request: HttpRequest, municipality_id: int):  # type: ignore[no-untyped-def]
    return _scoped_get(request, Action.VIEW_MUNICIPALITY, Municipality, municipality_id)


@router.post("/municipalities", response={201: MunicipalityOut})
def create_municipality(request: HttpRequest, payload: MunicipalityIn):  # type: ignore[no-untyped-def]
    return 201, services.create_municipality(request.user, **payload.dict())


@router.patch("/municipalities/{municipality_id}", response=MunicipalityOut)
def update_municipality(request: HttpRequest, municipality_id: int, payload: MunicipalityPatch):  # type: ignore[no-untyped-def]
    m = _scoped_get(request, Action.VIEW_MUNICIPALITY, Municipality, municipality_id)
    return services.update_municipality(request.user, m, **payload.dict(exclude_unset=True))


# --- org units ------------------------------------------------------------------------------


@router.get("/org-units", response=list[OrgUnitOut])
@paginate(LimitOffsetPagination)
def list_org_units(request: HttpRequest):  # type: ignore[no-untyped-def]
    return permissions.scope(request.user, Action.VIEW_ORGANISATION, OrgUnit.objects.all())


@router.get("/org-units/{unit_id}", response=OrgUnitOut)
def get_org_unit(request: HttpRequest, unit_id: int):  # type: ignore[no-untyped-def]
    return _scoped_get(request, Action.VIEW_ORGANISATION, OrgUnit, unit_id)


@router.post("/org-units", response={201: OrgUnitOut})
def create_org_unit(request: HttpRequest, payload: OrgUnitIn, municipality_id: int | None = None):  # type: ignore[no-untyped-def]
    municipality = _target_municipality(request, Action.VIEW_ORGANISATION, municipality_id)
    data = payload.dict()
    data["parent"] = _ref(
        request, Action.VIEW_ORGANISATION, OrgUnit, data.pop("parent_id"), "parent_id"
    )
    return 201, services.create_org_unit(request.user, municipality, **data)


@router.patch("/org-units/{unit_id}", response=OrgUnitOut)
def update_org_unit(request: HttpRequest, unit_id: int, payload: OrgUnitPatch):  # type: ignore[no-untyped-def]
    unit = _scoped_get(request, Action.VIEW_ORGANISATION, OrgUnit, unit_id)
    data = payload.dict(exclude_unset=True)
    if "parent_id" in data:
        data["parent"] = _ref(
            request, Action.VIEW_ORGANISATION, OrgUnit, data.pop("parent_id"), "parent_id"
        )
    return services.update_org_unit(request.user, unit, **data)


# --- people ---------------------------------------------------------------------------------


@router.get("/people", response=list[PersonOut])
@paginate(LimitOffsetPagination)
def list_people(request: HttpRequest):  # type: ignore[no-untyped-def]
    return permissions.scope(request.user, Action.VIEW_PEOPLE, Person.objects.all())


@router.get("/people/{person_id}", response=PersonOut)
def get_person(request: HttpRequest, person_id: int):  # type: ignore[no-untyped-def]
    return _scoped_get(request, Action.VIEW_PEOPLE, Person, person_id)


@router.post("/people", response={201: PersonOut})
def create_person(request: HttpRequest, payload: PersonIn, municipality_id: int | None = None):  # type: ignore[no-untyped-def]
    municipality = _target_municipality(request, Action.VIEW_ORGANISATION, municipality_id)
    data = payload.dict()
    data["org_unit"] = _ref(
        request, Action.VIEW_ORGANISATION, OrgUnit, data.pop("org_unit_id"), "org_unit_id"
    )
    return 201, services.create_person(request.user, municipality, **data)


@router.patch("/people/{person_id}", response=PersonOut)
def update_person(request: HttpRequest, person_id: int, payload: PersonPatch):  # type: ignore[no-untyped-def]
    person = _scoped_get(request, Action.VIEW_PEOPLE, Person, person_id)
    data = payload.dict(exclude_unset=True)
    if "org_unit_id" in data:
        data["org_unit"] = _ref(
            request, Action.VIEW_ORGANISATION, OrgUnit, data.pop("org_unit_id"), "org_unit_id"
        )
    return services.update_person(request.user, person, **data)


# --- role assignments ------------------------------------------------------------------------


@router.get("/role-assignments", response=list[RoleAssignmentOut])
@paginate(LimitOffsetPagination)
def list_role_assignments(request: HttpRequest, filters: Query[RoleAssignmentFilter]):  # type: ignore[no-untyped-def]
    from .calendar import fiscal_year_bounds

    qs = permissions.scope(request.user, Action.VIEW_ROLES, RoleAssignment.objects.all())
    if filters.fiscal_year is not None:
        lo, hi = fiscal_year_bounds(filters.fiscal_year)
        from django.db.models import Q

        qs = qs.filter(start_date__lte=hi).filter(Q(end_date__isnull=True) | Q(end_date__gte=lo))
    if filters.role is not None:
        qs = qs.filter(role=filters.role)
    if filters.person_id is not None:
        qs = qs.filter(person_id=filters.person_id)
    return qs


@router.get("/role-assignments/{assignment_id}", response=RoleAssignmentOut)
def get_role_assignment(request: HttpRequest, assignment_id: int):  # type: ignore[no-untyped-def]
    return _scoped_get(request, Action.VIEW_ROLES, RoleAssignment, assignment_id)


@router.post("/role-assignments", response={201: RoleAssignmentOut})
def create_role_assignment(request: HttpRequest, payload: RoleAssignmentIn):  # type: ignore[no-untyped-def]
    person = _ref(request, Action.VIEW_PEOPLE, Person, payload.person_id, "person_id")
    unit = _ref(request, Action.VIEW_ORGANISATION, OrgUnit, payload.org_unit_id, "org_unit_id")
    return 201, services.assign_role(
        request.user,
        person,
        payload.role,
        org_unit=unit,
        fiscal_year=payload.fiscal_year,
        start_date=payload.start_date,
        end_date=payload.end_date,
        note=payload.note,
    )


@router.post("/role-assignments/{assignment_id}/end", response=RoleAssignmentOut)
def end_role_assignment(request: HttpRequest, assignment_id: int, payload: RoleAssignmentEnd):  # type: ignore[no-untyped-def]
    a = _scoped_get(request, Action.VIEW_ROLES, RoleAssignment, assignment_id)
    return services.end_role_assignment(request.user, a, payload.end_date)
