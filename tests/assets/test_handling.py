"""Derived 取扱制限 and the mapping of classes onto a municipality's 取扱区分."""

from __future__ import annotations

from pathlib import Path

import pytest

from isms.assets.classification import (
    Axis,
    Classification,
    DataError,
    HandlingStage,
    UnknownClass,
    default_handling_categories,
    derive_handling,
    get_scheme,
    handling_category,
    load_handling_categories,
    load_handling_categories_text,
)
from tests.assets.conftest import dump, shipped


def test_the_lowest_classes_get_only_the_common_restrictions():
    """機密性1・完全性1・可用性1 get what every asset gets, and nothing needs approval."""
    rules = derive_handling(Classification("pre_r6", "1", "1", "1"))
    # then
    assert rules.ids == {r.id for r in get_scheme("pre_r6").common}
    assert rules.approvals() == {}
    assert [a.restriction.id for a in rules.at(HandlingStage.TRANSMIT)] == []


def test_every_stage_is_listed_in_life_order():
    """作成, 入手, 利用, 保管, 送信, 運搬, 提供・公表, 廃棄."""
    rules = derive_handling(Classification("pre_r6", "2", "1", "1"))
    # then
    assert [stage.label_ja for stage, _applied in rules.stages] == [
        "作成",
        "入手",
        "利用",
        "保管",
        "送信",
        "運搬",
        "提供・公表",
        "廃棄",
    ]


def test_disposal_of_confidentiality_two_is_derived_from_the_class():
    """機密性2 disposal: unrecoverable, recorded, approved by the 情報セキュリティ管理者."""
    rules = derive_handling(Classification("pre_r6", "2", "1", "1"))
    # then
    assert [(a.restriction.id, a.required_by) for a in rules.at(HandlingStage.DISPOSE)] == [
        ("dispose.unrecoverable", ("confidentiality:2",)),
        ("dispose.record", ("confidentiality:2",)),
        ("dispose.approval", ("confidentiality:2",)),
    ]
    assert rules.approvals() == {
        HandlingStage.TRANSPORT: ("division_security_manager",),
        HandlingStage.PROVIDE_PUBLISH: ("division_security_manager",),
        HandlingStage.DISPOSE: ("division_security_manager",),
    }
    assert rules.needs_approval(HandlingStage.TRANSPORT) is True
    assert rules.needs_approval(HandlingStage.CREATE) is False


def test_a_restriction_required_by_several_classes_appears_once_crediting_each():
    """施錠可能な場所への保管 is required by 機密性2, 完全性2 and 可用性2: listed once."""
    rules = derive_handling(Classification("pre_r6", "2", "2", "2"))
    # when
    lockable = [
        a for a in rules.at(HandlingStage.STORE) if a.restriction.id == "store.lockable_place"
    ]
    # then
    assert len(lockable) == 1
    assert lockable[0].required_by == ("confidentiality:2", "integrity:2", "availability:2")


def test_the_strictest_restriction_wins():
    """完全性2 wants a backup, 可用性2 one out of reach of the same disaster: only the latter."""
    rules = derive_handling(Classification("pre_r6", "1", "2", "2"))
    # when
    store = {a.restriction.id: a.required_by for a in rules.at(HandlingStage.STORE)}
    # then
    assert "store.backup" not in store
    assert store["store.backup_separate_site"] == ("availability:2", "integrity:2")


def test_integrity_two_alone_keeps_the_plain_backup():
    """Without 可用性2 the 完全性2 backup stays as it is."""
    rules = derive_handling(Classification("pre_r6", "1", "2", "1"))
    # then
    assert "store.backup" in rules.ids
    assert "store.backup_separate_site" not in rules.ids


def test_r6_10_3b_always_encrypts():
    """自治体機密性3B gets 'always encrypt' in place of 'encrypt where needed'."""
    rules = derive_handling(Classification("r6_10", "3B", "1", "1"))
    # then
    transmit = [a.restriction.id for a in rules.at(HandlingStage.TRANSMIT)]
    assert transmit == ["transmit.encrypt_required", "transmit.trusted_network"]


def test_r6_10_3c_keeps_the_pre_r6_confidentiality_three_restrictions():
    """3C carries exactly what 機密性3 carried (the policy model: the old list carries over)."""
    new = derive_handling(Classification("r6_10", "3C", "2", "2"))
    old = derive_handling(Classification("pre_r6", "3", "2", "2"))
    # then
    assert new.ids == old.ids


def test_derive_handling_refuses_an_unknown_class():
    """機密性4 does not exist."""
    with pytest.raises(UnknownClass):
        derive_handling(Classification("pre_r6", "4", "1", "1"))


