"""代理・代決: naming a deputy, what the deputy may do, what the journal says, and the API."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from isms.core import delegation, journal, permissions, services
from isms.core.models import Delegation, JournalEntry, Person, RoleAssignment
from isms.core.permissions import Action, SeparationOfDutiesError
from isms.core.roles import Role
from isms.quarantine import services as quarantine_services
from isms.quarantine.models import Release
from tests.quarantine.factories import pending_release, quarantine
from tests.support import access
from tests.support.access import ADMIN, API, LEAD, STAFF, AccessSpec
from tests.support.factories import make_user

TODAY = timezone.localdate
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def manager(tsuru):
    """A 情報システム管理者 (may release quarantined originals) who is about to be away."""
    return make_user(tsuru.municipality, "manager", roles=(Role.SYSTEM_MANAGER,), unit=tsuru.unit)


@pytest.fixture
def kacho(tsuru):
    """A 課長 with no quarantine rights of their own: the manager's deputy."""
    return make_user(
        tsuru.municipality, "kacho", roles=(Role.DIVISION_SECURITY_MANAGER,), unit=tsuru.unit
    )


def _assignment(user, role=Role.SYSTEM_MANAGER):
    return RoleAssignment.objects.get(person__user=user, role=role)


def _person(user):
    return Person.objects.get(user=user)


def _delegate(actor, holder, deputy, *, start=None, end=None, reason="夏季休暇"):
    start = start or TODAY()
    return delegation.create_delegation(
        actor,
        _assignment(holder),
        _person(deputy),
        start_date=start,
        end_date=end or start + 2 * DAY,
        reason=reason,
    )


def _fresh(user):
    """The same login without the per-request role cache."""
    return type(user).objects.get(pk=user.pk)


# --- naming a deputy ---------------------------------------------------------------------------


def test_the_holder_names_their_deputy_and_it_is_journaled(tsuru, manager, kacho):
    # when
    d = _delegate(manager, manager, kacho)
    # then
    assert d.deputy == _person(kacho) and d.assignment == _assignment(manager)
    entry = JournalEntry.objects.get(action="delegation.create")
    assert entry.actor == manager
    assert entry.after["deputy"] == str(_person(kacho))
    assert entry.after["role"] == Role.SYSTEM_MANAGER


def test_whoever_manages_roles_may_name_a_deputy_for_someone_else(tsuru, manager, kacho):
    d = _delegate(tsuru.lead, manager, kacho)
    assert d.created_by == tsuru.lead


def test_a_member_of_staff_cannot_delegate_someone_elses_role(tsuru, manager, kacho):
    with pytest.raises(PermissionDenied):
        _delegate(kacho, manager, tsuru.staff)
    assert not Delegation.objects.exists()


def test_a_manager_cannot_name_themself_deputy_of_someone_else(tsuru, manager):
    """兼務の禁止: the lead may not give themself the manager's role by delegation."""
    with pytest.raises(SeparationOfDutiesError) as caught:
        _delegate(tsuru.lead, manager, tsuru.lead)
    assert "cannot approve their own request" in str(caught.value)
    assert not Delegation.objects.exists()


@pytest.mark.parametrize(
    ("start", "end", "field", "message"),
    [
        (-1, 1, "start_date", "days already past"),
        (2, 1, "end_date", "must not be before the start date"),
        (0, 366, "end_date", "at most a year"),
    ],
)
def test_bad_periods_are_refused_with_the_field_named(
    tsuru, manager, kacho, start, end, field, message
):
    with pytest.raises(ValidationError) as caught:
        _delegate(manager, manager, kacho, start=TODAY() + start * DAY, end=TODAY() + end * DAY)
    assert list(caught.value.error_dict) == [field]
    assert message in str(caught.value)
    assert not Delegation.objects.exists()


