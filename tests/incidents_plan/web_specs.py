"""Access specs of the emergency response plan's pages, run by tests/test_web_access.py.

Who may, from ``core/permissions.py`` RULES: every member of staff (STAFF, LEAD, ADMIN) and the
service administrator (SERVICE; the plan is not sensitive) read the plan, its versions and its
PDF; the leads (LEAD), the municipality administrator (ADMIN) and the service administrator
(SERVICE) save the draft. Only the CISO or the committee chair approves (``plan/services.py``),
which none of the personas is: everyone gets 403 (tests/incidents_plan/test_views.py has the
CISO approve). The draft the version pages name is made on first use by the ``target``.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from isms.core.permissions import Action
from isms.incidents.plan.models import EmergencyResponsePlan
from tests.incidents_plan.factories import form_data, site_draft
from tests.support.access import ADMIN, LEAD, SERVICE, STAFF, WEB, AccessSpec

SEE = {STAFF, LEAD, ADMIN, SERVICE}
MANAGE = {LEAD, ADMIN, SERVICE}


def _url(name: str, **kwargs: object) -> str:
    return reverse(name, kwargs=kwargs)


def _page(name: str, action: Action, permitted: set[Any], **more: Any) -> AccessSpec:
    more.setdefault("url", lambda t: _url(name))
    more.setdefault("other", None)
    return AccessSpec(name=name, kind=WEB, action=action, permitted=permitted, **more)


def _on_draft(name: str) -> Any:
    return lambda t: _url(name, pk=site_draft(t).pk)


SPECS: list[AccessSpec] = [
    _page("plan:plan_detail", Action.VIEW_EMERGENCY_PLAN, SEE),
    _page("plan:plan_pdf", Action.VIEW_EMERGENCY_PLAN, SEE),
    _page("plan:version_list", Action.VIEW_EMERGENCY_PLAN, SEE),
    _page(
        "plan:version_detail",
        Action.VIEW_EMERGENCY_PLAN,
        SEE,
        url=_on_draft("plan:version_detail"),
        target=site_draft,
        other=404,
    ),
    _page("plan:plan_edit", Action.MANAGE_EMERGENCY_PLAN, MANAGE),
    _page(
        "plan:plan_edit",
        Action.MANAGE_EMERGENCY_PLAN,
        MANAGE,
        method="POST",
        data=lambda t: form_data(),
        ok=302,
        creates=EmergencyResponsePlan,
    ),
    _page(
        "plan:version_approve",
        Action.VIEW_EMERGENCY_PLAN,
        set(),
        method="POST",
        url=_on_draft("plan:version_approve"),
        target=site_draft,
        other=404,
    ),
]
