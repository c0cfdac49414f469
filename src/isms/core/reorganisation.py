"""組織改正: rename, move, merge, split and abolish org units with an effective date.

Every service here keeps the unit's stable identity (``OrgUnit``) and writes history around it
(see ``models/org_history.py``): the open ``OrgUnitVersion`` is closed the day before the
effective date and a new one opened; merges and splits add ``OrgUnitSuccession`` links. Records
keep pointing at the unit they were made for; people of a merged unit move to the unit that
absorbs it, and role assignments for a unit that ends are ended the day before, so the history
of who held which role stays true.

Changes take effect on a day in the past or today; a change decided ahead is kept as a
``PlannedOrgChange`` and carried out on its day (``planned_changes``). Each service checks
``Action.MANAGE_ORGANISATION``, validates everything before writing, and writes the change, the
versions and the journal entries (``journal.record_many``) in one transaction.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import journal
from .models import (
    OrgChange,
    OrgUnit,
    OrgUnitSuccession,
    OrgUnitVersion,
    Person,
    RoleAssignment,
    User,
)
from .permissions import Action, require
from .services import (
    _check_no_cycle,
    _check_org_unit_unique,
    _same_municipality,
    _save,
    _unique_org_unit_message,
    check_parent_usable,
    sync_current_version,
)

__all__ = [
    "ReorganisationResult",
    "abolish_org_unit",
    "apply_change",
    "merge_org_units",
    "reorganise_org_unit",
    "split_org_unit",
]

REORGANISE_FIELDS = {"name", "name_kana", "parent", "code"}

# Set while a planned change is tried out (and rolled back) before its day.
_trial: contextvars.ContextVar[bool] = contextvars.ContextVar("isms_reorg_trial", default=False)


@contextlib.contextmanager
def trial() -> Iterator[None]:
    """Accept a future effective date inside the block: for a trial run that is rolled back
    (``planned_changes.plan_change``); a change is never *recorded* ahead of its day."""
    token = _trial.set(True)
    try:
        yield
    finally:
        _trial.reset(token)


@dataclass
class ReorganisationResult:
    """What a reorganisation did, for the page that reports it."""

    change: OrgChange
    units: list[OrgUnit] = field(default_factory=list)
    moved_people: int = 0
    ended_assignments: list[RoleAssignment] = field(default_factory=list)


def _check_date(unit: OrgUnit, effective_date: datetime.date | None) -> datetime.date:
    if effective_date is None:
        raise ValidationError({"effective_date": _("Enter the date the change takes effect.")})
    if effective_date > timezone.localdate() and not _trial.get():
        raise ValidationError(
            {
                "effective_date": _(
                    "%(date)s is in the future. Enter a reorganisation on or after the day it "
                    "takes effect."
                )
                % {"date": effective_date.isoformat()}
            },
            code="future",
        )
    if unit.abolished_on is not None:
        raise ValidationError(
            _("%(unit)s was abolished on %(date)s and can no longer be changed.")
            % {"unit": unit.name, "date": unit.abolished_on.isoformat()},
            code="abolished",
        )
    current = OrgUnitVersion.objects.filter(org_unit=unit, valid_to__isnull=True).first()
    last_change = current.valid_from if current is not None else None
    if last_change is not None and effective_date <= last_change:
        raise ValidationError(
            {
                "effective_date": _(
                    "%(unit)s last changed on %(date)s. A new change must take effect "
                    "after that day."
                )
                % {"unit": unit.name, "date": last_change.isoformat()}
            },
            code="before_last_change",
        )
    return effective_date


def _new_change(
    actor: User | None, unit: OrgUnit, kind: str, day: datetime.date, reason: str
) -> OrgChange:
    change = OrgChange(
        municipality_id=unit.municipality_id,
        kind=kind,
        effective_date=day,
        reason=reason.strip(),
        created_by=actor,
    )
    _save(change)
    return change


def _close_version(unit: OrgUnit, day: datetime.date) -> None:
    """End the open version the day before ``day``."""
    OrgUnitVersion.objects.filter(org_unit=unit, valid_to__isnull=True).update(
        valid_to=day - datetime.timedelta(days=1)
    )


def _open_version(unit: OrgUnit, day: datetime.date, change: OrgChange) -> OrgUnitVersion:
    version = sync_current_version(unit, change=change)
    version.valid_from = day
    version.save(update_fields=["valid_from"])
    return version


def _item(
    action: str, obj: models.Model, before: Any = None, after: Any = None
) -> journal.JournalItem:
    otype, oid, label = obj._meta.label_lower, str(obj.pk), str(obj)
    return journal.JournalItem(
        action=action,
        object_type=otype,
        object_id=oid,
        object_label=label,
        before=before,
        after=after,
    )


def _end_assignments(
    unit: OrgUnit, day: datetime.date, items: list[journal.JournalItem]
) -> list[RoleAssignment]:
    """End the unit's role assignments that run into ``day``; refuse ones that start later."""
    running = RoleAssignment.objects.filter(org_unit=unit).filter(
        models.Q(end_date__isnull=True) | models.Q(end_date__gte=day)
    )
    late = running.filter(start_date__gte=day).select_related("person").first()
    if late is not None:
        raise ValidationError(
            {
                "effective_date": _(
                    "%(person)s holds a role for %(unit)s from %(start)s, on or after the "
                    "effective date. Delete or move that assignment first, or choose a later date."
                )
                % {"person": late.person, "unit": unit.name, "start": late.start_date.isoformat()}
            },
            code="assignment_after",
        )
    ended = []
    last_day = day - datetime.timedelta(days=1)
    for a in running.select_related("person"):
        before = journal.snapshot(a)
        a.end_date = last_day
        a.save(update_fields=["end_date"])
        items.append(_item("role_assignment.end", a, before, journal.snapshot(a)))
        ended.append(a)
    return ended


