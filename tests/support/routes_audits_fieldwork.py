"""The audit fieldwork, finding and corrective-action pages for the route tables (see
routes.py).

The walk's world has no audit: like ``routes_inspections``, a route names the tenant's record if
one exists (the access matrix makes them with ``tests/audits/world_fieldwork.py``) or an id no
record has. Nothing is made here. Imports are lazy, so that importing this module first, alone,
is not circular.
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
    from isms.inspections.models import CorrectiveAction

    tenant = t.municipality.pk
    found: Any
    if name == "audit":
        found = m.Audit.objects.filter(plan__municipality_id=tenant)
    elif name == "item":
        found = m.AuditItem.objects.filter(audit__plan__municipality_id=tenant)
    elif name == "workpaper":
        found = m.AuditWorkpaper.objects.filter(item__audit__plan__municipality_id=tenant)
    elif name == "evidence":
        found = m.AuditEvidence.objects.filter(workpaper__item__audit__plan__municipality_id=tenant)
    elif name == "finding":
        found = m.Finding.objects.filter(audit__plan__municipality_id=tenant)
    else:
        found = CorrectiveAction.objects.filter(municipality_id=tenant, finding__isnull=False)
    pk = found.order_by("pk").values_list("pk", flat=True).first()
    # None: an id no record has, different per tenant (so the walk sees 甲府市's path named).
    return pk or 1_000_000_000 + tenant


def _pk(name: str) -> Kwargs:
    return lambda t: {"pk": _existing(name, t)}


ROUTES: dict[str, Kwargs] = {
    "audits:audit_detail": _pk("audit"),
    "audits:audit_close": _pk("audit"),
    "audits:item_detail": _pk("item"),
    "audits:item_assess": _pk("item"),
    "audits:workpaper_create": _pk("item"),
    "audits:workpaper_edit": _pk("workpaper"),
    "audits:evidence_upload": _pk("workpaper"),
    "audits:evidence_download": _pk("evidence"),
    "audits:finding_list": _none,
    "audits:finding_create": _pk("audit"),
    "audits:finding_detail": _pk("finding"),
    "audits:finding_edit": _pk("finding"),
    "audits:finding_close": _pk("finding"),
    "audits:finding_targeted": _pk("finding"),
    "audits:action_create": _pk("finding"),
    "audits:action_list": _none,
    "audits:action_progress": _pk("action"),
    "audits:action_verify": _pk("action"),
    "audits:action_reject": _pk("action"),
}


def _employee_number(t: Any) -> str:
    from isms.core.models import Person

    return str(Person.objects.get(pk=t.other_person.pk).employee_number)


POST_DATA: dict[str, Callable[[Any], dict[str, Any]]] = {
    "audits:finding_create": lambda t: {
        "severity": "minor",
        "title": "巡回",
        "description": "巡回",
        "org_unit": t.unit.pk,
    },
    "audits:finding_edit": lambda t: {
        "severity": "minor",
        "title": "巡回",
        "description": "巡回",
        "org_unit": t.unit.pk,
    },
    "audits:finding_targeted": lambda t: {"units": [t.unit.pk], "answer_business_days": "10"},
    "audits:action_create": lambda t: {
        "title": "巡回",
        "owner_number": _employee_number(t),
        "due_business_days": "10",
    },
}
