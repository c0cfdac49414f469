"""API of the core app: municipalities, org units, people and role assignments.

Every handler follows the same path as a page:

1. the record named in the URL is looked up through ``permissions.scope`` for the action that
   shows it: another municipality's id, or a record the user may not see, is a 404;
2. the handler declares the action it performs (``permissions.require``): a 403 when the user may
   see the record but not change it — before the body is looked at;
3. ids in the body are resolved within the target municipality (:func:`_ref`): anything else is
   a 422 on that field, as if the record did not exist;
4. the service re-checks the permission, validates, saves and journals in one transaction; its
   ``ValidationError`` comes back as a 422 keyed by the request's field names
   (``parent`` → ``parent_id``).

Lists answer 403 to a user who may do the action in no municipality, and are paginated with
``limit`` (1–500) and ``offset``.

This module also holds the building blocks other apps' routers use: :class:`In` for input
schemas and :class:`Pagination`.

(No ``from __future__ import annotations`` here: django-ninja reads the handlers' annotations
at import time and cannot resolve ``Query[...]`` written as a string.)
"""

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import ConfigDict, field_validator
from pydantic_core import PydanticCustomError

from . import history, people, permissions, personnel, reorganisation, services
from .calendar import fiscal_year_bounds, fiscal_year_of
from .models import (
    Municipality,
    OrgChange,
    OrgUnit,
    OrgUnitSuccession,
    Person,
    RoleAssignment,
    User,
)
from .permissions import Action
from .roles import Role

router = Router(tags=["organisation"])

# Largest page a list returns; and an offset bound that keeps the SQL within 64-bit integers.
MAX_PAGE_SIZE = 500
MAX_OFFSET = 1_000_000_000
# A PositiveIntegerField is a 32-bit integer on PostgreSQL.
MAX_SORT_ORDER = 2_000_000_000
MIN_FISCAL_YEAR, MAX_FISCAL_YEAR = 2000, 2100

# A service names model fields; the API names the ids it was given.
API_FIELD_NAMES = {
    "municipality": "municipality_id",
    "parent": "parent_id",
    "org_unit": "org_unit_id",
    "person": "person_id",
}


# --- building blocks -------------------------------------------------------------------------


class In(Schema):
    """Base of every input schema: unknown fields and NUL characters are refused.

    An unknown field is a typo the client would otherwise never hear about; PostgreSQL cannot
    store NUL, and no legitimate text contains one.
    """

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise PydanticCustomError("nul_character", "Text must not contain NUL characters.")
        return value


class Pagination(LimitOffsetPagination):
    """``limit``/``offset`` pagination with bounds, so no value reaches the database unchecked."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_PAGE_SIZE)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


@contextmanager
def api_field_names(names: dict[str, str] = API_FIELD_NAMES) -> Iterator[None]:
    """Re-key a service's ``ValidationError`` from model field names to the request's."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError(
            {names.get(field, field): errors for field, errors in exc.error_dict.items()}
        ) from exc


def _not_found(field: str) -> ValidationError:
    return ValidationError(
        {field: _("The selected record was not found in this municipality.")}, code="not_found"
    )


def _scoped_get(request: HttpRequest, action: Action, model: type[models.Model], pk: int) -> Any:
    """Fetch ``model`` ``pk`` if the user may do ``action`` on it; 404 otherwise."""
    return get_object_or_404(permissions.scope(request.user, action, model.objects.all()), pk=pk)


def _ref(
    request: HttpRequest,
    model: type[models.Model],
    pk: int | None,
    *,
    municipality: Municipality,
    field: str,
    action: Action,
) -> Any:
    """Resolve an id from a body within ``municipality``; anything else reads as not found."""
    if pk is None:
        return None
    qs = permissions.scope(request.user, action, model.objects.all())
    obj = qs.filter(**{permissions.municipality_lookup(model): municipality.pk}, pk=pk).first()
    if obj is None:
        raise _not_found(field)
    return obj


