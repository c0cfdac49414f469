"""API of the emergency response plan (``/api/v1/emergency-plan…``).

Same path as the pages: every member of staff reads, the leads (and administrators) save the
draft, the CISO or the committee chair approves (never an editor: 兼務の禁止), the services
decide.

- ``GET /emergency-plan``: the plan in force (or the draft while none was approved) with the
  contact tree generated from today's role assignments, its gaps and what changed since the
  approval;
- ``GET /emergency-plan/versions`` and ``/emergency-plan/versions/{id}``;
- ``PUT /emergency-plan/draft``: save the whole draft (a new one from the plan in force if none);
- ``POST /emergency-plan/versions/{id}/approve``;
- ``GET /emergency-plan/pdf``: the printable PDF.

A service administrator names the municipality with ``municipality_id``.

(No ``from __future__ import annotations``: django-ninja reads the annotations at import time.)
"""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from isms.core import permissions
from isms.core.api import In, _target_municipality
from isms.core.models import Municipality, User
from isms.core.pdf import PdfUnavailable
from isms.core.permissions import Action

from . import contacts, services, views
from .models import EmergencyResponsePlan

__all__ = ["router"]

router = Router(tags=["emergency plan"])


class ContactIn(In):
    category: str = Field("other", max_length=40)
    name: str = Field(max_length=200)
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=254)
    note: str = Field("", max_length=500)


class PlanIn(In):
    municipality_id: int | None = None
    title: str = Field(max_length=200)
    contact_point: str = Field(max_length=4000)
    contact_roles: list[str] = Field(default_factory=lambda: list(contacts.DEFAULT_ROLES))
    extra_contacts: list[ContactIn] = Field(default_factory=list, max_length=100)
    reporting_items: list[str] = Field(max_length=100)
    steps_contact: list[str] = Field(max_length=100)
    steps_evidence: list[str] = Field(max_length=100)
    steps_containment: list[str] = Field(max_length=100)
    steps_recovery: list[str] = Field(max_length=100)
    recurrence_prevention: str = Field(max_length=4000)
    bcp_title: str = Field("", max_length=200)
    bcp_location: str = Field("", max_length=500)
    review_due: datetime.date
    change_note: str = Field("", max_length=4000)


class PlanOut(Schema):
    id: int
    municipality_id: int
    version: int
    status: EmergencyResponsePlan.Status
    title: str
    contact_point: str
    contact_roles: list[str]
    extra_contacts: list[dict[str, str]]
    reporting_items: list[str]
    steps_contact: list[str]
    steps_evidence: list[str]
    steps_containment: list[str]
    steps_recovery: list[str]
    recurrence_prevention: str
    bcp_title: str
    bcp_location: str
    review_due: datetime.date
    change_note: str
    approved_by_id: int | None
    approved_at: datetime.datetime | None
    approved_on_behalf_of: str
    updated_at: datetime.datetime


class DeputyOut(Schema):
    name: str
    unit_name: str
    email: str
    start_date: datetime.date
    end_date: datetime.date


class TreeEntryOut(Schema):
    role: str
    role_label: str
    unit_name: str
    person_name: str
    person_unit: str
    email: str
    deputies: list[DeputyOut]


class GapOut(Schema):
    role: str
    role_label: str
    unit_name: str
    message: str


class ContactTreeOut(Schema):
    day: datetime.date
    entries: list[TreeEntryOut]
    gaps: list[GapOut]
    people_shown: bool


class CurrentPlanOut(Schema):
    municipality_id: int
    plan: PlanOut | None
    contact_tree: ContactTreeOut
    review_state: str
    org_changes: list[str]


