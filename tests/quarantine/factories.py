"""Quarantined mail for the web tests: originals stored through the engine's store, rows
through the adapter, as the gateway and the periodic import would do it."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from django.utils import timezone

from isms.core.models import Municipality, User
from isms.quarantine import adapter
from isms.quarantine.models import QuarantinedMessage, RecipientDomain, Release
from isms.sanitizer import Policy, sanitize_message

SENDER = "sender@internet.test"


def mail(subject: str, *, attachment: bool = False) -> bytes:
    """A small Internet mail; with ``attachment`` an executable that holds it."""
    head = (
        f"From: {SENDER}\r\nTo: tanaka@lgwan.test\r\nSubject: {subject}\r\n"
        f"Message-ID: <{abs(hash(subject))}@internet.test>\r\nMIME-Version: 1.0\r\n"
    ).encode()
    if not attachment:
        return head + b"Content-Type: text/plain; charset=UTF-8\r\n\r\nhello\r\n"
    return head + (
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\n\r\nsee attachment\r\n--b\r\n"
        b"Content-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="run.exe"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        b"TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAA=\r\n--b--\r\n"
    )


def domain_of(municipality: Municipality) -> str:
    return f"m{municipality.pk}.lgwan.test"


def store_mail(
    raw: bytes, recipients: list[str], *, received_at: dt.datetime | None = None
) -> tuple[str, dt.datetime]:
    """Store ``raw`` as the gateway does; return its SHA-256 and reception time."""
    result = sanitize_message(raw, policy=Policy())
    result = replace(result, quarantine_id=result.original_sha256)
    received = received_at or timezone.now()
    adapter.store().store(raw, result, received_at=received, sender=SENDER, recipients=recipients)
    return result.original_sha256, received


def quarantine(
    municipality: Municipality,
    subject: str = "請求書の送付",
    *,
    attachment: bool = True,
    received_at: dt.datetime | None = None,
) -> QuarantinedMessage:
    """Store a mail for ``municipality``'s recipient and index it; return its row."""
    domain = domain_of(municipality)
    RecipientDomain.objects.get_or_create(domain=domain, defaults={"municipality": municipality})
    sha, received = store_mail(
        mail(subject, attachment=attachment), [f"tanaka@{domain}"], received_at=received_at
    )
    store = adapter.store()
    record = next(
        r
        for r in reversed(store.records(sha))
        if dt.datetime.fromisoformat(r["received_at"]) == received
    )
    [row], _unmapped = adapter.rows_for(sha, record, {domain: municipality.pk})
    row.save()
    return row


def pending_release(message: QuarantinedMessage, requester: User) -> Release:
    return Release.objects.create(
        message=message,
        kind=Release.Kind.ORIGINAL,
        state=Release.State.PENDING,
        reason="差出人に確認済み",
        requested_by=requester,
    )
