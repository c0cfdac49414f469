"""Aerleon import (format ``aerleon``) and export (``isms segments aerleon-export``).

Import: the corpus policies read through Aerleon's own library give, packet by packet, the
verdicts of the configurations Aerleon generated from them (its goldens, read by our iptables
and nftables parsers), or of a speedway configuration rendered from the same parsed policy.
Export: the exported policy, read back through Aerleon, lets every network it is put on be
proved compliant, permits exactly what the policy matrix allows (a concrete oracle), denies the
planted violation, and renders through Aerleon to iptables-restore text our parser reads with
the same verdicts.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import itertools
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isms.segments import ModelError, ParseError, UnsupportedSyntax, load_model, verify
from isms.segments.addresses import parse_address, prefix_range
from isms.segments.aerleon_export import NETWORKS, POLICY, SERVICES, export
from isms.segments.cli import main
from isms.segments.evaluate import Packet, run_stage
from isms.segments.model import FlowRule, NetworkModel
from isms.segments.parsers import aerleon, iptables, nftables
from isms.segments.policy import rule_for
from isms.segments.rules import Chain, Hook, Rule, Ruleset, Stage, StageKind, Verdict

from .conftest import AERLEON, DATA, PLANTED, TODAY

POLICIES = AERLEON / "policies"
POL = POLICIES / "pol"
DEFINITIONS = {"naming.yaml": (AERLEON / "def" / "naming.yaml").read_text()}
TCP, UDP, ICMP, GRE = 6, 17, 1, 47


def _import(name: str, index: int | None = None, **kwargs) -> Ruleset:
    return aerleon.parse(
        (POL / name).read_text(),
        source=name,
        definitions=DEFINITIONS,
        base_dir=str(POLICIES),
        filter_index=index,
        **kwargs,
    )


def _accepts(ruleset: Ruleset, stage: Stage, packet: Packet) -> bool:
    return run_stage(ruleset, stage, packet, None, None).outcome == "accept"


def _forward(ruleset: Ruleset) -> Stage:
    (stage,) = ruleset.stages
    assert stage.hook is Hook.FORWARD
    return stage


# -- packets ---------------------------------------------------------------------------------

HOSTS = [
    "10.1.2.3",
    "172.16.5.5",
    "192.168.1.1",
    "8.8.8.8",
    "8.8.4.4",
    "200.1.1.1",
    "200.1.1.2",
    "200.1.1.3",
    "200.1.1.4",
    "200.1.1.5",
    "198.51.100.7",
    "203.0.113.9",
    "127.0.0.1",
    "100.64.1.1",
    "224.0.0.5",
    "1.2.3.4",
    "0.1.2.3",
    "250.1.1.1",
]
SERVICES_TRIED = [(49152, 22), (53, 53), (80, 80), (3389, 443), (1024, 161), (33434, 1024)]


def _packets(states=("new",)) -> list[Packet]:
    out = []
    for src, dst in itertools.product(HOSTS, HOSTS):
        s, d = parse_address(src), parse_address(dst)
        for state in states:
            for proto in (TCP, UDP):
                for sport, dport in SERVICES_TRIED:
                    out.append(Packet(s, d, proto, sport, dport, state=state))
            for icmp_type in (0, 3, 8):
                out.append(Packet(s, d, ICMP, icmp_type=icmp_type, state=state))
            out.append(Packet(s, d, GRE, state=state))
    return out


NEW = _packets()
BOTH = _packets(("new", "established"))

interesting = st.sampled_from([parse_address(h) for h in HOSTS]) | st.integers(0, 2**32 - 1)
packets = st.builds(
    Packet,
    interesting,
    interesting,
    st.sampled_from([ICMP, TCP, UDP, GRE]) | st.integers(0, 255),
    st.sampled_from([53, 80, 3389, 33434]) | st.integers(0, 65535),
    st.sampled_from([22, 25, 53, 80, 161, 443, 1024]) | st.integers(0, 65535),
    st.integers(0, 255),
    st.integers(0, 255),
    st.sampled_from(["new", "established"]),
)


# -- import: goldens -----------------------------------------------------------------------

IPT = {
    "sample_multitarget": iptables.parse(
        (AERLEON / "generated" / "sample_multitarget.ipt").read_text(), source="multitarget.ipt"
    ),
    "sample_speedway": iptables.parse(
        (AERLEON / "generated" / "sample_speedway.ipt").read_text(), source="speedway.ipt"
    ),
}
NFT = nftables.parse(
    (AERLEON / "derived" / "sample_nftables.json").read_text(), source="sample_nftables.json"
)


def _golden_stage(golden: Ruleset, chain: str) -> Stage:
    return next(s for s in golden.stages if s.chain == chain)


# (policy, filter, golden rule set, golden base chain, packet states compared)
GOLDEN_CASES = [
    ("sample_multitarget.pol", 0, IPT["sample_multitarget"], "INPUT", "new"),
    ("sample_multitarget.pol", 1, IPT["sample_multitarget"], "OUTPUT", "new"),
    ("sample_speedway.pol", 0, IPT["sample_speedway"], "INPUT", "both"),
    ("sample_speedway.pol", 2, IPT["sample_speedway"], "FORWARD", "both"),
    ("sample_nftables.pol", 0, NFT, "root0", "both"),
    ("sample_nftables.pol", 1, NFT, "root1", "both"),
    ("sample_nftables.pol", 2, NFT, "root2", "both"),
    ("sample_nftables.pol", 3, NFT, "root3", "both"),
]
_IMPORTED = {(p, i): _import(p, i) for p, i, *_ in GOLDEN_CASES}


@pytest.mark.parametrize(("policy", "index", "golden", "chain", "states"), GOLDEN_CASES)
def test_imported_filter_gives_the_verdicts_of_aerleons_golden(
    policy, index, golden, chain, states
):
    """Every sample packet (new, and established where the golden's target is purely stateful
    or purely stateless) gets the same verdict from the imported filter and from the
    configuration Aerleon generated for it."""
    ours = _import(policy, index)
    stage = _golden_stage(golden, chain)
    accepted = 0
    for packet in NEW if states == "new" else BOTH:
        expected = _accepts(golden, stage, packet)
        assert _accepts(ours, _forward(ours), packet) is expected, packet
        accepted += expected
    # The comparison is not vacuous: both verdicts occur, except in all-deny/all-accept filters.
    total = len(NEW if states == "new" else BOTH)
    assert 0 <= accepted <= total
    # speedway's FORWARD filter rejects everything; nftables filters 0-2 accept everything.
    if (policy, index) not in {
        ("sample_speedway.pol", 2),
        *(("sample_nftables.pol", i) for i in range(3)),
    }:
        assert 0 < accepted < total


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(packet=packets, case=st.sampled_from(GOLDEN_CASES))
def test_imported_filters_agree_with_goldens_on_generated_packets(packet, case):
    """Hypothesis packets (any protocol, port, ICMP type, state) agree too."""
    policy, index, golden, chain, states = case
    if states == "new" and packet.state != "new":
        packet = dataclasses.replace(packet, state="new")
    ours = _IMPORTED[(policy, index)]
    expected = _accepts(golden, _golden_stage(golden, chain), packet)
    assert _accepts(ours, _forward(ours), packet) is expected


def test_nftables_golden_of_an_icmpv6_term_accepts_everything_in_the_ipv4_table():
    """A known divergence, and Aerleon's: in ``sample_nftables.pol``'s last filter (``inet
    INPUT``), the golden renders the icmpv6-only term ``test-icmp-type-ip6`` in the IPv4 table
    as ``ct state new accept``. The import reads the term as written (protocol icmpv6), so the
    verdicts differ exactly on new packets that rule accepts."""
    ours = _import("sample_nftables.pol", 6)
    stage = _golden_stage(NFT, "root6")
    differ = []
    for packet in BOTH:
        golden = run_stage(NFT, stage, packet, None, None)
        if (golden.outcome == "accept") is not _accepts(ours, _forward(ours), packet):
            differ.append((packet, golden))
    assert differ
    for packet, golden in differ:
        assert golden.outcome == "accept" and packet.state == "new"
        decider = golden.deciders[-1]
        assert isinstance(decider, Rule)
        assert "ct state new accept" in decider.location.text
        assert "test-icmp-type-ip6" in " ".join(
            f"{d.location.ref} {d.location.text}" for d in golden.deciders if isinstance(d, Rule)
        )
    # GRE is one of them: accepted by the golden, dropped by the policy as written.
    gre = Packet(parse_address("1.2.3.4"), parse_address("200.1.1.1"), GRE)
    assert any(p == gre for p, _ in differ)


def _speedway(ruleset_policy, hook: str = "FORWARD") -> Ruleset:
    """Render an Aerleon policy object with its targets replaced by ``speedway HOOK DROP``."""
    from aerleon.lib import policy as aerleon_policy
    from aerleon.lib import speedway

    ruleset_policy.filters = ruleset_policy.filters[:1]
    for header, _ in ruleset_policy.filters:
        header.target = [aerleon_policy.Target(["speedway", hook, "DROP"])]
    return iptables.parse(str(speedway.Speedway(ruleset_policy, 2)), source="speedway.ipt")


def _parsed(name: str):
    from aerleon.lib import naming
    from aerleon.lib import policy as aerleon_policy
    from aerleon.lib import yaml as aerleon_yaml

    definitions = naming.Naming()
    definitions.ParseYaml(DEFINITIONS["naming.yaml"], "naming.yaml")
    text = (POL / name).read_text()
    if name.endswith(".yaml"):
        # FortiGate-only logging options, which speedway refuses.
        text = re.sub(r"(?m)^\s*option: log_traffic.*\n", "", text)
        return aerleon_yaml.ParsePolicy(
            text, filename=name, base_dir=str(POLICIES), definitions=definitions
        )
    return aerleon_policy.ParsePolicy(text, definitions, optimize=False, filename=name)


@pytest.mark.parametrize("name", ["sample_paloalto.pol", "sample_fortigate.yaml"])
def test_zone_based_policies_agree_with_a_speedway_rendering_of_the_same_terms(name):
    """PAN-OS and FortiGate output has no parser here: the same parsed policy rendered by
    Aerleon for speedway (iptables-restore) is the oracle for new connections."""
    ours = _import(name, 0)
    golden = _speedway(_parsed(name))
    stage = _golden_stage(golden, "FORWARD")
    verdicts = set()
    for packet in NEW:
        expected = _accepts(golden, stage, packet)
        assert _accepts(ours, _forward(ours), packet) is expected, packet
        verdicts.add(expected)
    assert verdicts == {True, False}
    # Stateful targets accept packets of established connections first.
    first = ours.chains[(_forward(ours).table, _forward(ours).chain)].rules[0]
    assert first.location.ref.startswith("stateful target")
    assert any("limits the filter to traffic from zone" in a for a in ours.assumptions)


def test_fortigate_yaml_terms_keep_their_lines_and_logging_is_ignored():
    ours = _import("sample_fortigate.yaml")
    chain = next(iter(ours.chains.values()))
    refs = [(r.location.ref, r.location.line) for r in chain.rules[1:]]
    assert refs == [
        ("term accept-to-public-dns", 8),
        ("term deny-to-internal", 14),
        ("term deny-to-specific_hosts", 18),
        ("term default-permit", 24),
    ]
    assert {(i.reason, i.lines) for i in ours.ignored} >= {("logging", (18,))}
    dns = Packet(parse_address("10.1.1.1"), parse_address("8.8.8.8"), UDP, 49152, 53)
    inside = Packet(parse_address("1.2.3.4"), parse_address("10.9.9.9"), TCP, 49152, 443)
    assert _accepts(ours, _forward(ours), dns)
    assert not _accepts(ours, _forward(ours), inside)


def test_default_filter_is_the_forwarding_one_and_the_choice_is_stated():
    """sample_speedway.pol has INPUT, OUTPUT and FORWARD filters: FORWARD is read."""
    ours = _import("sample_speedway.pol")
    chain = next(iter(ours.chains.values()))
    assert chain.name == "FORWARD"
    assert [r.location.ref for r in chain.rules] == ["term base-forwarding-deny"]
    assert chain.rules[0].action is Verdict.REJECT
    assert chain.rules[0].location.line == 67
    assert any("filter 3 (targets speedway FORWARD DROP)" in a for a in ours.assumptions)
    first = _import("sample_multitarget.pol")
    assert any("filter 1 (" in a and "the first one" in a for a in first.assumptions)


def test_terms_from_includes_point_at_the_include_file():
    ours = _import("sample_multitarget.pol")
    chain = next(iter(ours.chains.values()))
    located = {r.location.ref: (r.location.source, r.location.line) for r in chain.rules}
    assert located["term deny-from-bogons"] == ("includes/untrusted-networks-blocking.inc", 1)
    assert located["term permit-mail-services"] == ("sample_multitarget.pol", 26)


def test_verbatim_for_the_filters_platform_is_refused_with_its_line():
    with pytest.raises(UnsupportedSyntax) as caught:
        _import("sample_speedway.pol", 1)
    assert caught.value.line == 33
    assert "verbatim speedway" in str(caught.value)


def test_established_options():
    """tcp-established/established match established packets only; on a stateless target,
    established UDP also matches new flows to ports 1024-65535 (as Aerleon renders it)."""
    policy = """
