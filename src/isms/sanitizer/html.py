"""HTML to readable text with inscriptis, after removing everything active or hidden.

The HTML is parsed with lxml (no network, comments and processing instructions dropped); then
scripts, styles, embedded objects, form controls and hidden elements are removed, links are
rewritten as ``text <url>`` so the real target shows (the link policy is applied to the text
later), images are dropped (their alt text kept), and inscriptis lays out paragraphs, lists and
tables. Nothing is ever fetched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import lxml.html  # type: ignore[import-untyped]
from inscriptis.html_engine import Inscriptis  # type: ignore[import-untyped]
from inscriptis.model.config import ParserConfig  # type: ignore[import-untyped]
from lxml import etree

from .links import UNSAFE_LINK, is_safe_href

__all__ = ["HtmlText", "html_to_text"]

_DROP_TAGS = frozenset(
    {
        "script", "style", "template", "head", "title", "meta", "link", "base", "object",
        "embed", "applet", "param", "iframe", "frame", "frameset", "noscript", "noembed",
        "noframes", "input", "select", "datalist", "canvas", "audio", "video", "source",
        "track", "svg", "math", "dialog",
    }
)  # fmt: skip
_HIDDEN_STYLE = re.compile(
    r"(?i)display\s*:\s*none|visibility\s*:\s*hidden|mso-hide\s*:\s*all"
    r"|font-size\s*:\s*0+(?:\.0+)?(?:px|pt|em|rem|%)?\s*(?:;|$|!)"
    r"|opacity\s*:\s*0+(?:\.0+)?\s*(?:;|$|!)|max-height\s*:\s*0+(?:px)?\s*(?:;|$|!)"
)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")
_NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True)
class HtmlText:
    """Text converted from HTML, with what was removed on the way."""

    text: str
    images: int
    """Images dropped (remote tracking pixels included)."""
    unsafe_links: int
    """Links with a javascript:, data:, file: ... target that were removed."""


def _is_hidden(element: Any) -> bool:
    if "hidden" in element.attrib:
        return True
    style = element.attrib.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


def _replace_with_text(element: Any, text: str) -> None:
    """Replace ``element`` by ``text`` (keeping its tail)."""
    parent = element.getparent()
    if parent is None:
        return
    previous = element.getprevious()
    tail = element.tail or ""
    if previous is not None:
        previous.tail = (previous.tail or "") + text + tail
    else:
        parent.text = (parent.text or "") + text + tail
    parent.remove(element)


def _normalise_target(value: str) -> str:
    value = re.sub(r"(?i)^(mailto|tel):", "", value.strip())
    return value.rstrip("/").lower()


def _rewrite_anchor(element: Any) -> int:
    """Show the real target after the link text; return 1 if an unsafe target was removed."""
    href = _NOT_XML_CHARS.sub("", element.get("href") or "").strip()
    if not href or href.startswith("#"):
        return 0
    if not is_safe_href(href):
        if re.match(r"(?i)\s*[a-z][a-z0-9+.\-]*:", href):
            element.tail = " " + UNSAFE_LINK + (element.tail or "")
            return 1
        return 0
    label = " ".join(element.text_content().split())
    if _normalise_target(href) != _normalise_target(label):
        element.tail = f" <{href}>" + (element.tail or "")
    return 0


def html_to_text(html: str) -> HtmlText:
    """Convert an HTML document (already decoded to text) to plain text."""
    html = _NOT_XML_CHARS.sub("", _XML_DECLARATION.sub("", html))
    if not html.strip():
        return HtmlText("", 0, 0)
    parser = lxml.html.HTMLParser(
        remove_comments=True, remove_pis=True, no_network=True, recover=True
    )
    try:
        tree = lxml.html.document_fromstring(html, parser=parser)
    except (etree.ParserError, ValueError):
        return HtmlText("", 0, 0)
    images = 0
    unsafe = 0
    stack = [tree]
    while stack:
        for element in list(stack.pop()):
            if not isinstance(element.tag, str):
                continue
            tag = element.tag.lower()
            if tag in _DROP_TAGS or _is_hidden(element):
                _replace_with_text(element, " ")
                continue
            if tag == "img":
                images += 1
                alt = " ".join((element.get("alt") or "").split())
                _replace_with_text(element, f"[画像: {alt}]" if alt else "")
                continue
            if tag == "a":
                unsafe += _rewrite_anchor(element)
            stack.append(element)
    for element in tree.iter("a"):
        element.attrib.clear()
    text = Inscriptis(tree, ParserConfig(display_links=False, display_images=False)).get_text()
    return HtmlText(text, images, unsafe)
