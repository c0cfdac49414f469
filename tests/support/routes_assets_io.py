"""The asset register's import/export pages and API operations for the route tables.

Ids of records the walk's world may lack (lifecycle requests, review items) fall back to an id
no record has, different per municipality, so that the walk still sees the path name them.
"""

from __future__ import annotations

from typing import Any

from tests.support.routes import ApiRoute, Data, Kwargs, _import_job, _none

MISSING = 90_000_000  # + the municipality's pk: an id no record has


def _asset(t: Any) -> dict[str, Any]:
    return {"asset_id": t.asset.pk}


def _host(t: Any) -> dict[str, Any]:
    return {"asset_id": t.asset.pk, "host_id": t.asset.hosts.first().pk}


def _lifecycle_request(t: Any) -> dict[str, Any]:
    from isms.assets.models import LifecycleRequest

    found = LifecycleRequest.objects.filter(municipality=t.municipality).first()
    return {"request_id": found.pk if found else MISSING + t.municipality.pk}


def _review_item(t: Any) -> dict[str, Any]:
    from isms.assets.models import MigrationReviewItem

    found = MigrationReviewItem.objects.filter(municipality=t.municipality).first()
    return {"item_id": found.pk if found else MISSING + t.municipality.pk}


def asset_file(t: Any, number: str = "IMP-1") -> Any:
    """A one-row asset import: a new document of ``t``'s unit."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = (
        "管理番号,資産名,種別,所管課コード,機密性,完全性,可用性\r\n"
        f"{number},取込資料,情報,{t.unit.code},2,1,1\r\n"
    )
    return SimpleUploadedFile("assets.csv", text.encode("utf-8-sig"), content_type="text/csv")


ROUTES: dict[str, Kwargs] = {
    "assets:asset_import": _none,
    "assets:asset_import_job": _import_job,
    "assets:asset_export": _none,
    "assets:asset_template": _none,
}
POST_DATA: dict[str, Data] = {
    "assets:asset_import": lambda t: {"file": asset_file(t)},
}
API_ROUTES: dict[str, ApiRoute] = {
    "api:list_assets": ApiRoute("GET"),
    "api:asset_consistency_report": ApiRoute("GET"),
    "api:bulk_update_assets": ApiRoute(
        "POST", body=lambda t: {"asset_ids": [t.asset.pk], "storage_location": "巡回庫"}
    ),
    "api:get_asset": ApiRoute("GET", _asset),
    "api:create_asset": ApiRoute(
        "POST",
        body=lambda t: {
            "asset_number": "WALK-1",
            "name": "巡回資料",
            "kind": "information",
            "owning_unit_id": t.unit.pk,
        },
    ),
    "api:update_asset": ApiRoute(
        "PATCH", _asset, lambda t: {"owning_unit_id": t.unit.pk, "name": "巡回"}
    ),
    "api:add_asset_host": ApiRoute("POST", _asset, lambda t: {"host_name": "walk"}),
    "api:remove_asset_host": ApiRoute("DELETE", _host),
    "api:classify_asset": ApiRoute(
        "POST", _asset, lambda t: {"answers": {"published": True, "leak_harm": "none"}}
    ),
    "api:confirm_asset_mfa": ApiRoute("POST", _asset),
    "api:confirm_asset_export_blocked": ApiRoute("POST", _asset),
    "api:request_asset_lifecycle": ApiRoute(
        "POST", _asset, lambda t: {"kind": "dispose", "details": "巡回"}
    ),
    "api:approve_lifecycle_request": ApiRoute("POST", _lifecycle_request, lambda t: {}),
    "api:reject_lifecycle_request": ApiRoute(
        "POST", _lifecycle_request, lambda t: {"reason": "巡回"}
    ),
    "api:withdraw_lifecycle_request": ApiRoute("POST", _lifecycle_request),
    "api:record_asset_disposal": ApiRoute(
        "POST", _asset, lambda t: {"disposed_on": "2025-04-01", "method": "巡回"}
    ),
    "api:start_asset_migration": ApiRoute(
        "POST", body=lambda t: {"municipality_id": t.municipality.pk, "to_scheme": "r6_10"}
    ),
    "api:list_asset_review_items": ApiRoute("GET"),
    "api:resolve_asset_review_item": ApiRoute("POST", _review_item, lambda t: {"chosen": "3B"}),
}
