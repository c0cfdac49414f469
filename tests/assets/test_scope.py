"""Scope (基本方針 2.4): the exclusions by use, and city-owned assets of 都留文科大学."""

from __future__ import annotations

import pytest

from isms.assets.classification import (
    DataError,
    ScopeExclusion,
    UnknownValue,
    decide_scope,
    load_scope_rules_text,
)
from tests.assets.conftest import dump, shipped


def test_teaching_at_the_schools_is_out_of_scope_with_the_reason():
    """教育委員会（小中学校）で教育に用いる情報資産 are excluded."""
    decision = decide_scope(facility="school", purpose="teaching")
    # then
    assert decision.in_scope is False
    assert decision.reason_code == ScopeExclusion.SCHOOL_EDUCATION.value
    assert decision.reason_ja == (
        "教育委員会（小中学校）で教育に用いる情報資産は、情報セキュリティポリシーの適用範囲外"
        "（基本方針2.4(2)）。"
    )


@pytest.mark.parametrize("facility", ["city_hospital", "care_facility"])
def test_medical_care_at_the_hospital_and_care_facility_is_out_of_scope(facility):
    """都留市立病院 and 介護老人保健施設つる: assets used for medical care are excluded."""
    decision = decide_scope(facility=facility, purpose="medical_care")
    # then
    assert (decision.in_scope, decision.reason_code) == (False, ScopeExclusion.MEDICAL.value)


@pytest.mark.parametrize(
    ("facility", "purpose"),
    [
        ("school", "administration"),
        ("city_hospital", "administration"),
        ("care_facility", "administration"),
        ("school", "medical_care"),
        ("other", "teaching"),
    ],
)
def test_other_uses_of_those_bodies_stay_in_scope(facility, purpose):
    """Read literally, each exclusion covers only that use: the rest stays in scope."""
    decision = decide_scope(facility=facility, purpose=purpose)
    # then
    assert (decision.in_scope, decision.reason_code) == (True, "in_scope")


def test_city_owned_assets_used_by_the_university_are_in_scope():
    """2.4(2)④: 都留文科大学で利用する情報資産のうち、都留市の保有するもの."""
    decision = decide_scope(facility="other", purpose="teaching", used_by_university=True)
    # then
    assert (decision.in_scope, decision.reason_code) == (True, "university_city_owned")


def test_university_assets_the_city_does_not_own_are_out_of_scope():
    """Only city-owned ones are in scope."""
    decision = decide_scope(
        facility="other", purpose="teaching", used_by_university=True, city_owned=False
    )
    # then
    assert (decision.in_scope, decision.reason_code) == (False, "not_city_owned")


def test_an_unknown_facility_is_refused():
    """The facilities are a closed vocabulary of the data."""
    with pytest.raises(UnknownValue) as info:
        decide_scope(facility="library", purpose="teaching")
    # then
    assert str(info.value) == (
        "unknown facility 'library'\n  hint: use one of: school, city_hospital, care_facility, "
        "other"
    )


def test_an_unknown_purpose_is_refused():
    """So are the purposes."""
    with pytest.raises(UnknownValue) as info:
        decide_scope(facility="school", purpose="sports")
    # then
    assert info.value.field == "purpose"


def test_an_exclusion_naming_an_undefined_facility_is_refused():
    """The data's exclusions may only name defined facilities."""
    document = shipped("scope.yaml")
    document["exclusions"][0]["facilities"] = ["kindergarten"]
    # when
    with pytest.raises(DataError) as info:
        load_scope_rules_text(dump(document), source="scope.yaml")
    # then
    assert info.value.path == "exclusions[0].facilities[0]"
    assert info.value.message == "unknown facility 'kindergarten'"
