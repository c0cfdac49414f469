"""Releases and the quarantine's housekeeping: permission check, change and journal entry in
one transaction; refusals raise ``ValidationError`` / ``PermissionDenied`` with Japanese text
and change nothing."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from isms.core import journal, permissions
from isms.core.models import Person, User
from isms.core.permissions import Action, SeparationOfDutiesError

from . import adapter
from .models import QuarantinedMessage, Release

REASON_MAX = 2000


def _reason(text: str, *, required: bool) -> str:
    reason = (text or "").strip()
    if required and not reason:
        raise ValidationError(
            {"reason": _("Give the reason for releasing the original (who asked, and why).")}
        )
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {
                "reason": _("The reason is too long (at most %(max)d characters).")
                % {"max": REASON_MAX}
            }
        )
    return reason


def _person(user: User) -> Person | None:
    return Person.objects.filter(user=user).first()


def _failed(exc: adapter.ReleaseFailed) -> ValidationError:
    return ValidationError(
        _(
            "The message could not be delivered (%(detail)s). Nothing was released; "
            "try again later or ask the mail administrator."
        )
        % {"detail": str(exc)[:200]}
    )


def _snapshot(release: Release) -> dict[str, object]:
    return {
        "message": release.message.receipt,
        "kind": release.kind,
        "state": release.state,
        "reason": release.reason,
        "recipients": release.message.recipients,
    }


def release_derivative(actor: User, message: QuarantinedMessage, *, reason: str = "") -> Release:
    """Deliver the sanitized derivative (held files removed) to the message's recipients."""
    capacity = permissions.require(actor, Action.RELEASE_QUARANTINE, message)
    text = _reason(reason, required=False)
    try:
        data = adapter.derivative(message)
    except adapter.ReleaseFailed as exc:
        raise _failed(exc) from None
    if data is None:
        raise ValidationError(
            _(
                "No sanitized version can be made of this message (it is malformed or "
                "dangerous as a whole). Only the original can be released, with a second "
                "approver."
            )
        )
    with transaction.atomic():
        release = Release.objects.create(
            message=message,
            kind=Release.Kind.DERIVATIVE,
            state=Release.State.DONE,
            reason=text,
            requested_by=actor,
            approved_by=actor,
            approved_on_behalf_of=capacity.label,
            released_at=timezone.now(),
        )
        # Deliver before journaling: the journal's head lock is taken last and held for
        # milliseconds, never across a delivery. A failed delivery rolls the release back.
        try:
            adapter.deliver(data, message.sender, message.recipients)
        except adapter.ReleaseFailed as exc:
            raise _failed(exc) from None
        journal.record(
            actor=actor,
            action="quarantine.release_derivative",
            obj=release,
            municipality=message.municipality_id,
            after=_snapshot(release),
            on_behalf_of=capacity.label,
        )
    return release


def request_original(actor: User, message: QuarantinedMessage, *, reason: str) -> Release:
    """Ask for the original to be released; a second person must approve it."""
    capacity = permissions.require(actor, Action.RELEASE_QUARANTINE, message)
    text = _reason(reason, required=True)
    with transaction.atomic():
        # Lock the message so that two requests at once cannot both open a pending release.
        QuarantinedMessage.objects.select_for_update().filter(pk=message.pk).first()
        if message.releases.filter(
            kind=Release.Kind.ORIGINAL, state=Release.State.PENDING
        ).exists():
            raise ValidationError(
                _("The release of this original is already awaiting a second approver.")
            )
        release = Release.objects.create(
            message=message,
            kind=Release.Kind.ORIGINAL,
            state=Release.State.PENDING,
            reason=text,
            requested_by=actor,
        )
        journal.record(
            actor=actor,
            action="quarantine.request_original",
            obj=release,
            municipality=message.municipality_id,
            after=_snapshot(release),
            on_behalf_of=capacity.label,
        )
    return release


def approve_original(actor: User, release: Release) -> Release:
    """As a second person, approve the release of the original and deliver it."""
    message = release.message
    capacity = permissions.require(actor, Action.RELEASE_QUARANTINE, message)
    if release.kind != Release.Kind.ORIGINAL or release.state != Release.State.PENDING:
        raise ValidationError(_("This release is not awaiting approval."))
    if release.requested_by_id == actor.pk:
        raise SeparationOfDutiesError(
            _("You asked for this release yourself; another person must approve it (兼務の禁止)."),
            code="sod_applicant_approver",
        )
    # A deputy may not approve what the holder they stand in for asked for, nor their own.
    permissions.check_separation(
        applicant=_person(release.requested_by),
        approver=_person(actor),
        subject=f"quarantine-release:{release.pk}",
        on_behalf_of=capacity.on_behalf_of,
    )
    try:
        data = adapter.original(message)
    except adapter.ReleaseFailed as exc:
        raise _failed(exc) from None
    with transaction.atomic():
        # Two approvals at once (two approvers, or a double click) must not deliver twice:
        # re-read the release under a row lock and check it is still pending.
        release = Release.objects.select_for_update().select_related("message").get(pk=release.pk)
        if release.state != Release.State.PENDING:
            raise ValidationError(_("This release is not awaiting approval."))
        before = _snapshot(release)
        release.state = Release.State.DONE
        release.approved_by = actor
        release.approved_on_behalf_of = capacity.label
        release.released_at = timezone.now()
        release.save(update_fields=["state", "approved_by", "approved_on_behalf_of", "released_at"])
        # Deliver before journaling (see release_derivative).
        try:
            adapter.deliver(data, message.sender, message.recipients)
        except adapter.ReleaseFailed as exc:
            raise _failed(exc) from None
        journal.record(
            actor=actor,
            action="quarantine.release_original",
            obj=release,
            municipality=message.municipality_id,
            before=before,
            after=_snapshot(release),
            on_behalf_of=capacity.label,
        )
    return release


def import_new() -> adapter.ImportReport:
    """Index the gateway's new metadata records (a periodic task); journaled per municipality."""
    with transaction.atomic():
        before = set(QuarantinedMessage.objects.values_list("pk", flat=True))
        report = adapter.import_new()
        added = QuarantinedMessage.objects.exclude(pk__in=before)
        counts: dict[int, int] = {}
        for mid in added.values_list("municipality_id", flat=True):
            counts[mid] = counts.get(mid, 0) + 1
        for mid, count in sorted(counts.items()):
            journal.record(
                actor=None,
                system="quarantine.import",
                action="quarantine.import",
                municipality=mid,
                object_type="quarantine.quarantinedmessage",
                after={"imported": count},
            )
    return report


def purge_expired(now: dt.datetime | None = None) -> tuple[int, int]:
    """Apply the retention period (a periodic task); journaled per municipality."""
    now = now or timezone.now()
    with transaction.atomic():
        expired = QuarantinedMessage.objects.filter(retain_until__lt=now)
        counts: dict[int, int] = {}
        for mid in expired.values_list("municipality_id", flat=True):
            counts[mid] = counts.get(mid, 0) + 1
        result = adapter.purge(now)
        for mid, count in sorted(counts.items()):
            journal.record(
                actor=None,
                system="quarantine.purge",
                action="quarantine.purge",
                municipality=mid,
                object_type="quarantine.quarantinedmessage",
                after={"removed": count},
            )
    return result
