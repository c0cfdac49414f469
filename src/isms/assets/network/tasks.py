"""Background and periodic tasks of the network checks (Huey; found through ``assets.tasks``).

Tasks only call services; with ``HUEY["immediate"]`` (tests) they run inline.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import checks, services


@db_task(retries=0)
def run_network_check(check_id: int) -> None:
    """Verify the network of a queued ``NetworkCheck`` (``checks.run``)."""
    checks.run(check_id)


@db_periodic_task(crontab(hour="6", minute="15"))
def remind_network_exceptions_daily() -> tuple[int, int]:
    """Every morning at 06:15, expire ended 例外措置 and remind of those ending within 30 days."""
    return services.expire_and_remind()