def test_the_delegation_must_fall_within_the_role_period(tsuru, manager, kacho):
    assignment = _assignment(manager)
    services.end_role_assignment(tsuru.admin, assignment, TODAY())
    with pytest.raises(ValidationError) as caught:
        _delegate(manager, manager, kacho, end=TODAY() + DAY)
    assert "must fall within that period" in str(caught.value)


def test_the_deputy_needs_an_active_login(tsuru, manager):
    without_login = Person.objects.get(pk=tsuru.other_person.pk)
    with pytest.raises(ValidationError) as caught:
        delegation.create_delegation(
            manager,
            _assignment(manager),
            without_login,
            start_date=TODAY(),
            end_date=TODAY(),
            reason="休暇",
        )
    assert "has no active login" in str(caught.value)


def test_the_holder_cannot_be_their_own_deputy(tsuru, manager):
    with pytest.raises(ValidationError) as caught:
        _delegate(manager, manager, manager)
    assert "cannot be their own deputy" in str(caught.value)


def test_a_deputy_employed_for_less_time_is_refused(tsuru, manager, kacho):
    services.update_person(tsuru.admin, _person(kacho), employment_end=TODAY() + DAY)
    with pytest.raises(ValidationError) as caught:
        _delegate(manager, manager, kacho, end=TODAY() + 5 * DAY)
    assert "is employed until" in str(caught.value)


def test_a_deputy_of_another_municipality_is_not_found(tsuru, kofu, manager):
    stranger = make_user(kofu.municipality, "stranger")
    with pytest.raises(ValidationError) as caught:
        _delegate(manager, manager, stranger)
    assert "not found in this municipality" in str(caught.value)


def test_overlapping_delegations_to_the_same_deputy_are_refused(tsuru, manager, kacho):
    _delegate(manager, manager, kacho, end=TODAY() + 3 * DAY)
    with pytest.raises(ValidationError) as caught:
        _delegate(manager, manager, kacho, start=TODAY() + 2 * DAY, end=TODAY() + 4 * DAY)
    assert "already deputy for this role" in str(caught.value)
    assert Delegation.objects.count() == 1


def test_an_empty_reason_is_refused(tsuru, manager, kacho):
    with pytest.raises(ValidationError) as caught:
        _delegate(manager, manager, kacho, reason="  ")
    assert list(caught.value.error_dict) == ["reason"]


# --- what the deputy may do --------------------------------------------------------------------


def test_the_deputy_holds_the_role_only_during_the_period(tsuru, manager, kacho):
    # given
    d = _delegate(manager, manager, kacho, start=TODAY() + DAY, end=TODAY() + 2 * DAY)
    kacho = _fresh(kacho)
    # then
    assert Role.SYSTEM_MANAGER not in permissions.active_roles(kacho, TODAY())
    assert Role.SYSTEM_MANAGER in permissions.active_roles(kacho, TODAY() + DAY)
    assert Role.SYSTEM_MANAGER in permissions.active_roles(kacho, TODAY() + 2 * DAY)
    assert Role.SYSTEM_MANAGER not in permissions.active_roles(kacho, TODAY() + 3 * DAY)
    assert d.is_active_on(TODAY() + DAY)


def test_a_revoked_delegation_gives_nothing(tsuru, manager, kacho):
    d = _delegate(manager, manager, kacho)
    assert permissions.can(_fresh(kacho), Action.RELEASE_QUARANTINE)
    delegation.revoke_delegation(kacho, d)  # the deputy declines
    assert not permissions.can(_fresh(kacho), Action.RELEASE_QUARANTINE)
    assert JournalEntry.objects.filter(action="delegation.revoke", actor=kacho).exists()
    with pytest.raises(ValidationError):
        delegation.revoke_delegation(manager, d)


def test_the_deputy_loses_the_role_when_the_holder_does(tsuru, manager, kacho):
    _delegate(manager, manager, kacho, end=TODAY() + 3 * DAY)
    services.end_role_assignment(tsuru.admin, _assignment(manager), TODAY() - DAY)
    assert Role.SYSTEM_MANAGER not in permissions.active_roles(_fresh(kacho))


