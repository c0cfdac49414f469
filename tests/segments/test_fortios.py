"""FortiOS parser: the Batfish grammar corpus, a real lab with observed traffic, and small configs
for every feature; bad input gives a typed error with its line."""

from __future__ import annotations

import json
import re
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isms.segments import ParseError, UnsupportedSyntax, explain, verify
from isms.segments.addresses import parse_address
from isms.segments.evaluate import Packet, run_hook, run_stage
from isms.segments.parsers import fortios, parse_ruleset
from isms.segments.parsers.names import PROTOCOLS
from isms.segments.rules import (
    Chain,
    Field,
    Hook,
    InterfaceMatch,
    Jump,
    Nat,
    RangeMatch,
    Rule,
    StageKind,
    StateMatch,
    Verdict,
)

from .conftest import BATFISH, CORPUS, DATA, TODAY

FORTIOS = BATFISH / "fortios"
LAB = CORPUS / "lab-validation" / "fortios_fw_policy_basic"
OURS = DATA / "fortios"
# every Batfish file starts with 'config system global' (hostname): skipped, and listed
MANAGEMENT = "device management and services of the device itself (they cannot forward traffic)"


def _ip(text):
    return parse_address(text)


def _range(first, last=None):
    return (_ip(first), _ip(last or first))


def _net(text):
    address, _, length = text.partition("/")
    first = _ip(address)
    return (first, first + (1 << (32 - int(length))) - 1)


def _parse(text, source="fw.conf"):
    return fortios.parse(textwrap.dedent(text), source=source)


def _corpus(name):
    return (FORTIOS / name).read_text(encoding="utf-8")


PORTS = """
config system interface
    edit "port1"
        set vdom "root"
        set ip 10.0.1.1 255.255.255.0
    next
    edit "port2"
        set vdom "root"
        set ip 10.0.2.1 255.255.255.0
    next
    edit "port3"
        set vdom "root"
        set ip 10.0.3.1 255.255.255.0
    next
    edit "port4"
        set vdom "root"
        set ip 10.0.4.1 255.255.255.0
    next
end
"""


def _policy(ident="1", **settings):
    """One policy block; settings default to an accept any → any, all → all, ALL policy."""
    values = {
        "srcintf": '"any"',
        "dstintf": '"any"',
        "srcaddr": '"all"',
        "dstaddr": '"all"',
        "action": "accept",
        "service": '"ALL"',
    }
    values.update({k.replace("_", "-"): v for k, v in settings.items()})
    lines = "".join(f"        set {k} {v}\n" for k, v in values.items() if v is not None)
    return f"config firewall policy\n    edit {ident}\n{lines}    next\nend\n"


def _forward(ruleset):
    return ruleset.chain("filter", "FORWARD")


def _policy_rules(ruleset, chain=None):
    """Rules of the forward chain without the stateful first rule."""
    rules = (chain or _forward(ruleset)).rules
    assert rules[0].conditions == (StateMatch(frozenset({"established", "related"})),)
    return rules[1:]


def _field(rule, field):
    found = [c for c in rule.conditions if isinstance(c, RangeMatch) and c.field is field]
    assert len(found) <= 1
    return found[0] if found else None


def _packet(src, dst, proto="tcp", dport=0, sport=40000, icmp_type=8, state="new"):
    number = proto if isinstance(proto, int) else PROTOCOLS[proto]
    return Packet(_ip(src), _ip(dst), number, sport, dport, icmp_type, 0, state)


def _decide(ruleset, iif, oif, *args, **kwargs):
    """Run the forward hook on one packet: ("accept" | "drop", ref of the deciding entry)."""
    accepted, steps = run_hook(ruleset, Hook.FORWARD, _packet(*args, **kwargs), iif, oif)
    decider = steps[-1].deciders[0]
    return ("accept" if accepted else "drop"), decider.location.ref


# -- the Batfish grammar corpus ----------------------------------------------------------------


def test_every_batfish_fortios_config_parses_with_its_interfaces_and_rules():
    """All 11 grammar files parse; rule and interface counts are what they declare."""
    # given
    names = sorted(p.name for p in FORTIOS.iterdir())
    # when
    parsed = {name: fortios.parse(_corpus(name), source=name) for name in names}
    # then
    assert len(names) == 11
    assert {n: r.rule_count() for n, r in parsed.items()} == {
        "address": 1,  # only the stateful rule: no policies
        "addrgrp": 1,
        "firewall_policy": 6,  # stateful + 4 enabled policies, one of them with two services
        "firewall_policy_addrgrp": 2,
        "firewall_vi_policy": 3,
        "iface": 1,
        "policy": 3,
        "service_custom": 1,
        "service_group": 1,
        "static_routes": 1,
        "zone": 3,  # stateful + intrazone allow of a two-member zone, both directions
    }
    assert {n: len(r.interfaces) for n, r in parsed.items()} == {
        "address": 2,
        "addrgrp": 0,
        "firewall_policy": 5,
        "firewall_policy_addrgrp": 0,
        "firewall_vi_policy": 3,
        "iface": 8,
        "policy": 4,
        "service_custom": 0,
        "service_group": 0,
        "static_routes": 1,
        "zone": 5,
    }
    for ruleset in parsed.values():
        assert ruleset.format == "fortios"
        assert _forward(ruleset).policy is Verdict.DROP
        assert [(s.hook, s.kind) for s in ruleset.stages] == [(Hook.FORWARD, StageKind.FILTER)]


def test_batfish_address_objects_read_through_a_policy_that_names_each():
    """address: every supported type gives its range; the others refuse only when used."""
    text = _corpus("address")
    plain = fortios.parse(text, source="address")
    assert [(i.name, i.address, i.prefix_length, i.zone) for i in plain.interfaces] == [
        ("port1", _ip("1.1.1.1"), 24, ""),
        ("port2", _ip("2.1.1.1"), 24, "zoneA"),
    ]
    assert {i.reason: i.lines for i in plain.ignored} == {
        MANAGEMENT: (1,),
        "address of type dynamic not used by any policy": (48,),
        "address of type fqdn not used by any policy": (53,),
        "address of type geography not used by any policy": (57,),
        "address of type mac not used by any policy": (65,),
        "address of type wildcard not used by any policy": (70, 80),
    }
    long_name = "abcdefghijklmnopqrstuvwxyz abcdefghijklmnopqrstuvwxyz abcdefghijklmnopqrstuvwxy"
    expected = {
        "ipmask": (_net("1.1.1.0/24"),),
        long_name: (_net("1.1.1.0/24"),),
        "iprange": (_range("1.1.1.0", "1.1.1.255"),),
        "interface-subnet": (_net("1.1.1.0/24"),),
        "ipmask-default": None,  # 0.0.0.0/0: no source condition
        "iprange-default": (_range("0.0.0.0", "1.1.1.1"),),
    }
    for name, ranges in expected.items():
        ruleset = fortios.parse(text + _policy(srcaddr=f'"{name}"'), source="address")
        (rule,) = _policy_rules(ruleset)
        condition = _field(rule, Field.SRC)
        assert (condition.ranges if condition else None) == ranges, name
    # the types that cannot be modelled, at the line of their 'set type' (the wildcard's
    # second block re-sets it)
    for name, line in [
        ("dynamic", 49),
        ("fqdn", 54),
        ("geography", 58),
        ("mac", 66),
        ("wildcard", 87),
        ("wildcard-default", 81),
    ]:
        with pytest.raises(UnsupportedSyntax) as caught:
            fortios.parse(text + _policy(dstaddr=f'"{name}"'), source="address")
        assert caught.value.line == line, name
        assert f"address {name} of type" in caught.value.message
    with pytest.raises(ParseError) as caught:
        fortios.parse(text + _policy(srcaddr='"undefined-refs"'), source="address")
    assert caught.value.line == 40
    assert "undefined_iface" in caught.value.message