header {
  target:: %s
}
term replies {
  protocol:: udp
  option:: established
  action:: accept
}
term tcp-replies {
  protocol:: tcp
  option:: tcp-established
  action:: accept
}
"""
    src, dst = parse_address("1.1.1.1"), parse_address("2.2.2.2")
    for target, new_udp_high in (("speedway FORWARD", False), ("juniper edge", True)):
        ours = aerleon.parse(policy % target, source="e.pol", definitions={})
        stage = _forward(ours)
        assert _accepts(ours, stage, Packet(src, dst, UDP, 53, 2000)) is new_udp_high
        assert not _accepts(ours, stage, Packet(src, dst, UDP, 53, 53))
        assert not _accepts(ours, stage, Packet(src, dst, TCP, 443, 2000))
        assert _accepts(ours, stage, Packet(src, dst, TCP, 443, 2000, state="established"))
        assert _accepts(ours, stage, Packet(src, dst, UDP, 53, 53, state="established"))


def test_unmodelled_criteria_broaden_accept_terms_and_refuse_deny_terms():
    accept = """
header {
  target:: paloalto from-zone a to-zone b
}
term web {
  pan-application:: ssl
  protocol:: tcp
  destination-port:: HTTPS
  action:: accept
}
"""
    ours = aerleon.parse(accept, source="a.pol", definitions=DEFINITIONS)
    assert any("also matches on PAN-OS applications" in a for a in ours.assumptions)
    web = Packet(parse_address("1.1.1.1"), parse_address("2.2.2.2"), TCP, 49152, 443)
    assert _accepts(ours, _forward(ours), web)
    with pytest.raises(UnsupportedSyntax) as caught:
        aerleon.parse(
            accept.replace("accept\n}", "deny\n}"), source="d.pol", definitions=DEFINITIONS
        )
    assert caught.value.line == 5
    assert caught.value.source == "d.pol"


def test_address_excludes_ports_and_next():
    policy = """
