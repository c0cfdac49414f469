"""The consistency report over a register: every planted inconsistency, duplicates, visibility."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from isms.assets.classification import AssetKind, AssetStatus, Segment
from isms.assets.consistency import consistency_report
from isms.assets.models import InformationAsset
from isms.core.models import OrgUnit
from tests.assets.factories import fresh, make_asset, make_register
from tests.support.factories import make_unit


@pytest.fixture
def reg(tsuru):
    return make_register(tsuru)


def _plant(reg) -> dict[str, InformationAsset]:
    m, unit = reg.municipality, reg.unit
    orphan = make_unit(m, "新設課")
    return {
        "specific_personal_info_outside_mynumber": make_asset(
            m,
            unit,
            name="特定個人情報ファイル",
            confidentiality="3",
            holds_personal_info=True,
            holds_specific_personal_info=True,
        ),
        "class_not_allowed_in_segment": make_asset(
            m, unit, name="秘密文書", confidentiality="3", segment="internet"
        ),
        "mynumber_mfa_unconfirmed": make_asset(
            m,
            unit,
            name="マイナンバー端末",
            kind="system_equipment",
            segment="mynumber",
            confidentiality="3",
        ),
        "availability_without_backup": make_asset(m, unit, name="窓口システム", availability="2"),
        "medium_below_highest_class": make_asset(
            m,
            unit,
            name="USBメモリ",
            kind="system_equipment",
            held_classes=[{"confidentiality": "3", "integrity": "1", "availability": "1"}],
        ),
        "no_owner": make_asset(m, orphan, name="所管不明の資料"),
        "disposed_without_approval": make_asset(m, unit, name="旧サーバ", status="disposed"),
        "personal_info_in_public_class": make_asset(
            m, unit, name="名簿", confidentiality="1", holds_personal_info=True
        ),
    }


def test_the_report_finds_each_planted_inconsistency(reg):
    # given
    planted = _plant(reg)
    # when
    report = consistency_report(fresh(reg.tenant.lead))
    # then
    found = {(i.asset_id, i.code) for i in report.issues}
    for code, asset in planted.items():
        assert (asset.pk, code) in found, code
    mfa = [i for i in report.issues if i.asset_id == planted["mynumber_mfa_unconfirmed"].pk]
    assert [i.code for i in mfa] == [
        "mynumber_mfa_unconfirmed",
        "mynumber_export_block_unconfirmed",
    ]
    assert mfa[0].severity == "error" and mfa[0].unit_name == reg.unit.name
    assert report.assets_checked == 4 + len(planted)


def test_the_report_lists_likely_duplicates_of_the_same_unit_and_place(reg):
    m = reg.municipality
    a = make_asset(m, reg.unit, name="住民基本台帳", storage_location="書庫A")
    b = make_asset(m, reg.unit, name="住民基本台帳 ", storage_location="")
    make_asset(m, reg.other_division, name="住民基本台帳", storage_location="書庫A")
    report = consistency_report(fresh(reg.tenant.lead))
    assert [g.asset_ids for g in report.duplicates] == [(a.pk, b.pk)]
    assert report.duplicates[0].asset_numbers == (a.asset_number, b.asset_number)


def test_a_manager_gets_the_report_of_their_own_units_only(reg):
    _plant(reg)
    make_asset(reg.municipality, reg.other_division, name="他課の不整合", availability="2")
    report = consistency_report(fresh(reg.other_manager))
    assert {i.asset_name for i in report.issues} == {"他課の不整合"}
    assert report.assets_checked == 2


def test_another_municipality_gets_nothing_of_this_register(reg, kofu):
    _plant(reg)
    report = consistency_report(fresh(kofu.lead))
    assert report.issues == [] and report.assets_checked == 0


def test_the_report_makes_a_fixed_number_of_queries_whatever_the_register_size(reg):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            consistency_report(fresh(reg.tenant.lead))
        return len(ctx.captured_queries)

    small = queries()
    for n in range(10):
        make_asset(reg.municipality, reg.section, name=f"資料{n}", availability="2")
    assert queries() == small


def test_the_model_choices_are_the_cores_vocabularies():
    assert set(InformationAsset.Kind.values) == {k.value for k in AssetKind}
    assert set(InformationAsset.Segment.values) == {s.value for s in Segment}
    assert set(InformationAsset.Status.values) == {s.value for s in AssetStatus}


def test_the_scope_choices_are_the_scope_rules_vocabularies():
    from isms.assets.classification import default_scope_rules

    rules = default_scope_rules()
    assert set(InformationAsset.Facility.values) == set(rules.facilities)
    assert set(InformationAsset.Purpose.values) == set(rules.purposes)


def test_a_unit_tree_change_is_seen_by_the_owner_check(reg):
    """An asset of a new 係 under a managed 課 has an owner (the 課's manager)."""
    section = make_unit(reg.municipality, "新係", parent=reg.unit, kind=OrgUnit.Kind.SECTION)
    asset = make_asset(reg.municipality, section, name="新係の資料")
    orphan = make_asset(reg.municipality, reg.citizen, name="市民課の資料")  # 市民課: no manager
    report = consistency_report(fresh(reg.tenant.lead))
    assert [i.code for i in report.issues if i.asset_id == asset.pk] == []
    assert [i.code for i in report.issues if i.asset_id == orphan.pk] == ["no_owner"]


def test_a_service_administrator_narrows_the_report_to_one_municipality(reg, kofu):
    from isms.core import services as core_services
    from tests.support.factories import make_user

    other = make_register(kofu)
    make_asset(reg.municipality, reg.unit, name="都留の不整合", availability="2")
    make_asset(kofu.municipality, other.unit, name="甲府の不整合", availability="2")
    operator = make_user(
        None, "pref-operator", service_admin_of=(reg.municipality, kofu.municipality)
    )
    for tenant in (reg.tenant, kofu):
        core_services.set_service_access(
            tenant.admin, tenant.municipality, sensitive_access=True, reason="共同運用"
        )
    both = consistency_report(fresh(operator))
    assert {i.asset_name for i in both.issues} >= {"都留の不整合", "甲府の不整合"}
    assert both.assets_checked == 10
    one = consistency_report(fresh(operator), municipality=kofu.municipality)
    assert "都留の不整合" not in {i.asset_name for i in one.issues}
    assert "甲府の不整合" in {i.asset_name for i in one.issues}
    assert one.assets_checked == 5
