"""API of the self-inspections (``/api/v1/inspections…``).

The same rules as the pages: lookups through ``visibility`` (a record out of sight is a 404; in
sight but not the caller's to change, a 403), ids in a body resolved within the municipality
(422), the services decide.

- ``GET /inspections/campaigns``, ``POST`` (MANAGE_INSPECTIONS), ``GET …/{id}``,
  ``POST …/{id}/open``, ``…/{id}/close``, ``…/{id}/assignments`` (a unit or one person);
- ``GET …/{id}/results``: progress, rates by 部 / 課 / chapter with last year's, weakest;
- ``GET /inspections/sheets`` (the sheets the caller sees; ``mine=true`` for their own),
  ``GET …/{id}`` with its questions and answers, ``PUT …/{id}/answers`` (save, and submit with
  ``submit: true``; returns the sheet's state only: status, counts, times),
  ``POST …/{id}/submit``, ``POST …/{id}/evidence`` (multipart ``item_id`` and ``file``),
  ``POST …/{id}/approve``, ``POST …/{id}/return``;
- ``POST /inspections/answers/{id}/improvement`` (a 未実施 answer → 是正処置),
  ``GET /inspections/improvements``.

(No ``from __future__ import annotations``: django-ninja reads the annotations at import time.)
"""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from isms.core import permissions
from isms.core.api import In, Pagination, _ref, _target_municipality
from isms.core.models import OrgUnit, Person, User
from isms.core.permissions import Action

from . import results, services, visibility
from .models import (
    CorrectiveAction,
    InspectionAnswer,
    InspectionItem,
    InspectionResponse,
    SelfInspection,
)

__all__ = ["router"]

router = Router(tags=["inspections"])


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


# --- schemas ----------------------------------------------------------------------------------


class CampaignOut(Schema):
    id: int
    municipality_id: int
    fiscal_year: int
    title: str
    standard_id: int
    status: str
    opens_on: datetime.date
    answer_business_days: int
    deadline: datetime.date
    note: str


class CampaignIn(In):
    municipality_id: int | None = None
    fiscal_year: int = Field(..., ge=2000, le=2100)
    title: str = Field(..., max_length=200)
    opens_on: datetime.date
    answer_business_days: int = Field(20, ge=1, le=120)
    note: str = Field("", max_length=4000)


class AssignIn(In):
    target_group: str = Field(..., max_length=30)
    org_unit_id: int | None = None
    person_id: int | None = None


class AssignOut(Schema):
    created: int


class ItemOut(Schema):
    id: int
    code: str
    chapter: int
    requirement: str
    criteria: str
    target_group: str
    position: int


class EvidenceOut(Schema):
    id: int
    original_name: str
    size: int
    content_type: str


class AnswerOut(Schema):
    id: int
    item_id: int
    value: str
    comment: str
    evidence: list[EvidenceOut]

    @staticmethod
    def resolve_evidence(obj: InspectionAnswer) -> list[Any]:
        return list(obj.evidence.all())


class SheetOut(Schema):
    id: int
    campaign_id: int
    person_id: int
    target_group: str
    system_id: int | None
    org_unit_id: int
    bureau_id: int | None
    status: str
    item_count: int
    answered_count: int
    submitted_at: datetime.datetime | None
    approved_by_id: int | None
    approved_at: datetime.datetime | None
    approved_on_behalf_of: str
    returned_reason: str


class SheetDetailOut(SheetOut):
    items: list[ItemOut]
    answers: list[AnswerOut]


class SheetSavedOut(Schema):
    """What ``PUT …/answers`` returns: the sheet's state after the save, not its questions and
    answers (``GET …/sheets/{id}`` has them)."""

    id: int
    status: str
    item_count: int
    answered_count: int
    submitted_at: datetime.datetime | None
    updated_at: datetime.datetime


class AnswerIn(In):
    item_id: int
    value: str = Field("", max_length=20)
    comment: str = Field("", max_length=2000)


class AnswersIn(In):
    answers: list[AnswerIn] = Field(default_factory=list, max_length=1000)
    submit: bool = False