def test_a_deputy_cannot_pass_the_role_on(tsuru, manager, kacho):
    """Rights come from assignments only: the deputy's own deputy gets nothing."""
    _delegate(manager, manager, kacho)
    third = make_user(tsuru.municipality, "third", unit=tsuru.unit)
    # kacho's own assignment is 情報セキュリティ管理者; delegating it gives only that role.
    delegation.create_delegation(
        kacho,
        _assignment(kacho, Role.DIVISION_SECURITY_MANAGER),
        _person(third),
        start_date=TODAY(),
        end_date=TODAY(),
        reason="出張",
    )
    roles = permissions.active_roles(_fresh(third))
    assert roles == {Role.DIVISION_SECURITY_MANAGER}


def test_the_capacity_names_the_holder_only_when_the_right_comes_from_the_delegation(
    tsuru, manager, kacho
):
    _delegate(manager, manager, kacho)
    deputy = permissions.require(_fresh(kacho), Action.RELEASE_QUARANTINE)
    own = permissions.require(_fresh(manager), Action.RELEASE_QUARANTINE)
    admin = permissions.require(_fresh(tsuru.admin), Action.RELEASE_QUARANTINE)
    assert deputy.on_behalf_of == _person(manager)
    assert str(_person(manager)) in deputy.label and tsuru.unit.name in deputy.label
    assert own.on_behalf_of is None and own.label == ""
    assert admin.on_behalf_of is None


# --- approving as a deputy ---------------------------------------------------------------------


def test_a_deputy_approves_a_release_and_the_journal_says_for_whom(tsuru, manager, kacho):
    # given: the lead asks to release an original; the manager is away, kacho deputises
    message = quarantine(tsuru.municipality, "請求書")
    release = pending_release(message, tsuru.lead)
    _delegate(manager, manager, kacho)
    # when
    done = quarantine_services.approve_original(_fresh(kacho), release)
    # then
    assert done.state == Release.State.DONE
    assert done.approved_by == kacho
    assert str(_person(manager)) in done.approved_on_behalf_of
    entry = JournalEntry.objects.get(action="quarantine.release_original")
    assert entry.actor == kacho
    assert str(_person(manager)) in entry.on_behalf_of
    assert journal.verify().ok


def test_a_deputy_cannot_approve_what_the_holder_asked_for(tsuru, manager, kacho):
    message = quarantine(tsuru.municipality, "請求書")
    release = pending_release(message, manager)
    _delegate(manager, manager, kacho)
    with pytest.raises(SeparationOfDutiesError) as caught:
        quarantine_services.approve_original(_fresh(kacho), release)
    assert "their deputy cannot approve it for them" in str(caught.value)
    release.refresh_from_db()
    assert release.state == Release.State.PENDING
    assert not JournalEntry.objects.filter(action="quarantine.release_original").exists()


def test_a_deputy_cannot_approve_their_own_request(tsuru, manager, kacho):
    _delegate(manager, manager, kacho)
    message = quarantine(tsuru.municipality, "請求書")
    release = quarantine_services.request_original(_fresh(kacho), message, reason="確認済み")
    assert (
        str(_person(manager))
        in JournalEntry.objects.get(action="quarantine.request_original").on_behalf_of
    )
    with pytest.raises(SeparationOfDutiesError):
        quarantine_services.approve_original(_fresh(kacho), release)


# --- the journal -------------------------------------------------------------------------------


def test_on_behalf_of_is_part_of_the_hash(tsuru, manager, kacho):
    _delegate(manager, manager, kacho)
    message = quarantine(tsuru.municipality, "請求書")
    quarantine_services.request_original(_fresh(kacho), message, reason="確認済み")
    assert journal.verify().ok
    JournalEntry.objects.filter(action="quarantine.request_original").update(on_behalf_of="")
    report = journal.verify()
    assert not report.ok
    assert "edited" in report.breaks[0].reason


