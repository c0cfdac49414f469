"""API of 監査 (``/api/v1/audit-plans…``, ``/audits…``, ``/findings…``, ``/audit-actions…``).

The same rules as the pages: lookups through ``audits.visibility`` (a record out of sight is a
404; in sight but not the caller's to change, a 403), ids in a body resolved within the
municipality (422 on that field), the services decide and journal. A service's error about the
record itself (the plan is not a draft, the audit is closed, the finding is closed) is a 422
under ``__all__``.

- plans: ``GET /audit-plans`` (``fiscal_year``, ``status``), ``POST /audit-plans``,
  ``GET /audit-plans/{id}`` (with its audits), ``PUT /audit-plans/{id}``,
  ``POST /audit-plans/{id}/submit``, ``…/approve`` (``approval_reference``), ``…/return``
  (``reason``), ``…/close``;
- audits: ``POST /audit-plans/{id}/audits`` (items from ``control_ids``, ``chapters``,
  ``key_items_only``), ``GET /audits/{id}`` (with auditors and item counts), ``PUT``,
  ``DELETE /audits/{id}``, ``POST /audits/{id}/auditors`` (``person_id``, ``is_lead``),
  ``DELETE /audit-auditors/{id}``, ``POST /audits/{id}/close`` (``opinion``);
- fieldwork: ``GET /audits/{id}/items``, ``GET /audit-items/{id}`` (with working papers and
  evidence metadata), ``POST /audit-items/{id}/assess`` (``result``, ``note``),
  ``POST /audit-items/{id}/workpapers``, ``PUT /audit-workpapers/{id}``,
  ``POST /audit-workpapers/{id}/evidence`` (multipart ``file``), ``GET /audit-evidence/{id}``
  (the file, as an attachment; the read is journaled);
- findings: ``GET /findings`` (``status``, ``severity``, ``fiscal_year``, ``org_unit_id``,
  ``overdue``), ``POST /audits/{id}/findings``, ``GET /findings/{id}`` (with its corrective
  actions), ``PUT /findings/{id}``, ``POST /findings/{id}/close`` (``note``),
  ``POST /findings/{id}/targeted-inspection`` (横展開: ``org_unit_ids``,
  ``answer_business_days``);
- corrective actions of findings: ``GET /audit-actions`` (``mine``, ``status``, ``overdue``),
  ``POST /findings/{id}/actions``, ``POST /audit-actions/{id}/progress`` (the owner: ``note``,
  ``done``), ``POST /audit-actions/{id}/verify`` (an auditor of the audit: closes it),
  ``POST /audit-actions/{id}/reject`` (``reason``). No operation closes an action otherwise.

(No ``from __future__ import annotations``: django-ninja reads the annotations at import time.)
"""

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from isms.assets.models import InformationAsset
from isms.core import journal, permissions
from isms.core.api import In, Pagination, _ref, _target_municipality
from isms.core.models import JournalEntry, OrgUnit, Person, User
from isms.core.permissions import Action, SeparationOfDutiesError
from isms.inspections import services as inspection_services
from isms.inspections.models import CorrectiveAction
from isms.inspections.visibility import person_of
from isms.policy.models import Control, ControlStandard

from . import services, visibility
from .models import (
    Audit,
    AuditAuditor,
    AuditEvidence,
    AuditItem,
    AuditPlan,
    AuditWorkpaper,
    Finding,
)

__all__ = ["router"]

router = Router(tags=["audits"])

