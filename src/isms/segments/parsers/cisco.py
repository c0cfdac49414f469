"""Read Cisco IOS/IOS-XE and ASA configurations (``show running-config``) into a :class:`Ruleset`.

Both dialects share one tokenizer (lines, indented blocks, banners) and one reader of access-list
entries (protocols, addresses, wildcards or masks, object groups, port operators, ICMP types).

IOS/IOS-XE (format ``cisco-ios``) is stateless. An ACL applied ``in`` filters packets arriving on
the interface before destination NAT (IOS checks the input ACL before translating outside to
inside), so it runs as a PREROUTING filter stage at priority -200; an ACL applied ``out`` sees
packets after source NAT (IOS translates inside to outside before the output ACL), so it runs as
a POSTROUTING filter stage at priority 200. Both match the interface with ``InterfaceMatch`` and
jump to one user chain per ACL, which ends in the ACL's implicit deny. An interface without an
access-group, or with one naming an undefined ACL, forwards everything. Static NAT and
``source list … interface|pool`` NAT between ``ip nat inside`` and ``ip nat outside``
interfaces become DNAT (PREROUTING -100) and SNAT (POSTROUTING 100) stages.

ASA (format ``cisco-asa``) is stateful: the FORWARD stage ``access-group in`` first accepts
packets of established connections, then runs the interface's inbound ACL (then the global ACL)
or, when no ACL applies, the security levels; ``access-group out`` runs outbound ACLs. ASA ACLs
name real addresses, so they sit between the NAT stages: object NAT and twice NAT untranslate
destinations in PREROUTING and translate sources in POSTROUTING.

Interfaces keep their configured names (``GigabitEthernet0/1``); an ASA ``nameif`` is the
interface's zone. Static routes fill ``Ruleset.routes``; dynamic routing is listed as ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from isms.segments.addresses import MAX_ADDRESS, MAX_PORT, parse_address
from isms.segments.errors import ParseError, UnsupportedSyntax
from isms.segments.parsers.names import PROTOCOLS, SERVICES
from isms.segments.rules import (
    Chain,
    Condition,
    ConfiguredInterface,
    ConfiguredRoute,
    Const,
    Field,
    Hook,
    IgnoredSection,
    InterfaceMatch,
    Jump,
    Nat,
    Outcome,
    RangeMatch,
    Rule,
    Ruleset,
    SourceLocation,
    Stage,
    StageKind,
    StateMatch,
    Verdict,
)

__all__ = ["FORMAT_ASA", "FORMAT_IOS", "parse_asa", "parse_ios"]

FORMAT_IOS = "cisco-ios"
FORMAT_ASA = "cisco-asa"

Ranges = tuple[tuple[int, int], ...]

# Protocol keywords of IOS and ASA access lists (``ip`` means every protocol).
CISCO_PROTOCOLS: dict[str, int] = {
    **PROTOCOLS,
    "ahp": 51,
    "eigrp": 88,
    "ipinip": 4,
    "ipsec": 50,
    "nos": 94,
    "pcp": 108,
    "pptp": 47,
    "snp": 109,
    "igrp": 9,
}
PORT_PROTOCOLS = frozenset({6, 17, 132})

# Cisco port keywords (IOS ``?`` help and the ASA port list); TCP and UDP differ on 512-514.
_COMMON_PORTS: dict[str, int] = {
    "echo": 7,
    "discard": 9,
    "daytime": 13,
    "chargen": 19,
    "ftp-data": 20,
    "ftp": 21,
    "ssh": 22,
    "telnet": 23,
    "smtp": 25,
    "time": 37,
    "nameserver": 42,
    "whois": 43,
    "tacacs": 49,
    "domain": 53,
    "bootps": 67,
    "bootpc": 68,
    "tftp": 69,
    "gopher": 70,
    "finger": 79,
    "www": 80,
    "http": 80,
    "kerberos": 88,
    "hostname": 101,
    "pop2": 109,
    "pop3": 110,
    "sunrpc": 111,
    "ident": 113,
    "nntp": 119,
    "ntp": 123,
    "netbios-ns": 137,
    "netbios-dgm": 138,
    "netbios-ss": 139,
    "netbios-ssn": 139,
    "imap4": 143,
    "snmp": 161,
    "snmptrap": 162,
    "xdmcp": 177,
    "bgp": 179,
    "irc": 194,
    "dnsix": 195,
    "ldap": 389,
    "mobile-ip": 434,
    "https": 443,
    "pim-auto-rp": 496,
    "isakmp": 500,
    "talk": 517,
    "rip": 520,
    "uucp": 540,
    "klogin": 543,
    "kshell": 544,
    "rtsp": 554,
    "ldaps": 636,
    "lotusnotes": 1352,
    "citrix-ica": 1494,
    "sqlnet": 1521,
    "radius": 1645,
    "radius-acct": 1646,
    "h323": 1720,
    "pptp": 1723,
    "nfs": 2049,
    "ctiqbe": 2748,
    "cifs": 3020,
    "non500-isakmp": 4500,
    "vxlan": 4789,
    "sip": 5060,
    "aol": 5190,
    "pcanywhere-data": 5631,
    "pcanywhere-status": 5632,
}
TCP_PORTS: dict[str, int] = {
    **SERVICES,
    **_COMMON_PORTS,
    "exec": 512,
    "login": 513,
    "cmd": 514,
    "rsh": 514,
    "lpd": 515,
}
UDP_PORTS: dict[str, int] = {
    **SERVICES,
    **_COMMON_PORTS,
    "biff": 512,
    "who": 513,
    "syslog": 514,
}

# Cisco ICMP keywords: name → (type, code or None for every code).
ICMP_NAMES: dict[str, tuple[int, int | None]] = {
    "echo-reply": (0, None),
    "unreachable": (3, None),
    "net-unreachable": (3, 0),
    "host-unreachable": (3, 1),
    "protocol-unreachable": (3, 2),
    "port-unreachable": (3, 3),
    "packet-too-big": (3, 4),
    "source-route-failed": (3, 5),
    "network-unknown": (3, 6),
    "host-unknown": (3, 7),
    "host-isolated": (3, 8),
    "dod-net-prohibited": (3, 9),
    "dod-host-prohibited": (3, 10),
    "net-tos-unreachable": (3, 11),
    "host-tos-unreachable": (3, 12),
    "administratively-prohibited": (3, 13),
    "host-precedence-unreachable": (3, 14),
    "precedence-unreachable": (3, 15),
    "source-quench": (4, None),
    "redirect": (5, None),
    "net-redirect": (5, 0),
    "host-redirect": (5, 1),
    "net-tos-redirect": (5, 2),
    "host-tos-redirect": (5, 3),
    "alternate-address": (6, None),
    "echo": (8, None),
    "router-advertisement": (9, None),
    "router-solicitation": (10, None),
    "time-exceeded": (11, None),
    "ttl-exceeded": (11, 0),
    "reassembly-timeout": (11, 1),
    "parameter-problem": (12, None),
    "option-missing": (12, 1),
    "timestamp-request": (13, None),
    "timestamp-reply": (14, None),
    "information-request": (15, None),
    "information-reply": (16, None),
    "mask-request": (17, None),
    "mask-reply": (18, None),
    "traceroute": (30, None),
    "conversion-error": (31, None),
    "mobile-redirect": (32, None),
}

PORT_OPERATORS = ("eq", "neq", "lt", "gt", "range")
# Entry options that match on something the verifier does not model.
UNSUPPORTED_OPTIONS = frozenset(
    {"time-range", "dscp", "precedence", "tos", "ttl", "option", "reflect", "evaluate"}
    | {"user", "user-group", "security-group", "match-any"}
)
# Options of ASA object NAT that change neither the match nor the translation.
NAT_HARMLESS = frozenset(
    {"interface", "no-proxy-arp", "route-lookup", "dns", "net-to-net", "extended", "flat"}
    | {"include-reserve", "round-robin", "block-allocation"}
)
# object groups nest at most this deep (deeper nesting is refused, not a RecursionError)
MAX_GROUP_DEPTH = 256

DYNAMIC_ROUTING = "dynamic routing: give the routes in the network model"

# Top-level commands that cannot change a forwarding decision (device management, logging,
# services of the device itself, routing-protocol policy objects), by reason.
_MANAGEMENT = "device management and services of the device itself: cannot change forwarding"
_LOGGING = "logging and monitoring: cannot change forwarding"
_ROUTING_POLICY = "route filters of dynamic routing (prefix lists, route maps, communities)"
IOS_IGNORED: dict[str, str] = {
    "version": _MANAGEMENT,
    "service": _MANAGEMENT,
    "hostname": _MANAGEMENT,
    "boot-start-marker": _MANAGEMENT,
    "boot-end-marker": _MANAGEMENT,
    "boot": _MANAGEMENT,
    "aaa": _MANAGEMENT,
    "enable": _MANAGEMENT,
    "username": _MANAGEMENT,
    "clock": _MANAGEMENT,
    "multilink": _MANAGEMENT,
    "line": _MANAGEMENT,
    "control-plane": _MANAGEMENT,
    "ntp": _MANAGEMENT,
    "banner": _MANAGEMENT,
    "alias": _MANAGEMENT,
    "archive": _MANAGEMENT,
    "crypto": "VPN and key material: tunnels are not modelled",
    "license": _MANAGEMENT,
    "memory-size": _MANAGEMENT,
    "redundancy": _MANAGEMENT,
    "spanning-tree": _MANAGEMENT,
    "vtp": _MANAGEMENT,
    "vlan": _MANAGEMENT,
    "diagnostic": _MANAGEMENT,
    "platform": _MANAGEMENT,
    "mac": _MANAGEMENT,
    "cdp": _MANAGEMENT,
    "lldp": _MANAGEMENT,
    "dot11": _MANAGEMENT,
    "call-home": _MANAGEMENT,
    "wsma": _MANAGEMENT,
    "transport": _MANAGEMENT,
    "file": _MANAGEMENT,
    "mgcp": _MANAGEMENT,
    "gatekeeper": _MANAGEMENT,
    "voice": _MANAGEMENT,
    "dial-peer": _MANAGEMENT,
    "telephony-service": _MANAGEMENT,
    "privilege": _MANAGEMENT,
    "login": _MANAGEMENT,
    "end": _MANAGEMENT,
    "exit": _MANAGEMENT,
    "logging": _LOGGING,
    "snmp-server": _LOGGING,
    "snmp": _LOGGING,
    "event": _LOGGING,
    "track": _LOGGING,
    "netflow": _LOGGING,
    "flow": _LOGGING,
    "route-map": _ROUTING_POLICY,
    "key": _ROUTING_POLICY,
    "class-map": "quality of service: cannot permit traffic",
    "policy-map": "quality of service: cannot permit traffic",
    "table-map": "quality of service: cannot permit traffic",
    "tacacs-server": _MANAGEMENT,
    "radius-server": _MANAGEMENT,
    "radius": _MANAGEMENT,
    "tacacs": _MANAGEMENT,
    "security": _MANAGEMENT,
    "secure": _MANAGEMENT,
    "memory": _MANAGEMENT,
    "errdisable": _MANAGEMENT,
    "power": _MANAGEMENT,
    "udld": _MANAGEMENT,
    "port-channel": _MANAGEMENT,
    "system": _MANAGEMENT,
    "hw-module": _MANAGEMENT,
    "card": _MANAGEMENT,
    "kron": _MANAGEMENT,
    "scheduler": _MANAGEMENT,
    "process": _MANAGEMENT,
    "sdm": _MANAGEMENT,
    "auto": _MANAGEMENT,
    "device-sensor": _MANAGEMENT,
    "template": _MANAGEMENT,
    "macro": _MANAGEMENT,
    "dot1x": _MANAGEMENT,
    "authentication": _MANAGEMENT,
    "access-session": _MANAGEMENT,
    "controller": _MANAGEMENT,
    "tftp-server": _MANAGEMENT,
    "netconf": _MANAGEMENT,
    "netconf-yang": _MANAGEMENT,
    "restconf": _MANAGEMENT,
    "gnxi": _MANAGEMENT,
    "iox": _MANAGEMENT,
    "pnp": _MANAGEMENT,
    "stackwise": _MANAGEMENT,
    "switch": _MANAGEMENT,
    "transceiver": _MANAGEMENT,
    "parser": _MANAGEMENT,
    "exception": _MANAGEMENT,
    "virtual-service": _MANAGEMENT,
    "cts": _MANAGEMENT,
    "port-security": _MANAGEMENT,
    "storm-control": _MANAGEMENT,
    "application": _MANAGEMENT,
    "ethernet": _MANAGEMENT,
    "monitor": _LOGGING,
    "rmon": _LOGGING,
    "sampler": _LOGGING,
    "parameter-map": "inspection parameters (zone-based firewall raises an error where applied)",
    "mpls": "MPLS label distribution (VRFs raise an error where used)",
    "vrf": "VRF definitions (a VRF used on an interface raises an error there)",
}
# Second words of top-level ``ip`` commands that cannot change forwarding.
IOS_IGNORED_IP: dict[str, str] = {
    "cef": _MANAGEMENT,
    "domain": _MANAGEMENT,
    "domain-name": _MANAGEMENT,
    "domain-lookup": _MANAGEMENT,
    "name-server": _MANAGEMENT,
    "host": _MANAGEMENT,
    "tcp": _MANAGEMENT,
    "icmp": _MANAGEMENT,
    "http": _MANAGEMENT,
    "ssh": _MANAGEMENT,
    "scp": _MANAGEMENT,
    "ftp": _MANAGEMENT,
    "tftp": _MANAGEMENT,
    "dhcp": _MANAGEMENT,
    "forward-protocol": _MANAGEMENT,
    "subnet-zero": _MANAGEMENT,
    "classless": _MANAGEMENT,
    "finger": _MANAGEMENT,
    "bootp": _MANAGEMENT,
    "source-route": _MANAGEMENT,
    "multicast-routing": _MANAGEMENT,
    "vrf": "VRF definitions (a VRF used on an interface raises an error there)",
    "sla": _LOGGING,
    "flow-export": _LOGGING,
    "flow-cache": _LOGGING,
    "flow-top-talkers": _LOGGING,
    "accounting-threshold": _LOGGING,
    "prefix-list": _ROUTING_POLICY,
    "community-list": _ROUTING_POLICY,
    "as-path": _ROUTING_POLICY,
    "bgp-community": _ROUTING_POLICY,
    "extcommunity-list": _ROUTING_POLICY,
    "radius": _MANAGEMENT,
    "tacacs": _MANAGEMENT,
    "telnet": _MANAGEMENT,
    "rcmd": _MANAGEMENT,
    "dns": _MANAGEMENT,
    "ddns": _MANAGEMENT,
    "arp": _MANAGEMENT,
    "gratuitous-arps": _MANAGEMENT,
    "options": _MANAGEMENT,
    "routing": _MANAGEMENT,
    "device": _MANAGEMENT,
    "default-gateway": "default gateway of a device that does not route",
    "igmp": "multicast routing (IPv4 unicast is verified)",
    "pim": "multicast routing (IPv4 unicast is verified)",
    "mroute": "multicast routing (IPv4 unicast is verified)",
    "msdp": "multicast routing (IPv4 unicast is verified)",
    "inspect": "stateful inspection rules (applied ones raise an error on the interface)",
    "audit": _LOGGING,
    "ips": _LOGGING,
    "nbar": _LOGGING,
}
# Interface sub-commands that filter, route or translate in ways this parser does not model.
IOS_UNSUPPORTED_INTERFACE = {
    ("ip", "policy"): "policy routing (ip policy route-map)",
    ("ip", "inspect"): "stateful inspection (CBAC ip inspect)",
    ("zone-member",): "zone-based firewall (zone-member security)",
    ("ip", "vrf"): "VRF forwarding",
    ("vrf",): "VRF forwarding",
    ("ip", "nat", "enable"): "NAT virtual interface (ip nat enable)",
}
IOS_UNSUPPORTED_TOP = {
    "zone": "zone-based firewall",
    "zone-pair": "zone-based firewall",
    "bridge": "bridging between interfaces",
}
# Second words of top-level ``ip`` commands that change forwarding and are not modelled.
IOS_UNSUPPORTED_IP = {
    "wccp": "WCCP traffic redirection",
    "local": "policy routing of the device's own traffic (ip local policy)",
}
ASA_IGNORED: dict[str, str] = {
    "asa": _MANAGEMENT,
    "ASA": _MANAGEMENT,
    "hostname": _MANAGEMENT,
    "domain-name": _MANAGEMENT,
    "enable": _MANAGEMENT,
    "passwd": _MANAGEMENT,
    "names": _MANAGEMENT,
    "dns": _MANAGEMENT,
    "ftp": _MANAGEMENT,
    "clock": _MANAGEMENT,
    "pager": _MANAGEMENT,
    "mtu": _MANAGEMENT,
    "icmp": "rules for traffic to the ASA itself: device traffic is out of scope",
    "asdm": _MANAGEMENT,
    "arp": _MANAGEMENT,
    "timeout": _MANAGEMENT,
    "user-identity": _MANAGEMENT,
    "aaa": _MANAGEMENT,
    "aaa-server": _MANAGEMENT,
    "http": "rules for traffic to the ASA itself: device traffic is out of scope",
    "ssh": "rules for traffic to the ASA itself: device traffic is out of scope",
    "telnet": "rules for traffic to the ASA itself: device traffic is out of scope",
    "console": _MANAGEMENT,
    "threat-detection": _LOGGING,
    "dhcpd": _MANAGEMENT,
    "dhcprelay": _MANAGEMENT,
    "ntp": _MANAGEMENT,
    "ssl": _MANAGEMENT,
    "webvpn": "VPN and key material: tunnels are not modelled",
    "crypto": "VPN and key material: tunnels are not modelled",
    "tunnel-group": "VPN and key material: tunnels are not modelled",
    "group-policy": "VPN and key material: tunnels are not modelled",
    "username": _MANAGEMENT,
    "class-map": "inspection policy: cannot permit traffic an access rule denies",
    "policy-map": "inspection policy: cannot permit traffic an access rule denies",
    "service-policy": "inspection policy: cannot permit traffic an access rule denies",
    "prompt": _MANAGEMENT,
    "call-home": _MANAGEMENT,
    "Cryptochecksum": _MANAGEMENT,
    "logging": _LOGGING,
    "snmp-server": _LOGGING,
    "flow-export": _LOGGING,
    "no": _MANAGEMENT,
    "terminal": _MANAGEMENT,
    "firewall": _MANAGEMENT,
    "boot": _MANAGEMENT,
    "license": _MANAGEMENT,
    "failover": _MANAGEMENT,
    "monitor-interface": _MANAGEMENT,
    "service": _MANAGEMENT,
    "sysopt": _MANAGEMENT,
    "dynamic-access-policy-record": _MANAGEMENT,
    "end": _MANAGEMENT,
    "route-map": _ROUTING_POLICY,
    "prefix-list": _ROUTING_POLICY,
    "dns-guard": _MANAGEMENT,
    "jumbo-frame": _MANAGEMENT,
    "mac-address": _MANAGEMENT,
    "regex": _MANAGEMENT,
    "dynamic-filter": _LOGGING,
    "anyconnect": "VPN and key material: tunnels are not modelled",
    "vpn-sessiondb": "VPN and key material: tunnels are not modelled",
    "tunnel-group-map": "VPN and key material: tunnels are not modelled",
    "management-access": _MANAGEMENT,
    "sla": _LOGGING,
    "track": _LOGGING,
    "xlate": _MANAGEMENT,
    "command-alias": _MANAGEMENT,
    "privilege": _MANAGEMENT,
    "auth-prompt": _MANAGEMENT,
    "smtp-server": _MANAGEMENT,
    "crashinfo": _MANAGEMENT,
    "checkheaps": _MANAGEMENT,
    "tcp-map": "inspection policy: cannot permit traffic an access rule denies",
    "ip": "address pools and checks that only drop (ip local pool, ip verify, ip audit)",
}
# ASA commands of the pre-8.3 NAT, policy routing and redirection: not modelled.
ASA_UNSUPPORTED = {
    "static": "pre-8.3 static NAT",
    "global": "pre-8.3 NAT pools",
    "nat-control": "pre-8.3 NAT control",
    "wccp": "WCCP traffic redirection",
}


@dataclass(frozen=True)
class _Line:
    number: int
    raw: str
    words: tuple[str, ...]
    indented: bool


@dataclass
class _Block:
    head: _Line
    children: list[_Line] = field(default_factory=list)


@dataclass
class _Ignored:
    reason: str
    example: str
    lines: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Svc:
    """One protocol with its source/destination ports or ICMP type (None: any)."""

    proto: int | None
    sport: Ranges | None = None
    dport: Ranges | None = None
    icmp: tuple[int, int | None] | None = None


@dataclass(frozen=True)
class _Ref:
    """A member naming another group (``group``) or object (``object``)."""

    kind: str
    name: str


@dataclass(frozen=True)
class _Ports:
    """A ``port-object`` of an ASA service group typed tcp, udp or tcp-udp."""

    ranges: Ranges


@dataclass(frozen=True)
class _Fqdn:
    """An FQDN network object: resolved by DNS on the device, not modelled."""


# an address range, a reference, a port list, an FQDN, or a service
_Member = tuple[int, int] | _Ref | _Ports | _Fqdn | _Svc


@dataclass
class _Group:
    kind: str  # network | service | protocol | icmp-type (objects: network | service)
    line: _Line
    members: list[tuple[_Line, _Member]] = field(default_factory=list)
    port_type: str = ""  # ASA "object-group service NAME tcp|udp|tcp-udp"


@dataclass(frozen=True)
class _Entry:
    permit: bool
    alternatives: tuple[tuple[Condition, ...], ...]
    location: SourceLocation
    matches_all: bool


@dataclass
class _Acl:
    name: str
    kind: str  # standard | extended | other
    line: _Line
    entries: list[tuple[int, _Line, list[str]]] = field(default_factory=list)


@dataclass
class _Iface:
    name: str
    line: _Line
    address: tuple[int, int] | None = None
    secondary: list[tuple[int, int]] = field(default_factory=list)
    shutdown: bool = False
    acl_in: tuple[str, _Line] | None = None
    acl_out: tuple[str, _Line] | None = None
    nat: str = ""  # inside | outside
    nameif: str = ""
    level: int | None = None
    level_line: _Line | None = None
    management: bool = False


def _prefix_length(mask: int) -> int | None:
    """Return the length of a contiguous netmask, or None."""
    inverted = ~mask & MAX_ADDRESS
    if inverted & (inverted + 1):
        return None
    return 32 - inverted.bit_length()


def _wildcard_ranges(address: int, wildcard: int, limit: int = 256) -> Ranges | None:
    """Return the address ranges a wildcard matches, or None when more than ``limit`` ranges."""
    # the contiguous low block of ones, and the scattered bits above it
    low = 0
    while low < 32 and wildcard >> low & 1:
        low += 1
    scattered = wildcard & ~((1 << low) - 1)
    bits = [b for b in range(32) if scattered >> b & 1]
    if 1 << len(bits) > limit:
        return None
    base = address & ~wildcard & MAX_ADDRESS
    out = []
    for combo in range(1 << len(bits)):
        value = base
        for i, b in enumerate(bits):
            if combo >> i & 1:
                value |= 1 << b
        out.append((value, value + (1 << low) - 1))
    return tuple(sorted(out))


class _Parser:
    """Shared tokenizer, errors, object groups and access-list entries of both dialects."""

    format = ""
    table = ""

    def __init__(self, text: str, source: str):
        self.text = text
        self.source = source
        self.ignored: dict[str, _Ignored] = {}
        self.assumptions: list[str] = []
        self.interned: dict[tuple[object, ...], Condition] = {}
        self.groups: dict[str, _Group] = {}
        self.objects: dict[str, _Group] = {}
        self.acls: dict[str, _Acl] = {}
        self.ifaces: dict[str, _Iface] = {}
        self.aliases: dict[str, int] = {}
        self.routes: list[tuple[tuple[int, int], int | None, str | None, int, _Line]] = []
        self.chains: dict[tuple[str, str], Chain] = {}
        self.stages: list[Stage] = []
        self._parsed: dict[str, list[_Entry]] = {}
        self._flat: dict[int, list[tuple[_Line, _Member]]] = {}  # id(group) → its members

    # -- errors and notes -------------------------------------------------------------------

    def error(self, line: _Line, message: str, hint: str, message_ja: str = "") -> ParseError:
        return ParseError(
            message,
            source=self.source,
            line=line.number,
            text=line.raw,
            hint=hint,
            message_ja=message_ja,
        )

    def unsupported(self, line: _Line, what: str) -> UnsupportedSyntax:
        return UnsupportedSyntax(
            f"{what} can change forwarding and is not modelled",
            source=self.source,
            line=line.number,
            text=line.raw,
            hint="remove it from the file given to the verifier only if it cannot change which "
            "packets are forwarded; otherwise check this device by hand",
            message_ja=f"{what} は転送の判定を変え得るが、検証器はこれを扱えない",
            hint_ja="転送の判定を変えない場合に限り検証用のファイルから除くか、"
            "この機器を手作業で確認してください",
        )

    def ignore(self, line: _Line, reason: str) -> None:
        entry = self.ignored.setdefault(reason, _Ignored(reason, line.raw.strip()))
        if not entry.lines or entry.lines[-1] != line.number:
            entry.lines.append(line.number)

    def ignore_block(self, block: _Block, reason: str) -> None:
        self.ignore(block.head, reason)
        for child in block.children:
            self.ignore(child, reason)

    def location(self, line: _Line, ref: str) -> SourceLocation:
        return SourceLocation(self.source, line.number, line.raw.strip(), ref)

    # -- tokenizer --------------------------------------------------------------------------

    def blocks(self) -> list[_Block]:
        """Split the text into top-level commands with their indented sub-commands."""
        out: list[_Block] = []
        delimiter = ""
        for number, raw in enumerate(self.text.splitlines(), start=1):
            line = _Line(number, raw, tuple(raw.split()), raw[:1] in (" ", "\t"))
            if delimiter:
                self.ignore(line, _MANAGEMENT)
                if delimiter in raw:
                    delimiter = ""
                continue
            words = line.words
            if not words or words[0].startswith("!") or words[0].startswith(":"):
                continue
            if words[0] == "banner" and not line.indented and self.format == FORMAT_ASA:
                self.ignore(line, _MANAGEMENT)  # ASA repeats 'banner TYPE' on every line
                continue
            if words[0] == "banner" and len(words) >= 3 and not line.indented:
                rest = raw.split(None, 2)[2]
                marker = rest[:2] if rest.startswith("^C") else rest[:1]
                if marker not in rest[len(marker) :]:
                    delimiter = marker
                self.ignore(line, _MANAGEMENT)
                continue
            if line.indented and out:
                out[-1].children.append(line)
            else:
                out.append(_Block(line))
        return out

    # -- small values -----------------------------------------------------------------------

    def address(self, line: _Line, text: str) -> int:
        if text in self.aliases:
            return self.aliases[text]
        try:
            return parse_address(text)
        except ValueError:
            raise self.error(
                line,
                f"'{text}' is not an IPv4 address",
                "write a dotted address such as 192.0.2.1",
                f"'{text}' は IPv4 アドレスではない",
            ) from None

    def mask(self, line: _Line, text: str, *, wildcard: bool) -> int:
        value = self.address(line, text)
        length = _prefix_length(value if not wildcard else ~value & MAX_ADDRESS)
        if length is None and not wildcard:
            raise self.error(
                line,
                f"netmask {text} is not contiguous",
                "write a netmask such as 255.255.255.0",
                f"ネットマスク {text} が連続していない",
            )
        return value

    def prefix(self, line: _Line, address: str, mask: str) -> tuple[int, int]:
        value = self.address(line, address)
        length = _prefix_length(self.mask(line, mask, wildcard=False))
        assert length is not None
        network = value & ((MAX_ADDRESS << (32 - length)) & MAX_ADDRESS)
        return network, length

    def wildcard(self, line: _Line, address: str, wildcard: str) -> Ranges:
        value = self.address(line, address)
        bits = self.mask(line, wildcard, wildcard=True)
        ranges = _wildcard_ranges(value, bits)
        if ranges is None:
            raise UnsupportedSyntax(
                f"wildcard {wildcard} is not contiguous and matches too many separate ranges",
                source=self.source,
                line=line.number,
                text=line.raw,
                hint="use a contiguous wildcard such as 0.0.0.255 (at most 8 scattered bits "
                "are expanded into ranges), or an object group of prefixes",
                message_ja=f"ワイルドカード {wildcard} が連続しておらず範囲に展開できない",
                hint_ja="0.0.0.255 のような連続したワイルドカードを使ってください",
            )
        return ranges

    def port(self, line: _Line, text: str, proto: int | None) -> int:
        if text.isdigit():
            value = int(text)
            if value <= MAX_PORT:
                return value
        else:
            table = UDP_PORTS if proto == 17 else TCP_PORTS
            if text in table:
                return table[text]
            if proto is None and text in UDP_PORTS:
                return UDP_PORTS[text]
        raise self.error(
            line,
            f"'{text}' is not a port",
            "write a number 0-65535 or a Cisco port name such as www, https, domain",
            f"'{text}' はポートではない",
        )

    def protocol(self, line: _Line, text: str) -> int | None:
        """Return a protocol number; None for ``ip`` (every protocol)."""
        name = text.lower()
        if name == "ip":
            return None
        if name.isdigit() and int(name) <= 255:
            return int(name)
        if name in CISCO_PROTOCOLS:
            return CISCO_PROTOCOLS[name]
        raise self.error(
            line,
            f"unknown protocol '{text}'",
            "write ip, tcp, udp, icmp, a protocol name or a number 0-255",
            f"未知のプロトコル '{text}'",
        )

    def icmp_name(
        self, line: _Line, words: list[str], pos: int
    ) -> tuple[tuple[int, int | None], int]:
        """Read an ICMP type (name, or number with an optional code number) at ``pos``."""
        word = words[pos]
        if word in ICMP_NAMES:
            return ICMP_NAMES[word], pos + 1
        if word.isdigit() and int(word) <= 255:
            if pos + 1 < len(words) and words[pos + 1].isdigit() and int(words[pos + 1]) <= 255:
                return (int(word), int(words[pos + 1])), pos + 2
            return (int(word), None), pos + 1
        raise self.error(
            line,
            f"unknown ICMP type '{word}'",
            "write an ICMP type name such as echo or echo-reply, or a number 0-255",
            f"未知の ICMP タイプ '{word}'",
        )

    def port_operator(
        self, line: _Line, words: list[str], pos: int, proto: int | None
    ) -> tuple[Ranges, int]:
        """Read ``eq|neq|lt|gt|range`` and its ports at ``pos``; return ranges and next pos."""
        op = self.need_word(line, words, pos, "a port operator")
        if op not in PORT_OPERATORS:
            raise self.error(
                line,
                f"'{op}' is not a port operator",
                "write eq, neq, lt, gt or range before the ports",
                f"'{op}' はポートの演算子ではない",
            )
        pos += 1

        def need(count: int) -> None:
            if pos + count > len(words):
                raise self.error(
                    line,
                    f"'{op}' needs {'two ports' if count == 2 else 'a port'}",
                    f"write '{op} PORT'" + (" PORT" if count == 2 else ""),
                    f"'{op}' にポートがない",
                )

        need(2 if op == "range" else 1)
        first = self.port(line, words[pos], proto)
        if op == "eq":
            values = [first]
            pos += 1
            # IOS accepts several ports after eq
            while pos < len(words) and (words[pos].isdigit() or words[pos] in TCP_PORTS):
                if words[pos] in ("log", "established"):
                    break
                values.append(self.port(line, words[pos], proto))
                pos += 1
            return tuple(sorted((v, v) for v in set(values))), pos
        if op == "range":
            last = self.port(line, words[pos + 1], proto)
            if first > last:
                raise self.error(
                    line, f"port range {first}-{last} runs backwards", "write the lower port first"
                )
            return ((first, last),), pos + 2
        pos += 1
        if op == "neq":
            ranges = [(0, first - 1)] if first > 0 else []
            if first < MAX_PORT:
                ranges.append((first + 1, MAX_PORT))
            return tuple(ranges), pos
        if op == "lt":
            if first == 0:
                raise self.error(line, "'lt 0' matches no port", "remove the entry")
            return ((0, first - 1),), pos
        if first == MAX_PORT:
            raise self.error(line, "'gt 65535' matches no port", "remove the entry")
        return ((first + 1, MAX_PORT),), pos

    # -- object groups ----------------------------------------------------------------------

    def need_word(self, line: _Line, words: list[str], pos: int, what: str) -> str:
        if pos >= len(words):
            raise self.error(
                line,
                f"{what} is missing",
                f"complete the line: {what} expected after '{' '.join(words)}'",
                f"{what} がない",
            )
        return words[pos]

    def group(self, line: _Line, name: str, kinds: tuple[str, ...]) -> _Group:
        group = self.groups.get(name)
        if group is None or group.kind not in kinds:
            what = " or ".join(kinds)
            raise self.error(
                line,
                f"object-group {name} ({what}) is not defined",
                f"define it with 'object-group {kinds[0]} {name}' before it is used",
                f"object-group {name} が定義されていない",
            )
        return group

    def object_(self, line: _Line, name: str, kind: str) -> _Group:
        obj = self.objects.get(name)
        if obj is None or obj.kind != kind:
            raise self.error(
                line,
                f"object {kind} {name} is not defined",
                f"define it with 'object {kind} {name}' before it is used",
                f"object {kind} {name} が定義されていない",
            )
        return obj

    def flat(self, group: _Group, seen: tuple[str, ...] = ()) -> list[tuple[_Line, _Member]]:
        """Return a group's members with every group-object and object reference resolved.

        Each group is resolved once (groups that share members would otherwise take time
        exponential in their depth) and a member reached twice is kept once, at its first line.
        Nesting deeper than MAX_GROUP_DEPTH is refused with a ParseError.
        """
        cached = self._flat.get(id(group))
        if cached is not None:
            return cached
        out: dict[_Member, _Line] = {}
        for member_line, member in group.members:
            if not isinstance(member, _Ref):
                out.setdefault(member, member_line)
                continue
            if member.name in seen:
                raise self.error(
                    member_line,
                    f"object group {member.name} contains itself",
                    "remove the group-object line that leads back",
                    f"オブジェクトグループ {member.name} が自分自身を含む",
                )
            if len(seen) + 1 >= MAX_GROUP_DEPTH:  # seen holds the groups below the first
                raise self.error(
                    member_line,
                    f"object group {member.name} is nested more than {MAX_GROUP_DEPTH} levels deep",
                    f"flatten the groups to at most {MAX_GROUP_DEPTH} levels",
                    f"オブジェクトグループの入れ子が {MAX_GROUP_DEPTH} 段を超える",
                )
            if member.kind == "group":
                target = self.group(member_line, member.name, (group.kind,))
            else:
                kind = "network" if group.kind == "network" else "service"
                target = self.object_(member_line, member.name, kind)
            for target_line, target_member in self.flat(target, (*seen, member.name)):
                out.setdefault(target_member, target_line)
        result = [(member_line, member) for member, member_line in out.items()]
        self._flat[id(group)] = result
        return result

    def network_ranges(self, group: _Group) -> list[tuple[int, int]]:
        """Return the address ranges of a network group or object."""
        out: list[tuple[int, int]] = []
        for member_line, member in self.flat(group):
            if isinstance(member, _Fqdn):
                raise self.unsupported(member_line, "an FQDN network object")
            assert isinstance(member, tuple)
            out.append(member)
        return out

    def services_of(self, line: _Line, group: _Group) -> list[_Svc]:
        """Return the services of a service, protocol or ICMP-type group (or service object)."""
        out: list[_Svc] = []
        for _, member in self.flat(group):
            if isinstance(member, _Ports):
                protos = {"tcp": (6,), "udp": (17,)}.get(group.port_type, (6, 17))
                out += [_Svc(proto, None, member.ranges) for proto in protos]
            elif isinstance(member, _Svc):
                out.append(member)
            else:
                raise self.error(line, "this group holds no services", "use a service group")
        return out

    def port_group(self, line: _Line, group: _Group) -> Ranges:
        """Return the ports of an ASA typed service group used as a port in an entry."""
        ranges: list[tuple[int, int]] = []
        for _, member in self.flat(group):
            if not isinstance(member, _Ports):
                raise self.error(line, "this service group is not a port group", "use port-object")
            ranges += member.ranges
        return tuple(sorted(set(ranges)))

    def read_group(self, block: _Block, asa: bool) -> None:
        words = block.head.words
        if len(words) < 3:
            raise self.error(
                block.head,
                "object-group needs a type and a name",
                "write 'object-group network|service|protocol NAME'",
            )
        kind, name = words[1], words[2]
        if kind not in ("network", "service", "protocol", "icmp-type"):
            raise self.unsupported(block.head, f"object-group {kind}")
        if name in self.groups:
            raise self.error(block.head, f"object-group {name} is defined twice", "rename one")
        group = _Group(kind, block.head)
        if kind == "service" and len(words) > 3:
            group.port_type = words[3]
            if group.port_type not in ("tcp", "udp", "tcp-udp"):
                raise self.error(
                    block.head,
                    f"unknown service group type '{group.port_type}'",
                    "write tcp, udp or tcp-udp, or nothing",
                )
        self.groups[name] = group
        for child in block.children:
            cw = list(child.words)
            head = cw[0]
            if head == "description":
                continue
            if head == "group-object":
                ref = self.need_word(child, cw, 1, "a group name")
                group.members.append((child, _Ref("group", ref)))
            elif kind == "network":
                group.members.append((child, self.network_member(child, cw, asa)))
            elif kind == "protocol" and head == "protocol-object":
                proto = self.protocol(child, self.need_word(child, cw, 1, "a protocol"))
                group.members.append((child, _Svc(proto)))
            elif kind == "icmp-type" and head == "icmp-object":
                icmp, _ = self.icmp_name(child, cw, 1) if len(cw) > 1 else (None, 0)
                if icmp is None:
                    raise self.error(child, "icmp-object needs a type", "write 'icmp-object echo'")
                group.members.append((child, _Svc(1, icmp=icmp)))
            elif kind == "service":
                for member in self.service_member(child, cw, group.port_type):
                    group.members.append((child, member))
            else:
                raise self.error(
                    child,
                    f"unknown line '{head}' in object-group {kind} {name}",
                    "see the object-group syntax of the device's configuration guide",
                    f"object-group {kind} {name} に未知の行 '{head}'",
                )

    def network_member(self, line: _Line, words: list[str], asa: bool) -> _Member:
        pos = 1 if words[0] == "network-object" else 0
        head = self.need_word(line, words, pos, "an address")
        if head == "host":
            value = self.address(line, self.need_word(line, words, pos + 1, "an address"))
            return (value, value)
        if head == "object":
            return _Ref("object", self.need_word(line, words, pos + 1, "an object name"))
        if head == "any":
            return (0, MAX_ADDRESS)
        if head == "range":
            lo = self.address(line, self.need_word(line, words, pos + 1, "an address"))
            hi = self.address(line, self.need_word(line, words, pos + 2, "an address"))
            return (min(lo, hi), max(lo, hi))
        if "/" in head:
            address_text, _, length_text = head.partition("/")
            if length_text.isdigit() and int(length_text) <= 32:
                value = self.address(line, address_text)
                length = int(length_text)
                mask = (MAX_ADDRESS << (32 - length)) & MAX_ADDRESS
                return (value & mask, (value & mask) | (~mask & MAX_ADDRESS))
        mask_text = self.need_word(line, words, pos + 1, "a netmask")
        network, length = self.prefix(line, head, mask_text)
        return (network, network | ((1 << (32 - length)) - 1))

    def service_member(self, line: _Line, words: list[str], port_type: str) -> list[_Member]:
        head = words[0]
        if head == "port-object":
            if not port_type:
                raise self.error(
                    line,
                    "port-object in a service group without a type",
                    "write 'object-group service NAME tcp|udp|tcp-udp', or use service-object",
                )
            ranges, pos = self.port_operator(line, words, 1, 6 if port_type == "tcp" else 17)
            self.no_more(line, words, pos)
            return [_Ports(ranges)]
        if head == "service-object":
            if len(words) > 2 and words[1] == "object":
                return [_Ref("object", words[2])]
            words = words[1:]
        elif port_type:
            raise self.error(
                line,
                f"unknown line '{head}' in a {port_type} service group",
                "use port-object eq|range ...",
            )
        return self.service_spec(line, words, 0)

    def service_spec(self, line: _Line, words: list[str], pos: int) -> list[_Member]:
        """Read ``PROTO [source OP] [destination OP | OP] [ICMP-TYPE]`` (service objects)."""
        proto_word = self.need_word(line, words, pos, "a protocol")
        pos += 1
        if proto_word == "tcp-udp":
            sport, dport, pos = self.service_ports(line, words, pos, None)
            self.no_more(line, words, pos)
            return [_Svc(6, sport, dport), _Svc(17, sport, dport)]
        proto = self.protocol(line, proto_word)
        if proto == 1 and pos < len(words):
            icmp, pos = self.icmp_name(line, words, pos)
            self.no_more(line, words, pos)
            return [_Svc(1, icmp=icmp)]
        sport, dport, pos = self.service_ports(line, words, pos, proto)
        if (sport or dport) and proto not in PORT_PROTOCOLS:
            raise self.error(line, "ports need tcp or udp", "write 'tcp eq 80' or 'udp eq 53'")
        self.no_more(line, words, pos)
        return [_Svc(proto, sport, dport)]

    def service_ports(
        self, line: _Line, words: list[str], pos: int, proto: int | None
    ) -> tuple[Ranges | None, Ranges | None, int]:
        sport: Ranges | None = None
        dport: Ranges | None = None
        while pos < len(words):
            word = words[pos]
            if word == "source":
                sport, pos = self.port_operator(line, words, pos + 1, proto)
            elif word == "destination":
                dport, pos = self.port_operator(line, words, pos + 1, proto)
            elif word in PORT_OPERATORS:
                dport, pos = self.port_operator(line, words, pos, proto)
            else:
                break
        return sport, dport, pos

    def no_more(self, line: _Line, words: list[str], pos: int) -> None:
        if pos < len(words):
            raise self.error(
                line,
                f"unexpected word '{words[pos]}'",
                "remove it, or check the syntax of this command",
                f"予期しない語 '{words[pos]}'",
            )

    # -- access-list entries ----------------------------------------------------------------

    def intern(self, condition: Condition) -> Condition:
        key: tuple[object, ...] = (condition,)
        found = self.interned.get(key)
        if found is None:
            self.interned[key] = condition
            return condition
        return found

    def address_spec(
        self, line: _Line, words: list[str], pos: int, asa: bool, wildcard: bool
    ) -> tuple[Ranges | None, int]:
        """Read an address: any, host A, A WILDCARD|MASK, object(-group) N, interface N."""
        word = self.need_word(line, words, pos, "an address")
        if word in ("any", "any4"):
            return None, pos + 1
        if word == "any6":
            return (), pos + 1
        if word == "host":
            value = self.address(line, self.need_word(line, words, pos + 1, "an address"))
            return ((value, value),), pos + 2
        if word == "object-group":
            name = self.need_word(line, words, pos + 1, "a group name")
            return tuple(sorted(self.network_ranges(self.group(line, name, ("network",))))), pos + 2
        if word == "object" and asa:
            name = self.need_word(line, words, pos + 1, "an object name")
            return tuple(sorted(self.network_ranges(self.object_(line, name, "network")))), pos + 2
        if word == "interface" and asa:
            name = self.need_word(line, words, pos + 1, "an interface name")
            iface = next((i for i in self.ifaces.values() if i.nameif == name), None)
            if iface is None or iface.address is None:
                raise self.error(
                    line,
                    f"no interface with nameif {name} and an address",
                    "give the interface a nameif and an ip address",
                )
            return ((iface.address[0], iface.address[0]),), pos + 2
        if "/" in word and not asa:
            raise self.error(line, f"'{word}' is not Cisco syntax", "write ADDRESS WILDCARD")
        second = self.need_word(line, words, pos + 1, "a wildcard" if wildcard else "a netmask")
        if wildcard:
            return self.wildcard(line, word, second), pos + 2
        network, length = self.prefix(line, word, second)
        return ((network, network | ((1 << (32 - length)) - 1)),), pos + 2

    def entry(self, acl: _Acl, line: _Line, words: list[str], asa: bool) -> _Entry | None:
        """Parse one entry ``permit|deny ...`` (words start at the action)."""
        ref = f"access-list {acl.name}"
        location = self.location(line, ref)
        action = words[0]
        if action not in ("permit", "deny"):
            raise self.error(
                line,
                f"unknown access-list action '{action}'",
                "an entry starts with permit, deny or remark",
                f"未知のアクション '{action}'",
            )
        permit = action == "permit"
        if acl.kind == "standard":
            src, pos = self.standard_source(line, words, 1, asa)
            pos = self.options(line, words, pos, None, asa, [])
            conditions = self.assemble(_Svc(None), src, None, [])
            return _Entry(permit, (conditions,), location, src is None)
        pos = 1
        word = self.need_word(line, words, pos, "a protocol")
        explicit = False
        if word == "object-group":
            group = self.group(
                line, self.need_word(line, words, pos + 1, "a group name"), ("service", "protocol")
            )
            services = self.services_of(line, group)
            explicit = group.kind == "service"
            pos += 2
        elif word == "object" and asa:
            obj = self.object_(line, self.need_word(line, words, pos + 1, "an object"), "service")
            services = self.services_of(line, obj)
            explicit = True
            pos += 2
        else:
            services = [_Svc(self.protocol(line, word))]
            pos += 1
        src, pos = self.address_spec(line, words, pos, asa, wildcard=not asa)
        protos = {s.proto for s in services}
        ported = not explicit and bool(protos) and protos <= PORT_PROTOCOLS
        proto_hint = next(iter(protos)) if len(protos) == 1 else None
        sport: Ranges | None = None
        if ported:
            sport, pos = self.entry_ports(line, words, pos, proto_hint, asa)
        dst, pos = self.address_spec(line, words, pos, asa, wildcard=not asa)
        dport: Ranges | None = None
        icmp: list[_Svc] = []
        if ported:
            dport, pos = self.entry_ports(line, words, pos, proto_hint, asa)
        elif pos < len(words) and words[pos] in PORT_OPERATORS:
            raise self.error(
                line,
                f"'{words[pos]}' needs protocol tcp or udp",
                "write 'permit tcp ... eq 80', or remove the port",
                f"'{words[pos]}' には tcp か udp が必要",
            )
        elif not explicit and protos == {1} and pos < len(words):
            if words[pos] == "object-group" and asa:
                group = self.group(
                    line, self.need_word(line, words, pos + 1, "a group"), ("icmp-type",)
                )
                icmp = self.services_of(line, group)
                pos += 2
            elif words[pos] in ICMP_NAMES or words[pos].isdigit():
                value, pos = self.icmp_name(line, words, pos)
                icmp = [_Svc(1, icmp=value)]
        extra: list[Condition] = []
        pos = self.options(line, words, pos, services, asa, extra)
        if icmp:
            services = icmp
        elif sport is not None or dport is not None:
            services = [_Svc(s.proto, sport, dport) for s in services]
        alternatives = tuple(self.assemble(s, src, dst, extra) for s in services)
        matches_all = (
            src is None and dst is None and not extra and any(s == _Svc(None) for s in services)
        )
        return _Entry(permit, alternatives, location, matches_all)

    def standard_source(
        self, line: _Line, words: list[str], pos: int, asa: bool
    ) -> tuple[Ranges | None, int]:
        word = self.need_word(line, words, pos, "an address")
        if word in ("any", "any4", "host"):
            return self.address_spec(line, words, pos, asa, wildcard=not asa)
        if pos + 1 < len(words) and words[pos + 1] not in ("log",):
            return self.address_spec(line, words, pos, asa, wildcard=not asa)
        value = self.address(line, word)
        return ((value, value),), pos + 1

    def entry_ports(
        self, line: _Line, words: list[str], pos: int, proto: int | None, asa: bool
    ) -> tuple[Ranges | None, int]:
        if pos >= len(words):
            return None, pos
        if words[pos] in PORT_OPERATORS:
            return self.port_operator(line, words, pos, proto)
        if asa and words[pos] == "object-group" and pos + 1 < len(words):
            group = self.groups.get(words[pos + 1])
            if group is not None and group.kind == "service" and group.port_type:
                return self.port_group(line, group), pos + 2
        return None, pos

    def options(
        self,
        line: _Line,
        words: list[str],
        pos: int,
        services: list[_Svc] | None,
        asa: bool,
        extra: list[Condition],
    ) -> int:
        while pos < len(words):
            word = words[pos]
            pos += 1
            if word in ("log", "log-input"):
                self.ignore(line, "logging of access-list entries")
                # an optional level, interval, "disable", or IOS log tag follows
                while pos < len(words) and (
                    words[pos].isdigit()
                    or words[pos] in ("interval", "disable", "default")
                    or words[pos] in ("emergencies", "alerts", "critical", "errors", "warnings")
                    or words[pos] in ("notifications", "informational", "debugging")
                ):
                    pos += 1
            elif word == "established" and services is not None:
                if {s.proto for s in services} != {6}:
                    raise self.error(
                        line,
                        "'established' needs protocol tcp",
                        "write 'permit tcp ... established'",
                        "'established' には tcp が必要",
                    )
                # ACK or RST set: any packet of a connection but its first (a SYN). Written as
                # "not new" rather than a FlagsMatch, which the engine always evaluates on a
                # SYN: under connection_state=any the stateless router does forward those
                # packets, and the rule analysis knows such entries are expected.
                extra.append(self.intern(StateMatch(frozenset({"new"}), negated=True)))
            elif word == "fragments" and not asa:
                # matches non-initial fragments only; a first packet never is one
                extra.append(self.intern(Const(False, "non-initial fragments")))
            elif word in UNSUPPORTED_OPTIONS:
                raise self.unsupported(line, f"access-list option '{word}'")
            elif word in ("ack", "syn", "fin", "psh", "rst", "urg", "match-all"):
                raise self.unsupported(line, f"TCP flag match '{word}'")
            else:
                raise self.error(
                    line,
                    f"unknown keyword '{word}' in an access-list entry",
                    "an entry is 'permit|deny PROTOCOL SOURCE [PORTS] DESTINATION [PORTS] "
                    "[established] [log]'",
                    f"アクセスリストのエントリに未知の語 '{word}'",
                )
        return pos

    def assemble(
        self, svc: _Svc, src: Ranges | None, dst: Ranges | None, extra: list[Condition]
    ) -> tuple[Condition, ...]:
        out: list[Condition] = []
        if svc.proto is not None:
            out.append(self.intern(RangeMatch(Field.PROTO, ((svc.proto, svc.proto),))))
        for field_, ranges in ((Field.SRC, src), (Field.DST, dst)):
            if ranges is not None:
                if not ranges:
                    out.append(self.intern(Const(False, "IPv6 addresses only")))
                else:
                    out.append(self.intern(RangeMatch(field_, _merge(ranges))))
        if svc.sport is not None:
            out.append(self.intern(RangeMatch(Field.SPORT, svc.sport)))
        if svc.dport is not None:
            out.append(self.intern(RangeMatch(Field.DPORT, svc.dport)))
        if svc.icmp is not None:
            icmp_type, code = svc.icmp
            out.append(self.intern(RangeMatch(Field.ICMP_TYPE, ((icmp_type, icmp_type),))))
            if code is not None:
                out.append(self.intern(RangeMatch(Field.ICMP_CODE, ((code, code),))))
        out += extra
        return tuple(out)

    def acl_entries(self, acl: _Acl, asa: bool) -> list[_Entry]:
        cached = self._parsed.get(acl.name)
        if cached is not None:
            return cached
        out: list[_Entry] = []
        for _, line, words in sorted(acl.entries, key=lambda e: e[0]):
            if asa and words[-1:] == ["inactive"]:
                self.ignore(line, "inactive access-list entries")
                continue
            parsed = self.entry(acl, line, words, asa)
            if parsed is not None:
                out.append(parsed)
        self._parsed[acl.name] = out
        return out

    def acl_chain(self, acl: _Acl, asa: bool, implicit_deny: bool) -> str:
        """Add the user chain of an ACL (permit → accept, deny → drop); return its name."""
        key = (self.table, acl.name)
        if key in self.chains:
            return acl.name
        entries = self.acl_entries(acl, asa)
        rules: list[Rule] = []
        for item in entries:
            action = Verdict.ACCEPT if item.permit else Verdict.DROP
            rules += [Rule(conds, action, item.location) for conds in item.alternatives]
        if implicit_deny and not any(e.matches_all for e in entries):
            location = self.location(acl.line, f"access-list {acl.name}: implicit deny")
            rules.append(Rule((), Verdict.DROP, location, "implicit deny at the end of the list"))
        self.chains[key] = Chain(
            self.table, acl.name, tuple(rules), None, self.location(acl.line, "")
        )
        return acl.name

    def add_chain(
        self,
        name: str,
        rules: list[Rule],
        policy: Verdict | None,
        line: _Line,
        stage: tuple[Hook, int, StageKind] | None = None,
    ) -> None:
        self.chains[(self.table, name)] = Chain(
            self.table, name, tuple(rules), policy, self.location(line, f"{self.table} {name}")
        )
        if stage is not None:
            self.stages.append(Stage(stage[0], stage[1], stage[2], self.table, name))

    # -- shared commands --------------------------------------------------------------------

    def in_iface(self, names: list[str], direction: str = "in") -> Condition:
        return self.intern(InterfaceMatch(direction, tuple(names)))

    def build(self) -> Ruleset:
        interfaces: list[ConfiguredInterface] = []
        for iface in self.ifaces.values():
            if iface.shutdown or (self.format == FORMAT_ASA and not iface.nameif):
                continue
            if iface.management:
                continue
            loc = self.location(iface.line, f"interface {iface.name}")
            address = iface.address
            interfaces.append(
                ConfiguredInterface(
                    iface.name,
                    address[0] if address else None,
                    address[1] if address else None,
                    iface.nameif,
                    loc,
                )
            )
            for secondary in iface.secondary:
                interfaces.append(
                    ConfiguredInterface(iface.name, secondary[0], secondary[1], iface.nameif, loc)
                )
        routes = self.active_routes()
        ignored = tuple(
            IgnoredSection(self.source, tuple(e.lines), e.reason, e.example)
            for e in self.ignored.values()
        )
        return Ruleset(
            self.source,
            self.format,
            dict(self.chains),
            tuple(self.stages),
            ignored,
            tuple(interfaces),
            tuple(routes),
            tuple(self.assumptions),
        )

    def active_routes(self) -> list[ConfiguredRoute]:
        best: dict[tuple[int, int], int] = {}
        for prefix, _, _, distance, _ in self.routes:
            best[prefix] = min(best.get(prefix, 256), distance)
        out = []
        for prefix, via, iface, distance, line in self.routes:
            if distance > best[prefix]:
                self.assumptions.append(
                    f"{self.source}:{line.number}: floating static route (distance {distance}) "
                    "is a backup of a better route and is left out"
                )
                continue
            out.append(ConfiguredRoute(prefix, via, iface, self.location(line, "static route")))
        return out

    def route(self, line: _Line, words: list[str], pos: int, iface: str | None) -> None:
        """Read ``P M [INTERFACE] [NEXTHOP] [distance] [name X] [options]`` at ``pos``."""
        network_word = self.need_word(line, words, pos, "a prefix")
        mask_word = self.need_word(line, words, pos + 1, "a netmask")
        prefix = self.prefix(line, network_word, mask_word)
        pos += 2
        via: int | None = None
        target = self.need_word(line, words, pos, "a next hop or interface")
        if iface is None and not target[0].isdigit():
            iface = target
            if iface not in self.ifaces and not iface.lower().startswith("null"):
                raise self.error(
                    line,
                    f"route through interface {iface}, which is not configured",
                    "name an interface of this device, or give a next-hop address",
                )
            pos += 1
            if pos < len(words) and words[pos][0].isdigit() and "." in words[pos]:
                via = self.address(line, words[pos])
                pos += 1
        else:
            via = self.address(line, target)
            pos += 1
        distance = 1
        while pos < len(words):
            word = words[pos]
            if word.isdigit():
                distance = int(word)
                pos += 1
            elif word in ("name", "tag", "track") and pos + 1 < len(words):
                pos += 2
            elif word in ("permanent", "global", "multicast", "tunneled"):
                if word == "tunneled":
                    raise self.unsupported(line, "a tunneled default route")
                pos += 1
            else:
                raise self.error(
                    line,
                    f"unexpected word '{word}' in a static route",
                    "write 'PREFIX MASK NEXTHOP|INTERFACE [DISTANCE] [name NAME]'",
                )
        self.routes.append((prefix, via, iface, distance, line))


def _merge(ranges: Ranges) -> Ranges:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return tuple(out)


class _IosParser(_Parser):
    format = FORMAT_IOS
    table = "ios"

    def __init__(self, text: str, source: str):
        super().__init__(text, source)
        self.pools: dict[str, tuple[tuple[int, int], _Line]] = {}
        self.nat_lines: list[_Line] = []

    def run(self) -> Ruleset:
        blocks = self.blocks()
        # object groups and interfaces first: entries and routes refer to them
        for block in blocks:
            words = block.head.words
            if words[0] == "object-group":
                self.read_group(block, asa=False)
            elif words[0] == "interface":
                self.interface(block)
        for block in blocks:
            self.command(block)
        self.assemble_stages()
        return self.build()

    def command(self, block: _Block) -> None:
        head = block.head
        words = list(head.words)
        first = words[0]
        if first in ("object-group", "interface"):
            return
        if first == "router":
            self.ignore_block(block, DYNAMIC_ROUTING)
            return
        if first == "access-list":
            self.numbered(head, words)
            return
        if first == "no":
            self.ignore_block(block, _MANAGEMENT)
            return
        if first in IOS_UNSUPPORTED_TOP:
            raise self.unsupported(head, IOS_UNSUPPORTED_TOP[first])
        if first == "ip" and len(words) > 1:
            second = words[1]
            if second == "access-list":
                self.named(block, words)
                return
            if second == "route":
                if len(words) > 2 and words[2] == "vrf":
                    raise self.unsupported(head, "a route of a VRF")
                self.route(head, words, 2, None)
                return
            if second == "nat":
                self.nat_command(head, words)
                return
            if second in IOS_UNSUPPORTED_IP:
                raise self.unsupported(head, IOS_UNSUPPORTED_IP[second])
            if second in IOS_IGNORED_IP:
                self.ignore_block(block, IOS_IGNORED_IP[second])
                return
        if first in IOS_IGNORED:
            self.ignore_block(block, IOS_IGNORED[first])
            return
        if first in ("ipv6",):
            self.ignore_block(block, "IPv6 configuration (IPv4 is verified)")
            return
        raise self.error(
            head,
            f"unknown command '{' '.join(words[:2])}'",
            "the parser reads interfaces, access lists, object groups, static routes and NAT; "
            "if this command cannot change forwarding, remove it from the file given to the "
            "verifier, otherwise check this device by hand",
            f"未知のコマンド '{' '.join(words[:2])}'",
        )

    def interface(self, block: _Block) -> None:
        head = block.head
        name = self.need_word(head, list(head.words), 1, "an interface name")
        if name in self.ifaces:
            iface = self.ifaces[name]
        else:
            iface = self.ifaces[name] = _Iface(name, head)
        for child in block.children:
            w = list(child.words)
            for key, what in IOS_UNSUPPORTED_INTERFACE.items():
                if tuple(w[: len(key)]) == key:
                    raise self.unsupported(child, what)
            if w[:2] == ["ip", "address"]:
                if len(w) > 2 and w[2] in ("dhcp", "negotiated"):
                    raise self.unsupported(child, "an address from DHCP")
                address, length = self.iface_address(child, w)
                if len(w) > 4 and w[4] == "secondary":
                    iface.secondary.append((address, length))
                else:
                    iface.address = (address, length)
            elif w == ["shutdown"]:
                iface.shutdown = True
            elif w[:2] == ["ip", "access-group"]:
                if len(w) != 4 or w[3] not in ("in", "out"):
                    raise self.error(
                        child,
                        "ip access-group needs a list and a direction",
                        "write 'ip access-group NAME in' or '... out'",
                    )
                if w[3] == "in":
                    iface.acl_in = (w[2], child)
                else:
                    iface.acl_out = (w[2], child)
            elif w[:2] == ["ip", "nat"]:
                if len(w) != 3 or w[2] not in ("inside", "outside"):
                    raise self.error(
                        child, "ip nat needs inside or outside", "write 'ip nat inside'"
                    )
                iface.nat = w[2]
            elif w[:1] == ["ipv6"]:
                self.ignore(child, "IPv6 configuration (IPv4 is verified)")
            else:
                self.ignore(child, "interface settings that neither filter nor translate")
        if iface.shutdown:
            self.ignore(head, "interfaces that are shut down (forward nothing)")

    def iface_address(self, line: _Line, words: list[str]) -> tuple[int, int]:
        text = self.need_word(line, words, 2, "an address")
        if "/" in text:  # FRR/Quagga style, as in Batfish's examples
            address_text, _, length_text = text.partition("/")
            if not length_text.isdigit() or int(length_text) > 32:
                raise self.error(line, f"bad prefix length in {text}", "write A.B.C.D/LEN")
            return self.address(line, address_text), int(length_text)
        mask = self.mask(line, self.need_word(line, words, 3, "a netmask"), wildcard=False)
        length = _prefix_length(mask)
        assert length is not None
        return self.address(line, text), length

    def numbered(self, line: _Line, words: list[str]) -> None:
        name = self.need_word(line, words, 1, "a list number")
        if not name.isdigit():
            raise self.error(line, f"'{name}' is not a list number", "write access-list 1-2699")
        number = int(name)
        if 1 <= number <= 99 or 1300 <= number <= 1999:
            kind = "standard"
        elif 100 <= number <= 199 or 2000 <= number <= 2699:
            kind = "extended"
        else:
            kind = "other"
        acl = self.acls.get(name)
        if acl is None:
            acl = self.acls[name] = _Acl(name, kind, line)
        action = self.need_word(line, words, 2, "permit, deny or remark")
        if action == "remark":
            return
        if action == "dynamic":
            raise self.unsupported(line, "a dynamic (lock-and-key) access-list entry")
        acl.entries.append((len(acl.entries) * 10 + 10, line, words[2:]))

    def named(self, block: _Block, words: list[str]) -> None:
        head = block.head
        kind = self.need_word(head, words, 2, "standard or extended")
        name = self.need_word(head, words, 3, "a list name")
        if kind not in ("standard", "extended"):
            if kind in ("resequence", "logging"):
                self.ignore_block(block, _MANAGEMENT)
                return
            self.ignore_block(block, f"ip access-list {kind} (not an IPv4 packet filter)")
            self.acls[name] = _Acl(name, "other", head)
            return
        acl = self.acls.get(name)
        if acl is None:
            acl = self.acls[name] = _Acl(name, kind, head)
        seq = max((e[0] for e in acl.entries), default=0)
        for child in block.children:
            cw = list(child.words)
            if cw[0].isdigit():
                number = int(cw[0])
                cw = cw[1:]
                if not cw:
                    raise self.error(child, "sequence number without an entry", "add the entry")
            else:
                number = seq + 10
            seq = max(seq, number)
            if cw[0] == "remark":
                continue
            if cw[0] == "dynamic":
                raise self.unsupported(child, "a dynamic (lock-and-key) access-list entry")
            if cw[0] == "evaluate":
                raise self.unsupported(child, "a reflexive access list (evaluate)")
            acl.entries.append((number, child, cw))

    def nat_command(self, line: _Line, words: list[str]) -> None:
        if len(words) > 2 and words[2] == "pool":
            # ip nat pool NAME START END netmask M | prefix-length N
            name = self.need_word(line, words, 3, "a pool name")
            start = self.address(line, self.need_word(line, words, 4, "a start address"))
            end = self.address(line, self.need_word(line, words, 5, "an end address"))
            if start > end:
                raise self.error(line, "NAT pool runs backwards", "write the lower address first")
            self.pools[name] = ((start, end), line)
            return
        if words[2:4] == ["inside", "source"]:
            self.nat_lines.append(line)
            return
        if len(words) > 2 and words[2] in ("translation", "log", "service"):
            self.ignore(line, _MANAGEMENT)
            return
        raise self.unsupported(line, f"NAT '{' '.join(words[:4])}'")

    # -- stages -----------------------------------------------------------------------------

    def referenced(self, ref: tuple[str, _Line]) -> _Acl | None:
        name, line = ref
        acl = self.acls.get(name)
        if acl is None:
            self.assumptions.append(
                f"{self.source}:{line.number}: access list {name} is not defined; IOS then "
                "filters nothing on this interface in this direction"
            )
            return None
        if acl.kind == "other":
            raise self.unsupported(line, f"access list {name} (not an IPv4 access list)")
        return acl

    def assemble_stages(self) -> None:
        first = _Line(1, self.text.splitlines()[0] if self.text else "", (), False)
        used: set[str] = set()
        for direction, hook, priority in (
            ("in", Hook.PREROUTING, -200),
            ("out", Hook.POSTROUTING, 200),
        ):
            by_acl: dict[str, list[_Iface]] = {}
            lines: dict[str, _Line] = {}
            for iface in self.ifaces.values():
                ref = iface.acl_in if direction == "in" else iface.acl_out
                if ref is None or iface.shutdown:
                    continue
                acl = self.referenced(ref)
                if acl is None:
                    continue
                by_acl.setdefault(acl.name, []).append(iface)
                lines.setdefault(acl.name, ref[1])
            if not by_acl:
                continue
            rules = []
            for name, ifaces in by_acl.items():
                chain = self.acl_chain(self.acls[name], False, implicit_deny=True)
                used.add(name)
                condition = self.in_iface([i.name for i in ifaces], direction)
                location = self.location(lines[name], f"access-group {direction}")
                rules.append(Rule((condition,), Jump(chain), location))
            self.add_chain(
                f"access-group {direction}",
                rules,
                Verdict.ACCEPT,
                first,
                (hook, priority, StageKind.FILTER),
            )
        self.nat_stages(first, used)
        for name, acl in self.acls.items():
            if name not in used and acl.kind != "other":
                self.ignore(acl.line, "access lists applied to no interface")
                for _, line, _ in acl.entries:
                    self.ignore(line, "access lists applied to no interface")

    def nat_stages(self, first: _Line, used: set[str]) -> None:
        if not self.nat_lines:
            return
        inside = [i.name for i in self.ifaces.values() if i.nat == "inside"]
        outside = [i.name for i in self.ifaces.values() if i.nat == "outside"]
        pre: list[Rule] = []
        post_static: list[Rule] = []
        post_dynamic: list[Rule] = []
        if not inside or not outside:
            self.assumptions.append(
                f"{self.source}: NAT rules are configured but no interface has 'ip nat inside' "
                "or none has 'ip nat outside'; IOS then translates nothing"
            )
        for line in self.nat_lines:
            words = list(line.words)[4:]
            loc = self.location(line, "ip nat inside source")
            if not words:
                raise self.error(line, "incomplete NAT rule", "write 'ip nat inside source ...'")
            if words[0] == "static" and words[1:2] == ["network"]:
                raise self.unsupported(line, "static network NAT")
            if words[0] == "static":
                pos = 1
                proto: int | None = None
                if pos < len(words) and words[pos] in ("tcp", "udp"):
                    proto = 6 if words[pos] == "tcp" else 17
                    pos += 1
                local = self.address(line, self.need_word(line, words, pos, "a local address"))
                pos += 1
                local_port = global_port = None
                if proto is not None:
                    local_port = self.port(line, self.need_word(line, words, pos, "a port"), proto)
                    pos += 1
                glob_word = self.need_word(line, words, pos, "a global address")
                if glob_word == "interface":
                    iface_name = self.need_word(line, words, pos + 1, "an interface")
                    iface = self.ifaces.get(iface_name)
                    if iface is None or iface.address is None:
                        raise self.error(line, f"{iface_name} has no address", "give it one")
                    glob = iface.address[0]
                    pos += 2
                else:
                    glob = self.address(line, glob_word)
                    pos += 1
                if proto is not None:
                    global_port = self.port(line, self.need_word(line, words, pos, "a port"), proto)
                    pos += 1
                for word in words[pos:]:
                    if word not in ("extendable", "no-alias", "no-payload", "reversible"):
                        raise self.unsupported(line, f"static NAT option '{word}'")
                proto_cond = (
                    [self.intern(RangeMatch(Field.PROTO, ((proto, proto),)))] if proto else []
                )
                sport = (
                    [self.intern(RangeMatch(Field.SPORT, ((local_port, local_port),)))]
                    if local_port is not None
                    else []
                )
                dport = (
                    [self.intern(RangeMatch(Field.DPORT, ((global_port, global_port),)))]
                    if global_port is not None
                    else []
                )
                post_static.append(
                    Rule(
                        (
                            self.in_iface(inside),
                            self.in_iface(outside, "out"),
                            *proto_cond,
                            self.intern(RangeMatch(Field.SRC, ((local, local),))),
                            *sport,
                        ),
                        Nat(
                            "snat",
                            (glob, glob),
                            (global_port, global_port) if global_port is not None else None,
                        ),
                        loc,
                    )
                )
                pre.append(
                    Rule(
                        (
                            self.in_iface(outside),
                            *proto_cond,
                            self.intern(RangeMatch(Field.DST, ((glob, glob),))),
                            *dport,
                        ),
                        Nat(
                            "dnat",
                            (local, local),
                            (local_port, local_port) if local_port is not None else None,
                        ),
                        loc,
                    )
                )
            elif words[0] == "list":
                name = self.need_word(line, words, 1, "an access list")
                acl = self.acls.get(name)
                if acl is None or acl.kind == "other":
                    raise self.error(
                        line,
                        f"NAT names access list {name}, which is not defined",
                        f"define 'ip access-list standard {name}' or remove the NAT rule",
                        f"NAT が未定義のアクセスリスト {name} を参照している",
                    )
                target = self.need_word(line, words, 2, "interface or pool")
                if target == "interface":
                    iface_name = self.need_word(line, words, 3, "an interface")
                    iface = self.ifaces.get(iface_name)
                    if iface is None or iface.address is None:
                        raise self.error(
                            line,
                            f"NAT to interface {iface_name}, which has no address",
                            "name a configured interface with an ip address",
                        )
                    addresses = (iface.address[0], iface.address[0])
                    rest = words[4:]
                elif target == "pool":
                    pool_name = self.need_word(line, words, 3, "a pool name")
                    if pool_name not in self.pools:
                        raise self.error(
                            line,
                            f"NAT pool {pool_name} is not defined",
                            f"define 'ip nat pool {pool_name} START END netmask MASK'",
                        )
                    addresses = self.pools[pool_name][0]
                    rest = words[4:]
                else:
                    raise self.error(
                        line, f"unknown NAT target '{target}'", "write interface or pool"
                    )
                for word in rest:
                    if word not in ("overload",):
                        raise self.unsupported(line, f"NAT option '{word}'")
                chain = f"nat list {name} {len(post_dynamic)}"
                used.add(name)
                nat_rules: list[Rule] = []
                for entry in self.acl_entries(acl, False):
                    outcome: Outcome = Nat("snat", addresses) if entry.permit else Verdict.RETURN
                    nat_rules += [Rule(c, outcome, entry.location) for c in entry.alternatives]
                self.add_chain(chain, nat_rules, None, acl.line)
                post_dynamic.append(
                    Rule((self.in_iface(inside), self.in_iface(outside, "out")), Jump(chain), loc)
                )
            else:
                raise self.unsupported(line, f"NAT '{words[0]}'")
        if pre:
            self.add_chain(
                "nat outside-to-inside",
                pre,
                Verdict.ACCEPT,
                first,
                (Hook.PREROUTING, -100, StageKind.NAT),
            )
        self.add_chain(
            "nat inside-to-outside",
            post_static + post_dynamic,
            Verdict.ACCEPT,
            first,
            (Hook.POSTROUTING, 100, StageKind.NAT),
        )


class _AsaParser(_Parser):
    format = FORMAT_ASA
    table = "asa"

    def __init__(self, text: str, source: str):
        super().__init__(text, source)
        self.groups_in: dict[str, tuple[str, _Line]] = {}
        self.groups_out: dict[str, tuple[str, _Line]] = {}
        self.global_acl: tuple[str, _Line] | None = None
        self.inter = False
        self.intra = False
        self.object_nat: list[tuple[str, _Line]] = []
        self.twice_nat: list[_Line] = []

    def run(self) -> Ruleset:
        blocks = self.blocks()
        for block in blocks:
            words = block.head.words
            if words[0] == "name" and len(words) >= 3:
                self.aliases[words[2]] = self.address(block.head, words[1])
            elif words[0] == "interface":
                self.interface(block)
        for block in blocks:
            words = block.head.words
            if words[0] == "object" and len(words) >= 3:
                self.object_block(block)
            elif words[0] == "object-group":
                self.read_group(block, asa=True)
        for block in blocks:
            self.command(block)
        self.assemble_stages()
        return self.build()

    def interface(self, block: _Block) -> None:
        head = block.head
        name = self.need_word(head, list(head.words), 1, "an interface name")
        iface = self.ifaces.setdefault(name, _Iface(name, head))
        for child in block.children:
            w = list(child.words)
            if w[:1] == ["nameif"]:
                iface.nameif = self.need_word(child, w, 1, "a name")
            elif w[:1] == ["security-level"]:
                level = self.need_word(child, w, 1, "a level 0-100")
                if not level.isdigit() or int(level) > 100:
                    raise self.error(child, f"bad security level '{level}'", "write 0-100")
                iface.level = int(level)
                iface.level_line = child
            elif w[:2] == ["ip", "address"]:
                if len(w) > 2 and w[2] in ("dhcp", "pppoe"):
                    raise self.unsupported(child, "an address from DHCP or PPPoE")
                mask = self.need_word(child, w, 3, "a netmask")
                network, length = self.prefix(child, w[2], mask)
                iface.address = (self.address(child, w[2]), length)
                del network
                if len(w) > 4 and w[4] != "standby":
                    raise self.error(child, f"unexpected word '{w[4]}'", "write 'ip address A M'")
            elif w == ["shutdown"]:
                iface.shutdown = True
            elif w == ["management-only"]:
                iface.management = True
            elif w[:1] in (["vlan"], ["description"], ["speed"], ["duplex"], ["no"], ["mtu"]):
                self.ignore(child, "interface settings that neither filter nor translate")
            elif w[:1] in (["ipv6"],):
                self.ignore(child, "IPv6 configuration (IPv4 is verified)")
            else:
                self.ignore(child, "interface settings that neither filter nor translate")
        if iface.shutdown or not iface.nameif or iface.management:
            self.ignore(head, "interfaces without nameif, shut down or management-only")

    def object_block(self, block: _Block) -> None:
        head = block.head
        kind, name = head.words[1], head.words[2]
        if kind not in ("network", "service"):
            raise self.unsupported(head, f"object {kind}")
        obj = self.objects.get(name)
        if obj is None:
            obj = self.objects[name] = _Group(kind, head)
        elif obj.kind != kind:
            raise self.error(head, f"object {name} is defined twice", "rename one")
        for child in block.children:
            w = list(child.words)
            if w[0] == "description":
                continue
            if kind == "network":
                if w[0] == "host":
                    value = self.address(child, self.need_word(child, w, 1, "an address"))
                    obj.members.append((child, (value, value)))
                elif w[0] == "subnet":
                    network, length = self.prefix(
                        child,
                        self.need_word(child, w, 1, "an address"),
                        self.need_word(child, w, 2, "a netmask"),
                    )
                    obj.members.append((child, (network, network | ((1 << (32 - length)) - 1))))
                elif w[0] == "range":
                    lo = self.address(child, self.need_word(child, w, 1, "an address"))
                    hi = self.address(child, self.need_word(child, w, 2, "an address"))
                    if lo > hi:
                        raise self.error(child, "range runs backwards", "write the lower first")
                    obj.members.append((child, (lo, hi)))
                elif w[0] == "fqdn":
                    obj.members.append((child, _Fqdn()))
                elif w[0] == "nat":
                    self.object_nat.append((name, child))
                else:
                    raise self.error(
                        child,
                        f"unknown line '{w[0]}' in object network {name}",
                        "write host, subnet, range or nat",
                    )
            else:
                if w[0] != "service":
                    raise self.error(
                        child, f"unknown line '{w[0]}' in object service {name}", "write service"
                    )
                for member in self.service_spec(child, w, 1):
                    obj.members.append((child, member))

    def command(self, block: _Block) -> None:
        head = block.head
        words = list(head.words)
        first = words[0]
        if first in ("interface", "object", "object-group", "name"):
            return
        if first == "router":
            self.ignore_block(block, DYNAMIC_ROUTING)
            return
        if first == "access-list":
            self.access_list(head, words)
        elif first == "access-group":
            self.access_group(head, words)
        elif first == "route":
            nameif = self.need_word(head, words, 1, "an interface name")
            iface = next((i for i in self.ifaces.values() if i.nameif == nameif), None)
            if iface is None:
                raise self.error(
                    head,
                    f"route through {nameif}, which is no interface's nameif",
                    "name an interface by its nameif",
                    f"nameif {nameif} のインターフェースがない",
                )
            self.route(head, words, 2, iface.name)
        elif first == "same-security-traffic":
            if words[1:] == ["permit", "inter-interface"]:
                self.inter = True
            elif words[1:] == ["permit", "intra-interface"]:
                self.intra = True
            else:
                raise self.error(head, "unknown same-security-traffic", "write inter-interface")
        elif first == "nat":
            if len(words) > 1 and "," not in words[1]:
                raise self.unsupported(head, "pre-8.3 NAT (nat (IFACE) ID ...)")
            self.twice_nat.append(head)
        elif first in ASA_UNSUPPORTED:
            raise self.unsupported(head, ASA_UNSUPPORTED[first])
        elif first in ("ipv6",):
            self.ignore_block(block, "IPv6 configuration (IPv4 is verified)")
        elif first in ASA_IGNORED:
            self.ignore_block(block, ASA_IGNORED[first])
        else:
            raise self.error(
                head,
                f"unknown command '{' '.join(words[:2])}'",
                "the parser reads interfaces, objects, object groups, access lists, "
                "access-groups, NAT and routes; if this command cannot change forwarding, "
                "remove it from the file given to the verifier, otherwise check it by hand",
                f"未知のコマンド '{' '.join(words[:2])}'",
            )

    def access_list(self, line: _Line, words: list[str]) -> None:
        name = self.need_word(line, words, 1, "a list name")
        pos = 2
        position: int | None = None
        if pos < len(words) and words[pos] == "line":
            value = self.need_word(line, words, pos + 1, "a line number")
            if not value.isdigit():
                raise self.error(line, "line needs a number", "write 'line N'")
            position = int(value)
            pos += 2
        kind = self.need_word(line, words, pos, "extended, standard or remark")
        if kind == "remark":
            self.acls.setdefault(name, _Acl(name, "extended", line))
            return
        if kind in ("webtype", "ethertype"):
            self.acls.setdefault(name, _Acl(name, "other", line))
            self.ignore(line, f"{kind} access lists (not an IPv4 packet filter)")
            return
        if kind not in ("extended", "standard"):
            raise self.error(
                line,
                f"unknown access-list type '{kind}'",
                "write 'access-list NAME extended permit|deny ...'",
            )
        acl = self.acls.get(name)
        if acl is None:
            acl = self.acls[name] = _Acl(name, kind, line)
        elif acl.kind != kind:
            raise self.error(line, f"access list {name} mixes {acl.kind} and {kind}", "rename")
        entry_words = words[pos + 1 :]
        if not entry_words:
            raise self.error(line, "access-list entry is empty", "write permit or deny ...")
        items = [(ln, ws) for _, ln, ws in acl.entries]
        if position is not None:
            items.insert(max(position - 1, 0), (line, entry_words))
        else:
            items.append((line, entry_words))
        acl.entries = [(i, ln, ws) for i, (ln, ws) in enumerate(items)]

    def access_group(self, line: _Line, words: list[str]) -> None:
        name = self.need_word(line, words, 1, "a list name")
        acl = self.acls.get(name)
        if acl is None:
            raise self.error(
                line,
                f"access-group names access list {name}, which is not defined",
                f"define 'access-list {name} extended ...' (the ASA refuses this line too)",
                f"access-group が未定義のアクセスリスト {name} を参照している",
            )
        if acl.kind != "extended":
            raise self.unsupported(line, f"access-group with a {acl.kind} access list")
        direction = self.need_word(line, words, 2, "in, out or global")
        if direction == "global":
            self.no_more(line, words, 3)
            self.global_acl = (name, line)
            return
        if direction not in ("in", "out") or words[3:4] != ["interface"] or len(words) < 5:
            raise self.error(
                line,
                "access-group needs a direction and an interface",
                "write 'access-group NAME in interface NAMEIF' or 'access-group NAME global'",
            )
        nameif = words[4]
        iface = next((i for i in self.ifaces.values() if i.nameif == nameif), None)
        if iface is None:
            raise self.error(
                line,
                f"access-group on {nameif}, which is no interface's nameif",
                "name an interface by its nameif",
                f"nameif {nameif} のインターフェースがない",
            )
        for word in words[5:]:
            if word not in ("control-plane", "per-user-override"):
                raise self.error(line, f"unexpected word '{word}'", "remove it")
        if "control-plane" in words[5:]:
            self.ignore(line, "rules for traffic to the ASA itself: device traffic is out of scope")
            return
        (self.groups_in if direction == "in" else self.groups_out)[iface.name] = (name, line)

    # -- stages -----------------------------------------------------------------------------

    def live(self) -> list[_Iface]:
        return [i for i in self.ifaces.values() if i.nameif and not i.shutdown and not i.management]

    def level(self, iface: _Iface) -> int:
        if iface.level is not None:
            return iface.level
        return 100 if iface.nameif == "inside" else 0

    def assemble_stages(self) -> None:
        first = _Line(1, self.text.splitlines()[0] if self.text else "", (), False)
        live = self.live()
        established = self.intern(StateMatch(frozenset({"established", "related"})))
        state_loc = SourceLocation(
            self.source, 1, first.raw.strip(), "ASA: packets of established connections"
        )
        used: set[str] = set()
        rules: list[Rule] = [Rule((established,), Verdict.ACCEPT, state_loc)]
        if not self.intra:
            # without intra-interface, traffic never leaves by the interface it came in on;
            # only a list could permit it (the security levels never do)
            for iface in live:
                if iface.name in self.groups_in or self.global_acl is not None:
                    pair = (self.in_iface([iface.name]), self.in_iface([iface.name], "out"))
                    loc = self.location(iface.line, "ASA: no same-security-traffic intra-interface")
                    rules.append(Rule(pair, Verdict.DROP, loc))
        for iface in live:
            ref = self.groups_in.get(iface.name)
            if ref is None:
                continue
            chain = self.acl_chain(self.acls[ref[0]], True, implicit_deny=False)
            used.add(ref[0])
            loc = self.location(ref[1], "access-group in")
            # packets the list does not decide fall to the global list or the policy (drop)
            rules.append(Rule((self.in_iface([iface.name]),), Jump(chain), loc))
        if self.global_acl is not None:
            chain = self.acl_chain(self.acls[self.global_acl[0]], True, implicit_deny=False)
            used.add(self.global_acl[0])
            rules.append(
                Rule((), Jump(chain), self.location(self.global_acl[1], "access-group global"))
            )
        else:
            for iface in live:
                if iface.name in self.groups_in:
                    continue
                mine = self.level(iface)
                lower = [
                    other.name
                    for other in live
                    if self.level(other) < mine
                    or (self.level(other) == mine and other is not iface and self.inter)
                    or (other is iface and self.intra)
                ]
                if not lower:
                    continue
                line = iface.level_line or iface.line
                rules.append(
                    Rule(
                        (self.in_iface([iface.name]), self.in_iface(lower, "out")),
                        Verdict.ACCEPT,
                        self.location(line, f"security-level {mine} ({iface.nameif})"),
                        "higher to lower security level",
                    )
                )
        self.add_chain(
            "access-group in", rules, Verdict.DROP, first, (Hook.FORWARD, 0, StageKind.FILTER)
        )
        if self.groups_out:
            out_rules: list[Rule] = [Rule((established,), Verdict.ACCEPT, state_loc)]
            for iface in live:
                ref = self.groups_out.get(iface.name)
                if ref is None:
                    continue
                acl = self.acls[ref[0]]
                chain = self.acl_chain(acl, True, implicit_deny=False)
                used.add(ref[0])
                cond = (self.in_iface([iface.name], "out"),)
                out_rules.append(Rule(cond, Jump(chain), self.location(ref[1], "access-group out")))
                if not any(e.matches_all for e in self.acl_entries(acl, True)):
                    out_rules.append(
                        Rule(
                            cond,
                            Verdict.DROP,
                            self.location(ref[1], f"access-list {ref[0]}: implicit deny"),
                            "implicit deny at the end of the list",
                        )
                    )
            self.add_chain(
                "access-group out",
                out_rules,
                Verdict.ACCEPT,
                first,
                (Hook.FORWARD, 10, StageKind.FILTER),
            )
        self.nat_stages(first)
        for name, acl in self.acls.items():
            if name not in used and acl.kind != "other":
                self.ignore(acl.line, "access lists applied to no interface")
                for _, line, _ in acl.entries:
                    self.ignore(line, "access lists applied to no interface")

    # -- NAT --------------------------------------------------------------------------------

    def nat_ifaces(self, line: _Line, text: str) -> tuple[list[str] | None, list[str] | None]:
        if not (text.startswith("(") and text.endswith(")") and "," in text):
            raise self.error(
                line,
                f"'{text}' is not an interface pair",
                "write nat (REAL_NAMEIF,MAPPED_NAMEIF) ...",
            )
        out: list[list[str] | None] = []
        for part in text[1:-1].split(","):
            if part == "any":
                out.append(None)
                continue
            iface = next((i for i in self.ifaces.values() if i.nameif == part), None)
            if iface is None:
                raise self.error(
                    line,
                    f"NAT names {part}, which is no interface's nameif",
                    "name interfaces by their nameif, or any",
                )
            out.append([iface.name])
        if len(out) != 2:
            raise self.error(line, f"'{text}' is not an interface pair", "write (real,mapped)")
        return out[0], out[1]

    def net(self, line: _Line, name: str) -> Ranges | None:
        """Return the ranges of a network object/group name, an address, or None for any."""
        if name in ("any", "any4"):
            return None
        if name in self.objects and self.objects[name].kind == "network":
            return _merge(tuple(self.network_ranges(self.objects[name])))
        if name in self.groups and self.groups[name].kind == "network":
            return _merge(tuple(self.network_ranges(self.groups[name])))
        if name[:1].isdigit() or name in self.aliases:
            value = self.address(line, name)
            return ((value, value),)
        raise self.error(
            line,
            f"object {name} is not defined",
            f"define it with 'object network {name}' before it is used",
            f"object {name} が定義されていない",
        )

    def one_range(self, line: _Line, ranges: Ranges | None, what: str) -> tuple[int, int] | None:
        if ranges is None:
            return None
        if len(ranges) != 1:
            raise self.unsupported(line, f"NAT to a {what} of several separate ranges")
        return ranges[0]

    def nat_stages(self, first: _Line) -> None:
        pre: list[Rule] = []
        post: list[Rule] = []
        manual_before: list[_Line] = []
        manual_after: list[_Line] = []
        for line in self.twice_nat:
            (manual_after if "after-auto" in line.words else manual_before).append(line)
        for line in manual_before:
            self.twice(line, pre, post)
        objects: list[tuple[int, int, int, str, _Line]] = []
        for name, line in self.object_nat:
            words = list(line.words)
            kind = words[2] if len(words) > 2 else ""
            real = self.net(line, name)
            size = sum(hi - lo + 1 for lo, hi in real) if real else 1 << 32
            first_address = real[0][0] if real else 0
            objects.append((0 if kind == "static" else 1, size, first_address, name, line))
        for _, _, _, name, line in sorted(objects, key=lambda o: o[:4]):
            self.object_nat_rule(name, line, pre, post)
        for line in manual_after:
            self.twice(line, pre, post)
        if pre:
            self.add_chain(
                "nat untranslate",
                pre,
                Verdict.ACCEPT,
                first,
                (Hook.PREROUTING, -100, StageKind.NAT),
            )
        if post:
            self.add_chain(
                "nat translate", post, Verdict.ACCEPT, first, (Hook.POSTROUTING, 100, StageKind.NAT)
            )

    def mapped(
        self, line: _Line, word: str, mapped_iface: list[str] | None
    ) -> tuple[tuple[int, int] | None, bool]:
        """Return (mapped range, masquerade) of a NAT mapped address word."""
        if word == "interface":
            if mapped_iface is None:
                return None, True
            iface = self.ifaces[mapped_iface[0]]
            if iface.address is None:
                raise self.error(line, f"{iface.name} has no address", "give it an ip address")
            return (iface.address[0], iface.address[0]), False
        return self.one_range(line, self.net(line, word), "mapped object"), False

    def object_nat_rule(self, name: str, line: _Line, pre: list[Rule], post: list[Rule]) -> None:
        words = list(line.words)
        loc = self.location(line, f"object network {name} nat")
        real_if, mapped_if = self.nat_ifaces(line, self.need_word(line, words, 1, "interfaces"))
        kind = self.need_word(line, words, 2, "static or dynamic")
        real = self.net(line, name)
        pos = 3
        if kind == "dynamic" and pos < len(words) and words[pos] == "pat-pool":
            pos += 1
        mapped_word = self.need_word(line, words, pos, "a mapped address")
        mapped, masquerade = self.mapped(line, mapped_word, mapped_if)
        pos += 1
        ports: tuple[int, int] | None = None
        proto: int | None = None
        while pos < len(words):
            word = words[pos]
            if word == "service" and kind == "static":
                proto = self.protocol(line, self.need_word(line, words, pos + 1, "tcp or udp"))
                if proto not in (6, 17):
                    raise self.error(
                        line, "NAT service needs tcp or udp", "write service tcp 80 80"
                    )
                real_port = self.port(line, self.need_word(line, words, pos + 2, "a port"), proto)
                mapped_port = self.port(line, self.need_word(line, words, pos + 3, "a port"), proto)
                ports = (real_port, mapped_port)
                pos += 4
            elif word in NAT_HARMLESS:
                pos += 1
            else:
                raise self.unsupported(line, f"NAT option '{word}'")
        real_cond = [self.intern(RangeMatch(Field.SRC, real))] if real is not None else []
        ifaces: list[Condition] = []
        if real_if is not None:
            ifaces.append(self.in_iface(real_if))
        if mapped_if is not None:
            ifaces.append(self.in_iface(mapped_if, "out"))
        proto_cond = [self.intern(RangeMatch(Field.PROTO, ((proto, proto),)))] if proto else []
        sport = [self.intern(RangeMatch(Field.SPORT, ((ports[0], ports[0]),)))] if ports else []
        if masquerade:
            snat = Nat("masquerade")
        elif mapped is None or (
            mapped == (real[0] if real and len(real) == 1 else None) and not ports
        ):
            snat = None
        else:
            snat = Nat("snat", mapped, (ports[1], ports[1]) if ports else None)
        self.note_range(line, real, mapped, kind)
        post.append(
            Rule(
                (*ifaces, *proto_cond, *real_cond, *sport),
                snat if snat is not None else Verdict.ACCEPT,
                loc,
            )
        )
        if kind == "static" and not masquerade and mapped is not None:
            one = self.one_range(line, real, "real object")
            dport = [self.intern(RangeMatch(Field.DPORT, ((ports[1], ports[1]),)))] if ports else []
            back = [self.in_iface(mapped_if)] if mapped_if is not None else []
            dnat = (
                Nat("dnat", one, (ports[0], ports[0]) if ports else None)
                if one != mapped or ports
                else None
            )
            pre.append(
                Rule(
                    (*back, *proto_cond, self.intern(RangeMatch(Field.DST, (mapped,))), *dport),
                    dnat if dnat is not None else Verdict.ACCEPT,
                    loc,
                )
            )

    def note_range(
        self, line: _Line, real: Ranges | None, mapped: tuple[int, int] | None, kind: str
    ) -> None:
        if kind == "static" and mapped is not None and mapped[0] != mapped[1]:
            self.assumptions.append(
                f"{self.source}:{line.number}: static NAT between ranges is read as 'any "
                "address of the range' (the ASA maps address by address)"
            )

    def twice(self, line: _Line, pre: list[Rule], post: list[Rule]) -> None:
        words = [w for w in line.words if w not in ("after-auto",)]
        loc = self.location(line, "twice NAT")
        real_if, mapped_if = self.nat_ifaces(line, self.need_word(line, words, 1, "interfaces"))
        pos = 2
        if pos < len(words) and words[pos].isdigit():
            pos += 1
        if words[pos : pos + 1] != ["source"]:
            raise self.error(line, "twice NAT needs 'source'", "write nat (a,b) source static ...")
        kind = self.need_word(line, words, pos + 1, "static or dynamic")
        if kind not in ("static", "dynamic"):
            raise self.error(line, f"unknown NAT kind '{kind}'", "write static or dynamic")
        real = self.net(line, self.need_word(line, words, pos + 2, "a real object"))
        mapped_word = self.need_word(line, words, pos + 3, "a mapped object")
        if mapped_word == "pat-pool":
            pos += 1
            mapped_word = self.need_word(line, words, pos + 3, "a mapped object")
        mapped, masquerade = self.mapped(line, mapped_word, mapped_if)
        pos += 4
        dst_mapped: Ranges | None = None
        dst_real: Ranges | None = None
        has_dst = False
        unidirectional = False
        while pos < len(words):
            word = words[pos]
            if word == "destination":
                if words[pos + 1 : pos + 2] != ["static"]:
                    raise self.error(line, "destination NAT must be static", "write static")
                dst_mapped = self.net(line, self.need_word(line, words, pos + 2, "an object"))
                dst_real = self.net(line, self.need_word(line, words, pos + 3, "an object"))
                has_dst = True
                pos += 4
            elif word == "unidirectional":
                unidirectional = True
                pos += 1
            elif word == "inactive":
                self.ignore(line, "inactive NAT rules")
                return
            elif word in ("no-proxy-arp", "route-lookup", "dns", "net-to-net", "interface"):
                pos += 1
            elif word == "description":
                break
            else:
                raise self.unsupported(line, f"twice NAT option '{word}'")
        src_cond = [self.intern(RangeMatch(Field.SRC, real))] if real is not None else []
        real_one = self.one_range(line, real, "real object") if kind == "static" else None
        identity = not masquerade and mapped is not None and real_one == mapped
        fwd_ifaces: list[Condition] = []
        if real_if is not None:
            fwd_ifaces.append(self.in_iface(real_if))
        dst_real_one = self.one_range(line, dst_real, "real destination") if has_dst else None
        dst_mapped_one = self.one_range(line, dst_mapped, "mapped destination") if has_dst else None
        if has_dst:
            # forward: the destination the host uses (mapped) becomes the real one
            pre.append(
                Rule(
                    (
                        *fwd_ifaces,
                        *src_cond,
                        *(
                            [self.intern(RangeMatch(Field.DST, (dst_mapped_one,)))]
                            if dst_mapped_one
                            else []
                        ),
                    ),
                    Nat("dnat", dst_real_one) if dst_real_one != dst_mapped_one else Verdict.ACCEPT,
                    loc,
                )
            )
        out_ifaces = list(fwd_ifaces)
        if mapped_if is not None:
            out_ifaces.append(self.in_iface(mapped_if, "out"))
        dst_cond = [self.intern(RangeMatch(Field.DST, (dst_real_one,)))] if dst_real_one else []
        snat: Outcome
        if masquerade:
            snat = Nat("masquerade")
        elif identity or mapped is None:
            snat = Verdict.ACCEPT
        else:
            snat = Nat("snat", mapped)
        self.note_range(line, real, mapped, kind)
        post.append(Rule((*out_ifaces, *src_cond, *dst_cond), snat, loc))
        if kind != "static" or unidirectional or masquerade or mapped is None:
            return
        # reverse: hosts on the mapped side reach the real addresses through the mapped ones
        back_ifaces: list[Condition] = [self.in_iface(mapped_if)] if mapped_if is not None else []
        back_src = [self.intern(RangeMatch(Field.SRC, (dst_real_one,)))] if dst_real_one else []
        pre.append(
            Rule(
                (*back_ifaces, *back_src, self.intern(RangeMatch(Field.DST, (mapped,)))),
                Nat("dnat", real_one) if not identity else Verdict.ACCEPT,
                loc,
            )
        )
        if has_dst and dst_real_one != dst_mapped_one:
            back_out = list(back_ifaces)
            if real_if is not None:
                back_out.append(self.in_iface(real_if, "out"))
            post.append(
                Rule(
                    (
                        *back_out,
                        *back_src,
                        *([self.intern(RangeMatch(Field.DST, real))] if real else []),
                    ),
                    Nat("snat", dst_mapped_one),
                    loc,
                )
            )


def parse_ios(text: str, *, source: str) -> Ruleset:
    """Parse a Cisco IOS/IOS-XE configuration; ``source`` names the file in errors and reports."""
    return _IosParser(text, source).run()


def parse_asa(text: str, *, source: str) -> Ruleset:
    """Parse a Cisco ASA configuration; ``source`` names the file in errors and reports."""
    return _AsaParser(text, source).run()
