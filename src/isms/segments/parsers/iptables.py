"""Read ``iptables-save`` output (the ``iptables-restore`` format) into a :class:`Ruleset`.

Tables ``raw``, ``mangle``, ``nat``, ``filter`` and ``security`` are read; every built-in chain is
attached to its hook at the kernel's priority, so rules in ``mangle PREROUTING`` filter forwarded
traffic just as ``filter FORWARD`` does. Supported: user chains, ``-j``/``-g`` to them, ``RETURN``,
addresses (lists, masks, ``iprange``), interfaces (``+`` wildcards), protocols, ports
(``tcp``/``udp``/``multiport``), ICMP types, ``state``/``conntrack --ctstate``, TCP flags,
``comment``, and the NAT targets ``DNAT``, ``SNAT``, ``MASQUERADE`` and ``REDIRECT``. Logging,
counters and packet marking cannot change a forwarding decision: they are listed as ignored.
Anything else that could change forwarding raises :class:`UnsupportedSyntax` with file and line.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field

from isms.segments.addresses import (
    MAX_PORT,
    format_address,
    format_prefix,
    parse_address,
    parse_prefix,
    prefix_range,
    range_to_prefixes,
)
from isms.segments.errors import ParseError, UnsupportedSyntax
from isms.segments.parsers.names import (
    ICMP_TYPES,
    PORT_PROTOCOLS,
    PROTOCOL_NAMES,
    PROTOCOLS,
    SERVICES,
)
from isms.segments.rules import (
    AnyOf,
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

FORMAT = "iptables-save"

# Built-in chains of each table with the priority the kernel registers them at
# (include/uapi/linux/netfilter_ipv4.h: NF_IP_PRI_RAW -300, MANGLE -150, NAT_DST -100,
# FILTER 0, SECURITY 50, NAT_SRC 100).
BUILTIN: dict[str, dict[str, tuple[Hook, int]]] = {
    "raw": {"PREROUTING": (Hook.PREROUTING, -300), "OUTPUT": (Hook.OUTPUT, -300)},
    "mangle": {
        "PREROUTING": (Hook.PREROUTING, -150),
        "INPUT": (Hook.INPUT, -150),
        "FORWARD": (Hook.FORWARD, -150),
        "OUTPUT": (Hook.OUTPUT, -150),
        "POSTROUTING": (Hook.POSTROUTING, -150),
    },
    "nat": {
        "PREROUTING": (Hook.PREROUTING, -100),
        "INPUT": (Hook.INPUT, 100),
        "OUTPUT": (Hook.OUTPUT, -100),
        "POSTROUTING": (Hook.POSTROUTING, 100),
    },
    "filter": {
        "INPUT": (Hook.INPUT, 0),
        "FORWARD": (Hook.FORWARD, 0),
        "OUTPUT": (Hook.OUTPUT, 0),
    },
    "security": {
        "INPUT": (Hook.INPUT, 50),
        "FORWARD": (Hook.FORWARD, 50),
        "OUTPUT": (Hook.OUTPUT, 50),
    },
}

STATES = {"NEW", "ESTABLISHED", "RELATED", "INVALID", "UNTRACKED"}
FLAG_NAMES = {"SYN", "ACK", "FIN", "RST", "URG", "PSH", "ECE", "CWR"}

IGNORED_TARGETS: dict[str, str] = {
    "LOG": "logging",
    "NFLOG": "logging",
    "ULOG": "logging",
    "AUDIT": "logging",
    "TRACE": "packet tracing",
    "TCPMSS": "TCP MSS clamping",
    "TTL": "TTL rewriting",
    "TOS": "TOS rewriting",
    "DSCP": "DSCP marking",
    "CLASSIFY": "traffic-control class",
    "CHECKSUM": "checksum filling",
    "SECMARK": "security label",
    "CONNSECMARK": "security label",
    "MARK": "packet marking (fwmark policy routing is not modelled)",
    "CONNMARK": "packet marking (fwmark policy routing is not modelled)",
}
UNSUPPORTED_TARGETS = {"QUEUE", "NFQUEUE", "NOTRACK", "CT", "NETMAP", "TPROXY", "TEE", "SET"}
SUPPORTED_MODULES = {"tcp", "udp", "icmp", "multiport", "state", "conntrack", "comment", "iprange"}

# Options that belong to targets; True when the option takes a value.
TARGET_OPTIONS: dict[str, bool] = {
    "--reject-with": True,
    "--log-level": True,
    "--log-prefix": True,
    "--log-tcp-sequence": False,
    "--log-tcp-options": False,
    "--log-ip-options": False,
    "--log-uid": False,
    "--log-macdecode": False,
    "--nflog-group": True,
    "--nflog-prefix": True,
    "--nflog-range": True,
    "--nflog-size": True,
    "--nflog-threshold": True,
    "--ulog-nlgroup": True,
    "--ulog-prefix": True,
    "--ulog-cprange": True,
    "--ulog-qthreshold": True,
    "--to-destination": True,
    "--to-source": True,
    "--to-ports": True,
    "--random": False,
    "--random-fully": False,
    "--persistent": False,
    "--set-mark": True,
    "--set-xmark": True,
    "--and-mark": True,
    "--or-mark": True,
    "--xor-mark": True,
    "--save-mark": False,
    "--restore-mark": False,
    "--mask": True,
    "--nfmask": True,
    "--ctmask": True,
    "--set-mss": True,
    "--clamp-mss-to-pmtu": False,
    "--ttl-set": True,
    "--ttl-dec": True,
    "--ttl-inc": True,
    "--set-tos": True,
    "--set-dscp": True,
    "--set-dscp-class": True,
    "--set-class": True,
    "--checksum-fill": False,
    "--selctx": True,
    "--type": True,
}

HINT_SUPPORTED = (
    "supported: -s -d -i -o -p --sport --dport, -m tcp/udp/icmp/multiport/state/conntrack/"
    "comment/iprange, -j ACCEPT/DROP/REJECT/RETURN/LOG/DNAT/SNAT/MASQUERADE/REDIRECT or a "
    "user chain, -g CHAIN"
)


@dataclass
class _Ignored:
    reason: str
    example: str
    lines: list[int] = field(default_factory=list)


@dataclass
class _ChainDraft:
    table: str
    name: str
    policy: Verdict | None
    location: SourceLocation
    rules: list[tuple[Rule, int]] = field(default_factory=list)


class _Parser:
    def __init__(self, text: str, source: str):
        self.text = text
        self.source = source
        self.table: str | None = None
        self.table_line = 0
        self.chains: dict[tuple[str, str], _ChainDraft] = {}
        self.jumps: list[tuple[str, str, int, str]] = []
        self.ignored: dict[str, _Ignored] = {}
        self.tables_seen: set[str] = set()
        # One object per distinct address, port or protocol condition: rule bases repeat them,
        # and the compiler memoises conditions by identity.
        self.interned: dict[tuple[object, ...], Condition] = {}

    # -- errors and notes -------------------------------------------------------------------

    def error(
        self, line: int, text: str, message: str, hint: str, message_ja: str = ""
    ) -> ParseError:
        return ParseError(
            message, source=self.source, line=line, text=text, hint=hint, message_ja=message_ja
        )

    def unsupported(self, line: int, text: str, what: str) -> UnsupportedSyntax:
        return UnsupportedSyntax(
            f"{what} can change forwarding and is not modelled",
            source=self.source,
            line=line,
            text=text,
            hint="rewrite the rule with " + HINT_SUPPORTED + "; or check this device by hand",
            message_ja=f"{what} は転送の判定を変え得るが、検証器はこれを扱えない",
            hint_ja="対応している書式で書き直すか、この機器を手作業で確認してください",
        )

    def ignore(self, line: int, text: str, reason: str) -> None:
        entry = self.ignored.setdefault(reason, _Ignored(reason, text))
        if not entry.lines or entry.lines[-1] != line:
            entry.lines.append(line)

    # -- driver -----------------------------------------------------------------------------

    def run(self) -> Ruleset:
        last = 0
        for number, raw in enumerate(self.text.splitlines(), start=1):
            last = number
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("*"):
                self.start_table(number, raw, line[1:].strip())
            elif line == "COMMIT":
                self.commit(number, raw)
            elif line.startswith(":"):
                self.declare(number, raw, line)
            else:
                self.command(number, raw, line)
        if self.table is not None:
            raise self.error(
                last,
                self.text.splitlines()[-1] if self.text else "",
                f"table *{self.table} (line {self.table_line}) is never committed",
                "end every table with a line 'COMMIT', as iptables-save writes it",
                f"テーブル *{self.table}（{self.table_line} 行目）に COMMIT がない",
            )
        return self.build()

    def start_table(self, number: int, raw: str, name: str) -> None:
        if self.table is not None:
            raise self.error(
                number,
                raw,
                f"table *{name} starts before *{self.table} is committed",
                "add 'COMMIT' at the end of the previous table",
            )
        if name not in BUILTIN:
            raise self.error(
                number,
                raw,
                f"unknown table *{name}",
                "tables are raw, mangle, nat, filter and security",
                f"未知のテーブル *{name}",
            )
        self.table = name
        self.table_line = number
        self.tables_seen.add(name)
        for chain in BUILTIN[name]:
            key = (name, chain)
            if key not in self.chains:
                location = SourceLocation(self.source, number, raw.strip(), f"*{name} {chain}")
                self.chains[key] = _ChainDraft(name, chain, Verdict.ACCEPT, location)

    def need_table(self, number: int, raw: str) -> str:
        if self.table is None:
            raise self.error(
                number,
                raw,
                "line outside a table",
                "start the table with a line like '*filter' before chains and rules",
                "テーブルの外にある行",
            )
        return self.table

    def commit(self, number: int, raw: str) -> None:
        table = self.need_table(number, raw)
        for src_table, target, line, text in self.jumps:
            if src_table == table and (table, target) not in self.chains:
                raise self.error(
                    line,
                    text,
                    f"jump to chain {target}, which table *{table} does not define",
                    f"declare it with ':{target} - [0:0]' or '-N {target}' before COMMIT",
                    f"テーブル *{table} に存在しないチェイン {target} へのジャンプ",
                )
        self.table = None

    def declare(self, number: int, raw: str, line: str) -> None:
        table = self.need_table(number, raw)
        parts = line[1:].split()
        if len(parts) < 2:
            raise self.error(
                number,
                raw,
                "chain declaration needs a name and a policy",
                "write ':NAME POLICY [packets:bytes]', "
                "e.g. ':FORWARD DROP [0:0]' or ':MYCHAIN - [0:0]'",
            )
        name, policy_text = parts[0], parts[1]
        if len(parts) > 2 and parts[2] != "[0:0]":
            self.ignore(number, raw.strip(), "packet and byte counters")
        builtin = name in BUILTIN[table]
        location = SourceLocation(self.source, number, raw.strip(), f"{table} {name}")
        if builtin:
            if policy_text not in ("ACCEPT", "DROP"):
                raise self.error(
                    number,
                    raw,
                    f"built-in chain {name} has policy {policy_text}",
                    "the policy of a built-in chain is ACCEPT or DROP",
                )
            policy: Verdict | None = Verdict(policy_text.lower())
        else:
            if policy_text != "-":
                raise self.error(
                    number,
                    raw,
                    f"user chain {name} has policy {policy_text}",
                    "user chains have no policy: write '-'",
                )
            policy = None
        draft = self.chains.get((table, name))
        if draft is not None and draft.rules:
            raise self.error(
                number,
                raw,
                f"chain {name} declared after rules were added to it",
                "declare every chain before the rules, as iptables-save does",
            )
        self.chains[(table, name)] = _ChainDraft(table, name, policy, location)

    # -- rule commands ----------------------------------------------------------------------

    def command(self, number: int, raw: str, line: str) -> None:
        table = self.need_table(number, raw)
        try:
            quoted = '"' in line or "'" in line or "\\" in line
            tokens = shlex.split(line, posix=True) if quoted else line.split()
        except ValueError as exc:
            raise self.error(
                number,
                raw,
                f"cannot split the line into words: {exc}",
                'close every quotation mark; write a quote inside a comment as \\"',
                "行を語に分割できない（引用符が閉じていない）",
            ) from None
        if tokens and tokens[0].startswith("[") and tokens[0].endswith("]"):
            if tokens[0] != "[0:0]":
                self.ignore(number, raw.strip(), "packet and byte counters")
            tokens = tokens[1:]
        if not tokens:
            raise self.error(number, raw, "empty command", "remove the line")
        op = tokens[0]
        if op in ("-N", "--new-chain"):
            name = self.arg(tokens, 1, number, raw, op)
            if (table, name) in self.chains:
                raise self.error(
                    number, raw, f"chain {name} already exists", "declare each chain once"
                )
            location = SourceLocation(self.source, number, raw.strip(), f"{table} {name}")
            self.chains[(table, name)] = _ChainDraft(table, name, None, location)
            return
        if op in ("-P", "--policy"):
            name = self.arg(tokens, 1, number, raw, op)
            policy = self.arg(tokens, 2, number, raw, op)
            draft = self.chains.get((table, name))
            if draft is None or name not in BUILTIN[table] or policy not in ("ACCEPT", "DROP"):
                raise self.error(
                    number,
                    raw,
                    f"cannot set policy {policy} on {name}",
                    "only built-in chains have a policy, ACCEPT or DROP",
                )
            draft.policy = Verdict(policy.lower())
            return
        if op in ("-A", "--append", "-I", "--insert"):
            name = self.arg(tokens, 1, number, raw, op)
            draft = self.chains.get((table, name))
            if draft is None:
                raise self.error(
                    number,
                    raw,
                    f"rule added to chain {name}, which table *{table} does not define",
                    f"declare it first with ':{name} - [0:0]' or '-N {name}'",
                    f"テーブル *{table} に存在しないチェイン {name} へのルール追加",
                )
            rest = tokens[2:]
            position = len(draft.rules)
            if op in ("-I", "--insert"):
                position = 0
                if rest and rest[0].isdigit():
                    position = max(int(rest[0]) - 1, 0)
                    rest = rest[1:]
            rule = self.rule(table, name, rest, number, raw)
            if rule is not None:
                draft.rules.insert(min(position, len(draft.rules)), (rule, number))
            return
        if op in ("-4",):
            return
        if op in ("-6",):
            self.ignore(number, raw.strip(), "IPv6-only rule (IPv4 is verified)")
            return
        raise self.unsupported(number, raw, f"command {op}")

    def arg(self, tokens: list[str], index: int, number: int, raw: str, option: str) -> str:
        if index >= len(tokens):
            raise self.error(
                number,
                raw,
                f"option {option} needs a value",
                f"write a value after {option}",
                f"オプション {option} に値がない",
            )
        return tokens[index]

    def rule(self, table: str, chain: str, tokens: list[str], number: int, raw: str) -> Rule | None:
        reader = _RuleReader(self, table, tokens, number, raw)
        conditions, action, comment = reader.read()
        text = raw.strip()
        location = SourceLocation(self.source, number, text, f"{table} {chain}")
        if isinstance(action, Jump):
            if action.chain in BUILTIN[table]:
                raise self.error(
                    number,
                    raw,
                    f"jump to built-in chain {action.chain}",
                    "jump only to user chains; built-in chains are entered by the kernel",
                )
            self.jumps.append((table, action.chain, number, raw))
        if action is None and reader.ignored_target is None:
            self.ignore(number, text, "rule without a target (only counts packets)")
            return None
        if reader.ignored_target is not None:
            self.ignore(number, text, reader.ignored_target)
            return None
        return Rule(tuple(conditions), action, location, comment)

    def build(self) -> Ruleset:
        chains: dict[tuple[str, str], Chain] = {}
        for key, draft in self.chains.items():
            chains[key] = Chain(
                draft.table,
                draft.name,
                tuple(rule for rule, _ in draft.rules),
                draft.policy,
                draft.location,
            )
        _check_loops(chains, self)
        stages = []
        for table in sorted(self.tables_seen):
            for name, (hook, priority) in BUILTIN[table].items():
                kind = StageKind.NAT if table == "nat" else StageKind.FILTER
                stages.append(Stage(hook, priority, kind, table, name))
        ignored = tuple(
            IgnoredSection(self.source, tuple(entry.lines), entry.reason, entry.example)
            for entry in self.ignored.values()
        )
        return Ruleset(self.source, FORMAT, chains, tuple(stages), ignored)


def _check_loops(chains: dict[tuple[str, str], Chain], parser: _Parser) -> None:
    state: dict[tuple[str, str], int] = {}
    for key in chains:
        if key not in state:
            _visit(key, chains, state, parser)


def _visit(
    key: tuple[str, str],
    chains: dict[tuple[str, str], Chain],
    state: dict[tuple[str, str], int],
    parser: _Parser,
) -> None:
    # A module-level function, not a closure: a recursive closure is a reference cycle that
    # would keep the parser, and with it the whole rule base, alive until the cyclic collector.
    state[key] = 1
    for rule in chains[key].rules:
        if isinstance(rule.action, Jump):
            target = (key[0], rule.action.chain)
            if state.get(target) == 1:
                loc = rule.location
                raise parser.error(
                    loc.line,
                    loc.text,
                    f"jump to {target[1]} makes a loop of chains",
                    "iptables refuses loops; remove the jump that leads back",
                    "チェインのジャンプが循環している",
                )
            if target not in state:
                _visit(target, chains, state, parser)
    state[key] = 2


class _RuleReader:
    """Read the match and target options of one rule."""

    def __init__(self, parser: _Parser, table: str, tokens: list[str], number: int, raw: str):
        self.p = parser
        self.table = table
        self.tokens = tokens
        self.number = number
        self.raw = raw
        self.pos = 0
        self.conditions: list[Condition] = []
        self.protocol: int | None = None
        self.protocol_negated = False
        self.modules: set[str] = set()
        self.target: str | None = None
        self.goto = False
        self.target_options: dict[str, str] = {}
        self.comments: list[str] = []
        self.ignored_target: str | None = None

    def fail(self, message: str, hint: str, message_ja: str = "") -> ParseError:
        return self.p.error(self.number, self.raw, message, hint, message_ja)

    def next_value(self, option: str) -> tuple[str, bool]:
        """Return the option's value and whether an old-style '!' preceded it."""
        negated = False
        if self.pos < len(self.tokens) and self.tokens[self.pos] == "!":
            negated = True
            self.pos += 1
        if self.pos >= len(self.tokens):
            raise self.fail(
                f"option {option} needs a value",
                f"write a value after {option}",
                f"オプション {option} に値がない",
            )
        value = self.tokens[self.pos]
        self.pos += 1
        return value, negated

    def read(self) -> tuple[list[Condition], Outcome | None, str]:
        negate_next = False
        while self.pos < len(self.tokens):
            token = self.tokens[self.pos]
            self.pos += 1
            if token == "!":
                if negate_next:
                    raise self.fail("'!' twice in a row", "write '!' once before the option")
                negate_next = True
                continue
            if token in TARGET_OPTIONS and token not in ("--mask", "--type"):
                self.target_option(token, negate_next)
                negate_next = False
                continue
            self.option(token, negate_next)
            negate_next = False
        if negate_next:
            raise self.fail("'!' at the end of the rule", "put '!' before the option it negates")
        self.finish_protocol()
        action = self.action()
        return self.conditions, action, " ".join(self.comments)

    def target_option(self, option: str, negated: bool) -> None:
        if negated:
            raise self.fail(
                f"'!' before target option {option}", "target options cannot be negated"
            )
        if TARGET_OPTIONS[option]:
            value, _ = self.next_value(option)
        else:
            value = ""
        self.target_options[option] = value

    def option(self, token: str, negated: bool) -> None:
        if token in ("-s", "--source", "--src", "-d", "--destination", "--dst"):
            field_ = Field.SRC if token in ("-s", "--source", "--src") else Field.DST
            value, old_neg = self.next_value(token)
            key = ("address", field_ is Field.SRC, value, negated or old_neg)
            condition = self.p.interned.get(key)
            if condition is None:
                condition = self.addresses(field_, value, negated or old_neg)
                self.p.interned[key] = condition
            self.conditions.append(condition)
        elif token in ("-p", "--protocol"):
            value, old_neg = self.next_value(token)
            self.set_protocol(value, negated or old_neg)
        elif token in ("-i", "--in-interface", "-o", "--out-interface"):
            value, old_neg = self.next_value(token)
            direction = "in" if token in ("-i", "--in-interface") else "out"
            self.conditions.append(InterfaceMatch(direction, (value,), negated or old_neg))
        elif token in ("-m", "--match"):
            value, _ = self.next_value(token)
            if value not in SUPPORTED_MODULES:
                raise self.p.unsupported(self.number, self.raw, f"match module '-m {value}'")
            self.modules.add(value)
        elif token in ("-j", "--jump", "-g", "--goto"):
            value, _ = self.next_value(token)
            if self.target is not None:
                raise self.fail("two targets in one rule", "give each rule one -j or -g")
            self.target = value
            self.goto = token in ("-g", "--goto")
        elif token in ("--sport", "--source-port", "--dport", "--destination-port"):
            field_ = Field.SPORT if token in ("--sport", "--source-port") else Field.DPORT
            value, old_neg = self.next_value(token)
            self.need_ports(token)
            key = ("port", field_ is Field.SPORT, value, negated or old_neg)
            condition = self.p.interned.get(key)
            if condition is None:
                condition = RangeMatch(field_, (self.port_range(value),), negated or old_neg)
                self.p.interned[key] = condition
            self.conditions.append(condition)
        elif token in ("--sports", "--source-ports", "--dports", "--destination-ports", "--ports"):
            value, old_neg = self.next_value(token)
            self.need_ports(token)
            if "multiport" not in self.modules:
                raise self.fail(
                    f"{token} needs '-m multiport'", f"write '-m multiport {token} ...'"
                )
            ranges = tuple(self.port_range(part) for part in value.split(","))
            if token == "--ports":
                options = (RangeMatch(Field.SPORT, ranges), RangeMatch(Field.DPORT, ranges))
                self.conditions.append(AnyOf(options, negated or old_neg))
            else:
                field_ = Field.SPORT if token in ("--sports", "--source-ports") else Field.DPORT
                self.conditions.append(RangeMatch(field_, ranges, negated or old_neg))
        elif token == "--icmp-type":
            value, old_neg = self.next_value(token)
            self.icmp(value, negated or old_neg)
        elif token in ("--state", "--ctstate"):
            value, old_neg = self.next_value(token)
            states = set()
            for part in value.split(","):
                if part not in STATES:
                    raise self.p.unsupported(self.number, self.raw, f"connection state {part}")
                states.add(part.lower())
            self.conditions.append(StateMatch(frozenset(states), negated or old_neg))
        elif token == "--syn":
            self.need_ports(token)
            self.conditions.append(
                FlagsMatch(frozenset({"syn", "rst", "ack", "fin"}), frozenset({"syn"}), negated)
            )
        elif token == "--tcp-flags":
            mask, _ = self.next_value(token)
            comparison, _ = self.next_value(token)
            self.need_ports(token)
            self.conditions.append(FlagsMatch(self.flags(mask), self.flags(comparison), negated))
        elif token == "--comment":
            value, _ = self.next_value(token)
            self.comments.append(value)
        elif token in ("--src-range", "--dst-range"):
            value, old_neg = self.next_value(token)
            field_ = Field.SRC if token == "--src-range" else Field.DST
            first, _, last = value.partition("-")
            try:
                lo, hi = parse_address(first), parse_address(last or first)
            except ValueError:
                raise self.fail(
                    f"{token} {value} is not an address range",
                    "write FIRST-LAST, e.g. 10.0.0.1-10.0.0.9",
                ) from None
            self.conditions.append(
                RangeMatch(field_, ((min(lo, hi), max(lo, hi)),), negated or old_neg)
            )
        elif token in ("-c", "--set-counters"):
            self.next_value(token)
            self.next_value(token)
            self.p.ignore(self.number, self.raw.strip(), "packet and byte counters")
        elif token in ("-f", "--fragment"):
            # The first packet of a connection is never a non-first fragment.
            self.conditions.append(Const(negated, "fragment match on a first packet"))
        elif token in ("-4", "--ipv4"):
            pass
        else:
            if token.startswith("-"):
                raise self.p.unsupported(self.number, self.raw, f"option {token}")
            raise self.fail(
                f"unexpected word '{token}'",
                "each value must follow its option, e.g. '-s 10.0.0.0/8'",
                f"予期しない語 '{token}'",
            )

    # -- values -----------------------------------------------------------------------------

    def addresses(self, field_: Field, value: str, negated: bool) -> RangeMatch:
        parts = value.split(",")
        if negated and len(parts) > 1:
            raise self.fail(
                "'!' with several addresses", "iptables accepts '!' only with a single address"
            )
        ranges = []
        for part in parts:
            try:
                network, length = parse_prefix(part)
            except ValueError:
                raise self.fail(
                    f"'{part}' is not an IPv4 address or prefix",
                    "write a.b.c.d, a.b.c.d/len or a.b.c.d/m.m.m.m; host names are not resolved",
                    f"'{part}' は IPv4 アドレスではない",
                ) from None
            ranges.append(prefix_range(network, length))
        return RangeMatch(field_, tuple(ranges), negated)

    def set_protocol(self, value: str, negated: bool) -> None:
        if self.protocol is not None or self.protocol_negated:
            raise self.fail("two -p options", "give one protocol per rule")
        name = value.lower()
        if name in ("all", "0"):
            if negated:
                self.conditions.append(Const(False, "! -p all"))
            return
        if name.isdigit() and 0 < int(name) < 256:
            number = int(name)
        elif name in PROTOCOLS:
            number = PROTOCOLS[name]
        else:
            raise self.fail(
                f"unknown protocol '{value}'",
                "write a protocol name (tcp, udp, icmp, ...) or number 1-255",
                f"未知のプロトコル '{value}'",
            )
        self.protocol = number
        self.protocol_negated = negated

    def need_ports(self, option: str) -> None:
        if self.protocol is None:
            for module, number in (("tcp", 6), ("udp", 17)):
                if module in self.modules:
                    self.protocol = number
                    return
        if self.protocol_negated or self.protocol not in PORT_PROTOCOLS:
            raise self.fail(
                f"{option} needs '-p tcp' or '-p udp'",
                f"write '-p tcp {option} ...' (or udp, sctp)",
                f"{option} には -p tcp または -p udp が必要",
            )

    def port_range(self, value: str) -> tuple[int, int]:
        first, sep, last = value.partition(":")
        try:
            lo = self.port(first) if first else 0
            hi = (self.port(last) if last else MAX_PORT) if sep else lo
        except ValueError:
            raise self.fail(
                f"'{value}' is not a port or port range",
                "write a number 0-65535, a range FIRST:LAST, or a service name such as ssh",
                f"'{value}' はポート番号ではない",
            ) from None
        if lo > hi:
            raise self.fail(f"port range {value} runs backwards", "write the lower port first")
        return lo, hi

    @staticmethod
    def port(text: str) -> int:
        if text.isdigit():
            number = int(text)
            if number > MAX_PORT:
                raise ValueError(text)
            return number
        if text in SERVICES:
            return SERVICES[text]
        raise ValueError(text)

    def icmp(self, value: str, negated: bool) -> None:
        if self.protocol != 1 or self.protocol_negated:
            raise self.fail("--icmp-type needs '-p icmp'", "write '-p icmp --icmp-type ...'")
        if value == "any":
            if negated:
                self.conditions.append(Const(False, "! --icmp-type any"))
            return
        if value in ICMP_TYPES:
            icmp_type, code = ICMP_TYPES[value]
        else:
            type_text, _, code_text = value.partition("/")
            try:
                icmp_type = int(type_text)
                code = int(code_text) if code_text else None
                if not 0 <= icmp_type <= 255 or (code is not None and not 0 <= code <= 255):
                    raise ValueError(value)
            except ValueError:
                raise self.fail(
                    f"unknown ICMP type '{value}'",
                    "write a name such as echo-request, or TYPE[/CODE] with numbers 0-255",
                    f"未知の ICMP タイプ '{value}'",
                ) from None
        type_match = RangeMatch(Field.ICMP_TYPE, ((icmp_type, icmp_type),))
        if code is None:
            self.conditions.append(RangeMatch(Field.ICMP_TYPE, ((icmp_type, icmp_type),), negated))
            return
        code_match = RangeMatch(Field.ICMP_CODE, ((code, code),))
        if negated:
            # not (type and code) = not type or not code
            self.conditions.append(
                AnyOf(
                    (
                        RangeMatch(Field.ICMP_TYPE, ((icmp_type, icmp_type),), True),
                        RangeMatch(Field.ICMP_CODE, ((code, code),), True),
                    )
                )
            )
        else:
            self.conditions.extend((type_match, code_match))

    def flags(self, text: str) -> frozenset[str]:
        names = set()
        for part in text.split(","):
            upper = part.upper()
            if upper == "ALL":
                names |= FLAG_NAMES
            elif upper == "NONE":
                continue
            elif upper in FLAG_NAMES:
                names.add(upper)
            else:
                raise self.fail(
                    f"unknown TCP flag '{part}'", "flags are SYN,ACK,FIN,RST,URG,PSH,ALL,NONE"
                )
        return frozenset("ecn" if name == "ECE" else name.lower() for name in names)

    def finish_protocol(self) -> None:
        if self.protocol is not None:
            key = ("protocol", self.protocol, self.protocol_negated)
            condition = self.p.interned.get(key)
            if condition is None:
                condition = RangeMatch(
                    Field.PROTO, ((self.protocol, self.protocol),), self.protocol_negated
                )
                self.p.interned[key] = condition
            self.conditions.insert(0, condition)

    def action(self) -> Outcome | None:
        target = self.target
        opts = self.target_options
        if target is None:
            if opts:
                raise self.fail("target options without a target", "add '-j TARGET' before them")
            return None
        if self.goto:
            return Jump(target, goto=True)
        if target in ("ACCEPT", "DROP", "RETURN"):
            self.no_options(target)
            return Verdict(target.lower())
        if target == "REJECT":
            return Verdict.REJECT
        if target in IGNORED_TARGETS:
            self.ignored_target = f"{target}: {IGNORED_TARGETS[target]}"
            return None
        if target in UNSUPPORTED_TARGETS:
            raise self.p.unsupported(self.number, self.raw, f"target {target}")
        if target in ("DNAT", "SNAT"):
            option = "--to-destination" if target == "DNAT" else "--to-source"
            if option not in opts:
                raise self.fail(
                    f"{target} without {option}", f"write '-j {target} {option} ADDRESS[:PORT]'"
                )
            addresses, ports = self.nat_target(opts[option])
            return Nat(target.lower(), addresses, ports)
        if target in ("MASQUERADE", "REDIRECT"):
            ports = self.to_ports(opts["--to-ports"]) if "--to-ports" in opts else None
            return Nat(target.lower(), None, ports)
        if target.isupper() and (self.table, target) not in self.p.chains:
            what = f"target {target} (not a chain of table *{self.table})"
            raise self.p.unsupported(self.number, self.raw, what)
        return Jump(target)

    def no_options(self, target: str) -> None:
        if self.target_options:
            option = next(iter(self.target_options))
            raise self.fail(f"{option} does not belong to -j {target}", "remove the option")

    def nat_target(self, value: str) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
        address_part, _, port_part = value.partition(":")
        addresses: tuple[int, int] | None = None
        try:
            if address_part:
                first, _, last = address_part.partition("-")
                lo, hi = parse_address(first), parse_address(last or first)
                addresses = (min(lo, hi), max(lo, hi))
            ports = self.to_ports(port_part) if port_part else None
        except ValueError:
            raise self.fail(
                f"'{value}' is not a NAT address", "write ADDRESS[-ADDRESS][:PORT[-PORT]]"
            ) from None
        return addresses, ports

    def to_ports(self, value: str) -> tuple[int, int]:
        first, _, last = value.replace(":", "-").partition("-")
        lo = self.port(first)
        hi = self.port(last) if last else lo
        if lo > hi:
            raise ValueError(value)
        return lo, hi


