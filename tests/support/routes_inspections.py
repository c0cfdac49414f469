"""The self-inspection pages and API operations for the route tables (see routes.py).

The walk's world has no campaign: like ``routes._import_job``, a route names the tenant's record
if one exists (the access matrix makes them with ``tests/inspections/world.py``) or an id no
record has. Nothing is made here: the walk compares the other municipality's rows before and
after. Imports are lazy, so that importing this module first, alone, is not circular.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

Kwargs = Callable[[Any], dict[str, Any]]


def _none(t: Any) -> dict[str, Any]:
    return {}


def _existing(name: str, t: Any) -> int:
    """The id of the tenant's record of kind ``name``, or 0 when it has none."""
    from isms.inspections import models as m

    tenant = t.municipality
    found: Any
    if name in ("campaign", "draft"):
        status = "draft" if name == "draft" else "open"
        found = m.SelfInspection.objects.filter(municipality=tenant, status=status)
    elif name in ("sheet", "answered"):
        found = m.InspectionResponse.objects.filter(
            campaign__municipality=tenant, status__in=("not_started", "in_progress")
        )
    elif name == "submitted":
        found = m.InspectionResponse.objects.filter(
            campaign__municipality=tenant, status="submitted"
        )
    elif name == "evidence":
        found = m.InspectionEvidence.objects.filter(answer__campaign__municipality=tenant)
    elif name == "answer":
        found = m.InspectionAnswer.objects.filter(campaign__municipality=tenant, final=True)
    else:
        status = "done" if name == "done_improvement" else "open"
        found = m.CorrectiveAction.objects.filter(
            municipality=tenant, source="self_inspection", status=status
        )
    pk = found.order_by("pk").values_list("pk", flat=True).first()
    # None: an id no record has, different per tenant (so the walk sees 甲府市's path named).
    return pk or 1_000_000_000 + tenant.pk


def _pk(name: str) -> Kwargs:
    return lambda t: {"pk": _existing(name, t)}


ROUTES: dict[str, Kwargs] = {
    "inspections:campaign_list": _none,
    "inspections:campaign_create": _none,
    "inspections:campaign_detail": _pk("campaign"),
    "inspections:campaign_open": _pk("draft"),
    "inspections:campaign_close": _pk("campaign"),
    "inspections:campaign_assign": _pk("campaign"),
    "inspections:campaign_results": _pk("campaign"),
    "inspections:campaign_export": _pk("campaign"),
    "inspections:campaign_report": _pk("campaign"),
    "inspections:sheet_detail": _pk("sheet"),
    "inspections:sheet_evidence": _pk("sheet"),
    "inspections:sheet_approve": _pk("submitted"),
    "inspections:sheet_return": _pk("submitted"),
    "inspections:evidence_download": _pk("evidence"),
    "inspections:evidence_delete": _pk("evidence"),
    "inspections:approval_queue": _none,
    "inspections:improvement_list": _none,
    "inspections:improvement_create": _pk("answer"),
    "inspections:improvement_progress": _pk("improvement"),
    "inspections:improvement_verify": _pk("done_improvement"),
}

POST_DATA: dict[str, Callable[[Any], dict[str, Any]]] = {
    "inspections:campaign_assign": lambda t: {"target_group": "staff", "org_unit": t.unit.pk},
    "inspections:sheet_return": lambda t: {"reason": "巡回"},
}


def _due() -> str:
    return (datetime.date.today() + datetime.timedelta(days=20)).isoformat()


def api_routes() -> dict[str, Any]:
    """The API operations of ``isms.inspections.api``."""
    from tests.support.routes import ApiRoute

    def campaign(name: str = "campaign") -> Kwargs:
        return lambda t: {"campaign_id": _existing(name, t)}

    def sheet(name: str = "sheet") -> Kwargs:
        return lambda t: {"sheet_id": _existing(name, t)}

    return {
        "api:list_campaigns": ApiRoute("GET"),
        "api:create_campaign": ApiRoute(
            "POST",
            body=lambda t: {
                "municipality_id": t.municipality.pk,
                "fiscal_year": 2026,
                "title": "巡回",
                "opens_on": datetime.date.today().isoformat(),
            },
        ),
        "api:get_campaign": ApiRoute("GET", campaign()),
        "api:open_campaign": ApiRoute("POST", campaign("draft")),
        "api:close_campaign": ApiRoute("POST", campaign()),
        "api:assign_questionnaire": ApiRoute(
            "POST", campaign(), lambda t: {"target_group": "staff", "org_unit_id": t.unit.pk}
        ),
        "api:campaign_results": ApiRoute("GET", campaign()),
        "api:list_sheets": ApiRoute("GET"),
        "api:get_sheet": ApiRoute("GET", sheet()),
        "api:save_sheet_answers": ApiRoute("PUT", sheet(), lambda t: {"answers": []}),
        "api:submit_sheet": ApiRoute("POST", sheet("answered")),
        "api:upload_evidence": ApiRoute("POST", sheet()),
        "api:approve_sheet": ApiRoute("POST", sheet("submitted")),
        "api:return_sheet": ApiRoute("POST", sheet("submitted"), lambda t: {"reason": "巡回"}),
        "api:create_improvement": ApiRoute(
            "POST",
            lambda t: {"answer_id": _existing("answer", t)},
            lambda t: {"owner_id": t.other_person.pk, "due_date": _due()},
        ),
        "api:list_improvements": ApiRoute("GET"),
    }
