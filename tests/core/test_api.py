"""The core API: access matrix, tokens, error format, cross-municipality ids, OpenAPI.

Messages are asserted in English (``Accept-Language: en``) so that they do not depend on the
state of the Japanese catalog; one test checks that Japanese is the default.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone, translation

from isms.core import services
from isms.core.calendar import fiscal_year_bounds, fiscal_year_of
from isms.core.models import (
    ApiToken,
    JournalEntry,
    Municipality,
    OrgUnit,
    Person,
    RoleAssignment,
    ServiceAccessGrant,
    SoDWaiver,
)
from isms.core.permissions import Action
from tests.support import access
from tests.support.access import ADMIN, API, EVERYONE, LEAD, SERVICE, STAFF, AccessSpec
from tests.support.factories import make_user
from tests.support.i18n import ensure_compiled

NOT_FOUND_HERE = "The selected record was not found in this municipality."
INVALID = "The input is not valid."


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    """Requests below ask for English; the locale middleware leaves it active in the thread,
    where later tests (in the same worker) would read English instead of the default."""
    yield
    translation.deactivate()


def _fy() -> int:
    return fiscal_year_of(timezone.localdate())


def _url(name: str, **kwargs: int) -> str:
    return reverse(f"api:{name}", kwargs=kwargs)


# --- the access matrix --------------------------------------------------------------------


SPECS = [
    AccessSpec(
        name="list_municipalities",
        kind=API,
        url=lambda t: _url("list_municipalities"),
        action=Action.VIEW_MUNICIPALITY,
        permitted=EVERYONE,
        other=None,
    ),
    AccessSpec(
        name="get_municipality",
        kind=API,
        url=lambda t: _url("get_municipality", municipality_id=t.municipality.pk),
        action=Action.VIEW_MUNICIPALITY,
        permitted=EVERYONE,
    ),
    AccessSpec(
        name="create_municipality",
        kind=API,
        method="POST",
        url=lambda t: _url("create_municipality"),
        data=lambda t: {"name": "北杜市", "code": "192091"},
        action=Action.CREATE_MUNICIPALITY,
        permitted=set(),
        ok=201,
        other=None,
        creates=Municipality,
    ),
    AccessSpec(
        name="update_municipality",
        kind=API,
        method="PATCH",
        url=lambda t: _url("update_municipality", municipality_id=t.municipality.pk),
        data=lambda t: {"name_en": "Renamed"},
        action=Action.MANAGE_MUNICIPALITY,
        permitted={ADMIN, SERVICE},
        target=lambda t: t.municipality,
    ),
    AccessSpec(
        name="list_org_units",
        kind=API,
        url=lambda t: _url("list_org_units"),
        action=Action.VIEW_ORGANISATION,
        permitted=EVERYONE,
        other=None,
    ),
    AccessSpec(
        name="get_org_unit",
        kind=API,
        url=lambda t: _url("get_org_unit", unit_id=t.unit.pk),
        action=Action.VIEW_ORGANISATION,
        permitted=EVERYONE,
    ),
    AccessSpec(
        name="create_org_unit",
        kind=API,
        method="POST",
        url=lambda t: _url("create_org_unit"),
        data=lambda t: {
            "municipality_id": t.municipality.pk,
            "parent_id": t.bureau.pk,
            "code": "N1",
            "name": "新設課",
            "kind": "division",
            "organ_kind": "mayor_departments",
        },
        action=Action.MANAGE_ORGANISATION,
        permitted={LEAD, ADMIN, SERVICE},
        ok=201,
        other=422,
        other_field="municipality_id",
        creates=OrgUnit,
    ),
    AccessSpec(
        name="update_org_unit",
        kind=API,
        method="PATCH",
        url=lambda t: _url("update_org_unit", unit_id=t.unit.pk),
        data=lambda t: {"name": "改名課", "parent_id": t.bureau.pk},
        action=Action.MANAGE_ORGANISATION,
        permitted={LEAD, ADMIN, SERVICE},
        target=lambda t: t.unit,
    ),
    AccessSpec(
        name="list_people",
        kind=API,
        url=lambda t: _url("list_people"),
        action=Action.VIEW_PEOPLE,
        permitted={STAFF, LEAD, ADMIN},
        other=None,
    ),
    AccessSpec(
        name="get_person",
        kind=API,
        url=lambda t: _url("get_person", person_id=t.other_person.pk),
        action=Action.VIEW_PEOPLE,
        permitted={STAFF, LEAD, ADMIN},
        hidden={SERVICE},
    ),
    AccessSpec(
        name="create_person",
        kind=API,
        method="POST",
        url=lambda t: _url("create_person"),
        data=lambda t: {
            "municipality_id": t.municipality.pk,
            "employee_number": "N0001",
            "family_name": "新井",
            "given_name": "一",
            "family_name_kana": "アライ",
            "given_name_kana": "ハジメ",
            "staff_category": "regular",
            "org_unit_id": t.unit.pk,
        },
        action=Action.MANAGE_PEOPLE,
        permitted={LEAD, ADMIN},
        ok=201,
        other=422,
        other_field="municipality_id",
        creates=Person,
    ),
    AccessSpec(
        name="update_person",
        kind=API,
        method="PATCH",
        url=lambda t: _url("update_person", person_id=t.other_person.pk),
        data=lambda t: {"given_name": "次郎", "org_unit_id": t.bureau.pk},
        action=Action.MANAGE_PEOPLE,
        permitted={LEAD, ADMIN},
        hidden={SERVICE},
        target=lambda t: t.other_person,
    ),
    AccessSpec(
        name="list_role_assignments",
        kind=API,
        url=lambda t: _url("list_role_assignments"),
        action=Action.VIEW_ROLES,
        permitted={STAFF, LEAD, ADMIN},
        other=None,
    ),
    AccessSpec(
        name="get_role_assignment",
        kind=API,
        url=lambda t: _url("get_role_assignment", assignment_id=t.assignment.pk),
        action=Action.VIEW_ROLES,
        permitted={STAFF, LEAD, ADMIN},
        hidden={SERVICE},
    ),
    AccessSpec(
        name="create_role_assignment",
        kind=API,
        method="POST",
        url=lambda t: _url("create_role_assignment"),
        data=lambda t: {
            "person_id": t.other_person.pk,
            "role": "system_manager",
            "org_unit_id": t.unit.pk,
            "fiscal_year": _fy(),
        },
        action=Action.MANAGE_ROLES,
        permitted={LEAD, ADMIN},
        ok=201,
        other=422,
        other_field="person_id",
        creates=RoleAssignment,
    ),
    AccessSpec(
        name="end_role_assignment",
        kind=API,
        method="POST",
        url=lambda t: _url("end_role_assignment", assignment_id=t.assignment.pk),
        data=lambda t: {"end_date": t.assignment.start_date.isoformat()},
        action=Action.MANAGE_ROLES,
        permitted={LEAD, ADMIN},
        hidden={SERVICE},
        target=lambda t: t.assignment,
    ),
    AccessSpec(
        name="get_org_unit_history",
        kind=API,
        url=lambda t: _url("get_org_unit_history", unit_id=t.unit.pk),
        action=Action.VIEW_ORGANISATION,
        permitted=EVERYONE,
    ),
    AccessSpec(
        name="reorganise_org_unit",
        kind=API,
        method="POST",
        url=lambda t: _url("reorganise_org_unit", unit_id=t.unit.pk),
        data=lambda t: {
            "kind": "reorganise",
            "effective_date": timezone.localdate().isoformat(),
            "name": "改組課",
        },
        action=Action.MANAGE_ORGANISATION,
        permitted={LEAD, ADMIN, SERVICE},
        ok=201,
        target=lambda t: t.unit,
    ),
    AccessSpec(
        name="list_role_holders",
        kind=API,
        url=lambda t: _url("list_role_holders"),
        data=lambda t: {
            "role": "division_security_manager",
            "unit_name": t.unit.name,
            "fiscal_year": fiscal_year_of(timezone.localdate()),
            "municipality_id": t.municipality.pk,
        },
        action=Action.VIEW_ROLES,
        permitted={STAFF, LEAD, ADMIN},
        other=422,
        other_field="municipality_id",
    ),
    AccessSpec(
        name="list_role_warnings",
        kind=API,
        url=lambda t: _url("list_role_warnings"),
        data=lambda t: {
            "fiscal_year": fiscal_year_of(timezone.localdate()),
            "municipality_id": t.municipality.pk,
        },
        action=Action.VIEW_ROLES,
        permitted={STAFF, LEAD, ADMIN},
        other=422,
        other_field="municipality_id",
    ),
    AccessSpec(
        name="carry_over_role_assignments",
        kind=API,
        method="POST",
        url=lambda t: _url("carry_over_role_assignments"),
        data=lambda t: {
            "from_year": fiscal_year_of(timezone.localdate()),
            "municipality_id": t.municipality.pk,
        },
        action=Action.MANAGE_ROLES,
        permitted={LEAD, ADMIN},
        ok=201,
        other=422,
        other_field="municipality_id",
        creates=RoleAssignment,
    ),
]


@pytest.fixture
def world(tsuru, kofu):
    return access.make_world(tsuru, kofu)


@pytest.mark.parametrize(("spec", "case"), access.cases(SPECS))
def test_access(spec, case, world, client):
    """Anonymous → 401, another municipality → 404/422, lacking the action → 403, permitted →
    2xx; every refusal leaves the record, the row count and the journal as they were."""
    access.check(client, world, spec, case)


def _core_operations():
    from isms.core.api import router

    return access.operation_names(router)


def test_every_core_api_operation_has_an_access_spec():
    """A new endpoint of the core router fails here until its access spec is added to SPECS."""
    assert {s.name for s in SPECS} == _core_operations()


# --- helpers ---------------------------------------------------------------------------------


class Api:
    """A client bound to one user's token, speaking JSON in English."""

    def __init__(self, client, user, lang="en"):
        self.client = client
        self.headers = {"HTTP_ACCEPT_LANGUAGE": lang}
        if user is not None:
            raw = services.issue_api_token(user, name="test")[1]
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {raw}"

    def get(self, name, data=None, **kwargs):
        return self.client.get(_url(name, **kwargs), data or {}, **self.headers)

    def send(self, method, name, body, **kwargs):
        payload = body if isinstance(body, str) else json.dumps(body)
        call = getattr(self.client, method)
        return call(_url(name, **kwargs), payload, content_type="application/json", **self.headers)


