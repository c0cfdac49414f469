"""Scoped decisions (``scope.py``) must decide every packet of their box as the whole chain does."""

from __future__ import annotations

import datetime
import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isms.segments import compile as compile_module
from isms.segments import reach, scope, verify
from isms.segments.compile import ACCEPT, ChainFolder, RuleCompiler
from isms.segments.parsers import iptables
from isms.segments.rules import (
    FIELD_WIDTH,
    AnyOf,
    Chain,
    Field,
    RangeMatch,
    Rule,
    SourceLocation,
    Verdict,
)
from isms.segments.scope import (
    FIELDS,
    RuleIndex,
    Scope,
    candidates,
    intervals,
    may_match,
    scope_of,
)
from isms.segments.space import Space
from isms.segments.verify import prepare

from .conftest import PLANTED, TODAY
from .test_oracle import BASE, _model, rulesets

LOC = SourceLocation("t", 1, "")
SMALL = Field.PROTO  # 8 bits: small enough to check every value


def _merged(ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return tuple(out)


def _ranges(width: int) -> st.SearchStrategy[list[tuple[int, int]]]:
    top = (1 << width) - 1
    one = st.tuples(st.integers(0, top), st.integers(0, top)).map(lambda t: (min(t), max(t)))
    return st.lists(one, max_size=6)


@settings(max_examples=80, deadline=None)
@given(st.sampled_from([Field.PROTO, Field.DPORT, Field.SRC]), st.data(), st.sampled_from("co"))
def test_intervals_read_back_every_union_of_ranges(field, data, copy):
    if field is Field.PROTO:
        copy = "c"
    space = Space(zone_count=3)
    ranges = data.draw(_ranges(FIELD_WIDTH[field]))
    node = space.ranges(field, tuple(ranges), copy)
    assert intervals(space, node, field, copy) == _merged(ranges)


def test_too_many_intervals_give_the_whole_field(monkeypatch):
    space = Space(zone_count=1)
    odd = space.ranges(SMALL, tuple((v, v) for v in range(1, 256, 2)))
    assert len(intervals(space, odd, SMALL)) == 128
    monkeypatch.setattr(scope, "MAX_INTERVALS", 10)
    assert intervals(space, odd, SMALL) == ((0, 255),)


products = st.lists(
    st.tuples(
        st.tuples(st.integers(0, 40), st.integers(0, 40)),  # source offsets
        st.tuples(st.integers(0, 40), st.integers(0, 40)),  # destination offsets
        st.sampled_from([1, 6, 17]),
    ),
    min_size=1,
    max_size=4,
)


def _flows(space: Space, terms: list) -> tuple:
    flows = space.false
    expected: dict[Field, list[tuple[int, int]]] = {Field.SRC: [], Field.DST: [], Field.PROTO: []}
    for (s1, s2), (d1, d2), proto in terms:
        src = (BASE + min(s1, s2), BASE + max(s1, s2))
        dst = (BASE + min(d1, d2), BASE + max(d1, d2))
        flows = flows | (
            space.ranges(Field.SRC, (src,))
            & space.ranges(Field.DST, (dst,))
            & space.value(Field.PROTO, proto)
        )
        expected[Field.SRC].append(src)
        expected[Field.DST].append(dst)
        expected[Field.PROTO].append((proto, proto))
    return flows, expected


@settings(max_examples=40, deadline=None)
@given(products)
def test_the_box_holds_the_flows_and_is_their_projection(terms):
    space = Space(zone_count=3)
    flows, expected = _flows(space, terms)
    box = scope_of(space, flows)
    assert flows <= box.node
    for field in FIELDS:
        want = (
            _merged(expected[field]) if field in expected else ((0, (1 << FIELD_WIDTH[field]) - 1),)
        )
        assert box.of(field) == want
    # The box is the product of the projections.
    product = space.true
    for field in (Field.SRC, Field.DST, Field.PROTO):
        product = product & space.ranges(field, box.of(field))
    assert box.node == product


def _box(values: tuple[tuple[int, int], ...]) -> Scope:
    space = Space(zone_count=1)
    fields = tuple(values if f is SMALL else ((0, (1 << FIELD_WIDTH[f]) - 1),) for f in FIELDS)
    return Scope(fields, space.true)


@settings(max_examples=200, deadline=None)
@given(_ranges(8), _ranges(8), st.booleans(), st.booleans())
def test_may_match_is_exact_on_range_conditions_and_never_misses(
    box_ranges, ranges, negated, any_of
):
    box = _box(_merged(box_ranges))
    condition = RangeMatch(SMALL, tuple(ranges), negated)
    values = [v for lo, hi in box.of(SMALL) for v in range(lo, hi + 1)]
    some = any(condition.holds(v) for v in values)
    if not any_of:
        assert may_match(condition, box) is some
        return
    other = RangeMatch(SMALL, ((7, 9),))
    wrapped = AnyOf((condition, other), negated=False)
    some = some or any(other.holds(v) for v in values)
    assert may_match(wrapped, box) is some
    assert may_match(AnyOf((condition,), negated=True), box) is True  # conservative


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rulesets("fw1"), products)
def test_a_scoped_fold_decides_the_box_as_the_whole_chain(ruleset, terms):
    """On the flows a box holds, the fold without the rules that cannot match them gives every
    outcome exactly the packets the full fold gives it, for every interface pair."""
    context = prepare(_model(), today=TODAY, rulesets={"fw1": ruleset})
    info = context.topology.devices["fw1"]
    space = context.space
    flows, _ = _flows(space, terms)
    box = scope_of(space, flows)
    full = ChainFolder(ruleset, RuleCompiler(space, info))
    scoped = ChainFolder(ruleset, RuleCompiler(space, info))
    for stage in ruleset.stages:
        whole = full.stage(stage)
        part = scoped.stage(stage, box)
        for key in set(whole) | set(part):
            for iif, oif in itertools.product(range(4), range(4)):
                fixed = space.iface_assignment(iif, oif)
                a = flows & space.bdd.let(fixed, whole.get(key, space.false))
                b = flows & space.bdd.let(fixed, part.get(key, space.false))
                assert a == b, (stage, key, iif, oif)
        chain = ruleset.chain(stage.table, stage.chain)
        kept = set(candidates(chain, box))
        compiler = RuleCompiler(space, info)
        for index, rule in enumerate(chain.rules):
            if index not in kept:
                assert flows & compiler.match(rule) == space.false


