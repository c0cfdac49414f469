"""API of the risk register (``/api/v1/risks…``).

Same path as the pages: lookups through ``visibility.visible_risks`` (a risk out of sight is a
404; in sight but not the caller's to change, a 403), ids in a body resolved within the
municipality (422), the services decide.

- ``GET /risks``: the visible risks, filtered (``fiscal_year``, ``unit_id``, ``segment``,
  ``level``, ``status``) and paginated; ``GET /risks/{id}``;
- ``GET /risks/proposal/{asset_id}``: the proposed impact of an asset and why;
- ``POST /risks``: assess; ``POST /risks/{id}/treatment``; ``POST /risks/{id}/acceptance-request``;
  ``POST /risks/{id}/approve`` and ``/reject`` (a lead, never the owner or requester);
- ``POST /risks/{id}/reassessment``: change the recorded assessment (the proposal again);
- ``GET /risks/heat-map``: counts per likelihood × impact; ``GET /risks/threats`` and
  ``/risks/vulnerabilities``: the municipality's catalog; ``POST /risks/threats/{id}/active`` and
  ``/risks/vulnerabilities/{id}/active``: switch an entry off or on;
- ``GET /risks/asset-groups`` (``/{id}``), ``POST /risks/asset-groups``, ``PUT
  /risks/asset-groups/{id}``: the asset groups (one unit's assets assessed together).

(No ``from __future__ import annotations``: django-ninja reads the annotations at import time.)
"""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from isms.assets.models import InformationAsset
from isms.assets.visibility import visible_assets
from isms.core import permissions
from isms.core.api import (
    API_FIELD_NAMES,
    In,
    Pagination,
    _ref,
    _target_municipality,
    api_field_names,
)
from isms.core.models import Person, User
from isms.core.permissions import Action
from isms.policy.models import Control

from . import register, services
from .catalog import ensure_catalog
from .models import MAX_GROUP_ASSETS, AssetGroup, Risk, Threat, ThreatCategory, Vulnerability
from .visibility import can_approve, can_assess_unit, visible_risks

__all__ = ["router"]

router = Router(tags=["risks"])

FIELD_NAMES = API_FIELD_NAMES | {
    "asset": "asset_id",
    "asset_group": "asset_group_id",
    "threat": "threat_id",
    "vulnerability": "vulnerability_id",
    "owner": "owner_id",
    "catalog_controls": "catalog_control_ids",
    "assets": "asset_ids",
    "owning_unit": "owning_unit_id",
}


class RiskOut(Schema):
    id: int
    municipality_id: int
    fiscal_year: int
    asset_id: int | None
    asset_group_id: int | None
    owning_unit_id: int
    segment: str
    threat_id: int
    vulnerability_id: int | None
    scenario: str
    likelihood: int
    impact: int
    proposed_impact: int
    impact_reasons: list[dict[str, Any]]
    impact_override_reason: str
    inherent_level: str
    treatment: str
    catalog_control_ids: list[int]
    controls: str
    control_note: str
    residual_likelihood: int | None
    residual_impact: int | None
    residual_level: str
    owner_id: int | None
    status: Risk.Status
    current_level: str
    current_score: int
    acceptance_requested_by_id: int | None
    accepted_by_id: int | None
    accepted_at: datetime.datetime | None
    decision_reason: str
    updated_at: datetime.datetime

    @staticmethod
    def resolve_catalog_control_ids(obj: Risk) -> list[int]:
        return sorted(c.pk for c in obj.catalog_controls.all())


class RiskFilter(Schema):
    municipality_id: int | None = None
    fiscal_year: int | None = Field(None, ge=2000, le=2100)
    unit_id: int | None = None
    segment: InformationAsset.Segment | None = None
    level: str | None = Field(None, max_length=10)
    status: Risk.Status | None = None


class RiskIn(In):
    municipality_id: int | None = None
    fiscal_year: int = Field(ge=2000, le=2100)
    asset_id: int | None = None
    asset_group_id: int | None = None
    threat_id: int
    vulnerability_id: int | None = None
    scenario: str = Field("", max_length=4000)
    likelihood: int = Field(ge=1, le=10)
    impact: int | None = Field(None, ge=1, le=10, description="Empty: the proposed impact")
    impact_override_reason: str = Field("", max_length=4000)


class TreatmentIn(In):
    treatment: Risk.Treatment
    owner_id: int | None = None
    catalog_control_ids: list[int] | None = Field(
        None,
        max_length=200,
        description="Controls of the current 対策基準; omitted or null: unchanged, []: none",
    )
    controls: str = Field("", max_length=4000)
    control_note: str = Field("", max_length=4000)
    residual_likelihood: int | None = Field(None, ge=1, le=10)
    residual_impact: int | None = Field(None, ge=1, le=10)


