"""Periodic tasks of the quarantine (Huey): index new receptions, apply retention."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import services


@db_periodic_task(crontab(minute="*"))
def import_quarantine() -> int:
    """Every minute, index what the gateway quarantined since."""
    return services.import_new().created


@db_periodic_task(crontab(hour="3", minute="30"))
def purge_quarantine_daily() -> int:
    """Every night at 03:30, remove receptions older than the retention period."""
    return services.purge_expired()[1]
