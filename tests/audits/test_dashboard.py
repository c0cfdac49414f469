"""The compliance dashboard, its drill-down, the 監査報告書 (PDF) and the audit figures of the
policy review: the figures, who sees what, and the API."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from isms.core import services as core_services
from isms.core.models import JournalEntry, OrgUnit, Person, User
from isms.core.roles import Role
from isms.inspections import services as inspection_services
from isms.inspections.audits import dashboard, services
from isms.inspections.audits.models import AuditItem, Finding
from isms.inspections.models import (
    CorrectiveAction,
    InspectionItem,
    InspectionResponse,
    SelfInspection,
)
from tests.audits.factories import AuditWorld
from tests.audits.web_specs_dashboard import API_SPECS
from tests.inspections.factories import make_campaign
from tests.support import access
from tests.support.factories import make_unit, make_user
from tests.support.pdf import assert_japanese_pdf

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@dataclass
class Figures:
    w: AuditWorld
    fy: int
    other_unit: OrgUnit  # 企画課: answers 実施 to everything
    campaign: SelfInspection
    last_year: SelfInspection
    targeted: SelfInspection
    item: AuditItem  # 5.1.1, 一部不適合, with a working paper
    late: Finding  # open, its action past due
    major: Finding  # open, no action yet


def _answer(campaign: SelfInspection, user: User, values: dict[str, tuple[str, str]]) -> None:
    """Assign ``user`` the campaign's staff questions and submit ``values`` by control code."""
    person = Person.objects.get(user=user)
    group = "staff"
    if not InspectionItem.objects.filter(campaign=campaign, target_group=group).exists():
        group = "division_security_manager"
    inspection_services.assign(None, campaign, target_group=group, person=person)
    sheet = InspectionResponse.objects.get(campaign=campaign, person=person)
    items = InspectionItem.objects.filter(campaign=campaign, target_group=group)
    answers = {i.pk: values.get(i.code, ("implemented", "")) for i in items}
    inspection_services.save_answers(None, sheet, answers, submit=True)


@pytest.fixture
def figures(world: AuditWorld) -> Figures:
    w = world
    t = w.t
    m = t.municipality
    fy = w.plan.fiscal_year
    other_unit = make_unit(m, "企画課", parent=t.bureau)
    # 企画課's 情報セキュリティ管理者, who answers the staff questions too.
    planner = make_user(m, "planner", roles=(Role.DIVISION_SECURITY_MANAGER,), unit=other_unit)
    # Self-inspections: this year 総務課 実施 + 一部実施 (75%), 企画課 all 実施 (100%);
    # last year 総務課 all 未実施 (0%).
    campaign = make_campaign(m, fiscal_year=fy, title="本年度点検")
    _answer(
        campaign,
        t.staff,
        {"4.1.1": ("implemented", ""), "5.1.1": ("partial", "鍵の管理が不十分")},
    )
    _answer(campaign, planner, {})
    last_year = make_campaign(m, fiscal_year=fy - 1, title="前年度点検")
    _answer(
        last_year, t.staff, {"4.1.1": ("not_implemented", ""), "5.1.1": ("not_implemented", "")}
    )
    # The audit of 総務課: 適合, 一部不適合, 不適合, 該当なし → (1 + ½) ÷ 3 = 50%.
    items = {i.code: i for i in w.audit.items.all()}
    results = {
        "4.1.1": AuditItem.Result.CONFORMING,
        "5.1.1": AuditItem.Result.PARTIAL,
        "6.1.1": AuditItem.Result.NONCONFORMING,
        "6.3.1": AuditItem.Result.NOT_APPLICABLE,
    }
    for code, result in results.items():
        services.assess_item(w.auditor, items[code], result=result, note=f"{code}の所見")
    services.add_workpaper(
        w.auditor,
        items["5.1.1"],
        kind="interview",
        performed_on=w.audit.starts_on,
        notes="鍵の保管を聞き取り",
        interviewee="総務課長",
    )
    late = services.record_finding(
        w.auditor,
        w.audit,
        item=items["5.1.1"],
        severity="minor",
        title="鍵の管理",
        description="鍵が施錠されていない",
    )
    action = services.add_action(
        w.manager, late, title="鍵の保管庫を設ける", owner=w.person(w.owner), due_business_days=5
    )
    # The action is overdue (its due date passed): set the date the way time would.
    CorrectiveAction.objects.filter(pk=action.pk).update(
        due_date=timezone.localdate() - datetime.timedelta(days=3)
    )
    major = services.record_finding(
        w.auditor,
        w.audit,
        item=items["6.1.1"],
        severity="major",
        title="権限の見直し未実施",
        description="アクセス権限が見直されていない",
    )
    # 横展開 of the first finding, answered 未実施 by 企画課: never counted.
    targeted = services.request_targeted_inspection(t.lead, late, units=[other_unit])
    _answer(targeted, planner, {"5.1.1": ("not_implemented", "")})
    return Figures(
        w=w,
        fy=fy,
        other_unit=other_unit,
        campaign=campaign,
        last_year=last_year,
        targeted=targeted,
        item=items["5.1.1"],
        late=late,
        major=major,
    )