def _unit_body(t, **overrides):
    body = {"code": "N1", "name": "新設課", "kind": "division", "organ_kind": "mayor_departments"}
    return body | overrides


def _person_body(**overrides):
    body = {
        "employee_number": "N0001",
        "family_name": "新井",
        "given_name": "一",
        "family_name_kana": "アライ",
        "given_name_kana": "ハジメ",
        "staff_category": "regular",
    }
    return body | overrides


def _counts():
    return (
        OrgUnit.objects.count(),
        Person.objects.count(),
        RoleAssignment.objects.count(),
        JournalEntry.objects.count(),
    )


# --- tokens ------------------------------------------------------------------------------------


def _bearer(client, value):
    return client.get(_url("list_org_units"), HTTP_AUTHORIZATION=value, HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer isms_forged-token-that-was-never-issued",
        "Bearer " + "x" * 5000,
        "Bearer isms_\u00e9\u00e8",
        "Bearer isms_abc def",
    ],
    ids=["empty", "no-token", "blank", "basic", "forged", "huge", "latin1", "space"],
)
def test_missing_or_forged_token_is_401_json(client, tsuru, header):
    """Whatever the Authorization header holds, a token we never issued is a JSON 401."""
    # given: a municipality with data
    # when
    response = _bearer(client, header)
    # then
    assert response.status_code == 401
    assert response.json() == {"detail": "A valid API token is required."}
    assert response["WWW-Authenticate"] == 'Bearer realm="isms"'


