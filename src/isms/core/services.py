"""Every write of the core app: municipalities, org units, people, role assignments, waivers.

Each service takes the acting user first, checks the permission itself (the CLI and tasks call
services too), validates what the model cannot, saves inside one transaction and records the
journal entry in that same transaction. Errors are ``ValidationError`` keyed by field, or
``PermissionDenied``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import journal
from .calendar import fiscal_year_bounds
from .models import (
    ApiToken,
    Municipality,
    OrgChange,
    OrgUnit,
    OrgUnitVersion,
    Person,
    RoleAssignment,
    RoleDisplayName,
    ServiceAccessGrant,
    SoDWaiver,
    User,
)
from .permissions import Action, SeparationOfDutiesError, check_separation, require
from .roles import MUNICIPALITY_WIDE_ROLES, Role
from .validators import validate_lg_code

_NOT_FOUND = "not_found"


def _apply(obj: models.Model, data: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(
            {name: _("This field cannot be set here.") for name in sorted(unknown)}
        )
    for name, value in data.items():
        setattr(obj, name, value)


def _save(obj: models.Model, *, unique_message: str | None = None) -> None:
    """Validate and save ``obj``; a uniqueness race becomes the same ValidationError."""
    obj.full_clean()
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise ValidationError(
            unique_message or _("This record conflicts with an existing one.")
        ) from exc


def _refuse_duplicate(obj: models.Model, field: str, message: str, **lookup: Any) -> None:
    """Refuse ``obj`` on ``field`` when another row matches ``lookup``.

    Checked before saving so that the message names the field; the database constraint still
    catches a concurrent duplicate (as the generic message of ``_save``).
    """
    if type(obj)._default_manager.filter(**lookup).exclude(pk=obj.pk).exists():
        raise ValidationError({field: message}, code="unique")


def _same_municipality(field: str, obj: models.Model | None, municipality_id: int) -> None:
    """Refuse a reference to another municipality's record as if it did not exist."""
    if obj is not None and getattr(obj, "municipality_id", municipality_id) != municipality_id:
        raise ValidationError(
            {field: _("The selected record was not found in this municipality.")},
            code=_NOT_FOUND,
        )


# --- municipalities ---------------------------------------------------------------------

MUNICIPALITY_FIELDS = {"name", "name_en", "code", "prefecture"}


def _check_prefecture(m: Municipality) -> None:
    if m.code and m.prefecture and m.code[:2] != m.prefecture:
        raise ValidationError(
            {
                "prefecture": _(
                    "The prefecture does not match the local government code: a code starting "
                    "with %(prefix)s belongs to prefecture %(prefix)s."
                )
                % {"prefix": m.code[:2]}
            }
        )


def create_municipality(actor: User | None, **data: Any) -> Municipality:
    """Create a municipality and the head of its journal chain (superusers and the CLI only)."""
    if actor is not None:
        require(actor, Action.CREATE_MUNICIPALITY)
    m = Municipality()
    _apply(m, data, MUNICIPALITY_FIELDS)
    try:
        validate_lg_code(m.code)
    except ValidationError as exc:
        # Only the code is wrong; a prefecture derived from it would only add noise.
        raise ValidationError({"code": exc.error_list}) from exc
    if not m.prefecture:
        m.prefecture = m.code[:2]
    _check_prefecture(m)
    with transaction.atomic():
        _save(m)
        journal.record(
            actor=actor,
            action="municipality.create",
            obj=m,
            municipality=m,
            after=journal.snapshot(m),
        )
    return m


def update_municipality(actor: User, municipality: Municipality, **data: Any) -> Municipality:
    """Change a municipality's names (its code and prefecture are fixed once created)."""
    require(actor, Action.MANAGE_MUNICIPALITY, municipality)
    before = journal.snapshot(municipality)
    _apply(municipality, data, {"name", "name_en"})
    with transaction.atomic():
        _save(municipality)
        journal.record(
            actor=actor,
            action="municipality.update",
            obj=municipality,
            municipality=municipality,
            before=before,
            after=journal.snapshot(municipality),
        )
    return municipality


