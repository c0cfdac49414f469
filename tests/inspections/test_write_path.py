"""The answer write path (``PUT …/sheets/{id}/answers``): a short summary in return, a query
count that does not grow with the answers, and the same checks and journal as before."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from isms.core.models import JournalEntry, Person
from isms.inspections import services
from isms.inspections.models import (
    InspectionAnswer,
    InspectionItem,
    InspectionResponse,
    SelfInspection,
    TargetGroup,
)
from isms.policy.models import Control, ControlSection
from tests.inspections.factories import make_campaign, make_standard

# The queries of one save through the API, whatever the number of answers: the token, the
# caller's rights, person and units (5), the visible sheet (1), the sheet locked with its
# campaign and person (1), the questions (1), the saved answers (1), insert, update, the sheet
# (3), the journal head, entry and head update (3). Savepoints of the test's transaction aside.
SAVE_QUERIES = 15
SUMMARY = {"id", "status", "item_count", "answered_count", "submitted_at", "updated_at"}


def _headers(user) -> dict[str, str]:
    from isms.core import services as core

    token = core.issue_api_token(user, name="t")[1]
    return {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_ACCEPT_LANGUAGE": "en"}


def _url(name: str, sheet: InspectionResponse) -> str:
    return reverse(f"api:{name}", kwargs={"sheet_id": sheet.pk})


def _campaign_with_questions(tsuru, count: int) -> SelfInspection:
    """A campaign whose staff sheet has ``count`` more questions than the factory's."""
    standard = make_standard(tsuru.municipality)
    section = ControlSection.objects.create(
        standard=standard, number="8", title="第8章", chapter=8, position=8
    )
    for n in range(count):
        Control.objects.create(
            standard=standard,
            section=section,
            key=uuid.uuid4(),
            code=f"8.1.{n + 1}",
            requirement=f"対策 {n + 1}",
            applies_to_roles=["staff"],
            position=100 + n,
        )
    return make_campaign(tsuru.municipality)


def _staff_sheet(tsuru, campaign: SelfInspection) -> InspectionResponse:
    services.assign(None, campaign, target_group=TargetGroup.STAFF, org_unit=tsuru.unit)
    return InspectionResponse.objects.get(
        campaign=campaign, person=Person.objects.get(user=tsuru.staff)
    )


def _items(sheet: InspectionResponse) -> list[InspectionItem]:
    return list(
        InspectionItem.objects.filter(
            campaign_id=sheet.campaign_id, target_group=sheet.target_group
        ).order_by("position", "pk")
    )


