"""PAN-OS parser: the Batfish grammar configs, a real lab with observed traffic, Aerleon's PAN-OS
output, and hand-written configs in XML and set form; every error path gives a typed error."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isms.segments import ParseError, UnsupportedSyntax, explain, verify
from isms.segments.addresses import parse_address
from isms.segments.evaluate import Packet, run_hook, run_stage
from isms.segments.parsers import panos, parse_ruleset
from isms.segments.rules import (
    Chain,
    Const,
    Field,
    Hook,
    InterfaceMatch,
    Nat,
    RangeMatch,
    Rule,
    Ruleset,
    StageKind,
    Verdict,
)

from .conftest import AERLEON, BATFISH, CORPUS, DATA, TODAY

PANOS = BATFISH / "panos"
LAB = CORPUS / "lab-validation" / "panos_fw_policy_app_override"
HERE = DATA / "panos"
TCP, UDP, ICMP = 6, 17, 1


def _ip(text: str) -> int:
    return parse_address(text)


def _parse(text: str, source: str = "fw.conf") -> Ruleset:
    return panos.parse(text, source=source)


def _file(path) -> Ruleset:
    return panos.parse(path.read_text(encoding="utf-8"), source=path.name)


@dataclass(frozen=True)
class Decision:
    accepted: bool
    packet: Packet
    rule: str  # ref of the deciding rule of the last stage run
    line: int


def _decider(step) -> tuple[str, int]:
    last = step.deciders[-1]
    location = last.location
    return location.ref, location.line


def _rewrite(packet: Packet, nat: Nat) -> Packet:
    assert nat.addresses is not None
    if nat.kind == "dnat":
        port = nat.ports[0] if nat.ports else packet.dport
        return replace(packet, dst=nat.addresses[0], dport=port)
    return replace(packet, src=nat.addresses[0])


def forward(ruleset: Ruleset, packet: Packet, iif: str, oif: str) -> Decision:
    """One packet through the device as the engine runs it: DNAT, the security rules, SNAT."""
    for stage in ruleset.stages_at(Hook.PREROUTING):
        step = run_stage(ruleset, stage, packet, iif, None)
        if isinstance(step.outcome, Nat):
            packet = _rewrite(packet, step.outcome)
    accepted, steps = run_hook(ruleset, Hook.FORWARD, packet, iif, oif)
    ref, line = _decider(steps[-1])
    if not accepted:
        return Decision(False, packet, ref, line)
    for stage in ruleset.stages_at(Hook.POSTROUTING):
        step = run_stage(ruleset, stage, packet, iif, oif)
        if isinstance(step.outcome, Nat):
            packet = _rewrite(packet, step.outcome)
    return Decision(True, packet, ref, line)


def tcp(src: str, dst: str, dport: int, sport: int = 49152, state: str = "new") -> Packet:
    return Packet(_ip(src), _ip(dst), TCP, sport, dport, state=state)


def udp(src: str, dst: str, dport: int, sport: int = 49152) -> Packet:
    return Packet(_ip(src), _ip(dst), UDP, sport, dport)


def icmp(src: str, dst: str, icmp_type: int = 8) -> Packet:
    return Packet(_ip(src), _ip(dst), ICMP, icmp_type=icmp_type)


def _security(ruleset: Ruleset) -> Chain:
    return ruleset.chain("filter", "security")


def _rules(ruleset: Ruleset, name: str) -> list[Rule]:
    return [r for r in _security(ruleset).rules if r.location.ref == f"rule {name}"]


def _ranges(rule: Rule, field: Field) -> tuple[tuple[int, int], ...] | None:
    found = [c for c in rule.conditions if isinstance(c, RangeMatch) and c.field is field]
    return found[0].ranges if found else None


# -- the Batfish PAN-OS grammar configs ----------------------------------------------------------

BATFISH_FILES = [
    "address-groups",
    "address-objects",
    "allow-explicit-cross-zone",
    "destination-nat",
    "drop-default-cross-zone",
    "drop-same-zone-explicit",
    "rulebase",
    "security-rules",
    "service",
    "source-nat",
    "zones",
]


def test_the_corpus_has_the_eleven_batfish_panos_configs():
    assert sorted(p.name for p in PANOS.iterdir()) == BATFISH_FILES


@pytest.mark.parametrize("name", BATFISH_FILES)
def test_every_batfish_panos_config_parses_in_its_own_form(name):
    """Nine are set commands, two (the NAT ones) the brace hierarchy of 'show config'."""
    # when
    ruleset = parse_ruleset((PANOS / name).read_text(), format="panos", source=name)
    # then
    assert ruleset.format == "panos"
    assert [s.hook for s in ruleset.stages if s.kind is StageKind.FILTER] == [Hook.FORWARD]
    first = _security(ruleset).rules[0]
    assert first.action is Verdict.ACCEPT and "allowed sessions" in first.location.ref
    hostname = [i for i in ruleset.ignored if i.reason.startswith("device settings")]
    assert hostname and hostname[0].source == name


@pytest.mark.parametrize(
    ("name", "accepted", "rule"),
    [
        ("allow-explicit-cross-zone", True, "rule rule1"),
        ("drop-default-cross-zone", False, "rule interzone-default"),
        ("drop-same-zone-explicit", False, "rule rule1"),
    ],
)
def test_the_three_verdict_configs_give_their_verdict(name, accepted, rule):
    """The test flow 10.0.1.2 → 10.0.2.2 enters ethernet1/1 and leaves ethernet1/2."""
    # given
    ruleset = _file(PANOS / name)
    # when
    decision = forward(ruleset, tcp("10.0.1.2", "10.0.2.2", 80), "ethernet1/1", "ethernet1/2")
    # then
    assert decision.accepted is accepted
    assert decision.rule == rule


def test_drop_same_zone_explicit_overrides_the_intrazone_default():
    """Without rule1 the same flow is intrazone and allowed by default."""
    text = (PANOS / "drop-same-zone-explicit").read_text()
    without = "\n".join(line for line in text.splitlines() if "rule1" not in line)
    decision = forward(
        _parse(without), tcp("10.0.1.2", "10.0.2.2", 80), "ethernet1/1", "ethernet1/2"
    )
    assert decision.accepted and decision.rule == "rule intrazone-default"


def test_zones_config_yields_its_zones():
    ruleset = _file(PANOS / "zones")
    zones = {i.name: i.zone for i in ruleset.interfaces}
    assert zones == {"ethernet1/1": "zone 1", "ethernet1/2": "zone 1", "ethernet1/3": ""}
    # ethernet1/3 is in no zone: PAN-OS drops its traffic
    decision = forward(ruleset, tcp("1.1.1.5", "1.1.3.5", 80), "ethernet1/1", "ethernet1/3")
    assert not decision.accepted and decision.rule == "rule (interfaces without a zone)"
    decision = forward(ruleset, tcp("1.1.1.5", "1.1.2.5", 80), "ethernet1/1", "ethernet1/2")
    assert decision.accepted and decision.rule == "rule intrazone-default"


def test_address_objects_config_yields_interface_addresses_from_objects():
    """'ip 4.3.2.1' names the object 4.3.2.1 (44.33.22.11), not the address."""
    ruleset = _file(PANOS / "address-objects")
    addresses = {i.name: (i.address, i.prefix_length) for i in ruleset.interfaces}
    assert addresses == {
        "ethernet1/1": (_ip("10.1.1.1"), 32),
        "ethernet1/2": (_ip("1.2.3.4"), 32),
        "ethernet1/3": (_ip("44.33.22.11"), 32),
        "ethernet1/4": (None, None),
        "ethernet1/5": (None, None),
        "loopback": (_ip("10.1.1.1"), 32),
    }
    notes = " ".join(ruleset.assumptions)
    assert "ethernet1/4 (address-objects:24): address 'addr_undef' names no address object" in notes
    assert "ethernet1/5 (address-objects:26): address 'addr3' is not an ip-netmask object" in notes


def _with_rule(path, **fields: str) -> str:
    """The corpus file plus one rule T from any to any using ``fields``."""
    values = {
        "from": "any",
        "to": "any",
        "source": "any",
        "destination": "any",
        "service": "any",
        "application": "any",
        "action": "allow",
        **fields,
    }
    lines = [f"set rulebase security rules T {k} {v}" for k, v in values.items()]
    return path.read_text() + "\n" + "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("source", "ranges"),
    [
        ("addr1", [("10.1.1.0", "10.1.1.255")]),  # ip-netmask 10.1.1.1/24
        ("addr2", [("10.1.1.2", "10.1.1.2")]),
        ("addr3", [("1.1.1.1", "1.1.1.2")]),
        ("addrBadRange2", [("1.1.1.1", "1.1.1.1")]),
        ('"addr w spaces"', None),  # defined without a value: an error when used
    ],
)
def test_address_objects_config_yields_what_each_object_declares(source, ranges):
    text = _with_rule(PANOS / "address-objects", source=source)
    if ranges is None:
        with pytest.raises(ParseError, match="has no value"):
            _parse(text)
        return
    rule = _rules(_parse(text), "T")[0]
    assert _ranges(rule, Field.SRC) == tuple((_ip(a), _ip(b)) for a, b in ranges)


def test_an_ip_range_backwards_is_an_error_where_used():
    text = _with_rule(PANOS / "address-objects", destination="addrBadRange1")
    with pytest.raises(ParseError) as caught:
        _parse(text, "address-objects")
    assert caught.value.line == 14
    assert "first <= last" in str(caught.value)
    assert type(caught.value) is ParseError


def test_address_groups_config_yields_its_members():
    path = PANOS / "address-groups"
    group2 = _rules(_parse(_with_rule(path, source="group2")), "T")[0]
    spaces = _rules(_parse(_with_rule(path, source='"group w spaces"')), "T")[0]
    assert _ranges(group2, Field.SRC) == ((_ip("1.1.1.1"), _ip("1.1.1.1")), (_ip("2.2.2.2"),) * 2)
    assert _ranges(spaces, Field.SRC) == ((_ip("3.3.3.3"), _ip("3.3.3.3")),)
    # group0 is empty: the rule matches nothing
    empty = _rules(_parse(_with_rule(path, source="group0")), "T")[0]
    assert _ranges(empty, Field.SRC) == ()
    # group1 names addr3, which the file never defines
    with pytest.raises(ParseError, match="names address 'addr3', which is not defined"):
        _parse(_with_rule(path, source="group1"))


def test_service_config_yields_ports_and_source_ports():
    path = PANOS / "service"
    sg1 = _rules(_parse(_with_rule(path, service="SG1")), "T")
    assert [
        (_ranges(r, Field.PROTO), _ranges(r, Field.DPORT), _ranges(r, Field.SPORT)) for r in sg1
    ] == [
        (((TCP, TCP),), ((1, 1),), None),
        (((UDP, UDP),), None, ((4, 9),)),
    ]
    three = _rules(_parse(_with_rule(path, service="SERVICE3")), "T")[0]
    assert _ranges(three, Field.DPORT) == ((5, 6),) and _ranges(three, Field.SPORT) == ((9, 10),)
    four = _rules(_parse(_with_rule(path, service='"SERVICE 4"')), "T")[0]
    assert _ranges(four, Field.PROTO) == ((132, 132),) and _ranges(four, Field.DPORT) is None
    with pytest.raises(ParseError, match="names service 'SERVICE_UNDEFINED'"):
        _parse(_with_rule(path, service='"SG 2"'))


def test_rulebase_config_keeps_file_order_and_skips_the_disabled_rule():
    """3rd_RULE sorts first by name but comes last; the disabled rule names undefined objects."""
    # given
    ruleset = _file(PANOS / "rulebase")
    refs = [r.location.ref for r in _security(ruleset).rules]
    # then
    assert [r for r in dict.fromkeys(refs) if r.startswith("rule ") and "(" not in r] == [
        "rule RULE1",
        "rule RULE2",
        "rule 3rd_RULE",
        "rule intrazone-default",
        "rule interzone-default",
    ]
    disabled = next(i for i in ruleset.ignored if i.reason == "disabled rules")
    assert disabled.lines == tuple(range(12, 20))
    cases = [
        (tcp("1.1.2.5", "1.1.1.2", 80), "ethernet1/2", "ethernet1/1", True, "rule RULE2"),
        (tcp("2.2.2.2", "1.1.1.2", 80), "ethernet1/2", "ethernet1/1", False, "rule 3rd_RULE"),
        (tcp("1.1.2.5", "1.1.1.2", 999), "ethernet1/2", "ethernet1/1", False, "rule RULE1"),
        (tcp("1.1.2.5", "1.1.1.3", 80), "ethernet1/2", "ethernet1/1", False, "rule 3rd_RULE"),
        (tcp("1.1.1.5", "1.1.4.2", 80), "ethernet1/1", "ethernet1/4", True, "rule RULE2"),
    ]
    for packet, iif, oif, accepted, rule in cases:
        decision = forward(ruleset, packet, iif, oif)
        assert (decision.accepted, decision.rule) == (accepted, rule), packet


def test_security_rules_config_blocks_then_permits_tcp_1234():
    ruleset = _file(PANOS / "security-rules")
    cases = [
        ("ethernet1/3", 1234, False, "rule BLOCK_TCP_1234"),
        ("ethernet1/2", 1234, True, "rule PERMIT_TCP_1234"),
        ("ethernet1/5", 1234, True, "rule PERMIT_TCP_1234"),
        ("ethernet1/2", 80, False, "rule 33rd_RULE"),
    ]
    for oif, port, accepted, rule in cases:
        decision = forward(ruleset, tcp("10.0.1.5", "10.0.9.9", port), "ethernet1/1", oif)
        assert (decision.accepted, decision.rule) == (accepted, rule)
    block = _rules(ruleset, "BLOCK_TCP_1234")[0]
    assert block.location.line == 27
    assert block.location.text == "set rulebase security rules BLOCK_TCP_1234 from any"


def test_destination_nat_config_translates_by_the_first_matching_rule():
    """DEST_NAT_NEVER_REACHED repeats DEST_NAT_NAME1's match and is never applied."""
    ruleset = _file(PANOS / "destination-nat")
    interfaces = {i.name: i.zone for i in ruleset.interfaces if i.address is not None}
    assert interfaces == {
        "ethernet1/1.1": "INSIDE",
        "ethernet1/1.2": "INSIDE",
        "ethernet1/2.1": "OUTSIDE",
    }
    first = forward(ruleset, tcp("1.2.1.2", "1.1.2.50", 80), "ethernet1/2.1", "ethernet1/1.1")
    assert first.accepted and first.packet.dst == _ip("1.1.1.99") and first.packet.dport == 80
    second = forward(ruleset, tcp("1.2.1.22", "1.1.1.50", 80), "ethernet1/2.1", "ethernet1/1.1")
    assert second.packet.dst == _ip("1.1.1.99") and second.packet.dport == 1234
    # another source, or a destination not routed into INSIDE: no translation
    other = forward(ruleset, tcp("1.2.1.5", "1.1.1.50", 80), "ethernet1/2.1", "ethernet1/1.1")
    assert other.packet.dst == _ip("1.1.1.50")
    outside = forward(ruleset, tcp("1.2.1.2", "9.9.9.9", 80), "ethernet1/2.1", "ethernet1/2.1")
    assert outside.packet.dst == _ip("9.9.9.9")
    pre = ruleset.chain("nat", "destination")
    assert [r.location.ref for r in pre.rules] == [
        "rule DEST_NAT_NAME1",
        "rule DEST_NAT_NEVER_REACHED",
        "rule DEST_NAT_NAME2",
    ]
    assert pre.rules[0].location.line == 72 and pre.rules[0].location.text == "DEST_NAT_NAME1 {"


