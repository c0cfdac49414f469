"""nftables JSON parser: real ``nft -j`` output, known structure; bad input, typed errors."""

from __future__ import annotations

import json

import pytest

from isms.segments import ParseError, UnsupportedSyntax
from isms.segments.addresses import parse_address
from isms.segments.parsers import nftables
from isms.segments.rules import (
    Const,
    Field,
    Hook,
    InterfaceMatch,
    Jump,
    Nat,
    RangeMatch,
    StageKind,
    Verdict,
)

from .conftest import AERLEON, PLANTED


def _doc(*items):
    return json.dumps({"nftables": [{"metainfo": {"json_schema_version": 1}}, *items]})


TABLE = {"table": {"family": "ip", "name": "f"}}
CHAIN = {
    "chain": {
        "family": "ip",
        "table": "f",
        "name": "fwd",
        "type": "filter",
        "hook": "forward",
        "prio": 0,
        "policy": "drop",
    }
}


def _rule(*expr, chain="fwd"):
    return {"rule": {"family": "ip", "table": "f", "chain": chain, "expr": list(expr)}}


def test_aerleon_nftables_golden_loaded_by_nft_parses_with_ipv6_listed_as_ignored():
    """The ip and inet tables are read; the ip6 table and counters/logging are listed as ignored."""
    ruleset = nftables.parse(
        (AERLEON / "derived/sample_nftables.json").read_text(), source="nft.json"
    )
    assert [(s.table, s.chain, s.hook, s.priority) for s in ruleset.stages] == [
        ("inet filtering_policies", "root0", Hook.OUTPUT, 300),
        ("inet filtering_policies", "root3", Hook.OUTPUT, 0),
        ("ip filtering_policies", "root1", Hook.INPUT, 0),
        ("ip filtering_policies", "root2", Hook.INPUT, 0),
        ("ip filtering_policies", "root6", Hook.INPUT, 0),
    ]
    assert sorted(i.reason for i in ruleset.ignored) == [
        "IPv6 table (IPv4 is verified)",
        "logging",
        "packet and byte counters",
    ]
    icmp = ruleset.chain("ip filtering_policies", "test-icmp-type-ip4").rules[0]
    assert RangeMatch(Field.ICMP_TYPE, ((0, 0), (8, 8))) in icmp.conditions
    source = ruleset.chain("inet filtering_policies", "source-address-term").rules
    assert source[1].conditions == (Const(False, "ip6 match on an IPv4 packet"),)
    tuple_term = ruleset.chain("inet filtering_policies", "full-tuple-term").rules[0]
    assert RangeMatch(Field.SRC, ((parse_address("200.1.1.1"), parse_address("200.1.1.2")),)) in (
        tuple_term.conditions
    )


def test_an_ip6_only_file_yields_no_ipv4_rules():
    """sample_nftables-dev is an ip6 table only: nothing to verify, everything listed as ignored."""
    ruleset = nftables.parse(
        (AERLEON / "derived/sample_nftables-dev.json").read_text(), source="dev"
    )
    assert ruleset.rule_count() == 0
    assert [(i.reason, i.lines) for i in ruleset.ignored] == [
        ("IPv6 table (IPv4 is verified)", (1,))
    ]


def test_pretty_printed_output_gives_the_real_line_of_each_rule():
    """In jq-style output the DNAT rule sits on the line where its object starts."""
    text = (PLANTED / "fw-edge.json").read_text()
    ruleset = nftables.parse(text, source="fw-edge.json")
    (dnat,) = ruleset.chain("ip nat", "prerouting").rules
    assert dnat.action == Nat("dnat", (parse_address("10.20.0.50"),) * 2, (443, 443))
    lines = text.splitlines()
    assert (lines[dnat.location.line - 1].strip(), lines[dnat.location.line].strip()) == (
        "{",
        '"rule": {',
    )
    assert (
        dnat.location.text
        == "meta iifname eth0 ip daddr 203.0.113.10 tcp dport 8443 dnat to 10.20.0.50 :443"
    )
    assert dnat.comment == "temporary vendor access"
    stages = [(s.chain, s.kind, s.priority) for s in ruleset.stages_at(Hook.PREROUTING)]
    assert stages == [("prerouting", StageKind.NAT, -100)]


