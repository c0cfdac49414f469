"""Likelihood and impact scales and the risk-level bands (Django-free).

A scale is a list of levels ``[{"value": 1, "label_ja": "…", "label_en": "…"}, …]``: values
1…n with no gap, no duplicate, in ascending order, every label given. The risk level of a
likelihood × impact pair is read from ``bands``: three ascending scores, the highest score of
``low``, ``medium`` and ``high``; anything above is ``very_high``.

Defaults (docs/risks.md): likelihood 1 ほとんど起こらない … 5 頻繁に起こる, impact 1 軽微 … 5
甚大, bands 4 / 9 / 14 (so 5×3 = 15 and above is very high, 3×3 = 9 medium).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEFAULT_BANDS",
    "DEFAULT_IMPACT",
    "DEFAULT_LIKELIHOOD",
    "LEVELS",
    "ScaleProblem",
    "check_bands",
    "check_scale",
    "risk_level",
]

LEVELS = ("low", "medium", "high", "very_high")
MAX_LEVELS = 10

DEFAULT_LIKELIHOOD: list[dict[str, Any]] = [
    {"value": 1, "label_ja": "ほとんど起こらない", "label_en": "Rare"},
    {"value": 2, "label_ja": "起こりにくい", "label_en": "Unlikely"},
    {"value": 3, "label_ja": "時々起こる", "label_en": "Possible"},
    {"value": 4, "label_ja": "起こりやすい", "label_en": "Likely"},
    {"value": 5, "label_ja": "頻繁に起こる", "label_en": "Almost certain"},
]
DEFAULT_IMPACT: list[dict[str, Any]] = [
    {"value": 1, "label_ja": "軽微", "label_en": "Negligible"},
    {"value": 2, "label_ja": "小さい", "label_en": "Minor"},
    {"value": 3, "label_ja": "中程度", "label_en": "Moderate"},
    {"value": 4, "label_ja": "大きい", "label_en": "Major"},
    {"value": 5, "label_ja": "甚大", "label_en": "Severe"},
]
DEFAULT_BANDS = [4, 9, 14]


@dataclass(frozen=True)
class ScaleProblem:
    """What is wrong with a scale: a code and the values concerned (messages are the caller's)."""

    code: str  # empty, too_many, not_a_number, duplicate, gap, not_ascending, no_label, bands
    values: tuple[int, ...] = ()


def check_scale(levels: Any) -> list[ScaleProblem]:
    """Return the problems of a scale (empty when it is valid)."""
    if not isinstance(levels, list) or len(levels) < 2:
        return [ScaleProblem("empty")]
    if len(levels) > MAX_LEVELS:
        return [ScaleProblem("too_many")]
    values: list[int] = []
    problems: list[ScaleProblem] = []
    for level in levels:
        value = level.get("value") if isinstance(level, dict) else None
        if not isinstance(value, int) or isinstance(value, bool):
            return [ScaleProblem("not_a_number")]
        values.append(value)
        if not str(level.get("label_ja", "")).strip() or not str(level.get("label_en", "")).strip():
            problems.append(ScaleProblem("no_label", (value,)))
    duplicates = tuple(sorted({v for v in values if values.count(v) > 1}))
    if duplicates:
        problems.append(ScaleProblem("duplicate", duplicates))
    missing = tuple(v for v in range(1, len(values) + 1) if v not in values)
    if missing and not duplicates:
        problems.append(ScaleProblem("gap", missing))
    if not duplicates and not missing and values != sorted(values):
        problems.append(ScaleProblem("not_ascending"))
    return problems


def check_bands(bands: Any, *, max_score: int) -> list[ScaleProblem]:
    """Return the problems of the bands for scores 1…``max_score`` (empty when valid)."""
    if (
        not isinstance(bands, list)
        or len(bands) != 3
        or not all(isinstance(b, int) and not isinstance(b, bool) for b in bands)
    ):
        return [ScaleProblem("bands")]
    if not (1 <= bands[0] < bands[1] < bands[2] < max_score):
        return [ScaleProblem("bands", tuple(bands))]
    return []


def risk_level(likelihood: int, impact: int, bands: Sequence[int]) -> str:
    """Return ``low``, ``medium``, ``high`` or ``very_high`` for likelihood × impact."""
    score = likelihood * impact
    for name, top in zip(LEVELS, bands, strict=False):
        if score <= top:
            return name
    return LEVELS[-1]
