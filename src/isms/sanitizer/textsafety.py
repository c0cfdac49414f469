"""Make decoded text safe to deliver: controls, bidi tricks, smuggled encoded files, test malware.

Pure functions on ``str``; each returns the cleaned text and whether (or how much) it changed,
so the engine can list the change in the banner.
"""

from __future__ import annotations

import re

__all__ = [
    "EICAR",
    "clean_body_text",
    "clean_header_text",
    "find_hidden_mime",
    "find_test_signature",
    "remove_encoded_blocks",
]

_HEADER_SPACE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u0085]")
_INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
    "\ufff9-\ufffb\ufffe\uffff\ud800-\udfff\U000e0000-\U000e007f]"
)
_SPACES = re.compile(r"\s+")

_NEWLINES = re.compile("\r\n|\r|\u2028|\u2029|\u0085")
_BODY_CONTROLS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff\ufffe\uffff\U000e0000-\U000e007f]"
)


def clean_header_text(text: str, *, max_chars: int = 998) -> tuple[str, bool]:
    """Return header text on one line, without controls or invisible/bidi characters.

    Line breaks and controls become spaces, invisible format characters are removed, white
    space is collapsed, and the text is cut at ``max_chars`` (with an ellipsis).
    """
    cleaned = _HEADER_SPACE.sub(" ", text)
    cleaned = _INVISIBLE.sub("", cleaned)
    collapsed = _SPACES.sub(" ", cleaned).strip()
    changed = cleaned != text
    if len(collapsed) > max_chars:
        collapsed = collapsed[: max_chars - 1].rstrip() + "…"
    return collapsed, changed


def clean_body_text(text: str) -> tuple[str, bool]:
    """Return body text with ``\\n`` line ends and without controls or bidi overrides.

    Tabs and line feeds stay; other C0/C1 controls, bidi embedding/override/isolate characters,
    lone surrogates, noncharacters and tag characters are removed.
    """
    normalised = _NEWLINES.sub("\n", text)
    cleaned = _BODY_CONTROLS.sub("", normalised)
    return cleaned, cleaned != normalised


ENCODED_BLOCK = "[符号化されたファイルを削除しました]"
_BLOCK_START = re.compile(
    r"(?m)^(?:(?P<uuencode>begin(?:-base64)? +[0-7]{3,4} +\S.*)"
    r"|(?P<yenc>=ybegin .*)"
    r"|(?P<binhex>.*\(This file must be converted with BinHex.*))$"
)
_BLOCK_END = {
    "uuencode": re.compile(r"(?m)^end[ \t]*$"),
    "yenc": re.compile(r"(?m)^=yend.*$"),
}


def remove_encoded_blocks(text: str) -> tuple[str, int]:
    """Remove uuencode, BinHex and yEnc blocks, which some mail readers show as attachments.

    A block without its end line is removed up to the end of the text. Linear in the text.
    """
    pieces: list[str] = []
    count = 0
    position = 0
    while (start := _BLOCK_START.search(text, position)) is not None:
        pieces += [text[position : start.start()], ENCODED_BLOCK]
        count += 1
        end_pattern = _BLOCK_END.get(start.lastgroup or "")
        end = end_pattern.search(text, start.end()) if end_pattern else None
        if end is None:
            position = len(text)
            break
        position = end.end()
    pieces.append(text[position:])
    return "".join(pieces), count


_HIDDEN_MIME = re.compile(
    r"(?im)(?:^--[!-~]{1,200}[ \t]*\r?\n|\A\s*)(?:[!-9;-~]+[ \t]*:[^\n]*\n){0,10}?"
    r"content-(?:type|transfer-encoding|disposition)[ \t]*:"
)


def find_hidden_mime(text: str) -> bool:
    """Return True when text carries MIME structure: MIME headers after a boundary line or at
    the very start of the text.

    Text parts that carry unparsed MIME are what broken-boundary tricks leave behind: the
    parser saw text where other mail readers see an attachment.
    """
    return _HIDDEN_MIME.search(text) is not None


EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
"""The EICAR anti-virus test string (https://www.eicar.org/download-anti-malware-testfile/)."""

_SIGNATURES: tuple[tuple[str, bytes], ...] = (
    ("EICAR-Test-File", EICAR),
    ("EICAR-Test-File", b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE"),
)


def find_test_signature(data: bytes | str) -> str | None:
    """Return the name of an anti-virus test signature found in ``data``, or None.

    Real malware scanning (ClamAV) belongs to the gateway; this catches the test files that
    prove the pipeline end to end, in decoded parts, archive entries and delivered text.
    """
    raw = data.encode("utf-8", "replace") if isinstance(data, str) else data
    for name, needle in _SIGNATURES:
        if needle in raw:
            return name
    return None