def _row(rows: list[Any], key: int) -> Any:
    found = [r for r in rows if r.key == key]
    assert found, f"no row {key} in {[r.key for r in rows]}"
    return found[0]


def _cell(row: Any, fy: int) -> Any:
    return next(c for c in row.cells if c.fiscal_year == fy)


# --- figures ----------------------------------------------------------------------------------


def test_rates_per_unit_chapter_and_year(figures: Figures) -> None:
    f = figures
    t = f.w.t
    d = dashboard.build(t.municipality, f.fy)

    assert d.years == list(range(f.fy - 4, f.fy + 1))
    assert [c.pk for c in d.campaigns[f.fy]] == [f.campaign.pk]  # the targeted one left out
    unit = _row(d.units, t.unit.pk)
    now, before = _cell(unit, f.fy), _cell(unit, f.fy - 1)
    assert now.inspection.rate == 75.0
    assert before.inspection.rate == 0.0
    assert now.audit.rate == 50.0
    assert (now.audit.conforming, now.audit.partial, now.audit.nonconforming) == (1, 1, 1)
    assert now.audit.not_applicable == 1
    assert before.audit.rate is None
    assert now.findings.by_severity == {"major": 1, "minor": 1, "observation": 0}
    assert (now.findings.open, now.findings.overdue) == (2, 1)
    assert (unit.open_findings, unit.overdue_findings) == (2, 1)
    # 企画課 answered the 横展開 with 未実施: its rate stays at 100%.
    other = _cell(_row(d.units, f.other_unit.pk), f.fy)
    assert other.inspection.rate == 100.0
    assert other.inspection.not_implemented == 0
    chapters = {r.key: _cell(r, f.fy) for r in d.chapters}
    assert chapters[4].inspection.rate == 100.0
    assert chapters[5].inspection.rate == 75.0
    assert (chapters[4].audit.rate, chapters[5].audit.rate, chapters[6].audit.rate) == (
        100.0,
        50.0,
        0.0,
    )
    assert chapters[6].inspection.rate is None
    assert (chapters[5].findings.open, chapters[5].findings.overdue) == (1, 1)
    assert chapters[6].findings.by_severity["major"] == 1


def test_a_units_chapters_and_a_scoped_view(figures: Figures) -> None:
    f = figures
    t = f.w.t
    d = dashboard.build(t.municipality, f.fy, {t.unit.pk}, unit=t.unit)

    assert [r.key for r in d.units] == [t.unit.pk]
    chapters = {r.key: _cell(r, f.fy) for r in d.chapters}
    assert chapters[5].inspection.rate == 50.0  # 総務課 alone: 一部実施
    assert chapters[4].audit.rate == 100.0
    mine = dashboard.build(t.municipality, f.fy, {f.other_unit.pk}, unit=f.other_unit)
    assert mine.units[0].key == f.other_unit.pk
    assert _cell(mine.units[0], f.fy).audit.rate is None
    assert mine.units[0].open_findings == 0


