"""Read ``nft -j list ruleset`` output (nftables JSON, schema version 1) into a :class:`Ruleset`.

Tables of family ``ip`` and ``inet`` are verified; ``ip6``, ``arp`` and ``bridge`` tables are
listed as ignored (IPv4 routed traffic is verified). Base chains of type ``filter``, ``route``
and ``nat`` are attached to their hook at their priority. Supported expressions: ``ip
saddr/daddr/protocol``, ``tcp/udp/th/sctp sport/dport``, ``tcp flags``, ``icmp type/code``,
``meta l4proto/iifname/oifname/iif/oif/nfproto/protocol``, ``ct state``, anonymous and named
sets, prefixes, ranges, comparisons, verdict maps, and the statements ``accept``, ``drop``,
``reject``, ``return``, ``jump``, ``goto``, ``continue``, ``snat``, ``dnat``, ``masquerade``,
``redirect``. ``counter``, ``log``, packet marking and flow offload are listed as ignored.

``nft -j`` writes the whole rule set on one line; errors and reports give the line (1 there,
the real line for pretty-printed files) and the rule's table, chain and handle.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from isms.segments.addresses import MAX_PORT, parse_address, prefix_range
from isms.segments.errors import ParseError, UnsupportedSyntax
from isms.segments.parsers.names import ICMP_TYPES, PROTOCOL_NAMES, PROTOCOLS, SERVICES
from isms.segments.rules import (
    Chain,
    Condition,
    Const,
    Field,
    FlagsMatch,
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

__all__ = ["FORMAT", "dump", "parse"]

FORMAT = "nftables-json"

HOOKS = {
    "prerouting": Hook.PREROUTING,
    "input": Hook.INPUT,
    "forward": Hook.FORWARD,
    "output": Hook.OUTPUT,
    "postrouting": Hook.POSTROUTING,
}
# Named priorities of nft(8) "CHAIN PRIORITIES".
PRIORITIES = {
    "raw": -300,
    "mangle": -150,
    "dstnat": -100,
    "filter": 0,
    "security": 50,
    "srcnat": 100,
}
IGNORED_FAMILIES = {
    "ip6": "IPv6 table (IPv4 is verified)",
    "arp": "ARP table (does not filter routed IPv4)",
    "bridge": "bridge table (bridged, not routed, traffic)",
}
PORT_L4 = {"tcp": (6,), "udp": (17,), "sctp": (132,), "dccp": (33,), "udplite": (136,)}
TH_PROTOCOLS = (6, 17, 33, 132, 136)
STATES = {"new", "established", "related", "invalid", "untracked"}
TCP_FLAG_NAMES = {"fin", "syn", "rst", "psh", "ack", "urg", "ecn", "cwr"}
IGNORED_OBJECTS = {
    "counter": "named counter",
    "quota": "named quota object (unused unless a rule refers to it)",
    "limit": "named limit object (unused unless a rule refers to it)",
    "ct helper": "conntrack helper object",
    "ct timeout": "conntrack timeout object",
    "ct expectation": "conntrack expectation object",
    "secmark": "security label",
    "flowtable": "flow offload table (only established connections are offloaded)",
}
HINT = (
    "rewrite the rule with supported expressions (ip saddr/daddr/protocol, tcp/udp/th ports, "
    "icmp type, meta l4proto/iifname/oifname, ct state, sets, verdict maps) or check this "
    "device by hand"
)

JsonObj = dict[str, Any]


@dataclass
class _Item:
    obj: JsonObj
    line: int
    index: int


@dataclass
class _ChainDraft:
    table: str
    name: str
    policy: Verdict | None
    location: SourceLocation
    rules: list[Rule] = field(default_factory=list)


def _line_text(text: str, line: int) -> str:
    lines = text.splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _items(text: str, source: str) -> list[_Item]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"not valid JSON: {exc.msg} (column {exc.colno})",
            source=source,
            line=exc.lineno,
            text=_line_text(text, exc.lineno),
            hint="export the rule set with 'nft -j list ruleset > FILE' and do not edit it by hand",
            message_ja=f"JSON として読めない: {exc.msg}（{exc.colno} 桁目）",
            hint_ja="'nft -j list ruleset > FILE' で書き出し、手で編集しないでください",
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("nftables"), list):
        raise ParseError(
            'the top level is not {"nftables": [...]}',
            source=source,
            line=1,
            text=_line_text(text, 1),
            hint="give the output of 'nft -j list ruleset'",
            message_ja='最上位が {"nftables": [...]} ではない',
        )
    objects: list[Any] = document["nftables"]
    lines = _element_lines(text, len(objects))
    return [_Item(obj, lines[i], i) for i, obj in enumerate(objects)]


def _element_lines(text: str, count: int) -> list[int]:
    """Return the line on which each element of the ``nftables`` array starts."""
    match = re.search(r'"nftables"\s*:\s*\[', text)
    fallback = [1] * count
    if match is None:
        return fallback
    decoder = json.JSONDecoder()
    position = match.end()
    starts: list[int] = []
    ws = re.compile(r"[\s,]*")
    for _ in range(count):
        position = ws.match(text, position).end()  # type: ignore[union-attr]
        try:
            _, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            return fallback
        starts.append(text.count("\n", 0, position) + 1)
        position = end
    return starts


class _Parser:
    def __init__(self, text: str, source: str):
        self.text = text
        self.source = source
        self.tables: dict[str, str] = {}
        self.chains: dict[tuple[str, str], _ChainDraft] = {}
        self.stages: list[Stage] = []
        self.sets: dict[tuple[str, str], tuple[JsonObj, _Item]] = {}
        self.ignored: dict[str, tuple[list[int], str]] = {}
        self.jumps: list[tuple[str, str, SourceLocation]] = []

    # -- errors and notes -------------------------------------------------------------------

    def text_of(self, item: _Item) -> str:
        return json.dumps(item.obj, ensure_ascii=False, separators=(",", ":"))

    def error(self, item: _Item, message: str, hint: str, message_ja: str = "") -> ParseError:
        return ParseError(
            f"{message} (nftables[{item.index}])",
            source=self.source,
            line=item.line,
            text=self.text_of(item),
            hint=hint,
            message_ja=(message_ja or message) + f"（nftables[{item.index}]）",
        )

    def unsupported(self, item: _Item, what: str) -> UnsupportedSyntax:
        return UnsupportedSyntax(
            f"{what} can change forwarding and is not modelled (nftables[{item.index}])",
            source=self.source,
            line=item.line,
            text=self.text_of(item),
            hint=HINT,
            message_ja=(
                f"{what} は転送の判定を変え得るが、検証器はこれを扱えない（nftables[{item.index}]）"
            ),
            hint_ja="対応している式で書き直すか、この機器を手作業で確認してください",
        )

    def ignore(self, item: _Item, reason: str) -> None:
        lines, _ = self.ignored.setdefault(reason, ([], self.text_of(item)[:200]))
        if item.line not in lines:
            lines.append(item.line)

    # -- driver -----------------------------------------------------------------------------

    def run(self) -> Ruleset:
        items = _items(self.text, self.source)
        for item in items:
            obj = item.obj
            if not isinstance(obj, dict) or len(obj) != 1:
                raise self.error(
                    item,
                    "each element must be an object with one key",
                    "give the output of 'nft -j list ruleset'",
                )
            kind, body = next(iter(obj.items()))
            if kind == "metainfo":
                continue
            if not isinstance(body, dict):
                raise self.error(
                    item, f"'{kind}' must hold an object", "give unedited nft -j output"
                )
            if kind == "table":
                self.table(item, body)
            elif kind == "chain":
                self.chain(item, body)
            elif kind == "rule":
                self.rule(item, body)
            elif kind in ("set", "map"):
                self.named_set(item, body)
            elif kind == "element":
                raise self.unsupported(item, "a separate 'element' command")
            elif kind in IGNORED_OBJECTS:
                self.ignore(item, IGNORED_OBJECTS[kind])
            else:
                raise self.unsupported(item, f"object '{kind}'")
        for table, target, location in self.jumps:
            if (table, target) not in self.chains:
                raise ParseError(
                    f"jump to chain {target}, which table {table} does not define",
                    source=self.source,
                    line=location.line,
                    text=location.text,
                    hint=f"add chain {target} to table {table}",
                    message_ja=f"テーブル {table} に存在しないチェイン {target} へのジャンプ",
                )
        chains = {
            key: Chain(d.table, d.name, tuple(d.rules), d.policy, d.location)
            for key, d in self.chains.items()
        }
        _check_loops(chains, self.source)
        ignored = tuple(
            IgnoredSection(self.source, tuple(lines), reason, example)
            for reason, (lines, example) in self.ignored.items()
        )
        return Ruleset(self.source, FORMAT, chains, tuple(self.stages), ignored)

    def table_key(self, item: _Item, body: JsonObj) -> tuple[str, str | None]:
        family, name = body.get("family"), body.get("table", body.get("name"))
        if not isinstance(family, str) or not isinstance(name, str):
            raise self.error(item, "missing 'family' or table name", "give unedited nft -j output")
        key = f"{family} {name}"
        if family in ("ip", "inet"):
            return key, None
        if family in IGNORED_FAMILIES:
            return key, IGNORED_FAMILIES[family]
        if family == "netdev":
            return key, "netdev"
        raise self.error(
            item, f"unknown family '{family}'", "families are ip, inet, ip6, arp, bridge, netdev"
        )

    def table(self, item: _Item, body: JsonObj) -> None:
        key, ignored = self.table_key(item, {**body, "table": body.get("name")})
        self.tables[key] = ignored or ""
        if ignored and ignored != "netdev":
            self.ignore(item, ignored)

    def chain(self, item: _Item, body: JsonObj) -> None:
        key, ignored = self.table_key(item, body)
        name = body.get("name")
        if not isinstance(name, str):
            raise self.error(item, "chain without a name", "give unedited nft -j output")
        hook_name = body.get("hook")
        if ignored == "netdev":
            if hook_name is not None:
                self.tables[f"{key} {name}"] = "netdev-base"
            self.ignore(item, "netdev table (rules in it are refused)")
            return
        if ignored:
            self.ignore(item, ignored)
            return
        policy: Verdict | None = None
        description = f"chain {key} {name}"
        if hook_name is not None:
            if hook_name not in HOOKS:
                if hook_name in ("ingress", "egress"):
                    self.tables[f"{key} {name}"] = "netdev-base"
                    self.ignore(item, f"{hook_name} hook chain (rules in it are refused)")
                    return
                raise self.error(
                    item,
                    f"unknown hook '{hook_name}'",
                    "hooks are prerouting, input, forward, output, postrouting",
                )
            policy_text = body.get("policy", "accept")
            if policy_text not in ("accept", "drop"):
                raise self.error(
                    item, f"unknown policy '{policy_text}'", "policies are accept and drop"
                )
            policy = Verdict(policy_text)
            priority = body.get("prio", 0)
            if isinstance(priority, str):
                if priority not in PRIORITIES:
                    raise self.error(item, f"unknown priority '{priority}'", "write a number")
                priority = PRIORITIES[priority]
            if not isinstance(priority, int):
                raise self.error(item, "priority is not a number", "write a number")
            chain_type = body.get("type", "filter")
            if chain_type not in ("filter", "nat", "route"):
                raise self.error(
                    item, f"unknown chain type '{chain_type}'", "types are filter, nat, route"
                )
            kind = StageKind.NAT if chain_type == "nat" else StageKind.FILTER
            self.stages.append(Stage(HOOKS[hook_name], priority, kind, key, name))
            description += (
                f" {{ type {chain_type} hook {hook_name} priority {priority}; "
                f"policy {policy.value}; }}"
            )
        location = SourceLocation(
            self.source, item.line, description, f"{key} {name} handle {body.get('handle')}"
        )
        self.chains[(key, name)] = _ChainDraft(key, name, policy, location)

    def named_set(self, item: _Item, body: JsonObj) -> None:
        key, ignored = self.table_key(item, body)
        name = body.get("name")
        if ignored or not isinstance(name, str):
            if ignored:
                self.ignore(item, ignored)
            return
        self.sets[(key, name)] = (body, item)

    # -- rules ------------------------------------------------------------------------------

    def rule(self, item: _Item, body: JsonObj) -> None:
        key, ignored = self.table_key(item, body)
        chain_name = body.get("chain")
        if self.tables.get(f"{key} {chain_name}") == "netdev-base":
            raise self.unsupported(item, f"a rule in {key} {chain_name} (ingress/egress hook)")
        if ignored:
            self.ignore(item, ignored if ignored != "netdev" else "netdev table")
            return
        draft = self.chains.get((key, str(chain_name)))
        if draft is None:
            raise self.error(
                item,
                f"rule for chain {chain_name}, which is not defined before it",
                "give unedited nft -j output (chains come before their rules)",
            )
        expr = body.get("expr")
        if not isinstance(expr, list):
            raise self.error(item, "rule without 'expr' list", "give unedited nft -j output")
        reader = _RuleReader(self, item, key)
        text = _describe(expr)
        comment = body.get("comment", "")
        location = SourceLocation(
            self.source, item.line, text, f"{key} {chain_name} handle {body.get('handle')}"
        )
        for conditions, action in reader.read(expr):
            if action is None:
                continue
            if isinstance(action, Jump):
                self.jumps.append((key, action.chain, location))
            draft.rules.append(Rule(tuple(conditions), action, location, str(comment or "")))


def _check_loops(chains: dict[tuple[str, str], Chain], source: str) -> None:
    state: dict[tuple[str, str], int] = {}
    for key in chains:
        if key not in state:
            _visit(key, chains, state, source)


def _visit(
    key: tuple[str, str],
    chains: dict[tuple[str, str], Chain],
    state: dict[tuple[str, str], int],
    source: str,
) -> None:
    # Module-level, not a recursive closure: that would be a reference cycle keeping the rule
    # base alive until the cyclic collector runs.
    state[key] = 1
    for rule in chains[key].rules:
        if isinstance(rule.action, Jump):
            target = (key[0], rule.action.chain)
            if state.get(target) == 1:
                raise ParseError(
                    f"jump to {target[1]} makes a loop of chains",
                    source=source,
                    line=rule.location.line,
                    text=rule.location.text,
                    hint="nft refuses loops; remove the jump that leads back",
                    message_ja="チェインのジャンプが循環している",
                )
            if target not in state:
                _visit(target, chains, state, source)
    state[key] = 2


class _RuleReader:
    """Turn one rule's statement list into (conditions, action) pairs (several for a vmap)."""

    def __init__(self, parser: _Parser, item: _Item, table: str):
        self.p = parser
        self.item = item
        self.table = table

    def fail(self, message: str, hint: str = "give unedited nft -j output") -> ParseError:
        return self.p.error(self.item, message, hint)

    def read(self, expr: list[Any]) -> list[tuple[list[Condition], Outcome | None]]:
        conditions: list[Condition] = []
        for statement in expr:
            if not isinstance(statement, dict) or len(statement) != 1:
                raise self.fail("each statement must be an object with one key")
            name, value = next(iter(statement.items()))
            if name == "match":
                conditions.extend(self.match(value))
            elif name in ("counter",):
                self.p.ignore(self.item, "packet and byte counters")
            elif name == "log":
                self.p.ignore(self.item, "logging")
            elif name == "mangle":
                self.mangle(value)
            elif name == "flow":
                self.p.ignore(self.item, "flow offload (only established connections)")
            elif name == "continue":
                continue
            elif name in ("accept", "drop", "return"):
                return [(conditions, Verdict(name))]
            elif name == "reject":
                return [(conditions, Verdict.REJECT)]
            elif name in ("jump", "goto"):
                return [(conditions, Jump(self.target(value), goto=name == "goto"))]
            elif name in ("snat", "dnat", "masquerade", "redirect"):
                return [(conditions, self.nat(name, value))]
            elif name == "vmap":
                return self.vmap(conditions, value)
            else:
                raise self.p.unsupported(self.item, f"statement '{name}'")
        return [(conditions, None)]

    def target(self, value: Any) -> str:
        if not isinstance(value, dict) or not isinstance(value.get("target"), str):
            raise self.fail("jump without a target chain")
        return str(value["target"])

    def mangle(self, value: Any) -> None:
        key = value.get("key") if isinstance(value, dict) else None
        if isinstance(key, dict) and (
            key.get("meta", {}).get("key") in ("mark", "priority")
            or key.get("ct", {}).get("key") == "mark"
        ):
            self.p.ignore(self.item, "packet marking (fwmark policy routing is not modelled)")
            return
        raise self.p.unsupported(self.item, "rewriting a header field ('mangle')")

    def nat(self, name: str, value: Any) -> Nat:
        body = value if isinstance(value, dict) else {}
        if "family" in body and body["family"] != "ip":
            raise self.p.unsupported(self.item, f"{name} for family {body['family']}")
        addresses: tuple[int, int] | None = None
        ports: tuple[int, int] | None = None
        if "addr" in body:
            ranges = self.values(Field.DST, body["addr"])
            if len(ranges) != 1:
                raise self.p.unsupported(self.item, f"{name} to a map or several ranges")
            addresses = ranges[0]
        if "port" in body:
            port_ranges = self.values(Field.DPORT, body["port"])
            if len(port_ranges) != 1:
                raise self.p.unsupported(self.item, f"{name} to several port ranges")
            ports = port_ranges[0]
        if name in ("snat", "dnat") and addresses is None:
            raise self.fail(f"{name} without an address", f"write '{name} to ADDRESS'")
        return Nat(name, addresses, ports)

    def vmap(
        self, conditions: list[Condition], value: Any
    ) -> list[tuple[list[Condition], Outcome | None]]:
        if not isinstance(value, dict):
            raise self.fail("vmap without key and data")
        data = value.get("data")
        if isinstance(data, str) and data.startswith("@"):
            entry = self.p.sets.get((self.table, data[1:]))
            if entry is None:
                raise self.fail(f"unknown map {data}", "define the map before the rule")
            body = entry[0]
            if body.get("map") != "verdict" or body.get("flags"):
                raise self.p.unsupported(self.item, f"map {data}")
            elements = body.get("elem", [])
        elif isinstance(data, dict) and isinstance(data.get("set"), list):
            elements = data["set"]
        else:
            raise self.fail("vmap data is neither a set nor @map")
        out: list[tuple[list[Condition], Outcome | None]] = []
        for element in elements:
            if not isinstance(element, list) or len(element) != 2:
                raise self.fail("vmap element is not [key, verdict]")
            key, verdict = element
            match = {"op": "==", "left": value.get("key"), "right": key}
            outcome = self.read([verdict])[0][1]
            out.append(([*conditions, *self.match(match)], outcome))
        return out

    # -- matches ----------------------------------------------------------------------------

    def match(self, value: Any) -> list[Condition]:
        if not isinstance(value, dict) or "left" not in value or "right" not in value:
            raise self.fail("match without left and right")
        op = value.get("op", "==")
        left, right = value["left"], value["right"]
        if op not in ("==", "!=", "in", "<", ">", "<=", ">="):
            raise self.p.unsupported(self.item, f"comparison '{op}'")
        negated = op == "!="
        if isinstance(left, dict) and "&" in left:
            return [self.flags(left["&"], op, right)]
        if isinstance(left, dict) and "payload" in left:
            return self.payload(left["payload"], op, right, negated)
        if isinstance(left, dict) and "meta" in left:
            return self.meta(left["meta"], op, right, negated)
        if isinstance(left, dict) and "ct" in left:
            ct = left["ct"]
            if ct.get("key") != "state":
                raise self.p.unsupported(self.item, f"ct {ct.get('key')}")
            states = self.words(right)
            bad = [s for s in states if s not in STATES]
            if bad:
                raise self.fail(
                    f"unknown ct state {bad[0]}",
                    "states are new, established, related, invalid, untracked",
                )
            return [StateMatch(frozenset(states), negated)]
        described = next(iter(left)) if isinstance(left, dict) and left else repr(left)
        raise self.p.unsupported(self.item, f"match on '{described}'")

    def payload(self, payload: Any, op: str, right: Any, negated: bool) -> list[Condition]:
        if not isinstance(payload, dict) or "protocol" not in payload:
            raise self.p.unsupported(self.item, "raw payload match")
        protocol, field_name = payload.get("protocol"), payload.get("field")
        if protocol in ("ip6", "icmpv6"):
            return [Const(False, f"{protocol} match on an IPv4 packet")]
        if protocol == "ip":
            fields = {"saddr": Field.SRC, "daddr": Field.DST, "protocol": Field.PROTO}
            if field_name not in fields:
                raise self.p.unsupported(self.item, f"ip {field_name}")
            return [self.range_match(fields[field_name], op, right, negated)]
        if protocol in PORT_L4 or protocol == "th":
            if field_name == "flags" and protocol == "tcp":
                return [
                    self.flags([{"payload": payload}, right], "in" if op == "in" else op, right)
                ]
            if field_name not in ("sport", "dport"):
                raise self.p.unsupported(self.item, f"{protocol} {field_name}")
            numbers = PORT_L4.get(str(protocol), TH_PROTOCOLS)
            proto = RangeMatch(Field.PROTO, tuple((n, n) for n in numbers))
            port_field = Field.SPORT if field_name == "sport" else Field.DPORT
            return [proto, self.range_match(port_field, op, right, negated)]
        if protocol == "icmp":
            if field_name not in ("type", "code"):
                raise self.p.unsupported(self.item, f"icmp {field_name}")
            icmp_field = Field.ICMP_TYPE if field_name == "type" else Field.ICMP_CODE
            return [
                RangeMatch(Field.PROTO, ((1, 1),)),
                self.range_match(icmp_field, op, right, negated),
            ]
        raise self.p.unsupported(self.item, f"{protocol} {field_name}")

    def meta(self, meta: Any, op: str, right: Any, negated: bool) -> list[Condition]:
        key = meta.get("key") if isinstance(meta, dict) else None
        if key == "l4proto":
            return [self.range_match(Field.PROTO, op, right, negated)]
        if key in ("iifname", "oifname", "iif", "oif"):
            if op not in ("==", "!=", "in"):
                raise self.p.unsupported(self.item, f"meta {key} {op}")
            direction = "in" if key.startswith("i") else "out"
            return [InterfaceMatch(direction, tuple(self.words(right)), negated)]
        if key in ("nfproto", "protocol"):
            values = self.words(right)
            ipv4 = "ipv4" in values or "ip" in values
            return [Const(ipv4 != negated, f"meta {key}")]
        raise self.p.unsupported(self.item, f"meta {key}")

    def flags(self, operands: Any, op: str, right: Any) -> FlagsMatch:
        if (
            not isinstance(operands, list)
            or len(operands) != 2
            or operands[0] != {"payload": {"protocol": "tcp", "field": "flags"}}
        ):
            raise self.p.unsupported(self.item, "bitwise match other than tcp flags")
        mask = self.flag_set(operands[1])
        value = self.flag_set(right)
        if op == "in":
            # "tcp flags syn": some of the flags are set; exact for a single flag.
            if len(value) != 1:
                raise self.p.unsupported(self.item, "tcp flags with several flags and no mask")
            return FlagsMatch(value, value)
        if op not in ("==", "!="):
            raise self.p.unsupported(self.item, f"tcp flags {op}")
        return FlagsMatch(mask, value, op == "!=")

    def flag_set(self, value: Any) -> frozenset[str]:
        if isinstance(value, dict) and "|" in value:
            value = value["|"]
        words = self.words(value)
        bad = [w for w in words if w not in TCP_FLAG_NAMES]
        if bad:
            raise self.fail(
                f"unknown tcp flag {bad[0]}", "flags are fin syn rst psh ack urg ecn cwr"
            )
        return frozenset(words)

    def words(self, value: Any) -> list[str]:
        if isinstance(value, dict) and "set" in value:
            value = value["set"]
        if isinstance(value, str) and value.startswith("@"):
            return [str(v) for v in self.named_elements(value)]
        if isinstance(value, list):
            return [str(v) for v in value]
        return [str(value)]

    def range_match(self, field_: Field, op: str, right: Any, negated: bool) -> RangeMatch:
        ranges = self.values(field_, right)
        if op in ("<", ">", "<=", ">="):
            if len(ranges) != 1 or ranges[0][0] != ranges[0][1]:
                raise self.fail(f"'{op}' needs a single value")
            value = ranges[0][0]
            top = (1 << {Field.SRC: 32, Field.DST: 32, Field.PROTO: 8}.get(field_, 16)) - 1
            bounds = {
                "<": (0, value - 1),
                "<=": (0, value),
                ">": (value + 1, top),
                ">=": (value, top),
            }
            lo, hi = bounds[op]
            return RangeMatch(field_, ((lo, hi),) if lo <= hi else ())
        return RangeMatch(field_, tuple(ranges), negated)

    def named_elements(self, reference: str) -> list[Any]:
        entry = self.p.sets.get((self.table, reference[1:]))
        if entry is None:
            raise self.fail(
                f"unknown set {reference}", "define the set before the rule that uses it"
            )
        body, _ = entry
        flags = body.get("flags", [])
        flags = [flags] if isinstance(flags, str) else flags
        if "dynamic" in flags or "timeout" in flags or "map" in body:
            raise self.p.unsupported(
                self.item, f"set {reference} whose content changes at run time"
            )
        if isinstance(body.get("type"), list):
            raise self.p.unsupported(self.item, f"concatenated set {reference}")
        elements = body.get("elem", [])
        return list(elements) if isinstance(elements, list) else [elements]

    def values(self, field_: Field, right: Any) -> list[tuple[int, int]]:
        if isinstance(right, str) and right.startswith("@"):
            right = {"set": self.named_elements(right)}
        if isinstance(right, dict) and "set" in right:
            elements = right["set"]
            if not isinstance(elements, list):
                elements = [elements]
            out: list[tuple[int, int]] = []
            for element in elements:
                out.extend(self.values(field_, element))
            return out
        if isinstance(right, list):
            out = []
            for element in right:
                out.extend(self.values(field_, element))
            return out
        if isinstance(right, dict) and "elem" in right:
            return self.values(field_, right["elem"].get("val"))
        if isinstance(right, dict) and "prefix" in right:
            prefix = right["prefix"]
            if field_ not in (Field.SRC, Field.DST):
                raise self.fail("prefix on a non-address field")
            if ":" in str(prefix.get("addr", "")):
                return []
            try:
                start = parse_address(str(prefix["addr"]))
                length = int(prefix["len"])
                if not 0 <= length <= 32:
                    raise ValueError(length)
            except (KeyError, ValueError):
                raise self.fail(
                    f"bad prefix {prefix}", 'write {"prefix": {"addr": "a.b.c.d", "len": N}}'
                ) from None
            return [prefix_range(start, length)]
        if isinstance(right, dict) and "range" in right:
            pair = right["range"]
            if not isinstance(pair, list) or len(pair) != 2:
                raise self.fail("range needs two values")
            lows = self.values(field_, pair[0])
            highs = self.values(field_, pair[1])
            if not lows or not highs:
                return []
            return [(lows[0][0], highs[0][1])]
        return [self.scalar(field_, right)] if self.scalar_ok(field_, right) else []

    def scalar_ok(self, field_: Field, value: Any) -> bool:
        # IPv6 addresses inside an inet set never match IPv4 packets.
        return not (field_ in (Field.SRC, Field.DST) and isinstance(value, str) and ":" in value)

    def scalar(self, field_: Field, value: Any) -> tuple[int, int]:
        try:
            if field_ in (Field.SRC, Field.DST):
                number = parse_address(str(value))
            elif field_ is Field.PROTO:
                number = value if isinstance(value, int) else PROTOCOLS[str(value)]
            elif field_ in (Field.SPORT, Field.DPORT):
                number = value if isinstance(value, int) else SERVICES[str(value)]
                if not 0 <= number <= MAX_PORT:
                    raise ValueError(value)
            elif field_ is Field.ICMP_TYPE:
                number = value if isinstance(value, int) else ICMP_TYPES[str(value)][0]
            else:
                number = int(value)
        except (KeyError, ValueError, TypeError):
            raise self.fail(
                f"'{value}' is not a valid {field_.value}", "give unedited nft -j output"
            ) from None
        if isinstance(number, bool) or not isinstance(number, int):
            raise self.fail(f"'{value}' is not a valid {field_.value}")
        return number, number


