"""What the asset services share: the register's settings, field errors, core messages."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import translation

from isms.assets.classification import ClassificationError
from isms.core.models import Municipality

from .models import AssetRegisterSettings, InformationAsset

__all__ = ["FieldErrors", "core_message", "fresh", "language", "register_settings"]


def language() -> str:
    """Return ``ja`` or ``en``: the language the classification core's texts are given in."""
    return "ja" if (translation.get_language() or "ja").startswith("ja") else "en"


def core_message(error: ClassificationError) -> str:
    """Return a classification-core error (what, where, how to fix) in the active language."""
    return error.render(language())


class FieldErrors:
    """Field errors collected over one validation, raised together as one ``ValidationError``."""

    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, []).append(message)

    def merge(self, exc: ValidationError) -> None:
        for name, messages in exc.message_dict.items():
            for message in messages:
                self.add(name, message)

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def register_settings(municipality: Municipality | int) -> AssetRegisterSettings:
    """Return the municipality's register settings (the defaults, unsaved, if none yet)."""
    mid = municipality.pk if isinstance(municipality, Municipality) else municipality
    found = AssetRegisterSettings.objects.filter(municipality_id=mid).first()
    return found or AssetRegisterSettings(municipality_id=mid)


def fresh(asset: InformationAsset, *, lock: bool = False) -> InformationAsset:
    """Re-read ``asset`` (under a row lock inside a transaction), leaving the caller's copy."""
    qs = InformationAsset.objects.select_related("owning_unit")
    if lock:
        qs = qs.select_for_update()
    return qs.get(pk=asset.pk)
