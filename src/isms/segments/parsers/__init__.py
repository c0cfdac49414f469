"""Rule-set parsers: each turns one vendor format into a :class:`~isms.segments.rules.Ruleset`.

Each module has ``FORMAT`` and ``parse(text, *, source) -> Ruleset``; modules are imported on
first use, so a model that runs only iptables never loads the others.

=================  ============================================================================
format             module
=================  ============================================================================
``iptables-save``  ``iptables.py``: ``iptables-save`` output
``nftables-json``  ``nftables.py``: ``nft -j list ruleset``
``fortios``        ``fortios.py``: FortiOS ``show`` configuration
``panos``          ``panos.py``: PAN-OS configuration, XML or ``set`` commands
``cisco-ios``      ``cisco.py``: Cisco IOS/IOS-XE configuration
``cisco-asa``      ``cisco.py``: Cisco ASA configuration
``aerleon``        ``aerleon.py``: an Aerleon policy with its naming definitions
=================  ============================================================================
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from isms.segments.errors import ParseError
from isms.segments.rules import Ruleset

__all__ = ["FORMATS", "parse_ruleset"]

# format → (module, function)
FORMATS: dict[str, tuple[str, str]] = {
    "iptables-save": ("iptables", "parse"),
    "nftables-json": ("nftables", "parse"),
    "fortios": ("fortios", "parse"),
    "panos": ("panos", "parse"),
    "cisco-ios": ("cisco", "parse_ios"),
    "cisco-asa": ("cisco", "parse_asa"),
    "aerleon": ("aerleon", "parse"),
}


def parser_for(format: str) -> Callable[..., Ruleset] | None:
    """Return the parse function of a format, or None for an unknown one."""
    entry = FORMATS.get(format)
    if entry is None:
        return None
    module = importlib.import_module(f"isms.segments.parsers.{entry[0]}")
    parse: Callable[..., Ruleset] = getattr(module, entry[1])
    return parse


def parse_ruleset(text: str, *, format: str, source: str) -> Ruleset:
    """Parse a rule set in ``format`` (one of :data:`FORMATS`)."""
    parser = parser_for(format)
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
