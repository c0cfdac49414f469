"""Writes of the inspections app; every change is journaled in the same transaction."""

from __future__ import annotations

import datetime
import hashlib
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from isms.assets.common import FieldErrors
from isms.core import journal, permissions, uploads
from isms.core.calendar import add_business_days
from isms.core.models import Municipality, OrgUnit, Person, RoleAssignment, User
from isms.core.permissions import OWN_RIGHT, Action, Capacity
from isms.core.roles import Role
from isms.policy.models import Control, ControlStandard

from .models import (
    CorrectiveAction,
    InspectionAnswer,
    InspectionEvidence,
    InspectionItem,
    InspectionResponse,
    SelfInspection,
    TargetGroup,
)


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


# --- self-inspection campaigns (自己点検) -------------------------------------------------------

SOD_SUBJECT = "self_inspection"
EVIDENCE_MAX_BYTES_DEFAULT = 10 * 1024 * 1024
# Evidence is checked by content (python-magic), never by the name the user gave.
ALLOWED_EVIDENCE_TYPES = frozenset(
    {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/bmp",
        "image/tiff",
        "text/plain",
        "text/csv",
        "application/csv",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
    }
)
# Which target group a role value of ``Control.applies_to_roles`` asks.
ROLE_GROUPS = {
    "staff": TargetGroup.STAFF,
    "division_security_manager": TargetGroup.DIVISION_SECURITY_MANAGER,
    "system_manager": TargetGroup.SYSTEM_MANAGER,
}


def evidence_max_bytes() -> int:
    return int(getattr(settings, "INSPECTION_EVIDENCE_MAX_BYTES", EVIDENCE_MAX_BYTES_DEFAULT))


def evidence_dir() -> Path:
    return Path(settings.DATA_DIR) / "inspections" / "evidence"


def _require(actor: User | None, action: Action, obj: Any) -> Capacity:
    """Check the actor's right (None: the system, already allowed by its caller)."""
    if actor is None:
        return OWN_RIGHT
    return permissions.require(actor, action, obj)


def _current_standard(municipality: Municipality) -> ControlStandard | None:
    return (
        ControlStandard.objects.filter(municipality=municipality, is_current=True)
        .order_by("-pk")
        .first()
    )


def _groups_of(control: Control) -> list[str]:
    roles = control.applies_to_roles or ["staff"]
    return sorted({ROLE_GROUPS[r] for r in roles if r in ROLE_GROUPS})


def _generate_items(
    campaign: SelfInspection,
    controls: list[Control] | None = None,
    target_group: str | None = None,
) -> int:
    """Make the campaign's questions from its 対策基準: one per control and target group.

    ``controls`` and ``target_group`` narrow it (a targeted self-inspection asks a few
    controls of one group: an audit finding's 横展開)."""
    chosen = Control.objects.filter(standard=campaign.standard)
    if controls is not None:
        chosen = chosen.filter(pk__in=[c.pk for c in controls])
    chosen = chosen.select_related("section").order_by("section__position", "position", "pk")
    items: list[InspectionItem] = []
    for n, control in enumerate(chosen):
        for group in [target_group] if target_group else _groups_of(control):
            items.append(
                InspectionItem(
                    campaign=campaign,
                    control=control,
                    control_key=control.key,
                    target_group=group,
                    code=control.code,
                    chapter=control.section.chapter,
                    requirement=control.requirement,
                    criteria=control.criteria,
                    position=n,
                )
            )
    InspectionItem.objects.bulk_create(items)
    return len(items)


