"""Migration pre_r6 → r6_10: automatic cases, review items with hints, the owner's decision."""

from __future__ import annotations

from pathlib import Path

import pytest

from isms.assets.classification import (
    AssetFacts,
    Axis,
    Classification,
    DataError,
    InvalidDecision,
    Segment,
    UnknownClass,
    UnknownScheme,
    default_migration,
    load_migration,
    load_migration_text,
    migrate_classification,
    resolve_review_item,
)
from tests.assets.conftest import dump, shipped


def test_clear_cases_map_automatically():
    """機密性2・完全性2・可用性1 without personal information maps 1:1, no review."""
    outcome = migrate_classification(Classification("pre_r6", "2", "2", "1"))
    # then
    assert outcome.is_complete is True
    assert outcome.pending == ()
    assert outcome.classification == Classification("r6_10", "2", "2", "1")


def test_confidentiality_three_always_goes_to_review():
    """機密性3 → 3A/3B/3C is the owner's choice; the other axes are mapped."""
    outcome = migrate_classification(Classification("pre_r6", "3", "2", "2"))
    # then
    assert outcome.is_complete is False
    assert outcome.classification is None
    assert (outcome.confidentiality, outcome.integrity, outcome.availability) == (None, "2", "2")
    (item,) = outcome.pending
    assert item.axis is Axis.CONFIDENTIALITY
    assert item.source_class == "3"
    assert item.candidates == ("3A", "3B", "3C")
    assert item.reason_ja == (
        "機密性3は自治体機密性3A・3B・3Cに分割されたため、情報セキュリティ管理者がいずれかを選ぶ。"
    )


def test_without_facts_the_hint_points_to_3c_and_says_why():
    """No attribute points to 3A or 3B: the fallback hint suggests 3C."""
    (item,) = migrate_classification(Classification("pre_r6", "3", "1", "1")).pending
    # then
    assert item.suggested == "3C"
    assert [h.text_en for h in item.hints] == [
        "Nothing points to 3A or 3B (classified document, specific, sensitive or bulk "
        "personal information), so 3C fits."
    ]


@pytest.mark.parametrize(
    ("facts", "suggested"),
    [
        (AssetFacts(classified_document=True), "3A"),
        (AssetFacts(holds_personal_info=True, holds_specific_personal_info=True), "3B"),
        (AssetFacts(segment=Segment.MYNUMBER), "3B"),
        (AssetFacts(holds_personal_info=True, holds_sensitive_personal_info=True), "3B"),
        (AssetFacts(holds_personal_info=True, number_of_persons=1000), "3B"),
        (AssetFacts(holds_personal_info=True, number_of_persons=999), "3C"),
        (AssetFacts(holds_personal_info=True), "3C"),
    ],
)
def test_the_asset_facts_give_the_hint(facts, suggested):
    """特定個人情報 → 3B (the policy model's probable example), 秘密文書 → 3A, and so on."""
    (item,) = migrate_classification(Classification("pre_r6", "3", "1", "1"), facts=facts).pending
    # then
    assert item.suggested == suggested
    assert item.suggested in item.candidates


def test_every_matching_hint_is_listed_strongest_first():
    """特定個人情報 in the mynumber segment: both 3B hints, then the personal-information one."""
    facts = AssetFacts(
        holds_personal_info=True, holds_specific_personal_info=True, segment=Segment.MYNUMBER
    )
    (item,) = migrate_classification(Classification("pre_r6", "3", "1", "1"), facts=facts).pending
    # then
    assert [h.suggest for h in item.hints] == ["3B", "3B", "3C", "3C"]


def test_confidentiality_two_with_personal_information_goes_to_review():
    """機密性2 holding personal information may be 3C: review with candidates 3C and 2."""
    outcome = migrate_classification(
        Classification("pre_r6", "2", "1", "1"), facts=AssetFacts(holds_personal_info=True)
    )
    # then
    (item,) = outcome.pending
    assert item.candidates == ("3C", "2")
    assert item.suggested == "3C"


def test_the_owners_decision_completes_the_migration():
    """Choosing 3B fills the axis and records the decision."""
    outcome = migrate_classification(Classification("pre_r6", "3", "2", "2"))
    # when
    done = resolve_review_item(
        outcome, Axis.CONFIDENTIALITY, "3B", decided_by="市民課長", note="住民票"
    )
    # then
    assert done.classification == Classification("r6_10", "3B", "2", "2")
    assert done.pending == ()
    (decision,) = done.decisions
    assert (decision.chosen, decision.decided_by, decision.note) == ("3B", "市民課長", "住民票")
    assert decision.item == outcome.pending[0]
    assert outcome.is_complete is False  # the original outcome is unchanged


