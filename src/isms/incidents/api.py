"""API of the incidents (``/api/v1/incidents…``), with the pages' permissions.

Lookups through ``visibility.visible_incidents`` (out of sight: 404; in sight but not the
caller's to handle: 403); ids in a body are resolved within the incident's municipality (422).
Reading an incident whose personal-data details are filled in is journaled.

- ``GET /incidents`` (``status``, ``fiscal_year``): a summary, no personal-data details;
  ``GET /incidents/{id}`` (journaled when it has personal data);
- ``POST /incidents``: report (any member of staff);
- ``POST /incidents/{id}/acknowledge``, ``/triage``, ``/ppc-decision``, ``/external-reports``,
  ``/publication``, ``/timeline``, ``/close``: the CSIRT and the leads;
- ``GET /incidents/{id}/timeline``;
- ``GET /incidents/review-summary``: the figures of a fiscal year for the policy review.

(No ``from __future__ import annotations``: django-ninja reads the annotations at import time.)
"""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from isms.assets.models import InformationAsset
from isms.core import journal, permissions
from isms.core.api import In, Pagination, _ref, _target_municipality, api_field_names
from isms.core.calendar import fiscal_year_of
from isms.core.models import Person, User
from isms.core.permissions import Action

from . import services, visibility
from .models import ExternalReport, Incident, TimelineEntry

__all__ = ["router"]

router = Router(tags=["incidents"])

FIELD_NAMES = {"done_by": "done_by_id", "assets": "asset_ids", "org_unit": "org_unit_id"}


class RuleOut(Schema):
    id: str
    label: str
    source: str
    confidence: str


class IncidentOut(Schema):
    id: int
    municipality_id: int
    number: str
    fiscal_year: int
    channel: str
    title: str
    description: str
    detected_at: datetime.datetime
    reported_at: datetime.datetime
    reporter_id: int | None
    org_unit_id: int | None
    status: str
    acknowledged_at: datetime.datetime | None
    escalation_level: int
    is_incident: bool | None
    severity: str
    kind: str
    threat_category: str
    asset_ids: list[int]
    personal_data: bool
    persons_affected: int
    involves_sensitive_data: bool
    involves_ordinance_sensitive_data: bool
    risk_of_financial_damage: bool
    unauthorised_purpose: bool
    involves_my_number: bool
    is_serious_situation: bool
    ppc_suggested: bool
    ppc_rule_version: int | None
    ppc_rules: list[RuleOut]
    ppc_deadlines_uncertain: bool
    ppc_preliminary_due: datetime.date | None
    ppc_final_due: datetime.date | None
    ppc_decision: str
    ppc_decision_reason: str
    publication: str
    publication_reason: str
    root_cause: str
    closure_review: str
    closed_at: datetime.datetime | None
    corrective_action_ids: list[int]


class IncidentSummaryOut(Schema):
    """One incident in the list: no description, no personal-data details (those are read,
    and journaled, through ``GET /incidents/{id}``)."""

    id: int
    municipality_id: int
    number: str
    fiscal_year: int
    channel: str
    title: str
    status: str
    severity: str
    detected_at: datetime.datetime
    reported_at: datetime.datetime
    acknowledged_at: datetime.datetime | None
    closed_at: datetime.datetime | None


class IncidentFilter(Schema):
    municipality_id: int | None = None
    fiscal_year: int | None = Field(None, ge=2000, le=2100)
    status: Incident.Status | None = None


class ReportIn(In):
    municipality_id: int | None = None
    title: str = Field(max_length=200)
    description: str = Field(max_length=4000)
    detected_at: datetime.datetime | None = None
    personal_data: bool = False


class TriageIn(In):
    is_incident: bool
    severity: str = Field("", max_length=10)
    kind: str = Field("", max_length=30)
    threat_category: str = Field("", max_length=20)
    asset_ids: list[int] = Field(default_factory=list, max_length=200)
    persons_affected: int = Field(0, ge=0, le=10**9)
    note: str = Field("", max_length=4000)
    personal_data: bool = False
    involves_sensitive_data: bool = False
    involves_ordinance_sensitive_data: bool = False
    risk_of_financial_damage: bool = False
    unauthorised_purpose: bool = False
    involves_my_number: bool = False
    is_serious_situation: bool = False


