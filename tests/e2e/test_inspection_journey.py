"""Browser journey of issue 9: a self-inspection answered with evidence, approved, in the results
and in the committee's PDF report.

In the demo of 都留市, the lead (髙橋, login ``lead``) sets up this year's 自己点検 from the
current 対策基準, opens it and assigns the staff questionnaire to 点検 太郎 (a member of staff
of 総務課 made for this journey, login ``tenken``). 点検 answers with an evidence file, saves,
comes back later and submits. He cannot approve his own sheet; 田中 美咲 (情報セキュリティ管理者
of 総務課, login ``kacho``) approves it. The results page shows 総務課's implementation rate, and
the committee report is a PDF with Japanese text.

Selectors use ids and ``data-testid``: the pages' texts are translated outside this tree.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.pdf import assert_japanese_pdf

from .browser import DEMO_PASSWORD, PageWatch, log_in
from .test_quarantine import _isms

pytestmark = pytest.mark.e2e

TITLE = "e2e 情報セキュリティ自己点検"
EVIDENCE = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# Makes the member of staff of 総務課 who answers, and a small 対策基準 if the demo has none.
SETUP = f"""
import uuid
from isms.core import services
from isms.core.models import Municipality, OrgUnit, Person, User
from isms.policy.models import Control, ControlSection, ControlStandard
m = Municipality.objects.get(code="192040")
unit = OrgUnit.objects.get(municipality=m, code="110")
person = Person.objects.filter(municipality=m, employee_number="E2E901").first()
if person is None:
    person = services.create_person(
        None, m, employee_number="E2E901", family_name="点検", given_name="太郎",
        family_name_kana="テンケン", given_name_kana="タロウ", staff_category="regular",
        org_unit=unit,
    )
user = User.objects.filter(username="tenken").first()
if user is None:
    user = services.create_user(None, username="tenken", password=None, municipality=m)
    services.link_login(None, person, user)
services.set_password(None, user, "{DEMO_PASSWORD}", validate=False)
if not ControlStandard.objects.filter(municipality=m, is_current=True).exists():
    s = ControlStandard.objects.create(
        municipality=m, title="情報セキュリティ対策基準", version="e2e", is_current=True
    )
    sec = ControlSection.objects.create(
        standard=s, number="5.1", title="職員等の遵守事項", chapter=5, position=1
    )
    for n, text in enumerate(["離席時に端末をロックする", "パスワードを他人に教えない"]):
        Control.objects.create(
            standard=s, section=sec, key=uuid.uuid4(), code=f"5.1.{{n + 1}}",
            requirement=text, applies_to_roles=["staff"], position=n,
        )
"""


def test_answer_with_evidence_approve_results_and_committee_report(
    page: Page,
    live_server_url: str,
    server_env: dict[str, str],
    watch: PageWatch,
    tmp_path: Path,
):
    _isms(server_env, "shell", "-c", SETUP)

    # given: the lead sets up this year's campaign from the 対策基準, opens it and assigns it
    log_in(page, live_server_url, "lead")
    page.get_by_role("navigation", name="メインメニュー").get_by_role(
        "link", name="自己点検"
    ).click()
    page.locator("a[href='/inspections/new/']").click()
    page.locator("#id_title").fill(TITLE)
    page.locator("#id_answer_business_days").fill("10")
    page.locator("form.form button.primary").click()
    expect(page.locator("main h1")).to_have_text(TITLE)
    campaign_url = page.url
    page.locator("form[action$='/open/'] button").click()
    expect(page.get_by_test_id("campaign-status")).to_have_text("実施中")
    page.locator("a[href$='/assign/']").click()
    page.locator("#id_target_group").select_option("staff")
    page.locator("#id_person_number").fill("E2E901")
    page.locator("form.form button.primary").click()
    expect(page.get_by_test_id("progress")).to_contain_text("総務課")

    # when: 点検 opens his sheet from "my sheets", answers the first question with an evidence
    # file and saves a draft
    page.context.clear_cookies()
    log_in(page, live_server_url, "tenken")
    page.goto("/inspections/")
    page.get_by_test_id("my-sheets").get_by_role("link", name=TITLE).click()
    sheet_url = page.url
    rows = page.locator("tbody tr[data-testid^='item-']")
    count = rows.count()
    assert count >= 1
    first = rows.first
    first.locator("input[type=radio][value='partial']").check()
    first.locator("textarea").fill("一部の端末で未設定")
    evidence = tmp_path / "端末ロック手順.pdf"
    evidence.write_bytes(EVIDENCE)
    first.locator("input[type=file]").set_input_files(str(evidence))
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("sheet-status")).to_have_text("回答中")

    # then: he comes back later and finds his draft and his evidence file
    page.goto("/inspections/")
    page.goto(sheet_url)
    first = page.locator("tbody tr[data-testid^='item-']").first
    expect(first.locator("input[type=radio][value='partial']")).to_be_checked()
    expect(first.locator("textarea")).to_have_value("一部の端末で未設定")
    expect(first.get_by_role("link", name="端末ロック手順.pdf")).to_be_visible()

    # when: he answers the rest and submits
    rows = page.locator("tbody tr[data-testid^='item-']")
    for i in range(1, count):
        rows.nth(i).locator("input[type=radio][value='implemented']").check()
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("sheet-status")).to_have_text("提出済み")
    # he is no approver of his own answers
    expect(page.get_by_test_id("approve")).to_have_count(0)

    # when: 田中, the unit's 情報セキュリティ管理者, approves it from her queue
    page.context.clear_cookies()
    log_in(page, live_server_url, "kacho")
    page.goto("/inspections/approvals/")
    page.get_by_test_id("approval-queue").get_by_role("link", name="点検 太郎").click()
    page.get_by_test_id("approve").click()
    page.goto(sheet_url)
    expect(page.get_by_test_id("sheet-status")).to_have_text("承認済み")

    # then: the results show 総務課's implementation rate
    page.context.clear_cookies()
    log_in(page, live_server_url, "lead")
    page.goto(campaign_url + "results/")
    rate = round(100 * (count - 0.5) / count, 1)
    unit_row = page.get_by_test_id("by-unit").locator("tr", has_text="総務課")
    expect(unit_row).to_contain_text(str(rate))

    # and the report for the committee is a PDF in Japanese
    with page.expect_download() as download:
        page.get_by_test_id("report").click()
    pdf = Path(download.value.path()).read_bytes()
    assert_japanese_pdf(pdf, "自己点検", "総務課")
    watch.assert_clean()
