"""iptables-save parser: corpus files give their known structure; bad input gives typed errors."""

from __future__ import annotations

import json

import pytest

from isms.segments import ParseError, UnsupportedSyntax
from isms.segments.addresses import parse_address
from isms.segments.parsers import iptables, parse_ruleset
from isms.segments.rules import (
    AnyOf,
    Field,
    FlagsMatch,
    Hook,
    InterfaceMatch,
    Jump,
    Nat,
    RangeMatch,
    StageKind,
    StateMatch,
    Verdict,
)

from .conftest import AERLEON, BATFISH


def _read(path):
    return path.read_text(encoding="utf-8")


def test_every_iptables_file_batfish_parses_also_parses_here():
    """The Batfish init golden says all three iptables files PASSED; so do we."""
    # given
    golden = json.loads(_read(BATFISH / "goldens" / "example-iptables-init.ref"))
    answer = golden["answerElements"][0]
    files = [f for f, kind in answer["fileFormats"].items() if kind == "IPTABLES"]
    # when
    parsed = {
        f: iptables.parse(_read(BATFISH / "networks" / "iptables-firewall" / f), source=f)
        for f in files
    }
    # then
    assert sorted(files) == [
        "iptables/z1-firewall.v4",
        "iptables/z2-firewall.v4",
        "iptables/z2-host2.v4",
    ]
    assert all(answer["parseStatus"][f] == "PASSED" for f in files)
    assert {f: r.rule_count() for f, r in parsed.items()} == {
        "iptables/z1-firewall.v4": 3,
        "iptables/z2-firewall.v4": 8,
        "iptables/z2-host2.v4": 1,
    }


def test_mangle_prerouting_with_policy_drop_is_a_forwarding_filter():
    """z1-firewall filters in mangle PREROUTING (policy DROP), which runs before routing."""
    ruleset = iptables.parse(
        _read(BATFISH / "networks/iptables-firewall/iptables/z1-firewall.v4"),
        source="z1-firewall.v4",
    )
    chain = ruleset.chain("mangle", "PREROUTING")
    assert chain.policy is Verdict.DROP
    assert [r.location.line for r in chain.rules] == [7, 9, 10]
    assert chain.rules[1].conditions == (
        RangeMatch(Field.SRC, ((parse_address("10.0.4.0"), parse_address("10.0.4.255")),)),
        InterfaceMatch("in", ("eth0",)),
    )
    assert chain.rules[0].conditions[0] == RangeMatch(Field.PROTO, ((89, 89),))
    prerouting = ruleset.stages_at(Hook.PREROUTING)
    assert [(s.table, s.chain, s.priority, s.kind) for s in prerouting] == [
        ("mangle", "PREROUTING", -150, StageKind.FILTER)
    ]


def test_a_rule_may_use_a_builtin_chain_that_was_not_declared():
    """z2-firewall appends to mangle POSTROUTING without declaring it, which Batfish accepts."""
    ruleset = iptables.parse(
        _read(BATFISH / "networks/iptables-firewall/iptables/z2-firewall.v4"),
        source="z2-firewall.v4",
    )
    postrouting = ruleset.chain("mangle", "POSTROUTING")
    assert postrouting.policy is Verdict.ACCEPT
    assert [(r.location.line, r.action) for r in postrouting.rules] == [(9, Verdict.ACCEPT)]


def test_counters_of_real_iptables_save_output_are_listed_as_ignored():
    """host1.iptables (iptables-save 1.4.7) has counters: listed as ignored, not dropped."""
    ruleset = iptables.parse(
        _read(BATFISH / "networks/example/live/iptables/host1.iptables"), source="host1.iptables"
    )
    assert [(i.reason, i.lines) for i in ruleset.ignored] == [
        ("packet and byte counters", (3, 4, 6, 7, 12, 14, 21, 22, 23))
    ]
    assert ruleset.chain("filter", "INPUT").policy is Verdict.DROP


