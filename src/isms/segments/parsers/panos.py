"""Read a PAN-OS configuration (XML export, ``set`` commands or ``show`` hierarchy) into a Ruleset.

Three input forms are recognised: the XML configuration PAN-OS exports (``<config>…<devices>
<entry name="localhost.localdomain">…``), the ``set`` commands of ``show config running`` in set
format (with or without the ``set vsys vsys1`` prefix) and the brace hierarchy of the same command.
All three are read into one tree of names, so that the rest of the parser sees one configuration.

Modelled: layer-3 interfaces and subinterfaces with their zones, static routes, address objects
and static groups, service objects and groups, security rules in order (zones, addresses with
negation, services, ``application`` read by its service, actions, ``rule-type``), the default
intrazone/interzone rules, and NAT rules (source and destination translation). A PAN-OS security
rule matches the pre-NAT destination address but the post-NAT zone: the rule base is a FORWARD
filter on post-NAT addresses, and an allow rule's destination is translated through the DNAT
rules that can rewrite it (see :meth:`_Reader.destination_variants`); a blocking rule passes
over the packets a DNAT rule may have rewritten (see :meth:`_Reader.spare_translated`).
Readings the parser makes are listed in ``Ruleset.assumptions``; settings that cannot permit
forwarded IPv4 traffic are listed as ignored; anything else raises :class:`UnsupportedSyntax`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from xml.parsers import expat

from isms.segments.addresses import MAX_ADDRESS, MAX_PORT, parse_address, prefix_range
from isms.segments.errors import ParseError, UnsupportedSyntax
from isms.segments.parsers.names import PROTOCOLS
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

__all__ = ["APPLICATIONS", "FORMAT", "parse"]

FORMAT = "panos"

Interval = tuple[int, int]
ALL_PORTS: tuple[Interval, ...] = ((0, MAX_PORT),)
TCP, UDP, ICMP, SCTP = 6, 17, 1, 132


@dataclass(frozen=True)
class _Service:
    """One alternative of a service: protocol (None: any), destination/source ports, ICMP type."""

    proto: int | None
    dports: tuple[Interval, ...] | None = None
    sports: tuple[Interval, ...] | None = None
    icmp_type: int | None = None


ANY_SERVICE = (_Service(None),)
EVERY_TCP_UDP = (_Service(TCP), _Service(UDP))


def _ports(proto: int, *ports: int | Interval) -> _Service:
    ranges = tuple(p if isinstance(p, tuple) else (p, p) for p in ports)
    return _Service(proto, ranges)


# The default ports (``application-default``) of common App-IDs, from Applipedia. An application
# not listed here (or a custom one without default ports) is read as every port of tcp and udp;
# a listed one outside EXACT_DEFAULTS as every port of its protocols (see _widened).
APPLICATIONS: dict[str, tuple[_Service, ...]] = {
    "ping": (_Service(ICMP, icmp_type=8),),
    "icmp": (_Service(ICMP),),
    "traceroute": (_Service(ICMP), _ports(UDP, (33434, 33534))),
    "ssh": (_ports(TCP, 22),),
    "telnet": (_ports(TCP, 23),),
    "ftp": (_ports(TCP, 21),),
    "web-browsing": (_ports(TCP, 80),),
    "ssl": (_ports(TCP, 443),),
    "dns": (_ports(TCP, 53), _ports(UDP, 53)),
    "ntp": (_ports(UDP, 123),),
    "snmp": (_ports(UDP, 161, 162),),
    "syslog": (_ports(UDP, 514),),
    "smtp": (_ports(TCP, 25, 587),),
    "pop3": (_ports(TCP, 110),),
    "imap": (_ports(TCP, 143),),
    "ldap": (_ports(TCP, 389), _ports(UDP, 389)),
    "kerberos": (_ports(TCP, 88), _ports(UDP, 88)),
    "ms-rdp": (_ports(TCP, 3389), _ports(UDP, 3389)),
    "ms-ds-smb": (_ports(TCP, 139, 445),),
    "netbios-ns": (_ports(UDP, 137),),
    "netbios-dg": (_ports(UDP, 138),),
    "netbios-ss": (_ports(TCP, 139),),
    "dhcp": (_ports(UDP, 67, 68),),
    "tftp": (_ports(UDP, 69),),
    "mysql": (_ports(TCP, 3306),),
    "postgres": (_ports(TCP, 5432),),
    "mssql-db": (_ports(TCP, 1433),),
    "bgp": (_ports(TCP, 179),),
    "ike": (_ports(UDP, 500, 4500),),
    "ipsec-esp": (_Service(50),),
    "gre": (_Service(47),),
    "ospf": (_Service(89),),
    "radius": (_ports(UDP, 1812, 1813),),
    "sip": (_ports(TCP, 5060), _ports(UDP, 5060)),
    "http-proxy": (_ports(TCP, 8080),),
    "igmp": (_Service(2),),
    "ipv6-icmp": (),  # IPv6 only: no IPv4 packet
    "ipv6": (),
}

# Applications whose default ports above are certain (fixed by their protocol's standard and
# unchanged in App-ID); for the others only the protocols are relied on: an allow rule reads
# them as every port of those protocols, never narrower than the device.
EXACT_DEFAULTS = {
    "ping", "icmp", "ssh", "telnet", "ipsec-esp", "gre", "ospf", "igmp", "ipv6-icmp", "ipv6",
}  # fmt: skip


def _widened(app: str) -> tuple[_Service, ...]:
    """The services an allow rule reads for a listed application's ``application-default``."""
    services = APPLICATIONS[app]
    if app in EXACT_DEFAULTS:
        return services
    return tuple(
        dict.fromkeys(_Service(s.proto) if s.proto in (TCP, UDP, SCTP) else s for s in services)
    )


# Predefined service objects (PAN-OS ``predefined`` configuration).
PREDEFINED_SERVICES: dict[str, tuple[_Service, ...]] = {
    "service-http": (_ports(TCP, 80, 8080),),
    "service-https": (_ports(TCP, 443),),
}

DEFAULT_DEVICE = "localhost.localdomain"
# First words of a bare ``set`` command that belong to the device, not to vsys1.
DEVICE_WORDS = {"network", "deviceconfig", "platform", "plugins", "vsys", "readonly"}
CONFIG_WORDS = {"shared", "mgt-config", "devices"}

# Sections that cannot permit forwarded IPv4 traffic: skipped and listed with this reason.
IGNORED_CONFIG = {
    "mgt-config": "management users and passwords",
    "readonly": "read-only configuration metadata",
    "panorama": "Panorama settings",
}
IGNORED_DEVICE = {
    "deviceconfig": "device settings (system, management, high availability)",
    "platform": "platform settings",
    "plugins": "plugin settings",
    "readonly": "read-only configuration metadata",
}
IGNORED_NETWORK = {
    "profiles": "network profiles (management, monitoring, zone protection)",
    "ike": "IKE and IPsec crypto settings",
    "qos": "QoS settings",
    "dhcp": "DHCP server and relay",
    "dns-proxy": "DNS proxy",
    "lldp": "LLDP",
    "tunnel": "tunnel definitions (tunnel interfaces are read as interfaces)",
    "gre": "tunnel definitions (tunnel interfaces are read as interfaces)",
    "ipv6": "IPv6 settings",
    "logical-router": "advanced-routing logical routers (write the routes in the model)",
    "routing-profile": "routing profiles",
    "vm-information-sources": "VM information sources",
    "virtual-router-settings": "virtual router settings",
}
IGNORED_SHARED_OR_VSYS = {
    "botnet": "botnet report settings",
    "log-settings": "logging",
    "reports": "reports",
    "report-group": "reports",
    "pdf-summary-report": "reports",
    "email-scheduler": "reports",
    "admin-role": "administration",
    "authentication-profile": "authentication settings",
    "authentication-sequence": "authentication settings",
    "local-user-database": "authentication settings",
    "server-profile": "server profiles",
    "certificate": "certificates",
    "certificate-profile": "certificates",
    "ssl-tls-service-profile": "certificates",
    "ssl-decrypt": "decryption settings",
    "ocsp-responder": "certificates",
    "response-page": "response pages",
    "content-preview": "content settings",
    "profiles": "security profiles (inspection of allowed traffic; they can only block)",
    "profile-group": "security profiles (inspection of allowed traffic; they can only block)",
    "threats": "threat definitions",
    "tag": "descriptions, tags and comments",
    "schedule": "schedules (rules using one are refused)",
    "application": "custom application definitions (read where a rule uses them)",
    "application-group": "application groups (read where a rule uses them)",
    "application-filter": "application filters (read where a rule uses them)",
    "application-tag": "descriptions, tags and comments",
    "address": "address objects (read where used)",
    "address-group": "address groups (read where used)",
    "service": "service objects (read where used)",
    "service-group": "service groups (read where used)",
    "external-list": "external dynamic lists (refused where a rule uses one)",
    "region": "regions (refused where a rule uses one)",
    "dynamic-user-group": "user groups",
    "user-id-collector": "User-ID settings",
    "user-id-agent": "User-ID settings",
    "user-id-ssl-auth": "User-ID settings",
    "captive-portal": "authentication portal",
    "display-name": "descriptions, tags and comments",
    "setting": "vsys settings",
    "import": "interfaces imported into the vsys",
    "zone": "zones",
    "rulebase": "rule bases",
    "global-protect": "GlobalProtect settings (tunnel interfaces are read as interfaces)",
    "device-object": "device objects",
    "redistribution-agent": "User-ID settings",
    "group-mapping": "User-ID settings",
    "ts-agent": "User-ID settings",
    "url-admin-override": "URL filtering settings",
}
# Objects read on use; their other children (descriptions, tags) are noted in one group.
OBJECT_SECTIONS = {"address", "address-group", "service", "service-group", "tag"}
NOTE_KEYS = {"description", "tag", "comment", "uuid", "group-tag", "disable-override"}
IGNORED_RULEBASES = {
    "decryption": "decryption policy (does not decide whether traffic passes)",
    "qos": "QoS policy",
    "dos": "DoS protection policy (can only drop)",
    "authentication": "authentication policy (can only hold traffic back)",
    "captive-portal": "authentication policy (can only hold traffic back)",
    "tunnel-inspect": "tunnel content inspection",
    "network-packet-broker": "packet broker policy",
}
IGNORED_RULE_FIELDS = {
    "log-setting": "logging",
    "log-start": "logging",
    "log-end": "logging",
    "profile-setting": "security profiles (inspection of allowed traffic; they can only block)",
    "option": "rule options",
    "icmp-unreachable": "rule options",
    "qos": "QoS marking",
    "target": "Panorama targets",
    "source-imsi": "mobile network settings",
    "source-imei": "mobile network settings",
    "source-nw-slice": "mobile network settings",
    "active-active-device-binding": "high availability settings",
    "nat-type": "rule options",
}
# Rule fields whose only modelled value is ``any``; anything else narrows the rule by a match
# the verifier cannot see (users, URL categories, host information).
ANY_ONLY_FIELDS = {
    "source-user": "user-based match",
    "category": "URL category match",
    "hip-profiles": "host information profile match",
    "source-hip": "host information profile match",
    "destination-hip": "host information profile match",
}
# Fields of rules and objects that take plain values (a name, a list, yes/no).
LEAF_FIELDS = {
    "from", "to", "source", "destination", "negate-source", "negate-destination", "service",
    "application", "action", "disabled", "rule-type", "schedule", "protocol", "port",
    "to-interface", "source-port", "translated-port", "translated-address", "ip-netmask",
    "ip-range", "fqdn", "ip-wildcard", "static", "members", "log-setting", "log-start",
    "log-end", "icmp-unreachable", "nat-type",
} | NOTE_KEYS | set(ANY_ONLY_FIELDS)  # fmt: skip
# Deepest configuration tree and group nesting read; deeper input is refused with ParseError
# (no configuration PAN-OS writes comes near either; both bound the reader's recursion).
MAX_DEPTH = 64
MAX_GROUP_DEPTH = 256
# Every field a rule may have: a name among these inside a structured field of a ``set`` line is
# a field of the rule written after it (see :meth:`_Reader.spread`).
RULE_FIELDS = {
    "from", "to", "source", "destination", "negate-source", "negate-destination", "service",
    "application", "action", "disabled", "rule-type", "schedule", "protocol", "port",
    "to-interface", "source-translation", "destination-translation",
} | NOTE_KEYS | set(IGNORED_RULE_FIELDS) | set(ANY_ONLY_FIELDS)  # fmt: skip
REDACT = {"phash", "password", "password-hash", "secret", "key", "psk", "pre-shared-key"}