# The services' field names, as the request names them; the others (``plan``, ``audit``,
# ``finding``, ``status``, ``action``…) speak of the record itself: ``__all__``.
FIELD_NAMES = {
    "standard": "standard_id",
    "org_unit": "org_unit_id",
    "system": "system_id",
    "controls": "control_ids",
    "person": "person_id",
    "item": "item_id",
    "control": "control_id",
    "units": "org_unit_ids",
    "owner": "owner_id",
    "due_date": "due_business_days",
    "result_note": "note",
}
REQUEST_FIELDS = frozenset(
    {
        "municipality_id",
        "fiscal_year",
        "title",
        "objective",
        "approval_reference",
        "reason",
        "kind",
        "contractor",
        "external_firm",
        "starts_on",
        "ends_on",
        "chapters",
        "key_items_only",
        "is_lead",
        "opinion",
        "result",
        "note",
        "performed_on",
        "notes",
        "interviewee",
        "file",
        "severity",
        "description",
        "recommendation",
        "answer_business_days",
        "due_business_days",
        "done",
    }
    | set(FIELD_NAMES.values())
)
OPEN_ACTION = (CorrectiveAction.Status.OPEN, CorrectiveAction.Status.IN_PROGRESS)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@contextmanager
def _fields() -> Iterator[None]:
    """Re-key a service's ``ValidationError`` to the request's field names (``__all__`` for
    what concerns the record itself)."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        errors: dict[str, list[str]] = {}
        for name, errs in exc.error_dict.items():
            key = FIELD_NAMES.get(name, name)
            if key not in REQUEST_FIELDS:
                key = NON_FIELD_ERRORS
            errors.setdefault(key, []).extend(m for e in errs for m in e.messages)
        raise ValidationError(errors) from exc


# --- schemas ----------------------------------------------------------------------------------


class PlanOut(Schema):
    id: int
    municipality_id: int
    fiscal_year: int
    title: str
    objective: str
    standard_id: int
    status: str
    submitted_at: datetime.datetime | None
    prepared_by_id: int | None
    approved_by_id: int | None
    approved_at: datetime.datetime | None
    approval_reference: str
    closed_at: datetime.datetime | None


class AuditOut(Schema):
    id: int
    plan_id: int
    reference: str
    sequence: int
    title: str
    kind: str
    org_unit_id: int
    system_id: int | None
    contractor: str
    external_firm: str
    starts_on: datetime.date
    ends_on: datetime.date
    status: str
    opinion: str
    closed_at: datetime.datetime | None


class PlanDetailOut(PlanOut):
    audits: list[AuditOut]


class AuditorOut(Schema):
    id: int
    audit_id: int
    person_id: int
    name: str
    is_lead: bool

    @staticmethod
    def resolve_name(obj: AuditAuditor) -> str:
        return str(obj.person)


class ItemCountsOut(Schema):
    total: int
    pending: int
    conforming: int
    partial: int
    nonconforming: int
    not_applicable: int


class AuditDetailOut(AuditOut):
    auditors: list[AuditorOut]
    items: ItemCountsOut


class ItemOut(Schema):
    id: int
    audit_id: int
    control_id: int
    code: str
    chapter: int
    requirement: str
    focus: bool
    position: int
    result: str
    result_note: str
    assessed_by_id: int | None
    assessed_at: datetime.datetime | None


class EvidenceOut(Schema):
    id: int
    workpaper_id: int
    original_name: str
    size: int
    content_type: str
    sha256: str
    retain_until: datetime.date
    uploaded_at: datetime.datetime


class WorkpaperOut(Schema):
    id: int
    item_id: int
    kind: str
    performed_on: datetime.date
    interviewee: str
    notes: str
    prepared_by_id: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    evidence: list[EvidenceOut]

    @staticmethod
    def resolve_evidence(obj: AuditWorkpaper) -> list[Any]:
        return list(obj.evidence.all())


class ItemDetailOut(ItemOut):
    workpapers: list[WorkpaperOut]


class FindingOut(Schema):
    id: int
    audit_id: int
    reference: str
    sequence: int
    item_id: int | None
    control_id: int | None
    org_unit_id: int
    severity: str
    title: str
    description: str
    recommendation: str
    status: str
    targeted_inspection_id: int | None
    recorded_by_id: int
    closed_by_id: int | None
    closed_at: datetime.datetime | None
    created_at: datetime.datetime


class ActionOut(Schema):
    id: int
    finding_id: int
    source_reference: str
    title: str
    description: str
    control_id: int | None
    org_unit_id: int | None
    owner_id: int
    due_date: datetime.date
    status: str
    overdue: bool
    progress_note: str
    completed_at: datetime.datetime | None
    verified_by_id: int | None
    verified_at: datetime.datetime | None

    @staticmethod
    def resolve_overdue(obj: CorrectiveAction) -> bool:
        return obj.status in OPEN_ACTION and obj.due_date < timezone.localdate()


class FindingDetailOut(FindingOut):
    actions: list[ActionOut]


class TargetedOut(Schema):
    finding_id: int
    campaign_id: int
    units_asked: int


class PlanFilter(Schema):
    fiscal_year: int | None = Field(None, ge=2000, le=2100)
    status: AuditPlan.Status | None = None


class FindingFilter(Schema):
    status: Finding.Status | None = None
    severity: Finding.Severity | None = None
    fiscal_year: int | None = Field(None, ge=2000, le=2100)
    org_unit_id: int | None = None
    overdue: bool = False


class ActionFilter(Schema):
    mine: bool = False
    status: CorrectiveAction.Status | None = None
    overdue: bool = False


class PlanIn(In):
    municipality_id: int | None = None
    fiscal_year: int | None = None
    title: str = Field("", max_length=200)
    objective: str = Field("", max_length=8000)
    standard_id: int | None = None


class PlanUpdateIn(In):
    fiscal_year: int | None = None
    title: str = Field("", max_length=200)
    objective: str = Field("", max_length=8000)


class ApproveIn(In):
    approval_reference: str = Field("", max_length=200)


class ReasonIn(In):
    reason: str = Field("", max_length=2000)


class AuditUpdateIn(In):
    title: str = Field("", max_length=200)
    kind: str = Field("internal", max_length=10)
    org_unit_id: int | None = None
    system_id: int | None = None
    contractor: str = Field("", max_length=200)
    external_firm: str = Field("", max_length=200)
    starts_on: datetime.date | None = None
    ends_on: datetime.date | None = None


class AuditIn(AuditUpdateIn):
    control_ids: list[int] = Field(default_factory=list, max_length=5000)
    chapters: list[int] = Field(default_factory=list, max_length=50)
    key_items_only: bool = False


class AuditorIn(In):
    person_id: int | None = None
    is_lead: bool = False


class OpinionIn(In):
    opinion: str = Field("", max_length=8000)


class AssessIn(In):
    result: str = Field("", max_length=20)
    note: str = Field("", max_length=8000)


class WorkpaperIn(In):
    kind: str = Field("", max_length=20)
    performed_on: datetime.date | None = None
    notes: str = Field("", max_length=8000)
    interviewee: str = Field("", max_length=200)


class FindingUpdateIn(In):
    severity: str = Field("", max_length=12)
    title: str = Field("", max_length=200)
    description: str = Field("", max_length=8000)
    recommendation: str = Field("", max_length=8000)
    control_id: int | None = None
    org_unit_id: int | None = None


class FindingIn(FindingUpdateIn):
    item_id: int | None = None


class NoteIn(In):
    note: str = Field("", max_length=2000)


class TargetedIn(In):
    org_unit_ids: list[int] = Field(default_factory=list, max_length=500)
    answer_business_days: int | None = Field(10, ge=1, le=120)


class ActionIn(In):
    title: str = Field("", max_length=200)
    owner_id: int | None = None
    due_business_days: int | None = None
    description: str = Field("", max_length=4000)


class ProgressIn(In):
    note: str = Field("", max_length=4000)
    done: bool = False


# --- lookups ----------------------------------------------------------------------------------


def _viewer(request: HttpRequest) -> User:
    user = _user(request)
    permissions.require(user, Action.VIEW_AUDITS)
    return user


def _plan(request: HttpRequest, plan_id: int) -> AuditPlan:
    plans = visibility.visible_plans(_viewer(request)).select_related("municipality", "standard")
    return get_object_or_404(plans, pk=plan_id)


def _audit(request: HttpRequest, audit_id: int) -> Audit:
    audits = visibility.visible_audits(_viewer(request)).select_related(
        "plan__municipality", "org_unit"
    )
    return get_object_or_404(audits, pk=audit_id)


def _visible_audits(request: HttpRequest) -> QuerySet[Audit]:
    return visibility.visible_audits(_viewer(request))


def _item(request: HttpRequest, item_id: int) -> AuditItem:
    items = AuditItem.objects.filter(audit__in=_visible_audits(request)).select_related(
        "audit__plan__municipality", "control"
    )
    return get_object_or_404(items, pk=item_id)


def _workpaper(request: HttpRequest, workpaper_id: int) -> AuditWorkpaper:
    papers = AuditWorkpaper.objects.filter(item__audit__in=_visible_audits(request)).select_related(
        "item__audit__plan"
    )
    return get_object_or_404(papers, pk=workpaper_id)


def _auditor(request: HttpRequest, auditor_id: int) -> AuditAuditor:
    auditors = AuditAuditor.objects.filter(audit__in=_visible_audits(request)).select_related(
        "audit__plan", "person"
    )
    return get_object_or_404(auditors, pk=auditor_id)


def _finding(request: HttpRequest, finding_id: int) -> Finding:
    findings = visibility.visible_findings(_viewer(request)).select_related(
        "audit__plan__municipality", "audit__org_unit", "org_unit", "item", "control"
    )
    return get_object_or_404(findings, pk=finding_id)


def _action(request: HttpRequest, action_id: int) -> CorrectiveAction:
    actions = visibility.visible_actions(_viewer(request)).select_related("owner", "finding")
    return get_object_or_404(actions, pk=action_id)


def _unit(request: HttpRequest, pk: int | None, plan: AuditPlan, field: str) -> OrgUnit | None:
    found: Any = _ref(
        request,
        OrgUnit,
        pk,
        municipality=plan.municipality,
        field=field,
        action=Action.VIEW_ORGANISATION,
    )
    return found


def _system(request: HttpRequest, pk: int | None, plan: AuditPlan) -> Any:
    return _ref(
        request,
        InformationAsset,
        pk,
        municipality=plan.municipality,
        field="system_id",
        action=Action.VIEW_AUDITS,
    )


def _control(request: HttpRequest, pk: int | None, plan: AuditPlan) -> Control | None:
    found: Any = _ref(
        request,
        Control,
        pk,
        municipality=plan.municipality,
        field="control_id",
        action=Action.VIEW_CONTROLS,
    )
    return found


def _person(request: HttpRequest, pk: int | None, plan: AuditPlan, field: str) -> Person | None:
    found: Any = _ref(
        request,
        Person,
        pk,
        municipality=plan.municipality,
        field=field,
        action=Action.VIEW_PEOPLE,
    )
    return found


def _required(value: Any, field: str) -> None:
    if value is None:
        from django.utils.translation import gettext as _

        raise ValidationError({field: _("This field is required.")})


# --- plans (監査実施計画) -------------------------------------------------------------------------


@router.get("/audit-plans", response=list[PlanOut])
@paginate(Pagination)
def list_audit_plans(request: HttpRequest, filters: Query[PlanFilter]) -> Any:
    qs = visibility.visible_plans(_viewer(request))
    if filters.fiscal_year is not None:
        qs = qs.filter(fiscal_year=filters.fiscal_year)
    if filters.status is not None:
        qs = qs.filter(status=filters.status)
    return qs.order_by("-fiscal_year", "-pk")


@router.post("/audit-plans", response={201: PlanOut})
def create_audit_plan(request: HttpRequest, payload: PlanIn) -> Any:
    municipality = _target_municipality(request, Action.MANAGE_AUDITS, payload.municipality_id)
    standard = _ref(
        request,
        ControlStandard,
        payload.standard_id,
        municipality=municipality,
        field="standard_id",
        action=Action.VIEW_CONTROLS,
    )
    with _fields():
        plan = services.create_plan(
            _user(request),
            municipality,
            fiscal_year=payload.fiscal_year,
            title=payload.title,
            objective=payload.objective,
            standard=standard,
        )
    return Status(201, plan)


def _plan_detail(request: HttpRequest, plan: AuditPlan) -> dict[str, Any]:
    data: dict[str, Any] = {f: getattr(plan, f) for f in PlanOut.model_fields}
    # Only the audits the caller may see (a unit's managers: their units' audits).
    data["audits"] = list(
        visibility.visible_audits(_viewer(request))
        .filter(plan=plan)
        .select_related("plan")
        .order_by("sequence")
    )
    return data


@router.get("/audit-plans/{plan_id}", response=PlanDetailOut)
def get_audit_plan(request: HttpRequest, plan_id: int) -> Any:
    return _plan_detail(request, _plan(request, plan_id))


def _managed_plan(request: HttpRequest, plan_id: int) -> AuditPlan:
    plan = _plan(request, plan_id)
    permissions.require(_user(request), Action.MANAGE_AUDITS, plan)
    return plan


@router.put("/audit-plans/{plan_id}", response=PlanOut)
def update_audit_plan(request: HttpRequest, plan_id: int, payload: PlanUpdateIn) -> Any:
    plan = _managed_plan(request, plan_id)
    with _fields():
        return services.update_plan(
            _user(request),
            plan,
            fiscal_year=payload.fiscal_year,
            title=payload.title,
            objective=payload.objective,
        )


@router.post("/audit-plans/{plan_id}/submit", response=PlanOut)
def submit_audit_plan(request: HttpRequest, plan_id: int) -> Any:
    plan = _managed_plan(request, plan_id)
    with _fields():
        return services.submit_plan(_user(request), plan)


def _committee_plan(request: HttpRequest, plan_id: int) -> AuditPlan:
    plan = _plan(request, plan_id)
    permissions.require(_user(request), Action.APPROVE_AUDIT_PLANS, plan)
    return plan


@router.post("/audit-plans/{plan_id}/approve", response=PlanOut)
def approve_audit_plan(request: HttpRequest, plan_id: int, payload: ApproveIn) -> Any:
    """The committee's approval (its chair or the CISO), never by the plan's preparer."""
    plan = _committee_plan(request, plan_id)
    with _fields():
        return services.approve_plan(_user(request), plan, reference=payload.approval_reference)


@router.post("/audit-plans/{plan_id}/return", response=PlanOut)
def return_audit_plan(request: HttpRequest, plan_id: int, payload: ReasonIn) -> Any:
    plan = _committee_plan(request, plan_id)
    with _fields():
        return services.return_plan(_user(request), plan, reason=payload.reason)


@router.post("/audit-plans/{plan_id}/close", response=PlanOut)
def close_audit_plan(request: HttpRequest, plan_id: int) -> Any:
    plan = _managed_plan(request, plan_id)
    with _fields():
        return services.close_plan(_user(request), plan)


# --- audits of a plan ------------------------------------------------------------------------


def _audit_detail(audit: Audit) -> dict[str, Any]:
    data: dict[str, Any] = {f: getattr(audit, f) for f in AuditOut.model_fields}
    data["auditors"] = list(audit.auditors.select_related("person"))
    counts = {r: 0 for r in AuditItem.Result.values}
    for result in audit.items.values_list("result", flat=True):
        counts[result] = counts.get(result, 0) + 1
    data["items"] = counts | {"total": sum(counts.values())}
    return data


def _audit_fields(request: HttpRequest, plan: AuditPlan, payload: AuditUpdateIn) -> dict[str, Any]:
    return {
        "title": payload.title,
        "kind": payload.kind,
        "org_unit": _unit(request, payload.org_unit_id, plan, "org_unit_id"),
        "system": _system(request, payload.system_id, plan),
        "contractor": payload.contractor,
        "external_firm": payload.external_firm,
        "starts_on": payload.starts_on,
        "ends_on": payload.ends_on,
    }


@router.post("/audit-plans/{plan_id}/audits", response={201: AuditDetailOut})
def add_audit_to_plan(request: HttpRequest, plan_id: int, payload: AuditIn) -> Any:
    """Add an audit to a draft plan; its items are the chosen controls of the plan's 対策基準."""
    plan = _managed_plan(request, plan_id)
    fields = _audit_fields(request, plan, payload)
    controls: list[Control] = []
    if payload.control_ids:
        wanted = list(dict.fromkeys(payload.control_ids))
        found = {
            c.pk: c
            for c in permissions.scope(
                _user(request), Action.VIEW_CONTROLS, Control.objects.all()
            ).filter(standard__municipality=plan.municipality_id, pk__in=wanted)
        }
        missing = [pk for pk in wanted if pk not in found]
        if missing:
            from django.utils.translation import gettext as _

            raise ValidationError(
                {
                    "control_ids": _("These controls were not found in this municipality: %(ids)s.")
                    % {"ids": ", ".join(str(pk) for pk in missing[:20])}
                }
            )
        controls = [found[pk] for pk in wanted]
    with _fields():
        audit = services.add_audit(
            _user(request),
            plan,
            controls=controls or None,
            chapters=payload.chapters or None,
            key_items_only=payload.key_items_only,
            **fields,
        )
    return Status(201, _audit_detail(audit))


