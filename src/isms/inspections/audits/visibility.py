"""Who sees which audit plans, audits, findings and corrective actions.

``core/permissions.py`` decides the actions and the municipality; this module narrows:

- whoever may ``VIEW_ALL_AUDITS`` (the leads, the 監査統括責任者 and the auditors, the 委員会, a
  service administrator with the grant) sees everything of the municipality, drafts included;
- the 情報セキュリティ管理者/責任者 of a unit (role holders or their deputies) see the audits of
  approved or closed plans whose audited unit is theirs or below theirs, and the findings
  addressed to their units (in whatever audit), with the findings' actions;
- everyone sees the corrective actions they own, and the findings those actions answer (not
  the audit: its working papers and evidence stay with the auditors and the audited unit).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from isms.core import permissions
from isms.core.models import OrgUnit, User
from isms.core.permissions import UNIT_ASSET_ROLES, Action
from isms.inspections.models import CorrectiveAction
from isms.inspections.visibility import person_of

from .models import Audit, AuditPlan, Finding

PUBLISHED = (AuditPlan.Status.APPROVED, AuditPlan.Status.CLOSED)


def sees_all(user: User | None, municipality_id: int) -> bool:
    return permissions.can(user, Action.VIEW_ALL_AUDITS, municipality=municipality_id)


def unit_ids_below(unit_ids: set[int]) -> set[int]:
    """``unit_ids`` with every unit below them (one query per level)."""
    found, level = set(unit_ids), set(unit_ids)
    while level:
        level = (
            set(OrgUnit.objects.filter(parent_id__in=level).values_list("pk", flat=True)) - found
        )
        found |= level
    return found


def managed_units(user: User | None) -> set[int]:
    """The units (and those below) whose audits and findings ``user`` answers for."""
    if user is None or not user.is_authenticated or user.municipality_id is None:
        return set()
    cached = user.__dict__.get("_isms_audit_units")
    if cached is None:
        cached = unit_ids_below(set(permissions.units_held(user, UNIT_ASSET_ROLES)))
        user.__dict__["_isms_audit_units"] = cached
    return set(cached)


def _owned_finding_ids(user: User | None) -> models.QuerySet[CorrectiveAction]:
    person = person_of(user)
    if person is None:
        return CorrectiveAction.objects.none().values("finding_id")
    return CorrectiveAction.objects.filter(owner=person, finding__isnull=False).values("finding_id")


def visible_findings(user: User | None) -> models.QuerySet[Finding]:
    qs = permissions.scope(user, Action.VIEW_AUDITS, Finding.objects.all())
    if user is not None and user.is_authenticated and user.municipality_id is not None:
        if sees_all(user, user.municipality_id):
            return qs
    elif user is not None and user.is_authenticated:
        # A service administrator: scope() already kept the granted municipalities only.
        return qs
    condition = Q(pk__in=_owned_finding_ids(user))
    units = managed_units(user)
    if units:
        condition |= Q(org_unit_id__in=units, audit__plan__status__in=PUBLISHED)
    return qs.filter(condition)


def visible_audits(user: User | None) -> models.QuerySet[Audit]:
    qs = permissions.scope(user, Action.VIEW_AUDITS, Audit.objects.all())
    if user is not None and user.is_authenticated and user.municipality_id is not None:
        if sees_all(user, user.municipality_id):
            return qs
    elif user is not None and user.is_authenticated:
        return qs
    # The audits of one's own units only: an action's owner, or the manager of a unit below the
    # audited one, sees the findings addressed to them, not the audit's working papers.
    units = managed_units(user)
    if not units:
        return qs.none()
    return qs.filter(org_unit_id__in=units, plan__status__in=PUBLISHED)


def visible_plans(user: User | None) -> models.QuerySet[AuditPlan]:
    qs = permissions.scope(user, Action.VIEW_AUDITS, AuditPlan.objects.all())
    if user is not None and user.is_authenticated and user.municipality_id is not None:
        if sees_all(user, user.municipality_id):
            return qs
    elif user is not None and user.is_authenticated:
        return qs
    return qs.filter(pk__in=visible_audits(user).values("plan_id"))


def visible_actions(user: User | None) -> models.QuerySet[CorrectiveAction]:
    """Corrective actions of findings: those of visible findings, and one's own."""
    qs = permissions.scope(user, Action.VIEW_AUDITS, CorrectiveAction.objects.all()).filter(
        finding__isnull=False
    )
    person = person_of(user)
    condition = Q(finding__in=visible_findings(user))
    if person is not None:
        condition |= Q(owner=person)
    return qs.filter(condition)