def test_a_closed_finding_and_a_verified_action_leave_the_open_figures(figures: Figures) -> None:
    f = figures
    w = f.w
    action = f.late.corrective_actions.get()
    CorrectiveAction.objects.filter(pk=action.pk).update(due_date=timezone.localdate())
    inspection_services.progress_action(w.owner, action, note="設置した", done=True)
    action.refresh_from_db()
    services.verify_action(w.auditor, action)
    services.close_finding(w.auditor, f.late)

    summary = dashboard.review_summary(w.t.municipality, f.fy)
    row = _row(dashboard.build(w.t.municipality, f.fy).units, w.t.unit.pk)

    assert (row.open_findings, row.overdue_findings) == (1, 0)
    assert summary["open"] == 1 and summary["closed"] == 1 and summary["overdue"] == 0
    assert summary["corrective_actions_closed"] == 1


def test_review_summary(figures: Figures) -> None:
    s = dashboard.review_summary(figures.w.t.municipality, figures.fy)

    assert s["plans"] == 1  # the draft plan is not counted
    assert s["audits"] == 1 and s["audits_closed"] == 0
    assert s["findings"] == 2
    assert s["by_severity"] == {"major": 1, "minor": 1, "observation": 0}
    assert (s["open"], s["overdue"], s["closed"]) == (2, 1, 0)
    assert s["conformity_rate"] == 50.0
    assert dashboard.review_summary(figures.w.t.municipality, figures.fy - 1)["findings"] == 0


# --- pages ------------------------------------------------------------------------------------


