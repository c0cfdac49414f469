"""The control catalog's pages and API operations for the route tables (see routes.py).

The walk's world (``access.Site``) has a catalog per municipality (``control_standard``:
version "1" current, draft "2"; tests/policy/catalog_specs.py). The walk compares 甲府市's rows
before and after, so nothing is made here: the ids are those of the first version or control,
or 0 (no such record: a 404) in a world without one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Kwargs = Callable[[Any], dict[str, Any]]


def _none(t: Any) -> dict[str, Any]:
    return {}


def _standard_id(t: Any) -> int:
    from isms.policy.models import ControlStandard

    s = ControlStandard.objects.filter(municipality=t.municipality).order_by("pk").first()
    return s.pk if s else 0


def _control_id(t: Any) -> int:
    from isms.policy.models import Control

    c = Control.objects.filter(standard__municipality=t.municipality).order_by("pk").first()
    return c.pk if c else 0


def _standard(t: Any) -> dict[str, Any]:
    return {"pk": _standard_id(t)}


def _control(t: Any) -> dict[str, Any]:
    return {"pk": _control_id(t)}


ROUTES: dict[str, Kwargs] = {
    "policy:control_list": _none,
    "policy:control_versions": _none,
    "policy:control_import": _none,
    "policy:control_detail": _control,
    "policy:control_edit": _control,
    "policy:control_export": _standard,
    "policy:control_make_current": _standard,
    "policy:control_copy": _standard,
}

POST_DATA: dict[str, Callable[[Any], dict[str, Any]]] = {
    "policy:control_edit": lambda t: {"requirement": "巡回", "confidence": "recalled"},
    "policy:control_copy": lambda t: {"version": "walk"},
}


def api_routes() -> dict[str, Any]:
    """The operations of ``isms.policy.catalog_api`` (built when routes.py merges the tables)."""
    from tests.support.routes import ApiRoute

    return {
        "api:list_standards": ApiRoute("GET"),
        "api:current_controls": ApiRoute("GET"),
        "api:standard_controls": ApiRoute("GET", lambda t: {"standard_id": _standard_id(t)}),
        "api:get_control": ApiRoute("GET", lambda t: {"control_id": _control_id(t)}),
        "api:patch_control": ApiRoute(
            "PATCH", lambda t: {"control_id": _control_id(t)}, lambda t: {"requirement": "巡回"}
        ),
        "api:export_standard": ApiRoute("GET", lambda t: {"standard_id": _standard_id(t)}),
        # The walk posts JSON naming 甲府市; the import takes a multipart file: a 422 (no file)
        # or a 403 (tests/policy/test_catalog_access.py posts real files across municipalities).
        "api:import_standard": ApiRoute(
            "POST", body=lambda t: {"municipality_id": t.municipality.pk}
        ),
        "api:copy_standard": ApiRoute(
            "POST", lambda t: {"standard_id": _standard_id(t)}, lambda t: {"version": "walk"}
        ),
        "api:make_standard_current": ApiRoute("POST", lambda t: {"standard_id": _standard_id(t)}),
    }
