"""Access specs of the self-inspection pages, run by tests/test_web_access.py.

Who may, from ``core/permissions.py`` RULES narrowed by ``inspections/visibility.py``: STAFF sees
the campaigns and their own sheet (``t.staff``'s, of ``world.campaign``), answers it, attaches
and removes evidence, and reports on their own improvement item; LEAD (統括) and ADMIN
(municipality administrator) see everything and set campaigns up; only LEAD approves (role
holders of the unit or the leads; an administrator is no approver), verifies an improvement and
makes one from a 未実施 answer. SERVICE lacks the municipality's grant and is refused everything.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone

from isms.core.models import Person
from isms.core.permissions import Action
from isms.inspections.models import CorrectiveAction, InspectionEvidence, SelfInspection
from tests.inspections import world
from tests.support.access import ADMIN, LEAD, STAFF, WEB, AccessSpec

SEE = {STAFF, LEAD, ADMIN}
MANAGE = {LEAD, ADMIN}


def _url(name: str, **kwargs: object) -> str:
    return reverse(f"inspections:{name}", kwargs=kwargs)


def _page(name: str, action: Action, permitted: set[Any], **more: Any) -> AccessSpec:
    more.setdefault("url", lambda t: _url(name))
    more.setdefault("other", None)
    return AccessSpec(
        name=f"inspections:{name}", kind=WEB, action=action, permitted=permitted, **more
    )


def _on(name: str, obj: Any) -> Any:
    return lambda t: _url(name, pk=obj(t).pk)


def _record(name: str, action: Action, permitted: set[Any], obj: Any, **more: Any) -> AccessSpec:
    more.setdefault("other", 404)
    # The record is made (and journaled) before the runner takes its state.
    more.setdefault("target", obj)
    return _page(name, action, permitted, url=_on(name, obj), **more)


def _campaign_form(t: Any) -> dict[str, Any]:
    world.standard(t)
    return {
        "title": "新しい点検",
        "fiscal_year": "2026",
        "opens_on": timezone.localdate().isoformat(),
        "answer_business_days": "10",
        "note": "",
    }


def _answer_form(t: Any) -> dict[str, Any]:
    return {f"answer_{i.pk}": "implemented" for i in world.items(t)}


def _improvement_form(t: Any) -> dict[str, Any]:
    world.answer(t)
    return {
        "title": "",
        "owner_number": Person.objects.get(user=t.staff).employee_number,
        "due_date": (timezone.localdate() + datetime.timedelta(days=20)).isoformat(),
    }


SPECS: list[AccessSpec] = [
    _page("campaign_list", Action.VIEW_INSPECTIONS, SEE),
    _page("campaign_create", Action.MANAGE_INSPECTIONS, MANAGE),
    _page(
        "campaign_create",
        Action.MANAGE_INSPECTIONS,
        MANAGE,
        method="POST",
        data=_campaign_form,
        ok=302,  # the other municipality's users set up a campaign of their own
        creates=SelfInspection,
    ),
    _record("campaign_detail", Action.VIEW_INSPECTIONS, SEE, world.campaign),
    _record(
        "campaign_open",
        Action.MANAGE_INSPECTIONS,
        MANAGE,
        world.draft,
        method="POST",
        ok=302,
        target=world.draft,
    ),
    _record(
        "campaign_close",
        Action.MANAGE_INSPECTIONS,
        MANAGE,
        world.campaign,
        method="POST",
        ok=302,
        target=world.campaign,
    ),
    _record("campaign_assign", Action.MANAGE_INSPECTIONS, MANAGE, world.campaign),
    _record(
        "campaign_assign",
        Action.MANAGE_INSPECTIONS,
        MANAGE,
        world.campaign,
        method="POST",
        data=lambda t: {"target_group": "staff", "org_unit": t.unit.pk, "person_number": ""},
        ok=302,
    ),
    _record("campaign_results", Action.VIEW_ALL_INSPECTIONS, MANAGE, world.campaign),
    _record("campaign_export", Action.VIEW_ALL_INSPECTIONS, MANAGE, world.campaign),
    _record("campaign_report", Action.VIEW_ALL_INSPECTIONS, MANAGE, world.campaign),
    _record("sheet_detail", Action.VIEW_INSPECTIONS, SEE, world.sheet),
    _record(
        "sheet_detail",
        Action.ANSWER_INSPECTIONS,
        {STAFF},
        world.sheet,
        method="POST",
        data=_answer_form,
        ok=302,
        target=world.sheet,
    ),
    _record(
        "sheet_evidence",
        Action.ANSWER_INSPECTIONS,
        {STAFF},
        world.sheet,
        method="POST",
        ok=302,
        journaled=False,  # the matrix posts no file: the page says so, nothing is saved
        creates=InspectionEvidence,
    ),
    _record(
        "sheet_approve",
        Action.APPROVE_INSPECTIONS,
        {LEAD},
        world.submitted,
        method="POST",
        ok=302,
        target=world.submitted,
    ),
    _record(
        "sheet_return",
        Action.APPROVE_INSPECTIONS,
        {LEAD},
        world.submitted,
        method="POST",
        data=lambda t: {"reason": "根拠を添付"},
        ok=302,
        target=world.submitted,
    ),
    _record("evidence_download", Action.VIEW_INSPECTIONS, SEE, world.evidence),
    _record(
        "evidence_delete",
        Action.ANSWER_INSPECTIONS,
        {STAFF},
        world.evidence,
        method="POST",
        ok=302,
        target=world.evidence,
    ),
    _page("approval_queue", Action.APPROVE_INSPECTIONS, {LEAD}),
    _page("improvement_list", Action.VIEW_INSPECTIONS, SEE),
    _record(
        "improvement_create",
        Action.APPROVE_INSPECTIONS,
        {LEAD},
        world.answer,
        method="POST",
        data=_improvement_form,
        ok=302,
        creates=CorrectiveAction,
    ),
    _record(
        "improvement_progress",
        Action.VIEW_INSPECTIONS,
        {STAFF},
        world.improvement,
        method="POST",
        data=lambda t: {"note": "進行中"},
        ok=302,
        target=world.improvement,
    ),
    _record(
        "improvement_verify",
        Action.APPROVE_INSPECTIONS,
        {LEAD},
        world.done_improvement,
        method="POST",
        ok=302,
        target=world.done_improvement,
    ),
]
