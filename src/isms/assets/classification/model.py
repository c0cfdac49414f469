"""Classification schemes, classes and handling restrictions as frozen dataclasses.

These are what ``loader.py`` builds from the scheme YAML files (``data/schemes/*.yaml``,
validated against ``data/schemas/scheme.schema.json``). A scheme has three axes
(confidentiality, integrity, availability); each axis lists its classes from the highest to the
lowest, and each class carries its 分類基準 and its 取扱制限 per :class:`HandlingStage`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from isms.assets.classification.errors import UnknownClass

__all__ = [
    "PRE_R6",
    "R6_10",
    "Axis",
    "ClassLevel",
    "Classification",
    "ClassificationScheme",
    "Confidence",
    "HandlingRestriction",
    "HandlingStage",
    "Scale",
    "Source",
    "covered_ids",
]

# Scheme ids of the glossary's ``ClassificationScheme.pre_r6`` / ``ClassificationScheme.r6_10``.
PRE_R6 = "pre_r6"
R6_10 = "r6_10"


class Axis(enum.Enum):
    """The three properties a class is given for (機密性・完全性・可用性)."""

    CONFIDENTIALITY = "confidentiality"
    INTEGRITY = "integrity"
    AVAILABILITY = "availability"


class HandlingStage(enum.Enum):
    """The stages of an asset's life that 取扱制限 apply to (対策基準 2.(2)), in life order."""

    CREATE = "create"
    OBTAIN = "obtain"
    USE = "use"
    STORE = "store"
    TRANSMIT = "transmit"
    TRANSPORT = "transport"
    PROVIDE_PUBLISH = "provide_publish"
    DISPOSE = "dispose"

    @property
    def label_ja(self) -> str:
        """Return the Japanese name of the stage (作成, 入手, ...)."""
        return _STAGE_LABELS[self][0]

    @property
    def label_en(self) -> str:
        """Return the English name of the stage (creation, acquisition, ...)."""
        return _STAGE_LABELS[self][1]


# The glossary's terms (Assets and classification).
_STAGE_LABELS = {
    HandlingStage.CREATE: ("作成", "creation"),
    HandlingStage.OBTAIN: ("入手", "acquisition"),
    HandlingStage.USE: ("利用", "use"),
    HandlingStage.STORE: ("保管", "storage"),
    HandlingStage.TRANSMIT: ("送信", "transmission"),
    HandlingStage.TRANSPORT: ("運搬", "physical transport"),
    HandlingStage.PROVIDE_PUBLISH: ("提供・公表", "provision / publication"),
    HandlingStage.DISPOSE: ("廃棄", "disposal"),
}


class Source(enum.Enum):
    """Where a text in the data comes from.

    ``GUIDELINE``: the guideline (as the policy model reproduces or recalls it);
    ``DERIVED``: written by this project where the policy model is silent (conservative).
    """

    GUIDELINE = "guideline"
    DERIVED = "derived"


class Confidence(enum.Enum):
    """How sure the policy model is of a guideline text (its confidence marks)."""

    CONFIRMED = "confirmed"
    RECALLED = "recalled"
    UNCERTAIN = "uncertain"


@dataclass(frozen=True)
class HandlingRestriction:
    """One 取扱制限: what must (not) be done with an asset at one stage of its life.

    ``approval`` names the role whose permission the stage needs (e.g. the
    ``division_security_manager``, 情報セキュリティ管理者), empty when none. ``supersedes`` lists
    weaker restrictions this one replaces when both apply (e.g. "always encrypt" replaces
    "encrypt where needed").
    """

    id: str
    stage: HandlingStage
    text_ja: str
    text_en: str
    source: Source
    confidence: Confidence | None
    basis: str
    approval: str = ""
    supersedes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClassLevel:
    """One class of one axis (e.g. 機密性3, 自治体機密性3B): its criteria and restrictions.

    ``rank`` orders the classes of an axis: 1 is the lowest; a higher rank is a stricter class.
    ``restrictions`` are all the restrictions the class carries (the scheme's common ones are
    not repeated here). ``not_in_segments`` lists network segments this class must not be
    held in (e.g. ``internet`` for 機密性3).
    """

    id: str
    axis: Axis
    rank: int
    label_ja: str
    label_en: str
    criteria_ja: str
    criteria_en: str
    criteria_source: Source
    criteria_confidence: Confidence | None
    restrictions: tuple[HandlingRestriction, ...]
    not_in_segments: tuple[str, ...] = ()

    def restrictions_at(self, stage: HandlingStage) -> tuple[HandlingRestriction, ...]:
        """Return the restrictions of this class at ``stage``."""
        return tuple(r for r in self.restrictions if r.stage is stage)


