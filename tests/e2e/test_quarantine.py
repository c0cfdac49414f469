"""Browser journey: a held mail is released only after a second person approves."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from isms.sanitizer import Policy, QuarantineStore, sanitize_message

from .browser import log_in

pytestmark = pytest.mark.e2e

HELD = (
    b"From: vendor@internet.test\r\nTo: kaikei@lgwan.tsuru.test\r\n"
    b"Subject: =?UTF-8?B?6KuL5rGC5pu444Gu6YCB5LuY?=\r\n"  # 請求書の送付
    b"Message-ID: <e2e-held@internet.test>\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
    b"Content-Type: text/plain; charset=UTF-8\r\n\r\nsee attachment\r\n--b\r\n"
    b"Content-Type: application/octet-stream\r\n"
    b'Content-Disposition: attachment; filename="invoice.exe"\r\n'
    b"Content-Transfer-Encoding: base64\r\n\r\n"
    b"TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAA=\r\n--b--\r\n"
)


def _isms(env: dict[str, str], *args: str) -> str:
    command = [str(Path(sys.executable).with_name("isms")), *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return done.stdout


def _quarantine_held_mail(env: dict[str, str]) -> None:
    """What the gateway does (store the original), then the periodic import."""
    store = QuarantineStore(Path(env["ISMS_DATA_DIR"]) / "quarantine")
    result = sanitize_message(HELD, policy=Policy())
    store.store(
        HELD,
        replace(result, quarantine_id=result.original_sha256),
        received_at=datetime.now(UTC),
        sender="vendor@internet.test",
        recipients=["kaikei@lgwan.tsuru.test"],
    )
    _isms(env, "quarantine", "domain", "lgwan.tsuru.test", "192040")
    assert _isms(env, "quarantine", "import").startswith("imported 1,")


def test_release_of_a_held_original_needs_a_second_approver(
    page: Page, live_server_url: str, server_env: dict[str, str], screenshots_dir: Path
):
    # given: a held mail in the quarantine
    _quarantine_held_mail(server_env)
    outbox = Path(server_env["ISMS_DATA_DIR"]) / "release-outbox"
    # Other journeys of the session may have released mail already: only new files count.
    delivered_before = set(outbox.glob("*.eml"))
    # when: the lead security officer finds it and asks to release the original
    log_in(page, live_server_url, "lead")
    page.get_by_role("navigation", name="メインメニュー").get_by_role(
        "link", name="無害化と隔離"
    ).click()
    expect(page.locator("main h1")).to_have_text("隔離メール")
    page.get_by_label("差出人または件名").fill("請求書")
    page.get_by_role("button", name="検索").click()
    page.get_by_role("link", name="請求書の送付").click()
    expect(page.locator("main")).to_contain_text("invoice.exe")
    expect(page.locator("main")).to_contain_text("実行ファイルが添付されています。")
    page.locator("#original_reason").fill("差出人に電話で確認済み")
    page.get_by_role("button", name="承認を申請する").click()
    expect(page.get_by_role("status")).to_contain_text("第二承認者の承認を待っています。")
    # then: the applicant cannot approve it
    page.get_by_role("button", name="承認して原本を開放する").click()
    expect(page.get_by_role("status")).to_contain_text("兼務の禁止")
    assert set(outbox.glob("*.eml")) == delivered_before
    # when: the municipality administrator approves
    page.context.clear_cookies()
    log_in(page, live_server_url, "admin")
    page.goto("/quarantine/")
    page.get_by_role("link", name="請求書の送付").click()
    expect(page.locator("main")).to_contain_text("差出人に電話で確認済み")
    page.get_by_role("button", name="承認して原本を開放する").click()
    # then: the original went to the recipient
    expect(page.get_by_role("status")).to_contain_text("原本を開放し、宛先に配信しました。")
    expect(page.locator("main")).to_contain_text("開放済み")
    page.screenshot(path=str(screenshots_dir / "quarantine-released.png"), full_page=True)
    [eml] = list(set(outbox.glob("*.eml")) - delivered_before)
    assert eml.read_bytes() == HELD
    assert eml.with_suffix(".rcpt").read_text(encoding="utf-8") == "kaikei@lgwan.tsuru.test\n"