def test_source_nat_config_translates_inside_sources_leaving_outside():
    ruleset = _file(PANOS / "source-nat")
    out = forward(ruleset, tcp("1.1.1.2", "1.2.2.9", 80), "ethernet1/1.1", "ethernet1/2.2")
    assert out.accepted and out.packet.src == _ip("1.1.1.99")
    other = forward(ruleset, tcp("1.1.1.3", "1.2.2.9", 80), "ethernet1/1.1", "ethernet1/2.2")
    assert other.packet.src == _ip("1.1.1.3")
    back = forward(ruleset, tcp("1.1.1.2", "1.1.1.9", 80), "ethernet1/1.1", "ethernet1/1.1")
    assert back.packet.src == _ip("1.1.1.2")  # to INSIDE: not translated


# -- the lab: observed traffic through a PA-VM with application override ------------------------

LAB_MODEL = HERE / "lab-app-override.yaml"


def _echoes(protocol: str, port: int) -> tuple[int, int]:
    """(packets the client sent, packets echoed back) in the observed ncat transcript."""
    path = LAB / "show" / "inside" / f"client_outside_192.168.123.6_{protocol}_{port}.txt"
    text = path.read_text()
    sent = len(re.findall(r"^packet\d+:", text, flags=re.M))
    echoed = len(re.findall(r"^\[ECHO:\]", text, flags=re.M))
    return sent, echoed


