"""Builders for test data, all through the services (so every fixture is journaled too)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from django.utils import timezone

from isms.core import services
from isms.core.calendar import fiscal_year_of
from isms.core.models import Municipality, OrgUnit, Person, User
from isms.core.roles import MUNICIPALITY_WIDE_ROLES, Role

PASSWORD = "correct-horse-battery-staple"
_numbers = itertools.count(1)


def make_municipality(code: str = "192040", name: str = "都留市") -> Municipality:
    existing = Municipality.objects.filter(code=code).first()
    return existing or services.create_municipality(None, code=code, name=name)


def make_unit(
    m: Municipality,
    name: str,
    *,
    parent: OrgUnit | None = None,
    kind: str = OrgUnit.Kind.DIVISION,
    code: str | None = None,
) -> OrgUnit:
    return services.create_org_unit(
        None,
        m,
        code=code or f"U{next(_numbers)}",
        name=name,
        kind=kind,
        organ_kind=OrgUnit.OrganKind.MAYOR_DEPARTMENTS,
        parent=parent,
    )


def make_person(
    m: Municipality, *, unit: OrgUnit | None = None, family: str = "山田", given: str = "太郎"
) -> Person:
    n = next(_numbers)
    return services.create_person(
        None,
        m,
        employee_number=f"E{n:05d}",
        family_name=family,
        given_name=given,
        family_name_kana="ヤマダ",
        given_name_kana="タロウ",
        staff_category=Person.StaffCategory.REGULAR,
        org_unit=unit,
    )


def make_user(
    m: Municipality | None,
    username: str | None = None,
    *,
    roles: tuple[Role, ...] = (),
    unit: OrgUnit | None = None,
    municipality_admin: bool = False,
    service_admin_of: tuple[Municipality, ...] = (),
) -> User:
    """A login with a person in ``unit`` holding ``roles`` for the current fiscal year."""
    username = username or f"user{next(_numbers)}"
    user = services.create_user(
        None,
        username=username,
        password=PASSWORD,
        municipality=m,
        is_municipality_admin=municipality_admin,
    )
    if service_admin_of:
        user.is_service_admin = True
        user.save(update_fields=["is_service_admin"])
        user.managed_municipalities.set(service_admin_of)
        return user
    if m is not None:
        person = make_person(m, unit=unit)
        services.link_login(None, person, user)
        fy = fiscal_year_of(timezone.localdate())
        for role in roles:
            services.assign_role(
                None,
                person,
                role,
                org_unit=None if role in MUNICIPALITY_WIDE_ROLES else unit,
                fiscal_year=fy,
            )
    return user


@dataclass
class Tenant:
    """One municipality with a unit, a plain staff member, a manager and an administrator."""

    municipality: Municipality
    bureau: OrgUnit
    unit: OrgUnit
    staff: User
    lead: User
    admin: User
    other_person: Person


def make_tenant(code: str, name: str) -> Tenant:
    m = make_municipality(code, name)
    bureau = make_unit(m, f"{name}総務部", kind=OrgUnit.Kind.BUREAU)
    unit = make_unit(m, f"{name}総務課", parent=bureau)
    return Tenant(
        municipality=m,
        bureau=bureau,
        unit=unit,
        staff=make_user(m, f"staff-{code}", unit=unit),
        lead=make_user(m, f"lead-{code}", roles=(Role.LEAD_SECURITY_OFFICER,), unit=unit),
        admin=make_user(m, f"admin-{code}", municipality_admin=True),
        other_person=make_person(m, unit=unit, family="佐藤", given="花子"),
    )
