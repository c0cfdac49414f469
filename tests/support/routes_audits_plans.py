"""The audit plan pages for the route tables (see routes.py).

Like ``routes_inspections``, a route names the tenant's record if one exists (the access matrix
makes them with ``tests.audits.factories.audit_world``) or an id no record has. Nothing is made
here: the tenancy walk compares the other municipality's rows before and after. Imports are
lazy, so that importing this module first, alone, is not circular.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Kwargs = Callable[[Any], dict[str, Any]]


def _none(t: Any) -> dict[str, Any]:
    return {}


def _existing(name: str, t: Any) -> int:
    """The id of the tenant's record of kind ``name``, or an id no record has."""
    from isms.inspections.audits import models as m

    tenant = t.municipality
    found: Any
    if name == "plan":
        found = m.AuditPlan.objects.filter(municipality=tenant, status="approved")
    elif name == "draft":
        found = m.AuditPlan.objects.filter(municipality=tenant, status="draft")
    elif name == "audit":
        found = m.Audit.objects.filter(plan__municipality=tenant, plan__status="draft")
    else:
        found = m.AuditAuditor.objects.filter(
            audit__plan__municipality=tenant, audit__plan__status="draft"
        )
    pk = found.order_by("pk").values_list("pk", flat=True).first()
    # None: an id no record has, different per tenant (so the walk sees 甲府市's path named).
    return pk or 1_000_000_000 + tenant.pk


def _pk(name: str) -> Kwargs:
    return lambda t: {"pk": _existing(name, t)}


ROUTES: dict[str, Kwargs] = {
    "audits:plan_list": _none,
    "audits:plan_create": _none,
    "audits:plan_detail": _pk("plan"),
    "audits:plan_edit": _pk("draft"),
    "audits:plan_submit": _pk("draft"),
    "audits:plan_approve": _pk("draft"),
    "audits:plan_return": _pk("draft"),
    "audits:plan_close": _pk("plan"),
    "audits:audit_create": _pk("draft"),
    "audits:audit_edit": _pk("audit"),
    "audits:audit_delete": _pk("audit"),
    "audits:auditor_add": _pk("audit"),
    "audits:auditor_remove": _pk("auditor"),
}


def _audit_form(t: Any) -> dict[str, Any]:
    import datetime

    today = datetime.date.today().isoformat()
    return {
        "title": "巡回",
        "kind": "internal",
        "org_unit": t.unit.pk,
        "starts_on": today,
        "ends_on": today,
    }


POST_DATA: dict[str, Callable[[Any], dict[str, Any]]] = {
    "audits:audit_create": _audit_form,
    "audits:audit_edit": _audit_form,
    "audits:auditor_add": lambda t: {"person": t.other_person.pk},
    "audits:plan_approve": lambda t: {"approval_reference": "巡回"},
    "audits:plan_return": lambda t: {"reason": "巡回"},
}
