"""Who sees, assesses and approves which risks: the asset register's rules, applied to risks.

``core/permissions.py`` decides the actions and the municipality; the unit narrowing reuses the
register's helpers (``assets.visibility``): whoever may ``VIEW_ALL_RISKS`` (the leads, the
auditors, the municipality's administrators, a service administrator with the grant) sees every
risk; everyone else sees the risks of the units whose assets they see (their own unit, plus the
units they manage and those below). The unit's 情報セキュリティ管理者 (or 部's 責任者) assesses
them; the leads assess all. Acceptance of a residual risk is decided by a lead (CISO, 副CISO,
統括情報セキュリティ責任者), never the risk owner nor the requester (the services check).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _

from isms.assets import visibility as asset_visibility
from isms.core import permissions
from isms.core.models import User
from isms.core.permissions import OWN_RIGHT, Action, Capacity

from .models import Risk

__all__ = [
    "assess_capacity",
    "can_assess_unit",
    "can_view",
    "visible_risks",
    "whole_register",
]


def whole_register(user: User | None, municipality_id: int) -> bool:
    """Return whether ``user`` sees every risk of the municipality."""
    return permissions.can(user, Action.VIEW_ALL_RISKS, municipality=municipality_id)


def visible_risks(
    user: User | None, queryset: models.QuerySet[Risk] | None = None
) -> models.QuerySet[Risk]:
    """Narrow ``queryset`` (all risks) to those ``user`` may see: tenancy, rights and units."""
    qs = queryset if queryset is not None else Risk.objects.all()
    if user is None or not user.is_authenticated:
        return qs.none()
    whole = permissions.allowed_municipality_ids(user, Action.VIEW_ALL_RISKS)
    condition = Q(municipality_id__in=whole)
    own = [
        m
        for m in permissions.allowed_municipality_ids(user, Action.VIEW_RISKS)
        if m not in whole and m == user.municipality_id
    ]
    if own:
        units = asset_visibility.visible_unit_ids(user)
        condition |= Q(municipality_id__in=own, owning_unit_id__in=units)
    return permissions.scope(user, Action.VIEW_RISKS, qs).filter(condition)


def can_view(user: User | None, risk: Risk) -> bool:
    """Return whether ``user`` may see ``risk``."""
    if user is None or not permissions.can(user, Action.VIEW_RISKS, risk):
        return False
    if whole_register(user, risk.municipality_id):
        return True
    return risk.municipality_id == user.municipality_id and (
        risk.owning_unit_id in asset_visibility.visible_unit_ids(user)
    )


def _whole(user: User, municipality_id: int) -> bool:
    if user.is_service_admin or user.is_municipality_admin:
        return True
    return bool(permissions.active_roles(user) & asset_visibility.LEAD_ROLES)


def can_assess_unit(user: User | None, municipality_id: int, unit_id: int) -> bool:
    """Return whether ``user`` may assess and treat risks of assets owned by ``unit_id``."""
    if user is None or not permissions.can(user, Action.ASSESS_RISKS, municipality=municipality_id):
        return False
    if _whole(user, municipality_id):
        return True
    return municipality_id == user.municipality_id and (
        unit_id in asset_visibility.managed_units(user)
    )


def assess_capacity(user: User, municipality_id: int, unit_id: int) -> Capacity:
    """Raise ``PermissionDenied`` unless ``user`` may assess the unit's risks; else the capacity."""
    if not can_assess_unit(user, municipality_id, unit_id):
        raise PermissionDenied(_("You are not allowed to do this."))
    units = asset_visibility.managed_units(user)
    if unit_id in units and units[unit_id] is None:
        return OWN_RIGHT
    if user.is_service_admin or user.is_municipality_admin:
        return OWN_RIGHT
    if permissions.own_roles(user) & asset_visibility.LEAD_ROLES:
        return OWN_RIGHT
    delegation = units.get(unit_id)
    if delegation is not None:
        return Capacity(delegation)
    return permissions.capacity(user, Action.ASSESS_RISKS)


def can_approve(user: User | None, risk: Risk) -> bool:
    """Return whether ``user`` may decide the acceptance of ``risk`` (兼務の禁止: services)."""
    return permissions.can(user, Action.APPROVE_RISK_ACCEPTANCE, risk)
