"""Periodic tasks of the self-inspections (Huey discovers ``<app>.tasks``)."""

from __future__ import annotations

from django.db.models import Q
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import reminders, results
from .models import SelfInspection


@db_periodic_task(crontab(hour="7", minute="30"))
def remind_overdue_inspections_daily() -> tuple[int, int]:
    """Every morning: mail respondents with sheets past the deadline, and their managers."""
    return reminders.remind_overdue()


@db_periodic_task(crontab(hour="7", minute="45"))
def remind_overdue_actions_daily() -> tuple[int, int]:
    """Every morning: remind the owners of overdue corrective actions (weekly per action) and
    escalate those 10 business days overdue to their units' managers and the leads (once)."""
    return reminders.remind_overdue_actions()


@db_task()
def refresh_results_snapshot(campaign_id: int) -> bool:
    """Recompute a campaign's results snapshot (queued by a results page that found it stale)."""
    return results.refresh_snapshot(campaign_id)


@db_periodic_task(crontab(minute="*/5"))
def refresh_stale_results_snapshots() -> int:
    """Every 5 minutes: recompute the results snapshots of open campaigns that are out of date
    (and of closed campaigns that have none yet)."""
    ids = SelfInspection.objects.filter(
        Q(status=SelfInspection.Status.OPEN)
        | Q(status=SelfInspection.Status.CLOSED, result_snapshots__isnull=True)
    ).values_list("pk", flat=True)
    return sum(1 for pk in ids if results.refresh_snapshot(pk))