def test_batfish_address_groups_nest_and_exclude():
    """addrgrp: set replaces, append adds, exclude-members survive toggling exclude."""
    text = _corpus("addrgrp")
    expected = {
        "this is longest possible firewall addrgrp group name that is accepted by device": (
            _net("3.3.3.0/24"),
        ),
        # (addr1 ∪ addr5) minus (addr4 ∪ addr5)
        "grp1": (_net("1.1.1.0/24"),),
        # addr4 ∪ grp1; exclude disabled
        "grp2": (_net("1.1.1.0/24"), _net("4.4.4.0/24")),
    }
    for name, ranges in expected.items():
        ruleset = fortios.parse(text + _policy(dstaddr=f'"{name}"'), source="addrgrp")
        (rule,) = _policy_rules(ruleset)
        assert _field(rule, Field.DST).ranges == ranges, name


def test_batfish_firewall_policy_order_appends_zones_and_disabled_entries():
    """firewall_policy: edit order (not ids), appends, zones expanded, edit 0 disabled."""
    ruleset = fortios.parse(_corpus("firewall_policy"), source="firewall_policy")
    rules = _policy_rules(ruleset)
    assert [r.location.ref for r in rules] == [
        "policy 4294967294",
        "policy 1",
        "policy 1",
        "policy 2",
        "policy 3",
    ]
    assert [r.location.line for r in rules] == [75, 86, 86, 101, 109]
    assert {i.reason: i.lines for i in ruleset.ignored} == {
        MANAGEMENT: (1,),
        "disabled policy (status disable)": (65,),
    }
    first = rules[0]
    assert first.action is Verdict.DROP  # no 'set action': deny
    assert first.conditions == (
        InterfaceMatch("in", ("port1",)),
        InterfaceMatch("out", ("port1", "port2")),
        RangeMatch(Field.SRC, (_net("10.0.1.0/24"),)),
        RangeMatch(Field.DST, (_net("10.0.2.0/24"),)),
        RangeMatch(Field.PROTO, ((6, 6),)),
        RangeMatch(Field.DPORT, ((12, 12),)),
        RangeMatch(Field.SPORT, ((11, 11),)),
    )
    assert rules[1].conditions[:4] == (
        InterfaceMatch("in", ("port1", "port2")),
        InterfaceMatch("out", ("port2", "port1")),
        RangeMatch(Field.SRC, (_range("10.0.1.0", "10.0.2.255"),)),  # adjacent: one range
        RangeMatch(Field.DST, (_range("10.0.1.0", "10.0.2.255"),)),
    )
    assert rules[3].conditions == ()  # any any all all ALL
    assert rules[4].conditions == (
        InterfaceMatch("in", ("port3", "port2", "port5", "port4")),
        InterfaceMatch("out", ("port3", "port5")),
    )
    # packets: tcp 12 from source port 11 is denied by the first entry, from another port it
    # reaches policy 1? no: policy 1's second service needs source port 11 too, so policy 2
    assert _decide(ruleset, "port1", "port2", "10.0.1.5", "10.0.2.5", "tcp", 12, sport=11) == (
        "drop",
        "policy 4294967294",
    )
    assert _decide(ruleset, "port1", "port2", "10.0.1.5", "10.0.2.5", "tcp", 11) == (
        "accept",
        "policy 1",
    )
    assert _decide(ruleset, "port1", "port2", "10.0.1.5", "10.0.2.5", "udp", 53)[1] == "policy 2"


def test_batfish_policy_with_nested_group_exclusion():
    """firewall_policy_addrgrp: a group of a group with an excluded /29."""
    ruleset = fortios.parse(_corpus("firewall_policy_addrgrp"), source="fpa")
    (rule,) = _policy_rules(ruleset)
    assert _field(rule, Field.SRC).ranges == (
        _range("10.0.1.0", "10.0.1.63"),
        _range("10.0.1.72", "10.0.1.255"),
    )
    assert _decide(ruleset, "a", "b", "10.0.1.70", "10.0.2.1", "tcp", 11)[0] == "drop"
    assert _decide(ruleset, "a", "b", "10.0.1.80", "10.0.2.1", "tcp", 11)[0] == "accept"


def test_batfish_zone_as_destination_interface():
    """firewall_vi_policy: zone1 = port2 + port3; the deny comes first."""
    ruleset = fortios.parse(_corpus("firewall_vi_policy"), source="vi")
    rules = _policy_rules(ruleset)
    assert rules[0].conditions[:2] == (
        InterfaceMatch("in", ("port1",)),
        InterfaceMatch("out", ("port2", "port3")),
    )
    assert _decide(ruleset, "port1", "port3", "10.0.9.9", "10.0.1.9", "icmp") == (
        "drop",
        "policy 1",
    )
    assert _decide(ruleset, "port1", "port3", "10.0.9.9", "10.0.2.9", "icmp") == (
        "accept",
        "policy 2",
    )
    assert _decide(ruleset, "port2", "port1", "10.0.9.9", "10.0.2.9", "icmp") == (
        "drop",
        "implicit deny",
    )


def test_batfish_interfaces_both_address_formats_and_secondaries():
    """iface: mask and slash forms; interfaces without an address; secondary addresses ignored."""
    ruleset = fortios.parse(_corpus("iface"), source="iface")
    assert [(i.name, i.address, i.prefix_length) for i in ruleset.interfaces] == [
        ("port1", _ip("192.168.122.2"), 24),
        ("port2", None, None),
        ("longest if name", _ip("169.254.1.1"), 24),
        ("tunnel", None, None),
        ("loopback123", None, None),
        ("emac", None, None),
        ("vlan", None, None),
        ("wl", None, None),
    ]
    assert ruleset.interfaces[0].location.line == 5
    # 'longest if name' disables its secondary addresses again
    assert {i.reason: i.lines for i in ruleset.ignored} == {
        MANAGEMENT: (1,),
        "secondary interface address (Ruleset.interfaces lists the primary one)": (15, 18, 21),
    }


def test_batfish_explicit_deny_of_a_service_group_then_all_tcp():
    """policy: tcp 1234 and 1235 (through a group) are denied, other tcp accepted, udp not."""
    ruleset = fortios.parse(_corpus("policy"), source="policy")
    decide = lambda proto, port: _decide(  # noqa: E731
        ruleset, "port1", "port4", "10.0.1.2", "10.0.4.2", proto, port
    )
    assert decide("tcp", 1234) == ("drop", "policy 1")
    assert decide("tcp", 1235) == ("drop", "policy 1")
    assert decide("tcp", 80) == ("accept", "policy 2")
    assert decide("udp", 53) == ("drop", "implicit deny")
    # the config's own ALL_TCP (1-65535) overrides the predefined one
    assert _field(_policy_rules(ruleset)[-1], Field.DPORT).ranges == ((1, 65535),)
    # port3 → port1 is outside both policies
    assert _decide(ruleset, "port3", "port1", "10.0.3.2", "10.0.1.2", "tcp", 80)[0] == "drop"


def _service_terms(text, name, source):
    ruleset = fortios.parse(text + _policy(service=f'"{name}"'), source=source)
    return [
        tuple((c.field.value, c.ranges) for c in r.conditions if isinstance(c, RangeMatch))
        for r in _policy_rules(ruleset)
    ]


