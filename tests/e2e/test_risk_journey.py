"""Browser journey of issue 11: a risk assessed, treated, accepted by someone else, on the map.

田中 美咲 (login ``kacho``, 情報セキュリティ管理者 of 総務課) assesses the risk of a virus attack
on 総務課's 文書管理システム (A-110-001, demo data): the form proposes the impact from the
asset's classes and says why; she treats it (reduce, residual 1 × impact) as its owner and asks
for the residual risk to be accepted. She cannot accept it herself (she owns it and asked for
it: 兼務の禁止); the CISO (login ``ciso``) accepts it. The heat map's cells change with each step
and the register exports to Excel.

Selectors use ids and ``data-testid``: the pages' new texts are translated outside this tree.
"""

from __future__ import annotations

import io

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from .browser import PageWatch, log_in

pytestmark = pytest.mark.e2e

ASSET = "A-110-001"


def _count(page: Page, likelihood: int, impact: int) -> int:
    page.goto("/risks/heat-map/")
    cell = page.get_by_test_id(f"cell-{likelihood}-{impact}")
    return int(cell.get_attribute("data-count") or "0")


def test_assess_treat_accept_and_export_a_risk(page: Page, live_server_url: str, watch: PageWatch):
    # given: 田中 on the risk register, from the main menu
    log_in(page, live_server_url, "kacho")
    page.get_by_role("navigation", name="メインメニュー").get_by_role(
        "link", name="脅威とリスク"
    ).click()
    expect(page.get_by_test_id("risk-count")).to_be_visible()
    inherent_before = _count(page, 4, 3)
    residual_before = _count(page, 1, 3)

    # when: she names the asset and asks for the proposed impact
    page.goto("/risks/")
    page.get_by_test_id("assess-risk").click()
    page.locator("#id_asset_number").fill(ASSET)
    page.get_by_test_id("propose").click()

    # then: the impact is proposed, with the reasons (its classes: 機密性2 / 完全性2 / 可用性2)
    expect(page.get_by_test_id("proposed-impact")).to_have_attribute("data-level", "3")
    reasons = page.get_by_test_id("impact-reasons")
    expect(reasons.locator("li")).to_have_count(3)
    expect(reasons.locator("li.decisive")).to_have_count(3)
    expect(page.locator("#id_impact")).to_have_value("3")

    # when: she records the assessment: a virus attack, likely (4)
    page.locator("#id_threat").select_option(label="T-INT-02 ウイルス攻撃（マルウェア感染）")
    page.locator("#id_likelihood").select_option("4")
    page.locator("#id_scenario").fill("添付ファイル経由のマルウェア感染で文書が暗号化される")
    page.locator("form.form button.primary").click()

    # then: the risk page shows the inherent risk 4 × 3 and why the impact is 3
    expect(page.get_by_test_id("inherent-level")).to_contain_text("4×3 = 12")
    expect(page.get_by_test_id("impact-reasons").locator("li")).to_have_count(3)
    risk_url = page.url
    assert _count(page, 4, 3) == inherent_before + 1

    # when: she decides the treatment, as the risk owner, and asks for acceptance
    page.goto(risk_url)
    page.get_by_test_id("treat").click()
    page.locator('input[name="treatment"][value="reduce"]').check()
    # controls of the current 対策基準 by ID (demo data: 都留市's default catalog), and free text
    page.locator("#id_control_codes").fill("6.4.1、6.4.2")
    page.locator("#id_controls").fill("メール無害化とEDRの導入、バックアップの世代管理")
    page.locator("#id_residual_likelihood").select_option("1")
    page.locator("#id_residual_impact").select_option("3")
    page.locator("#id_owner_number").fill("D0005")
    page.locator("form.form button.primary").click()
    expect(page.get_by_test_id("treatment")).to_be_visible()
    expect(page.get_by_test_id("catalog-controls")).to_contain_text("6.4.1")
    expect(page.get_by_test_id("catalog-controls")).to_contain_text("6.4.2")
    page.get_by_test_id("request-acceptance").click()
    expect(page.get_by_test_id("risk-status")).not_to_have_text("")
    # she owns it and asked for it: no approval for her
    expect(page.get_by_test_id("approve")).to_have_count(0)

    # and the risk has moved on the map: from 4 × 3 to 1 × 3
    assert _count(page, 4, 3) == inherent_before
    assert _count(page, 1, 3) == residual_before + 1

    # when: the CISO accepts the residual risk
    page.context.clear_cookies()
    log_in(page, live_server_url, "ciso")
    page.goto(risk_url)
    page.locator("#id_decision_reason").fill("対策後の残留リスクを受容する")
    page.get_by_test_id("approve").click()

    # then: accepted, by the CISO
    expect(page.get_by_test_id("accepted-by")).to_contain_text("山田 一郎")
    expect(page.get_by_test_id("approve")).to_have_count(0)

    # and the register exports to Excel with the risk in it
    page.goto("/risks/")
    with page.expect_download() as download:
        page.get_by_test_id("export-xlsx").first.click()
    path = download.value.path()
    with open(path, "rb") as f:
        sheet = openpyxl.load_workbook(io.BytesIO(f.read())).active
    header, *body = list(sheet.iter_rows(values_only=True))
    col = {name: i for i, name in enumerate(header)}
    rows = [r for r in body if r[col["管理番号"]] == ASSET]
    assert any(
        r[col["脅威"]] == "T-INT-02 ウイルス攻撃（マルウェア感染）"
        and r[col["状態"]] == "受容承認済み"
        and r[col["対策基準の管理策"]] == "6.4.1、6.4.2"
        for r in rows
    )
    watch.assert_clean()


