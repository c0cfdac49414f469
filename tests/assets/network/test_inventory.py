"""Inventory checks: each problem planted in the register or the model, and found."""

from __future__ import annotations

from django.utils import translation

from isms.assets import services as asset_services
from isms.assets.models import InformationAsset
from isms.assets.network import inventory
from tests.assets.factories import make_asset

from .support import DEMO, demo_assets, upload_demo


def _codes(report):  # type: ignore[no-untyped-def]
    return sorted((f.code, f.asset.name if f.asset else "") for f in report.findings)


def _system(t, name, segment, network=None, **more):  # type: ignore[no-untyped-def]
    asset = make_asset(
        t.municipality, t.unit, name=name, kind="system_equipment", segment=segment, **more
    )
    if network:
        asset_services.add_host(None, asset, network=network)
    return asset


def test_without_a_valid_check_only_the_register_is_checked(tsuru):
    _system(tsuru, "未分類機器", "")
    report = inventory.inventory_report(tsuru.municipality)
    assert report.check is None and not report.ok
    assert _codes(report) == [("no_segment", "未分類機器")]


def test_the_demo_register_against_the_demo_network_is_clean(tsuru):
    demo_assets(tsuru)
    check = upload_demo(tsuru, tsuru.lead)
    report = inventory.inventory_report(tsuru.municipality)
    assert report.check == check and report.findings == [] and report.ok
    assert report.assets_checked == 3


def test_each_planted_problem_is_found(tsuru):
    # given
    demo_assets(tsuru)
    _system(tsuru, "セグメント未設定", "")
    _system(tsuru, "ゾーン外", "lgwan", "192.0.2.0/24")
    _system(tsuru, "別セグメント", "lgwan", "172.16.8.10")
    _system(tsuru, "他ゾーンを含む", "internet", "10.0.0.0/8")
    _system(tsuru, "MFA未確認", "mynumber", "10.10.3.0/24")
    _system(tsuru, "クラウド", "lgwan", "198.51.100.7", hosting="cloud", cloud_service_name="ASP")
    _system(tsuru, "スタンドアロン", "standalone", "192.0.2.9")
    _system(tsuru, "廃止済み", "", status="retired")
    make_asset(tsuru.municipality, tsuru.unit, name="文書", kind="information", segment="")
    upload_demo(tsuru, tsuru.lead)
    # when
    with translation.override("en"):
        report = inventory.inventory_report(tsuru.municipality)
    # then
    assert _codes(report) == sorted(
        [
            ("no_export_block", "MFA未確認"),
            ("no_mfa", "MFA未確認"),
            ("no_segment", "セグメント未設定"),
            ("other_segment", "他ゾーンを含む"),
            ("other_segment", "別セグメント"),
            ("outside_zones", "ゾーン外"),
        ]
    )
    messages = {f.asset.name: f.message for f in report.findings if f.asset}
    assert "inet-vdi" in messages["別セグメント"] and "172.16.8.10/32" in messages["別セグメント"]


def test_an_allowed_cross_segment_flow_without_a_crossing_point_is_found(tsuru):
    # given: the matrix opens lgwan → internet, and no crossing point is registered
    text = (DEMO / "model.yaml").read_text("utf-8")
    head, _sep, _rest = text.partition("crossing_points:")
    model = (
        head.replace(
            "policy:\n  model: alpha\n",
            "policy:\n  model: alpha\n  matrix:\n    - {from: lgwan, to: internet, rule: allow}\n",
        )
        + "security_cloud:\n  name: 県SC\n  zones: [sc-proxy]\n"
    )
    check = upload_demo(tsuru, tsuru.lead, **{"model.yaml": model.encode()})
    assert check.status == "done", check.error_en
    # when
    with translation.override("en"):
        report = inventory.inventory_report(tsuru.municipality)
    # then
    found = [f for f in report.findings if f.code == "no_crossing_point"]
    assert len(found) == 1 and found[0].asset is None
    assert "LGWAN" in found[0].message and "Internet" in found[0].message


def test_the_latest_valid_check_is_used_not_an_invalid_one(tsuru):
    valid = upload_demo(tsuru, tsuru.lead)
    upload_demo(tsuru, tsuru.lead, **{"fw-core.rules": b"garbage\n"})
    assert inventory.inventory_report(tsuru.municipality).check == valid


def test_another_municipalitys_assets_are_not_checked(tsuru, kofu):
    _system(kofu, "甲府の機器", "")
    report = inventory.inventory_report(tsuru.municipality)
    assert report.findings == []
    assert InformationAsset.objects.filter(municipality=kofu.municipality).count() == 1