@dataclass(frozen=True)
class Scale:
    """The classes of one axis in a scheme, highest first (e.g. 3, 2, 1)."""

    axis: Axis
    label_ja: str
    label_en: str
    classes: tuple[ClassLevel, ...]

    @property
    def class_ids(self) -> tuple[str, ...]:
        """Return the class ids, highest first."""
        return tuple(c.id for c in self.classes)

    @property
    def lowest(self) -> ClassLevel:
        """Return the lowest class (機密性1, 完全性1, ...)."""
        return self.classes[-1]


@dataclass(frozen=True)
class Classification:
    """An asset's classes under one scheme: one class id per axis (e.g. pre_r6 3/2/2)."""

    scheme: str
    confidentiality: str
    integrity: str
    availability: str

    def get(self, axis: Axis) -> str:
        """Return the class id of ``axis``."""
        return str(getattr(self, axis.value))


@dataclass(frozen=True)
class ClassificationScheme:
    """A versioned classification scheme (分類基準 and 取扱制限), e.g. ``pre_r6`` or ``r6_10``.

    ``version`` is the revision of this data file; ``guideline_edition`` and ``edition_month``
    name the guideline edition the scheme follows. ``common`` holds the restrictions every asset
    has, whatever its classes (create no unnecessary information, mark the class, ...).
    """

    id: str
    version: int
    label_ja: str
    label_en: str
    guideline_edition: str
    edition_label_ja: str
    edition_label_en: str
    edition_month: str
    confidentiality: Scale
    integrity: Scale
    availability: Scale
    common: tuple[HandlingRestriction, ...]
    restrictions: tuple[HandlingRestriction, ...]

    def scale(self, axis: Axis) -> Scale:
        """Return the classes of ``axis``."""
        scale: Scale = getattr(self, axis.value)
        return scale

    def level(self, axis: Axis, class_id: str) -> ClassLevel:
        """Return the class ``class_id`` of ``axis``; raise :class:`UnknownClass` if none."""
        scale = self.scale(axis)
        for level in scale.classes:
            if level.id == class_id:
                return level
        raise UnknownClass(
            scheme=self.id, axis=axis.value, class_id=class_id, known=scale.class_ids
        )

    def restriction(self, restriction_id: str) -> HandlingRestriction:
        """Return a restriction of the scheme's catalogue by id (``KeyError`` if none)."""
        for restriction in self.restrictions:
            if restriction.id == restriction_id:
                return restriction
        raise KeyError(restriction_id)

    def validate(self, classification: Classification) -> Classification:
        """Return ``classification`` if it is of this scheme and names known classes, else raise."""
        if classification.scheme != self.id:
            raise UnknownClass(
                scheme=self.id,
                axis="scheme",
                class_id=classification.scheme,
                known=(self.id,),
            )
        for axis in Axis:
            self.level(axis, classification.get(axis))
        return classification

    def classification(
        self, confidentiality: str, integrity: str, availability: str
    ) -> Classification:
        """Return a checked :class:`Classification` of this scheme."""
        return self.validate(Classification(self.id, confidentiality, integrity, availability))

    def levels(self, classification: Classification) -> tuple[ClassLevel, ClassLevel, ClassLevel]:
        """Return the three classes of ``classification`` (checked), in axis order."""
        self.validate(classification)
        c, i, a = (self.level(axis, classification.get(axis)) for axis in Axis)
        return c, i, a


def covered_ids(
    restrictions: tuple[HandlingRestriction, ...] | list[HandlingRestriction],
    catalogue: dict[str, HandlingRestriction],
) -> frozenset[str]:
    """Return the ids of ``restrictions`` plus every id they supersede, transitively.

    A set of restrictions *covers* a restriction when it holds it or a stricter one that
    supersedes it; this is what "a higher class never requires less" is measured by.
    """
    seen: set[str] = set()
    pending = [r.id for r in restrictions]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        known = catalogue.get(current)
        if known is not None:
            pending.extend(known.supersedes)
    return frozenset(seen)
