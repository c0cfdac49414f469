"""The access matrix: one declarative spec per page and API endpoint, one runner for all of them.

NetBox's ``ViewTestCases`` idea with Saleor's rule that a refused action changes nothing. For each
:class:`AccessSpec` the runner makes the request as

- **anonymous**: a page redirects to the login page, the API answers 401;
- **another municipality**: each permitted kind of user, but of the *other* municipality, with
  URL and data built from this municipality's records: ``spec.other`` (404 for a URL that names
  a record; for a body that does, 422 from the API with ``other_field`` named, 200 from a page
  whose form comes back with the error) and never a trace of this municipality's data; when the
  URL and data name no record (``other=None``) they get their own municipality's answer;
- **each persona** of this municipality (:class:`Persona`): ``spec.ok`` if it is in
  ``spec.permitted``, 404 if it is in ``spec.hidden`` (the record itself is out of its sight),
  403 otherwise.

On every refusal it asserts that ``spec.target`` is unchanged, that no ``spec.creates`` row
appeared and that no ``JournalEntry`` was written; a permitted write must write one (unless
``journaled=False``: a POST that only changes the session).

The personas are a plain member of staff, the lead security officer (a role), a municipality
administrator (an account flag) and a service administrator without the municipality's grant.
Who may do what for *every* role is proven once, against ``RULES``, in
``tests/core/test_permissions.py``; the matrix proves each page and endpoint asks for the
right action and refuses cleanly.

Adding a view or endpoint
-------------------------
1. Add its URL name to ``tests/support/routes.py`` (``ROUTES``, or ``API_ROUTES`` for the API);
   the tenancy walk fails until you do.
2. Add one spec per method to the ``SPECS`` list of the app's access test
   (``tests/test_web_access.py`` for pages, ``tests/<app>/test_api.py`` for endpoints; both
   fail until every route has a spec)::

       AccessSpec(
           name="core:org_unit_edit",  # the URL name (the API: the handler's name)
           kind=WEB,
           method="POST",
           url=lambda t: reverse("core:org_unit_edit", kwargs={"pk": t.unit.pk}),
           data=lambda t: {"code": "U9", "name": "改名課", ...},  # a valid form
           action=Action.MANAGE_ORGANISATION,
           permitted={LEAD, ADMIN, SERVICE},
           ok=302,
           target=lambda t: t.unit,
       )

   ``url`` and ``data`` take the :class:`Site` (a ``Tenant`` with a little more) whose records
   the request addresses (``t.unit``, ``t.other_person``, ``t.assignment`` …); build ids from
   it, never literals. ``permitted`` lists who may, read from ``core/permissions.py`` RULES — say
   it explicitly, the test then proves the code agrees. ``creates`` names the model a create
   adds a row to, ``target`` the record an update changes.
3. The module's single parametrised test already runs the new spec::

       @pytest.mark.parametrize(("spec", "case"), access.cases(SPECS))
       def test_access(spec, case, world, client):
           access.check(client, world, spec, case)

   with a ``world`` fixture returning ``access.make_world(tsuru, kofu)``.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

import pytest
from django.conf import settings
from django.db import models
from django.shortcuts import resolve_url
from django.test import Client
from django.utils import timezone

from isms.core import journal, permissions, services
from isms.core.calendar import fiscal_year_of
from isms.core.models import JournalEntry, Person, RoleAssignment, User
from isms.core.permissions import Action
from isms.core.roles import Role
from tests.support.factories import Tenant, make_person, make_user

WEB = "web"
API = "api"


class Persona(StrEnum):
    """The kinds of user of one municipality the matrix tries."""

    STAFF = "staff"  # a member of staff with no role and no administrator flag
    LEAD = "lead"  # holds Role.LEAD_SECURITY_OFFICER (統括情報セキュリティ責任者) this year
    ADMIN = "admin"  # a municipality administrator (account flag, no role)
    SERVICE = "service"  # a service administrator managing it, with no ServiceAccessGrant


STAFF, LEAD, ADMIN, SERVICE = Persona.STAFF, Persona.LEAD, Persona.ADMIN, Persona.SERVICE
EVERYONE = frozenset(Persona)


@dataclass(frozen=True, kw_only=True)
class AccessSpec:
    """How one page or endpoint is called, and who may call it."""

    name: str
    kind: str  # WEB or API
    url: Callable[[Site], str]
    action: Action | None  # None: any logged-in user (the shell's own pages)
    permitted: frozenset[Persona] | set[Persona]
    method: str = "GET"
    data: Callable[[Site], dict[str, Any]] | None = None
    ok: int = 200
    hidden: frozenset[Persona] | set[Persona] = frozenset()
    other: int | None = 404
    other_field: str | None = None  # with other=422: the field the error names
    target: Callable[[Site], models.Model] | None = None
    creates: type[models.Model] | None = None
    journaled: bool = True  # a permitted write leaves a journal entry (False: session only)

    def __post_init__(self) -> None:
        assert self.kind in (WEB, API), self.kind
        assert not set(self.permitted) & set(self.hidden), self.name
        if self.action is not None:
            assert self.action in permissions.RULES, self.action

    @property
    def writes(self) -> bool:
        return self.method != "GET"


@dataclass(frozen=True)
class Case:
    """One row of the matrix: who makes the request."""

    who: str  # "anonymous", "other" or "persona"
    persona: Persona | None = None

    def __str__(self) -> str:
        return self.who if self.persona is None else f"{self.who}:{self.persona}"


def operation_names(router: Any) -> set[str]:
    """The handler names of a django-ninja router: what its access specs must cover."""
    return {op.view_func.__name__ for pv in router.path_operations.values() for op in pv.operations}


def cases(specs: Iterable[AccessSpec]) -> list[Any]:
    """Return the pytest parameters ``(spec, case)`` of every row of the matrix."""
    params = []
    for spec in specs:
        rows = [Case("anonymous")]
        others = sorted(spec.permitted) or [ADMIN]
        rows += [Case("other", p) for p in others]
        rows += [Case("persona", p) for p in Persona]
        params += [pytest.param(spec, c, id=f"{spec.name}-{spec.method}-{c}") for c in rows]
    return params


# --- the world: two municipalities and their users ---------------------------------------------


@dataclass(kw_only=True)
class Site(Tenant):
    """A tenant as the matrix needs it: plus a service administrator (managing this
    municipality alone, without a grant), a person whose name is found nowhere else, and a
    role assignment of ``other_person``."""

    service: User
    secret_person: Person
    assignment: RoleAssignment
    quarantined: Any = None  # a held QuarantinedMessage (tests/quarantine/factories.py)
    pending_release: Any = None  # a release of another original, asked by another lead
    delegation: Any = None  # from tomorrow, ``staff`` deputises for ``lead`` (not in force today)
    planned: Any = None  # a 組織改正 of ``unit`` planned for next month
    asset: Any = None  # an in-use 機密性2 asset of ``unit`` with one host (the register's)
    lifecycle_request: Any = None  # a pending request by ``staff`` to transport ``asset``
    import_job: Any = None  # a finished background import of staff
    risk: Any = None  # a risk of ``asset``, treated (owner ``other_person``), acceptance asked
    asset_group: Any = None  # 端末一式: ``unit``'s group holding ``asset`` (risks web_specs)
    control_standard: Any = None  # the 対策基準: version "1" current, draft "2" (catalog_specs)
    incident: Any = None  # reported by ``staff``, triaged (low), one timeline entry with a PDF

    @classmethod
    def build(cls, t: Tenant) -> Site:
        from tests.quarantine.factories import pending_release, quarantine

        m = t.municipality
        quarantined = quarantine(m, f"{m.pk}件名")
        requester = make_user(m, f"requester-{m.code}", roles=(Role.LEAD_SECURITY_OFFICER,))
        asset = _asset(t)
        return cls(
            **{f.name: getattr(t, f.name) for f in fields(Tenant)},
            service=make_user(None, f"service-{m.code}", service_admin_of=(m,)),
            secret_person=make_person(m, unit=t.unit, family=f"{m.name[:2]}秘", given="匿名"),
            assignment=services.assign_role(
                None,
                t.other_person,
                Role.DIVISION_SECURITY_MANAGER,
                org_unit=t.unit,
                fiscal_year=fiscal_year_of(timezone.localdate()),
            ),
            quarantined=quarantined,
            pending_release=pending_release(quarantine(m, f"{m.pk}開放依頼"), requester),
            delegation=_future_delegation(t),
            planned=_planned_change(t),
            asset=asset,
            lifecycle_request=_lifecycle_request(t, asset),
            import_job=_import_job(t),
            risk=_risk(t, asset),
            asset_group=_asset_group(t, asset),
            control_standard=_control_standard(t),
            incident=_incident(t),
        )


def _control_standard(t: Tenant) -> Any:
    from tests.policy.catalog_specs import ensure_catalog

    return ensure_catalog(t).current


def _future_delegation(t: Tenant) -> Any:
    from isms.core import delegation

    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    return delegation.create_delegation(
        t.lead,
        RoleAssignment.objects.filter(person__user=t.lead).first(),
        Person.objects.get(user=t.staff),
        start_date=tomorrow,
        end_date=tomorrow,
        reason="出張",
    )


def _import_job(t: Tenant) -> Any:
    from isms.core.models import ImportJob

    return ImportJob.objects.create(
        municipality=t.municipality,
        kind=ImportJob.Kind.PERSON,
        filename="people.csv",
        status=ImportJob.Status.DONE,
        rows_total=3000,
        created=3000,
    )


def _asset(t: Tenant) -> Any:
    from isms.assets import services as asset_services
    from tests.assets.factories import make_asset

    m = t.municipality
    asset = make_asset(m, t.unit, name=f"{m.name[:2]}台帳資料", asset_number=f"W-{m.code}")
    asset_services.add_host(None, asset, host_name=f"srv-{m.code}", network="10.0.0.0/24")
    return asset


def _lifecycle_request(t: Tenant, asset: Any) -> Any:
    from isms.assets import services as asset_services

    return asset_services.request_lifecycle(
        t.staff, asset, kind="transport", details="本庁舎から支所へ運搬する。"
    )


def _risk(t: Tenant, asset: Any) -> Any:
    from isms.risks import services as risk_services
    from isms.risks.catalog import ensure_catalog
    from isms.risks.models import Threat

    m = t.municipality
    ensure_catalog(m)
    risk = risk_services.assess_risk(
        None,
        m,
        fiscal_year=fiscal_year_of(timezone.localdate()),
        asset=asset,
        threat=Threat.objects.get(municipality=m, code="T-INT-01"),
        likelihood=4,
        scenario=f"{m.name}の台帳資料への不正アクセス",
    )
    risk = risk_services.treat_risk(
        None, risk, treatment="accept", owner=t.other_person, residual_likelihood=3
    )
    return risk_services.request_acceptance(None, risk)


def _asset_group(t: Tenant, asset: Any) -> Any:
    from isms.risks import services as risk_services

    return risk_services.create_asset_group(
        None, t.municipality, name="端末一式", owning_unit=t.unit, assets=[asset]
    )


def _incident(t: Tenant) -> Any:
    from tests.incidents.factories import world_incident

    return world_incident(t)


def _planned_change(t: Tenant) -> Any:
    from isms.core import planned_changes

    return planned_changes.plan_change(
        t.lead,
        t.unit,
        "reorganise",
        effective_date=timezone.localdate() + datetime.timedelta(days=30),
        name=f"{t.unit.name}（改）",
    )


@dataclass
class World:
    """Municipality ``home`` whose records the requests address, and ``other``, the stranger."""

    home: Site
    other: Site
    tokens: dict[int, str] = field(default_factory=dict)

    def user(self, persona: Persona, site: Site) -> User:
        return {STAFF: site.staff, LEAD: site.lead, ADMIN: site.admin, SERVICE: site.service}[
            persona
        ]

    def token(self, user: User) -> str:
        """Return an API token of ``user`` (issued once, through the service)."""
        if user.pk not in self.tokens:
            self.tokens[user.pk] = services.issue_api_token(user, name="access matrix")[1]
        return self.tokens[user.pk]


def make_world(home: Tenant, other: Tenant) -> World:
    """Build the world from the ``tsuru`` and ``kofu`` fixtures."""
    return World(home=Site.build(home), other=Site.build(other))


def markers(t: Site) -> list[str]:
    """Strings that appear only in ``t``'s data: names, codes, employee numbers."""
    m = t.municipality
    found = [m.name, m.code, t.unit.name, t.bureau.name, t.secret_person.family_name]
    found += list(Person.objects.filter(municipality=m).values_list("employee_number", flat=True))
    return found


