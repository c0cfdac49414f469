"""Packet-by-packet evaluation: one concrete packet through chains, devices and the network.

This is the second, independent reading of the same rule sets: ``explain`` uses it to show the
deciding rule on each device for one flow, and the tests use it as the brute-force oracle the
symbolic engine must agree with. It shares the parsed rules and the topology with the engine,
nothing else. A NAT rule that maps to a range takes the first address and port of the range.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from isms.segments.rules import (
    FIRST_PACKET_FLAGS,
    AnyOf,
    Chain,
    Condition,
    Const,
    Field,
    FlagsMatch,
    Hook,
    InterfaceMatch,
    Jump,
    Nat,
    RangeMatch,
    Rule,
    Ruleset,
    Stage,
    StageKind,
    StateMatch,
    Verdict,
)
from isms.segments.topology import DeviceInfo, RouteEntry, Topology

__all__ = [
    "Disposition",
    "Packet",
    "StageStep",
    "Trail",
    "TrailHop",
    "run_hook",
    "run_stage",
    "simulate",
]


@dataclass(frozen=True)
class Packet:
    """One packet: the first of a new connection unless ``state`` says otherwise."""

    src: int
    dst: int
    proto: int
    sport: int = 0
    dport: int = 0
    icmp_type: int = 0
    icmp_code: int = 0
    state: str = "new"

    def get(self, field: Field) -> int:
        """Return a header field's value."""
        return int(getattr(self, field.value))


def condition_holds(condition: Condition, packet: Packet, iif: str | None, oif: str | None) -> bool:
    """Return whether a condition holds for a packet on the given interfaces."""
    if isinstance(condition, RangeMatch):
        return condition.holds(packet.get(condition.field))
    if isinstance(condition, AnyOf):
        inside = any(condition_holds(o, packet, iif, oif) for o in condition.options)
        return inside != condition.negated
    if isinstance(condition, InterfaceMatch):
        return condition.holds(iif if condition.direction == "in" else oif)
    if isinstance(condition, StateMatch):
        return condition.holds(packet.state)
    if isinstance(condition, FlagsMatch):
        return condition.holds(FIRST_PACKET_FLAGS)
    assert isinstance(condition, Const)
    return condition.value


def rule_matches(rule: Rule, packet: Packet, iif: str | None, oif: str | None) -> bool:
    """Return whether all of a rule's conditions hold."""
    return all(condition_holds(c, packet, iif, oif) for c in rule.conditions)


@dataclass(frozen=True)
class StageStep:
    """What one stage did: outcome (``accept``, ``drop`` or a NAT) and the deciding rules."""

    stage: Stage
    outcome: str | Nat
    deciders: tuple[Rule | Chain, ...]


def _run_chain(
    ruleset: Ruleset, chain: Chain, packet: Packet, iif: str | None, oif: str | None
) -> tuple[str | Nat | None, tuple[Rule | Chain, ...]]:
    for rule in chain.rules:
        action = rule.action
        if action is None or not rule_matches(rule, packet, iif, oif):
            continue
        if isinstance(action, Jump):
            outcome, deciders = _run_chain(
                ruleset, ruleset.chain(chain.table, action.chain), packet, iif, oif
            )
            if outcome is not None:
                return outcome, (rule, *deciders)
            if action.goto:
                return None, (rule,)
            continue
        if action is Verdict.RETURN:
            return None, (rule,)
        if isinstance(action, Nat):
            return action, (rule,)
        return ("accept" if action is Verdict.ACCEPT else "drop"), (rule,)
    return None, ()


def run_stage(
    ruleset: Ruleset, stage: Stage, packet: Packet, iif: str | None, oif: str | None
) -> StageStep:
    """Run a base chain on a packet; a return or the end of the chain applies its policy."""
    chain = ruleset.chain(stage.table, stage.chain)
    outcome, deciders = _run_chain(ruleset, chain, packet, iif, oif)
    if outcome is None:
        policy = chain.policy or Verdict.ACCEPT
        outcome = "accept" if policy is Verdict.ACCEPT else "drop"
        deciders = (*deciders, chain)
    return StageStep(stage, outcome, deciders)


def run_hook(
    ruleset: Ruleset, hook: Hook, packet: Packet, iif: str | None, oif: str | None
) -> tuple[bool, list[StageStep]]:
    """Run every filter stage of a hook (NAT stages are skipped); return (accepted, steps)."""
    steps = []
    for stage in ruleset.stages_at(hook):
        if stage.kind is StageKind.NAT:
            continue
        step = run_stage(ruleset, stage, packet, iif, oif)
        steps.append(step)
        if step.outcome == "drop":
            return False, steps
    return True, steps


def rewrite(packet: Packet, nat: Nat, device: DeviceInfo, iif: str, oif: str | None) -> Packet:
    """Apply a NAT action to a packet (first address and port of a range)."""
    if nat.kind in ("dnat", "redirect"):
        address = (
            device.ifaces[iif].address
            if nat.kind == "redirect"
            else (nat.addresses[0] if nat.addresses else packet.dst)
        )
        port = nat.ports[0] if nat.ports else packet.dport
        return replace(packet, dst=address, dport=port)
    address = packet.src
    if nat.kind == "masquerade" and oif is not None:
        address = device.ifaces[oif].address
    elif nat.addresses:
        address = nat.addresses[0]
    port = nat.ports[0] if nat.ports else packet.sport
    return replace(packet, src=address, sport=port)


