"""Cisco IOS/IOS-XE and ASA parser: Batfish's example network, Batfish's own answer on
as2dept1's ACLs, a planted violation through an IOS ACL, and every ASA feature packet by packet."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from isms.segments import ParseError, UnsupportedSyntax, explain, verify
from isms.segments.addresses import format_address, parse_address
from isms.segments.evaluate import Packet, run_stage
from isms.segments.parsers import parse_ruleset
from isms.segments.parsers.cisco import DYNAMIC_ROUTING, parse_asa, parse_ios
from isms.segments.rules import Hook, Nat, Ruleset, StageKind

from .conftest import BATFISH, DATA

CISCO = DATA / "cisco"
EXAMPLE = BATFISH / "networks/example/live/configs"
IPTABLES_NET = BATFISH / "networks/iptables-firewall/configs"
AS2DEPT1 = EXAMPLE / "as2dept1.cfg"


def ip(text: str) -> int:
    return parse_address(text)


def tcp(src: str, dst: str, dport: int, sport: int = 40000, state: str = "new") -> Packet:
    return Packet(ip(src), ip(dst), 6, sport, dport, state=state)


def udp(src: str, dst: str, dport: int) -> Packet:
    return Packet(ip(src), ip(dst), 17, 40000, dport)


def icmp(src: str, dst: str, icmp_type: int = 8, code: int = 0) -> Packet:
    return Packet(ip(src), ip(dst), 1, icmp_type=icmp_type, icmp_code=code)


def forward(
    ruleset: Ruleset,
    packet: Packet,
    iif: str,
    oif: str,
    addresses: dict[str, str] | None = None,
) -> Packet | None:
    """Run a packet through every stage, in hook and priority order, with NAT rewrites.

    Returns the packet as it leaves (None when a filter drops it). Uses the evaluator's
    ``run_stage``; NAT takes the first address and port of a range, as ``evaluate`` does.
    """
    for hook in (Hook.PREROUTING, Hook.FORWARD, Hook.POSTROUTING):
        for stage in ruleset.stages_at(hook):
            out = oif if hook is not Hook.PREROUTING else None
            step = run_stage(ruleset, stage, packet, iif, out)
            if step.outcome == "drop":
                return None
            if isinstance(step.outcome, Nat) and packet.state == "new":
                packet = _rewrite(packet, step.outcome, oif, addresses or {})
    return packet


def _rewrite(packet: Packet, nat: Nat, oif: str, addresses: dict[str, str]) -> Packet:
    if nat.kind == "dnat":
        assert nat.addresses is not None
        port = nat.ports[0] if nat.ports else packet.dport
        return dataclasses.replace(packet, dst=nat.addresses[0], dport=port)
    address = ip(addresses[oif]) if nat.kind == "masquerade" else nat.addresses[0]  # type: ignore[index]
    port = nat.ports[0] if nat.ports else packet.sport
    return dataclasses.replace(packet, src=address, sport=port)


def passes(ruleset: Ruleset, packet: Packet, iif: str, oif: str) -> bool:
    return forward(ruleset, packet, iif, oif) is not None


# -- Batfish's example network --------------------------------------------------------------


def _declared(text: str) -> list[tuple[str, str]]:
    """Interfaces with an address and no shutdown, read with regular expressions (an
    independent reading of the same file)."""
    out = []
    for block in re.split(r"\n(?=\S)", text):
        head = re.match(r"interface (\S+)", block)
        if not head or re.search(r"^\s+shutdown\s*$", block, re.M):
            continue
        for match in re.finditer(r"^\s+ip address (\S+)(?: (\d+\.\d+\.\d+\.\d+))?", block, re.M):
            address, mask = match.groups()
            if mask:
                length = bin(ip(mask)).count("1")
                address = f"{address}/{length}"
            out.append((head.group(1), address))
    return out


@pytest.mark.parametrize(
    "path",
    sorted(EXAMPLE.glob("*.cfg")) + sorted(IPTABLES_NET.glob("*.cfg")),
    ids=lambda p: p.name,
)
def test_every_batfish_config_parses_as_ios_with_its_interfaces(path):
    """Each router of Batfish's example networks: interfaces and addresses as declared, no
    static routes (they have none), dynamic routing listed as ignored with its lines."""
    text = path.read_text()
    ruleset = parse_ios(text, source=path.name)
    got = [
        (i.name, f"{format_address(i.address)}/{i.prefix_length}")
        for i in ruleset.interfaces
        if i.address is not None
    ]
    assert got == _declared(text)
    assert ruleset.format == "cisco-ios"
    assert ruleset.routes == ()
    assert "ip route" not in text
    router_lines = [n for n, line in enumerate(text.splitlines(), 1) if line.startswith("router ")]
    dynamic = [i for i in ruleset.ignored if i.reason == DYNAMIC_ROUTING]
    assert len(dynamic) == 1
    assert set(router_lines) <= set(dynamic[0].lines)


def test_iptables_firewall_routers_match_the_hand_written_model():
    """The Batfish iptables-firewall model in tests/segments/data was written from these
    files by hand: the parser reads the same interfaces."""
    model = yaml.safe_load((DATA / "batfish-iptables-firewall.yaml").read_text())
    for device in model["devices"]:
        ruleset = parse_ios((IPTABLES_NET / f"{device['name']}.cfg").read_text(), source="x")
        parsed = {
            i.name: f"{format_address(i.address)}/{i.prefix_length}" for i in ruleset.interfaces
        }
        assert parsed == {i["name"]: i["address"] for i in device["interfaces"]}


def test_as2dept1_structure():
    ruleset = parse_ios(AS2DEPT1.read_text(), source="as2dept1.cfg")
    assert [(i.name, i.prefix_length) for i in ruleset.interfaces] == [
        ("Loopback0", 32),
        ("GigabitEthernet0/0", 24),
        ("GigabitEthernet1/0", 24),
        ("GigabitEthernet2/0", 24),
        ("GigabitEthernet3/0", 24),
    ]
    acl = ruleset.chain("ios", "RESTRICT_HOST_TRAFFIC_IN")
    assert [(r.location.line, r.action.value) for r in acl.rules] == [  # type: ignore[union-attr]
        (111, "accept"),
        (112, "drop"),
        (113, "accept"),
    ]  # "deny ip any any" matches everything: no implicit deny is added
    hosts = ip("2.128.0.7")
    assert passes(
        ruleset, tcp("2.128.0.7", "8.8.8.8", 80), "GigabitEthernet2/0", "GigabitEthernet0/0"
    )
    assert not passes(
        ruleset, icmp("9.9.9.9", "1.1.1.1"), "GigabitEthernet2/0", "GigabitEthernet0/0"
    )
    # no access-group on GigabitEthernet0/0: IOS forwards everything arriving there
    assert passes(
        ruleset, icmp("9.9.9.9", format_address(hosts)), "GigabitEthernet0/0", "GigabitEthernet2/0"
    )
    unused = next(i for i in ruleset.ignored if i.reason == "access lists applied to no interface")
    assert 114 in unused.lines and 119 in unused.lines  # RESTRICT_HOST_TRAFFIC_OUT, list 102


def _golden_rows():
    golden = json.loads((BATFISH / "goldens/filterLineReachability.ref").read_text())
    return golden[0]["rows"]


def _norm(text: str) -> str:
    return " ".join(text.split())


def _shadowed(report):
    return {
        _norm(f.rule.text): [_norm(b.text) for b in f.by]
        for f in report.rule_findings
        if f.kind == "shadowed"
    }


def test_batfish_filter_line_reachability_on_the_applied_acl(today):
    """Batfish: RESTRICT_HOST_TRAFFIC_IN's 'permit icmp any any' is blocked by 'deny ip any
    any'. Our analysis finds that line shadowed, the cover completed by the same line."""
    rows = {r["Sources"][0]: r for r in _golden_rows()}
    row = rows["as2dept1: RESTRICT_HOST_TRAFFIC_IN"]
    report = verify(CISCO / "as2dept1.yaml", today=today)
    shadowed = _shadowed(report)
    assert list(shadowed) == [_norm(row["Unreachable_Line"])]
    by = shadowed[_norm(row["Unreachable_Line"])]
    assert by[-1] == _norm(row["Blocking_Lines"][-1])
    assert {_norm(b) for b in row["Blocking_Lines"]} <= set(by)
    finding = next(f for f in report.rule_findings if f.kind == "shadowed")
    assert finding.rule.line == 113 and finding.rule.source.endswith("as2dept1.cfg")