def test_batfish_custom_services_with_ranges_icmp_ip_and_protocol_changes():
    """service_custom: every service, as the terms of the rules a policy naming it gets."""
    text = _corpus("service_custom")
    long_name = "longest possible firewall service custom service name that is accepted by devic"
    assert _service_terms(text, long_name, "sc") == [()]  # protocol IP, number 0: everything
    assert _service_terms(text, "custom_tcp", "sc") == [
        (("proto", ((6, 6),)), ("dport", ((1, 1),)))
    ]
    assert _service_terms(text, "explicit_tcp", "sc") == [
        (("proto", ((6, 6),)), ("dport", ((1, 2),)), ("sport", ((3, 4),))),
        (("proto", ((6, 6),)), ("dport", ((10, 11),))),
        (("proto", ((6, 6),)), ("dport", ((13, 13),)), ("sport", ((6, 7),))),
        (("proto", ((17, 17),)), ("dport", ((100, 100),))),
        (("proto", ((132, 132),)), ("dport", ((200, 200),))),
        (("proto", ((132, 132),)), ("dport", ((201, 201),)), ("sport", ((300, 300),))),
    ]
    assert _service_terms(text, "src_port_defaults", "sc") == [
        (("proto", ((n, n),)), ("dport", ((1, 1),))) for n in (6, 17, 132)
    ]
    assert _service_terms(text, "custom_icmp", "sc") == [
        (("proto", ((1, 1),)), ("icmp_type", ((255, 255),)), ("icmp_code", ((255, 255),)))
    ]
    assert _service_terms(text, "custom_ip", "sc") == [(("proto", ((254, 254),)),)]
    # every protocol-specific value was set before the last protocol change: any IP protocol
    assert _service_terms(text, "change_protocol", "sc") == [()]
    assert _service_terms(text, "unset_icmp_1", "sc") == [
        (("proto", ((1, 1),)), ("icmp_type", ((5, 5),)))
    ]
    assert _service_terms(text, "unset_icmp_2", "sc") == [
        (("proto", ((1, 1),)), ("icmp_type", ((3, 3),)))
    ]
    assert _service_terms(text, "unset_icmp_3", "sc") == [(("proto", ((1, 1),)),)]
    # ICMPv6 never matches an IPv4 packet: the policy is listed as ignored, without rules
    ruleset = fortios.parse(text + _policy(service='"custom_icmp6"'), source="sc")
    assert _policy_rules(ruleset) == ()
    assert "policy whose services match no IPv4 traffic" in {i.reason for i in ruleset.ignored}


def test_batfish_service_groups():
    """service_group: grp2 = custom_tcp3 (set replaced) + grp1 (custom_tcp3)."""
    text = _corpus("service_group")
    tcp3 = [(("proto", ((6, 6),)), ("dport", ((3, 3),)))]
    assert _service_terms(text, "grp2", "sg") == tcp3
    assert _service_terms(text, "grp1", "sg") == tcp3
    long_name = "this is longest possible firewall service group name that is accepted by device"
    assert _service_terms(text, long_name, "sg") == tcp3


def test_batfish_static_routes():
    """static_routes: defaults, host bits cleared, SD-WAN and disabled routes ignored."""
    ruleset = fortios.parse(_corpus("static_routes"), source="static_routes")
    assert [(r.prefix, r.via, r.interface, r.location.ref) for r in ruleset.routes] == [
        ((_ip("1.1.1.0"), 24), _ip("2.2.2.2"), "port1", "static route 0"),
        ((0, 0), None, "port1", "static route 1"),
    ]
    assert {i.reason: i.lines for i in ruleset.ignored} == {
        MANAGEMENT: (1,),
        "SD-WAN static route (routes are the model's)": (22,),
        "disabled static route": (28,),
    }


def test_batfish_zones_membership_and_intrazone():
    """zone: set/append/select; intrazone allow admits traffic between different members."""
    ruleset = fortios.parse(_corpus("zone"), source="zone")
    assert [(i.name, i.zone) for i in ruleset.interfaces] == [
        ("port1", "zone1"),
        ("port2", "zone1"),
        ("port3", "zone2"),
        ("port4", "longest possible valid name for zon"),
        ("port5", "longest possible valid name for zon"),
    ]
    rules = _policy_rules(ruleset)
    assert [r.conditions for r in rules] == [
        (InterfaceMatch("in", ("port4",)), InterfaceMatch("out", ("port5",))),
        (InterfaceMatch("in", ("port5",)), InterfaceMatch("out", ("port4",))),
    ]
    assert rules[0].location.ref == "zone longest possible valid name for zon intrazone allow"
    assert _decide(ruleset, "port4", "port5", "1.1.1.1", "2.2.2.2", "udp", 53)[0] == "accept"
    assert _decide(ruleset, "port4", "port4", "1.1.1.1", "2.2.2.2", "udp", 53)[0] == "drop"
    assert _decide(ruleset, "port1", "port2", "1.1.1.1", "2.2.2.2", "udp", 53)[0] == "drop"


# -- the lab with observed traffic -------------------------------------------------------------


def _host(name):
    doc = json.loads((LAB / "hosts" / f"{name}.json").read_text(encoding="utf-8"))
    return doc["hostInterfaces"]["ens3"]["prefix"].partition("/")[0]


def _observed():
    """(src, dst, proto, port, got through) from the lab's transcripts."""
    client = _host("inside")
    out = []
    for path in sorted((LAB / "show" / "inside").glob("client_outside_*.txt")):
        _, _, dst, proto, port = path.stem.split("_")
        echoes = path.read_text(encoding="utf-8").count("[ECHO:")
        out.append((client, dst, proto, int(port), echoes > 0))
    for path in sorted((LAB / "show").glob("*/ping_*.txt")):
        src, dst = path.stem.split("_")[-2:]
        if src != dst:
            received = int(re.search(r"(\d+) received", path.read_text(encoding="utf-8"))[1])
            out.append((src, dst, "icmp", None, received > 0))
    return out


def test_lab_observed_traffic_is_what_explain_predicts():
    """tcp/9100, udp/9200 and ping pass; tcp/9101 and udp/9201 do not — as observed."""
    # given
    observed = _observed()
    model = OURS / "lab-fw-policy-basic.yaml"
    # then the observation itself is what the README says
    assert sorted((p, port, ok) for _, _, p, port, ok in observed if port) == [
        ("tcp", 9100, True),
        ("tcp", 9101, False),
        ("udp", 9200, True),
        ("udp", 9201, False),
    ]
    assert [(s, d, ok) for s, d, p, _, ok in observed if p == "icmp"] == [
        ("192.168.123.1", "192.168.123.6", True),
        ("192.168.123.6", "192.168.123.1", True),
    ]
    for src, dst, proto, port, passed in observed:
        # when
        explanation = explain(model, src=src, dst=dst, proto=proto, port=port, today=TODAY)
        # then
        (path,) = explanation.paths
        expected = "delivered" if passed else "dropped"
        assert path.disposition.split()[0] == expected, (src, dst, proto, port)
        (hop,) = path.hops
        (step,) = hop.steps
        decider = step.rules[0]
        if passed:  # edit 1 (the custom services), edit 3 (ping and ssh)
            assert (decider.line, decider.text) == (
                (9806, "edit 3") if port is None else (9784, "edit 1")
            )
        else:
            assert (decider.line, decider.policy) == (9783, "drop")  # implicit deny


def test_lab_verify_outside_to_inside_gets_only_ssh_and_ping():
    """Policy 3 (any → any, SSH and PING) is the only way in; policy 2 never matches."""
    report = verify(OURS / "lab-fw-policy-basic.yaml", today=TODAY)
    pairs = {(p.source_segment, p.destination_segment): p for p in report.pairs}
    assert pairs[("lab_inside", "lab_outside")].compliant
    assert not pairs[("lab_outside", "lab_inside")].compliant
    classes = sorted((v.flows.protocols, v.flows.ports) for v in report.violations)
    assert classes == [(("icmp",), ()), (("tcp",), ("22",))]
    for violation in report.violations:
        assert [(r.line, r.text) for r in violation.path[0].rules] == [(9806, "edit 3")]
    ruleset = fortios.parse(
        (LAB / "configs" / "fw" / "show.txt").read_text(encoding="utf-8"), source="show.txt"
    )
    assert [(i.name, i.zone) for i in ruleset.interfaces[:3]] == [
        ("port1", "inside"),
        ("port2", "inside"),
        ("port3", "outside"),
    ]
    assert [r.location.ref for r in _policy_rules(ruleset)] == [
        *["policy 1"] * 2,
        *["policy 2"] * 2,
        *["policy 3"] * 2,
        *["zone inside intrazone allow"] * 2,
        "zone outside intrazone allow",
    ]
    assert any("zone outside has one member" in a for a in ruleset.assumptions)