def test_the_lead_sees_the_whole_municipality(client, figures: Figures) -> None:
    f = figures
    client.force_login(f.w.t.lead)

    response = client.get(reverse("audits:dashboard"), {"fy": f.fy}, **EN)

    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-testid="unit-row-{f.other_unit.pk}"' in html
    row = html.split(f'data-testid="unit-row-{f.w.t.unit.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "SI 75.0%" in row and "AU 50.0%" in row and "open 2 / overdue 1" in row
    assert f"unit={f.w.t.unit.pk}" in row and reverse("audits:dashboard_drill") in row


def test_a_unit_manager_sees_their_units_only(client, figures: Figures) -> None:
    f = figures
    client.force_login(f.w.manager)

    response = client.get(reverse("audits:dashboard"), {"fy": f.fy}, **EN)
    theirs = client.get(reverse("audits:dashboard"), {"unit": f.other_unit.pk}, **EN)
    drill = client.get(reverse("audits:dashboard_drill"), {"unit": f.other_unit.pk}, **EN)
    own = client.get(
        reverse("audits:dashboard"), {"fy": f.fy, "unit": f.w.t.unit.pk}, **EN
    ).content.decode()

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="scope-units"' in html
    assert f'data-testid="unit-row-{f.w.t.unit.pk}"' in html
    assert f'data-testid="unit-row-{f.other_unit.pk}"' not in html and "企画課" not in html
    assert theirs.status_code == 404 and drill.status_code == 404
    assert 'data-testid="chapter-row-5"' in own


def test_staff_and_the_administrator_are_refused(client, figures: Figures) -> None:
    for user in (figures.w.owner, figures.w.t.admin):
        client.force_login(user)
        assert client.get(reverse("audits:dashboard"), **EN).status_code == 403
        assert client.get(reverse("audits:dashboard_drill"), **EN).status_code == 403


def test_bad_parameters_never_break_the_page(client, figures: Figures) -> None:
    client.force_login(figures.w.t.lead)
    url, drill = reverse("audits:dashboard"), reverse("audits:dashboard_drill")

    assert client.get(url, {"fy": "令和"}, **EN).status_code == 200
    assert client.get(url, {"fy": "99999"}, **EN).status_code == 200
    assert client.get(url, {"unit": "x"}, **EN).status_code == 404
    assert client.get(url, {"unit": "999999"}, **EN).status_code == 404
    assert client.get(drill, {"chapter": "x"}, **EN).status_code == 404
    empty = client.get(drill, **EN)
    assert empty.status_code == 200 and "Choose a cell" in empty.content.decode()


def test_kofu_sees_nothing_of_tsuru(client, figures: Figures, other_world: AuditWorld) -> None:
    f = figures
    client.force_login(other_world.t.lead)

    page = client.get(reverse("audits:dashboard"), {"fy": f.fy, "unit": f.w.t.unit.pk}, **EN)
    drill = client.get(reverse("audits:dashboard_drill"), {"unit": f.w.t.unit.pk}, **EN)
    report = client.get(reverse("audits:plan_report", kwargs={"pk": f.w.plan.pk}), **EN)
    own = client.get(reverse("audits:dashboard"), {"fy": f.fy}, **EN).content.decode()

    assert (page.status_code, drill.status_code, report.status_code) == (404, 404, 404)
    assert "都留市" not in own and "企画課" not in own


def test_the_drill_lists_the_answers_and_the_working_papers(client, figures: Figures) -> None:
    f = figures
    client.force_login(f.w.t.lead)

    response = client.get(
        reverse("audits:dashboard_drill"), {"fy": f.fy, "unit": f.w.t.unit.pk}, **EN
    )

    html = response.content.decode()
    assert response.status_code == 200
    answers = html.split('data-testid="answers"', 1)[1].split("</table>", 1)[0]
    assert answers.index("Partly implemented") < answers.index("Implemented<")
    assert "鍵の管理が不十分" in answers and "Not implemented" not in answers  # not the 横展開
    sheet = InspectionResponse.objects.get(campaign=f.campaign, person__user=f.w.t.staff)
    assert reverse("inspections:sheet_detail", kwargs={"pk": sheet.pk}) in answers
    assert "2 answers" in html
    items = html.split('data-testid="items"', 1)[1].split("</table>", 1)[0]
    assert items.index("Nonconforming") < items.index("Partly nonconforming")
    assert f'data-testid="workpapers-{f.item.pk}">1<' in items
    assert reverse("audits:item_detail", kwargs={"pk": f.item.pk}) in items
    assert "5.1.1の所見" in items


def test_the_drill_of_a_chapter_for_a_unit_manager(client, figures: Figures) -> None:
    f = figures
    client.force_login(f.w.manager)

    html = client.get(
        reverse("audits:dashboard_drill"), {"fy": f.fy, "chapter": 4}, **EN
    ).content.decode()

    assert "1 answer" in html and "1 audit item" in html
    assert "企画課" not in html  # 企画課 answered chapter 4 too, out of the manager's sight


def test_the_report_pdf_in_japanese_and_journaled(client, figures: Figures) -> None:
    f = figures
    client.force_login(f.w.t.lead)

    response = client.get(
        reverse("audits:plan_report", kwargs={"pk": f.w.plan.pk}), HTTP_ACCEPT_LANGUAGE="ja"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    text = assert_japanese_pdf(
        response.content, "監査報告書", "監査計画A", "第1回情報セキュリティ委員会", "鍵の管理"
    )
    assert "権限の見直し未実施" in text and "鍵の保管庫を設ける" in text
    entry = JournalEntry.objects.get(kind=JournalEntry.Kind.READ, action="audit_report.export")
    assert entry.object_id == str(f.w.plan.pk) and entry.actor == f.w.t.lead


def test_the_report_is_for_those_who_see_all(client, figures: Figures) -> None:
    url = reverse("audits:plan_report", kwargs={"pk": figures.w.plan.pk})
    for user in (figures.w.manager, figures.w.owner):
        client.force_login(user)
        assert client.get(url, **EN).status_code == 403


def test_without_japanese_fonts_the_report_says_why(client, figures: Figures, monkeypatch) -> None:
    from isms.core.pdf import PdfUnavailable
    from isms.inspections.audits import views_dashboard

    def unavailable(*args: Any, **kwargs: Any) -> bytes:
        raise PdfUnavailable("日本語フォントがありません")

    monkeypatch.setattr(views_dashboard, "render_pdf", unavailable)
    client.force_login(figures.w.t.lead)
    before = JournalEntry.objects.count()

    response = client.get(
        reverse("audits:plan_report", kwargs={"pk": figures.w.plan.pk}), follow=True, **EN
    )

    assert response.status_code in (200, 404)  # the plan page (another helper's) or its stub
    assert "日本語フォントがありません" in [str(m) for m in response.context["messages"]]
    assert JournalEntry.objects.count() == before


def test_the_policy_review_shows_the_audit_figures(client, figures: Figures) -> None:
    client.force_login(figures.w.t.lead)

    html = client.get(reverse("policy:policy_review"), **EN).content.decode()

    audits = html.split('data-testid="review-audits"', 1)[1].split("</dl>", 1)[0]
    assert "<dt>audits held</dt><dd>1</dd>" in audits
    assert "<dt>Major</dt><dd>1</dd>" in audits
    assert "<dt>findings still open</dt><dd>2</dd>" in audits
    assert "<dt>findings overdue</dt><dd>1</dd>" in audits
    assert "<dt>findings closed</dt><dd>0</dd>" in audits


# --- API --------------------------------------------------------------------------------------


def _api(client, user: User, name: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    raw = core_services.issue_api_token(user, name="t")[1]
    return client.get(
        reverse(f"api:{name}", kwargs=kwargs),
        data or {},
        HTTP_AUTHORIZATION=f"Bearer {raw}",
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_the_api_gives_the_same_figures(client, figures: Figures) -> None:
    f = figures
    t = f.w.t

    whole = _api(client, t.lead, "audit_dashboard", {"fy": f.fy}).json()
    narrowed = _api(client, f.w.manager, "audit_dashboard", {"fy": f.fy}).json()
    chapters = _api(
        client, f.w.manager, "audit_dashboard", {"fy": f.fy, "unit_id": t.unit.pk}
    ).json()

    unit = next(u for u in whole["units"] if u["key"] == t.unit.pk)
    now = unit["years"][-1]
    assert now["fiscal_year"] == f.fy
    assert now["inspection"]["rate"] == 75.0 and now["audit"]["rate"] == 50.0
    assert (now["findings"]["open"], now["findings"]["overdue"]) == (2, 1)
    assert whole["whole_municipality"] is True
    assert whole["campaigns"][str(f.fy)] == [f.campaign.pk]
    assert [u["key"] for u in narrowed["units"]] == [t.unit.pk]
    assert narrowed["whole_municipality"] is False
    five = {c["key"]: c["years"][-1] for c in chapters["chapters"]}
    assert five[5]["inspection"]["rate"] == 50.0


def test_the_api_refuses_cleanly(client, figures: Figures, other_world: AuditWorld) -> None:
    f = figures

    staff = _api(client, f.w.owner, "audit_dashboard")
    foreign_unit = _api(client, other_world.t.lead, "audit_dashboard", {"unit_id": f.w.t.unit.pk})
    manager_other = _api(client, f.w.manager, "audit_dashboard", {"unit_id": f.other_unit.pk})
    bad_year = _api(client, f.w.t.lead, "audit_dashboard", {"fy": "1800"})
    report = _api(client, other_world.t.lead, "audit_plan_report", plan_id=f.w.plan.pk)
    manager_report = _api(client, f.w.manager, "audit_plan_report", plan_id=f.w.plan.pk)

    assert staff.status_code == 403
    assert foreign_unit.status_code == 404 and manager_other.status_code == 404
    assert bad_year.status_code == 422 and list(bad_year.json()["errors"]) == ["fy"]
    assert report.status_code == 404 and manager_report.status_code == 403


def test_the_api_report_is_the_pdf(client, figures: Figures) -> None:
    response = _api(client, figures.w.t.lead, "audit_plan_report", plan_id=figures.w.plan.pk)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert_japanese_pdf(response.content, "監査計画A")


# --- access matrix of the API -----------------------------------------------------------------


@pytest.fixture
def access_world(tsuru, kofu):  # type: ignore[no-untyped-def]
    return access.make_world(tsuru, kofu)


@pytest.mark.parametrize(("spec", "case"), access.cases(API_SPECS))
def test_api_access(spec, case, access_world, client):  # type: ignore[no-untyped-def]
    access.check(client, access_world, spec, case)


def test_every_dashboard_api_operation_has_an_access_spec_and_a_route() -> None:
    from isms.inspections.audits.api_dashboard import router
    from tests.support.routes import API_ROUTES

    names = access.operation_names(router)
    assert names == {s.name for s in API_SPECS}
    assert {f"api:{n}" for n in names} <= set(API_ROUTES)