def test_expired_token_is_401(client, tsuru):
    """A token past its expiry no longer authenticates."""
    # given
    _token, raw = services.issue_api_token(
        tsuru.staff, name="old", expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    # when
    response = _bearer(client, f"Bearer {raw}")
    # then
    assert response.status_code == 401
    assert response.json() == {"detail": "A valid API token is required."}


def test_revoked_token_is_401(client, tsuru):
    """A revoked token no longer authenticates, although it worked before."""
    # given
    token, raw = services.issue_api_token(tsuru.staff, name="laptop")
    assert _bearer(client, f"Bearer {raw}").status_code == 200
    # when
    services.revoke_api_token(tsuru.staff, token)
    # then
    assert _bearer(client, f"Bearer {raw}").status_code == 401


def test_token_of_a_deactivated_login_is_401(client, tsuru):
    """When a login is deactivated (e.g. employment ended) its tokens stop working."""
    # given
    _token, raw = services.issue_api_token(tsuru.staff, name="t")
    tsuru.staff.is_active = False
    tsuru.staff.save(update_fields=["is_active"])
    # when / then
    assert _bearer(client, f"Bearer {raw}").status_code == 401


def test_valid_token_authenticates_and_records_its_use(client, tsuru):
    """A good token acts as its user and stamps last_used_at (at most once a minute)."""
    # given
    token, raw = services.issue_api_token(tsuru.staff, name="t")
    assert token.last_used_at is None
    # when
    response = _bearer(client, f"Bearer {raw}")
    # then
    assert response.status_code == 200
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None
    _bearer(client, f"Bearer {raw}")
    token.refresh_from_db()
    assert token.last_used_at == first_use


def test_session_login_does_not_authenticate_the_api(client, tsuru):
    """The API takes bearer tokens only: a browser session (and its CSRF exposure) is not
    enough."""
    # given
    client.force_login(tsuru.admin)
    # when
    response = client.get(_url("list_org_units"))
    # then
    assert response.status_code == 401


def test_token_command_prints_a_token_once_and_stores_only_its_hash(tsuru, client):
    """`isms token create` prints the raw token on stdout; the database holds its SHA-256."""
    # given
    out, err = io.StringIO(), io.StringIO()
    # when
    call_command("token", "create", tsuru.lead.username, "--name", "backup", stdout=out, stderr=err)
    # then
    raw = out.getvalue().strip()
    assert re.fullmatch(r"isms_[A-Za-z0-9_-]{43}", raw)
    token = ApiToken.objects.get(user=tsuru.lead)
    assert token.name == "backup"
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert token.prefix == raw[5:13]
    assert raw not in json.dumps(list(ApiToken.objects.values()), default=str)
    assert raw not in json.dumps(list(JournalEntry.objects.values("before", "after")))
    expected_expiry = timezone.now() + datetime.timedelta(days=90)
    assert abs((token.expires_at - expected_expiry).total_seconds()) < 60
    assert "It is shown only now" in err.getvalue()
    assert _bearer(client, f"Bearer {raw}").status_code == 200
    entry = JournalEntry.objects.get(action="api_token.issue")
    assert (entry.actor, entry.municipality) == (tsuru.lead, tsuru.municipality)


def test_token_command_lists_and_revokes(tsuru, client):
    """`isms token list` shows prefixes without secrets; `revoke` stops the token working."""
    # given
    out = io.StringIO()
    call_command("token", "create", tsuru.lead.username, "--name", "ci", stdout=out, stderr=out)
    raw = out.getvalue().strip().splitlines()[-1]
    prefix = raw[5:13]
    # when
    listing = io.StringIO()
    call_command("token", "list", tsuru.lead.username, stdout=listing)
    revoked = io.StringIO()
    call_command("token", "revoke", tsuru.lead.username, prefix, stdout=revoked)
    # then
    assert listing.getvalue().startswith(f"{prefix}\tci\tactive\texpires ")
    assert raw not in listing.getvalue()
    assert revoked.getvalue() == f"Revoked 'ci' ({prefix}…).\n"
    assert _bearer(client, f"Bearer {raw}").status_code == 401
    assert JournalEntry.objects.filter(action="api_token.revoke").count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "nobody", "--name", "x"], "No user is called 'nobody'."),
        (
            ["create", "lead-192040", "--name", "x", "--expires-days", "0"],
            "--expires-days must be between 1 and 3650.",
        ),
        (["create", "lead-192040", "--name", ""], "This field cannot be blank."),
        (
            ["revoke", "lead-192040", "nope"],
            "lead-192040 has no active token starting with 'nope'.",
        ),
    ],
    ids=["unknown-user", "bad-expiry", "empty-name", "unknown-prefix"],
)
def test_token_command_refuses_bad_input_and_issues_nothing(tsuru, args, message):
    """Bad arguments end in a CommandError that says what is wrong; no token is created."""
    # given
    entries = JournalEntry.objects.count()
    # when
    with translation.override("en"), pytest.raises(CommandError) as exc:
        call_command("token", *args, stdout=io.StringIO(), stderr=io.StringIO())
    # then
    assert str(exc.value) == message
    assert ApiToken.objects.count() == 0
    assert JournalEntry.objects.count() == entries


