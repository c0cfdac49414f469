"""Rule-set parsers: each turns one vendor format into a :class:`~isms.segments.rules.Ruleset`.

``iptables.py`` reads ``iptables-save`` output; ``nftables.py`` reads ``nft -j list ruleset``.
"""

from __future__ import annotations

from isms.segments.errors import ParseError
from isms.segments.parsers import iptables, nftables
from isms.segments.rules import Ruleset

__all__ = ["FORMATS", "parse_ruleset"]

FORMATS = {iptables.FORMAT: iptables.parse, nftables.FORMAT: nftables.parse}


def parse_ruleset(text: str, *, format: str, source: str) -> Ruleset:
    """Parse a rule set in ``format`` (``iptables-save`` or ``nftables-json``)."""
    parser = FORMATS.get(format)
    if parser is None:
        raise ParseError(
            f"unknown rule-set format '{format}'",
            source=source,
            line=1,
            text=text.splitlines()[0] if text else "",
            hint="formats are " + ", ".join(sorted(FORMATS)),
            message_ja=f"未知のルールセット形式 '{format}'",
        )
    return parser(text, source=source)
