"""Periodic work of the incidents app (Huey): the escalation of overdue incidents."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import services


@db_periodic_task(crontab(minute="*/15"))
def escalate_incidents() -> int:
    """Every 15 minutes: escalate incidents not acknowledged / not progressed in time."""
    return len(services.escalate_overdue())