# -- NAT ------------------------------------------------------------------------------------------


def test_vip_port_forward_and_ippool_snat_through_explain():
    """DNAT 203.0.113.10:8443 → 10.20.0.50:443; SNAT to the pool; masquerade without a pool."""
    model = OURS / "nat.yaml"
    inbound = explain(
        model, src="198.51.100.7", dst="203.0.113.10", proto="tcp", port=8443, today=TODAY
    )
    (path,) = inbound.paths
    assert path.disposition == "delivered lgwan-servers"
    assert path.final_packet == "198.51.100.7:49152 → 10.20.0.50:443 tcp"
    assert [(s.stage, s.outcome, s.rules[0].line) for s in path.hops[0].steps] == [
        ("nat PREROUTING", "dnat", 28),
        ("filter FORWARD", "accept", 50),
        ("nat POSTROUTING", "accept", 50),
    ]
    # a port the VIP does not forward is not translated, and nothing lets it through
    other = explain(
        model, src="198.51.100.7", dst="203.0.113.10", proto="tcp", port=443, today=TODAY
    )
    assert other.paths[0].disposition == "dropped fw"
    office = explain(model, src="10.30.0.5", dst="198.51.100.7", proto="tcp", port=80, today=TODAY)
    assert office.paths[0].final_packet == "203.0.113.100:49152 → 198.51.100.7:80 tcp"
    assert office.paths[0].hops[0].steps[-1].outcome == "snat"
    servers = explain(
        model, src="10.20.0.50", dst="198.51.100.7", proto="tcp", port=80, today=TODAY
    )
    assert servers.paths[0].final_packet == "203.0.113.2:49152 → 198.51.100.7:80 tcp"
    assert servers.paths[0].hops[0].steps[-1].outcome == "masquerade"
    https = explain(model, src="10.20.0.50", dst="198.51.100.7", proto="tcp", port=443, today=TODAY)
    assert https.paths[0].disposition == "dropped fw"


def test_vip_violation_is_reported_with_the_original_destination():
    report = verify(OURS / "nat.yaml", today=TODAY)
    natted = [v for v in report.violations if v.destination_zone == "lgwan-servers"]
    assert [v.nat_applied for v in natted] == [True, False]  # the second: straight to 10.20.0.50
    natted = natted[:1]
    assert len(natted) == 1
    assert natted[0].flows.original_destinations == ("203.0.113.10/32",)
    assert natted[0].flows.destinations == ("10.20.0.50/32",)
    assert natted[0].flows.original_ports == ("8443",)
    ruleset = fortios.parse((OURS / "nat.conf").read_text(encoding="utf-8"), source="nat.conf")
    assert ruleset.chain("nat", "PREROUTING").rules[0].action == Nat(
        "dnat", _range("10.20.0.50"), (443, 443)
    )
    post = ruleset.chain("nat", "POSTROUTING").rules
    assert [(r.location.ref, r.action) for r in post] == [
        ("policy 20", Verdict.ACCEPT),
        ("policy 10", Nat("snat", _range("203.0.113.100"))),
        ("policy 30", Nat("masquerade")),
    ]
    assert [s.hook for s in ruleset.stages_at(Hook.PREROUTING)] == [Hook.PREROUTING]
    assert "virtual IP not used by any enabled accept policy" in " ".join(
        i.reason for i in ruleset.ignored
    )
    assert ruleset.assumptions == (
        "nat.conf:55: policy 20 names VIP web-server; traffic sent straight to its mapped "
        "address 10.20.0.50 is taken as matching it too",
    )
    assert ruleset.routes[0].via == _ip("203.0.113.254")


def test_static_nat_range_maps_one_to_one_and_src_filter_restricts():
    text = (
        PORTS
        + """config firewall vip
    edit "block"
        set extip 192.0.2.10-192.0.2.12
        set mappedip "10.0.2.20-10.0.2.22"
        set extintf "port1"
        set src-filter "198.51.100.0/24"
    next
end
"""
        + _policy(srcintf='"port1"', dstintf='"port2"', dstaddr='"block"')
    )
    ruleset = _parse(text)
    dnat = ruleset.chain("nat", "PREROUTING").rules
    assert [(_field(r, Field.DST).ranges, r.action.addresses) for r in dnat] == [
        ((_range("192.0.2.10"),), _range("10.0.2.20")),
        ((_range("192.0.2.11"),), _range("10.0.2.21")),
        ((_range("192.0.2.12"),), _range("10.0.2.22")),
    ]
    assert all(_field(r, Field.SRC).ranges == (_net("198.51.100.0/24"),) for r in dnat)
    step = run_stage(
        ruleset,
        ruleset.stages_at(Hook.PREROUTING)[0],
        _packet("198.51.100.1", "192.0.2.11", "udp", 53),
        "port1",
        None,
    )
    assert step.outcome == Nat("dnat", _range("10.0.2.21"))
    (rule,) = _policy_rules(ruleset)
    assert _field(rule, Field.DST).ranges == (_range("10.0.2.20", "10.0.2.22"),)
    assert _field(rule, Field.SRC).ranges == (_net("198.51.100.0/24"),)


def test_deny_policy_without_match_vip_does_not_hide_vip_traffic():
    text = (
        PORTS
        + """config firewall vip
    edit "web"
        set extip 192.0.2.10
        set mappedip "10.0.2.20"
        set extintf "any"
    next
end
config firewall policy
    edit 1
        set srcintf "any"
        set dstintf "any"
        set srcaddr "all"
        set dstaddr "all"
        set service "ALL"
    next
    edit 2
        set srcintf "port1"
        set dstintf "port2"
        set srcaddr "all"
        set dstaddr "web"
        set action accept
        set service "HTTP"
    next
end
"""
    )
    ruleset = _parse(text)
    deny, accept = _policy_rules(ruleset)
    assert _field(accept, Field.DST).ranges == (_range("10.0.2.20"),)  # the VIP's mapped address
    assert _field(deny, Field.DST).ranges == (
        _range("0.0.0.0", "10.0.2.19"),
        _range("10.0.2.21", "255.255.255.255"),
    )
    assert _decide(ruleset, "port1", "port2", "1.2.3.4", "10.0.2.20", "tcp", 80)[1] == "policy 2"
    assert any("deny policy 1 (match-vip disable)" in a for a in ruleset.assumptions)
    # with match-vip enable the deny matches DNAT traffic too
    ruleset = _parse(
        text.replace(
            '        set service "ALL"\n',
            '        set service "ALL"\n        set match-vip enable\n',
            1,
        )
    )
    assert _decide(ruleset, "port1", "port2", "1.2.3.4", "10.0.2.20", "tcp", 80)[1] == "policy 1"


# -- policies: zones, negation, schedules, order, VDOMs -------------------------------------------


def test_policy_order_is_the_order_of_edit_entries_and_accepts_established_first():
    text = (
        PORTS
        + """config firewall policy
    edit 9
        set srcintf "port1"
        set dstintf "port2"
        set srcaddr "all"
        set dstaddr "all"
        set action deny
        set send-deny-packet enable
        set service "SSH"
    next
    edit 2
        set srcintf "port1"
        set dstintf "port2"
        set srcaddr "all"
        set dstaddr "all"
        set action accept
        set service "SSH" "HTTPS" "PING" "DNS"
    next
end
"""
    )
    ruleset = parse_ruleset(textwrap.dedent(text), format="fortios", source="fw.conf")
    rules = _policy_rules(ruleset)
    assert [(r.location.ref, r.location.line) for r in rules] == [
        ("policy 9", 21),
        *[("policy 2", 30)] * 3,
    ]
    assert rules[0].action is Verdict.REJECT
    assert _decide(ruleset, "port1", "port2", "10.0.1.9", "10.0.2.9", "tcp", 22)[1] == "policy 9"
    assert _decide(ruleset, "port1", "port2", "10.0.1.9", "10.0.2.9", "tcp", 443) == (
        "accept",
        "policy 2",
    )
    assert _decide(ruleset, "port1", "port2", "10.0.1.9", "10.0.2.9", "udp", 53)[0] == "accept"
    assert _decide(ruleset, "port1", "port2", "10.0.1.9", "10.0.2.9", "icmp")[0] == "accept"
    assert _decide(ruleset, "port1", "port2", "10.0.1.9", "10.0.2.9", "icmp", icmp_type=13) == (
        "drop",
        "implicit deny",
    )
    # replies of any connection pass (stateful); the reverse direction opens nothing new
    assert (
        _decide(
            ruleset,
            "port2",
            "port1",
            "10.0.2.9",
            "10.0.1.9",
            "tcp",
            40000,
            sport=22,
            state="established",
        )[1]
        == "stateful: established/related"
    )
    assert _decide(ruleset, "port2", "port1", "10.0.2.9", "10.0.1.9", "tcp", 443)[0] == "drop"