def test_group_assets_and_switch_a_threat_off(page: Page, live_server_url: str, watch: PageWatch):
    # given: 田中 (総務課) on the asset groups of the register
    log_in(page, live_server_url, "kacho")
    page.goto("/risks/")
    page.locator('a[href="/risks/groups/"]').first.click()
    page.get_by_test_id("new-group").click()

    # when: she groups two of 総務課's assets and, by mistake, one of another unit
    page.locator("#id_name").fill("総務課ネットワーク一式")
    page.locator("#id_owning_unit").select_option(label="総務課")
    page.locator("#id_asset_numbers").fill("A-110-002\nA-110-003\nA-210-001")
    page.locator("form.form button.primary").click()

    # then: refused next to the assets, saying which one and why; nothing saved
    expect(page.locator("#id_asset_numbers")).to_be_visible()
    expect(page.locator("form.form")).to_contain_text("A-210-001")

    # when: she removes it and saves
    page.locator("#id_asset_numbers").fill("A-110-002\nA-110-003")
    page.locator("form.form button.primary").click()

    # then: the group is listed with its two assets, and offered when assessing a risk
    row = page.get_by_test_id("group-row").filter(has_text="総務課ネットワーク一式")
    expect(row).to_contain_text("2")
    page.goto("/risks/new/")
    expect(page.locator("#id_asset_group")).to_contain_text("総務課ネットワーク一式")

    # when: the CISO switches the threat T-INF-03 (水道供給の途絶) off on the catalog page
    page.context.clear_cookies()
    log_in(page, live_server_url, "ciso")
    page.goto("/risks/catalog/")
    page.get_by_test_id("toggle-T-INF-03").click()

    # then: it is marked switched off and no longer offered for new assessments
    expect(page.get_by_test_id("entry-T-INF-03").get_by_test_id("switched-off")).to_be_visible()
    page.goto("/risks/new/")
    expect(page.locator("#id_threat option", has_text="T-INF-03")).to_have_count(0)

    # and switched on again, it is offered again
    page.goto("/risks/catalog/")
    page.get_by_test_id("toggle-T-INF-03").click()
    page.goto("/risks/new/")
    expect(page.locator("#id_threat option", has_text="T-INF-03")).to_have_count(1)
    watch.assert_clean()
