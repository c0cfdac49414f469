"""Build the delivered message from scratch: allow-listed headers, banner, text, notice.

The output is always ``text/plain; charset=utf-8`` (plus disarmed files only when a converter
produced them), 7-bit with CRLF line ends. The headers are written here (UTF-8 B encoded words,
folded); the body part comes from the stdlib (``email.policy.SMTP``). ``verify_output``
re-parses what was built and refuses anything that is not exactly that shape.
"""

from __future__ import annotations

import base64
import email.policy
import email.utils
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser

from .converters import ConvertedFile
from .errors import OutputRejected
from .headers import ALLOWED_HEADERS, Mailbox, SafeHeaders
from .reasons import ReasonCode
from .result import Reason
from .textsafety import find_test_signature

__all__ = [
    "DIVIDER",
    "OUTPUT_POLICY",
    "Section",
    "address_header",
    "banner_text",
    "build_message",
    "encoded_words",
    "fallback_message",
    "notice_text",
    "section_title_for",
    "unstructured_header",
    "verify_output",
]

OUTPUT_POLICY = email.policy.SMTP
"""``policy.default`` with CRLF line ends; non-ASCII header text becomes encoded words."""

DIVIDER = "─" * 40
OWN_HEADERS = ("MIME-Version", "X-Sanitized", "Content-Type", "Content-Transfer-Encoding")
MAX_LINE_BYTES = 998  # RFC 5322 section 2.1.1

SANITIZED_LEAD = (
    "【無害化】このメールはインターネットから受信したため、"
    "安全なテキスト形式に変換して配信しています。"
)
HELD_LEAD = (
    "【保留】このメールは安全に無害化できなかったため、配信を保留しました。原本は隔離されています。"
)
HELD_REASONS = "保留の理由:"
HELD_CONTACT = "必要な場合は、受付番号を添えて情報システム担当者にお問い合わせください。"
HELD_TEXT_INTRO = "以下は無害化した本文です（添付ファイルは配信されていません）。"
RECEIPT = "受付番号: {receipt}"
HEADER_LABELS = (("差出人", "From"), ("宛先", "To"), ("件名", "Subject"), ("日付", "Date"))


@dataclass(frozen=True)
class Section:
    """A block of delivered text: the body (no title) or extracted/embedded text (titled)."""

    title: str | None
    text: str


def section_title_for(label: str, *, embedded: bool = False) -> str:
    """Return the divider title for text taken from an attachment or an attached mail."""
    if embedded:
        return f"添付されたメール「{label}」"
    return f"添付ファイル「{label}」から抽出したテキスト"


def _reason_lines(reasons: Sequence[Reason], *, holding: bool) -> list[str]:
    """Group reasons by code: one line per code, with the files concerned.

    Only part-level details (file names) are shown; a message-level detail (a limit and its
    value, an exception) is for the report, not for the recipient.
    """
    order: list[ReasonCode] = []
    details: dict[ReasonCode, list[str]] = {}
    for reason in reasons:
        if reason.code.holds is not holding:
            continue
        if reason.code not in details:
            order.append(reason.code)
            details[reason.code] = []
        if reason.part_id and reason.detail and reason.detail not in details[reason.code]:
            details[reason.code].append(reason.detail)
    lines = []
    for code in order:
        names = details[code]
        shown = "、".join(f"「{n}」" for n in names[:10]) + (" ほか" if len(names) > 10 else "")
        lines.append(f"・{code.text_ja}" + (f"（{shown}）" if shown else ""))
    return lines


def banner_text(reasons: Sequence[Reason], receipt: str) -> str:
    """Return the banner placed above a sanitized message's text: what was done, in Japanese."""
    lines = [
        SANITIZED_LEAD,
        *_reason_lines(reasons, holding=False),
        RECEIPT.format(receipt=receipt),
    ]
    return "\n".join(lines) + "\n" + DIVIDER


def _header_lines(headers: SafeHeaders) -> list[str]:
    values = dict(headers.as_pairs())
    return [f"{label}: {values[name]}" for label, name in HEADER_LABELS if values.get(name)]


def notice_text(
    reasons: Sequence[Reason], receipt: str, headers: SafeHeaders, text: str | None
) -> str:
    """Return the notice delivered instead of a held message (with its text when safe)."""
    lines = [HELD_LEAD, HELD_REASONS, *_reason_lines(reasons, holding=True)]
    lines += [RECEIPT.format(receipt=receipt), HELD_CONTACT, DIVIDER, *_header_lines(headers)]
    if text is not None:
        done = _reason_lines(reasons, holding=False)
        lines += [DIVIDER, HELD_TEXT_INTRO, *done, DIVIDER, text]
    return "\n".join(lines)