def test_verdict_maps_and_named_sets_become_ordinary_rules():
    """A vmap expands into one rule per element; @set references resolve to their elements."""
    text = _doc(
        TABLE,
        {
            "set": {
                "family": "ip",
                "table": "f",
                "name": "web",
                "type": "inet_service",
                "elem": [80, 443],
            }
        },
        CHAIN,
        {"chain": {"family": "ip", "table": "f", "name": "lan"}},
        _rule(
            {
                "match": {
                    "op": "==",
                    "left": {"payload": {"protocol": "tcp", "field": "dport"}},
                    "right": "@web",
                }
            },
            {"accept": None},
        ),
        _rule(
            {
                "vmap": {
                    "key": {"meta": {"key": "iifname"}},
                    "data": {
                        "set": [["eth0", {"jump": {"target": "lan"}}], ["eth1", {"drop": None}]]
                    },
                }
            }
        ),
    )
    ruleset = nftables.parse(text, source="t.json")
    web, to_lan, from_eth1 = ruleset.chain("ip f", "fwd").rules
    assert web.conditions == (
        RangeMatch(Field.PROTO, ((6, 6),)),
        RangeMatch(Field.DPORT, ((80, 80), (443, 443))),
    )
    assert (to_lan.conditions, to_lan.action) == ((InterfaceMatch("in", ("eth0",)),), Jump("lan"))
    assert (from_eth1.conditions, from_eth1.action) == (
        (InterfaceMatch("in", ("eth1",)),),
        Verdict.DROP,
    )


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (
            (TABLE, CHAIN, _rule({"jump": {"target": "nowhere"}})),
            "jump to chain nowhere, which table ip f does not define",
        ),
        (
            (TABLE, _rule({"accept": None})),
            "rule for chain fwd, which is not defined before it (nftables[2])",
        ),
        (
            (
                TABLE,
                CHAIN,
                _rule(
                    {
                        "match": {
                            "op": "==",
                            "left": {"payload": {"protocol": "ip", "field": "saddr"}},
                            "right": "10.0.0.256",
                        }
                    },
                    {"accept": None},
                ),
            ),
            "'10.0.0.256' is not a valid src (nftables[3])",
        ),
    ],
)
def test_malformed_documents_raise_parse_errors(items, message):
    """Structural errors name the element and say how to fix it."""
    with pytest.raises(ParseError) as caught:
        nftables.parse(_doc(*items), source="t.json")
    assert caught.value.message == message
    assert caught.value.line == 1
    assert caught.value.hint


def test_invalid_json_reports_line_and_column():
    """A broken file gives the JSON decoder's line and the line's text."""
    with pytest.raises(ParseError) as caught:
        nftables.parse('{"nftables": [\n  {"table": }\n]}', source="t.json")
    error = caught.value
    assert (error.line, error.text, error.message) == (
        2,
        '  {"table": }',
        "not valid JSON: Expecting value (column 13)",
    )


@pytest.mark.parametrize(
    ("statement", "what"),
    [
        ({"limit": {"rate": 10, "per": "second"}}, "statement 'limit'"),
        ({"queue": {"num": 1}}, "statement 'queue'"),
        ({"match": {"op": "==", "left": {"meta": {"key": "mark"}}, "right": 1}}, "meta mark"),
        ({"match": {"op": "==", "left": {"ct": {"key": "status"}}, "right": "dnat"}}, "ct status"),
        (
            {
                "match": {
                    "op": "==",
                    "left": {"fib": {"flags": ["daddr"], "result": "type"}},
                    "right": "local",
                }
            },
            "match on 'fib'",
        ),
    ],
)
def test_unmodelled_expressions_are_refused(statement, what):
    """Rate limits, queues, marks and other state-dependent matches raise UnsupportedSyntax."""
    with pytest.raises(UnsupportedSyntax) as caught:
        nftables.parse(_doc(TABLE, CHAIN, _rule(statement, {"accept": None})), source="t.json")
    assert caught.value.message == f"{what} can change forwarding and is not modelled (nftables[3])"


def test_rules_in_a_netdev_ingress_chain_are_refused():
    """Ingress filtering happens before routing on a device the model cannot see: refused."""
    items = (
        {"table": {"family": "netdev", "name": "n"}},
        {
            "chain": {
                "family": "netdev",
                "table": "n",
                "name": "in",
                "type": "filter",
                "hook": "ingress",
                "prio": 0,
                "dev": "eth0",
                "policy": "accept",
            }
        },
        {"rule": {"family": "netdev", "table": "n", "chain": "in", "expr": [{"drop": None}]}},
    )
    with pytest.raises(UnsupportedSyntax):
        nftables.parse(_doc(*items), source="t.json")
