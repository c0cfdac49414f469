"""Every URL pattern of the app, with how to fill in its parameters for access tests.

``ROUTES`` maps a URL name (``namespace:name``) to a function that takes a ``Tenant`` and returns
the URL kwargs pointing at that tenant's objects (``{}`` for routes without parameters). The
tenancy walk (tests/test_tenancy_walk.py) requests every route as a user of one municipality with
the other municipality's objects, and fails when a URL pattern is missing from this table: a new
view must be added here.

``POST_DATA`` gives the form data the walk posts to a page (with the other municipality's ids);
pages not listed get an empty POST. ``API_ROUTES`` is the same table for the API: each operation
(``api:<handler name>``) with its method, path kwargs and JSON body.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.support.factories import Tenant

Kwargs = Callable[[Tenant], dict[str, Any]]


def _none(t: Tenant) -> dict[str, Any]:
    return {}


def _role_assignment(t: Tenant) -> dict[str, Any]:
    from isms.core.models import RoleAssignment

    return {"pk": RoleAssignment.objects.filter(person__user=t.lead).first().pk}


def _import_job(t: Tenant) -> dict[str, Any]:
    """The tenant's latest background import, or an id no job has (the walk's world has none:
    tests/test_web_access.py and tests/core/test_import_jobs.py make jobs and walk them)."""
    from isms.core.models import ImportJob

    job = ImportJob.objects.filter(municipality=t.municipality).first()
    return {"pk": job.pk if job else 0}


def _planned(t: Tenant) -> dict[str, Any]:
    """The tenant's planned 組織改正 (tests/support/access.py makes one per tenant)."""
    from isms.core.models import PlannedOrgChange

    p = PlannedOrgChange.objects.filter(municipality=t.municipality).first()
    return {"pk": p.pk if p else 0}


def _delegation(t: Tenant) -> dict[str, Any]:
    """The tenant's delegation (tests/support/access.py makes one per tenant)."""
    from isms.core.models import Delegation

    d = Delegation.objects.filter(municipality=t.municipality).first()
    return {"pk": d.pk if d else 0}


ROUTES: dict[str, Kwargs] = {
    "web:dashboard": _none,
    "web:coming_soon": lambda t: {"slug": "suppliers"},
    "web:set_fiscal_year": _none,
    "web:set_municipality": _none,
    "core:org_unit_list": _none,
    "core:org_unit_create": _none,
    "core:org_unit_import": _none,
    "core:org_unit_export": _none,
    "core:org_unit_template": _none,
    "core:org_unit_detail": lambda t: {"pk": t.unit.pk},
    "core:org_unit_edit": lambda t: {"pk": t.unit.pk},
    "core:org_unit_reorganise": lambda t: {"pk": t.unit.pk},
    "core:person_list": _none,
    "core:person_create": _none,
    "core:person_import": _none,
    "core:person_export": _none,
    "core:person_template": _none,
    "core:person_detail": lambda t: {"pk": t.other_person.pk},
    "core:person_edit": lambda t: {"pk": t.other_person.pk},
    "core:role_assignment_create": lambda t: {"person_pk": t.other_person.pk},
    "core:role_assignment_list": _none,
    "core:role_assignment_import": _none,
    "core:role_assignment_export": _none,
    "core:role_assignment_template": _none,
    "core:import_job_detail": _import_job,
    "core:role_assignment_end": _role_assignment,
    "core:role_carry_over": _none,
    "core:role_display_name_list": _none,
    "core:role_display_name_edit": lambda t: {"role": "division_security_manager"},
    "core:planned_change_cancel": _planned,
    "core:delegation_list": _none,
    "core:delegation_create": _none,
    "core:delegation_revoke": _delegation,
    "core:journal_list": _none,
    "policy:basic_policy": _none,
    "quarantine:message_list": _none,
    "quarantine:message_detail": lambda t: {"pk": t.quarantined.pk},
    "quarantine:release_derivative": lambda t: {"pk": t.quarantined.pk},
    "quarantine:request_original": lambda t: {"pk": t.quarantined.pk},
    "quarantine:approve_original": lambda t: {"pk": t.pending_release.pk},
    "login": _none,
    "logout": _none,
    "password_change": _none,
    "password_change_done": _none,
    "set_language": _none,
    "javascript-catalog": _none,
}