@pytest.mark.parametrize(
    ("protocol", "port"), [("tcp", 9100), ("udp", 9200), ("tcp", 9101), ("udp", 9201)]
)
def test_lab_verdicts_follow_the_observed_transcripts(protocol, port):
    """Allowed: every packet came back. Denied: the first four passed, then the session was
    denied once App-ID found no allowed application (README.MD)."""
    # given
    sent, echoed = _echoes(protocol, port)
    observed_allowed = echoed == sent
    # when
    result = explain(
        LAB_MODEL, src="192.168.123.1", dst="192.168.123.6", proto=protocol, port=port, today=TODAY
    )
    # then
    assert sent == 8 and echoed == (8 if port in (9100, 9200) else 4)
    [path] = result.paths
    assert path.disposition == ("delivered outside" if observed_allowed else "dropped fw")


def test_lab_ping_and_ssh_are_allowed_telnet_is_not():
    ruleset = _file(LAB / "configs" / "fw" / "show.txt")
    inside, outside = "ethernet1/1", "ethernet1/2"
    ping = forward(ruleset, icmp("192.168.123.1", "192.168.123.6"), inside, outside)
    ssh = forward(ruleset, tcp("192.168.123.1", "192.168.123.6", 22), inside, outside)
    telnet = forward(ruleset, tcp("192.168.123.1", "192.168.123.6", 23), inside, outside)
    echo_reply = forward(ruleset, icmp("192.168.123.1", "192.168.123.6", 0), inside, outside)
    assert (ping.accepted, ping.rule) == (True, "rule ALLOW")
    assert ssh.accepted and not telnet.accepted and not echo_reply.accepted
    assert telnet.rule == "rule interzone-default"


def test_lab_assumptions_state_the_application_override_reading():
    ruleset = _file(LAB / "configs" / "fw" / "show.txt")
    allow = [a for a in ruleset.assumptions if a.startswith("Rule ALLOW")]
    assert allow == [
        "Rule ALLOW (show.txt:123) allows application ping, ssh, TCP_9100, UDP_9200: it is taken "
        "as matching ping as icmp type 8; ssh as tcp port 22; TCP_9100 as the traffic of "
        "application-override rule OVERRIDE_TCP_9100 (tcp port 9100); UDP_9200 as the traffic "
        "of application-override rule OVERRIDE_UDP_9100 (udp port 9200). Other traffic is taken "
        "as denied from its first packet, although PAN-OS passes the first packets of a session "
        "while App-ID identifies its application; the verifier takes the decision made once it "
        "is identified."
    ]
    deny = [a for a in ruleset.assumptions if a.startswith("Rule DENY")]
    assert deny and "telnet" in deny[0] and "matching nothing" in deny[0]


def test_lab_report_lists_ignored_settings_without_the_password_hash():
    ruleset = _file(LAB / "configs" / "fw" / "show.txt")
    reasons = {i.reason: i for i in ruleset.ignored}
    users = reasons["management users and passwords"]
    assert users.lines == (141, 142)
    assert "fnRL" not in users.example and "phash ***" in users.example
    assert 76 in reasons["botnet report settings"].lines
    assert {i.name: i.zone for i in ruleset.interfaces} == {
        "ethernet1/1": "trust",
        "ethernet1/2": "untrust",
        "ethernet1/7": "trust",
    }


def test_lab_model_verify_finds_ssh_9100_and_9200_from_inside():
    report = verify(LAB_MODEL, today=TODAY, rule_findings=False)
    assert not report.compliant  # inside (lgwan) and outside (internet) may talk: custom deny
    ports = sorted(p for v in report.violations for p in v.flows.ports if v.source_zone == "inside")
    assert ports == ["22", "9100", "9200"]


# -- Aerleon's PAN-OS output ---------------------------------------------------------------------


def test_aerleon_sample_paloalto_parses_with_its_objects():
    # when
    ruleset = _file(AERLEON / "generated" / "sample_paloalto.xml")
    # then
    dns = _rules(ruleset, "dns-gdns")
    assert len(dns) == 1 and dns[0].location.line == 66
    assert _ranges(dns[0], Field.DST) == ((_ip("8.8.4.4"), _ip("8.8.4.4")), (_ip("8.8.8.8"),) * 2)
    assert _ranges(dns[0], Field.SRC) == (
        (_ip("10.0.0.0"), _ip("10.255.255.255")),
        (_ip("172.16.0.0"), _ip("172.31.255.255")),
        (_ip("192.168.0.0"), _ip("192.168.255.255")),
    )
    assert _ranges(dns[0], Field.DPORT) == ((53, 53),)
    app01 = _rules(ruleset, "allow-pan-app-01")[0]
    # web-browsing: its usual default port (tcp/80) is not relied on, every tcp port is read
    assert _ranges(app01, Field.DPORT) is None and _ranges(app01, Field.PROTO) == ((TCP, TCP),)
    notes = " ".join(ruleset.assumptions)
    assert "Rule allow-pan-app-03 (sample_paloalto.xml:176) allows application ssl" in notes
    assert "Zone internal (sample_paloalto.xml:48;" in notes  # zones live in the device config


def test_aerleon_stateful_multitarget_parses_custom_icmp_applications():
    ruleset = _file(AERLEON / "generated" / "sample_stateful_multitarget_simple.xml")
    icmp_rules = _rules(ruleset, "accept-icmp-specific-types")
    assert sorted(_ranges(r, Field.ICMP_TYPE) for r in icmp_rules) == [((0, 0),), ((8, 8),)]
    assert _rules(ruleset, "accept-icmpv6-specific-types") == []  # IPv6 only
    logging = next(i for i in ruleset.ignored if i.reason == "logging")
    assert 126 in logging.lines


# -- hand-written configs: XML and set form of one policy ----------------------------------------

# proto src[:sport] dst:port-or-icmp-type  in out  verdict rule  final src  final dst:port
# in/out: T trust ethernet1/1, D dmz ethernet1/2.10, U untrust ethernet1/3, X ethernet1/4 (no zone)
BRANCH_TABLE = """
tcp 198.51.100.7 203.0.113.5:443   U D allow web-in             198.51.100.7 10.2.0.10:443
tcp 198.51.100.7 203.0.113.5:8443  U D allow web-in             198.51.100.7 10.2.0.10:443
tcp 198.51.100.7 203.0.113.5:22    U U drop  intrazone-default  198.51.100.7 203.0.113.5:22
tcp 198.51.100.7 10.2.0.11:443     U D drop  interzone-default  198.51.100.7 10.2.0.11:443
tcp 10.1.0.5 8.8.8.8:80            T U allow lan-out            203.0.113.2  8.8.8.8:80
tcp 10.1.0.5 8.8.8.8:8080          T U allow lan-out            203.0.113.2  8.8.8.8:8080
tcp 10.1.0.5 8.8.8.8:8443          T U allow lan-out            203.0.113.2  8.8.8.8:8443
tcp 10.1.0.5 8.8.8.8:8081          T U allow dns                203.0.113.2  8.8.8.8:8081
tcp 10.1.0.66 8.8.8.8:80           T U drop  block-bad          10.1.0.66    8.8.8.8:80
udp 10.1.0.5 8.8.8.8:53            T U allow dns                203.0.113.2  8.8.8.8:53
tcp 10.1.0.5 8.8.8.8:53            T U allow dns                203.0.113.2  8.8.8.8:53
udp 10.1.0.5 8.8.8.8:54            T U allow dns                203.0.113.2  8.8.8.8:54
tcp 10.1.0.5 10.2.0.20:80          T D drop  not-dmz            10.1.0.5     10.2.0.20:80
tcp 10.1.0.5 10.2.0.10:8443        T D allow dmz-admin          10.1.0.5     10.2.0.10:8443
tcp 10.1.0.110 10.2.0.10:8443      T D drop  interzone-default  10.1.0.110   10.2.0.10:8443
udp 10.2.0.10:5000 10.1.0.5:514    D T allow syslog             10.2.0.10    10.1.0.5:514
udp 10.2.0.10:500 10.1.0.5:514     D T drop  interzone-default  10.2.0.10    10.1.0.5:514
udp 10.1.0.5:5000 10.9.0.6:514     T T drop  intrazone-default  10.1.0.5     10.9.0.6:514
icmp 10.1.0.5 10.9.0.6:8           T T allow intra-icmp         10.1.0.5     10.9.0.6:0
icmp 10.1.0.5 10.9.0.6:0           T T drop  intrazone-default  10.1.0.5     10.9.0.6:0
tcp-established 8.8.8.8 10.1.0.5:80 U T allow (packets-of-allowed-sessions) 8.8.8.8 10.1.0.5:80
tcp 10.1.0.5 8.8.8.8:80            T X drop  (interfaces-without-a-zone) 10.1.0.5 8.8.8.8:80
"""
SIDES = {"T": "ethernet1/1", "D": "ethernet1/2.10", "U": "ethernet1/3", "X": "ethernet1/4"}


