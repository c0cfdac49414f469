"""Periodic task of the emergency response plan (Huey discovers ``<app>.tasks``)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import services


@db_periodic_task(crontab(hour="6", minute="30"))
def remind_emergency_plan_reviews_daily() -> int:
    """Every morning at 06:30, remind of plans due for review within 28 days (once) or overdue
    (weekly)."""
    return services.remind_reviews()
