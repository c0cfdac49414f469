"""The Japanese charset layer: exact text from ISO-2022-JP, CP932, EUC-JP and UTF-8."""

from __future__ import annotations

import codecs

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isms.sanitizer.charset import (
    CP932_FORMS,
    canonical_charset,
    decode_eucjp,
    decode_iso2022jp,
    decode_text,
)

from .jatext import ASCII, HALFWIDTH_KANA, KANJI_AND_KANA, NEC_AND_IBM, to_eucjp, to_iso2022jp

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
japanese = st.text(
    alphabet=st.sampled_from(KANJI_AND_KANA + HALFWIDTH_KANA + ASCII + ["\n", "\t"]), max_size=60
)
kanji_heavy = st.text(alphabet=st.sampled_from(KANJI_AND_KANA), min_size=8, max_size=40).filter(
    lambda t: sum(0x3040 <= ord(c) <= 0x30FF or 0x4E00 <= ord(c) <= 0x9FFF for c in t) >= 6
)


def test_cp932_forms_are_exactly_the_codec_differences():
    """CP932_FORMS lists every JIS X 0208 code whose Python-JIS and CP932 mappings differ."""
    differences = {}
    for j1 in range(0x21, 0x7F):
        for j2 in range(0x21, 0x7F):
            try:
                jis = (b"\x1b$B" + bytes((j1, j2))).decode("iso2022_jp")
                windows = bytes((j1 | 0x80, j2 | 0x80)).decode("euc_jp")
                cp932 = to_iso2022jp_roundtrip(j1, j2)
            except UnicodeDecodeError:
                continue
            if jis != cp932:
                differences[jis] = cp932
            assert jis == windows
    assert differences == {chr(k): v for k, v in CP932_FORMS.items()}


def to_iso2022jp_roundtrip(j1: int, j2: int) -> str:
    """Decode one JIS code through CP932 (the Windows table)."""
    s2 = j2 + (0x1F if j2 < 0x60 else 0x20) if j1 & 1 else j2 + 0x7E
    s1 = ((j1 + 1) >> 1) + (0x70 if j1 <= 0x5E else 0xB0)
    return bytes((s1, s2)).decode("cp932")


def test_iso2022jp_decodes_nec_and_ibm_extensions_with_windows_forms():
    """NEC row 13 (①㈱), NEC-selected IBM (髙 at 0x7C62) and 0x2141 as ～ (U+FF5E)."""
    data = b"\x1b$B-!-j|b!A\x1b(B"
    assert decode_text(data, "ISO-2022-JP").text == "①㈱髙～"
    assert decode_iso2022jp(data) == ("①㈱髙～", 0)


def test_iso2022jp_kana_shift_and_jis0212():
    """ESC ( I and SO/SI half-width kana, and JIS X 0212 via ESC $ ( D, decode."""
    assert decode_iso2022jp(b"\x1b(I136\x1b(B") == ("ｱｳｶ", 0)
    assert decode_iso2022jp(b"a\x0e136\x0fb") == ("aｱｳｶb", 0)
    assert decode_iso2022jp(b"\x1b$(D0!\x1b(B") == ("丂", 0)


def test_iso2022jp_line_end_returns_to_ascii():
    """A sender that forgets ESC ( B before the line end does not garble the next line."""
    assert decode_iso2022jp(b'\x1b$B$"\nabc') == ("あ\nabc", 0)


def test_shift_jis_label_is_read_as_cp932():
    """Shift_JIS-labelled text with CP932 extensions (髙﨑ⅰ①) decodes without mojibake."""
    text = "髙﨑様 ①ⅰ ～ － ∥"
    decoded = decode_text(text.encode("cp932"), "Shift_JIS")
    assert (decoded.text, decoded.charset, decoded.repaired, decoded.errors) == (
        text,
        "cp932",
        False,
        0,
    )


def test_eucjp_with_nec_row13_and_halfwidth_kana():
    """eucJP-ms: NEC row 13 and SS2 kana decode; 0xA1C1 is ～ (U+FF5E)."""
    assert decode_eucjp(b"\xad\xa1\x8e\xb1\xa1\xc1") == ("①ｱ～", 0)


def test_mislabelled_utf8_is_repaired():
    """UTF-8 bytes labelled ISO-2022-JP, Shift_JIS or US-ASCII decode as UTF-8, flagged repaired."""
    data = "年末年始の窓口業務".encode()
    for label in ("ISO-2022-JP", "us-ascii", "Shift_JIS", "iso-8859-1", "x-unknown"):
        decoded = decode_text(data, label)
        assert (decoded.text, decoded.charset, decoded.repaired) == (
            "年末年始の窓口業務",
            "utf-8",
            True,
        )


