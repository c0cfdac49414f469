"""The tenancy walk: every URL pattern, asked by every kind of user of 都留市 for 甲府市's records.

The walk reads the URL patterns from the resolver itself (pages and the django-ninja API alike),
so a new route cannot escape it: it fails until the route is listed in tests/support/routes.py.
Each page is requested with GET and POST, each API operation with its own method and a body
naming 甲府市's records. No response may show 甲府市's names, codes or employee numbers, no
request may change any of 甲府市's rows, and a route that names 甲府市's records must refuse
(login redirect, 401, 403, 404 or 405; 422 for a body).

Service administrators get their own tests at the end: one who manages 甲府市 sees its org
units, but its people only once 甲府市 grants it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from isms.core import journal, permissions, services
from tests.support import access
from tests.support.access import Site
from tests.support.factories import make_user
from tests.support.routes import API_ROUTES, POST_DATA, ROUTES

# API routes anyone may read; they hold no municipality's data.
PUBLIC_API = {"api:openapi-json", "api:openapi-view", "api:api-root"}
REFUSED = {403, 404, 405}
PERSONAS = ["anonymous", "staff", "lead", "admin", "service", "service_granted"]


def url_names() -> list[str]:
    """Return ``namespace:name`` of every URL pattern the resolver knows, in order."""
    names: list[str] = []

    def walk(patterns: list[Any], namespace: str | None) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = namespace
                if p.namespace:
                    ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
                walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern):
                assert p.name, f"URL pattern {p.pattern} has no name; name it"
                names.append(f"{namespace}:{p.name}" if namespace else p.name)

    walk(get_resolver().url_patterns, None)
    return names


def test_every_url_pattern_is_in_the_route_tables():
    """A route missing from ROUTES/API_ROUTES (or left there after removal) fails here."""
    names = url_names()
    pages = [n for n in names if not n.startswith("api:")]
    operations = [n for n in names if n.startswith("api:")]
    assert sorted(set(pages) - set(ROUTES)) == [], "add these pages to routes.ROUTES"
    assert sorted(set(operations) - set(API_ROUTES)) == [], "add these to routes.API_ROUTES"
    assert sorted(set(ROUTES) - set(pages)) == [], "these ROUTES no longer exist"
    assert sorted(set(API_ROUTES) - set(operations)) == [], "these API_ROUTES no longer exist"
    assert sorted(set(POST_DATA) - set(pages)) == [], "these POST_DATA no longer exist"


# --- the state of the other municipality -------------------------------------------------------


def _tenant_models() -> list[type[models.Model]]:
    """Every model whose rows belong to a municipality (today's and future apps')."""
    found = []
    for model in apps.get_models():
        names = {f.name for f in model._meta.get_fields()}
        if (
            model._meta.label == "core.Municipality"
            or "municipality" in names
            or hasattr(model, "municipality_lookup")
        ):
            found.append(model)
    return found


def state_of(site: Site) -> dict[str, list[dict[str, Any]]]:
    """Return every row of the municipality, as journal snapshots, by model."""
    state = {}
    for model in _tenant_models():
        lookup = permissions.municipality_lookup(model)
        rows = model._default_manager.filter(**{lookup: site.municipality.pk}).order_by("pk")
        state[model._meta.label] = [journal.snapshot(r) for r in rows]
    return state


# --- the walk ---------------------------------------------------------------------------------


@pytest.fixture
def world(tsuru, kofu):
    """都留市 (home) and 甲府市 (other); 甲府市 lets its service administrators see everything,
    so that only the tenancy scope stands between 都留市's users and its people."""
    w = access.make_world(tsuru, kofu)
    services.set_service_access(
        w.other.admin, w.other.municipality, sensitive_access=True, reason="広域連携"
    )
    return w


def _user(world: access.World, persona: str):  # type: ignore[no-untyped-def]
    home = world.home
    if persona == "anonymous":
        return None
    if persona == "service_granted":
        services.set_service_access(
            home.admin, home.municipality, sensitive_access=True, reason="共同運用"
        )
        return home.service
    return world.user(access.Persona(persona), home)


def _client(world: access.World, user, api: bool) -> tuple[Client, dict[str, str]]:  # type: ignore[no-untyped-def]
    client = Client()
    headers: dict[str, str] = {}
    if user is not None:
        if api:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {world.token(user)}"
        else:
            client.force_login(user)
    return client, headers


def _problem(route: str, method: str, response: Any, why: str) -> str:
    return f"{method} {route} → {response.status_code}: {why}"


def _leaks(response: Any, site: Site) -> list[str]:
    try:
        access.assert_no_markers(response, site)
    except AssertionError as exc:
        return [str(exc)]
    return []


