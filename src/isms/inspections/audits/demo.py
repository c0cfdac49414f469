"""The demo's 監査: this fiscal year's approved plan with two audits, through the services.

The plan is drawn up by the demo's 監査統括責任者 (login ``auditor``, 企画課), approved by the
committee's chair (login ``ciso``), and audits 総務課 (code 110) and 税務課 (code 220), neither of
them the auditor's unit nor a unit above or below it. Fieldwork: a few 監査調書, item results and
two 指摘事項: one whose 是正処置 is in progress (owner: 総務課's 情報セキュリティ管理者, login
``kacho``) and one whose 是正処置 is overdue (owner: 税務課's 情報セキュリティ管理者).

Made only when the demo's people and a current 対策基準 with 重点項目 exist and the plan is not
there yet, so loading the demo twice changes nothing.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from isms.core.calendar import add_business_days, fiscal_year_bounds, wareki_fiscal_year
from isms.core.models import Municipality, OrgUnit, Person, User
from isms.inspections import services as inspection_services
from isms.inspections.models import CorrectiveAction
from isms.policy.models import Control, ControlStandard

from . import services
from .models import Audit, AuditItem, AuditPlan, Finding

__all__ = ["DEMO_PLAN_TITLE", "load_demo_audits"]

DEMO_PLAN_TITLE = "情報セキュリティ監査実施計画"
AUDITOR_LOGIN = "auditor"
CHAIR_LOGIN = "ciso"
MANAGER_LOGIN = "kacho"
AUDITED_UNITS = ("110", "220")  # 総務課, 税務課
OVERDUE_OWNER = "D0009"  # 小林 由美, 税務課の情報セキュリティ管理者


def _title(fiscal_year: int) -> str:
    return f"{wareki_fiscal_year(fiscal_year)} {DEMO_PLAN_TITLE}"


def load_demo_audits(m: Municipality, fiscal_year: int) -> AuditPlan | None:
    """Make the demo audit plan of ``fiscal_year`` if it is missing; return it (None if not)."""
    title = _title(fiscal_year)
    if AuditPlan.objects.filter(municipality=m, fiscal_year=fiscal_year, title=title).exists():
        return None
    standard = ControlStandard.objects.filter(municipality=m, is_current=True).first()
    if standard is None or not Control.objects.filter(standard=standard, is_key_item=True).exists():
        return None
    users = {u.username: u for u in User.objects.filter(municipality=m)}
    units = {u.code: u for u in OrgUnit.objects.filter(municipality=m, code__in=AUDITED_UNITS)}
    owner = Person.objects.filter(municipality=m, employee_number=OVERDUE_OWNER).first()
    auditor, chair, kacho = (users.get(n) for n in (AUDITOR_LOGIN, CHAIR_LOGIN, MANAGER_LOGIN))
    if None in (auditor, chair, kacho, owner) or len(units) != len(AUDITED_UNITS):
        return None
    assert auditor is not None and chair is not None and kacho is not None and owner is not None
    auditor_person = Person.objects.get(user=auditor)
    kacho_person = Person.objects.get(user=kacho)

    today = timezone.localdate()
    first, last = fiscal_year_bounds(fiscal_year)
    starts_on = max(first, today - datetime.timedelta(days=20))
    ends_on = min(last, today + datetime.timedelta(days=20))

    plan = services.create_plan(
        auditor,
        m,
        fiscal_year=fiscal_year,
        title=title,
        objective="情報セキュリティ対策基準の重点項目の遵守状況を確認する。",
        standard=standard,
    )
    audits: list[Audit] = []
    for code, name in zip(AUDITED_UNITS, ("総務課", "税務課"), strict=True):
        audit = services.add_audit(
            auditor,
            plan,
            title=f"{name}の情報セキュリティ監査",
            kind=Audit.Kind.INTERNAL,
            org_unit=units[code],
            starts_on=starts_on,
            ends_on=ends_on,
            key_items_only=True,
        )
        services.assign_auditor(auditor, audit, auditor_person, is_lead=True)
        audits.append(audit)
    services.submit_plan(auditor, plan)
    plan = services.approve_plan(
        chair, plan, reference=f"{wareki_fiscal_year(fiscal_year)}第1回情報セキュリティ委員会"
    )

    # 総務課: two working papers, three results, a finding whose action is in progress.
    soumu = audits[0]
    items = list(soumu.items.order_by("position")[:3])
    services.add_workpaper(
        auditor,
        items[0],
        kind="document_review",
        performed_on=starts_on,
        notes="情報セキュリティ実施手順と任命の決裁文書を確認した。",
    )
    services.add_workpaper(
        auditor,
        items[-1],
        kind="interview",
        performed_on=starts_on,
        notes="課の運用を聞き取った。一部の記録が残されていない。",
        interviewee="総務課長",
    )
    services.assess_item(auditor, items[0], result=AuditItem.Result.CONFORMING)
    services.assess_item(auditor, items[1], result=AuditItem.Result.CONFORMING)
    services.assess_item(
        auditor,
        items[-1],
        result=AuditItem.Result.PARTIAL,
        note="実施の記録が一部残されていない。",
    )
    finding = services.record_finding(
        auditor,
        soumu,
        item=items[-1],
        severity=Finding.Severity.MINOR,
        title="実施記録の一部欠落",
        description="聞き取りと記録の照合で、実施の記録が一部残されていないことを確認した。",
        recommendation="記録の様式を定め、実施の都度記録する。",
    )
    action = services.add_action(
        kacho,
        finding,
        title="記録様式の制定と周知",
        owner=kacho_person,
        due_business_days=20,
        description="記録の様式を定め、課内に周知する。",
    )
    inspection_services.progress_action(kacho, action, note="様式案を作成し、課内で確認中。")

    # 税務課: a working paper, a nonconforming item, a major finding whose action is overdue.
    zeimu = audits[1]
    item = zeimu.items.order_by("position").first()
    assert item is not None
    services.add_workpaper(
        auditor,
        item,
        kind="observation",
        performed_on=starts_on,
        notes="執務室を巡回し、離席中の端末と書類の扱いを確認した。",
    )
    services.assess_item(
        auditor,
        item,
        result=AuditItem.Result.NONCONFORMING,
        note="要件を満たす運用が確認できなかった。",
    )
    major = services.record_finding(
        auditor,
        zeimu,
        item=item,
        severity=Finding.Severity.MAJOR,
        title="要件を満たす運用の不備",
        description="巡回で、要件を満たす運用がされていないことを確認した。",
        recommendation="運用手順を見直し、職員に周知する。",
    )
    overdue = services.add_action(
        None,
        major,
        title="運用手順の見直し",
        owner=owner,
        due_business_days=10,
    )
    # A demo of an overdue action: its due date moved into the past (no service sets a past due
    # date; the reminders and the dashboard show it as overdue).
    CorrectiveAction.objects.filter(pk=overdue.pk).update(due_date=add_business_days(today, -12))
    return plan
