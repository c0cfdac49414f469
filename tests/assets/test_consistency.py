"""Consistency checks of one asset: each planted inconsistency is found, a clean asset has none."""

from __future__ import annotations

from dataclasses import replace

import pytest

from isms.assets.classification import (
    CHECKS,
    AssetFacts,
    AssetKind,
    AssetStatus,
    Classification,
    Segment,
    Severity,
    UnknownClass,
    check_asset,
    get_scheme,
    load_scheme_text,
)
from tests.assets.conftest import dump, shipped

# A clean in-use LGWAN system: owner present, classed, backed up.
CLEAN = AssetFacts(
    asset_id="A-1",
    kind=AssetKind.SYSTEM_EQUIPMENT,
    segment=Segment.LGWAN,
    classification=Classification("pre_r6", "2", "2", "2"),
    holds_personal_info=True,
    has_backup_and_rto=True,
    has_owner=True,
)


def _codes(facts: AssetFacts) -> list[str]:
    return [i.code for i in check_asset(facts)]


def test_a_clean_asset_has_no_inconsistency():
    """The baseline is clean, so each test below plants exactly one problem."""
    assert check_asset(CLEAN) == []


def test_specific_personal_information_outside_mynumber_is_an_error():
    """特定個人情報 in the LGWAN segment: what is wrong and how to fix it, in both languages."""
    facts = replace(CLEAN, holds_specific_personal_info=True)
    # when
    (found,) = check_asset(facts)
    # then
    assert found.code == "specific_personal_info_outside_mynumber"
    assert found.severity is Severity.ERROR
    assert found.field == "segment"
    assert found.message_ja == "特定個人情報を含むが、マイナンバー利用事務系ではなく lgwan にある。"
    assert found.text("en") == (
        "The asset holds specific personal information (特定個人情報) but is in the lgwan "
        "segment, not the My Number segment. Fix: Move it to the My Number segment, or confirm "
        "that it holds no specific personal information and correct the record."
    )


def test_specific_personal_information_in_the_mynumber_segment_is_fine():
    """In the mynumber segment with confirmed controls, nothing is found."""
    facts = replace(
        CLEAN,
        holds_specific_personal_info=True,
        segment=Segment.MYNUMBER,
        mfa_confirmed=True,
        export_blocked_confirmed=True,
    )
    assert check_asset(facts) == []


@pytest.mark.parametrize(
    ("classification", "found"),
    [
        (Classification("pre_r6", "3", "2", "2"), True),
        (Classification("r6_10", "3A", "2", "2"), True),
        (Classification("r6_10", "3B", "2", "2"), True),
        (Classification("r6_10", "3C", "2", "2"), False),
        (Classification("pre_r6", "2", "2", "2"), False),
    ],
)
def test_confidentiality_three_in_the_internet_segment_is_an_error(classification, found):
    """機密性3 (or 3A/3B) must not be in the internet segment; 3C and 2 may."""
    facts = replace(CLEAN, segment=Segment.INTERNET, classification=classification)
    # then
    assert ("class_not_allowed_in_segment" in _codes(facts)) is found


def test_the_segment_message_names_the_class():
    """The message says which class is where."""
    facts = replace(
        CLEAN, segment=Segment.INTERNET, classification=Classification("r6_10", "3B", "2", "2")
    )
    # when
    found = next(i for i in check_asset(facts) if i.code == "class_not_allowed_in_segment")
    # then
    assert found.message_ja == "自治体機密性3Bの資産が internet にある。"


def test_mynumber_systems_need_confirmed_mfa_and_export_block():
    """Both controls of seed 2.6(3)① are checked separately."""
    facts = replace(CLEAN, segment=Segment.MYNUMBER)
    # then
    assert _codes(facts) == ["mynumber_mfa_unconfirmed", "mynumber_export_block_unconfirmed"]
    assert _codes(replace(facts, mfa_confirmed=True)) == ["mynumber_export_block_unconfirmed"]
    assert _codes(replace(facts, export_blocked_confirmed=True)) == ["mynumber_mfa_unconfirmed"]


def test_mynumber_information_assets_are_not_asked_for_terminal_controls():
    """MFA and 持ち出し不可 are settings of terminals and systems, not of information."""
    facts = replace(CLEAN, segment=Segment.MYNUMBER, kind=AssetKind.INFORMATION)
    assert check_asset(facts) == []


def test_availability_two_without_backup_and_recovery_time_is_an_error():
    """可用性2 needs a backup and a recovery time on record."""
    facts = replace(CLEAN, has_backup_and_rto=False)
    # when
    (found,) = check_asset(facts)
    # then
    assert (found.code, found.field) == ("availability_without_backup", "has_backup_and_rto")
    assert found.message_en == (
        "The asset is Availability 2 but has no record of a backup and a recovery time."
    )
    assert check_asset(replace(facts, classification=Classification("pre_r6", "2", "2", "1"))) == []


def test_a_medium_below_the_highest_class_it_holds_is_an_error():
    """A medium holding 機密性3 data while classed 機密性2 must be raised to 機密性3."""
    facts = replace(
        CLEAN,
        held_classifications=(
            Classification("pre_r6", "3", "1", "1"),
            Classification("pre_r6", "1", "2", "1"),
        ),
    )
    # when
    (found,) = check_asset(facts)
    # then
    assert found.code == "medium_below_highest_class"
    assert found.message_ja == "媒体の機密性が機密性2だが、記録された情報に機密性3がある。"
    assert found.fix_en == (
        "A medium holding mixed classes is handled at the highest class: set it to "
        "Confidentiality 3."
    )