@router.get("/audits/{audit_id}", response=AuditDetailOut)
def get_audit(request: HttpRequest, audit_id: int) -> Any:
    return _audit_detail(_audit(request, audit_id))


def _managed_audit(request: HttpRequest, audit_id: int) -> Audit:
    audit = _audit(request, audit_id)
    permissions.require(_user(request), Action.MANAGE_AUDITS, audit)
    return audit


@router.put("/audits/{audit_id}", response=AuditDetailOut)
def update_audit(request: HttpRequest, audit_id: int, payload: AuditUpdateIn) -> Any:
    audit = _managed_audit(request, audit_id)
    fields = _audit_fields(request, audit.plan, payload)
    try:
        with _fields():
            audit = services.update_audit(_user(request), audit, **fields)
    except SeparationOfDutiesError as exc:
        # An auditor of the audit belongs to the new audited unit.
        raise ValidationError({"org_unit_id": list(exc.messages)}) from exc
    return _audit_detail(audit)


@router.delete("/audits/{audit_id}", response={204: None})
def delete_audit(request: HttpRequest, audit_id: int) -> Any:
    audit = _managed_audit(request, audit_id)
    with _fields():
        services.remove_audit(_user(request), audit)
    return Status(204, None)


@router.post("/audits/{audit_id}/auditors", response={201: AuditorOut})
def assign_audit_auditor(request: HttpRequest, audit_id: int, payload: AuditorIn) -> Any:
    """Name an auditor: independent of the audited unit (else a 422 on ``person_id``)."""
    audit = _managed_audit(request, audit_id)
    person = _person(request, payload.person_id, audit.plan, "person_id")
    _required(person, "person_id")
    try:
        with _fields():
            auditor = services.assign_auditor(
                _user(request), audit, person, is_lead=payload.is_lead
            )
    except SeparationOfDutiesError as exc:
        raise ValidationError({"person_id": list(exc.messages)}) from exc
    return Status(201, auditor)