header {
  target:: speedway FORWARD
}
term skip {
  source-address:: RFC1918
  action:: next
}
term allow {
  source-address:: RFC1918
  source-exclude:: INTERNAL_NOT_HERE
  destination-port:: SSH
  protocol:: tcp
  action:: accept
}
"""
    definitions = {
        "a.net": "RFC1918 = 10.0.0.0/8\n   172.16.0.0/12\nINTERNAL_NOT_HERE = 10.5.0.0/16\n",
        "b.svc": "SSH = 22/tcp\n",
    }
    ours = aerleon.parse(policy, source="x.pol", definitions=definitions)
    stage = _forward(ours)
    chain = ours.chains[(stage.table, stage.chain)]
    assert chain.rules[0].action is None  # next: continue with the following term
    dst = parse_address("9.9.9.9")
    assert _accepts(ours, stage, Packet(parse_address("10.1.1.1"), dst, TCP, 1, 22))
    assert not _accepts(ours, stage, Packet(parse_address("10.5.1.1"), dst, TCP, 1, 22))
    assert not _accepts(ours, stage, Packet(parse_address("10.1.1.1"), dst, TCP, 1, 23))


# -- import: errors ------------------------------------------------------------------------

HEADER = "header {\n  target:: speedway FORWARD\n}\n"


EXCLUDES = {"n.net": "NET_X = 10.0.0.0/8\nNET_E = 10.9.0.0/16\n"}


def _verdict(policy: str, src: str, dst: str, definitions=EXCLUDES) -> str:
    ours = aerleon.parse(policy, source="x.pol", definitions=definitions)
    packet = Packet(parse_address(src), parse_address(dst), TCP, 49152, 443)
    return run_stage(ours, _forward(ours), packet, None, None).outcome


def test_address_with_address_exclude_is_either_side_in_the_difference():
    """Aerleon (Term.FlattenAll) reads address X with address-exclude E as "source or
    destination in X minus E", not "(source or destination in X) and neither in E"."""
    policy = """
header { target:: juniper fw inet }
term allow-x {
  address:: NET_X
  address-exclude:: NET_E
  action:: accept
}
term deny-rest { action:: deny }
"""
    assert _verdict(policy, "10.9.0.5", "10.1.0.5") == "accept"
    assert _verdict(policy, "10.1.0.5", "10.9.0.5") == "accept"
    assert _verdict(policy, "10.9.0.5", "10.9.0.6") == "drop"
    assert _verdict(policy, "10.9.0.5", "8.8.8.8") == "drop"
    assert _verdict(policy, "8.8.8.8", "8.8.4.4") == "drop"
    # An exclusion that removes every address leaves a term that matches nothing.
    everything = policy.replace("NET_E", "NET_X").replace("action:: deny", "action:: accept")
    ours = aerleon.parse(
        everything.replace("deny-rest", "rest"), source="x.pol", definitions=EXCLUDES
    )
    assert any("removes every IPv4 address" in i.reason for i in ours.ignored)


