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

**Deputies (代理・代決).** A person named in a ``Delegation`` holds, for its period, the role of
the assignment delegated (while that assignment is in force). :func:`active_roles` counts those
roles; :func:`require` returns the :class:`Capacity` in which the user acts, so that a service
can journal "on behalf of" and check separation of duties against the absent holder too.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import journal
from .models import Delegation, Municipality, OrgUnit, Person, RoleAssignment, SoDWaiver, User
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
    VIEW_ASSETS = "view_assets"
    VIEW_ALL_ASSETS = "view_all_assets"
    MANAGE_ASSETS = "manage_assets"
    APPROVE_ASSET_LIFECYCLE = "approve_asset_lifecycle"
    VIEW_NETWORK_CHECKS = "view_network_checks"
    RUN_NETWORK_CHECKS = "run_network_checks"
    MANAGE_NETWORK_EXCEPTIONS = "manage_network_exceptions"
    APPROVE_NETWORK_EXCEPTIONS = "approve_network_exceptions"
    VIEW_RISKS = "view_risks"
    VIEW_ALL_RISKS = "view_all_risks"
    ASSESS_RISKS = "assess_risks"
    MANAGE_RISK_CATALOG = "manage_risk_catalog"
    APPROVE_RISK_ACCEPTANCE = "approve_risk_acceptance"
    MANAGE_POLICY_REVIEW = "manage_policy_review"
    VIEW_CONTROLS = "view_controls"
    MANAGE_CONTROLS = "manage_controls"
    VIEW_INSPECTIONS = "view_inspections"
    VIEW_ALL_INSPECTIONS = "view_all_inspections"
    MANAGE_INSPECTIONS = "manage_inspections"
    ANSWER_INSPECTIONS = "answer_inspections"
    APPROVE_INSPECTIONS = "approve_inspections"
    REPORT_INCIDENTS = "report_incidents"
    VIEW_INCIDENTS = "view_incidents"
    VIEW_ALL_INCIDENTS = "view_all_incidents"
    TRIAGE_INCIDENTS = "triage_incidents"
    VIEW_EMERGENCY_PLAN = "view_emergency_plan"
    MANAGE_EMERGENCY_PLAN = "manage_emergency_plan"
    APPROVE_EMERGENCY_PLAN = "approve_emergency_plan"
    VIEW_AUDITS = "view_audits"
    VIEW_ALL_AUDITS = "view_all_audits"
    MANAGE_AUDITS = "manage_audits"
    APPROVE_AUDIT_PLANS = "approve_audit_plans"
    PERFORM_AUDITS = "perform_audits"
    RESPOND_FINDINGS = "respond_findings"


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
# Those who answer for a unit's information assets (対策基準 1): the 情報セキュリティ管理者 of a 課
# and the 情報セキュリティ責任者 of a 部, for their own units; the leads, for all.
UNIT_ASSET_ROLES = frozenset({Role.DIVISION_SECURITY_MANAGER, Role.BUREAU_SECURITY_OFFICER})
_ASSET_MANAGERS = _LEADS | UNIT_ASSET_ROLES

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
    # Every member of staff sees the assets of their own unit; the assets app narrows the
    # rest by unit (``units_held``). The leads and the auditors see the whole register.
    Action.VIEW_ASSETS: Rule(all_staff=True, service_admin=True, sensitive=True),
    Action.VIEW_ALL_ASSETS: Rule(
        roles=_LEADS | {Role.LEAD_AUDIT_OFFICER, Role.AUDITOR},
        municipality_admin=True,
        service_admin=True,
        sensitive=True,
    ),
    Action.MANAGE_ASSETS: Rule(
        roles=_ASSET_MANAGERS, municipality_admin=True, service_admin=True, sensitive=True
    ),
    # Approvals of 運搬, 外部提供 and 廃棄 are the role holders' alone, never an account flag's.
    Action.APPROVE_ASSET_LIFECYCLE: Rule(roles=_ASSET_MANAGERS, sensitive=True),
    # Network separation (対策基準 3): firewall configurations describe the controls themselves,
    # so the material is sensitive. The leads, the system managers and staff who run the
    # networks and the auditors read the checks; the CISO, the lead and the system managers
    # run them; 例外措置 are asked for by the lead and the system managers and approved by the
    # CISO, the deputy CISO or the lead only (role holders, never an account flag; never the
    # requester: 兼務の禁止 in the services).
    Action.VIEW_NETWORK_CHECKS: Rule(
        roles=_QUARANTINE | {Role.SYSTEM_STAFF, Role.LEAD_AUDIT_OFFICER, Role.AUDITOR},
        municipality_admin=True,
        service_admin=True,
        sensitive=True,
    ),
    Action.RUN_NETWORK_CHECKS: Rule(
        roles=frozenset({Role.CISO, Role.LEAD_SECURITY_OFFICER, Role.SYSTEM_MANAGER}),
        municipality_admin=True,
        service_admin=True,
        sensitive=True,
    ),
    Action.MANAGE_NETWORK_EXCEPTIONS: Rule(
        roles=frozenset({Role.LEAD_SECURITY_OFFICER, Role.SYSTEM_MANAGER}),
        municipality_admin=True,
        service_admin=True,
        sensitive=True,
    ),
    Action.APPROVE_NETWORK_EXCEPTIONS: Rule(roles=_LEADS, sensitive=True),
    # Risks (seed 2.3, 2.8) follow the register: staff see the risks of their unit's assets,
    # the unit's managers assess them, the leads and auditors see all. Acceptance of a residual
    # risk is the leads' alone (role holders; never the owner or the requester: the services).
    Action.VIEW_RISKS: Rule(all_staff=True, service_admin=True, sensitive=True),
    Action.VIEW_ALL_RISKS: Rule(
        roles=_LEADS | {Role.LEAD_AUDIT_OFFICER, Role.AUDITOR},
        municipality_admin=True,
        service_admin=True,
        sensitive=True,
    ),
    Action.ASSESS_RISKS: Rule(
        roles=_ASSET_MANAGERS, municipality_admin=True, service_admin=True, sensitive=True
    ),
    Action.MANAGE_RISK_CATALOG: Rule(
        roles=_LEADS, municipality_admin=True, service_admin=True, sensitive=True
    ),
    Action.APPROVE_RISK_ACCEPTANCE: Rule(roles=_LEADS, sensitive=True),
    Action.MANAGE_POLICY_REVIEW: Rule(
        roles=_LEADS, municipality_admin=True, service_admin=True, sensitive=True
    ),
    # The 対策基準 (control catalog) is read by all staff, who must comply with it (seed 2.5);
    # the leads keep it.
    Action.VIEW_CONTROLS: Rule(all_staff=True, service_admin=True),
    Action.MANAGE_CONTROLS: Rule(roles=_LEADS, municipality_admin=True, service_admin=True),
    # 自己点検 (対策基準 9.2): everyone answers what is assigned to them and sees their own sheets
    # (the inspections app narrows); the leads, the committee and the auditors see all results,
    # which show where the municipality is weak (sensitive). The 統括情報セキュリティ責任者 (and
    # the CISO above) sets campaigns up; a unit's 管理者 approves its sheets (role holders or
    # their deputies, never the answerer: the services).
    Action.VIEW_INSPECTIONS: Rule(all_staff=True, service_admin=True, sensitive=True),
    Action.VIEW_ALL_INSPECTIONS: Rule(
        roles=_LEADS
        | {
            Role.LEAD_AUDIT_OFFICER,
            Role.AUDITOR,
            Role.COMMITTEE_CHAIR,
            Role.COMMITTEE_MEMBER,
        },
        municipality_admin=True,
        service_admin=True,
        sensitive=True,
    ),
    Action.MANAGE_INSPECTIONS: Rule(
        roles=_LEADS, municipality_admin=True, service_admin=True, sensitive=True
    ),
    Action.ANSWER_INSPECTIONS: Rule(all_staff=True, sensitive=True),
    Action.APPROVE_INSPECTIONS: Rule(roles=_ASSET_MANAGERS, sensitive=True),
    # Incidents (対策基準 5.3, 7.3): anyone reports and sees their own reports; the CSIRT and the
    # leads see and triage all; the reporting chain's unit roles see their units' (the incidents
    # app narrows with ``units_held``). Personal data: sensitive, and journaled on read.
    Action.REPORT_INCIDENTS: Rule(all_staff=True),
    Action.VIEW_INCIDENTS: Rule(all_staff=True, service_admin=True, sensitive=True),
    Action.VIEW_ALL_INCIDENTS: Rule(
        roles=_LEADS | {Role.CSIRT_LEAD, Role.CSIRT_MEMBER}, service_admin=True, sensitive=True
    ),
    Action.TRIAGE_INCIDENTS: Rule(
        roles=_LEADS | {Role.CSIRT_LEAD, Role.CSIRT_MEMBER}, sensitive=True
    ),
    # The 緊急時対応計画 must be at hand for everyone when systems are down; the leads keep it.
    Action.VIEW_EMERGENCY_PLAN: Rule(all_staff=True, service_admin=True),
    Action.MANAGE_EMERGENCY_PLAN: Rule(roles=_LEADS, municipality_admin=True, service_admin=True),
    # The plan is defined by the CISO or the 情報セキュリティ委員会 (対策基準 7.3): approved by the
    # CISO or the committee's chair (role holders or their deputies, never an editor: services).
    Action.APPROVE_EMERGENCY_PLAN: Rule(roles=frozenset({Role.CISO, Role.COMMITTEE_CHAIR})),
    # 監査 (対策基準 9.1). Audit material shows where the municipality is weak (sensitive).
    # Everyone reaches the audits of their own units and the actions they own (the audits app
    # narrows); the leads, the audit side and the committee see all. The CISO and the
    # 情報セキュリティ監査統括責任者 draw up plans and audits; the committee (its chair, or the CISO
    # who chairs it) approves a plan, never its preparer; auditors do fieldwork only in the
    # audits they are assigned to (the services); the units' 管理者/責任者 and the leads answer
    # findings with corrective actions. Role holders only: never an account flag.
    Action.VIEW_AUDITS: Rule(all_staff=True, service_admin=True, sensitive=True),
    Action.VIEW_ALL_AUDITS: Rule(
        roles=_LEADS
        | {
            Role.LEAD_AUDIT_OFFICER,
            Role.AUDITOR,
            Role.COMMITTEE_CHAIR,
            Role.COMMITTEE_MEMBER,
        },
        service_admin=True,
        sensitive=True,
    ),
    Action.MANAGE_AUDITS: Rule(
        roles=frozenset({Role.CISO, Role.LEAD_AUDIT_OFFICER}), sensitive=True
    ),
    Action.APPROVE_AUDIT_PLANS: Rule(
        roles=frozenset({Role.CISO, Role.COMMITTEE_CHAIR}), sensitive=True
    ),
    Action.PERFORM_AUDITS: Rule(
        roles=frozenset({Role.LEAD_AUDIT_OFFICER, Role.AUDITOR}), sensitive=True
    ),
    Action.RESPOND_FINDINGS: Rule(roles=_ASSET_MANAGERS, sensitive=True),
}