def test_batfish_filter_line_reachability_on_both_acls(tmp_path, today):
    """Batfish analyses every ACL, applied or not; ours follows packets, so the unused
    RESTRICT_HOST_TRAFFIC_OUT is applied outbound on GigabitEthernet2/0 in a copy. Then both
    of Batfish's unreachable lines are found, blocked by the same lines, and nothing else."""
    text = AS2DEPT1.read_text().replace(
        " ip access-group RESTRICT_HOST_TRAFFIC_IN in\n negotiation auto\n!\ninterface "
        "GigabitEthernet3/0",
        " ip access-group RESTRICT_HOST_TRAFFIC_IN in\n ip access-group RESTRICT_HOST_TRAFFIC_OUT"
        " out\n negotiation auto\n!\ninterface GigabitEthernet3/0",
    )
    assert "RESTRICT_HOST_TRAFFIC_OUT out" in text
    (tmp_path / "as2dept1.cfg").write_text(text)
    model = (CISCO / "as2dept1.yaml").read_text()
    model = re.sub(r"file: \S+as2dept1.cfg", "file: as2dept1.cfg", model)
    (tmp_path / "model.yaml").write_text(model)
    report = verify(tmp_path / "model.yaml", today=today)
    shadowed = _shadowed(report)
    expected = {
        _norm(r["Unreachable_Line"]): [_norm(b) for b in r["Blocking_Lines"]]
        for r in _golden_rows()
    }
    assert set(shadowed) == set(expected)
    for line, blocking in expected.items():
        assert shadowed[line][-1] == blocking[-1]
        assert set(blocking) <= set(shadowed[line])


# -- a planted violation through an IOS ACL -------------------------------------------------


def test_planted_violation_through_an_ios_acl_names_the_acl_line(today):
    """core.cfg's FROM_EDGE sequence 20 lets the インターネット接続系 reach 10.20.0.50:443:
    the only violation, reported with that line; everything else is proved."""
    report = verify(CISCO / "model.yaml", today=today)
    assert not report.compliant
    assert len(report.violations) == 1
    violation = report.violations[0]
    assert (violation.source_zone, violation.destination_zone) == ("inet-dmz", "lgwan-office")
    assert violation.flows.destinations == ("10.20.0.50/32",)
    assert violation.flows.ports == ("443",)
    core = next(h for h in violation.path if h.device == "core")
    lines = [(r.source, r.line, r.text) for r in core.rules if not r.policy]
    assert lines[-1] == (
        "core.cfg",
        31,
        "20 permit tcp 10.10.0.0 0.0.0.255 host 10.20.0.50 eq 443",
    )
    assert lines[0][1] == 10  # the ip access-group line that sends the packet to FROM_EDGE
    verdicts = {(p.source_segment, p.destination_segment): p.compliant for p in report.pairs}
    assert [pair for pair, ok in verdicts.items() if not ok] == [("internet", "lgwan")]
    # the established entry matches no first packet and is not reported as a finding
    assert report.rule_findings == ()


def test_planted_network_without_the_planted_line_is_compliant(tmp_path, today):
    for name in ("edge.cfg", "model.yaml"):
        (tmp_path / name).write_text((CISCO / name).read_text())
    core = (CISCO / "core.cfg").read_text()
    (tmp_path / "core.cfg").write_text(
        core.replace(" 20 permit tcp 10.10.0.0 0.0.0.255 host 10.20.0.50 eq 443\n", "")
    )
    assert verify(tmp_path / "model.yaml", today=today).compliant


def test_static_nat_of_the_edge_router_delivers_mail_to_the_sanitizer(today):
    """From the Internet to 203.0.113.25:25 the edge translates to 10.10.0.25 (allowed); to
    any other port the inbound ACL drops it."""
    answer = explain(
        CISCO / "model.yaml",
        src="198.51.100.7",
        dst="203.0.113.25",
        proto="tcp",
        port=25,
        today=today,
    )
    (path,) = answer.paths
    assert path.destination_zone == "inet-dmz"
    assert "10.10.0.25" in path.final_packet
    assert path.verdict == "allowed"
    blocked = explain(
        CISCO / "model.yaml",
        src="198.51.100.7",
        dst="203.0.113.25",
        proto="tcp",
        port=22,
        today=today,
    )
    assert [p.verdict for p in blocked.paths] == ["blocked"]


def test_formats_are_registered():
    asa = parse_ruleset(ASA_BASE, format="cisco-asa", source="fw.cfg")
    assert asa.format == "cisco-asa" and asa.interfaces[0].zone == "outside"
    ios = parse_ruleset(IOS, format="cisco-ios", source="r.cfg")
    assert ios.format == "cisco-ios" and ios.interfaces[0].zone == ""


