"""The vendor-neutral rule set: what every parser produces and every engine reads.

A :class:`Ruleset` is a set of tables of chains of first-match :class:`Rule` s, plus the
:class:`Stage` s that attach base chains to the netfilter hooks a forwarded packet crosses
(PREROUTING → FORWARD → POSTROUTING), in priority order. Conditions of a rule are a conjunction;
each condition is a small frozen value that both the BDD compiler (``compile.py``) and the
packet-by-packet evaluator (``evaluate.py``) interpret.
"""

from __future__ import annotations

import enum
import fnmatch
from dataclasses import dataclass, field

__all__ = [
    "FIELD_WIDTH",
    "AnyOf",
    "Chain",
    "Condition",
    "ConfiguredInterface",
    "ConfiguredRoute",
    "Const",
    "Field",
    "FlagsMatch",
    "Hook",
    "IgnoredSection",
    "InterfaceMatch",
    "Jump",
    "Nat",
    "Outcome",
    "RangeMatch",
    "Rule",
    "Ruleset",
    "SourceLocation",
    "Stage",
    "StageKind",
    "StateMatch",
    "Verdict",
]


class Field(enum.Enum):
    """A packet header field the verifier reasons about."""

    SRC = "src"
    DST = "dst"
    PROTO = "proto"
    SPORT = "sport"
    DPORT = "dport"
    ICMP_TYPE = "icmp_type"
    ICMP_CODE = "icmp_code"


FIELD_WIDTH = {
    Field.SRC: 32,
    Field.DST: 32,
    Field.PROTO: 8,
    Field.SPORT: 16,
    Field.DPORT: 16,
    Field.ICMP_TYPE: 8,
    Field.ICMP_CODE: 8,
}

CONN_STATES = ("new", "established", "related", "invalid", "untracked")
TCP_FLAGS = ("fin", "syn", "rst", "psh", "ack", "urg", "ecn", "cwr")
# The first packet of a new TCP connection carries SYN and nothing else (RFC 9293 §3.5).
FIRST_PACKET_FLAGS = frozenset({"syn"})


class Hook(enum.IntEnum):
    """Netfilter hooks; a forwarded packet crosses PREROUTING, FORWARD, POSTROUTING."""

    PREROUTING = 0
    INPUT = 1
    FORWARD = 2
    OUTPUT = 3
    POSTROUTING = 4


class StageKind(enum.Enum):
    """A filter stage accepts or drops; a NAT stage rewrites addresses of new connections."""

    FILTER = "filter"
    NAT = "nat"


class Verdict(enum.Enum):
    """Terminal decisions of a rule or chain policy."""

    ACCEPT = "accept"
    DROP = "drop"
    REJECT = "reject"
    RETURN = "return"


@dataclass(frozen=True)
class SourceLocation:
    """Where a rule came from: file, 1-based line, the line's text, and a vendor reference."""

    source: str
    line: int
    text: str
    ref: str = ""


@dataclass(frozen=True)
class RangeMatch:
    """The field's value lies in one of ``ranges`` (inclusive), or not, when ``negated``."""

    field: Field
    ranges: tuple[tuple[int, int], ...]
    negated: bool = False

    def holds(self, value: int) -> bool:
        """Return whether a concrete field value satisfies the condition."""
        inside = any(lo <= value <= hi for lo, hi in self.ranges)
        return inside != self.negated


@dataclass(frozen=True)
class AnyOf:
    """At least one of the range conditions holds (``multiport --ports``: source or destination)."""

    options: tuple[RangeMatch, ...]
    negated: bool = False


@dataclass(frozen=True)
class InterfaceMatch:
    """The packet's input (``in``) or output (``out``) interface name matches one of ``names``.

    Names follow iptables (``eth+`` is a prefix wildcard) or nftables (``eth*``) conventions.
    """

    direction: str
    names: tuple[str, ...]
    negated: bool = False

    def holds(self, name: str | None) -> bool:
        """Return whether an interface name (None: no interface at this hook) satisfies it."""
        inside = name is not None and any(_name_matches(pattern, name) for pattern in self.names)
        return inside != self.negated


def _name_matches(pattern: str, name: str) -> bool:
    if pattern.endswith("+"):
        return name.startswith(pattern[:-1])
    if "*" in pattern or "?" in pattern or "[" in pattern:
        return fnmatch.fnmatchcase(name, pattern)
    return name == pattern


