"""Who sees which incidents (narrowing ``permissions`` by reporter and unit).

Whoever may ``VIEW_ALL_INCIDENTS`` (the leads, the CSIRT, a service administrator with the
municipality's grant) sees every incident of the municipality. Every other member of staff sees
the incidents they reported, plus those of the units for which they are in the reporting
chain (情報セキュリティ管理者, 情報セキュリティ責任者, 情報システム管理者, as themself or as a
deputy) and the units below them.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from isms.assets.visibility import _tree
from isms.core import permissions
from isms.core.models import User
from isms.core.permissions import Action
from isms.core.roles import Role

from .models import Incident

CHAIN_ROLES = frozenset(
    {Role.DIVISION_SECURITY_MANAGER, Role.BUREAU_SECURITY_OFFICER, Role.SYSTEM_MANAGER}
)


def chain_unit_ids(user: User) -> set[int]:
    """The units (and those below them) for which ``user`` is in the reporting chain."""
    if user.municipality_id is None:
        return set()
    held = set(permissions.units_held(user, CHAIN_ROLES))
    if not held:
        return set()
    tree = _tree(user.municipality_id)
    found: set[int] = set()
    todo = list(held)
    while todo:
        unit = todo.pop()
        if unit in found:
            continue
        found.add(unit)
        todo.extend(tree.get(unit, []))
    return found


def sees_all(user: User | None, municipality_id: int) -> bool:
    return permissions.can(user, Action.VIEW_ALL_INCIDENTS, municipality=municipality_id)


def visible_incidents(
    user: User | None, queryset: models.QuerySet[Incident] | None = None
) -> models.QuerySet[Incident]:
    """Narrow ``queryset`` to the incidents ``user`` may see: tenancy, rights, own, units."""
    qs = queryset if queryset is not None else Incident.objects.all()
    if user is None or not user.is_authenticated:
        return qs.none()
    whole = permissions.allowed_municipality_ids(user, Action.VIEW_ALL_INCIDENTS)
    condition = Q(municipality_id__in=whole)
    if user.municipality_id is not None and user.municipality_id not in whole:
        own = Q(municipality_id=user.municipality_id)
        condition |= own & (Q(reporter=user) | Q(org_unit_id__in=chain_unit_ids(user)))
    return permissions.scope(user, Action.VIEW_INCIDENTS, qs).filter(condition)


def can_view(user: User | None, incident: Incident) -> bool:
    return visible_incidents(user).filter(pk=incident.pk).exists()


def can_triage(user: User | None, incident: Incident) -> bool:
    return permissions.can(user, Action.TRIAGE_INCIDENTS, incident)