def test_edge_and_core_parse_with_routes_and_nat():
    edge = parse_ruleset((CISCO / "edge.cfg").read_text(), format="cisco-ios", source="edge.cfg")
    assert [
        (format_address(r.prefix[0]), r.prefix[1], format_address(r.via)) for r in edge.routes
    ] == [  # type: ignore[arg-type]
        ("0.0.0.0", 0, "203.0.113.254"),
        ("10.20.0.0", 16, "10.255.0.2"),
        ("10.30.0.0", 16, "10.255.0.2"),
    ]
    kinds = [(s.hook, s.priority, s.kind, s.chain) for s in edge.stages]
    assert kinds == [
        (Hook.PREROUTING, -200, StageKind.FILTER, "access-group in"),
        (Hook.PREROUTING, -100, StageKind.NAT, "nat outside-to-inside"),
        (Hook.POSTROUTING, 100, StageKind.NAT, "nat inside-to-outside"),
    ]
    # inside host to the Internet: overload NAT to GigabitEthernet0/0's address
    out = forward(
        edge, tcp("10.10.0.9", "192.0.2.1", 443), "GigabitEthernet0/1", "GigabitEthernet0/0"
    )
    assert out is not None and format_address(out.src) == "203.0.113.2"
    # the sanitizer keeps its static global address
    out = forward(
        edge, tcp("10.10.0.25", "192.0.2.1", 25), "GigabitEthernet0/1", "GigabitEthernet0/0"
    )
    assert out is not None and format_address(out.src) == "203.0.113.25"
    # towards the core (not an outside interface): no translation
    out = forward(
        edge, tcp("10.10.0.9", "10.20.0.5", 25), "GigabitEthernet0/1", "GigabitEthernet0/2"
    )
    assert out is not None and format_address(out.src) == "10.10.0.9"
    core = parse_ios((CISCO / "core.cfg").read_text(), source="core.cfg")
    assert [i.name for i in core.interfaces] == [
        "GigabitEthernet0/0",
        "GigabitEthernet0/1",
        "GigabitEthernet0/2",
    ]  # GigabitEthernet0/3 is shut down
    shut = next(i for i in core.ignored if i.reason.startswith("interfaces that are shut down"))
    assert shut.lines == (20,) and shut.example == "interface GigabitEthernet0/3"
    assert not passes(
        core, tcp("10.30.0.5", "10.20.0.5", 80), "GigabitEthernet0/2", "GigabitEthernet0/1"
    )


# -- IOS features, packet by packet ---------------------------------------------------------

IOS = """\
hostname r
interface Gi0/0
 ip address 192.0.2.1 255.255.255.0
 ip access-group EDGE in
 ip access-group 120 out
interface Gi0/1
 ip address 10.0.0.1 255.255.255.0
 ip address 10.0.1.1 255.255.255.0 secondary
 ip access-group 10 in
interface Gi0/2
 ip address 10.9.0.1 255.255.255.0
 ip access-group MISSING in
object-group network SERVERS
 host 10.0.0.10
 10.0.1.0 255.255.255.128
 range 10.0.0.20 10.0.0.21
object-group service WEB
 tcp eq www
 tcp eq 443
 udp range 5000 5001
ip access-list extended EDGE
 30 deny tcp any any eq 22
 10 permit object-group WEB any object-group SERVERS
 20 permit icmp any any echo
 40 permit tcp any host 10.0.0.30 range 8000 8080
 50 permit udp any 10.0.0.0 0.0.0.255 eq domain
 60 permit tcp any 10.0.0.0 0.0.255.0 eq 25
 70 permit tcp any any established
 80 permit tcp any host 10.0.0.31 neq 23
 90 permit tcp any host 10.0.0.32 lt 1024 log
 100 permit tcp any host 10.0.0.33 gt 1023
 110 permit 47 any host 10.0.0.34
access-list 10 permit 10.0.0.0 0.0.0.255
access-list 10 deny any
access-list 120 deny ip host 10.0.0.66 any
access-list 120 permit ip any any
ip route 0.0.0.0 0.0.0.0 192.0.2.254
ip route 10.50.0.0 255.255.0.0 Gi0/1 10.0.0.2
ip route 0.0.0.0 0.0.0.0 192.0.2.253 250
"""


@pytest.fixture(scope="module")
def ios() -> Ruleset:
    return parse_ios(IOS, source="r.cfg")


@pytest.mark.parametrize(
    ("packet", "allowed"),
    [
        (tcp("198.51.100.1", "10.0.0.10", 80), True),  # WEB to SERVERS
        (tcp("198.51.100.1", "10.0.0.10", 22), False),  # seq 30
        (tcp("198.51.100.1", "10.0.1.100", 443), True),
        (tcp("198.51.100.1", "10.0.1.200", 443), False),  # outside the /25
        (udp("198.51.100.1", "10.0.0.21", 5001), True),
        (udp("198.51.100.1", "10.0.0.22", 5001), False),
        (icmp("198.51.100.1", "10.0.0.99", 8), True),
        (icmp("198.51.100.1", "10.0.0.99", 0), False),
        (tcp("198.51.100.1", "10.0.0.30", 8080), True),
        (tcp("198.51.100.1", "10.0.0.30", 8081), False),
        (udp("198.51.100.1", "10.0.0.40", 53), True),
        (tcp("198.51.100.1", "10.0.7.0", 25), True),  # non-contiguous wildcard 0.0.255.0
        (tcp("198.51.100.1", "10.0.7.6", 25), False),
        (tcp("198.51.100.1", "10.0.0.50", 8443), False),  # implicit deny
        (tcp("198.51.100.1", "10.0.0.50", 8443, state="established"), True),  # established
        (tcp("198.51.100.1", "10.0.0.31", 22), False),  # seq 30 decides before seq 80
        (tcp("198.51.100.1", "10.0.0.31", 24), True),
        (tcp("198.51.100.1", "10.0.0.31", 23), False),
        (tcp("198.51.100.1", "10.0.0.32", 1023), True),
        (tcp("198.51.100.1", "10.0.0.32", 1024), False),
        (tcp("198.51.100.1", "10.0.0.33", 1024), True),
        (tcp("198.51.100.1", "10.0.0.33", 1023), False),
        (Packet(ip("198.51.100.1"), ip("10.0.0.34"), 47), True),
    ],
)
def test_ios_inbound_extended_acl(ios, packet, allowed):
    assert passes(ios, packet, "Gi0/0", "Gi0/1") is allowed


def test_ios_sequence_numbers_order_the_entries(ios):
    acl = ios.chain("ios", "EDGE")
    numbers = [int(r.location.text.split()[0]) for r in acl.rules if r.location.text[0].isdigit()]
    assert numbers == sorted(numbers)
    assert acl.rules[-1].comment == "implicit deny at the end of the list"


def test_ios_standard_outbound_and_undefined_lists(ios):
    # standard list 10 inbound on Gi0/1: only sources in 10.0.0.0/24
    assert passes(ios, tcp("10.0.0.5", "192.0.2.9", 80), "Gi0/1", "Gi0/0")
    assert not passes(ios, tcp("10.0.1.5", "192.0.2.9", 80), "Gi0/1", "Gi0/0")
    # numbered extended list 120 outbound on Gi0/0
    assert not passes(ios, tcp("10.0.0.66", "192.0.2.9", 80), "Gi0/1", "Gi0/0")
    # MISSING is not defined: IOS permits, and the assumption says so
    assert passes(ios, tcp("10.9.0.5", "192.0.2.9", 80), "Gi0/2", "Gi0/1")
    assert ios.assumptions[0] == (
        "r.cfg:12: access list MISSING is not defined; IOS then filters nothing on this "
        "interface in this direction"
    )
    # the interface without the list is unfiltered inbound
    assert passes(ios, tcp("10.9.0.5", "10.0.0.5", 1), "Gi0/2", "Gi0/1")


def test_ios_interfaces_secondary_addresses_and_routes(ios):
    assert [(i.name, format_address(i.address)) for i in ios.interfaces] == [  # type: ignore[arg-type]
        ("Gi0/0", "192.0.2.1"),
        ("Gi0/1", "10.0.0.1"),
        ("Gi0/1", "10.0.1.1"),
        ("Gi0/2", "10.9.0.1"),
    ]
    routes = [(r.prefix[1], r.via and format_address(r.via), r.interface) for r in ios.routes]
    assert routes == [(0, "192.0.2.254", None), (16, "10.0.0.2", "Gi0/1")]
    assert any("floating static route (distance 250)" in a for a in ios.assumptions)


