"""Classification schemes: the shipped data, the loader's checks and its error messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from isms.assets.classification import (
    BUILTIN_SCHEMES,
    Axis,
    Classification,
    Confidence,
    DataError,
    HandlingStage,
    Source,
    UnknownClass,
    UnknownScheme,
    get_scheme,
    load_scheme,
    load_scheme_text,
)
from tests.assets.conftest import dump


def _load(document: dict[str, Any]) -> None:
    load_scheme_text(dump(document), source="scheme.yaml")


def test_pre_r6_has_the_old_classes_highest_first():
    """pre_r6 is 機密性3/2/1, 完全性2/1, 可用性2/1, ranked from the top."""
    scheme = get_scheme("pre_r6")
    # then
    assert scheme.confidentiality.class_ids == ("3", "2", "1")
    assert scheme.integrity.class_ids == ("2", "1")
    assert scheme.availability.class_ids == ("2", "1")
    assert [c.rank for c in scheme.confidentiality.classes] == [3, 2, 1]
    assert scheme.confidentiality.label_ja == "機密性"
    assert scheme.level(Axis.CONFIDENTIALITY, "3").label_ja == "機密性3"
    assert scheme.edition_month == "2023-03"
    assert scheme.version == 1


def test_r6_10_has_five_municipal_confidentiality_classes():
    """r6_10 is 自治体機密性3A/3B/3C/2/1 with two-level integrity and availability."""
    scheme = get_scheme("r6_10")
    # then
    assert scheme.confidentiality.class_ids == ("3A", "3B", "3C", "2", "1")
    assert scheme.confidentiality.label_ja == "自治体機密性"
    assert scheme.level(Axis.CONFIDENTIALITY, "3B").label_ja == "自治体機密性3B"
    assert scheme.integrity.class_ids == ("2", "1")
    assert scheme.availability.class_ids == ("2", "1")
    assert scheme.guideline_edition == "r6_10"
    assert scheme.edition_month == "2024-10"


def test_class_criteria_carry_the_guideline_text_and_its_confidence():
    """The 分類基準 of 機密性2 is the guideline's wording, confirmed by a public source."""
    level = get_scheme("pre_r6").level(Axis.CONFIDENTIALITY, "2")
    # then
    assert level.criteria_ja == (
        "行政事務で取り扱う情報資産のうち、秘密文書に相当する機密性は要しないが、"
        "直ちに一般に公表することを前提としていない情報資産"
    )
    assert level.criteria_source is Source.GUIDELINE
    assert level.criteria_confidence is Confidence.CONFIRMED


@pytest.mark.parametrize("scheme_id", BUILTIN_SCHEMES)
def test_every_restriction_says_where_it_comes_from(scheme_id):
    """Guideline restrictions have a confidence mark; derived ones have none; all have a basis."""
    scheme = get_scheme(scheme_id)
    # then
    for restriction in scheme.restrictions:
        assert restriction.basis
        assert (restriction.confidence is None) is (restriction.source is Source.DERIVED)
    assert {r.source for r in scheme.restrictions} == {Source.GUIDELINE, Source.DERIVED}


def test_lifecycle_approvals_of_the_policy_model_are_on_class_two_and_up():
    """運搬, 提供 and 廃棄 of 機密性2以上 need the 情報セキュリティ管理者's permission."""
    level = get_scheme("pre_r6").level(Axis.CONFIDENTIALITY, "2")
    # then
    approvals = {r.stage for r in level.restrictions if r.approval == "division_security_manager"}
    assert approvals == {
        HandlingStage.TRANSPORT,
        HandlingStage.PROVIDE_PUBLISH,
        HandlingStage.DISPOSE,
    }


def test_confidentiality_three_only_forbids_other_than_issued_terminals():
    """支給以外の端末での作業の原則禁止 applies to 機密性3, not 機密性2."""
    scheme = get_scheme("pre_r6")
    # when
    three = {r.id for r in scheme.level(Axis.CONFIDENTIALITY, "3").restrictions}
    two = {r.id for r in scheme.level(Axis.CONFIDENTIALITY, "2").restrictions}
    # then
    assert three - two == {"use.issued_terminals_only"}


def test_forbidden_segments_follow_the_issue():
    """機密性3 (pre_r6) and 3A/3B (r6_10) must not be in the internet segment; 3C may."""
    pre, new = get_scheme("pre_r6"), get_scheme("r6_10")
    # then
    assert pre.level(Axis.CONFIDENTIALITY, "3").not_in_segments == ("internet",)
    assert [c.not_in_segments for c in new.confidentiality.classes] == [
        ("internet",),
        ("internet",),
        (),
        (),
        (),
    ]


