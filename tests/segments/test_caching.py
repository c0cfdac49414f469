"""The speed-ups of the compiler must not change results: memos, skipped repeats, the GC pause."""

from __future__ import annotations

import datetime
import gc
import weakref

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isms.segments import verify
from isms.segments.compile import ChainFolder, RuleCompiler, _repeated
from isms.segments.errors import ModelError
from isms.segments.loader import load_model_text
from isms.segments.parsers import iptables, parse_ruleset
from isms.segments.rules import Field, Jump, RangeMatch, Rule, Ruleset, SourceLocation, Verdict
from isms.segments.space import Space
from isms.segments.verify import paused_collector, prepare

from .conftest import PLANTED
from .test_oracle import draft_rulesets

LOC = SourceLocation("t", 1, "")

REPEATS = """*filter
:FORWARD DROP [0:0]
:U - [0:0]
-A FORWARD -s 10.0.0.0/24 -p tcp -m tcp --dport 22 -j U
-A FORWARD -s 10.0.0.0/24 -p tcp -m tcp --dport 22 -j ACCEPT
-A FORWARD -s 10.0.0.0/24 -p tcp -m tcp --dport 22 -j DROP
-A FORWARD -s 10.0.0.0/24 -d 10.0.1.5 -j DROP
-A FORWARD -s 10.0.0.0/24 -d 10.0.1.5 -j ACCEPT
-A FORWARD -d 10.0.1.5 -s 10.0.0.0/24 -j ACCEPT
-A U -s 10.0.0.7 -j RETURN
-A U -s 10.0.0.7 -j ACCEPT
COMMIT
"""


def test_the_parser_hands_out_one_object_per_distinct_condition():
    ruleset = iptables.parse(REPEATS, source="t.rules")
    rules = ruleset.chain("filter", "FORWARD").rules
    first, second = rules[0].conditions, rules[1].conditions
    assert all(a is b for a, b in zip(first, second, strict=True))
    assert rules[3].conditions[0] is rules[0].conditions[1]  # -s 10.0.0.0/24, after -p
    # Same conditions in another order are distinct tuples: not treated as repeats.
    assert rules[5].conditions != rules[4].conditions


def test_only_rules_after_a_terminal_twin_are_skipped():
    ruleset = iptables.parse(REPEATS, source="t.rules")
    # Rule 1 repeats a jump (which may return), so it runs; rule 2 repeats rule 1 (ACCEPT).
    # Rule 4 repeats rule 3 (DROP); rule 5 has the same conditions in another order: kept.
    assert _repeated(ruleset.chain("filter", "FORWARD").rules) == {2, 4}
    # RETURN ends the chain for what it matches, so its twin is dead too.
    assert _repeated(ruleset.chain("filter", "U").rules) == {1}
    goto = Rule((), Jump("U", goto=True), LOC)
    jump = Rule((), Jump("U"), LOC)
    accept = Rule((), Verdict.ACCEPT, LOC)
    assert _repeated((goto, accept)) == {1}
    assert _repeated((jump, accept)) == set()


def test_the_condition_memo_is_by_identity_and_equal_conditions_give_equal_sets():
    space = Space(zone_count=2)
    compiler = RuleCompiler(space, None)
    a = RangeMatch(Field.SRC, ((10, 20),))
    b = RangeMatch(Field.SRC, ((10, 20),))
    assert a is not b
    assert compiler.condition(a) == compiler.condition(b)
    assert compiler.condition(a) == space.ranges(Field.SRC, ((10, 20),))
    rule = Rule((a, RangeMatch(Field.DPORT, ((22, 22),))), Verdict.ACCEPT, LOC)
    unkept = compiler.match(rule, keep=False)
    assert (
        compiler.match(rule)
        == unkept
        == (space.ranges(Field.SRC, ((10, 20),)) & space.value(Field.DPORT, 22))
    )


def _decisions(space: Space, ruleset: Ruleset, observe: bool) -> list[dict[object, object]]:
    observer = (lambda *args: None) if observe else None
    folder = ChainFolder(ruleset, RuleCompiler(space, None), observer)
    out: list[dict[object, object]] = []
    for stage in ruleset.stages:
        out.append(dict(folder.stage(stage)))
    return out


def _with_repeats(draft: Ruleset, picks: list[tuple[int, int]]) -> Ruleset:
    """Copy some rules of each chain later into the same chain (own action kept or changed)."""
    chains = {}
    actions = (Verdict.ACCEPT, Verdict.DROP, Verdict.RETURN)
    for key, chain in draft.chains.items():
        rules = list(chain.rules)
        for source, action in picks:
            if rules and key[0] == "filter":
                rule = rules[source % len(rules)]
                rules.append(Rule(rule.conditions, actions[action % 3], LOC))
        chains[key] = type(chain)(chain.table, chain.name, tuple(rules), chain.policy, LOC)
    return Ruleset(draft.source, draft.format, chains, draft.stages, draft.ignored)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    draft_rulesets("fw1"),
    st.lists(st.tuples(st.integers(0, 9), st.integers(0, 2)), min_size=1, max_size=4),
)
def test_skipping_repeated_rules_keeps_every_decision(draft, picks):
    """The fold without an observer (skips repeats) equals the fold that sees every rule."""
    text = iptables.dump(_with_repeats(draft, picks))
    ruleset = iptables.parse(text, source="fw1.rules")
    space = Space(zone_count=2)
    assert _decisions(space, ruleset, observe=False) == _decisions(space, ruleset, observe=True)


def test_verify_restores_the_garbage_collector_state():
    today = datetime.date(2025, 4, 1)
    assert gc.isenabled()
    verify(PLANTED / "model.yaml", today=today, rule_findings=False)
    assert gc.isenabled()
    gc.disable()
    try:
        verify(PLANTED / "model.yaml", today=today, rule_findings=False)
        assert not gc.isenabled()
    finally:
        gc.enable()
    with paused_collector():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_yaml_errors_read_the_same_with_the_fast_loader():
    """libyaml words its errors differently: the pure-Python loader's message is reported."""
    text = "name: x\nzones: [a\n  b: c\n"
    with pytest.raises(yaml.YAMLError) as expected:
        yaml.safe_load(text)
    with pytest.raises(ModelError) as raised:
        load_model_text(text, source="m.yaml", base_dir=".")
    problem = getattr(expected.value, "problem", None) or str(expected.value)
    assert problem in str(raised.value)


@pytest.mark.parametrize("name", ["fw-core.rules", "fw-core.json"])
def test_a_parsed_rule_set_is_freed_without_the_cyclic_collector(name):
    """No reference cycle holds a rule set: with the collector paused (as ``verify`` runs), it is
    freed as soon as the last reference goes, not at the collector's next full pass."""
    text = (PLANTED / name).read_text()
    with paused_collector():
        ruleset = parse_ruleset(
            text,
            format="iptables-save" if name.endswith(".rules") else "nftables-json",
            source=name,
        )
        probe = weakref.ref(next(iter(ruleset.chains.values())))
        del ruleset
        assert probe() is None


def test_a_verified_network_is_freed_without_the_cyclic_collector():
    with paused_collector():
        context = prepare(PLANTED / "model.yaml", today=datetime.date(2025, 4, 1))
        context.engine.run()
        probe = weakref.ref(next(iter(context.rulesets["fw-core"].chains.values())))
        del context
        assert probe() is None