def _target_municipality(
    request: HttpRequest, action: Action, municipality_id: int | None
) -> Municipality:
    """Return the municipality a create goes to: the one named, or the user's own.

    A user who may do ``action`` nowhere gets a 403 whatever they named; a service administrator
    must name one of the municipalities they manage.
    """
    user: User = request.user  # type: ignore[assignment]
    permissions.require(user, action)
    allowed = permissions.scope(user, action, Municipality.objects.all())
    if municipality_id is None:
        if user.municipality_id is None:
            raise ValidationError(
                {"municipality_id": _("Give the id of the municipality this record belongs to.")}
            )
        municipality_id = user.municipality_id
    municipality = allowed.filter(pk=municipality_id).first()
    if municipality is None:
        raise _not_found("municipality_id")
    return municipality


def _listing(
    request: HttpRequest, action: Action, qs: models.QuerySet[Any], municipality_id: int | None
) -> models.QuerySet[Any]:
    """Scope a list to what the user may see; 403 if they may do ``action`` nowhere."""
    permissions.require(request.user, action)
    qs = permissions.scope(request.user, action, qs)
    if municipality_id is not None:
        qs = qs.filter(**{permissions.municipality_lookup(qs.model): municipality_id})
    # A stable order, so that pages neither repeat nor skip rows.
    return qs.order_by(*qs.model._meta.ordering, "pk")


# --- schemas -----------------------------------------------------------------------------


class MunicipalityOut(Schema):
    id: int
    name: str
    name_en: str
    code: str
    prefecture: str


class MunicipalityIn(In):
    name: str = Field(max_length=100)
    name_en: str = Field("", max_length=100)
    code: str = Field(
        max_length=6, description="全国地方公共団体コード: 5 digits and a check digit, e.g. 192040"
    )
    prefecture: str = Field(
        "", max_length=2, description="JIS X 0401 code; taken from the code when empty"
    )


class MunicipalityPatch(In):
    name: str | None = Field(None, max_length=100)
    name_en: str | None = Field(None, max_length=100)


class MunicipalityFilter(Schema):
    code: str | None = Field(None, max_length=6)


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


class OrgUnitIn(In):
    municipality_id: int | None = Field(
        None, description="Required for service administrators; defaults to the user's own"
    )
    parent_id: int | None = None
    code: str = Field(max_length=20)
    name: str = Field(max_length=100)
    name_kana: str = Field("", max_length=200)
    kind: OrgUnit.Kind
    organ_kind: OrgUnit.OrganKind
    in_scope: bool = True
    sort_order: int = Field(0, ge=0, le=MAX_SORT_ORDER)


class OrgUnitPatch(In):
    parent_id: int | None = None
    code: str | None = Field(None, max_length=20)
    name: str | None = Field(None, max_length=100)
    name_kana: str | None = Field(None, max_length=200)
    kind: OrgUnit.Kind | None = None
    organ_kind: OrgUnit.OrganKind | None = None
    in_scope: bool | None = None
    sort_order: int | None = Field(None, ge=0, le=MAX_SORT_ORDER)


class OrgUnitFilter(Schema):
    municipality_id: int | None = None
    parent_id: int | None = None


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


class PersonIn(In):
    municipality_id: int | None = Field(
        None, description="Required for service administrators; defaults to the user's own"
    )
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


class PersonPatch(In):
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


class PersonFilter(Schema):
    municipality_id: int | None = None
    org_unit_id: int | None = None
    q: str = Field(
        "",
        max_length=100,
        description="Name, furigana or employee number; ignores full-/half-width, "
        "hiragana/katakana and common 異体字",
    )


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


class RoleAssignmentIn(In):
    person_id: int
    role: Role
    org_unit_id: int | None = Field(
        None, description="Empty for roles held for the whole municipality"
    )
    fiscal_year: int | None = Field(None, description="Either a fiscal year or a start date")
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    note: str = Field("", max_length=200)


class RoleAssignmentEnd(In):
    end_date: datetime.date = Field(description="The last day the role is held (inclusive)")


class RoleAssignmentFilter(Schema):
    municipality_id: int | None = None
    fiscal_year: int | None = Field(None, ge=MIN_FISCAL_YEAR, le=MAX_FISCAL_YEAR)
    role: Role | None = None
    person_id: int | None = None
    org_unit_id: int | None = None


