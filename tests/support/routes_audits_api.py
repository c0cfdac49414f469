"""The audits API operations (``isms.inspections.audits.api``) for the route tables (see
routes.py).

Like ``routes_inspections``: a route names the tenant's record if one exists (the access matrix
makes them with ``tests/audits/api_specs.py``) or an id no record has; nothing is made here (the
walk compares the other municipality's rows before and after). Imports are lazy, so that
importing this module first, alone, is not circular.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

Kwargs = Callable[[Any], dict[str, Any]]


def _existing(name: str, t: Any) -> int:
    """The id of the tenant's record of kind ``name``, or an id no record has."""
    from isms.inspections.audits import models as m
    from isms.inspections.models import CorrectiveAction

    mid = t.municipality.pk
    found: Any
    if name == "plan":
        found = m.AuditPlan.objects.filter(municipality_id=mid)
    elif name == "draft":
        found = m.AuditPlan.objects.filter(municipality_id=mid, status="draft")
    elif name == "submitted":
        found = m.AuditPlan.objects.filter(municipality_id=mid, status="submitted")
    elif name == "audit":
        found = m.Audit.objects.filter(plan__municipality_id=mid)
    elif name == "auditor":
        found = m.AuditAuditor.objects.filter(audit__plan__municipality_id=mid)
    elif name == "item":
        found = m.AuditItem.objects.filter(audit__plan__municipality_id=mid)
    elif name == "workpaper":
        found = m.AuditWorkpaper.objects.filter(item__audit__plan__municipality_id=mid)
    elif name == "evidence":
        found = m.AuditEvidence.objects.filter(workpaper__item__audit__plan__municipality_id=mid)
    elif name == "finding":
        found = m.Finding.objects.filter(audit__plan__municipality_id=mid)
    else:
        status = "done" if name == "done_action" else "open"
        found = CorrectiveAction.objects.filter(
            municipality_id=mid, finding__isnull=False, status=status
        )
    pk = found.order_by("pk").values_list("pk", flat=True).first()
    # None: an id no record has, different per tenant (so the walk sees 甲府市's path named).
    return pk or 1_000_000_000 + mid


def _path(key: str, name: str) -> Kwargs:
    return lambda t: {key: _existing(name, t)}


def _today() -> str:
    return datetime.date.today().isoformat()


def api_routes() -> dict[str, Any]:
    """The API operations of ``isms.inspections.audits.api``."""
    from tests.support.routes import ApiRoute

    def audit_body(t: Any) -> dict[str, Any]:
        return {
            "title": "巡回",
            "kind": "internal",
            "org_unit_id": t.unit.pk,
            "starts_on": _today(),
            "ends_on": _today(),
        }

    def paper_body(t: Any) -> dict[str, Any]:
        return {"kind": "observation", "performed_on": _today(), "notes": "巡回"}

    def finding_body(t: Any) -> dict[str, Any]:
        return {
            "severity": "minor",
            "title": "巡回",
            "description": "巡回",
            "org_unit_id": t.unit.pk,
        }

    plan, audit = _path("plan_id", "plan"), _path("audit_id", "audit")
    finding = _path("finding_id", "finding")
    return {
        "api:list_audit_plans": ApiRoute("GET"),
        "api:create_audit_plan": ApiRoute(
            "POST",
            body=lambda t: {
                "municipality_id": t.municipality.pk,
                "fiscal_year": 2026,
                "title": "巡回",
            },
        ),
        "api:get_audit_plan": ApiRoute("GET", plan),
        "api:update_audit_plan": ApiRoute(
            "PUT", _path("plan_id", "draft"), lambda t: {"fiscal_year": 2026, "title": "巡回"}
        ),
        "api:submit_audit_plan": ApiRoute("POST", _path("plan_id", "draft")),
        "api:approve_audit_plan": ApiRoute(
            "POST", _path("plan_id", "submitted"), lambda t: {"approval_reference": "巡回"}
        ),
        "api:return_audit_plan": ApiRoute(
            "POST", _path("plan_id", "submitted"), lambda t: {"reason": "巡回"}
        ),
        "api:close_audit_plan": ApiRoute("POST", plan),
        "api:add_audit_to_plan": ApiRoute("POST", _path("plan_id", "draft"), audit_body),
        "api:get_audit": ApiRoute("GET", audit),
        "api:update_audit": ApiRoute("PUT", audit, audit_body),
        "api:delete_audit": ApiRoute("DELETE", audit),
        "api:assign_audit_auditor": ApiRoute(
            "POST", audit, lambda t: {"person_id": t.other_person.pk}
        ),
        "api:remove_audit_auditor": ApiRoute("DELETE", _path("auditor_id", "auditor")),
        "api:close_audit": ApiRoute("POST", audit, lambda t: {"opinion": "巡回"}),
        "api:list_audit_items": ApiRoute("GET", audit),
        "api:get_audit_item": ApiRoute("GET", _path("item_id", "item")),
        "api:assess_audit_item": ApiRoute(
            "POST", _path("item_id", "item"), lambda t: {"result": "conforming"}
        ),
        "api:add_audit_workpaper": ApiRoute("POST", _path("item_id", "item"), paper_body),
        "api:update_audit_workpaper": ApiRoute(
            "PUT", _path("workpaper_id", "workpaper"), paper_body
        ),
        "api:upload_audit_evidence": ApiRoute("POST", _path("workpaper_id", "workpaper")),
        "api:download_audit_evidence": ApiRoute("GET", _path("evidence_id", "evidence")),
        "api:list_audit_findings": ApiRoute("GET"),
        "api:record_audit_finding": ApiRoute("POST", audit, finding_body),
        "api:get_audit_finding": ApiRoute("GET", finding),
        "api:update_audit_finding": ApiRoute("PUT", finding, finding_body),
        "api:close_audit_finding": ApiRoute("POST", finding, lambda t: {"note": "巡回"}),
        "api:request_finding_targeted_inspection": ApiRoute(
            "POST", finding, lambda t: {"org_unit_ids": [t.unit.pk]}
        ),
        "api:list_audit_actions": ApiRoute("GET"),
        "api:add_finding_action": ApiRoute(
            "POST",
            finding,
            lambda t: {"title": "巡回", "owner_id": t.other_person.pk, "due_business_days": 5},
        ),
        "api:progress_audit_action": ApiRoute(
            "POST", _path("action_id", "action"), lambda t: {"note": "巡回"}
        ),
        "api:verify_audit_action": ApiRoute(
            "POST", _path("action_id", "done_action"), lambda t: {"note": "巡回"}
        ),
        "api:reject_audit_action": ApiRoute(
            "POST", _path("action_id", "done_action"), lambda t: {"reason": "巡回"}
        ),
    }