def test_deferred_entries_are_written_at_the_end_in_order(tsuru):
    # when
    with transaction.atomic(), journal.deferred():
        for name in ("一課", "二課", "三課"):
            services.create_org_unit(
                tsuru.admin, tsuru.municipality, code=name, name=name, kind="division",
                organ_kind="mayor_departments",
            )  # fmt: skip
        assert not JournalEntry.objects.filter(action="org_unit.create", actor=tsuru.admin)
    # then
    labels = list(
        JournalEntry.objects.filter(action="org_unit.create", actor=tsuru.admin)
        .order_by("seq")
        .values_list("object_label", flat=True)
    )
    assert labels == ["一課", "二課", "三課"]
    assert journal.verify().ok


def test_deferred_entries_vanish_with_a_rolled_back_block(tsuru):
    before = JournalEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic(), journal.deferred():
        services.create_org_unit(
            tsuru.admin, tsuru.municipality, code="X1", name="消える課", kind="division",
            organ_kind="mayor_departments",
        )  # fmt: skip
        raise RuntimeError("boom")
    assert JournalEntry.objects.count() == before
    assert journal.verify().ok


def test_deferred_entries_beyond_the_memory_limit_go_through_a_file_unchanged(tsuru, monkeypatch):
    """More deferred entries than the in-memory limit: spooled to a temporary file and read
    back in order, with their before/after (Japanese, nested, None) and deputies intact."""
    monkeypatch.setattr(journal, "SPOOL_IN_MEMORY", 3)
    items = [
        journal.JournalItem(
            action="test.spool",
            object_type="core.orgunit",
            object_id=str(i),
            object_label=f"課{i}",
            before=None if i % 2 else {"名前": f"旧{i}", "list": [1, {"x": None}]},
            after={"名前": f"新{i}", "n": i, "改行": "a\nb"},
            on_behalf_of="田中 美咲（情報セキュリティ管理者）" if i == 4 else "",
        )
        for i in range(10)
    ]
    with transaction.atomic(), journal.deferred():
        for item in items[:4]:
            journal.record_many([item], actor=tsuru.admin, municipality=tsuru.municipality)
        journal.record_many(items[4:], actor=tsuru.admin, municipality=tsuru.municipality)
        assert not JournalEntry.objects.filter(action="test.spool").exists()
    written = list(JournalEntry.objects.filter(action="test.spool").order_by("seq"))
    assert [(e.object_id, e.object_label, e.before, e.after, e.on_behalf_of) for e in written] == [
        (i.object_id, i.object_label, i.before, i.after, i.on_behalf_of) for i in items
    ]
    assert journal.verify().ok


def test_spooled_entries_vanish_with_a_rolled_back_block(tsuru, monkeypatch):
    monkeypatch.setattr(journal, "SPOOL_IN_MEMORY", 2)
    item = journal.JournalItem(action="test.spool", object_type="x", after={"a": 1})
    with pytest.raises(RuntimeError), transaction.atomic(), journal.deferred():
        journal.record_many([item] * 7, actor=None, municipality=tsuru.municipality)
        raise RuntimeError("boom")
    assert not JournalEntry.objects.filter(action="test.spool").exists()
    assert journal.verify().ok


@pytest.mark.django_db(transaction=True)
def test_deferred_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError), journal.deferred():
        journal.record_many(
            [journal.JournalItem(action="x", object_type="y")], actor=None, municipality=None
        )


# --- pages -------------------------------------------------------------------------------------