# -- the configuration tree ----------------------------------------------------------------------


class _Node:
    """A name in the configuration tree: its children, where it was written, when last set."""

    __slots__ = ("children", "depth", "key", "line", "seq", "text")

    def __init__(self, key: str, line: int, text: str, seq: int, depth: int = 0):
        self.key = key
        self.line = line
        self.text = text
        self.seq = seq
        self.depth = depth
        self.children: dict[str, _Node] = {}

    def get(self, key: str) -> _Node | None:
        return self.children.get(key)

    def names(self) -> list[str]:
        return list(self.children)

    def last(self) -> str | None:
        """The value of a single-valued field: the child set last (a later ``set`` replaces)."""
        if not self.children:
            return None
        return max(self.children.values(), key=lambda n: n.seq).key

    def walk(self) -> Iterator[_Node]:
        """This node and every node below it, depth first in file order (without recursion)."""
        stack: list[_Node] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children.values()))


class _Tree:
    def __init__(self, source: str = "", kind: str = "set") -> None:
        self.counter = itertools.count()
        self.root = _Node("config", 1, "", 0)
        self.source = source
        self.kind = kind

    def add(self, parent: _Node, key: str, line: int, text: str) -> _Node:
        node = parent.children.get(key)
        seq = next(self.counter)
        if node is None:
            if parent.depth >= MAX_DEPTH:
                raise _error(
                    self.source,
                    line,
                    text,
                    f"the configuration is nested deeper than {MAX_DEPTH} levels",
                    "give the configuration as PAN-OS prints it",
                    f"設定の入れ子が {MAX_DEPTH} 段を超えている",
                )
            node = _Node(key, line, text, seq, parent.depth + 1)
            parent.children[key] = node
        else:
            node.seq = seq
        return node

    def insert(self, parent: _Node, words: list[str], line: int, text: str) -> _Node:
        node = parent
        for word in words:
            node = self.add(node, word, line, text)
        return node


def _error(source: str, line: int, text: str, message: str, hint: str, ja: str = "") -> ParseError:
    return ParseError(message, source=source, line=line, text=text, hint=hint, message_ja=ja)


def _unsupported(source: str, line: int, text: str, what: str, hint: str = "") -> UnsupportedSyntax:
    return UnsupportedSyntax(
        f"{what} can change forwarding and is not modelled",
        source=source,
        line=line,
        text=text,
        hint=hint
        or "remove it from the configuration given to the verifier, or check this device by hand",
        message_ja=f"{what} は転送の判定を変え得るが、検証器はこれを扱えない",
        hint_ja="検証用の設定から外すか、この機器を手作業で確認してください",
    )


# -- front end: set commands and the brace hierarchy ----------------------------------------------

_SPECIAL = {"[", "]", "{", "}", ";"}


def _tokens(
    text: str, source: str, *, braces: bool
) -> Iterator[tuple[str, bool, int]]:  # (token, quoted, line)
    """Split text into words, quoted strings and the punctuation ``[ ] { } ;``."""
    special = _SPECIAL if braces else {"[", "]"}
    line = 1
    i = 0
    n = len(text)
    lines = text.splitlines()
    while i < n:
        char = text[i]
        if char == "\n":
            line += 1
            i += 1
        elif char.isspace():
            i += 1
        elif char == "#" and braces:
            while i < n and text[i] != "\n":
                i += 1
        elif char in special:
            yield char, False, line
            i += 1
        elif char == '"':
            end = text.find(char, i + 1)
            newline = text.find("\n", i + 1)
            if end < 0 or (not braces and 0 <= newline < end):
                raise _error(
                    source,
                    line,
                    lines[line - 1] if line <= len(lines) else "",
                    "unclosed quotation mark",
                    "close the quoted name with the same quotation mark",
                    "引用符が閉じていない",
                )
            value = text[i + 1 : end]
            yield value, True, line
            line += value.count("\n")
            i = end + 1
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] not in special:
                if text[i] == '"':
                    break
                i += 1
            yield text[start:i], False, line


def _set_words(raw: str, number: int, source: str) -> list[str | list[str]]:
    """Split one ``set`` line into words and ``[ … ]`` lists."""
    out: list[str | list[str]] = []
    current: list[str] | None = None
    for token, quoted, _ in _tokens(raw, source, braces=False):
        if not quoted and token == "[":
            if current is not None:
                raise _error(source, number, raw, "nested '['", "write lists as [ a b c ]")
            current = []
        elif not quoted and token == "]":
            if current is None:
                raise _error(source, number, raw, "']' without '['", "write lists as [ a b c ]")
            out.append(current)
            current = None
        elif current is not None:
            current.append(token)
        else:
            out.append(token)
    if current is not None:
        raise _error(source, number, raw, "'[' is never closed", "close the list with ' ]'")
    return out


def _read_set(text: str, source: str, tree: _Tree) -> None:
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = _set_words(line, number, source)
        if not words or words[0] != "set":
            raise _error(
                source,
                number,
                raw,
                "not a 'set' command",
                "give the output of 'set cli config-output-format set' and "
                "'show config running' (every line starts with 'set')",
                "'set' コマンドではない",
            )
        words = words[1:]
        if not words or isinstance(words[0], list):
            continue  # 'set' alone sets nothing
        first = words[0]
        path: list[str]
        if first == "vsys" and len(words) > 1 and isinstance(words[1], str):
            path = ["devices", DEFAULT_DEVICE, "vsys", words[1]]
            rest = words[2:]
        elif first in CONFIG_WORDS:
            path, rest = [first], words[1:]
        elif first in DEVICE_WORDS:
            path, rest = ["devices", DEFAULT_DEVICE, first], words[1:]
        else:
            path = ["devices", DEFAULT_DEVICE, "vsys", "vsys1", first]
            rest = words[1:]
        node = tree.insert(tree.root, path, number, line)
        for word in rest:
            if isinstance(word, list):
                # words after a list continue under its last item; _spread moves them up
                parent = node
                for item in word:
                    node = tree.add(parent, item, number, line)
                if not word:
                    node = parent
            else:
                node = tree.add(node, word, number, line)


def _read_braces(text: str, source: str, tree: _Tree) -> None:
    lines = text.splitlines()
    stack: list[_Node] = [tree.root]
    words: list[tuple[str, int]] = []
    listing: list[str] | None = None

    def line_text(number: int) -> str:
        return lines[number - 1].strip() if 0 < number <= len(lines) else ""

    last_line = 1
    for token, quoted, number in _tokens(text, source, braces=True):
        last_line = number
        if quoted or token not in _SPECIAL:
            if listing is not None:
                listing.append(token)
            else:
                words.append((token, number))
            continue
        if token == "[":
            if listing is not None or not words:
                raise _error(source, number, line_text(number), "misplaced '['", "write k [ a b ];")
            listing = []
        elif token == "]":
            if listing is None:
                raise _error(source, number, line_text(number), "']' without '['", "write k [ a ];")
            node = _brace_path(tree, stack[-1], words, line_text)
            for item in listing:
                tree.add(node, item, number, line_text(number))
            words, listing = [], None
        elif listing is not None:
            raise _error(source, number, line_text(number), "'[' is never closed", "add ']'")
        elif token == ";":
            if words:
                _brace_path(tree, stack[-1], words, line_text)
            words = []
        elif token == "{":
            if not words:
                raise _error(source, number, line_text(number), "'{' without a name", "name it")
            stack.append(_brace_path(tree, stack[-1], words, line_text))
            words = []
        else:  # "}"
            if words or len(stack) == 1:
                raise _error(
                    source,
                    number,
                    line_text(number),
                    "unbalanced '}'" if len(stack) == 1 else "statement without ';' before '}'",
                    "check the braces and end every statement with ';'",
                    "波括弧が対応していない",
                )
            stack.pop()
    if len(stack) > 1 or words or listing is not None:
        raise _error(
            source,
            last_line,
            line_text(last_line),
            "the configuration ends inside a block",
            "give the whole output of 'show config running'",
            "設定がブロックの途中で終わっている",
        )


def _brace_path(
    tree: _Tree, parent: _Node, words: list[tuple[str, int]], line_text: Callable[[int], str]
) -> _Node:
    node = parent
    for word, number in words:
        node = tree.add(node, word, number, line_text(number))
    return node


def _normalise_braces(tree: _Tree) -> None:
    """The brace form writes ``config { devices { … } }`` and ``policy { panorama { } }``."""
    config = tree.root.children.pop("config", None)
    policy = tree.root.children.pop("policy", None)
    if config is not None:
        for key, child in config.children.items():
            tree.root.children[key] = child
    panorama = policy.get("panorama") if policy is not None else None
    if policy is not None and policy.children and (len(policy.children) > 1 or panorama is None):
        tree.root.children["policy"] = policy  # refused as an unknown section
    elif panorama is not None and panorama.children:
        tree.root.children["panorama"] = panorama


# -- front end: XML ------------------------------------------------------------------------------