def test_zones_in_policies_and_intrazone_deny_by_default():
    text = (
        PORTS
        + """config system zone
    edit "lan"
        set interface "port1" "port2"
    next
    edit "wan"
        set interface "port3"
    next
end
"""
        + _policy(srcintf='"lan"', dstintf='"wan"', service='"HTTPS"')
    )
    ruleset = _parse(text)
    (rule,) = _policy_rules(ruleset)
    assert rule.conditions[:2] == (
        InterfaceMatch("in", ("port1", "port2")),
        InterfaceMatch("out", ("port3",)),
    )
    assert [(i.name, i.zone) for i in ruleset.interfaces] == [
        ("port1", "lan"),
        ("port2", "lan"),
        ("port3", "wan"),
        ("port4", ""),
    ]
    assert _decide(ruleset, "port2", "port3", "10.0.2.2", "8.8.8.8", "tcp", 443)[0] == "accept"
    assert _decide(ruleset, "port1", "port2", "10.0.1.2", "10.0.2.2", "tcp", 443)[0] == "drop"
    assert _decide(ruleset, "port4", "port3", "10.0.4.2", "8.8.8.8", "tcp", 443)[0] == "drop"


def test_negated_sources_destinations_and_services():
    text = (
        PORTS
        + """config firewall address
    edit "lan"
        set subnet 10.0.1.0 255.255.255.0
    next
    edit "dmz"
        set subnet 10.0.2.0/24
    next
end
"""
        + _policy(
            srcaddr='"lan"',
            dstaddr='"dmz"',
            srcaddr_negate="enable",
            dstaddr_negate="enable",
            service='"HTTP" "PING"',
            service_negate="enable",
        )
    )
    ruleset = _parse(text)
    (jump,) = _policy_rules(ruleset)
    assert jump.action == Jump("policy-1")
    assert _field(jump, Field.SRC) == RangeMatch(Field.SRC, (_net("10.0.1.0/24"),), True)
    chain = ruleset.chain("filter", "policy-1")
    assert [r.action for r in chain.rules] == [Verdict.RETURN, Verdict.RETURN, Verdict.ACCEPT]
    assert _decide(ruleset, "port3", "port4", "10.0.3.1", "10.0.4.1", "tcp", 22)[0] == "accept"
    assert _decide(ruleset, "port3", "port4", "10.0.3.1", "10.0.4.1", "tcp", 80)[0] == "drop"
    assert _decide(ruleset, "port3", "port4", "10.0.3.1", "10.0.4.1", "icmp")[0] == "drop"
    assert _decide(ruleset, "port3", "port4", "10.0.1.1", "10.0.4.1", "tcp", 22)[0] == "drop"
    assert _decide(ruleset, "port3", "port4", "10.0.3.1", "10.0.2.1", "tcp", 22)[0] == "drop"


def test_disabled_policies_schedules_and_user_groups():
    text = (
        PORTS
        + """config firewall policy
    edit 1
        set srcintf "any"
        set dstintf "any"
        set srcaddr "all"
        set dstaddr "all"
        set action accept
        set service "ALL"
        set status disable
    next
    edit 2
        set srcintf "port1"
        set dstintf "port2"
        set srcaddr "all"
        set dstaddr "all"
        set schedule "office-hours"
        set service "ALL"
    next
    edit 3
        set srcintf "port1"
        set dstintf "port2"
        set srcaddr "all"
        set dstaddr "all"
        set action accept
        set schedule "office-hours"
        set groups "staff"
        set service "HTTPS"
    next
end
"""
    )
    ruleset = _parse(text)
    assert [r.location.ref for r in _policy_rules(ruleset)] == ["policy 3"]
    assert {i.reason: i.lines for i in ruleset.ignored} == {
        "disabled policy (status disable)": (21,)
    }
    assert ruleset.assumptions == (
        "fw.conf:35: deny policy 2 has schedule 'office-hours'; it is taken as never in force, "
        "so what it denies is judged by the policies after it",
        "fw.conf:45: policy 3 is limited to groups staff; it is taken as matching traffic of "
        "every user",
        "fw.conf:44: policy 3 has schedule 'office-hours'; it is taken as always in force",
    )
    assert _decide(ruleset, "port1", "port2", "10.0.1.2", "10.0.2.2", "tcp", 443)[0] == "accept"


def test_predefined_services_without_definitions():
    ruleset = _parse(PORTS + _policy(service='"HTTP" "DNS" "RLOGIN" "GRE" "ALL_ICMP"'))
    terms = [tuple((c.field.value, c.ranges) for c in r.conditions) for r in _policy_rules(ruleset)]
    assert terms == [
        (("proto", ((1, 1), (47, 47))),),  # GRE and every ICMP type: protocols only
        (("proto", ((6, 6),)), ("dport", ((53, 53), (80, 80)))),
        (("proto", ((17, 17),)), ("dport", ((53, 53),))),
        (("proto", ((6, 6),)), ("dport", ((513, 513),)), ("sport", ((512, 1023),))),
    ]
    assert set(fortios.PREDEFINED_SERVICES) >= {"ALL", "HTTP", "HTTPS", "SSH", "PING", "DNS"}


def test_service_restricted_to_an_ip_range_and_ip_protocol_numbers():
    text = (
        PORTS
        + """config firewall service custom
    edit "to-dns"
        set iprange 10.0.2.53-10.0.2.54
        set udp-portrange 53
    next
    edit "vrrp"
        set protocol IP
        set protocol-number 112
    next
end
"""
        + _policy(service='"to-dns" "vrrp"')
    )
    rules = _policy_rules(_parse(text))
    assert [_field(r, Field.DST) for r in rules] == [
        None,
        RangeMatch(Field.DST, (_range("10.0.2.53", "10.0.2.54"),)),
    ]
    assert _field(rules[0], Field.PROTO).ranges == ((112, 112),)


def test_fortios_7_4_service_protocol_name_and_udp_lite_ranges():
    text = (
        "config firewall service custom\n    edit s\n"
        "        set protocol TCP/UDP/UDP-Lite/SCTP\n        set udplite-portrange 5000-5001\n"
        "    next\nend\n" + _policy(service="s")
    )
    (rule,) = _policy_rules(_parse(text))
    assert rule.conditions == (
        RangeMatch(Field.PROTO, ((136, 136),)),
        RangeMatch(Field.DPORT, ((5000, 5001),)),
    )


