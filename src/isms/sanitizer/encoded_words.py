"""Header text decoding: RFC 2047 encoded words, raw 8-bit headers, RFC 2231 parameters.

Adjacent encoded words in the same charset are joined at the byte level before decoding, so a
multibyte character split across two words, or an ISO-2022-JP shift state that spans words,
decodes correctly. Encoded words inside quoted strings (``name="=?ISO-2022-JP?B?...?="``,
common in Japan) are decoded too. Raw 8-bit header bytes (which the stdlib parser keeps as
surrogate escapes) are decoded by the charset layer's guess.

    >>> decode_header_text("=?UTF-8?B?5pel?= =?UTF-8?B?5pys?=")
    '日本'
"""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
from dataclasses import dataclass

from .charset import canonical_charset, decode_text

__all__ = [
    "HeaderParams",
    "decode_8bit",
    "decode_header_text",
    "parse_params",
    "raw_to_bytes",
    "unfold",
]

_ENCODED_WORD = re.compile(
    r"=\?(?P<charset>[^?\s*]+)(?:\*[^?\s]*)?\?(?P<enc>[bBqQ])\?(?P<text>[^?\s]*)\?="
)
_FOLD = re.compile(r"\r?\n(?=[ \t])|\r(?=[ \t])")
_Q_HEX = re.compile(rb"=([0-9A-Fa-f]{2})")
_B64_JUNK = re.compile(r"[^A-Za-z0-9+/]")


def unfold(value: str) -> str:
    """Remove header folding (a line break followed by white space)."""
    return _FOLD.sub("", value)


def raw_to_bytes(value: str) -> bytes:
    """Return the original bytes of a header value read by the stdlib parser.

    ``BytesParser`` decodes header bytes as ASCII with surrogate escapes; this undoes that.
    Text that is already Unicode is encoded as UTF-8.
    """
    try:
        return value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace")


def _decode_word_bytes(enc: str, text: str) -> bytes:
    if enc in "bB":
        cleaned = _B64_JUNK.sub("", text)
        cleaned += "=" * (-len(cleaned) % 4)
        try:
            return base64.b64decode(cleaned)
        except (binascii.Error, ValueError):
            return b""
    raw = raw_to_bytes(text.replace("_", " "))
    return _Q_HEX.sub(lambda m: bytes((int(m.group(1), 16),)), raw)


def decode_8bit(segment: str) -> str:
    """Decode a run of header text that is not an encoded word (may hold raw 8-bit bytes)."""
    if segment.isascii():
        return segment
    if not any("\udc80" <= ch <= "\udcff" for ch in segment):
        return segment  # already text, not raw bytes from the parser
    return decode_text(raw_to_bytes(segment), None).text


def decode_header_text(value: str) -> str:
    """Decode a header value (or a part of one) into text; never raises.

    The result may still contain control or bidi characters: clean it with
    ``textsafety.clean_header_text`` before use.
    """
    value = unfold(value)
    out: list[str] = []
    pending_charset: str | None = None
    pending_label: str | None = None
    pending: bytearray = bytearray()
    pos = 0

    def flush() -> None:
        nonlocal pending_charset, pending_label
        if pending_label is not None:
            out.append(decode_text(bytes(pending), pending_label).text)
        pending.clear()
        pending_charset = None
        pending_label = None

    for match in _ENCODED_WORD.finditer(value):
        between = value[pos : match.start()]
        if between and not (pending_label is not None and between.strip(" \t") == ""):
            flush()
            out.append(decode_8bit(between))
        label = match.group("charset")
        charset = canonical_charset(label) or label.lower()
        if pending_label is not None and charset != pending_charset:
            flush()
        if pending_label is None:
            pending_label = label
            pending_charset = charset
        pending.extend(_decode_word_bytes(match.group("enc"), match.group("text")))
        pos = match.end()
    flush()
    if pos < len(value):
        out.append(decode_8bit(value[pos:]))
    return "".join(out)


# --- parameters (Content-Type, Content-Disposition) -------------------------------------------

_PARAM_NAME = re.compile(r"^(?P<name>[^*]+)(?:\*(?P<section>\d+))?(?P<star>\*)?$")


@dataclass(frozen=True)
class HeaderParams:
    """A parsed Content-Type or Content-Disposition value."""

    value: str
    """The main value, lower case (``text/plain``, ``attachment``); "" if missing."""
    params: dict[str, str]
    """Decoded parameters by lower-case name; RFC 2231 continuations joined."""


def _split_params(value: str) -> list[str]:
    """Split on semicolons outside quoted strings."""
    items: list[str] = []
    current: list[str] = []
    quoted = False
    escaped = False
    for ch in value:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            current.append(ch)
            escaped = True
        elif ch == '"':
            quoted = not quoted
            current.append(ch)
        elif ch == ";" and not quoted:
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    items.append("".join(current))
    return items


_COMMENT = re.compile(r"\([^()\"]*\)")


def _unquote(value: str) -> str:
    """Unquote a parameter value; comments are removed from unquoted values (RFC 822)."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    if value.startswith('"'):
        return value[1:]
    return re.sub(r"\\(.)", r"\1", _COMMENT.sub("", value)).strip()


def parse_params(value: str) -> HeaderParams:
    """Parse ``type/subtype; a=b; name*0*=utf-8''%E8...`` leniently; never raises."""
    items = _split_params(unfold(value))
    main = items[0].strip().lower() if items else ""
    simple: dict[str, str] = {}
    sections: dict[str, dict[int, tuple[bool, str]]] = {}
    for item in items[1:]:
        key, sep, raw = item.partition("=")
        if not sep:
            continue
        key = _COMMENT.sub("", key).strip().lower()
        match = _PARAM_NAME.match(key)
        if not match:
            continue
        name = match.group("name").strip()
        if match.group("section") is None and not match.group("star"):
            simple.setdefault(name, _unquote(raw))
            continue
        section = int(match.group("section") or 0)
        sections.setdefault(name, {}).setdefault(
            section, (bool(match.group("star")), _unquote(raw))
        )
    params: dict[str, str] = {}
    for name, value_ in simple.items():
        params[name] = decode_header_text(value_) if "=?" in value_ else decode_8bit(value_)
    for name, parts in sections.items():
        params[name] = _join_rfc2231(parts)
    return HeaderParams(main, params)


def _join_rfc2231(parts: dict[int, tuple[bool, str]]) -> str:
    """Join RFC 2231 sections (in order, tolerating gaps) at the byte level and decode once."""
    charset: str | None = None
    data = bytearray()
    for position, index in enumerate(sorted(parts)):
        encoded, text = parts[index]
        if encoded and position == 0 and text.count("'") >= 2:
            charset, _lang, text = text.split("'", 2)
        if encoded:
            data += urllib.parse.unquote_to_bytes(raw_to_bytes(text))
        else:
            data += raw_to_bytes(text)
    decoded = decode_text(bytes(data), charset or None).text
    return decode_header_text(decoded) if "=?" in decoded else decoded
