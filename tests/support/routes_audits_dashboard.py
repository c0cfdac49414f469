"""The compliance dashboard pages and API operations for the route tables (see routes.py).

The walk's world has no audit plan: the report names the tenant's plan if one exists (the access
matrix makes one with ``tests/audits/factories.py``) or an id no plan has. Imports are lazy, so
that importing this module first, alone, is not circular.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Kwargs = Callable[[Any], dict[str, Any]]


def _none(t: Any) -> dict[str, Any]:
    return {}


def _plan(t: Any) -> int:
    from isms.inspections.audits.models import AuditPlan

    pk = (
        AuditPlan.objects.filter(municipality=t.municipality)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    return pk or 1_000_000_000 + t.municipality.pk


ROUTES: dict[str, Kwargs] = {
    "audits:dashboard": _none,
    "audits:dashboard_drill": _none,
    "audits:plan_report": lambda t: {"pk": _plan(t)},
}

POST_DATA: dict[str, Callable[[Any], dict[str, Any]]] = {}


def api_routes() -> dict[str, Any]:
    """The API operations of ``isms.inspections.audits.api_dashboard``."""
    from tests.support.routes import ApiRoute

    return {
        "api:audit_dashboard": ApiRoute("GET"),
        "api:audit_plan_report": ApiRoute("GET", lambda t: {"plan_id": _plan(t)}),
    }