# Pages that redirect back whatever was posted; the pages read after the POST prove that
# 甲府市's id was ignored.
REDIRECT_ALWAYS = {"web:set_municipality", "web:set_fiscal_year", "set_language", "logout"}


def _page_requests(name: str, world: access.World) -> list[tuple[str, str, dict[str, Any], bool]]:
    """(method, url, data, names 甲府市's records) for one page: GET and POST with 甲府市's ids,
    and POST to 都留市's own record with 甲府市's ids in the form."""
    home, other = world.home, world.other
    kwargs = ROUTES[name]
    own_url, their_url = reverse(name, kwargs=kwargs(home)), reverse(name, kwargs=kwargs(other))
    make = POST_DATA.get(name)
    own_data, their_data = (make(home), make(other)) if make else ({}, {})
    url_names_theirs, data_names_theirs = own_url != their_url, own_data != their_data
    requests = [
        ("GET", their_url, {}, url_names_theirs),
        ("POST", their_url, their_data, url_names_theirs or data_names_theirs),
    ]
    if url_names_theirs and data_names_theirs:
        requests.append(("POST", own_url, their_data, True))
    return requests


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_page_shows_or_changes_another_municipalitys_data(world, persona):
    """Every page, GET and POST, with 甲府市's ids, as each kind of 都留市 user: never 甲府市's
    data in the answer, never a change to 甲府市, and a request naming 甲府市's records is
    refused (a form naming them comes back with an error, never a success redirect)."""
    # given
    user = _user(world, persona)
    other = world.other
    login = resolve_url(settings.LOGIN_URL) + "?next="
    before = state_of(other)
    problems: list[str] = []
    # when
    for name in ROUTES:
        for method, url, data, names_theirs in _page_requests(name, world):
            client, _headers = _client(world, user, api=False)
            response = client.get(url) if method == "GET" else client.post(url, data)
            label = f"{name} {url}"
            problems += [_problem(label, method, response, w) for w in _leaks(response, other)]
            status = response.status_code
            to_login = status == 302 and response.url.startswith(login)
            if status >= 500:
                problems.append(_problem(label, method, response, "server error"))
            elif names_theirs and name not in REDIRECT_ALWAYS and not to_login:
                refused = REFUSED | ({200} if method == "POST" and name in POST_DATA else set())
                if status not in refused:
                    problems.append(_problem(label, method, response, "not refused"))
            if method == "POST" and user is not None:
                # Whatever the POST did to the session, no page shows 甲府市 afterwards.
                for page in ("/", reverse("core:org_unit_list"), reverse("core:person_list")):
                    problems += [
                        _problem(label, f"GET {page} after POST", response, w)
                        for w in _leaks(client.get(page), other)
                    ]
    # then
    assert problems == []
    assert state_of(other) == before


def _api_requests(name: str, world: access.World) -> list[tuple[str, dict[str, Any] | None, str]]:
    """(url, body, what it names) for one operation: 甲府市's path and body, and 都留市's own
    path with 甲府市's ids in the body."""
    route = API_ROUTES[name]
    home, other = world.home, world.other
    own_url = reverse(name, kwargs=route.kwargs(home))
    their_url = reverse(name, kwargs=route.kwargs(other))
    own_body = route.body(home) if route.body else None
    their_body = route.body(other) if route.body else None
    names = "path" if own_url != their_url else "body" if own_body != their_body else "nothing"
    requests = [(their_url, their_body, names)]
    if own_url != their_url and own_body != their_body:
        requests.append((own_url, their_body, "body"))
    return requests