_ATOM_PHRASE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?: [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_WORD_BYTES = 45  # 45 bytes of UTF-8 -> 60 base64 chars -> a 72-char encoded word (limit 75)


def encoded_words(text: str) -> list[str]:
    """Encode text as UTF-8 B encoded words, never splitting a character (RFC 2047)."""
    chunks: list[str] = []
    current = ""
    for char in text:
        if current and len((current + char).encode("utf-8")) > _WORD_BYTES:
            chunks.append(current)
            current = char
        else:
            current += char
    if current:
        chunks.append(current)
    return [f"=?utf-8?b?{base64.b64encode(c.encode('utf-8')).decode('ascii')}?=" for c in chunks]


def _needs_encoding(text: str) -> bool:
    return (
        not text.isascii()
        or "=?" in text
        or text != text.strip()
        or "  " in text
        or any(len(word) > 70 for word in text.split(" "))
    )


def _wrap(name: str, words: Sequence[str]) -> str:
    """Fold ``words`` (joined by single spaces when unfolded) into lines of at most 78 chars."""
    lines = [f"{name}:"]
    for word in words:
        if len(lines[-1]) + 1 + len(word) > 78 and lines[-1] != f"{name}:":
            lines.append("")
        lines[-1] += " " + word
    return "\r\n".join(lines)


def unstructured_header(name: str, text: str) -> str:
    """Return ``Name: value`` for free text, encoded words when needed, folded (no CRLF end).

    The stdlib's folder drops the space between two encoded words it creates (the space ends
    up outside both words, where RFC 2047 decoders ignore it), so headers are written here.
    """
    if not text:
        return f"{name}: "
    if _needs_encoding(text):
        return f"{name}: " + "\r\n ".join(encoded_words(text))
    return _wrap(name, text.split(" "))


def _phrase(display_name: str) -> str:
    if not display_name:
        return ""
    if not _needs_encoding(display_name):
        if _ATOM_PHRASE.fullmatch(display_name):
            return display_name
        escaped = display_name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    return "\r\n ".join(encoded_words(display_name))


def address_header(name: str, boxes: Sequence[Mailbox]) -> str:
    """Return ``Name: addr, addr`` with one address per line."""
    items = []
    for box in boxes:
        phrase = _phrase(box.display_name)
        items.append(f"{phrase}\r\n <{box.addr_spec}>" if phrase else box.addr_spec)
    return f"{name}: " + ",\r\n ".join(items)


def build_message(
    headers: SafeHeaders,
    *,
    subject: str,
    text: str,
    x_sanitized: str,
    files: Sequence[ConvertedFile] = (),
) -> bytes:
    """Build the delivered message from scratch and return its bytes (CRLF, 7-bit)."""
    lines: list[str] = []
    for name, boxes in (("From", headers.from_), ("To", headers.to), ("Cc", headers.cc)):
        if boxes:
            lines.append(address_header(name, boxes))
    if headers.date is not None:
        lines.append(f"Date: {email.utils.format_datetime(headers.date)}")
    if headers.message_id:
        lines.append(f"Message-ID: {headers.message_id}")
    lines.append(unstructured_header("Subject", subject))
    if headers.in_reply_to:
        lines.append("In-Reply-To: " + "\r\n ".join(headers.in_reply_to))
    if headers.references:
        lines.append("References: " + "\r\n ".join(headers.references))
    lines.append("MIME-Version: 1.0")
    lines.append(_wrap("X-Sanitized", x_sanitized.split(" ")))
    content = EmailMessage(policy=OUTPUT_POLICY)
    content.set_content(text if text.endswith("\n") else text + "\n", charset="utf-8")
    for converted in files:
        maintype, _, subtype = converted.content_type.partition("/")
        content.add_attachment(
            converted.data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=converted.filename,
        )
    del content["MIME-Version"]
    head = "\r\n".join(lines).encode("ascii") + b"\r\n"
    return head + content.as_bytes()


def fallback_message(receipt: str) -> bytes:
    """Return a fixed notice that contains nothing from the original (last resort)."""
    text = "\n".join([HELD_LEAD, RECEIPT.format(receipt=receipt), HELD_CONTACT])
    return build_message(
        SafeHeaders(),
        subject="【保留】無害化できなかったメール",
        text=text,
        x_sanitized=f"verdict=held; holds=internal_error; id={receipt}",
    )


def verify_output(data: bytes, *, files: int = 0) -> None:
    """Refuse output that is not 7-bit CRLF text/plain with allow-listed headers only."""
    if not data.isascii():
        raise OutputRejected("output contains 8-bit bytes")
    lines = data.split(b"\r\n")
    if any(b"\n" in line or b"\r" in line for line in lines):
        raise OutputRejected("output contains a bare CR or LF")
    if any(len(line) > MAX_LINE_BYTES for line in lines):
        raise OutputRejected("output contains a line longer than 998 bytes")
    # compat32: the plain structural view is enough here and far cheaper than header objects
    parsed = BytesParser(policy=email.policy.compat32).parsebytes(data)
    allowed = {h.lower() for h in (*ALLOWED_HEADERS, *OWN_HEADERS)}
    names = [name.lower() for name in parsed.keys()]  # noqa: SIM118 - a list, with repeats
    if set(names) - allowed or len(names) != len(set(names)):
        raise OutputRejected(f"unexpected or repeated headers: {sorted(names)}")
    leaves = [part for part in parsed.walk() if not part.is_multipart()]
    body = leaves[0] if leaves else parsed
    if body.get_content_type() != "text/plain" or body.get_content_charset() != "utf-8":
        raise OutputRejected(f"the body is {body.get_content_type()}, not text/plain; utf-8")
    if len(leaves) != 1 + files or (files and parsed.get_content_type() != "multipart/mixed"):
        raise OutputRejected("the output has parts other than the text and converted files")
    payload = body.get_payload(decode=True)
    if not isinstance(payload, bytes) or find_test_signature(payload):
        raise OutputRejected("the body is missing or carries a test signature")