def _case(line: str) -> tuple[Packet, str, str, bool, str, int, tuple[int, int]]:
    proto, source, target, iif, oif, verdict, rule, final_src, final_dst = line.split()
    src, _, sport = source.partition(":")
    dst, _, port = target.partition(":")
    if proto == "icmp":
        packet = icmp(src, dst, int(port))
    elif proto == "udp":
        packet = udp(src, dst, int(port), int(sport or 49152))
    else:
        state = "established" if proto == "tcp-established" else "new"
        packet = tcp(src, dst, int(port), int(sport or 49152), state=state)
    address, _, final_port = final_dst.partition(":")
    ref = "rule " + rule.replace("-", " ") if rule.startswith("(") else "rule " + rule
    return (
        packet,
        SIDES[iif],
        SIDES[oif],
        verdict == "allow",
        ref,
        _ip(final_src),
        (_ip(address), int(final_port)),
    )


BRANCH_CASES = [line for line in BRANCH_TABLE.splitlines() if line.strip()]


@pytest.mark.parametrize("form", ["branch.set", "branch.xml"])
@pytest.mark.parametrize("line", BRANCH_CASES)
def test_branch_policy_in_both_forms_gives_the_expected_verdict(form, line):
    # given
    packet, iif, oif, accepted, rule, src, (dst, dport) = _case(line)
    ruleset = _file(HERE / form)
    # when
    decision = forward(ruleset, packet, iif, oif)
    # then
    assert (decision.accepted, decision.rule) == (accepted, rule)
    assert (decision.packet.src, decision.packet.dst, decision.packet.dport) == (src, dst, dport)


def test_branch_set_and_xml_give_the_same_rule_set():
    from_set = _file(HERE / "branch.set")
    from_xml = _file(HERE / "branch.xml")

    def shape(ruleset: Ruleset):
        return {
            key: [(r.location.ref, r.conditions, r.action) for r in chain.rules]
            for key, chain in ruleset.chains.items()
        }

    assert shape(from_set) == shape(from_xml)
    assert [(i.name, i.address, i.zone) for i in from_set.interfaces] == [
        (i.name, i.address, i.zone) for i in from_xml.interfaces
    ]
    assert [(r.prefix, r.via, r.interface) for r in from_set.routes] == [
        (r.prefix, r.via, r.interface) for r in from_xml.routes
    ]
    assert [(r.prefix, r.via, r.interface) for r in from_set.routes] == [
        ((0, 0), _ip("203.0.113.1"), "ethernet1/3"),
        ((_ip("10.9.0.0"), 16), _ip("10.1.0.254"), None),
    ]
    # XML records its own lines: the rule's <entry>, the route's <entry>
    web_in = _rules(from_xml, "web-in")[0].location
    assert (web_in.line, web_in.text) == (187, '<entry name="web-in">')
    assert from_xml.routes[1].location.line == 74


def test_branch_assumptions_name_the_dnat_reading_and_the_applications():
    ruleset = _file(HERE / "branch.set")
    notes = ruleset.assumptions
    assert any(
        n.startswith("Rule web-in (branch.set:38) names destinations before NAT")
        and "DNAT rule dnat-web" in n
        for n in notes
    )
    assert (
        "Rule dns (branch.set:46) allows application dns: it is taken as matching dns as "
        "every tcp port, every udp port (its usual default, tcp port 53, udp port 53, is not "
        "relied on: App-ID's default ports change with content updates)." in notes
    )
    assert any(n.startswith("NAT rules are matched in order") for n in notes)


def test_a_packet_sent_to_the_translated_address_is_matched_too_as_stated():
    """The stated approximation: in FORWARD, post-NAT 10.2.0.10:443 from untrust matches web-in
    whether or not DNAT made it (PAN-OS itself would not match a direct packet)."""
    ruleset = _file(HERE / "branch.set")
    decision = forward(
        ruleset, tcp("198.51.100.7", "10.2.0.10", 443), "ethernet1/3", "ethernet1/2.10"
    )
    assert decision.accepted and decision.rule == "rule web-in"


def test_branch_model_end_to_end_through_dnat_and_snat():
    model = HERE / "branch.yaml"
    inbound = explain(
        model, src="198.51.100.7", dst="203.0.113.5", proto="tcp", port=8443, today=TODAY
    )
    [path] = inbound.paths
    assert path.disposition == "delivered dmz"
    assert path.final_packet == "198.51.100.7:49152 → 10.2.0.10:443 tcp"
    outbound = explain(model, src="10.1.0.5", dst="8.8.8.8", proto="tcp", port=80, today=TODAY)
    assert outbound.paths[0].final_packet == "203.0.113.2:49152 → 8.8.8.8:80 tcp"
    blocked = explain(model, src="10.1.0.66", dst="8.8.8.8", proto="tcp", port=80, today=TODAY)
    assert blocked.paths[0].disposition == "dropped branch-fw"


def test_ignored_settings_are_grouped_with_their_lines():
    ruleset = _file(HERE / "branch.set")
    grouped = {i.reason: i.lines for i in ruleset.ignored}
    assert grouped["disabled rules"] == (54, 55, 56)
    assert grouped["logging"] == (45,)
    assert grouped["management access to the firewall itself"] == (5,)
    assert grouped["descriptions, tags and comments"] == (21,)
    assert grouped["management users and passwords"] == (3,)


# -- small features -----------------------------------------------------------------------------

BASE = """\
set network interface ethernet ethernet1/1 layer3 ip 10.1.0.1/24
set network interface ethernet ethernet1/2 layer3 ip 10.2.0.1/24
set zone a network layer3 ethernet1/1
set zone b network layer3 ethernet1/2
"""


def _rule(**fields: str) -> str:
    values = {
        "from": "a",
        "to": "b",
        "source": "any",
        "destination": "any",
        "service": "any",
        "application": "any",
        "action": "allow",
        **fields,
    }
    return "\n".join(f"set rulebase security rules R {k} {v}" for k, v in values.items() if v)


def _ab(text: str, packet: Packet) -> Decision:
    return forward(_parse(text), packet, "ethernet1/1", "ethernet1/2")


def test_interzone_default_can_be_overridden_to_allow():
    text = BASE + "set rulebase default-security-rules rules interzone-default action allow\n"
    assert _ab(text, tcp("10.1.0.5", "10.2.0.5", 80)).accepted
    assert not _ab(BASE, tcp("10.1.0.5", "10.2.0.5", 80)).accepted


@pytest.mark.parametrize(
    ("action", "verdict"),
    [
        ("allow", Verdict.ACCEPT),
        ("deny", Verdict.DROP),
        ("drop", Verdict.DROP),
        ("reset-client", Verdict.REJECT),
        ("reset-server", Verdict.REJECT),
        ("reset-both", Verdict.REJECT),
    ],
)
def test_every_action(action, verdict):
    rule = _rules(_parse(BASE + _rule(action=action)), "R")[0]
    assert rule.action is verdict