def set_service_access(
    actor: User, municipality: Municipality, *, sensitive_access: bool, reason: str
) -> ServiceAccessGrant:
    """Let (or stop letting) service administrators see personal data and 機密性3 material."""
    require(actor, Action.GRANT_SERVICE_ACCESS, municipality)
    if sensitive_access and not reason.strip():
        raise ValidationError({"reason": _("Give the reason for granting access.")})
    with transaction.atomic():
        grant, _created = ServiceAccessGrant.objects.select_for_update().get_or_create(
            municipality=municipality, defaults={"granted_by": actor}
        )
        before = journal.snapshot(grant)
        grant.sensitive_access, grant.reason = sensitive_access, reason.strip()
        grant.granted_by, grant.granted_at = actor, timezone.now()
        grant.save()
        journal.record(
            actor=actor,
            action="service_access.set",
            obj=grant,
            municipality=municipality,
            before=before,
            after=journal.snapshot(grant),
        )
    return grant


# --- org units ---------------------------------------------------------------------------

ORG_UNIT_FIELDS = {
    "parent",
    "code",
    "name",
    "name_kana",
    "kind",
    "organ_kind",
    "in_scope",
    "sort_order",
}


def _check_no_cycle(unit: OrgUnit) -> None:
    seen = {unit.pk} if unit.pk else set()
    node = unit.parent
    while node is not None:
        if node.pk in seen:
            raise ValidationError(
                {
                    "parent": _(
                        "%(unit)s cannot be placed under %(parent)s: that unit is already below "
                        "it. Choose a parent outside its own branch."
                    )
                    % {"unit": unit.name, "parent": unit.parent}
                },
                code="cycle",
            )
        seen.add(node.pk)
        node = node.parent


def _unique_org_unit_message() -> str:
    return _("An org unit with this code, or with this name under the same parent, already exists.")


def _check_org_unit_unique(unit: OrgUnit) -> None:
    """Refuse a code used elsewhere in the municipality, or a name its siblings already use.

    Top-level units are siblings too (the database constraint treats their empty parent as
    distinct, so only this check stops two top-level units with the same name).
    """
    _refuse_duplicate(
        unit,
        "code",
        _(
            "Another org unit of this municipality already has the code %(code)s. "
            "Choose another code."
        )
        % {"code": unit.code},
        municipality_id=unit.municipality_id,
        code=unit.code,
    )
    if unit.parent is None:
        message = _("There is already a top-level unit named %(name)s. Choose another name.")
    else:
        message = _("%(parent)s already has a unit named %(name)s. Choose another name.")
    _refuse_duplicate(
        unit,
        "name",
        message % {"name": unit.name, "parent": unit.parent},
        municipality_id=unit.municipality_id,
        parent=unit.parent,
        name=unit.name,
    )


def create_org_unit(actor: User | None, municipality: Municipality, **data: Any) -> OrgUnit:
    """Create an org unit (部局 / 課 / 係) in ``municipality``."""
    if actor is not None:
        require(actor, Action.MANAGE_ORGANISATION, municipality=municipality)
    unit = OrgUnit(municipality=municipality)
    _apply(unit, data, ORG_UNIT_FIELDS)
    _same_municipality("parent", unit.parent, municipality.pk)
    check_parent_usable(unit)
    with transaction.atomic():
        _check_org_unit_unique(unit)
        _save(unit, unique_message=_unique_org_unit_message())
        sync_current_version(unit)
        journal.record(
            actor=actor,
            action="org_unit.create",
            obj=unit,
            after=journal.snapshot(unit),
            system="demo" if actor is None else None,
        )
    return unit


