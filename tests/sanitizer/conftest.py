"""Shared helpers for the sanitizer tests: the corpus (tests/corpora/mail), output decoding."""

from __future__ import annotations

import email
import email.policy
import json
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from isms.sanitizer import Policy, SanitizeResult, sanitize_message

CORPUS = Path(__file__).resolve().parent.parent / "corpora" / "mail"

CP932_COMPARE = str.maketrans(
    {"\u301c": "\uff5e", "\u2212": "\uff0d", "\u2016": "\u2225", "\u00a2": "\uffe0",
     "\u00a3": "\uffe1", "\u00ac": "\uffe2"}
)  # fmt: skip
"""EXPECTED.md "How to compare": map JIS-table forms to CP932 forms on both sides."""


def corpus_files() -> list[Path]:
    """Every file of the mail corpus, data and documentation alike."""
    return sorted(p for p in CORPUS.rglob("*") if p.is_file())


def expected() -> dict[str, Any]:
    return json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))


def parse_output(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def delivered_text(result: SanitizeResult) -> str:
    """The decoded text of the delivered message (the text part only)."""
    message = parse_output(result.message)
    body = message.get_body(("plain",)) if message.is_multipart() else message
    assert body is not None
    content = body.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


def sanitize(raw: bytes, **policy: Any) -> SanitizeResult:
    return sanitize_message(raw, policy=Policy(**policy))


def mail(
    body: str | bytes = "本文です。\n",
    *,
    headers: str = "",
    content_type: str = "text/plain; charset=UTF-8",
    cte: str = "8bit",
) -> bytes:
    """A small single-part message; ``headers`` are extra raw header lines (CRLF-joined)."""
    raw_body = body.encode("utf-8") if isinstance(body, str) else body
    head = (
        "From: Sender <sender@example.jp>\r\nTo: user@city.example.jp\r\n"
        "Subject: test\r\nDate: Fri, 20 Nov 2026 09:30:00 +0900\r\n"
        "Message-ID: <t1@example.jp>\r\nMIME-Version: 1.0\r\n"
        + headers
        + f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n"
    )
    return head.encode("utf-8") + raw_body


def multipart(*parts: bytes, subtype: str = "mixed", headers: str = "") -> bytes:
    """A multipart message from raw part bytes (each: headers, blank line, body)."""
    boundary = "b-7f3a-boundary"
    head = (
        "From: sender@example.jp\r\nTo: user@city.example.jp\r\nSubject: test\r\n"
        f"MIME-Version: 1.0\r\n{headers}"
        f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'
    ).encode()
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + p + b"\r\n" for p in parts)
    return head + body + b"--" + boundary.encode() + b"--\r\n"


def part(body: bytes, content_type: str, *, cte: str = "base64", extra: str = "") -> bytes:
    """One raw MIME part; base64 encodes ``body`` when ``cte`` is base64."""
    import base64

    payload = base64.encodebytes(body).replace(b"\n", b"\r\n") if cte == "base64" else body
    head = f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: {cte}\r\n{extra}\r\n"
    return head.encode("utf-8") + payload
