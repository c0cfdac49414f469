"""Property tests: the symbolic engine agrees with a brute-force, packet-by-packet oracle.

Random small rule sets (filter and NAT, user chains, jumps, gotos, RETURN, interfaces, states)
run on a fixed two-firewall topology. Every packet of a small address space (the three zones'
twelve addresses plus one outside them) is followed by the evaluator of ``evaluate.py``; the
engine's delivered sets must contain exactly the packets the oracle delivers, with the same
rewritten header. The rule sets go through ``iptables.dump`` and ``iptables.parse`` first, so
the round trip is exercised too.
"""

from __future__ import annotations

import datetime
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isms.segments.addresses import parse_address, prefix_range
from isms.segments.compile import ACCEPT, ChainFolder, RuleCompiler
from isms.segments.evaluate import Packet, run_stage, simulate
from isms.segments.model import (
    Assumptions,
    Device,
    Interface,
    NetworkModel,
    Policy,
    Route,
    SeparationModel,
    Zone,
)
from isms.segments.parsers import iptables
from isms.segments.rules import (
    Chain,
    Field,
    Hook,
    InterfaceMatch,
    Jump,
    Nat,
    RangeMatch,
    Rule,
    Ruleset,
    SourceLocation,
    Stage,
    StageKind,
    StateMatch,
    Verdict,
)
from isms.segments.space import Space
from isms.segments.verify import prepare

BASE = parse_address("10.0.0.0")
ZONES = {"A": (BASE, 30), "B": (BASE + 4, 30), "C": (BASE + 8, 30)}
UNIVERSE = list(range(BASE, BASE + 13))
SERVICES = [(6, 22), (6, 443), (17, 53), (1, 0)]
IFACES = {"fw1": ("eth0", "eth1", "eth2"), "fw2": ("eth0", "eth1")}
LOC = SourceLocation("gen", 0, "")


def _model() -> NetworkModel:
    ip = parse_address
    fw1 = Device(
        "fw1",
        (
            Interface("eth0", ip("192.168.0.1"), 30, ("A",)),
            Interface("eth1", ip("192.168.1.1"), 30),
            Interface("eth2", ip("192.168.2.1"), 30, ("C",)),
        ),
        (
            Route(ZONES["A"], None, "eth0"),
            Route(ZONES["C"], None, "eth2"),
            Route(ZONES["B"], ip("192.168.1.2"), None),
        ),
        None,
    )
    fw2 = Device(
        "fw2",
        (
            Interface("eth0", ip("192.168.1.2"), 30),
            Interface("eth1", ip("192.168.3.1"), 30, ("B",)),
        ),
        (Route(ZONES["B"], None, "eth1"), Route((0, 0), ip("192.168.1.1"), None)),
        None,
    )
    zones = (
        Zone("A", "lgwan", (ZONES["A"],)),
        Zone("B", "mynumber", (ZONES["B"],)),
        Zone("C", "internet", (ZONES["C"],)),
    )
    return NetworkModel(
        "oracle",
        "oracle.yaml",
        ".",
        (),
        zones,
        (fw1, fw2),
        (),
        None,
        (),
        (),
        Policy(SeparationModel.ALPHA),
        Assumptions(),
    )


# -- strategies ------------------------------------------------------------------------------------

prefixes = st.integers(28, 32).flatmap(
    lambda length: st.integers(0, 15).map(
        lambda offset: prefix_range(BASE + (offset & ~((1 << (32 - length)) - 1)), length)
    )
)