def _day_cache(user: User, key: str, day: datetime.date) -> tuple[dict[datetime.date, Any], bool]:
    cache: dict[datetime.date, Any] = user.__dict__.setdefault(key, {})
    return cache, day in cache


def own_roles(user: User, day: datetime.date | None = None) -> frozenset[Role]:
    """Return the roles the user's person holds through their own assignments on ``day``."""
    day = day or timezone.localdate()
    cache, hit = _day_cache(user, "_isms_own_roles", day)
    if not hit:
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
    result: frozenset[Role] = cache[day]
    return result


def delegations_held(user: User, day: datetime.date | None = None) -> list[Delegation]:
    """Return the delegations in force on ``day`` that make the user a deputy (代理)."""
    day = day or timezone.localdate()
    cache, hit = _day_cache(user, "_isms_delegations", day)
    if not hit:
        cache[day] = list(
            Delegation.objects.filter(
                deputy__user=user,
                deputy__is_active=True,
                municipality_id=user.municipality_id,
                revoked_at__isnull=True,
                start_date__lte=day,
                end_date__gte=day,
                assignment__start_date__lte=day,
                assignment__person__is_active=True,
            )
            .filter(
                models.Q(assignment__end_date__isnull=True)
                | models.Q(assignment__end_date__gte=day)
            )
            .select_related("assignment__person", "assignment__org_unit")
            .order_by("pk")
        )
    result: list[Delegation] = cache[day]
    return result


