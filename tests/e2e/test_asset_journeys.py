"""Browser journeys of issue 4: the asset register's pages with the demo data of 都留市.

(a) 田中 美咲 (課長, login ``kacho``, 情報セキュリティ管理者 of 総務課) registers an asset and
classifies it with the assistant, overriding one class with a reason; (b) the lead asked for
the disposal of 総務課's expired files (demo request): the lead cannot approve it (兼務の禁止),
田中 approves it and records the disposal; 田中 moves two assets to a new storage location at
once; (c) the lead migrates the register to the R6.10
scheme and clears the review list. (c) changes the whole register's scheme, so it runs last.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .browser import PageWatch, log_in

pytestmark = pytest.mark.e2e

MAX_REVIEW_ITEMS = 100


def test_register_an_asset_with_the_assistant(page: Page, live_server_url: str, watch: PageWatch):
    # given: the 総務課 manager on the register
    log_in(page, live_server_url, "kacho")
    page.get_by_role("navigation", name="メインメニュー").get_by_role(
        "link", name="情報資産"
    ).click()
    expect(page.locator("main h1")).to_have_text("情報資産管理台帳")

    # when: a new asset, without classes
    page.get_by_role("link", name="情報資産を登録").click()
    page.locator("#id_asset_number").fill("A-110-901")
    page.locator("#id_name").fill("ｅ２ｅ 会議録（総務課）")
    page.locator("#id_kind").select_option("information")
    page.locator("#id_owning_unit").select_option(label="総務課")
    page.locator("#id_segment").select_option("lgwan")
    page.locator("#id_storage_location").fill("本庁舎3階 総務課")
    page.get_by_role("button", name="登録する").click()
    expect(page.get_by_role("status")).to_contain_text("情報資産 A-110-901")
    expect(page.get_by_test_id("asset-classes")).to_have_text("未分類")

    # and: the assistant's questions, answered
    page.get_by_role("link", name="分類支援").click()
    expect(page.locator("main h1")).to_have_text("分類支援")
    answers = {
        "classified_document": "no",
        "specific_personal_info": "no",
        "sensitive_personal_info": "no",
        "personal_info": "no",
        "published": "no",
        "leak_harm": "minor",
        "alteration_harm": "none",
        "loss_harm": "minor",
        "max_downtime": "several_days",
    }
    for question, value in answers.items():
        page.locator(f'input[name="q_{question}"][value="{value}"]').check()
    page.get_by_role("button", name="分類の提案を見る").click()

    # then: the suggestion, with the criterion for each class
    suggestion = page.get_by_test_id("suggestion")
    expect(suggestion).to_contain_text("機密性2")
    expect(suggestion.locator("tr[data-axis=integrity] th")).to_have_text("完全性1")

    # when: an override without a reason is refused, then given with one
    page.locator("#id_override_integrity").select_option("2")
    page.get_by_role("button", name="この分類で確定する").click()
    expect(page.locator(".error-summary")).to_contain_text("理由が必要")
    page.locator("#id_override_integrity").select_option("2")
    page.locator("#id_reason_integrity").fill("会議録の正確性は市民への説明に不可欠なため")
    page.get_by_role("button", name="この分類で確定する").click()

    # then: classified, the reasons and the override kept, 取扱制限 derived
    expect(page.get_by_role("status")).to_contain_text("に分類しました")
    expect(page.get_by_test_id("asset-classes")).to_have_text("機密性2 / 完全性2 / 可用性1")
    expect(page.locator("main")).to_contain_text("会議録の正確性は市民への説明に不可欠なため")
    handling = page.locator("table.handling")
    expect(handling).to_contain_text("廃棄")
    expect(handling).to_contain_text("許可が必要")
    history = page.locator("table.history")
    expect(history).to_contain_text("分類支援で分類")
    expect(history).to_contain_text("kacho")
    watch.assert_clean()


def test_a_manager_approves_the_disposal_its_applicant_cannot(
    page: Page, live_server_url: str, watch: PageWatch
):
    # given: the lead asked to dispose of 総務課's expired files (demo data)
    log_in(page, live_server_url, "lead")
    page.goto("/assets/?q=旧文書ファイル")
    page.get_by_role("link", name=re.compile("旧文書ファイル")).click()
    requests = page.locator("section", has=page.locator("#requests-h"))
    expect(requests).to_contain_text("承認待ち")

    # when: the lead tries to approve their own request
    requests.get_by_role("button", name="承認する").click()

    # then: refused, with the reason on the page
    expect(page.locator(".messages")).to_contain_text("兼務の禁止")
    expect(requests).to_contain_text("承認待ち")

    # when: 田中 (情報セキュリティ管理者 of 総務課) approves it from the list of requests
    page.context.clear_cookies()
    log_in(page, live_server_url, "kacho")
    page.goto("/assets/requests/")
    pending = page.locator("section", has=page.locator("#pending-h"))
    row = pending.locator("tr", has_text="旧文書ファイル")
    expect(row).to_contain_text("髙橋 三郎")
    row.get_by_role("button", name="承認する").click()
    expect(page.get_by_role("status")).to_contain_text("承認しました")

    # and records the disposal
    page.goto("/assets/?q=旧文書ファイル")
    page.get_by_role("link", name=re.compile("旧文書ファイル")).click()
    page.get_by_role("link", name="廃棄を記録する").click()
    page.locator("#id_method").fill("溶解処理業者に引き渡し、溶解証明書を受領")
    page.get_by_role("button", name="廃棄を記録する").click()

    # then: the disposal log names the approver; the asset is disposed of
    expect(page.get_by_role("status")).to_contain_text("廃棄")
    record = page.locator("section", has=page.locator("#disposal-h"))
    expect(record).to_contain_text("溶解証明書を受領")
    expect(record).to_contain_text("田中 美咲")
    expect(page.locator("main dl.props").first).to_contain_text("廃棄済み")
    watch.assert_clean()


def test_a_manager_moves_two_assets_at_once(page: Page, live_server_url: str, watch: PageWatch):
    # given: the 総務課 manager on the register, which shows their unit's assets
    log_in(page, live_server_url, "kacho")
    page.goto(f"{live_server_url}/assets/")
    rows = page.locator("main table tbody tr")
    first, second = (rows.nth(i).locator("td").nth(1).inner_text() for i in (0, 1))

    # when: nothing ticked, then two ticked, a new storage location for both
    page.locator("#id_field").select_option("storage_location")
    page.locator("#id_storage_location").fill("ｅ２ｅ 新庁舎 書庫")
    page.get_by_role("button", name="選択した資産に適用する").click()
    expect(page.get_by_role("alert").filter(has_text="1件以上選択")).to_be_visible()
    page.get_by_role("checkbox", name=f"{first} を選択").check()
    page.get_by_role("checkbox", name=f"{second} を選択").check()
    page.locator("#id_field").select_option("storage_location")
    page.locator("#id_storage_location").fill("ｅ２ｅ 新庁舎 書庫")
    page.get_by_role("button", name="選択した資産に適用する").click()

    # then: both moved, in one step
    expect(page.get_by_role("status")).to_contain_text("2件の情報資産を変更しました")
    page.locator("main table tbody tr").first.get_by_role("link").click()
    expect(page.locator("main")).to_contain_text("ｅ２ｅ 新庁舎 書庫")


def test_the_lead_migrates_the_register_and_clears_the_review_list(
    page: Page, live_server_url: str, watch: PageWatch
):
    # given
    log_in(page, live_server_url, "lead")
    page.goto("/assets/migration/")
    expect(page.locator("main h1")).to_have_text("分類体系の移行")

    # when: the migration starts
    page.get_by_role("button", name="移行を開始する").click()

    # then: clear cases are done, the ambiguous ones wait on the review list
    expect(page.get_by_role("status")).to_contain_text("台帳は新しい分類体系になりました")
    rows = page.locator("main table tr[data-item]")
    total = rows.count()
    assert total > 0
    page.goto("/assets/?pending=on")
    expect(page.get_by_test_id("asset-count")).not_to_have_text("0件")

    # when: the lead decides every item (the suggestion, or the first candidate)
    page.goto("/assets/migration/")
    for _ in range(MAX_REVIEW_ITEMS):
        if rows.count() == 0:
            break
        row = rows.first
        if row.locator("input[type=radio]:checked").count() == 0:
            row.locator("input[type=radio]").first.check()
        row.get_by_role("button", name="決定する").click()
        expect(page.get_by_role("status")).to_contain_text("に決定しました")

    # then: the list is empty, the migration complete, nothing left pending
    expect(page.get_by_test_id("review-empty")).to_be_visible()
    expect(page.get_by_test_id("migration-status")).to_contain_text("完了しました")
    page.goto("/assets/?pending=on")
    expect(page.get_by_test_id("asset-count")).to_have_text("0件")
    page.goto("/assets/")
    expect(page.locator("main")).to_contain_text("自治体機密性")
    watch.assert_clean()