@router.delete("/audit-auditors/{auditor_id}", response={204: None})
def remove_audit_auditor(request: HttpRequest, auditor_id: int) -> Any:
    auditor = _auditor(request, auditor_id)
    permissions.require(_user(request), Action.MANAGE_AUDITS, auditor.audit)
    with _fields():
        services.remove_auditor(_user(request), auditor)
    return Status(204, None)


def _fieldwork_audit(request: HttpRequest, audit: Audit) -> Audit:
    permissions.require(_user(request), Action.PERFORM_AUDITS, audit)
    return audit


@router.post("/audits/{audit_id}/close", response=AuditDetailOut)
def close_audit(request: HttpRequest, audit_id: int, payload: OpinionIn) -> Any:
    """Close the fieldwork with the auditors' opinion (every item assessed)."""
    audit = _fieldwork_audit(request, _audit(request, audit_id))
    with _fields():
        audit = services.close_audit(_user(request), audit, opinion=payload.opinion)
    return _audit_detail(audit)


# --- fieldwork -------------------------------------------------------------------------------


@router.get("/audits/{audit_id}/items", response=list[ItemOut])
@paginate(Pagination)
def list_audit_items(request: HttpRequest, audit_id: int) -> Any:
    audit = _audit(request, audit_id)
    return audit.items.order_by("position", "pk")


