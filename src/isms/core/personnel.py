"""人事異動: carry the role assignments of one fiscal year into the next, and review them.

Every 4/1 most roles stay with the same people. :func:`carry_over_roles` copies the assignments
that run to the last day of a fiscal year (3/31) into the next one in one transaction, one
journal batch; the manager then adjusts the few that changed. :func:`role_warnings` lists what
needs attention for a year: units without a 情報セキュリティ管理者, roles held by someone who
has left, and 兼務 conflicts (an auditor who manages a unit).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from enum import StrEnum

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from . import journal
from .calendar import fiscal_year_bounds
from .models import Municipality, OrgUnit, Person, RoleAssignment, User
from .permissions import Action, SeparationOfDutiesError, check_separation, require
from .roles import Role

__all__ = ["CarryOverResult", "RoleWarning", "carry_over_roles", "role_warnings"]

AUDIT_ROLES = frozenset({Role.AUDITOR, Role.LEAD_AUDIT_OFFICER})
UNIT_MANAGEMENT_ROLES = frozenset(
    {Role.BUREAU_SECURITY_OFFICER, Role.DIVISION_SECURITY_MANAGER, Role.SYSTEM_MANAGER}
)


@dataclass
class CarryOverResult:
    """The assignments created, and those not carried over with the reason why."""

    created: list[RoleAssignment] = field(default_factory=list)
    skipped: list[tuple[RoleAssignment, str]] = field(default_factory=list)


def _left_by(person: Person, day: datetime.date) -> bool:
    """Return whether ``person`` no longer works here on ``day``."""
    return not person.is_active or (
        person.employment_end is not None and person.employment_end < day
    )


def _skip_reason(a: RoleAssignment, start: datetime.date, actor_person: Person | None) -> str:
    if _left_by(a.person, start):
        return _("%(person)s has left by %(date)s.") % {
            "person": a.person,
            "date": start.isoformat(),
        }
    unit = a.org_unit
    if unit is not None and unit.abolished_on is not None and unit.abolished_on <= start:
        return _("%(unit)s was abolished on %(date)s.") % {
            "unit": unit.name,
            "date": unit.abolished_on.isoformat(),
        }
    try:
        check_separation(
            applicant=a.person, approver=actor_person, subject=f"role:{a.person_id}:{a.role}"
        )
    except SeparationOfDutiesError as exc:
        return str(exc.messages[0])
    return ""


def carry_over_roles(
    actor: User | None, municipality: Municipality, *, from_year: int
) -> CarryOverResult:
    """Copy the assignments ending on the last day of ``from_year`` into ``from_year + 1``.

    Skipped: people who have left by 4/1, units abolished by then, assignments already present
    in the next year (so running it twice changes nothing), and the actor's own roles (nobody
    grants a role to themself). All created in one transaction with one journal batch.
    """
    if actor is not None:
        require(actor, Action.MANAGE_ROLES, municipality=municipality)
    _lo, last_day = fiscal_year_bounds(from_year)
    start, end = fiscal_year_bounds(from_year + 1)
    actor_person = Person.objects.filter(user=actor).first() if actor is not None else None
    result = CarryOverResult()
    with transaction.atomic():
        # Lock the year's assignments, so two managers running it at once cannot both copy.
        source = list(
            RoleAssignment.objects.select_for_update(of=("self",))
            .filter(municipality=municipality, end_date=last_day)
            .select_related("person", "org_unit")
            .order_by("role", "org_unit_id", "person_id", "pk")
        )
        present = set(
            RoleAssignment.objects.filter(municipality=municipality, start_date__lte=end)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
            .values_list("person_id", "role", "org_unit_id")
        )
        new: list[RoleAssignment] = []
        for a in source:
            if (a.person_id, a.role, a.org_unit_id) in present:
                continue
            reason = _skip_reason(a, start, actor_person)
            if reason:
                result.skipped.append((a, reason))
                continue
            present.add((a.person_id, a.role, a.org_unit_id))
            new.append(
                RoleAssignment(
                    municipality=municipality,
                    person=a.person,
                    role=a.role,
                    org_unit=a.org_unit,
                    fiscal_year=from_year + 1,
                    start_date=start,
                    end_date=end,
                    note=a.note,
                )
            )
        for a in new:
            a.full_clean()
        RoleAssignment.objects.bulk_create(new, batch_size=500)
        # bulk_create sets primary keys on SQLite and PostgreSQL alike.
        items = [
            journal.JournalItem(
                action="role_assignment.carry_over",
                object_type=RoleAssignment._meta.label_lower,
                object_id=str(a.pk),
                object_label=str(a),
                after=journal.snapshot(a),
            )
            for a in new
        ]
        items.append(
            journal.JournalItem(
                action="role_assignment.carry_over_year",
                object_type=Municipality._meta.label_lower,
                object_id=str(municipality.pk),
                object_label=str(municipality),
                after={
                    "from_year": from_year,
                    "to_year": from_year + 1,
                    "created": len(new),
                    "skipped": [a.pk for a, _reason in result.skipped],
                },
            )
        )
        journal.record_many(items, actor=actor, municipality=municipality, system="carry_over")
    result.created = new
    return result


class WarningKind(StrEnum):
    """What a role warning is about."""

    NO_MANAGER = "no_manager"
    HOLDER_LEFT = "holder_left"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class RoleWarning:
    """One thing a manager should look at in a year's role assignments."""

    kind: WarningKind
    message: str
    unit: OrgUnit | None = None
    person: Person | None = None


