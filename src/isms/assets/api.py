"""API of the information asset register (``/api/v1/assets…``).

Same path as the pages (see ``core.api``): lookups through the register's visibility (an asset
out of sight is a 404), the action declared before the body is read (403), ids in the body
resolved within the municipality (422), and the services decide. Each handler is thin: find
the record as the user may see it, check that they may act on it, call the service.

- ``GET /assets``: the visible register, filtered (``unit_id``, ``confidentiality``,
  ``segment``, ``kind``, ``status``, ``q`` folded like the list page) and paginated;
- ``GET/PATCH /assets/{id}``, ``POST /assets``; ``POST /assets/bulk-update`` sets one field
  on many assets, all or nothing;
- hosts, the classification assistant, the mynumber confirmations, 運搬/提供/廃棄 requests and
  their decisions, the disposal log, the consistency report and the scheme migration with its
  review list.

(No ``from __future__ import annotations``: django-ninja reads the annotations at import time.)
"""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from isms.core import permissions
from isms.core.api import (
    API_FIELD_NAMES,
    In,
    Pagination,
    _not_found,
    _ref,
    _target_municipality,
    api_field_names,
)
from isms.core.models import Municipality, OrgUnit, Person, User
from isms.core.permissions import Action

from . import bulk, consistency, lifecycle, scheme_migration, services
from .common import language
from .io import filter_assets
from .models import (
    AssetHost,
    InformationAsset,
    LifecycleRequest,
    MigrationReviewItem,
)
from .visibility import can_approve, can_edit, manages_whole_register, read_asset, visible_assets

__all__ = ["router"]

router = Router(tags=["assets"])

FIELD_NAMES = API_FIELD_NAMES | {
    "owning_unit": "owning_unit_id",
    "custodian": "custodian_id",
    "disposed_by": "disposed_by_id",
    "request": "request_id",
    "override_confidentiality": "overrides.confidentiality",
    "override_integrity": "overrides.integrity",
    "override_availability": "overrides.availability",
}
K = InformationAsset

# --- schemas ---------------------------------------------------------------------------------


class HostOut(Schema):
    id: int
    host_name: str
    network: str


class AssetOut(Schema):
    id: int
    municipality_id: int
    asset_number: str
    name: str
    description: str
    kind: K.Kind
    owning_unit_id: int
    custodian_id: int | None
    storage_location: str
    segment: str
    hosting: K.Hosting
    cloud_service_name: str
    holds_personal_info: bool
    holds_specific_personal_info: bool
    holds_sensitive_personal_info: bool
    classified_document: bool
    number_of_persons: int | None
    retention_period: str
    status: K.Status
    scheme: str
    confidentiality: str
    integrity: str
    availability: str
    migration_pending: bool
    held_classes: list[dict[str, str]]
    scope_facility: K.Facility
    scope_purpose: K.Purpose
    in_scope: bool
    out_of_scope_reason: str
    used_by_university: bool
    city_owned: bool
    mfa_confirmed_by_id: int | None
    mfa_confirmed_at: datetime.datetime | None
    export_blocked_confirmed_by_id: int | None
    export_blocked_confirmed_at: datetime.datetime | None
    has_backup: bool
    recovery_time: str
    backup_note: str
    updated_at: datetime.datetime


class AssetDetailOut(AssetOut):
    hosts: list[HostOut]

    @staticmethod
    def resolve_hosts(obj: InformationAsset) -> list[AssetHost]:
        return list(obj.hosts.all())


class WarningOut(Schema):
    code: str
    severity: str
    field: str
    message: str
    fix: str


class SavedAssetOut(Schema):
    asset: AssetDetailOut
    warnings: list[WarningOut]