def active_roles(user: User, day: datetime.date | None = None) -> frozenset[Role]:
    """Return the roles the user holds on ``day`` (today): their own and those they deputise.

    Cached on the user object, which lives for one request.
    """
    delegated = {Role(d.assignment.role) for d in delegations_held(user, day)}
    return own_roles(user, day) | delegated


def units_held(
    user: User, roles: frozenset[Role] | set[Role], day: datetime.date | None = None
) -> dict[int, Delegation | None]:
    """Return the org units for which the user holds one of ``roles`` on ``day`` (today).

    Maps each unit id to None when held in the user's own right, or to the delegation that
    makes them deputy for it. Municipality-wide assignments (no unit) are not included.
    """
    day = day or timezone.localdate()
    held: dict[int, Delegation | None] = {}
    for d in delegations_held(user, day):
        if d.assignment.role in roles and d.assignment.org_unit_id is not None:
            held[d.assignment.org_unit_id] = d
    own = (
        RoleAssignment.objects.filter(
            person__user=user,
            person__is_active=True,
            municipality_id=user.municipality_id,
            role__in=[r.value for r in roles],
            org_unit__isnull=False,
            start_date__lte=day,
        )
        .filter(models.Q(end_date__isnull=True) | models.Q(end_date__gte=day))
        .values_list("org_unit_id", flat=True)
    )
    for unit_id in own:
        held[unit_id] = None
    return held