# --- error format -------------------------------------------------------------------------------


def test_body_that_is_not_json_is_400_with_an_error(client, tsuru):
    """A body that does not parse is a 400 in the usual error shape."""
    # when
    response = Api(client, tsuru.lead).send("post", "create_org_unit", "{not json")
    # then
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The request body is not valid JSON.",
        "errors": {"__all__": ["The request body is not valid JSON."]},
    }


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {},
            {
                "code": ["This field is required."],
                "name": ["This field is required."],
                "kind": ["This field is required."],
                "organ_kind": ["This field is required."],
            },
        ),
        (
            {"kind": "ward", "sort_order": -1},
            {
                "kind": ["Choose one of: 'bureau', 'division' or 'section'."],
                "sort_order": ["Enter a number of at least 0."],
            },
        ),
        ({"code": "X" * 21}, {"code": ["Enter at most 20 characters."]}),
        ({"name": "総務\x00課"}, {"name": ["Remove the NUL character (\\x00) from this text."]}),
        ({"colour": "red"}, {"colour": ["This field is not accepted here; check its spelling."]}),
        ({"parent_id": "one"}, {"parent_id": ["Enter a whole number."]}),
        ({"in_scope": "perhaps"}, {"in_scope": ["Enter true or false."]}),
    ],
    ids=["missing", "choice-and-range", "too-long", "nul", "unknown-field", "bad-id", "bad-bool"],
)
def test_schema_errors_are_422_keyed_by_field_and_save_nothing(client, tsuru, body, errors):
    """Each schema error names the request's field and says how to fix it; nothing is saved."""
    # given
    api = Api(client, tsuru.lead)
    base = {} if not body else _unit_body(tsuru)
    before = _counts()
    # when
    response = api.send("post", "create_org_unit", base | body)
    # then
    assert response.status_code == 422
    assert response.json() == {"detail": INVALID, "errors": errors}
    assert _counts() == before


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ("[]", {"payload": ["Send a JSON object."]}),
        ("null", {"payload": ["Send a JSON object."]}),
    ],
)
def test_body_that_is_not_an_object_is_422(client, tsuru, body, errors):
    """JSON that is not an object is refused as such."""
    response = Api(client, tsuru.lead).send("post", "create_org_unit", body)
    assert response.status_code == 422
    assert response.json() == {"detail": INVALID, "errors": errors}