class _AssetFields(In):
    name: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=5000)
    kind: K.Kind | None = None
    owning_unit_id: int | None = None
    custodian_id: int | None = None
    storage_location: str | None = Field(None, max_length=200)
    segment: K.Segment | None = None
    hosting: K.Hosting | None = None
    cloud_service_name: str | None = Field(None, max_length=200)
    holds_personal_info: bool | None = None
    holds_specific_personal_info: bool | None = None
    holds_sensitive_personal_info: bool | None = None
    classified_document: bool | None = None
    number_of_persons: int | None = Field(None, ge=0, le=2_000_000_000)
    retention_period: str | None = Field(None, max_length=100)
    status: K.Status | None = None
    confidentiality: str | None = Field(None, max_length=5)
    integrity: str | None = Field(None, max_length=5)
    availability: str | None = Field(None, max_length=5)
    held_classes: list[dict[str, str]] | None = None
    scope_facility: K.Facility | None = None
    scope_purpose: K.Purpose | None = None
    in_scope: bool | None = None
    out_of_scope_reason: str | None = Field(None, max_length=2000)
    used_by_university: bool | None = None
    city_owned: bool | None = None
    has_backup: bool | None = None
    recovery_time: str | None = Field(None, max_length=100)
    backup_note: str | None = Field(None, max_length=200)


class AssetIn(_AssetFields):
    municipality_id: int | None = Field(
        None, description="Required for service administrators; defaults to the user's own"
    )
    asset_number: str = Field(max_length=30)
    name: str = Field(max_length=200)  # type: ignore[assignment]
    kind: K.Kind  # type: ignore[assignment]
    owning_unit_id: int  # type: ignore[assignment]


class AssetPatch(_AssetFields):
    asset_number: str | None = Field(None, max_length=30)


class AssetFilter(Schema):
    municipality_id: int | None = None
    unit_id: int | None = None
    confidentiality: str | None = Field(
        None, max_length=5, description="A class such as 2 or 3A; none: unclassified"
    )
    segment: K.Segment | None = None
    kind: K.Kind | None = None
    status: K.Status | None = None
    q: str = Field(
        "",
        max_length=100,
        description="Name, asset number or storage location; ignores full-/half-width, "
        "hiragana/katakana and common 異体字",
    )


class BulkUpdateIn(In):
    municipality_id: int | None = None
    asset_ids: list[int] = Field(max_length=bulk.MAX_ASSETS)
    status: K.Status | None = None
    custodian_id: int | None = None
    storage_location: str | None = Field(None, max_length=200)
    segment: K.Segment | None = Field(None, description='"" or null is not accepted here')


class HostIn(In):
    host_name: str = Field("", max_length=253)
    network: str = Field("", max_length=60, description="192.0.2.7 or 192.0.2.0/24")


class OverrideIn(In):
    class_id: str = Field(max_length=5)
    reason: str = Field(max_length=1000)


class ClassifyIn(In):
    answers: dict[str, bool | str]
    overrides: dict[str, OverrideIn] = Field(
        default_factory=dict, description="axis (confidentiality, …) → the class chosen instead"
    )


class ClassifiedOut(Schema):
    asset: AssetDetailOut
    record_id: int
    suggested: dict[str, str | None]
    reasons: list[dict[str, str]]
    warnings: list[WarningOut]


class LifecycleRequestIn(In):
    kind: LifecycleRequest.Kind
    details: str = Field(max_length=2000)


class DecisionIn(In):
    reason: str = Field("", max_length=2000)


class LifecycleRequestOut(Schema):
    id: int
    asset_id: int
    kind: LifecycleRequest.Kind
    details: str
    applicant_id: int
    state: LifecycleRequest.State
    requested_at: datetime.datetime
    approver_id: int | None
    approved_on_behalf_of: str
    decided_at: datetime.datetime | None
    decision_reason: str


class DisposalIn(In):
    disposed_on: datetime.date
    method: str = Field(max_length=2000)
    disposed_by_id: int | None = Field(None, description="Empty: the person of the caller")
    request_id: int | None = Field(None, description="Empty: the approved disposal on record")


class DisposalOut(Schema):
    id: int
    asset_id: int
    request_id: int | None
    disposed_on: datetime.date
    disposed_by_id: int
    method: str
    approver_id: int | None


class ConsistencyFilter(Schema):
    municipality_id: int | None = None


class IssueOut(Schema):
    asset_id: int
    asset_number: str
    code: str
    severity: str
    field: str
    message: str
    fix: str


