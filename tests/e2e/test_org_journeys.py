"""Browser journeys of issue 3: a 組織改正 merge with its history, and the 4/1 carry-over.

Uses the demo of 都留市 (収納課 merges into 税務課; the lead carries the year's roles over).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .browser import PageWatch, log_in

pytestmark = pytest.mark.e2e


def test_merge_two_divisions_and_read_the_history(
    page: Page, live_server_url: str, watch: PageWatch
):
    """The lead merges 収納課 into 税務課; 税務課 shows where it took over from, 収納課 shows
    its history, and the role list still finds 収納課's manager by that name."""
    # given
    log_in(page, live_server_url, "lead")
    page.goto("/organisation/org-units/")
    page.get_by_role("link", name="収納課").click()
    page.get_by_role("link", name="組織改正").click()

    # when
    page.locator("#id_kind").select_option("merge")
    page.locator("#id_into").select_option(label="税務課")
    page.locator("#id_reason").fill("収納部門の統合")
    page.get_by_role("button", name="組織改正を記録").click()

    # then
    expect(page.locator("main h1")).to_contain_text("収納課")
    expect(page.locator("main h1")).to_contain_text("廃止")
    expect(page.locator("table.history")).to_contain_text("収納課")
    expect(page.locator("main")).to_contain_text("引継ぎ先: 税務課")
    expect(page.locator("main")).to_contain_text("収納部門の統合")
    page.get_by_role("link", name="税務課").first.click()
    expect(page.locator("main")).to_contain_text("引継ぎ元")
    expect(page.locator("main")).to_contain_text("収納課")
    page.goto("/organisation/roles/?unit=収納課")
    expect(page.locator("main table")).to_contain_text("渡邊 和也")
    watch.assert_clean()


def test_carry_the_roles_over_to_the_next_fiscal_year(
    page: Page, live_server_url: str, watch: PageWatch
):
    """The administrator carries this year's roles into the next; the page reports it."""
    # given
    log_in(page, live_server_url, "admin")
    page.goto("/organisation/roles/")
    page.get_by_role("link", name="役割を次年度へ引き継ぐ").click()
    expect(page.locator("main h1")).to_have_text("役割を次年度へ引き継ぐ")

    # when
    page.get_by_role("button", name=re.compile("へ引き継ぐ$")).click()

    # then
    expect(page.locator("main h1")).to_contain_text("役割の割当て")
    expect(page.locator(".messages, [role=status], main").first).to_contain_text(
        re.compile(r"\d+件の役割を令和\d+年度へ引き継ぎました")
    )
    watch.assert_clean()
