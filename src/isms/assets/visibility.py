"""Who sees, edits and approves which assets of the register.

``core/permissions.py`` decides the actions (``VIEW_ASSETS``, ``VIEW_ALL_ASSETS``,
``MANAGE_ASSETS``, ``APPROVE_ASSET_LIFECYCLE``) and the municipality; this module narrows them
by org unit, the one thing ``RULES`` cannot say:

- **see**: whoever may ``VIEW_ALL_ASSETS`` in the municipality (the leads, the auditors, its
  administrators, a service administrator with the municipality's grant) sees the whole
  register; everyone else sees the assets of their own unit (their ``Person.org_unit``) plus,
  for a 情報セキュリティ管理者 of a 課 or 情報セキュリティ責任者 of a 部 (``UNIT_ASSET_ROLES``),
  every unit they hold the role for and every unit below it — as a deputy too, while the
  delegation is in force (``permissions.units_held``);
- **edit**: ``MANAGE_ASSETS``, and either a municipality-wide right (the leads, the
  municipality's administrators, a service administrator with the grant) or the asset's unit
  among the units held (and below);
- **approve** 運搬 / 提供 / 廃棄: ``APPROVE_ASSET_LIFECYCLE`` (role holders only), and a lead or
  the asset's unit among the units held; the services add 兼務の禁止.

The :class:`~isms.core.permissions.Capacity` returned by :func:`edit_capacity` and
:func:`approval_capacity` says whether the user acts in their own right or as the deputy of an
absent holder, *for this unit*: one's own right over the unit wins, then one's own lead role,
then a delegation for the unit, then a delegated lead role.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from isms.core import journal, permissions
from isms.core.models import Delegation, OrgUnit, Person, User
from isms.core.permissions import OWN_RIGHT, RULES, UNIT_ASSET_ROLES, Action, Capacity

from .facts import is_confidentiality_3
from .models import InformationAsset, LifecycleRequest

__all__ = [
    "LEAD_ROLES",
    "approval_capacity",
    "can_approve",
    "can_edit",
    "can_edit_unit",
    "can_view",
    "edit_capacity",
    "managed_units",
    "manages_whole_register",
    "read_asset",
    "visible_assets",
    "visible_unit_ids",
]

# The roles with a municipality-wide say over the register (CISO, 副CISO, 統括情報セキュリティ
# 責任者): those of MANAGE_ASSETS that are not held per unit.
LEAD_ROLES = RULES[Action.MANAGE_ASSETS].roles - UNIT_ASSET_ROLES


def _tree(municipality_id: int) -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    rows = OrgUnit.objects.filter(municipality_id=municipality_id).values_list("pk", "parent_id")
    for pk, parent_id in rows:
        if parent_id is not None:
            children.setdefault(parent_id, []).append(pk)
    return children


def managed_units(user: User, day: datetime.date | None = None) -> dict[int, Delegation | None]:
    """Return the units the user answers for (``UNIT_ASSET_ROLES``) and every unit below them.

    Maps each unit id to None when the user holds the role over it (or a unit above it) in their
    own right, else to the delegation that makes them deputy for it. Cached on the user object,
    which lives for one request.
    """
    day = day or timezone.localdate()
    cache: dict[datetime.date, dict[int, Delegation | None]] = user.__dict__.setdefault(
        "_isms_asset_units", {}
    )
    if day in cache:
        return cache[day]
    held = permissions.units_held(user, UNIT_ASSET_ROLES, day) if user.municipality_id else {}
    result: dict[int, Delegation | None] = {}
    if held:
        children = _tree(user.municipality_id)  # type: ignore[arg-type]
        # Units held in one's own right first, so that they win over a delegation below them.
        for unit_id, delegation in sorted(held.items(), key=lambda kv: kv[1] is not None):
            pending = [unit_id]
            while pending:
                current = pending.pop()
                if current in result and (result[current] is None or delegation is not None):
                    continue
                result[current] = delegation
                pending.extend(children.get(current, ()))
    cache[day] = result
    return result


def _own_unit_id(user: User) -> int | None:
    if "_isms_own_unit" not in user.__dict__:
        person = Person.objects.filter(user=user, is_active=True).values("org_unit_id").first()
        user.__dict__["_isms_own_unit"] = person["org_unit_id"] if person else None
    unit_id: int | None = user.__dict__["_isms_own_unit"]
    return unit_id


def visible_unit_ids(user: User) -> set[int]:
    """Return the units whose assets the user sees without the whole-register right."""
    ids = set(managed_units(user))
    own = _own_unit_id(user)
    if own is not None:
        ids.add(own)
    return ids


def visible_assets(
    user: User | None, queryset: models.QuerySet[InformationAsset] | None = None
) -> models.QuerySet[InformationAsset]:
    """Narrow ``queryset`` (all assets) to those ``user`` may see: tenancy, rights and units."""
    qs = queryset if queryset is not None else InformationAsset.objects.all()
    if user is None or not user.is_authenticated:
        return qs.none()
    whole = permissions.allowed_municipality_ids(user, Action.VIEW_ALL_ASSETS)
    condition = Q(municipality_id__in=whole)
    own = [
        m
        for m in permissions.allowed_municipality_ids(user, Action.VIEW_ASSETS)
        if m not in whole and m == user.municipality_id
    ]
    if own:
        condition |= Q(municipality_id__in=own, owning_unit_id__in=visible_unit_ids(user))
    return permissions.scope(user, Action.VIEW_ASSETS, qs).filter(condition)


def can_view(user: User | None, asset: InformationAsset) -> bool:
    """Return whether ``user`` may see ``asset``."""
    if user is None or not user.is_authenticated:
        return False
    if not permissions.can(user, Action.VIEW_ASSETS, asset):
        return False
    if permissions.can(user, Action.VIEW_ALL_ASSETS, asset):
        return True
    return asset.municipality_id == user.municipality_id and (
        asset.owning_unit_id in visible_unit_ids(user)
    )


def read_asset(user: User, asset: InformationAsset | int) -> InformationAsset:
    """Return the asset if ``user`` may see it, journaling the read of a 機密性3 asset.

    Raises ``InformationAsset.DoesNotExist`` when it does not exist or is out of the user's
    sight (another municipality's, another unit's): a view answers 404 for both.
    """
    pk = asset.pk if isinstance(asset, InformationAsset) else asset
    found = (
        visible_assets(user)
        .select_related(
            "owning_unit", "custodian", "mfa_confirmed_by", "export_blocked_confirmed_by"
        )
        .get(pk=pk)
    )
    if is_confidentiality_3(found.confidentiality):
        journal.record_read(actor=user, obj=found, action="asset.read")
    return found


def manages_whole_register(user: User | None, municipality_id: int) -> bool:
    """Return whether ``user`` may edit every asset of the municipality (not only some units)."""
    if user is None or not permissions.can(
        user, Action.MANAGE_ASSETS, municipality=municipality_id
    ):
        return False
    if user.is_service_admin or user.is_municipality_admin:
        return True
    return bool(permissions.active_roles(user) & LEAD_ROLES)


def _lead_capacity(user: User) -> Capacity | None:
    if permissions.own_roles(user) & LEAD_ROLES:
        return OWN_RIGHT
    for d in permissions.delegations_held(user):
        if d.assignment.role in LEAD_ROLES:
            return Capacity(d)
    return None


def _unit_capacity(user: User, unit_id: int, *, whole: bool) -> Capacity | None:
    units = managed_units(user)
    if unit_id in units and units[unit_id] is None:
        return OWN_RIGHT
    if whole and (user.is_service_admin or user.is_municipality_admin):
        return OWN_RIGHT
    lead = _lead_capacity(user)
    if lead is OWN_RIGHT:
        return lead
    if unit_id in units:
        return Capacity(units[unit_id])
    return lead


def can_edit_unit(user: User | None, municipality_id: int, unit_id: int) -> bool:
    """Return whether ``user`` may register or edit assets owned by the unit ``unit_id``."""
    if user is None or not permissions.can(
        user, Action.MANAGE_ASSETS, municipality=municipality_id
    ):
        return False
    if manages_whole_register(user, municipality_id):
        return True
    return municipality_id == user.municipality_id and unit_id in managed_units(user)


def can_edit(user: User | None, asset: InformationAsset) -> bool:
    """Return whether ``user`` may edit ``asset``."""
    return can_edit_unit(user, asset.municipality_id, asset.owning_unit_id)


def edit_capacity(user: User, municipality_id: int, unit_id: int) -> Capacity:
    """Raise ``PermissionDenied`` unless ``user`` may edit the unit's assets; else the capacity."""
    if not can_edit_unit(user, municipality_id, unit_id):
        raise PermissionDenied(_("You are not allowed to do this."))
    return _unit_capacity(user, unit_id, whole=True) or OWN_RIGHT


def can_approve(user: User | None, request: LifecycleRequest) -> bool:
    """Return whether ``user`` may decide ``request`` (兼務の禁止 is checked by the service)."""
    if user is None or not permissions.can(user, Action.APPROVE_ASSET_LIFECYCLE, request):
        return False
    if permissions.active_roles(user) & LEAD_ROLES:
        return True
    asset = request.asset
    return asset.municipality_id == user.municipality_id and (
        asset.owning_unit_id in managed_units(user)
    )


def approval_capacity(user: User, request: LifecycleRequest) -> Capacity:
    """Raise ``PermissionDenied`` unless ``user`` may decide ``request``; else the capacity."""
    if not can_approve(user, request):
        raise PermissionDenied(_("You are not allowed to do this."))
    return _unit_capacity(user, request.asset.owning_unit_id, whole=False) or OWN_RIGHT
