"""Explain one flow: the path it takes and the deciding rule on every device.

The packet is followed packet by packet (``evaluate.py``), along every equal-cost path, from the
zone that owns its source address. Each delivered path is judged with the same policy sets the
proof uses, so ``explain`` and ``verify`` never disagree about a flow.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from isms.segments._bdd import Node
from isms.segments.addresses import format_address, parse_address
from isms.segments.errors import ModelError, UnknownZone
from isms.segments.evaluate import Packet, StageStep, Trail, simulate
from isms.segments.model import Assumptions, NetworkModel, Policy
from isms.segments.parsers.names import PORT_PROTOCOLS, PROTOCOLS, protocol_name
from isms.segments.policy import rule_for
from isms.segments.result import ExplainedHop, ExplainedPath, ExplainedStep, Explanation
from isms.segments.rules import Field, Nat
from isms.segments.verify import Context, prepare, rule_ref

__all__ = ["explain", "packet_text"]

EPHEMERAL_PORT = 49152  # first port of the dynamic range, RFC 6335 §6


def packet_text(packet: Packet) -> str:
    """Return ``src:port → dst:port proto`` for a packet."""
    name = protocol_name(packet.proto)
    if packet.proto in PORT_PROTOCOLS:
        src, dst = format_address(packet.src), format_address(packet.dst)
        return f"{src}:{packet.sport} → {dst}:{packet.dport} {name}"
    if packet.proto == 1:
        src, dst = format_address(packet.src), format_address(packet.dst)
        return f"{src} → {dst} icmp type {packet.icmp_type}"
    return f"{format_address(packet.src)} → {format_address(packet.dst)} {name}"


def _bad(message: str, field: str, hint: str) -> ModelError:
    return ModelError(message, source="explain", path=field, hint=hint)


def _packet(
    src: str, dst: str, proto: str | int, port: int | None, sport: int | None, icmp_type: int
) -> Packet:
    try:
        source, destination = parse_address(src), parse_address(dst)
    except ValueError:
        raise _bad(
            f"'{src}' or '{dst}' is not an IPv4 address", "--src/--dst", "write a.b.c.d"
        ) from None
    if isinstance(proto, int) or str(proto).isdigit():
        number = int(proto)
        if not 0 <= number <= 255:
            raise _bad(f"protocol {proto} is out of range", "--proto", "write 0-255 or a name")
    elif str(proto).lower() in PROTOCOLS:
        number = PROTOCOLS[str(proto).lower()]
    else:
        raise _bad(f"unknown protocol '{proto}'", "--proto", "write tcp, udp, icmp or a number")
    if number in PORT_PROTOCOLS:
        if port is None:
            raise _bad(
                "a destination port is needed for " + protocol_name(number),
                "--port",
                "add --port N",
            )
        if not 0 <= port <= 65535 or (sport is not None and not 0 <= sport <= 65535):
            raise _bad(f"port {port} is out of range", "--port", "write 0-65535")
        return Packet(source, destination, number, EPHEMERAL_PORT if sport is None else sport, port)
    if number == 1:
        return Packet(source, destination, 1, icmp_type=icmp_type)
    return Packet(source, destination, number)


def _member(context: Context, zone: str, original: Packet, final: Packet, via_cloud: bool) -> Node:
    space = context.space
    point = space.zone(context.topology.zone_index[zone]) & (
        space.tsc() if via_cloud else ~space.tsc()
    )
    point = point & space.value(Field.PROTO, final.proto)
    for field in (Field.SRC, Field.DST, Field.SPORT, Field.DPORT):
        point = (
            point
            & space.value(field, original.get(field), "o")
            & space.value(field, final.get(field), "c")
        )
    return point


def _step(device: str, step: StageStep) -> ExplainedStep:
    outcome = step.outcome
    text = outcome.kind if isinstance(outcome, Nat) else outcome
    return ExplainedStep(
        f"{step.stage.table} {step.stage.chain}",
        text,
        tuple(rule_ref(device, d) for d in step.deciders),
    )


def _path(context: Context, zone: str, original: Packet, trail: Trail) -> ExplainedPath:
    hops = tuple(
        ExplainedHop(
            hop.device,
            hop.in_interface,
            hop.out_interface or "",
            hop.route.text if hop.route else "",
            tuple(_step(hop.device, s) for s in hop.steps),
            packet_text(hop.packet_in),
            packet_text(hop.packet_out),
        )
        for hop in trail.hops
    )
    disposition = trail.disposition
    target = disposition.zone or ""
    verdict, rule = "blocked", ""
    if disposition.kind == "delivered" and target:
        segment_of = context.check.segment_of
        rule = rule_for(context.model.policy, segment_of[zone], segment_of[target]).value
        via_cloud = any(context.topology.devices[h.device].security_cloud for h in trail.hops)
        point = _member(context, zone, original, trail.packet, via_cloud)
        forbidden = context.check.forbidden(target)
        verdict = "violation" if point & forbidden != context.space.false else "allowed"
    where = disposition.zone or disposition.device or ""
    return ExplainedPath(
        hops,
        f"{disposition.kind} {where}".strip(),
        target,
        packet_text(trail.packet),
        verdict,
        rule,
    )


def explain(
    model: str | Path | NetworkModel,
    *,
    src: str,
    dst: str,
    proto: str | int,
    port: int | None = None,
    sport: int | None = None,
    icmp_type: int = 8,
    today: datetime.date,
    policy: Policy | None = None,
    assumptions: Assumptions | None = None,
) -> Explanation:
    """Follow one new connection from ``src`` to ``dst`` through the network."""
    context = prepare(model, today=today, policy=policy, assumptions=assumptions)
    packet = _packet(src, dst, proto, port, sport, icmp_type)
    zone = context.topology.zone_of(packet.src)
    if zone is None:
        raise UnknownZone(
            f"no zone owns the source address {src}",
            source=context.model.source,
            path="zones",
            hint="add the address to a zone's prefixes, or give a source inside a zone",
            message_ja=f"送信元アドレス {src} を含むゾーンがない",
            hint_ja="アドレスをゾーンのプレフィックスに加えるか、ゾーン内の送信元を指定してください",
        )
    paths: list[ExplainedPath] = []
    for attached_zone, device, iface in context.topology.attachments:
        if attached_zone != zone:
            continue
        for trail in simulate(context.topology, device, iface, packet):
            paths.append(_path(context, zone, packet, trail))
    return Explanation(packet_text(packet), zone, context.check.segment_of[zone], tuple(paths))