def test_the_page_form_names_a_deputy_by_employee_number(client, tsuru, manager, kacho):
    # given
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(manager)
    url = reverse("core:delegation_create")
    assignment = _assignment(manager)
    form = {
        "assignment": assignment.pk,
        "deputy": "ＸＸ",
        "start_date": TODAY().isoformat(),
        "end_date": TODAY().isoformat(),
        "reason": "休暇",
    }
    # when: an unknown number, then the deputy's number in full-width digits
    unknown = client.post(url, form)
    number = _person(kacho).employee_number
    full_width = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    saved = client.post(url, form | {"deputy": full_width})
    # then
    assert unknown.status_code == 200
    assert "No staff member of this municipality has that employee number" in (
        unknown.content.decode()
    )
    assert saved.status_code == 302
    assert Delegation.objects.get().deputy == _person(kacho)
    listing = client.get(reverse("core:delegation_list")).content.decode()
    assert str(_person(kacho)) in listing and "in force" in listing


def test_staff_only_see_their_own_assignments_to_delegate(client, tsuru, manager, kacho):
    client.force_login(kacho)
    page = client.get(reverse("core:delegation_create")).content.decode()
    own = _assignment(kacho, Role.DIVISION_SECURITY_MANAGER).pk
    assert f'value="{own}"' in page
    assert f'value="{_assignment(manager).pk}"' not in page
    # Posting someone else's assignment id is an invalid choice, not a delegation.
    response = client.post(
        reverse("core:delegation_create"),
        {
            "assignment": _assignment(manager).pk,
            "deputy": _person(tsuru.staff).employee_number,
            "start_date": TODAY().isoformat(),
            "end_date": TODAY().isoformat(),
            "reason": "x",
        },
    )
    assert response.status_code == 200
    assert not Delegation.objects.exists()


def test_the_journal_page_shows_the_deputy_capacity(client, tsuru, manager, kacho):
    _delegate(manager, manager, kacho)
    message = quarantine(tsuru.municipality, "請求書")
    quarantine_services.request_original(_fresh(kacho), message, reason="確認済み")
    client.force_login(tsuru.lead)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(reverse("core:journal_list")).content.decode()
    assert f"as deputy for {_person(manager)}" in page


# --- API ---------------------------------------------------------------------------------------


def _api_url(name, **kwargs):
    return reverse(f"api:{name}", kwargs=kwargs)


API_SPECS = [
    AccessSpec(
        name="list_delegations",
        kind=API,
        url=lambda t: _api_url("list_delegations"),
        action=Action.VIEW_ROLES,
        permitted={STAFF, LEAD, ADMIN},
        other=None,
    ),
    AccessSpec(
        name="get_delegation",
        kind=API,
        url=lambda t: _api_url("get_delegation", delegation_id=t.delegation.pk),
        action=Action.VIEW_ROLES,
        permitted={STAFF, LEAD, ADMIN},
        hidden={access.SERVICE},
    ),
    AccessSpec(
        name="create_delegation",
        kind=API,
        method="POST",
        url=lambda t: _api_url("create_delegation"),
        data=lambda t: {
            "assignment_id": t.assignment.pk,
            "deputy_id": Person.objects.get(user=t.staff).pk,
            "start_date": TODAY().isoformat(),
            "end_date": TODAY().isoformat(),
            "reason": "休暇",
        },
        action=Action.VIEW_ROLES,
        permitted={LEAD, ADMIN},
        ok=201,
        other=422,
        other_field="assignment_id",
        creates=Delegation,
    ),
    AccessSpec(
        name="end_delegation",
        kind=API,
        method="POST",
        url=lambda t: _api_url("end_delegation", delegation_id=t.delegation.pk),
        action=Action.VIEW_ROLES,
        permitted={STAFF, LEAD, ADMIN},
        hidden={access.SERVICE},
        target=lambda t: t.delegation,
    ),
]


@pytest.fixture
def world(tsuru, kofu):
    return access.make_world(tsuru, kofu)


@pytest.mark.parametrize(("spec", "case"), access.cases(API_SPECS))
def test_api_access(spec, case, world, client):
    access.check(client, world, spec, case)


def test_every_delegation_api_operation_has_an_access_spec():
    from isms.core.delegation_api import router

    assert access.operation_names(router) == {s.name for s in API_SPECS}