class ReassessIn(In):
    likelihood: int = Field(ge=1, le=10)
    impact: int | None = Field(None, ge=1, le=10, description="Empty: the proposed impact")
    impact_override_reason: str = Field("", max_length=4000)
    scenario: str = Field("", max_length=4000)


class ActiveIn(In):
    active: bool


class AssetGroupOut(Schema):
    id: int
    municipality_id: int
    name: str
    owning_unit_id: int
    asset_ids: list[int]

    @staticmethod
    def resolve_asset_ids(obj: AssetGroup) -> list[int]:
        return sorted(a.pk for a in obj.assets.all())


class AssetGroupFilter(Schema):
    municipality_id: int | None = None
    unit_id: int | None = None


class AssetGroupIn(In):
    municipality_id: int | None = None
    name: str = Field(max_length=200)
    owning_unit_id: int
    asset_ids: list[int] = Field(max_length=MAX_GROUP_ASSETS)


class AssetGroupUpdate(In):
    name: str = Field(max_length=200)
    asset_ids: list[int] = Field(max_length=MAX_GROUP_ASSETS)


class NoteIn(In):
    note: str = Field("", max_length=4000)


class DecisionIn(In):
    reason: str = Field("", max_length=4000)


class ReasonOut(Schema):
    criterion: str
    value: str
    level: int
    decisive: bool


class ProposalOut(Schema):
    asset_id: int
    level: int
    reasons: list[ReasonOut]


class HeatCellOut(Schema):
    likelihood: int
    impact: int
    count: int
    level: str


class HeatMapOut(Schema):
    fiscal_year: int
    basis: str
    total: int
    cells: list[HeatCellOut]


class HeatMapFilter(Schema):
    municipality_id: int | None = None
    fiscal_year: int | None = Field(None, ge=2000, le=2100)
    basis: str = Field("current", pattern="^(current|inherent)$")


class CatalogFilter(Schema):
    municipality_id: int | None = None


class ThreatOut(Schema):
    id: int
    category: ThreatCategory
    code: str
    name_ja: str
    name_en: str
    builtin: bool
    active: bool


class VulnerabilityOut(Schema):
    id: int
    code: str
    name_ja: str
    name_en: str
    builtin: bool
    active: bool


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _this_year() -> int:
    from django.utils import timezone

    from isms.core.calendar import fiscal_year_of

    return fiscal_year_of(timezone.localdate())


def _risk(request: HttpRequest, risk_id: int) -> Risk:
    permissions.require(request.user, Action.VIEW_RISKS)
    found = visible_risks(_user(request)).select_related("threat").filter(pk=risk_id).first()
    if found is None:
        raise Http404
    return found


def _assessable(request: HttpRequest, risk_id: int) -> Risk:
    risk = _risk(request, risk_id)
    if not can_assess_unit(_user(request), risk.municipality_id, risk.owning_unit_id):
        raise PermissionDenied
    return risk


@router.get("/risks", response=list[RiskOut])
@paginate(Pagination)
def list_risks(request: HttpRequest, filters: Query[RiskFilter]) -> Any:
    permissions.require(request.user, Action.VIEW_RISKS)
    qs = visible_risks(_user(request))
    f = filters.dict()
    for name, lookup in (
        ("municipality_id", "municipality_id"),
        ("fiscal_year", "fiscal_year"),
        ("unit_id", "owning_unit_id"),
        ("segment", "segment"),
        ("level", "current_level"),
        ("status", "status"),
    ):
        if f.get(name) is not None:
            qs = qs.filter(**{lookup: f[name]})
    return qs.prefetch_related("catalog_controls").order_by(
        "municipality_id", "fiscal_year", "-current_score", "pk"
    )


@router.get("/risks/proposal/{asset_id}", response=ProposalOut)
def propose_risk_impact(request: HttpRequest, asset_id: int) -> Any:
    """The impact the form would propose for an asset, with the reason of each criterion."""
    permissions.require(request.user, Action.VIEW_RISKS)
    asset = visible_assets(_user(request)).filter(pk=asset_id).first()
    if asset is None:
        raise Http404
    proposal = services.propose(asset, ensure_catalog(asset.municipality_id))
    return {
        "asset_id": asset.pk,
        "level": proposal.level,
        "reasons": [r.__dict__ for r in proposal.reasons],
    }


@router.get("/risks/heat-map", response=HeatMapOut)
def risk_heat_map(request: HttpRequest, filters: Query[HeatMapFilter]) -> Any:
    permissions.require(request.user, Action.VIEW_RISKS)
    municipality_id = filters.municipality_id or _user(request).municipality_id
    if municipality_id is None or not permissions.can(
        request.user, Action.VIEW_RISKS, municipality=municipality_id
    ):
        raise PermissionDenied
    fy = filters.fiscal_year or _this_year()
    settings = ensure_catalog(municipality_id)
    qs = visible_risks(_user(request)).filter(municipality_id=municipality_id, fiscal_year=fy)
    heat = register.heat_map(qs, settings, basis=filters.basis)
    return {
        "fiscal_year": fy,
        "basis": heat.basis,
        "total": heat.total,
        "cells": [c.__dict__ for row in heat.rows for c in row],
    }