class _XmlBuilder:
    def __init__(self, text: str, source: str, tree: _Tree):
        self.source = source
        self.lines = text.splitlines()
        self.tree = tree
        # (node, is_member_container) per open element
        self.stack: list[tuple[_Node | None, str, int]] = []
        self.text: list[str] = []
        self.parser = expat.ParserCreate()
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.data
        # Hardening as defusedxml does it: no DTD, so no entity can expand (billion laughs,
        # external entities).
        self.parser.StartDoctypeDeclHandler = self.refuse
        self.parser.EntityDeclHandler = self.refuse
        self.parser.ExternalEntityRefHandler = self.refuse_external
        self.depth = 0
        self.root_tag = ""

    def line_text(self, number: int) -> str:
        return self.lines[number - 1].strip() if 0 < number <= len(self.lines) else ""

    def refuse(self, *args: object) -> None:
        number = self.parser.CurrentLineNumber
        raise _error(
            self.source,
            number,
            self.line_text(number),
            "XML with a document type or entity declaration",
            "give the configuration as PAN-OS exports it (it has no DOCTYPE)",
            "DOCTYPE や実体宣言を含む XML は読まない",
        )

    def refuse_external(self, *args: object) -> int:
        self.refuse()
        return 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        number = self.parser.CurrentLineNumber
        text = self.line_text(number)
        self.text = []
        if not self.stack:
            self.root_tag = tag
            self.stack.append((self.tree.root, tag, number))
            return
        parent = self.stack[-1][0]
        if parent is None:
            self.stack.append((None, tag, number))
            return
        key = attrs.get("name", "") if tag == "entry" else tag
        if tag == "member":
            self.stack.append((None, "member", number))  # its text is added at the end tag
            return
        if not key:
            raise _error(
                self.source, number, text, "<entry> without a name", "give every entry a name"
            )
        node = self.tree.add(parent, key, number, text)
        self.stack.append((node, tag, number))

    def data(self, chunk: str) -> None:
        self.text.append(chunk)

    def end(self, tag: str) -> None:
        node, kind, number = self.stack.pop()
        value = "".join(self.text).strip()
        self.text = []
        if not self.stack:
            return
        parent = self.stack[-1][0]
        if kind == "member":
            if parent is not None and value:
                self.tree.add(parent, value, number, self.line_text(number))
        elif node is not None and value and not node.children:
            self.tree.add(node, value, number, self.line_text(number))

    def run(self, text: str) -> None:
        try:
            self.parser.Parse(text, True)
        except ValueError as exc:  # characters XML cannot carry
            raise _error(
                self.source,
                self.parser.CurrentLineNumber,
                self.line_text(self.parser.CurrentLineNumber),
                f"not well-formed XML: {exc}",
                "give the XML as PAN-OS exports it (UTF-8 text)",
                "XML として正しくない",
            ) from None
        except expat.ExpatError as exc:
            # expat places "no element found" at end of input: after a final newline, that is
            # one past the last line; name the last line instead.
            number = max(1, min(exc.lineno, len(self.lines)))
            raise _error(
                self.source,
                number,
                self.line_text(number),
                f"not well-formed XML: {expat.errors.messages[exc.code]}",
                "give the XML as PAN-OS exports it (export named configuration snapshot)",
                "XML として正しくない",
            ) from None
        tag = self.root_tag
        root = self.tree.root
        if tag in ("response", "result"):
            # the XML API wraps the configuration: <response><result><config>
            found = next((n for n in root.walk() if n.key == "config" and n is not root), None)
            if found is not None:
                root.children = found.children
                return
        if tag != "config":
            raise _error(
                self.source,
                1,
                self.line_text(1),
                f"the XML root is <{tag}>, not <config>",
                "give the configuration as PAN-OS exports it (<config>…<devices>…)",
                "XML のルートが <config> ではない",
            )


# -- the reader: from the tree to a Ruleset -------------------------------------------------------


@dataclass
class _Ignored:
    reason: str
    example: str
    lines: set[int] = field(default_factory=set)


@dataclass
class _NatRule:
    name: str
    node: _Node
    from_ifaces: tuple[str, ...] | None  # None: any
    to_zones: tuple[str, ...] | None
    to_iface: str | None
    sources: tuple[Interval, ...] | None
    negate_source: bool
    destinations: tuple[Interval, ...] | None
    services: tuple[_Service, ...]
    snat: Nat | None
    dnat: Nat | None


