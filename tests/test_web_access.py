"""The access matrix of every page (see tests/support/access.py for the rows it runs).

Anonymous → redirected to the login page; a user of another municipality → 404 for a page that
names a record, their own data otherwise; a user lacking the action → 403; a permitted user →
200 (or 302 after a saved form). A refused request leaves the record, the row count and the
journal as they were.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from isms.core.calendar import fiscal_year_of
from isms.core.models import Delegation, ImportJob, OrgUnit, Person, RoleAssignment, RoleDisplayName
from isms.core.permissions import Action
from isms.quarantine.models import Release
from tests.assets import handling_specs as asset_handling_specs
from tests.assets import io_specs as asset_io_specs
from tests.assets import network_specs as asset_network_specs
from tests.assets import web_specs as asset_web_specs
from tests.audits import web_specs_dashboard as audit_dashboard_specs
from tests.audits import web_specs_fieldwork as audit_fieldwork_specs
from tests.audits import web_specs_plans as audit_plan_specs
from tests.incidents import web_specs as incident_web_specs
from tests.incidents_plan import web_specs as incident_plan_web_specs
from tests.inspections import web_specs as inspection_web_specs
from tests.policy import catalog_specs
from tests.risks import web_specs as risk_web_specs
from tests.support import access
from tests.support.access import ADMIN, EVERYONE, LEAD, SERVICE, STAFF, WEB, AccessSpec
from tests.support.routes import ROUTES, org_unit_file, person_file, role_assignment_file


def _url(name: str, **kwargs: object) -> str:
    return reverse(name, kwargs=kwargs)


def _unit_form(t, **overrides):
    data = {
        "parent": t.bureau.pk,
        "code": "N1",
        "name": "新設課",
        "name_kana": "",
        "kind": "division",
        "organ_kind": "mayor_departments",
        "in_scope": "on",
    }
    return data | overrides


def _person_form(t, **overrides):
    data = {
        "employee_number": "N0001",
        "family_name": "新井",
        "given_name": "一",
        "family_name_kana": "アライ",
        "given_name_kana": "ハジメ",
        "staff_category": "regular",
        "org_unit": t.unit.pk,
        "email": "",
        "employment_end": "",
        "is_active": "on",
    }
    return data | overrides


def _people_import_job(t):
    """A finished background import of staff in ``t``'s municipality."""
    job, _created = ImportJob.objects.get_or_create(
        municipality=t.municipality,
        kind=ImportJob.Kind.PERSON,
        filename="people.csv",
        defaults={"status": ImportJob.Status.DONE, "rows_total": 3000, "created": 3000},
    )
    return job


def _page(name, action, permitted, *, url=None, other=404, **more):
    return AccessSpec(
        name=name,
        kind=WEB,
        url=url or (lambda t: _url(name)),
        action=action,
        permitted=permitted,
        other=other,
        **more,
    )


