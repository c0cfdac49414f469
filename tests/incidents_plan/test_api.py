"""The emergency plan's API: the access matrix of every operation, and its behaviour."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from isms.core import services as core_services
from isms.core.permissions import Action
from isms.incidents.plan.api import router
from isms.incidents.plan.models import EmergencyResponsePlan
from tests.incidents_plan.factories import api_body, approved, assign, draft, site_draft
from tests.support import access
from tests.support.access import ADMIN, API, LEAD, SERVICE, STAFF, AccessSpec
from tests.support.pdf import assert_japanese_pdf

SEE = {STAFF, LEAD, ADMIN, SERVICE}
MANAGE = {LEAD, ADMIN, SERVICE}


def _url(name: str, **kwargs: object) -> str:
    return reverse(f"api:{name}", kwargs=kwargs)


def _spec(name: str, action: Action, permitted: set, **more) -> AccessSpec:  # type: ignore[type-arg]
    more.setdefault("url", lambda t: _url(name))
    more.setdefault("other", None)
    return AccessSpec(name=name, kind=API, action=action, permitted=permitted, **more)


def _on_draft(name: str):  # type: ignore[no-untyped-def]
    return lambda t: _url(name, version_id=site_draft(t).pk)


SPECS = [
    _spec("get_emergency_plan", Action.VIEW_EMERGENCY_PLAN, SEE),
    _spec("list_emergency_plan_versions", Action.VIEW_EMERGENCY_PLAN, SEE),
    _spec(
        "get_emergency_plan_version",
        Action.VIEW_EMERGENCY_PLAN,
        SEE,
        url=_on_draft("get_emergency_plan_version"),
        target=site_draft,
        other=404,
    ),
    _spec(
        "save_emergency_plan_draft",
        Action.MANAGE_EMERGENCY_PLAN,
        MANAGE,
        method="PUT",
        data=api_body,
        other=422,
        other_field="municipality_id",
        creates=EmergencyResponsePlan,
    ),
    _spec(
        "approve_emergency_plan",
        Action.VIEW_EMERGENCY_PLAN,
        set(),
        method="POST",
        url=_on_draft("approve_emergency_plan"),
        target=site_draft,
        other=404,
    ),
    _spec("emergency_plan_pdf", Action.VIEW_EMERGENCY_PLAN, SEE),
]


@pytest.fixture
def world(tsuru, kofu):  # type: ignore[no-untyped-def]
    return access.make_world(tsuru, kofu)


@pytest.mark.parametrize(("spec", "case"), access.cases(SPECS))
def test_api_access(spec, case, world, client):  # type: ignore[no-untyped-def]
    access.check(client, world, spec, case)


def test_every_operation_has_an_access_spec_and_a_route():
    from tests.support.routes import API_ROUTES

    names = access.operation_names(router)
    assert names == {s.name for s in SPECS}
    assert {f"api:{n}" for n in names} <= set(API_ROUTES)


# --- behaviour ---------------------------------------------------------------------------------


class Api:
    """Calls the API as one user, in English."""

    def __init__(self, client, user):  # type: ignore[no-untyped-def]
        self.client = client
        raw = core_services.issue_api_token(user, name="t")[1]
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": "en"}

    def get(self, name, data=None, **kwargs):  # type: ignore[no-untyped-def]
        return self.client.get(_url(name, **kwargs), data or {}, **self.headers)

    def send(self, method, name, body=None, **kwargs):  # type: ignore[no-untyped-def]
        return getattr(self.client, method)(
            _url(name, **kwargs),
            json.dumps(body or {}),
            content_type="application/json",
            **self.headers,
        )


def test_the_current_plan_comes_with_the_generated_contact_tree_and_gaps(client, org):
    plan = approved(org)
    answer = Api(client, org.t.staff).get("get_emergency_plan")
    assert answer.status_code == 200
    body = answer.json()
    assert body["plan"]["id"] == plan.pk and body["plan"]["status"] == "approved"
    roles = [e["role"] for e in body["contact_tree"]["entries"]]
    assert roles == ["ciso", "lead_security_officer"]
    gaps = {(g["role"], g["unit_name"]) for g in body["contact_tree"]["gaps"]}
    assert ("division_security_manager", org.t.unit.name) in gaps
    assert body["org_changes"] == [] and body["review_state"] == "ok"


def test_without_a_plan_the_tree_is_still_given(client, org):
    body = Api(client, org.t.staff).get("get_emergency_plan").json()
    assert body["plan"] is None
    assert "ciso" in [e["role"] for e in body["contact_tree"]["entries"]]


def test_the_lead_saves_the_draft_and_the_ciso_approves_it(client, org):
    # when
    saved = Api(client, org.t.lead).send("put", "save_emergency_plan_draft", api_body(org.t))
    plan_id = saved.json()["id"]
    refused = Api(client, org.t.lead).send("post", "approve_emergency_plan", version_id=plan_id)
    done = Api(client, org.ciso).send("post", "approve_emergency_plan", version_id=plan_id)
    # then
    assert saved.status_code == 200 and saved.json()["status"] == "draft"
    assert refused.status_code == 403
    assert done.status_code == 200 and done.json()["status"] == "approved"
    versions = Api(client, org.t.staff).get("list_emergency_plan_versions").json()
    assert [v["version"] for v in versions] == [1]


def test_the_editor_cannot_approve_their_own_draft(client, org):
    assign(org.ciso, "lead_security_officer")
    saved = Api(client, org.ciso).send("put", "save_emergency_plan_draft", api_body(org.t))
    answer = Api(client, org.ciso).send(
        "post", "approve_emergency_plan", version_id=saved.json()["id"]
    )
    assert answer.status_code == 422
    assert "兼務の禁止" in json.dumps(answer.json(), ensure_ascii=False)
    assert EmergencyResponsePlan.objects.get().status == "draft"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"reporting_items": []}, "reporting_items"),
        ({"review_due": "2020-04-01"}, "review_due"),
        ({"review_due": "2020-02-30"}, "review_due"),
        ({"contact_roles": ["ciso", "shacho"]}, "contact_roles"),
        ({"extra_contacts": [{"category": "police", "name": "警察"}]}, "extra_contacts"),
        (
            {"extra_contacts": [{"category": "police", "name": "警察", "fax": "1"}]},
            "extra_contacts.0.fax",
        ),
        ({"colour": "red"}, "colour"),
        ({"title": "x" * 201}, "title"),
        ({"steps_recovery": "一行"}, "steps_recovery"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(client, org, overrides, field):
    answer = Api(client, org.t.lead).send(
        "put", "save_emergency_plan_draft", api_body(org.t, **overrides)
    )
    assert answer.status_code == 422, answer.content
    assert field in answer.json()["errors"], answer.json()
    assert not EmergencyResponsePlan.objects.exists()


def test_a_body_that_is_not_json_is_a_400(client, org):
    api = Api(client, org.t.lead)
    answer = client.put(
        _url("save_emergency_plan_draft"), "{", content_type="application/json", **api.headers
    )
    assert answer.status_code == 400


def test_the_pdf_renders_japanese(client, org):
    draft(org)
    answer = Api(client, org.t.staff).get("emergency_plan_pdf")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert "attachment" in answer["Content-Disposition"]
    assert_japanese_pdf(answer.content, "緊急時対応計画", "山梨県警察")


def test_a_service_administrator_of_two_municipalities_names_one(client, org, kofu):
    from tests.support.factories import make_user

    admin = make_user(None, "pref", service_admin_of=(org.m, kofu.municipality))
    api = Api(client, admin)
    assert api.get("get_emergency_plan").status_code == 422
    answer = api.get("get_emergency_plan", {"municipality_id": kofu.municipality.pk})
    assert answer.status_code == 200 and answer.json()["municipality_id"] == kofu.municipality.pk


def test_a_service_administrator_without_the_sensitive_grant_sees_no_role_holders(client, org):
    # given: an approved plan whose CISO has a deputy in force and whose lead changed since
    import datetime

    from django.utils import timezone

    from isms.core import delegation
    from isms.core.models import Person, RoleAssignment
    from isms.core.roles import Role
    from tests.incidents_plan.factories import person
    from tests.support.factories import make_user
    from tests.support.pdf import pdf_text

    today = timezone.localdate()
    ciso = person(org.ciso)
    core_services.update_person(org.t.lead, ciso, email="ciso@example.jp")
    plan = approved(org)
    assignment = RoleAssignment.objects.get(person=ciso, role=Role.CISO)
    delegation.create_delegation(
        org.ciso, assignment, person(org.t.staff), start_date=today, end_date=today, reason="出張"
    )
    assign(org.t.staff, Role.LEAD_SECURITY_OFFICER)
    for i, p in enumerate(Person.objects.filter(municipality=org.m).order_by("pk")):
        core_services.update_person(org.t.lead, p, family_name=f"秘匿{i}", given_name="太郎")
    names = [p.full_name for p in Person.objects.filter(municipality=org.m)]
    admin = make_user(None, "pref", service_admin_of=(org.m,))
    # when: the API
    body = Api(client, admin).get("get_emergency_plan").json()
    # then: roles and gaps, no names, e-mails or deputies
    tree = body["contact_tree"]
    assert tree["people_shown"] is False
    assert {e["role"] for e in tree["entries"]} >= {"ciso", "lead_security_officer"}
    assert all(
        e["person_name"] == e["email"] == "" and e["deputies"] == [] for e in tree["entries"]
    )
    assert tree["gaps"]
    assert body["org_changes"]
    text = json.dumps(body, ensure_ascii=False)
    assert not [n for n in names if n in text] and "ciso@example.jp" not in text
    # and the page
    client.force_login(admin)
    page = client.get(reverse("plan:plan_detail"), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="people-hidden"' in html
    assert not [n for n in names if n in html] and "ciso@example.jp" not in html
    # and the PDF
    pdf = Api(client, admin).get("emergency_plan_pdf")
    assert pdf.status_code == 200
    printed = pdf_text(pdf.content)
    assert plan.title in printed
    assert not [n for n in names if n in printed] and "ciso@example.jp" not in printed
    # but with the grant, the holders are shown
    core_services.set_service_access(org.t.admin, org.m, sensitive_access=True, reason="共同運用")
    admin.refresh_from_db()
    tree = Api(client, admin).get("get_emergency_plan").json()["contact_tree"]
    assert tree["people_shown"] is True
    assert person(org.ciso).full_name in {e["person_name"] for e in tree["entries"]}
    assert datetime.date.fromisoformat(tree["day"]) == today