class ReturnIn(In):
    reason: str = Field(..., max_length=2000)


class ImprovementIn(In):
    owner_id: int
    due_date: datetime.date
    title: str = Field("", max_length=200)
    description: str = Field("", max_length=4000)


class ActionOut(Schema):
    id: int
    title: str
    source: str
    source_reference: str
    control_id: int | None
    org_unit_id: int | None
    owner_id: int
    due_date: datetime.date
    status: str
    inspection_answer_id: int | None


class RateOut(Schema):
    key: Any
    label: str
    implemented: int
    partial: int
    not_implemented: int
    not_applicable: int
    rate: float | None
    last_year: float | None
    change: float | None


class ProgressOut(Schema):
    unit_id: int
    label: str
    total: int
    not_started: int
    in_progress: int
    submitted: int
    approved: int
    returned: int
    done_percent: float


class ResultsOut(Schema):
    campaign_id: int
    previous_campaign_id: int | None
    overall: RateOut
    progress: list[ProgressOut]
    by_bureau: list[RateOut]
    by_unit: list[RateOut]
    by_chapter: list[RateOut]
    weakest: list[RateOut]
    # Whole-municipality results come from the results snapshot: when it was computed, and
    # whether it is out of date (a refresh is queued).
    computed_at: datetime.datetime | None = None
    stale: bool = False


class SheetFilter(Schema):
    campaign_id: int | None = None
    status: str | None = None
    mine: bool = False


# --- lookups ----------------------------------------------------------------------------------


def _campaign(request: HttpRequest, campaign_id: int) -> SelfInspection:
    permissions.require(_user(request), Action.VIEW_INSPECTIONS)
    return get_object_or_404(visibility.visible_campaigns(_user(request)), pk=campaign_id)


def _sheet(request: HttpRequest, sheet_id: int) -> InspectionResponse:
    permissions.require(_user(request), Action.VIEW_INSPECTIONS)
    return get_object_or_404(
        visibility.visible_responses(_user(request)).select_related("campaign"), pk=sheet_id
    )


# --- campaigns --------------------------------------------------------------------------------


@router.get("/inspections/campaigns", response=list[CampaignOut])
@paginate(Pagination)
def list_campaigns(request: HttpRequest) -> Any:
    permissions.require(_user(request), Action.VIEW_INSPECTIONS)
    return visibility.visible_campaigns(_user(request)).order_by("-fiscal_year", "-pk")


@router.post("/inspections/campaigns", response={201: CampaignOut})
def create_campaign(request: HttpRequest, payload: CampaignIn) -> Any:
    municipality = _target_municipality(request, Action.MANAGE_INSPECTIONS, payload.municipality_id)
    campaign = services.create_campaign(
        _user(request),
        municipality,
        fiscal_year=payload.fiscal_year,
        title=payload.title,
        opens_on=payload.opens_on,
        answer_business_days=payload.answer_business_days,
        note=payload.note,
    )
    return Status(201, campaign)


@router.get("/inspections/campaigns/{campaign_id}", response=CampaignOut)
def get_campaign(request: HttpRequest, campaign_id: int) -> Any:
    return _campaign(request, campaign_id)


def _managed(request: HttpRequest, campaign_id: int) -> SelfInspection:
    campaign = _campaign(request, campaign_id)
    permissions.require(_user(request), Action.MANAGE_INSPECTIONS, campaign)
    return campaign


@router.post("/inspections/campaigns/{campaign_id}/open", response=CampaignOut)
def open_campaign(request: HttpRequest, campaign_id: int) -> Any:
    return services.open_campaign(_user(request), _managed(request, campaign_id))


@router.post("/inspections/campaigns/{campaign_id}/close", response=CampaignOut)
def close_campaign(request: HttpRequest, campaign_id: int) -> Any:
    return services.close_campaign(_user(request), _managed(request, campaign_id))