@dataclass(frozen=True)
class Capacity:
    """In what capacity a user performs an allowed action: in their own right, or as a deputy."""

    delegation: Delegation | None = None

    @property
    def on_behalf_of(self) -> Person | None:
        """The absent holder of the role, when the user acts as their deputy."""
        return self.delegation.assignment.person if self.delegation is not None else None

    @property
    def label(self) -> str:
        """What the journal records in ``on_behalf_of`` (empty when acting in one's own right)."""
        if self.delegation is None:
            return ""
        from .templatetags.isms_roles import role_labels

        a = self.delegation.assignment
        # The journal is kept in Japanese, with the municipality's own name of the role.
        with translation.override("ja"):
            role = role_labels(a.municipality_id, "ja")[a.role]
        where = f", {a.org_unit.name}" if a.org_unit is not None else ""
        return f"{a.person} ({role}{where})"


OWN_RIGHT = Capacity()


def capacity(user: User | None, action: Action) -> Capacity:
    """Return the capacity in which ``user`` may do ``action`` (call only once it is allowed).

    One's own right wins: a deputy who could do the action anyway acts for nobody.
    """
    if user is None or not user.is_authenticated:
        return OWN_RIGHT
    rule = RULES[action]
    if user.is_service_admin or user.is_superuser or user.municipality_id is None:
        return OWN_RIGHT
    if rule.all_staff or (rule.municipality_admin and user.is_municipality_admin):
        return OWN_RIGHT
    if rule.roles & own_roles(user):
        return OWN_RIGHT
    for d in delegations_held(user):
        if d.assignment.role in rule.roles:
            return Capacity(d)
    return OWN_RIGHT


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
) -> Capacity:
    """Raise ``PermissionDenied`` unless :func:`can` allows the action; else return the capacity
    in which the user acts (own right, or deputy of an absent holder)."""
    if not can(user, action, obj, municipality=municipality):
        raise PermissionDenied(_("You are not allowed to do this."))
    found = capacity(user, action)
    if user is not None:
        # What the user does next is journaled in this capacity unless the service names one.
        user.__dict__[journal.CAPACITY_ATTR] = found
    return found


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


def check_separation(
    *,
    applicant: Person | None,
    approver: Person | None,
    subject: str,
    on_behalf_of: Person | None = None,
) -> None:
    """Refuse an approval by the applicant themself, unless a waiver for ``subject`` exists.

    A deputy approving on behalf of the applicant is the applicant approving: refused too.
    """
    if applicant is None:
        return
    for person in (approver, on_behalf_of):
        if person is None or applicant.pk != person.pk:
            continue
        if _waived(SoDWaiver.Kind.APPLICANT_APPROVER, person, subject):
            continue
        if person is on_behalf_of:
            raise SeparationOfDutiesError(
                _(
                    "%(person)s asked for this themself: their deputy cannot approve it for "
                    "them (兼務の禁止). Ask another approver."
                )
                % {"person": person},
                code="sod_applicant_approver",
            )
        raise SeparationOfDutiesError(
            _(
                "%(person)s cannot approve their own request (兼務の禁止). Ask another approver, "
                "or have the CISO record an exception with its reason."
            )
            % {"person": person},
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
