"""Browser journey of issue 10: an audit plan approved by the committee, a finding in another
unit, its corrective action completed by the owner and verified by the auditor, the dashboard
and the committee's PDF report.

In the demo of 都留市, 加藤 (情報セキュリティ監査統括責任者 and 監査人 of 企画課,
login ``auditor``) draws up a plan with one audit of 総務課 (chapter 5 of the 対策基準),
names himself its lead auditor and submits it. He cannot approve it himself; 山田 (CISO and
the committee's chair, login ``ciso``) approves it with the committee decision. 加藤 records
a working paper, an item result and a finding for 総務課. 田中 (情報セキュリティ管理者 of
総務課, login ``kacho``) answers it with a corrective action owned by 是正 花子 (a member of
総務課 made for this journey, login ``zesei``), who reports it done. 加藤 verifies it and
closes the finding; the dashboard's open findings of 総務課 go down by one, and the audit
report is a PDF in Japanese.

Selectors use ids and ``data-testid``: the pages' texts are translated outside this tree.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.support.pdf import assert_japanese_pdf

from .browser import DEMO_PASSWORD, PageWatch, log_in
from .test_quarantine import _isms

pytestmark = pytest.mark.e2e

TITLE = "e2e 情報セキュリティ監査実施計画"
EVIDENCE = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# The member of staff of 総務課 who owns the corrective action.
SETUP = f"""
from isms.core import services
from isms.core.models import Municipality, OrgUnit, Person, User
m = Municipality.objects.get(code="192040")
unit = OrgUnit.objects.get(municipality=m, code="110")
person = Person.objects.filter(municipality=m, employee_number="E2E911").first()
if person is None:
    person = services.create_person(
        None, m, employee_number="E2E911", family_name="是正", given_name="花子",
        family_name_kana="ゼセイ", given_name_kana="ハナコ", staff_category="regular",
        org_unit=unit,
    )
user = User.objects.filter(username="zesei").first()
if user is None:
    user = services.create_user(None, username="zesei", password=None, municipality=m)
    services.link_login(None, person, user)