# --- municipalities ----------------------------------------------------------------------------


@router.get("/municipalities", response=list[MunicipalityOut])
@paginate(Pagination)
def list_municipalities(request: HttpRequest, filters: Query[MunicipalityFilter]) -> Any:
    qs = _listing(request, Action.VIEW_MUNICIPALITY, Municipality.objects.all(), None)
    if filters.code is not None:
        qs = qs.filter(code=filters.code)
    return qs


@router.get("/municipalities/{municipality_id}", response=MunicipalityOut)
def get_municipality(request: HttpRequest, municipality_id: int) -> Any:
    return _scoped_get(request, Action.VIEW_MUNICIPALITY, Municipality, municipality_id)


@router.post("/municipalities", response={201: MunicipalityOut})
def create_municipality(request: HttpRequest, payload: MunicipalityIn) -> Any:
    permissions.require(request.user, Action.CREATE_MUNICIPALITY)
    with api_field_names():
        return Status(201, services.create_municipality(request.user, **payload.dict()))


@router.patch("/municipalities/{municipality_id}", response=MunicipalityOut)
def update_municipality(
    request: HttpRequest, municipality_id: int, payload: MunicipalityPatch
) -> Any:
    m = _scoped_get(request, Action.VIEW_MUNICIPALITY, Municipality, municipality_id)
    permissions.require(request.user, Action.MANAGE_MUNICIPALITY, m)
    with api_field_names():
        return services.update_municipality(request.user, m, **payload.dict(exclude_unset=True))


# --- org units ------------------------------------------------------------------------------


@router.get("/org-units", response=list[OrgUnitOut])
@paginate(Pagination)
def list_org_units(request: HttpRequest, filters: Query[OrgUnitFilter]) -> Any:
    qs = _listing(request, Action.VIEW_ORGANISATION, OrgUnit.objects.all(), filters.municipality_id)
    if filters.parent_id is not None:
        qs = qs.filter(parent_id=filters.parent_id)
    return qs


@router.get("/org-units/{unit_id}", response=OrgUnitOut)
def get_org_unit(request: HttpRequest, unit_id: int) -> Any:
    return _scoped_get(request, Action.VIEW_ORGANISATION, OrgUnit, unit_id)


@router.post("/org-units", response={201: OrgUnitOut})
def create_org_unit(request: HttpRequest, payload: OrgUnitIn) -> Any:
    data = payload.dict()
    municipality = _target_municipality(
        request, Action.MANAGE_ORGANISATION, data.pop("municipality_id")
    )
    data["parent"] = _ref(
        request,
        OrgUnit,
        data.pop("parent_id"),
        municipality=municipality,
        field="parent_id",
        action=Action.VIEW_ORGANISATION,
    )
    with api_field_names():
        return Status(201, services.create_org_unit(request.user, municipality, **data))


@router.patch("/org-units/{unit_id}", response=OrgUnitOut)
def update_org_unit(request: HttpRequest, unit_id: int, payload: OrgUnitPatch) -> Any:
    unit = _scoped_get(request, Action.VIEW_ORGANISATION, OrgUnit, unit_id)
    permissions.require(request.user, Action.MANAGE_ORGANISATION, unit)
    data = payload.dict(exclude_unset=True)
    if "parent_id" in data:
        data["parent"] = _ref(
            request,
            OrgUnit,
            data.pop("parent_id"),
            municipality=unit.municipality,
            field="parent_id",
            action=Action.VIEW_ORGANISATION,
        )
    with api_field_names():
        return services.update_org_unit(request.user, unit, **data)


# --- people ---------------------------------------------------------------------------------


@router.get("/people", response=list[PersonOut])
@paginate(Pagination)
def list_people(request: HttpRequest, filters: Query[PersonFilter]) -> Any:
    qs = _listing(request, Action.VIEW_PEOPLE, Person.objects.all(), filters.municipality_id)
    if filters.org_unit_id is not None:
        qs = qs.filter(org_unit_id=filters.org_unit_id)
    return people.search(qs, filters.q)