@router.get("/audit-items/{item_id}", response=ItemDetailOut)
def get_audit_item(request: HttpRequest, item_id: int) -> Any:
    item = _item(request, item_id)
    data: dict[str, Any] = {f: getattr(item, f) for f in ItemOut.model_fields}
    data["workpapers"] = list(item.workpapers.prefetch_related("evidence"))
    return data


@router.post("/audit-items/{item_id}/assess", response=ItemOut)
def assess_audit_item(request: HttpRequest, item_id: int, payload: AssessIn) -> Any:
    """Record the item's result: conforming, partial, nonconforming or not_applicable."""
    item = _item(request, item_id)
    _fieldwork_audit(request, item.audit)
    with _fields():
        return services.assess_item(_user(request), item, result=payload.result, note=payload.note)


@router.post("/audit-items/{item_id}/workpapers", response={201: WorkpaperOut})
def add_audit_workpaper(request: HttpRequest, item_id: int, payload: WorkpaperIn) -> Any:
    item = _item(request, item_id)
    _fieldwork_audit(request, item.audit)
    with _fields():
        paper = services.add_workpaper(_user(request), item, **payload.dict())
    return Status(201, paper)


@router.put("/audit-workpapers/{workpaper_id}", response=WorkpaperOut)
def update_audit_workpaper(request: HttpRequest, workpaper_id: int, payload: WorkpaperIn) -> Any:
    paper = _workpaper(request, workpaper_id)
    _fieldwork_audit(request, paper.item.audit)
    with _fields():
        return services.update_workpaper(_user(request), paper, **payload.dict())


