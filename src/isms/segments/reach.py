"""Symbolic reachability: push every zone's new connections through the devices to a fixpoint.

Each zone's traffic enters the device its zone is attached to. On a device a flow set crosses,
in the kernel's order, the PREROUTING stages (filter and destination NAT), the routing decision
(longest prefix, equal-cost paths all followed), the FORWARD stages, and the POSTROUTING stages
(filter and source NAT); then it reaches the next device or is delivered to the zone that owns
its destination. A per-(device, interface) set of what already arrived makes loops terminate.
The result is, per destination zone, the relation between the header each source sent
(``o_*``) and the header delivered (``c_*``), with the origin zone and the security-cloud mark.

A device decides each stage with a chain decision *scoped* to the flows that arrive: folded
without the rules that match no packet of their box (``scope.py``), which on a large network is
most of them. A scoped decision is used only for flow sets its box holds, so results are those
of the whole chain.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from isms.segments._bdd import Node
from isms.segments.compile import ACCEPT, DROP, ChainFolder, Decisions, OutcomeKey, RuleCompiler
from isms.segments.model import Assumptions
from isms.segments.rules import (
    CONN_STATES,
    Chain,
    Field,
    Hook,
    Jump,
    Nat,
    Rule,
    Stage,
    StageKind,
    Verdict,
)
from isms.segments.scope import Scope, scope_of
from isms.segments.space import Space
from isms.segments.topology import DeviceInfo, RouteEntry, Topology

__all__ = ["DeviceEngine", "Engine", "Reachability", "StageTrace"]

# A decided part of a flow set: the packets, the outcome, and the rules (or chain policies) that
# decided it, outermost jump first.
Decided = tuple[Node, OutcomeKey | None, tuple[Rule | Chain, ...]]


@dataclass(frozen=True)
class _Piece:
    """A stage's decision that is exact on the packets of one scope's box (see ``scope.py``),
    or on every packet (no scope)."""

    scope: Scope | None
    decisions: Decisions


@dataclass
class StageTrace:
    """The rules that decided one part of a flow set at one stage of a device."""

    stage: Stage
    deciders: tuple[Rule | Chain, ...]
    outcome: OutcomeKey


class DeviceEngine:
    """One device: its compiled stages, routing partition and NAT, for a given space."""

    def __init__(self, space: Space, info: DeviceInfo, assumptions: Assumptions):
        self.space = space
        self.info = info
        self.assumptions = assumptions
        self.compiler = RuleCompiler(space, info)
        ruleset = info.ruleset
        self.folder = ChainFolder(ruleset, self.compiler) if ruleset is not None else None
        self.pre = self._stages(Hook.PREROUTING)
        self.fwd = self._stages(Hook.FORWARD)
        self.post = self._stages(Hook.POSTROUTING)
        self._let: dict[tuple[Node, int, int], Node] = {}
        self._match: dict[tuple[int, int, int], Node] = {}
        self._pieces: dict[tuple[int, int], list[_Piece]] = {}
        self._scopes: dict[Node, Scope] = {}
        self.groups = self._route_groups()
        own = space.false
        for address in info.own:
            own = own | space.value(Field.DST, address)
        self.own = own

    def _stages(self, hook: Hook) -> tuple[Stage, ...]:
        if self.info.ruleset is None:
            return ()
        return self.info.ruleset.stages_at(hook)

    def _route_groups(self) -> list[tuple[RouteEntry, Node]]:
        space = self.space
        groups: list[tuple[RouteEntry, Node]] = []
        covered = space.false
        by_length: dict[int, list[RouteEntry]] = {}
        for route in self.info.routes:
            by_length.setdefault(route.length, []).append(route)
        for length in sorted(by_length, reverse=True):
            added = space.false
            for route in by_length[length]:
                prefix = space.ranges(Field.DST, ((route.first, route.last),))
                region = prefix & ~covered
                if region != space.false:
                    groups.append((route, region))
                added = added | prefix
            covered = covered | added
        # Routes leaving by the same interface to the same next device behave alike: merge them.
        merged: dict[tuple[str, tuple[str, str] | None], tuple[RouteEntry, Node]] = {}
        for route, region in groups:
            key = (route.iface, route.peer)
            if key in merged:
                first, known = merged[key]
                merged[key] = (first, known | region)
            else:
                merged[key] = (route, region)
        return list(merged.values())

    # -- stage predicates in a context ---------------------------------------------------------

    def decisions(self, stage: Stage) -> Decisions:
        """Return the symbolic decision of a stage (interfaces still free)."""
        assert self.folder is not None
        return self.folder.stage(stage)

    def decision_in(self, stage: Stage, key: OutcomeKey, iif: int, oif: int) -> Node:
        """Return the packets a stage sends to ``key`` for fixed interfaces."""
        return self.fixed(self.decisions(stage).get(key, self.space.false), iif, oif)

    def fixed(self, node: Node, iif: int, oif: int) -> Node:
        """Return a set over free interfaces with both interfaces fixed, memoised."""
        cache_key = (node, iif, oif)
        cached = self._let.get(cache_key)
        if cached is None:
            cached = self.space.bdd.let(self.space.iface_assignment(iif, oif), node)
            self._let[cache_key] = cached
        return cached

    def match_in(self, rule: Rule, iif: int, oif: int) -> Node:
        """Return a rule's match for fixed interfaces."""
        cache_key = (id(rule), iif, oif)
        cached = self._match.get(cache_key)
        if cached is None:
            cached = self.space.bdd.let(
                self.space.iface_assignment(iif, oif), self.compiler.match(rule)
            )
            self._match[cache_key] = cached
        return cached

    # -- applying stages ----------------------------------------------------------------------

    def piece(self, stage: Stage, flows: Node, iif: int, hint: Node | None = None) -> _Piece:
        """Return a decision of ``stage`` that is exact on ``flows``.

        The decision leaves out the rules that match no packet of the box around ``hint`` (when
        ``hint`` holds ``flows``; otherwise around ``flows``), and is reused for every later flow
        set of the same input interface that its box holds.
        """
        assert self.folder is not None
        whole = self.folder.folded(stage)
        if whole is not None:  # folded already (for the rule analysis): exact on every flow
            return _Piece(None, whole)
        pieces = self._pieces.setdefault((id(stage), iif), [])
        for known in reversed(pieces):
            if known.scope is not None and flows <= known.scope.node:
                return known
        source = hint if hint is not None and flows <= hint else flows
        scope = self._scopes.get(source)
        if scope is None:
            scope = self._scopes[source] = scope_of(self.space, source)
        made = _Piece(scope, self.folder.stage(stage, scope))
        pieces.append(made)
        return made

    def apply(
        self, stage: Stage, flows: Node, iif: int, oif: int, hint: Node | None = None
    ) -> Node:
        """Return what survives a stage (rewritten by NAT where the stage is a NAT stage).

        ``hint``, a flow set that holds ``flows`` (the device's flows before routing split
        them), lets one scoped decision serve every route (see :meth:`piece`).
        """
        space = self.space
        if flows == space.false:
            return flows
        piece = self.piece(stage, flows, iif, hint)
        if stage.kind is StageKind.FILTER:
            return flows & self.fixed(piece.decisions.get(ACCEPT, space.false), iif, oif)
        untouched, flows = self._nat_scope(flows)
        out = untouched
        for key, decided in piece.decisions.items():
            guard = self.fixed(decided, iif, oif)
            part = flows & guard
            if part == space.false or key == DROP:
                continue
            out = out | (part if key == ACCEPT else self.rewrite(part, key, iif, oif))  # type: ignore[arg-type]
        return out

    def _nat_scope(self, flows: Node) -> tuple[Node, Node]:
        """Split flows into (packets NAT rules never see, packets they see): only new ones."""
        if self.assumptions.connection_state == "new":
            return self.space.false, flows
        new = self.space.state("new")
        return flows & ~new, flows & new

    def rewrite(self, part: Node, nat: Nat, iif: int, oif: int) -> Node:
        """Apply one NAT action to the flows it matched."""
        space = self.space
        if nat.kind == "redirect":
            return space.false  # to the device itself: out of scope
        if nat.kind == "dnat":
            address_field, port_field = Field.DST, Field.DPORT
            addresses = nat.addresses
        else:
            address_field, port_field = Field.SRC, Field.SPORT
            addresses = nat.addresses
            if nat.kind == "masquerade":
                iface = self.info.iface_by_index(oif)
                addresses = (iface.address, iface.address)
        quantified: list[str] = []
        target = space.true
        if addresses is not None:
            quantified += space.bits(address_field, "c")
            target = target & space.ranges(address_field, (addresses,))
        if nat.ports is not None:
            quantified += space.bits(port_field, "c")
            target = target & space.ranges(port_field, (nat.ports,))
        return space.exist(quantified, part) & target

    # -- top-down traces, for explaining violations -----------------------------------------

    def trace_stage(self, stage: Stage, flows: Node, iif: int, oif: int) -> list[Decided]:
        """Split flows by the rule that decides them at a stage."""
        assert self.info.ruleset is not None
        chain = self.info.ruleset.chain(stage.table, stage.chain)
        policy = chain.policy or Verdict.ACCEPT
        policy_key: OutcomeKey = ACCEPT if policy is Verdict.ACCEPT else DROP
        return self._trace_chain(chain, flows, iif, oif, policy_key)

    def _trace_chain(
        self, chain: Chain, flows: Node, iif: int, oif: int, policy_key: OutcomeKey | None
    ) -> list[Decided]:
        space = self.space
        assert self.info.ruleset is not None
        remaining = flows
        out: list[Decided] = []
        for rule in chain.rules:
            if remaining == space.false:
                break
            action = rule.action
            if action is None:
                continue
            m = self.match_in(rule, iif, oif)
            hit = remaining & m
            if hit == space.false:
                continue
            remaining = remaining & ~m
            if isinstance(action, Jump):
                target = self.info.ruleset.chain(chain.table, action.chain)
                returned = space.false
                for part, key, deciders in self._trace_chain(target, hit, iif, oif, None):
                    if key is None:
                        returned = returned | part
                    else:
                        out.append((part, key, (rule, *deciders)))
                if returned != space.false:
                    if action.goto:
                        out.append((returned, policy_key, (rule,)))
                    else:
                        remaining = remaining | returned
            elif action is Verdict.RETURN:
                out.append((hit, policy_key, (rule,)))
            else:
                decided: OutcomeKey = (
                    action
                    if isinstance(action, Nat)
                    else (ACCEPT if action is Verdict.ACCEPT else DROP)
                )
                out.append((hit, decided, (rule,)))
        if remaining != space.false:
            out.append((remaining, policy_key, (chain,) if policy_key is not None else ()))
        return out