def parse(text: str, *, source: str) -> Ruleset:
    """Parse ``nft -j list ruleset`` output; ``source`` names the file in errors and reports."""
    return _Parser(text, source).run()


# -- human-readable text of a rule, for reports ---------------------------------------------


def _describe(expr: list[Any]) -> str:
    try:
        return " ".join(_describe_statement(s) for s in expr)
    except (TypeError, AttributeError, KeyError, IndexError, StopIteration):
        return json.dumps(expr, ensure_ascii=False, separators=(",", ":"))


def _describe_statement(statement: JsonObj) -> str:
    name, value = next(iter(statement.items()))
    if name == "match":
        op = value.get("op", "==")
        shown_op = "" if op in ("==", "in") else f"{op} "
        return f"{_describe_expr(value['left'])} {shown_op}{_describe_expr(value['right'])}"
    if name in ("accept", "drop", "return", "continue", "reject", "counter", "log", "masquerade"):
        return name
    if name in ("jump", "goto"):
        return f"{name} {value['target']}"
    if name in ("snat", "dnat", "redirect"):
        parts = [name, "to"]
        if "addr" in value:
            parts.append(_describe_expr(value["addr"]))
        if "port" in value:
            parts.append(":" + _describe_expr(value["port"]))
        return " ".join(parts)
    if name == "vmap":
        return f"{_describe_expr(value['key'])} vmap {_describe_expr(value['data'])}"
    return name