services.set_password(None, user, "{DEMO_PASSWORD}", validate=False)
"""


def _option(page: Page, select: str, pattern: str) -> str:
    """The value of the first option of ``select`` whose text matches ``pattern``."""
    options = page.locator(f"{select} option")
    for i in range(options.count()):
        option = options.nth(i)
        if re.search(pattern, option.inner_text().strip()):
            return option.get_attribute("value") or ""
    raise AssertionError(f"no option matching {pattern} in {select}")


def _switch(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    log_in(page, base, username)


def _open_findings(page: Page) -> int:
    """The open findings of 総務課 on the dashboard (this fiscal year and the four before)."""
    page.goto("/audits/dashboard/")
    row = page.locator("tr[data-testid^='unit-row-']").filter(
        has=page.locator("th", has_text=re.compile(r"(^|\s)総務課$"))
    )
    expect(row).to_have_count(1)
    return int(row.locator("[data-testid^='open-']").inner_text().strip())


def test_committee_approves_auditor_finds_owner_corrects_auditor_closes(
    page: Page,
    live_server_url: str,
    server_env: dict[str, str],
    watch: PageWatch,
    tmp_path: Path,
):
    _isms(server_env, "shell", "-c", SETUP)
    today = timezone.localdate().isoformat()

    # given: the lead audit officer draws up a plan with one audit of 総務課 (chapter 5)
    log_in(page, live_server_url, "auditor")
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="監査").click()
    page.get_by_test_id("new-plan").click()
    page.locator("#id_title").fill(TITLE)
    page.locator("form.form button.primary").click()
    expect(page.locator("main h1")).to_have_text(TITLE)
    plan_url = page.url
    page.get_by_test_id("add-audit").click()
    page.locator("#id_title").fill("総務課の端末管理")
    page.locator("#id_kind").select_option("internal")
    page.locator("#id_org_unit").select_option(_option(page, "#id_org_unit", r"(^|\s)総務課$"))
    page.locator("#id_starts_on").fill(today)
    page.locator("#id_ends_on").fill(today)
    page.locator("input[name=chapters][value='5']").check()
    page.locator("form.form button.primary").click()
    expect(page.get_by_test_id("audits")).to_contain_text("総務課の端末管理")
    page.locator("[data-testid^='add-auditor-']").first.click()
    page.locator("#id_person").select_option(_option(page, "#id_person", "加藤"))
    page.locator("#id_is_lead").check()
    page.locator("form.form button.primary").click()
    page.goto(plan_url)
    expect(page.get_by_test_id("audits")).to_contain_text("加藤")
    page.get_by_test_id("submit-plan").click()
    expect(page.get_by_test_id("plan-status")).to_have_attribute("data-status", "submitted")
    # the preparer is offered no approval
    expect(page.get_by_test_id("approve-plan")).to_have_count(0)

    # when: the committee's chair approves it
    _switch(page, live_server_url, "ciso")
    page.goto(plan_url)
    page.locator("#id_approval_reference").fill("令和8年度第2回情報セキュリティ委員会")
    page.get_by_test_id("approve-plan").click()
    expect(page.get_by_test_id("plan-status")).to_have_attribute("data-status", "approved")

    # and: the auditor records a working paper with evidence, the item's result and a finding
    _switch(page, live_server_url, "auditor")
    page.goto(plan_url)
    page.get_by_test_id("audits").locator("a[href$='/']").first.click()
    audit_url = page.url
    page.locator("[data-testid^='item-'] a").first.click()
    form = page.get_by_test_id("workpaper-form")
    form.locator("#id_kind").select_option("interview")
    form.locator("#id_performed_on").fill(today)
    form.locator("#id_interviewee").fill("総務課長")
    form.locator("#id_notes").fill("離席時の端末ロックが徹底されていない端末を確認した")
    page.get_by_test_id("add-workpaper").click()
    expect(page.locator("[data-testid^='workpaper-']").first).to_contain_text("総務課長")
    evidence = tmp_path / "端末ロック確認記録.pdf"
    evidence.write_bytes(EVIDENCE)
    upload = page.locator("[data-testid^='evidence-form-']").first
    upload.locator("input[type=file]").set_input_files(str(evidence))
    upload.locator("button").click()
    expect(page.get_by_role("link", name="端末ロック確認記録.pdf")).to_be_visible()
    assess = page.get_by_test_id("assess-form")
    assess.locator("#id_result").select_option("partial")
    assess.locator("#id_result_note").fill("一部の端末でロック未設定")
    page.get_by_test_id("assess").click()
    expect(page.get_by_test_id("item-result")).to_contain_text("一部不適合")
    open_before = _open_findings(page)
    page.goto(audit_url)
    page.get_by_test_id("record-finding").click()
    form = page.get_by_test_id("finding-form")
    form.locator("#id_severity").select_option("minor")
    form.locator("#id_title").fill("離席時の端末ロック未実施")
    form.locator("#id_description").fill(
        "総務課の端末3台で、離席時のロックが設定されていなかった。"
    )
    form.locator("button.primary").click()
    expect(page.get_by_test_id("finding-status")).to_have_attribute("data-status", "open")
    finding_url = page.url
    assert _open_findings(page) == open_before + 1

    # when: the unit's 情報セキュリティ管理者 answers with a corrective action for 是正 花子
    _switch(page, live_server_url, "kacho")
    page.goto(finding_url)
    form = page.get_by_test_id("action-form")
    form.locator("#id_title").fill("全端末に自動ロックを設定する")
    form.locator("#id_owner_number").fill("E2E911")
    form.locator("#id_due_business_days").fill("10")
    page.get_by_test_id("add-action").click()
    expect(page.get_by_test_id("actions")).to_contain_text("全端末に自動ロックを設定する")

    # and: the owner reports it done
    _switch(page, live_server_url, "zesei")
    page.goto(finding_url)
    progress = page.locator("[data-testid^='progress-form-']").first
    progress.locator("textarea").fill("全端末に5分の自動ロックを設定した")
    progress.locator("input[name=done]").check()
    progress.locator("button").click()
    expect(page.get_by_test_id("actions").locator("td[data-status]").first).to_have_attribute(
        "data-status", "done"
    )
    # the owner cannot verify their own action
    expect(page.locator("[data-testid^='verify-']")).to_have_count(0)

    # then: the auditor verifies it and closes the finding
    _switch(page, live_server_url, "auditor")
    page.goto(finding_url)
    page.locator("[data-testid^='verify-']").first.click()
    expect(page.get_by_test_id("actions").locator("td[data-status]").first).to_have_attribute(
        "data-status", "closed"
    )
    page.get_by_test_id("close-finding").click()
    expect(page.get_by_test_id("finding-status")).to_have_attribute("data-status", "closed")

    # and: the dashboard reflects it, and the committee's report is a PDF in Japanese
    assert _open_findings(page) == open_before
    row = page.locator("tr[data-testid^='unit-row-']").filter(
        has=page.locator("th", has_text=re.compile(r"(^|\s)総務課$"))
    )
    expect(row).to_contain_text("%")
    page.goto(plan_url)
    report = page.get_by_test_id("plan-report").get_attribute("href")
    assert report
    response = page.request.get(live_server_url + report)
    assert response.status == 200
    assert_japanese_pdf(response.body(), "監査報告書", "総務課", "離席時の端末ロック未実施")
    watch.assert_clean()