@router.post("/inspections/campaigns/{campaign_id}/assignments", response={201: AssignOut})
def assign_questionnaire(request: HttpRequest, campaign_id: int, payload: AssignIn) -> Any:
    campaign = _managed(request, campaign_id)
    m = campaign.municipality
    unit = _ref(
        request,
        OrgUnit,
        payload.org_unit_id,
        municipality=m,
        field="org_unit_id",
        action=Action.VIEW_ORGANISATION,
    )
    person = _ref(
        request,
        Person,
        payload.person_id,
        municipality=m,
        field="person_id",
        action=Action.VIEW_PEOPLE,
    )
    try:
        created = services.assign(
            _user(request),
            campaign,
            target_group=payload.target_group,
            org_unit=unit,
            person=person,
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            names = {"org_unit": "org_unit_id", "person": "person_id"}
            raise ValidationError({names.get(k, k): v for k, v in exc.error_dict.items()}) from exc
        raise
    return Status(201, {"created": created})


@router.get("/inspections/campaigns/{campaign_id}/results", response=ResultsOut)
def campaign_results(request: HttpRequest, campaign_id: int) -> Any:
    campaign = _campaign(request, campaign_id)
    units = visibility.results_units(_user(request), campaign)
    if units is not None and not units:
        raise PermissionDenied
    r = results.current_results(campaign, units)
    return {
        "campaign_id": campaign.pk,
        "previous_campaign_id": r.previous.pk if r.previous else None,
        "overall": _rate(r.overall),
        "progress": [p.__dict__ | {"done_percent": p.done_percent} for p in r.progress],
        "by_bureau": [_rate(x) for x in r.by_bureau],
        "by_unit": [_rate(x) for x in r.by_unit],
        "by_chapter": [_rate(x) for x in r.by_chapter],
        "weakest": [_rate(x) for x in r.weakest],
        "computed_at": r.computed_at,
        "stale": r.stale,
    }


def _rate(r: results.Rate) -> dict[str, Any]:
    return r.__dict__ | {"rate": r.rate, "change": r.change}


# --- sheets -----------------------------------------------------------------------------------


@router.get("/inspections/sheets", response=list[SheetOut])
@paginate(Pagination)
def list_sheets(request: HttpRequest, filters: Query[SheetFilter]) -> Any:
    permissions.require(_user(request), Action.VIEW_INSPECTIONS)
    qs = visibility.visible_responses(_user(request))
    if filters.campaign_id is not None:
        qs = qs.filter(campaign_id=filters.campaign_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.mine:
        person = visibility.person_of(_user(request))
        qs = qs.filter(person=person) if person is not None else qs.none()
    return qs.order_by("pk")


def _detail(sheet: InspectionResponse) -> dict[str, Any]:
    data: dict[str, Any] = {f: getattr(sheet, f) for f in SheetOut.model_fields}
    data["items"] = list(
        InspectionItem.objects.filter(
            campaign_id=sheet.campaign_id, target_group=sheet.target_group
        ).order_by("position", "pk")
    )
    data["answers"] = list(
        InspectionAnswer.objects.filter(response=sheet).prefetch_related("evidence")
    )
    return data


@router.get("/inspections/sheets/{sheet_id}", response=SheetDetailOut)
def get_sheet(request: HttpRequest, sheet_id: int) -> Any:
    return _detail(_sheet(request, sheet_id))


@router.put("/inspections/sheets/{sheet_id}/answers", response=SheetSavedOut)
def save_sheet_answers(request: HttpRequest, sheet_id: int, payload: AnswersIn) -> Any:
    sheet = _sheet(request, sheet_id)
    answers = {a.item_id: (a.value, a.comment) for a in payload.answers}
    return services.save_answers(_user(request), sheet, answers, submit=payload.submit)


@router.post("/inspections/sheets/{sheet_id}/submit", response=SheetOut)
def submit_sheet(request: HttpRequest, sheet_id: int) -> Any:
    return services.submit(_user(request), _sheet(request, sheet_id))


@router.post("/inspections/sheets/{sheet_id}/evidence", response={201: EvidenceOut})
def upload_evidence(
    request: HttpRequest,
    sheet_id: int,
    item_id: Form[int | None] = None,
    file: File[UploadedFile | None] = None,
) -> Any:
    sheet = _sheet(request, sheet_id)
    permissions.require(_user(request), Action.ANSWER_INSPECTIONS, sheet)
    person = visibility.person_of(_user(request))
    if person is None or person.pk != sheet.person_id:
        raise PermissionDenied
    if file is None:
        raise ValidationError({"file": _no_file()})
    item = InspectionItem.objects.filter(
        pk=item_id, campaign_id=sheet.campaign_id, target_group=sheet.target_group
    ).first()
    if item is None:
        raise ValidationError({"item_id": _not_on_sheet()})
    limit = services.evidence_max_bytes()
    data = file.read(limit + 1)
    evidence = services.add_evidence(_user(request), sheet, item, name=file.name or "", data=data)
    return Status(201, evidence)


def _no_file() -> str:
    from django.utils.translation import gettext as _

    return _("Choose a question and a file to attach.")


def _not_on_sheet() -> str:
    from django.utils.translation import gettext as _

    return _("This question is not on the sheet.")


def _decidable(request: HttpRequest, sheet_id: int) -> InspectionResponse:
    sheet = _sheet(request, sheet_id)
    if visibility.approval_capacity(_user(request), sheet) is None:
        raise PermissionDenied
    return sheet


@router.post("/inspections/sheets/{sheet_id}/approve", response=SheetOut)
def approve_sheet(request: HttpRequest, sheet_id: int) -> Any:
    return services.approve(_user(request), _decidable(request, sheet_id))


@router.post("/inspections/sheets/{sheet_id}/return", response=SheetOut)
def return_sheet(request: HttpRequest, sheet_id: int, payload: ReturnIn) -> Any:
    return services.return_sheet(
        _user(request), _decidable(request, sheet_id), reason=payload.reason
    )


# --- improvement items ------------------------------------------------------------------------


@router.post("/inspections/answers/{answer_id}/improvement", response={201: ActionOut})
def create_improvement(request: HttpRequest, answer_id: int, payload: ImprovementIn) -> Any:
    permissions.require(_user(request), Action.VIEW_INSPECTIONS)
    sheets = visibility.visible_responses(_user(request))
    answer = get_object_or_404(
        InspectionAnswer.objects.select_related("response__campaign", "item").filter(
            response__in=sheets
        ),
        pk=answer_id,
    )
    if visibility.approval_capacity(_user(request), answer.response) is None:
        raise PermissionDenied
    owner = _ref(
        request,
        Person,
        payload.owner_id,
        municipality=answer.response.campaign.municipality,
        field="owner_id",
        action=Action.VIEW_PEOPLE,
    )
    try:
        action = services.create_improvement(
            _user(request),
            answer,
            owner=owner,
            due_date=payload.due_date,
            title=payload.title,
            description=payload.description,
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise ValidationError(
                {{"owner": "owner_id"}.get(k, k): v for k, v in exc.error_dict.items()}
            ) from exc
        raise
    return Status(201, action)


@router.get("/inspections/improvements", response=list[ActionOut])
@paginate(Pagination)
def list_improvements(request: HttpRequest) -> Any:
    user = _user(request)
    permissions.require(user, Action.VIEW_INSPECTIONS)
    qs = permissions.scope(user, Action.VIEW_INSPECTIONS, CorrectiveAction.objects.all()).filter(
        source=CorrectiveAction.Source.SELF_INSPECTION
    )
    whole = permissions.allowed_municipality_ids(user, Action.VIEW_ALL_INSPECTIONS)
    person = visibility.person_of(user)
    condition = Q(municipality_id__in=whole)
    if person is not None:
        condition |= Q(owner=person)
    units = visibility.managed_unit_ids(user)
    if units:
        condition |= Q(org_unit_id__in=units) | Q(org_unit__parent_id__in=units)
    return qs.filter(condition).order_by("due_date", "pk")