@router.get("/people/{person_id}", response=PersonOut)
def get_person(request: HttpRequest, person_id: int) -> Any:
    return _scoped_get(request, Action.VIEW_PEOPLE, Person, person_id)


@router.post("/people", response={201: PersonOut})
def create_person(request: HttpRequest, payload: PersonIn) -> Any:
    data = payload.dict()
    municipality = _target_municipality(request, Action.MANAGE_PEOPLE, data.pop("municipality_id"))
    data["org_unit"] = _ref(
        request,
        OrgUnit,
        data.pop("org_unit_id"),
        municipality=municipality,
        field="org_unit_id",
        action=Action.VIEW_ORGANISATION,
    )
    with api_field_names():
        return Status(201, services.create_person(request.user, municipality, **data))


@router.patch("/people/{person_id}", response=PersonOut)
def update_person(request: HttpRequest, person_id: int, payload: PersonPatch) -> Any:
    person = _scoped_get(request, Action.VIEW_PEOPLE, Person, person_id)
    permissions.require(request.user, Action.MANAGE_PEOPLE, person)
    data = payload.dict(exclude_unset=True)
    if "org_unit_id" in data:
        data["org_unit"] = _ref(
            request,
            OrgUnit,
            data.pop("org_unit_id"),
            municipality=person.municipality,
            field="org_unit_id",
            action=Action.VIEW_ORGANISATION,
        )
    with api_field_names():
        return services.update_person(request.user, person, **data)


# --- role assignments ------------------------------------------------------------------------


@router.get("/role-assignments", response=list[RoleAssignmentOut])
@paginate(Pagination)
def list_role_assignments(request: HttpRequest, filters: Query[RoleAssignmentFilter]) -> Any:
    qs = _listing(request, Action.VIEW_ROLES, RoleAssignment.objects.all(), filters.municipality_id)
    if filters.fiscal_year is not None:
        first, last = fiscal_year_bounds(filters.fiscal_year)
        qs = qs.filter(start_date__lte=last).filter(
            models.Q(end_date__isnull=True) | models.Q(end_date__gte=first)
        )
    if filters.role is not None:
        qs = qs.filter(role=filters.role)
    if filters.person_id is not None:
        qs = qs.filter(person_id=filters.person_id)
    if filters.org_unit_id is not None:
        qs = qs.filter(org_unit_id=filters.org_unit_id)
    return qs


# --- 組織改正 history and the 4/1 carry-over -----------------------------------------------------


class OrgUnitVersionOut(Schema):
    valid_from: datetime.date | None = Field(description="Empty: since before the records")
    valid_to: datetime.date | None = Field(description="Inclusive; empty: still current")
    code: str
    name: str
    name_kana: str
    parent_id: int | None
    kind: OrgUnit.Kind
    organ_kind: OrgUnit.OrganKind
    in_scope: bool
    change_id: int | None


class OrgSuccessionOut(Schema):
    change_id: int
    kind: str
    effective_date: datetime.date
    predecessor_id: int
    successor_id: int


class OrgUnitHistoryOut(Schema):
    unit_id: int
    abolished_on: datetime.date | None
    versions: list[OrgUnitVersionOut]
    predecessors: list[OrgSuccessionOut]
    successors: list[OrgSuccessionOut]


class OrgChangeIn(In):
    kind: OrgChange.Kind
    effective_date: datetime.date = Field(description="First day of the new organisation")
    reason: str = Field("", max_length=200)
    name: str | None = Field(None, max_length=100, description="reorganise: the new name")
    name_kana: str | None = Field(None, max_length=200)
    code: str | None = Field(None, max_length=20)
    parent_id: int | None = Field(None, description="reorganise: the new parent")
    into_id: int | None = Field(None, description="merge: the unit that absorbs this one")
    new_code: str | None = Field(None, max_length=20, description="split: the new unit's code")
    new_name: str | None = Field(None, max_length=100)
    new_name_kana: str | None = Field(None, max_length=200)


