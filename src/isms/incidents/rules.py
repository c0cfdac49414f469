"""Whether an incident must be reported to the 個人情報保護委員会, and by when (pure functions).

The rules are versioned data (``data/tsuru/incident_rules.yaml``): each names its trigger, its
legal source and how sure we are of it. :func:`suggest` takes the facts recorded at triage and a
:class:`RuleSet` and answers which rules fired and the deadlines of the 速報 and 確報; it never
decides: a person confirms or overrides the suggestion (``services.decide_ppc_report``).

No Django here, so that the rules can be tested alone (hypothesis) and read by a script.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "RULES_FILE",
    "Facts",
    "Rule",
    "RuleSet",
    "Suggestion",
    "load_rules",
    "suggest",
]

RULES_FILE = Path(__file__).resolve().parent.parent / "data" / "tsuru" / "incident_rules.yaml"

# Triggers the rules may name: a flag of the facts, or a threshold on the number of persons.
FLAG_TRIGGERS = frozenset(
    {
        "involves_sensitive_data",
        "risk_of_financial_damage",
        "unauthorised_purpose",
        "involves_ordinance_sensitive_data",
        "is_serious_situation",
        "involves_my_number",
    }
)


@dataclass(frozen=True)
class Facts:
    """What the CSIRT found: the inputs of the PPC rules."""

    personal_data: bool = False
    persons_affected: int = 0
    involves_sensitive_data: bool = False
    risk_of_financial_damage: bool = False
    unauthorised_purpose: bool = False
    involves_ordinance_sensitive_data: bool = False
    involves_my_number: bool = False
    is_serious_situation: bool = False


@dataclass(frozen=True)
class Rule:
    id: str
    target: str
    trigger: str
    label_ja: str
    label_en: str
    source: str
    confidence: str
    threshold: int | None = None
    requires: str | None = None

    def label(self, language: str) -> str:
        return self.label_ja if language == "ja" else self.label_en

    def fires(self, facts: Facts) -> bool:
        if self.requires and not getattr(facts, self.requires):
            return False
        if self.trigger == "persons_over":
            return facts.persons_affected > (self.threshold or 0)
        return bool(getattr(facts, self.trigger))


@dataclass(frozen=True)
class RuleSet:
    version: int
    effective_from: datetime.date
    rules: tuple[Rule, ...]
    deadlines: dict[str, Any] = field(default_factory=dict)
    other_targets: tuple[dict[str, Any], ...] = ()

    @property
    def deadlines_uncertain(self) -> bool:
        return self.deadlines.get("confidence") != "confirmed"


@dataclass(frozen=True)
class Suggestion:
    """The outcome of :func:`suggest`: whether a PPC report looks due, why, and by when."""

    required: bool
    fired: tuple[Rule, ...]
    version: int
    preliminary_due: datetime.date | None = None
    final_due: datetime.date | None = None
    deadlines_uncertain: bool = True

    @property
    def rule_ids(self) -> list[str]:
        return [r.id for r in self.fired]


class RuleError(ValueError):
    """The rule file is not usable (unknown trigger, missing field)."""


def parse_rules(data: dict[str, Any]) -> RuleSet:
    """Build a :class:`RuleSet` from the YAML's mapping, refusing unknown triggers."""
    rules = []
    for row in data.get("rules") or []:
        trigger = row.get("trigger")
        if trigger != "persons_over" and trigger not in FLAG_TRIGGERS:
            raise RuleError(f"rule {row.get('id')}: unknown trigger {trigger!r}")
        if trigger == "persons_over" and not isinstance(row.get("threshold"), int):
            raise RuleError(f"rule {row.get('id')}: persons_over needs a whole-number threshold")
        if row.get("requires") and row["requires"] not in FLAG_TRIGGERS:
            raise RuleError(f"rule {row.get('id')}: unknown requirement {row['requires']!r}")
        rules.append(
            Rule(
                id=str(row["id"]),
                target=str(row.get("target", "ppc")),
                trigger=trigger,
                label_ja=str(row.get("label_ja", "")),
                label_en=str(row.get("label_en", "")),
                source=str(row.get("source", "")),
                confidence=str(row.get("confidence", "uncertain")),
                threshold=row.get("threshold"),
                requires=row.get("requires"),
            )
        )
    effective = data.get("effective_from")
    if isinstance(effective, str):
        effective = datetime.date.fromisoformat(effective)
    return RuleSet(
        version=int(data["version"]),
        effective_from=effective or datetime.date(2000, 1, 1),
        rules=tuple(rules),
        deadlines=dict(data.get("deadlines") or {}),
        other_targets=tuple(data.get("other_targets") or ()),
    )


@cache
def load_rules(path: Path = RULES_FILE) -> RuleSet:
    """Read the rule file (cached: it changes only with a release)."""
    with path.open(encoding="utf-8") as f:
        return parse_rules(yaml.safe_load(f))


def suggest(facts: Facts, rules: RuleSet, detected_on: datetime.date | None = None) -> Suggestion:
    """Return whether a PPC report looks due under ``rules``, which rules fired, and the
    deadlines counted from ``detected_on`` (the day the municipality learned of the case)."""
    fired = tuple(
        r
        for r in rules.rules
        if r.target == "ppc"
        and (facts.personal_data or facts.involves_my_number)
        and r.fires(facts)
    )
    required = bool(fired)
    preliminary = final = None
    if required and detected_on is not None:
        d = rules.deadlines
        preliminary = detected_on + datetime.timedelta(days=int(d.get("preliminary_days", 3)))
        days = int(d.get("final_days", 30))
        if facts.unauthorised_purpose:
            days = int(d.get("final_days_unauthorised", days))
        final = detected_on + datetime.timedelta(days=days)
    return Suggestion(
        required=required,
        fired=fired,
        version=rules.version,
        preliminary_due=preliminary,
        final_due=final,
        deadlines_uncertain=rules.deadlines_uncertain,
    )
