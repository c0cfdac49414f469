"""An audit world for the audit tests, the access matrix and the tenancy walk.

``audit_world(t)`` makes (once per tenant ``t``; later calls return the same records):

- the small 対策基準 of the inspection tests, and a 監査室 unit under the tenant's 部;
- people: ``ciso``, ``chair`` (委員長), ``lead_auditor`` (監査統括責任者, in 監査室), ``auditor``
  (監査人, in 監査室), ``insider`` (監査人 in the audited 総務課: not independent), ``manager``
  (情報セキュリティ管理者 of 総務課), ``owner`` (the tenant's plain staff member, 総務課);
- ``plan``: approved, with ``audit`` of 総務課 (every control an item), ``auditor`` as its lead;
- ``draft``: a draft plan with one audit and an auditor (ready to submit).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from isms.core.calendar import fiscal_year_of
from isms.core.models import OrgUnit, Person, User
from isms.core.roles import Role
from isms.inspections.audits import services
from isms.inspections.audits.models import Audit, AuditPlan
from tests.inspections.factories import make_standard
from tests.support.factories import make_unit, make_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class AuditWorld:
    t: Any
    audit_office: OrgUnit
    ciso: User
    chair: User
    lead_auditor: User
    auditor: User
    insider: User
    manager: User
    owner: User
    plan: AuditPlan
    audit: Audit
    draft: AuditPlan

    def person(self, user: User) -> Person:
        return Person.objects.get(user=user)


_WORLDS: dict[int, AuditWorld] = {}


def _user(t: Any, name: str, roles: tuple[Role, ...], unit: OrgUnit) -> User:
    username = f"{name}-{t.municipality.code}"
    found = User.objects.filter(username=username).first()
    return found or make_user(t.municipality, username, roles=roles, unit=unit)


def audit_world(t: Any) -> AuditWorld:
    m = t.municipality
    cached = _WORLDS.get(m.pk)
    if cached is not None and AuditPlan.objects.filter(pk=cached.plan.pk).exists():
        return cached
    standard = make_standard(m)
    office = OrgUnit.objects.filter(municipality=m, name="監査室").first() or make_unit(
        m, "監査室", parent=t.bureau
    )
    ciso = _user(t, "a-ciso", (Role.CISO,), office)
    chair = _user(t, "a-chair", (Role.COMMITTEE_CHAIR,), office)
    lead_auditor = _user(t, "a-lead-auditor", (Role.LEAD_AUDIT_OFFICER,), office)
    auditor = _user(t, "a-auditor", (Role.AUDITOR,), office)
    insider = _user(t, "a-insider", (Role.AUDITOR,), t.unit)
    manager = _user(t, "a-manager", (Role.DIVISION_SECURITY_MANAGER,), t.unit)
    fy = fiscal_year_of(timezone.localdate())
    today = timezone.localdate()
    plan = AuditPlan.objects.filter(municipality=m, title="監査計画A").first()
    if plan is None:
        plan = services.create_plan(
            lead_auditor, m, fiscal_year=fy, title="監査計画A", standard=standard
        )
        audit = services.add_audit(
            lead_auditor,
            plan,
            title="総務課の監査",
            kind=Audit.Kind.INTERNAL,
            org_unit=t.unit,
            starts_on=today,
            ends_on=today + datetime.timedelta(days=1)
            if fiscal_year_of(today + datetime.timedelta(days=1)) == fy
            else today,
        )
        services.assign_auditor(lead_auditor, audit, Person.objects.get(user=auditor), is_lead=True)
        services.submit_plan(lead_auditor, plan)
        plan = services.approve_plan(chair, plan, reference="第1回情報セキュリティ委員会")
    audit = plan.audits.get()
    draft = AuditPlan.objects.filter(municipality=m, title="監査計画B").first()
    if draft is None:
        draft = services.create_plan(
            lead_auditor, m, fiscal_year=fy, title="監査計画B", standard=standard
        )
        extra = services.add_audit(
            lead_auditor,
            draft,
            title="監査室以外の監査",
            kind=Audit.Kind.INTERNAL,
            org_unit=t.unit,
            starts_on=today,
            ends_on=today,
        )
        services.assign_auditor(lead_auditor, extra, Person.objects.get(user=auditor))
    world = AuditWorld(
        t=t,
        audit_office=office,
        ciso=ciso,
        chair=chair,
        lead_auditor=lead_auditor,
        auditor=auditor,
        insider=insider,
        manager=manager,
        owner=t.staff,
        plan=plan,
        audit=audit,
        draft=draft,
    )
    _WORLDS[m.pk] = world
    return world
