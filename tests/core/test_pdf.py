"""PDF reports render Japanese text in an embedded Japanese font and fetch nothing."""

from __future__ import annotations

import pytest
from django.template import engines

from isms.core import pdf
from tests.support.pdf import assert_japanese_pdf, page_ink

TEMPLATE = """{% extends "core/pdf_base.html" %}{% block content %}
<h1>{{ title }}</h1><p>{{ body }}</p>{% endblock %}"""


def _render(**context: str) -> bytes:
    html = (
        engines["django"].from_string(TEMPLATE).render({"pdf_fonts": pdf.FONT_FAMILIES, **context})
    )
    return pdf.html_to_pdf(html)


def test_japanese_text_is_rendered_in_a_japanese_font() -> None:
    out = _render(title="自己点検結果報告書", body="情報セキュリティ委員会 令和8年度")
    text = assert_japanese_pdf(out, "自己点検結果報告書", "令和8年度")
    assert "情報セキュリティ委員会" in text


def test_an_empty_page_has_no_ink() -> None:
    # The ink measure can fail: a page with no text is blank.
    out = _render(title="", body="")
    assert page_ink(out) < 0.001


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "http://127.0.0.1:1/x.png", "https://example.invalid/a.css"]
)
def test_user_text_cannot_make_the_report_fetch_anything(url: str) -> None:
    with pytest.raises(ValueError, match="fetch nothing"):
        pdf._deny_fetch(url)
    # Markup in user text is escaped by the template, and a link in the HTML is not fetched.
    html = (
        engines["django"]
        .from_string(
            '{% extends "core/pdf_base.html" %}{% block content %}'
            '<img src="' + url + '"><h1>本文</h1><p>{{ body }}</p>{% endblock %}'
        )
        .render({"pdf_fonts": pdf.FONT_FAMILIES, "body": "情報資産の管理について。" * 40})
    )
    assert_japanese_pdf(pdf.html_to_pdf(html), "本文")


def test_missing_japanese_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "japanese_font_installed", lambda: False)
    with pytest.raises(pdf.PdfUnavailable, match="font"):
        pdf.html_to_pdf("<p>x</p>")