def role_warnings(municipality: Municipality, fiscal_year: int) -> list[RoleWarning]:
    """Return the warnings about ``fiscal_year``'s assignments (in three queries)."""
    lo, hi = fiscal_year_bounds(fiscal_year)
    assignments = list(
        RoleAssignment.objects.filter(municipality=municipality, start_date__lte=hi)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=lo))
        .select_related("person", "org_unit")
        .order_by("role", "pk")
    )
    warnings: list[RoleWarning] = []
    managed = {a.org_unit_id for a in assignments if a.role == Role.DIVISION_SECURITY_MANAGER}
    divisions = (
        OrgUnit.objects.filter(municipality=municipality, kind=OrgUnit.Kind.DIVISION, in_scope=True)
        .filter(Q(abolished_on__isnull=True) | Q(abolished_on__gt=lo))
        .order_by("sort_order", "code")
    )
    for unit in divisions:
        if unit.pk not in managed:
            warnings.append(
                RoleWarning(
                    WarningKind.NO_MANAGER,
                    _("%(unit)s has no information security manager in this fiscal year.")
                    % {"unit": unit.name},
                    unit=unit,
                )
            )
    for a in assignments:
        p = a.person
        left = not p.is_active or (
            p.employment_end is not None and (a.end_date is None or a.end_date > p.employment_end)
        )
        if left:
            warnings.append(
                RoleWarning(
                    WarningKind.HOLDER_LEFT,
                    _("%(person)s holds the role %(role)s but has left. End the assignment.")
                    % {"person": p, "role": Role(a.role).label},
                    unit=a.org_unit,
                    person=p,
                )
            )
    by_person: dict[int, list[RoleAssignment]] = {}
    for a in assignments:
        by_person.setdefault(a.person_id, []).append(a)
    for held in by_person.values():
        roles = {Role(a.role) for a in held}
        audit = roles & AUDIT_ROLES
        managing = [a for a in held if a.role in UNIT_MANAGEMENT_ROLES]
        if audit and managing:
            warnings.append(
                RoleWarning(
                    WarningKind.CONFLICT,
                    _(
                        "%(person)s is both %(audit)s and %(role)s for %(unit)s (兼務の禁止): "
                        "they cannot audit their own unit."
                    )
                    % {
                        "person": held[0].person,
                        "audit": Role(sorted(audit)[0]).label,
                        "role": Role(managing[0].role).label,
                        "unit": managing[0].org_unit.name if managing[0].org_unit else "",
                    },
                    unit=managing[0].org_unit,
                    person=held[0].person,
                )
            )
    return warnings
