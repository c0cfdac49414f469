"""Migrate an asset's classes from one scheme to another (pre_r6 → r6_10).

The rules are data (``data/migrations/pre_r6_to_r6_10.yaml``): a class either maps
automatically or, when the new scheme split it (機密性3 → 3A/3B/3C) or the asset's facts make
the old class doubtful, becomes a :class:`ReviewItem` with the candidate classes and hints drawn
from the asset's facts. The owner's decision is applied with :func:`resolve_review_item`,
which accepts only a candidate.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from isms.assets.classification._data import data_text, read_document, read_path
from isms.assets.classification.asset import AssetFacts
from isms.assets.classification.errors import DataError, InvalidDecision, UnknownScheme
from isms.assets.classification.loader import get_scheme
from isms.assets.classification.model import (
    Axis,
    Classification,
    ClassificationScheme,
    Source,
)

__all__ = [
    "MigrationHint",
    "MigrationOutcome",
    "MigrationRules",
    "ReviewDecision",
    "ReviewItem",
    "default_migration",
    "load_migration",
    "load_migration_text",
    "migrate_classification",
    "resolve_review_item",
]

Condition = tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class MigrationHint:
    """A hint for a review: when the asset's facts match ``when``, suggest ``suggest``."""

    when: Condition
    suggest: str
    text_ja: str
    text_en: str
    source: Source


@dataclass(frozen=True)
class _Review:
    when: Condition
    candidates: tuple[str, ...]
    reason_ja: str
    reason_en: str
    hints: tuple[MigrationHint, ...]


@dataclass(frozen=True)
class _Rule:
    axis: Axis
    source_class: str
    target_class: str | None
    reviews: tuple[_Review, ...]


@dataclass(frozen=True)
class MigrationRules:
    """Checked migration rules from scheme ``from_scheme`` to scheme ``to_scheme``."""

    id: str
    version: int
    from_scheme: str
    to_scheme: str
    rules: tuple[_Rule, ...]

    def rule(self, axis: Axis, class_id: str) -> _Rule:
        """Return the rule for class ``class_id`` of ``axis`` (``KeyError`` if none)."""
        for rule in self.rules:
            if rule.axis is axis and rule.source_class == class_id:
                return rule
        raise KeyError((axis.value, class_id))


@dataclass(frozen=True)
class ReviewItem:
    """One class the owner must choose: the candidates, why, and what the facts suggest.

    ``suggested`` is the candidate of the first hint that matches the asset's facts (``None``
    when none does); ``hints`` are every matching hint, strongest first.
    """

    axis: Axis
    source_class: str
    candidates: tuple[str, ...]
    suggested: str | None
    reason_ja: str
    reason_en: str
    hints: tuple[MigrationHint, ...]


@dataclass(frozen=True)
class ReviewDecision:
    """The owner's choice for one review item."""

    item: ReviewItem
    chosen: str
    decided_by: str = ""
    note: str = ""


@dataclass(frozen=True)
class MigrationOutcome:
    """The result of migrating one classification; complete once no review is pending.

    ``confidentiality``/``integrity``/``availability`` hold the new class, or ``None`` while that
    axis waits for review.
    """

    source: Classification
    target_scheme: str
    confidentiality: str | None
    integrity: str | None
    availability: str | None
    pending: tuple[ReviewItem, ...]
    decisions: tuple[ReviewDecision, ...] = ()

    @property
    def is_complete(self) -> bool:
        """Return whether every axis has its new class."""
        return not self.pending

    @property
    def classification(self) -> Classification | None:
        """Return the new classification, or ``None`` while a review is pending."""
        if self.confidentiality is None or self.integrity is None or self.availability is None:
            return None
        return Classification(
            self.target_scheme, self.confidentiality, self.integrity, self.availability
        )


@cache
def default_migration(from_scheme: str, to_scheme: str) -> MigrationRules:
    """Return the built-in migration rules (only ``pre_r6`` → ``r6_10`` ships)."""
    if (from_scheme, to_scheme) != ("pre_r6", "r6_10"):
        raise UnknownScheme(f"{from_scheme}_to_{to_scheme}", ("pre_r6_to_r6_10",))
    text, source = data_text("migrations", "pre_r6_to_r6_10.yaml")
    return load_migration_text(text, source=source)


def load_migration(
    path: str | Path,
    *,
    from_scheme: ClassificationScheme | None = None,
    to_scheme: ClassificationScheme | None = None,
) -> MigrationRules:
    """Read and check migration rules from ``path``."""
    text, source = read_path(path)
    return load_migration_text(text, source=source, from_scheme=from_scheme, to_scheme=to_scheme)


