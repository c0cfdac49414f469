"""Overdue corrective actions: the owner's weekly reminder and the one escalation (any source)."""

from __future__ import annotations

import datetime
from smtplib import SMTPException
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from isms.core.calendar import add_business_days
from isms.core.models import JournalEntry, Person, User
from isms.core.roles import Role
from isms.inspections import reminders, tasks
from isms.inspections import services as inspection_services
from isms.inspections.audits import services
from isms.inspections.audits.models import Finding
from isms.inspections.models import CorrectiveAction
from tests.audits.factories import AuditWorld
from tests.support.factories import make_user

DAY = datetime.timedelta(days=1)


def _email(user: User, address: str) -> None:
    Person.objects.filter(user=user).update(email=address)


def _person(user: User) -> Person:
    return Person.objects.get(user=user)


def _to() -> list[str]:
    return sorted(addr for m in mail.outbox for addr in m.to)


@pytest.fixture
def overdue(world: AuditWorld) -> CorrectiveAction:
    """An audit finding's action, owned by plain staff; everyone concerned has an address."""
    finding = services.record_finding(
        world.auditor,
        world.audit,
        item=world.audit.items.first(),
        severity=Finding.Severity.MINOR,
        title="ロック未実施",
        description="離席時に端末がロックされていない",
    )
    action = services.add_action(
        world.manager,
        finding,
        title="端末ロックの徹底",
        owner=_person(world.owner),
        due_business_days=10,
    )
    bucho = make_user(
        world.t.municipality, "bucho", roles=(Role.BUREAU_SECURITY_OFFICER,), unit=world.t.bureau
    )
    for user, address in (
        (world.owner, "owner@example.jp"),
        (world.manager, "kacho@example.jp"),
        (bucho, "bucho@example.jp"),
        (world.t.lead, "lead@example.jp"),
        (world.auditor, "auditor@example.jp"),
        (world.lead_auditor, "audit-office@example.jp"),
        (world.ciso, "ciso@example.jp"),
        (world.insider, "insider@example.jp"),
    ):
        _email(user, address)
    mail.outbox.clear()
    return action


def _run(day: datetime.date) -> tuple[int, int]:
    return reminders.remind_overdue_actions(today=day)


def _escalation_day(action: CorrectiveAction) -> datetime.date:
    return add_business_days(action.due_date, reminders.ACTION_ESCALATE_AFTER_BUSINESS_DAYS)


def test_nothing_is_sent_before_the_due_date_has_passed(overdue):
    assert _run(overdue.due_date) == (0, 0)
    assert mail.outbox == []


def test_the_owner_is_reminded_at_most_once_a_week(overdue):
    due = overdue.due_date
    assert _run(due + DAY) == (1, 0)
    assert _to() == ["owner@example.jp"]
    assert overdue.title in mail.outbox[0].body
    overdue.refresh_from_db()
    assert overdue.reminded_on == due + DAY
    for n in range(2, 8):  # the next six days: nothing
        assert _run(due + n * DAY)[0] == 0
    assert len(mail.outbox) == 1
    assert _run(due + 8 * DAY)[0] == 1
    assert len(mail.outbox) == 2
    entries = JournalEntry.objects.filter(action="corrective_action.reminded")
    assert entries.count() == 2
    assert all(e.actor_id is None for e in entries)


def test_the_reminder_is_in_japanese(overdue):
    _run(overdue.due_date + DAY)
    assert "是正処置" in mail.outbox[0].body
    assert "期限" in mail.outbox[0].subject