def test_one_vdom_with_policies_is_read_and_any_means_its_interfaces():
    text = """
    config vdom
    edit root
    next
    edit dmz
    next
    end
    config global
    config system interface
        edit "port1"
            set vdom "root"
            set ip 10.0.1.1 255.255.255.0
        next
        edit "port2"
            set vdom "dmz"
            set ip 10.0.2.1 255.255.255.0
        next
        edit "port3"
            set vdom "dmz"
            set ip 10.0.3.1 255.255.255.0
        next
    end
    end
    config vdom
    edit root
    config router static
        edit 1
            set gateway 10.0.1.254
            set device "port1"
        next
    end
    next
    edit dmz
    config firewall policy
        edit 1
            set srcintf "any"
            set dstintf "any"
            set srcaddr "all"
            set dstaddr "all"
            set action accept
            set service "ALL"
        next
    end
    next
    end
    """
    ruleset = _parse(text)
    assert [i.name for i in ruleset.interfaces] == ["port2", "port3"]
    (rule,) = _policy_rules(ruleset)
    assert rule.conditions == (
        InterfaceMatch("in", ("port2", "port3")),
        InterfaceMatch("out", ("port2", "port3")),
    )
    assert ruleset.routes == ()  # the static route belongs to root
    assert {i.reason: i.lines for i in ruleset.ignored} == {
        "VDOM without firewall policies (denies all)": (3,)
    }
    both = text.replace("    config router static", "    " + _policy().replace("\n", "\n    "))
    both = both.replace(
        """        edit 1
            set gateway 10.0.1.254
            set device "port1"
        next
    end
""",
        "",
    )
    with pytest.raises(UnsupportedSyntax) as caught:
        _parse(both)
    assert caught.value.line == 2
    assert "several VDOMs (root, dmz)" in caught.value.message


def test_quoted_values_escapes_and_multiline_strings():
    text = """config system interface
    edit "lan \\"one\\""
        set ip 10.0.1.1/24
        set description "first line
second line with \\\\ and 'quotes'"
    next
    edit 'wan two'
        set ip 10.0.2.1 255.255.255.0
    next
end
""" + _policy(srcintf='"lan \\"one\\""', dstintf="'wan two'", service="HTTPS")
    ruleset = fortios.parse(text, source="q.conf")
    assert [i.name for i in ruleset.interfaces] == ['lan "one"', "wan two"]
    (rule,) = _policy_rules(ruleset)
    assert rule.conditions[:2] == (
        InterfaceMatch("in", ('lan "one"',)),
        InterfaceMatch("out", ("wan two",)),
    )
    assert rule.location.line == 12


def test_sections_that_cannot_permit_are_listed_as_ignored():
    text = (
        PORTS
        + """config firewall policy6
    edit 1
        set srcintf "port1"
    next
end
config firewall local-in-policy
    edit 1
        set intf "port1"
    next
end
config firewall DoS-policy
    edit 1
        set interface "port1"
    next
end
config system replacemsg mail "partial"
end
"""
    )
    ruleset = _parse(text)
    assert {i.reason: i.lines for i in ruleset.ignored} == {
        "IPv6 policy (IPv4 is verified)": (21,),
        "local-in policy (traffic to the device itself)": (26,),
        "DoS policy (it can only drop traffic)": (31,),
    }


def _line_of(text, fragment, start=1):
    """The number of the first line at or after start that contains fragment."""
    lines = text.splitlines()
    return next(n for n in range(start, len(lines) + 1) if fragment in lines[n - 1])


CONSOLIDATED = """config firewall consolidated policy
    edit 1
        set srcintf port1
        set dstintf port2
        set srcaddr4 all
        set dstaddr4 all
        set action accept
        set service ALL
    next
end
"""


@pytest.mark.parametrize(
    ("section", "fragment", "edit_line"),
    [
        (CONSOLIDATED, "a consolidated policy", True),
        (
            "config firewall explicit-proxy-policy\n    edit 1\n        set proxy explicit-web\n"
            "        set dstintf port2\n        set action accept\n    next\nend\n",
            "an explicit proxy policy",
            True,
        ),
        (
            "config system virtual-switch\n    edit 1\n        set action accept\n    next\nend\n",
            "a hardware switch",
            True,
        ),
        (
            "config router policy\n    edit 1\n        set input-device port1\n"
            "        set output-device port2\n    next\nend\n",
            "a policy route",
            True,
        ),
        # sections the verifier does not know at all: refused at their 'config' line
        (
            "config firewall future-policy\n    edit 1\n        set action accept\n    next\nend\n",
            "section 'firewall future-policy', which the verifier does not know,",
            False,
        ),
        (
            "config system bridge-everything\n    set status enable\nend\n",
            "section 'system bridge-everything', which the verifier does not know,",
            False,
        ),
        (
            "config router forwarding-magic\n    edit 1\n    next\nend\n",
            "section 'router forwarding-magic', which the verifier does not know,",
            False,
        ),
        (
            "config frobnicator settings\n    set forward all\nend\n",
            "section 'frobnicator settings', which the verifier does not know,",
            False,
        ),
    ],
)
def test_sections_neither_modelled_nor_known_harmless_are_refused(section, fragment, edit_line):
    """Finding 6: only sections known not to change forwarding may be skipped."""
    text = PORTS + section + _policy(action="deny")
    first = 20  # after the interfaces
    with pytest.raises(UnsupportedSyntax) as caught:
        _parse(text)
    assert fragment in caught.value.message
    assert caught.value.line == (first + 1 if edit_line else first)
    assert "check this device by hand" in caught.value.hint


def test_consolidated_policy_reproducer_is_not_silently_dropped():
    """Finding 6: port1 → port2 allowed by a consolidated policy must not read as denied."""
    text = PORTS + CONSOLIDATED
    with pytest.raises(UnsupportedSyntax) as caught:
        _parse(text)
    assert caught.value.line == 21  # 'edit 1' of the consolidated policy
    assert caught.value.text == "edit 1"
    settings_text = (
        PORTS + "config system settings\n    set consolidated-firewall-mode enable\nend\n"
    )
    with pytest.raises(UnsupportedSyntax) as caught:
        _parse(settings_text)
    assert caught.value.line == 21
    assert "consolidated firewall mode" in caught.value.message
    # disabled entries cannot forward: listed, not refused
    disabled = text.replace("        set action accept\n", "        set status disable\n")
    assert {i.reason: i.lines for i in _parse(disabled).ignored} == {
        "disabled consolidated policy (FortiOS 6.2 consolidated mode)": (21,)
    }


def test_known_harmless_sections_are_listed_as_ignored_with_their_lines():
    text = (
        PORTS
        + """config system global
    set hostname "fw"
end
config log syslogd setting
    set status enable
end
config antivirus profile
    edit "default"
    next
end
config router bgp
    set as 65001
end
config router static6
    edit 1
    next
end
config user local
    edit "alice"
    next
end
config system replacemsg mail "partial"
end
"""
        + _policy()
    )
    ruleset = _parse(text)
    assert {i.reason: i.lines for i in ruleset.ignored} == {
        MANAGEMENT: (20,),
        "logging, reporting and replacement messages (they cannot change forwarding)": (23,),
        "security profile or inspection setting (it cannot permit traffic)": (26,),
        "dynamic routing and route filters (the routes followed are the model's)": (30,),
        "IPv6 routing (IPv4 is verified)": (33,),
        "users, authentication and certificates (policies naming users are stated readings)": (37,),
    }  # the empty replacemsg block holds nothing: not listed
    (rule,) = _policy_rules(ruleset)
    assert rule.action is Verdict.ACCEPT


def _sections(text):
    """Paths of every section of a configuration, in the root, 'config global' and each VDOM."""
    root = fortios._tree(text, "x")
    scopes = [root, *root.configs["vdom"].entries.values()] if "vdom" in root.configs else [root]
    if "global" in root.configs:
        scopes.append(root.configs["global"])
    return {path for scope in scopes for path in scope.configs if path not in ("vdom", "global")}