def update_org_unit(actor: User, unit: OrgUnit, **data: Any) -> OrgUnit:
    """Correct an org unit's current details; moving it below its own descendants is refused.

    A correction rewrites the current version in place (a typo in the name was always a typo);
    a change that takes effect on a date is a reorganisation (``core.reorganisation``).
    """
    require(actor, Action.MANAGE_ORGANISATION, unit)
    with transaction.atomic():
        unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
        if unit.abolished_on is not None:
            raise ValidationError(
                _(
                    "%(unit)s was abolished on %(date)s and can no longer be changed; "
                    "its history stays as it was."
                )
                % {"unit": unit.name, "date": unit.abolished_on.isoformat()},
                code="abolished",
            )
        before = journal.snapshot(unit)
        _apply(unit, data, ORG_UNIT_FIELDS)
        _same_municipality("parent", unit.parent, unit.municipality_id)
        check_parent_usable(unit)
        _check_no_cycle(unit)
        _check_org_unit_unique(unit)
        _save(unit, unique_message=_unique_org_unit_message())
        sync_current_version(unit)
        journal.record(
            actor=actor,
            action="org_unit.update",
            obj=unit,
            before=before,
            after=journal.snapshot(unit),
        )
    return unit


def check_parent_usable(unit: OrgUnit) -> None:
    """Refuse an abolished unit as the parent."""
    if unit.parent is not None and unit.parent.abolished_on is not None:
        raise ValidationError(
            {
                "parent": _("%(parent)s has been abolished. Choose a current unit.")
                % {"parent": unit.parent.name}
            },
            code="abolished",
        )


VERSIONED_FIELDS = ("code", "name", "name_kana", "parent_id", "kind", "organ_kind", "in_scope")


def sync_current_version(unit: OrgUnit, *, change: OrgChange | None = None) -> OrgUnitVersion:
    """Make the unit's open version (creating it if missing) carry the unit's current details."""
    version = OrgUnitVersion.objects.filter(org_unit=unit, valid_to__isnull=True).first()
    if version is None:
        version = OrgUnitVersion(municipality_id=unit.municipality_id, org_unit=unit, change=change)
    for name in VERSIONED_FIELDS:
        setattr(version, name, getattr(unit, name))
    version.save()
    return version


# --- people ------------------------------------------------------------------------------

PERSON_FIELDS = {
    "employee_number",
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "staff_category",
    "org_unit",
    "email",
    "employment_end",
    "is_active",
}


def _check_unit_current(person: Person) -> None:
    """Refuse placing a person in an abolished unit."""
    unit = person.org_unit
    if unit is not None and unit.abolished_on is not None:
        raise ValidationError(
            {
                "org_unit": _("%(unit)s has been abolished. Choose a current unit.")
                % {"unit": unit.name}
            },
            code="abolished",
        )


def _unique_person_message() -> str:
    return _("A person with this employee number already exists in this municipality.")


def _check_person_unique(person: Person) -> None:
    _refuse_duplicate(
        person,
        "employee_number",
        _(
            "Another person of this municipality already has the employee number %(number)s. "
            "Check the number."
        )
        % {"number": person.employee_number},
        municipality_id=person.municipality_id,
        employee_number=person.employee_number,
    )


def create_person(actor: User | None, municipality: Municipality, **data: Any) -> Person:
    """Register one of the 職員等."""
    if actor is not None:
        require(actor, Action.MANAGE_PEOPLE, municipality=municipality)
    person = Person(municipality=municipality)
    _apply(person, data, PERSON_FIELDS)
    _same_municipality("org_unit", person.org_unit, municipality.pk)
    _check_unit_current(person)
    with transaction.atomic():
        _check_person_unique(person)
        _save(person, unique_message=_unique_person_message())
        journal.record(
            actor=actor,
            action="person.create",
            obj=person,
            after=journal.snapshot(person),
            system="demo" if actor is None else None,
        )
    return person


