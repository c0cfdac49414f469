"""Registering and editing assets: validation, warnings that never block, the journal."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from isms.assets import services
from isms.assets.models import InformationAsset
from isms.core.models import JournalEntry
from tests.assets.factories import fresh, make_register
from tests.support.factories import make_person, make_unit

PRE_R6_EN = "Confidentiality / integrity / availability classes (guideline up to March 2023)"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def reg(tsuru):
    return make_register(tsuru)


def _data(reg, **extra):
    data = {
        "asset_number": "S-001",
        "name": "住民記録システム端末",
        "kind": InformationAsset.Kind.SYSTEM_EQUIPMENT,
        "owning_unit": reg.unit,
        "segment": InformationAsset.Segment.LGWAN,
        "confidentiality": "2",
        "integrity": "2",
        "availability": "1",
        "storage_location": "本庁舎2階",
    }
    data.update(extra)
    return data


def _count():
    return InformationAsset.objects.count(), JournalEntry.objects.count()


def test_a_manager_registers_an_asset_of_their_unit_and_it_is_journaled(reg):
    # when
    saved = services.create_asset(fresh(reg.manager), reg.municipality, **_data(reg))
    # then
    asset = InformationAsset.objects.get(pk=saved.asset.pk)
    assert (asset.asset_number, asset.scheme, asset.confidentiality) == ("S-001", "pre_r6", "2")
    entry = JournalEntry.objects.get(action="asset.create", object_id=str(asset.pk))
    assert entry.actor == reg.manager
    assert entry.after["name"] == "住民記録システム端末"
    assert entry.on_behalf_of == ""
    assert saved.warnings == []


def test_the_search_key_folds_name_number_and_location(reg):
    saved = services.create_asset(
        None, reg.municipality, **_data(reg, name="ﾏｲﾅﾝﾊﾞｰ 端末", storage_location="ほんちょうしゃ")
    )
    assert saved.asset.search_key == "マイナンバー端末|s-001|ホンチョウシャ"


def test_inconsistencies_come_back_as_warnings_and_do_not_block_saving(reg):
    """The register records reality: 特定個人情報 in LGWAN and 可用性2 without backup are saved,
    and reported."""
    saved = services.create_asset(
        None,
        reg.municipality,
        **_data(
            reg,
            holds_personal_info=True,
            holds_specific_personal_info=True,
            confidentiality="3",
            availability="2",
        ),
    )
    assert InformationAsset.objects.filter(pk=saved.asset.pk).exists()
    assert [w.code for w in saved.warnings] == [
        "specific_personal_info_outside_mynumber",
        "availability_without_backup",
    ]


def test_an_asset_of_a_unit_without_a_manager_is_reported_without_owner(reg, tsuru):
    orphan = make_unit(reg.municipality, "新設課")
    saved = services.create_asset(None, reg.municipality, **_data(reg, owning_unit=orphan))
    assert [w.code for w in saved.warnings] == ["no_owner"]


def test_a_likely_duplicate_is_a_warning(reg):
    services.create_asset(None, reg.municipality, **_data(reg))
    saved = services.create_asset(
        None, reg.municipality, **_data(reg, asset_number="S-002", name="住民記録システム 端末")
    )
    assert [w.code for w in saved.warnings] == ["likely_duplicate"]
    assert "S-001" in saved.warnings[0].message_en


@pytest.mark.parametrize(
    ("extra", "errors"),
    [
        (
            {"confidentiality": "4"},
            {
                "confidentiality": [
                    f"“4” is not a class of this scheme ({PRE_R6_EN}): use one of 3, 2, 1."
                ]
            },
        ),
        (
            {"confidentiality": "3B"},
            {
                "confidentiality": [
                    f"“3B” is not a class of this scheme ({PRE_R6_EN}): use one of 3, 2, 1."
                ]
            },
        ),
        (
            {"availability": ""},
            {
                "availability": [
                    "Give all three classes (confidentiality, integrity, availability) or none."
                ]
            },
        ),
        (
            {"in_scope": False},
            {
                "out_of_scope_reason": [
                    "Give the reason the asset is outside the policy's scope (basic policy 2.4), "
                    "or record it as in scope."
                ]
            },
        ),
        (
            {"hosting": "cloud"},
            {"cloud_service_name": ["Name the cloud service the asset is hosted on."]},
        ),
        ({"name": ""}, {"name": ["This field cannot be blank."]}),
        ({"kind": "paper"}, {"kind": ["Value 'paper' is not a valid choice."]}),
        ({"search_key": "x"}, {"search_key": ["This field cannot be set here."]}),
        ({"mfa_confirmed_at": None}, {"mfa_confirmed_at": ["This field cannot be set here."]}),
        (
            {
                "held_classes": [
                    {
                        "scheme": "pre_r6",
                        "confidentiality": "5",
                        "integrity": "1",
                        "availability": "1",
                    }
                ]
            },
            {
                "held_classes": [
                    "Entry 1: '5' is not a confidentiality class of scheme 'pre_r6'\n"
                    "  hint: use one of: 3, 2, 1"
                ]
            },
        ),
    ],
)
def test_invalid_data_is_refused_by_field_and_nothing_is_saved(reg, extra, errors):
    before = _count()
    with pytest.raises(ValidationError) as caught:
        services.create_asset(fresh(reg.manager), reg.municipality, **_data(reg, **extra))
    assert caught.value.message_dict == errors
    assert _count() == before


def test_a_duplicate_asset_number_is_refused_on_its_field(reg):
    services.create_asset(None, reg.municipality, **_data(reg))
    before = _count()
    with pytest.raises(ValidationError) as caught:
        services.create_asset(None, reg.municipality, **_data(reg, name="別の資産"))
    assert caught.value.message_dict == {
        "asset_number": [
            "Asset number S-001 is already registered. Give each asset its own number."
        ]
    }
    assert _count() == before


def test_the_same_asset_number_in_another_municipality_is_fine(reg, kofu):
    other = make_register(kofu)
    services.create_asset(None, reg.municipality, **_data(reg))
    services.create_asset(None, kofu.municipality, **_data(reg, owning_unit=other.unit))
    assert InformationAsset.objects.filter(asset_number="S-001").count() == 2


def test_a_unit_or_custodian_of_another_municipality_is_not_found(reg, kofu):
    before = _count()
    with pytest.raises(ValidationError) as caught:
        services.create_asset(
            None,
            reg.municipality,
            **_data(reg, owning_unit=kofu.unit, custodian=kofu.other_person),
        )
    message = "The selected record was not found in this municipality."
    assert caught.value.message_dict == {"owning_unit": [message], "custodian": [message]}
    assert _count() == before


def test_a_manager_cannot_register_an_asset_of_another_division(reg):
    before = _count()
    with pytest.raises(PermissionDenied):
        services.create_asset(
            fresh(reg.manager), reg.municipality, **_data(reg, owning_unit=reg.other_division)
        )
    assert _count() == before


def test_plain_staff_cannot_register_assets(reg):
    before = _count()
    with pytest.raises(PermissionDenied):
        services.create_asset(fresh(reg.tenant.staff), reg.municipality, **_data(reg))
    assert _count() == before


def test_another_municipalitys_lead_cannot_register_assets_here(reg, kofu):
    before = _count()
    with pytest.raises(PermissionDenied):
        services.create_asset(fresh(kofu.lead), reg.municipality, **_data(reg))
    assert _count() == before


def test_an_update_is_journaled_with_before_and_after(reg):
    # when
    saved = services.update_asset(fresh(reg.manager), reg.asset, name="改名後", has_backup=True)
    # then
    assert InformationAsset.objects.get(pk=reg.asset.pk).name == "改名後"
    entry = JournalEntry.objects.get(action="asset.update", object_id=str(reg.asset.pk))
    assert (entry.before["name"], entry.after["name"]) == ("総務課の文書", "改名後")
    assert (entry.before["has_backup"], entry.after["has_backup"]) == (False, True)
    assert saved.asset.search_key.startswith("改名後|")


def test_a_refused_update_changes_nothing_and_leaves_the_callers_copy(reg):
    before = _count()
    asset = InformationAsset.objects.get(pk=reg.asset.pk)
    with pytest.raises(ValidationError):
        services.update_asset(fresh(reg.manager), asset, name="変更", confidentiality="9")
    assert asset.name == "総務課の文書"
    assert InformationAsset.objects.get(pk=reg.asset.pk).name == "総務課の文書"
    assert _count() == before


def test_a_manager_cannot_move_an_asset_to_a_unit_they_do_not_manage(reg):
    before = _count()
    with pytest.raises(PermissionDenied):
        services.update_asset(fresh(reg.manager), reg.asset, owning_unit=reg.other_division)
    assert InformationAsset.objects.get(pk=reg.asset.pk).owning_unit == reg.unit
    assert _count() == before


def test_a_deputys_edit_is_journaled_on_behalf_of_the_manager(reg):
    from tests.assets.factories import delegate

    delegate(reg.manager, reg.colleague)
    services.update_asset(fresh(reg.colleague), reg.asset, description="代理で更新")
    entry = JournalEntry.objects.get(action="asset.update")
    assert entry.actor == reg.colleague
    assert str(reg.manager.person) in entry.on_behalf_of and reg.unit.name in entry.on_behalf_of


def test_a_medical_asset_of_the_hospital_is_out_of_scope_with_the_policys_reason(reg):
    saved = services.create_asset(
        None,
        reg.municipality,
        **_data(reg, scope_facility="city_hospital", scope_purpose="medical_care"),
    )
    asset = saved.asset
    assert asset.in_scope is False
    assert asset.out_of_scope_reason.startswith(
        "都留市立病院及び介護老人保健施設つるで医療に用いる"
    )
    assert saved.warnings == []


def test_an_excluded_use_cannot_be_claimed_in_scope(reg):
    with pytest.raises(ValidationError) as caught:
        services.create_asset(
            None,
            reg.municipality,
            **_data(reg, scope_facility="school", scope_purpose="teaching", in_scope=True),
        )
    assert list(caught.value.message_dict) == ["in_scope"]


def test_the_hospitals_administrative_assets_stay_in_scope(reg):
    saved = services.create_asset(
        None,
        reg.municipality,
        **_data(reg, scope_facility="city_hospital", scope_purpose="administration"),
    )
    assert saved.asset.in_scope is True


def test_a_city_owned_asset_used_by_the_university_is_in_scope(reg):
    saved = services.create_asset(None, reg.municipality, **_data(reg, used_by_university=True))
    assert saved.asset.in_scope is True and saved.asset.used_by_university is True


def test_a_university_asset_the_city_does_not_own_is_out_of_scope(reg):
    saved = services.create_asset(
        None, reg.municipality, **_data(reg, used_by_university=True, city_owned=False)
    )
    assert saved.asset.in_scope is False
    assert "都留市の保有でない" in saved.asset.out_of_scope_reason


def test_an_out_of_scope_asset_with_a_reason_of_its_own_is_accepted(reg):
    saved = services.create_asset(
        None, reg.municipality, **_data(reg, in_scope=False, out_of_scope_reason="国の貸与物")
    )
    assert (saved.asset.in_scope, saved.asset.out_of_scope_reason) == (False, "国の貸与物")


def test_a_medium_below_the_highest_class_it_holds_is_warned(reg):
    saved = services.create_asset(
        None,
        reg.municipality,
        **_data(
            reg,
            name="USBメモリ",
            held_classes=[
                {"confidentiality": "3", "integrity": "1", "availability": "1"},
                {"confidentiality": "2", "integrity": "2", "availability": "1"},
            ],
            integrity="1",
        ),
    )
    assert [(w.code, w.message_en) for w in saved.warnings] == [
        (
            "medium_below_highest_class",
            "The medium is Confidentiality 2 but holds Confidentiality 3 information.",
        ),
        (
            "medium_below_highest_class",
            "The medium is Integrity 1 but holds Integrity 2 information.",
        ),
    ]
    assert saved.asset.held_classes[0]["scheme"] == "pre_r6"


def test_a_custodian_may_be_recorded(reg):
    custodian = make_person(reg.municipality, unit=reg.unit, family="管理", given="者")
    saved = services.create_asset(None, reg.municipality, **_data(reg, custodian=custodian))
    assert saved.asset.custodian == custodian


def test_changing_the_use_back_to_administration_puts_the_asset_back_in_scope(reg):
    saved = services.create_asset(
        None,
        reg.municipality,
        **_data(reg, scope_facility="city_hospital", scope_purpose="medical_care"),
    )
    updated = services.update_asset(None, saved.asset, scope_purpose="administration")
    assert (updated.asset.in_scope, updated.asset.out_of_scope_reason) == (True, "")


def test_an_own_out_of_scope_reason_is_kept_when_the_use_is_edited(reg):
    saved = services.create_asset(
        None, reg.municipality, **_data(reg, in_scope=False, out_of_scope_reason="国の貸与物")
    )
    updated = services.update_asset(None, saved.asset, description="説明を追加")
    assert (updated.asset.in_scope, updated.asset.out_of_scope_reason) == (False, "国の貸与物")


def test_an_id_instead_of_a_unit_is_a_field_error_not_a_crash(reg):
    before = _count()
    with pytest.raises(ValidationError) as caught:
        services.create_asset(None, reg.municipality, **_data(reg, owning_unit=reg.unit.pk))
    assert caught.value.message_dict == {
        "owning_unit": ["The selected record was not found in this municipality."]
    }
    assert _count() == before
