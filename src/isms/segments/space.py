"""The symbolic header space: BDD variables for every field a flow carries, in a fixed order.

A flow set is a Boolean function over these variables:

- ``z*``: the zone the connection started in (an index);
- ``tsc``: the flow has crossed a security-cloud device;
- ``st*``: the connection-tracking state;
- ``i*`` / ``e*``: input and output interface of the device being compiled (index 0 = none);
- ``p*`` protocol, ``t*`` ICMP type, ``k*`` ICMP code;
- ``o_<f>*`` and ``c_<f>*`` for src, dst, sport, dport: the header as the source sent it (``o``)
  and as it is now (``c``), after any NAT on the way. The two copies are interleaved bit by bit
  so that "unchanged" (``o == c``) stays small.

Bits are most significant first; the order is fixed (reordering is off).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache

from isms.segments._bdd import Manager, Node, new_manager
from isms.segments.addresses import range_to_prefixes
from isms.segments.rules import CONN_STATES, FIELD_WIDTH, Field

__all__ = ["IFACE_BITS", "NAT_FIELDS", "Space"]

IFACE_BITS = 6
STATE_BITS = 3
NAT_FIELDS = (Field.SRC, Field.DST, Field.SPORT, Field.DPORT)
# Declaration order of the NAT-able fields. Measured on generated 2,000-rule bases (see
# benchmarks/segments): addresses first folds and walks chains 3 to 30 times faster than ports
# first.
_ORDER = (Field.SRC, Field.DST, Field.SPORT, Field.DPORT)
_SHORT = {
    Field.PROTO: "p",
    Field.ICMP_TYPE: "t",
    Field.ICMP_CODE: "k",
    Field.SRC: "src",
    Field.DST: "dst",
    Field.SPORT: "sport",
    Field.DPORT: "dport",
}


class Space:
    """Variables and predicate builders over one BDD manager."""

    def __init__(self, *, zone_count: int, order: tuple[Field, ...] | None = None):
        self.bdd: Manager = new_manager()
        self.zone_bits = max(1, (max(zone_count, 1) - 1).bit_length())
        names: list[str] = [f"z{i}" for i in range(self.zone_bits)]
        names.append("tsc")
        names += [f"st{i}" for i in range(STATE_BITS)]
        names += [f"i{i}" for i in range(IFACE_BITS)]
        names += [f"e{i}" for i in range(IFACE_BITS)]
        for field in (Field.PROTO, Field.ICMP_TYPE, Field.ICMP_CODE):
            names += list(self.bits(field))
        self.order = order or _ORDER
        for field in self.order:
            for o_bit, c_bit in zip(self.bits(field, "o"), self.bits(field, "c"), strict=True):
                names += [o_bit, c_bit]
        self.bdd.declare(*names)
        self.names: tuple[str, ...] = tuple(names)
        self._levels = {field: names.index(self.bits(field)[0]) for field in Field}
        self.true: Node = self.bdd.true
        self.false: Node = self.bdd.false
        self._ranges: dict[tuple[Field, str, tuple[tuple[int, int], ...]], Node] = {}
        self._identity: Node | None = None
        self._chunks: dict[tuple[tuple[str, ...], int], Node] = {}
        self._others: dict[Field | None, list[str]] = {}

    # -- variable names ---------------------------------------------------------------------

    @staticmethod
    @cache
    def bits(field: Field, copy: str = "c") -> tuple[str, ...]:
        """Return a field's variable names, most significant bit first."""
        width = FIELD_WIDTH[field]
        if field in NAT_FIELDS:
            return tuple(f"{copy}_{_SHORT[field]}{i}" for i in range(width))
        return tuple(f"{_SHORT[field]}{i}" for i in range(width))

    def level(self, field: Field) -> int:
        """Return the level of a field's most significant ``c`` bit (0 is the top)."""
        return self._levels[field]

    def zone_vars(self) -> list[str]:
        """Return the origin-zone variables."""
        return [f"z{i}" for i in range(self.zone_bits)]

    @staticmethod
    def iface_vars(direction: str) -> list[str]:
        """Return the input (``in``) or output (``out``) interface variables."""
        prefix = "i" if direction == "in" else "e"
        return [f"{prefix}{i}" for i in range(IFACE_BITS)]

    @staticmethod
    def state_vars() -> list[str]:
        """Return the connection-state variables."""
        return [f"st{i}" for i in range(STATE_BITS)]

    def current_vars(self) -> list[str]:
        """Return every ``c_*`` variable (the header as it is now) of NAT-able fields."""
        return [name for field in NAT_FIELDS for name in self.bits(field, "c")]

    # -- predicates -------------------------------------------------------------------------

    def number(self, names: Sequence[str], value: int) -> Node:
        """Return the cube where the bits ``names`` (MSB first) spell ``value``.

        Cubes are built from cached chunks of up to 8 bits, so the many prefixes of a large
        rule base share their work.
        """
        result = self.true
        # Lowest chunk first: a conjunction copies only its upper operand's path onto the lower
        # one, so building bottom-up creates each node of the cube once.
        for start in reversed(range(0, len(names), 8)):
            chunk = tuple(names[start : start + 8])
            shift = len(names) - start - len(chunk)
            part = (value >> shift) & ((1 << len(chunk)) - 1)
            key = (chunk, part)
            cube = self._chunks.get(key)
            if cube is None:
                cube = self._cube(chunk, part)
                self._chunks[key] = cube
            result = cube & result
        return result

    def _cube(self, names: Sequence[str], value: int) -> Node:
        width = len(names)
        return self.bdd.cube(
            {name: bool((value >> (width - 1 - i)) & 1) for i, name in enumerate(names)}
        )

    def ranges(self, field: Field, ranges: Iterable[tuple[int, int]], copy: str = "c") -> Node:
        """Return the set where ``field`` (copy ``o`` or ``c``) lies in one of ``ranges``."""
        key = (field, copy, tuple(ranges))
        cached = self._ranges.get(key)
        if cached is not None:
            return cached
        names = self.bits(field, copy)
        width = len(names)
        result = self.false
        for lo, hi in key[2]:
            for start, length in range_to_prefixes(lo, hi, width):
                prefix_bits = names[:length]
                if length == 0:
                    result = self.true
                else:
                    result = result | self.number(prefix_bits, start >> (width - length))
        self._ranges[key] = result
        return result

    def value(self, field: Field, value: int, copy: str = "c") -> Node:
        """Return the set where ``field`` equals ``value``."""
        return self.ranges(field, ((value, value),), copy)

    def identity(self) -> Node:
        """Return ``o == c`` on every NAT-able field: a header no NAT has touched."""
        if self._identity is None:
            result = self.true
            for field in reversed(self.order):
                for o_bit, c_bit in reversed(
                    list(zip(self.bits(field, "o"), self.bits(field, "c"), strict=True))
                ):
                    o, c = self.bdd.var(o_bit), self.bdd.var(c_bit)
                    result = self.bdd.ite(o, c & result, ~c & result)
            self._identity = result
        return self._identity

    def zone(self, index: int) -> Node:
        """Return the set of flows that started in the zone with this index."""
        return self.number(self.zone_vars(), index)

    def state(self, name: str) -> Node:
        """Return the set of packets in connection state ``name``."""
        return self.number(self.state_vars(), CONN_STATES.index(name))

    def iface(self, direction: str, index: int) -> Node:
        """Return the set where the input or output interface has this index (0: none)."""
        return self.number(self.iface_vars(direction), index)

    def iface_assignment(self, iif: int, oif: int) -> dict[str, bool]:
        """Return the variable assignment that fixes both interfaces (for ``let``)."""
        out: dict[str, bool] = {}
        for direction, index in (("in", iif), ("out", oif)):
            names = self.iface_vars(direction)
            for i, name in enumerate(names):
                out[name] = bool((index >> (IFACE_BITS - 1 - i)) & 1)
        return out

    def tsc(self) -> Node:
        """Return the set of flows that crossed a security-cloud device."""
        return self.bdd.var("tsc")

    def exist(self, names: Iterable[str], u: Node) -> Node:
        """Existentially quantify ``names`` away."""
        return self.bdd.exist(list(names), u)

    def unread_vars(self) -> list[str]:
        """Return the variables that are not header fields as they are now: origin zone,
        security-cloud mark, state, interfaces and the ``o_*`` copies."""
        others = self._others.get(None)
        if others is None:
            keep = {name for field in Field for name in self.bits(field, "c")}
            others = self._others[None] = [n for n in self.names if n not in keep]
        return others

    def project_header(self, field: Field, header: Node) -> Node:
        """Return the values ``field`` takes in ``header``, a set over the current header alone
        (:meth:`unread_vars` quantified away): only the other current fields are quantified."""
        others = self._others.get(field)
        if others is None:
            keep = set(self.bits(field, "c"))
            others = [name for f in Field for name in self.bits(f, "c") if name not in keep]
            self._others[field] = others
        return self.bdd.exist(others, header)
