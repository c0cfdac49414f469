"""Browser journey of issue 3: approve something as a deputy and see it in the journal.

In the demo of 都留市, 伊藤 健 (情報システム管理者, no login of his own here) is away. The lead
names 田中 美咲 (課長, login ``kacho``) his deputy; the lead then asks for a held original to be
released, 田中 approves it as 伊藤's deputy, and the journal says so.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from isms.sanitizer import Policy, QuarantineStore, sanitize_message

from .browser import PageWatch, log_in
from .test_quarantine import _isms

pytestmark = pytest.mark.e2e

HELD = (
    b"From: vendor@internet.test\r\nTo: kaikei@lgwan.tsuru.test\r\n"
    b"Subject: =?UTF-8?B?6KaL56mN5pu4?=\r\n"  # 見積書
    b"Message-ID: <e2e-deputy@internet.test>\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
    b"Content-Type: text/plain; charset=UTF-8\r\n\r\nsee attachment\r\n--b\r\n"
    b"Content-Type: application/octet-stream\r\n"
    b'Content-Disposition: attachment; filename="quote.exe"\r\n'
    b"Content-Transfer-Encoding: base64\r\n\r\n"
    b"TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAA=\r\n--b--\r\n"
)


def _hold(env: dict[str, str]) -> None:
    store = QuarantineStore(Path(env["ISMS_DATA_DIR"]) / "quarantine")
    result = sanitize_message(HELD, policy=Policy())
    store.store(
        HELD,
        result.__class__(**{**result.__dict__, "quarantine_id": result.original_sha256}),
        received_at=datetime.now(UTC),
        sender="vendor@internet.test",
        recipients=["kaikei@lgwan.tsuru.test"],
    )
    _isms(env, "quarantine", "domain", "lgwan.tsuru.test", "192040")
    _isms(env, "quarantine", "import")


def test_a_deputy_approves_a_release_and_the_journal_names_the_absent_holder(
    page: Page, live_server_url: str, server_env: dict[str, str], watch: PageWatch
):
    # given: a held mail; the lead names 田中 deputy of the absent 情報システム管理者
    _hold(server_env)
    log_in(page, live_server_url, "lead")
    page.goto("/organisation/roles/")
    page.get_by_role("link", name="代理・代決").first.click()
    expect(page.locator("main h1")).to_have_text("代理・代決")
    page.get_by_role("link", name="代理者を指名").click()
    option = page.locator("#id_assignment option", has_text="伊藤 健").filter(
        has_text="情報システム管理者"
    )
    page.locator("#id_assignment").select_option(option.get_attribute("value"))
    page.locator("#id_deputy").fill("Ｄ0005")  # a wrong number first
    page.locator("#id_reason").fill("伊藤係長 休暇のため")
    page.get_by_role("button", name="代理者を指名する").click()
    expect(page.locator("main")).to_contain_text("その職員番号の職員はいません")
    page.locator("#id_deputy").fill("D0005")
    page.get_by_role("button", name="代理者を指名する").click()
    expect(page.get_by_role("status")).to_contain_text("田中 美咲 を")
    expect(page.locator("main table")).to_contain_text("有効")

    # the lead asks for the original to be released
    page.goto("/quarantine/")
    page.get_by_role("link", name="見積書").click()
    page.locator("#original_reason").fill("差出人に電話で確認済み")
    page.get_by_role("button", name="承認を申請する").click()
    expect(page.get_by_role("status")).to_contain_text("第二承認者の承認を待っています。")

    # when: 田中 approves it as 伊藤's deputy
    page.context.clear_cookies()
    log_in(page, live_server_url, "kacho")
    page.goto("/organisation/delegations/")
    expect(page.locator("main")).to_contain_text("本日あなたが代理を務める人")
    page.goto("/quarantine/")
    page.get_by_role("link", name="見積書").click()
    page.get_by_role("button", name="承認して原本を開放する").click()

    # then: delivered, and both the release and the journal name the absent holder
    expect(page.get_by_role("status")).to_contain_text("原本を開放し、宛先に配信しました。")
    expect(page.locator("main")).to_contain_text("伊藤 健 (情報システム管理者")
    page.context.clear_cookies()
    log_in(page, live_server_url, "lead")
    page.goto("/organisation/journal/")
    row = page.locator("main table tr", has_text="quarantine.release_original").first
    expect(row).to_contain_text("kacho")
    expect(row).to_contain_text("伊藤 健 (情報システム管理者")
    expect(row).to_contain_text("の代理")
    watch.assert_clean()