def assert_no_markers(response: Any, t: Site) -> None:
    """Fail if ``response`` shows any of ``t``'s data."""
    body = response.content.decode("utf-8", "replace")
    if response.get("Content-Type", "").startswith("application/json") and body:
        body = json.dumps(json.loads(body), ensure_ascii=False)
    leaked = [s for s in markers(t) if s in body]
    assert not leaked, f"response shows another municipality's data: {leaked}"


# --- the runner -------------------------------------------------------------------------------


@dataclass
class _State:
    journal: int
    journal_home: int
    target: Any
    created: int
    created_home: int


def _state(spec: AccessSpec, t: Site) -> _State:
    target = None
    if spec.target is not None:
        obj = spec.target(t)
        target = journal.snapshot(type(obj)._default_manager.get(pk=obj.pk))
    created = created_home = 0
    if spec.creates is not None:
        manager = spec.creates._default_manager
        lookup = permissions.municipality_lookup(spec.creates)
        created = manager.count()
        created_home = manager.filter(**{lookup: t.municipality.pk}).count()
    return _State(
        journal=JournalEntry.objects.count(),
        journal_home=JournalEntry.objects.filter(municipality=t.municipality).count(),
        target=target,
        created=created,
        created_home=created_home,
    )


def request(client: Client, world: World, spec: AccessSpec, user: User | None, t: Site) -> Any:
    """Make ``spec``'s request as ``user`` with URL and data built from ``t``."""
    url = spec.url(t)
    data = spec.data(t) if spec.data is not None else None
    method = getattr(client, spec.method.lower())
    if spec.kind == WEB:
        if user is not None:
            client.force_login(user)
        if spec.method in ("GET", "POST"):
            return method(url, data or {})
        return method(url, data or {}, content_type="application/x-www-form-urlencoded")
    headers = {}
    if user is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {world.token(user)}"
    if spec.method == "GET":
        return method(url, data or {}, **headers)
    return method(url, json.dumps(data or {}), content_type="application/json", **headers)


