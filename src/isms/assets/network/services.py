"""Every write of the network checks: uploads, checks asked for, the 例外措置 register, reminders.

Each service checks the permission, validates what the models cannot, saves inside
``transaction.atomic()`` and journals in the same transaction; a refusal raises
``ValidationError`` (keyed by the form's field) or ``PermissionDenied`` and changes nothing.
Called with ``actor=None`` (a task) the work is journaled as ``system:network``.
"""

from __future__ import annotations

import datetime
import logging
import re
import shutil
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from smtplib import SMTPException

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from isms.core import journal, permissions
from isms.core.models import Municipality, Person, User
from isms.core.permissions import Action, SeparationOfDutiesError
from isms.segments.addresses import format_prefix, parse_prefix
from isms.segments.model import PolicyException as EnginePolicyException
from isms.segments.model import Service
from isms.segments.parsers.names import PROTOCOLS

from ..models import NetworkCheck, NetworkSnapshot, NetworkViolation, PolicyException
from .uploads import read_upload

__all__ = [
    "MAX_EXCEPTION_DAYS",
    "REMIND_DAYS",
    "Comparison",
    "approve_exception",
    "compare",
    "engine_exceptions",
    "expire_and_remind",
    "parse_prefixes",
    "parse_services",
    "reject_exception",
    "request_check",
    "request_exception",
    "upload_snapshot",
    "withdraw_exception",
]

logger = logging.getLogger(__name__)

MAX_EXCEPTION_DAYS = 365
REMIND_DAYS = 30
REASON_MAX = 2000
NAME_MAX = 200
_PORT_PROTOCOLS = frozenset({6, 17, 132})
_SPLIT = re.compile(r"[\s,、，;]+")
SYSTEM = "network"


def _person(user: User | None) -> Person | None:
    if user is None:
        return None
    return Person.objects.filter(user=user).first()


def _snapshot_data(snapshot: NetworkSnapshot) -> dict[str, object]:
    return {
        "name": snapshot.name,
        "model_file": snapshot.model_file,
        "files": len(snapshot.files),
        "size": snapshot.size,
    }


# --- uploads and checks -----------------------------------------------------------------------


def upload_snapshot(
    actor: User | None,
    municipality: Municipality,
    *,
    name: str,
    uploaded: list[tuple[str, bytes]],
    run: bool = True,
) -> tuple[NetworkSnapshot, NetworkCheck | None]:
    """Keep an uploaded network (see ``uploads``) and, with ``run``, queue its first check."""
    if actor is not None:
        permissions.require(actor, Action.RUN_NETWORK_CHECKS, municipality=municipality)
    label = (name or "").strip()
    upload = read_upload(uploaded)
    if not label:
        label = upload.model_file
    if len(label) > NAME_MAX:
        raise ValidationError({"name": _("Enter at most %(max)d characters.") % {"max": NAME_MAX}})
    folder = None
    try:
        with transaction.atomic():
            snapshot = NetworkSnapshot.objects.create(
                municipality=municipality,
                name=label,
                uploaded_by=actor,
                model_file=upload.model_file,
                files=sorted(upload.files),
                size=upload.size,
            )
            folder = snapshot.folder
            if folder.exists():  # left over by a database that was reset
                shutil.rmtree(folder)
            for path, data in upload.files.items():
                target = folder / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            journal.record(
                actor=actor,
                system=SYSTEM if actor is None else None,
                action="network.upload",
                obj=snapshot,
                after=_snapshot_data(snapshot),
            )
    except BaseException:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    check = request_check(actor, snapshot) if run else None
    return snapshot, check


def request_check(actor: User | None, snapshot: NetworkSnapshot) -> NetworkCheck:
    """Queue a check of ``snapshot`` (the task runs the verifier; see ``checks.run``)."""
    if actor is not None:
        permissions.require(actor, Action.RUN_NETWORK_CHECKS, snapshot)
    with transaction.atomic():
        check = NetworkCheck.objects.create(
            municipality_id=snapshot.municipality_id, snapshot=snapshot, requested_by=actor
        )
        journal.record(
            actor=actor,
            system=SYSTEM if actor is None else None,
            action="network.check_requested",
            obj=check,
            after={"snapshot": snapshot.name},
        )
    from .tasks import run_network_check

    run_network_check(check.pk)
    check.refresh_from_db()
    return check


# --- comparing two checks ------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """Violations of ``after`` that are new, gone since ``before``, or still there."""

    before: NetworkCheck
    after: NetworkCheck
    new: list[NetworkViolation]
    resolved: list[NetworkViolation]
    unchanged: list[NetworkViolation]


