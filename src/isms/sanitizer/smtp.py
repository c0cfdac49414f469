"""The SMTP edge, kept thin: the only module that imports aiosmtpd.

``SanitizingHandler.handle_DATA`` takes one message from Postfix (an after-queue
``content_filter``), and in a worker thread:

1. sanitizes it (``sanitize_message``; never raises for bad input, holds instead);
2. stores the original in the quarantine, fsynced (``QuarantineStore.store``);
3. hands the sanitized message (or the held notice) to the next hop (``NextHop.send``);

and only then answers 250. Any failure in 2 or 3, or any bug, answers 4xx: Postfix keeps
the message and retries, so a crash or kill at any moment loses nothing and nothing
unsanitized is delivered (the next hop only ever receives ``result.message``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from .engine import sanitize_message
from .policy import Policy
from .quarantine import QuarantineStore
from .relay import NextHop, NextHopRefused
from .result import SanitizeResult

__all__ = [
    "REPLY_NEXT_HOP_REJECTED",
    "REPLY_NEXT_HOP_TEMPFAIL",
    "REPLY_OK",
    "REPLY_SHUTTING_DOWN",
    "REPLY_TEMPFAIL",
    "Outcome",
    "SanitizingHandler",
    "smtp_factory",
]

# Replies (RFC 5321 4.2 codes, RFC 3463 enhanced status codes).
REPLY_OK = "250 2.0.0 Ok: sanitized as {receipt} ({verdict})"
REPLY_TEMPFAIL = "451 4.3.0 Sanitizer gateway: temporary failure, try again later"
"""Anything went wrong on our side (quarantine not writable, a bug): Postfix retries."""
REPLY_NEXT_HOP_TEMPFAIL = "451 4.4.2 Sanitizer gateway: next hop did not accept, try again later"
REPLY_NEXT_HOP_REJECTED = "554 5.6.0 Sanitizer gateway: next hop rejected the message: {detail}"
"""The next hop refused the sanitized message permanently: passed on, Postfix bounces."""
REPLY_SHUTTING_DOWN = "421 4.3.2 Sanitizer gateway shutting down, try again later"
DETAIL_MAX = 200
"""Characters of the next hop's reply repeated in ours (SMTP lines stay short)."""

logger = logging.getLogger("isms.sanitizer.gateway")


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What happened to one message: the reply given and the facts for the log line."""

    reply: str
    verdict: str | None = None
    sha256: str | None = None
    message_id: str | None = None
    holds: tuple[str, ...] = ()
    error: str | None = None


def _message_id(result: SanitizeResult) -> str | None:
    for name, value in result.headers:
        if name.lower() == "message-id":
            return value
    return None


def _one_line(text: str) -> str:
    return " ".join(text.split())[:DETAIL_MAX]


class SanitizingHandler:
    """aiosmtpd handler: sanitize, quarantine, re-inject, then reply (see the module doc)."""

    def __init__(
        self,
        *,
        policy: Policy,
        store: QuarantineStore,
        next_hop: NextHop,
        executor: Executor | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self.store = store
        self.next_hop = next_hop
        self.executor = executor
        self.clock = clock
        self.in_flight = 0
        self.closing = False

    def process(self, raw: bytes, sender: str, recipients: list[str]) -> Outcome:
        """Do the whole work for one message, blocking; never raises."""
        try:
            result = sanitize_message(raw, policy=self.policy)
            result = replace(result, quarantine_id=result.original_sha256)
            facts: dict[str, Any] = {
                "verdict": str(result.verdict),
                "sha256": result.original_sha256,
                "message_id": _message_id(result),
                "holds": tuple(sorted({str(r.code) for r in result.holding_reasons})),
            }
            self.store.store(
                raw,
                result,
                received_at=datetime.now(UTC),
                sender=sender,
                recipients=recipients,
            )
        except Exception as exc:  # the quarantine (QuarantineError) or any bug: retry later
            return Outcome(reply=REPLY_TEMPFAIL, error=f"{type(exc).__name__}: {exc}")
        try:
            self.next_hop.send(sender, recipients, result.message)
        except NextHopRefused as exc:
            if exc.permanent:
                reply = REPLY_NEXT_HOP_REJECTED.format(detail=_one_line(exc.detail))
            else:
                reply = REPLY_NEXT_HOP_TEMPFAIL
            return Outcome(reply=reply, error=f"next hop: {exc.detail}", **facts)
        except Exception as exc:
            return Outcome(reply=REPLY_TEMPFAIL, error=f"{type(exc).__name__}: {exc}", **facts)
        receipt = result.original_sha256[:16]
        return Outcome(reply=REPLY_OK.format(receipt=receipt, verdict=result.verdict), **facts)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """aiosmtpd hook: the message is complete; answer only once it is safe to."""
        if self.closing:
            return REPLY_SHUTTING_DOWN
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        sender = envelope.mail_from or ""
        recipients = list(envelope.rcpt_tos)
        started = self.clock()
        self.in_flight += 1
        try:
            loop = asyncio.get_running_loop()
            outcome = await loop.run_in_executor(
                self.executor, self.process, bytes(raw), sender, recipients
            )
        finally:
            self.in_flight -= 1
        peer = session.peer if isinstance(session.peer, tuple) else None
        logger.info(
            "message",
            extra={
                "fields": {
                    "event": "message",
                    "message_id": outcome.message_id,
                    "sha256": outcome.sha256,
                    "verdict": outcome.verdict,
                    "holds": list(outcome.holds),
                    "size": len(raw),
                    "recipients": len(recipients),
                    "reply": outcome.reply[:3],
                    "ms": round((self.clock() - started) * 1000, 1),
                    "peer": f"{peer[0]}:{peer[1]}" if peer else None,
                    **({"error": outcome.error} if outcome.error else {}),
                }
            },
        )
        return outcome.reply


def smtp_factory(
    handler: SanitizingHandler, *, hostname: str, data_size_limit: int
) -> Callable[[], SMTP]:
    """Return a protocol factory for ``loop.create_server``: one ``SMTP`` per connection."""

    def make() -> SMTP:
        return SMTP(
            handler,
            hostname=hostname,
            data_size_limit=data_size_limit,
            enable_SMTPUTF8=True,
            decode_data=False,
            ident="isms-sanitizer",
        )

    return make