class _Reader:
    def __init__(self, source: str, tree: _Tree):
        self.source = source
        self.tree = tree
        self.ignored: dict[str, _Ignored] = {}
        self.assumptions: list[str] = []
        self.interned: dict[tuple[object, ...], Condition] = {}
        self.vsys: _Node | None = None
        self.shared: _Node | None = tree.root.get("shared")
        self.device: _Node | None = None
        self.zones: dict[str, tuple[str, ...]] = {}
        self.zone_nodes: dict[str, _Node] = {}
        self.interfaces: list[ConfiguredInterface] = []
        self.iface_address: dict[str, tuple[int, int]] = {}
        self.routes: list[ConfiguredRoute] = []
        self.nat_rules: list[_NatRule] = []
        self.overrides: dict[str, list[tuple[str, _Node, _Service]]] = {}
        self.undefined_zones: dict[str, tuple[str, list[str]]] = {}
        # resolved groups, by name: diamond-shaped nesting is resolved once per group
        self.address_cache: dict[str, tuple[Interval, ...]] = {}
        self.service_cache: dict[str, tuple[_Service, ...]] = {}
        self.app_cache: dict[str, tuple[str, ...]] = {}
        self.extra_chains: dict[tuple[str, str], Chain] = {}
        self.dynamic_routing: list[_Node] = []

    # -- notes -------------------------------------------------------------------------------

    def ignore(self, node: _Node, reason: str) -> None:
        entry = self.ignored.get(reason)
        if entry is None:
            entry = self.ignored[reason] = _Ignored(reason, _redact(node.text))
        for n in node.walk():
            entry.lines.add(n.line)

    def fail(self, node: _Node, message: str, hint: str, ja: str = "") -> ParseError:
        return _error(self.source, node.line, node.text, message, hint, ja)

    def unsupported(self, node: _Node, what: str, hint: str = "") -> UnsupportedSyntax:
        return _unsupported(self.source, node.line, node.text, what, hint)

    def spread(self, entry: _Node, fields: set[str]) -> None:
        """:func:`_spread` a rule, refusing a ``set`` line whose fields cannot be told apart.

        A ``set`` line gives a rule's fields one after another; a field with plain values ends
        at its value, but one with a structure of its own (``profile-setting``, ``option``,
        ``source-translation``) does not say where it ends: a field of the rule written after
        it on the same line would be read inside it, and lost.
        """
        _spread(entry, LEAF_FIELDS)
        if self.tree.kind != "set":
            return
        for key, child in entry.children.items():
            if key in LEAF_FIELDS:
                continue
            for inner in child.walk():
                if inner is not child and inner.key in fields:
                    raise self.fail(
                        inner,
                        f"'{inner.key}' follows '{key}' on one set line; where '{key}' ends "
                        "cannot be told",
                        f"write '{key}' on a line of its own (as 'show config running' does)",
                        f"1 行の set で '{key}' の後に '{inner.key}' があり、区切りが分からない",
                    )

    def where(self, node: _Node) -> str:
        return f"{self.source}:{node.line}"

    def intern(self, condition: Condition) -> Condition:
        key: tuple[object, ...] = (condition,)
        found = self.interned.get(key)
        if found is None:
            self.interned[key] = found = condition
        return found

    # -- top level ---------------------------------------------------------------------------

    def run(self) -> Ruleset:
        root = self.tree.root
        for key, node in root.children.items():
            if key == "panorama" and any(
                n.key in ("pre-rulebase", "post-rulebase", "rulebase") and _has_rules(n)
                for n in node.walk()
            ):
                raise self.unsupported(node, "Panorama-pushed rule bases")
            if key in IGNORED_CONFIG:
                self.ignore(node, IGNORED_CONFIG[key])
            elif key == "shared":
                self.shared_section(node)
            elif key != "devices":
                raise self.unsupported(node, f"configuration section '{key}'")
        devices = root.get("devices")
        if devices is not None and len(devices.children) > 1:
            raise self.unsupported(
                devices,
                "several devices in one file (" + ", ".join(devices.children) + ")",
                "give one firewall's configuration per file",
            )
        if devices is not None and devices.children:
            self.device = next(iter(devices.children.values()))
        self.choose_vsys()
        if self.device is not None:
            for key, node in self.device.children.items():
                if key == "network":
                    self.network(node)
                elif key in IGNORED_DEVICE:
                    self.ignore(node, IGNORED_DEVICE[key])
                elif key != "vsys":
                    raise self.unsupported(node, f"device section '{key}'")
        if self.vsys is not None:
            self.vsys_sections(self.vsys)
        self.read_zones()
        self.attach_zones()
        chains, stages = self.rulebase()
        for zone, (where, rules) in self.undefined_zones.items():
            self.assumptions.append(
                f"Zone {zone} ({where}; named by {', '.join(rules)}) is not defined in this "
                "configuration; it is taken as having no interfaces, so those rules match nothing "
                "through it."
            )
        ignored = tuple(
            IgnoredSection(self.source, tuple(sorted(e.lines)), e.reason, e.example)
            for e in self.ignored.values()
        )
        return Ruleset(
            self.source,
            FORMAT,
            chains,
            stages,
            ignored,
            tuple(self.interfaces),
            tuple(self.routes),
            tuple(self.assumptions),
        )

    def shared_section(self, node: _Node) -> None:
        for key, child in node.children.items():
            if key in OBJECT_SECTIONS or key in ("application", "application-group"):
                self.note_objects(child)
            elif key in IGNORED_SHARED_OR_VSYS:
                self.ignore(child, IGNORED_SHARED_OR_VSYS[key])
            elif key == "rulebase" or key in ("pre-rulebase", "post-rulebase"):
                if _has_rules(child):
                    raise self.unsupported(child, "shared (Panorama) rule bases")
                self.ignore(child, "empty rule bases")
            else:
                raise self.unsupported(child, f"shared section '{key}'")

    def note_objects(self, section: _Node) -> None:
        """Descriptions and tags of objects cannot change forwarding: note them."""
        for entry in section.children.values():
            for key, child in entry.children.items():
                if key in NOTE_KEYS:
                    self.ignore(child, "descriptions, tags and comments")

    def choose_vsys(self) -> None:
        vsys_root = self.device.get("vsys") if self.device is not None else None
        if vsys_root is None or not vsys_root.children:
            return
        with_rules = [
            name
            for name, node in vsys_root.children.items()
            if node.get("rulebase") is not None and _has_rules(node.get("rulebase"))
        ]
        if len(with_rules) > 1:
            raise self.unsupported(
                vsys_root.children[with_rules[1]],
                "several virtual systems with rules (" + ", ".join(with_rules) + ")",
                "give the verifier one virtual system's configuration per device",
            )
        name = with_rules[0] if with_rules else next(iter(vsys_root.children))
        if not with_rules and "vsys1" in vsys_root.children:
            name = "vsys1"
        self.vsys = vsys_root.children[name]
        for other, node in vsys_root.children.items():
            if other != name:
                self.ignore(node, "virtual systems without rules")

    def vsys_sections(self, vsys: _Node) -> None:
        for key, child in vsys.children.items():
            if key in OBJECT_SECTIONS or key in ("application", "application-group"):
                self.note_objects(child)
            elif key in ("zone", "rulebase"):
                continue  # read by read_zones and rulebase
            elif key in IGNORED_SHARED_OR_VSYS:
                self.ignore(child, IGNORED_SHARED_OR_VSYS[key])
            else:
                raise self.unsupported(child, f"vsys section '{key}'")

    # -- network: interfaces and routes ------------------------------------------------------

    def network(self, node: _Node) -> None:
        for key, child in node.children.items():
            if key == "interface":
                self.interface_section(child)
            elif key == "virtual-router":
                self.virtual_routers(child)
            elif key in IGNORED_NETWORK:
                self.ignore(child, IGNORED_NETWORK[key])
                if key == "logical-router" and child.children:
                    self.dynamic_routing.append(child)
            elif key in ("virtual-wire", "vlan", "shared-gateway"):
                raise self.unsupported(child, f"network {key}")
            else:
                raise self.unsupported(child, f"network section '{key}'")

    def interface_section(self, node: _Node) -> None:
        for family, fam_node in node.children.items():
            if family in ("ethernet", "aggregate-ethernet"):
                for name, iface in fam_node.children.items():
                    self.physical(name, iface)
            elif family in ("loopback", "tunnel", "vlan"):
                self.logical(family, fam_node)
            else:
                raise self.unsupported(fam_node, f"interface type '{family}'")

    def physical(self, name: str, node: _Node) -> None:
        for mode, child in node.children.items():
            if mode == "layer3":
                self.layer3(name, child)
            elif mode in ("layer2", "virtual-wire", "decrypt-mirror"):
                raise self.unsupported(
                    child,
                    f"{mode} interface {name}",
                    "the verifier models layer-3 interfaces; check layer-2 and virtual-wire "
                    "segments by hand",
                )
            elif mode in ("tap", "ha", "log-card", "aggregate-group"):
                self.ignore(child, "interfaces that do not forward (tap, HA, log card)")
            else:
                self.ignore(child, "interface settings (speed, duplex, comments, LACP)")

    def logical(self, family: str, node: _Node) -> None:
        # loopback/tunnel/vlan: 'ip' directly (the interface named like the family) or units
        own = {k: v for k, v in node.children.items() if k != "units"}
        if own:
            self.layer3(family, node, units=False)
        units = node.get("units")
        if units is not None:
            for name, unit in units.children.items():
                self.layer3(name, unit, units=False)

    def layer3(self, name: str, node: _Node, *, units: bool = True) -> None:
        addresses: list[tuple[int, int]] = []
        for key, child in node.children.items():
            if key == "ip":
                for value, value_node in child.children.items():
                    resolved = self.interface_address(name, value, value_node)
                    if resolved is not None:
                        addresses.append(resolved)
            elif key == "units" and units:
                for unit_name, unit in child.children.items():
                    self.layer3(unit_name, unit, units=False)
            elif key == "units":
                self.ignore(child, "interface settings (speed, duplex, comments, LACP)")
            elif key == "ipv6":
                self.ignore(child, "IPv6 settings")
            elif key == "dhcp-client":
                self.dynamic_routing.append(child)  # it may install a default route
                self.assumptions.append(
                    f"Interface {name} ({self.where(child)}) takes its address by DHCP; "
                    "the configuration does not say which, so give it in the model."
                )
            elif key in ("interface-management-profile", "management-profile"):
                self.ignore(child, "management access to the firewall itself")
            elif key in ("pppoe",):
                raise self.unsupported(child, f"PPPoE on interface {name}")
            else:
                self.ignore(child, "interface settings (MTU, tag, NDP, LLDP, comments)")
        first = addresses[0] if addresses else None
        if len(addresses) > 1:
            self.assumptions.append(
                f"Interface {name} ({self.where(node)}) has {len(addresses)} IPv4 addresses; "
                "the first is taken as its address."
            )
        if first is not None:
            self.iface_address[name] = first
        self.interfaces.append(
            ConfiguredInterface(
                name,
                first[0] if first else None,
                first[1] if first else None,
                "",
                SourceLocation(self.source, node.line, node.text, f"interface {name}"),
            )
        )

    def interface_address(self, name: str, value: str, node: _Node) -> tuple[int, int] | None:
        obj = self.find_object("address", value)
        if obj is not None:
            netmask = obj.get("ip-netmask")
            text = netmask.last() if netmask is not None else None
        else:
            text = value
        parsed = _interface_prefix(text) if text else None
        if parsed is None and ":" in (text or ""):
            return None  # an IPv6 address
        if parsed is None:
            what = "names no address object" if obj is None else "is not an ip-netmask object"
            self.assumptions.append(
                f"Interface {name} ({self.where(node)}): address '{value}' {what}; "
                "the interface is taken without an address."
            )
        return parsed

    def virtual_routers(self, node: _Node) -> None:
        with_routes = []
        for vr_name, vr in node.children.items():
            for key, child in vr.children.items():
                if key == "routing-table":
                    if self.static_routes(vr_name, child):
                        with_routes.append(vr_name)
                elif key == "interface":
                    continue
                elif key == "protocol":
                    self.ignore(child, "dynamic routing protocols (the model's routes are used)")
                    if any(_yes(p.get("enable")) for p in child.children.values()):
                        self.dynamic_routing.append(child)
                else:
                    self.ignore(child, "virtual router settings (ECMP, distances, multicast)")
        if len(with_routes) > 1:
            raise self.unsupported(
                node,
                "static routes in several virtual routers (" + ", ".join(with_routes) + ")",
                "the verifier reads one routing table per device; write the routes in the model",
            )

    def static_routes(self, vr: str, node: _Node) -> bool:
        found = False
        for family, fam_node in node.children.items():
            if family != "ip":
                self.ignore(fam_node, "IPv6 settings")
                continue
            routes = fam_node.get("static-route")
            for key, child in fam_node.children.items():
                if key != "static-route":
                    self.ignore(child, "virtual router settings (ECMP, distances, multicast)")
            if routes is None:
                continue
            for name, route in routes.children.items():
                if self.static_route(vr, name, route):
                    found = True
        return found

    def static_route(self, vr: str, name: str, node: _Node) -> bool:
        # one set line may give several fields: '… destination P nexthop ip-address A interface I'
        route_fields = {"destination", "interface", "metric", "admin-dist"}
        _spread(node, route_fields)
        nexthop = node.get("nexthop")
        for hop in nexthop.children.values() if nexthop is not None else ():
            for address in hop.children.values():
                for moved_name, moved in address.children.items():
                    _merge_node(node, moved_name, moved)
                address.children = {}
        _spread(node, route_fields)
        destination = node.get("destination")
        value = destination.last() if destination is not None else None
        if destination is None or value is None:
            raise self.fail(node, f"static route {name} has no destination", "add 'destination'")
        text = self.netmask(value) or value
        if ":" in text:
            self.ignore(node, "IPv6 settings")
            return False
        prefix = _prefix(text)
        if prefix is None:
            raise self.fail(
                destination,
                f"static route {name}: '{value}' is not a prefix",
                "write the destination as a.b.c.d/len",
            )
        via: int | None = None
        iface: str | None = None
        for key, child in node.children.items():
            if key == "nexthop":
                for kind, hop in child.children.items():
                    hop_value = hop.last() or ""
                    if kind == "ip-address":
                        hop_value = self.netmask(hop_value) or hop_value
                        try:
                            via = parse_address(hop_value.split("/")[0])
                        except ValueError:
                            raise self.fail(
                                hop, f"next hop '{hop_value}' is not an address", "write a.b.c.d"
                            ) from None
                    elif kind == "discard":
                        self.ignore(node, "discard routes (they can only drop)")
                        return False
                    else:
                        raise self.unsupported(hop, f"next hop '{kind}' of static route {name}")
            elif key == "interface":
                iface = child.last()
            elif key != "destination":
                self.ignore(child, "route settings (metric, distance, BFD, path monitoring)")
        location = SourceLocation(self.source, node.line, node.text, f"static-route {vr} {name}")
        self.routes.append(ConfiguredRoute(prefix, via, iface, location))
        return True

    # -- zones -------------------------------------------------------------------------------

    def read_zones(self) -> None:
        zones = self.vsys.get("zone") if self.vsys is not None else None
        if zones is None:
            return
        for name, node in zones.children.items():
            members: tuple[str, ...] = ()
            self.zone_nodes[name] = node
            for key, child in node.children.items():
                if key != "network":
                    self.ignore(child, "zone settings (User-ID, ACLs)")
                    continue
                for kind, kind_node in child.children.items():
                    if kind == "layer3":
                        members = tuple(kind_node.names())
                    elif kind in ("layer2", "virtual-wire", "tunnel", "external"):
                        if kind_node.children:
                            raise self.unsupported(kind_node, f"{kind} zone {name}")
                        self.ignore(kind_node, "zones without interfaces")
                    elif kind == "tap":
                        self.ignore(kind_node, "interfaces that do not forward (tap, HA, log card)")
                    else:
                        self.ignore(kind_node, "zone protection and logging settings")
            self.zones[name] = members

    def attach_zones(self) -> None:
        zone_of = {iface: zone for zone, members in self.zones.items() for iface in members}
        self.interfaces = [
            ConfiguredInterface(
                i.name, i.address, i.prefix_length, zone_of.get(i.name, ""), i.location
            )
            for i in self.interfaces
        ]

    # -- objects -----------------------------------------------------------------------------

    def netmask(self, name: str) -> str | None:
        """The ip-netmask value of an address object, if ``name`` is one."""
        obj = self.find_object("address", name)
        netmask = obj.get("ip-netmask") if obj is not None else None
        return netmask.last() if netmask is not None else None

    def find_object(self, section: str, name: str) -> _Node | None:
        return self.find_first((section,), name)[1]

    def find_first(self, sections: tuple[str, ...], name: str) -> tuple[str, _Node | None]:
        """The object named ``name`` in the first of ``sections``, the vsys before shared.

        PAN-OS resolves a name in the virtual system first (its objects and groups alike),
        then in shared: a vsys group hides a shared object of the same name.
        """
        for scope in (self.vsys, self.shared):
            if scope is None:
                continue
            for section in sections:
                sec = scope.get(section)
                if sec is not None and name in sec.children:
                    return section, sec.children[name]
        return "", None

    def too_deep(self, node: _Node, kind: str, seen: tuple[str, ...]) -> None:
        if len(seen) >= MAX_GROUP_DEPTH:
            raise self.fail(
                node,
                f"{kind} {seen[0]} nests groups deeper than {MAX_GROUP_DEPTH} levels",
                "flatten the group",
                f"{kind} {seen[0]} の入れ子が {MAX_GROUP_DEPTH} 段を超えている",
            )

    def addresses(self, names: list[str], where: _Node, rule: str) -> tuple[Interval, ...] | None:
        """Resolve address names of a rule field; None means any."""
        if not names or "any" in names:
            return None
        out: list[Interval] = []
        for name in names:
            out.extend(self.address(name, where, rule, ()))
        return _merge(out)

    def address(self, name: str, where: _Node, rule: str, seen: tuple[str, ...]) -> list[Interval]:
        section, obj = self.find_first(("address", "address-group"), name)
        if obj is not None and section == "address":
            return self.address_object(name, obj, rule)
        if obj is not None:
            cached = self.address_cache.get(name)
            if cached is None:
                cached = self.address_cache[name] = self.address_group(name, obj, rule, seen)
            return list(cached)
        return self.address_literal(name, where, rule)

    def address_group(
        self, name: str, group: _Node, rule: str, seen: tuple[str, ...]
    ) -> tuple[Interval, ...]:
        if name in seen:
            raise self.fail(group, f"address group {name} contains itself", "break the loop")
        self.too_deep(group, "address group", seen)
        if group.get("dynamic") is not None:
            raise self.unsupported(
                group,
                f"dynamic address group {name} (used by {rule})",
                "name static addresses in the rule, or check this device by hand",
            )
        static = group.get("static")
        out: list[Interval] = []
        for member in static.names() if static is not None else []:
            out.extend(self.address(member, static or group, rule, (*seen, name)))
        return _merge(out)

    def address_literal(self, name: str, where: _Node, rule: str) -> list[Interval]:
        literal = _literal_range(name)
        if literal is not None:
            return [literal] if literal != (-1, -1) else []
        if self.find_object("external-list", name) is not None:
            raise self.unsupported(where, f"external dynamic list {name} (used by {rule})")
        if re.fullmatch(r"[A-Z]{2}", name):
            raise self.unsupported(where, f"region {name} (used by {rule})")
        raise self.fail(
            where,
            f"{rule} names address '{name}', which is not defined",
            "define the address object or group, or fix the name",
            f"{rule} が未定義のアドレス '{name}' を参照している",
        )

    def address_object(self, name: str, obj: _Node, rule: str) -> list[Interval]:
        _spread(obj, LEAF_FIELDS)
        for kind, node in obj.children.items():
            value = node.last() or ""
            if kind == "ip-netmask":
                if ":" in value:
                    return []  # IPv6: matches no IPv4 packet
                prefix = _prefix(value)
                if prefix is None:
                    raise self.fail(
                        node,
                        f"address {name}: '{value}' is not an IPv4 prefix",
                        "write a.b.c.d/len",
                    )
                return [prefix_range(*prefix)]
            if kind == "ip-range":
                if ":" in value:
                    return []
                parsed = _range(value)
                if parsed is None:
                    raise self.fail(
                        node,
                        f"address {name}: '{value}' is not an IPv4 range with first <= last",
                        "write FIRST-LAST, e.g. 10.0.0.1-10.0.0.9",
                    )
                return [parsed]
            if kind in ("fqdn", "ip-wildcard"):
                raise self.unsupported(
                    node,
                    f"{kind} address {name} (used by {rule})",
                    "name IP addresses in the rule, or check this device by hand",
                )
        raise self.fail(
            obj, f"address {name} (used by {rule}) has no value", "give it ip-netmask or ip-range"
        )

    def services(self, names: list[str], where: _Node, rule: str) -> tuple[_Service, ...] | None:
        """Resolve service names; None means ``application-default``."""
        if not names or "any" in names:
            return ANY_SERVICE
        if "application-default" in names:
            if len(names) > 1:
                raise self.fail(
                    where, f"{rule} mixes application-default with services", "keep one"
                )
            return None
        out: list[_Service] = []
        for name in names:
            out.extend(self.service(name, where, rule, ()))
        return tuple(dict.fromkeys(out))

    def service(self, name: str, where: _Node, rule: str, seen: tuple[str, ...]) -> list[_Service]:
        section, obj = self.find_first(("service", "service-group"), name)
        if obj is not None and section == "service":
            return [self.service_object(name, obj)]
        group = obj
        if group is not None:
            cached = self.service_cache.get(name)
            if cached is not None:
                return list(cached)
            if name in seen:
                raise self.fail(group, f"service group {name} contains itself", "break the loop")
            self.too_deep(group, "service group", seen)
            members = group.get("members")
            out: list[_Service] = []
            for member in members.names() if members is not None else []:
                out.extend(self.service(member, members or group, rule, (*seen, name)))
            self.service_cache[name] = tuple(dict.fromkeys(out))
            return list(self.service_cache[name])
        if name in PREDEFINED_SERVICES:
            return list(PREDEFINED_SERVICES[name])
        raise self.fail(
            where,
            f"{rule} names service '{name}', which is not defined",
            "define the service or service group, or fix the name",
            f"{rule} が未定義のサービス '{name}' を参照している",
        )

    def service_object(self, name: str, obj: _Node) -> _Service:
        protocol = obj.get("protocol")
        if protocol is None or not protocol.children:
            raise self.fail(obj, f"service {name} has no protocol", "add 'protocol tcp port N'")
        proto_name, node = next(iter(protocol.children.items()))
        if proto_name not in ("tcp", "udp", "sctp"):
            raise self.fail(
                node, f"service {name}: unknown protocol '{proto_name}'", "use tcp, udp or sctp"
            )
        proto = PROTOCOLS[proto_name]
        _spread(node, LEAF_FIELDS)
        dports: tuple[Interval, ...] | None = None
        sports: tuple[Interval, ...] | None = None
        for key, child in node.children.items():
            if key == "port":
                dports = self.port_list(child, name)
            elif key == "source-port":
                sports = self.port_list(child, name)
            elif key == "override":
                self.ignore(child, "session timeouts")
        return _Service(proto, dports or ALL_PORTS, sports)

    def port_list(self, node: _Node, name: str) -> tuple[Interval, ...]:
        text = ",".join(node.names())
        out: list[Interval] = []
        for part in text.split(","):
            part = part.strip()
            if not part:
                continue
            lo, _, hi = part.partition("-")
            if not lo.isdigit() or (hi and not hi.isdigit()):
                raise self.fail(
                    node, f"service {name}: bad port '{part}'", "write ports as 80,443,1000-2000"
                )
            first, last = int(lo), int(hi or lo)
            if first > last or last > MAX_PORT:
                raise self.fail(
                    node,
                    f"service {name}: bad port range '{part}'",
                    "ports are 0-65535, FIRST-LAST",
                )
            out.append((first, last))
        if not out:
            raise self.fail(node, f"service {name} has an empty port list", "write ports as 80,443")
        return _merge(out)

    def applications(
        self, apps: list[str], where: _Node, rule: str
    ) -> tuple[tuple[_Service, ...], list[str]]:
        """The ``application-default`` services of applications, and how each was read."""
        out: list[_Service] = []
        notes: list[str] = []
        for app in self.expand_apps(apps, where, ()):
            if app in self.overrides:
                for override, _, service in self.overrides[app]:
                    out.append(service)
                    notes.append(
                        f"{app} as the traffic of application-override rule {override} "
                        f"({_describe(service)})"
                    )
                continue
            custom = self.find_object("application", app)
            default = custom.get("default") if custom is not None else None
            if default is not None and default.get("port") is not None:
                services = self.custom_ports(app, default.get("port"))  # type: ignore[arg-type]
                out.extend(services)
                notes.append(f"{app} as its default ports ({', '.join(map(_describe, services))})")
            elif default is not None and default.get("ident-by-icmp-type") is not None:
                icmp = default.get("ident-by-icmp-type")
                assert icmp is not None
                type_node = icmp.get("type")
                value = (type_node.last() if type_node is not None else None) or ""
                if not value.isdigit() or int(value) > 255:
                    raise self.fail(icmp, f"application {app}: bad ICMP type", "write 0-255")
                out.append(_Service(ICMP, icmp_type=int(value)))
                notes.append(f"{app} as icmp type {value}")
            elif default is not None and default.get("ident-by-icmp6-type") is not None:
                notes.append(f"{app} as nothing (an ICMPv6 application; IPv4 only is modelled)")
            elif default is not None and default.get("ident-by-ip-protocol") is not None:
                number = default.get("ident-by-ip-protocol").last() or ""  # type: ignore[union-attr]
                if not number.isdigit() or int(number) > 255:
                    raise self.fail(default, f"application {app}: bad IP protocol", "write 0-255")
                out.append(_Service(int(number)))
                notes.append(f"{app} as IP protocol {number}")
            elif app in APPLICATIONS and custom is None:
                widened = _widened(app)
                out.extend(widened)
                described = ", ".join(map(_describe, widened)) or "nothing (IPv6 only)"
                if widened != APPLICATIONS[app]:
                    listed = ", ".join(map(_describe, APPLICATIONS[app]))
                    described += (
                        f" (its usual default, {listed}, is not relied on: App-ID's default "
                        "ports change with content updates)"
                    )
                notes.append(f"{app} as {described}")
            else:
                out.extend(EVERY_TCP_UDP)
                notes.append(
                    f"{app} (default ports unknown to the verifier) as every tcp and udp port"
                )
        return tuple(dict.fromkeys(out)), notes

    def expand_apps(self, apps: list[str], where: _Node, seen: tuple[str, ...]) -> list[str]:
        out: list[str] = []
        for app in apps:
            section, group = self.find_first(("application", "application-group"), app)
            if group is not None and section == "application-group":
                cached = self.app_cache.get(app)
                if cached is None:
                    if app in seen:
                        raise self.fail(
                            group, f"application group {app} contains itself", "break the loop"
                        )
                    self.too_deep(group, "application group", seen)
                    members = group.get("members")
                    cached = tuple(
                        self.expand_apps(members.names() if members else [], where, (*seen, app))
                    )
                    self.app_cache[app] = cached
                out.extend(cached)
            else:
                out.append(app)
        return list(dict.fromkeys(out))

    def custom_ports(self, app: str, node: _Node) -> list[_Service]:
        out: list[_Service] = []
        for value in node.names():
            proto_name, _, ports = value.partition("/")
            if proto_name not in ("tcp", "udp") or not ports:
                raise self.fail(
                    node, f"application {app}: bad default port '{value}'", "write tcp/80,443"
                )
            if ports == "dynamic":
                out.append(_Service(PROTOCOLS[proto_name]))
                continue
            ranges = []
            for part in ports.split(","):
                lo, _, hi = part.partition("-")
                if not lo.isdigit() or (hi and not hi.isdigit()) or int(hi or lo) > MAX_PORT:
                    raise self.fail(
                        node, f"application {app}: bad default port '{value}'", "write tcp/80,443"
                    )
                ranges.append((int(lo), int(hi or lo)))
            out.append(_Service(PROTOCOLS[proto_name], _merge(ranges)))
        return out

    # -- rule bases --------------------------------------------------------------------------

    def rulebase(self) -> tuple[dict[tuple[str, str], Chain], tuple[Stage, ...]]:
        rulebase = self.vsys.get("rulebase") if self.vsys is not None else None
        security: _Node | None = None
        nat: _Node | None = None
        defaults: _Node | None = None
        if rulebase is not None:
            for key, child in rulebase.children.items():
                rules = child.get("rules")
                if key == "security":
                    security = rules
                elif key == "nat":
                    nat = rules
                elif key == "application-override":
                    self.read_overrides(rules)
                elif key == "default-security-rules":
                    defaults = rules
                elif key in IGNORED_RULEBASES:
                    self.ignore(child, IGNORED_RULEBASES[key])
                elif rules is None or not rules.children:
                    self.ignore(child, "empty rule bases")
                else:
                    raise self.unsupported(child, f"{key} rule base")
        if nat is not None:
            self.read_nat(nat)
        location = SourceLocation(self.source, 1, "", "rulebase security")
        filter_rules = self.security(security, defaults)
        chains: dict[tuple[str, str], Chain] = {
            ("filter", "security"): Chain(
                "filter", "security", tuple(filter_rules), Verdict.DROP, location
            ),
            **self.extra_chains,
        }
        stages = [Stage(Hook.FORWARD, 0, StageKind.FILTER, "filter", "security")]
        if self.nat_rules:
            pre, post = self.nat_chains()
            nat_location = SourceLocation(self.source, 1, "", "rulebase nat")
            chains[("nat", "destination")] = Chain(
                "nat", "destination", pre, Verdict.ACCEPT, nat_location
            )
            chains[("nat", "source")] = Chain("nat", "source", post, Verdict.ACCEPT, nat_location)
            stages.append(Stage(Hook.PREROUTING, -100, StageKind.NAT, "nat", "destination"))
            stages.append(Stage(Hook.POSTROUTING, 100, StageKind.NAT, "nat", "source"))
        return chains, tuple(stages)

    def zone_ifaces(self, names: list[str], where: _Node, rule: str) -> tuple[str, ...] | None:
        """Member interfaces of zones; None means any zone."""
        if not names or "any" in names:
            return None
        out: list[str] = []
        for name in names:
            if name not in self.zones:
                self.note_undefined_zone(name, where, rule)
                continue
            out.extend(self.zones[name])
        return tuple(dict.fromkeys(out))

    def note_undefined_zone(self, name: str, where: _Node, rule: str) -> None:
        entry = self.undefined_zones.setdefault(name, (self.where(where), []))
        if rule not in entry[1]:
            entry[1].append(rule)

    def fields(self, node: _Node, name: str, known: set[str]) -> dict[str, _Node]:
        out: dict[str, _Node] = {}
        for key, child in node.children.items():
            if key in known:
                out[key] = child
            elif key in NOTE_KEYS:
                self.ignore(child, "descriptions, tags and comments")
            elif key in IGNORED_RULE_FIELDS:
                self.ignore(child, IGNORED_RULE_FIELDS[key])
            elif key in ANY_ONLY_FIELDS:
                if child.names() not in ([], ["any"]):
                    raise self.unsupported(child, f"{ANY_ONLY_FIELDS[key]} in {name}")
                self.ignore(child, "rule fields set to any")
            elif key == "schedule":
                raise self.unsupported(
                    child, f"schedule of {name} (the rule applies only at times)"
                )
            else:
                raise self.unsupported(child, f"rule field '{key}' in {name}")
        return out

    def security(self, rules: _Node | None, defaults: _Node | None) -> list[Rule]:
        out: list[Rule] = []
        established = self.intern(StateMatch(frozenset({"established", "related"})))
        first_line = rules.line if rules is not None else 1
        first_text = rules.text if rules is not None else ""
        state_location = SourceLocation(
            self.source, first_line, first_text, "rule (packets of allowed sessions)"
        )
        out.append(Rule((established,), Verdict.ACCEPT, state_location))
        zoned = tuple(dict.fromkeys(i for members in self.zones.values() for i in members))
        zoneless = SourceLocation(
            self.source, first_line, first_text, "rule (interfaces without a zone)"
        )
        for direction in ("in", "out"):
            condition = self.intern(InterfaceMatch(direction, zoned, negated=True))
            out.append(Rule((condition,), Verdict.DROP, zoneless))
        known = {
            "from", "to", "source", "destination", "negate-source", "negate-destination",
            "service", "application", "action", "disabled", "rule-type",
        }  # fmt: skip
        for name, node in rules.children.items() if rules is not None else []:
            self.spread(node, known | RULE_FIELDS)
            if _yes(node.get("disabled")):
                self.ignore(node, "disabled rules")
                continue
            found = self.fields(node, f"rule {name}", known)
            out.extend(self.security_rule(name, node, found))
        out.extend(self.default_rules(defaults, zoned))
        return out

    def security_rule(self, name: str, node: _Node, found: dict[str, _Node]) -> list[Rule]:
        label = f"rule {name}"
        location = SourceLocation(self.source, node.line, node.text, label)
        action_node = found.get("action")
        action_text = action_node.last() if action_node is not None else None
        if action_node is None or action_text is None:
            raise self.fail(node, f"{label} has no action", "add 'action allow' or 'action deny'")
        action = _security_action(action_text)
        if action is None:
            raise self.fail(
                action_node,
                f"{label}: unknown action '{action_text}'",
                "actions are allow, deny, drop, reset-client, reset-server, reset-both",
            )
        for required in ("from", "to"):
            if required not in found:
                raise self.fail(node, f"{label} has no '{required}' zone", f"add '{required} any'")

        values = _values_of(found)
        from_ifaces = self.zone_ifaces(values("from"), found["from"], label)
        to_ifaces = self.zone_ifaces(values("to"), found["to"], label)
        src_node = found.get("source", node)
        dst_node = found.get("destination", node)
        sources = self.addresses(values("source"), src_node, label)
        destinations = self.addresses(values("destination"), dst_node, label)
        negate_src = _yes(found.get("negate-source"))
        negate_dst = _yes(found.get("negate-destination"))
        services = self.services(values("service"), found.get("service", node), label)
        apps = values("application")
        if apps and "any" not in apps:
            if action is not Verdict.ACCEPT:
                self.assumptions.append(
                    f"Rule {name} ({self.where(node)}) blocks only application "
                    f"{', '.join(apps)}; other applications on the same ports pass it, so it is "
                    "taken as matching nothing (App-ID is not modelled)."
                )
                return []
            if services is None:
                services, notes = self.applications(apps, found["application"], label)
                reading = "; ".join(notes)
            else:
                reading = "by its service (" + ", ".join(map(_describe, services)) + ")"
            sentence = (
                f"Rule {name} ({self.where(node)}) allows application {', '.join(apps)}: it is "
                f"taken as matching {reading}."
            )
            if any(app in self.overrides for app in self.expand_apps(apps, node, ())):
                sentence += (
                    " Other traffic is taken as denied from its first packet, although PAN-OS "
                    "passes the first packets of a session while App-ID identifies its "
                    "application; the verifier takes the decision made once it is identified."
                )
            self.assumptions.append(sentence)
        elif services is None and action is not Verdict.ACCEPT:
            self.assumptions.append(
                f"Rule {name} ({self.where(node)}) blocks application any on "
                "application-default: PAN-OS matches each application only on its own default "
                "ports, which the verifier does not know for every application, so the rule is "
                "taken as matching nothing."
            )
            return []
        elif services is None:
            services = ANY_SERVICE  # application any with application-default: any port
        rule_type = found.get("rule-type")
        kind = (rule_type.last() if rule_type is not None else None) or "universal"
        if kind not in ("universal", "intrazone", "interzone"):
            raise self.fail(
                rule_type or node,
                f"{label}: unknown rule-type '{kind}'",
                "use universal, intrazone or interzone",
            )
        zone_pairs = self.zone_pairs(
            kind, values("from"), values("to"), from_ifaces, to_ifaces, found, label
        )
        allow = action is Verdict.ACCEPT
        variants = self.destination_variants(
            name, node, destinations, negate_dst, services, from_ifaces, allow=allow
        )
        out: list[Rule] = []
        src_condition = (
            self.intern(RangeMatch(Field.SRC, sources, negated=negate_src))
            if sources is not None
            else (self.intern(Const(False, "negated any")) if negate_src else None)
        )
        for in_ifaces, out_ifaces in zone_pairs:
            zone_conditions: list[Condition] = []
            if in_ifaces is not None:
                zone_conditions.append(self.intern(InterfaceMatch("in", in_ifaces)))
            if out_ifaces is not None:
                zone_conditions.append(self.intern(InterfaceMatch("out", out_ifaces)))
            for dst_conditions, service_list in variants:
                for service in service_list:
                    conditions = list(zone_conditions)
                    if src_condition is not None:
                        conditions.append(src_condition)
                    conditions.extend(dst_conditions)
                    conditions.extend(self.service_conditions(service))
                    out.append(Rule(tuple(dict.fromkeys(conditions)), action, location))
        if allow or not out:
            return out
        return self.spare_translated(
            name, node, location, out, variants[0][0], services, from_ifaces
        )

    def spare_translated(
        self,
        name: str,
        node: _Node,
        location: SourceLocation,
        rules: list[Rule],
        dst_conditions: list[Condition],
        services: tuple[_Service, ...],
        from_ifaces: tuple[str, ...] | None,
    ) -> list[Rule]:
        """Keep a blocking rule off packets a DNAT rule may have rewritten.

        PAN-OS matches a rule's destination address and service on the packet before NAT; the
        filter here sees it after. A packet whose translated header a DNAT rule can produce may
        have come to another address or port, which the rule need not block: such packets
        return from the rule's own chain before its rules, so the rule never blocks more than
        the device would (it may block less: a packet sent straight to a translated address,
        or one whose original address the rule names, is not blocked by it). A DNAT rule whose
        every original destination the rule names, without a port translation the rule's
        services could see, needs no such exception: the rule blocks its packets either way.
        """
        any_port = all(s.dports in (None, ALL_PORTS) for s in services)
        dst = next(
            (c.ranges for c in dst_conditions if isinstance(c, RangeMatch)), None
        )  # None: any destination (or none at all, when the rule matches nothing)
        if any(isinstance(c, Const) for c in dst_conditions):
            return rules
        spared: list[Rule] = []
        used: list[str] = []
        for nat in self.nat_rules:
            if nat.dnat is None:
                continue
            assert nat.dnat.addresses is not None
            if dst is not None and not _intersects((nat.dnat.addresses,), dst):
                continue
            pre = nat.destinations
            if (dst is None or (pre is not None and _within(pre, dst))) and (
                nat.dnat.ports is None or any_port
            ):
                continue  # the rule names the original destination too: it blocks them alike
            if (
                from_ifaces is not None
                and nat.from_ifaces is not None
                and not set(from_ifaces) & set(nat.from_ifaces)
            ):
                continue
            nat_location = SourceLocation(
                self.source,
                node.line,
                node.text,
                f"rule {name} (not for packets DNAT rule {nat.name} may have rewritten)",
            )
            conditions: list[Condition] = [
                self.intern(RangeMatch(Field.DST, (nat.dnat.addresses,)))
            ]
            if nat.from_ifaces is not None:
                conditions.append(self.intern(InterfaceMatch("in", nat.from_ifaces)))
            if nat.sources is not None:
                conditions.append(
                    self.intern(RangeMatch(Field.SRC, nat.sources, negated=nat.negate_source))
                )
            for service in nat.services:
                if nat.dnat.ports is not None:
                    service = _Service(service.proto, (nat.dnat.ports,), None, service.icmp_type)
                spared.append(
                    Rule(
                        tuple(dict.fromkeys([*conditions, *self.service_conditions(service)])),
                        Verdict.RETURN,
                        nat_location,
                    )
                )
            used.append(nat.name)
        if not spared:
            return rules
        chain = f"rule {name}"
        while ("filter", chain) in self.extra_chains:
            chain += "'"
        self.extra_chains[("filter", chain)] = Chain(
            "filter", chain, (*spared, *rules), None, location
        )
        self.assumptions.append(
            f"Rule {name} ({self.where(node)}) blocks destinations and services as written "
            "before NAT; the verifier sees packets after destination NAT, so the rule is taken "
            f"as not matching any packet whose header DNAT rule {', '.join(used)} could have "
            "produced (from its zones and sources, to its translated address and port): such a "
            "packet may have been sent to another address or port. The rule may therefore "
            "block less than the device does, never more."
        )
        return [Rule((), Jump(chain), location)]

    def zone_pairs(
        self,
        kind: str,
        from_names: list[str],
        to_names: list[str],
        from_ifaces: tuple[str, ...] | None,
        to_ifaces: tuple[str, ...] | None,
        found: dict[str, _Node],
        label: str,
    ) -> list[tuple[tuple[str, ...] | None, tuple[str, ...] | None]]:
        if kind == "universal":
            return [(from_ifaces, to_ifaces)]
        # an undefined zone has no interfaces: its rules stay, matching nothing
        froms = list(self.zones) if "any" in from_names else from_names
        tos = list(self.zones) if "any" in to_names else to_names
        pairs: list[tuple[tuple[str, ...] | None, tuple[str, ...] | None]] = []
        for zone in froms:
            members = self.zones.get(zone, ())
            if kind == "intrazone":
                if zone in tos:
                    pairs.append((members, members))
            else:
                others = tuple(i for z in tos if z != zone for i in self.zones.get(z, ()))
                pairs.append((members, others))
        return pairs

    def service_conditions(self, service: _Service) -> list[Condition]:
        out: list[Condition] = []
        if service.proto is not None:
            out.append(self.intern(RangeMatch(Field.PROTO, ((service.proto, service.proto),))))
        if service.dports is not None and service.dports != ALL_PORTS:
            out.append(self.intern(RangeMatch(Field.DPORT, service.dports)))
        if service.sports is not None and service.sports != ALL_PORTS:
            out.append(self.intern(RangeMatch(Field.SPORT, service.sports)))
        if service.icmp_type is not None:
            t = service.icmp_type
            out.append(self.intern(RangeMatch(Field.ICMP_TYPE, ((t, t),))))
        return out

    def destination_variants(
        self,
        name: str,
        node: _Node,
        destinations: tuple[Interval, ...] | None,
        negate: bool,
        services: tuple[_Service, ...],
        from_ifaces: tuple[str, ...] | None,
        *,
        allow: bool = True,
    ) -> list[tuple[list[Condition], tuple[_Service, ...]]]:
        """The rule's destination as seen in FORWARD, after destination NAT.

        PAN-OS matches a security rule's destination before NAT. The filter here runs after
        destination NAT, so a packet a DNAT rule rewrote matches when the DNAT rule could have
        received it at one of the rule's destinations: the variant checks the translated
        address (and port), the DNAT rule's source and ingress interfaces. A packet sent
        straight to a translated address matches these variants too, which only an allow rule
        may do (it can only allow more than the device): a blocking rule has no variants.
        """
        dst: tuple[Interval, ...] | None = destinations
        if dst is not None and negate:
            dst = _complement(dst)
        elif dst is None and negate:
            dst = ()
        base: list[Condition] = []
        if dst is not None:
            base.append(
                self.intern(RangeMatch(Field.DST, dst))
                if dst
                else self.intern(Const(False, "no address"))
            )
        variants: list[tuple[list[Condition], tuple[_Service, ...]]] = [(base, services)]
        used: list[str] = []
        for nat in self.nat_rules if allow else ():
            if nat.dnat is None:
                continue
            pre = nat.destinations if nat.destinations is not None else ((0, MAX_ADDRESS),)
            if dst is not None and not _intersects(pre, dst):
                continue
            if dst is None and nat.dnat.ports is None:
                continue  # any destination and the port unchanged: the base variant matches
            if (
                from_ifaces is not None
                and nat.from_ifaces is not None
                and not set(from_ifaces) & set(nat.from_ifaces)
            ):
                continue  # the DNAT rule takes packets from other zones
            conditions: list[Condition] = []
            assert nat.dnat.addresses is not None
            conditions.append(self.intern(RangeMatch(Field.DST, (nat.dnat.addresses,))))
            if nat.from_ifaces is not None:
                conditions.append(self.intern(InterfaceMatch("in", nat.from_ifaces)))
            if nat.sources is not None:
                conditions.append(
                    self.intern(RangeMatch(Field.SRC, nat.sources, negated=nat.negate_source))
                )
            translated: list[_Service] = []
            for service in services:
                for nat_service in nat.services:
                    both = _intersect_service(service, nat_service)
                    if both is None:
                        continue
                    if nat.dnat.ports is not None:
                        both = _Service(both.proto, (nat.dnat.ports,), both.sports, both.icmp_type)
                    translated.append(both)
            variant = (conditions, tuple(dict.fromkeys(translated)))
            if translated and variant not in variants:
                variants.append(variant)
                used.append(nat.name)
        if used:
            self.assumptions.append(
                f"Rule {name} ({self.where(node)}) names destinations before NAT; it is matched "
                "after destination NAT on its own destinations and on the addresses DNAT rule "
                f"{', '.join(used)} translates into (a packet sent directly to a translated "
                "address is taken to match it too)."
            )
        rewritten = [
            nat.name
            for nat in self.nat_rules
            if allow
            and nat.dnat is not None
            and nat.dnat.addresses is not None
            and (dst is None or _intersects((nat.dnat.addresses,), dst))
            and not (
                dst is None or (nat.destinations is not None and _within(nat.destinations, dst))
            )
            and (
                from_ifaces is None
                or nat.from_ifaces is None
                or bool(set(from_ifaces) & set(nat.from_ifaces))
            )
        ]
        if rewritten:
            self.assumptions.append(
                f"Rule {name} ({self.where(node)}) allows packets that DNAT rule "
                f"{', '.join(rewritten)} rewrote into its destinations too, although PAN-OS "
                "matches their original destination (an over-approximation)."
            )
        return variants

    def default_rules(self, defaults: _Node | None, zoned: tuple[str, ...]) -> list[Rule]:
        actions = {"intrazone-default": Verdict.ACCEPT, "interzone-default": Verdict.DROP}
        nodes: dict[str, _Node] = {}
        if defaults is not None:
            for key, child in defaults.children.items():
                self.spread(child, RULE_FIELDS | {"action"})
                if key not in actions:
                    raise self.fail(
                        child,
                        f"unknown default rule '{key}'",
                        "use intrazone-default or interzone-default",
                    )
                nodes[key] = child
                found = self.fields(child, key, {"action"})
                action_node = found.get("action")
                if action_node is not None:
                    verdict = _security_action(action_node.last() or "")
                    if verdict is None:
                        raise self.fail(action_node, f"{key}: unknown action", "use allow or deny")
                    actions[key] = verdict
        out: list[Rule] = []
        for zone, members in self.zones.items():
            node = nodes.get("intrazone-default", self.zone_nodes[zone])
            location = SourceLocation(self.source, node.line, node.text, "rule intrazone-default")
            if members:
                inside = self.intern(InterfaceMatch("in", members))
                outside = self.intern(InterfaceMatch("out", members))
                out.append(Rule((inside, outside), actions["intrazone-default"], location))
        inter = nodes.get("interzone-default")
        location = SourceLocation(
            self.source,
            inter.line if inter else 1,
            inter.text if inter else "",
            "rule interzone-default",
        )
        out.append(
            Rule(
                (
                    self.intern(InterfaceMatch("in", zoned)),
                    self.intern(InterfaceMatch("out", zoned)),
                ),
                actions["interzone-default"],
                location,
            )
        )
        return out

    # -- application override and NAT ------------------------------------------------------

    def read_overrides(self, rules: _Node | None) -> None:
        known = {"from", "to", "source", "destination", "protocol", "port", "application",
                 "disabled", "negate-source", "negate-destination"}  # fmt: skip
        for name, node in rules.children.items() if rules is not None else []:
            self.spread(node, known | RULE_FIELDS)
            if _yes(node.get("disabled")):
                self.ignore(node, "disabled rules")
                continue
            found = self.fields(node, f"application-override rule {name}", known)
            app = found["application"].last() if "application" in found else None
            proto = found["protocol"].last() if "protocol" in found else None
            if app is None or proto not in ("tcp", "udp") or "port" not in found:
                raise self.fail(
                    node,
                    f"application-override rule {name} needs protocol tcp|udp, port and "
                    "application",
                    "add the missing field",
                )
            service = _Service(PROTOCOLS[proto], self.port_list(found["port"], name))
            self.overrides.setdefault(app, []).append((name, node, service))

    def read_nat(self, rules: _Node) -> None:
        known = {"from", "to", "source", "destination", "service", "source-translation",
                 "destination-translation", "disabled", "to-interface", "negate-source",
                 "negate-destination"}  # fmt: skip
        for name, node in rules.children.items():
            label = f"NAT rule {name}"
            self.spread(node, known | RULE_FIELDS)
            if _yes(node.get("disabled")):
                self.ignore(node, "disabled rules")
                continue
            nat_type = node.get("nat-type")
            if nat_type is not None and nat_type.last() not in (None, "ipv4"):
                self.ignore(node, "IPv6 NAT rules (nat64, nptv6)")
                continue
            found = self.fields(node, label, known)
            if _yes(found.get("negate-destination")):
                raise self.unsupported(
                    found["negate-destination"], f"negate-destination in {label}"
                )

            values = _values_of(found)
            from_ifaces = self.zone_ifaces(values("from"), found.get("from", node), label)
            to_names = values("to")
            to_zones = None if not to_names or "any" in to_names else tuple(to_names)
            for zone in to_zones or ():
                if zone not in self.zones:
                    self.note_undefined_zone(zone, found["to"], label)
            to_iface = found["to-interface"].last() if "to-interface" in found else None
            if to_iface == "any":
                to_iface = None
            sources = self.addresses(values("source"), found.get("source", node), label)
            destinations = self.addresses(
                values("destination"), found.get("destination", node), label
            )
            service_names = values("service")
            services = self.services(service_names, found.get("service", node), label)
            if services is None:
                raise self.fail(
                    found["service"],
                    f"{label}: application-default is not a NAT service",
                    "use any or a service",
                )
            snat = self.source_translation(found.get("source-translation"), label)
            dnat = self.destination_translation(found.get("destination-translation"), label)
            self.nat_rules.append(
                _NatRule(
                    name,
                    node,
                    from_ifaces,
                    to_zones,
                    to_iface,
                    sources,
                    _yes(found.get("negate-source")),
                    destinations,
                    services,
                    snat,
                    dnat,
                )
            )

    def translated(self, node: _Node, label: str) -> Interval:
        names = node.names()
        ranges: list[Interval] = []
        for name in names:
            ranges.extend(self.address(name, node, label, ()))
        merged = _merge(ranges)
        if not merged:
            raise self.fail(node, f"{label}: no IPv4 translated address", "name an IPv4 address")
        if len(merged) > 1:
            self.assumptions.append(
                f"{label} ({self.where(node)}) translates into several address ranges; "
                "the first is taken."
            )
        return merged[0]

    def source_translation(self, node: _Node | None, label: str) -> Nat | None:
        if node is None or not node.children:
            return None
        kind, child = next(iter(node.children.items()))
        if kind in ("dynamic-ip-and-port", "dynamic-ip"):
            address = child.get("translated-address")
            if address is not None:
                return Nat("snat", self.translated(address, label))
            interface = child.get("interface-address")
            if interface is not None:
                name_node = interface.get("interface")
                name = name_node.last() if name_node is not None else None
                ip = interface.get("ip")
                if ip is not None and ip.last():
                    value = (ip.last() or "").split("/")[0]
                    try:
                        return Nat("snat", (parse_address(value), parse_address(value)))
                    except ValueError:
                        pass
                if name is not None and name in self.iface_address:
                    address_value = self.iface_address[name][0]
                    return Nat("snat", (address_value, address_value))
                return Nat("masquerade")
            raise self.fail(
                child, f"{label}: source translation without an address", "add translated-address"
            )
        if kind == "static-ip":
            bidirectional = child.get("bi-directional")
            if bidirectional is not None and _yes(bidirectional):
                raise self.unsupported(bidirectional, f"bi-directional static NAT in {label}")
            address = child.get("translated-address")
            if address is None:
                raise self.fail(child, f"{label}: static-ip without translated-address", "add it")
            return Nat("snat", self.translated(address, label))
        raise self.unsupported(child, f"source translation '{kind}' in {label}")

    def destination_translation(self, node: _Node | None, label: str) -> Nat | None:
        if node is None:
            return None
        _spread(node, LEAF_FIELDS)
        address = node.get("translated-address")
        if address is None:
            raise self.fail(
                node, f"{label}: destination translation without translated-address", "add it"
            )
        port: Interval | None = None
        port_node = node.get("translated-port")
        if port_node is not None:
            value = port_node.last() or ""
            if not value.isdigit() or int(value) > MAX_PORT:
                raise self.fail(
                    port_node, f"{label}: bad translated port '{value}'", "write 1-65535"
                )
            port = (int(value), int(value))
        for key, child in node.children.items():
            if key not in ("translated-address", "translated-port"):
                raise self.unsupported(child, f"destination translation option '{key}' in {label}")
        return Nat("dnat", self.translated(address, label), port)

    def zone_destinations(self, zones: tuple[str, ...]) -> tuple[Interval, ...]:
        """Addresses the device's own routes send into the zones: PAN-OS's pre-NAT to-zone."""
        members = {i for z in zones for i in self.zones.get(z, ())}
        entries: list[tuple[int, Interval, str]] = []
        for iface in self.interfaces:
            if iface.address is not None and iface.prefix_length is not None:
                rng = prefix_range(iface.address, iface.prefix_length)
                entries.append((iface.prefix_length, rng, iface.name))
        for route in self.routes:
            name = route.interface
            if name is None and route.via is not None:
                name = next(
                    (
                        i.name
                        for i in self.interfaces
                        if i.address is not None
                        and i.prefix_length is not None
                        and prefix_range(i.address, i.prefix_length)[0]
                        <= route.via
                        <= prefix_range(i.address, i.prefix_length)[1]
                    ),
                    None,
                )
            if name is not None:
                entries.append((route.prefix[1], prefix_range(*route.prefix), name))
        painted: list[tuple[int, int, str]] = []
        for _, (lo, hi), name in sorted(entries, key=lambda e: e[0]):
            painted = _paint(painted, lo, hi, name)
        return _merge([(lo, hi) for lo, hi, name in painted if name in members])

    def nat_chains(self) -> tuple[tuple[Rule, ...], tuple[Rule, ...]]:
        pre: list[Rule] = []
        post: list[Rule] = []
        approximate = False
        unknown: list[str] = []
        unrouted: list[str] = []
        for nat in self.nat_rules:
            location = SourceLocation(self.source, nat.node.line, nat.node.text, f"rule {nat.name}")
            common: list[Condition] = []
            if nat.from_ifaces is not None:
                common.append(self.intern(InterfaceMatch("in", nat.from_ifaces)))
            if nat.sources is not None:
                common.append(
                    self.intern(RangeMatch(Field.SRC, nat.sources, negated=nat.negate_source))
                )
            # PREROUTING: the pre-NAT destination and the zone routes send it to
            dst_pre: list[Condition] = []
            if nat.destinations is not None:
                dst_pre.append(self.intern(RangeMatch(Field.DST, nat.destinations)))
            if nat.to_zones is not None:
                routed = self.zone_destinations(nat.to_zones)
                if self.dynamic_routing:
                    unknown.append(nat.name)  # any destination may be routed into the zone
                elif not routed:
                    unrouted.append(nat.name)  # a route the configuration does not show
                else:
                    dst_pre.append(self.intern(RangeMatch(Field.DST, routed)))
            pre_action: Outcome = nat.dnat if nat.dnat is not None else Verdict.ACCEPT
            for service in nat.services:
                conditions = [*common, *dst_pre, *self.service_conditions(service)]
                pre.append(Rule(tuple(conditions), pre_action, location))
            # POSTROUTING: the outgoing zone; a DNAT rule's packets carry the translated header
            out_conditions: list[Condition] = []
            if nat.to_zones is not None and nat.dnat is None:
                members = tuple(i for z in nat.to_zones for i in self.zones.get(z, ()))
                out_conditions.append(self.intern(InterfaceMatch("out", members)))
            if nat.to_iface is not None:
                out_conditions.append(self.intern(InterfaceMatch("out", (nat.to_iface,))))
            post_action: Outcome = nat.snat if nat.snat is not None else Verdict.ACCEPT
            services = nat.services
            if nat.dnat is not None:
                assert nat.dnat.addresses is not None
                out_conditions.append(self.intern(RangeMatch(Field.DST, (nat.dnat.addresses,))))
                if nat.dnat.ports is not None:
                    services = tuple(
                        _Service(s.proto, (nat.dnat.ports,), s.sports, s.icmp_type)
                        for s in services
                    )
                approximate = True
            elif nat.destinations is not None:
                out_conditions.append(self.intern(RangeMatch(Field.DST, nat.destinations)))
            for service in services:
                conditions = [*common, *out_conditions, *self.service_conditions(service)]
                post.append(Rule(tuple(conditions), post_action, location))
        self.assumptions.append(
            "NAT rules are matched in order on the original packet, their to-zone by the "
            "device's own connected and static routes where it has them; destination "
            "translation happens before routing and the security rules, source translation "
            "after them."
            + (
                " A rule that translates the destination is found again for source "
                "translation by the translated address."
                if approximate
                else ""
            )
        )
        if unknown:
            where = ", ".join(self.where(n) for n in self.dynamic_routing)
            self.assumptions.append(
                f"The device may learn routes its configuration does not show (dynamic "
                f"routing or DHCP: {where}), so it does not say which destinations lie in the "
                f"to-zone of NAT rule {', '.join(unknown)}; the "
                "rule is taken as applying whatever zone the packet is routed to."
            )
        if unrouted:
            self.assumptions.append(
                "No connected or static route of the configuration leads into the to-zone of "
                f"NAT rule {', '.join(unrouted)}; rather than never applying it, the rule is "
                "taken as applying whatever zone the packet is routed to."
            )
        return tuple(pre), tuple(post)