def test_aerleon_multitarget_golden_has_its_terms_as_user_chains():
    """Aerleon's speedway output: -N chains, multiport, state; comment-only rules are ignored."""
    ruleset = iptables.parse(
        _read(AERLEON / "generated/sample_multitarget.ipt"), source="multitarget"
    )
    input_chain = ruleset.chain("filter", "INPUT")
    assert input_chain.policy is Verdict.DROP
    assert [r.action for r in input_chain.rules] == [
        Jump("I_deny-from-bogons"),
        Jump("I_deny-from-reserved"),
        Jump("I_deny-to-rfc1918"),
        Jump("I_permit-mail-services"),
        Jump("I_permit-web-services"),
        Jump("I_permit-tcp-established"),
        Jump("I_permit-udp-established"),
        Jump("I_default-deny"),
    ]
    mail = ruleset.chain("filter", "I_permit-mail-services").rules[0]
    assert mail.conditions == (
        RangeMatch(Field.PROTO, ((6, 6),)),
        RangeMatch(Field.DPORT, ((25, 25), (465, 465), (587, 587), (995, 995))),
        RangeMatch(Field.DST, ((parse_address("200.1.1.4"),) * 2,)),
        StateMatch(frozenset({"new", "established", "related"})),
    )
    assert [(i.reason, i.lines) for i in ruleset.ignored] == [
        ("rule without a target (only counts packets)", (12, 13, 14))
    ]
    assert ruleset.rule_count() == 66


def test_speedway_golden_reads_icmp_types_port_ranges_and_reject():
    """sample_speedway.ipt: --icmp-type 8, --sport 33434:33534, REJECT --reject-with."""
    ruleset = iptables.parse(_read(AERLEON / "generated/sample_speedway.ipt"), source="speedway")
    icmp = ruleset.chain("filter", "I_base-allow-icmp-in").rules[0]
    assert RangeMatch(Field.ICMP_TYPE, ((8, 8),)) in icmp.conditions
    trace = ruleset.chain("filter", "I_base-traceroute-in").rules[0]
    assert RangeMatch(Field.SPORT, ((33434, 33534),)) in trace.conditions
    assert RangeMatch(Field.DPORT, ((1024, 65535),)) in trace.conditions
    deny = ruleset.chain("filter", "F_base-forwarding-deny").rules[0]
    assert deny.action is Verdict.REJECT


def test_nat_targets_and_match_variants_are_read():
    """DNAT/SNAT/MASQUERADE/REDIRECT, negation in both styles, --syn, --ports, iprange, goto."""
    text = "\n".join(
        [
            "*nat",
            ":PREROUTING ACCEPT [0:0]",
            ":POSTROUTING ACCEPT [0:0]",
            "-A PREROUTING -d 203.0.113.10 -p tcp --dport 80 "
            "-j DNAT --to-destination 10.0.0.5:8080",
            "-A PREROUTING -p tcp --dport 25 -j REDIRECT --to-ports 2525",
            "-A POSTROUTING -s 10.0.0.0/8 -o eth0 -j SNAT --to-source 203.0.113.1-203.0.113.4",
            "-A POSTROUTING -o eth1 -j MASQUERADE",
            "COMMIT",
            "*filter",
            ":FORWARD DROP [0:0]",
            ":X - [0:0]",
            "-A FORWARD ! -s 10.0.0.0/8 -p tcp --syn -j X",
            "-A FORWARD -s ! 192.168.0.0/16 -p udp -m multiport --ports 53,123 -g X",
            "-A FORWARD -m iprange --src-range 10.0.0.9-10.0.0.1 -j ACCEPT",
            "-A X -i eth+ -j RETURN",
            "COMMIT",
        ]
    )
    ruleset = iptables.parse(text, source="t")
    dnat, redirect = ruleset.chain("nat", "PREROUTING").rules
    assert dnat.action == Nat("dnat", (parse_address("10.0.0.5"),) * 2, (8080, 8080))
    assert redirect.action == Nat("redirect", None, (2525, 2525))
    snat, masquerade = ruleset.chain("nat", "POSTROUTING").rules
    assert snat.action == Nat(
        "snat", (parse_address("203.0.113.1"), parse_address("203.0.113.4")), None
    )
    assert masquerade.action == Nat("masquerade", None, None)
    first, second, third = ruleset.chain("filter", "FORWARD").rules
    assert first.conditions[1].negated is True
    assert (
        FlagsMatch(frozenset({"syn", "rst", "ack", "fin"}), frozenset({"syn"})) in first.conditions
    )
    assert second.action == Jump("X", goto=True)
    assert second.conditions[1].negated is True
    assert isinstance(second.conditions[2], AnyOf)
    assert third.conditions == (
        RangeMatch(Field.SRC, ((parse_address("10.0.0.1"), parse_address("10.0.0.9")),)),
    )
    assert ruleset.chain("filter", "X").rules[0].conditions == (InterfaceMatch("in", ("eth+",)),)