# What an API request may answer, by what it names of 甲府市.
API_STATUSES = {
    "public": {200, 404},  # the schema, its viewer and the API root hold no one's data
    "anonymous": {401},
    "path": {403, 404},  # 甲府市's record in the URL
    "body": {403, 404, 422},  # 甲府市's ids in the body: refused, or a field error
    "nothing": {200, 403},  # lists: their own municipality's rows, or no right at all
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_api_route_shows_or_changes_another_municipalitys_data(world, persona):
    """Every API operation, with 甲府市's ids in path and body, as each kind of 都留市 user:
    401 for anonymous, 403/404 for 甲府市's path, 403/404/422 for 甲府市's ids in a body, lists
    of their own, and never 甲府市's data or a change to it."""
    # given
    user = _user(world, persona)
    other = world.other
    client, headers = _client(world, user, api=True)
    before = state_of(other)
    problems: list[str] = []
    # when
    for name, route in API_ROUTES.items():
        for url, body, names in _api_requests(name, world):
            call = getattr(client, route.method.lower())
            if route.method == "GET":
                response = call(url, **headers)
            else:
                payload = json.dumps(body or {})
                response = call(url, payload, content_type="application/json", **headers)
            label = f"{name} {url}"
            problems += [
                _problem(label, route.method, response, w) for w in _leaks(response, other)
            ]
            kind = "public" if name in PUBLIC_API else "anonymous" if user is None else names
            expected = API_STATUSES[kind]
            if response.status_code not in expected:
                problems.append(_problem(label, route.method, response, f"expected {expected}"))
    # then
    assert problems == []
    assert state_of(other) == before


def test_the_walk_notices_a_leak(world):
    """The markers the walk looks for are really on 甲府市's own pages (the walk is not blind)."""
    client, _ = _client(world, world.other.admin, api=False)
    for page in (reverse("core:org_unit_list"), reverse("core:person_list")):
        with pytest.raises(AssertionError, match="another municipality's data"):
            access.assert_no_markers(client.get(page), world.other)


# --- service administrators and the grant ---------------------------------------------------


@pytest.fixture
def service_of_kofu(kofu):
    """A service administrator who manages 甲府市 only; 甲府市 has granted nothing."""
    return make_user(None, "svc-kofu", service_admin_of=(kofu.municipality,))


def _grant(t, sensitive=True):  # type: ignore[no-untyped-def]
    services.set_service_access(t.admin, t.municipality, sensitive_access=sensitive, reason="共同")


def test_service_administrator_sees_org_units_but_not_people_without_the_grant(
    client, kofu, service_of_kofu
):
    """Org chart yes; the staff list, a person's page and the names on a unit page no."""
    # given
    client.force_login(service_of_kofu)
    # when
    units = client.get(reverse("core:org_unit_list"))
    unit = client.get(reverse("core:org_unit_detail", kwargs={"pk": kofu.unit.pk}))
    people = client.get(reverse("core:person_list"))
    person = client.get(reverse("core:person_detail", kwargs={"pk": kofu.other_person.pk}))
    roles = client.get(reverse("core:role_assignment_list"))
    # then
    assert units.status_code == 200
    assert kofu.unit.name in units.content.decode()
    assert unit.status_code == 200
    assert kofu.other_person.employee_number not in unit.content.decode()
    assert kofu.other_person.family_name not in unit.content.decode()
    assert (people.status_code, person.status_code, roles.status_code) == (403, 403, 403)


def test_service_administrator_sees_people_once_the_municipality_grants_it(
    client, kofu, service_of_kofu
):
    """With 甲府市's grant, its people and role assignments become visible."""
    # given
    _grant(kofu)
    client.force_login(service_of_kofu)
    # when
    people = client.get(reverse("core:person_list"))
    person = client.get(reverse("core:person_detail", kwargs={"pk": kofu.other_person.pk}))
    # then
    assert people.status_code == 200
    assert kofu.other_person.employee_number in people.content.decode()
    assert person.status_code == 200


def test_withdrawn_grant_hides_people_again(client, kofu, service_of_kofu):
    """Turning the grant off takes the people out of sight at once."""
    # given
    _grant(kofu)
    _grant(kofu, sensitive=False)
    client.force_login(service_of_kofu)
    # when / then
    assert client.get(reverse("core:person_list")).status_code == 403


def test_service_administrator_api_follows_the_grant(client, kofu, service_of_kofu):
    """Through the API too: org units listed, people 403 (list) / 404 (record) until granted."""
    # given
    raw = services.issue_api_token(service_of_kofu, name="t")[1]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    person_url = reverse("api:get_person", kwargs={"person_id": kofu.other_person.pk})
    # when
    units = client.get(reverse("api:list_org_units"), **auth)
    people = client.get(reverse("api:list_people"), **auth)
    person = client.get(person_url, **auth)
    _grant(kofu)
    people_granted = client.get(reverse("api:list_people"), **auth)
    person_granted = client.get(person_url, **auth)
    # then
    assert units.status_code == 200
    assert {u["municipality_id"] for u in units.json()["items"]} == {kofu.municipality.pk}
    assert (people.status_code, person.status_code) == (403, 404)
    assert people_granted.status_code == 200
    assert kofu.other_person.pk in {p["id"] for p in people_granted.json()["items"]}
    assert person_granted.json()["employee_number"] == kofu.other_person.employee_number


def test_service_administrator_cannot_switch_to_a_municipality_they_do_not_manage(
    client, tsuru, kofu
):
    """Posting 甲府市's id to the municipality switch leaves them in 都留市."""
    # given
    service = make_user(None, "svc-tsuru", service_admin_of=(tsuru.municipality,))
    client.force_login(service)
    # when
    client.post(reverse("web:set_municipality"), {"municipality": kofu.municipality.pk})
    page = client.get(reverse("core:org_unit_list")).content.decode()
    # then
    assert tsuru.unit.name in page
    assert kofu.unit.name not in page