def parse(text: str, *, source: str) -> Ruleset:
    """Parse ``iptables-save`` text; ``source`` names the file in errors and reports."""
    return _Parser(text, source).run()


# -- dump: the inverse of parse, for round trips and generated benchmarks ---------------------


def dump(ruleset: Ruleset) -> str:
    """Return ``iptables-save`` text for a rule set that uses only iptables features."""
    lines: list[str] = []
    tables = sorted({table for table, _ in ruleset.chains}, key=list(BUILTIN).index)
    for table in tables:
        lines.append(f"*{table}")
        chains = [c for (t, _), c in ruleset.chains.items() if t == table]
        for chain in chains:
            policy = chain.policy.value.upper() if chain.policy else "-"
            lines.append(f":{chain.name} {policy} [0:0]")
        for chain in chains:
            for rule in chain.rules:
                lines.append(f"-A {chain.name} " + _dump_rule(rule))
        lines.append("COMMIT")
    return "\n".join(lines) + "\n"


def _dump_rule(rule: Rule) -> str:
    words: list[str] = []
    protocol = next(
        (c for c in rule.conditions if isinstance(c, RangeMatch) and c.field is Field.PROTO), None
    )
    module = ""
    if protocol is not None:
        number = protocol.ranges[0][0]
        words += (["!"] if protocol.negated else []) + [
            "-p",
            PROTOCOL_NAMES.get(number, str(number)),
        ]
        module = PROTOCOL_NAMES.get(number, "")
    for condition in rule.conditions:
        if condition is protocol:
            continue
        words += _dump_condition(condition, module)
    if rule.comment:
        words += ["-m", "comment", "--comment", shlex.quote(rule.comment)]
    words += _dump_action(rule.action)
    return " ".join(words)


