"""The main journeys in a real browser, with the demo data of 都留市.

Every test fails on a console error or a request to another host (see ``conftest.page``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .browser import PageWatch, log_in

pytestmark = pytest.mark.e2e

# A font with Japanese glyphs must be used, not a fallback that draws boxes (tofu).
JAPANESE_FONT_CHECK = "document.fonts.check('16px \"Noto Sans CJK JP\"', '通信経路の分割')"


def _main_heading(page: Page) -> str:
    return page.locator("main h1").first.inner_text()


def test_log_in_and_see_the_dashboard_in_japanese(
    page: Page, live_server_url: str, screenshots_dir: Path
):
    # when
    log_in(page, live_server_url, "lead")
    # then
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator("main h1")).to_have_text("ダッシュボード")
    expect(page.get_by_test_id("municipality")).to_have_text("都留市")
    menu = page.get_by_role("navigation", name="メインメニュー")
    expect(menu.get_by_role("link", name="操作記録")).to_be_visible()
    assert page.evaluate(JAPANESE_FONT_CHECK) is True
    page.screenshot(path=str(screenshots_dir / "dashboard.png"), full_page=True)


def test_switch_language_to_english_and_back(page: Page, live_server_url: str):
    # given
    log_in(page, live_server_url, "staff")
    # when
    page.get_by_test_id("lang-switch").click()
    # then
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("main h1")).to_have_text("Dashboard")
    menu = page.get_by_role("navigation", name="Main menu")
    expect(menu.get_by_role("link", name="Organisation")).to_be_visible()
    # when: back to Japanese, on another page
    menu.get_by_role("link", name="Organisation").click()
    expect(page.locator("main h1")).to_have_text("Organisation")
    page.get_by_test_id("lang-switch").click()
    # then
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator("main h1")).to_have_text("組織")
    assert page.url == f"{live_server_url}/organisation/org-units/"


def test_open_the_basic_policy_text(page: Page, live_server_url: str, screenshots_dir: Path):
    # given
    log_in(page, live_server_url, "staff")
    # when
    page.get_by_role("navigation", name="メインメニュー").get_by_role(
        "link", name="情報セキュリティポリシー"
    ).click()
    # then
    expect(page.locator("main h1")).to_have_text("都留市情報セキュリティ基本方針")
    expect(page.locator("article.policy section")).to_have_count(10)
    expect(page.get_by_text("通信経路の分割").first).to_be_visible()
    assert page.evaluate(JAPANESE_FONT_CHECK) is True
    page.screenshot(path=str(screenshots_dir / "policy.png"))
    # and the table of contents jumps to a section
    page.get_by_role("navigation", name="目次").get_by_role(
        "link", name=re.compile("^2.8 ")
    ).click()
    assert page.url.endswith("#s2.8")
    expect(page.locator("section#s2\\.8 h2")).to_be_in_viewport()


def test_staff_is_refused_the_journal(page: Page, live_server_url: str, watch: PageWatch):
    # given
    log_in(page, live_server_url, "staff")
    menu = page.get_by_role("navigation", name="メインメニュー")
    expect(menu.get_by_role("link", name="職員等")).to_be_visible()
    expect(menu.get_by_role("link", name="操作記録")).to_have_count(0)
    # when: the address is typed in anyway
    watch.expect_status(403)
    response = page.goto("/organisation/journal/")
    # then
    assert response is not None and response.status == 403
    expect(page.locator("main h1")).to_have_text("権限がありません")
    expect(page.get_by_test_id("forbidden")).to_contain_text(
        "あなたの役割ではこのページを表示できません"
    )
    expect(page.locator("main table")).to_have_count(0)


def test_lead_creates_an_org_unit_after_correcting_a_duplicate_code(
    page: Page, live_server_url: str
):
    # given
    log_in(page, live_server_url, "lead")
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="組織").click()
    page.get_by_role("link", name="組織の追加").click()
    expect(page.locator("main h1")).to_have_text("組織の追加")
    # when: a code the demo's 総務課 already uses, submitted from the keyboard
    page.get_by_label("上位組織").select_option(label="総務部")
    page.get_by_label("組織コード").fill("110")
    page.get_by_role("textbox", name="名称", exact=True).fill("デジタル推進課")
    page.get_by_label("種別").select_option(label="課")
    page.get_by_label("行政機関").select_option(label="市長部局")
    page.get_by_role("textbox", name="名称", exact=True).press("Enter")
    # then: the error is next to the field, tied to it, and the summary has the focus
    message = "この団体には組織コード110の組織が既にあります。別のコードを入力してください。"
    expect(page.locator("#id_code_error")).to_have_text(message)
    code = page.get_by_label("組織コード")
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(code).to_have_attribute("aria-describedby", "id_code_helptext id_code_error")
    expect(page.locator("#form-errors")).to_be_focused()
    page.locator("#form-errors").get_by_role("link", name=re.compile("組織コード")).click()
    expect(code).to_be_focused()
    # when: corrected
    code.fill("130")
    page.get_by_role("button", name="保存").click()
    # then
    expect(page.locator("main h1")).to_have_text("デジタル推進課")
    expect(page.get_by_role("status")).to_have_text("組織「デジタル推進課」を追加しました。")
    props = page.locator("dl.props")
    expect(props).to_contain_text("130")
    expect(props.get_by_role("link", name="総務部")).to_be_visible()
