"""Read a FortiOS configuration (``show`` / ``show full-configuration`` output) into a Ruleset.

The text is a tree of ``config PATH`` blocks holding ``edit NAME`` entries (closed by ``next``)
and ``set``/``unset``/``append``/``select``/``unselect`` commands, closed by ``end``; values may be
quoted (``"..."`` or ``'...'``, backslash escapes, spanning lines). Blocks of the same path merge
as the CLI does (a second ``edit X`` edits X).

Read into the vendor-neutral model:

* ``system interface`` → :attr:`Ruleset.interfaces` (``zone`` is the FortiOS zone holding it);
  ``system zone`` (members; ``intrazone allow`` admits traffic between different members after
  every policy, as FortiOS checks it); SD-WAN zones as interface groups; ``router static`` →
  :attr:`Ruleset.routes` (a ``blackhole`` route has neither gateway nor interface).
* ``firewall policy`` → filter chain ``FORWARD`` (one stage, implicit deny = policy DROP) in the
  order of the ``edit`` entries, after one rule accepting established/related packets (FortiOS
  is stateful). Addresses (``ipmask``, ``iprange``, ``interface-subnet``), groups (nested,
  ``exclude``), custom and predefined services, service groups, the ``*-negate`` options,
  ``status disable`` (listed as ignored) and ``send-deny-packet`` (reject) are modelled.
* ``firewall vip`` (static NAT, port forwarding) named by a policy → DNAT in a ``PREROUTING``
  nat stage; the policy matches the mapped address and port, as FortiOS checks it.
* ``nat enable`` on a policy → masquerade, or SNAT to its ``ippool`` range, in a
  ``POSTROUTING`` nat stage under the same match as the policy.

Readings the verifier must make (schedules, user groups, VIP matching) are stated in
:attr:`Ruleset.assumptions`. Every section is classified on purpose (an allow-list): read
(:data:`MODELLED_SECTIONS`), known not to permit forwarded IPv4 traffic and listed as ignored
(:data:`IGNORED_SECTIONS`, :data:`HARMLESS_SECTIONS`: IPv6, local-in, DoS, management, logging,
security profiles, dynamic routing, ...), or refused with :class:`UnsupportedSyntax`
(:data:`UNSUPPORTED_SECTIONS` and every section the parser does not know). With several VDOMs,
only one may have firewall policies (or an ``intrazone allow`` zone, or a section that could
permit and is not modelled): that VDOM is read. Sections outside ``config global`` and ``config
vdom`` belong to the only VDOM (a stated reading); with several VDOMs they are a ParseError.
Address and service groups nest at most :data:`MAX_GROUP_DEPTH` deep.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from isms.segments.addresses import MAX_ADDRESS, MAX_PORT, format_address, parse_address
from isms.segments.errors import ParseError, UnsupportedSyntax
from isms.segments.rules import (
    Chain,
    Condition,
    ConfiguredInterface,
    ConfiguredRoute,
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

__all__ = ["FORMAT", "PREDEFINED_SERVICES", "parse"]

FORMAT = "fortios"

Interval = tuple[int, int]
Ranges = tuple[Interval, ...]
ALL_ADDRESSES: Ranges = ((0, MAX_ADDRESS),)
NO_ADDRESS = "0.0.0.0"  # noqa: S104 - FortiOS's "unset" address, not a bind address

# FortiOS's predefined services (as a factory-default 6.4/7.x configuration defines them), for
# configurations that do not print them: "tcp/80", "udp/53", "tcp/513:512-1023" (dst:src),
# "icmp/8" (type), "icmp" (every type), "ip/47" (protocol number; ip/0 = every protocol),
# "icmp6" (never an IPv4 packet).
PREDEFINED_SERVICES: dict[str, str] = {
    "ALL": "ip/0",
    "ALL_TCP": "tcp/1-65535",
    "ALL_UDP": "udp/1-65535",
    "ALL_ICMP": "icmp",
    "ALL_ICMP6": "icmp6",
    "GRE": "ip/47",
    "AH": "ip/51",
    "ESP": "ip/50",
    "OSPF": "ip/89",
    "AOL": "tcp/5190-5194",
    "BGP": "tcp/179",
    "DHCP": "udp/67-68",
    "DNS": "tcp/53 udp/53",
    "FINGER": "tcp/79",
    "FTP": "tcp/21",
    "FTP_GET": "tcp/21",
    "FTP_PUT": "tcp/21",
    "GOPHER": "tcp/70",
    "H323": "tcp/1720 tcp/1503 udp/1719",
    "HTTP": "tcp/80",
    "HTTPS": "tcp/443",
    "IKE": "udp/500 udp/4500",
    "IMAP": "tcp/143",
    "IMAPS": "tcp/993",
    "Internet-Locator-Service": "tcp/389",
    "IRC": "tcp/6660-6669",
    "KERBEROS": "tcp/88 tcp/464 udp/88 udp/464",
    "L2TP": "tcp/1701 udp/1701",
    "LDAP": "tcp/389",
    "LDAP_UDP": "udp/389",
    "DCE-RPC": "tcp/135 udp/135",
    "MS-SQL": "tcp/1433 tcp/1434",
    "MYSQL": "tcp/3306",
    "NetMeeting": "tcp/1720",
    "NFS": "tcp/111 tcp/2049 udp/111 udp/2049",
    "NNTP": "tcp/119",
    "NTP": "tcp/123 udp/123",
    "ONC-RPC": "tcp/111 udp/111",
    "PC-Anywhere": "tcp/5631 udp/5632",
    "PING": "icmp/8",
    "PING6": "icmp6",
    "TIMESTAMP": "icmp/13",
    "INFO_REQUEST": "icmp/15",
    "INFO_ADDRESS": "icmp/17",
    "POP3": "tcp/110",
    "POP3S": "tcp/995",
    "PPTP": "tcp/1723",
    "QUAKE": "udp/26000 udp/27000 udp/27910 udp/27960",
    "RADIUS": "udp/1812 udp/1813",
    "RADIUS-OLD": "udp/1645 udp/1646",
    "RAUDIO": "udp/7070",
    "RDP": "tcp/3389",
    "REXEC": "tcp/512",
    "RIP": "udp/520",
    "RLOGIN": "tcp/513:512-1023",
    "RSH": "tcp/514:512-1023",
    "RTSP": "tcp/554 tcp/7070 tcp/8554 udp/554",
    "SAMBA": "tcp/139",
    "SCCP": "tcp/2000",
    "SIP": "tcp/5060 udp/5060",
    "SIP-MSNmessenger": "tcp/1863",
    "SMB": "tcp/445",
    "SMTP": "tcp/25",
    "SMTPS": "tcp/465",
    "SNMP": "tcp/161-162 udp/161-162",
    "SOCKS": "tcp/1080 udp/1080",
    "SQUID": "tcp/3128",
    "SSH": "tcp/22",
    "SYSLOG": "udp/514",
    "TALK": "udp/517-518",
    "TELNET": "tcp/23",
    "TFTP": "udp/69",
    "TRACEROUTE": "udp/33434-33535",
    "MGCP": "udp/2427 udp/2727",
    "MMS": "tcp/1755 udp/1024-5000",
    "UUCP": "tcp/540",
    "VDOLIVE": "tcp/7000-7010",
    "VNC": "tcp/5900",
    "WAIS": "tcp/210",
    "WINFRAME": "tcp/1494 tcp/2598",
    "WINS": "tcp/1512 udp/1512",
    "X-WINDOWS": "tcp/6000-6063",
    "CVSPSERVER": "tcp/2401 udp/2401",
    "AFS3": "tcp/7000-7009 udp/7000-7009",
    "DHCP6": "udp/546 udp/547",
    "NONE": "tcp/0",
}

PORT_PROTOCOL_NUMBERS = {"tcp": 6, "udp": 17, "sctp": 132}

# Sections that cannot permit forwarded IPv4 traffic: listed as ignored when they have entries.
IGNORED_SECTIONS: dict[str, str] = {
    "firewall policy6": "IPv6 policy (IPv4 is verified)",
    "firewall address6": "IPv6 address (IPv4 is verified)",
    "firewall addrgrp6": "IPv6 address group (IPv4 is verified)",
    "firewall vip6": "IPv6 virtual IP (IPv4 is verified)",
    "firewall vipgrp6": "IPv6 virtual IP group (IPv4 is verified)",
    "firewall ippool6": "IPv6 IP pool (IPv4 is verified)",
    "firewall multicast-policy6": "IPv6 multicast policy (IPv4 is verified)",
    "firewall multicast-address6": "IPv6 multicast address (IPv4 is verified)",
    "firewall vip46": "NAT46 virtual IP (used only by NAT46 policies)",
    "firewall vip64": "NAT64 virtual IP (used only by NAT64 policies)",
    "firewall local-in-policy": "local-in policy (traffic to the device itself)",
    "firewall local-in-policy6": "local-in policy (traffic to the device itself)",
    "firewall DoS-policy": "DoS policy (it can only drop traffic)",
    "firewall DoS-policy6": "DoS policy (it can only drop traffic)",
    "firewall interface-policy": "interface policy (security profiles; it cannot permit traffic)",
    "firewall interface-policy6": "interface policy (security profiles; it cannot permit traffic)",
    "firewall shaping-policy": "traffic shaping policy (bandwidth only)",
    "firewall sniffer": "one-arm sniffer (copies traffic; it cannot forward)",
    "firewall acl": "ACL (it can only drop traffic)",
    "firewall acl6": "ACL (it can only drop traffic)",
    "firewall multicast-address": "multicast address (multicast policies are not read)",
}

# Sections that can permit traffic and are not modelled: UnsupportedSyntax when they have entries.
UNSUPPORTED_SECTIONS: dict[str, str] = {
    "firewall multicast-policy": "a multicast policy (it forwards IPv4 multicast traffic)",
    "firewall proxy-policy": "a proxy policy (the explicit or transparent proxy relays traffic)",
    "firewall security-policy": "a policy-based NGFW security policy",
    "firewall policy46": "a NAT46 policy",
    "firewall policy64": "a NAT64 policy",
    "firewall central-snat-map": "central SNAT",
    "system virtual-wire-pair": "a virtual wire pair (bridges traffic between two ports)",
    "system switch-interface": "a software switch (forwards between its members)",
    "system virtual-switch": "a hardware switch (forwards between its member ports)",
    "firewall consolidated policy": "a consolidated policy (FortiOS 6.2 consolidated mode)",
    "firewall explicit-proxy-policy": "an explicit proxy policy (the proxy relays traffic)",
    "firewall access-proxy": "a ZTNA access proxy (it relays traffic)",
    "router policy": "a policy route (it forwards by other criteria than the routes)",
    "vpn ocvpn": "an overlay-controller VPN (it builds tunnels and their policies itself)",
}

# Sections this parser reads (or consults for interface names and schedules).
MODELLED_SECTIONS = frozenset(
    {
        "system interface",
        "system zone",
        "system settings",
        "system sdwan",
        "system virtual-wan-link",
        "system vxlan",
        "system gre-tunnel",
        "router static",
        "firewall address",
        "firewall addrgrp",
        "firewall service custom",
        "firewall service group",
        "firewall vip",
        "firewall vipgrp",
        "firewall ippool",
        "firewall policy",
        "firewall schedule onetime",
        "firewall schedule recurring",
        "firewall schedule group",
        "vpn ipsec phase1-interface",
        "wireless-controller vap",
    }
)

_PROFILES = "security profile or inspection setting (it cannot permit traffic)"
_MANAGEMENT = "device management and services of the device itself (they cannot forward traffic)"
_LOGGING = "logging, reporting and replacement messages (they cannot change forwarding)"
_ROUTING = "dynamic routing and route filters (the routes followed are the model's)"
_USERS = "users, authentication and certificates (policies naming users are stated readings)"
_IPV6 = "IPv6 routing (IPv4 is verified)"

# Sections that cannot change a forwarding decision, by path or by the first words of their
# path: listed as ignored (the line of each block) when they hold anything. Every other section
# that holds anything raises UnsupportedSyntax: the verifier skips only what it knows.
HARMLESS_SECTIONS: dict[str, str] = {
    **dict.fromkeys(
        (
            "antivirus",
            "application",
            "dlp",
            "dnsfilter",
            "emailfilter",
            "spamfilter",
            "webfilter",
            "ips",
            "icap",
            "waf",
            "voip",
            "ssh-filter",
            "file-filter",
            "videofilter",
            "cifs",
            "casb",
            "virtual-patch",
            "sctp-filter",
            "diameter-filter",
            "wanopt",
            "web-proxy",
            "ftp-proxy",
            "firewall profile-protocol-options",
            "firewall profile-group",
            "firewall ssl-ssh-profile",
            "firewall ssh",
            "firewall ssl",
            "firewall mms-profile",
            "firewall shaper",
            "firewall shaping-profile",
            "firewall traffic-class",
            "firewall service category",
            "firewall internet-service-definition",
            "firewall internet-service-name",
            "firewall internet-service-custom",
            "firewall internet-service-custom-group",
            "firewall internet-service-group",
            "firewall internet-service-addition",
            "firewall internet-service-append",
            "firewall internet-service-extension",
            "firewall wildcard-fqdn",
            "firewall ipmacbinding",
            "firewall ldb-monitor",
            "system session-helper",
        ),
        _PROFILES,
    ),
    **dict.fromkeys(
        (
            "log",
            "report",
            "alertemail",
            "system replacemsg",
            "system replacemsg-group",
            "system replacemsg-image",
            "system sflow",
            "system netflow",
        ),
        _LOGGING,
    ),
    **dict.fromkeys(
        (
            "system global",
            "system accprofile",
            "system admin",
            "system api-user",
            "system sso-admin",
            "system password-policy",
            "system password-policy-guest-admin",
            "system auto-install",
            "system auto-scale",
            "system auto-update",
            "system autoupdate",
            "system automation-action",
            "system automation-destination",
            "system automation-stitch",
            "system automation-trigger",
            "system central-management",
            "system cluster-sync",
            "system console",
            "system csf",
            "system custom-language",
            "system ddns",
            "system dhcp",
            "system dns",
            "system dns-database",
            "system dns-server",
            "system email-server",
            "system fm",
            "system fortiguard",
            "system fortisandbox",
            "system ftm-push",
            "system ha",
            "system ha-monitor",
            "system link-monitor",
            "system ntp",
            "system object-tagging",
            "system probe-response",
            "system ptp",
            "system resource-limits",
            "system sdn-connector",
            "system external-resource",
            "system snmp",
            "system storage",
            "system alarm",
            "system vdom-property",
            "system vdom-link",
            "system arp-table",
            "system proxy-arp",
            "system session-ttl",
            "system ips-urlfilter-dns",
            "dpdk",
            "switch-controller",
            "wireless-controller",
            "endpoint-control",
            "vpn ssl",
            "vpn ipsec phase1",
            "vpn ipsec phase2",
            "vpn ipsec phase2-interface",
        ),
        _MANAGEMENT,
    ),
    **dict.fromkeys(("user", "authentication", "certificate", "vpn certificate"), _USERS),
    **dict.fromkeys(
        (
            "router bgp",
            "router ospf",
            "router ospf6",
            "router rip",
            "router ripng",
            "router isis",
            "router multicast",
            "router multicast6",
            "router multicast-flow",
            "router bfd",
            "router bfd6",
            "router access-list",
            "router access-list6",
            "router prefix-list",
            "router prefix-list6",
            "router route-map",
            "router aspath-list",
            "router community-list",
            "router key-chain",
            "router auth-path",
            "router setting",
        ),
        _ROUTING,
    ),
    **dict.fromkeys(("router static6", "router policy6"), _IPV6),
}

HINT_SUPPORTED = (
    "supported: addresses of type ipmask, iprange and interface-subnet, address groups, custom "
    "and predefined services, static-NAT and port-forwarding VIPs, IP pools, zones, policies "
    "with action accept or deny"
)

# address and service groups nest at most this deep (deeper nesting gives a ParseError)
MAX_GROUP_DEPTH = 256

# DNAT of address or port ranges of equal size is written one mapping per rule up to this many
# rules; larger ones map to the whole range (the report's nat_range=any_address assumption).
MAX_EXACT_MAPPINGS = 1024


# -- lexer ------------------------------------------------------------------------------------


@dataclass
class _Stmt:
    words: list[str]
    line: int
    text: str


def _statements(text: str, source: str) -> Iterator[_Stmt]:
    """Split the text into statements: words of one line, quoted values may span lines."""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        raw = lines[index]
        start = index + 1
        stripped = raw.strip()
        index += 1
        if not stripped or stripped.startswith("#"):
            continue
        if '"' not in raw and "'" not in raw and "\\" not in raw:
            yield _Stmt(raw.split(), start, stripped)
            continue
        words: list[str] = []
        current: list[str] = []
        in_word = False
        quote = ""
        escaped = False
        buffer = raw
        position = 0
        while True:
            if position >= len(buffer):
                if quote or escaped:
                    if index >= len(lines):
                        raise ParseError(
                            "a quoted value is never closed",
                            source=source,
                            line=start,
                            text=stripped,
                            hint='close every quotation mark; write a quote inside a value as \\"',
                            message_ja="引用符で始まる値が閉じていない",
                        )
                    current.append("\n")
                    escaped = False
                    buffer = lines[index]
                    index += 1
                    position = 0
                    continue
                break
            char = buffer[position]
            position += 1
            if escaped:
                current.append(char)
                escaped = False
            elif char == "\\":
                escaped = True
                in_word = True
            elif quote:
                if char == quote:
                    quote = ""
                else:
                    current.append(char)
            elif char in "\"'":
                quote = char
                in_word = True
            elif char in " \t":
                if in_word:
                    words.append("".join(current))
                    current = []
                    in_word = False
            else:
                current.append(char)
                in_word = True
        if in_word:
            words.append("".join(current))
        if words:
            yield _Stmt(words, start, stripped)


# -- configuration tree -------------------------------------------------------------------------


@dataclass
class _Attr:
    values: list[str]
    line: int
    text: str
    seq: int  # when it was last set
    changed: int  # when its value last changed


@dataclass
class _Node:
    kind: str  # "root", "config" or "entry"
    name: str
    line: int
    text: str
    attrs: dict[str, _Attr] = field(default_factory=dict)
    configs: dict[str, _Node] = field(default_factory=dict)
    entries: dict[str, _Node] = field(default_factory=dict)
    unsets: dict[str, int] = field(default_factory=dict)  # setting → when it was last unset

    def get(self, key: str, default: str = "") -> str:
        attr = self.attrs.get(key)
        return attr.values[0] if attr is not None and attr.values else default

    def values(self, key: str) -> list[str]:
        attr = self.attrs.get(key)
        return list(attr.values) if attr is not None else []

    def where(self, key: str) -> tuple[int, str]:
        attr = self.attrs.get(key)
        return (attr.line, attr.text) if attr is not None else (self.line, self.text)

    def config(self, path: str) -> _Node | None:
        return self.configs.get(path)


def _tree(text: str, source: str) -> _Node:
    root = _Node("root", "", 1, "")
    stack = [root]
    seq = 0

    def fail(stmt: _Stmt, message: str, hint: str, message_ja: str = "") -> ParseError:
        return ParseError(
            message,
            source=source,
            line=stmt.line,
            text=stmt.text,
            hint=hint,
            message_ja=message_ja,
        )

    for stmt in _statements(text, source):
        seq += 1
        op, args = stmt.words[0], stmt.words[1:]
        top = stack[-1]
        if op == "config":
            if not args:
                raise fail(stmt, "'config' needs a path", "write e.g. 'config firewall policy'")
            path = " ".join(args)
            node = top.configs.get(path)
            if node is None:
                node = _Node("config", path, stmt.line, stmt.text)
                top.configs[path] = node
            stack.append(node)
        elif op == "edit":
            if top.kind != "config":
                raise fail(
                    stmt,
                    "'edit' outside a config block",
                    "put 'edit NAME' inside 'config ...' and close it with 'next'",
                    "config ブロックの外にある edit",
                )
            if len(args) != 1:
                raise fail(stmt, "'edit' needs exactly one name", "write 'edit NAME' (quote it)")
            entry = top.entries.get(args[0])
            if entry is None:
                entry = _Node("entry", args[0], stmt.line, stmt.text)
                top.entries[args[0]] = entry
            stack.append(entry)
        elif op == "next":
            if top.kind != "entry":
                raise fail(stmt, "'next' without 'edit'", "close each 'edit' with one 'next'")
            stack.pop()
        elif op == "end":
            if top.kind == "entry":  # the CLI's 'end' also closes an open edit
                stack.pop()
                top = stack[-1]
            if top.kind != "config":
                raise fail(stmt, "'end' without 'config'", "close each 'config' with one 'end'")
            stack.pop()
        elif op in ("set", "unset", "append", "select", "unselect"):
            if top.kind == "root":
                raise fail(
                    stmt,
                    f"'{op}' outside a config block",
                    "put settings inside 'config ...' / 'edit ...'",
                    f"config ブロックの外にある {op}",
                )
            if not args:
                raise fail(stmt, f"'{op}' needs a setting name", f"write '{op} NAME VALUE'")
            key, values = args[0], args[1:]
            old = top.attrs.get(key)
            if op == "unset":
                top.attrs.pop(key, None)
                top.unsets[key] = seq
                continue
            if op == "append" and old is not None:
                values = old.values + values
            elif op == "unselect":
                values = [v for v in (old.values if old else []) if v not in values]
            changed = seq if old is None or old.values != values else old.changed
            top.attrs[key] = _Attr(values, stmt.line, stmt.text, seq, changed)
        elif op == "delete":
            if top.kind != "config" or len(args) != 1:
                raise fail(stmt, "'delete' needs a config block and a name", "write 'delete NAME'")
            top.entries.pop(args[0], None)
        elif op == "purge":
            if top.kind != "config":
                raise fail(stmt, "'purge' outside a config block", "remove the line")
            top.entries.clear()
        elif op == "move":
            if top.kind != "config" or len(args) != 3 or args[1] not in ("before", "after"):
                raise fail(stmt, "malformed 'move'", "write 'move ID before|after ID'")
            if args[0] not in top.entries or args[2] not in top.entries:
                raise fail(stmt, "'move' names an entry that does not exist", "edit it first")
            moving = top.entries.pop(args[0])
            reordered: dict[str, _Node] = {}
            for name, entry in top.entries.items():
                if name == args[2] and args[1] == "before":
                    reordered[args[0]] = moving
                reordered[name] = entry
                if name == args[2] and args[1] == "after":
                    reordered[args[0]] = moving
            top.entries = reordered
        else:
            raise fail(
                stmt,
                f"unknown command '{op}'",
                "a FortiOS configuration has config, edit, set, unset, append, next and end",
                f"未知のコマンド '{op}'",
            )
    if not root.configs:
        lines = text.splitlines()
        raise ParseError(
            "no 'config' block: this is not a FortiOS configuration",
            source=source,
            line=1,
            text=lines[0].strip() if lines else "",
            hint="give the output of 'show' (or 'show full-configuration') of the FortiGate",
            message_ja="config ブロックがない（FortiOS の設定ではない）",
        )
    if len(stack) > 1:
        open_node = stack[-1]
        raise ParseError(
            f"'{open_node.text}' is never closed",
            source=source,
            line=open_node.line,
            text=open_node.text,
            hint="close every 'edit' with 'next' and every 'config' with 'end'",
            message_ja=f"'{open_node.text}' が閉じられていない",
        )
    return root


# -- ranges -------------------------------------------------------------------------------------


def _normalize(ranges: Iterable[Interval]) -> Ranges:
    out: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((lo, hi) for lo, hi in out)


def _subtract(ranges: Ranges, cut: Ranges) -> Ranges:
    out: list[Interval] = []
    for lo, hi in ranges:
        pieces = [(lo, hi)]
        for clo, chi in cut:
            next_pieces = []
            for plo, phi in pieces:
                if chi < plo or clo > phi:
                    next_pieces.append((plo, phi))
                    continue
                if plo < clo:
                    next_pieces.append((plo, clo - 1))
                if chi < phi:
                    next_pieces.append((chi + 1, phi))
            pieces = next_pieces
        out.extend(pieces)
    return _normalize(out)


def _overlaps(a: Ranges, b: Ranges) -> bool:
    return any(lo <= bhi and blo <= hi for lo, hi in a for blo, bhi in b)


def _show_ranges(ranges: Ranges) -> str:
    return ", ".join(
        format_address(lo) if lo == hi else f"{format_address(lo)}-{format_address(hi)}"
        for lo, hi in ranges
    )


# -- objects ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Atom:
    """One protocol clause of a service; None means any value."""

    proto: int | None
    dports: Ranges | None = None
    sports: Ranges | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None
    dst: Ranges | None = None


@dataclass(frozen=True)
class _Vip:
    name: str
    node: _Node
    ext: Interval
    mapped: Interval
    extintf: tuple[str, ...] | None
    proto: int | None  # port forwarding: the protocol
    extport: Interval | None
    mappedport: Interval | None
    src_filter: Ranges | None


@dataclass
class _Ignored:
    reason: str
    example: str
    lines: list[int] = field(default_factory=list)


@dataclass
class _Policy:
    node: _Node
    ident: str
    accept: bool
    base: tuple[Condition, ...]
    dst_terms: list[tuple[Condition, ...]]
    svc_terms: list[tuple[Condition, ...]]
    svc_negate: bool
    nat: Nat | None
    location: SourceLocation


class _Reader:
    def __init__(self, text: str, source: str):
        self.source = source
        self.root = _tree(text, source)
        self.ignored: dict[str, _Ignored] = {}
        self.assumptions: list[str] = []
        self.interned: dict[Condition, Condition] = {}
        self.scope = self.root
        self.global_scope = self.root
        self.vdom = ""
        self.multi_vdom = False
        self.interfaces: dict[str, _Node] = {}
        self.extra_interfaces: set[str] = set()
        self.zones: dict[str, list[str]] = {}
        self.sdwan_zones: dict[str, list[str]] = {}
        self.address_cache: dict[str, Ranges] = {}
        self.group_cache: dict[str, Ranges] = {}
        self.service_cache: dict[str, list[_Atom]] = {}
        self.vip_cache: dict[str, _Vip] = {}
        self.referenced: set[tuple[str, str]] = set()
        self.used_vips: dict[str, _Vip] = {}
        self._vip_targets: list[Interval] | None = None

    # -- errors and notes ---------------------------------------------------------------------

    def error(
        self, line: int, text: str, message: str, hint: str, message_ja: str = ""
    ) -> ParseError:
        return ParseError(
            message, source=self.source, line=line, text=text, hint=hint, message_ja=message_ja
        )

    def unsupported(self, line: int, text: str, what: str, hint: str = "") -> UnsupportedSyntax:
        return UnsupportedSyntax(
            f"{what} can change forwarding and is not modelled",
            source=self.source,
            line=line,
            text=text,
            hint=(hint or HINT_SUPPORTED) + "; or check this device by hand",
            message_ja=f"{what} は転送の判定を変え得るが、検証器はこれを扱えない",
            hint_ja="対応している設定で書き直すか、この機器を手作業で確認してください",
        )

    def ignore(self, line: int, text: str, reason: str) -> None:
        entry = self.ignored.setdefault(reason, _Ignored(reason, text))
        if line not in entry.lines:
            entry.lines.append(line)

    def assume(self, line: int, sentence: str) -> None:
        self.assumptions.append(f"{self.source}:{line}: {sentence}")

    def intern(self, condition: Condition) -> Condition:
        return self.interned.setdefault(condition, condition)

    def ranges(self, field_: Field, ranges: Ranges, negated: bool = False) -> Condition:
        return self.intern(RangeMatch(field_, ranges, negated))

    # -- driver -------------------------------------------------------------------------------

    def run(self) -> Ruleset:
        self.choose_vdom()
        self.read_settings()
        self.read_interfaces()
        self.check_sections()
        chains, stages = self.read_policies()
        self.note_unused_objects()
        routes = self.read_routes()
        ignored = tuple(
            IgnoredSection(self.source, tuple(sorted(e.lines)), e.reason, e.example)
            for e in self.ignored.values()
        )
        zone_of = {m: z for z, members in self.zones.items() for m in members}
        interfaces = tuple(
            self.configured_interface(name, node, zone_of.get(name, ""))
            for name, node in self.interfaces.items()
        )
        return Ruleset(
            self.source,
            FORMAT,
            chains,
            stages,
            ignored,
            interfaces,
            routes,
            tuple(self.assumptions),
        )

    # -- VDOMs --------------------------------------------------------------------------------

    def choose_vdom(self) -> None:
        vdoms = self.root.config("vdom")
        if vdoms is None:
            return
        self.multi_vdom = True
        if not vdoms.entries:
            raise self.error(
                vdoms.line, vdoms.text, "'config vdom' declares no VDOM", "add 'edit root'"
            )
        entries = dict(vdoms.entries)
        global_scope = self.root.config("global") or _Node("config", "global", 1, "")
        # sections outside 'config global' and 'config vdom': with one VDOM they are its own
        # (or global ones); with several, whose they are is unknown
        strays = {
            path: node
            for path, node in self.root.configs.items()
            if path not in ("vdom", "global") and _has_content(node)
        }
        if strays:
            path, node = min(strays.items(), key=lambda item: item[1].line)
            if len(entries) > 1:
                raise self.error(
                    node.line,
                    node.text,
                    f"section '{path}' is outside 'config global' and 'config vdom' in a "
                    f"configuration with several VDOMs ({', '.join(entries)})",
                    "put it under 'config global', or under 'config vdom' / 'edit NAME' of the "
                    "VDOM it belongs to",
                    f"複数の VDOM がある設定で、セクション '{path}' が config global と "
                    "config vdom の外にある",
                )
            ((only, entry),) = entries.items()
            entries[only] = self.merged(entry, strays, f"VDOM {only}")
            global_scope = self.merged(global_scope, strays, "'config global'")
            self.assume(
                node.line,
                f"sections outside 'config global' and 'config vdom' are read as those of the "
                f"only VDOM, {only}",
            )
        self.global_scope = global_scope
        active = [name for name, node in entries.items() if _can_permit(node)]
        if len(active) > 1:
            raise self.unsupported(
                vdoms.line,
                vdoms.text,
                "firewall policies (or intrazone allow zones, or other sections that can permit "
                "traffic) in several VDOMs "
                f"({', '.join(active)})",
                "give each VDOM's configuration ('config vdom' / 'edit NAME' / 'show') as its "
                "own device",
            )
        chosen = active[0] if active else ("root" if "root" in entries else "")
        if not chosen:
            chosen = next(iter(entries))
        self.vdom = chosen
        self.scope = entries[chosen]
        for name, node in entries.items():
            if name != chosen:
                self.ignore(node.line, node.text, "VDOM without firewall policies (denies all)")

    def merged(self, node: _Node, extra: dict[str, _Node], where: str) -> _Node:
        """A copy of node holding the sections of extra too (a section in both is an error)."""
        configs = dict(node.configs)
        for path, section in extra.items():
            if path in configs and _has_content(configs[path]):
                raise self.error(
                    section.line,
                    section.text,
                    f"section '{path}' is given both outside 'config vdom' and in {where}",
                    "write each section once, inside 'config global' or 'config vdom'",
                    f"セクション '{path}' が config vdom の外と {where} の両方にある",
                )
            configs[path] = section
        return _Node(
            node.kind,
            node.name,
            node.line,
            node.text,
            node.attrs,
            configs,
            node.entries,
            node.unsets,
        )

    # -- settings -------------------------------------------------------------------------------

    def read_settings(self) -> None:
        settings = self.scope.config("system settings")
        if settings is None:
            return
        if settings.get("opmode", "nat") == "transparent":
            line, text = settings.where("opmode")
            raise self.unsupported(line, text, "transparent mode (layer-2 forwarding)")
        if settings.get("central-nat", "disable") == "enable":
            line, text = settings.where("central-nat")
            raise self.unsupported(line, text, "central NAT")
        if settings.get("consolidated-firewall-mode", "disable") == "enable":
            line, text = settings.where("consolidated-firewall-mode")
            raise self.unsupported(line, text, "consolidated firewall mode (FortiOS 6.2)")

    # -- interfaces and zones -----------------------------------------------------------------

    def read_interfaces(self) -> None:
        block = self.global_scope.config("system interface")
        for name, node in (block.entries if block else {}).items():
            vdom = node.get("vdom", "root")
            if self.multi_vdom and vdom != self.vdom:
                continue
            self.interfaces[name] = node
            if "secondaryip" in node.configs and node.get("secondary-IP", "disable") == "enable":
                for entry in node.configs["secondaryip"].entries.values():
                    self.ignore(
                        entry.line,
                        entry.text,
                        "secondary interface address (Ruleset.interfaces lists the primary one)",
                    )
        for path, scope in (
            ("vpn ipsec phase1-interface", self.scope),
            ("wireless-controller vap", self.global_scope),
            ("system vxlan", self.scope),
            ("system gre-tunnel", self.scope),
        ):
            config = scope.config(path)
            if config is not None:
                self.extra_interfaces.update(config.entries)
        zones = self.scope.config("system zone")
        for name, node in (zones.entries if zones else {}).items():
            members = node.values("interface")
            line, text = node.where("interface")
            for member in members:
                self.need_interface(member, line, text)
            self.zones[name] = members
        sdwan = self.scope.config("system sdwan") or self.scope.config("system virtual-wan-link")
        if sdwan is not None:
            for zone in (sdwan.config("zone") or _Node("config", "", 0, "")).entries:
                self.sdwan_zones.setdefault(zone, [])
            self.sdwan_zones.setdefault("virtual-wan-link", [])
            sdwan_members = sdwan.config("members")
            for node in (sdwan_members.entries if sdwan_members else {}).values():
                if node.get("interface"):
                    zone = node.get("zone", "virtual-wan-link")
                    self.sdwan_zones.setdefault(zone, []).append(node.get("interface"))

    def need_interface(self, name: str, line: int, text: str) -> None:
        if name not in self.interfaces and name not in self.extra_interfaces:
            raise self.error(
                line,
                text,
                f"interface '{name}' is not defined"
                + (f" in VDOM {self.vdom}" if self.vdom else ""),
                "define it under 'config system interface' (with 'set vdom') or fix the name",
                f"インタフェース '{name}' が定義されていない",
            )

    def configured_interface(self, name: str, node: _Node, zone: str) -> ConfiguredInterface:
        address: int | None = None
        length: int | None = None
        if "ip" in node.attrs:
            line, text = node.where("ip")
            network, length = self.prefix(node.values("ip"), line, text, keep_host=True)
            address = network
            if address == 0 and length == 0:
                address = length = None
        return ConfiguredInterface(
            name,
            address,
            length,
            zone,
            SourceLocation(self.source, node.line, node.text, f"interface {name}"),
        )

    def interface_names(self, names: list[str], line: int, text: str) -> tuple[str, ...] | None:
        """Expand interface, zone and SD-WAN zone names; None means any interface."""
        out: list[str] = []
        for name in names:
            if name == "any":
                if not self.multi_vdom:
                    return None
                out.extend(self.interfaces)
                out.extend(sorted(self.extra_interfaces))
            elif name in self.zones:
                out.extend(self.zones[name])
            elif name in self.sdwan_zones:
                out.extend(self.sdwan_zones[name])
            else:
                self.need_interface(name, line, text)
                out.append(name)
        return tuple(dict.fromkeys(out))

    # -- sections --------------------------------------------------------------------------------

    def check_sections(self) -> None:
        """Every section is read, known not to change forwarding (ignored), or refused."""
        checked: set[int] = set()
        for scope in (self.scope, self.global_scope):
            for path, node in scope.configs.items():
                if id(node) in checked:
                    continue
                checked.add(id(node))
                self.check_section(path, node)

    def check_section(self, path: str, node: _Node) -> None:
        kind, reason = _section_kind(path)
        if kind == "unsupported":
            what = reason.removeprefix("a ").removeprefix("an ")
            # a table's entries, or a block of settings (e.g. 'vpn ocvpn': set status enable)
            parts = list(node.entries.values()) or ([node] if node.attrs else [])
            for part in parts:
                if part.get("status", "enable") != "disable":
                    line, text = node.where("status") if part is node else (part.line, part.text)
                    raise self.unsupported(line, text, reason)
                self.ignore(part.line, part.text, "disabled " + what)
        elif kind == "ignored":
            for entry in node.entries.values():
                self.ignore(entry.line, entry.text, reason)
        elif kind == "harmless":
            if _has_content(node):
                self.ignore(node.line, node.text, reason)
        elif kind == "unknown" and _has_content(node):
            raise self.unsupported(
                node.line,
                node.text,
                f"section '{path}', which the verifier does not know,",
                "only sections known not to change forwarding are skipped; remove it from the "
                "file given to the verifier only if it cannot change which packets are forwarded",
            )

    # -- addresses ---------------------------------------------------------------------------------

    def table(self, path: str) -> dict[str, _Node]:
        node = self.scope.config(path)
        return node.entries if node is not None else {}

    def prefix(
        self, values: list[str], line: int, text: str, keep_host: bool = False
    ) -> tuple[int, int]:
        """Read ``A M`` or ``A/LEN`` (or ``A/M``); return (address, length)."""
        try:
            if len(values) == 1 and "/" in values[0]:
                address_text, _, mask_text = values[0].partition("/")
            elif len(values) == 2:
                address_text, mask_text = values
            else:
                raise ValueError(" ".join(values))
            address = parse_address(address_text)
            if "." in mask_text:
                mask = parse_address(mask_text)
                length = 32 - (((~mask) & MAX_ADDRESS).bit_length())
                if mask != (MAX_ADDRESS << (32 - length)) & MAX_ADDRESS:
                    raise ValueError(mask_text)
            else:
                length = int(mask_text)
                if not 0 <= length <= 32:
                    raise ValueError(mask_text)
        except ValueError:
            raise self.error(
                line,
                text,
                f"'{' '.join(values)}' is not an IPv4 address with a mask",
                "write ADDRESS MASK (10.1.0.0 255.255.0.0) or ADDRESS/LENGTH",
                f"'{' '.join(values)}' はマスク付きの IPv4 アドレスではない",
            ) from None
        if keep_host:
            return address, length
        mask = (MAX_ADDRESS << (32 - length)) & MAX_ADDRESS
        return address & mask, length

    def address_range(self, text_value: str, line: int, text: str) -> Interval:
        """Read ``A`` or ``A-B``."""
        try:
            first_text, dash, last_text = text_value.partition("-")
            first = parse_address(first_text)
            last = parse_address(last_text) if dash else first
        except ValueError:
            raise self.error(
                line, text, f"'{text_value}' is not an IPv4 address or range", "write A or A-B"
            ) from None
        if first > last:
            raise self.error(
                line, text, f"range {text_value} is empty", "write the lower end first"
            )
        return first, last

    def address(self, name: str, line: int, text: str, seen: tuple[str, ...] = ()) -> Ranges:
        """Return the ranges of an address or group name."""
        addresses = self.table("firewall address")
        groups = self.table("firewall addrgrp")
        if name in addresses:
            self.referenced.add(("address", name))
            if name not in self.address_cache:
                self.address_cache[name] = self.address_object(name, addresses[name])
            return self.address_cache[name]
        if name in groups:
            if name in seen:
                raise self.error(
                    line,
                    text,
                    f"address group {name} contains itself ({' → '.join((*seen, name))})",
                    "remove the member that leads back to the group",
                    f"アドレスグループ {name} が自分自身を含んでいる",
                )
            if len(seen) >= MAX_GROUP_DEPTH and name not in self.group_cache:
                raise self.error(
                    line,
                    text,
                    f"address group {name} is nested more than {MAX_GROUP_DEPTH} levels deep",
                    f"flatten the groups to at most {MAX_GROUP_DEPTH} levels",
                    f"アドレスグループの入れ子が {MAX_GROUP_DEPTH} 段を超える",
                )
            if name not in self.group_cache:
                node = groups[name]
                if node.get("category", "default") != "default":
                    cline, ctext = node.where("category")
                    raise self.unsupported(
                        cline, ctext, f"address group {name} of category {node.get('category')}"
                    )
                mline, mtext = node.where("member")
                members: list[Interval] = []
                for member in node.values("member"):
                    members.extend(self.address(member, mline, mtext, (*seen, name)))
                result = _normalize(members)
                if node.get("exclude", "disable") == "enable":
                    eline, etext = node.where("exclude-member")
                    cut: list[Interval] = []
                    for member in node.values("exclude-member"):
                        cut.extend(self.address(member, eline, etext, (*seen, name)))
                    result = _subtract(result, _normalize(cut))
                self.group_cache[name] = result
            return self.group_cache[name]
        if name == "all":
            return ALL_ADDRESSES
        if name == "none":
            return ()
        if name in self.table("firewall vip") or name in self.table("firewall vipgrp"):
            raise self.error(
                line,
                text,
                f"virtual IP {name} is used where only addresses are allowed",
                "name VIPs only in a policy's dstaddr",
            )
        raise self.error(
            line,
            text,
            f"address {name} is not defined",
            "define it under 'config firewall address' or 'config firewall addrgrp'",
            f"アドレス {name} が定義されていない",
        )

    def address_object(self, name: str, node: _Node) -> Ranges:
        kind = node.get("type", "ipmask")
        line, text = node.where("type")
        if kind == "ipmask":
            if "subnet" not in node.attrs:
                return ALL_ADDRESSES
            sline, stext = node.where("subnet")
            network, length = self.prefix(node.values("subnet"), sline, stext)
            return ((network, network + (1 << (32 - length)) - 1),)
        if kind == "iprange":
            sline, stext = node.where("start-ip")
            eline, etext = node.where("end-ip")
            first = self.address_range(node.get("start-ip", NO_ADDRESS), sline, stext)[0]
            last = self.address_range(node.get("end-ip", NO_ADDRESS), eline, etext)[0]
            if first > last:
                raise self.error(
                    eline, etext, f"address {name}: end-ip is below start-ip", "swap them"
                )
            return ((first, last),)
        if kind == "interface-subnet":
            iline, itext = node.where("interface")
            iface = node.get("interface")
            iface_node = self.interfaces.get(iface)
            if iface_node is None or "ip" not in iface_node.attrs:
                raise self.error(
                    iline,
                    itext,
                    f"address {name} takes the subnet of interface '{iface}', which has no address",
                    "give the interface an address with 'set ip', or fix the name",
                )
            pline, ptext = iface_node.where("ip")
            network, length = self.prefix(iface_node.values("ip"), pline, ptext)
            return ((network, network + (1 << (32 - length)) - 1),)
        raise self.unsupported(line, text, f"address {name} of type {kind} used by a policy")

    def vip(self, name: str) -> _Vip:
        if name in self.vip_cache:
            return self.vip_cache[name]
        node = self.table("firewall vip")[name]
        kind = node.get("type", "static-nat")
        line, text = node.where("type")
        if kind != "static-nat":
            raise self.unsupported(line, text, f"VIP {name} of type {kind} used by a policy")
        for key, what in (
            ("nat-source-vip", "source NAT of the mapped server's own traffic (nat-source-vip)"),
        ):
            if node.get(key, "disable") == "enable":
                kline, ktext = node.where(key)
                raise self.unsupported(kline, ktext, f"VIP {name}: {what}")
        for key in ("service", "srcintf-filter", "src-vip-filter"):
            if node.values(key) and node.values(key) != ["disable"]:
                kline, ktext = node.where(key)
                raise self.unsupported(kline, ktext, f"VIP {name}: '{key}'")
        xline, xtext = node.where("extip")
        if "extip" not in node.attrs:
            raise self.error(node.line, node.text, f"VIP {name} has no extip", "set extip")
        ext = self.address_range(node.get("extip"), xline, xtext)
        mline, mtext = node.where("mappedip")
        mapped_values = node.values("mappedip")
        if len(mapped_values) != 1:
            if not mapped_values:
                raise self.error(
                    node.line, node.text, f"VIP {name} has no mappedip", "set mappedip"
                )
            raise self.unsupported(mline, mtext, f"VIP {name} with several mapped ranges")
        mapped = self.address_range(mapped_values[0], mline, mtext)
        intf_line, intf_text = node.where("extintf")
        extintf = self.interface_names(node.values("extintf") or ["any"], intf_line, intf_text)
        proto = extport = mappedport = None
        if node.get("portforward", "disable") == "enable":
            pline, ptext = node.where("protocol")
            proto_name = node.get("protocol", "tcp")
            if proto_name not in PORT_PROTOCOL_NUMBERS:
                raise self.unsupported(pline, ptext, f"VIP {name}: port forwarding of {proto_name}")
            proto = PORT_PROTOCOL_NUMBERS[proto_name]
            eline, etext = node.where("extport")
            if "extport" not in node.attrs:
                raise self.error(
                    node.line, node.text, f"VIP {name} forwards no extport", "set extport"
                )
            extport = self.port_range(node.get("extport"), eline, etext)
            qline, qtext = node.where("mappedport")
            mappedport = (
                self.port_range(node.get("mappedport"), qline, qtext)
                if "mappedport" in node.attrs
                else extport
            )
        src_filter = None
        if node.values("src-filter"):
            fline, ftext = node.where("src-filter")
            pieces: list[Interval] = []
            for value in node.values("src-filter"):
                if "/" in value:
                    network, length = self.prefix([value], fline, ftext)
                    pieces.append((network, network + (1 << (32 - length)) - 1))
                else:
                    pieces.append(self.address_range(value, fline, ftext))
            src_filter = _normalize(pieces)
        result = _Vip(name, node, ext, mapped, extintf, proto, extport, mappedport, src_filter)
        self.vip_cache[name] = result
        return result

    def destination(self, names: list[str], line: int, text: str) -> tuple[Ranges, list[_Vip]]:
        plain: list[Interval] = []
        vips: list[_Vip] = []
        vip_table = self.table("firewall vip")
        vipgrp_table = self.table("firewall vipgrp")
        for name in names:
            if name in vip_table and name not in self.table("firewall address"):
                self.referenced.add(("vip", name))
                vips.append(self.vip(name))
            elif name in vipgrp_table:
                gline, gtext = vipgrp_table[name].where("member")
                for member in vipgrp_table[name].values("member"):
                    if member not in vip_table:
                        raise self.error(
                            gline, gtext, f"VIP group {name} names unknown VIP {member}", "fix it"
                        )
                    self.referenced.add(("vip", member))
                    vips.append(self.vip(member))
            else:
                plain.extend(self.address(name, line, text))
        return _normalize(plain), vips

    # -- services ----------------------------------------------------------------------------------

    def port_range(self, value: str, line: int, text: str) -> Interval:
        try:
            first_text, dash, last_text = value.partition("-")
            first = int(first_text)
            last = int(last_text) if dash else first
            if not 0 <= first <= last <= MAX_PORT:
                raise ValueError(value)
        except ValueError:
            raise self.error(
                line,
                text,
                f"'{value}' is not a port or port range",
                "write PORT or LOW-HIGH within 0-65535",
                f"'{value}' はポートまたはポート範囲ではない",
            ) from None
        return first, last

    def port_atoms(self, proto: int, values: list[str], line: int, text: str) -> list[_Atom]:
        atoms = []
        for value in values:
            dst_text, colon, src_text = value.partition(":")
            dports = (self.port_range(dst_text, line, text),)
            sports = (self.port_range(src_text, line, text),) if colon else None
            atoms.append(_Atom(proto, dports=dports, sports=sports))
        return atoms

    def number(self, value: str, line: int, text: str, what: str, top: int) -> int:
        try:
            result = int(value)
            if not 0 <= result <= top:
                raise ValueError(value)
        except ValueError:
            raise self.error(
                line, text, f"'{value}' is not a valid {what}", f"write a number 0-{top}"
            ) from None
        return result

    def service(self, name: str, line: int, text: str, seen: tuple[str, ...] = ()) -> list[_Atom]:
        if name in self.service_cache:
            return self.service_cache[name]
        custom = self.table("firewall service custom")
        groups = self.table("firewall service group")
        if name in custom:
            atoms = self.custom_service(name, custom[name])
        elif name in groups:
            if name in seen:
                raise self.error(
                    line,
                    text,
                    f"service group {name} contains itself ({' → '.join((*seen, name))})",
                    "remove the member that leads back to the group",
                    f"サービスグループ {name} が自分自身を含んでいる",
                )
            if len(seen) >= MAX_GROUP_DEPTH:
                raise self.error(
                    line,
                    text,
                    f"service group {name} is nested more than {MAX_GROUP_DEPTH} levels deep",
                    f"flatten the groups to at most {MAX_GROUP_DEPTH} levels",
                    f"サービスグループの入れ子が {MAX_GROUP_DEPTH} 段を超える",
                )
            gline, gtext = groups[name].where("member")
            atoms = []
            for member in groups[name].values("member"):
                atoms.extend(self.service(member, gline, gtext, (*seen, name)))
        elif name in PREDEFINED_SERVICES:
            atoms = _predefined(PREDEFINED_SERVICES[name])
        else:
            raise self.error(
                line,
                text,
                f"service {name} is not defined",
                "define it under 'config firewall service custom' or 'service group'; predefined "
                "names known without a definition: " + ", ".join(sorted(PREDEFINED_SERVICES)),
                f"サービス {name} が定義されていない",
            )
        self.service_cache[name] = atoms
        return atoms

    def custom_service(self, name: str, node: _Node) -> list[_Atom]:
        protocol = node.get("protocol", "TCP/UDP/SCTP")
        if protocol == "TCP/UDP/UDP-Lite/SCTP":  # FortiOS 7.4 names it so
            protocol = "TCP/UDP/SCTP"
        since = node.attrs["protocol"].changed if "protocol" in node.attrs else 0

        def value(key: str) -> list[str]:
            attr = node.attrs.get(key)
            # values set before the protocol last changed no longer apply (the CLI unsets them)
            return list(attr.values) if attr is not None and attr.seq > since else []

        line, text = node.where("protocol")
        if node.get("proxy", "disable") == "enable" or protocol not in (
            "TCP/UDP/SCTP",
            "ICMP",
            "ICMP6",
            "IP",
        ):
            raise self.unsupported(
                line,
                text,
                f"service {name} of protocol {protocol} (explicit proxy) used by a policy",
            )
        if value("fqdn"):
            fline, ftext = node.where("fqdn")
            raise self.unsupported(fline, ftext, f"service {name} restricted to an FQDN")
        if node.get("app-service-type", "disable") != "disable":
            aline, atext = node.where("app-service-type")
            raise self.unsupported(aline, atext, f"service {name} matching applications")
        dst: Ranges | None = None
        iprange = value("iprange")
        if iprange and iprange != [NO_ADDRESS]:
            rline, rtext = node.where("iprange")
            dst = _normalize(self.address_range(v, rline, rtext) for v in iprange)
        atoms: list[_Atom] = []
        if protocol == "TCP/UDP/SCTP":
            for key, number in (
                ("tcp-portrange", 6),
                ("udplite-portrange", 136),
                ("udp-portrange", 17),
                ("sctp-portrange", 132),
            ):
                pline, ptext = node.where(key)
                atoms.extend(self.port_atoms(number, value(key), pline, ptext))
            if not atoms:
                raise self.error(
                    node.line,
                    node.text,
                    f"service {name} has no tcp-, udp- or sctp-portrange",
                    "set at least one port range, or 'set protocol IP'/'ICMP'",
                )
        elif protocol == "ICMP":
            tline, ttext = node.where("icmptype")
            cline, ctext = node.where("icmpcode")
            types, codes = value("icmptype"), value("icmpcode")
            code_attr = node.attrs.get("icmpcode")
            if code_attr is not None and code_attr.seq < node.unsets.get("icmptype", 0):
                codes = []  # unsetting the type also drops the code
            icmp_type = self.number(types[0], tline, ttext, "ICMP type", 255) if types else None
            icmp_code = self.number(codes[0], cline, ctext, "ICMP code", 255) if codes else None
            if icmp_type is None:
                icmp_code = None
            atoms.append(_Atom(1, icmp_type=icmp_type, icmp_code=icmp_code))
        elif protocol == "IP":
            nline, ntext = node.where("protocol-number")
            numbers = value("protocol-number")
            number = self.number(numbers[0], nline, ntext, "protocol number", 255) if numbers else 0
            atoms.append(_Atom(number or None))
        # ICMP6 never matches an IPv4 packet: no atom
        if dst is not None:
            atoms = [
                _Atom(a.proto, a.dports, a.sports, a.icmp_type, a.icmp_code, dst) for a in atoms
            ]
        return atoms

    def service_terms(self, atoms: list[_Atom]) -> list[tuple[Condition, ...]]:
        """Group atoms by protocol into the fewest conjunctions of conditions."""
        ports: dict[tuple[int, Ranges | None, Ranges | None], list[Interval]] = {}
        icmp: dict[tuple[int | None, Ranges | None], list[Interval]] = {}
        protos: dict[Ranges | None, list[Interval]] = {}
        terms: list[tuple[Condition, ...]] = []
        for atom in atoms:
            if atom.proto is None:
                terms.append(self.dst_only(atom.dst))
            elif atom.dports is not None:
                ports.setdefault((atom.proto, atom.sports, atom.dst), []).extend(atom.dports)
            elif atom.proto == 1 and atom.icmp_type is not None:
                icmp.setdefault((atom.icmp_code, atom.dst), []).append(
                    (atom.icmp_type, atom.icmp_type)
                )
            else:
                protos.setdefault(atom.dst, []).append((atom.proto, atom.proto))
        if () in terms:
            return [()]
        for dst, numbers in protos.items():
            terms.append((self.ranges(Field.PROTO, _normalize(numbers)), *self.dst_only(dst)))
        for (proto, sports, dst), dports in ports.items():
            term: list[Condition] = [self.ranges(Field.PROTO, ((proto, proto),))]
            merged = _normalize(dports)
            if merged != ((0, MAX_PORT),):
                term.append(self.ranges(Field.DPORT, merged))
            if sports is not None and sports != ((0, MAX_PORT),):
                term.append(self.ranges(Field.SPORT, sports))
            terms.append((*term, *self.dst_only(dst)))
        for (code, dst), types in icmp.items():
            term = [
                self.ranges(Field.PROTO, ((1, 1),)),
                self.ranges(Field.ICMP_TYPE, _normalize(types)),
            ]
            if code is not None:
                term.append(self.ranges(Field.ICMP_CODE, ((code, code),)))
            terms.append((*term, *self.dst_only(dst)))
        return list(dict.fromkeys(terms))

    def dst_only(self, dst: Ranges | None) -> tuple[Condition, ...]:
        return () if dst is None else (self.ranges(Field.DST, dst),)

    # -- policies ----------------------------------------------------------------------------------

    def read_policies(self) -> tuple[dict[tuple[str, str], Chain], tuple[Stage, ...]]:
        block = self.scope.config("firewall policy")
        anchor = block or self.scope
        anchor_line = anchor.line if block else 1
        anchor_text = anchor.text if block else "(no firewall policy)"
        policies: list[_Policy] = []
        for ident, node in (block.entries if block else {}).items():
            policy = self.policy(ident, node)
            if policy is not None:
                policies.append(policy)
        chains: dict[tuple[str, str], Chain] = {}
        stages: list[Stage] = [Stage(Hook.FORWARD, 0, StageKind.FILTER, "filter", "FORWARD")]
        stateful = Rule(
            (self.intern(StateMatch(frozenset({"established", "related"}))),),
            Verdict.ACCEPT,
            SourceLocation(self.source, anchor_line, anchor_text, "stateful: established/related"),
        )
        forward = [stateful]
        for policy in policies:
            verdict = Verdict.ACCEPT if policy.accept else Verdict.DROP
            if not policy.accept and policy.node.get("send-deny-packet", "disable") == "enable":
                verdict = Verdict.REJECT
            forward.extend(self.emit(policy, "filter", verdict, chains))
        forward.extend(self.intrazone_rules())
        chains[("filter", "FORWARD")] = Chain(
            "filter",
            "FORWARD",
            tuple(forward),
            Verdict.DROP,
            SourceLocation(self.source, anchor_line, anchor_text, "implicit deny"),
        )
        dnat = self.dnat_rules()
        if dnat:
            vips = self.scope.config("firewall vip") or anchor
            chains[("nat", "PREROUTING")] = Chain(
                "nat",
                "PREROUTING",
                tuple(dnat),
                Verdict.ACCEPT,
                SourceLocation(self.source, vips.line, vips.text, "virtual IPs"),
            )
            stages.append(Stage(Hook.PREROUTING, -100, StageKind.NAT, "nat", "PREROUTING"))
        if any(p.nat is not None for p in policies):
            post: list[Rule] = []
            for policy in policies:
                if policy.accept:
                    post.extend(self.emit(policy, "nat", policy.nat or Verdict.ACCEPT, chains))
            chains[("nat", "POSTROUTING")] = Chain(
                "nat",
                "POSTROUTING",
                tuple(post),
                Verdict.ACCEPT,
                SourceLocation(self.source, anchor_line, anchor_text, "policy NAT"),
            )
            stages.append(Stage(Hook.POSTROUTING, 100, StageKind.NAT, "nat", "POSTROUTING"))
        return chains, tuple(stages)

    def emit(
        self,
        policy: _Policy,
        table: str,
        action: Outcome,
        chains: dict[tuple[str, str], Chain],
    ) -> list[Rule]:
        loc = policy.location
        if not policy.svc_negate:
            return [
                Rule((*policy.base, *d, *s), action, loc)
                for d in policy.dst_terms
                for s in policy.svc_terms
            ]
        # service-negate: a chain returns for the services, then applies the action
        name = f"policy-{policy.ident}"
        rules = [Rule(s, Verdict.RETURN, loc) for s in policy.svc_terms]
        rules.extend(Rule(d, action, loc) for d in policy.dst_terms)
        chains[(table, name)] = Chain(table, name, tuple(rules), None, loc)
        return [Rule(policy.base, Jump(name), loc)]

    def policy(self, ident: str, node: _Node) -> _Policy | None:
        ref = f"policy {ident}"
        if node.get("status", "enable") == "disable":
            self.ignore(node.line, node.text, "disabled policy (status disable)")
            return None
        action = node.get("action", "deny")
        if action not in ("accept", "deny"):
            line, text = node.where("action")
            raise self.unsupported(line, text, f"policy {ident} with action {action}")
        accept = action == "accept"
        for key, what in (
            ("internet-service", "an Internet Service Database destination"),
            ("internet-service-src", "an Internet Service Database source"),
            ("ztna-status", "ZTNA tags"),
            ("nat46", "NAT46"),
            ("nat64", "NAT64"),
            ("match-vip-only", "match-vip-only"),
        ):
            if node.get(key, "disable") == "enable":
                line, text = node.where(key)
                raise self.unsupported(line, text, f"policy {ident} matching {what}")
        for key in ("src-vendor-mac", "reputation-minimum", "devices"):
            if node.values(key):
                line, text = node.where(key)
                raise self.unsupported(line, text, f"policy {ident} matching '{key}'")
        if (
            not node.values("srcaddr")
            and not node.values("dstaddr")
            and (node.values("srcaddr6") or node.values("dstaddr6"))
        ):
            self.ignore(node.line, node.text, "IPv6-only policy (IPv4 is verified)")
            return None
        for key in ("srcintf", "dstintf", "srcaddr", "dstaddr", "service"):
            if not node.values(key):
                raise self.error(
                    node.line,
                    node.text,
                    f"policy {ident} has no {key}",
                    f"set {key} (FortiOS requires srcintf, dstintf, srcaddr, dstaddr, service)",
                    f"ポリシー {ident} に {key} がない",
                )
        for key in ("users", "groups", "fsso-groups"):
            if node.values(key):
                line, text = node.where(key)
                if not accept:
                    raise self.unsupported(line, text, f"deny policy {ident} limited to {key}")
                self.assume(
                    line,
                    f"policy {ident} is limited to {key} {' '.join(node.values(key))}; it is taken "
                    "as matching traffic of every user",
                )
        schedule = node.get("schedule", "always")
        if schedule != "always" or node.get("policy-expiry", "disable") == "enable":
            line, text = node.where("schedule" if schedule != "always" else "policy-expiry")
            what = f"schedule '{schedule}'" if schedule != "always" else "an expiry date"
            if accept:
                self.assume(line, f"policy {ident} has {what}; it is taken as always in force")
            else:
                self.assume(
                    line,
                    f"deny policy {ident} has {what}; it is taken as never in force, so what it "
                    "denies is judged by the policies after it",
                )
                return None
        sline, stext = node.where("srcintf")
        dline, dtext = node.where("dstintf")
        base: list[Condition] = []
        srcintf = self.interface_names(node.values("srcintf"), sline, stext)
        dstintf = self.interface_names(node.values("dstintf"), dline, dtext)
        if srcintf is not None:
            base.append(self.intern(InterfaceMatch("in", srcintf)))
        if dstintf is not None:
            base.append(self.intern(InterfaceMatch("out", dstintf)))
        aline, atext = node.where("srcaddr")
        src: list[Interval] = []
        for name in node.values("srcaddr"):
            src.extend(self.address(name, aline, atext))
        src_ranges = _normalize(src)
        src_negate = node.get("srcaddr-negate", "disable") == "enable"
        if src_ranges != ALL_ADDRESSES or src_negate:
            base.append(self.ranges(Field.SRC, src_ranges, src_negate))
        tline, ttext = node.where("dstaddr")
        plain, vips = self.destination(node.values("dstaddr"), tline, ttext)
        dst_negate = node.get("dstaddr-negate", "disable") == "enable"
        if vips and (dst_negate or not accept):
            what = "negated destination" if dst_negate else "deny policy"
            raise self.unsupported(
                tline,
                ttext,
                f"{what} {ident} naming a virtual IP",
                "name the VIP only in accept policies without dstaddr-negate",
            )
        if vips:
            for vip in vips:
                self.used_vips[vip.name] = vip
                self.assume(
                    tline,
                    f"policy {ident} names VIP {vip.name}; traffic sent straight to its mapped "
                    f"address {_show_ranges((vip.mapped,))} is taken as matching it too",
                )
        if not accept and node.get("match-vip", "disable") != "enable" and self.vip_targets():
            targets = _normalize(self.vip_targets())
            covered = _subtract(ALL_ADDRESSES, plain) if dst_negate else plain
            if _overlaps(covered, targets):
                self.assume(
                    tline,
                    f"deny policy {ident} (match-vip disable) is taken as matching no traffic to "
                    f"VIP mapped addresses {_show_ranges(targets)}: FortiOS skips it for "
                    "DNAT traffic, and traffic sent straight there is judged by later policies",
                )
                plain = _normalize((*plain, *targets)) if dst_negate else _subtract(plain, targets)
        dst_terms: list[tuple[Condition, ...]] = []
        if plain or not vips:
            if plain == ALL_ADDRESSES and not dst_negate:
                dst_terms.append(())
            else:
                dst_terms.append((self.ranges(Field.DST, plain, dst_negate),))
        for vip in vips:
            term: list[Condition] = [self.ranges(Field.DST, (vip.mapped,))]
            if vip.proto is not None and vip.mappedport is not None:
                term.append(self.ranges(Field.PROTO, ((vip.proto, vip.proto),)))
                term.append(self.ranges(Field.DPORT, (vip.mappedport,)))
            if vip.src_filter is not None:
                term.append(self.ranges(Field.SRC, vip.src_filter))
            dst_terms.append(tuple(term))
        vline, vtext = node.where("service")
        atoms: list[_Atom] = []
        for name in node.values("service"):
            atoms.extend(self.service(name, vline, vtext))
        svc_terms = self.service_terms(atoms)
        svc_negate = node.get("service-negate", "disable") == "enable"
        if not svc_terms and not svc_negate:
            self.ignore(node.line, node.text, "policy whose services match no IPv4 traffic")
            return None
        nat = self.policy_nat(ident, node) if accept else None
        location = SourceLocation(self.source, node.line, node.text, ref)
        return _Policy(
            node, ident, accept, tuple(base), dst_terms, svc_terms, svc_negate, nat, location
        )

    def vip_targets(self) -> list[Interval]:
        """Mapped ranges of every VIP some enabled accept policy names."""
        if self._vip_targets is None:
            targets: list[Interval] = []
            block = self.scope.config("firewall policy")
            vip_table = self.table("firewall vip")
            vipgrp = self.table("firewall vipgrp")
            for node in (block.entries if block else {}).values():
                if node.get("status", "enable") == "disable" or node.get("action") != "accept":
                    continue
                for name in node.values("dstaddr"):
                    members = vipgrp[name].values("member") if name in vipgrp else [name]
                    for member in members:
                        if member in vip_table and "mappedip" in vip_table[member].attrs:
                            mline, mtext = vip_table[member].where("mappedip")
                            for value in vip_table[member].values("mappedip"):
                                targets.append(self.address_range(value, mline, mtext))
            self._vip_targets = targets
        return self._vip_targets

    def policy_nat(self, ident: str, node: _Node) -> Nat | None:
        if node.get("nat", "disable") != "enable":
            return None
        if node.get("ippool", "disable") != "enable":
            return Nat("masquerade")
        line, text = node.where("poolname")
        names = node.values("poolname")
        if not names:
            raise self.error(
                node.line,
                node.text,
                f"policy {ident} enables ippool without a poolname",
                "set poolname",
            )
        pools = self.table("firewall ippool")
        ranges: list[Interval] = []
        for name in names:
            pool = pools.get(name)
            if pool is None:
                raise self.error(
                    line,
                    text,
                    f"IP pool {name} is not defined",
                    "define it under 'config firewall ippool'",
                    f"IP プール {name} が定義されていない",
                )
            sline, stext = pool.where("startip")
            eline, etext = pool.where("endip")
            if "startip" not in pool.attrs or "endip" not in pool.attrs:
                raise self.error(
                    pool.line, pool.text, f"IP pool {name} needs startip and endip", "set both"
                )
            first = self.address_range(pool.get("startip"), sline, stext)[0]
            last = self.address_range(pool.get("endip"), eline, etext)[0]
            if first > last:
                raise self.error(
                    eline, etext, f"IP pool {name}: endip is below startip", "swap them"
                )
            ranges.append((first, last))
        merged = _normalize(ranges)
        if len(merged) != 1:
            raise self.unsupported(line, text, f"policy {ident}: SNAT to several disjoint IP pools")
        return Nat("snat", merged[0])

    def intrazone_rules(self) -> list[Rule]:
        zones = self.scope.config("system zone")
        rules: list[Rule] = []
        for name, node in (zones.entries if zones else {}).items():
            if node.get("intrazone", "deny") != "allow":
                continue
            line = node.where("intrazone")[0]
            loc = SourceLocation(self.source, node.line, node.text, f"zone {name} intrazone allow")
            members = list(dict.fromkeys(self.zones[name]))
            if len(members) == 1:
                self.assume(
                    line,
                    f"zone {name} has one member and intrazone allow; traffic in and out of "
                    f"{members[0]} is taken as allowed (FortiOS 7.4.4 and later)",
                )
                iface = self.intern(InterfaceMatch("in", (members[0],)))
                out = self.intern(InterfaceMatch("out", (members[0],)))
                rules.append(Rule((iface, out), Verdict.ACCEPT, loc))
                continue
            for member in members:
                others = tuple(m for m in members if m != member)
                rules.append(
                    Rule(
                        (
                            self.intern(InterfaceMatch("in", (member,))),
                            self.intern(InterfaceMatch("out", others)),
                        ),
                        Verdict.ACCEPT,
                        loc,
                    )
                )
        return rules

    def dnat_rules(self) -> list[Rule]:
        rules: list[Rule] = []
        for vip in self.used_vips.values():
            loc = SourceLocation(self.source, vip.node.line, vip.node.text, f"vip {vip.name}")
            base: list[Condition] = []
            if vip.extintf is not None:
                base.append(self.intern(InterfaceMatch("in", vip.extintf)))
            if vip.src_filter is not None:
                base.append(self.ranges(Field.SRC, vip.src_filter))
            if vip.proto is not None:
                base.append(self.ranges(Field.PROTO, ((vip.proto, vip.proto),)))
            addresses = _mappings(vip.ext, vip.mapped)
            ports = (
                _mappings(vip.extport, vip.mappedport)
                if vip.extport is not None and vip.mappedport is not None
                else [(None, None)]
            )
            if len(addresses) * len(ports) > MAX_EXACT_MAPPINGS:
                addresses = [(vip.ext, vip.mapped)]
                ports = [(vip.extport, vip.mappedport)]
            for ext, mapped in addresses:
                assert ext is not None and mapped is not None
                for extport, mappedport in ports:
                    conditions = [*base, self.ranges(Field.DST, (ext,))]
                    if extport is not None:
                        conditions.append(self.ranges(Field.DPORT, (extport,)))
                    rules.append(Rule(tuple(conditions), Nat("dnat", mapped, mappedport), loc))
        return rules

    # -- leftovers --------------------------------------------------------------------------------

    def note_unused_objects(self) -> None:
        for name, node in self.table("firewall address").items():
            kind = node.get("type", "ipmask")
            if kind not in ("ipmask", "iprange", "interface-subnet") and (
                ("address", name) not in self.referenced
            ):
                self.ignore(node.line, node.text, f"address of type {kind} not used by any policy")
        for name, node in self.table("firewall vip").items():
            if name not in self.used_vips:
                self.ignore(
                    node.line,
                    node.text,
                    "virtual IP not used by any enabled accept policy (FortiOS applies a VIP "
                    "only through a policy)",
                )

    def read_routes(self) -> tuple[ConfiguredRoute, ...]:
        block = self.scope.config("router static")
        routes = []
        for ident, node in (block.entries if block else {}).items():
            if node.get("status", "enable") == "disable":
                self.ignore(node.line, node.text, "disabled static route")
                continue
            if (
                node.get("sdwan", "disable") == "enable"
                or node.values("sdwan-zone")
                or (node.get("virtual-wan-link", "disable") == "enable")
            ):
                self.ignore(node.line, node.text, "SD-WAN static route (routes are the model's)")
                continue
            if node.values("dstaddr") or node.values("internet-service"):
                self.ignore(node.line, node.text, "static route to a named address (not carried)")
                continue
            line, text = node.where("dst")
            prefix = self.prefix(node.values("dst"), line, text) if "dst" in node.attrs else (0, 0)
            via: int | None = None
            if node.get("gateway", NO_ADDRESS) != NO_ADDRESS:
                gline, gtext = node.where("gateway")
                via = self.address_range(node.get("gateway"), gline, gtext)[0]
            device = node.get("device") or None
            if node.get("blackhole", "disable") == "enable":
                via, device = None, None
            loc = SourceLocation(self.source, node.line, node.text, f"static route {ident}")
            routes.append(ConfiguredRoute(prefix, via, device, loc))
        return tuple(routes)


def _has_content(node: _Node) -> bool:
    return bool(node.entries or node.attrs or node.configs)


def _section_kind(path: str) -> tuple[str, str]:
    """How a section is handled: modelled, ignored, unsupported, harmless or unknown (+ why)."""
    if path in MODELLED_SECTIONS:
        return "modelled", ""
    if path in IGNORED_SECTIONS:
        return "ignored", IGNORED_SECTIONS[path]
    if path in UNSUPPORTED_SECTIONS:
        return "unsupported", UNSUPPORTED_SECTIONS[path]
    words = path.split()
    for count in range(len(words), 0, -1):
        reason = HARMLESS_SECTIONS.get(" ".join(words[:count]))
        if reason is not None:
            return "harmless", reason
    return "unknown", ""


def _can_permit(vdom: _Node) -> bool:
    policies = vdom.config("firewall policy")
    if policies is not None and policies.entries:
        return True
    for path, node in vdom.configs.items():
        kind = _section_kind(path)[0]
        if kind == "unknown" and _has_content(node):
            return True
        if kind == "unsupported" and (
            any(e.get("status", "enable") != "disable" for e in node.entries.values())
            or (node.attrs and not node.entries and node.get("status", "enable") != "disable")
        ):
            return True
    zones = vdom.config("system zone")
    return zones is not None and any(
        z.get("intrazone", "deny") == "allow" for z in zones.entries.values()
    )


def _mappings(
    ext: Interval | None, mapped: Interval | None
) -> list[tuple[Interval | None, Interval | None]]:
    """One (external, mapped) pair per value when the ranges map one to one, else the ranges."""
    if ext is None or mapped is None:
        return [(ext, mapped)]
    size = ext[1] - ext[0]
    if size == mapped[1] - mapped[0] and 0 < size < MAX_EXACT_MAPPINGS:
        return [((ext[0] + i, ext[0] + i), (mapped[0] + i, mapped[0] + i)) for i in range(size + 1)]
    return [(ext, mapped)]


def _predefined(spec: str) -> list[_Atom]:
    atoms = []
    for part in spec.split():
        kind, _, value = part.partition("/")
        if kind in PORT_PROTOCOL_NUMBERS:
            dst_text, colon, src_text = value.partition(":")
            atoms.append(
                _Atom(
                    PORT_PROTOCOL_NUMBERS[kind],
                    dports=(_port_pair(dst_text),),
                    sports=(_port_pair(src_text),) if colon else None,
                )
            )
        elif kind == "icmp":
            atoms.append(_Atom(1, icmp_type=int(value) if value else None))
        elif kind == "ip":
            atoms.append(_Atom(int(value) or None))
        # icmp6: never an IPv4 packet
    return atoms


def _port_pair(text: str) -> Interval:
    first, _, last = text.partition("-")
    return int(first), int(last or first)


def parse(text: str, *, source: str) -> Ruleset:
    """Parse a FortiOS configuration into a :class:`Ruleset`."""
    return _Reader(text, source).run()
