"""The proposed impact of a risk, from what the register knows about the asset (Django-free).

:func:`propose_impact` takes the asset's facts as plain values and returns the proposed level on
the municipality's impact scale with one :class:`Reason` per criterion that gave a level, so the
form can show *why*. The assessor may choose another level, with a reason (the services check).

The rules work on a five-level reference scale (1 very small … 5 very large) and are then
mapped onto the municipality's scale of ``levels`` levels (``ceil(reference × levels / 5)``):

- confidentiality: pre-R6 3 → 4, 2 → 3, 1 → 1; R6.10 3A → 5, 3B → 4, 3C → 4, 2 → 3, 1 → 1;
- integrity 2 → 3, availability 2 → 3 (class 1 → 1);
- persons whose personal information is held: 100,000 or more → 5, 10,000 → 4, 1,000 → 3,
  fewer → 2;
- 特定個人情報 → 4, 要配慮個人情報 → 4;
- the My Number business segment → 4;
- an unclassified asset → 3 (nobody can tell it is less).

The highest level wins; ties keep every reason.

>>> p = propose_impact(AssetImpactFacts(scheme="pre_r6", confidentiality="2"), levels=5)
>>> p.level, [r.criterion for r in p.reasons if r.decisive]
(3, ['confidentiality'])
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["REFERENCE_LEVELS", "AssetImpactFacts", "Proposal", "Reason", "propose_impact"]

REFERENCE_LEVELS = 5

CONFIDENTIALITY = {
    "pre_r6": {"3": 4, "2": 3, "1": 1},
    "r6_10": {"3A": 5, "3B": 4, "3C": 4, "2": 3, "1": 1},
}
INTEGRITY = {"2": 3, "1": 1}
AVAILABILITY = {"2": 3, "1": 1}
PERSONS = ((100_000, 5), (10_000, 4), (1_000, 3), (1, 2))
SPECIFIC_PERSONAL = 4
SENSITIVE_PERSONAL = 4
MYNUMBER_SEGMENT = 4
UNCLASSIFIED = 3


@dataclass(frozen=True, kw_only=True)
class AssetImpactFacts:
    """What the proposal reads of an asset (or the strictest of an asset group's assets)."""

    scheme: str = "pre_r6"
    confidentiality: str = ""
    integrity: str = ""
    availability: str = ""
    holds_personal_info: bool = False
    number_of_persons: int | None = None
    holds_specific_personal_info: bool = False
    holds_sensitive_personal_info: bool = False
    segment: str = ""


@dataclass(frozen=True, kw_only=True)
class Reason:
    """One criterion and the level it gives (on the municipality's scale).

    ``criterion`` is a stable code (``confidentiality``, ``integrity``, ``availability``,
    ``persons``, ``specific_personal_info``, ``sensitive_personal_info``, ``segment``,
    ``unclassified``); ``value`` the asset's value that triggered it; ``decisive`` whether it
    gave the proposed level.
    """

    criterion: str
    value: str
    level: int
    decisive: bool = False


@dataclass(frozen=True, kw_only=True)
class Proposal:
    """The proposed impact level and the reasons, strongest first."""

    level: int
    reasons: tuple[Reason, ...]


def _scaled(reference: int, levels: int) -> int:
    return max(1, min(levels, math.ceil(reference * levels / REFERENCE_LEVELS)))


def _criteria(facts: AssetImpactFacts) -> list[tuple[str, str, int]]:
    found: list[tuple[str, str, int]] = []
    table = CONFIDENTIALITY.get(facts.scheme, CONFIDENTIALITY["pre_r6"])
    classified = bool(facts.confidentiality and facts.integrity and facts.availability)
    if facts.confidentiality in table:
        found.append(("confidentiality", facts.confidentiality, table[facts.confidentiality]))
    if facts.integrity in INTEGRITY:
        found.append(("integrity", facts.integrity, INTEGRITY[facts.integrity]))
    if facts.availability in AVAILABILITY:
        found.append(("availability", facts.availability, AVAILABILITY[facts.availability]))
    if not classified:
        found.append(("unclassified", "", UNCLASSIFIED))
    if facts.holds_personal_info and facts.number_of_persons:
        for threshold, level in PERSONS:
            if facts.number_of_persons >= threshold:
                found.append(("persons", str(facts.number_of_persons), level))
                break
    if facts.holds_specific_personal_info:
        found.append(("specific_personal_info", "", SPECIFIC_PERSONAL))
    if facts.holds_sensitive_personal_info:
        found.append(("sensitive_personal_info", "", SENSITIVE_PERSONAL))
    if facts.segment == "mynumber":
        found.append(("segment", facts.segment, MYNUMBER_SEGMENT))
    return found


def propose_impact(facts: AssetImpactFacts, *, levels: int = REFERENCE_LEVELS) -> Proposal:
    """Return the proposed impact on a scale of ``levels`` levels (1…levels) and why."""
    if levels < 1:
        raise ValueError("an impact scale has at least one level")
    scored = [(c, v, _scaled(ref, levels)) for c, v, ref in _criteria(facts)]
    level = max((lv for _c, _v, lv in scored), default=1)
    reasons = tuple(
        Reason(criterion=c, value=v, level=lv, decisive=lv == level)
        for c, v, lv in sorted(scored, key=lambda s: -s[2])
    )
    return Proposal(level=level, reasons=reasons)


def strictest(facts: list[AssetImpactFacts]) -> AssetImpactFacts:
    """Return facts for a group of assets: each criterion at its strictest among them."""
    if not facts:
        return AssetImpactFacts()
    best: dict[str, AssetImpactFacts] = {}
    for axis, table in (
        ("confidentiality", None),
        ("integrity", INTEGRITY),
        ("availability", AVAILABILITY),
    ):

        def score(
            f: AssetImpactFacts, axis: str = axis, table: dict[str, int] | None = table
        ) -> int:
            t = table or CONFIDENTIALITY.get(f.scheme, CONFIDENTIALITY["pre_r6"])
            return t.get(getattr(f, axis), 0)

        best[axis] = max(facts, key=score)
    top = best["confidentiality"]
    persons = [f.number_of_persons for f in facts if f.holds_personal_info and f.number_of_persons]
    return AssetImpactFacts(
        scheme=top.scheme,
        confidentiality=top.confidentiality,
        integrity=best["integrity"].integrity,
        availability=best["availability"].availability,
        holds_personal_info=any(f.holds_personal_info for f in facts),
        number_of_persons=max(persons) if persons else None,
        holds_specific_personal_info=any(f.holds_specific_personal_info for f in facts),
        holds_sensitive_personal_info=any(f.holds_sensitive_personal_info for f in facts),
        segment="mynumber" if any(f.segment == "mynumber" for f in facts) else top.segment,
    )