def _describe_expr(value: Any) -> str:
    if isinstance(value, dict):
        if "payload" in value:
            payload = value["payload"]
            return f"{payload.get('protocol', '')} {payload.get('field', '')}".strip()
        if "meta" in value:
            return f"meta {value['meta']['key']}"
        if "ct" in value:
            return f"ct {value['ct']['key']}"
        if "prefix" in value:
            return f"{value['prefix']['addr']}/{value['prefix']['len']}"
        if "range" in value:
            return f"{_describe_expr(value['range'][0])}-{_describe_expr(value['range'][1])}"
        if "set" in value:
            items = value["set"] if isinstance(value["set"], list) else [value["set"]]
            return "{ " + ", ".join(_describe_expr(v) for v in items) + " }"
        if "&" in value:
            return " & ".join(_describe_expr(v) for v in value["&"])
        if "|" in value:
            return "|".join(_describe_expr(v) for v in value["|"])
        if "elem" in value:
            return _describe_expr(value["elem"]["val"])
        if len(value) == 1:
            key, inner = next(iter(value.items()))
            return key if inner is None else f"{key} {_describe_expr(inner)}"
    if isinstance(value, list):
        if len(value) == 2 and isinstance(value[1], dict):
            return f"{_describe_expr(value[0])} : {_describe_expr(value[1])}"
        return ",".join(_describe_expr(v) for v in value)
    return str(value)