def test_source_and_destination_excludes_follow_the_targets():
    """With its address, an exclude is X minus E on every target; alone, iptables/speedway
    read it as "every address but E", juniper and others drop it; for targets that disagree
    an accept term is widened and a deny term refused."""
    both = """
header { target:: juniper fw inet }
term allow-x {
  destination-address:: NET_X
  destination-exclude:: NET_E
  action:: accept
}
"""
    assert _verdict(both, "8.8.8.8", "10.1.0.5") == "accept"
    assert _verdict(both, "8.8.8.8", "10.9.0.5") == "drop"
    alone = """
header { target:: %s }
term t {
  source-exclude:: NET_E
  action:: %s
}
"""
    assert _verdict(alone % ("speedway FORWARD", "accept"), "10.9.0.5", "1.1.1.1") == "drop"
    assert _verdict(alone % ("speedway FORWARD", "accept"), "10.1.0.5", "1.1.1.1") == "accept"
    assert _verdict(alone % ("juniper fw inet", "accept"), "10.9.0.5", "1.1.1.1") == "accept"
    assert _verdict(alone % ("juniper fw inet", "deny"), "10.9.0.5", "1.1.1.1") == "drop"
    mixed = "speedway FORWARD\n  target:: juniper fw inet"
    assert _verdict(alone % (mixed, "accept"), "10.9.0.5", "1.1.1.1") == "accept"
    with pytest.raises(UnsupportedSyntax) as caught:
        _verdict(alone % (mixed, "deny"), "10.9.0.5", "1.1.1.1")
    assert "source-exclude without source-address" in str(caught.value)
    address_alone = alone.replace("source-exclude", "address-exclude")
    assert _verdict(address_alone % ("juniper fw inet", "accept"), "10.9.0.5", "1.1.1.1") == (
        "accept"
    )
    with pytest.raises(UnsupportedSyntax):
        _verdict(address_alone % ("speedway FORWARD", "deny"), "10.9.0.5", "1.1.1.1")


def test_diamond_definitions_are_refused_quickly_with_their_name():
    """Each name containing the next two expands exponentially in Aerleon: refused first."""
    depth = 30
    lines = [f"N{i} = N{i + 1}\n    N{i + 2}" for i in range(depth)]
    lines += [f"N{depth} = 10.0.0.0/8", f"N{depth + 1} = 10.1.0.0/16"]
    policy = HEADER + "term a {\n  source-address:: N0\n  action:: accept\n}\n"
    with pytest.raises(ParseError) as caught:
        aerleon.parse(policy, source="x.pol", definitions={"d.net": "\n".join(lines) + "\n"})
    assert caught.value.source == "d.net"
    assert re.search(r"network N\d+ expands to more than", str(caught.value))
    name = re.search(r"network (N\d+)", str(caught.value)).group(1)
    assert caught.value.text.startswith(f"{name} =")
    # A small diamond is read.
    small = "A = B\n    C\nB = C\nC = 10.0.0.0/8\n"
    policy_a = policy.replace("N0", "A")
    assert aerleon.parse(policy_a, source="x.pol", definitions={"d.net": small}).chains
    # Circular names are refused instead of recursing.
    with pytest.raises(ParseError, match="contains itself"):
        aerleon.parse(policy_a, source="x.pol", definitions={"d.net": "A = B\nB = A\n"})


def test_uses_of_large_names_are_bounded_in_all():
    big = "BIG = " + "\n    ".join(f"10.{i // 250}.{i % 250}.0/24" for i in range(40_000))
    terms = "".join(
        f"term t{i} {{\n  source-address:: BIG\n  action:: accept\n}}\n" for i in range(8)
    )
    with pytest.raises(ParseError, match="expand to more than"):
        aerleon.parse(HEADER + terms, source="x.pol", definitions={"d.net": big + "\n"})


def _policy_folder(root: Path, name: str = "42") -> Path:
    folder = root / "up" / name
    folder.mkdir(parents=True)
    (folder / "def").mkdir()
    (folder / "def" / "n.net").write_text("X = 10.0.0.0/8\n")
    (root / "up" / f"{name}0").mkdir()
    (root / "up" / f"{name}0" / "secret.yaml").write_text(
        "terms:\n- name: leaked-allow-all\n  action: accept\n"
    )
    return folder