class DuplicateOut(Schema):
    asset_ids: list[int]
    asset_numbers: list[str]


class ConsistencyOut(Schema):
    assets_checked: int
    counts: dict[str, int]
    issues: list[IssueOut]
    duplicates: list[DuplicateOut]


class MigrationIn(In):
    municipality_id: int | None = None
    to_scheme: str = Field("r6_10", max_length=20)


class MigrationOut(Schema):
    id: int
    municipality_id: int
    from_scheme: str
    to_scheme: str
    started_at: datetime.datetime
    completed_at: datetime.datetime | None
    migrated_count: int
    review_count: int


class ReviewItemFilter(Schema):
    municipality_id: int | None = None
    open: bool = Field(True, description="Only the items still to resolve")


class ReviewItemOut(Schema):
    id: int
    migration_id: int
    asset_id: int
    axis: str
    source_class: str
    candidates: list[str]
    suggested: str
    reason: str
    chosen: str
    note: str
    resolved_at: datetime.datetime | None

    @staticmethod
    def resolve_reason(obj: MigrationReviewItem) -> str:
        return obj.reason_ja if language() == "ja" else obj.reason_en


class ResolveIn(In):
    chosen: str = Field(max_length=5)
    note: str = Field("", max_length=500)


# --- lookups ---------------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _asset(request: HttpRequest, asset_id: int) -> InformationAsset:
    """The asset if the user sees it (404 otherwise)."""
    found = (
        visible_assets(_user(request))
        .select_related("owning_unit", "municipality")
        .filter(pk=asset_id)
        .first()
    )
    if found is None:
        raise Http404
    return found


def _editable(request: HttpRequest, asset_id: int) -> InformationAsset:
    """The asset if the user may edit it: 404 out of sight, 403 in sight but not theirs."""
    asset = _asset(request, asset_id)
    if not can_edit(_user(request), asset):
        raise PermissionDenied
    return asset


def _request(request: HttpRequest, request_id: int) -> LifecycleRequest:
    found = (
        LifecycleRequest.objects.filter(pk=request_id, asset__in=visible_assets(_user(request)))
        .select_related("asset")
        .first()
    )
    if found is None:
        raise Http404
    return found


def _person(request: HttpRequest, pk: int | None, asset: InformationAsset, field: str) -> Any:
    return _ref(
        request, Person, pk, municipality=asset.municipality, field=field, action=Action.VIEW_PEOPLE
    )


def _warnings(found: list[Any]) -> list[dict[str, str]]:
    ja = language() == "ja"
    return [
        {
            "code": w.code,
            "severity": w.severity.value,
            "field": w.field,
            "message": w.message_ja if ja else w.message_en,
            "fix": w.fix_ja if ja else w.fix_en,
        }
        for w in found
    ]


def _saved(saved: services.SavedAsset) -> dict[str, Any]:
    return {"asset": saved.asset, "warnings": _warnings(saved.warnings)}


def _asset_data(request: HttpRequest, data: dict[str, Any], municipality: Any) -> dict[str, Any]:
    """The service's arguments from a body: ids resolved within ``municipality`` (422)."""
    if "owning_unit_id" in data:
        data["owning_unit"] = _ref(
            request,
            OrgUnit,
            data.pop("owning_unit_id"),
            municipality=municipality,
            field="owning_unit_id",
            action=Action.VIEW_ORGANISATION,
        )
    if "custodian_id" in data:
        data["custodian"] = _ref(
            request,
            Person,
            data.pop("custodian_id"),
            municipality=municipality,
            field="custodian_id",
            action=Action.VIEW_PEOPLE,
        )
    for name in ("segment",):
        if name in data and data[name] is None:
            data[name] = ""
    return {
        k: v for k, v in data.items() if v is not None or k in ("custodian", "number_of_persons")
    }


# --- the register ----------------------------------------------------------------------------


