"""Japanese charset layer: bytes in any charset a Japanese mail may use, to text without mojibake.

Legacy Japanese charsets are read with the Windows (CP932) tables, which is what senders in
Japan actually use:

* ``Shift_JIS`` and its aliases are read as CP932 (NEC row 13 ①㈱, NEC-selected and IBM
  extensions 髙﨑ⅰ).
* ``ISO-2022-JP`` is read as CP50220: each JIS X 0208 code is mapped through CP932, so NEC and
  IBM extension characters written in JIS (for example ``0x2D21`` ①, ``0x7C62`` 髙) decode, and
  ``0x2141`` is FULLWIDTH TILDE ～ (U+FF5E), not WAVE DASH 〜 (U+301C). JIS X 0201 kana (``ESC ( I``
  and SO/SI), JIS X 0212 (``ESC $ ( D``) and JIS X 0213 (``ESC $ ( Q``/``P``) are understood too.
* ``EUC-JP`` is read the same way (eucJP-ms), half-width kana via SS2 and JIS X 0212 via SS3.

UTF-8 text is never remapped: what the sender wrote in Unicode stays as written. A missing,
unknown or wrong label is repaired by trying UTF-8, CP932 and EUC-JP and scoring the results.

    >>> decode_text(b"\\x1b$B-!|b\\x1b(B", "iso-2022-jp").text
    '①髙'
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

__all__ = [
    "CP932_FORMS",
    "DecodedText",
    "canonical_charset",
    "decode_eucjp",
    "decode_iso2022jp",
    "decode_text",
]

REPLACEMENT = "\ufffd"

CP932_FORMS = str.maketrans(
    {
        "\u301c": "\uff5e",  # WAVE DASH -> FULLWIDTH TILDE            (JIS 0x2141)
        "\u2016": "\u2225",  # DOUBLE VERTICAL LINE -> PARALLEL TO      (JIS 0x2142)
        "\u2212": "\uff0d",  # MINUS SIGN -> FULLWIDTH HYPHEN-MINUS     (JIS 0x215D)
        "\u00a2": "\uffe0",  # CENT SIGN -> FULLWIDTH CENT SIGN         (JIS 0x2171)
        "\u00a3": "\uffe1",  # POUND SIGN -> FULLWIDTH POUND SIGN       (JIS 0x2172)
        "\u00ac": "\uffe2",  # NOT SIGN -> FULLWIDTH NOT SIGN           (JIS 0x224C)
    }
)
"""The only six JIS X 0208 codes whose Unicode mapping differs between Python's JIS tables and
CP932 (a test re-derives this from the codecs). Applied to text decoded from JIS-family bytes,
never to UTF-8."""

_JAPANESE_ALIASES = {
    "iso-2022-jp": (
        "iso2022jp iso2022jp1 iso2022jp2 iso2022jp3 iso2022jp2004 iso2022jpms iso2022jpext "
        "csiso2022jp csiso2022jp2 cp50220 cp50221 cp50222 jis xjis"
    ),
    "cp932": (
        "shiftjis sjis xsjis mskanji csshiftjis windows31j cp932 ms932 xmscp932 ibm943 "
        "shiftjis2004 shiftjisx0213 sjisopen sjiswin xsjisopen windows932"
    ),
    "euc-jp": (
        "eucjp xeucjp cseucpkdfmtjapanese eucjpms cp51932 eucjp2004 eucjisx0213 ujis xeucjpms"
    ),
    "utf-8": "utf8 unicode11utf8 unicode20utf8 xunicode20utf8 utf8mb4",
    "us-ascii": "usascii ascii ansix341968 iso646us us cp367 ibm367 csascii 7bit",
    "windows-1252": "iso88591 latin1 l1 cp819 ibm819 csisolatin1 windows1252 cp1252 xcp1252 ansi",
    "gb18030": "gb2312 gbk xgbk euccn cp936 csgb2312 gb231280 chinese gb18030 windows936",
    "cp949": "ksc56011987 ksc5601 euckr cp949 windows949 csksc56011987 csueckr",
    "cp950": "big5 csbig5 xxbig5 cp950 windows950 big5hkscs",
    "cp874": "tis620 iso885911 windows874 cp874",
}
_ALIASES = {alias: name for name, aliases in _JAPANESE_ALIASES.items() for alias in aliases.split()}
_REFUSED_CODECS = frozenset(
    {"unicode_escape", "raw_unicode_escape", "idna", "punycode", "undefined", "mbcs", "oem"}
)
_LABEL_JUNK = re.compile(r"[^a-z0-9]")


def canonical_charset(label: str | None) -> str | None:
    """Return the codec name used for a charset label, or None if it is missing or unknown."""
    if not label:
        return None
    key = _LABEL_JUNK.sub("", label.strip().strip("\"'").lower())
    if not key:
        return None
    if key in _ALIASES:
        return _ALIASES[key]
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except (LookupError, ValueError):
        return None
    try:
        "a".encode(name)  # refuses bytes-to-bytes codecs such as zlib or base64
    except LookupError:
        return None
    except UnicodeError:
        pass
    if name.replace("-", "_") in _REFUSED_CODECS:
        return None
    return name


@dataclass(frozen=True)
class DecodedText:
    """Text decoded from bytes, with how it was decoded."""

    text: str
    charset: str
    """The codec actually used (``utf-8``, ``cp932``, ``iso-2022-jp``, ``euc-jp``, ...)."""
    repaired: bool = False
    """True when the declared label was missing, unknown or wrong and another was used."""
    errors: int = 0
    """Number of undecodable sequences replaced by U+FFFD."""


# --- JIS X 0208 through CP932 ------------------------------------------------------------------


def _jis_pairs_to_cp932(run: bytes) -> bytes:
    """Map JIS X 0208 byte pairs (each byte 0x21-0x7E) to the equivalent Shift_JIS/CP932 bytes."""
    out = bytearray()
    for i in range(0, len(run) - 1, 2):
        j1, j2 = run[i], run[i + 1]
        s2 = j2 + (0x1F if j2 < 0x60 else 0x20) if j1 & 1 else j2 + 0x7E
        s1 = ((j1 + 1) >> 1) + (0x70 if j1 <= 0x5E else 0xB0)
        out += bytes((s1, s2))
    return bytes(out)


def _decode_jis0208_run(run: bytes) -> tuple[str, int]:
    """Decode a run of JIS X 0208 byte pairs with CP932 semantics."""
    odd = len(run) % 2
    if odd:
        run = run[:-1]
    try:
        text = (b"\x1b$B" + run).decode("iso2022_jp").translate(CP932_FORMS)
        errors = 0
    except UnicodeDecodeError:
        text = _jis_pairs_to_cp932(run).decode("cp932", "replace")
        errors = text.count(REPLACEMENT)
    if odd:
        text += REPLACEMENT
        errors += 1
    return text, errors


def _halfwidth_kana(run: bytes) -> tuple[str, int]:
    chars = []
    errors = 0
    for b in run:
        b &= 0x7F
        if 0x21 <= b <= 0x5F:
            chars.append(chr(0xFF61 + b - 0x21))
        elif b < 0x21:
            chars.append(chr(b))
        else:
            chars.append(REPLACEMENT)
            errors += 1
    return "".join(chars), errors


_ESCAPE_MODES: tuple[tuple[bytes, str], ...] = (
    (b"(B", "ascii"),
    (b"(J", "ascii"),
    (b"(H", "ascii"),
    (b"(I", "kana"),
    (b"$@", "jis0208"),
    (b"$B", "jis0208"),
    (b"$(B", "jis0208"),
    (b"$(@", "jis0208"),
    (b"&@", "jis0208"),
    (b"$(D", "jis0212"),
    (b"$(O", "jis0213_1"),
    (b"$(Q", "jis0213_1"),
    (b"$(P", "jis0213_2"),
)
_PAIRS = re.compile(rb"[\x21-\x7e]+")
_NOT_7BIT = re.compile(rb"[\x80-\xff]")


def _decode_ascii_segment(seg: bytes) -> tuple[str, int]:
    """Decode bytes in ASCII state, honouring SO/SI kana shifts; 8-bit bytes are errors."""
    parts: list[str] = []
    errors = 0
    shifted = False
    for piece in re.split(rb"([\x0e\x0f])", seg):
        if piece == b"\x0e":
            shifted = True
        elif piece == b"\x0f":
            shifted = False
        elif shifted:
            text, err = _halfwidth_kana(piece)
            parts.append(text)
            errors += err
        else:
            text = piece.decode("ascii", "replace")
            errors += text.count(REPLACEMENT)
            parts.append(text)
    return "".join(parts), errors


def _decode_multibyte_segment(seg: bytes, mode: str) -> tuple[str, int]:
    """Decode bytes in a two-byte state; controls and spaces pass through unchanged."""
    parts: list[str] = []
    errors = 0
    pos = 0
    for match in _PAIRS.finditer(seg):
        if match.start() > pos:
            text, err = _decode_ascii_segment(seg[pos : match.start()])
            parts.append(text)
            errors += err
        run = match.group()
        if mode == "jis0208":
            text, err = _decode_jis0208_run(run)
        elif mode == "jis0212":
            euc = b"".join(
                b"\x8f" + bytes((run[i] | 0x80, run[i + 1] | 0x80))
                for i in range(0, len(run) - 1, 2)
            )
            text = euc.decode("euc_jp", "replace") + (REPLACEMENT if len(run) % 2 else "")
            err = text.count(REPLACEMENT)
        else:
            designator = b"\x1b$(Q" if mode == "jis0213_1" else b"\x1b$(P"
            text = (designator + run).decode("iso2022_jp_2004", "replace")
            err = text.count(REPLACEMENT)
        parts.append(text)
        errors += err
        pos = match.end()
    if pos < len(seg):
        text, err = _decode_ascii_segment(seg[pos:])
        parts.append(text)
        errors += err
    return "".join(parts), errors


def decode_iso2022jp(data: bytes) -> tuple[str, int]:
    """Decode ISO-2022-JP (CP50220 semantics); return the text and the number of errors.

    A line feed in a two-byte state returns to ASCII, as RFC 1468 requires every line to end
    in ASCII; senders that forget the final ``ESC ( B`` are common, senders that continue
    kanji across lines without re-designating are not.
    """
    chunks = data.split(b"\x1b")
    parts: list[str] = []
    errors = 0
    mode = "ascii"
    for index, chunk in enumerate(chunks):
        if index:
            for prefix, new_mode in _ESCAPE_MODES:
                if chunk.startswith(prefix):
                    mode = new_mode
                    chunk = chunk[len(prefix) :]
                    break
            else:
                errors += 1
                parts.append(REPLACEMENT)
        if mode in ("ascii", "kana"):
            if mode == "kana":
                line, sep, rest = chunk.partition(b"\n")
                text, err = _halfwidth_kana(line)
                if sep:
                    mode = "ascii"
                    rest_text, rest_err = _decode_ascii_segment(rest)
                    text, err = text + "\n" + rest_text, err + rest_err
            else:
                text, err = _decode_ascii_segment(chunk)
        else:
            line, sep, rest = chunk.partition(b"\n")
            text, err = _decode_multibyte_segment(line, mode)
            if sep:
                mode = "ascii"
                rest_text, rest_err = _decode_ascii_segment(rest)
                text, err = text + "\n" + rest_text, err + rest_err
        parts.append(text)
        errors += err
    return "".join(parts), errors


# --- EUC-JP ------------------------------------------------------------------------------------

_EUC_TOKEN = re.compile(
    rb"(?P<ascii>[\x00-\x7f]+)"
    rb"|(?P<pairs>(?:[\xa1-\xfe][\xa1-\xfe])+)"
    rb"|\x8e(?P<kana>[\xa1-\xdf])"
    rb"|(?P<x0212>\x8f[\xa1-\xfe][\xa1-\xfe])"
    rb"|(?P<bad>[\x80-\xff])"
)


def decode_eucjp(data: bytes) -> tuple[str, int]:
    """Decode EUC-JP (eucJP-ms semantics); return the text and the number of errors."""
    try:
        return data.decode("euc_jp").translate(CP932_FORMS), 0
    except UnicodeDecodeError:
        pass
    parts: list[str] = []
    errors = 0
    for match in _EUC_TOKEN.finditer(data):
        kind = match.lastgroup
        value = match.group(kind or 0)
        if kind == "ascii":
            parts.append(value.decode("ascii"))
        elif kind == "pairs":
            text, err = _decode_jis0208_run(bytes(b & 0x7F for b in value))
            parts.append(text)
            errors += err
        elif kind == "kana":
            parts.append(chr(0xFF61 + value[0] - 0xA1))
        elif kind == "x0212":
            text = value.decode("euc_jp", "replace")
            parts.append(text)
            errors += text.count(REPLACEMENT)
        else:
            parts.append(REPLACEMENT)
            errors += 1
    return "".join(parts), errors


# --- decoding with a declared label, and guessing -------------------------------------------

_JIS_ESCAPE = re.compile(rb"\x1b(?:\$[@B]|\$\([@BDOPQ]|\([BJI])")
_WESTERN_SINGLE_BYTE = frozenset({"windows-1252", "cp1252", "iso8859-15", "iso8859-2", "cp1250"})


def _decode_with(data: bytes, charset: str) -> tuple[str, int]:
    """Decode with one of our codec names, replacing errors; return text and error count."""
    if charset == "iso-2022-jp":
        return decode_iso2022jp(data)
    if charset == "euc-jp":
        return decode_eucjp(data)
    if charset == "us-ascii":
        text = data.decode("ascii", "replace")
        return text, text.count(REPLACEMENT)
    text = data.decode(charset, "replace")
    legit = data.count(b"\xef\xbf\xbd") if charset in ("utf-8", "utf-8-sig") else 0
    errors = max(text.count(REPLACEMENT) - legit, 0)
    if charset == "cp932":
        errors += sum(text.count(c) for c in _CP932_SINGLE_BYTE_FILLERS)
    return text, errors


def _strict(data: bytes, charset: str) -> str | None:
    """Decode without errors or return None."""
    if charset in ("iso-2022-jp", "euc-jp"):
        text, errors = _decode_with(data, charset)
        return None if errors else text
    try:
        return data.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return None


def _japanese_score(text: str) -> int:
    """Score how much a decoding looks like Japanese text; higher is better."""
    score = 0
    for ch in text[:20000]:
        o = ord(ch)
        if o < 0x80:
            continue
        if 0x3040 <= o <= 0x30FF or 0x4E00 <= o <= 0x9FFF or 0x3000 <= o <= 0x303F:
            score += 2
        elif 0xFF01 <= o <= 0xFF5E:
            score += 1
        elif 0xFF61 <= o <= 0xFF9F:
            score -= 1
        elif 0xE000 <= o <= 0xF8FF:
            score -= 3
        else:
            score -= 1
    return score


_CP932_SINGLE_BYTE_FILLERS = frozenset("\x80\uf8f0\uf8f1\uf8f2\uf8f3")
"""What Python's CP932 makes of the unassigned single bytes 0x80, 0xA0, 0xFD-0xFF."""


def _clean_candidate(data: bytes, charset: str) -> str | None:
    """Decode strictly; for CP932 also refuse the unassigned single bytes."""
    text = _strict(data, charset)
    if text is not None and charset == "cp932" and _CP932_SINGLE_BYTE_FILLERS & set(text):
        return None
    return text


def _guess(data: bytes, declared: str | None) -> DecodedText:
    """Decode bytes whose label is missing, unknown or wrong."""
    jis = _JIS_ESCAPE.search(data) is not None
    if not _NOT_7BIT.search(data):
        if jis:
            text, errors = decode_iso2022jp(data)
            return DecodedText(text, "iso-2022-jp", declared != "iso-2022-jp", errors)
        return DecodedText(data.decode("ascii"), "us-ascii", False, 0)
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            text, errors = _decode_with(data, codec)
            return DecodedText(text, codec, declared != codec, errors)
    if not jis:
        utf8 = _strict(data, "utf-8")
        if utf8 is not None:
            return DecodedText(utf8, "utf-8", declared != "utf-8", 0)
        clean = [
            (charset, candidate)
            for charset in ("cp932", "euc-jp")
            if (candidate := _clean_candidate(data, charset)) is not None
        ]
        if clean:
            charset, text = max(clean, key=lambda item: _japanese_score(item[1]))
            return DecodedText(text, charset, declared != charset, 0)
    candidates = [declared, "iso-2022-jp" if jis else None, "utf-8", "cp932", "euc-jp"]
    best: DecodedText | None = None
    for charset in dict.fromkeys(c for c in candidates if c):
        text, errors = _decode_with(data, charset)
        if best is None or errors < best.errors:
            best = DecodedText(text, charset, charset != declared, errors)
    assert best is not None
    return best


def decode_text(data: bytes, declared: str | None = None) -> DecodedText:
    """Decode ``data`` labelled ``declared`` (a charset label as found in the mail, or None).

    Never raises: undecodable bytes become U+FFFD and are counted in ``errors``.
    """
    canon = canonical_charset(declared)
    if not data:
        return DecodedText("", canon or "us-ascii", False, 0)
    has_8bit = _NOT_7BIT.search(data) is not None
    if canon is None or canon == "us-ascii":
        guessed = _guess(data, canon)
        repaired = declared is not None and (canon is None or guessed.charset != "us-ascii")
        return DecodedText(guessed.text, guessed.charset, repaired, guessed.errors)
    if not has_8bit and _JIS_ESCAPE.search(data) and not canon.startswith("iso2022"):
        text, errors = decode_iso2022jp(data)
        return DecodedText(text, "iso-2022-jp", canon != "iso-2022-jp", errors)
    if canon == "iso-2022-jp" and has_8bit:
        return _guess(data, canon)
    if canon in ("utf-16", "utf-32") and not data.startswith(
        (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
    ):
        # RFC 2781 says big-endian without a byte order mark; senders get it wrong, so look
        # at which byte of each unit is zero (ASCII-range text in UTF-16)
        width = 2 if canon == "utf-16" else 4
        low_first = data[width - 1 :: width].count(0) > data[0::width].count(0)
        canon += "-le" if low_first else "-be"
    if canon in _WESTERN_SINGLE_BYTE and has_8bit:
        utf8 = _strict(data, "utf-8")
        if utf8 is not None:
            return DecodedText(utf8, "utf-8", True, 0)
    strict = _strict(data, canon)
    if strict is not None:
        return DecodedText(strict, canon, False, 0)
    return _guess(data, canon)
