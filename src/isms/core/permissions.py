"""Who may do what: the one place that decides.

Every view, API handler, CLI command and task asks this module, never compares roles itself:

- :class:`Action` names every action;
- :data:`RULES` says, per action, which roles of the policy (held today through a
  ``RoleAssignment``) or which account flags allow it, and whether it touches sensitive material
  (personal data, 機密性3) that a service administrator sees only with the municipality's grant;
- :func:`can` answers for one object or municipality; :func:`require` raises instead;
- :func:`scope` narrows a queryset to the municipalities where the user may do the action, so
  tenancy is applied in one place;
- :func:`check_separation` and :func:`check_auditor_independence` enforce 兼務の禁止 unless a
  ``SoDWaiver`` with a reason was recorded.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Municipality, OrgUnit, Person, RoleAssignment, SoDWaiver, User
from .roles import Role

M = TypeVar("M", bound=models.Model)


class Action(StrEnum):
    """Every action the permission module decides on."""

    CREATE_MUNICIPALITY = "create_municipality"
    VIEW_MUNICIPALITY = "view_municipality"
    MANAGE_MUNICIPALITY = "manage_municipality"
    GRANT_SERVICE_ACCESS = "grant_service_access"
    VIEW_ORGANISATION = "view_organisation"
    MANAGE_ORGANISATION = "manage_organisation"
    VIEW_PEOPLE = "view_people"
    MANAGE_PEOPLE = "manage_people"
    VIEW_ROLES = "view_roles"
    MANAGE_ROLES = "manage_roles"
    GRANT_SOD_WAIVER = "grant_sod_waiver"
    VIEW_POLICY = "view_policy"
    VIEW_JOURNAL = "view_journal"
    VIEW_QUARANTINE = "view_quarantine"
    RELEASE_QUARANTINE = "release_quarantine"


@dataclass(frozen=True, kw_only=True)
class Rule:
    """Who may perform one action within a municipality."""

    roles: frozenset[Role] = frozenset()
    all_staff: bool = False
    municipality_admin: bool = False
    service_admin: bool = False
    sensitive: bool = False
    platform_only: bool = False


_LEADS = frozenset({Role.CISO, Role.DEPUTY_CISO, Role.LEAD_SECURITY_OFFICER})
_QUARANTINE = _LEADS | {Role.SYSTEM_MANAGER}

RULES: dict[Action, Rule] = {
    Action.CREATE_MUNICIPALITY: Rule(platform_only=True),
    Action.VIEW_MUNICIPALITY: Rule(all_staff=True, service_admin=True),
    Action.MANAGE_MUNICIPALITY: Rule(municipality_admin=True, service_admin=True),
    Action.GRANT_SERVICE_ACCESS: Rule(roles=frozenset({Role.CISO}), municipality_admin=True),
    Action.VIEW_ORGANISATION: Rule(all_staff=True, service_admin=True),
    Action.MANAGE_ORGANISATION: Rule(roles=_LEADS, municipality_admin=True, service_admin=True),
    Action.VIEW_PEOPLE: Rule(all_staff=True, service_admin=True, sensitive=True),
    Action.MANAGE_PEOPLE: Rule(
        roles=_LEADS, municipality_admin=True, service_admin=True, sensitive=True
    ),
    Action.VIEW_ROLES: Rule(all_staff=True, service_admin=True, sensitive=True),
    Action.MANAGE_ROLES: Rule(
        roles=_LEADS, municipality_admin=True, service_admin=True, sensitive=True
    ),
    Action.GRANT_SOD_WAIVER: Rule(roles=frozenset({Role.CISO, Role.DEPUTY_CISO})),
    Action.VIEW_POLICY: Rule(all_staff=True, service_admin=True),
    Action.VIEW_JOURNAL: Rule(
        roles=frozenset(
            {Role.CISO, Role.LEAD_SECURITY_OFFICER, Role.LEAD_AUDIT_OFFICER, Role.AUDITOR}
        ),
        municipality_admin=True,
        service_admin=True,
        sensitive=True,
    ),
    # Quarantined mail is 機密性3 material: the security leads and the mail system's manager.
    Action.VIEW_QUARANTINE: Rule(
        roles=_QUARANTINE, municipality_admin=True, service_admin=True, sensitive=True
    ),
    Action.RELEASE_QUARANTINE: Rule(
        roles=_QUARANTINE, municipality_admin=True, service_admin=True, sensitive=True
    ),
}


def active_roles(user: User, day: datetime.date | None = None) -> frozenset[Role]:
    """Return the roles the user's person holds on ``day`` (today), in their municipality.

    Cached on the user object, which lives for one request.
    """
    day = day or timezone.localdate()
    cache: dict[datetime.date, frozenset[Role]] = user.__dict__.setdefault("_isms_roles", {})
    if day not in cache:
        person_id = Person.objects.filter(user=user, is_active=True).values_list("pk", flat=True)
        held = (
            RoleAssignment.objects.filter(
                person__in=person_id,
                municipality_id=user.municipality_id,
                start_date__lte=day,
            )
            .filter(models.Q(end_date__isnull=True) | models.Q(end_date__gte=day))
            .values_list("role", flat=True)
        )
        cache[day] = frozenset(Role(r) for r in held)
    return cache[day]


def allowed_municipality_ids(user: User | None, action: Action) -> list[int]:
    """Return the ids of the municipalities in which ``user`` may perform ``action``."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    rule = RULES[action]
    if rule.platform_only:
        return []
    if user.is_service_admin:
        if not rule.service_admin:
            return []
        managed = user.managed_municipalities.all()
        if rule.sensitive:
            # One query whatever the number of municipalities (a prefecture manages 30).
            managed = managed.filter(service_access_grant__sensitive_access=True)
        return list(managed.values_list("pk", flat=True))
    if user.municipality_id is None:
        return []
    if rule.all_staff or (rule.municipality_admin and user.is_municipality_admin):
        return [user.municipality_id]
    if rule.roles & active_roles(user):
        return [user.municipality_id]
    return []