@router.get("/assets", response=list[AssetOut])
@paginate(Pagination)
def list_assets(request: HttpRequest, filters: Query[AssetFilter]) -> Any:
    permissions.require(request.user, Action.VIEW_ASSETS)
    qs = visible_assets(_user(request))
    if filters.municipality_id is not None:
        qs = qs.filter(municipality_id=filters.municipality_id)
    params = filters.dict()
    params["unit"] = params.pop("unit_id")
    return filter_assets(qs, params).order_by("municipality_id", "asset_number", "pk")


@router.get("/assets/consistency", response=ConsistencyOut)
def asset_consistency_report(request: HttpRequest, filters: Query[ConsistencyFilter]) -> Any:
    """Every problem of every visible asset, and the likely duplicates."""
    permissions.require(request.user, Action.VIEW_ASSETS)
    report = consistency.consistency_report(_user(request), municipality=filters.municipality_id)
    ja = language() == "ja"
    return {
        "assets_checked": report.assets_checked,
        "counts": report.counts(),
        "issues": [
            {
                "asset_id": i.asset_id,
                "asset_number": i.asset_number,
                "code": i.code,
                "severity": i.severity,
                "field": i.field,
                "message": i.message_ja if ja else i.message_en,
                "fix": i.fix_ja if ja else i.fix_en,
            }
            for i in report.issues
        ],
        "duplicates": [
            {"asset_ids": list(d.asset_ids), "asset_numbers": list(d.asset_numbers)}
            for d in report.duplicates
        ],
    }


@router.post("/assets/bulk-update", response=list[AssetOut])
def bulk_update_assets(request: HttpRequest, payload: BulkUpdateIn) -> Any:
    """Set one field (status, custodian_id, storage_location or segment) on every asset of
    ``asset_ids``, all or nothing."""
    data = payload.dict(exclude_unset=True)
    municipality = _target_municipality(
        request, Action.MANAGE_ASSETS, data.pop("municipality_id", None)
    )
    ids = data.pop("asset_ids")
    if "custodian_id" in data:
        data["custodian"] = _ref(
            request,
            Person,
            data.pop("custodian_id"),
            municipality=municipality,
            field="custodian_id",
            action=Action.VIEW_PEOPLE,
        )
    with api_field_names(FIELD_NAMES):
        return bulk.bulk_update_assets(_user(request), municipality, ids, **data)


@router.get("/assets/{asset_id}", response=AssetDetailOut)
def get_asset(request: HttpRequest, asset_id: int) -> Any:
    """One asset with its hosts; reading a 機密性3 asset is journaled."""
    try:
        return read_asset(_user(request), asset_id)
    except InformationAsset.DoesNotExist:
        raise Http404 from None


@router.post("/assets", response={201: SavedAssetOut})
def create_asset(request: HttpRequest, payload: AssetIn) -> Any:
    data = payload.dict(exclude_unset=True)
    municipality = _target_municipality(
        request, Action.MANAGE_ASSETS, data.pop("municipality_id", None)
    )
    data = _asset_data(request, data, municipality)
    with api_field_names(FIELD_NAMES):
        return Status(201, _saved(services.create_asset(_user(request), municipality, **data)))


@router.patch("/assets/{asset_id}", response=SavedAssetOut)
def update_asset(request: HttpRequest, asset_id: int, payload: AssetPatch) -> Any:
    asset = _editable(request, asset_id)
    data = _asset_data(request, payload.dict(exclude_unset=True), asset.municipality)
    with api_field_names(FIELD_NAMES):
        return _saved(services.update_asset(_user(request), asset, **data))


# --- hosts -----------------------------------------------------------------------------------


@router.post("/assets/{asset_id}/hosts", response={201: HostOut})
def add_asset_host(request: HttpRequest, asset_id: int, payload: HostIn) -> Any:
    asset = _editable(request, asset_id)
    return Status(
        201,
        services.add_host(
            _user(request), asset, host_name=payload.host_name, network=payload.network
        ),
    )


@router.delete("/assets/{asset_id}/hosts/{host_id}", response={204: None})
def remove_asset_host(request: HttpRequest, asset_id: int, host_id: int) -> Any:
    asset = _editable(request, asset_id)
    host = AssetHost.objects.filter(pk=host_id, asset=asset).first()
    if host is None:
        raise Http404
    services.remove_host(_user(request), host)
    return Status(204, None)


