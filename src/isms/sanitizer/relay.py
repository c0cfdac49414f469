"""Re-injection: hand the sanitized message to the next hop (Postfix's 127.0.0.1:10026).

Blocking ``smtplib``, one connection per message, run in a worker thread by the gateway.
``NextHop.send`` returns only when the next hop accepted the message for every recipient;
otherwise it raises ``NextHopRefused`` saying whether the refusal was permanent (5xx for the
whole message: the gateway passes it on, Postfix bounces) or temporary (anything else:
the gateway answers 4xx and Postfix retries). A partial refusal counts as temporary: Postfix
keeps the whole message and retries, so a recipient may get it twice, but none loses it.
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["NextHop", "NextHopRefused"]

PERMANENT = 500
"""RFC 5321 4.2.1: 5yz replies are permanent negative completions."""


class NextHopRefused(Exception):
    """The next hop did not accept the message (``permanent``: a 5xx for the whole message)."""

    def __init__(self, detail: str, *, permanent: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent


def _text(value: bytes | str) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _ascii(values: Sequence[str]) -> bool:
    return all(value.isascii() for value in values)


@dataclass(frozen=True, kw_only=True)
class NextHop:
    """Where sanitized mail goes: an SMTP server that delivers it (no content filter there)."""

    host: str
    port: int
    helo: str = "isms-sanitizer.localhost"
    timeout: float = 60.0

    def send(self, sender: str, recipients: Sequence[str], message: bytes) -> None:
        """Deliver ``message`` from ``sender`` to every recipient, or raise ``NextHopRefused``."""
        options = [] if _ascii([sender, *recipients]) else ["SMTPUTF8"]
        try:
            with smtplib.SMTP(
                self.host, self.port, local_hostname=self.helo, timeout=self.timeout
            ) as client:
                refused = client.sendmail(sender, list(recipients), message, mail_options=options)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            detail = "; ".join(
                f"{rcpt}: {code} {_text(text)}" for rcpt, (code, text) in exc.recipients.items()
            )
            raise NextHopRefused(detail, permanent=all(c >= PERMANENT for c in codes)) from None
        except smtplib.SMTPResponseException as exc:
            detail = f"{exc.smtp_code} {_text(exc.smtp_error)}"
            raise NextHopRefused(detail, permanent=exc.smtp_code >= PERMANENT) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise NextHopRefused(f"{type(exc).__name__}: {exc}", permanent=False) from None
        if refused:
            detail = "; ".join(f"{rcpt}: {code}" for rcpt, (code, _t) in refused.items())
            raise NextHopRefused(f"some recipients refused ({detail})", permanent=False)
