"""Every write of the asset register: assets, hosts, classification and the mynumber controls.

Each service takes the acting user first (``None``: system work such as the demo loader),
checks the permission itself (``visibility``), validates what the model cannot, saves inside one
transaction and records the journal entry in that same transaction. Invalid data is a
``ValidationError`` keyed by field and saves nothing; the consistency checks of the core do
*not* block saving — the register must record reality, compliant or not — and come back as
warnings (:class:`SavedAsset`).

The scheme migration and the 運搬/提供/廃棄 approvals live in ``scheme_migration.py`` and
``lifecycle.py`` (split off by topic) and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from isms.assets.classification import (
    Axis,
    ClassificationError,
    Inconsistency,
    InvalidAnswers,
    UnknownClass,
    UnknownScheme,
    UnknownValue,
    decide_scope,
    default_handling_categories,
    default_scope_rules,
    get_scheme,
    record_override,
    suggest_classification,
)
from isms.core import journal, permissions
from isms.core.models import Municipality, OrgUnit, Person, User
from isms.core.permissions import OWN_RIGHT, Action

from .common import FieldErrors, core_message, fresh, language, register_settings
from .consistency import asset_inconsistencies, duplicates_of
from .facts import AXES
from .hosts import normalise_host_name, parse_network, range_bounds
from .lifecycle import (
    approve_lifecycle_request,
    record_disposal,
    reject_lifecycle_request,
    request_lifecycle,
    withdraw_lifecycle_request,
)
from .models import AssetHost, AssetRegisterSettings, ClassificationRecord, InformationAsset
from .scheme_migration import resolve_review_item, start_migration
from .visibility import edit_capacity, manages_whole_register

__all__ = [
    "ASSET_FIELDS",
    "Classified",
    "SavedAsset",
    "add_host",
    "approve_lifecycle_request",
    "classify_asset",
    "confirm_export_blocked",
    "confirm_mfa",
    "create_asset",
    "record_disposal",
    "register_settings",
    "reject_lifecycle_request",
    "remove_host",
    "request_lifecycle",
    "resolve_review_item",
    "set_handling_category_map",
    "start_migration",
    "update_asset",
    "withdraw_lifecycle_request",
]

# What create_asset/update_asset accept. The scheme follows the register; the mynumber controls
# are confirmed by their own services (who and when); the derived keys are never set.
ASSET_FIELDS = {
    "asset_number",
    "name",
    "description",
    "kind",
    "owning_unit",
    "custodian",
    "storage_location",
    "segment",
    "hosting",
    "cloud_service_name",
    "holds_personal_info",
    "holds_specific_personal_info",
    "holds_sensitive_personal_info",
    "classified_document",
    "number_of_persons",
    "retention_period",
    "status",
    "confidentiality",
    "integrity",
    "availability",
    "held_classes",
    "scope_facility",
    "scope_purpose",
    "in_scope",
    "out_of_scope_reason",
    "used_by_university",
    "city_owned",
    "has_backup",
    "recovery_time",
    "backup_note",
}
_TEXT_FIELDS = (
    "asset_number",
    "name",
    "description",
    "storage_location",
    "cloud_service_name",
    "retention_period",
    "out_of_scope_reason",
    "recovery_time",
    "backup_note",
)


@dataclass(frozen=True)
class SavedAsset:
    """A saved asset and the consistency problems it still has (they never block saving)."""

    asset: InformationAsset
    warnings: list[Inconsistency] = field(default_factory=list)


@dataclass(frozen=True)
class Classified:
    """An asset classified with the assistant: the record kept, and the remaining warnings."""

    asset: InformationAsset
    record: ClassificationRecord
    warnings: list[Inconsistency] = field(default_factory=list)


# --- register settings ------------------------------------------------------------------------


def set_handling_category_map(
    actor: User | None, municipality: Municipality, *, map_id: str
) -> AssetRegisterSettings:
    """Choose the 取扱区分 mapping of the register ("" for none); leads and administrators."""
    if actor is not None and not manages_whole_register(actor, municipality.pk):
        raise PermissionDenied(_("You are not allowed to do this."))
    with transaction.atomic():
        current = register_settings(municipality)
        if current.pk is not None:
            current = AssetRegisterSettings.objects.select_for_update().get(pk=current.pk)
        value = (map_id or "").strip()
        if value:
            known = default_handling_categories(current.scheme).id
            if value != known:
                raise ValidationError(
                    {
                        "handling_category_map": _(
                            "Unknown handling category mapping “%(value)s”: use %(known)s."
                        )
                        % {"value": value[:50], "known": known}
                    }
                )
        before = journal.snapshot(current) if current.pk else None
        current.handling_category_map = value
        current.save()
        journal.record(
            actor=actor,
            action="asset_register.settings",
            obj=current,
            before=before,
            after=journal.snapshot(current),
        )
    return current


# --- assets -----------------------------------------------------------------------------------


def _apply(asset: InformationAsset, data: Mapping[str, Any]) -> None:
    unknown = set(data) - ASSET_FIELDS
    if unknown:
        raise ValidationError(
            {name: _("This field cannot be set here.") for name in sorted(unknown)}
        )
    errors = FieldErrors()
    for name, value in data.items():
        if name in _TEXT_FIELDS:
            value = (value or "").strip()
        try:
            setattr(asset, name, value)
        except (TypeError, ValueError):  # e.g. an id where a unit or a person is expected
            errors.add(name, _("The selected record was not found in this municipality."))
    errors.raise_if_any()


def _check_references(asset: InformationAsset, errors: FieldErrors) -> None:
    not_found = _("The selected record was not found in this municipality.")
    unit: OrgUnit | None = getattr(asset, "owning_unit", None) if asset.owning_unit_id else None
    if unit is None:
        errors.add("owning_unit", _("Choose the unit that owns the asset."))
    elif unit.municipality_id != asset.municipality_id:
        errors.add("owning_unit", not_found)
    custodian: Person | None = asset.custodian if asset.custodian_id else None
    if custodian is not None and custodian.municipality_id != asset.municipality_id:
        errors.add("custodian", not_found)


def _check_classes(
    asset: InformationAsset,
    before: tuple[str, str, str, str] | None,
    register_scheme: str,
    errors: FieldErrors,
) -> None:
    classes = tuple(getattr(asset, axis) or "" for axis in AXES)
    asset.confidentiality, asset.integrity, asset.availability = classes
    changed = before is None or classes != before[1:]
    if changed and asset.migration_pending:
        errors.add(
            "confidentiality",
            _(
                "This asset is waiting for its classification review after the change of "
                "classification scheme: resolve the review item first."
            ),
        )
        return
    if not any(classes):
        if changed:
            asset.scheme = register_scheme
        return
    if not all(classes):
        for axis, value in zip(AXES, classes, strict=True):
            if not value:
                errors.add(
                    axis,
                    _("Give all three classes (confidentiality, integrity, availability) or none."),
                )
        return
    if changed:
        asset.scheme = register_scheme
    try:
        scheme = get_scheme(asset.scheme)
    except UnknownScheme as exc:
        errors.add("confidentiality", core_message(exc))
        return
    for axis in Axis:
        value = getattr(asset, axis.value)
        try:
            scheme.level(axis, value)
        except UnknownClass as exc:
            errors.add(
                axis.value,
                _("“%(value)s” is not a class of this scheme (%(scheme)s): use one of %(known)s.")
                % {
                    "value": value[:20],
                    "scheme": scheme.label_ja if language() == "ja" else scheme.label_en,
                    "known": ", ".join(exc.known),
                },
            )


def _check_held_classes(asset: InformationAsset, errors: FieldErrors) -> None:
    held = asset.held_classes
    if held in (None, ""):
        asset.held_classes = []
        return
    if not isinstance(held, list) or not all(isinstance(h, dict) for h in held):
        errors.add("held_classes", _("Give the classes of the information held as a list."))
        return
    cleaned: list[dict[str, str]] = []
    for index, item in enumerate(held, start=1):
        entry = {key: str(item.get(key, "")).strip() for key in ("scheme", *AXES)}
        entry["scheme"] = entry["scheme"] or asset.scheme
        try:
            scheme = get_scheme(entry["scheme"])
            scheme.classification(*(entry[axis] for axis in AXES))
        except ClassificationError as exc:
            errors.add(
                "held_classes",
                _("Entry %(index)d: %(problem)s") % {"index": index, "problem": core_message(exc)},
            )
            continue
        cleaned.append(entry)
    asset.held_classes = cleaned


def _check_scope(asset: InformationAsset, explicit_in_scope: bool, errors: FieldErrors) -> None:
    try:
        decision = decide_scope(
            facility=asset.scope_facility,
            purpose=asset.scope_purpose,
            used_by_university=asset.used_by_university,
            city_owned=asset.city_owned,
        )
    except UnknownValue as exc:
        errors.add("scope_purpose", core_message(exc))
        return
    lang = language()
    rules = default_scope_rules()
    automatic = {e.reason_ja for e in rules.exclusions} | {rules.not_owned_reason_ja}
    if decision.in_scope and not explicit_in_scope and asset.out_of_scope_reason in automatic:
        # The use no longer matches the exclusion that put the asset out of scope.
        asset.in_scope = True
    if not decision.in_scope:
        if explicit_in_scope and asset.in_scope:
            errors.add(
                "in_scope",
                _("This use is outside the policy's scope (%(reason)s). Record it as out of scope.")
                % {"reason": decision.reason_ja if lang == "ja" else decision.reason_en},
            )
            return
        asset.in_scope = False
        if not asset.out_of_scope_reason:
            asset.out_of_scope_reason = decision.reason_ja
        return
    if not asset.in_scope and not asset.out_of_scope_reason:
        errors.add(
            "out_of_scope_reason",
            _(
                "Give the reason the asset is outside the policy's scope (basic policy 2.4), "
                "or record it as in scope."
            ),
        )
    if asset.in_scope:
        asset.out_of_scope_reason = ""


def _check_hosting(asset: InformationAsset, errors: FieldErrors) -> None:
    if asset.hosting == InformationAsset.Hosting.CLOUD and not asset.cloud_service_name:
        errors.add("cloud_service_name", _("Name the cloud service the asset is hosted on."))
    if asset.hosting == InformationAsset.Hosting.ON_PREMISES:
        asset.cloud_service_name = ""


def validate(
    asset: InformationAsset,
    *,
    before_classes: tuple[str, str, str, str] | None,
    explicit_in_scope: bool,
    scheme: str | None = None,
    check_number: bool = True,
) -> None:
    """Every check a save makes, as one field-keyed ``ValidationError``.

    An import passes the register's ``scheme`` (read once per file) and ``check_number=False``
    (it settles the numbers of the whole file itself).
    """
    errors = FieldErrors()
    _check_references(asset, errors)
    _check_hosting(asset, errors)
    if scheme is None:
        scheme = register_settings(asset.municipality_id).scheme
    _check_classes(asset, before_classes, scheme, errors)
    _check_held_classes(asset, errors)
    _check_scope(asset, explicit_in_scope, errors)
    if (
        check_number
        and asset.asset_number
        and (
            InformationAsset.objects.filter(
                municipality_id=asset.municipality_id, asset_number=asset.asset_number
            )
            .exclude(pk=asset.pk)
            .exists()
        )
    ):
        errors.add(
            "asset_number",
            _("Asset number %(number)s is already registered. Give each asset its own number.")
            % {"number": asset.asset_number},
        )
    try:
        asset.full_clean(
            exclude=["municipality", "owning_unit", "custodian"], validate_constraints=False
        )
    except ValidationError as exc:
        errors.merge(exc)
    errors.raise_if_any()


def _save(asset: InformationAsset) -> None:
    try:
        with transaction.atomic():
            asset.save()
    except IntegrityError as exc:  # a concurrent duplicate number
        raise ValidationError(
            {
                "asset_number": _(
                    "Asset number %(number)s is already registered. Give each asset its own number."
                )
                % {"number": asset.asset_number}
            }
        ) from exc


def _snapshot(asset: InformationAsset) -> dict[str, Any]:
    return journal.snapshot(asset, exclude=("search_key", "created_at", "updated_at"))


def _warnings(asset: InformationAsset) -> list[Inconsistency]:
    return asset_inconsistencies(asset) + duplicates_of(asset)


def create_asset(actor: User | None, municipality: Municipality, **data: Any) -> SavedAsset:
    """Register an asset; return it with its consistency warnings."""
    if actor is not None:
        permissions.require(actor, Action.MANAGE_ASSETS, municipality=municipality)
    asset = InformationAsset(municipality=municipality)
    _apply(asset, data)
    validate(asset, before_classes=None, explicit_in_scope="in_scope" in data)
    capacity = (
        edit_capacity(actor, municipality.pk, asset.owning_unit_id)
        if actor is not None
        else OWN_RIGHT
    )
    with transaction.atomic():
        _save(asset)
        journal.record(
            actor=actor,
            action="asset.create",
            obj=asset,
            after=_snapshot(asset),
            on_behalf_of=capacity.label,
        )
    return SavedAsset(asset, _warnings(asset))


def update_asset(actor: User | None, asset: InformationAsset, **data: Any) -> SavedAsset:
    """Change an asset; return it with its consistency warnings (the caller's copy is untouched)."""
    capacity = (
        edit_capacity(actor, asset.municipality_id, asset.owning_unit_id)
        if actor is not None
        else OWN_RIGHT
    )
    with transaction.atomic():
        current = fresh(asset, lock=True)
        before = _snapshot(current)
        before_classes = (
            current.scheme,
            current.confidentiality,
            current.integrity,
            current.availability,
        )
        _apply(current, data)
        validate(current, before_classes=before_classes, explicit_in_scope="in_scope" in data)
        if actor is not None and current.owning_unit_id != asset.owning_unit_id:
            edit_capacity(actor, current.municipality_id, current.owning_unit_id)
        _save(current)
        journal.record(
            actor=actor,
            action="asset.update",
            obj=current,
            before=before,
            after=_snapshot(current),
            on_behalf_of=capacity.label,
        )
    return SavedAsset(current, _warnings(current))


# --- hosts ------------------------------------------------------------------------------------


def add_host(
    actor: User | None, asset: InformationAsset, *, host_name: str = "", network: str = ""
) -> AssetHost:
    """Record a host name and/or an IP address or range (normalised) of ``asset``."""
    capacity = (
        edit_capacity(actor, asset.municipality_id, asset.owning_unit_id)
        if actor is not None
        else OWN_RIGHT
    )
    errors = FieldErrors()
    host = AssetHost(municipality_id=asset.municipality_id, asset=asset)
    try:
        host.host_name = normalise_host_name(host_name)
    except ValidationError as exc:
        errors.merge(exc)
    if (network or "").strip():
        try:
            parsed = parse_network(network)
        except ValidationError as exc:
            errors.merge(exc)
        else:
            host.network = str(parsed)
            host.ip_version, host.range_start, host.range_end = range_bounds(parsed)
    elif not host.host_name and not errors.by_field:
        errors.add("network", _("Give a host name, an IP address or range, or both."))
    errors.raise_if_any()
    if AssetHost.objects.filter(
        asset=asset, host_name=host.host_name, network=host.network
    ).exists():
        raise ValidationError({"network": _("This host is already recorded for the asset.")})
    with transaction.atomic():
        host.save()
        journal.record(
            actor=actor,
            action="asset.host_add",
            obj=host,
            after={"asset": asset.pk, "host_name": host.host_name, "network": host.network},
            on_behalf_of=capacity.label,
        )
    return host


def remove_host(actor: User | None, host: AssetHost) -> None:
    """Remove a host name / address of an asset."""
    asset = host.asset
    capacity = (
        edit_capacity(actor, asset.municipality_id, asset.owning_unit_id)
        if actor is not None
        else OWN_RIGHT
    )
    with transaction.atomic():
        before = {"asset": asset.pk, "host_name": host.host_name, "network": host.network}
        journal.record(
            actor=actor,
            action="asset.host_remove",
            obj=host,
            before=before,
            on_behalf_of=capacity.label,
        )
        AssetHost.objects.filter(pk=host.pk).delete()


# --- classification ---------------------------------------------------------------------------


def classify_asset(
    actor: User | None,
    asset: InformationAsset,
    *,
    answers: Mapping[str, Any],
    overrides: Mapping[str, tuple[str, str]] | None = None,
) -> Classified:
    """Classify ``asset`` with the assistant's answers, the user's overrides (axis → (class,
    reason)) applied; the record keeps answers, suggestion, reasons and overrides."""
    capacity = (
        edit_capacity(actor, asset.municipality_id, asset.owning_unit_id)
        if actor is not None
        else OWN_RIGHT
    )
    if asset.migration_pending:
        raise ValidationError(
            {
                "answers": _(
                    "This asset is waiting for its classification review after the change of "
                    "classification scheme: resolve the review item first."
                )
            }
        )
    scheme = register_settings(asset.municipality_id).scheme
    try:
        suggestion = suggest_classification(dict(answers), scheme=scheme)
    except InvalidAnswers as exc:
        ja = language() == "ja"
        raise ValidationError(
            {"answers": [p.message_ja if ja else p.message_en for p in exc.problems]}
        ) from None
    errors = FieldErrors()
    for axis_name, (class_id, reason) in (overrides or {}).items():
        try:
            axis = Axis(axis_name)
        except ValueError:
            errors.add("overrides", _("Unknown axis “%(axis)s”.") % {"axis": str(axis_name)[:30]})
            continue
        try:
            suggestion = record_override(suggestion, axis, class_id, reason=reason or "")
        except ClassificationError as exc:
            errors.add(f"override_{axis.value}", core_message(exc))
    errors.raise_if_any()
    chosen = suggestion.classification
    with transaction.atomic():
        current = fresh(asset, lock=True)
        before = _snapshot(current)
        current.scheme = chosen.scheme
        current.confidentiality = chosen.confidentiality
        current.integrity = chosen.integrity
        current.availability = chosen.availability
        current.save()
        record = ClassificationRecord.objects.create(
            municipality_id=current.municipality_id,
            asset=current,
            scheme=chosen.scheme,
            answers=dict(suggestion.answers),
            suggested={axis.value: suggestion.suggested.get(axis) for axis in Axis},
            reasons=[
                {
                    "axis": r.axis.value,
                    "class": r.class_id,
                    "rule": r.rule_id,
                    "because_ja": r.because_ja,
                    "because_en": r.because_en,
                    "source": r.source.value,
                }
                for r in suggestion.reasons
            ],
            overrides=[
                {
                    "axis": o.axis.value,
                    "suggested": o.suggested,
                    "chosen": o.chosen,
                    "reason": o.reason,
                }
                for o in suggestion.overrides
            ],
            confidentiality=chosen.confidentiality,
            integrity=chosen.integrity,
            availability=chosen.availability,
            recorded_by=actor,
        )
        journal.record(
            actor=actor,
            action="asset.classify",
            obj=current,
            before=before,
            after={**_snapshot(current), "classification_record": record.pk},
            on_behalf_of=capacity.label,
        )
    return Classified(current, record, _warnings(current))


# --- マイナンバー利用事務系 controls ---------------------------------------------------------


def _confirm(actor: User | None, asset: InformationAsset, control: str) -> SavedAsset:
    capacity = (
        edit_capacity(actor, asset.municipality_id, asset.owning_unit_id)
        if actor is not None
        else OWN_RIGHT
    )
    if asset.segment != InformationAsset.Segment.MYNUMBER:
        raise ValidationError(
            {
                "segment": _(
                    "Multi-factor authentication and the export block are confirmed for assets "
                    "of the My Number business segment only."
                )
            }
        )
    if asset.kind != InformationAsset.Kind.SYSTEM_EQUIPMENT:
        raise ValidationError(
            {
                "kind": _(
                    "Multi-factor authentication and the export block are confirmed for "
                    "terminals and systems only."
                )
            }
        )
    with transaction.atomic():
        current = fresh(asset, lock=True)
        before = _snapshot(current)
        setattr(current, f"{control}_confirmed_by", actor)
        setattr(current, f"{control}_confirmed_at", timezone.now())
        current.save()
        journal.record(
            actor=actor,
            action=f"asset.confirm_{control}",
            obj=current,
            before=before,
            after=_snapshot(current),
            on_behalf_of=capacity.label,
        )
    return SavedAsset(current, _warnings(current))


def confirm_mfa(actor: User | None, asset: InformationAsset) -> SavedAsset:
    """Record that multi-factor authentication is set up on a mynumber terminal or system."""
    return _confirm(actor, asset, "mfa")


def confirm_export_blocked(actor: User | None, asset: InformationAsset) -> SavedAsset:
    """Record that 持ち出し不可設定 (no writing to USB memory etc.) is in force on it."""
    return _confirm(actor, asset, "export_blocked")