def test_ios_nat_pool_and_port_static():
    text = """\
interface Gi0/0
 ip address 192.0.2.1 255.255.255.0
 ip nat outside
interface Gi0/1
 ip address 10.0.0.1 255.255.255.0
 ip nat inside
ip nat pool POOL 192.0.2.100 192.0.2.110 netmask 255.255.255.0
ip nat inside source list 1 pool POOL overload
ip nat inside source static tcp 10.0.0.80 8080 192.0.2.80 80
access-list 1 deny host 10.0.0.9
access-list 1 permit 10.0.0.0 0.0.0.255
"""
    ruleset = parse_ios(text, source="nat.cfg")
    out = forward(ruleset, tcp("10.0.0.5", "203.0.113.1", 80), "Gi0/1", "Gi0/0")
    assert out is not None and format_address(out.src) == "192.0.2.100"
    out = forward(ruleset, tcp("10.0.0.9", "203.0.113.1", 80), "Gi0/1", "Gi0/0")
    assert out is not None and format_address(out.src) == "10.0.0.9"  # denied by the list
    out = forward(ruleset, tcp("203.0.113.1", "192.0.2.80", 80), "Gi0/0", "Gi0/1")
    assert out is not None and (format_address(out.dst), out.dport) == ("10.0.0.80", 8080)
    out = forward(ruleset, tcp("10.0.0.80", "203.0.113.1", 443, sport=8080), "Gi0/1", "Gi0/0")
    assert out is not None and (format_address(out.src), out.sport) == ("192.0.2.80", 80)


def test_ios_inbound_acl_sees_the_global_address_before_nat():
    """IOS checks the input ACL before translating outside to inside: the ACL names the
    global address."""
    text = """\
interface Gi0/0
 ip address 192.0.2.1 255.255.255.0
 ip nat outside
 ip access-group IN in
interface Gi0/1
 ip address 10.0.0.1 255.255.255.0
 ip nat inside
ip nat inside source static 10.0.0.80 192.0.2.80
ip access-list extended IN
 permit tcp any host 192.0.2.80 eq 443
"""
    ruleset = parse_ios(text, source="n.cfg")
    out = forward(ruleset, tcp("203.0.113.1", "192.0.2.80", 443), "Gi0/0", "Gi0/1")
    assert out is not None and format_address(out.dst) == "10.0.0.80"
    assert not passes(ruleset, tcp("203.0.113.1", "10.0.0.80", 443), "Gi0/0", "Gi0/1")


def test_ios_outbound_acl_sees_the_global_address_after_nat():
    """IOS translates inside to outside before the output ACL: the ACL names the global
    address, and an untranslated host is not in it."""
    text = """\
interface Gi0/0
 ip address 192.0.2.1 255.255.255.0
 ip nat outside
 ip access-group OUT out
interface Gi0/1
 ip address 10.0.0.1 255.255.255.0
 ip nat inside
ip nat inside source static 10.0.0.80 192.0.2.80
ip access-list extended OUT
 permit ip host 192.0.2.80 any
"""
    ruleset = parse_ios(text, source="n.cfg")
    assert [(s.hook, s.priority) for s in ruleset.stages if s.kind is StageKind.FILTER] == [
        (Hook.POSTROUTING, 200)
    ]
    assert passes(ruleset, tcp("10.0.0.80", "203.0.113.1", 443), "Gi0/1", "Gi0/0")
    assert not passes(ruleset, tcp("10.0.0.81", "203.0.113.1", 443), "Gi0/1", "Gi0/0")
    assert ruleset.assumptions == ()
    no_outside = parse_ios(text.replace(" ip nat outside\n", ""), source="n.cfg")
    assert no_outside.assumptions == (
        "n.cfg: NAT rules are configured but no interface has 'ip nat inside' or none has "
        "'ip nat outside'; IOS then translates nothing",
    )
    out = forward(no_outside, tcp("10.0.0.80", "203.0.113.1", 443), "Gi0/1", "Gi0/0")
    assert out is None  # untranslated, so OUT (192.0.2.80 only) drops it


# -- ASA features, packet by packet ---------------------------------------------------------

ASA_BASE = """\
: Saved
ASA Version 9.8(2)
hostname fw
interface GigabitEthernet0/0
 nameif outside
 security-level 0
 ip address 203.0.113.2 255.255.255.0
interface GigabitEthernet0/1
 nameif inside
 security-level 100
 ip address 10.0.0.1 255.255.255.0
interface GigabitEthernet0/2
 nameif dmz
 security-level 50
 ip address 10.1.0.1 255.255.255.0
interface GigabitEthernet0/3
 nameif dmz2
 security-level 50
 ip address 10.2.0.1 255.255.255.0
interface Management0/0
 management-only
 nameif management
 security-level 100
 ip address 192.168.1.1 255.255.255.0
interface GigabitEthernet0/4
 shutdown
 no nameif
route outside 0.0.0.0 0.0.0.0 203.0.113.254 1
"""
OUT, IN, DMZ, DMZ2 = (
    "GigabitEthernet0/0",
    "GigabitEthernet0/1",
    "GigabitEthernet0/2",
    "GigabitEthernet0/3",
)


def test_asa_security_levels_without_access_groups():
    ruleset = parse_asa(ASA_BASE, source="fw.cfg")
    assert [(i.name, i.zone) for i in ruleset.interfaces] == [
        (OUT, "outside"),
        (IN, "inside"),
        (DMZ, "dmz"),
        (DMZ2, "dmz2"),
    ]
    assert [(r.interface, r.via and format_address(r.via)) for r in ruleset.routes] == [
        (OUT, "203.0.113.254")
    ]
    assert passes(ruleset, tcp("10.0.0.5", "8.8.8.8", 443), IN, OUT)  # 100 → 0
    assert passes(ruleset, tcp("10.0.0.5", "10.1.0.5", 443), IN, DMZ)  # 100 → 50
    assert not passes(ruleset, tcp("8.8.8.8", "10.0.0.5", 443), OUT, IN)  # 0 → 100
    assert not passes(ruleset, tcp("10.1.0.5", "10.0.0.5", 443), DMZ, IN)
    assert not passes(ruleset, tcp("10.1.0.5", "10.2.0.5", 443), DMZ, DMZ2)  # equal levels
    # stateful: replies of permitted connections come back
    assert passes(ruleset, tcp("8.8.8.8", "10.0.0.5", 40000, 443, "established"), OUT, IN)


def test_asa_same_security_traffic_permits_equal_levels():
    ruleset = parse_asa(ASA_BASE + "same-security-traffic permit inter-interface\n", source="f")
    assert passes(ruleset, tcp("10.1.0.5", "10.2.0.5", 443), DMZ, DMZ2)
    assert not passes(ruleset, tcp("10.1.0.5", "10.1.0.6", 443), DMZ, DMZ)  # no intra-interface
    both = ASA_BASE + "same-security-traffic permit intra-interface\n"
    assert passes(parse_asa(both, source="f"), tcp("10.1.0.5", "10.1.0.6", 443), DMZ, DMZ)