def compare(before: NetworkCheck, after: NetworkCheck) -> Comparison:
    """Compare two checks by the violations' fingerprints (zones, destinations, services)."""
    old = {v.fingerprint: v for v in before.violations.all()}
    new = {v.fingerprint: v for v in after.violations.all()}
    return Comparison(
        before=before,
        after=after,
        new=[v for f, v in new.items() if f not in old],
        resolved=[v for f, v in old.items() if f not in new],
        unchanged=[v for f, v in new.items() if f in old],
    )


# --- the 例外措置 register ---------------------------------------------------------------------


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def parse_prefixes(text: str, field: str) -> list[tuple[int, int]]:
    """Return the prefixes of ``text`` (addresses or ``a.b.c.d/n``, separated by commas or
    spaces), refusing anything the verifier would refuse in an exception."""
    items = [i for i in _SPLIT.split(_normalise(text)) if i]
    if not items:
        raise ValidationError(
            {field: _("Enter the addresses of the approved flow, e.g. 172.16.8.0/24, 10.20.1.10.")}
        )
    out = []
    for item in items:
        try:
            network, length = parse_prefix(item, strict=True)
        except ValueError:
            raise ValidationError(
                {
                    field: _(
                        "“%(value)s” is not an IPv4 address or range (a range is written as its "
                        "network, e.g. 10.20.1.0/24)."
                    )
                    % {"value": item[:60]}
                }
            ) from None
        if length < 8:
            raise ValidationError(
                {
                    field: _(
                        "“%(value)s” is too wide: an exception names specific hosts or "
                        "subnets (prefix length 8 or more)."
                    )
                    % {"value": item[:60]}
                }
            )
        out.append((network, length))
    return out


def _format_prefixes(prefixes: Iterable[tuple[int, int]]) -> str:
    return ", ".join(format_prefix(n, length) for n, length in prefixes)


def parse_services(text: str, field: str = "services") -> list[Service]:
    """Return the services of ``text``: ``tcp/443``, ``udp/53``, ``tcp/8000-8080``, ``icmp``,
    separated by commas or spaces. TCP, UDP and SCTP need their destination ports."""
    items = [i for i in _SPLIT.split(_normalise(text).lower()) if i]
    if not items:
        raise ValidationError({field: _("Enter the services of the approved flow, e.g. tcp/443.")})
    out = []
    for item in items:
        name, _sep, ports_text = item.partition("/")
        protocol = PROTOCOLS.get(name)
        if protocol is None and name.isdigit() and 0 <= int(name) <= 255:
            protocol = int(name)
        if protocol is None:
            raise ValidationError(
                {
                    field: _(
                        "“%(value)s”: unknown protocol. Write tcp/PORT, udp/PORT, sctp/PORT or "
                        "a protocol name such as icmp."
                    )
                    % {"value": item[:60]}
                }
            )
        ports: list[tuple[int, int]] = []
        if ports_text:
            first_text, _dash, last_text = ports_text.partition("-")
            try:
                first, last = int(first_text), int(last_text or first_text)
            except ValueError:
                first, last = -1, -1
            if not (0 <= first <= last <= 65535):
                raise ValidationError(
                    {
                        field: _("“%(value)s”: write a port (443) or a range (8000-8080).")
                        % {"value": item[:60]}
                    }
                )
            if protocol not in _PORT_PROTOCOLS:
                raise ValidationError(
                    {
                        field: _("“%(value)s”: only tcp, udp and sctp have ports.")
                        % {"value": item[:60]}
                    }
                )
            ports.append((first, last))
        elif protocol in _PORT_PROTOCOLS:
            raise ValidationError(
                {
                    field: _(
                        "“%(value)s”: give the destination port, e.g. %(name)s/443: an "
                        "exception names the ports of the approved flow."
                    )
                    % {"value": item[:60], "name": name}
                }
            )
        out.append(Service(protocol, tuple(ports)))
    return out


def _format_services(text: str) -> str:
    return ", ".join(i for i in _SPLIT.split(_normalise(text).lower()) if i)


def _exception_data(e: PolicyException) -> dict[str, object]:
    return {
        "number": e.number,
        "sources": e.sources,
        "destinations": e.destinations,
        "services": e.services,
        "reason": e.reason,
        "expires": e.expires.isoformat(),
        "status": e.status,
    }


def _next_number(municipality: Municipality, today: datetime.date) -> str:
    prefix = f"EX-{today.year}-"
    numbers = PolicyException.objects.filter(
        municipality=municipality, number__startswith=prefix
    ).values_list("number", flat=True)
    last = max((int(n[len(prefix) :]) for n in numbers if n[len(prefix) :].isdigit()), default=0)
    return f"{prefix}{last + 1:03d}"


