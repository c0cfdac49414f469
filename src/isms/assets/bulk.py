"""Bulk edit of selected assets (issue 4 item 7): one change applied to many assets at once.

One field of :data:`BULK_FIELDS` (status, custodian, storage location, segment) is set on every
asset of a list, all or nothing: each asset goes through ``services.update_asset`` (its
permission check, validation and journal entry) inside one transaction, so one asset the user
may not edit, or one the change does not suit, leaves every asset as it was. The errors name
the asset numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from isms.core import permissions
from isms.core.models import Municipality, Person, User
from isms.core.permissions import Action

from . import services
from .models import InformationAsset
from .visibility import can_edit, visible_assets

__all__ = ["BULK_FIELDS", "MAX_ASSETS", "bulk_update_assets"]

BULK_FIELDS = ("status", "custodian", "storage_location", "segment")
# A selection is a page or a few; more is an import.
MAX_ASSETS = 1000


def bulk_update_assets(
    actor: User,
    municipality: Municipality,
    asset_ids: Sequence[int],
    **change: Any,
) -> list[InformationAsset]:
    """Apply ``change`` (one field of :data:`BULK_FIELDS`) to the assets ``asset_ids`` of
    ``municipality``; return them, changed, in asset-number order.

    Raises ``PermissionDenied`` if the user may manage no assets there, and
    ``ValidationError`` (``asset_ids``, or the field changed) naming the assets that are not
    found, that the user may not edit, or that the change does not suit; nothing is saved then.
    """
    permissions.require(actor, Action.MANAGE_ASSETS, municipality=municipality)
    if len(change) != 1 or next(iter(change)) not in BULK_FIELDS:
        raise ValidationError(
            {
                "__all__": _(
                    "Give exactly one change: status, custodian, storage location or segment."
                )
            }
        )
    field, value = next(iter(change.items()))
    if isinstance(value, Person) and value.municipality_id != municipality.pk:
        raise ValidationError({field: _("The selected record was not found in this municipality.")})
    ids = list(dict.fromkeys(asset_ids))
    if not ids:
        raise ValidationError({"asset_ids": _("Select at least one asset.")})
    if len(ids) > MAX_ASSETS:
        raise ValidationError(
            {"asset_ids": _("Select at most %(max)s assets at a time.") % {"max": MAX_ASSETS}}
        )
    assets = list(
        visible_assets(actor)
        .filter(municipality=municipality, pk__in=ids)
        .select_related("owning_unit")
        .order_by("asset_number", "pk")
    )
    missing = sorted(set(ids) - {a.pk for a in assets})
    if missing:
        raise ValidationError(
            {
                "asset_ids": _("No asset of this municipality has the id %(ids)s.")
                % {"ids": ", ".join(str(i) for i in missing[:20])}
            }
        )
    refused = [a.asset_number for a in assets if not can_edit(actor, a)]
    if refused:
        raise ValidationError(
            {
                "asset_ids": _("You may not change these assets: %(numbers)s.")
                % {"numbers": ", ".join(refused[:20])}
            }
        )
    changed: list[InformationAsset] = []
    problems: dict[str, list[str]] = {}
    with transaction.atomic():
        for asset in assets:
            try:
                changed.append(services.update_asset(actor, asset, **{field: value}).asset)
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    problems.setdefault(name, []).extend(
                        f"{asset.asset_number}: {message}" for message in messages
                    )
            except PermissionDenied:
                problems.setdefault("asset_ids", []).append(
                    _("You may not change these assets: %(numbers)s.")
                    % {"numbers": asset.asset_number}
                )
        if problems:
            transaction.set_rollback(True)
    if problems:
        raise ValidationError(problems)
    return changed
