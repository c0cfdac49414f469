"""Derive an asset's 取扱制限 from its classes, and map classes onto a municipality's 取扱区分.

The restrictions of an asset are never typed by hand: :func:`derive_handling` takes the
scheme's common restrictions plus those of the asset's three classes, per stage, drops any that
a stricter one in the set supersedes, and says for each which class required it.

A municipality may define simpler operational categories (取扱区分) and map every class onto
one (``data/handling_categories/*.yaml``); :func:`handling_category` gives an asset's category,
the strictest that any of its three classes maps to.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from isms.assets.classification._data import data_text, read_document, read_path
from isms.assets.classification.errors import DataError, UnknownScheme
from isms.assets.classification.loader import get_scheme
from isms.assets.classification.model import (
    Axis,
    Classification,
    ClassificationScheme,
    HandlingRestriction,
    HandlingStage,
    covered_ids,
)

__all__ = [
    "AppliedRestriction",
    "HandlingCategory",
    "HandlingCategoryMap",
    "HandlingRules",
    "default_handling_categories",
    "derive_handling",
    "handling_category",
    "load_handling_categories",
    "load_handling_categories_text",
]

COMMON = "common"


@dataclass(frozen=True)
class AppliedRestriction:
    """A restriction that applies to an asset, with what required it.

    ``required_by`` lists ``common`` and/or ``<axis>:<class>`` (e.g. ``confidentiality:3``).
    """

    restriction: HandlingRestriction
    required_by: tuple[str, ...]


@dataclass(frozen=True)
class HandlingRules:
    """The 取扱制限 of one asset, per stage in life order (作成 … 廃棄)."""

    classification: Classification
    stages: tuple[tuple[HandlingStage, tuple[AppliedRestriction, ...]], ...]

    def at(self, stage: HandlingStage) -> tuple[AppliedRestriction, ...]:
        """Return the restrictions at ``stage``."""
        for current, applied in self.stages:
            if current is stage:
                return applied
        return ()

    @property
    def ids(self) -> frozenset[str]:
        """Return the ids of every restriction that applies."""
        return frozenset(a.restriction.id for _stage, applied in self.stages for a in applied)

    def approvals(self) -> dict[HandlingStage, tuple[str, ...]]:
        """Return, per stage that needs one, the roles whose permission it needs."""
        out: dict[HandlingStage, tuple[str, ...]] = {}
        for stage, applied in self.stages:
            roles = tuple(
                dict.fromkeys(a.restriction.approval for a in applied if a.restriction.approval)
            )
            if roles:
                out[stage] = roles
        return out

    def needs_approval(self, stage: HandlingStage) -> bool:
        """Return whether ``stage`` (e.g. 運搬, 提供・公表, 廃棄) needs someone's permission."""
        return stage in self.approvals()


def derive_handling(
    classification: Classification, *, scheme: ClassificationScheme | None = None
) -> HandlingRules:
    """Return the restrictions ``classification`` requires: the union over its classes.

    ``scheme`` defaults to the built-in scheme the classification names. Raises
    :class:`UnknownClass` for a class the scheme does not define.
    """
    scheme = scheme or get_scheme(classification.scheme)
    levels = scheme.levels(classification)
    required: dict[str, list[str]] = {}
    restrictions: dict[str, HandlingRestriction] = {}
    sources: list[tuple[str, tuple[HandlingRestriction, ...]]] = [(COMMON, scheme.common)]
    sources += [(f"{level.axis.value}:{level.id}", level.restrictions) for level in levels]
    for origin, items in sources:
        for restriction in items:
            restrictions[restriction.id] = restriction
            required.setdefault(restriction.id, []).append(origin)
    catalogue = {r.id: r for r in scheme.restrictions}
    # The strictest wins: a restriction superseded by another one in the set is dropped, and
    # what required it is credited to the stricter one.
    superseded: set[str] = set()
    for restriction in restrictions.values():
        below = covered_ids([restriction], catalogue) - {restriction.id}
        for weaker in below & restrictions.keys():
            superseded.add(weaker)
            required[restriction.id].extend(required[weaker])
    stages: list[tuple[HandlingStage, tuple[AppliedRestriction, ...]]] = []
    for stage in HandlingStage:
        applied = tuple(
            AppliedRestriction(r, tuple(dict.fromkeys(required[r.id])))
            for r in restrictions.values()
            if r.stage is stage and r.id not in superseded
        )
        stages.append((stage, applied))
    return HandlingRules(classification=classification, stages=tuple(stages))


@dataclass(frozen=True)
class HandlingCategory:
    """One 取扱区分 of a municipality; ``rank`` 1 is the loosest, higher is stricter.

    ``segments`` lists the network segments the category may be held in (empty: no limit).
    """

    id: str
    rank: int
    label_ja: str
    label_en: str
    description_ja: str
    description_en: str
    segments: tuple[str, ...] = ()


@dataclass(frozen=True)
class HandlingCategoryMap:
    """A municipality's mapping of every class of one scheme onto its 取扱区分."""

    id: str
    version: int
    scheme: str
    label_ja: str
    label_en: str
    categories: tuple[HandlingCategory, ...]
    mapping: tuple[tuple[Axis, str, str], ...]

    def category(self, category_id: str) -> HandlingCategory:
        """Return the category ``category_id`` (``KeyError`` if none)."""
        for category in self.categories:
            if category.id == category_id:
                return category
        raise KeyError(category_id)

    def category_of(self, axis: Axis, class_id: str) -> HandlingCategory:
        """Return the category class ``class_id`` of ``axis`` maps to (``KeyError`` if none)."""
        for current_axis, current_class, category_id in self.mapping:
            if current_axis is axis and current_class == class_id:
                return self.category(category_id)
        raise KeyError((axis.value, class_id))


