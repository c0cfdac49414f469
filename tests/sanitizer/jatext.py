"""Test-side encoders for Japanese mail text, written independently of the engine.

They build ISO-2022-JP (CP50220 style: NEC and NEC-selected IBM characters written in JIS)
and EUC-JP (eucJP-ms) byte strings from CP932 codes, the way Japanese Windows mailers do.
"""

from __future__ import annotations

import string


def _sjis_to_jis(lead: int, trail: int) -> tuple[int, int]:
    if lead >= 0xE0:
        lead -= 0x40
    row = (lead - 0x81) * 2 + 0x21
    if trail >= 0x9F:
        return row + 1, trail - 0x7E
    return row, trail - (0x1F if trail < 0x7F else 0x20)


def _jis_range_table() -> dict[str, tuple[int, int]]:
    """Every character with a CP932 code inside the JIS X 0208 grid (rows 1-94)."""
    table: dict[str, tuple[int, int]] = {}
    for lead in [*range(0x81, 0xA0), *range(0xE0, 0xF0)]:
        for trail in [*range(0x40, 0x7F), *range(0x80, 0xFD)]:
            try:
                char = bytes((lead, trail)).decode("cp932")
            except UnicodeDecodeError:
                continue
            table.setdefault(char, _sjis_to_jis(lead, trail))
    return table


JIS = _jis_range_table()
KANJI_AND_KANA = sorted(JIS)
"""Every double-byte character an ISO-2022-JP mail can carry, NEC and IBM extensions included."""
HALFWIDTH_KANA = [chr(c) for c in range(0xFF61, 0xFFA0)]
ASCII = list(string.ascii_letters + string.digits + string.punctuation + " ")
NEC_AND_IBM = "①②⑳ⅠⅩ㈱㈲№℡∮∑∟⊿髙﨑ⅰⅹ"


def to_iso2022jp(text: str) -> bytes:
    """Encode like CP50220: JIS X 0208 via ESC $ B, half-width kana via ESC ( I."""
    out = bytearray()
    state = "ascii"
    for char in text:
        if char.isascii():
            wanted, data = "ascii", char.encode("ascii")
        elif char in HALFWIDTH_KANA:
            wanted, data = "kana", bytes((ord(char) - 0xFF61 + 0x21,))
        else:
            wanted, data = "jis", bytes(JIS[char])
        if wanted != state:
            out += {"ascii": b"\x1b(B", "kana": b"\x1b(I", "jis": b"\x1b$B"}[wanted]
            state = wanted
        out += data
    if state != "ascii":
        out += b"\x1b(B"
    return bytes(out)


def to_eucjp(text: str) -> bytes:
    """Encode like eucJP-ms: JIS X 0208 codes with the high bit set, kana after SS2."""
    out = bytearray()
    for char in text:
        if char.isascii():
            out += char.encode("ascii")
        elif char in HALFWIDTH_KANA:
            out += bytes((0x8E, ord(char) - 0xFF61 + 0xA1))
        else:
            j1, j2 = JIS[char]
            out += bytes((j1 | 0x80, j2 | 0x80))
    return bytes(out)
