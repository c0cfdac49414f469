"""API of the network checks (``/api/v1/network/…``): the same services and permissions as the
pages, JSON errors as everywhere (``isms.api``).

- ``GET /network/snapshots``; ``POST /network/snapshots`` (multipart: ``files``, one or more,
  or one zip; ``name``): 201 with the snapshot and its queued check, 422 with ``files`` errors;
- ``POST /network/snapshots/{id}/checks``: run again (202 with the check);
- ``GET /network/checks``, ``GET /network/checks/{id}`` (status, error, pairs, exceptions,
  violations with path and matched assets), ``GET /network/checks/{id}/compare/{other_id}``;
- ``GET /network/exceptions``, ``POST /network/exceptions`` (request),
  ``POST /network/exceptions/{id}/approve|reject|withdraw``;
- ``GET /network/inventory``: the inventory findings.

(No ``from __future__ import annotations``: django-ninja reads the annotations at import time.)
"""

import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from isms.core import permissions
from isms.core.api import In, _target_municipality
from isms.core.models import User
from isms.core.permissions import Action

from ..common import language
from ..models import NetworkCheck, NetworkSnapshot, NetworkViolation, PolicyException
from . import inventory, services
from .uploads import check_sizes

__all__ = ["router"]

router = Router(tags=["network"])


class Target(Schema):
    municipality_id: int | None = Field(
        None, description="Needed only by a service administrator managing several"
    )


class SnapshotOut(Schema):
    id: int
    municipality_id: int
    name: str
    model_file: str
    files: list[str]
    size: int
    uploaded_at: datetime.datetime


class CheckSummaryOut(Schema):
    id: int
    snapshot_id: int
    status: str
    progress: str
    compliant: bool | None
    violation_count: int
    exceptions_applied: list[str]
    created_at: datetime.datetime
    finished_at: datetime.datetime | None
    error: str


class UploadedOut(Schema):
    snapshot: SnapshotOut
    check: CheckSummaryOut


class ViolationOut(Schema):
    id: int
    fingerprint: str
    source_zone: str
    source_segment: str
    destination_zone: str
    destination_segment: str
    rule: str
    summary: str
    flows: dict[str, Any]
    path: list[dict[str, Any]]
    nat_applied: bool
    asset_ids: list[int]


class CheckOut(CheckSummaryOut):
    pairs: list[dict[str, Any]]
    exceptions: list[dict[str, Any]]
    readings: list[dict[str, Any]]
    ignored: list[dict[str, Any]]
    violations: list[ViolationOut]


class ComparisonOut(Schema):
    before_id: int
    after_id: int
    new: list[ViolationOut]
    resolved: list[ViolationOut]
    unchanged: list[ViolationOut]


class ExceptionOut(Schema):
    id: int
    number: str
    sources: str
    destinations: str
    services: str
    reason: str
    status: str
    requested_by_id: int
    approved_by_id: int | None
    approved_at: datetime.datetime | None
    decision_note: str
    expires: datetime.date
    reminded_at: datetime.datetime | None


class ExceptionIn(In):
    municipality_id: int | None = None
    sources: str = Field(..., max_length=2000)
    destinations: str = Field(..., max_length=2000)
    services: str = Field(..., max_length=500)
    reason: str = Field(..., max_length=2000)
    expires: datetime.date


class DecisionIn(In):
    note: str = Field("", max_length=2000)


class FindingOut(Schema):
    code: str
    message: str
    asset_id: int | None


class InventoryOut(Schema):
    check_id: int | None
    assets_checked: int
    error: str
    findings: list[FindingOut]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _municipality(request: HttpRequest, action: Action, municipality_id: int | None) -> Any:
    """The municipality named, or the only one the user may do ``action`` in."""
    permissions.require(request.user, action)
    allowed = permissions.allowed_municipality_ids(_user(request), action)
    if municipality_id is None and len(allowed) == 1:
        municipality_id = allowed[0]
    return _target_municipality(request, action, municipality_id)


def _scoped(request: HttpRequest, action: Action, model: type[Any]) -> QuerySet[Any]:
    permissions.require(request.user, action)
    return permissions.scope(request.user, action, model.objects.all())


def _check_summary(check: NetworkCheck) -> dict[str, Any]:
    return {
        "id": check.pk,
        "snapshot_id": check.snapshot_id,
        "status": check.status,
        "progress": check.progress,
        "compliant": check.compliant,
        "violation_count": check.violation_count,
        "exceptions_applied": check.exceptions_applied,
        "created_at": check.created_at,
        "finished_at": check.finished_at,
        "error": check.error_ja if language() == "ja" else check.error_en,
    }


def _violation(v: NetworkViolation) -> dict[str, Any]:
    return {
        "id": v.pk,
        "fingerprint": v.fingerprint,
        "source_zone": v.source_zone,
        "source_segment": v.source_segment,
        "destination_zone": v.destination_zone,
        "destination_segment": v.destination_segment,
        "rule": v.rule,
        "summary": v.summary,
        "flows": v.flows,
        "path": v.path,
        "nat_applied": v.nat_applied,
        "asset_ids": sorted(a.pk for a in v.assets.all()),
    }


@router.get("/network/snapshots", response=list[SnapshotOut])
def list_network_snapshots(request: HttpRequest) -> Any:
    return list(_scoped(request, Action.VIEW_NETWORK_CHECKS, NetworkSnapshot)[:200])


