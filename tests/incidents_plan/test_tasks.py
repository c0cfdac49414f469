"""The daily review reminder: weeks before the review date (once) and weekly when overdue."""

from __future__ import annotations

import datetime
from smtplib import SMTPException

import pytest
from django.core import mail
from django.utils import timezone

from isms.core import services as core_services
from isms.core.models import JournalEntry
from isms.incidents.plan import services, tasks
from isms.incidents.plan.models import EmergencyResponsePlan
from tests.incidents_plan.factories import approved, draft, person


@pytest.fixture
def plan(org):  # type: ignore[no-untyped-def]
    for user, address in ((org.ciso, "ciso@example.jp"), (org.t.lead, "lead@example.jp")):
        core_services.update_person(org.t.lead, person(user), email=address)
    # within the fiscal year of the role assignments, overdue weeks included
    return approved(org, review_due=timezone.localdate() + datetime.timedelta(days=40))


@pytest.fixture(autouse=True)
def _run_on_commit(django_capture_on_commit_callbacks, monkeypatch):  # type: ignore[no-untyped-def]
    """Run the mails queued with ``transaction.on_commit`` when ``remind_reviews`` returns (the
    test's transaction never commits)."""
    real = services.remind_reviews

    def run(*args, **kwargs):  # type: ignore[no-untyped-def]
        with django_capture_on_commit_callbacks(execute=True):
            return real(*args, **kwargs)

    monkeypatch.setattr(services, "remind_reviews", run)


def _on(plan: EmergencyResponsePlan, days: int) -> datetime.date:
    """The day ``days`` before the review date (negative: after it)."""
    return plan.review_due - datetime.timedelta(days=days)


def test_no_mail_while_the_review_is_far(plan):
    assert services.remind_reviews(_on(plan, services.REMIND_DAYS + 1)) == 0
    assert mail.outbox == []


def test_one_mail_weeks_before_the_review_to_the_ciso_and_the_lead(plan):
    # when: four weeks before, then the next days
    sent = [services.remind_reviews(_on(plan, d)) for d in (28, 27, 10)]
    # then: one mail, once
    assert sent == [1, 0, 0]
    (message,) = mail.outbox
    assert sorted(message.to) == ["ciso@example.jp", "lead@example.jp"]
    assert plan.review_due.isoformat() in message.subject
    assert plan.title in message.body
    entry = JournalEntry.objects.get(action="emergency_plan.review_reminder_due_soon")
    assert entry.after["recipients"] == message.to


def test_weekly_mails_once_overdue(plan):
    sent = [services.remind_reviews(_on(plan, -d)) for d in range(1, 16)]
    assert sent.count(1) == 3  # days 1, 8 and 15 after the date
    assert sent[0] == 1 and sent[7] == 1 and sent[14] == 1
    assert "overdue" in mail.outbox[0].subject or "期限" in mail.outbox[0].subject


def test_drafts_and_superseded_versions_get_no_reminder(org, plan):
    newer = draft(org)
    EmergencyResponsePlan.objects.filter(pk=newer.pk).update(review_due=plan.review_due)
    assert services.remind_reviews(_on(plan, 1)) == 1
    assert len(mail.outbox) == 1


def test_a_mail_that_cannot_be_sent_is_tried_again_the_next_day(plan, monkeypatch):
    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise SMTPException("down")

    monkeypatch.setattr(services, "send_mail", broken)
    services.remind_reviews(_on(plan, 20))
    plan.refresh_from_db()
    assert plan.review_reminded_on is None
    assert mail.outbox == []
    monkeypatch.setattr(services, "send_mail", mail.send_mail)
    assert services.remind_reviews(_on(plan, 19)) == 1
    assert len(mail.outbox) == 1


def test_no_mail_when_the_stamp_cannot_be_saved(plan, monkeypatch):
    # given: the journal (written with the stamp, in the same transaction) fails
    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("database down")

    monkeypatch.setattr(services.journal, "record", broken)
    # when
    with pytest.raises(RuntimeError):
        services.remind_reviews(_on(plan, 20))
    # then: no mail went out, so the next run's mail is no repeat
    assert mail.outbox == []
    plan.refresh_from_db()
    assert plan.review_reminded_on is None


def test_a_second_run_that_read_the_plan_before_the_stamp_sends_nothing(plan, monkeypatch):
    # given: a second consumer read the plan list before the first one stamped it
    stale = list(EmergencyResponsePlan.objects.filter(pk=plan.pk))
    assert services.remind_reviews(_on(plan, 20)) == 1
    real_filter = EmergencyResponsePlan.objects.filter

    class Stale(list):  # type: ignore[type-arg]
        def select_related(self, *a):  # type: ignore[no-untyped-def]
            return self

        def values_list(self, *a, **k):  # type: ignore[no-untyped-def]
            return [p.pk for p in self]

    def filter_(*args, **kwargs):  # type: ignore[no-untyped-def]
        if set(kwargs) == {"status"}:
            return Stale(stale)
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(EmergencyResponsePlan.objects, "filter", filter_)
    # when: it runs with what it read
    services.remind_reviews(_on(plan, 20))
    # then: it re-read the plan under the lock and sent no second mail
    assert len(mail.outbox) == 1


def test_without_role_holders_the_administrators_are_told(org):
    from isms.core.models import RoleAssignment

    plan = approved(org, review_due=timezone.localdate() + datetime.timedelta(days=40))
    core_services.update_person(org.t.lead, person(org.t.lead), email="")
    org.t.admin.email = "admin@example.jp"
    org.t.admin.save(update_fields=["email"])
    RoleAssignment.objects.filter(
        municipality=org.m, role__in=["ciso", "lead_security_officer"]
    ).update(
        end_date=timezone.localdate() - datetime.timedelta(days=1),
        start_date=timezone.localdate() - datetime.timedelta(days=400),
    )
    assert services.remind_reviews(_on(plan, 5)) == 1
    assert mail.outbox[0].to == ["admin@example.jp"]


def test_the_periodic_task_runs_the_service(plan, monkeypatch):
    calls = []
    monkeypatch.setattr(services, "remind_reviews", lambda: calls.append(1) or 0)
    tasks.remind_emergency_plan_reviews_daily.call_local()
    assert calls == [1]