def update_person(actor: User, person: Person, **data: Any) -> Person:
    """Change a person's details."""
    require(actor, Action.MANAGE_PEOPLE, person)
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        before = journal.snapshot(person)
        _apply(person, data, PERSON_FIELDS)
        _same_municipality("org_unit", person.org_unit, person.municipality_id)
        if person.org_unit_id != before["org_unit"]:
            _check_unit_current(person)
        _check_person_unique(person)
        _save(person, unique_message=_unique_person_message())
        journal.record(
            actor=actor,
            action="person.update",
            obj=person,
            before=before,
            after=journal.snapshot(person),
        )
    return person


def link_login(actor: User | None, person: Person, user: User) -> Person:
    """Attach a login account to a person of the same municipality."""
    if actor is not None:
        require(actor, Action.MANAGE_PEOPLE, person)
    if user.municipality_id != person.municipality_id:
        raise ValidationError({"user": _("The login belongs to another municipality.")})
    with transaction.atomic():
        before = journal.snapshot(person)
        person.user = user
        _save(person, unique_message=_("This login is already linked to another person."))
        journal.record(
            actor=actor,
            action="person.link_login",
            obj=person,
            before=before,
            after=journal.snapshot(person),
            system="demo" if actor is None else None,
        )
    return person


# --- role assignments ------------------------------------------------------------------------


def _period(
    fiscal_year: int | None, start_date: datetime.date | None, end_date: datetime.date | None
) -> tuple[datetime.date, datetime.date | None]:
    if fiscal_year is not None:
        if start_date is not None or end_date is not None:
            raise ValidationError(
                {"fiscal_year": _("Give either a fiscal year or a start and end date, not both.")}
            )
        if not 2000 <= fiscal_year <= 2100:
            raise ValidationError({"fiscal_year": _("Enter a fiscal year such as 2025.")})
        return fiscal_year_bounds(fiscal_year)
    if start_date is None:
        raise ValidationError({"start_date": _("Give a fiscal year or a start date.")})
    if end_date is not None and end_date < start_date:
        raise ValidationError({"end_date": _("The end date must not be before the start date.")})
    return start_date, end_date


def _check_overlap(a: RoleAssignment, field: str) -> None:
    clash = RoleAssignment.objects.filter(
        municipality_id=a.municipality_id, person_id=a.person_id, role=a.role, org_unit=a.org_unit
    ).exclude(pk=a.pk)
    if a.end_date is not None:
        clash = clash.filter(start_date__lte=a.end_date)
    clash = clash.filter(models.Q(end_date__isnull=True) | models.Q(end_date__gte=a.start_date))
    other = clash.first()
    if other is not None:
        raise ValidationError(
            {
                field: _(
                    "%(person)s already holds this role for this unit from %(start)s to %(end)s. "
                    "End that assignment first, or choose a period that does not overlap."
                )
                % {
                    "person": a.person,
                    "start": other.start_date,
                    "end": other.end_date or _("open-ended"),
                }
            },
            code="overlap",
        )