def test_negate_source_and_literal_addresses():
    text = BASE + _rule(source="[ 10.1.0.0/25 10.1.0.200-10.1.0.210 ]") + "\n"
    text += "set rulebase security rules R negate-source yes\n"
    assert not _ab(text, tcp("10.1.0.5", "10.2.0.5", 80)).accepted
    assert not _ab(text, tcp("10.1.0.205", "10.2.0.5", 80)).accepted
    assert _ab(text, tcp("10.1.0.150", "10.2.0.5", 80)).accepted


def test_negated_any_matches_nothing():
    text = BASE + _rule() + "\nset rulebase security rules R negate-destination yes\n"
    assert _ab(text, tcp("10.1.0.5", "10.2.0.5", 80)).rule == "rule interzone-default"


def test_shared_objects_and_vsys_objects_are_both_found():
    text = BASE + "set shared address s1 ip-netmask 10.2.0.5\n" + _rule(destination="s1")
    assert _ab(text, tcp("10.1.0.5", "10.2.0.5", 80)).accepted
    assert not _ab(text, tcp("10.1.0.5", "10.2.0.6", 80)).accepted


def test_ipv6_addresses_match_no_ipv4_packet():
    text = (
        BASE + "set address v6 ip-netmask 2001:db8::/32\n" + _rule(destination="[ v6 2001:db8::1 ]")
    )
    [rule] = _rules(_parse(text), "R")
    assert Const(False, "no address") in rule.conditions
    assert _ab(text, tcp("10.1.0.5", "10.2.0.5", 80)).rule == "rule interzone-default"


def test_application_with_an_explicit_service_is_read_by_the_service():
    text = (
        BASE
        + "set service s8080 protocol tcp port 8080\n"
        + _rule(application="web-browsing", service="s8080")
    )
    ruleset = _parse(text)
    assert _ab(text, tcp("10.1.0.5", "10.2.0.5", 8080)).accepted
    assert not _ab(text, tcp("10.1.0.5", "10.2.0.5", 80)).accepted
    assert ruleset.assumptions == (
        "Rule R (fw.conf:6) allows application web-browsing: it is taken as matching by its "
        "service (tcp port 8080).",
    )


def test_unknown_application_is_every_tcp_and_udp_port():
    text = BASE + _rule(application="some-saas", service="application-default")
    assert _ab(text, udp("10.1.0.5", "10.2.0.5", 4444)).accepted
    assert not _ab(text, icmp("10.1.0.5", "10.2.0.5")).accepted
    assert (
        "some-saas (default ports unknown to the verifier) as every tcp and udp port"
        in (_parse(text).assumptions[0])
    )


def test_custom_application_default_ports_and_groups():
    text = (
        BASE
        + "set application myapp default port [ tcp/7000-7001 udp/7005 ]\n"
        + "set application-group g members [ myapp ssh ]\n"
        + _rule(application="g", service="application-default")
    )
    assert _ab(text, tcp("10.1.0.5", "10.2.0.5", 7001)).accepted
    assert _ab(text, udp("10.1.0.5", "10.2.0.5", 7005)).accepted
    assert _ab(text, tcp("10.1.0.5", "10.2.0.5", 22)).accepted
    assert not _ab(text, tcp("10.1.0.5", "10.2.0.5", 7005)).accepted


def test_application_any_with_application_default_is_every_port():
    text = BASE + _rule(service="application-default")
    assert _ab(text, tcp("10.1.0.5", "10.2.0.5", 12345)).accepted


def test_static_ip_and_translated_address_source_nat():
    nat = (
        "set rulebase nat rules S from a to b source any destination any service any\n"
        "set rulebase nat rules S source-translation static-ip translated-address 192.0.2.0/24\n"
    )
    text = BASE + _rule() + "\n" + nat
    decision = _ab(text, tcp("10.1.0.5", "10.2.0.5", 80))
    assert decision.packet.src == _ip("192.0.2.0")
    dynamic = nat.replace("static-ip translated-address", "dynamic-ip-and-port translated-address")
    assert _ab(BASE + _rule() + "\n" + dynamic, tcp("10.1.0.5", "10.2.0.5", 80)).packet.src == _ip(
        "192.0.2.0"
    )


def test_tap_zones_decryption_rules_and_discard_routes_are_ignored():
    text = (
        BASE
        + "set zone t network tap ethernet1/9\n"
        + "set rulebase decryption rules D action no-decrypt\n"
        + VR
        + "destination 10.9.0.0/16\n"
        + VR
        + "nexthop discard\n"
    )
    ruleset = _parse(text)
    reasons = {i.reason: i.lines for i in ruleset.ignored}
    assert reasons["interfaces that do not forward (tap, HA, log card)"] == (5,)
    assert reasons["decryption policy (does not decide whether traffic passes)"] == (6,)
    assert reasons["discard routes (they can only drop)"] == (7, 8)
    assert ruleset.routes == ()


def test_ipv6_nat_rules_are_ignored_and_ipv4_ones_read():
    nat = NAT_HEAD + NAT + "source-translation static-ip translated-address 192.0.2.1\n"
    v6 = nat.replace(" N ", " V6 ") + "set rulebase nat rules V6 nat-type nat64\n"
    v4 = nat + "set rulebase nat rules N nat-type ipv4\n"
    ruleset = _parse(BASE + _rule() + "\n" + v6 + v4)
    assert [r.location.ref for r in ruleset.chain("nat", "source").rules] == ["rule N"]
    assert next(i for i in ruleset.ignored if i.reason.startswith("IPv6 NAT")).lines == (12, 13, 14)


def test_panorama_rules_in_the_brace_form_are_refused():
    text = (
        "policy {\n  panorama {\n    pre-rulebase { security { rules { R { action allow; } } } }\n"
    )
    text += "  }\n}\nconfig {\n  devices {\n  }\n}\n"
    with pytest.raises(UnsupportedSyntax, match="Panorama-pushed rule bases") as caught:
        _parse(text)
    assert caught.value.line == 2
    empty = "policy {\n  panorama {\n  }\n}\nconfig {\n  devices {\n  }\n}\n"
    assert _parse(empty).rule_count() == 4


def test_dhcp_interface_is_listed_without_an_address():
    ruleset = _parse("set network interface ethernet ethernet1/1 layer3 dhcp-client enable yes\n")
    assert [(i.name, i.address) for i in ruleset.interfaces] == [("ethernet1/1", None)]
    assert "takes its address by DHCP" in ruleset.assumptions[0]


def test_one_vsys_with_rules_is_chosen_among_several():
    text = BASE.replace("set zone", "set vsys vsys2 zone") + (
        "set vsys vsys1 address x ip-netmask 10.0.0.1\n"
        + _rule().replace("set rulebase", "set vsys vsys2 rulebase")
    )
    ruleset = _parse(text)
    assert _rules(ruleset, "R")
    assert any(i.reason == "virtual systems without rules" for i in ruleset.ignored)


def test_xml_api_response_wrapper_is_read():
    text = (HERE / "branch.xml").read_text()
    body = text.split("?>", 1)[1]
    wrapped = '<response status="success"><result>' + body + "</result></response>"
    assert _parse(wrapped).rule_count() == _file(HERE / "branch.xml").rule_count()


def test_brace_form_reads_lists_quotes_and_comments():
    text = """\
# a comment
config {
  devices {
    localhost.localdomain {
      network { interface { ethernet {
        ethernet1/1 { layer3 { ip { 10.1.0.1/24; } } }
        ethernet1/2 { layer3 { ip { 10.2.0.1/24; } } }
      } } }
      vsys { vsys1 {
        zone { a { network { layer3 [ ethernet1/1]; } } b { network { layer3 ethernet1/2; } } }
        rulebase { security { rules { "my rule" {
          from a; to b; source any; destination any; service any; application any;
          action allow; description "a; b { c }";
        } } } }
      } }
    }
  }
}
"""
    decision = _ab(text, tcp("10.1.0.5", "10.2.0.5", 80))
    assert decision.accepted and (decision.rule, decision.line) == ("rule my rule", 11)


# -- errors --------------------------------------------------------------------------------------


