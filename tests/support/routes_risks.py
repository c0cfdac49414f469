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


def _group_id(t: Any) -> int:
    from tests.risks.web_specs import _group

    return _group(t).pk


def _vuln_id(t: Any) -> int:
    from isms.risks.models import Vulnerability

    return Vulnerability.objects.get(municipality=t.municipality, code="V-01").pk


def _fy() -> int:
    from django.utils import timezone

    from isms.core.calendar import fiscal_year_of

    return fiscal_year_of(timezone.localdate())


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
    "risks:risk_reassess": _risk,
    "risks:catalog_entry_active": lambda t: {"kind": "threat", "pk": _threat_id(t)},
    "risks:group_list": _none,
    "risks:group_create": _none,
    "risks:group_edit": lambda t: {"pk": _group_id(t)},
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
    "risks:risk_reassess": lambda t: {"likelihood": "1", "scenario": "巡回"},
    "risks:catalog_entry_active": lambda t: {"active": "0"},
    "risks:group_create": lambda t: {
        "name": "巡回",
        "owning_unit": t.unit.pk,
        "asset_numbers": t.asset.asset_number,
    },
    "risks:group_edit": lambda t: {"name": "巡回", "asset_numbers": t.asset.asset_number},
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
    """The API operations of ``isms.risks.api`` and ``isms.policy.review_api`` (built when
    routes.py merges the tables)."""
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
        "api:reassess_risk": ApiRoute(
            "POST", lambda t: {"risk_id": t.risk.pk}, lambda t: {"likelihood": 1}
        ),
        "api:set_threat_active": ApiRoute(
            "POST", lambda t: {"threat_id": _threat_id(t)}, lambda t: {"active": False}
        ),
        "api:set_vulnerability_active": ApiRoute(
            "POST", lambda t: {"vulnerability_id": _vuln_id(t)}, lambda t: {"active": False}
        ),
        "api:list_asset_groups": ApiRoute("GET"),
        "api:get_asset_group": ApiRoute("GET", lambda t: {"group_id": _group_id(t)}),
        "api:create_asset_group": ApiRoute(
            "POST",
            body=lambda t: {
                "municipality_id": t.municipality.pk,
                "name": "巡回",
                "owning_unit_id": t.unit.pk,
                "asset_ids": [t.asset.pk],
            },
        ),
        "api:update_asset_group": ApiRoute(
            "PUT",
            lambda t: {"group_id": _group_id(t)},
            lambda t: {"name": "巡回", "asset_ids": [t.asset.pk]},
        ),
        "api:get_policy_review": ApiRoute("GET", lambda t: {"fiscal_year": _fy()}),
        "api:record_policy_review": ApiRoute(
            "PUT",
            lambda t: {"fiscal_year": _fy()},
            lambda t: {"municipality_id": t.municipality.pk, "conclusion": "巡回"},
        ),
        "api:get_risk_analysis": ApiRoute("GET", lambda t: {"fiscal_year": _fy()}),
        "api:approve_risk_acceptance": ApiRoute("POST", lambda t: {"risk_id": t.risk.pk}),
        "api:reject_risk_acceptance": ApiRoute(
            "POST", lambda t: {"risk_id": t.risk.pk}, lambda t: {"reason": "巡回"}
        ),
    }
