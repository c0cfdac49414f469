"""Browser journey of issue 12: a resident's report handled to closure.

A resident reports through the public form (no login) and gets a confirmation number that
shows the state of that report only. 髙橋 三郎 (login ``lead``, 統括情報セキュリティ責任者, who
triages incidents) finds it in the list, acknowledges it and triages it as a leak of 150
persons' data from 総務課's 文書管理システム (A-110-001): the page suggests a report to the
個人情報保護委員会, naming the rule (④ more than 100 persons) and its source, with the deadlines
of the 速報 and 確報 and the warning that they are not confirmed for municipalities. He confirms
the suggestion, records the 速報, fills the timeline (連絡, 証拠保全 with a PDF, 被害拡大の防止),
decides on publication and closes the incident with its root cause, a review and a corrective
action for 田中 美咲 (D0005).

Selectors use ids and ``data-testid``.
"""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import Page, expect

from .browser import PageWatch, log_in

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_public_report_to_closure_with_a_ppc_report(
    page: Page, live_server_url: str, watch: PageWatch
):
    # given: a resident on the public form of 都留市
    page.goto("/incidents/public/192040/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("都留市")
    page.locator("#id_title").fill("名簿がネット上に公開されている")
    page.locator("#id_description").fill(
        "市の講座の参加者名簿（約150人分）が検索結果に表示されています。"
    )
    page.locator("#id_contact").fill("090-0000-0000")
    # a person takes more than the form's minimum time (3 s) to fill it in
    page.wait_for_timeout(3500)

    # when: the resident sends it
    page.get_by_test_id("public-submit").click()

    # then: a confirmation number, and the status page shows this report's state only
    number = page.get_by_test_id("confirmation-number").inner_text()
    assert len(number) == 19
    page.get_by_role("link", name="通報の状況を確認する").click()
    page.locator("#id_confirmation").fill(number)
    page.locator("form.form button.primary").click()
    expect(page.get_by_test_id("public-status")).to_contain_text("受け付けました")
    expect(page.get_by_test_id("public-status")).not_to_contain_text("名簿")

    # when: the lead security officer opens it from the menu and acknowledges it
    page.context.clear_cookies()
    log_in(page, live_server_url, "lead")
    page.get_by_role("navigation", name="メインメニュー").get_by_role(
        "link", name="情報セキュリティインシデント"
    ).click()
    row = page.locator("tr", has_text="名簿がネット上に公開されている")
    row.get_by_test_id("incident-link").click()
    expect(page.get_by_test_id("incident-number")).to_contain_text("INC-")
    page.get_by_test_id("acknowledge").click()
    expect(page.get_by_test_id("incident-status")).to_contain_text("受付済み")

    # and triages it as a leak of 150 persons' data from the register's asset
    page.get_by_test_id("triage").click()
    page.locator('input[name="is_incident"][value="yes"]').check()
    page.locator("#id_severity").select_option("high")
    page.locator("#id_kind").select_option("personal_data_breach")
    page.locator("#id_threat_category").select_option("unintentional")
    page.locator("#id_asset_numbers").fill("A-110-001")
    page.locator("#id_personal_data").check()
    page.locator("#id_persons_affected").fill("150")
    page.locator("#id_note").fill("講座名簿の公開設定の誤り。")
    page.locator("form.form button.primary").click()

    # then: a PPC report is suggested, with the rule that fired, its source and the deadlines
    suggestion = page.get_by_test_id("ppc-suggestion")
    expect(suggestion).to_have_attribute("data-suggested", "yes")
    fired = page.get_by_test_id("fired-rule")
    expect(fired).to_have_count(1)
    expect(fired).to_contain_text("100人を超える")
    expect(fired).to_contain_text("第43条第4号")
    today = datetime.date.today()
    expect(page.get_by_test_id("final-due")).to_contain_text(
        (today + datetime.timedelta(days=30)).isoformat()[:7]
    )
    expect(page.get_by_test_id("preliminary-due")).not_to_be_empty()
    expect(page.get_by_test_id("deadline-note")).to_contain_text("行政機関等")
    expect(page.get_by_test_id("personal-data")).to_contain_text("150人")

    # when: he confirms the suggestion and records the 速報
    page.locator('input[name="ppc-decision"][value="report"]').check()
    page.get_by_test_id("ppc-confirm").click()
    expect(page.get_by_test_id("ppc-decision")).to_contain_text("個人情報保護委員会に報告する")
    page.locator("#id_ext-target").select_option("ppc")
    page.locator("#id_ext-kind").select_option("preliminary")
    page.locator("#id_ext-reported_on").fill(today.isoformat())
    page.get_by_test_id("add-external-report").click()
    expect(page.get_by_test_id("external-reports")).to_contain_text("速報")

    # and fills the timeline
    for kind, text, attach in (
        ("contact", "CISOと市民課へ電話で連絡した。", False),
        ("evidence", "検索結果と公開ページの画面を保存した。", True),
        ("containment", "公開設定を解除し、検索エンジンに削除を依頼した。", False),
    ):
        form = page.get_by_test_id("timeline-form")
        form.locator("#id_tl-kind").select_option(kind)
        form.locator("#id_tl-text").fill(text)
        if attach:
            form.locator("#id_tl-attachment").set_input_files(
                {"name": "画面.pdf", "mimeType": "application/pdf", "buffer": PDF}
            )
        page.get_by_test_id("add-timeline").click()
        expect(page.get_by_test_id("timeline")).to_contain_text(text)
    expect(page.get_by_test_id("timeline").get_by_role("link", name="画面.pdf")).to_be_visible()

    # and decides on publication
    page.locator('input[name="pub-publication"][value="publish"]').check()
    page.locator("#id_pub-reason").fill("公表基準（100人超の漏えい）に該当")
    page.get_by_test_id("decide-publication").click()
    expect(page.get_by_test_id("publication")).to_contain_text("公表する")

    # when: he closes it with its root cause, a review and a corrective action
    page.get_by_test_id("close").click()
    page.locator("#id_root_cause").fill("講座名簿を公開フォルダに保存した操作ミス")
    page.locator("#id_review").fill("公開前の確認手順がなかった。手順を定める。")
    page.locator("#id_action_title").fill("公開フォルダへの保存前確認の手順化")
    page.locator("#id_action_owner").fill("D0005")
    page.locator("#id_action_due").fill((today + datetime.timedelta(days=60)).isoformat())
    page.locator("form.form button.primary").click()

    # then: closed, with the corrective action
    expect(page.get_by_test_id("closed-at")).not_to_be_empty()
    expect(page.get_by_test_id("corrective-actions")).to_contain_text(
        "公開フォルダへの保存前確認の手順化"
    )
    expect(page.get_by_test_id("corrective-actions")).to_contain_text("田中")

    # and the resident's status page says it is closed
    page.context.clear_cookies()
    page.goto("/incidents/public/192040/status/")
    page.locator("#id_confirmation").fill(number)
    page.locator("form.form button.primary").click()
    expect(page.get_by_test_id("public-status")).to_contain_text("対応を終了しました")
    watch.assert_clean()