class OrgChangeOut(Schema):
    id: int
    kind: OrgChange.Kind
    effective_date: datetime.date
    reason: str
    unit_ids: list[int]
    moved_people: int
    ended_assignment_ids: list[int]


class CarryOverIn(In):
    from_year: int = Field(ge=MIN_FISCAL_YEAR, le=MAX_FISCAL_YEAR - 1)
    municipality_id: int | None = None


class SkippedOut(Schema):
    assignment_id: int
    reason: str


class CarryOverOut(Schema):
    created_ids: list[int]
    skipped: list[SkippedOut]


class RoleWarningOut(Schema):
    kind: str
    message: str
    org_unit_id: int | None
    person_id: int | None


class HoldersFilter(Schema):
    role: Role = Role.DIVISION_SECURITY_MANAGER
    unit_name: str = Field(
        "", max_length=100, description="The unit's name during that fiscal year (empty: none)"
    )
    fiscal_year: int | None = Field(
        None, ge=MIN_FISCAL_YEAR, le=MAX_FISCAL_YEAR, description="Empty: the current one"
    )
    municipality_id: int | None = None


class WarningsFilter(Schema):
    fiscal_year: int | None = Field(
        None, ge=MIN_FISCAL_YEAR, le=MAX_FISCAL_YEAR, description="Empty: the current one"
    )
    municipality_id: int | None = None


def _municipalities(
    request: HttpRequest, action: Action, municipality_id: int | None
) -> list[Municipality]:
    """The one municipality named, or every municipality where the user may do ``action``."""
    if municipality_id is not None:
        return [_target_municipality(request, action, municipality_id)]
    permissions.require(request.user, action)
    return list(permissions.scope(request.user, action, Municipality.objects.order_by("pk")))


def _fiscal_year(value: int | None) -> int:
    return value if value is not None else fiscal_year_of(timezone.localdate())


def _succession(s: OrgUnitSuccession) -> dict[str, Any]:
    return {
        "change_id": s.change_id,
        "kind": s.change.kind,
        "effective_date": s.change.effective_date,
        "predecessor_id": s.predecessor_id,
        "successor_id": s.successor_id,
    }


@router.get("/org-units/{unit_id}/history", response=OrgUnitHistoryOut)
def get_org_unit_history(request: HttpRequest, unit_id: int) -> Any:
    unit = _scoped_get(request, Action.VIEW_ORGANISATION, OrgUnit, unit_id)
    past = history.unit_history(unit)
    return {
        "unit_id": unit.pk,
        "abolished_on": unit.abolished_on,
        "versions": past.versions,
        "predecessors": [_succession(s) for s in past.predecessors],
        "successors": [_succession(s) for s in past.successors],
    }


@router.post("/org-units/{unit_id}/reorganise", response={201: OrgChangeOut})
def reorganise_org_unit(request: HttpRequest, unit_id: int, payload: OrgChangeIn) -> Any:
    unit = _scoped_get(request, Action.VIEW_ORGANISATION, OrgUnit, unit_id)
    permissions.require(request.user, Action.MANAGE_ORGANISATION, unit)
    kind, data = org_change_args(request, unit, payload)
    with api_field_names(ORG_CHANGE_FIELD_NAMES):
        result = reorganisation.apply_change(request.user, unit, kind, **data)
    return Status(
        201,
        {
            "id": result.change.pk,
            "kind": result.change.kind,
            "effective_date": result.change.effective_date,
            "reason": result.change.reason,
            "unit_ids": [u.pk for u in result.units],
            "moved_people": result.moved_people,
            "ended_assignment_ids": [a.pk for a in result.ended_assignments],
        },
    )


ORG_CHANGE_FIELD_NAMES = API_FIELD_NAMES | {"into": "into_id"}