@dataclass
class Reachability:
    """Per destination zone, every flow delivered there (over origin zone, ``o_*``, ``c_*``)."""

    delivered: dict[str, Node] = field(default_factory=dict)
    arrivals: int = 0


class Engine:
    """The fixpoint over all devices."""

    def __init__(self, topology: Topology, space: Space, assumptions: Assumptions):
        self.topology = topology
        self.space = space
        self.assumptions = assumptions
        self.devices = {
            name: DeviceEngine(space, info, assumptions) for name, info in topology.devices.items()
        }
        self._owned: dict[tuple[str, str], Node] = {}
        device_addresses = ((address, address) for address in sorted(topology.address_owner))
        self.device_dst = space.ranges(Field.DST, tuple(device_addresses))
        self.device_src = space.ranges(
            Field.SRC, tuple((a, a) for a in sorted(topology.address_owner)), "o"
        )

    def state_domain(self) -> Node:
        """Return the connection states the proof covers."""
        if self.assumptions.connection_state == "new":
            return self.space.state("new")
        result = self.space.false
        for state in CONN_STATES:
            result = result | self.space.state(state)
        return result

    def owned(self, zone: str, copy: str, field_: Field) -> Node:
        """Return the addresses a zone owns (its prefixes minus more specific ones of others)."""
        key = (zone, copy + field_.value)
        cached = self._owned.get(key)
        if cached is not None:
            return cached
        space = self.space
        from isms.segments.addresses import prefix_range

        mine = self.topology.zones[zone].prefixes
        result = space.false
        for network, length in mine:
            result = result | space.ranges(field_, (prefix_range(network, length),), copy)
        for other in self.topology.zones.values():
            if other.name == zone:
                continue
            for network, length in other.prefixes:
                lo, hi = prefix_range(network, length)
                for m_net, m_len in mine:
                    m_lo, m_hi = prefix_range(m_net, m_len)
                    if length > m_len and m_lo <= lo and hi <= m_hi:
                        result = result & ~space.ranges(field_, ((lo, hi),), copy)
        self._owned[key] = result
        return result

    def origin(self, zone: str) -> Node:
        """Return the new connections a zone's hosts may open, before any device."""
        space = self.space
        start = space.zone(self.topology.zone_index[zone]) & space.identity() & self.state_domain()
        start = start & ~space.tsc()
        if not self.assumptions.spoofing:
            start = start & self.owned(zone, "o", Field.SRC) & ~self.device_src
        return start

    def deliverable(self, zone: str) -> Node:
        """Return the destinations a zone receives: its own addresses, not devices'."""
        return self.owned(zone, "c", Field.DST) & ~self.device_dst

    def run(self) -> Reachability:
        """Propagate every zone's traffic to the fixpoint."""
        space = self.space
        seen: dict[tuple[str, str], Node] = {}
        queue: deque[tuple[str, str, Node]] = deque()
        for zone, device, iface in self.topology.attachments:
            flows = self.origin(zone)
            key = (device, iface)
            new = flows & ~seen.get(key, space.false)
            if new != space.false:
                seen[key] = seen.get(key, space.false) | new
                queue.append((device, iface, new))
        result = Reachability({name: space.false for name in self.topology.zones})
        while queue:
            device, iface, flows = queue.popleft()
            result.arrivals += 1
            for route, out in self.forward(device, iface, flows):
                if route.peer is not None:
                    new = out & ~seen.get(route.peer, space.false)
                    if new != space.false:
                        seen[route.peer] = seen.get(route.peer, space.false) | new
                        queue.append((route.peer[0], route.peer[1], new))
                    continue
                for zone in self.topology.devices[device].ifaces[route.iface].zones:
                    part = out & self.deliverable(zone)
                    if part != space.false:
                        result.delivered[zone] = result.delivered[zone] | part
        return result

    def forward(self, device: str, iface: str, flows: Node) -> list[tuple[RouteEntry, Node]]:
        """Return, per route taken, the flows a device sends on after its stages."""
        space = self.space
        engine = self.devices[device]
        iif = engine.info.ifaces[iface].index
        for stage in engine.pre:
            flows = engine.apply(stage, flows, iif, 0)
            if flows == space.false:
                return []
        flows = flows & ~engine.own
        out: list[tuple[RouteEntry, Node]] = []
        for route, region in engine.groups:
            part = flows & region
            if part == space.false:
                continue
            oif = engine.info.ifaces[route.iface].index
            for stage in (*engine.fwd, *engine.post):
                part = engine.apply(stage, part, iif, oif, flows)
                if part == space.false:
                    break
            else:
                if engine.info.security_cloud:
                    part = space.exist(["tsc"], part) & space.tsc()
                out.append((route, part))
        return out
