"""The network checks' pages and API operations for the route tables (see routes.py).

The walk's world has no network records (making them would change 甲府市 while the walk
compares its state), so routes naming one use the tenant's own record if a test made one, else
an id nobody has (one per municipality); tests/assets/network_specs.py builds them for the
access matrix.
"""

from __future__ import annotations

from typing import Any

from tests.support.routes import ApiRoute, Data, Kwargs


def _first(model_name: str, t: Any) -> int:
    from isms.assets import models

    row = getattr(models, model_name).objects.filter(municipality=t.municipality).first()
    # An id nobody has, different per municipality (so the walk sees 甲府市's "record").
    return row.pk if row else 1_000_000 + t.municipality.pk


def _snapshot(t: Any) -> dict[str, Any]:
    return {"pk": _first("NetworkSnapshot", t)}


def _check(t: Any) -> dict[str, Any]:
    return {"pk": _first("NetworkCheck", t)}


def _exception(t: Any) -> dict[str, Any]:
    return {"pk": _first("PolicyException", t)}


def _exception_form(t: Any) -> dict[str, Any]:
    return {
        "sources": "172.16.8.0/24",
        "destinations": "10.20.1.10",
        "services": "tcp/443",
        "reason": "巡回",
        "expires": "2099-01-01",
    }


ROUTES: dict[str, Kwargs] = {
    "assets:network:overview": lambda t: {},
    "assets:network:upload": lambda t: {},
    "assets:network:run_check": _snapshot,
    "assets:network:check_detail": _check,
    "assets:network:check_report": _check,
    "assets:network:compare": lambda t: {**_check(t), "other": _check(t)["pk"]},
    "assets:network:history": lambda t: {},
    "assets:network:exceptions": lambda t: {},
    "assets:network:exception_approve": _exception,
    "assets:network:exception_reject": _exception,
    "assets:network:exception_withdraw": _exception,
    "assets:network:inventory": lambda t: {},
}
POST_DATA: dict[str, Data] = {
    "assets:network:exceptions": _exception_form,
    "assets:network:exception_reject": lambda t: {"note": "巡回"},
}


def _check_id(t: Any) -> dict[str, Any]:
    return {"check_id": _check(t)["pk"]}


def _exception_id(t: Any) -> dict[str, Any]:
    return {"exception_id": _exception(t)["pk"]}


API_ROUTES: dict[str, ApiRoute] = {
    "api:list_network_snapshots": ApiRoute("GET"),
    # JSON instead of the multipart files: a 422 (no files) or a 403, never a trace
    "api:upload_network_snapshot": ApiRoute(
        "POST", body=lambda t: {"municipality_id": t.municipality.pk}
    ),
    "api:run_network_check": ApiRoute("POST", lambda t: {"snapshot_id": _snapshot(t)["pk"]}),
    "api:list_network_checks": ApiRoute("GET"),
    "api:get_network_check": ApiRoute("GET", _check_id),
    "api:compare_network_checks": ApiRoute(
        "GET", lambda t: {**_check_id(t), "other_id": _check(t)["pk"]}
    ),
    "api:list_network_exceptions": ApiRoute("GET"),
    "api:request_network_exception": ApiRoute(
        "POST", body=lambda t: {**_exception_form(t), "municipality_id": t.municipality.pk}
    ),
    "api:approve_network_exception": ApiRoute("POST", _exception_id, lambda t: {}),
    "api:reject_network_exception": ApiRoute("POST", _exception_id, lambda t: {"note": "巡回"}),
    "api:withdraw_network_exception": ApiRoute("POST", _exception_id),
    "api:network_inventory": ApiRoute("GET"),
}
