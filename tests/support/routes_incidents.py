"""The incidents' pages and API operations for the route tables (see routes.py).

The walk's world (``access.Site``) has ``t.incident``: reported by ``t.staff``, triaged, with
one timeline entry and its evidence. The public form and its status page take a municipality
code: the walk asks them with a fixed code that names no tenant of the walk (a 404 for
everyone), since they are public by design; tests/incidents/test_views.py proves that they
show nothing of other reports. Route types are imported lazily (see routes_risks.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Kwargs = Callable[[Any], dict[str, Any]]

# No tenant of the walk has this code (tests/support/factories.py: 192040 and 192015).
PUBLIC_CODE = "999999"


def _none(t: Any) -> dict[str, Any]:
    return {}


def _incident(t: Any) -> dict[str, Any]:
    return {"pk": t.incident.pk}


def _evidence(t: Any) -> dict[str, Any]:
    return {"pk": t.incident.pk, "evidence_pk": t.incident.evidence.first().pk}


def _public(t: Any) -> dict[str, Any]:
    return {"code": PUBLIC_CODE}


ROUTES: dict[str, Kwargs] = {
    "incidents:incident_list": _none,
    "incidents:incident_report": _none,
    "incidents:incident_settings": _none,
    "incidents:public_report": _public,
    "incidents:public_status": _public,
    "incidents:incident_detail": _incident,
    "incidents:incident_acknowledge": _incident,
    "incidents:incident_triage": _incident,
    "incidents:incident_ppc": _incident,
    "incidents:incident_external_report": _incident,
    "incidents:incident_publication": _incident,
    "incidents:incident_timeline": _incident,
    "incidents:evidence_download": _evidence,
    "incidents:incident_close": _incident,
}


POST_DATA: dict[str, Callable[[Any], dict[str, Any]]] = {
    "incidents:incident_report": lambda t: {
        "title": "巡回",
        "description": "巡回",
        "detected_at": "2026-01-05T10:00",
    },
    "incidents:incident_triage": lambda t: {
        "is_incident": "yes",
        "severity": "low",
        "kind": "malware",
        "threat_category": "intentional",
        # a number of nobody's register: the form echoes what was typed
        "asset_numbers": "W-NONE",
        "persons_affected": "0",
    },
    "incidents:incident_ppc": lambda t: {"ppc-decision": "no_report"},
    "incidents:incident_timeline": lambda t: {
        "tl-kind": "contact",
        "tl-occurred_at": "2099-01-01T10:00",
        "tl-text": "巡回",
        "tl-done_by": "X0000",  # nobody's number: the form echoes what was typed
    },
    "incidents:incident_close": lambda t: {
        "root_cause": "巡回",
        "review": "巡回",
        "action_title": "巡回",
        "action_owner": "X0000",
        "action_due": "2099-01-01",
    },
}


def api_routes() -> dict[str, Any]:
    """The API operations of ``isms.incidents.api``."""
    from tests.support.routes import ApiRoute

    def on(t: Any) -> dict[str, Any]:
        return {"incident_id": t.incident.pk}

    return {
        "api:list_incidents": ApiRoute("GET"),
        "api:incident_review_summary": ApiRoute("GET"),
        "api:get_incident": ApiRoute("GET", on),
        "api:report_incident": ApiRoute(
            "POST",
            body=lambda t: {
                "municipality_id": t.municipality.pk,
                "title": "巡回",
                "description": "巡回",
            },
        ),
        "api:acknowledge_incident": ApiRoute("POST", on),
        "api:triage_incident": ApiRoute(
            "POST",
            on,
            lambda t: {
                "is_incident": True,
                "severity": "low",
                "kind": "malware",
                "threat_category": "intentional",
                "asset_ids": [t.asset.pk],
            },
        ),
        "api:decide_incident_ppc_report": ApiRoute("POST", on, lambda t: {"decision": "no_report"}),
        "api:record_incident_external_report": ApiRoute(
            "POST",
            on,
            lambda t: {"target": "prefecture", "kind": "other", "reported_on": "2099-01-01"},
        ),
        "api:decide_incident_publication": ApiRoute(
            "POST", on, lambda t: {"publication": "not_publish", "reason": "巡回"}
        ),
        "api:list_incident_timeline": ApiRoute("GET", on),
        "api:add_incident_timeline_entry": ApiRoute(
            "POST",
            on,
            lambda t: {
                "kind": "contact",
                "occurred_at": "2099-01-01T10:00:00+09:00",
                "text": "巡回",
                "done_by_id": t.other_person.pk,
            },
        ),
        "api:close_incident": ApiRoute(
            "POST",
            on,
            lambda t: {
                "root_cause": "巡回",
                "review": "巡回",
                "actions": [
                    {"title": "巡回", "owner_id": t.other_person.pk, "due_date": "2099-01-01"}
                ],
            },
        ),
    }
