"""Scopes: the values each header field takes in a flow set, to skip rules that match none of it.

A device of a large network sees only part of the header space: a branch firewall's rule base
names hosts of every branch, but the packets that reach it start or end in its own branch. A
:class:`Scope` is the *box* around a flow set: for every header field, the intervals of values
the field takes somewhere in the set (its projection). A rule with a condition that no value of
the box satisfies (``-s 10.7.1.2`` when every source lies in ``10.3.0.0/16``) matches no packet
of the set, so a chain folded without it decides every packet of the box exactly as the whole
chain does (``compile.ChainFolder.stage(stage, scope)``); outside the box the result means
nothing, and the engine only uses it on flow sets the box covers (``flows <= scope.node``).

Only range conditions (addresses, ports, protocol, ICMP type and code) are tested; every other
condition counts as "may match", which costs time, never results.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from isms.segments._bdd import Node
from isms.segments.rules import FIELD_WIDTH, AnyOf, Chain, Condition, Field, RangeMatch
from isms.segments.space import Space

__all__ = [
    "FIELDS",
    "MAX_INTERVALS",
    "RuleIndex",
    "Scope",
    "candidates",
    "intervals",
    "may_match",
    "scope_of",
]

FIELDS = (
    Field.PROTO,
    Field.ICMP_TYPE,
    Field.ICMP_CODE,
    Field.SRC,
    Field.DST,
    Field.SPORT,
    Field.DPORT,
)
_POSITION = {f: i for i, f in enumerate(FIELDS)}
MAX_INTERVALS = 1024
"""A projection with more intervals than this counts as the whole field (a coarser box)."""

Intervals = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Scope:
    """Per field of :data:`FIELDS`, sorted disjoint inclusive intervals; ``node`` is the box."""

    fields: tuple[Intervals, ...]
    node: Node = field(compare=False, hash=False)

    def of(self, field_: Field) -> Intervals:
        """Return the intervals of one field."""
        return self.fields[_POSITION[field_]]


class _TooMany(Exception):
    """The projection has more than :data:`MAX_INTERVALS` intervals."""


def intervals(space: Space, u: Node, field_: Field, copy: str = "c") -> Intervals:
    """Return the values of ``field_`` (copy ``o`` or ``c``) that ``u`` allows, as intervals.

    ``u`` must depend on that field's variables only (a projection). More than
    :data:`MAX_INTERVALS` intervals give the whole field.
    """
    names = space.bits(field_, copy)
    width = len(names)
    walk = _Walk(space, {space.bdd.level_of_var(name): bit for bit, name in enumerate(names)})
    try:
        return tuple(walk.run(u, 0, width))
    except _TooMany:
        return ((0, (1 << width) - 1),)


class _Walk:
    """Read a projection's intervals off its BDD, most significant bit first (no closures, so
    no reference cycle keeps BDD nodes alive after the walk)."""

    def __init__(self, space: Space, bits: dict[int, int]):
        self.false, self.true = space.false, space.true
        self.bits = bits  # level → bit position in the field
        self.memo: dict[tuple[Node, int], list[tuple[int, int]]] = {}

    def run(self, node: Node, depth: int, width: int) -> list[tuple[int, int]]:
        if node == self.false:
            return []
        size = 1 << (width - depth)
        if node == self.true:
            return [(0, size - 1)]
        key = (node, depth)
        cached = self.memo.get(key)
        if cached is not None:
            return cached
        half = size >> 1
        if self.bits[node.level] > depth:  # this bit is free: both halves alike
            low = high = self.run(node, depth + 1, width)
        else:
            low_node, high_node = node.low, node.high
            if node.negated:
                low_node, high_node = ~low_node, ~high_node
            low = self.run(low_node, depth + 1, width)
            high = self.run(high_node, depth + 1, width)
        out = list(low)
        for lo, hi in high:
            if out and out[-1][1] + 1 == lo + half:
                out[-1] = (out[-1][0], hi + half)
            else:
                out.append((lo + half, hi + half))
        if len(out) > MAX_INTERVALS:
            raise _TooMany
        self.memo[key] = out
        return out


def scope_of(space: Space, flows: Node) -> Scope:
    """Return the box around a flow set: per field, the values its current header takes."""
    per_field: list[Intervals] = []
    node = space.true
    # Quantify the variables no rule reads (origin, marks, the header as sent) once, then each
    # field's projection comes from that smaller BDD.
    header = space.exist(space.unread_vars(), flows)
    for field_ in FIELDS:
        projected = space.project_header(field_, header)
        found = intervals(space, projected, field_)
        per_field.append(found)
        if found != ((0, (1 << FIELD_WIDTH[field_]) - 1),):
            # The projection is exactly these intervals unless it had too many of them (then
            # the box leaves the field free).
            node = node & projected
    return Scope(tuple(per_field), node)


def _overlaps(ranges: Sequence[tuple[int, int]], box: Intervals) -> bool:
    """Return whether some value lies in one of ``ranges`` and in ``box`` (sorted, disjoint)."""
    for lo, hi in ranges:
        # The first box interval ending at or after lo (box is sorted by start and by end).
        index = bisect_right(box, (lo, -1))
        if index > 0 and box[index - 1][1] >= lo:
            return True
        if index < len(box) and box[index][0] <= hi:
            return True
    return False


def _covers(ranges: Sequence[tuple[int, int]], box: Intervals) -> bool:
    """Return whether every value of ``box`` lies in ``ranges``."""
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    for lo, hi in box:
        index = bisect_right(merged, (lo, 1 << 32)) - 1
        if index < 0 or merged[index][1] < hi:
            return False
    return True


def may_match(condition: Condition, scope: Scope) -> bool:
    """Return False only when no packet of the scope's box satisfies ``condition``."""
    if isinstance(condition, RangeMatch):
        box = scope.of(condition.field)
        if condition.negated:
            return not _covers(condition.ranges, box)
        return _overlaps(condition.ranges, box)
    if isinstance(condition, AnyOf) and not condition.negated:
        return any(may_match(option, scope) for option in condition.options)
    return True


