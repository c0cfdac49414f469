"""RFC 2047 encoded words and RFC 2231 parameters, as Japanese senders write them."""

from __future__ import annotations

import base64
import itertools
import urllib.parse

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isms.sanitizer.encoded_words import decode_header_text, parse_params

from .jatext import ASCII, KANJI_AND_KANA, to_eucjp, to_iso2022jp

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
japanese = st.text(alphabet=st.sampled_from(KANJI_AND_KANA + ASCII), min_size=1, max_size=40)
ENCODERS = {
    "ISO-2022-JP": to_iso2022jp,
    "Shift_JIS": lambda t: t.encode("cp932"),
    "EUC-JP": to_eucjp,
    "UTF-8": lambda t: t.encode("utf-8"),
}


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points) if b > a]


def test_corpus_subject_with_nec_characters_in_several_words():
    """ja01's Subject: several ISO-2022-JP words with ①㈱髙 (CPython 3.11 gets this wrong)."""
    raw = (
        "=?ISO-2022-JP?B?GyRCIVo9RU1XIVstIURqTmMycTVEJE4kNDBGRmIhSi1qfGI2Nj4mGyhC?=\r\n"
        " =?ISO-2022-JP?B?GyRCO3YhSxsoQjEwGyRCO34hQRsoQjEyGyRCO34bKEI=?="
    )
    assert decode_header_text(raw) == "【重要】①定例会議のご案内（㈱髙橋商事）10時～12時"


def test_shift_jis_word_with_ibm_extension():
    """A Shift_JIS encoded word holding IBM extension bytes (髙=FBFC) decodes as CP932."""
    word = base64.b64encode("Re: ②見積書送付の件（髙﨑様）".encode("cp932")).decode()
    assert decode_header_text(f"=?Shift_JIS?B?{word}?=") == "Re: ②見積書送付の件（髙﨑様）"


def test_whitespace_between_words_is_dropped_but_kept_around_text():
    """Space between two encoded words disappears; space next to plain text stays."""
    assert decode_header_text("=?UTF-8?Q?a?= =?UTF-8?Q?b?= c") == "ab c"
    assert decode_header_text("Re: =?UTF-8?B?5pel5pys?=") == "Re: 日本"


def test_raw_8bit_header_bytes_are_guessed():
    """Raw UTF-8 or CP932 bytes in a header (surrogate-escaped by the parser) decode."""
    for data in ("件名".encode(), "件名テスト".encode("cp932")):
        value = data.decode("ascii", "surrogateescape")
        assert decode_header_text(value) in ("件名", "件名テスト")


def test_rfc2231_continuations_split_inside_a_utf8_sequence():
    """filename*0*/filename*1* joined at the byte level, even mid-character (ja07)."""
    data = "令和8年度_予算要求資料.csv".encode()
    quoted = urllib.parse.quote(data)
    first, second = quoted[:12], quoted[12:]  # 4 bytes: 令 and 1 byte of 和
    params = parse_params(f"attachment; filename*0*=UTF-8''{first}; filename*1*={second}").params
    assert params["filename"] == "令和8年度_予算要求資料.csv"


def test_encoded_word_inside_a_quoted_parameter():
    """name="=?ISO-2022-JP?B?...?=" (non-standard, very common in Japan) decodes."""
    params = parse_params('application/zip; name="=?ISO-2022-JP?B?GyRCO3FOQTBsPDAbKEIuemlw?="')
    assert params.value == "application/zip"
    assert params.params["name"] == "資料一式.zip"


def test_parameter_tricks():
    """Comments in names, escaped semicolons and out-of-order sections follow RFC rules."""
    assert parse_params("attachment; filena()me=file.zip").params["filename"] == "file.zip"
    assert parse_params("text/plain; name=file\\;.zip").params["name"] == "file;.zip"
    assert parse_params("a; filename*1=.zip; filename*0=file").params["filename"] == "file.zip"


@SETTINGS
@given(japanese, st.sampled_from(sorted(ENCODERS)), st.lists(st.integers(0, 200), max_size=5),
       st.sampled_from([" ", "\r\n ", "\r\n\t"]))  # fmt: skip
def test_words_split_at_any_byte_decode_exactly(text, charset, cuts, separator):
    """Encoded words cut at arbitrary bytes (mid-character, mid JIS state) join back exactly."""
    words = [
        f"=?{charset}?B?{base64.b64encode(chunk).decode()}?="
        for chunk in _split(ENCODERS[charset](text), cuts)
    ]
    assert decode_header_text(separator.join(words)) == text


@SETTINGS
@given(japanese, st.lists(st.integers(0, 200), max_size=4))
def test_q_encoded_words_decode_exactly(text, cuts):
    """Q-encoded UTF-8 words cut anywhere decode exactly."""
    words = []
    for chunk in _split(text.encode(), cuts):
        encoded = "".join(
            chr(b) if chr(b).isascii() and chr(b).isalnum() else f"={b:02X}" for b in chunk
        )
        words.append(f"=?utf-8?q?{encoded}?=")
    assert decode_header_text(" ".join(words)) == text


@SETTINGS
@given(japanese, st.lists(st.integers(0, 200), max_size=4), st.sampled_from(["UTF-8", "Shift_JIS"]))
def test_rfc2231_sections_cut_anywhere_decode_exactly(text, cuts, charset):
    """filename*N* sections cut at arbitrary bytes join back into the exact name."""
    data = ENCODERS[charset](text)
    sections = [urllib.parse.quote(chunk) for chunk in _split(data, cuts)] or [""]
    sections[0] = f"{charset}''{sections[0]}"
    value = "attachment; " + "; ".join(f"filename*{i}*={s}" for i, s in enumerate(sections))
    assert parse_params(value).params["filename"] == text


@SETTINGS
@given(st.text(max_size=120))
def test_header_decoding_never_fails(value):
    """Any header text decodes without an exception."""
    assert isinstance(decode_header_text(value), str)
    assert isinstance(parse_params(value).params, dict)