# -- helpers -------------------------------------------------------------------------------------


def _spread(entry: _Node, leaves: set[str]) -> None:
    """Undo the nesting of a ``set`` line that gives several fields of one entry.

    ``set rulebase security rules R from trust to dmz`` is read as the path ``from trust to
    dmz``; fields in ``leaves`` take plain values, so what follows a value is another field of
    the entry: move it up, until no value of a leaf field has children.
    """
    changed = True
    while changed:
        changed = False
        for key in list(entry.children):
            if key not in leaves:
                continue
            for value in list(entry.children[key].children.values()):
                if value.children:
                    for name, moved in value.children.items():
                        _merge_node(entry, name, moved)
                    value.children = {}
                    changed = True


def _merge_node(parent: _Node, name: str, node: _Node) -> None:
    existing = parent.children.get(name)
    if existing is None:
        parent.children[name] = node
        return
    existing.seq = max(existing.seq, node.seq)
    for child_name, child in node.children.items():
        _merge_node(existing, child_name, child)


def _values_of(found: dict[str, _Node]) -> Callable[[str], list[str]]:
    def values(key: str) -> list[str]:
        item = found.get(key)
        return item.names() if item is not None else []

    return values


def _has_rules(node: _Node | None) -> bool:
    if node is None:
        return False
    return any(
        child.get("rules") is not None and child.get("rules").children  # type: ignore[union-attr]
        for child in node.children.values()
    )