def create_campaign(
    actor: User | None,
    municipality: Municipality,
    *,
    fiscal_year: int | None,
    title: str,
    opens_on: datetime.date | None,
    answer_business_days: int | None = 20,
    standard: ControlStandard | None = None,
    note: str = "",
    controls: list[Control] | None = None,
    target_group: str | None = None,
) -> SelfInspection:
    """Set up a 自己点検 campaign and generate its questionnaires from the catalog (or from
    ``controls`` only, asked of ``target_group`` only, when given)."""
    capacity = _require(actor, Action.MANAGE_INSPECTIONS, municipality)
    errors = FieldErrors()
    title = (title or "").strip()
    if not title:
        errors.add(
            "title", _("Give the campaign a title, e.g. 令和8年度 情報セキュリティ自己点検.")
        )
    elif len(title) > 200:
        errors.add("title", _("The title is too long (at most 200 characters)."))
    if fiscal_year is None or not 2000 <= fiscal_year <= 2100:
        errors.add("fiscal_year", _("Give the fiscal year (西暦, e.g. 2026)."))
    if opens_on is None:
        errors.add("opens_on", _("Give the day the campaign opens."))
    if answer_business_days is None or not 1 <= answer_business_days <= 120:
        errors.add(
            "answer_business_days",
            _("Give the number of business days to answer: from 1 to 120."),
        )
    if standard is None:
        standard = _current_standard(municipality)
        if standard is None:
            errors.add(
                "standard",
                _("This municipality has no current 対策基準 to ask from. Load the catalog first."),
            )
    elif standard.municipality_id != municipality.pk:
        errors.add("standard", _("Choose a 対策基準 of this municipality."))
    errors.raise_if_any()
    assert standard is not None and opens_on is not None and answer_business_days is not None
    if not Control.objects.filter(standard=standard).exists():
        errors.add("standard", _("This 対策基準 has no controls to ask about."))
        errors.raise_if_any()
    with transaction.atomic():
        campaign = SelfInspection.objects.create(
            municipality=municipality,
            fiscal_year=fiscal_year,
            title=title,
            standard=standard,
            opens_on=opens_on,
            answer_business_days=answer_business_days,
            deadline=add_business_days(opens_on, answer_business_days),
            note=note or "",
            created_by=actor,
        )
        count = _generate_items(campaign, controls, target_group)
        journal.record(
            actor=actor,
            action="self_inspection.create",
            obj=campaign,
            after=journal.snapshot(campaign, exclude=("created_at", "updated_at"))
            | {"items": count},
            on_behalf_of=capacity.label,
        )
    return campaign


def _set_status(
    actor: User | None, campaign: SelfInspection, *, to: str, allowed_from: tuple[str, ...]
) -> SelfInspection:
    capacity = _require(actor, Action.MANAGE_INSPECTIONS, campaign)
    with transaction.atomic():
        locked = SelfInspection.objects.select_for_update().get(pk=campaign.pk)
        if locked.status not in allowed_from:
            raise ValidationError(
                {
                    "status": _("The campaign is %(status)s: it cannot be changed this way.")
                    % {"status": locked.get_status_display()}
                }
            )
        before: dict[str, Any] = {"status": locked.status}
        locked.status = to
        now = timezone.now()
        if to == SelfInspection.Status.OPEN:
            locked.opened_at = now
            today = timezone.localdate()
            if today > locked.opens_on:
                # Opened late: the answer period runs from the day it really opens.
                before["deadline"] = str(locked.deadline)
                locked.deadline = add_business_days(today, locked.answer_business_days)
        else:
            locked.closed_at = now
        locked.save(update_fields=["status", "opened_at", "closed_at", "deadline", "updated_at"])
        journal.record(
            actor=actor,
            action=f"self_inspection.{'open' if to == SelfInspection.Status.OPEN else 'close'}",
            obj=locked,
            before=before,
            after={"status": to}
            | ({"deadline": str(locked.deadline)} if "deadline" in before else {}),
            on_behalf_of=capacity.label,
        )
    return locked


def open_campaign(actor: User | None, campaign: SelfInspection) -> SelfInspection:
    """Open a campaign for answers (from 準備中)."""
    return _set_status(
        actor, campaign, to=SelfInspection.Status.OPEN, allowed_from=(SelfInspection.Status.DRAFT,)
    )


def close_campaign(actor: User | None, campaign: SelfInspection) -> SelfInspection:
    """Close a campaign: no more answers, approvals or assignments. Its results are computed
    once, right after the close, into the frozen snapshot (next year's comparison source)."""
    from . import results

    closed = _set_status(
        actor,
        campaign,
        to=SelfInspection.Status.CLOSED,
        allowed_from=(SelfInspection.Status.DRAFT, SelfInspection.Status.OPEN),
    )
    results.store_snapshot(closed)
    return closed


def _division_and_bureau(unit: OrgUnit) -> tuple[OrgUnit, OrgUnit | None]:
    """The 課 a person's unit counts under (itself if none above) and the 部 above it."""
    chain: list[OrgUnit] = []
    node: OrgUnit | None = unit
    while node is not None and node not in chain:
        chain.append(node)
        node = node.parent
    division = next((u for u in chain if u.kind == OrgUnit.Kind.DIVISION), unit)
    bureau = next((u for u in chain if u.kind == OrgUnit.Kind.BUREAU), None)
    return division, bureau


def _subtree_ids(unit: OrgUnit, skipped: list[str] | None = None) -> list[int]:
    """``unit`` and every unit below it that is not abolished today (one query per level).
    The names of the abolished units left out (with the units below them) go to ``skipped``."""
    today = timezone.localdate()
    ids, level = [unit.pk], [unit.pk]
    while level:
        rows = OrgUnit.objects.filter(parent_id__in=level).values_list("pk", "name", "abolished_on")
        level = []
        for pk, name, abolished_on in rows:
            if pk in ids:
                continue
            if abolished_on is not None and abolished_on <= today:
                if skipped is not None:
                    skipped.append(name)
                continue
            ids.append(pk)
            level.append(pk)
    return ids