ASA_ACLS = (
    ASA_BASE
    + """\
object network WEB
 host 10.1.0.80
object-group network MAIL
 network-object host 10.1.0.25
 network-object 10.1.0.128 255.255.255.192
object-group service WEBPORTS tcp
 port-object eq www
 port-object eq https
object-group protocol TCPUDP
 protocol-object tcp
 protocol-object udp
object-group service DNS
 service-object udp destination eq domain
 service-object tcp destination eq domain
access-list OUTSIDE_IN extended permit tcp any object WEB object-group WEBPORTS
access-list OUTSIDE_IN extended permit tcp any object-group MAIL eq smtp log
access-list OUTSIDE_IN remark anything else from the Internet is dropped
access-list OUTSIDE_IN extended deny ip any any log
access-list INSIDE_OUT extended deny tcp any any eq telnet
access-list INSIDE_OUT extended permit ip 10.0.0.0 255.255.255.0 any
access-list DMZ_OUT extended permit object-group DNS any host 10.0.0.53
access-list DMZ_OUT extended permit object-group TCPUDP any host 10.0.0.54 eq 123
access-list DMZ_OUT extended permit icmp any any echo
access-group OUTSIDE_IN in interface outside
access-group INSIDE_OUT out interface outside
access-group DMZ_OUT in interface dmz
"""
)


def test_asa_access_groups_in_and_out_with_objects():
    ruleset = parse_asa(ASA_ACLS, source="fw.cfg")
    assert passes(ruleset, tcp("8.8.8.8", "10.1.0.80", 443), OUT, DMZ)
    assert not passes(ruleset, tcp("8.8.8.8", "10.1.0.80", 22), OUT, DMZ)
    assert passes(ruleset, tcp("8.8.8.8", "10.1.0.130", 25), OUT, DMZ)
    assert not passes(ruleset, tcp("8.8.8.8", "10.1.0.100", 25), OUT, DMZ)
    # out ACL on outside: telnet is denied even from the inside (level 100 > 0)
    assert not passes(ruleset, tcp("10.0.0.5", "8.8.8.8", 23), IN, OUT)
    assert passes(ruleset, tcp("10.0.0.5", "8.8.8.8", 22), IN, OUT)
    # the in ACL on dmz replaces the security levels: dmz → dmz2 only what the list says
    assert passes(ruleset, udp("10.1.0.5", "10.0.0.53", 53), DMZ, IN)
    assert passes(ruleset, tcp("10.1.0.5", "10.0.0.53", 53), DMZ, IN)
    assert not passes(ruleset, tcp("10.1.0.5", "10.0.0.53", 80), DMZ, IN)
    assert passes(ruleset, udp("10.1.0.5", "10.0.0.54", 123), DMZ, IN)
    assert passes(ruleset, icmp("10.1.0.5", "10.2.0.9"), DMZ, DMZ2)
    assert not passes(ruleset, tcp("10.1.0.5", "10.2.0.9", 80), DMZ, DMZ2)
    # replies of established connections pass the outbound list too
    assert passes(ruleset, tcp("10.1.0.5", "8.8.8.8", 40000, 23, "established"), DMZ, OUT)
    logging = [i for i in ruleset.ignored if i.reason == "logging of access-list entries"]
    logged = [n for n, line in enumerate(ASA_ACLS.splitlines(), 1) if line.endswith(" log")]
    assert len(logged) == 2 and logging[0].lines == tuple(logged)


def test_asa_global_access_group_follows_the_interface_lists():
    text = ASA_ACLS + (
        "access-list GLOBAL extended permit tcp any host 10.2.0.7 eq 22\n"
        "access-group GLOBAL global\n"
    )
    ruleset = parse_asa(text, source="fw.cfg")
    # inside had no in-list: with a global list the security levels no longer apply
    assert not passes(ruleset, tcp("10.0.0.5", "10.1.0.5", 80), IN, DMZ)
    assert passes(ruleset, tcp("10.0.0.5", "10.2.0.7", 22), IN, DMZ2)
    # dmz's own list first, then the global one
    assert passes(ruleset, tcp("10.1.0.5", "10.2.0.7", 22), DMZ, DMZ2)
    assert passes(ruleset, icmp("10.1.0.5", "10.2.0.9"), DMZ, DMZ2)
    # outside's list ends in 'deny ip any any': the global list never sees those packets
    assert not passes(ruleset, tcp("8.8.8.8", "10.2.0.7", 22), OUT, DMZ2)


def test_asa_object_nat_static_and_dynamic():
    text = ASA_BASE + (
        "object network WEB\n"
        " host 10.1.0.80\n"
        " nat (dmz,outside) static 203.0.113.80\n"
        "object network INSIDE_NET\n"
        " subnet 10.0.0.0 255.255.255.0\n"
        "object network INSIDE_NET\n"
        " nat (inside,outside) dynamic interface\n"
        "object network SMTP\n"
        " host 10.1.0.25\n"
        " nat (dmz,outside) static 203.0.113.25 service tcp smtp 2525\n"
        "access-list OUTSIDE_IN extended permit tcp any host 10.1.0.80 eq 443\n"
        "access-list OUTSIDE_IN extended permit tcp any host 10.1.0.25 eq 25\n"
        "access-group OUTSIDE_IN in interface outside\n"
    )
    ruleset = parse_asa(text, source="fw.cfg")
    addresses = {OUT: "203.0.113.2"}
    # ACLs name the real address: the Internet reaches 203.0.113.80, delivered to 10.1.0.80
    out = forward(ruleset, tcp("8.8.8.8", "203.0.113.80", 443), OUT, DMZ, addresses)
    assert out is not None and format_address(out.dst) == "10.1.0.80"
    assert forward(ruleset, tcp("8.8.8.8", "203.0.113.80", 80), OUT, DMZ, addresses) is None
    out = forward(ruleset, tcp("10.1.0.80", "8.8.8.8", 443), DMZ, OUT, addresses)
    assert out is not None and format_address(out.src) == "203.0.113.80"
    out = forward(ruleset, tcp("10.0.0.5", "8.8.8.8", 443), IN, OUT, addresses)
    assert out is not None and format_address(out.src) == "203.0.113.2"
    # port translation: 203.0.113.25:2525 → 10.1.0.25:25
    out = forward(ruleset, tcp("8.8.8.8", "203.0.113.25", 2525), OUT, DMZ, addresses)
    assert out is not None and (format_address(out.dst), out.dport) == ("10.1.0.25", 25)
    # the dynamic rule does not untranslate: nothing reaches the inside through it
    assert forward(ruleset, tcp("8.8.8.8", "203.0.113.2", 443), OUT, IN, addresses) is None