class MunicipalityFilter(Schema):
    municipality_id: int | None = None


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _municipality(request: HttpRequest, municipality_id: int | None) -> Municipality:
    """The municipality named (or the user's own) where the user may read the plan; 404 else."""
    permissions.require(request.user, Action.VIEW_EMERGENCY_PLAN)
    allowed = permissions.scope(request.user, Action.VIEW_EMERGENCY_PLAN, Municipality.objects)
    mid = municipality_id or _user(request).municipality_id
    if mid is None:
        # A service administrator of one municipality need not name it.
        ids = list(allowed.values_list("pk", flat=True)[:2])
        if len(ids) != 1:
            raise ValidationError(
                {"municipality_id": _("Give the id of the municipality whose plan you want.")}
            )
        mid = ids[0]
    return get_object_or_404(allowed, pk=mid)


def _version(request: HttpRequest, version_id: int) -> EmergencyResponsePlan:
    permissions.require(request.user, Action.VIEW_EMERGENCY_PLAN)
    qs = permissions.scope(
        request.user, Action.VIEW_EMERGENCY_PLAN, EmergencyResponsePlan.objects.all()
    )
    return get_object_or_404(qs, pk=version_id)


@router.get("/emergency-plan", response=CurrentPlanOut)
def get_emergency_plan(request: HttpRequest, filters: Query[MunicipalityFilter]) -> Any:
    municipality = _municipality(request, filters.municipality_id)
    plan = services.shown_plan(municipality)
    roles = plan.contact_roles if plan is not None else list(contacts.DEFAULT_ROLES)
    # Who holds the roles is shown only to those who may view the roles (sensitive data).
    people = permissions.can(_user(request), Action.VIEW_ROLES, municipality=municipality)
    tree = contacts.build_tree(municipality, roles, with_people=people)
    return {
        "municipality_id": municipality.pk,
        "plan": plan,
        "contact_tree": {
            "day": tree.day,
            "entries": tree.entries,
            "gaps": [{**g.__dict__, "message": g.message} for g in tree.gaps],
            "people_shown": tree.people_shown,
        },
        "review_state": services.review_state(plan) if plan is not None else "",
        "org_changes": (services.org_changes(plan, with_people=people) if plan is not None else []),
    }


@router.get("/emergency-plan/versions", response=list[PlanOut])
def list_emergency_plan_versions(request: HttpRequest, filters: Query[MunicipalityFilter]) -> Any:
    municipality = _municipality(request, filters.municipality_id)
    return EmergencyResponsePlan.objects.filter(municipality=municipality).order_by("-version")


@router.get("/emergency-plan/versions/{version_id}", response=PlanOut)
def get_emergency_plan_version(request: HttpRequest, version_id: int) -> Any:
    return _version(request, version_id)


@router.put("/emergency-plan/draft", response=PlanOut)
def save_emergency_plan_draft(request: HttpRequest, payload: PlanIn) -> Any:
    data = payload.dict()
    municipality = _target_municipality(
        request, Action.MANAGE_EMERGENCY_PLAN, data.pop("municipality_id", None)
    )
    return services.save_draft(_user(request), municipality, **data)


@router.post("/emergency-plan/versions/{version_id}/approve", response=PlanOut)
def approve_emergency_plan(request: HttpRequest, version_id: int) -> Any:
    plan = _version(request, version_id)
    if services.approval_capacity(_user(request), plan.municipality_id) is None:
        raise PermissionDenied
    return services.approve_plan(_user(request), plan)


@router.get("/emergency-plan/pdf", response={200: None, 503: dict[str, str]})
def emergency_plan_pdf(request: HttpRequest, filters: Query[MunicipalityFilter]) -> Any:
    municipality = _municipality(request, filters.municipality_id)
    plan = services.shown_plan(municipality)
    try:
        pdf = views.plan_pdf_bytes(request, municipality, plan)
    except PdfUnavailable as exc:
        return 503, {"detail": str(exc)}
    response = HttpResponse(pdf, content_type=views.PDF_TYPE)
    version = plan.version if plan is not None else 0
    response["Content-Disposition"] = (
        f'attachment; filename="emergency-plan-{municipality.code}-v{version}.pdf"'
    )
    return response
