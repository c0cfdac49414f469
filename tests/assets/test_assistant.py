"""The classification assistant: questions, answers, suggestions with reasons, overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from isms.assets.classification import (
    Axis,
    Classification,
    DataError,
    InvalidAnswers,
    MissingReason,
    Source,
    UnknownClass,
    UnknownScheme,
    default_questions,
    load_questions,
    load_questions_text,
    record_override,
    suggest_classification,
    validate_answers,
)
from tests.assets.conftest import PLAIN_ANSWERS, dump, shipped


def _answers(**changes: bool | str) -> dict[str, bool | str]:
    return {**PLAIN_ANSWERS, **changes}


def test_the_questions_have_japanese_and_english_text():
    """Each question speaks both languages; the yes/no and choice kinds are set."""
    questions = default_questions()
    # then
    assert [q.id for q in questions.questions] == [
        "classified_document",
        "specific_personal_info",
        "sensitive_personal_info",
        "personal_info",
        "number_of_persons",
        "published",
        "leak_harm",
        "alteration_harm",
        "loss_harm",
        "max_downtime",
    ]
    assert all(q.text_ja and q.text_en for q in questions.questions)
    specific = questions.question("specific_personal_info")
    assert specific is not None
    assert specific.text_ja == (
        "特定個人情報（マイナンバー（個人番号）を含む個人情報）を含みますか？"
    )
    assert questions.schemes == ("pre_r6", "r6_10")


def test_a_plain_internal_document_is_class_two_one_one():
    """Not published, no harm: 機密性2, 完全性1, 可用性1, with the criterion that led there."""
    suggestion = suggest_classification(PLAIN_ANSWERS, scheme="pre_r6")
    # then
    assert suggestion.suggested == Classification("pre_r6", "2", "1", "1")
    reason = suggestion.reason(Axis.CONFIDENTIALITY)
    assert reason.rule_id == "not_published"
    assert reason.because_ja == (
        "直ちに一般に公表することを前提としていないため（機密性2の分類基準）。"
    )
    assert reason.because_en == (
        "It is not meant for immediate publication (criteria of confidentiality 2)."
    )
    assert reason.criteria_ja.startswith(
        "行政事務で取り扱う情報資産のうち、秘密文書に相当する機密性は"
    )
    assert reason.source is Source.GUIDELINE


def test_published_information_is_class_one():
    """公表済み → 機密性1 / 自治体機密性1."""
    for scheme in ("pre_r6", "r6_10"):
        suggestion = suggest_classification(_answers(published=True), scheme=scheme)
        assert suggestion.suggested.confidentiality == "1"


def _class(changes: dict[str, bool | str], scheme: str, axis: Axis) -> str:
    return suggest_classification(_answers(**changes), scheme=scheme).suggested.get(axis)


PERSONAL = {"personal_info": True, "number_of_persons": "under_1000"}


@pytest.mark.parametrize(
    ("changes", "pre_r6", "r6_10"),
    [
        ({"classified_document": True}, "3", "3A"),
        ({"specific_personal_info": True, **PERSONAL}, "3", "3B"),
        ({"sensitive_personal_info": True, **PERSONAL}, "3", "3B"),
        ({"personal_info": True, "number_of_persons": "at_least_1000"}, "3", "3B"),
        (PERSONAL, "2", "3C"),
        ({"leak_harm": "serious"}, "3", "3B"),
        ({"leak_harm": "minor"}, "2", "3C"),
        ({**PERSONAL, "published": True}, "2", "3C"),
    ],
)
def test_confidentiality_follows_the_answers(changes, pre_r6, r6_10):
    """特定個人情報 → 機密性3 / 自治体機密性3B; ordinary personal information → 2 / 3C; ..."""
    assert _class(changes, "pre_r6", Axis.CONFIDENTIALITY) == pre_r6
    assert _class(changes, "r6_10", Axis.CONFIDENTIALITY) == r6_10


def test_specific_personal_information_explains_itself_in_r6_10():
    """The 3B reason names 特定個人情報."""
    suggestion = suggest_classification(
        _answers(specific_personal_info=True, personal_info=True, number_of_persons="under_1000"),
        scheme="r6_10",
    )
    # then
    reason = suggestion.reason(Axis.CONFIDENTIALITY)
    assert reason.class_id == "3B"
    assert reason.because_ja == (
        "特定個人情報を含み、漏えい時の個人の権利利益の侵害の度合いが大きいため（自治体機密性3Bの例）。"
    )


def test_integrity_two_when_alteration_harms_more_than_slightly():
    """改ざん等の影響が軽微とはいえない → 完全性2."""
    assert _class({"alteration_harm": "serious"}, "pre_r6", Axis.INTEGRITY) == "2"
    assert _class({"alteration_harm": "minor"}, "pre_r6", Axis.INTEGRITY) == "1"


@pytest.mark.parametrize(
    ("changes", "expected", "rule"),
    [
        ({"loss_harm": "serious"}, "2", "serious_loss_harm"),
        ({"max_downtime": "hours"}, "2", "short_downtime"),
        ({"max_downtime": "one_business_day"}, "2", "short_downtime"),
        ({"max_downtime": "several_days", "loss_harm": "minor"}, "1", "minor_loss_harm"),
    ],
)
def test_availability_follows_the_harm_and_the_tolerable_downtime(changes, expected, rule):
    """Services residents depend on, or a short tolerable downtime → 可用性2."""
    suggestion = suggest_classification(_answers(**changes), scheme="r6_10")
    # then
    assert suggestion.suggested.availability == expected
    assert suggestion.reason(Axis.AVAILABILITY).rule_id == rule


def test_yes_and_no_are_accepted_as_text():
    """'yes'/'はい' and 'no'/'いいえ' normalise to booleans."""
    normalised = validate_answers(
        _answers(published="はい", personal_info="no", classified_document="いいえ")
    )
    # then
    assert normalised["published"] is True
    assert normalised["personal_info"] is False
    assert normalised["classified_document"] is False


def test_an_unknown_question_is_refused():
    """Answering a question that does not exist is an error."""
    with pytest.raises(InvalidAnswers) as info:
        validate_answers(_answers(colour="red"))
    # then
    (problem,) = info.value.problems
    assert (problem.code, problem.question) == ("unknown_question", "colour")
    assert str(info.value) == (
        "unknown question 'colour'\n  hint: answer every required question with one of its "
        "options, and no other question"
    )


def test_a_missing_required_answer_is_refused():
    """Leaving 特定個人情報 unanswered is an error naming the question in both languages."""
    answers = dict(PLAIN_ANSWERS)
    del answers["specific_personal_info"]
    # when
    with pytest.raises(InvalidAnswers) as info:
        suggest_classification(answers, scheme="pre_r6")
    # then
    (problem,) = info.value.problems
    assert problem.code == "missing_answer"
    assert problem.message_ja == (
        "質問 'specific_personal_info' に回答が必要: "
        "特定個人情報（マイナンバー（個人番号）を含む個人情報）を含みますか？"
    )


def test_a_conditional_question_is_required_only_when_asked():
    """The number of persons is asked only when personal information is held."""
    with pytest.raises(InvalidAnswers) as info:
        validate_answers(_answers(personal_info=True))
    # then
    assert [(p.code, p.question) for p in info.value.problems] == [
        ("missing_answer", "number_of_persons")
    ]
    assert "number_of_persons" not in validate_answers(PLAIN_ANSWERS)


def test_a_value_that_is_not_an_option_is_refused():
    """'catastrophic' is not an option of leak_harm; every problem is reported at once."""
    with pytest.raises(InvalidAnswers) as info:
        validate_answers(_answers(leak_harm="catastrophic", published=3))
    # then
    assert [(p.code, p.question) for p in info.value.problems] == [
        ("invalid_value", "published"),
        ("invalid_value", "leak_harm"),
    ]
    assert info.value.problems[1].message_en == (
        "'catastrophic' is not an answer to 'leak_harm' (allowed: none, minor, serious)"
    )


def test_a_scheme_without_rules_is_refused():
    """The assistant only suggests for schemes its data has rules for."""
    from isms.assets.classification import load_scheme_text

    document = shipped("schemes", "pre_r6.yaml")
    document["id"] = "custom"
    custom = load_scheme_text(dump(document), source="custom.yaml")
    # when
    with pytest.raises(UnknownScheme):
        suggest_classification(PLAIN_ANSWERS, scheme=custom)


def test_an_override_with_a_reason_changes_the_classification():
    """The user may choose another class, saying why; the suggestion is kept beside it."""
    suggestion = suggest_classification(PLAIN_ANSWERS, scheme="pre_r6")
    # when
    overridden = record_override(
        suggestion, Axis.AVAILABILITY, "2", reason="  窓口業務で毎日使うため  "
    )
    # then
    assert overridden.classification == Classification("pre_r6", "2", "1", "2")
    assert overridden.suggested == suggestion.suggested
    (override,) = overridden.overrides
    assert (override.axis, override.suggested, override.chosen, override.reason) == (
        Axis.AVAILABILITY,
        "1",
        "2",
        "窓口業務で毎日使うため",
    )


def test_a_second_override_of_one_axis_replaces_the_first():
    """Only the latest override per axis counts."""
    suggestion = suggest_classification(PLAIN_ANSWERS, scheme="pre_r6")
    once = record_override(suggestion, Axis.CONFIDENTIALITY, "3", reason="a")
    # when
    twice = record_override(once, Axis.CONFIDENTIALITY, "1", reason="b")
    # then
    assert [o.chosen for o in twice.overrides] == ["1"]
    assert twice.classification.confidentiality == "1"


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_an_override_without_a_reason_is_refused(reason):
    """A blank reason is refused and nothing changes."""
    suggestion = suggest_classification(PLAIN_ANSWERS, scheme="pre_r6")
    # when
    with pytest.raises(MissingReason) as info:
        record_override(suggestion, Axis.CONFIDENTIALITY, "3", reason=reason)
    # then
    assert str(info.value) == (
        "overriding the suggested confidentiality class needs a reason\n"
        "  hint: say why the suggested class does not fit this asset"
    )
    assert suggestion.overrides == ()


def test_an_override_to_an_unknown_class_is_refused():
    """3B is not a pre_r6 class."""
    suggestion = suggest_classification(PLAIN_ANSWERS, scheme="pre_r6")
    with pytest.raises(UnknownClass):
        record_override(suggestion, Axis.CONFIDENTIALITY, "3B", reason="見直し")


def _questions() -> dict:
    return shipped("questions.yaml")


def test_a_rule_naming_an_unknown_question_is_refused():
    """Rules may only read defined questions."""
    document = _questions()
    document["rules"]["pre_r6"]["integrity"][0]["when"] = {"tampering": "serious"}
    # when
    with pytest.raises(DataError) as info:
        load_questions_text(dump(document), source="q.yaml")
    # then
    assert info.value.path == "rules.pre_r6.integrity[0].when.tampering"
    assert info.value.message == "unknown question 'tampering'"


def test_a_rule_with_a_value_that_is_not_an_option_is_refused():
    """leak_harm has no option 'huge'."""
    document = _questions()
    document["rules"]["r6_10"]["confidentiality"][4]["when"] = {"leak_harm": "huge"}
    # when
    with pytest.raises(DataError) as info:
        load_questions_text(dump(document), source="q.yaml")
    # then
    assert info.value.message == "'huge' is not an option of 'leak_harm'"
    assert info.value.hint == "use one of: none, minor, serious"


def test_a_yes_no_condition_must_be_a_boolean():
    """published: 'yes' (a string) is refused: write true."""
    document = _questions()
    document["rules"]["pre_r6"]["confidentiality"][6]["when"] = {"published": "yes"}
    # when
    with pytest.raises(DataError) as info:
        load_questions_text(dump(document), source="q.yaml")
    # then
    assert info.value.message == "'published' is a yes/no question; expected true or false"


def test_a_rule_giving_an_unknown_class_is_refused():
    """pre_r6 has no 3B."""
    document = _questions()
    document["rules"]["pre_r6"]["confidentiality"][0]["class"] = "3B"
    # when
    with pytest.raises(DataError) as info:
        load_questions_text(dump(document), source="q.yaml")
    # then
    assert info.value.path == "rules.pre_r6.confidentiality[0].class"
    assert info.value.hint == "use one of: 3, 2, 1"


def test_each_axis_must_end_with_a_rule_that_always_holds():
    """Without a catch-all some answers would give no class."""
    document = _questions()
    document["rules"]["pre_r6"]["integrity"].pop()
    # when
    with pytest.raises(DataError) as info:
        load_questions_text(dump(document), source="q.yaml")
    # then
    assert info.value.path == "rules.pre_r6.integrity[0].when"
    assert info.value.message == "the last rule of an axis must always hold"


def test_rules_for_an_unknown_scheme_are_refused():
    """rules.r9_99 names no scheme."""
    document = _questions()
    document["rules"]["r9_99"] = document["rules"]["pre_r6"]
    # when
    with pytest.raises(DataError) as info:
        load_questions_text(dump(document), source="q.yaml")
    # then
    assert info.value.path == "rules.r9_99"


def test_a_question_defined_twice_is_refused():
    """Two questions with one id are refused."""
    document = _questions()
    document["questions"].append(dict(document["questions"][0]))
    # when
    with pytest.raises(DataError) as info:
        load_questions_text(dump(document), source="q.yaml")
    # then
    assert info.value.message == "question 'classified_document' is defined twice"


def test_a_choice_question_needs_options():
    """kind: choice without options is refused by the schema."""
    document = _questions()
    del document["questions"][4]["options"]
    # when
    with pytest.raises(DataError) as info:
        load_questions_text(dump(document), source="q.yaml")
    # then
    assert info.value.path == "questions[4]"


def test_questions_load_from_a_file(tmp_path: Path):
    """A municipality's own question set loads from a path."""
    document = _questions()
    document["version"] = 3
    path = tmp_path / "questions.yaml"
    path.write_text(dump(document), encoding="utf-8")
    # when
    questions = load_questions(path)
    # then
    assert questions.version == 3