def candidates(chain: Chain, scope: Scope) -> list[int]:
    """Return, in order, the indexes of the chain's rules that may match a packet of the box."""
    return _check(chain, range(len(chain.rules)), scope)


def _check(chain: Chain, indexes: Iterable[int], scope: Scope) -> list[int]:
    seen: dict[int, bool] = {}
    out: list[int] = []
    rules = chain.rules
    for index in indexes:
        for condition in rules[index].conditions:
            verdict = seen.get(id(condition))
            if verdict is None:
                verdict = seen[id(condition)] = may_match(condition, scope)
            if not verdict:
                break
        else:
            out.append(index)
    return out


MIN_INDEXED = 64
"""Chains with fewer rules are scanned rule by rule."""


class RuleIndex:
    """The rules of one chain by the source and destination ranges they name, to find the few
    that may match a box without testing every rule (same answer as :func:`candidates`)."""

    def __init__(self, chain: Chain):
        self.chain = chain
        self.fields: list[_FieldIndex] = []
        if len(chain.rules) < MIN_INDEXED:
            return
        # A rule's key on a field: its first plain (not negated) range condition there.
        sources: list[RangeMatch | None] = []
        destinations: list[RangeMatch | None] = []
        for rule in chain.rules:
            source = destination = None
            for condition in rule.conditions:
                if type(condition) is RangeMatch and not condition.negated:
                    if condition.field is Field.SRC:
                        source = source or condition
                    elif condition.field is Field.DST:
                        destination = destination or condition
            sources.append(source)
            destinations.append(destination)
        self.fields = [_FieldIndex(Field.SRC, sources), _FieldIndex(Field.DST, destinations)]

    def candidates(self, scope: Scope) -> list[int]:
        """Return, in order, the indexes of the rules that may match a packet of the box."""
        best: _FieldIndex | None = None
        best_size = 0
        for index in self.fields:
            size = sum(hi - lo + 1 for lo, hi in scope.of(index.field))
            if best is None or size < best_size:
                best, best_size = index, size
        if best is None or best_size >> FIELD_WIDTH[best.field]:  # the whole field: no help
            return candidates(self.chain, scope)
        return _check(self.chain, sorted(best.lookup(scope.of(best.field))), scope)


class _FieldIndex:
    """For one field: per size class, the rules' ranges sorted by start; and the rules that do
    not restrict the field (always candidates)."""

    def __init__(self, field_: Field, keys: list[RangeMatch | None]):
        self.field = field_
        self.free: list[int] = []
        classes: dict[int, list[tuple[int, int, int]]] = {}
        self.count = 0
        for index, key in enumerate(keys):
            if key is None:
                self.free.append(index)
                continue
            for lo, hi in key.ranges:
                classes.setdefault((hi - lo).bit_length(), []).append((lo, hi, index))
                self.count += 1
        self.classes: list[tuple[int, list[int], list[tuple[int, int, int]]]] = []
        for size, entries in sorted(classes.items()):
            entries.sort()
            self.classes.append(((1 << size) - 1, [e[0] for e in entries], entries))

    def lookup(self, box: Intervals) -> set[int]:
        """Return the rules whose range on the field meets the box, and the free ones."""
        hits = set(self.free)
        if len(box) * len(self.classes) > self.count:  # many box intervals: scan the ranges
            for _, _, entries in self.classes:
                for lo, hi, index in entries:
                    if _overlaps(((lo, hi),), box):
                        hits.add(index)
            return hits
        for span, starts, entries in self.classes:
            # A range [lo, hi] of this class (hi - lo <= span) meets [qlo, qhi] only if
            # qlo - span <= lo <= qhi, and then exactly when hi >= qlo.
            for qlo, qhi in box:
                for j in range(bisect_left(starts, qlo - span), bisect_right(starts, qhi)):
                    if entries[j][1] >= qlo:
                        hits.add(entries[j][2])
        return hits