def test_asa_twice_nat_source_and_destination():
    text = ASA_BASE + (
        "object network LOCAL\n subnet 10.0.0.0 255.255.255.0\n"
        "object network LOCAL_MAPPED\n host 203.0.113.50\n"
        "object network PARTNER_MAPPED\n host 10.0.0.200\n"
        "object network PARTNER\n host 198.51.100.10\n"
        "object network WEB\n host 10.1.0.80\n"
        "object network WEB_PUBLIC\n host 203.0.113.81\n"
        "nat (inside,outside) source dynamic LOCAL LOCAL_MAPPED destination static "
        "PARTNER_MAPPED PARTNER\n"
        "nat (dmz,outside) source static WEB WEB_PUBLIC\n"
        "nat (inside,outside) after-auto source dynamic any interface\n"
        "access-list OUTSIDE_IN extended permit tcp any object WEB eq 443\n"
        "access-group OUTSIDE_IN in interface outside\n"
    )
    ruleset = parse_asa(text, source="fw.cfg")
    addresses = {OUT: "203.0.113.2"}
    # inside host talks to the partner by its inside alias 10.0.0.200
    out = forward(ruleset, tcp("10.0.0.5", "10.0.0.200", 443), IN, OUT, addresses)
    assert out is not None
    assert (format_address(out.src), format_address(out.dst)) == ("203.0.113.50", "198.51.100.10")
    # other destinations fall to the after-auto rule: the interface address
    out = forward(ruleset, tcp("10.0.0.5", "8.8.8.8", 443), IN, OUT, addresses)
    assert out is not None and format_address(out.src) == "203.0.113.2"
    # static twice NAT is bidirectional
    out = forward(ruleset, tcp("8.8.8.8", "203.0.113.81", 443), OUT, DMZ, addresses)
    assert out is not None and format_address(out.dst) == "10.1.0.80"
    out = forward(ruleset, tcp("10.1.0.80", "8.8.8.8", 443), DMZ, OUT, addresses)
    assert out is not None and format_address(out.src) == "203.0.113.81"
    stages = [(s.hook, s.kind, s.chain) for s in ruleset.stages]
    assert (Hook.PREROUTING, StageKind.NAT, "nat untranslate") in stages
    assert (Hook.POSTROUTING, StageKind.NAT, "nat translate") in stages


def test_asa_defaults_names_line_numbers_and_icmp_groups():
    text = """\
interface GigabitEthernet0/0
 nameif outside
 ip address 203.0.113.2 255.255.255.0
interface GigabitEthernet0/1
 nameif inside
 ip address 10.0.0.1 255.255.255.0
name 10.0.0.80 web
object-group icmp-type PINGS
 icmp-object echo
 icmp-object echo-reply
access-list A extended permit tcp any host web eq 443
access-list A extended permit icmp any any object-group PINGS
access-list A line 1 extended deny tcp host 198.51.100.66 any
access-group A in interface outside
"""
    ruleset = parse_asa(text, source="fw.cfg")
    out, inside = "GigabitEthernet0/0", "GigabitEthernet0/1"
    # inside without security-level is 100, the other 0: inside → outside is permitted
    assert passes(ruleset, tcp("10.0.0.5", "8.8.8.8", 80), inside, out)
    assert passes(ruleset, tcp("8.8.8.8", "10.0.0.80", 443), out, inside)  # name web
    assert not passes(ruleset, tcp("198.51.100.66", "10.0.0.80", 443), out, inside)  # line 1
    assert passes(ruleset, icmp("8.8.8.8", "10.0.0.7", 0), out, inside)
    assert not passes(ruleset, icmp("8.8.8.8", "10.0.0.7", 3), out, inside)
    acl = ruleset.chain("asa", "A")
    assert [r.location.line for r in acl.rules] == [13, 11, 12, 12]


def test_banners_are_skipped_in_both_dialects():
    ios = parse_ios(
        "banner motd ^C\nAuthorised access only\ninterface x\n^C\nhostname r\n", source="b"
    )
    assert ios.ignored[0].lines == (1, 2, 3, 4, 5)
    asa = parse_asa("banner motd Welcome to the firewall\nbanner motd W\nhostname fw\n", source="b")
    assert asa.ignored[0].lines == (1, 2, 3)


def test_asa_static_object_nat_comes_before_dynamic_and_identity_nat_stops():
    text = ASA_BASE + (
        "object network INSIDE_NET\n subnet 10.0.0.0 255.255.255.0\n"
        " nat (inside,outside) dynamic interface\n"
        "object network DB\n host 10.0.0.9\n nat (inside,outside) static 203.0.113.9\n"
        "object network REMOTE\n subnet 172.16.0.0 255.255.0.0\n"
        "nat (inside,outside) source static INSIDE_NET INSIDE_NET destination static REMOTE "
        "REMOTE no-proxy-arp route-lookup\n"
    )
    ruleset = parse_asa(text, source="fw.cfg")
    addresses = {OUT: "203.0.113.2"}
    out = forward(ruleset, tcp("10.0.0.9", "8.8.8.8", 443), IN, OUT, addresses)
    assert out is not None and format_address(out.src) == "203.0.113.9"
    out = forward(ruleset, tcp("10.0.0.8", "8.8.8.8", 443), IN, OUT, addresses)
    assert out is not None and format_address(out.src) == "203.0.113.2"
    # twice NAT (section 1) first: to the VPN peer the source stays untranslated
    out = forward(ruleset, tcp("10.0.0.9", "172.16.0.1", 443), IN, OUT, addresses)
    assert out is not None and format_address(out.src) == "10.0.0.9"


def test_asa_model_proves_a_planted_hole_through_object_nat(tmp_path, today):
    """A whole ASA through verify: the DMZ web server is reachable from the Internet (allowed
    with the device marked as the security cloud), and a planted line opens the inside."""
    config = ASA_BASE + (
        "object network WEB\n host 10.1.0.80\n nat (dmz,outside) static 203.0.113.80\n"
        "object network DB\n host 10.0.0.9\n nat (inside,outside) static 203.0.113.9\n"
        "access-list OUTSIDE_IN extended permit tcp any object WEB eq 443\n"
        "access-list OUTSIDE_IN extended permit tcp any host 10.0.0.9 eq 1433\n"
        "access-group OUTSIDE_IN in interface outside\n"
    )
    (tmp_path / "fw.cfg").write_text(config)
    (tmp_path / "model.yaml").write_text(
        "version: 1\n"
        "zones:\n"
        "  - {name: internet, segment: external, prefixes: [0.0.0.0/0]}\n"
        "  - {name: office, segment: lgwan, prefixes: [10.0.0.0/24]}\n"
        "  - {name: dmz, segment: internet, prefixes: [10.1.0.0/24]}\n"
        "devices:\n"
        "  - name: fw\n"
        "    ruleset: {file: fw.cfg, format: cisco-asa}\n"
        "    security_cloud: true\n"
        "    interfaces:\n"
        f"      - {{name: {OUT}, address: 203.0.113.2/24, zones: [internet]}}\n"
        f"      - {{name: {IN}, address: 10.0.0.1/24, zones: [office]}}\n"
        f"      - {{name: {DMZ}, address: 10.1.0.1/24, zones: [dmz]}}\n"
        "    routes: [{prefix: 0.0.0.0/0, via: 203.0.113.254}]\n"
    )
    report = verify(tmp_path / "model.yaml", today=today)
    bad = [(v.source_zone, v.destination_zone, v.flows.ports) for v in report.violations]
    assert ("internet", "office", ("1433",)) in bad
    violation = next(
        v
        for v in report.violations
        if v.destination_zone == "office" and v.source_zone == "internet"
    )
    assert violation.nat_applied
    assert violation.flows.original_destinations == ("203.0.113.9/32",)
    texts = [r.text for h in violation.path for r in h.rules if not r.policy]
    assert "access-list OUTSIDE_IN extended permit tcp any host 10.0.0.9 eq 1433" in texts