def test_unlabelled_iso2022jp_is_recognised():
    """7-bit text with JIS escapes and no label (or a wrong one) is ISO-2022-JP."""
    data = to_iso2022jp("お知らせ")
    assert decode_text(data, None).text == "お知らせ"
    assert decode_text(data, "utf-8").text == "お知らせ"


def test_utf16_without_bom_follows_the_byte_order_of_the_data():
    """UTF-16 without a byte order mark is read big- or little-endian as the NULs show."""
    assert decode_text("file.zip".encode("utf-16-be"), "UTF-16").text == "file.zip"
    assert decode_text("file.zip".encode("utf-16-le"), "UTF-16").text == "file.zip"


def test_labels():
    """Japanese aliases map to our codecs; bytes-to-bytes and escape codecs are refused."""
    assert canonical_charset("x-sjis") == "cp932"
    assert canonical_charset('"Windows-31J"') == "cp932"
    assert canonical_charset("CP50220") == "iso-2022-jp"
    assert canonical_charset("eucJP-ms") == "euc-jp"
    assert canonical_charset("ks_c_5601-1987") == "cp949"
    for refused in ("zlib", "base64", "unicode_escape", "rot13", "", None, "no-such"):
        assert canonical_charset(refused) is None


@SETTINGS
@given(japanese)
def test_iso2022jp_round_trip(text):
    """Any text an ISO-2022-JP mail can carry decodes exactly (NEC/IBM included)."""
    decoded = decode_text(to_iso2022jp(text), "ISO-2022-JP")
    assert (decoded.text, decoded.errors) == (text, 0)
    assert "\x1b" not in decoded.text


@SETTINGS
@given(japanese)
def test_cp932_round_trip(text):
    """Any CP932 text labelled Shift_JIS decodes exactly."""
    assert decode_text(text.encode("cp932"), "Shift_JIS").text == text


@SETTINGS
@given(japanese)
def test_eucjp_round_trip(text):
    """Any text in the JIS X 0208 grid (NEC/IBM included) written as eucJP-ms decodes exactly."""
    decoded = decode_text(to_eucjp(text), "EUC-JP")
    assert (decoded.text, decoded.errors) == (text, 0)


@SETTINGS
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=80))
def test_utf8_is_never_remapped(text):
    """UTF-8 text comes back exactly, with or without a label; 〜 (U+301C) stays as written."""
    data = text.encode("utf-8")
    assert decode_text(data, "utf-8").text == text
    assert decode_text(data, None).text == text
    assert decode_text("〜".encode(), "utf-8").text == "〜"


@SETTINGS
@given(
    kanji_heavy,
    st.sampled_from(["cp932", "euc-jp", "utf-8"]),
    st.sampled_from([None, "x-unknown", "us-ascii"]),
)
def test_missing_or_wrong_label_is_guessed(text, encoding, label):
    """Japanese text with no label or a wrong one is recognised as CP932, EUC-JP or UTF-8."""
    data = to_eucjp(text) if encoding == "euc-jp" else text.encode(encoding)
    decoded = decode_text(data, label)
    assert decoded.text == text
    assert decoded.charset == encoding


@SETTINGS
@given(
    st.binary(max_size=200),
    st.one_of(
        st.none(),
        st.sampled_from(
            [
                "ISO-2022-JP",
                "Shift_JIS",
                "EUC-JP",
                "utf-8",
                "utf-16",
                "utf-7",
                "gb2312",
                "bogus",
                "",
            ]
        ),
        st.text(max_size=12),
    ),
)
def test_decoding_never_fails_and_never_leaks_escapes_or_surrogates(data, label):
    """Arbitrary bytes and labels decode to text without surrogates; errors are counted."""
    decoded = decode_text(data, label)
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in decoded.text)
    assert decoded.errors >= 0
    if decoded.charset == "iso-2022-jp":
        assert "\x1b" not in decoded.text or decoded.errors > 0


def test_nec_and_ibm_characters_cover_the_expected_corpus_set():
    """The characters EXPECTED.md calls out are all in the ISO-2022-JP repertoire used here."""
    assert all(c in KANJI_AND_KANA for c in NEC_AND_IBM)
    assert codecs.lookup("cp932").name == "cp932"
