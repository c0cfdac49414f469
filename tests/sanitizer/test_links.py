"""The link policy on text: keep, defang or remove per scheme family; unsafe schemes removed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from isms.sanitizer.links import REMOVED_LINK, UNSAFE_LINK, apply_link_policy
from isms.sanitizer.policy import LinkMode, LinkPolicy

DEFANG_ALL = LinkPolicy(http=LinkMode.defang, mailto=LinkMode.defang, tel=LinkMode.defang)


def test_defang_every_family():
    """http(s)/ftp/www, mailto and tel are defanged; paths and queries keep their dots."""
    text, counts = apply_link_policy(
        "a https://www.example.jp/a.html?x=1. b http://x.example/ c ftp://f.example/ "
        "d www.city.example.jp/p e mailto:info@city.example.jp f tel:+81-3-1234-5678",
        DEFANG_ALL,
    )
    assert text == (
        "a hxxps://www[.]example[.]jp/a.html?x=1. b hxxp://x[.]example/ c fxp://f[.]example/ "
        "d www[.]city[.]example[.]jp/p e mailto[:]info[@]city[.]example[.]jp "
        "f tel[:]+81-3-1234-5678"
    )
    assert (counts.defanged, counts.removed, counts.unsafe) == (6, 0, 0)


def test_japanese_text_right_after_a_url_is_not_swallowed():
    """URLs are ASCII only: 「https://a.jp/をご覧ください」 keeps its Japanese."""
    text, _ = apply_link_policy("詳細はhttps://a.example.jp/をご覧ください。", LinkPolicy())
    assert text == "詳細はhxxps://a[.]example[.]jp/をご覧ください。"


def test_unsafe_schemes_are_always_removed():
    """javascript:, data: and file: links are removed even when http links are kept."""
    text, counts = apply_link_policy(
        "x javascript:alert(1) y data:text/html;base64,PHA+ z file:///etc/passwd",
        LinkPolicy(http=LinkMode.keep),
    )
    assert text == f"x {UNSAFE_LINK} y {UNSAFE_LINK} z {UNSAFE_LINK}"
    assert counts.unsafe == 3


def test_remove_and_keep():
    """remove replaces the link; keep leaves it exactly; trailing punctuation stays."""
    policy = LinkPolicy(http=LinkMode.remove, mailto=LinkMode.keep, tel=LinkMode.keep)
    text, _ = apply_link_policy("(see https://a.jp/x), mailto:a@b.jp.", policy)
    assert text == f"(see {REMOVED_LINK}), mailto:a@b.jp."


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_defanging_is_idempotent_and_leaves_no_live_http_link(text):
    """After defanging, nothing a mail reader would link as http(s) remains."""
    once, _ = apply_link_policy(text, DEFANG_ALL)
    twice, counts = apply_link_policy(once, DEFANG_ALL)
    assert twice == once
    assert counts.defanged == 0
