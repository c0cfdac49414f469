"""Host names and IP addresses or ranges of an asset: parsing, checking and normalising.

>>> str(parse_network("１９２.０.２.０/２４"))   # full-width digits, as typed in Japanese forms
'192.0.2.0/24'
>>> str(parse_network("192.0.2.7"))
'192.0.2.7/32'
>>> range_bounds(parse_network("192.0.2.0/24"))
(4, 'c0000200', 'c00002ff')

A range must be written as a network (``192.0.2.0/24``); a prefix with host bits set
(``192.0.2.7/24``) is refused with the network it probably means, since a register that
silently widened or narrowed a range would link network checks to the wrong asset.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

__all__ = ["Network", "normalise_host_name", "normalise_network", "parse_network", "range_bounds"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

HOST_NAME_MAX = 253
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def parse_network(text: str) -> Network:
    """Return the network ``text`` names (an address is a one-address network), or raise
    ``ValidationError`` keyed ``network`` saying what is wrong and how to write it."""
    value = unicodedata.normalize("NFKC", text or "").strip()
    if not value:
        raise _error(
            "network", _("Enter an IP address (192.0.2.7) or a range (192.0.2.0/24)."), "required"
        )
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError:
        pass
    try:
        loose = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise _error(
            "network",
            _(
                "“%(value)s” is not an IP address or range. Write an address such as "
                "192.0.2.7 or a range such as 192.0.2.0/24."
            )
            % {"value": value[:60]},
            "invalid",
        ) from None
    raise _error(
        "network",
        _(
            "“%(value)s” has host bits set: the range it belongs to is %(network)s. Enter "
            "the range as %(network)s, or the single address without a prefix length."
        )
        % {"value": value[:60], "network": str(loose)},
        "host_bits",
    )


def normalise_network(text: str) -> str:
    """Return the normalised form of the network ``text`` names (see :func:`parse_network`)."""
    return str(parse_network(text))


def range_bounds(network: Network) -> tuple[int, str, str]:
    """Return the IP version and the first and last address as fixed-width hexadecimal."""
    width = 8 if network.version == 4 else 32
    first = int(network.network_address)
    last = int(network.broadcast_address)
    return network.version, f"{first:0{width}x}", f"{last:0{width}x}"


def normalise_host_name(text: str) -> str:
    """Return a host name in lower case without a trailing dot, or raise ``ValidationError``."""
    value = unicodedata.normalize("NFKC", text or "").strip().lower().rstrip(".")
    if not value:
        return ""
    labels = value.split(".")
    if len(value) > HOST_NAME_MAX or not all(_LABEL.match(label) for label in labels):
        raise _error(
            "host_name",
            _(
                "“%(value)s” is not a valid host name: use letters, digits and hyphens, "
                "in labels of at most 63 characters separated by dots."
            )
            % {"value": value[:60]},
            "invalid",
        )
    return value
