"""Writes of the inspections app; every change is journaled in the same transaction."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from isms.assets.common import FieldErrors
from isms.core import journal
from isms.core.models import Municipality, OrgUnit, Person, User
from isms.policy.models import Control

from .models import CorrectiveAction


def create_corrective_action(
    actor: User | None,
    municipality: Municipality,
    *,
    source: str,
    title: str,
    owner: Person | None,
    due_date: datetime.date | None,
    description: str = "",
    source_reference: str = "",
    control: Control | None = None,
    org_unit: OrgUnit | None = None,
    on_behalf_of: str = "",
) -> CorrectiveAction:
    """Open a corrective action (是正処置). The caller has checked the actor's right."""
    errors = FieldErrors()
    title = (title or "").strip()
    if not title:
        errors.add("title", _("Say what is to be done."))
    elif len(title) > 200:
        errors.add("title", _("The title is too long (at most 200 characters)."))
    if source not in CorrectiveAction.Source.values:
        errors.add("source", _("Unknown source of the action."))
    if owner is None or owner.municipality_id != municipality.pk or not owner.is_active:
        errors.add("owner", _("Name the person responsible: a current member of staff."))
    if due_date is None:
        errors.add("due_date", _("Give a due date."))
    elif due_date < timezone.localdate():
        errors.add("due_date", _("The due date is in the past. Give a date from today on."))
    if control is not None and control.standard.municipality_id != municipality.pk:
        errors.add("control", _("Choose a control of this municipality's 対策基準."))
    if org_unit is not None and org_unit.municipality_id != municipality.pk:
        errors.add("org_unit", _("Choose a unit of this municipality."))
    errors.raise_if_any()
    assert owner is not None and due_date is not None
    with transaction.atomic():
        action = CorrectiveAction.objects.create(
            municipality=municipality,
            source=source,
            source_reference=source_reference[:60],
            title=title,
            description=description,
            control=control,
            org_unit=org_unit,
            owner=owner,
            due_date=due_date,
            created_by=actor,
        )
        journal.record(
            actor=actor,
            action="corrective_action.create",
            obj=action,
            after=journal.snapshot(action, exclude=("created_at", "updated_at")),
            on_behalf_of=on_behalf_of,
        )
    return action