@dataclass(frozen=True)
class TrailHop:
    """One device on a path: interfaces, route taken, and every stage's decision."""

    device: str
    in_interface: str
    out_interface: str | None
    route: RouteEntry | None
    steps: tuple[StageStep, ...]
    packet_in: Packet
    packet_out: Packet


@dataclass(frozen=True)
class Disposition:
    """How a path ends: ``delivered`` (to ``zone``), ``dropped``, ``device`` (traffic to a
    device itself), ``no_route``, ``left`` (leaves the model) or ``loop``."""

    kind: str
    zone: str | None = None
    device: str | None = None


@dataclass(frozen=True)
class Trail:
    """One path of a packet through the network."""

    hops: tuple[TrailHop, ...]
    disposition: Disposition
    packet: Packet


def _stage_pass(
    device: DeviceInfo,
    stages: tuple[Stage, ...],
    packet: Packet,
    iif: str,
    oif: str | None,
    nat_new_only: bool,
) -> tuple[Packet | None, list[StageStep]]:
    steps: list[StageStep] = []
    assert device.ruleset is not None
    for stage in stages:
        if stage.kind is StageKind.NAT and nat_new_only and packet.state != "new":
            continue
        step = run_stage(device.ruleset, stage, packet, iif, oif)
        steps.append(step)
        if step.outcome == "drop":
            return None, steps
        if isinstance(step.outcome, Nat):
            packet = rewrite(packet, step.outcome, device, iif, oif)
            if step.outcome.kind == "redirect":
                return None, steps
    return packet, steps


def _routes(device: DeviceInfo, address: int) -> list[RouteEntry]:
    candidates = [r for r in device.routes if r.first <= address <= r.last]
    if not candidates:
        return []
    best = max(r.length for r in candidates)
    return [r for r in candidates if r.length == best]


def simulate(
    topology: Topology, device: str, iface: str, packet: Packet, *, nat_new_only: bool = True
) -> list[Trail]:
    """Follow a packet entering ``device`` on ``iface`` along every equal-cost path."""
    trails: list[Trail] = []
    _walk(topology, device, iface, packet, (), trails, nat_new_only)
    return trails


def _walk(
    topology: Topology,
    name: str,
    iface: str,
    packet: Packet,
    hops: tuple[TrailHop, ...],
    trails: list[Trail],
    nat_new_only: bool,
) -> None:
    if any(h.device == name and h.in_interface == iface and h.packet_in == packet for h in hops):
        trails.append(Trail(hops, Disposition("loop", device=name), packet))
        return
    device = topology.devices[name]
    steps: list[StageStep] = []
    current: Packet | None = packet
    pre = device.ruleset.stages_at(Hook.PREROUTING) if device.ruleset else ()
    if pre:
        current, steps = _stage_pass(device, pre, packet, iface, None, nat_new_only)
    if current is None:
        hop = TrailHop(name, iface, None, None, tuple(steps), packet, packet)
        kind = "device" if steps and isinstance(steps[-1].outcome, Nat) else "dropped"
        trails.append(Trail((*hops, hop), Disposition(kind, device=name), packet))
        return
    if current.dst in device.own:
        hop = TrailHop(name, iface, None, None, tuple(steps), packet, current)
        trails.append(Trail((*hops, hop), Disposition("device", device=name), current))
        return
    routes = _routes(device, current.dst)
    if not routes:
        hop = TrailHop(name, iface, None, None, tuple(steps), packet, current)
        trails.append(Trail((*hops, hop), Disposition("no_route", device=name), current))
        return
    for route in routes:
        out_steps = list(steps)
        out: Packet | None = current
        if device.ruleset is not None:
            later = (
                *device.ruleset.stages_at(Hook.FORWARD),
                *device.ruleset.stages_at(Hook.POSTROUTING),
            )
            out, more = _stage_pass(device, later, current, iface, route.iface, nat_new_only)
            out_steps += more
        hop = TrailHop(name, iface, route.iface, route, tuple(out_steps), packet, out or current)
        if out is None:
            trails.append(Trail((*hops, hop), Disposition("dropped", device=name), current))
            continue
        if route.peer is not None:
            _walk(topology, route.peer[0], route.peer[1], out, (*hops, hop), trails, nat_new_only)
            continue
        if out.dst in topology.address_owner:
            owner = topology.address_owner[out.dst][0]
            trails.append(Trail((*hops, hop), Disposition("device", device=owner), out))
            continue
        zone = topology.zone_of(out.dst)
        if zone is not None and zone in device.ifaces[route.iface].zones:
            trails.append(Trail((*hops, hop), Disposition("delivered", zone=zone), out))
        else:
            trails.append(Trail((*hops, hop), Disposition("left", device=name), out))