YAML_POLICY = """filters:
- header:
    targets:
      speedway: FORWARD DROP
  terms:
  - include: %s
"""


@pytest.mark.parametrize(
    "include", ["../420/secret.yaml", "inner.yaml", "../42/../420/secret.yaml"]
)
def test_yaml_includes_must_lie_inside_the_policy_folder(tmp_path, include):
    """Aerleon's own check compares path strings: folder 420 passes for base folder 42."""
    folder = _policy_folder(tmp_path)
    (folder / "inner.yaml").write_text("terms:\n- include: ../420/secret.yaml\n")
    with pytest.raises(ParseError) as caught:
        aerleon.parse(YAML_POLICY % include, source="p.yaml", definitions={}, base_dir=str(folder))
    assert "lies outside the policy folder" in caught.value.message
    assert str(tmp_path) not in str(caught.value)


def test_yaml_includes_inside_the_folder_are_read(tmp_path):
    folder = _policy_folder(tmp_path)
    (folder / "inc").mkdir()
    (folder / "inc" / "ok.yaml").write_text("terms:\n- name: ok\n  action: accept\n")
    ours = aerleon.parse(
        YAML_POLICY % "inc/ok.yaml", source="p.yaml", definitions={}, base_dir=str(folder)
    )
    rule = next(iter(ours.chains.values())).rules[0]
    assert (rule.location.source, rule.location.line) == ("inc/ok.yaml", 2)


def _no_server_path(error: Exception, root: Path) -> None:
    error_text = "\n".join(
        [str(error), getattr(error, "message_ja", ""), getattr(error, "hint_ja", "")]
    )
    assert str(root) not in error_text
    assert str(root.resolve()) not in error_text
    assert not re.search(r"(?<![\w.:~-])/(tmp|home|srv|var|private)/", error_text)


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("p.pol", HEADER + "#include 'missing.inc'\n", "missing.inc: No such file"),
        ("p.pol", HEADER + "#include 'bad.txt'\n", "bad.txt"),
        ("p.yaml", YAML_POLICY % "nothere.yaml", "nothere.yaml: No such file"),
        ("p.yaml", YAML_POLICY % "broken.yaml", "broken.yaml"),
        ("p.yaml", YAML_POLICY % "notes.txt", "notes.txt"),
    ],
)
def test_errors_name_files_relative_to_the_policy_folder(tmp_path, name, text, words):
    folder = _policy_folder(tmp_path)
    (folder / "bad.txt").write_text("term x {\n  action:: accept\n}\n")
    (folder / "notes.txt").write_text("terms: []\n")
    (folder / "broken.yaml").write_text("terms: [\n  - {name: x\n")
    with pytest.raises(ParseError) as caught:
        aerleon.parse(text, source=name, definitions={}, base_dir=str(folder))
    assert words in caught.value.message
    _no_server_path(caught.value, tmp_path)


def test_verify_of_a_confined_model_shows_no_server_path(tmp_path):
    folder = _policy_folder(tmp_path)
    (folder / "p.yaml").write_text(YAML_POLICY % "../420/secret.yaml")
    (folder / "m.yaml").write_text(_model_text("{file: p.yaml, format: aerleon, definitions: def}"))
    model = dataclasses.replace(load_model(folder / "m.yaml"), confined=True)
    with pytest.raises(ParseError) as caught:
        verify(model, today=TODAY)
    assert caught.value.source == "p.yaml"
    _no_server_path(caught.value, tmp_path)


@pytest.mark.parametrize(
    ("name", "text", "definitions", "line", "words"),
    [
        (
            "undefined.pol",
            HEADER + "term a {\n  source-address:: NOPE\n  action:: accept\n}\n",
            DEFINITIONS,
            5,
            "undefined name NOPE",
        ),
        (
            "undefined.yaml",
            "filters:\n  - header:\n      targets:\n        speedway: FORWARD\n    terms:\n"
            "      - name: a\n        destination-address: NOPE\n        action: accept\n",
            DEFINITIONS,
            7,
            "undefined name NOPE",
        ),
        (
            "syntax.pol",
            HEADER + "term a {\n  sourc-address:: RFC1918\n  action:: accept\n}\n",
            DEFINITIONS,
            5,
            "Aerleon cannot read the policy",
        ),
        (
            "syntax.yaml",
            "filters:\n  - header:\n      targets:\n        speedway: FORWARD\n    terms:\n"
            "      - name: a\n        action: [accept\n",
            DEFINITIONS,
            8,
            "Unable to read file as YAML",
        ),
        (
            "missing.pol",
            HEADER + "term a {\n  protocol:: tcp\n  destination-port:: SSH\n  action:: accept\n}\n",
            None,
            6,
            "no naming definitions were given",
        ),
        ("illegal.pol", HEADER + "term a {\n  action:: accept\n  $\n}\n", {}, 6, "character"),
        ("action.pol", HEADER + "term a {\n  action:: bogus\n}\n", {}, 4, "not a valid action"),
        ("brace.pol", HEADER + "term a {\n  action:: accept\n", {}, 4, "unbalanced braces"),
        ("include.pol", "#include 'x.inc'\n" + HEADER, {}, 1, "no folder to read includes"),
        ("empty.pol", "# nothing\n", {}, 1, "the policy is empty"),
        (
            "icmp.pol",
            HEADER
            + "term a {\n  protocol:: tcp\n  icmp-type:: echo-request\n  action:: accept\n}\n",
            {},
            4,
            "icmp-type needs protocol icmp",
        ),
    ],
)
def test_errors_are_parse_errors_with_file_and_line(name, text, definitions, line, words):
    with pytest.raises(ParseError) as caught:
        aerleon.parse(text, source=name, definitions=definitions)
    error = caught.value
    assert (error.source, error.line) == (name, line)
    assert words in str(error)
    assert error.hint
    assert "Traceback" not in error.render("ja")