def test_every_section_of_the_corpora_is_classified_deliberately():
    """Finding 6: the Batfish grammar files and the 280 KB lab show.txt hold no section the
    parser would refuse as unknown; each is read, listed as ignored, or refused on purpose."""
    files = [*sorted(FORTIOS.iterdir()), LAB / "configs" / "fw" / "show.txt", OURS / "nat.conf"]
    paths: set[str] = set()
    for path in files:
        paths |= _sections(path.read_text(encoding="utf-8"))
    assert len(paths) > 150
    unknown = sorted(p for p in paths if fortios._section_kind(p)[0] == "unknown")
    assert unknown == []
    for path in files:
        fortios.parse(path.read_text(encoding="utf-8"), source=path.name)
    lab = fortios.parse((LAB / "configs" / "fw" / "show.txt").read_text(), source="show.txt")
    reasons = {i.reason for i in lab.ignored}
    assert MANAGEMENT in reasons
    assert "security profile or inspection setting (it cannot permit traffic)" in reasons


TWO_PORTS = """config system interface
    edit "port1"
        set vdom "root"
        set ip 10.0.1.1 255.255.255.0
    next
    edit "port2"
        set vdom "root"
        set ip 10.0.2.1 255.255.255.0
    next
end
"""


def test_sections_outside_config_vdom_belong_to_the_only_vdom():
    """Finding 7: with 'config vdom' declaring one VDOM, top-level sections are read."""
    text = (
        "config vdom\nedit root\nnext\nend\n"
        + TWO_PORTS
        + _policy(srcintf='"port1"', dstintf='"port2"')
    )
    ruleset = fortios.parse(text, source="fw.conf")
    assert [i.name for i in ruleset.interfaces] == ["port1", "port2"]
    assert _decide(ruleset, "port1", "port2", "10.0.1.5", "10.0.2.5", dport=80) == (
        "accept",
        "policy 1",
    )
    assert ruleset.assumptions == (
        "fw.conf:5: sections outside 'config global' and 'config vdom' are read as those of the "
        "only VDOM, root",
    )
    # the same sections also inside the VDOM: which one holds is unclear
    twice = text + "config vdom\nedit root\n" + _policy(ident="2") + "next\nend\n"
    with pytest.raises(ParseError) as caught:
        fortios.parse(twice, source="fw.conf")
    assert not isinstance(caught.value, UnsupportedSyntax)
    assert caught.value.line == _line_of(twice, "config firewall policy")
    assert "given both outside 'config vdom' and in VDOM root" in caught.value.message
    # a stray unknown section is refused like any other
    with pytest.raises(UnsupportedSyntax) as caught:
        fortios.parse(text + CONSOLIDATED, source="fw.conf")
    assert caught.value.line == _line_of(text + CONSOLIDATED, "edit 1", 25)


def test_sections_outside_config_vdom_with_several_vdoms_are_a_parse_error():
    """Finding 7: with several VDOMs a top-level section belongs to none: ParseError."""
    text = "config vdom\nedit root\nnext\nedit dmz\nnext\nend\n" + TWO_PORTS + _policy()
    with pytest.raises(ParseError) as caught:
        fortios.parse(text, source="fw.conf")
    assert not isinstance(caught.value, UnsupportedSyntax)
    assert caught.value.line == 7
    assert caught.value.text == "config system interface"
    assert "outside 'config global' and 'config vdom'" in caught.value.message
    assert "several VDOMs (root, dmz)" in caught.value.message


def test_a_vdom_whose_only_permitting_section_is_not_modelled_is_not_taken_as_denying():
    """Finding 6 with VDOMs: a consolidated policy makes its VDOM one that can permit."""
    vdom = "config vdom\nedit root\nnext\nedit dmz\nnext\nend\n"
    inner = CONSOLIDATED.replace("\n", "\n    ")
    alone = vdom + "config vdom\nedit dmz\n    " + inner + "\nnext\nend\n"
    with pytest.raises(UnsupportedSyntax) as caught:
        fortios.parse(alone, source="fw.conf")
    assert "consolidated policy" in caught.value.message
    assert caught.value.line == _line_of(alone, "edit 1")
    both = alone.replace("edit root\nnext\nend\n", "edit root\nnext\nend\n", 1) + (
        "config vdom\nedit root\n" + _policy() + "next\nend\n"
    )
    with pytest.raises(UnsupportedSyntax) as caught:
        fortios.parse(both, source="fw.conf")
    assert "several VDOMs (root, dmz)" in caught.value.message


def _chain(kind, depth, leaf):
    block = f"config firewall {kind}\n"
    for i in range(depth):
        block += f'    edit "g{i}"\n        set member "g{i + 1}"\n    next\n'
    return block + f'    edit "g{depth}"\n        set member "{leaf}"\n    next\nend\n'


@pytest.mark.parametrize("depth", [3000, 5000])
def test_deeply_nested_groups_give_a_parse_error_not_a_recursion_error(depth):
    """Finding 12: address and service group chains thousands deep: ParseError with a line."""
    for kind, setting, leaf, what in (
        ("addrgrp", "srcaddr", "all", "address group"),
        ("service group", "service", "ALL", "service group"),
    ):
        text = PORTS + _chain(kind, depth, leaf) + _policy(**{setting: '"g0"'})
        with pytest.raises(ParseError) as caught:
            _parse(text)
        assert not isinstance(caught.value, UnsupportedSyntax)
        assert f"{what} g256 is nested more than 256 levels deep" in caught.value.message
        # the member line of the group that names it (g255's 'set member')
        assert caught.value.line == _line_of(text, 'set member "g256"')
        assert caught.value.hint


def test_groups_nested_within_the_limit_and_shared_members_are_read():
    for kind, setting, leaf in (
        ("addrgrp", "srcaddr", "all"),
        ("service group", "service", "HTTP"),
    ):
        (rule,) = _policy_rules(
            _parse(PORTS + _chain(kind, 200, leaf) + _policy(**{setting: "g0"}))
        )
        assert rule.action is Verdict.ACCEPT
    # a diamond 40 deep: each group names the next two (every group is resolved once)
    block = "config firewall addrgrp\n"
    for i in range(40):
        for name in ("d", "e"):
            block += f'    edit "{name}{i}"\n        set member "d{i + 1}" "e{i + 1}"\n    next\n'
    block += 'edit "d40"\nset member "a"\nnext\nedit "e40"\nset member "b"\nnext\nend\n'
    addresses = (
        "config firewall address\n    edit a\n        set subnet 10.9.0.1/32\n    next\n"
        "    edit b\n        set subnet 10.9.0.2/32\n    next\nend\n"
    )
    (rule,) = _policy_rules(_parse(PORTS + addresses + block + _policy(srcaddr="d0")))
    assert _field(rule, Field.SRC).ranges == (_range("10.9.0.1", "10.9.0.2"),)


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (PORTS + _policy(service='"NO-SUCH"'), 27, "service NO-SUCH is not defined"),
        (PORTS + _policy(dstaddr='"nowhere"'), 25, "address nowhere is not defined"),
        (PORTS + _policy(srcintf='"port9"'), 22, "interface 'port9' is not defined"),
        (PORTS + _policy(srcaddr=None), 21, "policy 1 has no srcaddr"),
        ("config firewall policy\n    edit 1\n        set action accept\n", 2, "never closed"),
        ("config firewall policy\nnext\n", 2, "'next' without 'edit'"),
        ("end\n", 1, "'end' without 'config'"),
        ("", 1, "no 'config' block"),
        ("# only a comment\n", 1, "no 'config' block"),
        ("edit 1\n", 1, "'edit' outside a config block"),
        ("set hostname x\n", 1, "outside a config block"),
        ("config system global\n    frobnicate\nend\n", 2, "unknown command 'frobnicate'"),
        ('config system global\n    set alias "open\n', 2, "quoted value is never closed"),
        (
            "config system interface\n    edit port1\n        set ip 10.0.0.1 255.0.255.0\n"
            "    next\nend\n",
            3,
            "not an IPv4 address with a mask",
        ),
        (
            "config firewall service custom\n    edit x\n        set tcp-portrange 70000\n"
            "    next\nend\n" + _policy(service="x"),
            3,
            "'70000' is not a port",
        ),
        (
            "config firewall service custom\n    edit x\n        set protocol ICMP\n"
            "        set icmptype 300\n    next\nend\n" + _policy(service="x"),
            4,
            "'300' is not a valid ICMP type",
        ),
        (
            "config firewall address\n    edit a\n        set type iprange\n"
            "        set start-ip 10.0.0.9\n        set end-ip 10.0.0.1\n    next\nend\n"
            + _policy(srcaddr="a"),
            5,
            "end-ip is below start-ip",
        ),
        (
            "config firewall addrgrp\n    edit g1\n        set member g2\n    next\n"
            "    edit g2\n        set member g1\n    next\nend\n" + _policy(srcaddr="g1"),
            6,  # g2's member that leads back
            "address group g1 contains itself (g1 → g2 → g1)",
        ),
        (
            "config firewall service group\n    edit s1\n        set member s1\n    next\nend\n"
            + _policy(service="s1"),
            3,
            "service group s1 contains itself",
        ),
        (
            "config firewall policy\n    edit 1\n        set srcintf any\n        set dstintf any\n"
            "        set srcaddr all\n        set dstaddr all\n        set service ALL\n"
            "        set action accept\n        set nat enable\n        set ippool enable\n"
            "        set poolname nopool\n    next\nend\n",
            11,
            "IP pool nopool is not defined",
        ),
    ],
)
def test_malformed_input_gives_parse_error_with_line(text, line, fragment):
    with pytest.raises(ParseError) as caught:
        fortios.parse(text, source="bad.conf")
    assert not isinstance(caught.value, UnsupportedSyntax)
    assert caught.value.line == line
    assert fragment in caught.value.message
    assert caught.value.source == "bad.conf"
    assert caught.value.hint