def conditions(device: str) -> st.SearchStrategy[list]:
    names = [*IFACES[device], "eth9", "eth+"]
    address = st.tuples(st.sampled_from([Field.SRC, Field.DST]), prefixes, st.booleans()).map(
        lambda t: RangeMatch(t[0], (t[1],), t[2])
    )
    iface = st.tuples(st.sampled_from(["in", "out"]), st.sampled_from(names), st.booleans()).map(
        lambda t: InterfaceMatch(t[0], (t[1],), t[2])
    )
    state = st.sampled_from(["new", "established"]).map(lambda s: StateMatch(frozenset({s})))
    protocol = st.sampled_from([None, 6, 17, 1])
    ports = st.sampled_from([None, (22, 22), (53, 53), (443, 443), (20, 100), (400, 500)])

    @st.composite
    def build(draw):
        out = []
        proto = draw(protocol)
        if proto is not None:
            out.append(RangeMatch(Field.PROTO, ((proto, proto),)))
            port = draw(ports)
            if port is not None and proto in (6, 17):
                out.append(RangeMatch(Field.DPORT, (port,), draw(st.booleans())))
        out += draw(st.lists(st.one_of(address, iface, state), max_size=2))
        return out

    return build()


def actions(with_chain: bool) -> st.SearchStrategy:
    base = [Verdict.ACCEPT, Verdict.DROP, Verdict.REJECT, Verdict.RETURN]
    if with_chain:
        base += [Jump("U"), Jump("U", goto=True)]
    return st.sampled_from(base)


@st.composite
def draft_rulesets(draw, device: str) -> Ruleset:
    chains: dict[tuple[str, str], Chain] = {}

    def rules(
        count_max: int, with_chain: bool, nat: bool = False, snat: bool = False
    ) -> tuple[Rule, ...]:
        out = []
        for _ in range(draw(st.integers(0, count_max))):
            conds = draw(conditions(device))
            if nat:
                target = draw(st.sampled_from(UNIVERSE))
                port = draw(st.sampled_from([None, 443]))
                if port is not None:
                    kept = [
                        c
                        for c in conds
                        if not (isinstance(c, RangeMatch) and c.field in (Field.PROTO, Field.DPORT))
                    ]
                    conds = [RangeMatch(Field.PROTO, ((6, 6),)), *kept]
                action = Nat("dnat", (target, target), (port, port) if port else None)
            elif snat:
                conds = [
                    c for c in conds if not (isinstance(c, InterfaceMatch) and c.direction == "in")
                ]
                target = draw(st.sampled_from(UNIVERSE))
                action = draw(
                    st.sampled_from(
                        [Nat("snat", (target, target)), Nat("masquerade"), Verdict.ACCEPT]
                    )
                )
            else:
                action = draw(actions(with_chain))
            if nat:
                conds = [
                    c for c in conds if not (isinstance(c, InterfaceMatch) and c.direction == "out")
                ]
            out.append(Rule(tuple(conds), action, LOC))
        return tuple(out)

    policy = draw(st.sampled_from([Verdict.ACCEPT, Verdict.DROP]))
    chains[("filter", "FORWARD")] = Chain("filter", "FORWARD", rules(5, True), policy, LOC)
    chains[("filter", "U")] = Chain("filter", "U", rules(3, False), None, LOC)
    chains[("nat", "PREROUTING")] = Chain(
        "nat", "PREROUTING", rules(2, False, nat=True), Verdict.ACCEPT, LOC
    )
    chains[("nat", "POSTROUTING")] = Chain(
        "nat", "POSTROUTING", rules(1, False, snat=True), Verdict.ACCEPT, LOC
    )
    return Ruleset("gen", "iptables-save", chains, ())


def rulesets(device: str) -> st.SearchStrategy[Ruleset]:
    """Random rule sets as the parser reads them back from their iptables-save dump."""
    return draft_rulesets(device).map(
        lambda draft: iptables.parse(iptables.dump(draft), source=f"{device}.rules")
    )


def _assignment(space: Space, copy: str, field: Field, value: int) -> dict[str, bool]:
    names = space.bits(field, copy)
    width = len(names)
    return {n: bool((value >> (width - 1 - i)) & 1) for i, n in enumerate(names)}