# --- classification and the mynumber controls ------------------------------------------------


@router.post("/assets/{asset_id}/classify", response={201: ClassifiedOut})
def classify_asset(request: HttpRequest, asset_id: int, payload: ClassifyIn) -> Any:
    """Classify with the assistant's answers; an override needs a reason."""
    asset = _editable(request, asset_id)
    overrides = {axis: (o.class_id, o.reason) for axis, o in payload.overrides.items()}
    with api_field_names(FIELD_NAMES):
        done = services.classify_asset(
            _user(request), asset, answers=payload.answers, overrides=overrides
        )
    return Status(
        201,
        {
            "asset": done.asset,
            "record_id": done.record.pk,
            "suggested": done.record.suggested,
            "reasons": [
                {
                    "axis": r["axis"],
                    "class": r["class"],
                    "because": r["because_ja"] if language() == "ja" else r["because_en"],
                }
                for r in done.record.reasons
            ],
            "warnings": _warnings(done.warnings),
        },
    )


@router.post("/assets/{asset_id}/confirm-mfa", response=SavedAssetOut)
def confirm_asset_mfa(request: HttpRequest, asset_id: int) -> Any:
    """Record that multi-factor authentication is set up (mynumber terminals and systems)."""
    asset = _editable(request, asset_id)
    return _saved(services.confirm_mfa(_user(request), asset))


@router.post("/assets/{asset_id}/confirm-export-blocked", response=SavedAssetOut)
def confirm_asset_export_blocked(request: HttpRequest, asset_id: int) -> Any:
    """Record that 持ち出し不可設定 is in force (mynumber terminals and systems)."""
    asset = _editable(request, asset_id)
    return _saved(services.confirm_export_blocked(_user(request), asset))


# --- 運搬 / 提供 / 廃棄 --------------------------------------------------------------------------


@router.post("/assets/{asset_id}/requests", response={201: LifecycleRequestOut})
def request_asset_lifecycle(
    request: HttpRequest, asset_id: int, payload: LifecycleRequestIn
) -> Any:
    """Ask permission to transport, provide or dispose of an asset (anyone who sees it)."""
    asset = _asset(request, asset_id)
    return Status(
        201,
        lifecycle.request_lifecycle(
            _user(request), asset, kind=payload.kind, details=payload.details
        ),
    )


def _decidable(request: HttpRequest, request_id: int) -> LifecycleRequest:
    found = _request(request, request_id)
    if not can_approve(_user(request), found):
        raise PermissionDenied
    return found


@router.post("/asset-requests/{request_id}/approve", response=LifecycleRequestOut)
def approve_lifecycle_request(request: HttpRequest, request_id: int, payload: DecisionIn) -> Any:
    found = _decidable(request, request_id)
    return lifecycle.approve_lifecycle_request(_user(request), found, reason=payload.reason)


@router.post("/asset-requests/{request_id}/reject", response=LifecycleRequestOut)
def reject_lifecycle_request(request: HttpRequest, request_id: int, payload: DecisionIn) -> Any:
    found = _decidable(request, request_id)
    return lifecycle.reject_lifecycle_request(_user(request), found, reason=payload.reason)


@router.post("/asset-requests/{request_id}/withdraw", response=LifecycleRequestOut)
def withdraw_lifecycle_request(request: HttpRequest, request_id: int) -> Any:
    """Withdraw one's own pending request."""
    found = _request(request, request_id)
    return lifecycle.withdraw_lifecycle_request(_user(request), found)


@router.post("/assets/{asset_id}/disposal", response={201: DisposalOut})
def record_asset_disposal(request: HttpRequest, asset_id: int, payload: DisposalIn) -> Any:
    """Record the disposal (date, person, method); needs an approved request when the asset's
    classes require one."""
    asset = _asset(request, asset_id)
    disposed_by = _person(request, payload.disposed_by_id, asset, "disposed_by_id")
    approval = None
    if payload.request_id is not None:
        approval = LifecycleRequest.objects.filter(pk=payload.request_id, asset=asset).first()
        if approval is None:
            raise _not_found("request_id")
    with api_field_names(FIELD_NAMES):
        return Status(
            201,
            lifecycle.record_disposal(
                _user(request),
                asset,
                disposed_on=payload.disposed_on,
                method=payload.method,
                disposed_by=disposed_by,
                request=approval,
            ),
        )


