"""Test data of the emergency response plan: a valid plan and an organisation with its roles."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from isms.core import services as core_services
from isms.core.calendar import fiscal_year_of
from isms.core.models import Municipality, OrgUnit, Person, User
from isms.core.roles import Role
from isms.incidents.plan import services
from isms.incidents.plan.models import EmergencyResponsePlan
from tests.support.factories import Tenant, make_unit, make_user


def plan_data(**overrides: Any) -> dict[str, Any]:
    """Every field of a valid plan (the API's and the service's keyword arguments)."""
    data: dict[str, Any] = {
        "title": "緊急時対応計画",
        "contact_point": "総務課 情報政策担当 内線123 soumu@example.jp",
        "contact_roles": ["ciso", "lead_security_officer", "division_security_manager"],
        "extra_contacts": [
            {
                "category": "prefecture",
                "name": "山梨県 情報政策課",
                "phone": "055-223-0000",
                "email": "",
                "note": "速報",
            },
            {"category": "police", "name": "山梨県警察", "phone": "110", "email": "", "note": ""},
        ],
        "reporting_items": ["発見日時と発見者", "影響を受けた情報資産"],
        "steps_contact": ["情報セキュリティ管理者と統一的な窓口へ連絡する"],
        "steps_evidence": ["電源を切らずにネットワークから切り離す"],
        "steps_containment": ["該当アカウントを停止する"],
        "steps_recovery": ["バックアップから復旧する"],
        "recurrence_prevention": "CSIRT が再発防止策を提案し、CISO が決定する。",
        "bcp_title": "都留市業務継続計画",
        "bcp_location": "総務課の書庫",
        "review_due": timezone.localdate() + datetime.timedelta(days=200),
        "change_note": "",
    }
    data.update(overrides)
    return data


@dataclass
class Org:
    """A tenant plus the CISO, the committee chair and a second 課 with its manager."""

    t: Tenant
    ciso: User
    chair: User
    division: OrgUnit

    @property
    def m(self) -> Municipality:
        return self.t.municipality


def make_org(t: Tenant) -> Org:
    ciso = make_user(
        t.municipality, f"ciso-{t.municipality.code}", roles=(Role.CISO,), unit=t.bureau
    )
    chair = make_user(
        t.municipality, f"chair-{t.municipality.code}", roles=(Role.COMMITTEE_CHAIR,), unit=t.bureau
    )
    division = make_unit(t.municipality, f"{t.municipality.name[:2]}税務課", parent=t.bureau)
    return Org(t=t, ciso=ciso, chair=chair, division=division)


def person(user: User) -> Person:
    return Person.objects.get(user=user)


def draft(org: Org, actor: User | None = None, **overrides: Any) -> EmergencyResponsePlan:
    return services.save_draft(actor or org.t.lead, org.m, **plan_data(**overrides))


def approved(org: Org, **overrides: Any) -> EmergencyResponsePlan:
    return services.approve_plan(org.ciso, draft(org, **overrides))


def assign(
    user_or_person: User | Person, role: Role, unit: OrgUnit | None = None, **kw: Any
) -> Any:
    p = user_or_person if isinstance(user_or_person, Person) else person(user_or_person)
    if "start_date" not in kw:
        kw.setdefault("fiscal_year", fiscal_year_of(timezone.localdate()))
    return core_services.assign_role(None, p, role, org_unit=unit, **kw)


def site_draft(t: Any) -> EmergencyResponsePlan:
    """The draft of ``t``'s municipality (made once, by the system, through the service)."""
    found = services.draft_of(t.municipality)
    return found or services.save_draft(None, t.municipality, **plan_data())


def form_data(**overrides: Any) -> dict[str, Any]:
    """The draft form's POST data of :func:`plan_data`."""
    data = plan_data()
    post: dict[str, Any] = {
        "title": data["title"],
        "contact_point": data["contact_point"],
        "contact_roles": data["contact_roles"],
        "extra_contacts": (
            "prefecture | 山梨県 情報政策課 | 055-223-0000\npolice | 山梨県警察 | 110"
        ),
        "recurrence_prevention": data["recurrence_prevention"],
        "bcp_title": data["bcp_title"],
        "bcp_location": data["bcp_location"],
        "review_due": data["review_due"].isoformat(),
        "change_note": "",
    }
    for name in (
        "reporting_items",
        "steps_contact",
        "steps_evidence",
        "steps_containment",
        "steps_recovery",
    ):
        post[name] = "\n".join(data[name])
    post.update(overrides)
    return post


def api_body(t: Any, **overrides: Any) -> dict[str, Any]:
    """The draft's JSON body for ``PUT /emergency-plan/draft`` in ``t``'s municipality."""
    data = plan_data(**overrides)
    if not isinstance(data["review_due"], str):
        data["review_due"] = data["review_due"].isoformat()
    return {"municipality_id": t.municipality.pk, **data}