def org_change_args(
    request: HttpRequest, unit: OrgUnit, payload: OrgChangeIn
) -> tuple[str, dict[str, Any]]:
    """The reorganisation service's arguments from a request body, ids resolved in scope."""
    data = payload.dict(exclude_unset=True)
    kind = data.pop("kind")
    for id_field, name in (("parent_id", "parent"), ("into_id", "into")):
        if id_field in data:
            data[name] = _ref(
                request,
                OrgUnit,
                data.pop(id_field),
                municipality=unit.municipality,
                field=id_field,
                action=Action.VIEW_ORGANISATION,
            )
    if kind == OrgChange.Kind.MERGE:
        data.setdefault("into", None)
    if kind == OrgChange.Kind.SPLIT:
        data.setdefault("new_code", "")
        data.setdefault("new_name", "")
    return kind, data


@router.get("/role-assignments/holders", response=list[RoleAssignmentOut])
def list_role_holders(request: HttpRequest, filters: Query[HoldersFilter]) -> Any:
    """Who held a role for the unit that had this name during that fiscal year."""
    municipalities = _municipalities(request, Action.VIEW_ROLES, filters.municipality_id)
    if not filters.unit_name.strip():
        return []
    return [
        a
        for m in municipalities
        for a in history.holders_in(
            m,
            filters.role,
            unit_name=filters.unit_name,
            fiscal_year=_fiscal_year(filters.fiscal_year),
        )
    ]


@router.get("/role-assignments/warnings", response=list[RoleWarningOut])
def list_role_warnings(request: HttpRequest, filters: Query[WarningsFilter]) -> Any:
    municipalities = _municipalities(request, Action.VIEW_ROLES, filters.municipality_id)
    return [
        {
            "kind": w.kind.value,
            "message": w.message,
            "org_unit_id": w.unit.pk if w.unit else None,
            "person_id": w.person.pk if w.person else None,
        }
        for m in municipalities
        for w in personnel.role_warnings(m, _fiscal_year(filters.fiscal_year))
    ]


@router.post("/role-assignments/carry-over", response={201: CarryOverOut})
def carry_over_role_assignments(request: HttpRequest, payload: CarryOverIn) -> Any:
    municipality = _target_municipality(request, Action.MANAGE_ROLES, payload.municipality_id)
    with api_field_names():
        result = personnel.carry_over_roles(request.user, municipality, from_year=payload.from_year)
    return Status(
        201,
        {
            "created_ids": [a.pk for a in result.created],
            "skipped": [{"assignment_id": a.pk, "reason": r} for a, r in result.skipped],
        },
    )


# --- role assignments by id (after the fixed paths above, which they would shadow) ------


@router.get("/role-assignments/{assignment_id}", response=RoleAssignmentOut)
def get_role_assignment(request: HttpRequest, assignment_id: int) -> Any:
    return _scoped_get(request, Action.VIEW_ROLES, RoleAssignment, assignment_id)


@router.post("/role-assignments", response={201: RoleAssignmentOut})
def create_role_assignment(request: HttpRequest, payload: RoleAssignmentIn) -> Any:
    permissions.require(request.user, Action.MANAGE_ROLES)
    person = (
        permissions.scope(request.user, Action.VIEW_PEOPLE, Person.objects.all())
        .filter(pk=payload.person_id)
        .first()
    )
    if person is None:
        raise _not_found("person_id")
    permissions.require(request.user, Action.MANAGE_ROLES, person)
    unit = _ref(
        request,
        OrgUnit,
        payload.org_unit_id,
        municipality=person.municipality,
        field="org_unit_id",
        action=Action.VIEW_ORGANISATION,
    )
    with api_field_names():
        return Status(
            201,
            services.assign_role(
                request.user,
                person,
                payload.role,
                org_unit=unit,
                fiscal_year=payload.fiscal_year,
                start_date=payload.start_date,
                end_date=payload.end_date,
                note=payload.note,
            ),
        )


@router.post("/role-assignments/{assignment_id}/end", response=RoleAssignmentOut)
def end_role_assignment(
    request: HttpRequest, assignment_id: int, payload: RoleAssignmentEnd
) -> Any:
    assignment = _scoped_get(request, Action.VIEW_ROLES, RoleAssignment, assignment_id)
    permissions.require(request.user, Action.MANAGE_ROLES, assignment)
    with api_field_names():
        return services.end_role_assignment(request.user, assignment, payload.end_date)
