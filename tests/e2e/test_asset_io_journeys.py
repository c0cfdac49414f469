"""Browser journeys of issue 4 item 7: the asset register's Excel/CSV round-trip.

Uses the demo of 都留市: ``kacho`` (田中 美咲) is the 情報セキュリティ管理者 of 課 110. New
asset numbers (E2E-IO-…) only, so that the other journeys' demo data stays as it was.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .browser import PageWatch, log_in

pytestmark = pytest.mark.e2e

HEADER = "管理番号,資産名,種別,所管課コード,保管場所,機密性,完全性,可用性,ホスト名/IPアドレス"


def _file(confidentiality: str) -> dict[str, object]:
    text = (
        f"{HEADER}\r\n"
        f"E2E-IO-1,会議室予約表,情報,110,書庫Ｂ,{confidentiality},１,１,\r\n"
        "E2E-IO-2,課内ファイルサーバ,機器,110,サーバ室,2,2,2,fs-110 １９２.０.２.１０\r\n"
    )
    return {"name": "assets.csv", "mimeType": "text/csv", "buffer": text.encode("cp932")}


def _import(page: Page, file: dict[str, object]) -> None:
    page.get_by_label("ファイル").set_input_files(files=[file])  # type: ignore[list-item]
    page.get_by_role("button", name="取込").click()


def test_import_the_template_with_an_error_then_fix_it(
    page: Page, live_server_url: str, watch: PageWatch
):
    """An unknown class (機密性5) is reported on row 2, column 機密性, and nothing is
    imported; with 機密性2 both rows are added (full-width digits and CP932 accepted)."""
    # given
    log_in(page, live_server_url, "kacho")
    page.goto("/assets/import/")
    expect(page.locator("main h1")).to_have_text("情報資産の取込")
    with page.expect_download() as template:
        page.get_by_role("link", name="雛形をダウンロード（CSV）").click()
    header = Path(template.value.path()).read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("管理番号,資産名,種別,所管課コード")

    # when: the file with the mistake
    _import(page, _file("５"))

    # then: the error names row and column, and nothing was imported
    expect(page.locator("main")).to_contain_text("何も取り込んでいません")
    error = page.locator("table.import-errors tbody tr")
    expect(error).to_have_count(1)
    expect(error.locator("td").nth(0)).to_have_text("2")
    expect(error.locator("td").nth(1)).to_have_text("機密性")
    expect(error.locator("td").nth(2)).to_contain_text("5")

    # when: the corrected file
    _import(page, _file("２"))

    # then
    expect(page.locator("main")).to_contain_text(
        "取り込みました: 追加 2 件、変更 0 件、変更なし 0 件。"
    )
    page.goto("/assets/?q=E2E-IO")
    expect(page.locator("main")).to_contain_text("会議室予約表")
    expect(page.locator("main")).to_contain_text("課内ファイルサーバ")
    watch.assert_clean()


def test_export_the_register_and_import_it_unchanged(
    page: Page, live_server_url: str, watch: PageWatch
):
    """The register as 課 110's manager sees it, exported as CSV and imported again: every
    row unchanged."""
    # given
    log_in(page, live_server_url, "kacho")
    page.goto("/assets/import/")
    with page.expect_download() as export:
        page.get_by_role("link", name="台帳を書き出す（CSV）").click()
    data = Path(export.value.path()).read_bytes()
    rows = len(data.decode("utf-8-sig").strip().splitlines()) - 1
    assert rows > 0

    # when
    _import(page, {"name": "register.csv", "mimeType": "text/csv", "buffer": data})

    # then
    expect(page.locator("main")).to_contain_text(
        f"取り込みました: 追加 0 件、変更 0 件、変更なし {rows} 件。"
    )
    expect(page.locator("main")).not_to_contain_text(re.compile("何も取り込んでいません"))
    watch.assert_clean()