# --- scheme migration ------------------------------------------------------------------------


@router.post("/asset-migrations", response={201: MigrationOut})
def start_asset_migration(request: HttpRequest, payload: MigrationIn) -> Any:
    """Switch the register to another scheme (the leads and administrators)."""
    municipality = _target_municipality(request, Action.MANAGE_ASSETS, payload.municipality_id)
    return Status(
        201,
        scheme_migration.start_migration(_user(request), municipality, to_scheme=payload.to_scheme),
    )


@router.get("/asset-review-items", response=list[ReviewItemOut])
@paginate(Pagination)
def list_asset_review_items(request: HttpRequest, filters: Query[ReviewItemFilter]) -> Any:
    """The review items of the assets the user sees (open ones by default)."""
    permissions.require(request.user, Action.VIEW_ASSETS)
    qs = MigrationReviewItem.objects.filter(asset__in=visible_assets(_user(request)))
    if filters.municipality_id is not None:
        qs = qs.filter(municipality_id=filters.municipality_id)
    if filters.open:
        qs = qs.filter(resolved_at__isnull=True)
    return qs.order_by("migration_id", "asset_id", "axis", "pk")


@router.post("/asset-review-items/{item_id}/resolve", response=ReviewItemOut)
def resolve_asset_review_item(request: HttpRequest, item_id: int, payload: ResolveIn) -> Any:
    item = (
        MigrationReviewItem.objects.filter(pk=item_id, asset__in=visible_assets(_user(request)))
        .select_related("asset")
        .first()
    )
    if item is None:
        raise Http404
    if not can_edit(_user(request), item.asset):
        raise PermissionDenied
    return scheme_migration.resolve_review_item(
        _user(request), item, chosen=payload.chosen, note=payload.note
    )


# --- handling categories (取扱区分) -----------------------------------------------------------

HANDLING_PATH = "/assets/handling-categories"


class HandlingCategoryIn(In):
    id: str | None = Field(None, max_length=50, description="made from the position if left out")
    label_ja: str = Field(max_length=100)
    label_en: str = Field(max_length=100)
    description_ja: str = Field(max_length=1000)
    description_en: str = Field(max_length=1000)
    segments: list[str] = Field(
        default_factory=list, description="where it may be held: mynumber, lgwan, internet, …"
    )


class HandlingDocumentIn(In):
    """A municipality's own 取扱区分: the structure of the core's mapping files."""

    id: str | None = Field(None, max_length=50, description="kept (or `own`) if left out")
    version: int | None = Field(None, ge=1, description="the next version if left out")
    scheme: str | None = Field(None, max_length=20, description="the register's scheme")
    label_ja: str = Field(max_length=100)
    label_en: str = Field(max_length=100)
    categories: list[HandlingCategoryIn] = Field(description="2–6 categories, strictest first")
    mapping: dict[str, dict[str, str]] = Field(
        description="per axis, every class id of the scheme → a category id"
    )


class HandlingCategoriesIn(In):
    """Either ``use`` (``none``, ``example``, ``own``) or ``document`` (define and use it)."""

    municipality_id: int | None = None
    use: str | None = Field(None, max_length=10, description="none, example or own")
    document: HandlingDocumentIn | None = None


class HandlingCategoryOut(Schema):
    id: str
    label_ja: str
    label_en: str
    description_ja: str
    description_en: str
    segments: list[str] = []


class HandlingMapOut(Schema):
    id: str
    version: int
    scheme: str
    label_ja: str
    label_en: str
    categories: list[HandlingCategoryOut]
    mapping: dict[str, dict[str, str]]