def test_a_medium_at_the_highest_class_is_fine():
    """Mixed classes at or below the medium's own are fine."""
    facts = replace(
        CLEAN,
        held_classifications=(
            Classification("pre_r6", "2", "1", "1"),
            Classification("pre_r6", "1", "2", "2"),
        ),
    )
    assert check_asset(facts) == []


def test_a_medium_without_classes_holding_classified_data_is_an_error():
    """It must be classed at the highest class of what it holds."""
    facts = replace(
        CLEAN, classification=None, held_classifications=(Classification("pre_r6", "2", "1", "1"),)
    )
    assert _codes(facts) == ["unclassified", "medium_unclassified"]


def test_a_medium_holding_another_schemes_classes_is_a_warning():
    """Classes under another scheme cannot be compared: migrate first."""
    facts = replace(CLEAN, held_classifications=(Classification("r6_10", "3A", "1", "1"),))
    # when
    (found,) = check_asset(facts)
    # then
    assert (found.code, found.severity) == ("medium_mixed_schemes", Severity.WARNING)


def test_an_asset_without_owner_is_an_error():
    """Every asset has a 情報セキュリティ管理者."""
    assert _codes(replace(CLEAN, has_owner=False)) == ["no_owner"]


def test_disposed_without_approved_record_is_an_error():
    """廃棄 needs the 管理者's approval and a record; operational checks no longer apply."""
    facts = replace(
        CLEAN,
        status=AssetStatus.DISPOSED,
        segment=Segment.MYNUMBER,
        has_backup_and_rto=False,
    )
    # then
    assert _codes(facts) == ["disposed_without_approval"]
    assert _codes(replace(facts, disposal_approved=True)) == []


def test_out_of_scope_assets_need_a_reason_and_nothing_else():
    """An out-of-scope asset is only checked for its reason."""
    facts = replace(CLEAN, in_scope=False, has_owner=False, holds_specific_personal_info=True)
    # then
    assert _codes(facts) == ["out_of_scope_without_reason"]
    assert _codes(replace(facts, out_of_scope_reason="教育委員会（小中学校）で教育に用いる")) == []


def test_a_university_asset_not_owned_by_the_city_cannot_be_in_scope():
    """2.4(2)④ covers only city-owned assets."""
    facts = replace(CLEAN, used_by_university=True, city_owned=False)
    assert _codes(facts) == ["university_asset_not_city_owned"]
    assert _codes(replace(facts, city_owned=True)) == []


def test_personal_information_in_the_public_class_is_an_error():
    """個人情報 classed 機密性1 contradicts the class criteria."""
    facts = replace(CLEAN, classification=Classification("pre_r6", "1", "2", "2"))
    assert _codes(facts) == ["personal_info_in_public_class"]


def test_specific_personal_information_implies_personal_information():
    """The flags must agree: a warning points at holds_personal_info."""
    facts = replace(
        CLEAN,
        segment=Segment.MYNUMBER,
        kind=AssetKind.INFORMATION,
        holds_personal_info=False,
        holds_specific_personal_info=True,
    )
    # when
    (found,) = check_asset(facts)
    # then
    assert (found.code, found.severity, found.field) == (
        "personal_info_flags_inconsistent",
        Severity.WARNING,
        "holds_personal_info",
    )


def test_sensitive_personal_information_in_the_internet_segment_is_a_warning():
    """要配慮個人情報 in the internet segment is flagged for review."""
    facts = replace(CLEAN, segment=Segment.INTERNET, holds_sensitive_personal_info=True)
    assert _codes(facts) == ["sensitive_personal_info_in_internet_segment"]


def test_an_unclassified_asset_is_a_warning():
    """An in-use asset without classes is flagged."""
    assert _codes(replace(CLEAN, classification=None)) == ["unclassified"]


def test_a_planted_register_reports_every_problem():
    """One asset with many problems lists them all, in CHECKS order."""
    facts = AssetFacts(
        kind=AssetKind.SYSTEM_EQUIPMENT,
        segment=Segment.INTERNET,
        classification=Classification("pre_r6", "3", "2", "2"),
        holds_personal_info=True,
        holds_specific_personal_info=True,
        holds_sensitive_personal_info=True,
    )
    # then
    assert _codes(facts) == [
        "no_owner",
        "specific_personal_info_outside_mynumber",
        "class_not_allowed_in_segment",
        "sensitive_personal_info_in_internet_segment",
        "availability_without_backup",
    ]
    assert len(CHECKS) == 13


def test_unknown_classes_are_refused():
    """A class the scheme lacks is an input error, not an inconsistency."""
    with pytest.raises(UnknownClass):
        check_asset(replace(CLEAN, classification=Classification("pre_r6", "3A", "2", "2")))


def test_a_municipalitys_own_scheme_can_be_given():
    """schemes= supplies a scheme that is not built in."""
    document = shipped("schemes", "pre_r6.yaml")
    document["id"] = "tsuru_2026"
    del document["axes"]["confidentiality"]["classes"][0]["not_in_segments"]
    custom = load_scheme_text(dump(document), source="tsuru.yaml")
    facts = replace(
        CLEAN, segment=Segment.INTERNET, classification=Classification("tsuru_2026", "3", "2", "2")
    )
    # then
    assert check_asset(facts, schemes={"tsuru_2026": custom}) == []
    assert get_scheme("pre_r6").level  # the built-in scheme is untouched