def _point(space: Space, zone_index: int, packet: Packet) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for i, name in enumerate(space.zone_vars()):
        out[name] = bool((zone_index >> (space.zone_bits - 1 - i)) & 1)
    out["tsc"] = False
    state = space.state_vars()
    out.update({state[0]: False, state[1]: False, state[2]: False})
    for field in (Field.PROTO, Field.ICMP_TYPE, Field.ICMP_CODE):
        out.update(_assignment(space, "c", field, packet.get(field)))
    for field in (Field.SRC, Field.DST, Field.SPORT, Field.DPORT):
        out.update(_assignment(space, "o", field, packet.get(field)))
    return out


def _packets(zone: str):
    network, length = ZONES[zone]
    lo, hi = prefix_range(network, length)
    for src, dst, (proto, port) in itertools.product(range(lo, hi + 1), UNIVERSE, SERVICES):
        if proto == 1:
            yield Packet(src, dst, 1, icmp_type=8)
        else:
            yield Packet(src, dst, proto, 40000, port)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rulesets("fw1"), rulesets("fw2"))
def test_engine_delivers_exactly_what_the_packet_oracle_delivers(fw1, fw2):
    """For every packet of the small space, symbolic delivery == brute-force delivery."""
    context = prepare(_model(), today=datetime.date(2025, 4, 1), rulesets={"fw1": fw1, "fw2": fw2})
    reach = context.engine.run()
    space = context.space
    topology = context.topology
    for zone, device, iface in topology.attachments:
        index = topology.zone_index[zone]
        for packet in _packets(zone):
            delivered = {
                (t.disposition.zone, t.packet)
                for t in simulate(topology, device, iface, packet)
                if t.disposition.kind == "delivered"
            }
            point = _point(space, index, packet)
            for target in ZONES:
                rest = space.bdd.let(point, reach.delivered[target])
                expected = {p for z, p in delivered if z == target}
                assert (rest != space.false) == bool(expected), (zone, target, packet)
                for final in expected:
                    at = {}
                    for field in (Field.SRC, Field.DST, Field.SPORT, Field.DPORT):
                        at.update(_assignment(space, "c", field, final.get(field)))
                    assert space.bdd.let(at, rest) == space.true, (zone, target, packet, final)


@settings(max_examples=60, deadline=None)
@given(rulesets("fw1"))
def test_chain_fold_decides_every_packet_as_the_evaluator_does(ruleset):
    """The BDD decision of filter FORWARD equals run_stage on every packet and interface pair."""
    space = Space(zone_count=3)
    model = _model()
    context = prepare(model, today=datetime.date(2025, 4, 1), rulesets={"fw1": ruleset})
    info = context.topology.devices["fw1"]
    folder = ChainFolder(ruleset, RuleCompiler(space, info))
    stage = Stage(Hook.FORWARD, 0, StageKind.FILTER, "filter", "FORWARD")
    accepted = folder.stage(stage).get(ACCEPT, space.false)
    for iif, oif in itertools.product(info.ifaces.values(), info.ifaces.values()):
        fixed = space.bdd.let(space.iface_assignment(iif.index, oif.index), accepted)
        for packet in itertools.islice(_packets("A"), 0, None, 3):
            for state in ("new", "established"):
                probe = Packet(
                    packet.src,
                    packet.dst,
                    packet.proto,
                    packet.sport,
                    packet.dport,
                    packet.icmp_type,
                    0,
                    state,
                )
                step = run_stage(ruleset, stage, probe, iif.name, oif.name)
                point = space.state(state)
                for field in (
                    Field.SRC,
                    Field.DST,
                    Field.PROTO,
                    Field.SPORT,
                    Field.DPORT,
                    Field.ICMP_TYPE,
                ):
                    point = point & space.value(field, probe.get(field))
                assert (point & fixed != space.false) is (step.outcome == "accept"), (
                    probe,
                    iif,
                    oif,
                )