def handling_category(
    classification: Classification,
    categories: HandlingCategoryMap,
    *,
    scheme: ClassificationScheme | None = None,
) -> HandlingCategory:
    """Return the 取扱区分 of an asset: the strictest its three classes map to."""
    scheme = scheme or get_scheme(classification.scheme)
    if categories.scheme != scheme.id:
        raise UnknownScheme(classification.scheme, (categories.scheme,))
    scheme.validate(classification)
    mapped = [categories.category_of(axis, classification.get(axis)) for axis in Axis]
    return max(mapped, key=lambda category: category.rank)


def default_handling_categories(scheme_id: str) -> HandlingCategoryMap:
    """Return the example mapping shipped for ``scheme_id`` (``data/handling_categories/``)."""
    scheme = get_scheme(scheme_id)
    text, source = data_text("handling_categories", f"{scheme_id}.yaml")
    return load_handling_categories_text(text, source=source, scheme=scheme)


def load_handling_categories(
    path: str | Path, *, scheme: ClassificationScheme | None = None
) -> HandlingCategoryMap:
    """Read and check a 取扱区分 mapping file."""
    text, source = read_path(path)
    return load_handling_categories_text(text, source=source, scheme=scheme)


def load_handling_categories_text(
    text: str, *, source: str, scheme: ClassificationScheme | None = None
) -> HandlingCategoryMap:
    """Check and build a 取扱区分 mapping from YAML text.

    Every class of every axis of the scheme must be mapped, to a defined category, and a
    higher class never to a looser category than a lower class of the same axis.
    """
    document = read_document(text, source=source, schema_name="handling-categories")
    return _MapBuilder(document, source, scheme).build()


class _MapBuilder:
    def __init__(self, document: dict[str, Any], source: str, scheme: ClassificationScheme | None):
        self.doc = document
        self.source = source
        self.scheme = scheme

    def fail(self, path: str, message: str, hint: str, message_ja: str) -> DataError:
        return DataError(message, source=self.source, path=path, hint=hint, message_ja=message_ja)

    def build(self) -> HandlingCategoryMap:
        scheme_id = self.doc["scheme"]
        if self.scheme is None:
            try:
                self.scheme = get_scheme(scheme_id)
            except UnknownScheme as exc:
                raise self.fail("scheme", exc.message, exc.hint, exc.message_ja) from None
        elif self.scheme.id != scheme_id:
            raise self.fail(
                "scheme",
                f"the mapping is for scheme '{scheme_id}', not '{self.scheme.id}'",
                f"set 'scheme: {self.scheme.id}' or load it with its own scheme",
                f"この対応表は分類体系 '{scheme_id}' 用で、'{self.scheme.id}' 用ではない",
            )
        scheme = self.scheme
        entries = self.doc["categories"]
        categories: list[HandlingCategory] = []
        for index, entry in enumerate(entries):
            if any(c.id == entry["id"] for c in categories):
                raise self.fail(
                    f"categories[{index}].id",
                    f"category '{entry['id']}' is defined twice",
                    "give each category its own id",
                    f"取扱区分 '{entry['id']}' が二重に定義されている",
                )
            categories.append(
                HandlingCategory(
                    id=entry["id"],
                    rank=len(entries) - index,
                    label_ja=entry["label_ja"],
                    label_en=entry["label_en"],
                    description_ja=entry["description_ja"],
                    description_en=entry["description_en"],
                    segments=tuple(entry.get("segments", ())),
                )
            )
        by_id = {c.id: c for c in categories}
        mapping: list[tuple[Axis, str, str]] = []
        for axis in Axis:
            scale = scheme.scale(axis)
            given: dict[str, str] = self.doc["mapping"].get(axis.value, {})
            path = f"mapping.{axis.value}"
            for class_id, category_id in given.items():
                if class_id not in scale.class_ids:
                    raise self.fail(
                        f"{path}.{class_id}",
                        f"'{class_id}' is not a {axis.value} class of scheme '{scheme.id}'",
                        f"map only these classes: {', '.join(scale.class_ids)}",
                        f"'{class_id}' は分類体系 '{scheme.id}' の {axis.value} の分類にない",
                    )
                if category_id not in by_id:
                    raise self.fail(
                        f"{path}.{class_id}",
                        f"unknown category '{category_id}'",
                        f"use one of: {', '.join(by_id)}",
                        f"取扱区分 '{category_id}' は定義されていない",
                    )
            previous: tuple[str, HandlingCategory] | None = None
            for class_id in reversed(scale.class_ids):  # lowest first
                if class_id not in given:
                    raise self.fail(
                        path,
                        f"class '{class_id}' of {axis.value} is not mapped to a category",
                        "map every class of every axis of the scheme",
                        f"{axis.value} の分類 '{class_id}' に取扱区分が対応付けられていない",
                    )
                category = by_id[given[class_id]]
                if previous is not None and category.rank < previous[1].rank:
                    raise self.fail(
                        f"{path}.{class_id}",
                        f"class '{class_id}' maps to '{category.id}', looser than "
                        f"'{previous[1].id}' of the lower class '{previous[0]}'",
                        "map a higher class to the same or a stricter category "
                        "(categories are listed strictest first)",
                        f"分類 '{class_id}' の取扱区分 '{category.id}' が、下位の分類 "
                        f"'{previous[0]}' の '{previous[1].id}' より緩い",
                    )
                previous = (class_id, category)
                mapping.append((axis, class_id, category.id))
        return HandlingCategoryMap(
            id=self.doc["id"],
            version=self.doc["version"],
            scheme=scheme.id,
            label_ja=self.doc["label_ja"],
            label_en=self.doc["label_en"],
            categories=tuple(categories),
            mapping=tuple(mapping),
        )