class PpcDecisionIn(In):
    decision: str = Field(max_length=10)
    reason: str = Field("", max_length=4000)


class ExternalReportIn(In):
    target: ExternalReport.Target
    kind: ExternalReport.Kind
    reported_on: datetime.date
    reference: str = Field("", max_length=200)
    note: str = Field("", max_length=4000)


class ExternalReportOut(Schema):
    id: int
    incident_id: int
    target: str
    kind: str
    reported_on: datetime.date
    reference: str
    note: str


class PublicationIn(In):
    publication: str = Field(max_length=12)
    reason: str = Field("", max_length=4000)


class TimelineIn(In):
    kind: TimelineEntry.Kind
    occurred_at: datetime.datetime
    text: str = Field(max_length=4000)
    done_by_id: int | None = None


class TimelineOut(Schema):
    id: int
    incident_id: int
    kind: str
    occurred_at: datetime.datetime
    text: str
    actor_id: int | None
    recorded_by_id: int | None


class ActionIn(In):
    title: str = Field(max_length=200)
    owner_id: int
    due_date: datetime.date
    description: str = Field("", max_length=4000)


class CloseIn(In):
    root_cause: str = Field("", max_length=4000)
    review: str = Field("", max_length=4000)
    actions: list[ActionIn] = Field(default_factory=list, max_length=20)


class SummaryFilter(Schema):
    municipality_id: int | None = None
    fiscal_year: int | None = Field(None, ge=2000, le=2100)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _out(incident: Incident) -> dict[str, Any]:
    s = services.suggestion(incident)
    ruleset = services.rule_data.load_rules()
    fired = set(incident.ppc_rule_ids)
    data = {f.attname: getattr(incident, f.attname) for f in Incident._meta.concrete_fields}
    data["municipality_id"] = incident.municipality_id
    data["asset_ids"] = sorted(a.pk for a in incident.assets.all())
    data["corrective_action_ids"] = sorted(a.pk for a in incident.corrective_actions.all())
    data["ppc_rules"] = [
        {"id": r.id, "label": r.label_ja, "source": r.source, "confidence": r.confidence}
        for r in ruleset.rules
        if r.id in fired
    ]
    data["ppc_deadlines_uncertain"] = s.deadlines_uncertain
    return data


def _incident(request: HttpRequest, incident_id: int) -> Incident:
    permissions.require(request.user, Action.VIEW_INCIDENTS)
    found = visibility.visible_incidents(_user(request)).filter(pk=incident_id).first()
    if found is None:
        raise Http404
    return found


def _handled(request: HttpRequest, incident_id: int) -> Incident:
    incident = _incident(request, incident_id)
    if not visibility.can_triage(_user(request), incident):
        raise PermissionDenied
    return incident


@router.get("/incidents", response=list[IncidentSummaryOut])
@paginate(Pagination)
def list_incidents(request: HttpRequest, filters: Query[IncidentFilter]) -> Any:
    """The incidents the caller sees (no personal-data details are read: list only)."""
    permissions.require(request.user, Action.VIEW_INCIDENTS)
    qs = visibility.visible_incidents(_user(request))
    f = filters.dict()
    for name in ("municipality_id", "fiscal_year", "status"):
        if f.get(name) is not None:
            qs = qs.filter(**{name: f[name]})
    return qs.order_by("-reported_at", "-pk")


@router.get("/incidents/review-summary", response=dict[str, Any])
def incident_review_summary(request: HttpRequest, filters: Query[SummaryFilter]) -> Any:
    """The incident figures of a fiscal year, as the policy review reads them."""
    permissions.require(request.user, Action.VIEW_ALL_INCIDENTS)
    mid = filters.municipality_id or _user(request).municipality_id
    if mid is None or not permissions.can(
        request.user, Action.VIEW_ALL_INCIDENTS, municipality=mid
    ):
        raise PermissionDenied
    from django.utils import timezone

    fy = filters.fiscal_year or fiscal_year_of(timezone.localdate())
    return services.review_summary(mid, fy)


@router.get("/incidents/{incident_id}", response=IncidentOut)
def get_incident(request: HttpRequest, incident_id: int) -> Any:
    incident = _incident(request, incident_id)
    services.read_incident(_user(request), incident)
    return _out(incident)


