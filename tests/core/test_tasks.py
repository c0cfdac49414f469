"""Periodic tasks run through Huey (immediate mode in tests) and only call services."""

from __future__ import annotations

import datetime as dt

import pytest

from isms.core import services
from isms.core.models import JournalEntry
from isms.core.tasks import expire_logins_daily
from tests.support.factories import make_municipality, make_user


@pytest.mark.django_db
def test_expire_logins_deactivates_logins_after_employment_ends():
    m = make_municipality()
    leaver, stayer = make_user(m, "leaver"), make_user(m, "stayer")
    for user, end in ((leaver, dt.date(2020, 3, 31)), (stayer, dt.date(2999, 3, 31))):
        user.person.employment_end = end
        user.person.save()
    expired = expire_logins_daily.call_local()
    leaver.refresh_from_db()
    stayer.refresh_from_db()
    assert expired == 1
    assert (leaver.is_active, stayer.is_active) == (False, True)
    assert JournalEntry.objects.filter(action="user.expire", object_id=str(leaver.pk)).count() == 1
    assert services.expire_logins() == []


def test_tasks_run_immediately_in_tests(settings):
    from huey.contrib.djhuey import HUEY

    assert HUEY.immediate is True


def test_periodic_tasks_are_scheduled_in_local_time():
    """crontab(hour="1") means 01:00 in Japan, not 01:00 UTC (10:00 JST)."""
    from huey.contrib.djhuey import HUEY

    assert HUEY.utc is False