SPECS = [
    _page("web:dashboard", None, EVERYONE, other=None),
    _page(
        "web:coming_soon",
        None,
        EVERYONE,
        url=lambda t: _url("web:coming_soon", slug="suppliers"),
        other=None,
    ),
    _page(
        "web:set_fiscal_year",
        None,
        EVERYONE,
        method="POST",
        data=lambda t: {"fiscal_year": "2025", "next": "/"},
        ok=302,
        other=None,
        journaled=False,
    ),
    _page(
        "web:set_municipality",
        None,
        EVERYONE,
        method="POST",
        data=lambda t: {"municipality": t.municipality.pk, "next": "/"},
        ok=302,
        other=None,
        journaled=False,
    ),
    _page("password_change", None, EVERYONE, other=None),
    _page("password_change_done", None, EVERYONE, other=None),
    _page("policy:basic_policy", Action.VIEW_POLICY, EVERYONE, other=None),
    _page("core:org_unit_list", Action.VIEW_ORGANISATION, EVERYONE, other=None),
    _page(
        "core:org_unit_detail",
        Action.VIEW_ORGANISATION,
        EVERYONE,
        url=lambda t: _url("core:org_unit_detail", pk=t.unit.pk),
    ),
    _page("core:org_unit_create", Action.MANAGE_ORGANISATION, {LEAD, ADMIN, SERVICE}, other=None),
    _page(
        "core:org_unit_create",
        Action.MANAGE_ORGANISATION,
        {LEAD, ADMIN, SERVICE},
        method="POST",
        data=_unit_form,
        ok=302,
        # Another municipality's user posts 都留市's parent: the form comes back with an error.
        other=200,
        creates=OrgUnit,
    ),
    _page(
        "core:org_unit_edit",
        Action.MANAGE_ORGANISATION,
        {LEAD, ADMIN, SERVICE},
        url=lambda t: _url("core:org_unit_edit", pk=t.unit.pk),
    ),
    _page(
        "core:org_unit_edit",
        Action.MANAGE_ORGANISATION,
        {LEAD, ADMIN, SERVICE},
        url=lambda t: _url("core:org_unit_edit", pk=t.unit.pk),
        method="POST",
        data=lambda t: _unit_form(t, code=t.unit.code, name="改名課"),
        ok=302,
        target=lambda t: t.unit,
    ),
    _page(
        "core:org_unit_reorganise",
        Action.MANAGE_ORGANISATION,
        {LEAD, ADMIN, SERVICE},
        url=lambda t: _url("core:org_unit_reorganise", pk=t.unit.pk),
    ),
    _page(
        "core:org_unit_reorganise",
        Action.MANAGE_ORGANISATION,
        {LEAD, ADMIN, SERVICE},
        url=lambda t: _url("core:org_unit_reorganise", pk=t.unit.pk),
        method="POST",
        data=lambda t: {
            "kind": "reorganise",
            "effective_date": timezone.localdate().isoformat(),
            "name": "改組課",
        },
        ok=302,
        target=lambda t: t.unit,
    ),
    _page("core:org_unit_export", Action.VIEW_ORGANISATION, EVERYONE, other=None),
    _page("core:org_unit_template", Action.MANAGE_ORGANISATION, {LEAD, ADMIN, SERVICE}, other=None),
    _page("core:org_unit_import", Action.MANAGE_ORGANISATION, {LEAD, ADMIN, SERVICE}, other=None),
    _page(
        "core:org_unit_import",
        Action.MANAGE_ORGANISATION,
        {LEAD, ADMIN, SERVICE},
        method="POST",
        data=lambda t: {"file": org_unit_file(t)},
        ok=302,
        # Another municipality's user names 都留市's bureau as parent: the errors come back.
        other=200,
        creates=OrgUnit,
    ),
    _page("core:person_list", Action.VIEW_PEOPLE, {STAFF, LEAD, ADMIN}, other=None),
    _page("core:person_export", Action.VIEW_PEOPLE, {STAFF, LEAD, ADMIN}, other=None),
    _page("core:person_template", Action.MANAGE_PEOPLE, {LEAD, ADMIN}, other=None),
    _page("core:person_import", Action.MANAGE_PEOPLE, {LEAD, ADMIN}, other=None),
    _page(
        "core:person_import",
        Action.MANAGE_PEOPLE,
        {LEAD, ADMIN},
        method="POST",
        data=lambda t: {"file": person_file(t)},
        ok=302,
        # Another municipality's user names 都留市's unit: the errors come back.
        other=200,
        creates=Person,
    ),
    _page(
        "core:person_detail",
        Action.VIEW_PEOPLE,
        {STAFF, LEAD, ADMIN},
        url=lambda t: _url("core:person_detail", pk=t.other_person.pk),
    ),
    _page("core:person_create", Action.MANAGE_PEOPLE, {LEAD, ADMIN}, other=None),
    _page(
        "core:person_create",
        Action.MANAGE_PEOPLE,
        {LEAD, ADMIN},
        method="POST",
        data=_person_form,
        ok=302,
        # Another municipality's user posts 都留市's unit: the form comes back with an error.
        other=200,
        creates=Person,
    ),
    _page(
        "core:person_edit",
        Action.MANAGE_PEOPLE,
        {LEAD, ADMIN},
        url=lambda t: _url("core:person_edit", pk=t.other_person.pk),
    ),
    _page(
        "core:person_edit",
        Action.MANAGE_PEOPLE,
        {LEAD, ADMIN},
        url=lambda t: _url("core:person_edit", pk=t.other_person.pk),
        method="POST",
        data=lambda t: _person_form(
            t, employee_number=t.other_person.employee_number, given_name="次郎"
        ),
        ok=302,
        target=lambda t: t.other_person,
    ),
    _page(
        "core:role_assignment_create",
        Action.MANAGE_ROLES,
        {LEAD, ADMIN},
        url=lambda t: _url("core:role_assignment_create", person_pk=t.other_person.pk),
    ),
    _page(
        "core:role_assignment_create",
        Action.MANAGE_ROLES,
        {LEAD, ADMIN},
        url=lambda t: _url("core:role_assignment_create", person_pk=t.other_person.pk),
        method="POST",
        data=lambda t: {
            "role": "system_manager",
            "org_unit": t.unit.pk,
            "period": "fiscal_year",
            "fiscal_year": fiscal_year_of(timezone.localdate()),
        },
        ok=302,
        creates=RoleAssignment,
    ),
    _page("core:role_assignment_list", Action.VIEW_ROLES, {STAFF, LEAD, ADMIN}, other=None),
    _page("core:role_assignment_export", Action.VIEW_ROLES, {STAFF, LEAD, ADMIN}, other=None),
    _page("core:role_assignment_template", Action.MANAGE_ROLES, {LEAD, ADMIN}, other=None),
    _page("core:role_assignment_import", Action.MANAGE_ROLES, {LEAD, ADMIN}, other=None),
    _page(
        "core:role_assignment_import",
        Action.MANAGE_ROLES,
        {LEAD, ADMIN},
        method="POST",
        data=lambda t: {"file": role_assignment_file(t)},
        ok=302,
        # Another municipality's user names 都留市's employee number: the errors come back.
        other=200,
        creates=RoleAssignment,
    ),
    _page(
        "core:import_job_detail",
        Action.MANAGE_PEOPLE,
        {LEAD, ADMIN},
        url=lambda t: _url("core:import_job_detail", pk=_people_import_job(t).pk),
    ),
    _page(
        "core:role_assignment_end",
        Action.MANAGE_ROLES,
        {LEAD, ADMIN},
        url=lambda t: _url("core:role_assignment_end", pk=t.assignment.pk),
    ),
    _page(
        "core:role_assignment_end",
        Action.MANAGE_ROLES,
        {LEAD, ADMIN},
        url=lambda t: _url("core:role_assignment_end", pk=t.assignment.pk),
        method="POST",
        data=lambda t: {"end_date": t.assignment.start_date.isoformat()},
        ok=302,
        target=lambda t: t.assignment,
    ),
    _page("core:role_carry_over", Action.MANAGE_ROLES, {LEAD, ADMIN}, other=None),
    _page(
        "core:role_carry_over",
        Action.MANAGE_ROLES,
        {LEAD, ADMIN},
        method="POST",
        data=lambda t: {"from_year": fiscal_year_of(timezone.localdate())},
        ok=302,
        other=None,
        creates=RoleAssignment,
    ),
    _page("core:role_display_name_list", Action.VIEW_ROLES, {STAFF, LEAD, ADMIN}, other=None),
    _page(
        "core:role_display_name_edit",
        Action.MANAGE_ROLES,
        {LEAD, ADMIN},
        url=lambda t: _url("core:role_display_name_edit", role="division_security_manager"),
        other=None,
    ),
    _page(
        "core:role_display_name_edit",
        Action.MANAGE_ROLES,
        {LEAD, ADMIN},
        url=lambda t: _url("core:role_display_name_edit", role="division_security_manager"),
        method="POST",
        data=lambda t: {"name_ja": "情報管理者", "name_en": "Information manager"},
        ok=302,
        other=None,
        creates=RoleDisplayName,
    ),
    _page("core:journal_list", Action.VIEW_JOURNAL, {LEAD, ADMIN}, other=None),
    _page("quarantine:message_list", Action.VIEW_QUARANTINE, {LEAD, ADMIN}, other=None),
    _page(
        "quarantine:message_detail",
        Action.VIEW_QUARANTINE,
        {LEAD, ADMIN},
        url=lambda t: _url("quarantine:message_detail", pk=t.quarantined.pk),
    ),
    _page(
        "quarantine:release_derivative",
        Action.RELEASE_QUARANTINE,
        {LEAD, ADMIN},
        url=lambda t: _url("quarantine:release_derivative", pk=t.quarantined.pk),
        method="POST",
        data=lambda t: {"reason": "宛先から依頼"},
        ok=302,
        creates=Release,
    ),
    _page(
        "quarantine:request_original",
        Action.RELEASE_QUARANTINE,
        {LEAD, ADMIN},
        url=lambda t: _url("quarantine:request_original", pk=t.quarantined.pk),
        method="POST",
        data=lambda t: {"reason": "宛先から依頼"},
        ok=302,
        creates=Release,
    ),
    _page(
        "quarantine:approve_original",
        Action.RELEASE_QUARANTINE,
        {LEAD, ADMIN},
        url=lambda t: _url("quarantine:approve_original", pk=t.pending_release.pk),
        method="POST",
        ok=302,
        target=lambda t: t.pending_release,
    ),
    # A planned 組織改正 is cancelled by POST; a GET only goes back to the unit's page.
    _page(
        "core:planned_change_cancel",
        Action.MANAGE_ORGANISATION,
        {LEAD, ADMIN, SERVICE},
        url=lambda t: _url("core:planned_change_cancel", pk=t.planned.pk),
        ok=302,
    ),
    _page(
        "core:planned_change_cancel",
        Action.MANAGE_ORGANISATION,
        {LEAD, ADMIN, SERVICE},
        url=lambda t: _url("core:planned_change_cancel", pk=t.planned.pk),
        method="POST",
        ok=302,
        target=lambda t: t.planned,
    ),
    # 代理・代決: the holder or whoever manages roles names a deputy; the deputy may end it.
    _page("core:delegation_list", Action.VIEW_ROLES, {STAFF, LEAD, ADMIN}, other=None),
    _page("core:delegation_create", Action.VIEW_ROLES, {LEAD, ADMIN}, other=None),
    _page(
        "core:delegation_create",
        Action.VIEW_ROLES,
        {LEAD, ADMIN},
        method="POST",
        data=lambda t: {
            "assignment": t.assignment.pk,
            "deputy": Person.objects.get(user=t.staff).employee_number,
            "start_date": timezone.localdate().isoformat(),
            "end_date": timezone.localdate().isoformat(),
            "reason": "休暇",
        },
        ok=302,
        # Another municipality's assignment is not among the choices: the form comes back.
        other=200,
        creates=Delegation,
    ),
    _page(
        "core:delegation_revoke",
        Action.VIEW_ROLES,
        {STAFF, LEAD, ADMIN},
        url=lambda t: _url("core:delegation_revoke", pk=t.delegation.pk),
    ),
    _page(
        "core:delegation_revoke",
        Action.VIEW_ROLES,
        {STAFF, LEAD, ADMIN},
        url=lambda t: _url("core:delegation_revoke", pk=t.delegation.pk),
        method="POST",
        ok=302,
        target=lambda t: t.delegation,
    ),
]

