"""Batfish's own answers for its example network: every iptables filter step gives the same verdict.

``testfilters.ref`` and the two ``traceroute-*.ref`` goldens record, for hosts ``host1`` and
``host2`` (real iptables-save v1.4.7 files), which chain permitted or denied which flow and
whether the chain's default decided. Both of our readings — the packet-by-packet evaluator and
the BDD fold the engine uses — must give those answers.
"""

from __future__ import annotations

import json

import pytest

from isms.segments.addresses import parse_address
from isms.segments.compile import ACCEPT, ChainFolder, RuleCompiler
from isms.segments.evaluate import Packet, run_stage
from isms.segments.parsers import iptables
from isms.segments.rules import Chain, Field, Hook, Stage, StageKind
from isms.segments.space import Space

from .conftest import BATFISH

LIVE = BATFISH / "networks" / "example" / "live"
PROTOCOLS = {"TCP": 6, "UDP": 17, "ICMP": 1}


def _ruleset(host: str):
    spec = json.loads((LIVE / "hosts" / f"{host}.json").read_text())
    return iptables.parse((LIVE / spec["iptablesFile"]).read_text(), source=spec["iptablesFile"])


def _packet(flow: dict) -> Packet:
    return Packet(
        parse_address(flow["srcIp"]),
        parse_address(flow["dstIp"]),
        PROTOCOLS[flow["ipProtocol"]],
        flow.get("srcPort", 0),
        flow.get("dstPort", 0),
    )


def _cases():
    """Yield (host, chain, flow, iif, oif, permitted, by_default) from all three goldens."""
    rows = json.loads((BATFISH / "goldens" / "testfilters.ref").read_text())[0]["rows"]
    for row in rows:
        chain = row["Filter_Name"].split("::")[1]
        yield (
            row["Node"]["name"],
            chain,
            row["Flow"],
            None,
            None,
            row["Action"] == "PERMIT",
            row["Line_Content"] == "default",
        )
    for name in ("traceroute-1-2.ref", "traceroute-2-1.ref"):
        for row in json.loads((BATFISH / "goldens" / name).read_text())[0]["rows"]:
            for trace in row["Traces"]:
                for hop in trace["hops"]:
                    if hop["node"]["name"] not in ("host1", "host2"):
                        continue
                    for step in hop["steps"]:
                        if step["type"] != "Filter":
                            continue
                        detail = step["detail"]
                        yield (
                            hop["node"]["name"],
                            detail["filter"].split("::")[1],
                            detail["flow"],
                            detail.get("inputInterface"),
                            detail.get("outputInterface"),
                            step["action"] == "PERMITTED",
                            None,
                        )


CASES = list(_cases())


def test_the_goldens_hold_the_expected_number_of_iptables_filter_answers():
    """Six testFilters rows plus twelve filter steps on host1/host2 in the traceroutes' paths."""
    assert len(CASES) == 18
    assert sorted({(c[0], c[1], c[5]) for c in CASES}) == [
        ("host1", "FORWARD", True),
        ("host1", "INPUT", False),
        ("host1", "OUTPUT", True),
        ("host2", "FORWARD", True),
        ("host2", "INPUT", False),
        ("host2", "OUTPUT", True),
    ]


@pytest.mark.parametrize(("host", "chain", "flow", "iif", "oif", "permitted", "by_default"), CASES)
def test_packet_evaluator_gives_batfish_verdict(host, chain, flow, iif, oif, permitted, by_default):
    """run_stage permits or denies as Batfish did, by the chain default where Batfish says so."""
    ruleset = _ruleset(host)
    stage = Stage(Hook.INPUT, 0, StageKind.FILTER, "filter", chain)
    step = run_stage(ruleset, stage, _packet(flow), iif, oif)
    assert (step.outcome == "accept") is permitted
    if by_default is not None:
        assert isinstance(step.deciders[-1], Chain) is by_default


@pytest.mark.parametrize(("host", "chain", "flow", "iif", "oif", "permitted", "by_default"), CASES)
def test_bdd_fold_gives_batfish_verdict(host, chain, flow, iif, oif, permitted, by_default):
    """The symbolic decision of the chain contains the flow exactly when Batfish permitted it."""
    ruleset = _ruleset(host)
    space = Space(zone_count=1)
    folder = ChainFolder(ruleset, RuleCompiler(space, None))
    accepted = folder.stage(Stage(Hook.INPUT, 0, StageKind.FILTER, "filter", chain)).get(
        ACCEPT, space.false
    )
    packet = _packet(flow)
    point = space.state("new") & space.iface("in", 0) & space.iface("out", 0)
    for field in (Field.SRC, Field.DST, Field.PROTO, Field.SPORT, Field.DPORT):
        point = point & space.value(field, packet.get(field))
    assert (point & accepted != space.false) is permitted
