"""Tsuru's default catalog (src/isms/data/tsuru/control_standard.yaml): its shape and content,
and that the configuration loader loads it once."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from isms.assets.models import InformationAsset
from isms.core.roles import Role
from isms.policy import catalog, services
from isms.policy.models import ControlStandard

FILE = Path(__file__).resolve().parents[2] / "src/isms/data/tsuru/control_standard.yaml"

# The sections of policy-model.md's chapter table (chapters 4–9), and our own for 1–3.
TABLE_SECTIONS = {
    "4.1": "サーバ等の管理",
    "4.2": "管理区域（情報システム室等）の管理",
    "4.3": "通信回線及び通信回線装置の管理",
    "4.4": "職員等の利用する端末や電磁的記録媒体等の管理",
    "5.1": "職員等の遵守事項",
    "5.2": "研修・訓練",
    "5.3": "情報セキュリティインシデントの報告",
    "5.4": "ID及びパスワード等の管理",
    "6.1": "コンピュータ及びネットワークの管理",
    "6.2": "アクセス制御",
    "6.3": "システム開発、導入、保守等",
    "6.4": "不正プログラム対策",
    "6.5": "不正アクセス対策",
    "6.6": "セキュリティ情報の収集",
    "7.1": "情報システムの監視",
    "7.2": "情報セキュリティポリシーの遵守状況の確認",
    "7.3": "侵害時の対応等",
    "7.4": "例外措置",
    "7.5": "法令遵守",
    "7.6": "懲戒処分等",
    "8.1": "業務委託",
    "8.2": "情報システムに関する業務委託",
    "8.3": "外部サービス（クラウドサービス）の利用（自治体機密性2以上の情報を取り扱う場合）",
    "8.4": "外部サービス（クラウドサービス）の利用（自治体機密性2以上の情報を取り扱わない場合）",
    "8.5": "ソーシャルメディアサービスの利用",
    "9.1": "監査",
    "9.2": "自己点検",
    "9.3": "情報セキュリティポリシー及び関係規程等の見直し",
}
CHAPTERS = {
    "1": "組織体制",
    "2": "情報資産の分類と管理",
    "3": "情報システム全体の強靱性の向上",
    "4": "物理的セキュリティ",
    "5": "人的セキュリティ",
    "6": "技術的セキュリティ",
    "7": "運用",
    "8": "業務委託と外部サービス（クラウドサービス）の利用",
    "9": "評価・見直し",
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return yaml.safe_load(FILE.read_text(encoding="utf-8"))


def _sections(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for ch in document["chapters"] for s in ch["sections"]]


def _controls(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for s in _sections(document) for c in s["controls"]]


def test_the_nine_chapters_and_every_section_of_the_table_are_there(document):
    chapters = {ch["number"]: ch["title"] for ch in document["chapters"]}
    sections = {s["number"]: s["title"] for s in _sections(document)}
    assert chapters == CHAPTERS
    assert {n: sections.get(n) for n in TABLE_SECTIONS} == TABLE_SECTIONS
    for chapter in ("1", "2", "3"):  # our own sections where the table has none
        assert any(n.startswith(f"{chapter}.") for n in sections)
    for ch in document["chapters"]:
        assert all(s["number"].startswith(f"{ch['number']}.") for s in ch["sections"])


def test_every_section_has_controls_and_the_total_is_like_the_model_text(document):
    empty = [s["number"] for s in _sections(document) if not s["controls"]]
    assert empty == []
    assert 150 <= len(_controls(document)) <= 300
    key_items = [c for c in _controls(document) if c.get("key_item")]
    assert 20 <= len(key_items) <= 40
    # Every chapter has key items: the essentials are spread over the catalog.
    assert {c["code"].split(".")[0] for c in key_items} == set(CHAPTERS)


def test_codes_are_unique_and_numbered_under_their_section(document):
    codes = Counter(c["code"] for c in _controls(document))
    assert [c for c, n in codes.items() if n > 1] == []
    for s in _sections(document):
        for c in s["controls"]:
            assert re.fullmatch(rf"{re.escape(s['number'])}\.\d+", c["code"]), c["code"]


def test_roles_segments_classes_and_confidence_are_valid(document):
    roles = set(Role.values) | {"staff"}
    segments = set(InformationAsset.Segment.values)
    classes = set(catalog.class_codes())
    for c in _controls(document):
        assert c["requirement"].strip(), c["code"]
        assert len(c["requirement"]) <= services.MAX_TEXT
        # Every control names who answers for it (the self-inspection groups read this).
        assert c["roles"] and set(c["roles"]) <= roles, c["code"]
        assert set(c.get("segments", [])) <= segments, c["code"]
        assert set(c.get("classes", [])) <= classes, c["code"]
        assert c.get("confidence", "recalled") in ControlStandard.Confidence.values


def test_the_self_inspection_groups_each_have_questions(document):
    by_role = Counter(r for c in _controls(document) for r in c["roles"])
    assert by_role["staff"] >= 30
    assert by_role[Role.DIVISION_SECURITY_MANAGER] >= 20
    assert by_role[Role.SYSTEM_MANAGER] >= 30


def test_the_three_tier_controls_carry_their_segments(document):
    sections = {s["number"]: s for s in _sections(document)}
    for number, segment in (("3.1", "mynumber"), ("3.2", "lgwan"), ("3.3", "internet")):
        assert all(segment in c["segments"] for c in sections[number]["controls"])


def test_confirmed_only_where_the_seed_policy_says_it(document):
    confirmed = {c["code"] for c in _controls(document) if c.get("confidence") == "confirmed"}
    # The seed (2.5–2.8) speaks of chapters 2, 3, 5, 7, 8 and 9, never of 4 or 6.
    assert confirmed and not {c for c in confirmed if c.split(".")[0] in {"4", "6"}}


def test_the_catalog_passes_the_services_checks(document):
    sections, controls = services._rows_from_document(document)
    assert services.check_catalog(sections, controls).by_field == {}


def test_the_configuration_loads_the_catalog_once(db):
    from isms.core.models import JournalEntry
    from isms.data.loader import load_configuration

    m = load_configuration("tsuru")
    standard = services.current_standard(m)
    assert standard is not None and standard.version == "1"
    assert standard.controls.count() == len(_controls(yaml.safe_load(FILE.read_text("utf-8"))))
    assert standard.sections.filter(number__contains=".").count() == 36
    ours = JournalEntry.objects.filter(action__startswith="control_standard.")
    entries = ours.count()
    assert entries == 2  # created, made current
    keys = set(standard.controls.values_list("key", flat=True))
    # when: loaded again
    load_configuration("tsuru")
    # then: nothing changed
    assert ControlStandard.objects.filter(municipality=m).count() == 1
    assert set(standard.controls.values_list("key", flat=True)) == keys
    assert ours.count() == entries