def test_a_broken_definition_file_is_named():
    with pytest.raises(ParseError) as caught:
        aerleon.parse(
            HEADER + "term a {\n  action:: accept\n}\n",
            source="p.pol",
            definitions={"bad.yaml": "networks:\n  A:\n    values: [\n"},
        )
    assert caught.value.source == "bad.yaml"
    assert "naming definitions bad.yaml" in str(caught.value)


SEED_LINES = (POL / "sample_multitarget.pol").read_text().splitlines()[20:60]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(max_size=200)
    | st.lists(
        st.sampled_from(SEED_LINES)
        | st.sampled_from(["{", "}", "term", "header {", "target:: speedway", "::", "#include x"])
        | st.text(max_size=20),
        max_size=30,
    ).map("\n".join),
    yaml_source=st.booleans(),
)
def test_arbitrary_text_gives_a_ruleset_or_a_parse_error(text, yaml_source):
    try:
        aerleon.parse(
            text, source="fuzz.yaml" if yaml_source else "fuzz.pol", definitions=DEFINITIONS
        )
    except ParseError as error:
        assert error.line >= 1


# -- the model and the verifier --------------------------------------------------------------


def _model_text(ruleset: str) -> str:
    return f"""version: 1
zones:
  - {{name: a, segment: lgwan, prefixes: [10.1.0.0/24]}}
devices:
  - name: fw
    ruleset: {ruleset}
    interfaces:
      - {{name: eth0, address: 10.1.0.1/24, zones: [a]}}
"""


