"""MIME helpers over the stdlib parser: parse, payload bytes, parameters, file names, choices.

The stdlib (``email.policy.default``) finds the structure; everything that decides what a part
*is* (parameters, file names, transfer decoding) is read from the raw headers by our own code,
leniently, so that Japanese senders' quirks decode and tricks are seen through.
"""

from __future__ import annotations

import base64
import binascii
import email.policy
import io
import quopri
import re
from collections.abc import Sequence
from email.generator import BytesGenerator
from email.message import EmailMessage, Message
from email.parser import BytesParser
from typing import cast

from .encoded_words import HeaderParams, decode_header_text, parse_params, raw_to_bytes
from .policy import BodyPreference
from .textsafety import clean_header_text

__all__ = [
    "alternative_choice",
    "content_type",
    "decode_transfer",
    "first_header",
    "parse_message",
    "part_filename",
    "part_params",
    "payload_bytes",
    "raw_body",
    "related_root",
    "serialize_message",
    "stored_payload",
    "transfer_encoding",
]

PARSE_POLICY = email.policy.default
MAX_FILENAME_CHARS = 255
_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")
_TOKEN = re.compile(r"[a-z0-9][a-z0-9\-]*")


def parse_message(raw: bytes) -> Message:
    """Parse bytes with the stdlib parser (``policy.default``)."""
    return BytesParser(policy=PARSE_POLICY).parsebytes(raw)


def content_type(entity: Message) -> str:
    """Return the part's ``type/subtype`` as the parser sees it, or our reading if it fails.

    The stdlib parses the header lazily and can raise on hostile parameters (for example a NUL
    in an RFC 2231 charset); then our own lenient parse is used, which the engine validates.
    """
    try:
        return entity.get_content_type()
    except Exception:  # any stdlib failure falls back to our parser
        return parse_params(first_header(entity, "Content-Type") or "").value or "invalid"


def first_header(entity: Message, name: str) -> str | None:
    """Return the raw value of the first ``name`` header (decoded only of folding), or None."""
    wanted = name.lower()
    for key, value in entity.raw_items():
        if key.lower() == wanted:
            return str(value)
    return None


def _lenient_base64(data: bytes) -> bytes:
    """Decode base64, ignoring junk characters and repairing the padding."""
    cleaned = _B64_JUNK.sub(b"", data)
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
    cleaned += b"=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned)
    except (binascii.Error, ValueError):
        return b""


def stored_payload(entity: Message) -> object:
    """Return what the parser stored as the body: a list of parts, or text with raw bytes.

    ``get_payload()`` re-decodes text with the declared charset and raises on hostile labels;
    the engine needs the structure only. See ``raw_body`` for why the stored value is used.
    """
    return getattr(entity, "_payload", None)


def raw_body(entity: Message) -> bytes:
    """Return the body bytes of a leaf part exactly as they were in the message.

    The stdlib has no public accessor for them: ``get_payload(decode=False)`` re-decodes 8-bit
    bytes with the *declared* charset (so CP932 labelled Shift_JIS turns into U+FFFD), and
    ``get_payload(decode=True)`` applies its own, stricter transfer decoding. The parser keeps
    the body as text with surrogate escapes in ``_payload``; a test pins this behaviour.
    """
    payload = stored_payload(entity)
    if isinstance(payload, bytes):
        return payload
    if not isinstance(payload, str):
        return b""
    return raw_to_bytes(payload)


def transfer_encoding(entity: Message) -> str:
    """Return the first token of Content-Transfer-Encoding, lower case ("" if none)."""
    tokens = _TOKEN.findall((first_header(entity, "Content-Transfer-Encoding") or "").lower())
    return tokens[0] if tokens else ""


def payload_bytes(entity: Message) -> bytes:
    """Return the decoded body of a leaf part (base64 and quoted-printable decoded leniently)."""
    return decode_transfer(raw_body(entity), entity)


def decode_transfer(raw: bytes, entity: Message) -> bytes:
    """Undo the Content-Transfer-Encoding of ``entity`` on ``raw``."""
    encoding = transfer_encoding(entity)
    if encoding == "base64":
        return _lenient_base64(raw)
    if encoding == "quoted-printable":
        return quopri.decodestring(raw.replace(b"\r\n", b"\n"))
    if encoding in ("x-uuencode", "uuencode", "x-uue", "uue"):
        decoded = entity.get_payload(decode=True)
        return decoded if isinstance(decoded, bytes) else raw
    return raw


def part_params(entity: Message) -> tuple[HeaderParams, HeaderParams]:
    """Return the parsed Content-Type and Content-Disposition of a part."""
    return (
        parse_params(first_header(entity, "Content-Type") or ""),
        parse_params(first_header(entity, "Content-Disposition") or ""),
    )


def part_filename(content_type: HeaderParams, disposition: HeaderParams) -> str | None:
    """Return the cleaned file name (filename= over name=), or None if there is none."""
    for params in (disposition.params, content_type.params):
        for key in ("filename", "name"):
            value = params.get(key)
            if value and value.strip():
                text = decode_header_text(value) if "=?" in value else value
                cleaned, _ = clean_header_text(text, max_chars=MAX_FILENAME_CHARS)
                name = cleaned.replace("\\", "/").rsplit("/", 1)[-1].strip()
                if len(name) > 2 and name[0] == name[-1] == "'":
                    name = name[1:-1].strip()
                if name:
                    return name
    return None


def serialize_message(message: Message, original: bytes) -> bytes:
    """Serialize an attached mail as close to its original bytes as the stdlib allows."""
    linesep = "\r\n" if b"\r\n" in original[:4096] else "\n"
    for policy in (
        PARSE_POLICY.clone(linesep=linesep, refold_source="none"),
        email.policy.compat32.clone(linesep=linesep),
    ):
        buffer = io.BytesIO()
        try:
            BytesGenerator(buffer, mangle_from_=False, policy=policy).flatten(
                cast(EmailMessage, message)
            )
        except Exception:  # noqa: S112 - hostile headers can break the generator
            continue
        return buffer.getvalue()
    return b""


def _flavour(entity: Message) -> str:
    """Return the text type an alternative would show: text/plain, text/html or its own type."""
    if not entity.is_multipart():
        return content_type(entity)
    for part in entity.walk():
        if not part.is_multipart() and content_type(part) in ("text/plain", "text/html"):
            return content_type(part)
    return content_type(entity)


def alternative_choice(children: Sequence[Message], prefer: BodyPreference) -> int:
    """Return the index of the alternative to render, text or HTML first per ``prefer``."""
    flavours = [_flavour(child) for child in children]
    order = (
        ("text/plain", "text/html")
        if prefer is BodyPreference.text
        else ("text/html", "text/plain")
    )
    for wanted in order:
        indexes = [i for i, flavour in enumerate(flavours) if flavour == wanted]
        if indexes:
            return indexes[0] if wanted == "text/plain" else indexes[-1]
    return len(children) - 1


def related_root(entity: Message, children: Sequence[Message]) -> int:
    """Return the index of the root part of a multipart/related (``start`` or the first)."""
    start = parse_params(first_header(entity, "Content-Type") or "").params.get("start")
    if start:
        for index, child in enumerate(children):
            if (first_header(child, "Content-ID") or "").strip() == start.strip():
                return index
    return 0