def test_path_id_that_is_not_a_number_is_422_on_that_parameter(client, tsuru):
    """/org-units/abc names the path parameter, without its location prefix."""
    response = client.get(
        "/api/v1/org-units/abc",
        HTTP_AUTHORIZATION=Api(client, tsuru.staff).headers["HTTP_AUTHORIZATION"],
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert response.json() == {"detail": INVALID, "errors": {"unit_id": ["Enter a whole number."]}}


@pytest.mark.parametrize("pk", ["0", "-1", "9223372036854775808", "99999999999999999999999"])
def test_path_id_out_of_range_is_404_not_500(client, tsuru, pk):
    """Ids no row can have are simply not found, on every database."""
    response = client.get(
        f"/api/v1/org-units/{pk}",
        HTTP_AUTHORIZATION=Api(client, tsuru.staff).headers["HTTP_AUTHORIZATION"],
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"limit": 10**20}, {"limit": ["Enter a number of at most 500."]}),
        ({"limit": 0}, {"limit": ["Enter a number of at least 1."]}),
        ({"offset": 10**25}, {"offset": ["Enter a number of at most 1000000000."]}),
        ({"offset": -1}, {"offset": ["Enter a number of at least 0."]}),
    ],
)
def test_pagination_bounds_are_422_not_a_database_error(client, tsuru, query, errors):
    """limit and offset are bounded before they reach SQL (a huge OFFSET overflows SQLite)."""
    response = Api(client, tsuru.staff).get("list_org_units", query)
    assert response.status_code == 422
    assert response.json() == {"detail": INVALID, "errors": errors}


def test_role_assignment_filter_rejects_an_impossible_fiscal_year(client, tsuru):
    """fiscal_year=99999 would overflow the date range; it is a field error instead."""
    response = Api(client, tsuru.staff).get("list_role_assignments", {"fiscal_year": 99999})
    assert response.status_code == 422
    assert response.json() == {
        "detail": INVALID,
        "errors": {"fiscal_year": ["Enter a number of at most 2100."]},
    }


def test_oversized_body_is_400_not_500(client, tsuru, settings):
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE is refused as too large."""
    # given
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    api = Api(client, tsuru.lead)
    before = _counts()
    # when
    response = api.send("post", "create_org_unit", _unit_body(tsuru, name_kana="ア" * 1000))
    # then
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The request body is too large.",
        "errors": {"__all__": ["The request body is too large."]},
    }
    assert _counts() == before


def test_unexpected_error_is_a_logged_json_500(client, tsuru, monkeypatch, caplog):
    """A bug in a service gives a JSON 500 without a traceback, and the traceback is logged."""

    # given
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "update_org_unit", broken)
    # when
    response = Api(client, tsuru.lead).send(
        "patch", "update_org_unit", {"name": "x"}, unit_id=tsuru.unit.pk
    )
    # then
    assert response.status_code == 500
    assert response.json() == {"detail": "Something went wrong on our side; it has been logged."}
    assert "RuntimeError: boom" in caplog.text


def test_errors_are_japanese_by_default(client, tsuru):
    """Without Accept-Language, messages come in Japanese, the app's default language."""
    # given
    ensure_compiled()
    with translation.override("ja"):
        expected_detail = translation.gettext(INVALID)
        expected_required = translation.gettext("This field is required.")
    assert expected_detail != INVALID
    # when
    response = Api(client, tsuru.lead, lang="ja").send("post", "create_org_unit", {})
    # then
    assert response.json()["detail"] == expected_detail
    assert response.json()["errors"]["code"] == [expected_required]


# --- cross-municipality ids ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("get_municipality", lambda t: {"municipality_id": t.municipality.pk}),
        ("get_org_unit", lambda t: {"unit_id": t.unit.pk}),
        ("get_person", lambda t: {"person_id": t.other_person.pk}),
    ],
)
def test_another_municipalitys_id_in_the_url_is_404(client, tsuru, kofu, name, kwargs):
    """甲府市's records do not exist for 都留市's administrator."""
    response = Api(client, tsuru.admin).get(name, **kwargs(kofu))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_parent_from_another_municipality_is_422_on_parent_id(client, tsuru, kofu):
    """Creating a unit under 甲府市's bureau reads as 'not found' on parent_id; nothing saved."""
    # given
    api = Api(client, tsuru.lead)
    before = _counts()
    # when
    response = api.send("post", "create_org_unit", _unit_body(tsuru, parent_id=kofu.bureau.pk))
    # then
    assert response.status_code == 422
    assert response.json() == {"detail": INVALID, "errors": {"parent_id": [NOT_FOUND_HERE]}}
    assert _counts() == before