VR = "set network virtual-router v routing-table ip static-route r "
NAT = "set rulebase nat rules N "
NAT_HEAD = NAT + "from a to b source any destination any service any\n"
XML_NO_NAME = "<config>\n<address><entry><ip-netmask>1.2.3.4</ip-netmask></entry></address>\n"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('set address "a ip-netmask 1.2.3.4\n', 1, "unclosed quotation mark"),
        ("set zone a network layer3 [ e1 [ e2 ] ]\n", 1, "nested '['"),
        ("set zone a network layer3 e1 ]\n", 1, "']' without '['"),
        ("set zone a network layer3 [ e1\n", 1, "'[' is never closed"),
        ("set deviceconfig x\ndelete address a\n", 2, "not a 'set' command"),
        ("<config><devices></config>", 1, "not well-formed XML"),
        (XML_NO_NAME + "</config>", 2, "<entry> without a name"),
        ("<policy/>", 1, "the XML root is <policy>, not <config>"),
        ("config {\n  devices {\n", 2, "the configuration ends inside a block"),
        ("config {\n}\n}\n", 3, "unbalanced '}'"),
        ("config {\n  a b\n}\n", 3, "statement without ';' before '}'"),
        ("hello world;\n", 1, "not a PAN-OS configuration"),
        (BASE + _rule(action=""), 5, "rule R has no action"),
        (BASE + _rule(action="permit"), 11, "unknown action 'permit'"),
        (BASE + _rule(**{"from": ""}), 5, "rule R has no 'from' zone"),
        (BASE + _rule(source="nosuch"), 7, "names address 'nosuch', which is not defined"),
        (BASE + _rule(service="nosuch"), 9, "names service 'nosuch', which is not defined"),
        (BASE + _rule(service="[ application-default x ]"), 9, "mixes application-default"),
        (BASE + "set service s protocol tcp port 80-70000\n" + _rule(service="s"), 5, "bad port"),
        (BASE + "set service s protocol tcp port x\n" + _rule(service="s"), 5, "bad port 'x'"),
        (BASE + "set service s description d\n" + _rule(service="s"), 5, "has no protocol"),
        (BASE + "set address-group g static g\n" + _rule(source="g"), 5, "contains itself"),
        (BASE + "set service-group g members g\n" + _rule(service="g"), 5, "contains itself"),
        (BASE + "set address x ip-netmask 1.2.3\n" + _rule(source="x"), 5, "not an IPv4 prefix"),
        (BASE + VR + "nexthop ip-address 1.2.3.4\n", 5, "has no destination"),
        (BASE + VR + "destination x\n", 5, "is not a prefix"),
        (BASE + NAT_HEAD + NAT + "destination-translation translated-port 80\n", 6, "without"),
        (BASE + _rule(**{"rule-type": "sideways"}), 12, "unknown rule-type 'sideways'"),
    ],
)
def test_malformed_input_gives_a_parse_error_at_its_line(text, line, message):
    with pytest.raises(ParseError) as caught:
        _parse(text)
    error = caught.value
    assert type(error) is ParseError
    assert message in error.message
    assert error.line == line
    lines = text.splitlines()
    assert error.text == (lines[line - 1].strip() if line <= len(lines) else "")
    assert error.hint and error.render("ja")


VSYS2 = _rule().replace("set rulebase", "set vsys vsys2 rulebase")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (BASE + "set address f fqdn a.jp\n" + _rule(destination="f"), 5, "fqdn address f (used by"),
        (BASE + "set address w ip-wildcard 10.0.0.1/0.0.255.0\n" + _rule(source="w"), 5, "ip-wild"),
        (BASE + "set address-group d dynamic filter x\n" + _rule(source="d"), 5, "dynamic address"),
        (
            BASE + "set external-list edl type ip\n" + _rule(source="edl"),
            8,
            "external dynamic list",
        ),
        (BASE + _rule(source="JP"), 7, "region JP"),
        (BASE + _rule(schedule="office-hours"), 12, "schedule of rule R"),
        (BASE + _rule(**{"source-user": "corp\\alice"}), 12, "user-based match in rule R"),
        (BASE + _rule(**{"category": "social-networking"}), 12, "URL category match in rule R"),
        (BASE + _rule(**{"frobnicate": "yes"}), 12, "rule field 'frobnicate'"),
        (BASE + "set network interface ethernet ethernet1/3 layer2 x\n", 5, "layer2 interface"),
        (BASE + "set zone v network virtual-wire ethernet1/4\n", 5, "virtual-wire zone v"),
        (BASE + "set rulebase pbf rules P action forward\n", 5, "pbf rule base"),
        (BASE + "set frobnicate x\n", 5, "vsys section 'frobnicate'"),
        (BASE + "set network frobnicate x\n", 5, "network section 'frobnicate'"),
        (
            BASE + NAT_HEAD + NAT + "source-translation static-ip translated-address 1.2.3.4\n"
            "set rulebase nat rules N source-translation static-ip bi-directional yes\n",
            7,
            "bi-directional static NAT",
        ),
        (
            BASE + NAT_HEAD + NAT + "dynamic-destination-translation translated-address x\n",
            6,
            "rule field 'dynamic-destination-translation'",
        ),
        (
            BASE + VR + "destination 0.0.0.0/0\n" + VR + "nexthop next-vr other\n",
            6,
            "next hop 'next-vr'",
        ),
        (
            BASE
            + VR
            + "destination 10.9.0.0/16\n"
            + VR.replace(" v ", " v2 ")
            + "destination 10.8.0.0/16\n",
            5,
            "several virtual routers (v, v2)",
        ),
        (BASE + _rule() + "\n" + VSYS2, 12, "several virtual systems with rules (vsys1, vsys2)"),
    ],
)
def test_what_could_permit_traffic_and_is_not_modelled_is_refused(text, line, message):
    with pytest.raises(UnsupportedSyntax) as caught:
        _parse(text)
    error = caught.value
    assert message in error.message and "is not modelled" in error.message
    assert error.line == line, error.render()
    assert error.text == text.splitlines()[line - 1].strip()
    assert "can change forwarding" in error.render("en")
    assert "検証器" in error.render("ja")


def test_unused_fqdn_and_dynamic_objects_are_not_refused():
    text = (
        BASE + "set address f fqdn www.example.jp\nset address-group d dynamic filter x\n" + _rule()
    )
    assert _rules(_parse(text), "R")


def test_several_devices_are_refused():
    text = """<config><devices>
<entry name="a"><deviceconfig/></entry>
<entry name="b"><deviceconfig/></entry>
</devices></config>"""
    with pytest.raises(UnsupportedSyntax, match=r"several devices in one file \(a, b\)"):
        _parse(text)


def test_xml_entities_are_refused_before_they_expand():
    """The 'billion laughs' document never expands: no DTD is accepted at all."""
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE config [\n<!ENTITY a "aaaaaaaaaa">\n'
        + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">\n' for i in range(8))
        + "]>\n<config>&i;</config>\n"
    )
    with pytest.raises(ParseError) as caught:
        _parse(bomb)
    assert "document type or entity declaration" in caught.value.message
    assert caught.value.line == 2


def test_external_entities_are_refused():
    text = (
        '<?xml version="1.0"?>\n<!DOCTYPE config SYSTEM "http://example.invalid/x.dtd">\n<config/>'
    )
    with pytest.raises(ParseError, match="document type"):
        _parse(text)


def test_parse_ruleset_knows_the_format():
    ruleset = parse_ruleset(BASE, format="panos", source="fw.conf")
    assert {i.name: i.zone for i in ruleset.interfaces} == {"ethernet1/1": "a", "ethernet1/2": "b"}
    assert panos.FORMAT == "panos"


def test_zone_interfaces_become_interface_matches_on_their_members():
    rule = _rules(_parse(BASE + _rule()), "R")[0]
    matches = [c for c in rule.conditions if isinstance(c, InterfaceMatch)]
    assert matches == [
        InterfaceMatch("in", ("ethernet1/1",)),
        InterfaceMatch("out", ("ethernet1/2",)),
    ]


# -- fuzzing -------------------------------------------------------------------------------------