def load_migration_text(
    text: str,
    *,
    source: str,
    from_scheme: ClassificationScheme | None = None,
    to_scheme: ClassificationScheme | None = None,
) -> MigrationRules:
    """Check and build migration rules from YAML text, against both schemes.

    Every class of the old scheme has exactly one rule per axis; every target, candidate and
    suggestion is a class of the new scheme, and every suggestion is one of its candidates; a
    rule without ``to`` has a review that always applies.
    """
    document = read_document(text, source=source, schema_name="migration")
    return _MigrationBuilder(document, source, from_scheme, to_scheme).build()


def migrate_classification(
    classification: Classification,
    *,
    facts: AssetFacts | None = None,
    rules: MigrationRules | None = None,
    to_scheme: str = "r6_10",
) -> MigrationOutcome:
    """Migrate ``classification`` to ``to_scheme``; ambiguous axes become review items.

    ``facts`` (the asset's personal-information flags, segment, ...) decide the conditional
    reviews and the hints; without them only unconditional rules apply.
    """
    rules = rules or default_migration(classification.scheme, to_scheme)
    _check_source(rules, classification)
    facts = facts or AssetFacts()
    assigned: dict[Axis, str | None] = {}
    pending: list[ReviewItem] = []
    for axis in Axis:
        rule = rules.rule(axis, classification.get(axis))
        review = next((r for r in rule.reviews if _holds(r.when, facts)), None)
        if review is None:
            assigned[axis] = rule.target_class
            continue
        hints = tuple(h for h in review.hints if _holds(h.when, facts))
        pending.append(
            ReviewItem(
                axis=axis,
                source_class=rule.source_class,
                candidates=review.candidates,
                suggested=hints[0].suggest if hints else None,
                reason_ja=review.reason_ja,
                reason_en=review.reason_en,
                hints=hints,
            )
        )
        assigned[axis] = None
    return MigrationOutcome(
        source=classification,
        target_scheme=rules.to_scheme,
        confidentiality=assigned[Axis.CONFIDENTIALITY],
        integrity=assigned[Axis.INTEGRITY],
        availability=assigned[Axis.AVAILABILITY],
        pending=tuple(pending),
    )


def _check_source(rules: MigrationRules, classification: Classification) -> None:
    """Raise if ``classification`` is not of the rules' old scheme or names unknown classes."""
    if classification.scheme != rules.from_scheme:
        raise UnknownScheme(classification.scheme, (rules.from_scheme,))
    get_scheme(rules.from_scheme).validate(classification)


def resolve_review_item(
    outcome: MigrationOutcome,
    axis: Axis,
    chosen: str,
    *,
    decided_by: str = "",
    note: str = "",
) -> MigrationOutcome:
    """Apply the owner's choice for the pending review of ``axis``; it must be a candidate."""
    item = next((i for i in outcome.pending if i.axis is axis), None)
    if item is None:
        raise InvalidDecision(
            f"no review is pending for {axis.value}",
            hint="decide only the review items listed in 'pending'",
            message_ja=f"{axis.value} に確認待ちの項目はない",
            hint_ja="pending に挙がっている確認項目だけを決定してください",
        )
    if chosen not in item.candidates:
        listed = ", ".join(item.candidates)
        raise InvalidDecision(
            f"'{chosen}' is not a candidate for {axis.value} {item.source_class}",
            hint=f"choose one of: {listed}",
            message_ja=f"'{chosen}' は {axis.value} {item.source_class} の移行先の候補ではない",
            hint_ja=f"次のいずれかを選んでください: {listed}",
        )
    decision = ReviewDecision(item=item, chosen=chosen, decided_by=decided_by, note=note)
    changes: dict[str, Any] = {
        axis.value: chosen,
        "pending": tuple(i for i in outcome.pending if i is not item),
        "decisions": (*outcome.decisions, decision),
    }
    return replace(outcome, **changes)


def _holds(when: Condition, facts: AssetFacts) -> bool:
    for key, expected in when:
        if key == "number_of_persons_at_least":
            if facts.number_of_persons is None or facts.number_of_persons < expected:
                return False
        elif key == "segment":
            if facts.segment is None or facts.segment.value != expected:
                return False
        elif getattr(facts, key) != expected:
            return False
    return True