def test_moving_a_unit_under_another_municipalitys_unit_is_422(client, tsuru, kofu):
    """PATCH parent_id to 甲府市's unit: 422 on parent_id, the unit keeps its parent."""
    # given
    api = Api(client, tsuru.lead)
    before = _counts()
    # when
    response = api.send(
        "patch", "update_org_unit", {"parent_id": kofu.bureau.pk}, unit_id=tsuru.unit.pk
    )
    # then
    assert response.status_code == 422
    assert response.json() == {"detail": INVALID, "errors": {"parent_id": [NOT_FOUND_HERE]}}
    tsuru.unit.refresh_from_db()
    assert tsuru.unit.parent_id == tsuru.bureau.pk
    assert _counts() == before


def test_person_in_another_municipalitys_unit_is_422_on_org_unit_id(client, tsuru, kofu):
    """Both create and update refuse 甲府市's unit as not found."""
    # given
    api = Api(client, tsuru.lead)
    before = _counts()
    # when
    created = api.send("post", "create_person", _person_body(org_unit_id=kofu.unit.pk))
    updated = api.send(
        "patch", "update_person", {"org_unit_id": kofu.unit.pk}, person_id=tsuru.other_person.pk
    )
    # then
    for response in (created, updated):
        assert response.status_code == 422
        assert response.json() == {"detail": INVALID, "errors": {"org_unit_id": [NOT_FOUND_HERE]}}
    tsuru.other_person.refresh_from_db()
    assert tsuru.other_person.org_unit_id == tsuru.unit.pk
    assert _counts() == before


@pytest.mark.parametrize(
    ("field", "body"),
    [
        (
            "person_id",
            lambda a, b: {"person_id": b.other_person.pk, "role": "auditor", "fiscal_year": _fy()},
        ),
        (
            "org_unit_id",
            lambda a, b: {
                "person_id": a.other_person.pk,
                "role": "system_manager",
                "org_unit_id": b.unit.pk,
                "fiscal_year": _fy(),
            },
        ),
    ],
)
def test_role_assignment_with_another_municipalitys_ids_is_422(client, tsuru, kofu, field, body):
    """A person or unit of 甲府市 in a role assignment is not found; nothing is saved."""
    # given
    api = Api(client, tsuru.lead)
    before = _counts()
    # when
    response = api.send("post", "create_role_assignment", body(tsuru, kofu))
    # then
    assert response.status_code == 422
    assert response.json() == {"detail": INVALID, "errors": {field: [NOT_FOUND_HERE]}}
    assert _counts() == before


def test_service_administrator_must_name_a_municipality_they_manage(client, tsuru, kofu):
    """Without municipality_id there is no default; 甲府市's id is not theirs to name."""
    # given
    service = make_user(None, "svc", service_admin_of=(tsuru.municipality,))
    api = Api(client, service)
    before = _counts()
    # when
    missing = api.send("post", "create_org_unit", _unit_body(tsuru))
    foreign = api.send(
        "post", "create_org_unit", _unit_body(tsuru, municipality_id=kofu.municipality.pk)
    )
    own = api.send(
        "post", "create_org_unit", _unit_body(tsuru, municipality_id=tsuru.municipality.pk)
    )
    # then
    assert missing.status_code == 422
    assert missing.json()["errors"] == {
        "municipality_id": ["Give the id of the municipality this record belongs to."]
    }
    assert foreign.status_code == 422
    assert foreign.json()["errors"] == {"municipality_id": [NOT_FOUND_HERE]}
    assert own.status_code == 201
    assert own.json()["municipality_id"] == tsuru.municipality.pk
    assert OrgUnit.objects.count() == before[0] + 1


def test_service_administrator_of_both_cannot_mix_their_records(client, tsuru, kofu):
    """Managing both municipalities does not let a unit of one hang under the other."""
    # given
    service = make_user(None, "svc", service_admin_of=(tsuru.municipality, kofu.municipality))
    api = Api(client, service)
    before = _counts()
    # when
    response = api.send(
        "post",
        "create_org_unit",
        _unit_body(tsuru, municipality_id=tsuru.municipality.pk, parent_id=kofu.bureau.pk),
    )
    # then
    assert response.status_code == 422
    assert response.json()["errors"] == {"parent_id": [NOT_FOUND_HERE]}
    assert _counts() == before


