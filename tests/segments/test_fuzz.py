"""Hypothesis: malformed vendor configs give a typed ParseError (file, line, text, hint), never a
traceback; rule sets survive a dump/parse round trip in both formats."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isms.segments import ParseError
from isms.segments.compile import ChainFolder, RuleCompiler
from isms.segments.parsers import iptables, nftables
from isms.segments.space import Space

from .conftest import AERLEON, BATFISH, PLANTED
from .test_oracle import draft_rulesets

WORDS = [
    "*filter",
    "*nat",
    "*mangle",
    "*raw",
    "*bogus",
    "COMMIT",
    ":INPUT",
    ":FORWARD",
    ":X",
    "ACCEPT",
    "DROP",
    "-",
    "[0:0]",
    "-A",
    "-I",
    "-N",
    "-P",
    "-D",
    "FORWARD",
    "INPUT",
    "X",
    "-s",
    "-d",
    "!",
    "10.0.0.0/8",
    "10.0.0.1",
    "300.1.1.1",
    "-p",
    "tcp",
    "udp",
    "icmp",
    "all",
    "99",
    "--dport",
    "--sport",
    "22",
    "1:1024",
    "65536",
    "-m",
    "multiport",
    "--dports",
    "22,80",
    "state",
    "--state",
    "NEW",
    "conntrack",
    "--ctstate",
    "comment",
    "--comment",
    '"a b"',
    '"open',
    "-j",
    "-g",
    "RETURN",
    "REJECT",
    "LOG",
    "DNAT",
    "SNAT",
    "--to-destination",
    "10.0.0.5:80",
    "MASQUERADE",
    "-i",
    "-o",
    "eth0",
    "eth+",
    "--icmp-type",
    "echo-request",
    "8/0",
    "--syn",
    "--tcp-flags",
    "SYN,ACK",
    "SYN",
    "-f",
    "-m",
    "recent",
    "#",
    "",
]
SEEDS = [
    (BATFISH / "networks/iptables-firewall/iptables/z2-firewall.v4").read_text(),
    (AERLEON / "generated/sample_multitarget.ipt").read_text(),
    (PLANTED / "fw-edge.rules").read_text(),
]


def _check(error: ParseError, text: str) -> None:
    lines = text.splitlines()
    assert error.source == "fuzz.rules"
    assert 1 <= error.line <= max(len(lines), 1)
    assert error.text == (lines[error.line - 1] if lines else "")
    assert error.hint
    assert error.render("ja") and error.render("en")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join), max_size=8))
def test_random_iptables_lines_parse_or_raise_parse_error(lines):
    """Lines made of real iptables words either parse or raise ParseError pointing at a line."""
    text = "\n".join(lines)
    try:
        iptables.parse(text, source="fuzz.rules")
    except ParseError as error:
        _check(error, text)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SEEDS), st.data())
def test_mutated_corpus_files_parse_or_raise_parse_error(seed, data):
    """Real files with a line deleted, duplicated or a word replaced: ParseError or success."""
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
        iptables.parse(text, source="fuzz.rules")
    except ParseError as error:
        _check(error, text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_never_escapes_as_another_exception(text):
    """Any text at all: either format raises ParseError or parses."""
    for parser in (iptables.parse, nftables.parse):
        try:
            parser(text, source="fuzz.rules")
        except ParseError as error:
            assert error.hint and error.line >= 1


JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 70000),
    st.sampled_from(
        [
            "ip",
            "inet",
            "ip6",
            "filter",
            "nat",
            "forward",
            "prerouting",
            "accept",
            "drop",
            "10.0.0.1",
            "@s",
            "tcp",
            "dport",
            "saddr",
            "eth0",
            "new",
            "t",
            "c",
        ]
    ),
)
JSON = st.recursive(
    JSON_LEAF,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(
                [
                    "table",
                    "chain",
                    "rule",
                    "set",
                    "family",
                    "name",
                    "table",
                    "hook",
                    "prio",
                    "policy",
                    "type",
                    "expr",
                    "match",
                    "left",
                    "right",
                    "op",
                    "payload",
                    "protocol",
                    "field",
                    "meta",
                    "key",
                    "accept",
                    "jump",
                    "target",
                    "dnat",
                    "addr",
                    "port",
                    "set",
                    "prefix",
                    "len",
                    "range",
                    "elem",
                    "vmap",
                    "data",
                ]
            ),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(JSON, max_size=6))
def test_random_nftables_documents_parse_or_raise_parse_error(items):
    """Random JSON inside {"nftables": [...]}: ParseError with a line and hint, or a Ruleset."""
    text = json.dumps({"nftables": items})
    try:
        nftables.parse(text, source="fuzz.json")
    except ParseError as error:
        assert error.line == 1 and error.hint and error.source == "fuzz.json"


@settings(max_examples=100, deadline=None)
@given(draft_rulesets("fw1"))
def test_iptables_dump_then_parse_gives_back_the_same_rules(draft):
    """Random rule sets written as iptables-save and read back: same actions, same matches."""
    again = iptables.parse(iptables.dump(draft), source="again")
    space = Space(zone_count=1)
    compiler = RuleCompiler(space, None)
    for key, chain in draft.chains.items():
        other = again.chain(*key)
        assert other.policy == chain.policy
        assert [r.action for r in other.rules] == [r.action for r in chain.rules]
        for mine, theirs in zip(chain.rules, other.rules, strict=True):
            assert compiler.match(mine) == compiler.match(theirs)


@pytest.mark.parametrize("seed", SEEDS, ids=["batfish", "aerleon", "planted"])
def test_nftables_dump_of_parsed_iptables_means_the_same(seed):
    """iptables → IR → nft JSON → IR: every rule's match is the same set of packets."""
    parsed = iptables.parse(seed, source="seed")
    table_map = {table: f"ip {table}" for table, _ in parsed.chains}
    renamed = type(parsed)(
        parsed.source,
        parsed.format,
        {
            (table_map[t], n): type(c)(table_map[t], c.name, c.rules, c.policy, c.location)
            for (t, n), c in parsed.chains.items()
        },
        tuple(
            type(s)(s.hook, s.priority, s.kind, table_map[s.table], s.chain) for s in parsed.stages
        ),
    )
    again = nftables.parse(nftables.dump(renamed), source="again")
    space = Space(zone_count=1)
    compiler = RuleCompiler(space, None)
    for key, chain in renamed.chains.items():
        other = again.chain(*key)
        assert [r.action for r in other.rules] == [r.action for r in chain.rules]
        for mine, theirs in zip(chain.rules, other.rules, strict=True):
            assert compiler.match(mine) == compiler.match(theirs)
    folder_a = ChainFolder(renamed, RuleCompiler(space, None))
    folder_b = ChainFolder(again, RuleCompiler(space, None))
    for stage in renamed.stages:
        assert folder_a.stage(stage) == folder_b.stage(stage)