def _unscoped(space: Space, flows: object) -> Scope:
    """A box that holds everything: no rule is left out."""
    return Scope(tuple(((0, (1 << FIELD_WIDTH[f]) - 1),) for f in FIELDS), space.true)


def test_the_engine_delivers_the_same_with_and_without_scopes(monkeypatch):
    context = prepare(PLANTED / "model.yaml", today=TODAY)
    scoped = context.engine.run().delivered
    monkeypatch.setattr(reach, "scope_of", _unscoped)
    whole = reach.Engine(context.topology, context.space, context.model.assumptions)
    assert whole.run().delivered == scoped


@pytest.mark.parametrize("name", ["model.yaml", "model-nft.yaml"])
def test_planted_reports_do_not_depend_on_scopes(monkeypatch, name):
    scoped = verify(PLANTED / name, today=TODAY, rule_findings=False)
    monkeypatch.setattr(reach, "scope_of", _unscoped)
    assert verify(PLANTED / name, today=TODAY, rule_findings=False) == scoped


def test_reports_of_a_generated_network_do_not_depend_on_scopes(monkeypatch, tmp_path: Path):
    from benchmarks.segments.generate import generate

    model = generate(tmp_path / "net", firewalls=6, rules=60, plant=True)
    today = datetime.date(2025, 4, 1)
    scoped = verify(model, today=today, rule_findings=False)
    monkeypatch.setattr(reach, "scope_of", _unscoped)
    assert verify(model, today=today, rule_findings=False) == scoped
    assert scoped.violations


def _prefix() -> st.SearchStrategy[tuple[int, int]]:
    return st.tuples(st.integers(0, 255), st.integers(24, 32)).map(
        lambda t: (
            BASE + (t[0] & ~((1 << (32 - t[1])) - 1)),
            BASE + (t[0] | ((1 << (32 - t[1])) - 1)),
        )
    )


