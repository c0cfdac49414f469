"""HTML to text: readable layout, nothing active or hidden, real link targets shown."""

from __future__ import annotations

from isms.sanitizer.html import html_to_text
from isms.sanitizer.links import UNSAFE_LINK


def test_scripts_styles_comments_and_hidden_text_are_dropped():
    """Scripts, styles, comments, head, forms and every kind of hidden element disappear."""
    html = """<html><head><title>T</title><style>.x{color:red}</style>
    <script>alert('S1')</script></head><body onload="alert('S2')">
    <!-- C1 --><p>見える</p><div hidden>H1</div><span style="display: none">H2</span>
    <p style="visibility:hidden">H3</p><p style="font-size:0">H4</p><noscript>N1</noscript>
    <iframe src="http://x.example/">F1</iframe><form action="http://phish.example/">
    <input name="pw" value="V1"><button>送信</button></form><object data="x">O1</object>
    </body></html>"""
    text = html_to_text(html).text
    assert "見える" in text and "送信" in text
    for hidden in (
        "S1",
        "S2",
        "C1",
        "H1",
        "H2",
        "H3",
        "H4",
        "N1",
        "F1",
        "V1",
        "O1",
        "color",
        "T\n",
    ):
        assert hidden not in text, hidden


def test_paragraphs_lists_and_tables_stay_readable():
    """Paragraphs are separated, list items bulleted, table cells aligned on one row."""
    html = (
        "<p>一</p><p>二</p><ul><li>項目A</li><li>項目B</li></ul>"
        "<table><tr><td>日時</td><td>12月5日</td></tr></table>"
    )
    text = html_to_text(html).text
    assert "一\n\n二" in text
    assert "  * 項目A\n  * 項目B" in text
    assert "日時  12月5日" in text


def test_links_show_the_real_target_and_unsafe_ones_are_removed():
    """A link whose text differs from its target shows both; javascript: targets are removed."""
    html = (
        '<a href="http://login.example.net/x">https://www.city.example.jp/login</a> '
        '<a href="https://a.example.jp/">https://a.example.jp/</a> '
        '<a href="javascript:steal()">click</a> <a href="#top">top</a>'
    )
    converted = html_to_text(html)
    assert "https://www.city.example.jp/login <http://login.example.net/x>" in converted.text
    assert converted.text.count("https://a.example.jp/") == 1
    assert f"click {UNSAFE_LINK}" in converted.text
    assert "steal" not in converted.text
    assert converted.unsafe_links == 1


def test_images_are_counted_and_only_alt_text_kept():
    """Images (tracking pixels included) are removed; a non-empty alt text is kept."""
    converted = html_to_text(
        '<p>a<img src="http://t.example/p.gif" alt=""><img src="x" alt="市章"></p>'
    )
    assert converted.images == 2
    assert "[画像: 市章]" in converted.text and "t.example" not in converted.text


def test_hostile_markup_does_not_break_conversion():
    """NUL and control characters, an XML declaration and empty input are handled."""
    assert html_to_text("").text == ""
    assert "ok" in html_to_text('<?xml version="1.0" encoding="utf-8"?><p>o\x00k\x07</p>').text
    assert html_to_text('<a href="http://x\x01y/">t</a>').text.startswith("t")