def assign_role(
    actor: User | None,
    person: Person,
    role: Role | str,
    *,
    org_unit: OrgUnit | None = None,
    fiscal_year: int | None = None,
    start_date: datetime.date | None = None,
    end_date: datetime.date | None = None,
    note: str = "",
) -> RoleAssignment:
    """Give ``person`` a role for a fiscal year or a date range.

    Nobody grants a role to themself (兼務の禁止), unless the CISO recorded a waiver for it.
    """
    if actor is not None:
        require(actor, Action.MANAGE_ROLES, person)
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role: %(role)s.") % {"role": role}})
    role = Role(role)
    _same_municipality("org_unit", org_unit, person.municipality_id)
    if role not in MUNICIPALITY_WIDE_ROLES and org_unit is None:
        raise ValidationError({"org_unit": _("This role is held for an org unit: choose one.")})
    if role in MUNICIPALITY_WIDE_ROLES and org_unit is not None:
        raise ValidationError(
            {"org_unit": _("This role is held for the whole municipality: leave the unit empty.")}
        )
    start, end = _period(fiscal_year, start_date, end_date)
    abolished_on = (
        OrgUnit.objects.filter(pk=org_unit.pk).values_list("abolished_on", flat=True).first()
        if org_unit is not None
        else None
    )
    if abolished_on is not None and (end is None or end >= abolished_on):
        raise ValidationError(
            {
                "org_unit": _(
                    "%(unit)s was abolished on %(date)s: assign the role for its successor, "
                    "or end the period before that day."
                )
                % {"unit": org_unit, "date": abolished_on.isoformat()}
            },
            code="abolished",
        )
    actor_person = Person.objects.filter(user=actor).first() if actor is not None else None
    try:
        check_separation(
            applicant=person, approver=actor_person, subject=f"role:{person.pk}:{role.value}"
        )
    except SeparationOfDutiesError as exc:
        raise SeparationOfDutiesError({"person": exc.error_list}) from exc
    a = RoleAssignment(
        municipality_id=person.municipality_id,
        person=person,
        role=role,
        org_unit=org_unit,
        fiscal_year=fiscal_year,
        start_date=start,
        end_date=end,
        note=note,
    )
    with transaction.atomic():
        Person.objects.select_for_update().filter(pk=person.pk).first()
        _check_overlap(a, "start_date" if fiscal_year is None else "fiscal_year")
        _save(a)
        journal.record(
            actor=actor,
            action="role_assignment.create",
            obj=a,
            after=journal.snapshot(a),
            system="demo" if actor is None else None,
        )
    return a


def end_role_assignment(
    actor: User, assignment: RoleAssignment, end_date: datetime.date
) -> RoleAssignment:
    """End an assignment on ``end_date`` (inclusive).

    Moving the end of an ended assignment later must not make it overlap a later one.
    """
    require(actor, Action.MANAGE_ROLES, assignment)
    with transaction.atomic():
        Person.objects.select_for_update().filter(pk=assignment.person_id).first()
        assignment = RoleAssignment.objects.get(pk=assignment.pk)
        if end_date < assignment.start_date:
            raise ValidationError(
                {
                    "end_date": _("The end date must not be before the start date (%(start)s).")
                    % {"start": assignment.start_date}
                }
            )
        before = journal.snapshot(assignment)
        assignment.end_date = end_date
        _check_overlap(assignment, "end_date")
        _save(assignment)
        journal.record(
            actor=actor,
            action="role_assignment.end",
            obj=assignment,
            before=before,
            after=journal.snapshot(assignment),
        )
    return assignment


def rename_role(
    actor: User, municipality: Municipality, role: Role | str, *, name_ja: str, name_en: str = ""
) -> RoleDisplayName:
    """Set this municipality's display name of a role (the code name never changes)."""
    require(actor, Action.MANAGE_ROLES, municipality=municipality)
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role: %(role)s.") % {"role": role}})
    with transaction.atomic():
        obj, _created = RoleDisplayName.objects.select_for_update().get_or_create(
            municipality=municipality, role=role, defaults={"name_ja": name_ja}
        )
        before = None if _created else journal.snapshot(obj)
        obj.name_ja, obj.name_en = name_ja.strip(), name_en.strip()
        _save(obj)
        journal.record(
            actor=actor, action="role.rename", obj=obj, before=before, after=journal.snapshot(obj)
        )
    return obj


def grant_sod_waiver(
    actor: User, person: Person, *, kind: str, subject: str, reason: str
) -> SoDWaiver:
    """Record a やむを得ない場合 exception to 兼務の禁止, with its reason."""
    require(actor, Action.GRANT_SOD_WAIVER, person)
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason why the exception is unavoidable.")})
    waiver = SoDWaiver(
        municipality_id=person.municipality_id,
        kind=kind,
        person=person,
        subject=subject,
        reason=reason.strip(),
        granted_by=actor,
    )
    with transaction.atomic():
        _save(waiver)
        journal.record(
            actor=actor, action="sod_waiver.grant", obj=waiver, after=journal.snapshot(waiver)
        )
    return waiver