def _dump_condition(condition: Condition, module: str) -> list[str]:
    neg = ["!"] if getattr(condition, "negated", False) else []
    if isinstance(condition, RangeMatch):
        if condition.field in (Field.SRC, Field.DST):
            option = "-s" if condition.field is Field.SRC else "-d"
            parts = []
            for lo, hi in condition.ranges:
                blocks = range_to_prefixes(lo, hi)
                parts += [format_prefix(start, length) for start, length in blocks]
            if len(parts) == 1 or not neg:
                return [*neg, option, ",".join(parts)]
            lo, hi = condition.ranges[0]
            range_option = "--src-range" if condition.field is Field.SRC else "--dst-range"
            return [
                "-m",
                "iprange",
                *neg,
                range_option,
                f"{format_address(lo)}-{format_address(hi)}",
            ]
        if condition.field in (Field.SPORT, Field.DPORT):
            port_words = [f"{lo}:{hi}" if lo != hi else str(lo) for lo, hi in condition.ranges]
            if len(port_words) == 1:
                option = "--sport" if condition.field is Field.SPORT else "--dport"
                return ["-m", module, *neg, option, port_words[0]]
            option = "--sports" if condition.field is Field.SPORT else "--dports"
            return ["-m", "multiport", *neg, option, ",".join(port_words)]
        if condition.field is Field.ICMP_TYPE:
            return ["-m", "icmp", *neg, "--icmp-type", str(condition.ranges[0][0])]
        raise ValueError(f"cannot write {condition} in iptables syntax")
    if isinstance(condition, InterfaceMatch):
        return [*neg, "-i" if condition.direction == "in" else "-o", condition.names[0]]
    if isinstance(condition, StateMatch):
        states = ",".join(sorted(s.upper() for s in condition.states))
        return ["-m", "conntrack", *neg, "--ctstate", states]
    if isinstance(condition, AnyOf):
        ports = ",".join(
            f"{lo}:{hi}" if lo != hi else str(lo) for lo, hi in condition.options[0].ranges
        )
        return ["-m", "multiport", *neg, "--ports", ports]
    raise ValueError(f"cannot write {condition} in iptables syntax")


def _dump_action(action: Outcome | None) -> list[str]:
    if action is None:
        return []
    if isinstance(action, Verdict):
        return ["-j", action.value.upper()]
    if isinstance(action, Jump):
        return ["-g" if action.goto else "-j", action.chain]
    target = action.kind.upper()
    words = ["-j", target]
    spec = ""
    if action.addresses is not None:
        lo, hi = action.addresses
        spec = format_address(lo) + (f"-{format_address(hi)}" if hi != lo else "")
    if action.ports is not None:
        lo, hi = action.ports
        port_text = str(lo) + (f"-{hi}" if hi != lo else "")
        if target in ("DNAT", "SNAT"):
            spec += f":{port_text}"
        else:
            return [*words, "--to-ports", port_text]
    if target == "DNAT":
        words += ["--to-destination", spec]
    elif target == "SNAT":
        words += ["--to-source", spec]
    return words


def iter_rules(ruleset: Ruleset) -> Iterator[Rule]:
    """Yield every rule of every chain."""
    for chain in ruleset.chains.values():
        yield from chain.rules
