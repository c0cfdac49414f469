"""The one file that knows both sides: the engine's quarantine (``isms.sanitizer``) and the
web app's rows (``QuarantinedMessage``).

- ``import_new`` turns the gateway's metadata records into rows, one per reception and
  municipality (recipients grouped by ``RecipientDomain``; recipients of unknown domains are
  skipped and counted);
- ``original`` and ``derivative`` give the bytes to release;
- ``deliver`` hands them to the configured next hop (``ISMS_QUARANTINE_RELEASE_TO``:
  ``smtp:HOST:PORT`` — Postfix's re-injection port, no filter — or ``dir:PATH`` for tests);
- ``purge`` applies the retention period to the folder and the rows.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from isms.sanitizer import (
    AttachmentAction,
    Policy,
    QuarantineStore,
    Verdict,
    load_policy,
    sanitize_message,
)
from isms.sanitizer.policy import ALLOWED_ACTIONS
from isms.sanitizer.relay import NextHop, NextHopRefused

from .models import QuarantinedMessage, RecipientDomain


class ReleaseFailed(Exception):
    """The bytes could not be read or handed on; the message says why (for the log)."""


def store() -> QuarantineStore:
    root = Path(settings.QUARANTINE_DIR)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return QuarantineStore(root, retention_days=settings.QUARANTINE_RETENTION_DAYS)


def policy() -> Policy:
    path = settings.SANITIZER_POLICY
    return load_policy(path) if path else Policy()


def _header(record: dict[str, Any], name: str) -> str:
    for key, value in record.get("headers", []):
        if str(key).lower() == name:
            return str(value)
    return ""


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip("<> ").lower()


@dataclass
class ImportReport:
    created: int = 0
    unmapped: int = 0


def rows_for(
    sha256: str, record: dict[str, Any], domains: dict[str, int]
) -> tuple[list[QuarantinedMessage], int]:
    """Return the unsaved rows for one metadata record, and how many recipients had no
    municipality."""
    envelope = record.get("envelope") or {}
    recipients = list(envelope.get("recipients") or [])
    by_municipality: dict[int, list[str]] = {}
    unmapped = 0
    for rcpt in recipients:
        mid = domains.get(_domain(rcpt))
        if mid is None:
            unmapped += 1
        else:
            by_municipality.setdefault(mid, []).append(rcpt)
    received = dt.datetime.fromisoformat(record["received_at"])
    codes = sorted({r["code"] for r in record.get("reasons", [])})
    rows = [
        QuarantinedMessage(
            municipality_id=mid,
            sha256=sha256,
            received_at=received,
            retain_until=dt.datetime.fromisoformat(record["retain_until"]),
            sender=str(envelope.get("sender") or _header(record, "from"))[:998],
            recipients=rcpts,
            subject=_header(record, "subject"),
            message_id=_header(record, "message-id")[:998],
            verdict=record["verdict"],
            reason_codes=f" {' '.join(codes)} " if codes else "",
            size=int(record.get("original", {}).get("size", 0)),
            manifest=record,
        )
        for mid, rcpts in sorted(by_municipality.items())
    ]
    return rows, unmapped


def import_new() -> ImportReport:
    """Index every metadata record not yet imported; idempotent."""
    report = ImportReport()
    domains = dict(RecipientDomain.objects.values_list("domain", "municipality_id"))
    source = store()
    known = set(QuarantinedMessage.objects.values_list("municipality_id", "sha256", "received_at"))
    for sha256 in source.ids():
        for record in source.records(sha256):
            rows, unmapped = rows_for(sha256, record, domains)
            report.unmapped += unmapped
            new = [r for r in rows if (r.municipality_id, r.sha256, r.received_at) not in known]
            QuarantinedMessage.objects.bulk_create(new)
            report.created += len(new)
    return report


def original(message: QuarantinedMessage) -> bytes:
    try:
        return store().original(message.sha256)
    except Exception as exc:
        raise ReleaseFailed(str(exc)) from None


def _releasing_policy(base: Policy) -> Policy:
    """The policy with every ``hold`` for a kind of file replaced by ``delete`` where allowed:
    the derivative drops what was held instead of holding the whole message."""
    actions = {
        kind: AttachmentAction.delete
        if action is AttachmentAction.hold and AttachmentAction.delete in ALLOWED_ACTIONS[kind]
        else action
        for kind, action in base.attachments.items()
    }
    return Policy(
        subject_tag=base.subject_tag,
        held_subject_tag=base.held_subject_tag,
        prefer=base.prefer,
        links=base.links,
        limits=base.limits,
        attachments=actions,
        undecodable_text=base.undecodable_text,
        hold_on_type_mismatch=False,
        notice_includes_text=base.notice_includes_text,
    )


def derivative(message: QuarantinedMessage) -> bytes | None:
    """The sanitized derivative (held files deleted), or None if it would still be held."""
    result = sanitize_message(original(message), policy=_releasing_policy(policy()))
    if result.verdict is Verdict.held:
        return None
    return result.message


def deliver(raw: bytes, sender: str, recipients: Iterable[str]) -> None:
    target = settings.QUARANTINE_RELEASE_TO
    kind, _sep, where = target.partition(":")
    rcpts = list(recipients)
    if kind == "dir":
        folder = Path(where)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            name = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}"
            (folder / f"{name}.rcpt").write_text("\n".join(rcpts) + "\n", encoding="utf-8")
            (folder / f"{name}.eml").write_bytes(raw)
        except OSError as exc:
            raise ReleaseFailed(str(exc)) from None
        return
    host, _sep, port = where.rpartition(":")
    try:
        NextHop(host=host, port=int(port), timeout=30).send(sender, rcpts, raw)
    except (NextHopRefused, ValueError) as exc:
        raise ReleaseFailed(str(exc)) from None


def purge(now: dt.datetime) -> tuple[int, int]:
    """Remove expired receptions from the folder and their rows; return (originals, rows)."""
    removed = store().purge(now=now)
    _total, by_model = QuarantinedMessage.objects.filter(retain_until__lt=now).delete()
    return len(removed), by_model.get(QuarantinedMessage._meta.label, 0)