def test_get_scheme_refuses_an_unknown_id():
    """An unknown scheme id names the known ones."""
    with pytest.raises(UnknownScheme) as info:
        get_scheme("r9_99")
    # then
    assert str(info.value) == (
        "unknown classification scheme 'r9_99'\n  hint: use one of: pre_r6, r6_10"
    )
    assert info.value.render("ja") == (
        "分類体系 'r9_99' は存在しない\n  修正方法: 次のいずれかを指定してください: pre_r6, r6_10"
    )


def test_an_unknown_class_is_refused_with_the_known_ones():
    """3A is not a class of pre_r6."""
    scheme = get_scheme("pre_r6")
    # when
    with pytest.raises(UnknownClass) as info:
        scheme.classification("3A", "2", "2")
    # then
    assert str(info.value) == (
        "'3A' is not a confidentiality class of scheme 'pre_r6'\n  hint: use one of: 3, 2, 1"
    )


def test_a_classification_of_another_scheme_is_refused():
    """A r6_10 classification does not validate against pre_r6."""
    with pytest.raises(UnknownClass):
        get_scheme("pre_r6").validate(Classification("r6_10", "2", "2", "2"))


def test_load_scheme_reads_a_file(tmp_path: Path, pre_r6_document):
    """A municipality's own revision loads from a path."""
    pre_r6_document["version"] = 2
    path = tmp_path / "own.yaml"
    path.write_text(dump(pre_r6_document), encoding="utf-8")
    # when
    scheme = load_scheme(path)
    # then
    assert scheme.version == 2


def test_a_missing_file_is_a_data_error(tmp_path: Path):
    """A path that does not exist says so, naming the path."""
    with pytest.raises(DataError) as info:
        load_scheme(tmp_path / "missing.yaml")
    # then
    assert info.value.source == str(tmp_path / "missing.yaml")
    assert "cannot read the file" in info.value.message


def test_bad_yaml_names_the_line_and_column():
    """Broken YAML reports where the parser stopped."""
    with pytest.raises(DataError) as info:
        load_scheme_text("id: pre_r6\nversion: [1\n", source="bad.yaml")
    # then
    assert str(info.value) == (
        "bad.yaml: line 3, column 1: not valid YAML: expected ',' or ']', but got '<stream end>'"
        "\n  hint: check indentation and quoting at that place"
    )


def test_a_schema_violation_names_the_path(pre_r6_document):
    """An unknown stage is refused at its JSON path."""
    pre_r6_document["restrictions"][0]["stage"] = "archive"
    # when
    with pytest.raises(DataError) as info:
        _load(pre_r6_document)
    # then
    assert info.value.path == "restrictions[0].stage"
    assert info.value.message == (
        "invalid scheme file: 'archive' is not one of ['create', 'obtain', 'use', 'store', "
        "'transmit', 'transport', 'provide_publish', 'dispose']"
    )


def test_a_guideline_restriction_needs_a_confidence_mark(pre_r6_document):
    """source: guideline without confidence is refused."""
    del pre_r6_document["restrictions"][0]["confidence"]
    # when
    with pytest.raises(DataError) as info:
        _load(pre_r6_document)
    # then
    assert info.value.path == "restrictions[0]"
    assert "'confidence' is a required property" in info.value.message


def test_a_class_must_list_every_stage(pre_r6_document):
    """A class without the 廃棄 stage is refused: every stage is written down, [] for none."""
    del pre_r6_document["axes"]["integrity"]["classes"][1]["handling"]["dispose"]
    # when
    with pytest.raises(DataError) as info:
        _load(pre_r6_document)
    # then
    assert info.value.path == "axes.integrity.classes[1].handling"
    assert info.value.message == "invalid scheme file: 'dispose' is a required property"


def test_an_unknown_field_lists_the_allowed_ones(pre_r6_document):
    """A typo in a field name says which fields are allowed."""
    pre_r6_document["axes"]["availability"]["lable_ja"] = "可用性"
    # when
    with pytest.raises(DataError) as info:
        _load(pre_r6_document)
    # then
    assert info.value.path == "axes.availability"
    assert info.value.hint == "allowed fields here: classes, label_en, label_ja"


def test_an_unknown_restriction_id_is_refused(pre_r6_document):
    """A class may only list restrictions of the catalogue."""
    pre_r6_document["axes"]["confidentiality"]["classes"][0]["handling"]["use"].append(
        "use.nonexistent"
    )
    # when
    with pytest.raises(DataError) as info:
        _load(pre_r6_document)
    # then
    assert str(info.value) == (
        "scheme.yaml: axes.confidentiality.classes[0].handling.use[3]: unknown restriction "
        "'use.nonexistent'\n  hint: define it under 'restrictions' or fix the id"
    )


