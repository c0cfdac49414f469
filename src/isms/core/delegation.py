"""代理・代決: naming a deputy for an absent role holder, and ending it early.

A delegation gives its deputy the role of one assignment for a period (see ``Delegation``);
``permissions`` counts it while it is in force and tells services in which capacity a user
acts, so that the journal records who acted on whose behalf. Who may name a deputy: the holder
of the role themself, or whoever manages roles; nobody names themself as somebody's deputy
(兼務の禁止, unless the CISO recorded a waiver).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import journal
from .models import Delegation, Person, RoleAssignment, User
from .permissions import Action, SeparationOfDutiesError, can, check_separation

MAX_DAYS = 366
REASON_MAX = 200


def _actor_person(actor: User) -> Person | None:
    return Person.objects.filter(user=actor, is_active=True).first()


def may_delegate(actor: User, assignment: RoleAssignment) -> bool:
    """The holder of the role may name their deputy; so may whoever manages roles."""
    if can(actor, Action.MANAGE_ROLES, assignment):
        return True
    person = _actor_person(actor)
    return (
        person is not None
        and person.pk == assignment.person_id
        and can(actor, Action.VIEW_ROLES, assignment)
    )


def may_revoke(actor: User, delegation: Delegation) -> bool:
    """The holder, the deputy (declining) and whoever manages roles may end a delegation."""
    if can(actor, Action.MANAGE_ROLES, delegation):
        return True
    person = _actor_person(actor)
    return (
        person is not None
        and person.pk in (delegation.assignment.person_id, delegation.deputy_id)
        and can(actor, Action.VIEW_ROLES, delegation)
    )


def snapshot(d: Delegation) -> dict[str, object]:
    return {
        "assignment": d.assignment_id,
        "principal": str(d.assignment.person),
        "role": d.assignment.role,
        "org_unit": d.assignment.org_unit.name if d.assignment.org_unit else None,
        "deputy": str(d.deputy),
        "start_date": d.start_date.isoformat(),
        "end_date": d.end_date.isoformat(),
        "reason": d.reason,
        "revoked_at": d.revoked_at.isoformat() if d.revoked_at else None,
    }


def _check_period(
    assignment: RoleAssignment, start: datetime.date, end: datetime.date, today: datetime.date
) -> None:
    if end < start:
        raise ValidationError({"end_date": _("The end date must not be before the start date.")})
    if start < today:
        raise ValidationError(
            {
                "start_date": _(
                    "A deputy cannot be named for days already past: start today or later."
                )
            }
        )
    if (end - start).days >= MAX_DAYS:
        raise ValidationError(
            {
                "end_date": _(
                    "A delegation covers an absence of at most a year. For longer, assign the "
                    "role to the person instead."
                )
            }
        )
    if start < assignment.start_date or (
        assignment.end_date is not None and end > assignment.end_date
    ):
        raise ValidationError(
            {
                "end_date": _(
                    "The role is held from %(start)s to %(end)s: the delegation must fall within "
                    "that period."
                )
                % {
                    "start": assignment.start_date.isoformat(),
                    "end": assignment.end_date.isoformat() if assignment.end_date else "—",
                }
            }
        )


def _check_deputy(assignment: RoleAssignment, deputy: Person, end: datetime.date) -> None:
    if deputy.municipality_id != assignment.municipality_id:
        raise ValidationError(
            {"deputy": _("The selected record was not found in this municipality.")},
            code="not_found",
        )
    if deputy.pk == assignment.person_id:
        raise ValidationError({"deputy": _("The holder of the role cannot be their own deputy.")})
    if not deputy.is_active:
        raise ValidationError({"deputy": _("%(person)s is no longer active.") % {"person": deputy}})
    user = deputy.user
    if user is None or not user.is_active:
        raise ValidationError(
            {
                "deputy": _(
                    "%(person)s has no active login, so could not act as deputy. Link a login to "
                    "them first, or choose someone else."
                )
                % {"person": deputy}
            }
        )
    if deputy.employment_end is not None and deputy.employment_end < end:
        raise ValidationError(
            {
                "end_date": _("%(person)s is employed until %(date)s: end the delegation by then.")
                % {"person": deputy, "date": deputy.employment_end.isoformat()}
            }
        )


def create_delegation(
    actor: User,
    assignment: RoleAssignment,
    deputy: Person,
    *,
    start_date: datetime.date,
    end_date: datetime.date,
    reason: str,
) -> Delegation:
    """Name ``deputy`` to act in ``assignment``'s role from ``start_date`` to ``end_date``."""
    if not may_delegate(actor, assignment):
        raise PermissionDenied(_("You are not allowed to do this."))
    text = (reason or "").strip()
    if not text:
        raise ValidationError({"reason": _("Give the reason (for example, the holder's leave).")})
    if len(text) > REASON_MAX:
        raise ValidationError(
            {
                "reason": _("The reason is too long (at most %(max)d characters).")
                % {"max": REASON_MAX}
            }
        )
    _check_period(assignment, start_date, end_date, timezone.localdate())
    _check_deputy(assignment, deputy, end_date)
    try:
        check_separation(
            applicant=deputy,
            approver=_actor_person(actor),
            subject=f"delegation:{assignment.pk}:{deputy.pk}",
        )
    except SeparationOfDutiesError as exc:
        raise SeparationOfDutiesError({"deputy": exc.error_list}) from exc
    with transaction.atomic():
        # Serialise delegations of one assignment so that two overlapping ones cannot both pass.
        RoleAssignment.objects.select_for_update().filter(pk=assignment.pk).first()
        clash = Delegation.objects.filter(
            assignment=assignment,
            deputy=deputy,
            revoked_at__isnull=True,
            start_date__lte=end_date,
            end_date__gte=start_date,
        ).first()
        if clash is not None:
            raise ValidationError(
                {
                    "start_date": _(
                        "%(person)s is already deputy for this role from %(start)s to %(end)s."
                    )
                    % {
                        "person": deputy,
                        "start": clash.start_date.isoformat(),
                        "end": clash.end_date.isoformat(),
                    }
                }
            )
        d = Delegation(
            municipality_id=assignment.municipality_id,
            assignment=assignment,
            deputy=deputy,
            start_date=start_date,
            end_date=end_date,
            reason=text,
            created_by=actor,
        )
        d.full_clean()
        d.save()
        journal.record(actor=actor, action="delegation.create", obj=d, after=snapshot(d))
    return d


def revoke_delegation(actor: User, delegation: Delegation) -> Delegation:
    """End a delegation now (the holder is back early, or the deputy declines)."""
    if not may_revoke(actor, delegation):
        raise PermissionDenied(_("You are not allowed to do this."))
    with transaction.atomic():
        d = (
            # Lock the delegation's row only: PostgreSQL cannot lock the nullable side of the
            # outer join to the assignment's (optional) unit.
            Delegation.objects.select_for_update(of=("self",))
            .select_related("assignment__person", "assignment__org_unit", "deputy")
            .get(pk=delegation.pk)
        )
        if d.revoked_at is not None:
            raise ValidationError(_("This delegation has already been ended."))
        before = snapshot(d)
        d.revoked_at = timezone.now()
        d.revoked_by = actor
        d.save(update_fields=["revoked_at", "revoked_by"])
        journal.record(
            actor=actor, action="delegation.revoke", obj=d, before=before, after=snapshot(d)
        )
    return d


def current_and_upcoming(qs: models.QuerySet[Delegation]) -> models.QuerySet[Delegation]:
    """Delegations not revoked that have not ended yet."""
    return qs.filter(revoked_at__isnull=True, end_date__gte=timezone.localdate())