# --- accounts and tokens -------------------------------------------------------------------


def create_user(
    actor: User | None,
    *,
    username: str,
    password: str | None,
    municipality: Municipality | None,
    is_municipality_admin: bool = False,
    is_superuser: bool = False,
) -> User:
    """Create a login account (the CLI and the demo loader; people screens come later)."""
    if actor is not None:
        if municipality is None and not actor.is_superuser:
            raise PermissionDenied(_("You are not allowed to do this."))
        require(actor, Action.MANAGE_PEOPLE, municipality=municipality)
        if is_superuser:
            raise ValidationError(_("Only the command line creates superusers."))
    user = User(
        username=username,
        municipality=municipality,
        is_municipality_admin=is_municipality_admin,
        is_superuser=is_superuser,
        is_staff=is_superuser,
    )
    if password:
        from django.contrib.auth.password_validation import validate_password

        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    with transaction.atomic():
        _save(user, unique_message=_("A user with that user name already exists."))
        journal.record(
            actor=actor,
            action="user.create",
            obj=user,
            municipality=municipality,
            after=journal.snapshot(user, exclude=["password"]),
            system="cli",
        )
    return user


def issue_api_token(
    actor: User, *, name: str, expires_at: datetime.datetime | None = None
) -> tuple[ApiToken, str]:
    """Create an API token for ``actor`` and return it with the raw value (shown once)."""
    raw = ApiToken.generate()
    token = ApiToken(
        user=actor, name=name, digest=ApiToken.hash(raw), prefix=raw[5:13], expires_at=expires_at
    )
    with transaction.atomic():
        _save(token)
        journal.record(
            actor=actor,
            action="api_token.issue",
            obj=token,
            municipality=actor.municipality_id,
            after=journal.snapshot(token, exclude=["digest"]),
        )
    return token, raw


def revoke_api_token(actor: User, token: ApiToken) -> ApiToken:
    """Revoke one of the actor's own tokens."""
    if token.user_id != actor.pk:
        raise ValidationError(_("You can only revoke your own tokens."))
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        journal.record(
            actor=actor, action="api_token.revoke", obj=token, municipality=actor.municipality_id
        )
    return token


def set_password(actor: User | None, user: User, password: str, *, validate: bool = True) -> User:
    """Set a login's password (the hash never enters the journal)."""
    if actor is not None and actor.pk != user.pk:
        # An account of no municipality (a service administrator, a superuser) is not any
        # municipality's to manage: without this, require() would check the actor's own.
        if user.municipality_id is None and not actor.is_superuser:
            raise PermissionDenied(_("You are not allowed to do this."))
        require(actor, Action.MANAGE_PEOPLE, municipality=user.municipality_id)
    if validate:
        from django.contrib.auth.password_validation import validate_password

        validate_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        journal.record(
            actor=actor,
            action="user.set_password",
            obj=user,
            municipality=user.municipality_id,
            system="cli" if actor is None else None,
        )
    return user


def expire_logins(today: datetime.date | None = None) -> list[User]:
    """Deactivate the logins of people whose employment ended (a daily task)."""
    today = today or timezone.localdate()
    expired = []
    people = Person.objects.filter(
        employment_end__lt=today, user__isnull=False, user__is_active=True
    ).select_related("user")
    for person in people:
        user = person.user
        assert user is not None
        with transaction.atomic():
            user.is_active = False
            user.save(update_fields=["is_active"])
            journal.record(
                actor=None,
                action="user.expire",
                obj=user,
                municipality=person.municipality_id,
                before={"is_active": True},
                after={"is_active": False},
                system="expire_logins",
            )
        expired.append(user)
    return expired