@router.post("/audit-workpapers/{workpaper_id}/evidence", response={201: EvidenceOut})
def upload_audit_evidence(
    request: HttpRequest, workpaper_id: int, file: File[UploadedFile | None] = None
) -> Any:
    """Attach an evidence file (multipart ``file``): type by content, size limit; refused once
    the audit is closed."""
    paper = _workpaper(request, workpaper_id)
    _fieldwork_audit(request, paper.item.audit)
    if file is None:
        from django.utils.translation import gettext as _

        raise ValidationError({"file": _("Choose the evidence file to attach (multipart file).")})
    data = file.read(inspection_services.evidence_max_bytes() + 1)
    with _fields():
        evidence = services.add_evidence(_user(request), paper, name=file.name or "", data=data)
    return Status(201, evidence)


@router.get("/audit-evidence/{evidence_id}")
def download_audit_evidence(request: HttpRequest, evidence_id: int) -> Any:
    """The evidence file as an attachment; the read is journaled."""
    evidence = get_object_or_404(
        AuditEvidence.objects.filter(
            workpaper__item__audit__in=_visible_audits(request)
        ).select_related("workpaper__item__audit__plan"),
        pk=evidence_id,
    )
    path = services.evidence_path(evidence)
    if not path.is_file():
        raise Http404
    with transaction.atomic():
        journal.record_many(
            [
                journal.JournalItem(
                    action="audit_evidence.read",
                    object_type=evidence._meta.label_lower,
                    object_id=str(evidence.pk),
                    object_label=str(evidence),
                    kind=JournalEntry.Kind.READ,
                )
            ],
            actor=_user(request),
            municipality=evidence.workpaper.item.audit.plan.municipality_id,
        )
    # Never the detected type: the browser must not render what an auditee uploaded.
    response = FileResponse(path.open("rb"), content_type="application/octet-stream")
    response["Content-Disposition"] = (
        f"attachment; filename*=UTF-8''{quote(services.download_name(evidence))}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- findings (指摘事項) ----------------------------------------------------------------------


def _overdue_actions() -> QuerySet[CorrectiveAction]:
    return CorrectiveAction.objects.filter(
        finding=OuterRef("pk"), status__in=OPEN_ACTION, due_date__lt=timezone.localdate()
    )


@router.get("/findings", response=list[FindingOut])
@paginate(Pagination)
def list_audit_findings(request: HttpRequest, filters: Query[FindingFilter]) -> Any:
    qs = visibility.visible_findings(_viewer(request)).select_related("audit__plan")
    if filters.status is not None:
        qs = qs.filter(status=filters.status)
    if filters.severity is not None:
        qs = qs.filter(severity=filters.severity)
    if filters.fiscal_year is not None:
        qs = qs.filter(audit__plan__fiscal_year=filters.fiscal_year)
    if filters.org_unit_id is not None:
        qs = qs.filter(org_unit_id=filters.org_unit_id)
    if filters.overdue:
        qs = qs.filter(Exists(_overdue_actions()))
    return qs.order_by("-audit__plan__fiscal_year", "audit__plan_id", "audit__sequence", "sequence")


def _finding_detail(finding: Finding) -> dict[str, Any]:
    data: dict[str, Any] = {f: getattr(finding, f) for f in FindingOut.model_fields}
    data["actions"] = list(finding.corrective_actions.order_by("due_date", "pk"))
    return data


@router.post("/audits/{audit_id}/findings", response={201: FindingDetailOut})
def record_audit_finding(request: HttpRequest, audit_id: int, payload: FindingIn) -> Any:
    """An auditor of the audit records a finding; the unit's managers are told by mail."""
    audit = _fieldwork_audit(request, _audit(request, audit_id))
    item = None
    if payload.item_id is not None:
        item = AuditItem.objects.filter(audit=audit, pk=payload.item_id).first()
        if item is None:
            from django.utils.translation import gettext as _

            raise ValidationError({"item_id": _("Choose an item of this audit.")})
    with _fields():
        finding = services.record_finding(
            _user(request),
            audit,
            severity=payload.severity,
            title=payload.title,
            description=payload.description,
            recommendation=payload.recommendation,
            item=item,
            control=_control(request, payload.control_id, audit.plan),
            org_unit=_unit(request, payload.org_unit_id, audit.plan, "org_unit_id"),
        )
    return Status(201, _finding_detail(finding))


@router.get("/findings/{finding_id}", response=FindingDetailOut)
def get_audit_finding(request: HttpRequest, finding_id: int) -> Any:
    return _finding_detail(_finding(request, finding_id))


@router.put("/findings/{finding_id}", response=FindingDetailOut)
def update_audit_finding(request: HttpRequest, finding_id: int, payload: FindingUpdateIn) -> Any:
    """Correct an open finding of an open audit (a closed finding is kept as it was: 422)."""
    finding = _finding(request, finding_id)
    _fieldwork_audit(request, finding.audit)
    plan = finding.audit.plan
    with _fields():
        finding = services.update_finding(
            _user(request),
            finding,
            severity=payload.severity,
            title=payload.title,
            description=payload.description,
            recommendation=payload.recommendation,
            control=_control(request, payload.control_id, plan),
            org_unit=_unit(request, payload.org_unit_id, plan, "org_unit_id"),
        )
    return _finding_detail(finding)


@router.post("/findings/{finding_id}/close", response=FindingDetailOut)
def close_audit_finding(request: HttpRequest, finding_id: int, payload: NoteIn) -> Any:
    """An auditor closes a finding whose corrective actions are all verified."""
    finding = _finding(request, finding_id)
    _fieldwork_audit(request, finding.audit)
    with _fields():
        finding = services.close_finding(_user(request), finding, note=payload.note)
    return _finding_detail(finding)


@router.post("/findings/{finding_id}/targeted-inspection", response={201: TargetedOut})
def request_finding_targeted_inspection(
    request: HttpRequest, finding_id: int, payload: TargetedIn
) -> Any:
    """横展開: ask other units' 情報セキュリティ管理者 to check themselves for the same issue."""
    finding = _finding(request, finding_id)
    user = _user(request)
    plan = finding.audit.plan
    permissions.require(user, Action.MANAGE_INSPECTIONS, plan.municipality)
    permissions.require(user, Action.VIEW_ALL_AUDITS, plan.municipality)
    units = [_unit(request, pk, plan, "org_unit_ids") for pk in dict.fromkeys(payload.org_unit_ids)]
    with _fields():
        campaign = services.request_targeted_inspection(
            user,
            finding,
            units=[u for u in units if u is not None],
            answer_business_days=payload.answer_business_days,
        )
    return Status(
        201,
        {
            "finding_id": finding.pk,
            "campaign_id": campaign.pk,
            "units_asked": campaign.responses.count(),
        },
    )


# --- corrective actions of findings (是正処置) ----------------------------------------------------


@router.get("/audit-actions", response=list[ActionOut])
@paginate(Pagination)
def list_audit_actions(request: HttpRequest, filters: Query[ActionFilter]) -> Any:
    user = _viewer(request)
    qs = visibility.visible_actions(user)
    if filters.mine:
        person = person_of(user)
        qs = qs.filter(owner=person) if person is not None else qs.none()
    if filters.status is not None:
        qs = qs.filter(status=filters.status)
    if filters.overdue:
        qs = qs.filter(status__in=OPEN_ACTION, due_date__lt=timezone.localdate())
    return qs.order_by("due_date", "pk")


@router.post("/findings/{finding_id}/actions", response={201: ActionOut})
def add_finding_action(request: HttpRequest, finding_id: int, payload: ActionIn) -> Any:
    """The finding's unit (its 管理者/責任者, or a lead) answers it: who does what, due in
    business days."""
    finding = _finding(request, finding_id)
    user = _user(request)
    services.respond_capacity(user, finding)
    owner = _person(request, payload.owner_id, finding.audit.plan, "owner_id")
    with _fields():
        action = services.add_action(
            user,
            finding,
            title=payload.title,
            owner=owner,
            due_business_days=payload.due_business_days,
            description=payload.description,
        )
    return Status(201, action)


@router.post("/audit-actions/{action_id}/progress", response=ActionOut)
def progress_audit_action(request: HttpRequest, action_id: int, payload: ProgressIn) -> Any:
    """The owner reports progress, or that the action is done (it then awaits an auditor's
    verification: only ``…/verify`` closes it)."""
    action = _action(request, action_id)
    with _fields():
        return inspection_services.progress_action(
            _user(request), action, note=payload.note, done=payload.done
        )


def _auditor_action(request: HttpRequest, action_id: int) -> CorrectiveAction:
    action = _action(request, action_id)
    permissions.require(_user(request), Action.PERFORM_AUDITS, action)
    return action


@router.post("/audit-actions/{action_id}/verify", response=ActionOut)
def verify_audit_action(request: HttpRequest, action_id: int, payload: NoteIn) -> Any:
    """An auditor of the finding's audit (never the owner) verifies a done action: closed."""
    action = _auditor_action(request, action_id)
    with _fields():
        return services.verify_action(_user(request), action, note=payload.note)


@router.post("/audit-actions/{action_id}/reject", response=ActionOut)
def reject_audit_action(request: HttpRequest, action_id: int, payload: ReasonIn) -> Any:
    """An auditor sends a done action back to its owner, with the reason."""
    action = _auditor_action(request, action_id)
    with _fields():
        return services.reject_action(_user(request), action, reason=payload.reason)
