"""Shadowed, redundant and unmatchable rules: known answers on Aerleon's goldens."""

from __future__ import annotations

from isms.segments import verify

from .conftest import DATA


def test_multitarget_duplicates_and_overlapping_terms_are_shadowed(today):
    """sample_multitarget.ipt repeats six destinations in O_deny-to-bad-destinations, and three
    sources of I_deny-from-reserved were already dropped by I_deny-from-bogons."""
    report = verify(DATA / "aerleon-multitarget.yaml", today=today)
    shadowed = [
        (f.rule.line, [b.line for b in f.by]) for f in report.rule_findings if f.kind == "shadowed"
    ]
    assert shadowed == [
        (25, []),
        (32, []),
        (33, []),
        (75, [74]),
        (77, [76]),
        (82, [81]),
        (86, [85]),
        (91, [90]),
        (93, [92]),
    ]
    reserved = next(f for f in report.rule_findings if f.rule.line == 25)
    assert reserved.rule.text == "-A I_deny-from-reserved -p all -s 0.0.0.0/8 -j DROP"
    assert reserved.reason == "the chain is entered only for packets it does not match"
    redundant = [f.rule.line for f in report.rule_findings if f.kind == "redundant"]
    assert redundant == [74, 76, 81, 85, 90, 92]


def test_nftables_golden_jumps_after_a_catch_all_are_shadowed(today):
    """root3 jumps to default-deny (drop all) first; root6's test-icmp-type-ip6 accepts every new
    packet; so every later jump is shadowed and the chains they lead to are never entered."""
    report = verify(DATA / "aerleon-nftables.yaml", today=today)
    shadowed = [f.rule.text for f in report.rule_findings if f.kind == "shadowed"]
    assert shadowed == [
        "jump full-tuple-term",
        "jump ssh-deny",
        "jump source-address-term",
        "ct state new accept",
        "jump test-protocol-udp",
        "jump test-protocol-tcp",
        "jump test-port-snmp",
        "jump test-src-rdp",
        "jump test-combined-port",
        "jump high-ports",
    ]
    never = [f.rule.chain for f in report.rule_findings if f.kind == "unused_chain"]
    assert never == [
        "inet filtering_policies full-tuple-term",
        "inet filtering_policies ssh-deny",
        "inet filtering_policies source-address-term",
        "ip filtering_policies test-protocol-udp",
        "ip filtering_policies test-protocol-tcp",
        "ip filtering_policies test-port-snmp",
        "ip filtering_policies test-src-rdp",
        "ip filtering_policies test-combined-port",
        "ip filtering_policies high-ports",
    ]
    jump = next(f for f in report.rule_findings if f.rule.text == "jump full-tuple-term")
    assert [b.text for b in jump.by] == ["jump default-deny"]
