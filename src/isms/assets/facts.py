"""The adapter between the register's rows and the classification core: model → ``AssetFacts``.

The one file that knows both sides. Facts that need more than the asset row (does its unit have
a 情報セキュリティ管理者? is there a disposal record?) come from a :class:`RegisterContext`,
computed once per municipality so that a report over the whole register makes a fixed number of
queries.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils import timezone

from isms.assets.classification import (
    AssetFacts,
    AssetKind,
    AssetStatus,
    Classification,
    Segment,
)
from isms.core.models import OrgUnit, RoleAssignment
from isms.core.permissions import UNIT_ASSET_ROLES

from .models import DisposalRecord, InformationAsset

__all__ = [
    "RegisterContext",
    "asset_facts",
    "classification_of",
    "held_classifications",
    "is_confidentiality_3",
    "register_context",
    "units_with_owner",
]

AXES = ("confidentiality", "integrity", "availability")


def is_confidentiality_3(class_id: str) -> bool:
    """Return whether a confidentiality class is 機密性3 (pre_r6 ``3``; r6_10 ``3A``/``3B``/``3C``).

    Reading such an asset's detail is journaled (design brief: reads of 機密性3 material).
    """
    return class_id.startswith("3")


def classification_of(asset: InformationAsset) -> Classification | None:
    """Return the asset's classes as the core's ``Classification`` (None while unclassified)."""
    if not asset.is_classified:
        return None
    return Classification(asset.scheme, asset.confidentiality, asset.integrity, asset.availability)


def held_classifications(held: Iterable[dict[str, Any]]) -> tuple[Classification, ...]:
    """Return a medium's ``held_classes`` as ``Classification`` values."""
    return tuple(
        Classification(
            str(c.get("scheme", "")),
            str(c.get("confidentiality", "")),
            str(c.get("integrity", "")),
            str(c.get("availability", "")),
        )
        for c in held
    )


def units_with_owner(municipality_id: int, day: datetime.date | None = None) -> frozenset[int]:
    """Return the units that have a 情報セキュリティ管理者 (or 責任者) on ``day``: the units a
    ``UNIT_ASSET_ROLES`` role is assigned for, and every unit below them."""
    day = day or timezone.localdate()
    held = set(
        RoleAssignment.objects.filter(
            municipality_id=municipality_id,
            role__in=[r.value for r in UNIT_ASSET_ROLES],
            org_unit__isnull=False,
            person__is_active=True,
            start_date__lte=day,
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        .values_list("org_unit_id", flat=True)
    )
    children: dict[int, list[int]] = {}
    for pk, parent_id in OrgUnit.objects.filter(municipality_id=municipality_id).values_list(
        "pk", "parent_id"
    ):
        if parent_id is not None:
            children.setdefault(parent_id, []).append(pk)
    owned: set[int] = set()
    pending = list(held)
    while pending:
        current = pending.pop()
        if current not in owned:
            owned.add(current)
            pending.extend(children.get(current, ()))
    return frozenset(owned)


@dataclass(frozen=True)
class RegisterContext:
    """What the facts of a municipality's assets need beyond their own rows."""

    owned_units: frozenset[int]
    disposal_recorded: frozenset[int]


def register_context(municipality_id: int, day: datetime.date | None = None) -> RegisterContext:
    """Return the context of one municipality's register (two queries and the unit tree)."""
    recorded = DisposalRecord.objects.filter(municipality_id=municipality_id).values_list(
        "asset_id", flat=True
    )
    return RegisterContext(
        owned_units=units_with_owner(municipality_id, day), disposal_recorded=frozenset(recorded)
    )


def asset_facts(asset: InformationAsset, context: RegisterContext) -> AssetFacts:
    """Return what the classification core needs to know about ``asset``."""
    return AssetFacts(
        asset_id=str(asset.pk or ""),
        kind=AssetKind(asset.kind) if asset.kind else None,
        segment=Segment(asset.segment) if asset.segment else None,
        classification=classification_of(asset),
        holds_personal_info=asset.holds_personal_info,
        holds_specific_personal_info=asset.holds_specific_personal_info,
        holds_sensitive_personal_info=asset.holds_sensitive_personal_info,
        classified_document=asset.classified_document,
        number_of_persons=asset.number_of_persons,
        mfa_confirmed=asset.mfa_confirmed_at is not None,
        export_blocked_confirmed=asset.export_blocked_confirmed_at is not None,
        has_backup_and_rto=asset.has_backup_and_rto,
        has_owner=asset.owning_unit_id in context.owned_units,
        status=AssetStatus(asset.status),
        disposal_approved=asset.pk in context.disposal_recorded,
        held_classifications=held_classifications(asset.held_classes or ()),
        used_by_university=asset.used_by_university,
        city_owned=asset.city_owned,
        in_scope=asset.in_scope,
        out_of_scope_reason=asset.out_of_scope_reason,
    )