@dataclass(frozen=True)
class StateMatch:
    """The connection-tracking state is one of ``states`` (``new``, ``established``, ...)."""

    states: frozenset[str]
    negated: bool = False

    def holds(self, state: str) -> bool:
        """Return whether a concrete state satisfies the condition."""
        return (state in self.states) != self.negated


@dataclass(frozen=True)
class FlagsMatch:
    """TCP flags: ``(flags & mask) == comparison``; evaluated on the first packet (SYN only)."""

    mask: frozenset[str]
    comparison: frozenset[str]
    negated: bool = False

    def holds(self, flags: frozenset[str] = FIRST_PACKET_FLAGS) -> bool:
        """Return whether a packet with ``flags`` satisfies the condition."""
        return ((flags & self.mask) == self.comparison) != self.negated


@dataclass(frozen=True)
class Const:
    """A condition that always (``True``) or never holds, e.g. a match on IPv6 headers."""

    value: bool
    reason: str = ""


Condition = RangeMatch | AnyOf | InterfaceMatch | StateMatch | FlagsMatch | Const


@dataclass(frozen=True)
class Jump:
    """Continue in another chain; ``goto`` does not come back to this chain."""

    chain: str
    goto: bool = False


@dataclass(frozen=True)
class Nat:
    """Rewrite a new connection: ``dnat``, ``snat``, ``masquerade`` or ``redirect``.

    ``addresses`` and ``ports`` are inclusive ranges; None keeps the field (masquerade takes
    the outgoing interface's address, redirect the incoming interface's address).
    """

    kind: str
    addresses: tuple[int, int] | None = None
    ports: tuple[int, int] | None = None


Outcome = Verdict | Jump | Nat


@dataclass(frozen=True)
class Rule:
    """One rule: all ``conditions`` hold → ``action``; no action means the rule only counts."""

    conditions: tuple[Condition, ...]
    action: Outcome | None
    location: SourceLocation
    comment: str = ""


@dataclass(frozen=True)
class Chain:
    """An ordered list of rules; a base chain has a policy, a user chain returns at its end."""

    table: str
    name: str
    rules: tuple[Rule, ...]
    policy: Verdict | None
    location: SourceLocation


@dataclass(frozen=True)
class Stage:
    """A base chain attached to a hook at a priority; lower priorities run first."""

    hook: Hook
    priority: int
    kind: StageKind
    table: str
    chain: str


@dataclass(frozen=True)
class IgnoredSection:
    """Input that cannot change forwarding and was skipped, so the report can list it."""

    source: str
    lines: tuple[int, ...]
    reason: str
    example: str


@dataclass(frozen=True)
class ConfiguredInterface:
    """An interface as a vendor configuration declares it (not every format has these).

    ``address``/``prefix_length`` are None for an interface without an IPv4 address;
    ``zone`` is the vendor's own zone name (FortiOS/PAN-OS zones, ASA ``nameif``), if any.
    """

    name: str
    address: int | None
    prefix_length: int | None
    zone: str
    location: SourceLocation


@dataclass(frozen=True)
class ConfiguredRoute:
    """A static route as a vendor configuration declares it."""

    prefix: tuple[int, int]
    via: int | None
    interface: str | None
    location: SourceLocation


@dataclass(frozen=True)
class Ruleset:
    """Everything read from one rule-set file.

    ``interfaces`` and ``routes`` are what a full device configuration (FortiOS, PAN-OS,
    Cisco) declares besides its rules; rule-only formats (iptables, nftables) leave them empty.
    ``assumptions`` are readings a parser had to make that the report must state, e.g. an
    application-based rule taken as matching every port of its service.
    """

    source: str
    format: str
    chains: dict[tuple[str, str], Chain] = field(hash=False)
    stages: tuple[Stage, ...]
    ignored: tuple[IgnoredSection, ...] = ()
    interfaces: tuple[ConfiguredInterface, ...] = ()
    routes: tuple[ConfiguredRoute, ...] = ()
    assumptions: tuple[str, ...] = ()

    def chain(self, table: str, name: str) -> Chain:
        """Return a chain by table and name (parsers guarantee every jump target exists)."""
        return self.chains[(table, name)]

    def stages_at(self, hook: Hook) -> tuple[Stage, ...]:
        """Return the stages of a hook in the order the kernel runs them."""
        return tuple(sorted((s for s in self.stages if s.hook is hook), key=lambda s: s.priority))

    def rule_count(self) -> int:
        """Return the number of rules in all chains."""
        return sum(len(chain.rules) for chain in self.chains.values())