# -- errors ---------------------------------------------------------------------------------


def _raises(parser, text: str, kind=ParseError):
    with pytest.raises(kind) as caught:
        parser(text, source="bad.cfg")
    error = caught.value
    lines = text.splitlines()
    assert error.source == "bad.cfg"
    assert error.text == lines[error.line - 1]
    assert error.hint and error.render("ja") and error.render("en")
    return error


IOS_HEAD = "interface Gi0/0\n ip address 10.0.0.1 255.255.255.0\n ip access-group A in\n"


@pytest.mark.parametrize(
    ("entry", "kind", "message"),
    [
        ("permit tcp any any eq 80 bogus", ParseError, "unknown keyword 'bogus'"),
        ("permit tcp object-group NOPE any", ParseError, "object-group NOPE"),
        ("permit ip 10.0.0.0 0.255.255.255 any", None, ""),
        ("permit ip 10.0.0.0 255.0.255.0 any", UnsupportedSyntax, "wildcard 255.0.255.0"),
        ("permit ip 10.0.0.0 0.0.300.0 any", ParseError, "not an IPv4 address"),
        ("permit tcp any any eq nosuchport", ParseError, "'nosuchport' is not a port"),
        ("permit frob any any", ParseError, "unknown protocol 'frob'"),
        ("permit icmp any any eq 80", ParseError, "needs protocol tcp or udp"),
        ("permit udp any any established", ParseError, "'established' needs protocol tcp"),
        ("permit tcp any any time-range WORK", UnsupportedSyntax, "time-range"),
        ("permit ip any any dscp ef", UnsupportedSyntax, "dscp"),
        ("permit tcp any any range 90 80", ParseError, "runs backwards"),
        ("permit tcp any", ParseError, "an address is missing"),
        ("allow ip any any", ParseError, "unknown access-list action"),
        ("permit icmp any any echo-bogus", ParseError, "unknown keyword 'echo-bogus'"),
    ],
)
def test_ios_entry_errors_point_at_the_entry(entry, kind, message):
    text = IOS_HEAD + "ip access-list extended A\n " + entry + "\n"
    if kind is None:
        parse_ios(text, source="bad.cfg")
        return
    error = _raises(parse_ios, text, kind)
    assert error.line == 5
    assert message in error.message


@pytest.mark.parametrize(
    ("text", "kind", "line", "message"),
    [
        ("zone-pair security A source X destination Y\n", UnsupportedSyntax, 1, "zone-based"),
        ("interface Gi0/0\n ip policy route-map PBR\n", UnsupportedSyntax, 2, "policy routing"),
        ("frobnicate all the things\n", ParseError, 1, "unknown command"),
        ("ip wccp web-cache\n", UnsupportedSyntax, 1, "WCCP"),
        ("interface Gi0/0\n vrf forwarding RED\n", UnsupportedSyntax, 2, "VRF"),
        ("ip route 10.0.0.0 255.0.0.0 Gi9/9\n", ParseError, 1, "not configured"),
        ("ip route 10.0.0.0 255.0.255.0 10.1.1.1\n", ParseError, 1, "not contiguous"),
        ("ip nat inside source list 7 interface Gi0/0 overload\n", ParseError, 1, "not defined"),
        ("ip nat outside source static 1.1.1.1 2.2.2.2\n", UnsupportedSyntax, 1, "NAT"),
        ("interface Gi0/0\n ip access-group A sideways\n", ParseError, 2, "direction"),
        ("interface Gi0/0\n ip address 10.0.0.1 255.0.255.0\n", ParseError, 2, "not contiguous"),
        (
            "access-list 5 permit 10.0.0.0 0.0.0.255\naccess-list 5 dynamic X\n",
            UnsupportedSyntax,
            2,
            "dynamic",
        ),
    ],
)
def test_ios_command_errors(text, kind, line, message):
    error = _raises(parse_ios, text, kind)
    assert error.line == line
    assert message in error.message


def test_an_unused_acl_is_not_read_so_its_errors_do_not_matter():
    text = "ip access-list extended UNUSED\n permit tcp any any frob\n"
    ruleset = parse_ios(text, source="ok.cfg")
    assert ruleset.chains == {}
    assert ruleset.ignored[0].lines == (1, 2)


GROUP = "access-group A in interface outside\n"


@pytest.mark.parametrize(
    ("tail", "kind", "message"),
    [
        (
            "access-list A extended permit tcp any any eq 80 bogus\n" + GROUP,
            ParseError,
            "unknown keyword 'bogus'",
        ),
        (
            "access-list A extended permit ip object-group NOPE any\n" + GROUP,
            ParseError,
            "object-group NOPE",
        ),
        (
            "access-list A extended permit ip object NOPE any\n" + GROUP,
            ParseError,
            "object network NOPE",
        ),
        (
            "access-list A extended permit ip 10.0.0.0 0.0.0.255 any\n" + GROUP,
            ParseError,
            "not contiguous",
        ),
        ("access-group B in interface outside\n", ParseError, "not defined"),
        (
            "access-list A extended permit ip any any\naccess-group A in interface nowhere\n",
            ParseError,
            "nameif",
        ),
        (
            "object network X\n fqdn www.example.org\n"
            "access-list A extended permit ip any object X\n" + GROUP,
            UnsupportedSyntax,
            "FQDN",
        ),
        (
            "object network X\n host 10.0.0.9\n nat (inside,nowhere) static 203.0.113.9\n",
            ParseError,
            "nameif",
        ),
        (
            "nat (inside,outside) source static NOPE NOPE2\n",
            ParseError,
            "object NOPE is not defined",
        ),
        (
            "object-group network G\n group-object G\n"
            "access-list A extended permit ip object-group G any\n" + GROUP,
            ParseError,
            "contains itself",
        ),
        (
            "access-list A extended permit tcp any any time-range T\n" + GROUP,
            UnsupportedSyntax,
            "time-range",
        ),
        ("route nowhere 0.0.0.0 0.0.0.0 1.1.1.1\n", ParseError, "nameif"),
        ("frobnicate\n", ParseError, "unknown command"),
        ("nat (inside) 1 0.0.0.0 0.0.0.0\n", UnsupportedSyntax, "pre-8.3 NAT"),
        ("static (inside,outside) 203.0.113.9 10.0.0.9\n", UnsupportedSyntax, "pre-8.3"),
    ],
)
def test_asa_errors_point_at_the_line(tail, kind, message):
    text = ASA_BASE + tail
    error = _raises(parse_asa, text, kind)
    assert message in error.message
    assert error.line > ASA_BASE.count("\n")


def _diamond(depth: int) -> str:
    """Groups d0..d{depth} and e0..e{depth}: each d{i} and e{i} names both d{i+1} and e{i+1}."""
    text = ""
    for i in range(depth):
        for name in ("d", "e"):
            text += f"object-group network {name}{i}\n"
            text += f" group-object d{i + 1}\n group-object e{i + 1}\n"
    text += f"object-group network d{depth}\n host 10.1.1.1\n"
    return text + f"object-group network e{depth}\n host 10.1.1.2\n"


