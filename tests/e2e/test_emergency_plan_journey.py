"""Browser journey of issue 12, part 4: the 緊急時対応計画 edited, approved, read and printed.

髙橋 三郎 (login ``lead``, 統括情報セキュリティ責任者) edits the default plan the configuration
loaded as a draft: the 統一的な窓口 gets its extension and a vendor's contact is added. He cannot
approve it (he edited it: 兼務の禁止, and the approval is the CISO's). The CISO (login ``ciso``,
山田 一郎) approves it. A member of staff (login ``staff``) opens the plan from the main menu,
sees the contact tree generated from the role assignments and downloads the PDF, which shows
the plan in Japanese.

Selectors use ids and ``data-testid``: the pages' texts are translated outside this tree.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.pdf import assert_japanese_pdf

from .browser import PageWatch, log_in

pytestmark = pytest.mark.e2e


def test_edit_approve_read_and_print_the_emergency_plan(
    page: Page, live_server_url: str, watch: PageWatch
):
    # given: the lead on the plan, a draft loaded from the configuration
    log_in(page, live_server_url, "lead")
    page.goto("/incidents/plan/")
    expect(page.get_by_test_id("plan-status")).to_have_attribute("data-status", "draft")
    expect(page.get_by_test_id("approve-plan")).to_have_count(0)

    # when: he edits the draft: the contact point's extension and a vendor's line
    page.get_by_test_id("edit-plan").click()
    page.locator("#id_contact_point").fill(
        "総務部 総務課 情報政策担当（統一的な窓口） 内線2101 security@city.tsuru.example.jp"
    )
    contacts = page.locator("#id_extra_contacts")
    contacts.fill(contacts.input_value() + "\nvendor | 住民記録システム保守事業者 | 03-1234-5678")
    page.locator("#id_change_note").fill("窓口の内線と保守事業者の連絡先を追加")
    page.locator("form[data-testid=plan-form] button.primary").click()

    # then: the draft shows the changes; he may not approve his own draft
    expect(page.get_by_test_id("contact-point")).to_contain_text("内線2101")
    expect(page.get_by_test_id("extra-contacts")).to_contain_text("住民記録システム保守事業者")
    expect(page.get_by_test_id("approve-plan")).to_have_count(0)
    draft_url = page.url

    # when: the CISO approves it
    page.context.clear_cookies()
    log_in(page, live_server_url, "ciso")
    page.goto(draft_url)
    page.get_by_test_id("approve-plan").click()

    # then: it is in force, approved by the CISO
    expect(page.get_by_test_id("plan-status")).to_have_attribute("data-status", "approved")
    expect(page.get_by_test_id("approved-by")).to_contain_text("山田 一郎")

    # when: a member of staff opens the plan from the main menu
    page.context.clear_cookies()
    log_in(page, live_server_url, "staff")
    page.get_by_role("navigation", name="メインメニュー").get_by_role(
        "link", name="緊急時対応計画"
    ).click()

    # then: the plan in force with the contact tree of today's role assignments
    expect(page.get_by_test_id("plan-status")).to_have_attribute("data-status", "approved")
    tree = page.get_by_test_id("contact-tree")
    expect(tree).to_contain_text("山田 一郎")
    expect(tree).to_contain_text("髙橋 三郎")
    expect(page.get_by_test_id("edit-plan")).to_have_count(0)

    # and the PDF to print shows the plan in Japanese
    with page.expect_download() as download:
        page.get_by_test_id("download-pdf").click()
    path = download.value.path()
    with open(path, "rb") as f:
        pdf = f.read()
    text = assert_japanese_pdf(pdf, "緊急時対応計画", "内線2101", "山田 一郎", "報告すべき事項")
    # table cells wrap long names onto two lines
    assert "住民記録システム保守事業者" in text.replace("\n", "")
    watch.assert_clean()