def _yes(node: _Node | None) -> bool:
    return node is not None and node.last() == "yes"


def _security_action(text: str) -> Verdict | None:
    if text == "allow":
        return Verdict.ACCEPT
    if text in ("deny", "drop"):
        return Verdict.DROP
    if text in ("reset-client", "reset-server", "reset-both"):
        return Verdict.REJECT
    return None


def _redact(text: str) -> str:
    words = text.split()
    for i, word in enumerate(words[:-1]):
        if word in REDACT:
            words[i + 1] = "***"
    return " ".join(words) if any(w in REDACT for w in words) else text


def _prefix(text: str) -> tuple[int, int] | None:
    address, _, length = text.strip().partition("/")
    try:
        value = parse_address(address)
    except ValueError:
        return None
    if length and not (length.isdigit() and int(length) <= 32):
        return None
    bits = int(length) if length else 32
    mask = (MAX_ADDRESS << (32 - bits)) & MAX_ADDRESS
    return value & mask, bits


def _interface_prefix(text: str) -> tuple[int, int] | None:
    address, _, length = text.strip().partition("/")
    try:
        value = parse_address(address)
    except ValueError:
        return None
    if length and not (length.isdigit() and int(length) <= 32):
        return None
    return value, int(length) if length else 32


def _range(text: str) -> Interval | None:
    first, sep, last = text.strip().partition("-")
    if not sep:
        return None
    try:
        lo, hi = parse_address(first), parse_address(last)
    except ValueError:
        return None
    return (lo, hi) if lo <= hi else None