def _catalog_municipality(request: HttpRequest, municipality_id: int | None) -> int:
    permissions.require(request.user, Action.VIEW_RISKS)
    mid = municipality_id or _user(request).municipality_id
    if mid is None or not permissions.can(request.user, Action.VIEW_RISKS, municipality=mid):
        raise PermissionDenied
    ensure_catalog(mid)
    return mid


@router.get("/risks/threats", response=list[ThreatOut])
def list_threats(request: HttpRequest, filters: Query[CatalogFilter]) -> Any:
    mid = _catalog_municipality(request, filters.municipality_id)
    return Threat.objects.filter(municipality_id=mid).order_by("code")


@router.get("/risks/vulnerabilities", response=list[VulnerabilityOut])
def list_vulnerabilities(request: HttpRequest, filters: Query[CatalogFilter]) -> Any:
    mid = _catalog_municipality(request, filters.municipality_id)
    return Vulnerability.objects.filter(municipality_id=mid).order_by("code")


# --- asset groups ---------------------------------------------------------------------------


def _visible_groups(request: HttpRequest) -> Any:
    from isms.assets.visibility import visible_unit_ids

    from .visibility import whole_register

    permissions.require(request.user, Action.VIEW_RISKS)
    user = _user(request)
    qs = permissions.scope(user, Action.VIEW_RISKS, AssetGroup.objects.all())
    whole = [
        m
        for m in permissions.allowed_municipality_ids(user, Action.VIEW_RISKS)
        if whole_register(user, m)
    ]
    own = qs.filter(municipality_id=user.municipality_id, owning_unit_id__in=visible_unit_ids(user))
    return qs.filter(municipality_id__in=whole) | own


def _group(request: HttpRequest, group_id: int) -> AssetGroup:
    found = _visible_groups(request).filter(pk=group_id).first()
    if found is None:
        raise Http404
    return found


def _members(request: HttpRequest, municipality: Any, ids: list[int]) -> list[InformationAsset]:
    return [
        _ref(
            request,
            InformationAsset,
            pk,
            municipality=municipality,
            field="asset_ids",
            action=Action.VIEW_ASSETS,
        )
        for pk in dict.fromkeys(ids)
    ]


@router.get("/risks/asset-groups", response=list[AssetGroupOut])
@paginate(Pagination)
def list_asset_groups(request: HttpRequest, filters: Query[AssetGroupFilter]) -> Any:
    qs = _visible_groups(request)
    if filters.municipality_id is not None:
        qs = qs.filter(municipality_id=filters.municipality_id)
    if filters.unit_id is not None:
        qs = qs.filter(owning_unit_id=filters.unit_id)
    return qs.prefetch_related("assets").order_by("municipality_id", "name", "pk")


@router.get("/risks/asset-groups/{group_id}", response=AssetGroupOut)
def get_asset_group(request: HttpRequest, group_id: int) -> Any:
    return _group(request, group_id)


@router.post("/risks/asset-groups", response={201: AssetGroupOut})
def create_asset_group(request: HttpRequest, payload: AssetGroupIn) -> Any:
    """Name a set of one unit's assets assessed together (not empty, none disposed)."""
    from isms.core.models import OrgUnit

    data = payload.dict()
    municipality = _target_municipality(
        request, Action.ASSESS_RISKS, data.pop("municipality_id", None)
    )
    unit = _ref(
        request,
        OrgUnit,
        data.pop("owning_unit_id"),
        municipality=municipality,
        field="owning_unit_id",
        action=Action.VIEW_RISKS,
    )
    members = _members(request, municipality, data.pop("asset_ids"))
    with api_field_names(FIELD_NAMES):
        group = services.create_asset_group(
            _user(request), municipality, name=data["name"], owning_unit=unit, assets=members
        )
    return Status(201, group)


@router.put("/risks/asset-groups/{group_id}", response=AssetGroupOut)
def update_asset_group(request: HttpRequest, group_id: int, payload: AssetGroupUpdate) -> Any:
    """Rename a group or change its assets (the unit stays)."""
    group = _group(request, group_id)
    if not can_assess_unit(_user(request), group.municipality_id, group.owning_unit_id):
        raise PermissionDenied
    members = _members(request, group.municipality, payload.asset_ids)
    with api_field_names(FIELD_NAMES):
        return services.update_asset_group(_user(request), group, name=payload.name, assets=members)


@router.get("/risks/{risk_id}", response=RiskOut)
def get_risk(request: HttpRequest, risk_id: int) -> Any:
    return _risk(request, risk_id)


