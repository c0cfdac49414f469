"""IPv4 addresses, prefixes and port ranges as plain integers, shared by parsers and engines."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

__all__ = [
    "MAX_ADDRESS",
    "MAX_PORT",
    "format_address",
    "format_prefix",
    "parse_address",
    "parse_prefix",
    "prefix_range",
    "range_to_prefixes",
]

MAX_ADDRESS = (1 << 32) - 1
MAX_PORT = (1 << 16) - 1

Interval = tuple[int, int]


def parse_address(text: str) -> int:
    """Return the integer of a dotted IPv4 address; raise ValueError if it is not one."""
    return int(ipaddress.IPv4Address(text.strip()))


_PREFIX = re.compile(r"([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})(?:/([0-9]{1,2}))?")


@lru_cache(maxsize=65536)
def parse_prefix(text: str, *, strict: bool = False) -> tuple[int, int]:
    """Return ``(network, length)`` of ``a.b.c.d[/len]`` or ``a.b.c.d/m.m.m.m``.

    Host bits are cleared (as iptables does) unless ``strict``, where they raise ValueError.
    """
    match = _PREFIX.fullmatch(text.strip())
    if match is not None:
        a, b, c, d, length_text = match.groups()
        octets = (int(a), int(b), int(c), int(d))
        length = int(length_text) if length_text else 32
        if (
            max(octets) <= 255
            and length <= 32
            and not any(len(p) > 1 and p[0] == "0" for p in (a, b, c, d))
        ):
            value = (octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]
            mask = (MAX_ADDRESS << (32 - length)) & MAX_ADDRESS
            if strict and value & ~mask & MAX_ADDRESS:
                raise ValueError(f"{text} has host bits set")
            return value & mask, length
    network = ipaddress.IPv4Network(text.strip(), strict=strict)
    return int(network.network_address), network.prefixlen


def prefix_range(network: int, length: int) -> Interval:
    """Return the first and last address of a prefix."""
    size = 1 << (32 - length)
    first = network & ~(size - 1) & MAX_ADDRESS
    return first, first + size - 1


def format_address(value: int) -> str:
    """Return the dotted form of an integer address."""
    return str(ipaddress.IPv4Address(value))


def format_prefix(network: int, length: int) -> str:
    """Return ``a.b.c.d/len``."""
    return f"{format_address(network)}/{length}"


def range_to_prefixes(first: int, last: int, width: int = 32) -> list[tuple[int, int]]:
    """Split ``[first, last]`` into the fewest aligned blocks ``(start, length)`` of a field."""
    blocks: list[tuple[int, int]] = []
    while first <= last:
        size = first & -first if first else 1 << width
        while size > last - first + 1:
            size >>= 1
        length = width - (size.bit_length() - 1)
        blocks.append((first, length))
        first += size
    return blocks
