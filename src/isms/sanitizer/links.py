"""Link policy on delivered text: keep, defang or remove links per scheme family.

``javascript:``, ``vbscript:``, ``data:`` and ``file:`` links are always removed. URLs are ASCII
only, so Japanese text right after a URL is never swallowed by it.

    >>> from isms.sanitizer.policy import LinkPolicy
    >>> apply_link_policy("詳細は https://www.example.jp/a.html をご覧ください", LinkPolicy())[0]
    '詳細は hxxps://www[.]example[.]jp/a.html をご覧ください'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .policy import LinkMode, LinkPolicy

__all__ = ["REMOVED_LINK", "UNSAFE_LINK", "LinkCounts", "apply_link_policy", "is_safe_href"]

REMOVED_LINK = "[リンク削除]"
UNSAFE_LINK = "[危険なリンクを削除]"

_URL_CHARS = r"[!#$%&'()*+,\-./0-9:;=?@A-Z\[\]_a-z~]"
_LINK = re.compile(
    r"(?i)(?<![A-Za-z0-9+.\-])(?:"
    rf"(?P<http>(?:https?|ftp)://{_URL_CHARS}+)"
    rf"|(?P<www>(?<![/@.])www\.[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+(?:[/?#]{_URL_CHARS}*)?)"
    rf"|(?P<mailto>mailto:{_URL_CHARS}+)"
    r"|(?P<tel>tel:\+?[0-9][0-9()\-.]*[0-9])"
    rf"|(?P<unsafe>(?:javascript|vbscript|livescript|data|file|jar):{_URL_CHARS}*)"
    r")"
)
_TRAILING = ".,;:!?'\""


@dataclass
class LinkCounts:
    """How many links were changed, per kind of change."""

    defanged: int = 0
    removed: int = 0
    unsafe: int = 0


def _trim(url: str) -> tuple[str, str]:
    """Split trailing punctuation (and unbalanced closing brackets) off a URL, in linear time."""
    unbalanced = {")": url.count(")") - url.count("("), "]": url.count("]") - url.count("[")}
    end = len(url)
    while end:
        char = url[end - 1]
        if char in _TRAILING:
            end -= 1
        elif char in unbalanced and unbalanced[char] > 0:
            unbalanced[char] -= 1
            end -= 1
        else:
            break
    return url[:end], url[end:]


def _defang_http(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep:  # www.example.jp
        scheme, rest = "", url
    split = re.search(r"[/?#]", rest)
    authority, tail = (rest[: split.start()], rest[split.start() :]) if split else (rest, "")
    authority = authority.replace(".", "[.]")
    if not scheme:
        return authority + tail
    fanged = {"http": "hxxp", "https": "hxxps", "ftp": "fxp"}.get(scheme.lower(), scheme)
    return f"{fanged}://{authority}{tail}"


def _defang_mailto(url: str) -> str:
    _, _, address = url.partition(":")
    return "mailto[:]" + address.replace("@", "[@]").replace(".", "[.]")


def _defang_tel(url: str) -> str:
    return "tel[:]" + url.partition(":")[2]


def is_safe_href(href: str) -> bool:
    """Return True when ``href`` uses a scheme the link policy handles (http(s), mailto, tel)."""
    return re.match(r"(?i)\s*(?:https?://|ftp://|mailto:|tel:)", href) is not None


def apply_link_policy(text: str, policy: LinkPolicy) -> tuple[str, LinkCounts]:
    """Rewrite every link in ``text`` as the policy says; return the text and the counts."""
    counts = LinkCounts()

    def replace(match: re.Match[str]) -> str:
        kind = match.lastgroup or ""
        url, trailing = _trim(match.group())
        if kind == "unsafe":
            counts.unsafe += 1
            return UNSAFE_LINK + trailing
        mode = {"http": policy.http, "www": policy.http, "mailto": policy.mailto}.get(
            kind, policy.tel
        )
        if mode is LinkMode.keep or not url:
            return url + trailing
        if mode is LinkMode.remove:
            counts.removed += 1
            return REMOVED_LINK + trailing
        counts.defanged += 1
        if kind in ("http", "www"):
            return _defang_http(url) + trailing
        if kind == "mailto":
            return _defang_mailto(url) + trailing
        return _defang_tel(url) + trailing

    return _LINK.sub(replace, text), counts