@router.post("/risks", response={201: RiskOut})
def create_risk(request: HttpRequest, payload: RiskIn) -> Any:
    """Assess a risk; ``impact`` empty takes the proposal (another value needs a reason)."""
    data = payload.dict()
    municipality = _target_municipality(
        request, Action.ASSESS_RISKS, data.pop("municipality_id", None)
    )
    ensure_catalog(municipality)
    refs = {
        "asset": (InformationAsset, Action.VIEW_ASSETS),
        "asset_group": (AssetGroup, Action.VIEW_RISKS),
        "threat": (Threat, Action.VIEW_RISKS),
        "vulnerability": (Vulnerability, Action.VIEW_RISKS),
    }
    for name, (model, action) in refs.items():
        data[name] = _ref(
            request,
            model,
            data.pop(f"{name}_id"),
            municipality=municipality,
            field=f"{name}_id",
            action=action,
        )
    with api_field_names(FIELD_NAMES):
        return Status(201, services.assess_risk(_user(request), municipality, **data))


@router.post("/risks/{risk_id}/treatment", response=RiskOut)
def treat_risk(request: HttpRequest, risk_id: int, payload: TreatmentIn) -> Any:
    risk = _assessable(request, risk_id)
    data = payload.dict()
    data["owner"] = _ref(
        request,
        Person,
        data.pop("owner_id"),
        municipality=risk.municipality,
        field="owner_id",
        action=Action.VIEW_RISKS,
    )
    ids = data.pop("catalog_control_ids")
    data["catalog_controls"] = (
        None
        if ids is None
        else [
            _ref(
                request,
                Control,
                pk,
                municipality=risk.municipality,
                field="catalog_control_ids",
                action=Action.VIEW_CONTROLS,
            )
            for pk in dict.fromkeys(ids)
        ]
    )
    with api_field_names(FIELD_NAMES):
        return services.treat_risk(_user(request), risk, **data)


@router.post("/risks/{risk_id}/reassessment", response=RiskOut)
def reassess_risk(request: HttpRequest, risk_id: int, payload: ReassessIn) -> Any:
    """Change the recorded assessment; a changed one withdraws the acceptance."""
    risk = _assessable(request, risk_id)
    with api_field_names(FIELD_NAMES):
        return services.reassess_risk(_user(request), risk, **payload.dict())


@router.post("/risks/{risk_id}/acceptance-request", response=RiskOut)
def request_risk_acceptance(request: HttpRequest, risk_id: int, payload: NoteIn) -> Any:
    risk = _assessable(request, risk_id)
    return services.request_acceptance(_user(request), risk, note=payload.note)


def _decidable(request: HttpRequest, risk_id: int) -> Risk:
    risk = _risk(request, risk_id)
    if not can_approve(_user(request), risk):
        raise PermissionDenied
    return risk


@router.post("/risks/{risk_id}/approve", response=RiskOut)
def approve_risk_acceptance(request: HttpRequest, risk_id: int, payload: DecisionIn) -> Any:
    """Accept the residual risk: a lead who neither owns the risk nor asked (兼務の禁止)."""
    risk = _decidable(request, risk_id)
    return services.approve_acceptance(_user(request), risk, reason=payload.reason)


@router.post("/risks/{risk_id}/reject", response=RiskOut)
def reject_risk_acceptance(request: HttpRequest, risk_id: int, payload: DecisionIn) -> Any:
    risk = _decidable(request, risk_id)
    return services.reject_acceptance(_user(request), risk, reason=payload.reason)


# --- the catalog switches -------------------------------------------------------------------


def _switch(
    request: HttpRequest, model: type[Threat] | type[Vulnerability], pk: int, active: bool
) -> Any:
    permissions.require(request.user, Action.VIEW_RISKS)
    entry = permissions.scope(request.user, Action.VIEW_RISKS, model.objects.all()).filter(pk=pk)
    found = entry.first()
    if found is None:
        raise Http404
    if not permissions.can(request.user, Action.MANAGE_RISK_CATALOG, found):
        raise PermissionDenied
    return services.set_entry_active(_user(request), found, active=active)


@router.post("/risks/threats/{threat_id}/active", response=ThreatOut)
def set_threat_active(request: HttpRequest, threat_id: int, payload: ActiveIn) -> Any:
    """Switch a threat off (not offered for new assessments; its risks keep it) or on."""
    return _switch(request, Threat, threat_id, payload.active)


@router.post("/risks/vulnerabilities/{vulnerability_id}/active", response=VulnerabilityOut)
def set_vulnerability_active(request: HttpRequest, vulnerability_id: int, payload: ActiveIn) -> Any:
    """Switch a vulnerability off or on, like a threat."""
    return _switch(request, Vulnerability, vulnerability_id, payload.active)
