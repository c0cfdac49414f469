"""Corrective actions (是正処置): the shared record of what is to be fixed, by whom, by when."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from isms.core.models import JournalEntry
from isms.inspections.models import CorrectiveAction
from isms.inspections.services import create_corrective_action
from tests.support.factories import make_person, make_tenant

pytestmark = pytest.mark.django_db


def _tomorrow() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=1)


def test_an_action_is_created_and_journaled(tsuru) -> None:  # type: ignore[no-untyped-def]
    action = create_corrective_action(
        tsuru.lead,
        tsuru.municipality,
        source=CorrectiveAction.Source.INCIDENT,
        source_reference="INC-2026-0001",
        title="USBメモリの持出し手順を見直す",
        owner=tsuru.other_person,
        due_date=_tomorrow(),
        org_unit=tsuru.unit,
    )
    assert action.status == CorrectiveAction.Status.OPEN and action.is_open
    entry = JournalEntry.objects.get(action="corrective_action.create")
    assert entry.after["title"] == "USBメモリの持出し手順を見直す"
    assert entry.municipality_id == tsuru.municipality.pk


def test_bad_input_is_refused_field_by_field_and_nothing_is_saved(tsuru) -> None:  # type: ignore[no-untyped-def]
    other = make_tenant("192015", "甲府市")
    with pytest.raises(ValidationError) as caught:
        create_corrective_action(
            tsuru.lead,
            tsuru.municipality,
            source="nonsense",
            title="  ",
            owner=other.other_person,
            due_date=timezone.localdate() - datetime.timedelta(days=1),
            org_unit=other.unit,
        )
    assert set(caught.value.message_dict) == {"source", "title", "owner", "due_date", "org_unit"}
    assert not CorrectiveAction.objects.exists()
    assert not JournalEntry.objects.filter(action="corrective_action.create").exists()


def test_an_inactive_owner_is_refused(tsuru) -> None:  # type: ignore[no-untyped-def]
    gone = make_person(tsuru.municipality, unit=tsuru.unit)
    gone.is_active = False
    gone.save()
    with pytest.raises(ValidationError) as caught:
        create_corrective_action(
            tsuru.lead,
            tsuru.municipality,
            source=CorrectiveAction.Source.AUDIT,
            title="x",
            owner=gone,
            due_date=_tomorrow(),
        )
    assert set(caught.value.message_dict) == {"owner"}
