"""The header allow-list: read, decode, validate and clean the headers that may pass.

Only From, To, Cc, Date, Message-ID, Subject, In-Reply-To and References survive, each read
from the raw header (first occurrence only), decoded by our RFC 2047 layer, cleaned of
controls, line breaks and bidi/invisible characters, and validated: addresses must be ASCII
(an internationalised domain is converted to IDNA), message IDs and dates must parse.
Whatever fails validation is dropped and reported as ``header_invalid``.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from .encoded_words import decode_8bit, decode_header_text, unfold
from .reasons import ReasonCode
from .textsafety import clean_header_text

__all__ = ["ALLOWED_HEADERS", "Mailbox", "SafeHeaders", "read_headers"]

ALLOWED_HEADERS: tuple[str, ...] = (
    "From",
    "To",
    "Cc",
    "Date",
    "Message-ID",
    "Subject",
    "In-Reply-To",
    "References",
)
MAX_ADDRESSES = 200
MAX_REFERENCES = 30
MAX_SUBJECT_CHARS = 900
MAX_DISPLAY_NAME_CHARS = 200

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_PART = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"^(?:{_LABEL}\.)*{_LABEL}$|^\[[0-9A-Fa-f:.]{{2,45}}\]$")
_MSG_ID = re.compile(r"<[!#-;=?-~]{1,250}@[!#-;=?-~]{1,250}>")


@dataclass(frozen=True)
class Mailbox:
    """One validated address with its cleaned display name."""

    display_name: str
    username: str
    domain: str

    @property
    def addr_spec(self) -> str:
        """Return ``username@domain``."""
        return f"{self.username}@{self.domain}"

    def __str__(self) -> str:
        return f"{self.display_name} <{self.addr_spec}>" if self.display_name else self.addr_spec


@dataclass(frozen=True)
class SafeHeaders:
    """The allow-listed headers, decoded, cleaned and validated."""

    from_: tuple[Mailbox, ...] = ()
    to: tuple[Mailbox, ...] = ()
    cc: tuple[Mailbox, ...] = ()
    date: datetime | None = None
    subject: str = ""
    message_id: str | None = None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()

    def as_pairs(self) -> tuple[tuple[str, str], ...]:
        """Return ``(name, text)`` pairs in allow-list order, for reports."""
        pairs: list[tuple[str, str]] = []
        for name, boxes in (("From", self.from_), ("To", self.to), ("Cc", self.cc)):
            if boxes:
                pairs.append((name, ", ".join(str(b) for b in boxes)))
        if self.date is not None:
            pairs.append(("Date", email.utils.format_datetime(self.date)))
        if self.message_id:
            pairs.append(("Message-ID", self.message_id))
        pairs.append(("Subject", self.subject))
        if self.in_reply_to:
            pairs.append(("In-Reply-To", " ".join(self.in_reply_to)))
        if self.references:
            pairs.append(("References", " ".join(self.references)))
        return tuple(pairs)


def _domain(value: str) -> str | None:
    value = value.strip().rstrip(".")
    if not value.isascii():
        try:
            value = value.encode("idna").decode("ascii")
        except (UnicodeError, ValueError):
            return None
    return value if len(value) <= 253 and _DOMAIN.match(value) else None


def _mailboxes(raw: str, findings: set[ReasonCode]) -> tuple[Mailbox, ...]:
    boxes: list[Mailbox] = []
    for name, address in email.utils.getaddresses([decode_8bit(unfold(raw))]):
        if not name and not address:
            continue  # groups such as "undisclosed-recipients:;"
        username, at, domain_text = address.strip().rpartition("@")
        domain = _domain(domain_text) if at else None
        if domain is None or not _LOCAL_PART.match(username) or len(username) > 64:
            findings.add(ReasonCode.header_invalid)
            continue
        display, changed = clean_header_text(
            decode_header_text(name), max_chars=MAX_DISPLAY_NAME_CHARS
        )
        if changed:
            findings.add(ReasonCode.controls_removed)
        boxes.append(Mailbox(display, username, domain))
        if len(boxes) >= MAX_ADDRESSES:
            findings.add(ReasonCode.header_invalid)
            break
    return tuple(boxes)


def _message_ids(raw: str, limit: int) -> tuple[str, ...]:
    return tuple(_MSG_ID.findall(unfold(raw)))[-limit:]


def read_headers(raw_items: Iterable[tuple[str, str]]) -> tuple[SafeHeaders, frozenset[ReasonCode]]:
    """Read the allow-listed headers from ``Message.raw_items()``; return them and findings."""
    findings: set[ReasonCode] = set()
    first: dict[str, str] = {}
    allowed = {h.lower() for h in ALLOWED_HEADERS}
    for name, value in raw_items:
        key = name.strip().lower()
        if key in allowed:
            if key in first:
                findings.add(ReasonCode.header_invalid)
                continue
            first[key] = str(value)

    def boxes(key: str) -> tuple[Mailbox, ...]:
        return _mailboxes(first[key], findings) if key in first else ()

    date: datetime | None = None
    if "date" in first:
        try:
            date = email.utils.parsedate_to_datetime(unfold(first["date"]).strip())
        except (TypeError, ValueError, IndexError, OverflowError):
            findings.add(ReasonCode.header_invalid)
    subject = ""
    if "subject" in first:
        subject, changed = clean_header_text(
            decode_header_text(first["subject"]), max_chars=MAX_SUBJECT_CHARS
        )
        if changed:
            findings.add(ReasonCode.controls_removed)
    message_id: str | None = None
    if "message-id" in first:
        ids = _message_ids(first["message-id"], 1)
        if ids:
            message_id = ids[0]
        else:
            findings.add(ReasonCode.header_invalid)
    headers = SafeHeaders(
        from_=boxes("from"),
        to=boxes("to"),
        cc=boxes("cc"),
        date=date,
        subject=subject,
        message_id=message_id,
        in_reply_to=_message_ids(first.get("in-reply-to", ""), MAX_REFERENCES),
        references=_message_ids(first.get("references", ""), MAX_REFERENCES),
    )
    return headers, frozenset(findings)
