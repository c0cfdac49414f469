"""What :func:`isms.segments.verify` and :func:`isms.segments.explain` return: frozen values.

Every field is plain data (strings, numbers, tuples, enums) so that a web adapter can turn a
:class:`Report` into rows, and ``report.py`` into text or JSON, without knowing about BDDs.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

__all__ = [
    "ConfigReading",
    "ExceptionStatus",
    "ExplainedHop",
    "ExplainedPath",
    "ExplainedStep",
    "Explanation",
    "FlowSpace",
    "Hop",
    "IgnoredItem",
    "NatStep",
    "PathViolation",
    "Report",
    "RuleFinding",
    "RuleRef",
    "SegmentPairVerdict",
]


@dataclass(frozen=True)
class RuleRef:
    """A rule (or a chain's policy) on a device, by file and line."""

    device: str
    source: str
    line: int
    text: str
    chain: str
    policy: str = ""
    """Non-empty when the chain's policy decided (``accept`` or ``drop``), not a rule."""


@dataclass(frozen=True)
class NatStep:
    """An address translation applied on the way."""

    device: str
    kind: str
    to: str
    rule: RuleRef


@dataclass(frozen=True)
class Hop:
    """One device on a violating path and the rules that let the flow through it."""

    device: str
    in_interface: str
    out_interface: str
    rules: tuple[RuleRef, ...]
    nat: tuple[NatStep, ...] = ()


@dataclass(frozen=True)
class FlowSpace:
    """The packets of a flow class, field by field (a summary; ``exact`` when it is a product)."""

    sources: tuple[str, ...]
    destinations: tuple[str, ...]
    original_destinations: tuple[str, ...]
    protocols: tuple[str, ...]
    ports: tuple[str, ...]
    original_ports: tuple[str, ...]
    source_ports: tuple[str, ...]
    exact: bool
    example: str


@dataclass(frozen=True)
class PathViolation:
    """A class of new connections the policy forbids but the firewalls let through."""

    source_zone: str
    source_segment: str
    destination_zone: str
    destination_segment: str
    rule: str
    """The matrix cell broken: ``deny``, ``crossing_only``, ``security_cloud``, ..."""
    flows: FlowSpace
    path: tuple[Hop, ...]
    nat_applied: bool


@dataclass(frozen=True)
class SegmentPairVerdict:
    """The proof (or not) for one ordered pair of segments."""

    source_segment: str
    destination_segment: str
    rule: str
    compliant: bool
    reachable: bool
    """Whether any new connection between them gets through at all."""
    violations: int
    via_exceptions: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExceptionStatus:
    """An exception of the register and what the verification found about it."""

    id: str
    expires: datetime.date
    expired: bool
    used: bool
    approver: str
    reason: str


@dataclass(frozen=True)
class RuleFinding:
    """A rule that never decides anything (``shadowed``), that changes nothing
    (``redundant``), or that can never match on its device (``unmatchable``)."""

    kind: str
    rule: RuleRef
    by: tuple[RuleRef, ...]
    reason: str


@dataclass(frozen=True)
class IgnoredItem:
    """Input skipped because it cannot change forwarding (logging, counters, IPv6 ...)."""

    device: str
    source: str
    lines: tuple[int, ...]
    reason: str
    example: str


@dataclass(frozen=True)
class ConfigReading:
    """A reading a parser had to make of a device's configuration (an application-based rule
    taken by its ports, an undefined access list taken as permitting, ...), in English."""

    device: str
    text: str


@dataclass(frozen=True)
class Report:
    """The result of verifying a network model."""

    model: str
    policy_model: str
    backend: str
    assumptions: tuple[str, ...]
    compliant: bool
    violations: tuple[PathViolation, ...]
    pairs: tuple[SegmentPairVerdict, ...]
    exceptions: tuple[ExceptionStatus, ...]
    rule_findings: tuple[RuleFinding, ...]
    ignored: tuple[IgnoredItem, ...]
    devices: int
    rules: int
    truncated: bool
    """True when more violating paths existed than were listed (the pair verdicts stay exact)."""
    today: datetime.date
    readings: tuple[ConfigReading, ...] = ()
    """What the parsers assumed of the configurations; the proof holds under these readings."""


@dataclass(frozen=True)
class ExplainedStep:
    """One stage of one device for the explained flow."""

    stage: str
    outcome: str
    rules: tuple[RuleRef, ...]


@dataclass(frozen=True)
class ExplainedHop:
    """One device on the explained path."""

    device: str
    in_interface: str
    out_interface: str
    route: str
    steps: tuple[ExplainedStep, ...]
    packet_in: str
    packet_out: str


@dataclass(frozen=True)
class ExplainedPath:
    """One (equal-cost) path of the explained flow and how it ends."""

    hops: tuple[ExplainedHop, ...]
    disposition: str
    destination_zone: str
    final_packet: str
    verdict: str
    """``allowed``, ``violation`` or ``blocked`` (never delivered)."""
    rule: str


@dataclass(frozen=True)
class Explanation:
    """The answer of :func:`isms.segments.explain` for one flow."""

    flow: str
    source_zone: str
    source_segment: str
    paths: tuple[ExplainedPath, ...]