def request_exception(
    actor: User,
    municipality: Municipality,
    *,
    sources: str,
    destinations: str,
    services: str,
    reason: str,
    expires: datetime.date | None,
) -> PolicyException:
    """Ask for a 例外措置 for one flow; another person must approve it."""
    capacity = permissions.require(
        actor, Action.MANAGE_NETWORK_EXCEPTIONS, municipality=municipality
    )
    errors: dict[str, list[str]] = {}
    values: dict[str, str] = {}
    for field, text in (("sources", sources), ("destinations", destinations)):
        try:
            values[field] = _format_prefixes(parse_prefixes(text, field))
        except ValidationError as exc:
            errors.update(exc.message_dict)
    try:
        parse_services(services)
        values["services"] = _format_services(services)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    text = (reason or "").strip()
    if not text:
        errors["reason"] = [_("Give the reason for the exception (which business needs it).")]
    elif len(text) > REASON_MAX:
        errors["reason"] = [_("Enter at most %(max)d characters.") % {"max": REASON_MAX}]
    today = timezone.localdate()
    if expires is None:
        errors["expires"] = [_("Give the date the exception ends (at most one year from today).")]
    elif expires < today:
        errors["expires"] = [_("The end date is in the past.")]
    elif expires > today + datetime.timedelta(days=MAX_EXCEPTION_DAYS):
        errors["expires"] = [
            _("An exception lasts at most one year: choose %(last)s or earlier.")
            % {"last": (today + datetime.timedelta(days=MAX_EXCEPTION_DAYS)).isoformat()}
        ]
    if errors:
        raise ValidationError(errors)
    assert expires is not None
    for _attempt in range(3):
        try:
            with transaction.atomic():
                exception = PolicyException.objects.create(
                    municipality=municipality,
                    number=_next_number(municipality, today),
                    reason=text,
                    requested_by=actor,
                    expires=expires,
                    **values,
                )
                journal.record(
                    actor=actor,
                    action="network.exception_requested",
                    obj=exception,
                    after=_exception_data(exception),
                    on_behalf_of=capacity.label,
                )
            return exception
        except IntegrityError:  # two requests took the same number at once: take the next
            continue
    raise ValidationError(_("The register is busy; try again."))


def _decide(
    actor: User, exception: PolicyException, *, approve: bool, note: str
) -> PolicyException:
    capacity = permissions.require(actor, Action.APPROVE_NETWORK_EXCEPTIONS, exception)
    if exception.requested_by_id == actor.pk:
        raise SeparationOfDutiesError(
            _(
                "You asked for this exception yourself; another person must decide on it "
                "(兼務の禁止)."
            ),
            code="sod_applicant_approver",
        )
    permissions.check_separation(
        applicant=_person(exception.requested_by),
        approver=_person(actor),
        subject=f"network-exception:{exception.pk}",
        on_behalf_of=capacity.on_behalf_of,
    )
    text = (note or "").strip()
    if len(text) > REASON_MAX:
        raise ValidationError(
            {"note": _("Enter at most %(max)d characters.") % {"max": REASON_MAX}}
        )
    if not approve and not text:
        raise ValidationError({"note": _("Say why the exception is rejected.")})
    with transaction.atomic():
        exception = PolicyException.objects.select_for_update().get(pk=exception.pk)
        if exception.status != PolicyException.Status.REQUESTED:
            raise ValidationError(_("This exception is not awaiting a decision."))
        if approve and exception.expires < timezone.localdate():
            raise ValidationError(
                _("This exception's end date has passed; ask for a new one with a new end date.")
            )
        before = _exception_data(exception)
        exception.status = (
            PolicyException.Status.APPROVED if approve else PolicyException.Status.REJECTED
        )
        exception.approved_by = actor
        exception.approved_at = timezone.now()
        exception.approved_on_behalf_of = capacity.label
        exception.decision_note = text
        exception.save()
        journal.record(
            actor=actor,
            action="network.exception_approved" if approve else "network.exception_rejected",
            obj=exception,
            before=before,
            after=_exception_data(exception),
            on_behalf_of=capacity.label,
        )
    return exception


def approve_exception(
    actor: User, exception: PolicyException, *, note: str = ""
) -> PolicyException:
    """Approve a requested exception (the CISO, deputy CISO or lead; never the requester)."""
    return _decide(actor, exception, approve=True, note=note)


def reject_exception(actor: User, exception: PolicyException, *, note: str) -> PolicyException:
    """Reject a requested exception, saying why."""
    return _decide(actor, exception, approve=False, note=note)