def _refuse_children(unit: OrgUnit, field_name: str) -> None:
    child = unit.children.filter(abolished_on__isnull=True).first()
    if child is not None:
        raise ValidationError(
            {
                field_name: _(
                    "%(unit)s still has the unit %(child)s below it. Move, merge or abolish the "
                    "units below first."
                )
                % {"unit": unit.name, "child": child.name}
            },
            code="has_children",
        )


def reorganise_org_unit(
    actor: User | None,
    unit: OrgUnit,
    *,
    effective_date: datetime.date | None,
    reason: str = "",
    **data: Any,
) -> ReorganisationResult:
    """Rename and/or move ``unit`` (new name, kana, code or parent) from ``effective_date``."""
    if actor is not None:
        require(actor, Action.MANAGE_ORGANISATION, unit)
    unknown = set(data) - REORGANISE_FIELDS
    if unknown:
        raise ValidationError({n: _("This field cannot be set here.") for n in sorted(unknown)})
    with transaction.atomic():
        unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
        day = _check_date(unit, effective_date)
        before = journal.snapshot(unit)
        for name, value in data.items():
            setattr(unit, name, value)
        _same_municipality("parent", unit.parent, unit.municipality_id)
        check_parent_usable(unit)
        _check_no_cycle(unit)
        _check_org_unit_unique(unit)
        if all(before[n] == journal.snapshot(unit)[n] for n in before):
            raise ValidationError(
                _("Nothing changes: enter the new name, code or parent unit."), code="no_change"
            )
        change = _new_change(actor, unit, OrgChange.Kind.REORGANISE, day, reason)
        _save(unit, unique_message=_unique_org_unit_message())
        _close_version(unit, day)
        _open_version(unit, day, change)
        journal.record(
            actor=actor,
            action="org_unit.reorganise",
            obj=unit,
            before=before,
            after=journal.snapshot(unit)
            | {"effective_date": day.isoformat(), "reason": change.reason},
        )
    return ReorganisationResult(change=change, units=[unit])


def merge_org_units(
    actor: User | None,
    absorbed: OrgUnit,
    *,
    into: OrgUnit | None,
    effective_date: datetime.date | None,
    reason: str = "",
) -> ReorganisationResult:
    """Merge ``absorbed`` into ``into`` from ``effective_date``.

    ``absorbed`` is abolished that day; its people move to ``into``; its role assignments end the
    day before; a succession link records where its work went. A unit with units below it is
    refused (they would be orphaned): move or merge them first.
    """
    if actor is not None:
        require(actor, Action.MANAGE_ORGANISATION, absorbed)
    if into is None:
        raise ValidationError({"into": _("Choose the unit it merges into.")})
    _same_municipality("into", into, absorbed.municipality_id)
    if into.pk == absorbed.pk:
        raise ValidationError({"into": _("A unit cannot merge into itself. Choose another unit.")})
    if into.abolished_on is not None:
        raise ValidationError(
            {"into": _("%(unit)s has been abolished. Choose a current unit.") % {"unit": into.name}}
        )
    with transaction.atomic():
        absorbed = OrgUnit.objects.select_for_update().get(pk=absorbed.pk)
        day = _check_date(absorbed, effective_date)
        _refuse_children(absorbed, "into")
        items: list[journal.JournalItem] = []
        change = _new_change(actor, absorbed, OrgChange.Kind.MERGE, day, reason)
        before = journal.snapshot(absorbed)
        ended = _end_assignments(absorbed, day, items)
        people = list(Person.objects.filter(org_unit=absorbed))
        for p in people:
            items.append(
                _item("person.update", p, {"org_unit": absorbed.pk}, {"org_unit": into.pk})
            )
        Person.objects.filter(org_unit=absorbed).update(org_unit=into)
        _close_version(absorbed, day)
        absorbed.abolished_on = day
        absorbed.save(update_fields=["abolished_on"])
        OrgUnitSuccession.objects.create(
            municipality_id=absorbed.municipality_id,
            change=change,
            predecessor=absorbed,
            successor=into,
        )
        items.insert(
            0,
            _item(
                "org_unit.merge",
                absorbed,
                before,
                journal.snapshot(absorbed)
                | {"into": into.pk, "effective_date": day.isoformat(), "reason": change.reason},
            ),
        )
        journal.record_many(items, actor=actor, municipality=absorbed.municipality_id)
    return ReorganisationResult(
        change=change, units=[absorbed, into], moved_people=len(people), ended_assignments=ended
    )