def test_unknown_service_hint_lists_the_predefined_names():
    with pytest.raises(ParseError) as caught:
        _parse(PORTS + _policy(service='"HTTP-ALT"'))
    assert "HTTPS" in caught.value.hint and "config firewall service custom" in caught.value.hint
    assert caught.value.render("ja").startswith("fw.conf:27: サービス HTTP-ALT が定義されていない")


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (
            "config firewall address\n    edit x\n        set type fqdn\n"
            '        set fqdn "example.com"\n    next\nend\n' + _policy(dstaddr="x"),
            3,
            "address x of type fqdn used by a policy",
        ),
        (PORTS + _policy(action="ipsec"), 26, "policy 1 with action ipsec"),
        (PORTS + _policy(internet_service="enable"), 28, "Internet Service Database"),
        (
            PORTS + "config firewall multicast-policy\n    edit 1\n        set srcintf port1\n"
            "    next\nend\n",
            21,
            "multicast policy",
        ),
        ("config system settings\n    set central-nat enable\nend\n", 2, "central NAT"),
        ("config system settings\n    set opmode transparent\nend\n", 2, "transparent mode"),
        (
            "config firewall vip\n    edit v\n        set extip 192.0.2.1\n"
            '        set mappedip "10.0.0.1"\n    next\nend\n'
            + _policy(action="deny", dstaddr="v"),
            12,
            "deny policy 1 naming a virtual IP",
        ),
        (
            "config firewall vip\n    edit v\n        set type load-balance\n"
            "        set extip 192.0.2.1\n    next\nend\n" + _policy(dstaddr="v"),
            3,
            "VIP v of type load-balance",
        ),
        (
            "config firewall service custom\n    edit web\n        set proxy enable\n"
            "        set protocol ALL\n    next\nend\n" + _policy(service="web"),
            4,
            "service web of protocol ALL",
        ),
        (
            "config firewall address\n    edit a\n    next\nend\nconfig firewall addrgrp\n"
            "    edit g\n        set category ztna-ems-tag\n        set member a\n    next\nend\n"
            + _policy(srcaddr="g"),
            7,
            "address group g of category ztna-ems-tag",
        ),
        (
            "config firewall service custom\n    edit s\n        set app-service-type app-id\n"
            "        set tcp-portrange 80\n    next\nend\n" + _policy(service="s"),
            3,
            "service s matching applications",
        ),
        (
            _policy(action="deny", groups='"staff"'),
            9,
            "deny policy 1 limited to groups",
        ),
        (
            "config firewall ippool\n    edit a\n        set startip 192.0.2.1\n"
            "        set endip 192.0.2.1\n    next\n    edit b\n        set startip 192.0.2.9\n"
            "        set endip 192.0.2.9\n    next\nend\n"
            + _policy(nat="enable", ippool="enable", poolname='"a" "b"'),
            21,
            "several disjoint IP pools",
        ),
    ],
)
def test_unmodelled_features_that_could_permit_raise_unsupported(text, line, fragment):
    with pytest.raises(UnsupportedSyntax) as caught:
        fortios.parse(text, source="u.conf")
    assert caught.value.line == line
    assert fragment in caught.value.message
    assert "check this device by hand" in caught.value.hint


# -- fuzz ---------------------------------------------------------------------------------------

WORDS = [
    "config",
    "edit",
    "next",
    "end",
    "set",
    "unset",
    "append",
    "firewall",
    "policy",
    "address",
    "addrgrp",
    "vip",
    "ippool",
    "service",
    "custom",
    "group",
    "system",
    "interface",
    "zone",
    "router",
    "static",
    "vdom",
    "global",
    "srcintf",
    "dstintf",
    "srcaddr",
    "dstaddr",
    "action",
    "accept",
    "deny",
    "nat",
    "enable",
    "disable",
    "member",
    "subnet",
    "ip",
    "10.0.0.1",
    "255.255.255.0",
    "10.0.0.0/8",
    "300.1.1.1",
    "tcp-portrange",
    "80",
    "1-65535",
    "22:1024",
    "all",
    "any",
    "ALL",
    "HTTP",
    "port1",
    '"port1"',
    '"x',
    "\\",
    "1",
    "#",
]


def _check(error, text):
    assert error.line >= 1
    assert error.hint
    assert isinstance(str(error), str) and error.render("ja")
    lines = text.splitlines()
    assert error.line <= max(len(lines), 1)
    assert error.text == (lines[error.line - 1].strip() if lines else "")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS), max_size=7).map(" ".join), max_size=14))
def test_random_fortios_lines_parse_or_raise_parse_error(lines):
    text = "\n".join(lines)
    try:
        fortios.parse(text, source="fuzz")
    except ParseError as error:
        _check(error, text)


SEEDS = [FORTIOS / name for name in sorted(p.name for p in FORTIOS.iterdir())] + [OURS / "nat.conf"]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SEEDS), st.data())
def test_mutated_fortios_configs_parse_or_raise_parse_error(seed, data):
    lines = seed.read_text(encoding="utf-8").splitlines()
    index = data.draw(st.integers(0, len(lines) - 1))
    action = data.draw(st.sampled_from(["drop", "duplicate", "truncate", "replace"]))
    if action == "drop":
        del lines[index]
    elif action == "duplicate":
        lines.insert(index, lines[index])
    elif action == "truncate":
        lines[index] = lines[index][: data.draw(st.integers(0, len(lines[index])))]
    else:
        words = lines[index].split()
        if words:
            position = data.draw(st.integers(0, len(words) - 1))
            words[position] = data.draw(st.sampled_from(WORDS))
        lines[index] = " ".join(words)
    text = "\n".join(lines)
    try:
        ruleset = fortios.parse(text, source=seed.name)
    except ParseError as error:
        _check(error, text)
    else:
        assert isinstance(_forward(ruleset), Chain)
        assert all(isinstance(r, Rule) for c in ruleset.chains.values() for r in c.rules)


def test_full_address_space_is_no_condition():
    """'all' gives no address condition; a zero-length range would be a different thing."""
    (rule,) = _policy_rules(_parse(PORTS + _policy(srcaddr='"all"', dstaddr='"none"')))
    assert _field(rule, Field.SRC) is None
    assert _field(rule, Field.DST) == RangeMatch(Field.DST, ())
    assert (
        _decide(_parse(PORTS + _policy(dstaddr='"none"')), "a", "b", "1.1.1.1", "0.0.0.1")[0]
        == "drop"
    )