class _MigrationBuilder:
    def __init__(
        self,
        document: dict[str, Any],
        source: str,
        from_scheme: ClassificationScheme | None,
        to_scheme: ClassificationScheme | None,
    ):
        self.doc = document
        self.source = source
        self.old = self.scheme("from_scheme", from_scheme)
        self.new = self.scheme("to_scheme", to_scheme)

    def fail(self, path: str, message: str, hint: str, message_ja: str) -> DataError:
        return DataError(message, source=self.source, path=path, hint=hint, message_ja=message_ja)

    def scheme(self, key: str, given: ClassificationScheme | None) -> ClassificationScheme:
        scheme_id = self.doc[key]
        if given is not None:
            if given.id != scheme_id:
                raise self.fail(
                    key,
                    f"the rules name scheme '{scheme_id}' but '{given.id}' was given",
                    f"set '{key}: {given.id}'",
                    f"規則の分類体系 '{scheme_id}' と指定の '{given.id}' が異なる",
                )
            return given
        try:
            return get_scheme(scheme_id)
        except UnknownScheme as exc:
            raise self.fail(key, exc.message, exc.hint, exc.message_ja) from None

    def new_class(self, axis: Axis, class_id: str, path: str) -> str:
        if class_id not in self.new.scale(axis).class_ids:
            known = ", ".join(self.new.scale(axis).class_ids)
            raise self.fail(
                path,
                f"'{class_id}' is not a {axis.value} class of scheme '{self.new.id}'",
                f"use one of: {known}",
                f"'{class_id}' は分類体系 '{self.new.id}' の {axis.value} の分類にない",
            )
        return class_id

    def build(self) -> MigrationRules:
        rules: list[_Rule] = []
        for axis in Axis:
            path = f"axes.{axis.value}"
            old_ids = self.old.scale(axis).class_ids
            seen: set[str] = set()
            for index, entry in enumerate(self.doc["axes"][axis.value]):
                rules.append(self.rule(axis, entry, f"{path}[{index}]", old_ids, seen))
            missing = [c for c in old_ids if c not in seen]
            if missing:
                raise self.fail(
                    path,
                    f"no rule for {axis.value} class(es) {', '.join(missing)} of '{self.old.id}'",
                    "give every class of the old scheme one rule",
                    f"旧分類体系の {axis.value} {', '.join(missing)} の移行規則がない",
                )
        return MigrationRules(
            id=self.doc["id"],
            version=self.doc["version"],
            from_scheme=self.old.id,
            to_scheme=self.new.id,
            rules=tuple(rules),
        )

    def rule(
        self, axis: Axis, entry: dict[str, Any], path: str, old_ids: tuple[str, ...], seen: set[str]
    ) -> _Rule:
        source_class = entry["from"]
        if source_class not in old_ids:
            raise self.fail(
                f"{path}.from",
                f"'{source_class}' is not a {axis.value} class of scheme '{self.old.id}'",
                f"use one of: {', '.join(old_ids)}",
                f"'{source_class}' は分類体系 '{self.old.id}' の {axis.value} の分類にない",
            )
        if source_class in seen:
            raise self.fail(
                f"{path}.from",
                f"{axis.value} class '{source_class}' has two rules",
                "give each class one rule; put the conditional cases under its 'reviews'",
                f"{axis.value} の分類 '{source_class}' に規則が二つある",
            )
        seen.add(source_class)
        target = entry.get("to")
        if target is not None:
            self.new_class(axis, target, f"{path}.to")
        reviews = tuple(
            self.review(axis, item, f"{path}.reviews[{i}]")
            for i, item in enumerate(entry.get("reviews", ()))
        )
        if target is None and not any(not r.when for r in reviews):
            raise self.fail(
                path,
                f"{axis.value} class '{source_class}' has no 'to' and no review that always "
                "applies",
                "add 'to', or a review without 'when'",
                f"{axis.value} の分類 '{source_class}' に移行先（to）も無条件の確認もない",
            )
        return _Rule(axis=axis, source_class=source_class, target_class=target, reviews=reviews)

    def review(self, axis: Axis, item: dict[str, Any], path: str) -> _Review:
        candidates = tuple(
            self.new_class(axis, c, f"{path}.candidates[{i}]")
            for i, c in enumerate(item["candidates"])
        )
        hints: list[MigrationHint] = []
        for index, hint in enumerate(item.get("hints", ())):
            if hint["suggest"] not in candidates:
                raise self.fail(
                    f"{path}.hints[{index}].suggest",
                    f"suggestion '{hint['suggest']}' is not one of the candidates "
                    f"{', '.join(candidates)}",
                    "suggest one of the review's candidates",
                    f"提案 '{hint['suggest']}' が候補 {', '.join(candidates)} にない",
                )
            hints.append(
                MigrationHint(
                    when=tuple(sorted(hint["when"].items())),
                    suggest=hint["suggest"],
                    text_ja=hint["text_ja"],
                    text_en=hint["text_en"],
                    source=Source(hint["source"]),
                )
            )
        return _Review(
            when=tuple(sorted(item.get("when", {}).items())),
            candidates=candidates,
            reason_ja=item["reason_ja"],
            reason_en=item["reason_en"],
            hints=tuple(hints),
        )