@router.post("/network/snapshots", response={201: UploadedOut})
def upload_network_snapshot(
    request: HttpRequest,
    target: Query[Target],
    files: File[list[UploadedFile]],
    name: Form[str] = "",
) -> Any:
    """Upload a network model and its configurations (or one zip) and start its check."""
    municipality = _municipality(request, Action.RUN_NETWORK_CHECKS, target.municipality_id)
    check_sizes([(f.name or "", f.size or 0) for f in files])
    uploaded = [(f.name or "", f.read()) for f in files]
    snapshot, check = services.upload_snapshot(
        _user(request), municipality, name=name, uploaded=uploaded
    )
    assert check is not None
    return Status(201, {"snapshot": snapshot, "check": _check_summary(check)})


@router.post("/network/snapshots/{snapshot_id}/checks", response={202: CheckSummaryOut})
def run_network_check(request: HttpRequest, snapshot_id: int) -> Any:
    snapshot = get_object_or_404(
        _scoped(request, Action.RUN_NETWORK_CHECKS, NetworkSnapshot), pk=snapshot_id
    )
    check = services.request_check(_user(request), snapshot)
    return Status(202, _check_summary(check))


@router.get("/network/checks", response=list[CheckSummaryOut])
def list_network_checks(request: HttpRequest) -> Any:
    qs = _scoped(request, Action.VIEW_NETWORK_CHECKS, NetworkCheck)
    return [_check_summary(c) for c in qs[:200]]


@router.get("/network/checks/{check_id}", response=CheckOut)
def get_network_check(request: HttpRequest, check_id: int) -> Any:
    check = get_object_or_404(
        _scoped(request, Action.VIEW_NETWORK_CHECKS, NetworkCheck), pk=check_id
    )
    report = check.report or {}
    return {
        **_check_summary(check),
        "pairs": report.get("pairs", []),
        "exceptions": report.get("exceptions", []),
        "readings": report.get("readings", []),
        "ignored": report.get("ignored", []),
        "violations": [_violation(v) for v in check.violations.prefetch_related("assets")],
    }


@router.get("/network/checks/{check_id}/compare/{other_id}", response=ComparisonOut)
def compare_network_checks(request: HttpRequest, check_id: int, other_id: int) -> Any:
    qs = _scoped(request, Action.VIEW_NETWORK_CHECKS, NetworkCheck)
    before = get_object_or_404(qs, pk=check_id)
    after = get_object_or_404(qs, pk=other_id)
    c = services.compare(before, after)
    return {
        "before_id": before.pk,
        "after_id": after.pk,
        "new": [_violation(v) for v in c.new],
        "resolved": [_violation(v) for v in c.resolved],
        "unchanged": [_violation(v) for v in c.unchanged],
    }


@router.get("/network/exceptions", response=list[ExceptionOut])
def list_network_exceptions(request: HttpRequest) -> Any:
    return list(_scoped(request, Action.VIEW_NETWORK_CHECKS, PolicyException)[:500])


@router.post("/network/exceptions", response={201: ExceptionOut})
def request_network_exception(request: HttpRequest, payload: ExceptionIn) -> Any:
    municipality = _municipality(request, Action.MANAGE_NETWORK_EXCEPTIONS, payload.municipality_id)
    exception = services.request_exception(
        _user(request),
        municipality,
        sources=payload.sources,
        destinations=payload.destinations,
        services=payload.services,
        reason=payload.reason,
        expires=payload.expires,
    )
    return Status(201, exception)


@router.post("/network/exceptions/{exception_id}/approve", response=ExceptionOut)
def approve_network_exception(request: HttpRequest, exception_id: int, payload: DecisionIn) -> Any:
    exception = get_object_or_404(
        _scoped(request, Action.APPROVE_NETWORK_EXCEPTIONS, PolicyException), pk=exception_id
    )
    return services.approve_exception(_user(request), exception, note=payload.note)


@router.post("/network/exceptions/{exception_id}/reject", response=ExceptionOut)
def reject_network_exception(request: HttpRequest, exception_id: int, payload: DecisionIn) -> Any:
    exception = get_object_or_404(
        _scoped(request, Action.APPROVE_NETWORK_EXCEPTIONS, PolicyException), pk=exception_id
    )
    return services.reject_exception(_user(request), exception, note=payload.note)


@router.post("/network/exceptions/{exception_id}/withdraw", response=ExceptionOut)
def withdraw_network_exception(request: HttpRequest, exception_id: int) -> Any:
    exception = get_object_or_404(
        _scoped(request, Action.MANAGE_NETWORK_EXCEPTIONS, PolicyException), pk=exception_id
    )
    return services.withdraw_exception(_user(request), exception)


@router.get("/network/inventory", response=InventoryOut)
def network_inventory(request: HttpRequest, target: Query[Target]) -> Any:
    municipality = _municipality(request, Action.VIEW_NETWORK_CHECKS, target.municipality_id)
    report = inventory.inventory_report(municipality)
    return {
        "check_id": report.check.pk if report.check else None,
        "assets_checked": report.assets_checked,
        "error": report.error,
        "findings": [
            {"code": f.code, "message": f.message, "asset_id": f.asset.pk if f.asset else None}
            for f in report.findings
        ],
    }