def _nested(depth: int) -> str:
    """A chain g0 → g1 → … → g{depth} ending in one host."""
    text = "".join(f"object-group network g{i}\n group-object g{i + 1}\n" for i in range(depth))
    return text + f"object-group network g{depth}\n host 10.1.1.1\n"


def test_diamond_object_groups_forty_deep_are_resolved_once_ios():
    """Finding 11: 2**40 paths to the two hosts; every group is flattened once."""
    text = _diamond(40) + IOS_HEAD + "ip access-list extended A\n permit ip object-group d0 any\n"
    ruleset = parse_ios(text, source="ios.cfg")
    assert passes(ruleset, tcp("10.1.1.1", "10.9.9.9", 80), "Gi0/0", "Gi0/1")
    assert passes(ruleset, tcp("10.1.1.2", "10.9.9.9", 80), "Gi0/0", "Gi0/1")
    assert not passes(ruleset, tcp("10.1.1.3", "10.9.9.9", 80), "Gi0/0", "Gi0/1")


def test_diamond_object_groups_forty_deep_are_resolved_once_asa():
    text = (
        ASA_BASE
        + _diamond(40)
        + "access-list A extended permit ip object-group d0 any\n"
        + "access-group A in interface outside\n"
    )
    ruleset = parse_asa(text, source="asa.cfg")
    assert passes(ruleset, tcp("10.1.1.1", "10.0.0.5", 80), OUT, IN)
    assert passes(ruleset, tcp("10.1.1.2", "10.0.0.5", 80), OUT, IN)
    assert not passes(ruleset, tcp("10.1.1.3", "10.0.0.5", 80), OUT, IN)


@pytest.mark.parametrize("depth", [3000, 5000])
@pytest.mark.parametrize("dialect", ["ios", "asa"])
def test_object_groups_nested_thousands_deep_give_a_parse_error(dialect, depth):
    """Finding 12: a RecursionError would escape; deeper than 256 levels is a ParseError."""
    if dialect == "ios":
        parser = parse_ios
        text = (
            _nested(depth)
            + IOS_HEAD
            + "ip access-list extended A\n permit ip object-group g0 any\n"
        )
    else:
        parser = parse_asa
        text = (
            ASA_BASE
            + _nested(depth)
            + "access-list A extended permit ip object-group g0 any\n"
            + "access-group A in interface outside\n"
        )
    error = _raises(parser, text)
    assert not isinstance(error, UnsupportedSyntax)
    assert "object group g256 is nested more than 256 levels deep" in error.message
    assert error.text == " group-object g256"  # in g255, the 256th level


def test_object_groups_nested_within_the_limit_are_read():
    text = _nested(200) + IOS_HEAD + "ip access-list extended A\n permit ip object-group g0 any\n"
    ruleset = parse_ios(text, source="ios.cfg")
    assert passes(ruleset, tcp("10.1.1.1", "10.9.9.9", 80), "Gi0/0", "Gi0/1")
    assert not passes(ruleset, tcp("10.1.1.2", "10.9.9.9", 80), "Gi0/0", "Gi0/1")


def test_japanese_messages():
    error = _raises(parse_ios, IOS_HEAD + "ip access-list extended A\n permit tcp any any frob\n")
    assert "未知の語 'frob'" in error.render("ja")


# -- fuzz -----------------------------------------------------------------------------------

WORDS = [
    "access-group",
    "extended",
    "object",
    "subnet",
    "network-object",
    "port-object",
    "service-object",
    "protocol-object",
    "group-object",
    "(dmz,outside)",
    "any4",
    "security-level",
    "nameif",
    "inter-interface",
    "same-security-traffic",
    "after-auto",
    "destination",
    "interface",
    "Gi0/0",
    "Gi0/1",
    "ip",
    "address",
    "10.0.0.1",
    "255.255.255.0",
    "0.0.0.255",
    "access-group",
    "access-list",
    "extended",
    "standard",
    "A",
    "in",
    "out",
    "permit",
    "deny",
    "tcp",
    "udp",
    "icmp",
    "any",
    "host",
    "object-group",
    "object",
    "network",
    "service",
    "eq",
    "range",
    "lt",
    "gt",
    "neq",
    "www",
    "80",
    "65536",
    "established",
    "log",
    "remark",
    "nat",
    "inside",
    "outside",
    "source",
    "static",
    "list",
    "pool",
    "overload",
    "route",
    "0.0.0.0",
    "nameif",
    "security-level",
    "100",
    "global",
    "echo",
    "300.1.1.1",
    "shutdown",
    "router",
    "ospf",
    "secondary",
    "dynamic",
    "(inside,outside)",
    "interface",
    "!",
    "10",
    " ",
]
SEEDS = [
    (parse_ios, AS2DEPT1.read_text()),
    (parse_ios, (CISCO / "core.cfg").read_text()),
    (parse_ios, (CISCO / "edge.cfg").read_text()),
    (parse_ios, IOS),
    (parse_asa, ASA_ACLS),
    (
        parse_asa,
        ASA_BASE
        + "object network WEB\n host 10.1.0.80\n nat (dmz,outside) static 203.0.113.80\n"
        + "object network L\n subnet 10.0.0.0 255.255.255.0\n"
        + "nat (inside,outside) source dynamic L interface\n"
        + "access-list A extended permit tcp any object WEB eq 443\n"
        + "access-group A in interface outside\n",
    ),
]


def _check(error: ParseError, text: str) -> None:
    lines = text.splitlines()
    assert error.source == "fuzz.cfg"
    assert 1 <= error.line <= max(len(lines), 1)
    assert error.text == (lines[error.line - 1] if lines else "")
    assert error.hint


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.lists(st.sampled_from(WORDS), min_size=1, max_size=8)),
        max_size=10,
    )
)
def test_random_cisco_lines_parse_or_raise_parse_error(lines):
    text = "\n".join((" " if indent else "") + " ".join(words) for indent, words in lines)
    for parser in (parse_ios, parse_asa):
        try:
            parser(text, source="fuzz.cfg")
        except ParseError as error:
            _check(error, text)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SEEDS), st.data())
def test_mutated_cisco_configs_parse_or_raise_parse_error(seed, data):
    parser, text = seed
    lines = text.splitlines()
    index = data.draw(st.integers(0, len(lines) - 1))
    action = data.draw(st.sampled_from(["delete", "duplicate", "word", "truncate"]))
    if action == "delete":
        del lines[index]
    elif action == "duplicate":
        lines.insert(index, lines[index])
    elif action == "truncate":
        lines[index] = lines[index][: data.draw(st.integers(0, len(lines[index])))]
    else:
        words = lines[index].split(" ")
        words[data.draw(st.integers(0, len(words) - 1))] = data.draw(st.sampled_from(WORDS))
        lines[index] = " ".join(words)
    text = "\n".join(lines)
    try:
        parser(text, source="fuzz.cfg")
    except ParseError as error:
        _check(error, text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_never_escapes_as_another_exception(text):
    for parser in (parse_ios, parse_asa):
        try:
            parser(text, source="fuzz.cfg")
        except ParseError as error:
            assert error.hint and error.line >= 1