def _assert_refused_quietly(spec: AccessSpec, before: _State, t: Site) -> None:
    after = _state(spec, t)
    assert after.target == before.target, "a refused request changed the record"
    assert after.created == before.created, "a refused request created a record"
    assert after.journal == before.journal, "a refused request wrote a journal entry"


def _assert_status(response: Any, expected: int, spec: AccessSpec) -> None:
    detail = response.content[:300] if response.status_code != expected else b""
    assert response.status_code == expected, f"{spec.name}: {response.status_code} {detail!r}"


def check(client: Client, world: World, spec: AccessSpec, case: Case) -> None:
    """Run one row of the matrix (see the module docstring)."""
    home = world.home
    if case.who == "anonymous":
        before = _state(spec, home)
        response = request(client, world, spec, None, home)
        if spec.kind == WEB:
            _assert_status(response, 302, spec)
            assert response.url.startswith(resolve_url(settings.LOGIN_URL) + "?next=")
        else:
            _assert_status(response, 401, spec)
            assert set(response.json()) == {"detail"}
        _assert_refused_quietly(spec, before, home)
        assert_no_markers(response, home)
        return

    assert case.persona is not None
    if case.who == "other":
        stranger = world.user(case.persona, world.other)
        permitted_at_home = case.persona in spec.permitted
        if spec.kind == API:
            world.token(stranger)  # issuing the token is journaled; do it before the state
        before = _state(spec, home)
        response = request(client, world, spec, stranger, home)
        assert_no_markers(response, home)
        if spec.other is None:
            # The URL names no record: they get their own municipality's answer.
            _assert_status(response, spec.ok if permitted_at_home else 403, spec)
            after = _state(spec, home)
            assert after.target == before.target
            assert after.created_home == before.created_home
            assert after.journal_home == before.journal_home
            return
        _assert_status(response, spec.other, spec)
        if spec.other_field is not None:
            assert list(response.json()["errors"]) == [spec.other_field]
        _assert_refused_quietly(spec, before, home)
        return

    user = world.user(case.persona, home)
    if spec.kind == API:
        world.token(user)  # issuing the token is journaled; do it before taking the state
    before = _state(spec, home)
    response = request(client, world, spec, user, home)
    if case.persona in spec.permitted:
        _assert_status(response, spec.ok, spec)
        if spec.writes and spec.journaled:
            assert _state(spec, home).journal > before.journal, "a write was not journaled"
        return
    _assert_status(response, 404 if case.persona in spec.hidden else 403, spec)
    if spec.kind == API:
        assert set(response.json()) == {"detail"}
    _assert_refused_quietly(spec, before, home)