def split_org_unit(
    actor: User | None,
    unit: OrgUnit,
    *,
    effective_date: datetime.date | None,
    new_code: str,
    new_name: str,
    new_name_kana: str = "",
    reason: str = "",
) -> ReorganisationResult:
    """Carve a new sibling unit out of ``unit`` from ``effective_date``.

    ``unit`` continues; the new unit starts on that day (its history begins there) with the same
    parent, kind, organ and scope, and a succession link from ``unit``. People and roles move
    to it through the ordinary edits afterwards.
    """
    if actor is not None:
        require(actor, Action.MANAGE_ORGANISATION, unit)
    from .services import create_org_unit

    with transaction.atomic():
        unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
        day = _check_date(unit, effective_date)
        change = _new_change(actor, unit, OrgChange.Kind.SPLIT, day, reason)
        try:
            new = create_org_unit(
                actor,
                unit.municipality,
                code=new_code.strip(),
                name=new_name.strip(),
                name_kana=new_name_kana.strip(),
                parent=unit.parent,
                kind=unit.kind,
                organ_kind=unit.organ_kind,
                in_scope=unit.in_scope,
                sort_order=unit.sort_order,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                names = {"code": "new_code", "name": "new_name", "name_kana": "new_name_kana"}
                raise ValidationError(
                    {names.get(k, k): v for k, v in exc.error_dict.items()}
                ) from exc
            raise
        OrgUnitVersion.objects.filter(org_unit=new).update(valid_from=day, change=change)
        OrgUnitSuccession.objects.create(
            municipality_id=unit.municipality_id, change=change, predecessor=unit, successor=new
        )
        journal.record(
            actor=actor,
            action="org_unit.split",
            obj=unit,
            after={
                "new_unit": new.pk,
                "new_name": new.name,
                "effective_date": day.isoformat(),
                "reason": change.reason,
            },
        )
    return ReorganisationResult(change=change, units=[unit, new])


def abolish_org_unit(
    actor: User | None, unit: OrgUnit, *, effective_date: datetime.date | None, reason: str = ""
) -> ReorganisationResult:
    """Abolish ``unit`` from ``effective_date``; refused while people or units belong to it."""
    if actor is not None:
        require(actor, Action.MANAGE_ORGANISATION, unit)
    with transaction.atomic():
        unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
        day = _check_date(unit, effective_date)
        _refuse_children(unit, "effective_date")
        member = Person.objects.filter(org_unit=unit, is_active=True).first()
        if member is not None:
            raise ValidationError(
                {
                    "effective_date": _(
                        "%(person)s and possibly others still belong to %(unit)s. Move them to "
                        "another unit, or merge the unit instead of abolishing it."
                    )
                    % {"person": member, "unit": unit.name}
                },
                code="has_people",
            )
        items: list[journal.JournalItem] = []
        change = _new_change(actor, unit, OrgChange.Kind.ABOLISH, day, reason)
        before = journal.snapshot(unit)
        ended = _end_assignments(unit, day, items)
        _close_version(unit, day)
        unit.abolished_on = day
        unit.save(update_fields=["abolished_on"])
        items.insert(
            0,
            _item(
                "org_unit.abolish",
                unit,
                before,
                journal.snapshot(unit)
                | {"effective_date": day.isoformat(), "reason": change.reason},
            ),
        )
        journal.record_many(items, actor=actor, municipality=unit.municipality_id)
    return ReorganisationResult(change=change, units=[unit], ended_assignments=ended)


def apply_change(actor: User | None, unit: OrgUnit, kind: str, **data: Any) -> ReorganisationResult:
    """Run the reorganisation of ``kind`` (an ``OrgChange.Kind`` value) with its arguments."""
    services = {
        OrgChange.Kind.REORGANISE: reorganise_org_unit,
        OrgChange.Kind.MERGE: merge_org_units,
        OrgChange.Kind.SPLIT: split_org_unit,
        OrgChange.Kind.ABOLISH: abolish_org_unit,
    }
    if kind not in services:
        raise ValidationError({"kind": _("Choose the kind of change.")})
    return services[OrgChange.Kind(kind)](actor, unit, **data)
