"""組織改正 decided ahead: plan a change for a future effective date, cancel it, carry it out.

A municipality decides its 4/1 組織改正 in February or March. ``plan_change`` checks the change
against today's organisation (the same service runs in a transaction that is rolled back) and
stores it; ``apply_due`` — the daily task, just after midnight — carries out every change whose
day has come through ``reorganisation.apply_change``, in date order, each in its own
transaction. A change that no longer fits the organisation on its day (the unit was abolished
meanwhile, people are still in a unit to abolish) is marked failed with the reason, for the
lead to redo by hand; nothing half-done remains.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import journal, reorganisation
from .models import OrgUnit, PlannedOrgChange, User
from .permissions import Action, require

logger = logging.getLogger(__name__)

# The service arguments that name a unit; stored by primary key.
UNIT_PARAMS = ("parent", "into")


class _DryRun(Exception):
    """Raised to roll back the trial run of a planned change."""


def _stored(data: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.pk if isinstance(v, OrgUnit) else v) for k, v in data.items()}


def _resolved(planned: PlannedOrgChange) -> dict[str, Any]:
    data = dict(planned.params)
    for name in UNIT_PARAMS:
        if data.get(name) is not None:
            unit = OrgUnit.objects.filter(
                pk=data[name], municipality_id=planned.municipality_id
            ).first()
            if unit is None:
                raise ValidationError({name: _("The unit named in this change no longer exists.")})
            data[name] = unit
    return data


def snapshot(p: PlannedOrgChange) -> dict[str, Any]:
    return {
        "org_unit": p.org_unit_id,
        "kind": p.kind,
        "effective_date": p.effective_date.isoformat(),
        "params": p.params,
        "reason": p.reason,
        "state": p.state,
        "error": p.error,
    }


def plan_change(
    actor: User,
    unit: OrgUnit,
    kind: str,
    *,
    effective_date: datetime.date,
    reason: str = "",
    **data: Any,
) -> PlannedOrgChange:
    """Record a 組織改正 of ``unit`` to be carried out on ``effective_date`` (after today)."""
    require(actor, Action.MANAGE_ORGANISATION, unit)
    today = timezone.localdate()
    if effective_date <= today:
        raise ValidationError(
            {"effective_date": _("A planned change takes effect after today.")}, code="not_future"
        )
    # Try the change on today's organisation and roll it back: a change that cannot work now
    # (a merge into itself, a unit with people to abolish) is refused now, not at midnight.
    try:
        with transaction.atomic(), reorganisation.trial():
            reorganisation.apply_change(
                None, unit, kind, effective_date=effective_date, reason=reason, **data
            )
            raise _DryRun
    except _DryRun:
        pass
    planned = PlannedOrgChange(
        municipality_id=unit.municipality_id,
        org_unit=unit,
        kind=kind,
        effective_date=effective_date,
        params=_stored(data),
        reason=reason.strip(),
        created_by=actor,
    )
    with transaction.atomic():
        planned.full_clean()
        planned.save()
        journal.record(actor=actor, action="org_change.plan", obj=planned, after=snapshot(planned))
    return planned


def cancel_planned(actor: User, planned: PlannedOrgChange) -> PlannedOrgChange:
    """Cancel a change that has not been carried out yet."""
    require(actor, Action.MANAGE_ORGANISATION, planned.org_unit)
    with transaction.atomic():
        p = PlannedOrgChange.objects.select_for_update().get(pk=planned.pk)
        if p.state != PlannedOrgChange.State.PLANNED:
            raise ValidationError(_("This change is no longer planned; it cannot be cancelled."))
        before = snapshot(p)
        p.state = PlannedOrgChange.State.CANCELLED
        p.closed_at, p.closed_by = timezone.now(), actor
        p.save(update_fields=["state", "closed_at", "closed_by"])
        journal.record(
            actor=actor, action="org_change.cancel", obj=p, before=before, after=snapshot(p)
        )
    return p


def _apply_one(p: PlannedOrgChange) -> PlannedOrgChange:
    before = snapshot(p)
    try:
        with transaction.atomic():
            result = reorganisation.apply_change(
                None,
                p.org_unit,
                p.kind,
                effective_date=p.effective_date,
                reason=p.reason,
                **_resolved(p),
            )
            result.change.created_by = p.created_by
            result.change.save(update_fields=["created_by"])
            p.state, p.applied_change = PlannedOrgChange.State.APPLIED, result.change
            p.closed_at = timezone.now()
            p.save(update_fields=["state", "applied_change", "closed_at"])
            journal.record(
                actor=None,
                system="planned_org_change",
                action="org_change.apply_planned",
                obj=p,
                before=before,
                after=snapshot(p),
            )
    except Exception as exc:  # one bad change must not stop the others of the night
        if isinstance(exc, ValidationError):
            messages = exc.messages
        elif isinstance(exc, PermissionDenied):
            messages = [str(exc)]
        else:
            logger.exception("planned org change %s failed", p.pk)
            messages = [_("An unexpected error stopped it; the server log has the details.")]
        with transaction.atomic():
            p.state = PlannedOrgChange.State.FAILED
            p.error = " ".join(messages)[:2000]
            p.closed_at = timezone.now()
            p.save(update_fields=["state", "error", "closed_at"])
            journal.record(
                actor=None,
                system="planned_org_change",
                action="org_change.fail_planned",
                obj=p,
                before=before,
                after=snapshot(p),
            )
    return p


def apply_due(day: datetime.date | None = None) -> list[PlannedOrgChange]:
    """Carry out every planned change whose effective date has come, oldest first."""
    day = day or timezone.localdate()
    due = PlannedOrgChange.objects.filter(
        state=PlannedOrgChange.State.PLANNED, effective_date__lte=day
    ).select_related("org_unit", "created_by")
    return [_apply_one(p) for p in due.order_by("effective_date", "pk")]
