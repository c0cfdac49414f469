"""Read flow sets back as people read them: prefixes, protocols, port ranges, an example packet."""

from __future__ import annotations

from collections.abc import Sequence

from isms.segments._bdd import Node
from isms.segments.addresses import format_address, format_prefix, prefix_range
from isms.segments.parsers.names import PORT_PROTOCOLS, protocol_name
from isms.segments.result import FlowSpace
from isms.segments.rules import FIELD_WIDTH, Field
from isms.segments.space import NAT_FIELDS, Space

__all__ = ["decode", "field_blocks", "summarize"]

MAX_BLOCKS = 64
MAX_SHOWN = 12


def field_blocks(
    space: Space, u: Node, field: Field, copy: str = "c"
) -> tuple[list[tuple[int, int]], bool]:
    """Return the aligned blocks ``(start, length)`` of a field's values in ``u``, and whether the
    list was cut at :data:`MAX_BLOCKS`."""
    names = space.bits(field, copy)
    keep = set(names)
    projected = space.exist([n for n in space.names if n not in keep], u)
    width = FIELD_WIDTH[field]
    out: list[tuple[int, int]] = []
    truncated = False
    stack: list[tuple[Node, int, int]] = [(projected, 0, 0)]
    bdd = space.bdd
    while stack:
        node, depth, prefix = stack.pop()
        if node == space.false:
            continue
        if node == space.true:
            out.append((prefix << (width - depth), depth))
            continue
        if len(out) >= MAX_BLOCKS:
            truncated = True
            break
        name = names[depth]
        stack.append((bdd.let({name: True}, node), depth + 1, (prefix << 1) | 1))
        stack.append((bdd.let({name: False}, node), depth + 1, prefix << 1))
    out.sort()
    return out, truncated


def _ranges(blocks: list[tuple[int, int]], width: int) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, length in blocks:
        end = start + (1 << (width - length)) - 1
        if merged and merged[-1][1] + 1 == start:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _shown(items: list[str], truncated: bool) -> tuple[str, ...]:
    if len(items) > MAX_SHOWN:
        extra = len(items) - MAX_SHOWN
        return (*items[:MAX_SHOWN], f"... ({extra} more)")
    return (*items, "...") if truncated else tuple(items)


def _cover(space: Space, u: Node, names: Sequence[str]) -> tuple[int, int]:
    """Return the longest prefix ``(start, length)`` that contains every value of ``u``."""
    prefix, depth = 0, 0
    while depth < len(names) and u != space.true:
        low = space.bdd.let({names[depth]: False}, u)
        high = space.bdd.let({names[depth]: True}, u)
        if low == space.false:
            prefix, u = (prefix << 1) | 1, high
        elif high == space.false:
            prefix, u = prefix << 1, low
        else:
            break
        depth += 1
    return prefix << (len(names) - depth), depth


def addresses(space: Space, u: Node, field: Field, copy: str) -> tuple[str, ...]:
    """Return the prefixes of an address field (``any`` for everything).

    A prefix with a few holes (a zone minus its gateway's address, the Internet minus the
    municipality's own ranges) reads better as "prefix except holes" than as the many prefixes
    that tile it.
    """
    names = space.bits(field, copy)
    keep = set(names)
    projected = space.exist([n for n in space.names if n not in keep], u)
    blocks, truncated = field_blocks(space, projected, field, copy)
    if blocks == [(0, 0)]:
        return ("any",)
    if len(blocks) > 3:
        start, length = _cover(space, projected, names)
        cover = space.ranges(field, (prefix_range(start, length),), copy)
        holes, holes_cut = field_blocks(space, cover & ~projected, field, copy)
        if not holes_cut and len(holes) <= 8 and (truncated or len(holes) < len(blocks)):
            cover_text = "any" if length == 0 else format_prefix(start, length)
            excluded = ", ".join(
                format_prefix(s, n) if n < 32 else format_address(s) for s, n in holes
            )
            return (f"{cover_text} except {excluded}",)
    return _shown([format_prefix(start, length) for start, length in blocks], truncated)


