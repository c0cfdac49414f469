"""Browser journey of issue 3: import the org chart with an error, fix it and re-import.

Uses the demo of 都留市 (総務部 has code 100); the lead uploads a CSV naming a parent code no
unit has, reads the row and column of the error on the page, corrects the file and sees the new
unit in the org chart.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .browser import PageWatch, log_in

pytestmark = pytest.mark.e2e

HEADER = "組織コード,上位組織コード,名称,名称（カナ）,種別,機関,対象,表示順"


def _file(parent: str) -> dict[str, object]:
    text = f"{HEADER}\r\n150,{parent},地域交通課,ちいきこうつうか,課,市長部局,はい,35\r\n"
    return {"name": "org-units.csv", "mimeType": "text/csv", "buffer": text.encode("cp932")}


def test_import_the_org_chart_with_an_error_then_fix_it(
    page: Page, live_server_url: str, watch: PageWatch
):
    """An unknown parent code (10O, a letter O for a zero) is reported on row 2, column
    上位組織コード, and nothing is imported; with 100 the unit appears under 総務部."""
    # given
    log_in(page, live_server_url, "lead")
    page.goto("/organisation/org-units/")
    page.get_by_role("link", name="取込").click()
    expect(page.locator("main h1")).to_have_text("組織の取込")

    # when: the file with the mistake
    page.get_by_label("ファイル").set_input_files(files=[_file("10O")])  # type: ignore[list-item]
    page.get_by_role("button", name="取込").click()

    # then: the error names row and column, and how to fix it
    expect(page.locator("main")).to_contain_text("何も取り込んでいません")
    error = page.locator("table.import-errors tbody tr")
    expect(error).to_have_count(1)
    expect(error.locator("td").nth(0)).to_have_text("2")
    expect(error.locator("td").nth(1)).to_have_text("上位組織コード")
    expect(error.locator("td").nth(2)).to_have_text("このコードの組織はこの団体にありません。")
    page.goto("/organisation/org-units/")
    expect(page.locator("main")).not_to_contain_text("地域交通課")

    # when: the corrected file
    page.get_by_role("link", name="取込").click()
    page.get_by_label("ファイル").set_input_files(files=[_file("100")])  # type: ignore[list-item]
    page.get_by_role("button", name="取込").click()

    # then
    expect(page).to_have_url(f"{live_server_url}/organisation/org-units/")
    expect(page.locator("main")).to_contain_text(
        "取り込みました: 追加 1 件、変更 0 件、変更なし 0 件。"
    )
    page.get_by_role("link", name="地域交通課").click()
    expect(page.locator("main h1")).to_contain_text("地域交通課")
    expect(page.locator("main")).to_contain_text("総務部")
    watch.assert_clean()