# -- dump: the inverse of parse, for round trips and generated benchmarks ---------------------


def dump(ruleset: Ruleset, *, indent: int | None = None) -> str:
    """Return ``nft -j`` JSON for a rule set that uses only features this parser reads."""
    out: list[JsonObj] = [{"metainfo": {"json_schema_version": 1}}]
    stage_of = {(s.table, s.chain): s for s in ruleset.stages}
    tables = list(dict.fromkeys(table for table, _ in ruleset.chains))
    hook_names = {hook: name for name, hook in HOOKS.items()}
    for table in tables:
        family, name = table.split(" ", 1)
        out.append({"table": {"family": family, "name": name}})
    for (table, name), chain in ruleset.chains.items():
        family, table_name = table.split(" ", 1)
        body: JsonObj = {"family": family, "table": table_name, "name": name}
        stage = stage_of.get((table, name))
        if stage is not None:
            body |= {
                "type": stage.kind.value,
                "hook": hook_names[stage.hook],
                "prio": stage.priority,
                "policy": (chain.policy or Verdict.ACCEPT).value,
            }
        out.append({"chain": body})
    for (table, name), chain in ruleset.chains.items():
        family, table_name = table.split(" ", 1)
        for rule in chain.rules:
            expr = [_dump_condition(c) for c in rule.conditions] + [_dump_action(rule.action)]
            rule_body: JsonObj = {
                "family": family,
                "table": table_name,
                "chain": name,
                "expr": expr,
            }
            if rule.comment:
                rule_body["comment"] = rule.comment
            out.append({"rule": rule_body})
    return json.dumps({"nftables": out}, indent=indent, ensure_ascii=False)