Data = Callable[[Tenant], dict[str, Any]]


def org_unit_file(t: Tenant, code: str = "IMP1") -> Any:
    """A one-row org unit import placing a new 課 under ``t``'s bureau."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = (
        f"組織コード,上位組織コード,名称,種別,機関\r\n{code},{t.bureau.code},取込課,課,市長部局\r\n"
    )
    return SimpleUploadedFile("units.csv", text.encode("utf-8-sig"), content_type="text/csv")


def person_file(t: Tenant, number: str = "IMP0001") -> Any:
    """A one-row people import placing a new person in ``t``'s unit."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = (
        "職員番号,姓,名,姓（フリガナ）,名（フリガナ）,職員区分,所属コード\r\n"
        f"{number},取込,一,トリコミ,ハジメ,職員,{t.unit.code}\r\n"
    )
    return SimpleUploadedFile("people.csv", text.encode("cp932"), content_type="text/csv")


def role_assignment_file(t: Tenant) -> Any:
    """A one-row role assignment import: ``t.other_person`` manages ``t.unit``'s systems."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = (
        "職員番号,役割,組織コード,年度\r\n"
        f"{t.other_person.employee_number},system_manager,{t.unit.code},{_this_fiscal_year()}\r\n"
    )
    return SimpleUploadedFile("roles.csv", text.encode("utf-8"), content_type="text/csv")


def _this_fiscal_year() -> int:
    from django.utils import timezone

    from isms.core.calendar import fiscal_year_of

    return fiscal_year_of(timezone.localdate())


POST_DATA: dict[str, Data] = {
    "web:set_municipality": lambda t: {"municipality": t.municipality.pk, "next": "/"},
    "web:set_fiscal_year": lambda t: {"fiscal_year": "2025", "next": "/"},
    "core:org_unit_create": lambda t: {
        "parent": t.bureau.pk,
        "code": "WALK1",
        "name": "巡回課",
        "kind": "division",
        "organ_kind": "mayor_departments",
    },
    "core:org_unit_edit": lambda t: {
        "parent": t.bureau.pk,
        "code": "WALK2",
        "name": "巡回課",
        "kind": "division",
        "organ_kind": "mayor_departments",
    },
    "core:person_create": lambda t: {
        "employee_number": "WALK1",
        "family_name": "巡回",
        "given_name": "一",
        "family_name_kana": "ジュンカイ",
        "given_name_kana": "ハジメ",
        "staff_category": "regular",
        "org_unit": t.unit.pk,
    },
    "core:person_edit": lambda t: {
        "employee_number": "WALK2",
        "family_name": "巡回",
        "given_name": "二",
        "family_name_kana": "ジュンカイ",
        "given_name_kana": "ツギ",
        "staff_category": "regular",
        "org_unit": t.unit.pk,
        "is_active": "on",
    },
    "core:role_assignment_create": lambda t: {
        "role": "system_manager",
        "org_unit": t.unit.pk,
        "period": "fiscal_year",
        "fiscal_year": _this_fiscal_year(),
    },
    "core:role_assignment_end": lambda t: {"end_date": "2099-03-31"},
    "core:org_unit_reorganise": lambda t: {
        "kind": "merge",
        "effective_date": "2025-04-01",
        "into": t.bureau.pk,
    },
    "core:role_carry_over": lambda t: {"from_year": _this_fiscal_year()},
    "core:org_unit_import": lambda t: {"file": org_unit_file(t)},
    "core:person_import": lambda t: {"file": person_file(t)},
    "core:role_assignment_import": lambda t: {"file": role_assignment_file(t)},
    "core:role_display_name_edit": lambda t: {"name_ja": "巡回管理者", "name_en": "Walker"},
    "core:delegation_create": lambda t: {
        "assignment": _role_assignment(t)["pk"],
        "deputy": t.other_person.employee_number,
        "start_date": "2099-01-01",
        "end_date": "2099-01-02",
        "reason": "巡回",
    },
    "quarantine:request_original": lambda t: {"reason": "巡回"},
}


def _assignment_id(t: Tenant) -> dict[str, Any]:
    return {"assignment_id": _role_assignment(t)["pk"]}


@dataclass(frozen=True)
class ApiRoute:
    """How the tenancy walk calls one API operation."""

    method: str
    kwargs: Kwargs = _none
    body: Data | None = None


API_ROUTES: dict[str, ApiRoute] = {
    "api:api-root": ApiRoute("GET"),
    "api:openapi-json": ApiRoute("GET"),
    "api:openapi-view": ApiRoute("GET"),
    "api:list_municipalities": ApiRoute("GET"),
    "api:get_municipality": ApiRoute("GET", lambda t: {"municipality_id": t.municipality.pk}),
    "api:create_municipality": ApiRoute(
        "POST", body=lambda t: {"name": "巡回市", "code": t.municipality.code}
    ),
    "api:update_municipality": ApiRoute(
        "PATCH", lambda t: {"municipality_id": t.municipality.pk}, lambda t: {"name_en": "Walk"}
    ),
    "api:list_org_units": ApiRoute("GET"),
    "api:get_org_unit": ApiRoute("GET", lambda t: {"unit_id": t.unit.pk}),
    "api:create_org_unit": ApiRoute(
        "POST",
        body=lambda t: {
            "parent_id": t.bureau.pk,
            "code": "WALK1",
            "name": "巡回課",
            "kind": "division",
            "organ_kind": "mayor_departments",
        },
    ),
    "api:update_org_unit": ApiRoute(
        "PATCH", lambda t: {"unit_id": t.unit.pk}, lambda t: {"parent_id": t.bureau.pk}
    ),
    "api:list_people": ApiRoute("GET"),
    "api:get_person": ApiRoute("GET", lambda t: {"person_id": t.other_person.pk}),
    "api:create_person": ApiRoute(
        "POST",
        body=lambda t: {
            "employee_number": "WALK1",
            "family_name": "巡回",
            "given_name": "一",
            "family_name_kana": "ジュンカイ",
            "given_name_kana": "ハジメ",
            "staff_category": "regular",
            "org_unit_id": t.unit.pk,
        },
    ),
    "api:update_person": ApiRoute(
        "PATCH", lambda t: {"person_id": t.other_person.pk}, lambda t: {"org_unit_id": t.unit.pk}
    ),
    "api:list_role_assignments": ApiRoute("GET"),
    "api:get_role_assignment": ApiRoute("GET", lambda t: _assignment_id(t)),
    "api:create_role_assignment": ApiRoute(
        "POST",
        body=lambda t: {
            "person_id": t.other_person.pk,
            "role": "system_manager",
            "org_unit_id": t.unit.pk,
            "fiscal_year": _this_fiscal_year(),
        },
    ),
    "api:get_org_unit_history": ApiRoute("GET", lambda t: {"unit_id": t.unit.pk}),
    "api:reorganise_org_unit": ApiRoute(
        "POST",
        lambda t: {"unit_id": t.unit.pk},
        lambda t: {"kind": "merge", "effective_date": "2025-04-01", "into_id": t.bureau.pk},
    ),
    "api:list_role_holders": ApiRoute("GET"),
    "api:list_role_warnings": ApiRoute("GET"),
    "api:carry_over_role_assignments": ApiRoute(
        "POST",
        body=lambda t: {"from_year": _this_fiscal_year(), "municipality_id": t.municipality.pk},
    ),
    "api:end_role_assignment": ApiRoute(
        "POST", lambda t: _assignment_id(t), lambda t: {"end_date": "2099-03-31"}
    ),
    "api:list_delegations": ApiRoute("GET"),
    "api:get_delegation": ApiRoute("GET", lambda t: {"delegation_id": _delegation(t)["pk"]}),
    "api:create_delegation": ApiRoute(
        "POST",
        body=lambda t: {
            "assignment_id": _role_assignment(t)["pk"],
            "deputy_id": t.other_person.pk,
            "start_date": "2099-01-01",
            "end_date": "2099-01-02",
            "reason": "巡回",
        },
    ),
    "api:end_delegation": ApiRoute("POST", lambda t: {"delegation_id": _delegation(t)["pk"]}),
    "api:list_planned_org_changes": ApiRoute("GET"),
    "api:plan_org_change": ApiRoute(
        "POST",
        lambda t: {"unit_id": t.unit.pk},
        lambda t: {"kind": "reorganise", "effective_date": "2099-04-01", "name": "巡回課"},
    ),
    "api:cancel_planned_org_change": ApiRoute("POST", lambda t: {"planned_id": _planned(t)["pk"]}),
    # The walk posts JSON naming 甲府市; the import takes a multipart file: a 422 (no file) or
    # a 403, never a trace (tests/core/test_io_api.py posts real files across municipalities).
    "api:import_file": ApiRoute(
        "POST", lambda t: {"kind": "people"}, lambda t: {"municipality_id": t.municipality.pk}
    ),
    "api:get_import_job": ApiRoute("GET", lambda t: {"job_id": _import_job(t)["pk"]}),
    "api:export_file": ApiRoute("GET", lambda t: {"kind": "people"}),
    "api:export_template": ApiRoute("GET", lambda t: {"kind": "people"}),
}


def _merge() -> None:
    """Add the tables kept beside this one (one file per area, so that areas grow apart)."""
    from tests.support import (
        routes_assets,
        routes_assets_handling,
        routes_assets_io,
        routes_network,
    )

    for module in (routes_assets, routes_assets_io, routes_assets_handling, routes_network):
        ROUTES.update(module.ROUTES)
        POST_DATA.update(module.POST_DATA)
        API_ROUTES.update(module.API_ROUTES)
    from tests.support import routes_risks

    ROUTES.update(routes_risks.ROUTES)
    POST_DATA.update(routes_risks.POST_DATA)
    API_ROUTES.update(routes_risks.api_routes())
    from tests.support import routes_incidents

    ROUTES.update(routes_incidents.ROUTES)
    POST_DATA.update(routes_incidents.POST_DATA)
    API_ROUTES.update(routes_incidents.api_routes())
    from tests.support import routes_incident_plan

    ROUTES.update(routes_incident_plan.ROUTES)
    POST_DATA.update(routes_incident_plan.POST_DATA)
    API_ROUTES.update(routes_incident_plan.api_routes())
    from tests.support import routes_policy

    ROUTES.update(routes_policy.ROUTES)
    POST_DATA.update(routes_policy.POST_DATA)
    API_ROUTES.update(routes_policy.api_routes())
    from tests.support import routes_inspections

    ROUTES.update(routes_inspections.ROUTES)
    POST_DATA.update(routes_inspections.POST_DATA)
    API_ROUTES.update(routes_inspections.api_routes())
    from tests.support import routes_audits_api

    API_ROUTES.update(routes_audits_api.api_routes())
    from tests.support import routes_audits_fieldwork

    ROUTES.update(routes_audits_fieldwork.ROUTES)
    POST_DATA.update(routes_audits_fieldwork.POST_DATA)
    from tests.support import routes_audits_dashboard

    ROUTES.update(routes_audits_dashboard.ROUTES)
    POST_DATA.update(routes_audits_dashboard.POST_DATA)
    API_ROUTES.update(routes_audits_dashboard.api_routes())
    from tests.support import routes_audits_plans

    ROUTES.update(routes_audits_plans.ROUTES)
    POST_DATA.update(routes_audits_plans.POST_DATA)


_merge()
