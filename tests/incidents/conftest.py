from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from isms.core.models import Person
from isms.core.roles import Role
from isms.incidents import services
from tests.support.factories import make_user


def _mail(user, address):  # type: ignore[no-untyped-def]
    Person.objects.filter(user=user).update(email=address)
    return user


@pytest.fixture
def csirt(tsuru):  # type: ignore[no-untyped-def]
    """A CSIRT member of 都留市 (mail csirt@tsuru.example)."""
    user = make_user(tsuru.municipality, "csirt", roles=(Role.CSIRT_MEMBER,), unit=tsuru.unit)
    return _mail(user, "csirt@tsuru.example")


@pytest.fixture
def manager(tsuru):  # type: ignore[no-untyped-def]
    """The 情報セキュリティ管理者 of 都留市's unit (mail manager@tsuru.example)."""
    user = make_user(
        tsuru.municipality, "manager", roles=(Role.DIVISION_SECURITY_MANAGER,), unit=tsuru.unit
    )
    return _mail(user, "manager@tsuru.example")


@pytest.fixture
def chain(tsuru, csirt, manager):  # type: ignore[no-untyped-def]
    """The whole reporting chain with mail addresses, and the contact point's address."""
    _mail(tsuru.lead, "lead@tsuru.example")
    sysman = make_user(tsuru.municipality, "sysman", roles=(Role.SYSTEM_MANAGER,), unit=tsuru.unit)
    _mail(sysman, "sysman@tsuru.example")
    ciso = make_user(tsuru.municipality, "ciso", roles=(Role.CISO,), unit=tsuru.bureau)
    _mail(ciso, "ciso@tsuru.example")
    services.update_settings(
        None, tsuru.municipality, contact_point_email="madoguchi@tsuru.example"
    )
    return {"csirt": csirt, "manager": manager, "sysman": sysman, "ciso": ciso}


@pytest.fixture
def reported(tsuru):  # type: ignore[no-untyped-def]
    """An incident reported by 都留市's plain staff member an hour ago."""
    return services.report_incident(
        tsuru.staff,
        tsuru.municipality,
        title="USBメモリの紛失",
        description="住民票の写しの控えを保存したUSBメモリが見当たらない。",
        detected_at=timezone.now() - datetime.timedelta(hours=1),
        personal_data=True,
    )
