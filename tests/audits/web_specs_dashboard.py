"""Access specs of the compliance dashboard, its drill-down and the 監査報告書 (pages: ``SPECS``,
run by tests/test_web_access.py; API: ``API_SPECS``, run by tests/audits/test_dashboard.py).

Who may, from ``core/permissions.py`` RULES narrowed by ``audits/visibility.py``: LEAD (統括, one
of the leads) may ``VIEW_ALL_AUDITS`` and sees the whole municipality; STAFF and ADMIN (an
account flag, no role) answer for no unit and get a 403 (a unit's 管理者 sees their units:
tests/audits/test_dashboard.py); SERVICE lacks the municipality's grant. The drill-down and the
report name a record (the tenant's unit, its plan): another municipality's users get a 404.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from isms.core.calendar import fiscal_year_of
from isms.core.permissions import Action
from tests.support.access import API, LEAD, WEB, AccessSpec

SEE_ALL = {LEAD}


def _plan(t: Any) -> Any:
    """The tenant's approved audit plan (made and journaled before the runner's state)."""
    from tests.audits.factories import audit_world

    return audit_world(t).plan


def _drill_url(t: Any) -> str:
    from django.utils import timezone

    fy = fiscal_year_of(timezone.localdate())
    return f"{reverse('audits:dashboard_drill')}?fy={fy}&unit={t.unit.pk}&chapter=5"


SPECS: list[AccessSpec] = [
    AccessSpec(
        name="audits:dashboard",
        kind=WEB,
        url=lambda t: reverse("audits:dashboard"),
        action=Action.VIEW_ALL_AUDITS,
        permitted=SEE_ALL,
        other=None,
    ),
    AccessSpec(
        name="audits:dashboard_drill",
        kind=WEB,
        url=_drill_url,
        action=Action.VIEW_ALL_AUDITS,
        permitted=SEE_ALL,
        other=404,
    ),
    AccessSpec(
        name="audits:plan_report",
        kind=WEB,
        url=lambda t: reverse("audits:plan_report", kwargs={"pk": _plan(t).pk}),
        action=Action.VIEW_ALL_AUDITS,
        permitted=SEE_ALL,
        other=404,
        target=_plan,
    ),
]

API_SPECS: list[AccessSpec] = [
    AccessSpec(
        name="audit_dashboard",
        kind=API,
        url=lambda t: reverse("api:audit_dashboard"),
        action=Action.VIEW_ALL_AUDITS,
        permitted=SEE_ALL,
        other=None,
    ),
    AccessSpec(
        name="audit_plan_report",
        kind=API,
        url=lambda t: reverse("api:audit_plan_report", kwargs={"plan_id": _plan(t).pk}),
        action=Action.VIEW_ALL_AUDITS,
        permitted=SEE_ALL,
        other=404,
        target=_plan,
    ),
]