def test_a_restriction_listed_under_the_wrong_stage_is_refused(pre_r6_document):
    """dispose.record listed under 保管 is refused."""
    pre_r6_document["common"]["store"].append("dispose.record")
    # when
    with pytest.raises(DataError) as info:
        _load(pre_r6_document)
    # then
    assert info.value.path == "common.store[1]"
    assert info.value.message == (
        "restriction 'dispose.record' belongs to stage 'dispose', not 'store'"
    )


def test_a_higher_class_must_not_require_less_than_a_lower_one(pre_r6_document):
    """Removing 廃棄の記録 from 機密性3 while 機密性2 keeps it is refused (monotone)."""
    pre_r6_document["axes"]["confidentiality"]["classes"][0]["handling"]["dispose"].remove(
        "dispose.record"
    )
    # when
    with pytest.raises(DataError) as info:
        _load(pre_r6_document)
    # then
    assert info.value.path == "axes.confidentiality.classes[0].handling"
    assert info.value.message == (
        "class '3' lacks dispose.record that the lower class '2' requires"
    )


def test_a_higher_class_may_replace_a_restriction_by_a_stricter_one(r6_10_document):
    """3B lists 'encrypt always' instead of 3C's 'encrypt where needed': that is monotone."""
    scheme = load_scheme_text(dump(r6_10_document), source="r6_10.yaml")
    # then
    ids = {r.id for r in scheme.level(Axis.CONFIDENTIALITY, "3B").restrictions}
    assert "transmit.encrypt_required" in ids
    assert "transmit.encrypt_as_needed" not in ids


def test_a_higher_class_must_forbid_what_a_lower_class_forbids(r6_10_document):
    """3A allowing the internet segment that 3B forbids is refused."""
    del r6_10_document["axes"]["confidentiality"]["classes"][0]["not_in_segments"]
    # when
    with pytest.raises(DataError) as info:
        _load(r6_10_document)
    # then
    assert info.value.path == "axes.confidentiality.classes[0].not_in_segments"
    assert info.value.message == (
        "class '3A' allows segments internet that the lower class '3B' forbids"
    )


def test_a_restriction_defined_twice_is_refused(pre_r6_document):
    """Two catalogue entries with one id are refused."""
    pre_r6_document["restrictions"].append(dict(pre_r6_document["restrictions"][0]))
    # when
    with pytest.raises(DataError) as info:
        _load(pre_r6_document)
    # then
    assert info.value.message == "restriction 'create.no_unnecessary' is defined twice"


def test_a_restriction_id_must_start_with_its_stage(pre_r6_document):
    """An id 'use.x' at stage 'store' is refused."""
    pre_r6_document["restrictions"][0]["stage"] = "store"
    # when
    with pytest.raises(DataError) as info:
        _load(pre_r6_document)
    # then
    assert info.value.path == "restrictions[0].id"
    assert info.value.hint == "start the id with 'store.'"


def test_supersedes_must_name_a_restriction_of_the_same_stage(pre_r6_document):
    """A restriction can only replace an existing one of its own stage."""
    restriction = next(r for r in pre_r6_document["restrictions"] if r["id"] == "dispose.record")
    restriction["supersedes"] = ["store.backup"]
    # when
    with pytest.raises(DataError) as info:
        _load(pre_r6_document)
    # then
    assert info.value.message == "'dispose.record' supersedes 'store.backup' of another stage"


def test_a_supersedes_cycle_is_refused(pre_r6_document):
    """Two restrictions that replace each other are refused."""
    backup = next(r for r in pre_r6_document["restrictions"] if r["id"] == "store.backup")
    backup["supersedes"] = ["store.backup_separate_site"]
    # when
    with pytest.raises(DataError) as info:
        _load(pre_r6_document)
    # then
    assert "supersedes itself through a cycle" in info.value.message


def test_a_class_listed_twice_is_refused(pre_r6_document):
    """An axis lists each class once."""
    classes = pre_r6_document["axes"]["integrity"]["classes"]
    classes.append(dict(classes[1]))
    # when
    with pytest.raises(DataError) as info:
        _load(pre_r6_document)
    # then
    assert info.value.path == "axes.integrity.classes[2].id"


def test_errors_render_in_japanese(pre_r6_document):
    """render('ja') gives the Japanese message with the place."""
    pre_r6_document["axes"]["confidentiality"]["classes"][0]["handling"]["dispose"].remove(
        "dispose.record"
    )
    # when
    with pytest.raises(DataError) as info:
        _load(pre_r6_document)
    # then
    assert info.value.render("ja").startswith(
        "scheme.yaml: axes.confidentiality.classes[0].handling: 分類 '3' に、下位の分類 '2' の"
        "取扱制限 dispose.record がない\n  修正方法: "
    )
