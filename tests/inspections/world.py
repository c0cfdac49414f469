"""Records of the access matrix and the tenancy walk, made on first use for a tenant ``t``
(a ``Tenant`` or ``Site``): a campaign with ``t.staff``'s staff sheet, a draft campaign, a sheet
answered and submitted (every answer 未実施), an evidence file, improvement items."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from isms.core.models import Person
from isms.inspections import services
from isms.inspections.models import (
    CorrectiveAction,
    InspectionAnswer,
    InspectionEvidence,
    InspectionItem,
    InspectionResponse,
    SelfInspection,
)
from tests.inspections.factories import make_campaign, make_standard

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def campaign(t: Any) -> SelfInspection:
    found = SelfInspection.objects.filter(municipality=t.municipality, title="点検A").first()
    return found or make_campaign(t.municipality, title="点検A")


def draft(t: Any) -> SelfInspection:
    found = SelfInspection.objects.filter(municipality=t.municipality, title="点検B").first()
    return found or make_campaign(t.municipality, title="点検B", open_it=False)


def standard(t: Any) -> Any:
    return make_standard(t.municipality)


def sheet(t: Any) -> InspectionResponse:
    c = campaign(t)
    person = Person.objects.get(user=t.staff)
    found = InspectionResponse.objects.filter(campaign=c, person=person).first()
    if found is None:
        services.assign(None, c, target_group="staff", person=person)
        found = InspectionResponse.objects.get(campaign=c, person=person)
    return found


def items(t: Any) -> list[InspectionItem]:
    s = sheet(t)
    return list(InspectionItem.objects.filter(campaign_id=s.campaign_id, target_group="staff"))


def submitted(t: Any) -> InspectionResponse:
    s = sheet(t)
    if s.status in (InspectionResponse.Status.NOT_STARTED, InspectionResponse.Status.IN_PROGRESS):
        s = services.save_answers(
            None, s, {i.pk: ("not_implemented", "") for i in items(t)}, submit=True
        )
    return s


def answered(t: Any) -> InspectionResponse:
    """The staff sheet with every answer saved, not submitted."""
    s = sheet(t)
    if s.is_editable and s.answered_count < s.item_count:
        s = services.save_answers(None, s, {i.pk: ("implemented", "") for i in items(t)})
    return s


def answer(t: Any) -> InspectionAnswer:
    return InspectionAnswer.objects.filter(response=submitted(t)).order_by("pk").first()


def evidence_sheet(t: Any) -> InspectionResponse:
    """``t.staff``'s sheet of a second campaign, so that it stays editable whatever happens to
    the first one's (submitted for the approval routes)."""
    c = SelfInspection.objects.filter(municipality=t.municipality, title="点検C").first()
    c = c or make_campaign(t.municipality, title="点検C")
    person = Person.objects.get(user=t.staff)
    found = InspectionResponse.objects.filter(campaign=c, person=person).first()
    if found is None:
        services.assign(None, c, target_group="staff", person=person)
        found = InspectionResponse.objects.get(campaign=c, person=person)
    return found


def evidence(t: Any) -> InspectionEvidence:
    s = evidence_sheet(t)
    found = InspectionEvidence.objects.filter(answer__response=s).first()
    if found is not None:
        return found
    item = InspectionItem.objects.filter(campaign_id=s.campaign_id, target_group="staff").first()
    return services.add_evidence(None, s, item, name="規程.pdf", data=PDF)


def improvement(t: Any) -> CorrectiveAction:
    found = CorrectiveAction.objects.filter(inspection_answer__response=sheet(t)).first()
    return found or services.create_improvement(
        None,
        answer(t),
        owner=Person.objects.get(user=t.staff),
        due_date=timezone.localdate() + datetime.timedelta(days=30),
    )


def done_improvement(t: Any) -> CorrectiveAction:
    action = improvement(t)
    if action.status in (CorrectiveAction.Status.OPEN, CorrectiveAction.Status.IN_PROGRESS):
        action = services.progress_action(None, action, note="完了", done=True)
    return action