@pytest.mark.parametrize(
    ("text", "line", "message", "hint"),
    [
        (
            "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\n",
            3,
            "table *filter (line 1) is never committed",
            "end every table with a line 'COMMIT', as iptables-save writes it",
        ),
        (
            "*filter\n-A INPUT -s 10.0.0.300 -j ACCEPT\nCOMMIT\n",
            2,
            "'10.0.0.300' is not an IPv4 address or prefix",
            "write a.b.c.d, a.b.c.d/len or a.b.c.d/m.m.m.m; host names are not resolved",
        ),
        (
            "*filter\n-A FORWARD --dport 22 -j ACCEPT\nCOMMIT\n",
            2,
            "--dport needs '-p tcp' or '-p udp'",
            "write '-p tcp --dport ...' (or udp, sctp)",
        ),
        (
            "*filter\n-A FORWARD -j nowhere\nCOMMIT\n",
            2,
            "jump to chain nowhere, which table *filter does not define",
            "declare it with ':nowhere - [0:0]' or '-N nowhere' before COMMIT",
        ),
        (
            "*filter\n:A - [0:0]\n:B - [0:0]\n-A FORWARD -j A\n-A A -j B\n-A B -j A\nCOMMIT\n",
            6,
            "jump to A makes a loop of chains",
            "iptables refuses loops; remove the jump that leads back",
        ),
        (
            '*filter\n-A INPUT -m comment --comment "unterminated -j ACCEPT\nCOMMIT\n',
            2,
            "cannot split the line into words: No closing quotation",
            'close every quotation mark; write a quote inside a comment as \\"',
        ),
        (
            "-A INPUT -j ACCEPT\n",
            1,
            "line outside a table",
            "start the table with a line like '*filter' before chains and rules",
        ),
        (
            "*filter\n-A INPUT -p tcp --dport 70000 -j ACCEPT\nCOMMIT\n",
            2,
            "'70000' is not a port or port range",
            "write a number 0-65535, a range FIRST:LAST, or a service name such as ssh",
        ),
    ],
)
def test_malformed_input_raises_parse_error_with_file_line_text_and_hint(text, line, message, hint):
    """Each malformed file names the file, the line, the line's text and how to fix it."""
    with pytest.raises(ParseError) as caught:
        iptables.parse(text, source="fw.rules")
    error = caught.value
    assert (error.source, error.line, error.message, error.hint) == (
        "fw.rules",
        line,
        message,
        hint,
    )
    assert error.text == text.splitlines()[line - 1]
    assert str(error).startswith(f"fw.rules:{line}: {message}\n  | ")


@pytest.mark.parametrize(
    ("rule", "what"),
    [
        ("-A FORWARD -m recent --rcheck -j DROP", "match module '-m recent'"),
        ("-A FORWARD -m limit --limit 5/s -j ACCEPT", "match module '-m limit'"),
        ("-A FORWARD -j NFQUEUE", "target NFQUEUE"),
        ("-A FORWARD -m conntrack --ctstate DNAT -j ACCEPT", "connection state DNAT"),
        ("-A FORWARD --frobnicate -j ACCEPT", "option --frobnicate"),
        ("-A FORWARD -j SYNPROXY", "target SYNPROXY (not a chain of table *filter)"),
    ],
)
def test_syntax_that_could_change_forwarding_is_refused_with_its_line(rule, what):
    """Valid but unmodelled syntax raises UnsupportedSyntax: never a silent approximation."""
    with pytest.raises(UnsupportedSyntax) as caught:
        iptables.parse(f"*filter\n{rule}\nCOMMIT\n", source="fw.rules")
    assert caught.value.line == 2
    assert caught.value.message == f"{what} can change forwarding and is not modelled"
    assert caught.value.text == rule


def test_logging_and_marking_are_listed_as_ignored_with_their_lines():
    """LOG, MARK and TCPMSS cannot change a decision: each is listed with its line."""
    text = (
        "*mangle\n-A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu\n"
        "-A PREROUTING -j MARK --set-mark 1\nCOMMIT\n"
        "*filter\n-A FORWARD -j LOG --log-prefix x\nCOMMIT\n"
    )
    ruleset = iptables.parse(text, source="fw")
    assert sorted((i.reason, i.lines) for i in ruleset.ignored) == [
        ("LOG: logging", (6,)),
        ("MARK: packet marking (fwmark policy routing is not modelled)", (3,)),
        ("TCPMSS: TCP MSS clamping", (2,)),
    ]
    assert ruleset.rule_count() == 0


def test_an_unknown_format_name_is_a_parse_error():
    """parse_ruleset refuses formats it does not know, naming the ones it knows."""
    with pytest.raises(ParseError) as caught:
        parse_ruleset("x", format="juniper-junos", source="r1.cfg")
    assert caught.value.hint.startswith("formats are aerleon, cisco-asa, cisco-ios, fortios,")
