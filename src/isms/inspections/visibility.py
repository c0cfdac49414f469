"""Who sees, answers and approves which 点検票, and whose results one sees.

``core/permissions.py`` decides the actions and the municipality; this module narrows to units:

- whoever may ``VIEW_ALL_INSPECTIONS`` (the leads, the auditors, the 委員会, the municipality's
  administrators, a service administrator with the grant) sees every sheet and every result;
- the 情報セキュリティ管理者 of a 課 and the 情報セキュリティ責任者 of a 部 (role holders or their
  deputies) see and approve the sheets of their units, and see their units' results;
- everyone else sees their own sheets only (``VIEW_INSPECTIONS``) and answers them
  (``ANSWER_INSPECTIONS``).

The leads approve every unit's sheets. Nobody approves their own answers (the services check
``check_separation``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from isms.core import permissions
from isms.core.models import Person, User
from isms.core.permissions import OWN_RIGHT, UNIT_ASSET_ROLES, Action, Capacity
from isms.core.roles import Role

from .models import InspectionResponse, SelfInspection

LEADS = frozenset({Role.CISO, Role.DEPUTY_CISO, Role.LEAD_SECURITY_OFFICER})


def person_of(user: User | None) -> Person | None:
    """The active person record of a login (None for service administrators and the like)."""
    if user is None or not user.is_authenticated:
        return None
    cached = user.__dict__.get("_isms_inspection_person", False)
    if cached is False:
        cached = Person.objects.filter(user=user, is_active=True).first()
        user.__dict__["_isms_inspection_person"] = cached
    return cached


def sees_all(user: User | None, municipality_id: int) -> bool:
    return permissions.can(user, Action.VIEW_ALL_INSPECTIONS, municipality=municipality_id)


def managed_unit_ids(user: User | None) -> set[int]:
    """The units whose sheets ``user`` approves and whose results they see (own or deputy)."""
    if user is None or not user.is_authenticated or user.municipality_id is None:
        return set()
    return set(permissions.units_held(user, UNIT_ASSET_ROLES))


def unit_condition(unit_ids: set[int]) -> Q:
    """Sheets (or answers) of ``unit_ids``: a 課 directly, a 部 through the sheet's bureau."""
    return Q(org_unit_id__in=unit_ids) | Q(bureau_id__in=unit_ids)


def visible_responses(
    user: User | None, queryset: models.QuerySet[InspectionResponse] | None = None
) -> models.QuerySet[InspectionResponse]:
    """Narrow ``queryset`` to the sheets ``user`` may see: tenancy, rights and units."""
    qs = queryset if queryset is not None else InspectionResponse.objects.all()
    if user is None or not user.is_authenticated:
        return qs.none()
    whole = permissions.allowed_municipality_ids(user, Action.VIEW_ALL_INSPECTIONS)
    condition = Q(campaign__municipality_id__in=whole)
    own = [
        m
        for m in permissions.allowed_municipality_ids(user, Action.VIEW_INSPECTIONS)
        if m not in whole and m == user.municipality_id
    ]
    if own:
        person = person_of(user)
        mine = Q(person=person) if person is not None else Q(pk__in=[])
        units = managed_unit_ids(user)
        if units:
            mine |= unit_condition(units)
        condition |= Q(campaign__municipality_id__in=own) & mine
    return permissions.scope(user, Action.VIEW_INSPECTIONS, qs).filter(condition)


def visible_campaigns(user: User | None) -> models.QuerySet[SelfInspection]:
    """Campaigns are listed to every member of staff (titles and deadlines only)."""
    return permissions.scope(user, Action.VIEW_INSPECTIONS, SelfInspection.objects.all())


def results_units(user: User | None, campaign: SelfInspection) -> set[int] | None:
    """Whose results ``user`` sees: None for all of the municipality, else the units held
    (empty: none)."""
    if sees_all(user, campaign.municipality_id):
        return None
    if not permissions.can(user, Action.VIEW_INSPECTIONS, campaign):
        return set()
    return managed_unit_ids(user)


def approval_capacity(user: User | None, response: InspectionResponse) -> Capacity | None:
    """The capacity in which ``user`` approves ``response`` (None: they may not)."""
    if not permissions.can(user, Action.APPROVE_INSPECTIONS, response.campaign):
        return None
    assert user is not None
    held = permissions.units_held(user, UNIT_ASSET_ROLES)
    for unit_id in (response.org_unit_id, response.bureau_id):
        if unit_id is not None and unit_id in held:
            delegation = held[unit_id]
            return OWN_RIGHT if delegation is None else Capacity(delegation)
    if permissions.own_roles(user) & LEADS:
        return OWN_RIGHT
    for d in permissions.delegations_held(user):
        if d.assignment.role in LEADS:
            return Capacity(d)
    return None


def approvable_responses(user: User | None) -> models.QuerySet[InspectionResponse]:
    """The sheets ``user`` may decide on (any status; the queue filters ``submitted``)."""
    qs = permissions.scope(user, Action.APPROVE_INSPECTIONS, InspectionResponse.objects.all())
    if user is None or not user.is_authenticated:
        return qs.none()
    if permissions.active_roles(user) & LEADS:
        return qs
    units = managed_unit_ids(user)
    return qs.filter(unit_condition(units)) if units else qs.none()