_DUMP_FIELDS = {
    Field.SRC: {"payload": {"protocol": "ip", "field": "saddr"}},
    Field.DST: {"payload": {"protocol": "ip", "field": "daddr"}},
    Field.PROTO: {"meta": {"key": "l4proto"}},
    Field.SPORT: {"payload": {"protocol": "th", "field": "sport"}},
    Field.DPORT: {"payload": {"protocol": "th", "field": "dport"}},
    Field.ICMP_TYPE: {"payload": {"protocol": "icmp", "field": "type"}},
    Field.ICMP_CODE: {"payload": {"protocol": "icmp", "field": "code"}},
}


def _dump_value(field_: Field, lo: int, hi: int) -> Any:
    from isms.segments.addresses import format_address

    if field_ in (Field.SRC, Field.DST):
        if lo == hi:
            return format_address(lo)
        return {"range": [format_address(lo), format_address(hi)]}
    return lo if lo == hi else {"range": [lo, hi]}


def _dump_condition(condition: Condition) -> JsonObj:
    if isinstance(condition, RangeMatch):
        values = [_dump_value(condition.field, lo, hi) for lo, hi in condition.ranges]
        right: Any = values[0] if len(values) == 1 else {"set": values}
        op = "!=" if condition.negated else "=="
        return {"match": {"op": op, "left": _DUMP_FIELDS[condition.field], "right": right}}
    if isinstance(condition, InterfaceMatch):
        key = "iifname" if condition.direction == "in" else "oifname"
        names: Any = (
            condition.names[0] if len(condition.names) == 1 else {"set": list(condition.names)}
        )
        op = "!=" if condition.negated else "=="
        return {"match": {"op": op, "left": {"meta": {"key": key}}, "right": names}}
    if isinstance(condition, StateMatch):
        states = sorted(condition.states)
        op = "!=" if condition.negated else "in"
        return {
            "match": {
                "op": op,
                "left": {"ct": {"key": "state"}},
                "right": states if len(states) > 1 else states[0],
            }
        }
    raise ValueError(f"cannot write {condition} as nftables JSON")


def _dump_action(action: Outcome | None) -> JsonObj:
    if isinstance(action, Verdict):
        return {action.value: None}
    if isinstance(action, Jump):
        return {"goto" if action.goto else "jump": {"target": action.chain}}
    if isinstance(action, Nat):
        body: JsonObj = {}
        if action.addresses is not None:
            body["addr"] = _dump_value(Field.DST, *action.addresses)
        if action.ports is not None:
            body["port"] = _dump_value(Field.DPORT, *action.ports)
        return {action.kind: body or None}
    return {"continue": None}


def protocol_label(number: int) -> str:
    """Return the nft name of a protocol number."""
    return PROTOCOL_NAMES.get(number, str(number))


def iter_chain_names(ruleset: Ruleset) -> Iterable[str]:
    """Yield ``table chain`` for every chain (for listings)."""
    return (f"{table} {name}" for table, name in ruleset.chains)