def test_lists_show_only_the_users_municipality(client, tsuru, kofu):
    """都留市's lists never contain 甲府市's rows."""
    api = Api(client, tsuru.staff)
    units = api.get("list_org_units").json()
    people = api.get("list_people").json()
    roles = api.get("list_role_assignments").json()
    municipalities = api.get("list_municipalities").json()
    assert {u["municipality_id"] for u in units["items"]} == {tsuru.municipality.pk}
    assert {p["municipality_id"] for p in people["items"]} == {tsuru.municipality.pk}
    assert {r["municipality_id"] for r in roles["items"]} == {tsuru.municipality.pk}
    assert municipalities == {
        "items": [
            {
                "id": tsuru.municipality.pk,
                "name": "都留市",
                "name_en": "",
                "code": "192040",
                "prefecture": "19",
            }
        ],
        "count": 1,
    }


# --- service rules through the API ------------------------------------------------------------


def test_cycle_in_the_org_tree_is_422_on_parent_id(client, tsuru):
    """Moving the bureau under its own division (A→B→A) is refused on parent_id."""
    # given
    api = Api(client, tsuru.lead)
    before = _counts()
    # when
    response = api.send(
        "patch", "update_org_unit", {"parent_id": tsuru.unit.pk}, unit_id=tsuru.bureau.pk
    )
    # then
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "parent_id": [
            "都留市総務部 cannot be placed under 都留市総務課: that unit is already below it. "
            "Choose a parent outside its own branch."
        ]
    }
    tsuru.bureau.refresh_from_db()
    assert tsuru.bureau.parent_id is None
    assert _counts() == before


def test_duplicate_code_is_422_on_code(client, tsuru):
    """A code already used in the municipality is refused on the code field."""
    # given
    api = Api(client, tsuru.lead)
    before = _counts()
    # when
    response = api.send("post", "create_org_unit", _unit_body(tsuru, code=tsuru.unit.code))
    # then
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "code": [
            f"Another org unit of this municipality already has the code {tsuru.unit.code}. "
            "Choose another code."
        ]
    }
    assert _counts() == before


def test_overlapping_assignment_is_422_on_fiscal_year(client, tsuru):
    """The lead's role this fiscal year cannot be given to them a second time."""
    # given
    person = tsuru.lead.person
    lo, hi = fiscal_year_bounds(_fy())
    api = Api(client, tsuru.admin)
    before = _counts()
    # when
    response = api.send(
        "post",
        "create_role_assignment",
        {"person_id": person.pk, "role": "lead_security_officer", "fiscal_year": _fy()},
    )
    # then
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "fiscal_year": [
            f"山田 太郎 already holds this role for this unit from {lo} to {hi}. End that "
            "assignment first, or choose a period that does not overlap."
        ]
    }
    assert _counts() == before


def test_assigning_a_role_to_oneself_is_422_on_person_id(client, tsuru):
    """兼務の禁止: the lead cannot give themself a role (no waiver recorded)."""
    # given
    api = Api(client, tsuru.lead)
    before = _counts()
    # when
    response = api.send(
        "post",
        "create_role_assignment",
        {"person_id": tsuru.lead.person.pk, "role": "auditor", "fiscal_year": _fy()},
    )
    # then
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "person_id": [
            "山田 太郎 cannot approve their own request (兼務の禁止). Ask another approver, or "
            "have the CISO record an exception with its reason."
        ]
    }
    assert _counts() == before
    assert not SoDWaiver.objects.exists()


def test_create_and_update_return_the_saved_record(client, tsuru):
    """201 with the new unit; PATCH changes only the fields sent and journals before/after."""
    # given
    api = Api(client, tsuru.lead)
    # when
    created = api.send("post", "create_org_unit", _unit_body(tsuru, parent_id=tsuru.bureau.pk))
    unit_id = created.json()["id"]
    patched = api.send("patch", "update_org_unit", {"name_kana": "しんせつか"}, unit_id=unit_id)
    # then
    assert created.status_code == 201
    assert created.json() == {
        "id": unit_id,
        "municipality_id": tsuru.municipality.pk,
        "parent_id": tsuru.bureau.pk,
        "code": "N1",
        "name": "新設課",
        "name_kana": "",
        "kind": "division",
        "organ_kind": "mayor_departments",
        "in_scope": True,
        "sort_order": 0,
    }
    assert patched.status_code == 200
    assert patched.json() == created.json() | {"name_kana": "しんせつか"}
    entry = JournalEntry.objects.filter(action="org_unit.update").get()
    assert (entry.before["name_kana"], entry.after["name_kana"]) == ("", "しんせつか")
    assert entry.actor == tsuru.lead


