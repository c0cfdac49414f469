"""The PPC rule function: pure, versioned data, thresholds proven with hypothesis."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from isms.incidents import rules
from isms.incidents.rules import Facts, RuleError, load_rules, parse_rules, suggest

RULES = load_rules()
DAY = datetime.date(2026, 5, 1)


def test_the_shipped_rules_name_their_source_and_confidence():
    assert RULES.version >= 1
    assert {r.id for r in RULES.rules} >= {
        "ppc-sensitive",
        "ppc-financial",
        "ppc-unauthorised-purpose",
        "ppc-over-100",
        "ppc-my-number-serious",
    }
    for r in RULES.rules:
        assert r.source and r.confidence in {"confirmed", "recalled", "uncertain"}
    # the deadlines are those for businesses: not confirmed for 行政機関等
    assert RULES.deadlines_uncertain
    assert "行政機関等" in RULES.deadlines["note_ja"]


@given(st.integers(min_value=101, max_value=10**9))
def test_more_than_100_persons_fires(n):
    s = suggest(Facts(personal_data=True, persons_affected=n), RULES, DAY)
    assert s.required and s.rule_ids == ["ppc-over-100"]


@given(st.integers(min_value=0, max_value=100))
def test_100_persons_or_fewer_without_another_trigger_do_not(n):
    s = suggest(Facts(personal_data=True, persons_affected=n), RULES, DAY)
    assert not s.required and s.fired == () and s.preliminary_due is None


@given(st.booleans(), st.booleans(), st.booleans(), st.integers(min_value=0, max_value=100))
def test_each_flag_alone_fires_its_rule(sensitive, financial, purpose, n):
    facts = Facts(
        personal_data=True,
        persons_affected=n,
        involves_sensitive_data=sensitive,
        risk_of_financial_damage=financial,
        unauthorised_purpose=purpose,
    )
    s = suggest(facts, RULES, DAY)
    expected = {
        "ppc-sensitive": sensitive,
        "ppc-financial": financial,
        "ppc-unauthorised-purpose": purpose,
    }
    assert set(s.rule_ids) == {k for k, v in expected.items() if v}
    assert s.required == any(expected.values())


def test_no_personal_data_no_report():
    assert not suggest(Facts(persons_affected=500), RULES, DAY).required


def test_my_number_needs_a_serious_situation():
    assert not suggest(Facts(involves_my_number=True), RULES, DAY).required
    s = suggest(Facts(involves_my_number=True, is_serious_situation=True), RULES, DAY)
    assert s.rule_ids == ["ppc-my-number-serious"]
    # a serious situation without specific personal information fires nothing
    assert not suggest(Facts(personal_data=True, is_serious_situation=True), RULES, DAY).required


def test_deadlines_30_days_or_60_for_an_unauthorised_purpose():
    s = suggest(Facts(personal_data=True, persons_affected=150), RULES, DAY)
    assert s.preliminary_due == DAY + datetime.timedelta(days=3)
    assert s.final_due == DAY + datetime.timedelta(days=30)
    s = suggest(Facts(personal_data=True, unauthorised_purpose=True), RULES, DAY)
    assert s.final_due == DAY + datetime.timedelta(days=60)


def test_a_new_version_with_another_threshold_changes_the_answer():
    data = {
        "version": 2,
        "rules": [
            {"id": "x", "target": "ppc", "trigger": "persons_over", "threshold": 50, "source": "s"}
        ],
    }
    ruleset = parse_rules(data)
    assert suggest(Facts(personal_data=True, persons_affected=51), ruleset).required
    assert suggest(Facts(personal_data=True, persons_affected=51), ruleset).version == 2
    assert not suggest(Facts(personal_data=True, persons_affected=50), ruleset).required


@pytest.mark.parametrize(
    "row",
    [
        {"id": "x", "trigger": "moon_phase"},
        {"id": "x", "trigger": "persons_over"},
        {"id": "x", "trigger": "involves_my_number", "requires": "weather"},
    ],
)
def test_a_broken_rule_file_is_refused(row):
    with pytest.raises(RuleError):
        parse_rules({"version": 1, "rules": [row]})


def test_rules_module_does_not_import_django():
    assert (
        "django" not in " ".join(name for name in vars(rules) if not name.startswith("_")).lower()
    )
