"""Text cleaning: controls, bidi, smuggled encoded files, hidden MIME, test signatures."""

from __future__ import annotations

from isms.sanitizer.links import apply_link_policy
from isms.sanitizer.policy import LinkPolicy
from isms.sanitizer.textsafety import (
    EICAR,
    ENCODED_BLOCK,
    clean_body_text,
    clean_header_text,
    find_hidden_mime,
    find_test_signature,
    remove_encoded_blocks,
)


def test_header_text_is_one_clean_line():
    """Line breaks and controls become spaces; bidi and zero-width characters go; long is cut."""
    assert clean_header_text("a\r\nb\x00c\u202ed\u200be  f") == ("a b cde f", True)
    assert clean_header_text("件名" * 10, max_chars=5) == ("件名件名…", False)


def test_body_text_keeps_tabs_and_newlines_only():
    """CR/LF normalised, tabs kept, C0/C1 controls and bidi overrides removed, LRM kept."""
    assert clean_body_text("a\r\nb\rc\td\x1b\x85e\u2067f\u200eg") == (
        "a\nb\nc\td\ne f\u200eg".replace(" ", ""),
        True,
    )


def test_encoded_blocks_of_every_kind_are_removed():
    """uuencode, yEnc and BinHex blocks are replaced; an unterminated one runs to the end."""
    text = (
        "a\nbegin 644 evil.exe\nM4$%\n`\nend\nb\n"
        "=ybegin line=128 size=3 name=x.exe\nabc\n=yend size=3\nc\n"
        "(This file must be converted with BinHex 4.0)\n:xx\nnot kept"
    )
    assert remove_encoded_blocks(text) == (
        f"a\n{ENCODED_BLOCK}\nb\n{ENCODED_BLOCK}\nc\n{ENCODED_BLOCK}",
        3,
    )
    assert remove_encoded_blocks("x\nbegin 600 y.zip\nM4\n") == (f"x\n{ENCODED_BLOCK}", 1)
    assert remove_encoded_blocks("we begin 644 meetings\n") == ("we begin 644 meetings\n", 0)


def test_hidden_mime_is_found_after_a_boundary_or_at_the_start():
    """MIME headers after a boundary line, or at the very start of a text, are found."""
    assert find_hidden_mime("x\n--b1\nContent-Type: application/zip\n\nUEsD")
    assert find_hidden_mime("\nContent-Transfer-Encoding: base64\nContent-type: text/plain\n")
    assert not find_hidden_mime("Content は本文中の単語です。\n-- \n署名")


def test_test_signatures():
    """The EICAR string is found in bytes and in text."""
    assert find_test_signature(b"x" + EICAR + b"y") == "EICAR-Test-File"
    assert find_test_signature(EICAR.decode()) == "EICAR-Test-File"
    assert find_test_signature("harmless") is None


def test_hostile_sizes_are_handled_in_one_pass():
    """Many block starts or a URL of brackets (quadratic before the fix: minutes) are handled."""
    assert remove_encoded_blocks("begin 644 x\n" * 200_000) == (ENCODED_BLOCK, 1)
    text, counts = apply_link_policy("http://a" + ")" * 300_000, LinkPolicy())
    assert (text, counts.defanged) == ("hxxp://a" + ")" * 300_000, 1)