def test_the_shipped_category_maps_give_the_strictest_category():
    """An asset's 取扱区分 is the strictest its three classes map to."""
    categories = default_handling_categories("r6_10")
    # then
    assert handling_category(Classification("r6_10", "1", "1", "1"), categories).id == "public"
    assert handling_category(Classification("r6_10", "1", "2", "1"), categories).id == "internal"
    assert handling_category(Classification("r6_10", "3B", "1", "2"), categories).id == "strict"
    assert categories.category("strict").segments == ("mynumber", "lgwan")
    pre = default_handling_categories("pre_r6")
    assert handling_category(Classification("pre_r6", "3", "1", "1"), pre).label_ja == "厳重管理"


def test_a_category_map_of_another_scheme_is_refused():
    """A pre_r6 classification cannot be looked up in the r6_10 map."""
    from isms.assets.classification import UnknownScheme

    with pytest.raises(UnknownScheme):
        handling_category(
            Classification("pre_r6", "3", "1", "1"), default_handling_categories("r6_10")
        )


def _map_document() -> dict:
    return shipped("handling_categories", "r6_10.yaml")


def test_an_unmapped_class_is_refused():
    """Every class of every axis must be mapped: 3C missing is named."""
    document = _map_document()
    del document["mapping"]["confidentiality"]["3C"]
    # when
    with pytest.raises(DataError) as info:
        load_handling_categories_text(dump(document), source="map.yaml")
    # then
    assert str(info.value) == (
        "map.yaml: mapping.confidentiality: class '3C' of confidentiality is not mapped to a "
        "category\n  hint: map every class of every axis of the scheme"
    )


def test_an_unknown_class_in_the_map_is_refused():
    """機密性3 is not a class of r6_10."""
    document = _map_document()
    document["mapping"]["confidentiality"]["3"] = "strict"
    # when
    with pytest.raises(DataError) as info:
        load_handling_categories_text(dump(document), source="map.yaml")
    # then
    assert info.value.path == "mapping.confidentiality.3"
    assert info.value.message == "'3' is not a confidentiality class of scheme 'r6_10'"
    assert info.value.hint == "map only these classes: 3A, 3B, 3C, 2, 1"


def test_an_unknown_category_is_refused():
    """A class mapped to an undefined category names the defined ones."""
    document = _map_document()
    document["mapping"]["integrity"]["2"] = "secret"
    # when
    with pytest.raises(DataError) as info:
        load_handling_categories_text(dump(document), source="map.yaml")
    # then
    assert info.value.path == "mapping.integrity.2"
    assert info.value.message == "unknown category 'secret'"
    assert info.value.hint == "use one of: strict, internal, public"


def test_a_higher_class_must_not_map_to_a_looser_category():
    """3A → public while 3B → strict is refused."""
    document = _map_document()
    document["mapping"]["confidentiality"]["3A"] = "public"
    # when
    with pytest.raises(DataError) as info:
        load_handling_categories_text(dump(document), source="map.yaml")
    # then
    assert info.value.message == (
        "class '3A' maps to 'public', looser than 'strict' of the lower class '3B'"
    )


def test_a_map_for_another_scheme_is_refused_when_a_scheme_is_given():
    """Loading the r6_10 map against pre_r6 says which scheme it is for."""
    with pytest.raises(DataError) as info:
        load_handling_categories_text(
            dump(_map_document()), source="map.yaml", scheme=get_scheme("pre_r6")
        )
    # then
    assert info.value.path == "scheme"
    assert info.value.message == "the mapping is for scheme 'r6_10', not 'pre_r6'"


def test_a_map_naming_an_unknown_scheme_is_refused():
    """scheme: r9_99 is refused at the 'scheme' field."""
    document = _map_document()
    document["scheme"] = "r9_99"
    # when
    with pytest.raises(DataError) as info:
        load_handling_categories_text(dump(document), source="map.yaml")
    # then
    assert info.value.path == "scheme"
    assert info.value.message == "unknown classification scheme 'r9_99'"


def test_a_category_defined_twice_is_refused():
    """Two categories with one id are refused."""
    document = _map_document()
    document["categories"].append(dict(document["categories"][0]))
    # when
    with pytest.raises(DataError) as info:
        load_handling_categories_text(dump(document), source="map.yaml")
    # then
    assert info.value.path == "categories[3].id"


def test_a_map_loads_from_a_file(tmp_path: Path):
    """A municipality's own map loads from a path and maps by axis."""
    path = tmp_path / "map.yaml"
    path.write_text(dump(_map_document()), encoding="utf-8")
    # when
    categories = load_handling_categories(path)
    # then
    assert categories.category_of(Axis.CONFIDENTIALITY, "3C").id == "internal"
    assert categories.scheme == "r6_10"
