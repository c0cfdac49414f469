"""Background and periodic tasks of the core app (Huey).

Tasks only call services; with ``HUEY["immediate"]`` (tests) they run inline.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import io_jobs, planned_changes, services


@db_periodic_task(crontab(hour="1", minute="0"))
def expire_logins_daily() -> int:
    """Every night at 01:00, deactivate logins whose employment has ended."""
    return len(services.expire_logins())


@db_periodic_task(crontab(hour="0", minute="5"))
def apply_planned_org_changes() -> int:
    """Just after midnight, carry out the 組織改正 planned for today (or missed before)."""
    return len(planned_changes.apply_due())


@db_task(retries=0)
def run_import_job(job_id: int) -> None:
    """Import the file of a queued ``ImportJob`` (``core.io_jobs.run``)."""
    io_jobs.run(job_id)