def test_a_decision_outside_the_candidates_is_refused():
    """機密性3 cannot become 自治体機密性2 through a review."""
    outcome = migrate_classification(Classification("pre_r6", "3", "2", "2"))
    # when
    with pytest.raises(InvalidDecision) as info:
        resolve_review_item(outcome, Axis.CONFIDENTIALITY, "2")
    # then
    assert str(info.value) == (
        "'2' is not a candidate for confidentiality 3\n  hint: choose one of: 3A, 3B, 3C"
    )
    assert info.value.render("ja") == (
        "'2' は confidentiality 3 の移行先の候補ではない\n"
        "  修正方法: 次のいずれかを選んでください: 3A, 3B, 3C"
    )


def test_a_decision_for_an_axis_without_review_is_refused():
    """Integrity was mapped automatically; there is nothing to decide."""
    outcome = migrate_classification(Classification("pre_r6", "3", "2", "2"))
    # when
    with pytest.raises(InvalidDecision) as info:
        resolve_review_item(outcome, Axis.INTEGRITY, "2")
    # then
    assert info.value.message == "no review is pending for integrity"


def test_a_classification_of_the_wrong_scheme_is_refused():
    """Migrating an r6_10 classification with the pre_r6 rules is refused."""
    with pytest.raises(UnknownScheme):
        migrate_classification(
            Classification("r6_10", "3A", "2", "2"), rules=default_migration("pre_r6", "r6_10")
        )


def test_unknown_classes_are_refused():
    """機密性4 does not exist in pre_r6."""
    with pytest.raises(UnknownClass):
        migrate_classification(Classification("pre_r6", "4", "2", "2"))


def test_only_the_shipped_migration_exists():
    """r6_10 → pre_r6 is not a shipped migration."""
    with pytest.raises(UnknownScheme):
        default_migration("r6_10", "pre_r6")


def _rules() -> dict:
    return shipped("migrations", "pre_r6_to_r6_10.yaml")


def _load(document: dict) -> None:
    load_migration_text(dump(document), source="migration.yaml")


def test_a_class_without_a_rule_is_refused():
    """Every class of the old scheme needs one rule."""
    document = _rules()
    document["axes"]["availability"].pop()
    # when
    with pytest.raises(DataError) as info:
        _load(document)
    # then
    assert info.value.path == "axes.availability"
    assert info.value.message == "no rule for availability class(es) 1 of 'pre_r6'"


def test_a_target_outside_the_new_scheme_is_refused():
    """'to: 3' is not a class of r6_10."""
    document = _rules()
    document["axes"]["confidentiality"][1]["to"] = "3"
    # when
    with pytest.raises(DataError) as info:
        _load(document)
    # then
    assert info.value.path == "axes.confidentiality[1].to"
    assert info.value.hint == "use one of: 3A, 3B, 3C, 2, 1"


def test_a_suggestion_outside_the_candidates_is_refused():
    """A hint must suggest one of its review's candidates."""
    document = _rules()
    document["axes"]["confidentiality"][1]["reviews"][0]["hints"][0]["suggest"] = "1"
    # when
    with pytest.raises(DataError) as info:
        _load(document)
    # then
    assert info.value.path == "axes.confidentiality[1].reviews[0].hints[0].suggest"
    assert info.value.message == "suggestion '1' is not one of the candidates 3C, 2"


def test_a_rule_without_target_needs_an_unconditional_review():
    """機密性3 with only a conditional review would leave some assets without a class."""
    document = _rules()
    document["axes"]["confidentiality"][0]["reviews"][0]["when"] = {"holds_personal_info": True}
    # when
    with pytest.raises(DataError) as info:
        _load(document)
    # then
    assert info.value.path == "axes.confidentiality[0]"
    assert info.value.hint == "add 'to', or a review without 'when'"


def test_a_class_with_two_rules_is_refused():
    """Two rules for 完全性2 are refused."""
    document = _rules()
    document["axes"]["integrity"].append({"from": "2", "to": "1"})
    # when
    with pytest.raises(DataError) as info:
        _load(document)
    # then
    assert info.value.message == "integrity class '2' has two rules"


def test_an_unknown_condition_is_refused_by_the_schema():
    """Hints may only read the facts the engine knows."""
    document = _rules()
    document["axes"]["confidentiality"][0]["reviews"][0]["hints"][0]["when"] = {"colour": "red"}
    # when
    with pytest.raises(DataError) as info:
        _load(document)
    # then
    assert info.value.path == "axes.confidentiality[0].reviews[0].hints[0].when"


def test_migration_rules_load_from_a_file(tmp_path: Path):
    """A municipality's own rules load from a path."""
    document = _rules()
    document["version"] = 2
    path = tmp_path / "rules.yaml"
    path.write_text(dump(document), encoding="utf-8")
    # when
    rules = load_migration(path)
    # then
    assert (rules.version, rules.from_scheme, rules.to_scheme) == (2, "pre_r6", "r6_10")