address_conditions = st.tuples(
    st.sampled_from([Field.SRC, Field.DST]),
    st.lists(_prefix(), min_size=0, max_size=3),
    st.booleans(),
).map(lambda t: RangeMatch(t[0], tuple(t[1]), t[2]))
port_conditions = st.sampled_from([22, 443, 8080]).map(lambda p: RangeMatch(Field.DPORT, ((p, p),)))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.one_of(address_conditions, port_conditions), max_size=3),
        min_size=0,
        max_size=120,
    ),
    st.lists(_prefix(), min_size=1, max_size=5),
    st.lists(_prefix(), min_size=1, max_size=5),
    st.booleans(),
)
def test_the_rule_index_finds_the_same_rules_as_a_scan(rules, sources, destinations, wide):
    chain = Chain(
        "filter",
        "FORWARD",
        tuple(Rule(tuple(c), Verdict.ACCEPT, LOC) for c in rules),
        Verdict.DROP,
        LOC,
    )
    everything = ((0, (1 << 32) - 1),)
    per_field = {
        Field.SRC: _merged(sources),
        Field.DST: everything if wide else _merged(destinations),
    }
    box = Scope(
        tuple(per_field.get(f, ((0, (1 << FIELD_WIDTH[f]) - 1),)) for f in FIELDS),
        Space(zone_count=1).true,
    )
    expected = candidates(chain, box)
    assert RuleIndex(chain).candidates(box) == expected
    saved = scope.MIN_INDEXED
    scope.MIN_INDEXED = 0  # index short chains too
    try:
        index = RuleIndex(chain)
    finally:
        scope.MIN_INDEXED = saved
    assert index.fields
    assert index.candidates(box) == expected


def _long_chain(lines: list[str]) -> str:
    return "*filter\n:FORWARD DROP [0:0]\n" + "\n".join(lines) + "\nCOMMIT\n"


def test_a_chain_whose_rules_match_most_boxes_is_folded_whole():
    """Scoping would fold nearly every rule for every box: the whole decision serves instead."""
    text = _long_chain(
        [f"-A FORWARD -p tcp -m tcp --dport {port} -j ACCEPT" for port in range(1000, 1080)]
    )
    ruleset = iptables.parse(text, source="t.rules")
    space = Space(zone_count=1)
    folder = ChainFolder(ruleset, RuleCompiler(space, None))
    stage = next(s for s in ruleset.stages if s.chain == "FORWARD")
    box = scope_of(space, space.ranges(Field.SRC, ((BASE, BASE + 255),)))
    assert folder.stage(stage, box) is folder.stage(stage)


def test_after_enough_scoped_work_the_whole_chain_serves(monkeypatch):
    text = _long_chain(
        [f"-A FORWARD -s 10.0.{i}.1 -p tcp -m tcp --dport 22 -j ACCEPT" for i in range(80)]
    )
    ruleset = iptables.parse(text, source="t.rules")
    space = Space(zone_count=1)
    folder = ChainFolder(ruleset, RuleCompiler(space, None))
    whole = ChainFolder(ruleset, RuleCompiler(space, None))
    stage = next(s for s in ruleset.stages if s.chain == "FORWARD")

    def box(i: int) -> Scope:
        return scope_of(space, space.value(Field.SRC, BASE + (i << 8) + 1))

    first = folder.stage(stage, box(0))[ACCEPT]
    assert first != whole.stage(stage)[ACCEPT]  # one rule folded, not 80
    assert box(0).node & first == box(0).node & whole.stage(stage)[ACCEPT]
    monkeypatch.setattr(compile_module, "WORK_LIMIT", 0)
    assert folder.stage(stage, box(1))[ACCEPT] == whole.stage(stage)[ACCEPT]
    # From then on the whole decision serves every box.
    assert folder.stage(stage, box(2)) is folder.stage(stage, box(3)) is folder.stage(stage)


def test_a_chain_folded_whole_already_serves_every_box():
    """After the rule analysis folded a chain whole, the engine uses that decision."""
    text = _long_chain(
        [f"-A FORWARD -s 10.0.{i}.1 -p tcp -m tcp --dport 22 -j ACCEPT" for i in range(80)]
    )
    ruleset = iptables.parse(text, source="t.rules")
    space = Space(zone_count=1)
    folder = ChainFolder(ruleset, RuleCompiler(space, None))
    stage = next(s for s in ruleset.stages if s.chain == "FORWARD")
    whole = folder.stage(stage)
    box = scope_of(space, space.value(Field.SRC, BASE + 1))
    assert folder.stage(stage, box) is whole