def test_api_creates_and_ends_a_delegation(client, tsuru, kofu, manager, kacho):
    raw = services.issue_api_token(manager, name="t")[1]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": "en"}
    body = {
        "assignment_id": _assignment(manager).pk,
        "deputy_id": _person(kacho).pk,
        "start_date": TODAY().isoformat(),
        "end_date": (TODAY() + DAY).isoformat(),
        "reason": "研修",
    }
    stranger = make_user(kofu.municipality, "stranger")

    def post(name, payload, **kwargs):
        return client.post(
            _api_url(name, **kwargs),
            json.dumps(payload),
            content_type="application/json",
            **headers,
        )

    foreign = post("create_delegation", body | {"deputy_id": _person(stranger).pk})
    past = post("create_delegation", body | {"start_date": (TODAY() - DAY).isoformat()})
    created = post("create_delegation", body)
    assert foreign.status_code == 422 and list(foreign.json()["errors"]) == ["deputy_id"]
    assert past.status_code == 422 and list(past.json()["errors"]) == ["start_date"]
    assert created.status_code == 201
    data = created.json()
    assert data["principal_id"] == _person(manager).pk
    assert data["role"] == "system_manager"
    assert data["deputy_id"] == _person(kacho).pk
    ended = post("end_delegation", {}, delegation_id=data["id"])
    again = post("end_delegation", {}, delegation_id=data["id"])
    assert ended.status_code == 200 and ended.json()["revoked_at"]
    assert again.status_code == 422


def test_units_held_counts_own_and_deputised_units(tsuru, kacho):
    """A 課長 answers for their own 課, and for another while deputising for its 課長."""
    other_unit = tsuru.bureau
    absent = make_user(
        tsuru.municipality, "absent", roles=(Role.DIVISION_SECURITY_MANAGER,), unit=other_unit
    )
    roles = permissions.UNIT_ASSET_ROLES
    assert permissions.units_held(_fresh(kacho), roles) == {tsuru.unit.pk: None}
    d = delegation.create_delegation(
        absent,
        _assignment(absent, Role.DIVISION_SECURITY_MANAGER),
        _person(kacho),
        start_date=TODAY(),
        end_date=TODAY(),
        reason="休暇",
    )
    held = permissions.units_held(_fresh(kacho), roles)
    assert held == {tsuru.unit.pk: None, other_unit.pk: d}
    assert permissions.units_held(_fresh(kacho), roles, TODAY() + DAY) == {tsuru.unit.pk: None}
    assert permissions.units_held(_fresh(tsuru.staff), roles) == {}


def test_whatever_a_deputy_does_in_the_role_is_journaled_on_the_holders_behalf(tsuru):
    """Not only approvals: a deputy of the lead creating an org unit names the lead too."""
    deputy = make_user(tsuru.municipality, "deputy-of-lead", unit=tsuru.unit)
    delegation.create_delegation(
        tsuru.lead,
        _assignment(tsuru.lead, Role.LEAD_SECURITY_OFFICER),
        _person(deputy),
        start_date=TODAY(),
        end_date=TODAY(),
        reason="出張",
    )
    deputy = _fresh(deputy)
    services.create_org_unit(
        deputy, tsuru.municipality, code="DEP1", name="代理作成課", kind="division",
        organ_kind="mayor_departments",
    )  # fmt: skip
    services.create_org_unit(
        tsuru.lead, tsuru.municipality, code="OWN1", name="本人作成課", kind="division",
        organ_kind="mayor_departments",
    )  # fmt: skip
    by_deputy = JournalEntry.objects.get(action="org_unit.create", object_label="代理作成課")
    by_lead = JournalEntry.objects.get(action="org_unit.create", object_label="本人作成課")
    assert by_deputy.actor == deputy
    assert str(_person(tsuru.lead)) in by_deputy.on_behalf_of
    assert by_lead.on_behalf_of == ""
    assert journal.verify().ok