def test_ten_business_days_overdue_escalates_once_to_the_units_and_the_leads(overdue, world):
    day = _escalation_day(overdue)
    # the business day before: the owner only
    before = add_business_days(overdue.due_date, reminders.ACTION_ESCALATE_AFTER_BUSINESS_DAYS - 1)
    assert _run(before)[1] == 0
    mail.outbox.clear()
    # when
    assert _run(day)[1] == 1
    # then: the unit's 管理者, the 部's 責任者, the 統括情報セキュリティ責任者, the lead auditor
    escalations = [m for m in mail.outbox if "owner@example.jp" not in m.to]
    assert sorted(a for m in escalations for a in m.to) == [
        "auditor@example.jp",
        "bucho@example.jp",
        "kacho@example.jp",
        "lead@example.jp",
    ]
    assert all(overdue.title in m.body for m in escalations)
    overdue.refresh_from_db()
    assert overdue.escalated_on == day
    entry = JournalEntry.objects.get(action="corrective_action.escalate", object_id=str(overdue.pk))
    assert entry.actor_id is None
    assert entry.municipality_id == world.t.municipality.pk
    assert entry.after["overdue_business_days"] >= 10
    # once only
    mail.outbox.clear()
    assert _run(day + DAY)[1] == 0
    assert _run(day + 30 * DAY)[1] == 0
    assert JournalEntry.objects.filter(action="corrective_action.escalate").count() == 1
    assert not any("kacho@example.jp" in m.to for m in mail.outbox)


def test_actions_done_or_closed_are_not_followed_up(overdue, world):
    inspection_services.progress_action(world.owner, overdue, note="完了", done=True)
    day = _escalation_day(overdue) + 10 * DAY
    assert _run(day) == (0, 0)
    services.verify_action(world.auditor, overdue)
    assert _run(day) == (0, 0)
    assert mail.outbox == []


def test_an_action_in_progress_is_still_followed_up(overdue, world):
    inspection_services.progress_action(world.owner, overdue, note="半分済み")
    assert _run(_escalation_day(overdue)) == (1, 1)


def test_a_person_without_an_address_is_skipped(overdue, world):
    _email(world.owner, "")
    _email(world.manager, "")
    assert _run(overdue.due_date + DAY) == (0, 0)
    assert mail.outbox == []
    overdue.refresh_from_db()
    assert overdue.reminded_on is None
    assert _run(_escalation_day(overdue)) == (0, 1)
    assert "kacho@example.jp" not in _to()
    assert "lead@example.jp" in _to()


def test_a_mail_that_fails_is_logged_not_raised_and_retried_the_next_day(
    overdue, monkeypatch, caplog
):
    def refuse(*args: Any, **kwargs: Any) -> int:
        raise SMTPException("relay down")

    monkeypatch.setattr(reminders, "send_mail", refuse)
    day = _escalation_day(overdue)
    assert _run(day) == (0, 0)
    assert "could not be sent" in caplog.text
    overdue.refresh_from_db()
    assert (overdue.reminded_on, overdue.escalated_on) == (None, None)
    assert not JournalEntry.objects.filter(action="corrective_action.escalate").exists()
    monkeypatch.undo()
    assert _run(day + DAY) == (1, 1)


def test_an_action_of_another_source_escalates_without_auditors(overdue, world, other_world):
    _email(other_world.t.lead, "kofu-lead@example.jp")
    incident_action = inspection_services.create_corrective_action(
        None,
        world.t.municipality,
        source=CorrectiveAction.Source.INCIDENT,
        title="USBメモリの管理",
        owner=_person(world.owner),
        due_date=overdue.due_date,
        org_unit=world.t.unit,
        source_reference="INC-2026-0001",
    )
    CorrectiveAction.objects.filter(pk=overdue.pk).update(status=CorrectiveAction.Status.DONE)
    assert _run(_escalation_day(incident_action)) == (1, 1)
    assert _to() == [
        "bucho@example.jp",
        "kacho@example.jp",
        "lead@example.jp",
        "owner@example.jp",
    ]
    incident_action.refresh_from_db()
    assert incident_action.escalated_on is not None


def test_the_daily_task_runs_the_follow_up(overdue):
    assert tasks.remind_overdue_actions_daily.call_local() == (0, 0)
    CorrectiveAction.objects.filter(pk=overdue.pk).update(due_date=timezone.localdate() - 30 * DAY)
    assert tasks.remind_overdue_actions_daily.call_local() == (1, 1)
