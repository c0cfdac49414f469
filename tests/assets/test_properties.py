"""Properties over every classification, fact and answer combination (hypothesis)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from isms.assets.classification import (
    BUILTIN_SCHEMES,
    AssetFacts,
    AssetKind,
    AssetStatus,
    Axis,
    Classification,
    Segment,
    check_asset,
    default_handling_categories,
    default_questions,
    derive_handling,
    get_scheme,
    handling_category,
    likely_duplicates,
    migrate_classification,
    resolve_review_item,
    suggest_classification,
)
from isms.assets.classification.model import covered_ids
from isms.core.kana import fold


def classifications(scheme_id: str) -> st.SearchStrategy[Classification]:
    scheme = get_scheme(scheme_id)
    return st.builds(
        Classification,
        st.just(scheme_id),
        *(st.sampled_from(scheme.scale(axis).class_ids) for axis in Axis),
    )


def _rank(classification: Classification, axis: Axis) -> int:
    return get_scheme(classification.scheme).level(axis, classification.get(axis)).rank


def _at_most(a: Classification, b: Classification) -> bool:
    return all(_rank(a, axis) <= _rank(b, axis) for axis in Axis)


pairs = st.sampled_from(BUILTIN_SCHEMES).flatmap(
    lambda s: st.tuples(classifications(s), classifications(s))
)

facts = st.builds(
    AssetFacts,
    kind=st.none() | st.sampled_from(AssetKind),
    segment=st.none() | st.sampled_from(Segment),
    holds_personal_info=st.booleans(),
    holds_specific_personal_info=st.booleans(),
    holds_sensitive_personal_info=st.booleans(),
    classified_document=st.booleans(),
    number_of_persons=st.none() | st.integers(min_value=0, max_value=100_000),
    mfa_confirmed=st.booleans(),
    export_blocked_confirmed=st.booleans(),
    has_backup_and_rto=st.booleans(),
    has_owner=st.booleans(),
    status=st.sampled_from(AssetStatus),
    disposal_approved=st.booleans(),
    used_by_university=st.booleans(),
    city_owned=st.booleans(),
    in_scope=st.booleans(),
    out_of_scope_reason=st.sampled_from(["", "  ", "医療に用いる"]),
)


@given(pairs)
def test_a_higher_class_never_yields_fewer_restrictions(pair):
    """If b is at least a on every axis, b's restrictions cover a's (held or superseded)."""
    a, b = pair
    if not _at_most(a, b):
        a, b = b, a
    if not _at_most(a, b):
        return  # incomparable pair
    scheme = get_scheme(a.scheme)
    catalogue = {r.id: r for r in scheme.restrictions}
    # when
    lower = derive_handling(a)
    higher = derive_handling(b)
    # then
    covered = covered_ids([catalogue[i] for i in higher.ids], catalogue)
    assert lower.ids <= covered
    assert set(lower.approvals()) <= set(higher.approvals())


@given(pairs)
def test_a_higher_class_never_maps_to_a_looser_category(pair):
    """取扱区分 are monotone in the classes too."""
    a, b = pair
    if not _at_most(a, b):
        a, b = b, a
    if not _at_most(a, b):
        return
    categories = default_handling_categories(a.scheme)
    # then
    assert handling_category(a, categories).rank <= handling_category(b, categories).rank


@given(classifications("pre_r6"), facts)
def test_migration_yields_a_valid_triple_or_valid_review_items(classification, asset):
    """Any pre_r6 triple migrates to valid r6_10 classes, or to reviews with valid candidates."""
    new = get_scheme("r6_10")
    # when
    outcome = migrate_classification(classification, facts=asset)
    # then
    if outcome.is_complete:
        assert outcome.classification is not None
        new.validate(outcome.classification)
        return
    assert outcome.classification is None
    for item in outcome.pending:
        assert getattr(outcome, item.axis.value) is None
        assert set(item.candidates) <= set(new.scale(item.axis).class_ids)
        assert item.suggested is None or item.suggested in item.candidates
    # and resolving every item with any candidate completes it validly
    for item in outcome.pending:
        outcome = resolve_review_item(outcome, item.axis, item.candidates[-1])
    assert outcome.classification is not None
    new.validate(outcome.classification)


@given(classifications("pre_r6"))
def test_migration_never_lowers_a_class_automatically(classification):
    """Automatic mappings keep the class: 2 → 2, 1 → 1."""
    outcome = migrate_classification(classification)
    # then
    for axis in Axis:
        target = getattr(outcome, axis.value)
        if target is not None:
            assert target == classification.get(axis)


def _answers_strategy() -> st.SearchStrategy[dict[str, bool | str]]:
    questions = default_questions()
    parts: dict[str, st.SearchStrategy[bool | str]] = {}
    for question in questions.questions:
        if question.kind == "yes_no":
            parts[question.id] = st.booleans()
        else:
            parts[question.id] = st.sampled_from([o.id for o in question.options])
    return st.fixed_dictionaries(parts)


answers = _answers_strategy()


@given(answers, st.sampled_from(BUILTIN_SCHEMES))
def test_any_valid_answers_give_a_valid_classification_with_reasons(given_answers, scheme_id):
    """Every axis gets a class of the scheme and a reason in both languages."""
    suggestion = suggest_classification(given_answers, scheme=scheme_id)
    # then
    get_scheme(scheme_id).validate(suggestion.suggested)
    assert [r.axis for r in suggestion.reasons] == list(Axis)
    assert all(r.because_ja and r.because_en and r.criteria_ja for r in suggestion.reasons)


@given(
    answers,
    st.sampled_from(BUILTIN_SCHEMES),
    st.sampled_from(["classified_document", "specific_personal_info", "sensitive_personal_info"]),
)
def test_answering_yes_to_a_sensitive_question_never_lowers_confidentiality(
    given_answers, scheme_id, question
):
    """秘密文書 / 特定個人情報 / 要配慮個人情報: 'yes' never suggests a lower class than 'no'."""
    no = suggest_classification({**given_answers, question: False}, scheme=scheme_id)
    yes = suggest_classification({**given_answers, question: True}, scheme=scheme_id)
    # then
    assert _rank(no.suggested, Axis.CONFIDENTIALITY) <= _rank(yes.suggested, Axis.CONFIDENTIALITY)


@given(answers, st.sampled_from(BUILTIN_SCHEMES))
def test_more_leak_harm_never_lowers_confidentiality(given_answers, scheme_id):
    """none ≤ minor ≤ serious harm gives non-decreasing confidentiality."""
    ranks = [
        _rank(
            suggest_classification(
                {**given_answers, "leak_harm": harm}, scheme=scheme_id
            ).suggested,
            Axis.CONFIDENTIALITY,
        )
        for harm in ("none", "minor", "serious")
    ]
    assert ranks == sorted(ranks)


@given(facts, st.sampled_from(BUILTIN_SCHEMES).flatmap(lambda s: st.none() | classifications(s)))
def test_checks_never_fail_on_valid_facts_and_always_explain(asset, classification):
    """check_asset returns explained inconsistencies for any valid input."""
    from dataclasses import replace

    asset = replace(asset, classification=classification)
    # when
    found = check_asset(asset)
    # then
    for item in found:
        assert item.message_ja and item.message_en and item.fix_ja and item.fix_en
    assert len({i.code for i in found}) == len(found)


names = st.sampled_from(
    ["マイナンバー端末", "ﾏｲﾅﾝﾊﾞｰ端末", "まいなんばー 端末", "庁内LAN", "庁内ＬＡＮ"]
)


@given(
    st.lists(
        st.tuples(
            names, st.sampled_from(["市民課", "税務課"]), st.sampled_from(["", "1F", "１Ｆ"])
        ),
        max_size=8,
    )
)
def test_duplicate_groups_share_the_folded_name_and_unit(rows):
    """Each group has two or more ids whose folded name and unit agree."""
    assets = [(str(index), *row) for index, row in enumerate(rows)]
    by_id = {a[0]: a for a in assets}
    # when
    groups = likely_duplicates(assets)
    # then
    for group in groups:
        assert len(group) >= 2
        assert list(group) == sorted(group)
        assert len({(fold(by_id[i][1]), fold(by_id[i][2])) for i in group}) == 1