WORDS = [
    "set", "vsys", "vsys1", "vsys2", "shared", "network", "interface", "ethernet", "ethernet1/1",
    "layer3", "layer2", "ip", "10.0.0.1/24", "units", "zone", "a", "b", "rulebase", "security",
    "nat", "rules", "R", "from", "to", "source", "destination", "service", "application",
    "action", "allow", "deny", "any", "application-default", "address", "ip-netmask",
    "ip-range", "1.1.1.1-1.1.1.0", "fqdn", "address-group", "static", "dynamic", "service-group",
    "members", "protocol", "tcp", "port", "80,443", "99999", "negate-source", "yes",
    "disabled", "rule-type", "intrazone", "[", "]", '"', '"a b"', "{", "}", ";",
    "source-translation", "static-ip", "translated-address", "destination-translation",
    "translated-port", "virtual-router", "routing-table", "static-route", "nexthop",
    "ip-address", "schedule", "default-security-rules", "intrazone-default", "",
]  # fmt: skip
SEEDS = [
    (PANOS / "rulebase").read_text(),
    (PANOS / "destination-nat").read_text(),
    (HERE / "branch.set").read_text(),
    (HERE / "branch.xml").read_text(),
    (AERLEON / "generated" / "sample_paloalto.xml").read_text(),
]


def _check(error: ParseError, text: str) -> None:
    lines = text.splitlines()
    assert error.source == "fuzz.conf"
    assert 1 <= error.line <= max(len(lines), 1)
    assert error.hint
    assert error.render("ja") and error.render("en")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS), max_size=9).map(" ".join), max_size=8))
def test_random_set_lines_parse_or_raise_parse_error(lines):
    text = "\n".join("set " + line if i % 3 else line for i, line in enumerate(lines))
    try:
        panos.parse(text, source="fuzz.conf")
    except ParseError as error:
        _check(error, text)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SEEDS), st.data())
def test_mutated_configs_parse_or_raise_parse_error(seed, data):
    lines = seed.splitlines()
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
        panos.parse(text, source="fuzz.conf")
    except ParseError as error:
        _check(error, text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_never_escapes_as_another_exception(text):
    for prefix in ("", "set ", "<config>", "config {"):
        try:
            panos.parse(prefix + text, source="fuzz.conf")
        except ParseError as error:
            assert error.hint and error.line >= 1


# -- review findings: NAT and security rules, names, set lines, size limits --------------------

DMZ = """\
set network interface ethernet ethernet1/2 layer3 ip 10.2.0.1/24
set network interface ethernet ethernet1/3 layer3 ip 203.0.113.2/29
set vsys vsys1 zone dmz network layer3 ethernet1/2
set vsys vsys1 zone untrust network layer3 ethernet1/3
set vsys vsys1 address web-srv ip-netmask 10.2.0.10
set vsys vsys1 address web-pub ip-netmask 203.0.113.5/32
set vsys vsys1 address dmz-net ip-netmask 10.2.0.0/24
"""
RULES = "set vsys vsys1 rulebase security rules "
DNAT_WEB = (
    "set vsys vsys1 rulebase nat rules dnat-web from untrust to untrust source any "
    "destination web-pub service service-https\n"
    "set vsys vsys1 rulebase nat rules dnat-web destination-translation translated-address "
    "web-srv\n"
)


OSPF = "set network virtual-router default protocol ospf enable yes\n"
FAR_PUB = DMZ.replace("203.0.113.5/32", "198.51.100.5/32")
WEB_IN = (
    RULES + "web-in from untrust to dmz source any destination web-pub service service-https "
    "application any action allow\n"
)


def _in(text: str, packet: Packet) -> Decision:
    """From untrust (ethernet1/3) into the dmz (ethernet1/2)."""
    return forward(_parse(text), packet, "ethernet1/3", "ethernet1/2")


def test_a_deny_on_the_post_nat_address_does_not_block_what_dnat_rewrote():
    """Finding 1: PAN-OS matches no-direct on the pre-NAT 203.0.113.5, which it does not name."""
    text = (
        DMZ
        + (
            RULES + "no-direct from untrust to dmz source any destination dmz-net service any "
            "application any action deny\n"
        )
        + WEB_IN
        + DNAT_WEB
    )
    through = _in(text, tcp("198.51.100.7", "203.0.113.5", 443))
    assert through.accepted and through.packet.dst == _ip("10.2.0.10")
    assert through.rule == "rule web-in"
    # what no DNAT rule can have rewritten is still blocked by it
    assert not _in(text, tcp("198.51.100.7", "10.2.0.20", 443)).accepted
    assert not _in(text, tcp("198.51.100.7", "10.2.0.10", 80)).accepted
    notes = " ".join(_parse(text).assumptions)
    assert "Rule no-direct (fw.conf:8) blocks destinations and services as written" in notes
    assert "DNAT rule dnat-web could have produced" in notes


def test_a_deny_on_the_post_nat_port_does_not_block_what_port_nat_rewrote():
    """Finding 1, ports: deny tcp/80 must not catch 8080 that the DNAT rule rewrote to 80."""
    text = (
        DMZ
        + "set vsys vsys1 service p80 protocol tcp port 80\n"
        + "set vsys vsys1 service p8080 protocol tcp port 8080\n"
        + RULES
        + "no-80 from untrust to dmz source any destination any service p80 application any "
        "action deny\n"
        + RULES
        + "alt-in from untrust to dmz source any destination web-pub service p8080 "
        "application any action allow\n"
        + "set vsys vsys1 rulebase nat rules pnat from untrust to untrust source any "
        "destination web-pub service p8080\n"
        + "set vsys vsys1 rulebase nat rules pnat destination-translation translated-address "
        "web-srv translated-port 80\n"
    )
    through = _in(text, tcp("198.51.100.7", "203.0.113.5", 8080))
    assert through.accepted and through.packet.dport == 80 and through.rule == "rule alt-in"
    assert not _in(text, tcp("198.51.100.7", "10.2.0.20", 80)).accepted


def test_a_deny_rule_is_not_matched_on_the_address_dnat_translates_into():
    """Finding 5: block-pub names 203.0.113.5; a packet sent to 10.2.0.10 passes srv."""
    text = (
        DMZ
        + (
            RULES + "block-pub from untrust to dmz source any destination web-pub service any "
            "application any action deny\n"
        )
        + (
            RULES + "srv from untrust to dmz source any destination web-srv service any "
            "application any action allow\n"
        )
        + DNAT_WEB
    )
    direct = _in(text, tcp("198.51.100.7", "10.2.0.10", 443))
    assert direct.accepted and direct.rule == "rule srv"
    [block] = _rules(_parse(text), "block-pub")
    assert _ranges(block, Field.DST) == ((_ip("203.0.113.5"), _ip("203.0.113.5")),)


def test_dnat_applies_when_dynamic_routing_hides_the_route_into_its_to_zone():
    """Finding 2: 198.51.100.5 reaches the firewall by OSPF; no configured route covers it."""
    text = FAR_PUB + OSPF + WEB_IN + DNAT_WEB
    through = _in(text, tcp("192.0.2.7", "198.51.100.5", 443))
    assert through.accepted and through.packet.dst == _ip("10.2.0.10")
    notes = " ".join(_parse(text).assumptions)
    assert "may learn routes its configuration does not show" in notes
    assert "NAT rule dnat-web; the rule is taken as applying whatever zone" in notes


def test_dnat_applies_when_no_configured_route_leads_into_its_to_zone():
    """Finding 2: a to-zone without routes in the configuration no longer drops the rule."""
    text = (
        FAR_PUB
        + "set network interface ethernet ethernet1/4 layer3 comment edge\n"
        + "set vsys vsys1 zone edge network layer3 ethernet1/4\n"
        + WEB_IN.replace("from untrust", "from [ untrust edge ]")
        + DNAT_WEB.replace("to untrust", "to edge")
    )
    through = _in(text, tcp("192.0.2.7", "198.51.100.5", 443))
    assert through.accepted and through.packet.dst == _ip("10.2.0.10")
    assert any("No connected or static route" in n for n in _parse(text).assumptions)


def test_a_vsys_address_group_hides_a_shared_address_of_the_same_name():
    """Finding 8: PAN-OS resolves srv in vsys1 first, where it is a group of dmz-net."""
    text = (
        DMZ
        + "set shared address srv ip-netmask 192.0.2.1/32\n"
        + "set vsys vsys1 address-group srv static [ dmz-net ]\n"
        + "set shared service web protocol tcp port 80\n"
        + "set vsys vsys1 service-group web members [ service-https ]\n"
        + RULES
        + "in from untrust to dmz source any destination srv service web application any "
        "action allow\n"
    )
    assert _in(text, tcp("198.51.100.7", "10.2.0.5", 443)).accepted
    assert not _in(text, tcp("198.51.100.7", "192.0.2.1", 443)).accepted
    assert not _in(text, tcp("198.51.100.7", "10.2.0.5", 80)).accepted


def test_a_deny_of_application_any_on_application_default_matches_nothing():
    """Finding 9: the deny matches applications on their default ports only, not every port."""
    text = (
        DMZ
        + RULES
        + "d from untrust to dmz source any destination any service application-default "
        "application any action deny\n"
        + RULES
        + "in from untrust to dmz source any destination any service any application any "
        "action allow\n"
    )
    decision = _in(text, tcp("198.51.100.7", "10.2.0.5", 443))
    assert decision.accepted and decision.rule == "rule in"
    assert any(
        n.startswith("Rule d (fw.conf:8) blocks application any on application-default")
        for n in _parse(text).assumptions
    )


def test_an_allow_of_a_listed_application_is_every_port_of_its_protocol():
    """Finding 4: default ports in the table are not relied on (ssh's are)."""
    text = BASE + _rule(application="[ web-browsing ssh ]", service="application-default")
    assert _ab(text, tcp("10.1.0.5", "10.2.0.5", 8081)).accepted
    assert not _ab(text, udp("10.1.0.5", "10.2.0.5", 80)).accepted
    only_ssh = BASE + _rule(application="ssh", service="application-default")
    assert not _ab(only_ssh, tcp("10.1.0.5", "10.2.0.5", 2222)).accepted


def test_a_field_after_a_structured_field_on_one_set_line_is_refused():
    """Finding 10: negate-destination would be read inside profile-setting and lost."""
    text = (
        BASE
        + _rule(destination="10.2.0.5")
        + "\nset rulebase security rules R profile-setting group default negate-destination yes\n"
    )
    with pytest.raises(ParseError) as caught:
        _parse(text)
    assert caught.value.line == 12 and "'negate-destination' follows 'profile-setting'" in (
        caught.value.message
    )
    # on lines of their own both are read
    apart = (
        BASE
        + _rule(destination="10.2.0.5")
        + "\nset rulebase security rules R profile-setting group default"
        + "\nset rulebase security rules R negate-destination yes\n"
    )
    assert _ab(apart, tcp("10.1.0.5", "10.2.0.6", 80)).accepted
    assert not _ab(apart, tcp("10.1.0.5", "10.2.0.5", 80)).accepted


def test_fields_of_a_default_rule_on_one_set_line_are_all_read():
    """Finding 10: 'log-end yes action allow' used to hide the action under log-end."""
    text = (
        BASE
        + "set rulebase default-security-rules rules interzone-default log-end yes action allow\n"
    )
    assert _ab(text, tcp("10.1.0.5", "10.2.0.5", 80)).accepted


def _diamond(kind: str, depth: int) -> str:
    """Group g0 contains g1 twice over (through a and b), g1 contains g2, … : 2**depth paths."""
    section, key = {
        "address": ("address-group", "static"),
        "service": ("service-group", "members"),
        "application": ("application-group", "members"),
    }[kind]
    leaf = {
        "address": "set address leaf ip-netmask 10.2.0.5\n",
        "service": "set service leaf protocol tcp port 80\n",
        "application": "",
    }[kind]
    last = "leaf" if kind != "application" else "web-browsing"
    lines = [leaf]
    for i in range(depth):
        lines.append(f"set {section} g{i}a {key} [ g{i + 1}a g{i + 1}b ]\n")
        lines.append(f"set {section} g{i}b {key} [ g{i + 1}a g{i + 1}b ]\n")
    lines.append(f"set {section} g{depth}a {key} [ {last} ]\n")
    lines.append(f"set {section} g{depth}b {key} [ {last} ]\n")
    return "".join(lines)


def test_diamond_groups_are_resolved_once_per_group():
    """Finding 11: 40 levels of groups that each contain the next two resolve at once."""
    text = BASE + _diamond("address", 40) + _rule(destination="g0a")
    assert _ab(text, tcp("10.1.0.5", "10.2.0.5", 80)).accepted
    assert not _ab(text, tcp("10.1.0.5", "10.2.0.6", 80)).accepted
    text = BASE + _diamond("service", 40) + _rule(service="g0a")
    assert _ab(text, tcp("10.1.0.5", "10.2.0.5", 80)).accepted
    assert not _ab(text, tcp("10.1.0.5", "10.2.0.5", 81)).accepted
    text = BASE + _diamond("application", 40) + _rule(application="g0a", service="any")
    assert _ab(text, tcp("10.1.0.5", "10.2.0.5", 80)).accepted


DEEP = 5000


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("set deviceconfig " + "a " * DEEP + "\n", 1),
        ("<config>\n" + "<a>" * DEEP + "</a>" * DEEP + "\n</config>\n", 2),
        ("config {\n" + "a {\n" * DEEP + "}\n" * DEEP + "}\n", 65),
    ],
    ids=["set", "xml", "braces"],
)
def test_deep_configuration_gives_a_parse_error(text, line):
    """Finding 12: a ParseError at the line where the nesting goes too deep, not RecursionError."""
    with pytest.raises(ParseError) as caught:
        _parse(text)
    assert "nested deeper than 64 levels" in caught.value.message
    assert caught.value.line == line