# The asset register's pages keep their specs beside their tests.
SPECS += (
    asset_web_specs.SPECS + asset_io_specs.SPECS + asset_handling_specs.SPECS + risk_web_specs.SPECS
)
SPECS += asset_network_specs.SPECS  # the network checks (tests/assets/network_specs.py)
SPECS += incident_web_specs.SPECS  # the incidents (tests/incidents/web_specs.py)
SPECS += incident_plan_web_specs.SPECS  # the emergency plan (tests/incidents_plan/web_specs.py)
SPECS += catalog_specs.SPECS  # the control catalog (tests/policy/catalog_specs.py)
SPECS += inspection_web_specs.SPECS  # the self-inspections (tests/inspections/web_specs.py)
SPECS += audit_fieldwork_specs.SPECS  # audit fieldwork (tests/audits/web_specs_fieldwork.py)
SPECS += audit_dashboard_specs.SPECS  # compliance dashboard (tests/audits/web_specs_dashboard.py)
SPECS += audit_plan_specs.SPECS  # audit plans and audits (tests/audits/web_specs_plans.py)

# Pages outside the matrix, and why.
NOT_IN_MATRIX = {
    "login": "public: the login form itself",
    "logout": "ends a session; no data, no action",
    "set_language": "public: Django's language switch, stores a cookie only",
    "javascript-catalog": "public: the translation catalog for scripts",
    "incidents:public_report": "public: residents' incident form (tests/incidents/test_views.py)",
    "incidents:public_status": "public: a report's state by its confirmation number (same)",
}


@pytest.fixture
def world(tsuru, kofu):
    return access.make_world(tsuru, kofu)


@pytest.mark.parametrize(("spec", "case"), access.cases(SPECS))
def test_access(spec, case, world, client):
    """Each page answers each kind of user as its spec says; refusals change nothing."""
    access.check(client, world, spec, case)


def test_every_page_has_an_access_spec():
    """A new page fails here until its spec (GET, and POST for a form) is added to SPECS."""
    pages = set(ROUTES) - set(NOT_IN_MATRIX)
    assert {s.name for s in SPECS} == pages


def test_specs_have_unique_names_per_method():
    """Two specs for the same page and method would make one of them dead weight."""
    keys = [(s.name, s.method) for s in SPECS]
    assert len(keys) == len(set(keys))