def withdraw_exception(actor: User, exception: PolicyException) -> PolicyException:
    """The requester withdraws their request, or ends an approved exception early."""
    capacity = permissions.require(actor, Action.MANAGE_NETWORK_EXCEPTIONS, exception)
    if exception.requested_by_id != actor.pk and not permissions.can(
        actor, Action.APPROVE_NETWORK_EXCEPTIONS, exception
    ):
        raise ValidationError(
            _("Only the person who asked for it, or an approver, can withdraw it.")
        )
    with transaction.atomic():
        exception = PolicyException.objects.select_for_update().get(pk=exception.pk)
        if exception.status not in (
            PolicyException.Status.REQUESTED,
            PolicyException.Status.APPROVED,
        ):
            raise ValidationError(_("This exception is no longer in force or requested."))
        before = _exception_data(exception)
        exception.status = PolicyException.Status.WITHDRAWN
        exception.save(update_fields=["status"])
        journal.record(
            actor=actor,
            action="network.exception_withdrawn",
            obj=exception,
            before=before,
            after=_exception_data(exception),
            on_behalf_of=capacity.label,
        )
    return exception


def engine_exceptions(
    municipality_id: int, today: datetime.date
) -> tuple[EnginePolicyException, ...]:
    """Return the register's approved, unexpired exceptions as the verifier's values."""
    rows = PolicyException.objects.filter(
        municipality_id=municipality_id,
        status=PolicyException.Status.APPROVED,
        expires__gte=today,
    ).select_related("approved_by")
    out = []
    for e in rows.order_by("number"):
        out.append(
            EnginePolicyException(
                id=e.number,
                sources=tuple(parse_prefixes(e.sources, "sources")),
                destinations=tuple(parse_prefixes(e.destinations, "destinations")),
                services=tuple(parse_services(e.services)),
                reason=e.reason,
                approver=str(_person(e.approved_by) or e.approved_by or ""),
                expires=e.expires,
            )
        )
    return tuple(out)


# --- expiry ------------------------------------------------------------------------------------


def _addresses(*users: User | None) -> list[str]:
    found: list[str] = []
    for user in users:
        if user is None:
            continue
        person = _person(user)
        email = (person.email if person is not None and person.email else "") or user.email
        if email and email not in found:
            found.append(email)
    return found


def expire_and_remind(today: datetime.date | None = None) -> tuple[int, int]:
    """Mark exceptions past their end date expired; remind the requester and approver of the
    approved ones ending within :data:`REMIND_DAYS` (once). Returns (expired, reminded)."""
    today = today or timezone.localdate()
    expired = 0
    for e in PolicyException.objects.filter(
        status=PolicyException.Status.APPROVED, expires__lt=today
    ):
        with transaction.atomic():
            before = _exception_data(e)
            e.status = PolicyException.Status.EXPIRED
            e.save(update_fields=["status"])
            journal.record(
                actor=None,
                system=SYSTEM,
                action="network.exception_expired",
                obj=e,
                before=before,
                after=_exception_data(e),
            )
        expired += 1
    reminded = 0
    due = PolicyException.objects.filter(
        status=PolicyException.Status.APPROVED,
        expires__gte=today,
        expires__lte=today + datetime.timedelta(days=REMIND_DAYS),
        reminded_at__isnull=True,
    ).select_related("municipality", "requested_by", "approved_by")
    for e in due:
        recipients = _addresses(e.requested_by, e.approved_by)
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("[ISMS] Exception %(number)s ends on %(date)s") % {
                "number": e.number,
                "date": e.expires.isoformat(),
            }
            body = _(
                "The exception (例外措置) %(number)s of %(municipality)s ends on %(date)s "
                "(in %(days)d days).\n\nFlow: %(sources)s → %(destinations)s, %(services)s\n"
                "Reason: %(reason)s\n\nIf the flow is still needed, ask for a new exception "
                "before then; otherwise remove the firewall rules that allow it. After the end "
                "date the network check reports the flow as a violation."
            ) % {
                "number": e.number,
                "municipality": e.municipality.name,
                "date": e.expires.isoformat(),
                "days": (e.expires - today).days,
                "sources": e.sources,
                "destinations": e.destinations,
                "services": e.services,
                "reason": e.reason,
            }
        if recipients:
            try:
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
            except (OSError, SMTPException):
                # No mail server reachable: not marked, so tomorrow's run tries again.
                logger.exception("reminder of exception %s could not be sent", e.number)
                continue
        with transaction.atomic():
            e.reminded_at = timezone.now()
            e.save(update_fields=["reminded_at"])
            journal.record(
                actor=None,
                system=SYSTEM,
                action="network.exception_reminded",
                obj=e,
                after={"number": e.number, "recipients": len(recipients)},
            )
        reminded += 1
    return expired, reminded