def _municipality_id_of(obj: models.Model) -> int | None:
    """Follow ``municipality_lookup`` from ``obj`` to its municipality's id (None if unset)."""
    if isinstance(obj, Municipality):
        return obj.pk
    value: object = obj
    for part in municipality_lookup(type(obj)).split("__"):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value if isinstance(value, int) else None


def can(
    user: User | None,
    action: Action,
    obj: models.Model | None = None,
    *,
    municipality: Municipality | int | None = None,
) -> bool:
    """Return whether ``user`` may perform ``action`` on ``obj`` (or within ``municipality``).

    With neither, the user's own municipality is meant. Platform actions (creating a
    municipality) are for superusers only.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if RULES[action].platform_only:
        return bool(user.is_superuser)
    if municipality is not None:
        mid = municipality.pk if isinstance(municipality, Municipality) else municipality
    elif obj is not None:
        # A record that belongs to no municipality (a platform journal entry, a service
        # administrator's account) is nobody's to act on through a municipality's rights.
        mid = _municipality_id_of(obj)
        if mid is None:
            return False
    else:
        mid = user.municipality_id
    if mid is None:
        return bool(allowed_municipality_ids(user, action))
    return mid in allowed_municipality_ids(user, action)


def require(
    user: User | None,
    action: Action,
    obj: models.Model | None = None,
    *,
    municipality: Municipality | int | None = None,
) -> None:
    """Raise ``PermissionDenied`` unless :func:`can` allows the action."""
    if not can(user, action, obj, municipality=municipality):
        raise PermissionDenied(_("You are not allowed to do this."))


def municipality_lookup(model: type[models.Model]) -> str:
    """Return the lookup from ``model`` to its municipality's primary key."""
    if model is Municipality:
        return "pk"
    return getattr(model, "municipality_lookup", "municipality_id")


def scope(user: User | None, action: Action, queryset: models.QuerySet[M]) -> models.QuerySet[M]:
    """Narrow ``queryset`` to what ``user`` may see for ``action``: tenancy and rights at once."""
    ids = allowed_municipality_ids(user, action)
    if not ids:
        return queryset.none()
    return queryset.filter(**{f"{municipality_lookup(queryset.model)}__in": ids})


# --- 兼務の禁止 ---------------------------------------------------------------------------


class SeparationOfDutiesError(ValidationError):
    """The same person would be on both sides of an approval or an audit."""


def _waived(kind: str, person: Person, subject: str) -> bool:
    return SoDWaiver.objects.filter(
        municipality_id=person.municipality_id, kind=kind, person=person, subject=subject
    ).exists()


def check_separation(*, applicant: Person | None, approver: Person | None, subject: str) -> None:
    """Refuse an approval by the applicant themself, unless a waiver for ``subject`` exists."""
    if applicant is None or approver is None or applicant.pk != approver.pk:
        return
    if _waived(SoDWaiver.Kind.APPLICANT_APPROVER, approver, subject):
        return
    raise SeparationOfDutiesError(
        _(
            "%(person)s cannot approve their own request (兼務の禁止). Ask another approver, "
            "or have the CISO record an exception with its reason."
        )
        % {"person": approver},
        code="sod_applicant_approver",
    )


def unit_and_ancestors(unit: OrgUnit | None) -> list[int]:
    """Return the ids of ``unit`` and every unit above it."""
    ids: list[int] = []
    while unit is not None and unit.pk not in ids:
        ids.append(unit.pk)
        unit = unit.parent
    return ids


def check_auditor_independence(*, auditor: Person, audited_unit: OrgUnit, subject: str) -> None:
    """Refuse an auditor who belongs to the audited unit (or a unit below it), unless waived."""
    if audited_unit.pk not in unit_and_ancestors(auditor.org_unit):
        return
    if _waived(SoDWaiver.Kind.AUDITOR_AUDITEE, auditor, subject):
        return
    raise SeparationOfDutiesError(
        _(
            "%(person)s belongs to %(unit)s and cannot audit it (兼務の禁止). Choose an auditor "
            "from another unit, or have the CISO record an exception with its reason."
        )
        % {"person": auditor, "unit": audited_unit},
        code="sod_auditor_auditee",
    )