@router.post("/incidents", response={201: IncidentOut})
def report_incident(request: HttpRequest, payload: ReportIn) -> Any:
    data = payload.dict()
    municipality = _target_municipality(
        request, Action.REPORT_INCIDENTS, data.pop("municipality_id", None)
    )
    with api_field_names(FIELD_NAMES):
        incident = services.report_incident(
            _user(request), municipality, channel=Incident.Channel.API, **data
        )
    return Status(201, _out(incident))


@router.post("/incidents/{incident_id}/acknowledge", response=IncidentOut)
def acknowledge_incident(request: HttpRequest, incident_id: int) -> Any:
    incident = _handled(request, incident_id)
    return _out(services.acknowledge(_user(request), incident))


@router.post("/incidents/{incident_id}/triage", response=IncidentOut)
def triage_incident(request: HttpRequest, incident_id: int, payload: TriageIn) -> Any:
    """Record the triage; the PPC suggestion in the answer is computed from these facts."""
    incident = _handled(request, incident_id)
    data = payload.dict()
    assets = [
        _ref(
            request,
            InformationAsset,
            pk,
            municipality=incident.municipality,
            field="asset_ids",
            action=Action.VIEW_INCIDENTS,
        )
        for pk in dict.fromkeys(data.pop("asset_ids"))
    ]
    with api_field_names(FIELD_NAMES):
        return _out(services.triage(_user(request), incident, assets=assets, **data))


@router.post("/incidents/{incident_id}/ppc-decision", response=IncidentOut)
def decide_incident_ppc_report(
    request: HttpRequest, incident_id: int, payload: PpcDecisionIn
) -> Any:
    """Confirm or override the suggestion (an override needs a reason)."""
    incident = _handled(request, incident_id)
    return _out(services.decide_ppc_report(_user(request), incident, **payload.dict()))


@router.post("/incidents/{incident_id}/external-reports", response={201: ExternalReportOut})
def record_incident_external_report(
    request: HttpRequest, incident_id: int, payload: ExternalReportIn
) -> Any:
    incident = _handled(request, incident_id)
    return Status(201, services.record_external_report(_user(request), incident, **payload.dict()))


@router.post("/incidents/{incident_id}/publication", response=IncidentOut)
def decide_incident_publication(
    request: HttpRequest, incident_id: int, payload: PublicationIn
) -> Any:
    incident = _handled(request, incident_id)
    return _out(services.decide_publication(_user(request), incident, **payload.dict()))


@router.get("/incidents/{incident_id}/timeline", response=list[TimelineOut])
def list_incident_timeline(request: HttpRequest, incident_id: int) -> Any:
    incident = _incident(request, incident_id)
    # The timeline tells what happened to whom: its read is journaled like the incident's.
    journal.record_read(actor=_user(request), obj=incident, reason="timeline")
    return list(incident.timeline.all())


@router.post("/incidents/{incident_id}/timeline", response={201: TimelineOut})
def add_incident_timeline_entry(request: HttpRequest, incident_id: int, payload: TimelineIn) -> Any:
    """Add an entry (attachments through the page); a time before detection is a 422."""
    incident = _handled(request, incident_id)
    data = payload.dict()
    data["done_by"] = _ref(
        request,
        Person,
        data.pop("done_by_id"),
        municipality=incident.municipality,
        field="done_by_id",
        action=Action.VIEW_INCIDENTS,
    )
    with api_field_names(FIELD_NAMES):
        return Status(201, services.add_timeline_entry(_user(request), incident, **data))


@router.post("/incidents/{incident_id}/close", response=IncidentOut)
def close_incident(request: HttpRequest, incident_id: int, payload: CloseIn) -> Any:
    """Close with root cause and review; ``actions`` open corrective actions (all or nothing)."""
    incident = _handled(request, incident_id)
    specs = []
    for i, a in enumerate(payload.actions):
        owner = _ref(
            request,
            Person,
            a.owner_id,
            municipality=incident.municipality,
            field=f"actions.{i}.owner_id",
            action=Action.VIEW_INCIDENTS,
        )
        specs.append(
            services.ActionSpec(
                title=a.title, owner=owner, due_date=a.due_date, description=a.description
            )
        )
    return _out(
        services.close_incident(
            _user(request),
            incident,
            root_cause=payload.root_cause,
            review=payload.review,
            actions=specs,
        )
    )
