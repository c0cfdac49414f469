"""The client address of a request, for the public form's rate limits.

``REMOTE_ADDR`` is the peer of the connection. Behind nginx on a unix socket (the documented
deployment) it is empty for everyone, so the peer alone would put every resident into one
bucket. ``settings.TRUSTED_PROXIES`` (``ISMS_TRUSTED_PROXIES``: addresses, CIDR networks and
``unix`` for a peer on a unix socket) names the proxies whose ``X-Forwarded-For`` is believed.
Only for a request from a trusted proxy, the right-most address of ``X-Forwarded-For`` that is
not itself a trusted proxy is the client; the left-most entries are whatever the client sent
and never used. A request from any other peer is counted by its peer address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest

__all__ = ["client_address"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(entries: Iterable[str]) -> tuple[bool, list[Network]]:
    unix, networks = False, []
    for entry in entries:
        entry = entry.strip()
        if entry.lower() == "unix":
            unix = True
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue
    return unix, networks


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(peer: str, unix: bool, networks: list[Network]) -> bool:
    if not peer:
        return unix
    address = _address(peer)
    return address is not None and any(address in n for n in networks)


def client_address(request: HttpRequest) -> str:
    """The address to count the request under (see the module's docstring)."""
    unix, networks = _networks(getattr(settings, "TRUSTED_PROXIES", []))
    peer = str(request.META.get("REMOTE_ADDR", "") or "").strip()
    if not _trusted(peer, unix, networks):
        return peer
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", "") or "")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            # Not an address: the chain from here on is the client's own text.
            break
        if not any(address in n for n in networks):
            return str(address)
    return peer