def _abolished(unit: OrgUnit, day: datetime.date) -> bool:
    return unit.abolished_on is not None and unit.abolished_on <= day


def system_managers(
    municipality: Municipality, unit_ids: list[int] | None = None
) -> list[tuple[Any, Person]]:
    """The information systems of the register with their 情報システム管理者.

    A system is an in-use, in-scope asset of the kind 「ネットワーク、情報システム…」. Its
    manager is its custodian when the custodian holds the 情報システム管理者 role today;
    otherwise each holder of that role for the system's owning unit.
    """
    from isms.assets.models import InformationAsset

    today = timezone.localdate()
    systems = InformationAsset.objects.filter(
        municipality=municipality,
        kind=InformationAsset.Kind.SYSTEM_EQUIPMENT,
        status=InformationAsset.Status.IN_USE,
        in_scope=True,
    ).select_related("owning_unit", "custodian")
    if unit_ids is not None:
        systems = systems.filter(owning_unit_id__in=unit_ids)
    held = (
        RoleAssignment.objects.filter(
            municipality=municipality,
            role=Role.SYSTEM_MANAGER,
            start_date__lte=today,
            person__is_active=True,
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("person")
    )
    holders: set[int] = set()
    by_unit: dict[int, list[Person]] = {}
    for a in held:
        holders.add(a.person_id)
        if a.org_unit_id is not None:
            by_unit.setdefault(a.org_unit_id, []).append(a.person)
    pairs: list[tuple[Any, Person]] = []
    for system in systems:
        if system.owning_unit is not None and _abolished(system.owning_unit, today):
            continue
        if system.custodian_id in holders and system.custodian is not None:
            pairs.append((system, system.custodian))
        else:
            pairs.extend((system, p) for p in by_unit.get(system.owning_unit_id, []))
    return pairs


def assign(
    actor: User | None,
    campaign: SelfInspection,
    *,
    target_group: str,
    org_unit: OrgUnit | None = None,
    person: Person | None = None,
    skipped: list[str] | None = None,
) -> int:
    """Assign the questionnaire of ``target_group`` to a unit (with the units below) or to one
    person. Returns the number of new sheets; sheets that exist are kept as they are. Units
    abolished on or before today below ``org_unit`` are left out; their names are appended to
    ``skipped`` (when given) and their count is journaled."""
    skipped = skipped if skipped is not None else []
    capacity = _require(actor, Action.MANAGE_INSPECTIONS, campaign)
    today = timezone.localdate()
    errors = FieldErrors()
    campaign.status = SelfInspection.objects.values_list("status", flat=True).get(pk=campaign.pk)
    if campaign.status == SelfInspection.Status.CLOSED:
        errors.add("campaign", _("The campaign is closed: nothing more can be assigned."))
    if target_group not in TargetGroup.values:
        errors.add("target_group", _("Choose who answers: a target group of the list."))
    if (org_unit is None) == (person is None):
        errors.add("org_unit", _("Choose either a unit or one person."))
    if org_unit is not None:
        if org_unit.municipality_id != campaign.municipality_id:
            errors.add("org_unit", _("Choose a unit of this municipality."))
        elif _abolished(org_unit, today):
            errors.add(
                "org_unit",
                _(
                    "%(unit)s was abolished on %(day)s: assign the questionnaire to the unit "
                    "that took over its work."
                )
                % {"unit": org_unit.name, "day": org_unit.abolished_on},
            )
    if person is not None:
        if person.municipality_id != campaign.municipality_id or not person.is_active:
            errors.add("person", _("Choose a current member of staff of this municipality."))
        elif person.org_unit is None:
            errors.add("person", _("%(person)s belongs to no unit.") % {"person": person})
        elif _abolished(person.org_unit, today):
            errors.add(
                "person",
                _("%(person)s is still in %(unit)s, which was abolished: update their unit first.")
                % {"person": person, "unit": person.org_unit.name},
            )
    errors.raise_if_any()
    items = campaign.items.filter(target_group=target_group).count()
    if not items:
        errors.add("target_group", _("The catalog has no question for this target group."))
        errors.raise_if_any()
    # Who answers, and for which unit the sheet counts.
    targets: list[tuple[Person, Any, OrgUnit]] = []
    if target_group == TargetGroup.SYSTEM_MANAGER:
        unit_ids = _subtree_ids(org_unit, skipped) if org_unit is not None else None
        for system, manager in system_managers(campaign.municipality, unit_ids):
            if person is not None and manager.pk != person.pk:
                continue
            targets.append((manager, system, system.owning_unit))
    elif target_group == TargetGroup.DIVISION_SECURITY_MANAGER:
        assignments = (
            RoleAssignment.objects.filter(
                municipality_id=campaign.municipality_id,
                role=Role.DIVISION_SECURITY_MANAGER,
                start_date__lte=today,
                person__is_active=True,
                org_unit__isnull=False,
            )
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
            .select_related("person", "org_unit__parent")
        )
        if org_unit is not None:
            assignments = assignments.filter(org_unit_id__in=_subtree_ids(org_unit, skipped))
        if person is not None:
            assignments = assignments.filter(person=person)
        targets = [(a.person, None, a.org_unit) for a in assignments]
    else:
        if person is not None:
            people = [person]
        else:
            assert org_unit is not None
            people = list(
                Person.objects.filter(
                    municipality_id=campaign.municipality_id,
                    is_active=True,
                    org_unit_id__in=_subtree_ids(org_unit, skipped),
                ).select_related("org_unit")
            )
        targets = [
            (p, None, p.org_unit)
            for p in people
            if p.org_unit is not None and not _abolished(p.org_unit, today)
        ]
    if person is not None and not targets:
        errors.add(
            "person",
            _("%(person)s does not answer this questionnaire (no matching role or system).")
            % {"person": person},
        )
        errors.raise_if_any()
    units: dict[int, tuple[OrgUnit, OrgUnit | None]] = {}
    sheets = []
    for who, system, unit in targets:
        if unit.pk not in units:
            units[unit.pk] = _division_and_bureau(unit)
        division, bureau = units[unit.pk]
        sheets.append(
            InspectionResponse(
                campaign=campaign,
                person=who,
                target_group=target_group,
                system=system,
                org_unit=division,
                bureau=bureau,
                item_count=items,
            )
        )
    with transaction.atomic():
        before = InspectionResponse.objects.filter(campaign=campaign).count()
        InspectionResponse.objects.bulk_create(sheets, ignore_conflicts=True, batch_size=1000)
        created = InspectionResponse.objects.filter(campaign=campaign).count() - before
        journal.record(
            actor=actor,
            action="self_inspection.assign",
            obj=campaign,
            after={
                "target_group": target_group,
                "org_unit": org_unit.pk if org_unit else None,
                "person": person.pk if person else None,
                "sheets_created": created,
                "abolished_units_skipped": len(skipped),
            },
            on_behalf_of=capacity.label,
        )
    return created


def _check_answerer(actor: User | None, response: InspectionResponse) -> None:
    """Only the person the sheet is assigned to answers it (the system may too). The person is
    the one the visibility lookup of the request already resolved (cached on the user)."""
    from .visibility import person_of

    if actor is not None:
        permissions.require(actor, Action.ANSWER_INSPECTIONS, response)
        person = person_of(actor)
        if person is None or person.pk != response.person_id:
            raise PermissionDenied(_("This inspection sheet is assigned to someone else."))


def _check_answerable(actor: User | None, response: InspectionResponse) -> None:
    """Only the person the sheet is assigned to answers it, while the campaign is open."""
    _check_answerer(actor, response)
    _check_open(response)


def _check_open(response: InspectionResponse) -> None:
    """The campaign is open (read again now) and the sheet can be changed. Called once before
    the work and again inside the transaction with the sheet row locked."""
    _check_campaign_open(response.campaign)
    _check_editable(response)


def _check_campaign_open(campaign: SelfInspection, *, reread: bool = True) -> None:
    """``reread``: read the status again now (False: it was just read with the locked sheet,
    in the same query)."""
    if reread:
        campaign.status = SelfInspection.objects.values_list("status", flat=True).get(
            pk=campaign.pk
        )
    if campaign.status == SelfInspection.Status.CLOSED:
        raise ValidationError(
            {"campaign": _("The campaign is closed: answers can no longer be changed.")},
            code="closed",
        )
    if campaign.status != SelfInspection.Status.OPEN:
        raise ValidationError(
            {"campaign": _("The campaign is not open yet: answers start when it opens.")},
            code="not_open",
        )


def _check_editable(response: InspectionResponse) -> None:
    if not response.is_editable:
        raise ValidationError(
            {
                "status": _("The sheet is %(status)s: it cannot be changed.")
                % {"status": response.get_status_display()}
            },
            code="locked",
        )


def _clean_answers(
    sheet: InspectionResponse, answers: dict[int, tuple[str, str]]
) -> tuple[dict[int, InspectionItem], dict[int, tuple[str, str]]]:
    """The sheet's questions, and ``answers`` stripped and checked (``ValidationError``)."""
    errors = FieldErrors()
    items = {
        i.pk: i
        for i in InspectionItem.objects.filter(
            campaign_id=sheet.campaign_id, target_group=sheet.target_group
        ).only("pk", "code", "chapter")
    }
    clean: dict[int, tuple[str, str]] = {}
    for item_id, (value, comment) in answers.items():
        item = items.get(item_id)
        if item is None:
            errors.add("answers", _("Question %(id)s is not on this sheet.") % {"id": item_id})
            continue
        value = (value or "").strip()
        comment = (comment or "").strip()
        if value and value not in InspectionAnswer.Value.values:
            errors.add(
                f"answer_{item_id}",
                _("%(code)s: choose 実施, 一部実施, 未実施 or 該当なし.") % {"code": item.code},
            )
        if len(comment) > 2000:
            errors.add(
                f"comment_{item_id}",
                _("%(code)s: the comment is too long (at most 2,000 characters).")
                % {"code": item.code},
            )
        clean[item_id] = (value, comment)
    errors.raise_if_any()
    return items, clean


def save_answers(
    actor: User | None,
    response: InspectionResponse,
    answers: dict[int, tuple[str, str]],
    *,
    submit: bool = False,
) -> InspectionResponse:
    """Save answers ``{item_id: (value, comment)}`` of a sheet (a draft: resumed later), and
    submit it when ``submit`` (every question must then be answered).

    The write path is kept short (answer submission is the busiest write of a campaign): the
    answerer is the person the request already resolved, the sheet is locked and read with its
    campaign (status) and person (journal label) in one query, and the answers are checked
    after that, so the campaign's status is read once."""
    _check_answerer(actor, response)
    with transaction.atomic():
        sheet = (
            InspectionResponse.objects.select_for_update(of=("self",))
            .select_related("campaign", "person")
            .get(pk=response.pk)
        )
        # The checks, in the order of the earlier check before the lock and the one after it.
        _check_campaign_open(sheet.campaign, reread=False)
        _check_editable(response)
        _check_editable(sheet)
        if sheet.status != response.status:
            raise ValidationError({"status": _("The sheet changed meanwhile: open it again.")})
        items, clean = _clean_answers(sheet, answers)
        existing = {a.item_id: a for a in InspectionAnswer.objects.filter(response=sheet)}
        new: list[InspectionAnswer] = []
        changed: list[InspectionAnswer] = []
        for item_id, (value, comment) in clean.items():
            answer = existing.get(item_id)
            if answer is None:
                if not value and not comment:
                    continue
                answer = InspectionAnswer(
                    response=sheet,
                    item_id=item_id,
                    campaign_id=sheet.campaign_id,
                    org_unit_id=sheet.org_unit_id,
                    bureau_id=sheet.bureau_id,
                    chapter=items[item_id].chapter,
                    value=value,
                    comment=comment,
                )
                new.append(answer)
                existing[item_id] = answer
            elif (answer.value, answer.comment) != (value, comment):
                answer.value, answer.comment = value, comment
                changed.append(answer)
        InspectionAnswer.objects.bulk_create(new)
        if changed:
            now = timezone.now()
            for a in changed:
                a.updated_at = now
            InspectionAnswer.objects.bulk_update(changed, ["value", "comment", "updated_at"])
        answered = sum(1 for a in existing.values() if a.value)
        before = {"status": sheet.status, "answered_count": sheet.answered_count}
        sheet.answered_count = answered
        if submit:
            missing = [items[i].code for i in items if not getattr(existing.get(i), "value", "")]
            if missing:
                raise ValidationError(
                    {
                        "answers": _(
                            "Answer every question before submitting. Not answered yet: %(codes)s."
                        )
                        % {"codes": ", ".join(missing[:20])}
                    },
                    code="incomplete",
                )
            sheet.status = InspectionResponse.Status.SUBMITTED
            sheet.submitted_at = timezone.now()
            InspectionAnswer.objects.filter(response=sheet).update(final=True)
        elif sheet.status == InspectionResponse.Status.NOT_STARTED:
            sheet.status = InspectionResponse.Status.IN_PROGRESS
        if sheet.status != before["status"]:
            sheet.status_changed_at = timezone.now()
        sheet.save(
            update_fields=[
                "answered_count",
                "status",
                "submitted_at",
                "status_changed_at",
                "updated_at",
            ]
        )
        journal.record(
            actor=actor,
            action="inspection_response.submit" if submit else "inspection_response.save",
            obj=sheet,
            municipality=sheet.campaign.municipality_id,
            before=before,
            after={
                "status": sheet.status,
                "answered_count": answered,
                "answers": {items[a.item_id].code: [a.value, a.comment] for a in [*new, *changed]},
            },
        )
    return sheet


def submit(actor: User | None, response: InspectionResponse) -> InspectionResponse:
    """Submit a sheet whose answers are saved."""
    return save_answers(actor, response, {}, submit=True)


def _approver_person(actor: User | None) -> Person | None:
    if actor is None:
        return None
    return Person.objects.filter(user=actor, is_active=True).first()


def _decision_capacity(actor: User | None, response: InspectionResponse) -> Capacity:
    from .visibility import approval_capacity

    if actor is None:
        return OWN_RIGHT
    found = approval_capacity(actor, response)
    if found is None:
        raise PermissionDenied(_("You do not approve the inspection sheets of this unit."))
    return found


def _check_decidable(response: InspectionResponse) -> None:
    response.campaign.status = SelfInspection.objects.values_list("status", flat=True).get(
        pk=response.campaign_id
    )
    if response.campaign.status == SelfInspection.Status.CLOSED:
        raise ValidationError(
            {"campaign": _("The campaign is closed: sheets can no longer be approved or returned.")}
        )
    if response.status != InspectionResponse.Status.SUBMITTED:
        raise ValidationError(
            {
                "status": _("Only a submitted sheet can be approved or returned (it is %(s)s).")
                % {"s": response.get_status_display()}
            }
        )


def approve(actor: User | None, response: InspectionResponse) -> InspectionResponse:
    """Approve a submitted sheet: the unit's 管理者 (or deputy) or a lead, never the answerer."""
    capacity = _decision_capacity(actor, response)
    _check_decidable(response)
    approver = _approver_person(actor)
    permissions.check_separation(
        applicant=response.person,
        approver=approver,
        subject=SOD_SUBJECT,
        on_behalf_of=capacity.on_behalf_of,
    )
    with transaction.atomic():
        sheet = InspectionResponse.objects.select_for_update().get(pk=response.pk)
        _check_decidable(sheet)
        sheet.status = InspectionResponse.Status.APPROVED
        sheet.approved_by = approver
        sheet.approved_at = timezone.now()
        sheet.approved_on_behalf_of = capacity.label
        sheet.status_changed_at = timezone.now()
        sheet.save(
            update_fields=[
                "status",
                "status_changed_at",
                "approved_by",
                "approved_at",
                "approved_on_behalf_of",
                "updated_at",
            ]
        )
        journal.record(
            actor=actor,
            action="inspection_response.approve",
            obj=sheet,
            municipality=sheet.campaign.municipality_id,
            before={"status": InspectionResponse.Status.SUBMITTED},
            after={"status": sheet.status},
            on_behalf_of=capacity.label,
        )
    return sheet


def return_sheet(
    actor: User | None, response: InspectionResponse, *, reason: str
) -> InspectionResponse:
    """Send a submitted sheet back to its answerer with the reason (差戻し)."""
    capacity = _decision_capacity(actor, response)
    _check_decidable(response)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the sheet goes back, so it can be fixed.")})
    if len(reason) > 2000:
        raise ValidationError({"reason": _("The reason is too long (at most 2,000 characters).")})
    approver = _approver_person(actor)
    permissions.check_separation(
        applicant=response.person,
        approver=approver,
        subject=SOD_SUBJECT,
        on_behalf_of=capacity.on_behalf_of,
    )
    with transaction.atomic():
        sheet = InspectionResponse.objects.select_for_update().get(pk=response.pk)
        _check_decidable(sheet)
        sheet.status = InspectionResponse.Status.RETURNED
        sheet.returned_reason = reason
        sheet.returned_at = timezone.now()
        sheet.status_changed_at = sheet.returned_at
        sheet.save(
            update_fields=[
                "status",
                "returned_reason",
                "returned_at",
                "status_changed_at",
                "updated_at",
            ]
        )
        InspectionAnswer.objects.filter(response=sheet).update(final=False)
        journal.record(
            actor=actor,
            action="inspection_response.return",
            obj=sheet,
            municipality=sheet.campaign.municipality_id,
            before={"status": InspectionResponse.Status.SUBMITTED},
            after={"status": sheet.status, "reason": reason},
            on_behalf_of=capacity.label,
        )
    return sheet


# --- evidence files ---------------------------------------------------------------------------


def _content_type(data: bytes) -> str:
    return uploads.detect_type(data)


def _safe_name(name: str, content_type: str = "") -> str:
    """The base name the uploader gave, with the extension of the detected content type."""
    return uploads.download_name(name, content_type, default="evidence")


def download_name(evidence: InspectionEvidence) -> str:
    """The file name a download is offered under (extension from the detected type)."""
    return _safe_name(evidence.original_name, evidence.content_type)


def too_large_message(size: int) -> str:
    """What to say about an evidence file of ``size`` bytes over the limit."""
    message = _("The file is too large (%(size)s MB; at most %(max)s MB). Attach a smaller file.")
    return message % {"size": round(size / 1048576, 1), "max": evidence_max_bytes() // 1048576}


def add_evidence(
    actor: User | None,
    response: InspectionResponse,
    item: InspectionItem,
    *,
    name: str,
    data: bytes,
) -> InspectionEvidence:
    """Attach an evidence file to the answer of ``item`` (the answer is made if need be)."""
    _check_answerable(actor, response)
    errors = FieldErrors()
    if item.campaign_id != response.campaign_id or item.target_group != response.target_group:
        errors.add("item", _("This question is not on the sheet."))
    limit = evidence_max_bytes()
    if not data:
        errors.add("file", _("The file is empty. Choose the file that shows the answer."))
    elif len(data) > limit:
        errors.add("file", too_large_message(len(data)))
    else:
        kind = _content_type(data)
        if kind not in ALLOWED_EVIDENCE_TYPES:
            errors.add(
                "file",
                _(
                    "Files of the type %(type)s cannot be attached. Attach a PDF, an image, an "
                    "office document, a text or a CSV file (no programs, no archives)."
                )
                % {"type": kind},
            )
    errors.raise_if_any()
    kind = _content_type(data)
    stored = uuid.uuid4().hex
    folder = evidence_dir() / str(response.campaign.municipality_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / stored
    try:
        with transaction.atomic():
            evidence = _store_evidence(actor, response, item, name, data, kind, stored, path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return evidence


def _store_evidence(
    actor: User | None,
    response: InspectionResponse,
    item: InspectionItem,
    name: str,
    data: bytes,
    kind: str,
    stored: str,
    path: Path,
) -> InspectionEvidence:
    """The row, the journal and the file of ``add_evidence``, inside its transaction."""
    sheet = InspectionResponse.objects.select_for_update().get(pk=response.pk)
    _check_open(sheet)
    answer, _created = InspectionAnswer.objects.get_or_create(
        response=response,
        item=item,
        defaults={
            "campaign_id": response.campaign_id,
            "org_unit_id": response.org_unit_id,
            "bureau_id": response.bureau_id,
            "chapter": item.chapter,
        },
    )
    evidence = InspectionEvidence.objects.create(
        answer=answer,
        stored_name=f"{response.campaign.municipality_id}/{stored}",
        original_name=_safe_name(name, kind),
        size=len(data),
        content_type=kind,
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor,
    )
    if sheet.status == InspectionResponse.Status.NOT_STARTED:
        sheet.status = InspectionResponse.Status.IN_PROGRESS
        sheet.status_changed_at = timezone.now()
        sheet.save(update_fields=["status", "status_changed_at", "updated_at"])
        response.status, response.status_changed_at = sheet.status, sheet.status_changed_at
    journal.record(
        actor=actor,
        action="inspection_evidence.add",
        obj=evidence,
        municipality=response.campaign.municipality_id,
        after=journal.snapshot(evidence, exclude=("uploaded_at",)),
    )
    path.write_bytes(data)
    return evidence


def evidence_path(evidence: InspectionEvidence) -> Path:
    return evidence_dir() / evidence.stored_name


def delete_evidence(actor: User | None, evidence: InspectionEvidence) -> None:
    """Remove an evidence file from a sheet that can still be changed."""
    response = evidence.answer.response
    _check_answerable(actor, response)
    path = evidence_path(evidence)
    with transaction.atomic():
        sheet = InspectionResponse.objects.select_for_update().get(pk=response.pk)
        _check_open(sheet)
        journal.record(
            actor=actor,
            action="inspection_evidence.delete",
            obj=evidence,
            municipality=response.campaign.municipality_id,
            before=journal.snapshot(evidence, exclude=("uploaded_at",)),
        )
        evidence.delete()
        transaction.on_commit(lambda: path.unlink(missing_ok=True))


# --- improvement items (是正処置 from 未実施 answers) ---------------------------------------------


def create_improvement(
    actor: User | None,
    answer: InspectionAnswer,
    *,
    owner: Person | None,
    due_date: datetime.date | None,
    title: str = "",
    description: str = "",
) -> CorrectiveAction:
    """Turn a 未実施 answer of a submitted or approved sheet into an improvement item."""
    response = answer.response
    capacity = _decision_capacity(actor, response)
    if answer.value != InspectionAnswer.Value.NOT_IMPLEMENTED or not answer.final:
        raise ValidationError(
            {"answer": _("Only a 未実施 answer of a submitted sheet becomes an improvement item.")}
        )
    item = answer.item
    with transaction.atomic():
        # The answer row is locked so that two approvers cannot both make an item for it.
        InspectionAnswer.objects.select_for_update().filter(pk=answer.pk).first()
        if CorrectiveAction.objects.filter(inspection_answer=answer).exists():
            raise ValidationError({"answer": _("This answer already has an improvement item.")})
        action = create_corrective_action(
            actor,
            response.campaign.municipality,
            source=CorrectiveAction.Source.SELF_INSPECTION,
            title=title or f"{item.code} {item.requirement[:150]}",
            owner=owner,
            due_date=due_date,
            description=description or answer.comment,
            source_reference=f"{response.campaign.fiscal_year} {item.code}",
            control=item.control,
            org_unit=response.org_unit,
            on_behalf_of=capacity.label,
        )
        action.inspection_answer = answer
        action.save(update_fields=["inspection_answer", "updated_at"])
    return action


def progress_action(
    actor: User | None, action: CorrectiveAction, *, note: str, done: bool = False
) -> CorrectiveAction:
    """The owner reports progress, or that the action is done (then awaiting verification)."""
    if actor is not None:
        permissions.require(actor, Action.VIEW_INSPECTIONS, action)
        me = _approver_person(actor)
        if me is None or me.pk != action.owner_id:
            raise PermissionDenied(_("Only the person responsible reports on this action."))
    if action.status in (CorrectiveAction.Status.DONE, CorrectiveAction.Status.CLOSED):
        raise ValidationError({"status": _("The action is already done.")})
    with transaction.atomic():
        before = {"status": action.status, "progress_note": action.progress_note}
        action.progress_note = (note or "").strip()[:4000]
        action.status = (
            CorrectiveAction.Status.DONE if done else CorrectiveAction.Status.IN_PROGRESS
        )
        if done:
            action.completed_at = timezone.now()
        action.save()
        journal.record(
            actor=actor,
            action="corrective_action.progress",
            obj=action,
            before=before,
            after={"status": action.status, "progress_note": action.progress_note},
        )
    return action


def _verify_capacity(actor: User | None, action: CorrectiveAction) -> Capacity:
    """The capacity in which ``actor`` verifies ``action``, worked out per item like the sheet
    approval: a unit right (held or deputised) for the action's unit, its 課 or its 部, else a
    lead (own right or deputy). PermissionDenied when none."""
    from .visibility import LEADS

    if action.finding_id is not None:
        # An audit's action is verified by the audit's own auditors (audits.services).
        raise PermissionDenied(_("The auditors of the audit verify this action."))
    if actor is None:
        return OWN_RIGHT
    permissions.require(actor, Action.APPROVE_INSPECTIONS, action)
    unit_ids: list[int] = []
    if action.org_unit is not None:
        division, bureau = _division_and_bureau(action.org_unit)
        unit_ids = [action.org_unit.pk, division.pk] + ([bureau.pk] if bureau else [])
    held = permissions.units_held(actor, permissions.UNIT_ASSET_ROLES)
    for unit_id in unit_ids:
        if unit_id in held:
            delegation = held[unit_id]
            return OWN_RIGHT if delegation is None else Capacity(delegation)
    if permissions.own_roles(actor) & LEADS:
        return OWN_RIGHT
    for d in permissions.delegations_held(actor):
        if d.assignment.role in LEADS:
            return Capacity(d)
    raise PermissionDenied(_("You do not verify the improvement items of this unit."))


def verify_action(actor: User | None, action: CorrectiveAction) -> CorrectiveAction:
    """Someone other than the owner confirms a done action and closes it: the approver of the
    action's unit (holder or deputy) or a lead."""
    capacity = _verify_capacity(actor, action)
    if action.status != CorrectiveAction.Status.DONE:
        raise ValidationError({"status": _("Only an action reported done can be verified.")})
    verifier = _approver_person(actor)
    permissions.check_separation(
        applicant=action.owner,
        approver=verifier,
        subject="corrective_action",
        on_behalf_of=capacity.on_behalf_of,
    )
    with transaction.atomic():
        action.status = CorrectiveAction.Status.CLOSED
        action.verified_by = verifier
        action.verified_at = timezone.now()
        action.save()
        journal.record(
            actor=actor,
            action="corrective_action.verify",
            obj=action,
            before={"status": CorrectiveAction.Status.DONE},
            after={"status": action.status},
            on_behalf_of=capacity.label,
        )
    return action
