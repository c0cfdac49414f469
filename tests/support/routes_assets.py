"""The asset register's pages and API operations for the route tables (see routes.py).

Owned by the register's pages and API; ``routes_assets_io.py`` holds its import/export pages.
The walk's world (``access.Site``) has ``t.asset`` (with one host) and ``t.lifecycle_request``
(pending); it has no scheme migration, so the review item route is walked with an id nobody
has (tests/assets/web_specs.py starts a migration for its own spec).
"""

from __future__ import annotations

from typing import Any

from tests.support.routes import ApiRoute, Data, Kwargs


def _asset(t: Any) -> dict[str, Any]:
    return {"pk": t.asset.pk}


def _host(t: Any) -> dict[str, Any]:
    return {"pk": t.asset.pk, "host_pk": t.asset.hosts.first().pk}


def _request(t: Any) -> dict[str, Any]:
    return {"pk": t.lifecycle_request.pk}


def _review_item(t: Any) -> dict[str, Any]:
    from isms.assets.models import MigrationReviewItem

    item = MigrationReviewItem.objects.filter(municipality=t.municipality).first()
    return {"pk": item.pk if item else 0}


def _asset_form(t: Any) -> dict[str, Any]:
    return {
        "asset_number": "WALK-1",
        "name": "巡回資産",
        "kind": "information",
        "owning_unit": t.unit.pk,
        "hosting": "on_premises",
        "status": "in_use",
        "scope_facility": "other",
        "scope_purpose": "administration",
        "city_owned": "on",
        "in_scope": "on",
    }


ROUTES: dict[str, Kwargs] = {
    "assets:asset_list": lambda t: {},
    "assets:asset_create": lambda t: {},
    "assets:asset_bulk_edit": lambda t: {},
    "assets:asset_detail": _asset,
    "assets:asset_edit": _asset,
    "assets:host_add": _asset,
    "assets:host_remove": _host,
    "assets:confirm_mfa": _asset,
    "assets:confirm_export_blocked": _asset,
    "assets:asset_classify": _asset,
    "assets:request_create": _asset,
    "assets:disposal_record": _asset,
    "assets:consistency": lambda t: {},
    "assets:migration": lambda t: {},
    "assets:migration_start": lambda t: {},
    "assets:review_item_resolve": _review_item,
    "assets:request_list": lambda t: {},
    "assets:request_approve": _request,
    "assets:request_reject": _request,
    "assets:request_withdraw": _request,
}
POST_DATA: dict[str, Data] = {
    "assets:asset_create": _asset_form,
    "assets:asset_bulk_edit": lambda t: {
        "asset_ids": [t.asset.pk],
        "field": "status",
        "status": "retired",
    },
    "assets:asset_edit": _asset_form,
    "assets:host_add": lambda t: {"host_name": "walk-host", "network": ""},
    "assets:request_create": lambda t: {"kind": "provide", "details": "巡回"},
    "assets:disposal_record": lambda t: {
        "disposed_on": "2025-04-01",
        "method": "巡回",
        "disposed_by": "",
    },
    "assets:request_reject": lambda t: {"reason": "巡回"},
    "assets:review_item_resolve": lambda t: {"chosen": "3B", "note": "巡回"},
}
API_ROUTES: dict[str, ApiRoute] = {}