@pytest.mark.parametrize(
    ("kind", "rule"),
    [
        ("address-group {i} static [ g{j} ]", {"destination": "g0"}),
        ("service-group {i} members [ g{j} ]", {"service": "g0"}),
        ("application-group {i} members [ g{j} ]", {"application": "g0"}),
    ],
)
def test_a_long_chain_of_groups_gives_a_parse_error(kind, rule):
    """Finding 12: groups nested 5,000 deep stop at 256 with a ParseError, not RecursionError."""
    lines = [
        "set " + kind.split(" ")[0] + f" g{i} " + " ".join(kind.split(" ")[2:]).format(j=i + 1)
        for i in range(DEEP)
    ]
    text = BASE + "\n".join(lines) + "\n" + _rule(**rule)
    with pytest.raises(ParseError) as caught:
        _parse(text)
    assert "nests groups deeper than 256 levels" in caught.value.message
    assert caught.value.line > 4


def test_a_deny_naming_the_original_destination_too_still_blocks_dnat_traffic():
    """Finding 1, precision: no-direct names both 203.0.113.5 and 10.2.0.10, so it blocks the
    translated packets on the device as well, and in the rule set."""
    text = (
        DMZ
        + "set vsys vsys1 address-group both static [ web-pub dmz-net ]\n"
        + (
            RULES + "no-direct from untrust to dmz source any destination both service any "
            "application any action deny\n"
        )
        + WEB_IN
        + DNAT_WEB
    )
    blocked = _in(text, tcp("198.51.100.7", "203.0.113.5", 443))
    assert not blocked.accepted and blocked.rule == "rule no-direct"
    assert not any("could have produced" in n for n in _parse(text).assumptions)


def test_a_static_route_on_one_set_line_keeps_its_next_hop_and_interface():
    """Finding 10: fields after the next hop's value were read under it and lost."""
    text = BASE + VR + "destination 10.9.0.0/16 nexthop ip-address 10.2.0.9 interface ethernet1/2\n"
    [route] = _parse(text).routes
    assert route.via == _ip("10.2.0.9") and route.interface == "ethernet1/2"
    assert route.prefix == (_ip("10.9.0.0"), 16)


def test_an_allow_on_the_post_nat_address_states_that_it_over_approximates():
    """Finding 1, allow rules: matching rewritten packets too only allows more; it is stated."""
    text = DMZ + WEB_IN.replace("destination web-pub", "destination dmz-net") + DNAT_WEB
    assert _in(text, tcp("198.51.100.7", "203.0.113.5", 443)).accepted
    assert any(
        n.startswith("Rule web-in (fw.conf:8) allows packets that DNAT rule dnat-web rewrote")
        for n in _parse(text).assumptions
    )
