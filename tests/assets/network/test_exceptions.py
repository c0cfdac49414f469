"""The 例外措置 register: request, approval by another person (兼務の禁止), rejection,
withdrawal, validation with the verifier's own rules, and the daily expiry reminders."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from isms.assets.models import PolicyException
from isms.assets.network import services
from isms.core.models import JournalEntry, Person
from isms.core.permissions import SeparationOfDutiesError
from isms.core.roles import Role
from tests.support.factories import make_user

TODAY = timezone.localdate


def _request(t, actor=None, **data):  # type: ignore[no-untyped-def]
    values = {
        "sources": "172.16.8.0/24",
        "destinations": "10.20.1.10",
        "services": "tcp/443",
        "reason": "保守",
        "expires": TODAY() + datetime.timedelta(days=90),
    } | data
    return services.request_exception(actor or t.lead, t.municipality, **values)


@pytest.fixture
def ciso(tsuru):  # type: ignore[no-untyped-def]
    return make_user(tsuru.municipality, "ciso-x", roles=(Role.CISO,), unit=tsuru.unit)


def test_a_request_is_numbered_normalised_and_journaled(tsuru):
    first = _request(tsuru, sources="１７２.１６.８.０/２４ 10.1.0.0/16", services="TCP/443,udp/53")
    second = _request(tsuru)
    year = TODAY().year
    assert (first.number, second.number) == (f"EX-{year}-001", f"EX-{year}-002")
    assert first.sources == "172.16.8.0/24, 10.1.0.0/16"
    assert first.destinations == "10.20.1.10/32" and first.services == "tcp/443, udp/53"
    assert first.status == PolicyException.Status.REQUESTED
    assert JournalEntry.objects.filter(action="network.exception_requested").count() == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sources", "", "Enter the addresses"),
        ("sources", "10.0.0.1/8", "IPv4 address or range"),
        ("sources", "0.0.0.0/0", "too wide"),
        ("destinations", "example.org", "IPv4 address or range"),
        ("services", "", "Enter the services"),
        ("services", "tcp", "give the destination port"),
        ("services", "tcp/70000", "write a port"),
        ("services", "icmp/8", "only tcp, udp and sctp"),
        ("services", "http/80", "unknown protocol"),
        ("reason", " ", "Give the reason"),
        ("expires", None, "Give the date"),
    ],
)
def test_bad_input_is_refused_field_by_field(tsuru, field, value, message):
    with pytest.raises(ValidationError) as caught:
        _request(tsuru, **{field: value})
    assert any(message in m for m in caught.value.message_dict[field])
    assert not PolicyException.objects.exists()


def test_an_exception_lasts_at_most_a_year_and_never_ends_in_the_past(tsuru):
    with pytest.raises(ValidationError, match="at most one year"):
        _request(tsuru, expires=TODAY() + datetime.timedelta(days=366))
    with pytest.raises(ValidationError, match="in the past"):
        _request(tsuru, expires=TODAY() - datetime.timedelta(days=1))
    assert _request(tsuru, expires=TODAY() + datetime.timedelta(days=365)).pk


def test_staff_cannot_request_and_an_administrator_cannot_approve(tsuru):
    with pytest.raises(PermissionDenied):
        _request(tsuru, actor=tsuru.staff)
    exception = _request(tsuru)
    with pytest.raises(PermissionDenied):
        services.approve_exception(tsuru.admin, exception)
    exception.refresh_from_db()
    assert exception.status == "requested"


def test_another_person_approves(tsuru, ciso):
    exception = services.approve_exception(ciso, _request(tsuru), note="承認")
    assert exception.status == "approved" and exception.approved_by == ciso
    assert exception.approved_at is not None and exception.decision_note == "承認"
    entry = JournalEntry.objects.get(action="network.exception_approved")
    assert entry.after["status"] == "approved"


def test_the_requester_never_approves_their_own_request(tsuru, ciso):
    # given: the lead security officer (who may also approve) asks for an exception
    exception = _request(tsuru, actor=tsuru.lead)
    # when / then: 兼務の禁止
    with pytest.raises(SeparationOfDutiesError):
        services.approve_exception(tsuru.lead, exception)
    with pytest.raises(SeparationOfDutiesError):
        services.reject_exception(tsuru.lead, exception, note="x")
    exception.refresh_from_db()
    assert exception.status == "requested"
    assert not JournalEntry.objects.filter(action="network.exception_approved").exists()


def test_a_deputy_cannot_approve_what_the_holder_asked_for(tsuru):
    # given: the lead asks; another lead-role holder's deputy is the lead's own person
    from isms.core import delegation
    from isms.core.models import RoleAssignment

    holder = make_user(tsuru.municipality, "ciso-d", roles=(Role.CISO,), unit=tsuru.unit)
    deputy = make_user(tsuru.municipality, "deputy-d", unit=tsuru.unit)
    delegation.create_delegation(
        holder,
        RoleAssignment.objects.get(person__user=holder),
        Person.objects.get(user=deputy),
        start_date=TODAY(),
        end_date=TODAY(),
        reason="出張",
    )
    exception = _request(
        tsuru, actor=make_user(tsuru.municipality, "req", roles=(Role.LEAD_SECURITY_OFFICER,))
    )
    exception.requested_by = holder
    exception.save()
    # when / then
    with pytest.raises(SeparationOfDutiesError):
        services.approve_exception(type(deputy).objects.get(pk=deputy.pk), exception)


def test_a_rejection_needs_a_reason_and_a_decision_is_final(tsuru, ciso):
    exception = _request(tsuru)
    with pytest.raises(ValidationError, match="Say why"):
        services.reject_exception(ciso, exception, note="")
    services.reject_exception(ciso, exception, note="代替手段あり")
    with pytest.raises(ValidationError, match="not awaiting a decision"):
        services.approve_exception(ciso, exception)
    exception.refresh_from_db()
    assert exception.status == "rejected"


def test_the_requester_withdraws(tsuru, ciso):
    exception = _request(tsuru)
    other = _request(tsuru, actor=tsuru.admin)
    assert services.withdraw_exception(tsuru.lead, exception).status == "withdrawn"
    with pytest.raises(ValidationError, match="no longer in force"):
        services.withdraw_exception(tsuru.lead, exception)
    # an administrator who neither asked nor approves cannot withdraw another's request
    third = _request(tsuru)
    with pytest.raises(ValidationError, match="Only the person"):
        services.withdraw_exception(tsuru.admin, third)
    assert other.status == "requested"


def test_engine_exceptions_are_the_approved_unexpired_ones(tsuru, ciso):
    approved = services.approve_exception(ciso, _request(tsuru))
    _request(tsuru)  # requested only
    ended = services.approve_exception(ciso, _request(tsuru))
    PolicyException.objects.filter(pk=ended.pk).update(expires=TODAY() - datetime.timedelta(days=1))
    values = services.engine_exceptions(tsuru.municipality.pk, TODAY())
    assert [e.id for e in values] == [approved.number]
    value = values[0]
    assert value.sources == ((0xAC100800, 24),) and value.destinations == ((0x0A14010A, 32),)
    assert value.services[0].protocol == 6 and value.services[0].ports == ((443, 443),)


# --- expiry reminders -----------------------------------------------------------------------


def test_the_daily_task_reminds_once_and_expires_ended_exceptions(tsuru, ciso, settings):
    # given
    settings.DEFAULT_FROM_EMAIL = "isms@tsuru.example"
    Person.objects.filter(user=tsuru.lead).update(email="lead@tsuru.example")
    Person.objects.filter(user=ciso).update(email="ciso@tsuru.example")
    soon = services.approve_exception(
        ciso, _request(tsuru, expires=TODAY() + datetime.timedelta(days=10))
    )
    later = services.approve_exception(
        ciso, _request(tsuru, expires=TODAY() + datetime.timedelta(days=60))
    )
    ended = services.approve_exception(ciso, _request(tsuru))
    PolicyException.objects.filter(pk=ended.pk).update(expires=TODAY() - datetime.timedelta(days=1))
    # when
    from isms.assets.network.tasks import remind_network_exceptions_daily

    result = remind_network_exceptions_daily.call_local()
    again = services.expire_and_remind()
    # then
    assert tuple(result) == (1, 1) and again == (0, 0)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["ciso@tsuru.example", "lead@tsuru.example"]
    assert message.from_email == "isms@tsuru.example"
    assert soon.number in message.subject and soon.number in message.body
    for e, status, reminded in (
        (soon, "approved", True),
        (later, "approved", False),
        (ended, "expired", False),
    ):
        e.refresh_from_db()
        assert e.status == status and (e.reminded_at is not None) == reminded
    assert JournalEntry.objects.filter(action="network.exception_reminded").count() == 1
    assert JournalEntry.objects.filter(action="network.exception_expired").count() == 1


def test_a_reminder_without_addresses_is_still_journaled(tsuru, ciso):
    services.approve_exception(ciso, _request(tsuru, expires=TODAY() + datetime.timedelta(days=3)))
    assert services.expire_and_remind() == (0, 1)
    assert mail.outbox == []
    assert JournalEntry.objects.get(action="network.exception_reminded").after["recipients"] == 0


def test_a_reminder_that_cannot_be_sent_is_tried_again_tomorrow(tsuru, ciso, monkeypatch):
    # given: no mail server
    from isms.assets.network import services as network_services

    def refused(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionRefusedError("no smtp")

    Person.objects.filter(user=tsuru.lead).update(email="lead@tsuru.example")
    e = services.approve_exception(
        ciso, _request(tsuru, expires=TODAY() + datetime.timedelta(days=3))
    )
    monkeypatch.setattr(network_services, "send_mail", refused)
    # when
    result = services.expire_and_remind()
    # then
    e.refresh_from_db()
    assert result == (0, 0) and e.reminded_at is None
    assert not JournalEntry.objects.filter(action="network.exception_reminded").exists()
