"""Background and periodic tasks of the core app (Huey).

Tasks only call services; with ``HUEY["immediate"]`` (tests) they run inline.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import services


@db_periodic_task(crontab(hour="1", minute="0"))
def expire_logins_daily() -> int:
    """Every night at 01:00, deactivate logins whose employment has ended."""
    return len(services.expire_logins())