def test_definitions_belong_to_format_aerleon_only(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(_model_text("{file: x.rules, format: iptables-save, definitions: def}"))
    with pytest.raises(ModelError) as caught:
        load_model(path)
    assert caught.value.path == "devices[0].ruleset.definitions"
    path.write_text(_model_text("{file: pol/x.pol, format: aerleon, definitions: def}"))
    assert load_model(path).devices[0].ruleset.definitions == "def"


def test_verify_reports_a_missing_definitions_folder_and_policy_errors(tmp_path):
    (tmp_path / "pol").mkdir()
    (tmp_path / "pol" / "x.pol").write_text(
        HEADER + "term a {\n  source-address:: NOPE\n  action:: accept\n}\n"
    )
    path = tmp_path / "m.yaml"
    path.write_text(_model_text("{file: pol/x.pol, format: aerleon, definitions: nowhere}"))
    with pytest.raises(ModelError) as caught:
        verify(path, today=TODAY)
    assert caught.value.path == "devices[0].ruleset.definitions"
    (tmp_path / "def").mkdir()
    (tmp_path / "def" / "n.net").write_text("OTHER = 10.0.0.0/8\n")
    path.write_text(_model_text("{file: pol/x.pol, format: aerleon, definitions: def}"))
    with pytest.raises(ParseError) as parse_error:
        verify(path, today=TODAY)
    assert (parse_error.value.source, parse_error.value.line) == ("pol/x.pol", 5)


# -- export ------------------------------------------------------------------------------


def _zone_of(model: NetworkModel, address: int):
    best = None
    for zone in model.zones:
        for network, length in zone.prefixes:
            lo, hi = prefix_range(network, length)
            if lo <= address <= hi and (best is None or length > best[0]):
                best = (length, zone)
    return best[1] if best else None


def _in(prefixes, address: int) -> bool:
    return any(
        lo <= address <= hi for lo, hi in (prefix_range(n, length) for n, length in prefixes)
    )


def _serves(services, packet: Packet) -> bool:
    return any(
        (s.protocol is None or s.protocol == packet.proto)
        and (not s.ports or any(lo <= packet.dport <= hi for lo, hi in s.ports))
        for s in services
    )


def _allowed(model: NetworkModel, packet: Packet, today: datetime.date) -> bool:
    """The policy on one concrete new connection that crosses no security-cloud device."""
    source, destination = _zone_of(model, packet.src), _zone_of(model, packet.dst)
    a, b = source.segment, destination.segment
    for exception in model.exceptions:
        if (
            exception.expires >= today
            and _in(exception.sources, packet.src)
            and _in(exception.destinations, packet.dst)
            and _serves(exception.services, packet)
        ):
            return True
    rule = rule_for(model.policy, a, b)
    if rule is FlowRule.ALLOW:
        return True
    if rule is FlowRule.CROSSING_ONLY:
        return any(
            a in p.segments
            and b in p.segments
            and (_in(p.addresses, packet.src) or _in(p.addresses, packet.dst))
            and _serves(p.services, packet)
            for p in model.crossing_points
        )
    if rule is FlowRule.SECURITY_CLOUD:
        zones = model.security_cloud.zones if model.security_cloud else ()
        return source.name in zones or destination.name in zones
    if rule is FlowRule.CLOUD_SERVICES_ONLY:
        return any(
            _in(c.prefixes, packet.dst) and _serves(c.services, packet)
            for c in model.cloud_services
        )
    return False


def _write(files: dict[str, str], root: Path) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def _reimport(files: dict[str, str]) -> Ruleset:
    definitions = {Path(n).name: t for n, t in files.items() if n.startswith("def/")}
    return aerleon.parse(files[POLICY], source=POLICY, definitions=definitions)


MODELS = {"planted": PLANTED / "model.yaml", "compliant": DATA / "compliant.yaml"}
EXPORTED = {name: export(load_model(path), today=TODAY) for name, path in MODELS.items()}
REIMPORTED = {name: _reimport(files) for name, files in EXPORTED.items()}


def _model_packets(model: NetworkModel) -> list[Packet]:
    hosts = ["192.0.2.7", "203.0.113.10", "198.51.100.20", "8.8.8.8"]
    hosts += ["10.10.0.25", "10.10.0.80", "10.10.0.9", "10.20.0.5", "10.20.0.30", "10.20.0.31"]
    hosts += ["10.20.0.32", "10.20.0.50", "10.30.0.10", "10.30.0.11", "10.30.0.12", "10.30.0.99"]
    out = []
    for src, dst in itertools.product(hosts, hosts):
        s, d = parse_address(src), parse_address(dst)
        for port in (22, 25, 80, 443, 445, 8443):
            out.append(Packet(s, d, TCP, 49152, port))
        out.append(Packet(s, d, UDP, 49152, 53))
        out.append(Packet(s, d, ICMP, icmp_type=8))
    return out


@pytest.mark.parametrize("name", sorted(MODELS))
def test_exported_policy_permits_exactly_what_the_policy_allows(name):
    """Against a concrete oracle of the matrix, crossing points, the security cloud's zones and
    unexpired exceptions, on every pair of sample hosts and services."""
    model = load_model(MODELS[name])
    ours = REIMPORTED[name]
    verdicts = set()
    for packet in _model_packets(model):
        expected = _allowed(model, packet, TODAY)
        assert _accepts(ours, _forward(ours), packet) is expected, packet
        verdicts.add(expected)
    assert verdicts == {True, False}


@settings(max_examples=400, deadline=None)
@given(
    packet=st.builds(
        Packet,
        st.integers(0, 2**32 - 1) | st.sampled_from([parse_address("10.10.0.25")]),
        st.integers(0, 2**32 - 1)
        | st.sampled_from([parse_address(a) for a in ("10.20.0.30", "10.10.0.80")])
        | st.integers(parse_address("10.0.0.0"), parse_address("10.40.0.0")),
        st.sampled_from([TCP, UDP, ICMP, GRE]),
        st.integers(0, 65535),
        st.sampled_from([25, 443, 445, 22]) | st.integers(0, 65535),
    ),
    name=st.sampled_from(sorted(MODELS)),
)
def test_exported_policy_agrees_with_the_oracle_on_generated_packets(packet, name):
    model = load_model(MODELS[name])
    ours = REIMPORTED[name]
    assert _accepts(ours, _forward(ours), packet) is _allowed(model, packet, TODAY)


def test_exported_policy_denies_the_planted_violation():
    ours = REIMPORTED["planted"]
    internet = parse_address("192.0.2.7")
    # The DNAT of fw-edge delivers 203.0.113.10:8443 to 10.20.0.50:443 (external -> lgwan).
    for dst, port in (("10.20.0.50", 443), ("10.20.0.50", 8443)):
        assert not _accepts(
            ours, _forward(ours), Packet(internet, parse_address(dst), TCP, 1, port)
        )
    opened = REIMPORTED["compliant"]
    vendor = Packet(internet, parse_address("10.20.0.50"), TCP, 1, 443)
    assert _accepts(opened, _forward(opened), vendor)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_network_running_the_exported_policy_is_proved_compliant(name, tmp_path):
    """Every device of the network runs the exported policy (format aerleon with its
    definitions folder): the verifier proves every pair, where the planted rules break one."""
    source = MODELS[name]
    _write(EXPORTED[name], tmp_path)
    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    for device in document["devices"]:
        device["ruleset"] = {"file": POLICY, "format": "aerleon", "definitions": "def"}
    path = tmp_path / "model.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    report = verify(path, today=TODAY)
    assert report.compliant and not report.violations
    assert report.rules == sum(1 for _ in document["devices"]) * REIMPORTED[name].rule_count()
    if name == "planted":
        assert not verify(source, today=TODAY).compliant


class _Clock:
    """Aerleon's aclgenerator reads the clock to drop expired terms: pin it to TODAY."""

    timedelta = datetime.timedelta
    timezone = datetime.timezone
    date = datetime.date

    class datetime(datetime.datetime):  # mirrors the module attribute it replaces
        @classmethod
        def now(cls, tz=None):
            return cls(TODAY.year, TODAY.month, TODAY.day, tzinfo=tz)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_aerleon_renders_the_export_to_iptables_our_parser_reads_alike(name, monkeypatch):
    """Aerleon's own generator turns the exported files into iptables-restore text (speedway);
    our iptables parser reads it and gives the verdicts of the import on every sample packet."""
    from aerleon import api
    from aerleon.lib import aclgenerator, naming

    monkeypatch.setattr(aclgenerator, "datetime", _Clock)
    files = EXPORTED[name]
    definitions = naming.Naming()
    definitions.ParseYaml(files[NETWORKS], "networks.yaml")
    definitions.ParseYaml(files[SERVICES], "services.yaml")
    policy = yaml.safe_load(files[POLICY])
    policy["filename"] = "segments"
    generated = api.Generate([policy], definitions)
    text = generated["segments.ipt"]
    assert text.startswith("*filter") and ":FORWARD DROP" in text
    assert "-s 10.30.0.10/32" in text  # exception EX-2025-001, unexpired at TODAY
    rendered = iptables.parse(text, source="segments.ipt")
    stage = _golden_stage(rendered, "FORWARD")
    ours = REIMPORTED[name]
    model = load_model(MODELS[name])
    for packet in _model_packets(model):
        expected = _accepts(ours, _forward(ours), packet)
        assert _accepts(rendered, stage, packet) is expected, packet
        established = dataclasses.replace(packet, state="established")
        assert _accepts(rendered, stage, established)
        assert _accepts(ours, _forward(ours), established)


def test_export_files_name_every_zone_point_and_exception_with_comments():
    files = EXPORTED["planted"]
    networks = yaml.safe_load(files[NETWORKS])["networks"]
    services = yaml.safe_load(files[SERVICES])["services"]
    assert {"ZONE_EXTERNAL", "ZONE_SC-PROXY", "ZONE_LGWAN-OFFICE", "SEG_LGWAN"} <= set(networks)
    assert networks["CP_MAIL-SANITIZER"]["values"] == [{"address": "10.10.0.25/32"}]
    assert services["CP_MAIL-SANITIZER"] == [{"port": 25, "protocol": "tcp"}]
    assert "EX_EX-2025-001_SRC" in networks and "EX_EX-2023-007_SRC" not in networks
    terms = yaml.safe_load(files[POLICY])["filters"][0]["terms"]
    assert terms[0]["option"] == "established"
    assert terms[-1] == {
        "name": terms[-1]["name"],
        "comment": "everything else is denied",
        "action": "deny",
    }
    comments = [t["comment"] for t in terms]
    assert "matrix cell lgwan -> internet: crossing_only, to crossing point mail-sanitizer" in (
        comments
    )
    exception = next(t for t in terms if "EX-2025-001" in t["comment"])
    assert exception["expiration"] == "2026-04-01"  # Aerleon drops it from that day on
    # The external zone's addresses exclude every more specific zone.
    seg_external = [v["address"] for v in networks["SEG_EXTERNAL"]["values"]]
    assert "10.20.0.0/24" not in seg_external and "198.51.100.0/24" not in seg_external
    # Without a date, every exception is written, the expired one included.
    undated = export(load_model(MODELS["planted"]))
    assert "EX_EX-2023-007_SRC" in yaml.safe_load(undated[NETWORKS])["networks"]
    assert re.search(r"expiration: '?2024-04-01", undated[POLICY])


def test_cli_aerleon_export_writes_the_files(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["aerleon-export", str(PLANTED / "model.yaml"), str(tmp_path), "--today", "2025-04-01"],
        stdout=out,
        stderr=err,
    )
    assert code == 0, err.getvalue()
    for name, text in EXPORTED["planted"].items():
        assert (tmp_path / name).read_text(encoding="utf-8") == text
    assert str(tmp_path / POLICY) in out.getvalue()
    code = main(
        ["aerleon-export", str(tmp_path / "missing.yaml"), str(tmp_path)], stdout=out, stderr=err
    )
    assert code == 2
    assert "モデルを読めない" in err.getvalue()


def test_the_imported_stage_is_a_forward_filter():
    ours = REIMPORTED["planted"]
    stage = _forward(ours)
    assert stage == Stage(Hook.FORWARD, 0, StageKind.FILTER, stage.table, stage.chain)
    chain = ours.chains[(stage.table, stage.chain)]
    assert isinstance(chain, Chain) and chain.policy is Verdict.DROP


# -- an intended policy in the model ---------------------------------------------------------

INTENDED = DATA / "aerleon"


def test_intended_aerleon_policy_on_fw_core_is_proved_before_deployment():
    """fw-core runs pol/intended.pol with .net/.svc definitions and an include: the planted DNAT
    path of fw-edge is blocked, so every pair is proved."""
    report = verify(INTENDED / "model.yaml", today=TODAY)
    assert report.compliant
    assert [(e.id, e.used) for e in report.exceptions] == [("EX-2025-001", True)]


def test_a_mistake_in_the_intended_policy_is_found_with_its_term_line(tmp_path):
    """A term that lets anything reach LGWAN on 443 shows up as the violating path's rule on
    fw-core, located at the term in the policy file."""
    import shutil

    shutil.copytree(INTENDED, tmp_path / "aerleon")
    shutil.copytree(PLANTED, tmp_path / "planted")
    policy = tmp_path / "aerleon" / "pol" / "intended.pol"
    text = policy.read_text(encoding="utf-8")
    mistake = (
        "term vendor-maintenance {\n  destination-address:: LGWAN_OFFICE\n"
        "  protocol:: tcp\n  destination-port:: HTTPS\n  action:: accept\n}\n\n"
    )
    text = text.replace("#include", mistake + "#include")
    policy.write_text(text, encoding="utf-8")
    line = text.splitlines().index("term vendor-maintenance {") + 1
    report = verify(tmp_path / "aerleon" / "model.yaml", today=TODAY)
    assert not report.compliant
    violation = next(v for v in report.violations if v.source_zone == "external")
    assert violation.destination_zone == "lgwan-office"
    core = next(h for h in violation.path if h.device == "fw-core")
    assert [(r.source, r.line, r.chain) for r in core.rules] == [
        ("pol/intended.pol", line, "term vendor-maintenance")
    ]


def test_ipv6_only_terms_are_listed_as_ignored():
    policy = HEADER + (
        "term v6 {\n  destination-address:: V6\n  action:: accept\n}\n"
        "term family {\n  restrict-address-family:: inet6\n  action:: accept\n}\n"
        "term rest {\n  action:: deny\n}\n"
    )
    ours = aerleon.parse(policy, source="v6.pol", definitions={"n.net": "V6 = 2001:db8::/32\n"})
    assert [r.location.ref for r in next(iter(ours.chains.values())).rules] == ["term rest"]
    assert [(i.reason, i.lines) for i in ours.ignored] == [
        ("terms that match IPv6 addresses only", (4, 8))
    ]
