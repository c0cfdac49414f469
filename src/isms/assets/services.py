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

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from isms.assets.classification import (
    Axis,
    ClassificationError,
    ClassificationScheme,
    DataError,
    HandlingCategoryMap,
    Inconsistency,
    InvalidAnswers,
    Segment,
    UnknownClass,
    UnknownScheme,
    UnknownValue,
    decide_scope,
    default_handling_categories,
    default_scope_rules,
    get_scheme,
    load_handling_categories_text,
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
    "HandlingCategoriesState",
    "SavedAsset",
    "add_host",
    "apply_fields",
    "approve_lifecycle_request",
    "asset_snapshot",
    "classify_asset",
    "confirm_export_blocked",
    "confirm_mfa",
    "create_asset",
    "define_handling_categories",
    "handling_categories_of",
    "handling_categories_state",
    "record_disposal",
    "register_settings",
    "reject_lifecycle_request",
    "remove_host",
    "request_lifecycle",
    "resolve_review_item",
    "save_asset",
    "set_handling_category_map",
    "start_migration",
    "update_asset",
    "use_handling_categories",
    "validate",
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

# What a municipality's own 取扱区分 mapping may hold (the core's schema allows more).
MIN_HANDLING_CATEGORIES = 2
MAX_HANDLING_CATEGORIES = 6
HANDLING_USES = ("none", "example", "own")  # no mapping, the shipped example, the own one
DEFAULT_OWN_MAP_ID = "own"
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_NAME_MAX = 50  # handling_category_map holds the mapping's id
_LABEL_MAX = 100
_DESCRIPTION_MAX = 1000
_DOCUMENT_KEYS = ("id", "version", "scheme", "label_ja", "label_en", "categories", "mapping")
_CATEGORY_KEYS = ("id", "label_ja", "label_en", "description_ja", "description_en", "segments")
_SEGMENTS = tuple(s.value for s in Segment)


@dataclass(frozen=True)
class HandlingCategoriesState:
    """Which 取扱区分 mapping the register has chosen, and whether it applies.

    ``use`` is ``none``, ``example`` or ``own``; ``in_force`` the mapping an asset's category
    comes from (None: no category is shown); ``own`` the municipality's own document for the
    register's current scheme; ``stale`` is set when the own mapping chosen belongs to another
    scheme than the register's (after a scheme migration), so that no category applies.
    """

    scheme: str
    use: str
    in_force: HandlingCategoryMap | None
    example: HandlingCategoryMap | None
    own: dict[str, Any] | None
    own_schemes: tuple[str, ...]

    @property
    def stale(self) -> bool:
        return self.use == "own" and self.in_force is None


@lru_cache(maxsize=64)
def _own_map(text: str, scheme_id: str) -> HandlingCategoryMap:
    """Build (once per text) the core's mapping from a stored own document."""
    return load_handling_categories_text(
        text, source="handling_categories", scheme=get_scheme(scheme_id)
    )


def _own_document(settings: AssetRegisterSettings) -> dict[str, Any] | None:
    stored = (settings.handling_categories or {}).get(settings.scheme)
    return stored if isinstance(stored, dict) else None


def _example(scheme_id: str) -> HandlingCategoryMap | None:
    try:
        return default_handling_categories(scheme_id)
    except ClassificationError:
        return None


def handling_categories_of(settings: AssetRegisterSettings) -> HandlingCategoryMap | None:
    """Return the 取扱区分 mapping in force for the register's current scheme, or None.

    The municipality's own mapping applies only to the scheme it was defined for: after a
    scheme migration it no longer applies until one is defined for the new scheme.
    """
    map_id = settings.handling_category_map
    if not map_id:
        return None
    own = _own_document(settings)
    if own is not None and own.get("id") == map_id:
        try:
            return _own_map(json.dumps(own, ensure_ascii=False, sort_keys=True), settings.scheme)
        except ClassificationError:
            return None
    example = _example(settings.scheme)
    return example if example is not None and example.id == map_id else None


def handling_categories_state(settings: AssetRegisterSettings) -> HandlingCategoriesState:
    """Return what the register's 取扱区分 page and API show."""
    example = _example(settings.scheme)
    own = _own_document(settings)
    map_id = settings.handling_category_map
    if not map_id:
        use = "none"
    elif own is not None and map_id == own.get("id"):
        use = "own"
    elif example is not None and map_id == example.id:
        use = "example"
    else:
        use = "own"  # the own mapping of a scheme the register no longer uses
    return HandlingCategoriesState(
        scheme=settings.scheme,
        use=use,
        in_force=handling_categories_of(settings),
        example=example,
        own=own,
        own_schemes=tuple(sorted(settings.handling_categories or {})),
    )


def _locked_settings(municipality: Municipality) -> AssetRegisterSettings:
    current = register_settings(municipality)
    if current.pk is not None:
        current = AssetRegisterSettings.objects.select_for_update().get(pk=current.pk)
    return current


def _save_settings(
    actor: User | None, current: AssetRegisterSettings, before: dict[str, Any] | None
) -> None:
    current.save()
    journal.record(
        actor=actor,
        action="asset_register.settings",
        obj=current,
        before=before,
        after=journal.snapshot(current),
    )


def set_handling_category_map(
    actor: User | None, municipality: Municipality, *, map_id: str
) -> AssetRegisterSettings:
    """Choose the 取扱区分 mapping of the register; leads and administrators.

    ``map_id`` is "" (none), the id of the shipped example or that of the municipality's own
    mapping for the register's current scheme.
    """
    if actor is not None and not manages_whole_register(actor, municipality.pk):
        raise PermissionDenied(_("You are not allowed to do this."))
    with transaction.atomic():
        current = _locked_settings(municipality)
        value = (map_id or "").strip()
        if value:
            known = [m.id for m in (_example(current.scheme),) if m is not None]
            own = _own_document(current)
            if own is not None:
                known.append(str(own.get("id")))
            if value not in known:
                raise ValidationError(
                    {
                        "handling_category_map": _(
                            "Unknown handling category mapping “%(value)s”: use %(known)s."
                        )
                        % {"value": value[:50], "known": ", ".join(known)}
                    }
                )
        before = journal.snapshot(current) if current.pk else None
        current.handling_category_map = value
        _save_settings(actor, current, before)
    return current


def use_handling_categories(
    actor: User | None, municipality: Municipality, *, use: str
) -> AssetRegisterSettings:
    """Put no mapping (``none``), the shipped example or the own mapping (``own``) in force."""
    if actor is not None and not manages_whole_register(actor, municipality.pk):
        raise PermissionDenied(_("You are not allowed to do this."))
    if use not in HANDLING_USES:
        raise ValidationError(
            {"use": _("Choose one of: %(choices)s.") % {"choices": ", ".join(HANDLING_USES)}}
        )
    settings = register_settings(municipality)
    map_id = ""
    if use == "example":
        example = _example(settings.scheme)
        if example is None:
            raise ValidationError(
                {"use": _("No example handling categories are shipped for this scheme.")}
            )
        map_id = example.id
    elif use == "own":
        own = _own_document(settings)
        if own is None:
            raise ValidationError(
                {
                    "use": _(
                        "No own handling categories are defined for the register's "
                        "classification scheme yet: define them first."
                    )
                }
            )
        map_id = str(own.get("id"))
    try:
        return set_handling_category_map(actor, municipality, map_id=map_id)
    except ValidationError as exc:
        raise ValidationError({"use": exc.messages}) from None


def define_handling_categories(
    actor: User | None, municipality: Municipality, *, document: Mapping[str, Any]
) -> AssetRegisterSettings:
    """Store the municipality's own 取扱区分 for the register's scheme and put it in force.

    ``document`` has the structure of the core's mapping files (``id``, ``version``, ``scheme``,
    ``label_ja``/``label_en``, ``categories`` strictest first, ``mapping`` per axis and class);
    ``id``, ``version`` and ``scheme`` may be left out (the stored id or ``own``, the next
    version, the register's scheme), as may a category's ``id`` (``category_<n>``). It must map
    every class of every axis of the register's scheme to one of 2–6 categories labelled and
    described in both languages. Invalid: a ``ValidationError`` keyed by the document's field
    (``label_ja``, ``categories.1.label_en``, ``mapping.confidentiality.3A``), nothing saved.
    """
    if actor is not None and not manages_whole_register(actor, municipality.pk):
        raise PermissionDenied(_("You are not allowed to do this."))
    with transaction.atomic():
        current = _locked_settings(municipality)
        clean = _clean_handling_document(document, current)
        before = journal.snapshot(current) if current.pk else None
        current.handling_categories = {
            **(current.handling_categories or {}),
            current.scheme: clean,
        }
        current.handling_category_map = clean["id"]
        _save_settings(actor, current, before)
    return current


def _text(value: Any, name: str, errors: FieldErrors, *, limit: int) -> str:
    """Return a required text stripped, or "" after adding its error."""
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.add(name, _("This field is required."))
        return ""
    if not isinstance(value, str):
        errors.add(name, _("Enter text."))
        return ""
    value = value.strip()
    if "\x00" in value:
        errors.add(name, _("Remove the NUL character (\\x00) from this text."))
    elif len(value) > limit:
        errors.add(name, _("Enter at most %(max)s characters.") % {"max": limit})
    return value


def _name(value: Any, name: str, errors: FieldErrors) -> str:
    """Return an id (lower-case letters, digits and _, starting with a letter) or ""."""
    if not isinstance(value, str) or not _NAME.fullmatch(value) or len(value) > _NAME_MAX:
        errors.add(
            name,
            _(
                "Use lower-case letters a–z, digits and _ only, starting with a letter "
                "(at most %(max)s characters)."
            )
            % {"max": _NAME_MAX},
        )
        return ""
    return value


def _unknown_keys(given: Mapping[str, Any], known: tuple[str, ...], prefix: str) -> list[str]:
    return [f"{prefix}{key}" for key in given if key not in known]


def _clean_handling_document(document: Any, settings: AssetRegisterSettings) -> dict[str, Any]:
    """Return ``document`` checked and completed for the register's scheme (see above)."""
    errors = FieldErrors()
    if not isinstance(document, Mapping):
        raise ValidationError({"document": _("Send the mapping as a JSON object.")})
    for key in _unknown_keys(document, _DOCUMENT_KEYS, ""):
        errors.add(str(key)[:50], _("This field is not accepted here; check its spelling."))
    scheme = get_scheme(settings.scheme)
    stored = _own_document(settings)
    example = _example(scheme.id)
    # id: the stored one or "own" when left out; never the shipped example's.
    map_id = document.get("id")
    if map_id is None or map_id == "":
        map_id = str(stored.get("id")) if stored else DEFAULT_OWN_MAP_ID
    map_id = _name(map_id, "id", errors)
    if map_id and example is not None and map_id == example.id:
        errors.add(
            "id",
            _("“%(id)s” is the id of the shipped example: give your own mapping another id.")
            % {"id": map_id},
        )
    version = document.get("version")
    if version is None:
        previous = stored.get("version") if stored else 0
        version = previous + 1 if isinstance(previous, int) else 1
    elif isinstance(version, bool) or not isinstance(version, int) or version < 1:
        errors.add("version", _("Enter a whole number of at least 1."))
    given_scheme = document.get("scheme")
    if given_scheme not in (None, "", scheme.id):
        errors.add(
            "scheme",
            _(
                "The register uses the classification scheme %(scheme)s: a mapping of "
                "another scheme does not apply to it."
            )
            % {"scheme": scheme.id},
        )
    label_ja = _text(document.get("label_ja"), "label_ja", errors, limit=_LABEL_MAX)
    label_en = _text(document.get("label_en"), "label_en", errors, limit=_LABEL_MAX)
    categories = _clean_categories(document.get("categories"), errors)
    mapping: dict[str, dict[str, str]] = {}
    if categories or "categories" not in errors.by_field:
        mapping = _clean_mapping(document.get("mapping"), scheme, categories, errors)
    errors.raise_if_any()
    clean = {
        "id": map_id,
        "version": version,
        "scheme": scheme.id,
        "label_ja": label_ja,
        "label_en": label_en,
        "categories": categories,
        "mapping": mapping,
    }
    # The core's checks stay the authority (schema, cross-references, monotony).
    try:
        _own_map(json.dumps(clean, ensure_ascii=False, sort_keys=True), scheme.id)
    except DataError as exc:
        where = re.sub(r"\[(\d+)\]", r".\1", exc.path) or "document"
        raise ValidationError({where: core_message(exc)}) from None
    return clean


def _clean_categories(value: Any, errors: FieldErrors) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        errors.add("categories", _("Give the handling categories as a list, strictest first."))
        return []
    if not MIN_HANDLING_CATEGORIES <= len(value) <= MAX_HANDLING_CATEGORIES:
        errors.add(
            "categories",
            _("Define between %(min)s and %(max)s handling categories.")
            % {"min": MIN_HANDLING_CATEGORIES, "max": MAX_HANDLING_CATEGORIES},
        )
        if len(value) > MAX_HANDLING_CATEGORIES:
            return []
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, entry in enumerate(value):
        prefix = f"categories.{index}."
        if not isinstance(entry, Mapping):
            errors.add(prefix.rstrip("."), _("Send each category as a JSON object."))
            continue
        for key in _unknown_keys(entry, _CATEGORY_KEYS, prefix):
            errors.add(key[:80], _("This field is not accepted here; check its spelling."))
        category_id = entry.get("id")
        if category_id is None or category_id == "":
            category_id = f"category_{index + 1}"
        category_id = _name(category_id, f"{prefix}id", errors)
        if category_id and category_id in seen:
            errors.add(
                f"{prefix}id",
                _("The id “%(id)s” is used by another category.") % {"id": category_id},
            )
        seen.add(category_id)
        clean: dict[str, Any] = {"id": category_id}
        for name in ("label_ja", "label_en"):
            clean[name] = _text(entry.get(name), f"{prefix}{name}", errors, limit=_LABEL_MAX)
        for name in ("description_ja", "description_en"):
            clean[name] = _text(entry.get(name), f"{prefix}{name}", errors, limit=_DESCRIPTION_MAX)
        segments = entry.get("segments") or []
        if not isinstance(segments, list) or any(s not in _SEGMENTS for s in segments):
            errors.add(
                f"{prefix}segments",
                _("Choose network segments among: %(choices)s.")
                % {"choices": ", ".join(_SEGMENTS)},
            )
        elif segments:
            clean["segments"] = [s for s in _SEGMENTS if s in segments]
        out.append(clean)
    return out


def _class_name(scheme: ClassificationScheme, axis: Axis, class_id: str) -> str:
    level = scheme.level(axis, class_id)
    return level.label_ja if language() == "ja" else level.label_en


def _clean_mapping(
    value: Any,
    scheme: ClassificationScheme,
    categories: list[dict[str, Any]],
    errors: FieldErrors,
) -> dict[str, dict[str, str]]:
    """Return the mapping per axis and class; every class of the scheme must be mapped."""
    if not isinstance(value, Mapping):
        errors.add("mapping", _("Map every class of every axis to a handling category."))
        return {}
    for key in _unknown_keys(value, tuple(a.value for a in Axis), "mapping."):
        errors.add(key[:80], _("This field is not accepted here; check its spelling."))
    rank = {c["id"]: index for index, c in enumerate(categories) if c["id"]}  # 0: strictest
    labels = {c["id"]: c["label_ja"] if language() == "ja" else c["label_en"] for c in categories}
    out: dict[str, dict[str, str]] = {}
    for axis in Axis:
        class_ids = scheme.scale(axis).class_ids  # highest first
        given = value.get(axis.value)
        if not isinstance(given, Mapping):
            given = {}
        for key in _unknown_keys(given, class_ids, f"mapping.{axis.value}."):
            errors.add(
                key[:80],
                _("The scheme %(scheme)s has no such class.") % {"scheme": scheme.id},
            )
        axis_map: dict[str, str] = {}
        lower: tuple[str, str] | None = None  # (class id, category id) of the class below
        for class_id in reversed(class_ids):  # lowest first
            name = f"mapping.{axis.value}.{class_id}"
            chosen = given.get(class_id)
            if chosen is None or chosen == "":
                errors.add(name, _("Choose the handling category of this class."))
                continue
            if not isinstance(chosen, str) or chosen not in rank:
                errors.add(
                    name,
                    _("“%(value)s” is not one of the handling categories defined.")
                    % {"value": str(chosen)[:50]},
                )
                continue
            if lower is not None and rank[chosen] > rank[lower[1]]:
                errors.add(
                    name,
                    _(
                        "%(class)s cannot have a looser handling category than the lower "
                        "%(lower)s (%(category)s): categories are listed strictest first."
                    )
                    % {
                        "class": _class_name(scheme, axis, class_id),
                        "lower": _class_name(scheme, axis, lower[0]),
                        "category": labels.get(lower[1], lower[1]),
                    },
                )
            lower = (class_id, chosen)
            axis_map[class_id] = chosen
        out[axis.value] = {c: axis_map[c] for c in class_ids if c in axis_map}
    return out


# --- assets -----------------------------------------------------------------------------------


def apply_fields(asset: InformationAsset, data: Mapping[str, Any]) -> None:
    """Set ``data`` (keys of :data:`ASSET_FIELDS`) on an unsaved asset, with field errors.

    With :func:`validate`, :func:`save_asset` and :func:`asset_snapshot`, the steps of
    ``create_asset``/``update_asset`` for bulk writers (the register import) that check
    permission once and journal many rows together.
    """
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


def save_asset(asset: InformationAsset) -> None:
    """Save a validated asset; a number registered meanwhile is a field error."""
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


def asset_snapshot(asset: InformationAsset) -> dict[str, Any]:
    """The asset as the journal records it (without derived keys and timestamps)."""
    return journal.snapshot(asset, exclude=("search_key", "created_at", "updated_at"))


def _warnings(asset: InformationAsset) -> list[Inconsistency]:
    return asset_inconsistencies(asset) + duplicates_of(asset)


def create_asset(actor: User | None, municipality: Municipality, **data: Any) -> SavedAsset:
    """Register an asset; return it with its consistency warnings."""
    if actor is not None:
        permissions.require(actor, Action.MANAGE_ASSETS, municipality=municipality)
    asset = InformationAsset(municipality=municipality)
    apply_fields(asset, data)
    validate(asset, before_classes=None, explicit_in_scope="in_scope" in data)
    capacity = (
        edit_capacity(actor, municipality.pk, asset.owning_unit_id)
        if actor is not None
        else OWN_RIGHT
    )
    with transaction.atomic():
        save_asset(asset)
        journal.record(
            actor=actor,
            action="asset.create",
            obj=asset,
            after=asset_snapshot(asset),
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
        before = asset_snapshot(current)
        before_classes = (
            current.scheme,
            current.confidentiality,
            current.integrity,
            current.availability,
        )
        apply_fields(current, data)
        validate(current, before_classes=before_classes, explicit_in_scope="in_scope" in data)
        if actor is not None and current.owning_unit_id != asset.owning_unit_id:
            edit_capacity(actor, current.municipality_id, current.owning_unit_id)
        save_asset(current)
        journal.record(
            actor=actor,
            action="asset.update",
            obj=current,
            before=before,
            after=asset_snapshot(current),
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
        before = asset_snapshot(current)
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
            after={**asset_snapshot(current), "classification_record": record.pk},
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
        before = asset_snapshot(current)
        setattr(current, f"{control}_confirmed_by", actor)
        setattr(current, f"{control}_confirmed_at", timezone.now())
        current.save()
        journal.record(
            actor=actor,
            action=f"asset.confirm_{control}",
            obj=current,
            before=before,
            after=asset_snapshot(current),
            on_behalf_of=capacity.label,
        )
    return SavedAsset(current, _warnings(current))


def confirm_mfa(actor: User | None, asset: InformationAsset) -> SavedAsset:
    """Record that multi-factor authentication is set up on a mynumber terminal or system."""
    return _confirm(actor, asset, "mfa")


def confirm_export_blocked(actor: User | None, asset: InformationAsset) -> SavedAsset:
    """Record that 持ち出し不可設定 (no writing to USB memory etc.) is in force on it."""
    return _confirm(actor, asset, "export_blocked")