def _literal_range(text: str) -> Interval | None:
    """An address written in the rule: a.b.c.d, a.b.c.d/len or a range; (-1, -1) for IPv6."""
    if ":" in text and re.fullmatch(r"[0-9a-fA-F:./]+", text):
        return (-1, -1)
    if "-" in text:
        return _range(text)
    prefix = _prefix(text)
    return prefix_range(*prefix) if prefix is not None else None


def _merge(ranges: list[Interval] | tuple[Interval, ...]) -> tuple[Interval, ...]:
    out: list[Interval] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return tuple(out)


def _complement(ranges: tuple[Interval, ...]) -> tuple[Interval, ...]:
    out: list[Interval] = []
    start = 0
    for lo, hi in _merge(ranges):
        if lo > start:
            out.append((start, lo - 1))
        start = hi + 1
    if start <= MAX_ADDRESS:
        out.append((start, MAX_ADDRESS))
    return tuple(out)


def _intersects(a: tuple[Interval, ...], b: tuple[Interval, ...]) -> bool:
    return any(lo1 <= hi2 and lo2 <= hi1 for lo1, hi1 in a for lo2, hi2 in b)


def _within(a: tuple[Interval, ...], b: tuple[Interval, ...]) -> bool:
    """Every address of ``a`` lies in ``b``."""
    merged = _merge(b)
    return all(any(lo2 <= lo1 and hi1 <= hi2 for lo2, hi2 in merged) for lo1, hi1 in _merge(a))


