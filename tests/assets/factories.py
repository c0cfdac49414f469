"""Builders for the asset register's tests, all through the services (so all is journaled)."""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from isms.assets import services
from isms.assets.models import InformationAsset
from isms.core import delegation
from isms.core.models import Delegation, Municipality, OrgUnit, Person, RoleAssignment, User
from isms.core.roles import Role
from tests.support.factories import Tenant, make_unit, make_user

_numbers = itertools.count(1)

# Answers to the assistant for an ordinary internal document (機密性2, 完全性1, 可用性1).
PLAIN_ANSWERS: dict[str, bool | str] = {
    "classified_document": False,
    "specific_personal_info": False,
    "sensitive_personal_info": False,
    "personal_info": False,
    "published": False,
    "leak_harm": "none",
    "alteration_harm": "none",
    "loss_harm": "none",
    "max_downtime": "week_or_more",
}


def make_asset(
    m: Municipality, unit: OrgUnit, *, actor: User | None = None, **data: Any
) -> InformationAsset:
    """An in-use 機密性2 document of ``unit`` unless ``data`` says otherwise."""
    values: dict[str, Any] = {
        "asset_number": f"A-{next(_numbers):05d}",
        "name": "庁内資料",
        "kind": InformationAsset.Kind.INFORMATION,
        "owning_unit": unit,
        "segment": InformationAsset.Segment.LGWAN,
        "confidentiality": "2",
        "integrity": "1",
        "availability": "1",
    }
    values.update(data)
    return services.create_asset(actor, m, **values).asset


def fresh(user: User) -> User:
    """The same login without the per-request caches of roles and units."""
    return type(user).objects.get(pk=user.pk)


def person_of(user: User) -> Person:
    return Person.objects.get(user=user)


@dataclass
class Register:
    """都留市 with a small org chart, the asset roles and one asset per unit.

    総務部 (bureau) ─ 総務課 (unit, tenant.unit) ─ 庶務係 (section)
                   └ 企画課 (other_division)
    市民部 (other_bureau) ─ 市民課 (citizen)
    """

    tenant: Tenant
    section: OrgUnit
    other_division: OrgUnit
    other_bureau: OrgUnit
    citizen: OrgUnit
    manager: User  # 情報セキュリティ管理者 of 総務課
    other_manager: User  # 情報セキュリティ管理者 of 企画課
    bureau_officer: User  # 情報セキュリティ責任者 of 総務部
    auditor: User
    ciso: User
    section_staff: User
    colleague: User  # a plain member of 総務課 (a deputy in some tests)
    asset: InformationAsset  # 総務課
    section_asset: InformationAsset  # 庶務係
    other_asset: InformationAsset  # 企画課
    citizen_asset: InformationAsset  # 市民課

    @property
    def municipality(self) -> Municipality:
        return self.tenant.municipality

    @property
    def unit(self) -> OrgUnit:
        return self.tenant.unit

    @property
    def bureau(self) -> OrgUnit:
        return self.tenant.bureau


def make_register(tenant: Tenant) -> Register:
    m = tenant.municipality
    code = m.code
    section = make_unit(m, "庶務係", parent=tenant.unit, kind=OrgUnit.Kind.SECTION)
    other_division = make_unit(m, "企画課", parent=tenant.bureau)
    other_bureau = make_unit(m, "市民部", kind=OrgUnit.Kind.BUREAU)
    citizen = make_unit(m, "市民課", parent=other_bureau)
    return Register(
        tenant=tenant,
        section=section,
        other_division=other_division,
        other_bureau=other_bureau,
        citizen=citizen,
        manager=make_user(
            m, f"manager-{code}", roles=(Role.DIVISION_SECURITY_MANAGER,), unit=tenant.unit
        ),
        other_manager=make_user(
            m, f"other-manager-{code}", roles=(Role.DIVISION_SECURITY_MANAGER,), unit=other_division
        ),
        bureau_officer=make_user(
            m, f"bucho-{code}", roles=(Role.BUREAU_SECURITY_OFFICER,), unit=tenant.bureau
        ),
        auditor=make_user(m, f"auditor-{code}", roles=(Role.AUDITOR,), unit=citizen),
        ciso=make_user(m, f"ciso-{code}", roles=(Role.CISO,), unit=tenant.bureau),
        section_staff=make_user(m, f"section-{code}", unit=section),
        colleague=make_user(m, f"colleague-{code}", unit=tenant.unit),
        asset=make_asset(m, tenant.unit, name="総務課の文書"),
        section_asset=make_asset(m, section, name="庶務係の文書"),
        other_asset=make_asset(m, other_division, name="企画課の文書"),
        citizen_asset=make_asset(m, citizen, name="市民課の文書"),
    )


def delegate(
    holder: User,
    deputy: User,
    *,
    role: Role = Role.DIVISION_SECURITY_MANAGER,
    start: datetime.date | None = None,
    days: int = 3,
) -> Delegation:
    """The holder names ``deputy`` for their ``role`` from ``start`` (today) for ``days`` days."""
    start = start or timezone.localdate()
    return delegation.create_delegation(
        holder,
        RoleAssignment.objects.get(person__user=holder, role=role),
        person_of(deputy),
        start_date=start,
        end_date=start + datetime.timedelta(days=days - 1),
        reason="夏季休暇",
    )