def _real(ctx: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in ctx.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def _put(client, sheet, headers, answers, *, submit: bool = False):
    return client.put(
        _url("save_sheet_answers", sheet),
        {"answers": answers, "submit": submit},
        content_type="application/json",
        **headers,
    )


def test_save_query_count_does_not_grow_with_the_answers(client, tsuru):
    campaign = _campaign_with_questions(tsuru, 20)
    sheet = _staff_sheet(tsuru, campaign)
    items = _items(sheet)
    assert len(items) >= 20
    staff = _headers(tsuru.staff)
    assert client.get(_url("get_sheet", sheet), **staff).status_code == 200  # token's first use
    counts = []
    for part in (items[:1], items[1:19]):  # 1 new answer, then 18 (inserted in one statement)
        with CaptureQueriesContext(connection) as ctx:
            r = _put(client, sheet, staff, [{"item_id": i.pk, "value": "partial"} for i in part])
        assert r.status_code == 200, r.content
        counts.append(len(_real(ctx)))
    assert counts[0] == counts[1], counts
    # 19 saved answers changed and one new: one update statement more, whatever the number.
    with CaptureQueriesContext(connection) as ctx:
        r = _put(
            client, sheet, staff, [{"item_id": i.pk, "value": "implemented"} for i in items[:20]]
        )
    assert r.status_code == 200, r.content
    assert len(_real(ctx)) == counts[0] + 1 <= SAVE_QUERIES, "\n".join(_real(ctx))
    # One read of the campaign (with the locked sheet), one of the caller's person.
    assert sum(q.startswith('SELECT "core_person"') for q in _real(ctx)) == 1
    assert not any(q.lstrip().startswith('SELECT "inspections_selfinspection"') for q in _real(ctx))
    assert InspectionAnswer.objects.filter(response=sheet).count() == 20


def test_put_returns_the_sheet_state_and_get_the_whole_sheet(client, tsuru):
    campaign = make_campaign(tsuru.municipality)
    sheet = _staff_sheet(tsuru, campaign)
    items = _items(sheet)
    staff = _headers(tsuru.staff)
    r = _put(
        client, sheet, staff, [{"item_id": items[0].pk, "value": "partial", "comment": "一部"}]
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert set(body) == SUMMARY
    assert body["id"] == sheet.pk
    assert body["status"] == "in_progress"
    assert (body["answered_count"], body["item_count"]) == (1, sheet.item_count)
    assert body["submitted_at"] is None and body["updated_at"]
    full = client.get(_url("get_sheet", sheet), **staff).json()
    assert {i["id"] for i in full["items"]} == {i.pk for i in items}
    assert [(a["value"], a["comment"]) for a in full["answers"]] == [("partial", "一部")]
    r = _put(
        client,
        sheet,
        staff,
        [{"item_id": i.pk, "value": "implemented"} for i in items],
        submit=True,
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "submitted" and body["submitted_at"]
    assert body["answered_count"] == body["item_count"] == len(items)
    assert all(InspectionAnswer.objects.filter(response=sheet).values_list("final", flat=True))


def test_save_and_submit_journal_the_same_entries(client, tsuru):
    campaign = make_campaign(tsuru.municipality)
    sheet = _staff_sheet(tsuru, campaign)
    items = _items(sheet)
    staff = _headers(tsuru.staff)
    _put(client, sheet, staff, [{"item_id": items[0].pk, "value": "partial", "comment": "一部"}])
    entry = JournalEntry.objects.filter(action="inspection_response.save").get()
    assert entry.object_id == str(sheet.pk)
    assert entry.object_type == "inspections.inspectionresponse"
    person = Person.objects.get(user=tsuru.staff)
    assert entry.object_label == f"{campaign.title} / {person}"
    assert entry.municipality_id == tsuru.municipality.pk
    assert entry.actor_id == tsuru.staff.pk
    assert entry.before == {"status": "not_started", "answered_count": 0}
    assert entry.after == {
        "status": "in_progress",
        "answered_count": 1,
        "answers": {items[0].code: ["partial", "一部"]},
    }
    _put(
        client,
        sheet,
        staff,
        [{"item_id": i.pk, "value": "implemented"} for i in items],
        submit=True,
    )
    entry = JournalEntry.objects.filter(action="inspection_response.submit").get()
    assert entry.before == {"status": "in_progress", "answered_count": 1}
    assert entry.after["status"] == "submitted"
    assert entry.after["answers"] == {i.code: ["implemented", ""] for i in items}


def test_closed_campaign_refuses_through_the_api_and_saves_nothing(client, tsuru):
    campaign = make_campaign(tsuru.municipality)
    sheet = _staff_sheet(tsuru, campaign)
    items = _items(sheet)
    services.close_campaign(None, campaign)
    staff = _headers(tsuru.staff)
    entries = JournalEntry.objects.count()
    r = _put(client, sheet, staff, [{"item_id": items[0].pk, "value": "bogus"}])
    # The campaign's state comes before the answers' checks, as before.
    assert r.status_code == 422
    assert list(r.json()["errors"]) == ["campaign"]
    assert not InspectionAnswer.objects.exists()
    assert JournalEntry.objects.count() == entries


def test_a_stale_campaign_object_is_read_again_with_the_locked_sheet(tsuru):
    campaign = make_campaign(tsuru.municipality)
    sheet = _staff_sheet(tsuru, campaign)
    sheet = InspectionResponse.objects.select_related("campaign").get(pk=sheet.pk)
    services.close_campaign(None, campaign)
    assert sheet.campaign.status == SelfInspection.Status.OPEN  # what the caller loaded
    with pytest.raises(ValidationError) as exc:
        services.save_answers(tsuru.staff, sheet, {_items(sheet)[0].pk: ("implemented", "")})
    assert "closed" in str(exc.value.message_dict["campaign"])
    assert not InspectionAnswer.objects.exists()


def test_a_sheet_changed_meanwhile_is_refused(tsuru, manager):
    campaign = make_campaign(tsuru.municipality)
    sheet = _staff_sheet(tsuru, campaign)
    items = _items(sheet)
    stale = InspectionResponse.objects.get(pk=sheet.pk)  # not started
    services.save_answers(tsuru.staff, sheet, {items[0].pk: ("partial", "")})
    with pytest.raises(ValidationError) as exc:
        services.save_answers(tsuru.staff, stale, {items[0].pk: ("implemented", "")})
    assert "changed meanwhile" in str(exc.value.message_dict["status"])
    assert InspectionAnswer.objects.get().value == "partial"
    # Submitted meanwhile: the locked sheet cannot be changed.
    current = InspectionResponse.objects.get(pk=sheet.pk)
    services.save_answers(
        tsuru.staff, current, {i.pk: ("implemented", "") for i in items}, submit=True
    )
    with pytest.raises(ValidationError) as exc:
        services.save_answers(tsuru.staff, current, {items[0].pk: ("partial", "")})
    assert "cannot be changed" in str(exc.value.message_dict["status"])
    # A sheet the caller saw submitted is refused as such (its status in the message), even if
    # it was returned meanwhile.
    submitted = InspectionResponse.objects.get(pk=sheet.pk)
    services.return_sheet(manager, submitted, reason="根拠を添付してください")
    with pytest.raises(ValidationError) as exc:
        services.save_answers(tsuru.staff, submitted, {items[0].pk: ("partial", "")})
    assert "Submitted" in str(exc.value.message_dict["status"])


def test_only_the_assigned_person_saves_through_the_api(client, tsuru, manager):
    campaign = make_campaign(tsuru.municipality)
    sheet = _staff_sheet(tsuru, campaign)
    item = _items(sheet)[0]
    # The unit's manager sees the sheet but does not answer it.
    r = _put(client, sheet, _headers(manager), [{"item_id": item.pk, "value": "implemented"}])
    assert r.status_code == 403
    with pytest.raises(PermissionDenied):
        services.save_answers(manager, sheet, {item.pk: ("implemented", "")})
    assert not InspectionAnswer.objects.exists()
    # A login whose person left (inactive) cannot answer its old sheet either.
    Person.objects.filter(user=tsuru.staff).update(is_active=False)
    r = _put(client, sheet, _headers(tsuru.staff), [{"item_id": item.pk, "value": "implemented"}])
    assert r.status_code in (403, 404)
    assert not InspectionAnswer.objects.exists()


def test_unknown_question_is_a_422_and_saves_nothing(client, tsuru, kofu):
    campaign = make_campaign(tsuru.municipality)
    sheet = _staff_sheet(tsuru, campaign)
    other = make_campaign(kofu.municipality)
    foreign = InspectionItem.objects.filter(campaign=other).first()
    assert foreign is not None
    r = _put(client, sheet, _headers(tsuru.staff), [{"item_id": foreign.pk, "value": "partial"}])
    assert r.status_code == 422
    assert "answers" in r.json()["errors"]
    assert not InspectionAnswer.objects.exists()
    assert InspectionResponse.objects.get(pk=sheet.pk).status == "not_started"
