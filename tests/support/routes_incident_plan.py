"""The emergency response plan's pages and API operations for the route tables (routes.py).

The plan's version routes name the draft of the walk's municipality, or (when it has none) an
id no version has, its own: the walk must not create rows while it compares the other
municipality's state; tests/incidents_plan/ make drafts and ask for them across municipalities.
Route types are imported only when the tables are built (``api_routes``), so that importing
this module first, alone, is not circular.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Kwargs = Callable[[Any], dict[str, Any]]


def _none(t: Any) -> dict[str, Any]:
    return {}


def _draft_id(t: Any) -> int:
    from isms.incidents.plan.models import EmergencyResponsePlan

    found = EmergencyResponsePlan.objects.filter(municipality=t.municipality).first()
    # None yet: an id no version has, but each municipality's own (so the walk still asks
    # for "the other municipality's" version and expects a refusal).
    return found.pk if found is not None else 10_000_000 + t.municipality.pk


def _version(t: Any) -> dict[str, Any]:
    return {"pk": _draft_id(t)}


def _form(t: Any) -> dict[str, Any]:
    from tests.incidents_plan.factories import form_data

    return form_data()


ROUTES: dict[str, Kwargs] = {
    "plan:plan_detail": _none,
    "plan:plan_edit": _none,
    "plan:plan_pdf": _none,
    "plan:version_list": _none,
    "plan:version_detail": _version,
    "plan:version_approve": _version,
}

POST_DATA: dict[str, Callable[[Any], dict[str, Any]]] = {
    "plan:plan_edit": _form,
}


def api_routes() -> dict[str, Any]:
    """The API operations of ``isms.incidents.plan.api`` (built when routes.py merges)."""
    from tests.incidents_plan.factories import api_body
    from tests.support.routes import ApiRoute

    return {
        "api:get_emergency_plan": ApiRoute("GET"),
        "api:list_emergency_plan_versions": ApiRoute("GET"),
        "api:get_emergency_plan_version": ApiRoute("GET", lambda t: {"version_id": _draft_id(t)}),
        "api:save_emergency_plan_draft": ApiRoute("PUT", body=api_body),
        "api:approve_emergency_plan": ApiRoute("POST", lambda t: {"version_id": _draft_id(t)}),
        "api:emergency_plan_pdf": ApiRoute("GET"),
    }