def test_ending_an_assignment_returns_it_with_its_end_date(client, tsuru):
    """POST …/end sets the last day; an end before the start is a 422 on end_date."""
    # given
    assignment = RoleAssignment.objects.get(person=tsuru.lead.person)
    api = Api(client, tsuru.admin)
    # when
    too_early = api.send(
        "post",
        "end_role_assignment",
        {"end_date": (assignment.start_date - datetime.timedelta(days=1)).isoformat()},
        assignment_id=assignment.pk,
    )
    ended = api.send(
        "post",
        "end_role_assignment",
        {"end_date": assignment.start_date.isoformat()},
        assignment_id=assignment.pk,
    )
    # then
    assert too_early.status_code == 422
    assert too_early.json()["errors"] == {
        "end_date": [f"The end date must not be before the start date ({assignment.start_date})."]
    }
    assert ended.status_code == 200
    assert ended.json()["end_date"] == assignment.start_date.isoformat()


def test_pagination_and_filters(client, tsuru):
    """limit/offset page through a stable order; filters narrow within the municipality."""
    # given
    api = Api(client, tsuru.staff)
    # when
    first = api.get("list_org_units", {"limit": 1})
    second = api.get("list_org_units", {"limit": 1, "offset": 1})
    children = api.get("list_org_units", {"parent_id": tsuru.bureau.pk})
    leads = api.get("list_role_assignments", {"role": "lead_security_officer"})
    # then
    assert first.json()["count"] == second.json()["count"] == 2
    assert [u["id"] for u in first.json()["items"] + second.json()["items"]] == [
        tsuru.bureau.pk,
        tsuru.unit.pk,
    ]
    assert [u["id"] for u in children.json()["items"]] == [tsuru.unit.pk]
    assert [r["person_id"] for r in leads.json()["items"]] == [tsuru.lead.person.pk]


def test_municipality_create_is_for_superusers_and_validates_the_code(client, db):
    """A platform superuser creates municipalities; a wrong check digit is a 422 on code."""
    # given
    root = services.create_user(
        None, username="root", password=None, municipality=None, is_superuser=True
    )
    api = Api(client, root)
    # when
    bad = api.send("post", "create_municipality", {"name": "都留市", "code": "192041"})
    good = api.send("post", "create_municipality", {"name": "都留市", "code": "192040"})
    # then
    assert bad.status_code == 422
    assert bad.json()["errors"] == {
        "code": ["The check digit of 192041 is wrong: it should end in 0."]
    }
    assert good.status_code == 201
    assert good.json() | {"id": 0} == {
        "id": 0,
        "name": "都留市",
        "name_en": "",
        "code": "192040",
        "prefecture": "19",
    }
    assert Municipality.objects.count() == 1


# --- service administrators ---------------------------------------------------------------------


def test_service_administrator_sees_people_only_with_the_grant(client, tsuru):
    """Without the municipality's grant: org units yes, people no (403 list, 404 record)."""
    # given
    service = make_user(None, "svc", service_admin_of=(tsuru.municipality,))
    api = Api(client, service)
    # when / then: without the grant
    assert api.get("list_org_units").status_code == 200
    assert api.get("list_people").status_code == 403
    assert api.get("get_person", person_id=tsuru.other_person.pk).status_code == 404
    # when / then: with it
    services.set_service_access(
        tsuru.admin, tsuru.municipality, sensitive_access=True, reason="共同運用のため"
    )
    assert ServiceAccessGrant.objects.get().sensitive_access is True
    assert api.get("list_people").json()["count"] == 4
    assert api.get("get_person", person_id=tsuru.other_person.pk).status_code == 200


# --- OpenAPI ---------------------------------------------------------------------------------


def test_openapi_schema_renders_with_every_operation_and_bearer_auth(client, db):
    """/api/v1/openapi.json is valid JSON listing each operation, secured by a bearer token."""
    # when
    response = client.get("/api/v1/openapi.json")
    # then
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    operations = {
        op["operationId"].rsplit("_api_", 1)[-1]
        for path in schema["paths"].values()
        for op in path.values()
    }
    assert operations >= _core_operations()
    assert schema["components"]["securitySchemes"]["TokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }
    create = schema["paths"]["/api/v1/org-units"]["post"]
    assert create["security"] == [{"TokenAuth": []}]
    assert sorted(create["requestBody"]["content"]["application/json"]["schema"]) == ["$ref"]


def test_api_docs_page_loads_nothing_from_outside(client, db):
    """The Swagger page is served from vendored static files (closed networks: no CDN)."""
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert re.findall(r"""(?:src|href)=["'](?:https?:)?//""", html) == []


def test_api_token_prefixes_never_start_like_an_option():
    """Prefixes are typed on command lines (isms token revoke USER PREFIX)."""
    from isms.core.models import ApiToken

    assert all(ApiToken.generate()[5].isalnum() for _ in range(500))
