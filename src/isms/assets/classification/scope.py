"""Decide whether an asset is within the policy's scope (基本方針 2.4), from its use.

The exclusions are data (``data/scope.yaml``): for Tsuru, assets used for teaching at the
教育委員会's schools (``school_education``) and for medical care at the 市立病院 or the
介護老人保健施設つる (``medical``). Read literally, each covers only that *use*. City-owned
assets used by 都留文科大学 are in scope (2.4(2)④); assets the university owns are not.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from isms.assets.classification._data import data_text, read_document, read_path
from isms.assets.classification.errors import DataError, UnknownValue

__all__ = [
    "ScopeDecision",
    "ScopeExclusion",
    "ScopeRules",
    "decide_scope",
    "default_scope_rules",
    "load_scope_rules",
    "load_scope_rules_text",
]

IN_SCOPE = "in_scope"
UNIVERSITY_CITY_OWNED = "university_city_owned"
NOT_CITY_OWNED = "not_city_owned"


class ScopeExclusion(enum.Enum):
    """The exclusions of Tsuru's seed 2.4(2) (the ids used in ``data/scope.yaml``)."""

    SCHOOL_EDUCATION = "school_education"
    MEDICAL = "medical"


@dataclass(frozen=True)
class _Exclusion:
    id: str
    facilities: tuple[str, ...]
    purposes: tuple[str, ...]
    reason_ja: str
    reason_en: str


@dataclass(frozen=True)
class ScopeRules:
    """Checked scope rules: the vocabularies of facilities and purposes and the exclusions."""

    id: str
    version: int
    facilities: tuple[str, ...]
    purposes: tuple[str, ...]
    exclusions: tuple[_Exclusion, ...]
    in_scope_reason_ja: str
    in_scope_reason_en: str
    university_reason_ja: str
    university_reason_en: str
    not_owned_reason_ja: str
    not_owned_reason_en: str


@dataclass(frozen=True)
class ScopeDecision:
    """Whether the asset is in scope, and why.

    ``reason_code`` is an exclusion id (``school_education``, ``medical``), ``not_city_owned``,
    ``university_city_owned`` or ``in_scope``.
    """

    in_scope: bool
    reason_code: str
    reason_ja: str
    reason_en: str


@cache
def default_scope_rules() -> ScopeRules:
    """Return Tsuru's scope rules shipped with the package."""
    text, source = data_text("scope.yaml")
    return load_scope_rules_text(text, source=source)


def load_scope_rules(path: str | Path) -> ScopeRules:
    """Read and check scope rules from ``path``."""
    text, source = read_path(path)
    return load_scope_rules_text(text, source=source)


def load_scope_rules_text(text: str, *, source: str) -> ScopeRules:
    """Check and build scope rules from YAML text (exclusions name defined terms only)."""
    doc = read_document(text, source=source, schema_name="scope")
    facilities = _terms(doc, "facilities", source)
    purposes = _terms(doc, "purposes", source)
    exclusions: list[_Exclusion] = []
    for index, item in enumerate(doc["exclusions"]):
        for key, singular, known in (
            ("facilities", "facility", facilities),
            ("purposes", "purpose", purposes),
        ):
            for position, value in enumerate(item[key]):
                if value not in known:
                    raise DataError(
                        f"unknown {singular} '{value}'",
                        source=source,
                        path=f"exclusions[{index}].{key}[{position}]",
                        hint=f"use one defined under '{key}': {', '.join(known)}",
                        message_ja=f"'{value}' は {key} に定義されていない",
                    )
        exclusions.append(
            _Exclusion(
                id=item["id"],
                facilities=tuple(item["facilities"]),
                purposes=tuple(item["purposes"]),
                reason_ja=item["reason_ja"],
                reason_en=item["reason_en"],
            )
        )
    university = doc["university"]
    return ScopeRules(
        id=doc["id"],
        version=doc["version"],
        facilities=facilities,
        purposes=purposes,
        exclusions=tuple(exclusions),
        in_scope_reason_ja=doc["in_scope_reason_ja"],
        in_scope_reason_en=doc["in_scope_reason_en"],
        university_reason_ja=university["in_scope_reason_ja"],
        university_reason_en=university["in_scope_reason_en"],
        not_owned_reason_ja=university["not_owned_reason_ja"],
        not_owned_reason_en=university["not_owned_reason_en"],
    )


def _terms(doc: dict[str, Any], key: str, source: str) -> tuple[str, ...]:
    ids: list[str] = []
    for index, item in enumerate(doc[key]):
        if item["id"] in ids:
            raise DataError(
                f"'{item['id']}' is defined twice",
                source=source,
                path=f"{key}[{index}].id",
                hint="give each entry its own id",
                message_ja=f"'{item['id']}' が二重に定義されている",
            )
        ids.append(item["id"])
    return tuple(ids)


def decide_scope(
    *,
    facility: str,
    purpose: str,
    used_by_university: bool = False,
    city_owned: bool = True,
    rules: ScopeRules | None = None,
) -> ScopeDecision:
    """Return whether an asset used at ``facility`` for ``purpose`` is in scope, and why.

    Raises :class:`UnknownValue` for a facility or purpose the rules do not define.
    """
    rules = rules or default_scope_rules()
    if facility not in rules.facilities:
        raise UnknownValue(field="facility", value=facility, known=rules.facilities)
    if purpose not in rules.purposes:
        raise UnknownValue(field="purpose", value=purpose, known=rules.purposes)
    for exclusion in rules.exclusions:
        if facility in exclusion.facilities and purpose in exclusion.purposes:
            return ScopeDecision(False, exclusion.id, exclusion.reason_ja, exclusion.reason_en)
    if used_by_university:
        if not city_owned:
            return ScopeDecision(
                False, NOT_CITY_OWNED, rules.not_owned_reason_ja, rules.not_owned_reason_en
            )
        return ScopeDecision(
            True, UNIVERSITY_CITY_OWNED, rules.university_reason_ja, rules.university_reason_en
        )
    return ScopeDecision(True, IN_SCOPE, rules.in_scope_reason_ja, rules.in_scope_reason_en)