class HandlingCategoriesOut(Schema):
    municipality_id: int
    scheme: str = Field(description="the register's classification scheme")
    use: str = Field(description="none, example or own")
    in_force: HandlingMapOut | None = Field(description="what the assets' pages show")
    stale: bool = Field(description="the own mapping chosen belongs to another scheme")
    own: HandlingMapOut | None = Field(description="the own mapping for the register's scheme")
    own_schemes: list[str] = Field(description="the schemes an own mapping is stored for")


class HandlingCategoriesFilter(Schema):
    municipality_id: int | None = None


def _map_out(found: Any) -> dict[str, Any] | None:
    if found is None:
        return None
    mapping: dict[str, dict[str, str]] = {}
    for axis, class_id, category_id in found.mapping:
        mapping.setdefault(axis.value, {})[class_id] = category_id
    return {
        "id": found.id,
        "version": found.version,
        "scheme": found.scheme,
        "label_ja": found.label_ja,
        "label_en": found.label_en,
        "categories": [
            {
                "id": c.id,
                "label_ja": c.label_ja,
                "label_en": c.label_en,
                "description_ja": c.description_ja,
                "description_en": c.description_en,
                "segments": list(c.segments),
            }
            for c in found.categories
        ],
        "mapping": mapping,
    }


def _register_municipality(
    request: HttpRequest, action: Action, municipality_id: int | None
) -> Municipality:
    """The municipality named, the user's own, or the only one a service administrator may do
    ``action`` in (the register's settings are one per municipality)."""
    user = _user(request)
    if municipality_id is None and user.municipality_id is None:
        permissions.require(user, action)
        reachable = list(permissions.scope(user, action, Municipality.objects.order_by("pk"))[:2])
        if len(reachable) == 1:
            return reachable[0]
    return _target_municipality(request, action, municipality_id)


def _handling_out(municipality: Any) -> dict[str, Any]:
    state = services.handling_categories_state(services.register_settings(municipality))
    return {
        "municipality_id": municipality.pk,
        "scheme": state.scheme,
        "use": state.use,
        "in_force": _map_out(state.in_force),
        "stale": state.stale,
        "own": state.own,
        "own_schemes": list(state.own_schemes),
    }


@router.get(HANDLING_PATH, response=HandlingCategoriesOut)
def get_handling_categories(request: HttpRequest, filters: Query[HandlingCategoriesFilter]) -> Any:
    """The 取扱区分 in force and the municipality's own mapping (everyone who sees the register)."""
    municipality = _register_municipality(request, Action.VIEW_ASSETS, filters.municipality_id)
    return _handling_out(municipality)


@router.put(HANDLING_PATH, response=HandlingCategoriesOut)
def put_handling_categories(request: HttpRequest, payload: HandlingCategoriesIn) -> Any:
    """Choose the mapping in force, or define the own one (the leads and administrators).

    ``{"use": "none" | "example" | "own"}`` chooses; ``{"document": {...}}`` stores the own
    mapping for the register's scheme and puts it in force (all or nothing; errors keyed
    ``document.categories.0.label_en``, ``document.mapping.confidentiality.3A``).
    """
    municipality = _register_municipality(request, Action.MANAGE_ASSETS, payload.municipality_id)
    if not manages_whole_register(_user(request), municipality.pk):
        raise PermissionDenied
    user = _user(request)
    if payload.document is not None:
        if payload.use not in (None, "own"):
            raise ValidationError(
                {"use": _("Leave out use, or give own, when you send a document.")}
            )
        document = payload.document.dict(exclude_none=True)
        try:
            services.define_handling_categories(user, municipality, document=document)
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                raise
            raise ValidationError(
                {f"document.{name}": errors for name, errors in exc.error_dict.items()}
            ) from None
    elif payload.use is not None:
        services.use_handling_categories(user, municipality, use=payload.use)
    else:
        raise ValidationError(_("Send either use (none, example or own) or a document."))
    return _handling_out(municipality)


# "/assets/{asset_id}" (a plain path parameter) would take "handling-categories" for an asset's
# id: this path is put first so that Django's resolver reaches it before that one.
router.path_operations = {
    HANDLING_PATH: router.path_operations.pop(HANDLING_PATH),
    **router.path_operations,
}
