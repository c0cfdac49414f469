"""The risk register's pages and API operations for the route tables (see routes.py).

The walk's world (``access.Site``) has ``t.risk``: a risk of ``t.asset``, treated, its
acceptance asked. The route types are imported only when the tables are built (``api_routes``),
so that importing this module first, alone, is not circular.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Kwargs = Callable[[Any], dict[str, Any]]


def _none(t: Any) -> dict[str, Any]:
    return {}


def _risk(t: Any) -> dict[str, Any]:
    return {"pk": t.risk.pk}


def _threat_id(t: Any) -> int:
    from isms.risks.models import Threat

    return Threat.objects.get(municipality=t.municipality, code="T-DIS-02").pk


ROUTES: dict[str, Kwargs] = {
    "risks:risk_list": _none,
    "risks:heat_map": _none,
    "risks:risk_create": _none,
    "risks:risk_export": _none,
    "risks:risk_report": _none,
    "risks:catalog": _none,
    "risks:scales": _none,
    "risks:risk_detail": _risk,
    "risks:risk_treat": _risk,
    "risks:risk_request_acceptance": _risk,
    "risks:risk_approve": _risk,
    "risks:risk_reject": _risk,
    "policy:policy_review": _none,
}

POST_DATA: dict[str, Callable[[Any], dict[str, Any]]] = {
    "risks:risk_create": lambda t: {
        "asset_number": t.asset.asset_number,
        "threat": _threat_id(t),
        "likelihood": "2",
    },
    "risks:risk_treat": lambda t: {
        "treatment": "reduce",
        "controls": "巡回",
        "owner_number": t.other_person.employee_number,
        "residual_likelihood": "1",
        "residual_impact": "1",
    },
    "risks:risk_reject": lambda t: {"decision_reason": "巡回"},
    "risks:catalog": lambda t: {
        "form": "threat",
        "t-category": "disaster",
        "t-code": "T-WALK",
        "t-name_ja": "巡回",
    },
    "risks:scales": lambda t: {
        "likelihood_levels": "1|低|Low\n2|中|Mid\n3|高|High\n4|極|Top\n5|最|Max",
        "impact_levels": "1|低|Low\n2|中|Mid\n3|高|High\n4|極|Top\n5|最|Max",
        "bands": "3, 8, 12",
    },
    "policy:policy_review": lambda t: {"conclusion": "巡回"},
}


def api_routes() -> dict[str, Any]:
    """The API operations of ``isms.risks.api`` (built when routes.py merges the tables)."""
    from tests.support.routes import ApiRoute

    return {
        "api:list_risks": ApiRoute("GET"),
        "api:propose_risk_impact": ApiRoute("GET", lambda t: {"asset_id": t.asset.pk}),
        "api:risk_heat_map": ApiRoute("GET"),
        "api:list_threats": ApiRoute("GET"),
        "api:list_vulnerabilities": ApiRoute("GET"),
        "api:get_risk": ApiRoute("GET", lambda t: {"risk_id": t.risk.pk}),
        "api:create_risk": ApiRoute(
            "POST",
            body=lambda t: {
                "municipality_id": t.municipality.pk,
                "fiscal_year": t.risk.fiscal_year,
                "asset_id": t.asset.pk,
                "threat_id": _threat_id(t),
                "likelihood": 2,
            },
        ),
        "api:treat_risk": ApiRoute(
            "POST",
            lambda t: {"risk_id": t.risk.pk},
            lambda t: {"treatment": "avoid", "owner_id": t.other_person.pk},
        ),
        "api:request_risk_acceptance": ApiRoute("POST", lambda t: {"risk_id": t.risk.pk}),
        "api:approve_risk_acceptance": ApiRoute("POST", lambda t: {"risk_id": t.risk.pk}),
        "api:reject_risk_acceptance": ApiRoute(
            "POST", lambda t: {"risk_id": t.risk.pk}, lambda t: {"reason": "巡回"}
        ),
    }