def _cut(
    a: tuple[Interval, ...] | None, b: tuple[Interval, ...] | None
) -> tuple[Interval, ...] | None:
    """Intersection of port lists; None is every port; () is none."""
    if a is None:
        return b
    if b is None:
        return a
    out = [
        (max(lo1, lo2), min(hi1, hi2))
        for lo1, hi1 in a
        for lo2, hi2 in b
        if max(lo1, lo2) <= min(hi1, hi2)
    ]
    return _merge(out)


def _intersect_service(a: _Service, b: _Service) -> _Service | None:
    if a.proto is not None and b.proto is not None and a.proto != b.proto:
        return None
    proto = a.proto if a.proto is not None else b.proto
    dports = _cut(a.dports, b.dports)
    sports = _cut(a.sports, b.sports)
    if dports == () or sports == ():
        return None
    if a.icmp_type is not None and b.icmp_type is not None and a.icmp_type != b.icmp_type:
        return None
    icmp_type = a.icmp_type if a.icmp_type is not None else b.icmp_type
    return _Service(proto, dports, sports, icmp_type)


def _paint(
    painted: list[tuple[int, int, str]], lo: int, hi: int, name: str
) -> list[tuple[int, int, str]]:
    """Overwrite [lo, hi] with ``name`` in a list of disjoint labelled intervals."""
    out: list[tuple[int, int, str]] = []
    for a, b, label in painted:
        if b < lo or a > hi:
            out.append((a, b, label))
            continue
        if a < lo:
            out.append((a, lo - 1, label))
        if b > hi:
            out.append((hi + 1, b, label))
    out.append((lo, hi, name))
    return sorted(out)


def _describe(service: _Service) -> str:
    if service.proto is None:
        return "any protocol"
    name = {TCP: "tcp", UDP: "udp", ICMP: "icmp", SCTP: "sctp"}.get(
        service.proto, f"protocol {service.proto}"
    )
    if service.icmp_type is not None:
        return f"{name} type {service.icmp_type}"
    if service.dports is None or service.dports == ALL_PORTS:
        return f"every {name} port" if service.proto in (TCP, UDP, SCTP) else f"every {name} packet"
    ports = ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in service.dports)
    return f"{name} port {ports}"


def _detect(text: str) -> str:
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("<"):
            return "xml"
        if line.startswith("set ") or line == "set":
            return "set"
        return "braces"
    return "set"


def parse(text: str, *, source: str) -> Ruleset:
    """Parse a PAN-OS configuration (XML, ``set`` commands or brace hierarchy)."""
    text = text.lstrip("\ufeff")
    kind = _detect(text)
    tree = _Tree(source, kind)
    if kind == "xml":
        _XmlBuilder(text, source, tree).run(text)
    elif kind == "set":
        _read_set(text, source, tree)
    else:
        _read_braces(text, source, tree)
        _normalise_braces(tree)
        if "devices" not in tree.root.children and "shared" not in tree.root.children:
            first = next((n for n in tree.root.children.values()), None)
            line = first.line if first is not None else 1
            raise _error(
                source,
                line,
                first.text if first is not None else "",
                "not a PAN-OS configuration (no 'config { devices … }', no 'set' commands, no XML)",
                "give 'show config running' in XML, set or hierarchy format",
                "PAN-OS の設定ではない",
            )
    return _Reader(source, tree).run()