def ports(space: Space, u: Node, field: Field, copy: str) -> tuple[str, ...]:
    """Return a port field's ranges (``any`` for every port)."""
    blocks, truncated = field_blocks(space, u, field, copy)
    ranges = _ranges(blocks, 16)
    if ranges == [(0, 65535)]:
        return ("any",)
    return _shown([str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ranges], truncated)


def protocols(space: Space, u: Node) -> tuple[str, ...]:
    """Return the protocol names of a flow set (``any`` for every protocol)."""
    blocks, truncated = field_blocks(space, u, Field.PROTO)
    ranges = _ranges(blocks, 8)
    if ranges == [(0, 255)]:
        return ("any",)
    names = [protocol_name(v) for lo, hi in ranges for v in range(lo, hi + 1)]
    return _shown(names, truncated)


def decode(space: Space, assignment: dict[str, bool], field: Field, copy: str = "c") -> int:
    """Return a field's value in a variable assignment (missing bits count as 0)."""
    value = 0
    for name in space.bits(field, copy):
        value = (value << 1) | int(assignment.get(name, False))
    return value


def summarize(space: Space, flows: Node) -> FlowSpace:
    """Describe a flow class for a report."""
    port_protocols = space.ranges(Field.PROTO, tuple((p, p) for p in sorted(PORT_PROTOCOLS)))
    with_ports = flows & port_protocols
    has_ports = with_ports != space.false
    final = ports(space, with_ports, Field.DPORT, "c") if has_ports else ()
    original = ports(space, with_ports, Field.DPORT, "o") if has_ports else ()
    sources = addresses(space, flows, Field.SRC, "o")
    destinations = addresses(space, flows, Field.DST, "c")
    original_destinations = addresses(space, flows, Field.DST, "o")
    source_ports = ports(space, with_ports, Field.SPORT, "o") if has_ports else ()
    protocol_names = protocols(space, flows)
    product = space.true
    for field in NAT_FIELDS:
        keep = set(space.bits(field, "o"))
        product = product & space.exist([n for n in space.names if n not in keep], flows)
    keep = set(space.bits(Field.PROTO))
    product = product & space.exist([n for n in space.names if n not in keep], flows)
    original_side = space.exist([*space.current_vars(), "tsc"], flows)
    original_side = space.exist(
        space.bits(Field.ICMP_TYPE) + space.bits(Field.ICMP_CODE), original_side
    )
    original_side = space.exist(space.state_vars() + space.zone_vars(), original_side)
    exact = product == original_side
    example = ""
    sample = flows
    for preferred in (6, 17, 1):
        narrowed = flows & space.value(Field.PROTO, preferred)
        if narrowed != space.false:
            sample = narrowed
            break
    # Prefer an ephemeral source port and host-looking addresses (odd last bit) when possible.
    for nicer in (
        space.ranges(Field.SPORT, ((49152, 65535),), "o"),
        space.bdd.var(space.bits(Field.SRC, "o")[-1]),
        space.bdd.var(space.bits(Field.DST, "o")[-1]),
    ):
        if sample & nicer != space.false:
            sample = sample & nicer
    for assignment in space.bdd.pick_iter(sample, care_vars=list(space.names)):
        proto = decode(space, assignment, Field.PROTO)
        text = f"{format_address(decode(space, assignment, Field.SRC, 'o'))} → "
        text += (
            f"{format_address(decode(space, assignment, Field.DST, 'o'))} {protocol_name(proto)}"
        )
        if proto in PORT_PROTOCOLS:
            sport = decode(space, assignment, Field.SPORT, "o")
            dport = decode(space, assignment, Field.DPORT, "o")
            text += f" {sport}→{dport}"
        example = text
        break
    return FlowSpace(
        sources,
        destinations,
        original_destinations if original_destinations != destinations else (),
        protocol_names,
        final,
        original if original != final else (),
        source_ports,
        exact,
        example,
    )
