"""Read an Aerleon policy (``.pol`` or YAML) with its naming definitions into a :class:`Ruleset`.

Aerleon (https://github.com/aerleon/aerleon) writes a network team's intended policy once, in
vendor-neutral terms, and generates each firewall's configuration from it. Reading the policy
itself lets the verifier prove the intended separation before anything is deployed.

Aerleon's own library parses the policy and resolves every network and service name
(``aerleon.lib.policy``, ``aerleon.lib.yaml``, ``aerleon.lib.naming``); this module turns the terms
of **one filter** into first-match rules of a FORWARD filter stage. The filter is the first one
whose header targets a forwarding hook (``speedway``/``iptables`` ``FORWARD``, ``nftables ...
FORWARD``), else the first filter; ``Ruleset.assumptions`` says which, and how the target's
platforms were read:

* the chain's default is drop, unless a ``speedway``/``iptables``/``nftables`` target of the
  header says ``ACCEPT``;
* when a target is a stateful firewall (``nftables``, ``paloalto``, ``fortigate``, ``ciscoasa``,
  ...), a first rule accepts packets of established connections, as those platforms do;
* ``option: established`` / ``tcp-established`` match packets of established connections only
  (new connections never); for a stateless target Aerleon renders ``established`` on UDP as
  "destination ports 1024-65535", which new UDP flows match too, so that reading is added.

Supported per term: ``source-``/``destination-address`` (and ``-exclude``), ``address``,
``protocol`` (and ``protocol-except``), ``source-``/``destination-port``, ``port``,
``icmp-type``, ``icmp-code``, ``source-``/``destination-interface``, the options above, actions
``accept``, ``deny``, ``reject``, ``reject-with-tcp-rst`` and ``next``. Comments, logging,
counters, owners and QoS marks cannot change forwarding and are listed as ignored, as are terms
that match IPv6 addresses only. A match criterion the verifier cannot model (applications,
zones, tags, prefix lists, TCP flags, fragments, DSCP, ...) is read as matching everything on an
``accept`` term (it then permits at least as much; an assumption says so) and refused with
:class:`UnsupportedSyntax` on a ``deny``/``reject`` term, as are verbatim blocks for the
filter's platforms and terms that redirect traffic (``next-ip``, ``routing-instance``, ...).
Aerleon's own errors (undefined names, syntax) become :class:`ParseError` with file and line,
naming files relative to the policy's folder (never the server's absolute paths).

Excludes are read as Aerleon's generators render them: ``source-address`` X with
``source-exclude`` E is "source in X minus E", ``address`` X with ``address-exclude`` E is
"source or destination in X minus E". An exclude without its address is "every address but E"
for ``iptables``/``speedway`` and no exclusion for Juniper, Cisco, nftables and others; where the
targets disagree (or were not checked) an accept term is read as excluding nothing and a deny
term is refused. Before Aerleon sees them, every include (``.pol`` and YAML) must resolve inside
``base_dir``, and names whose expansion is circular or larger than ``_MAX_EXPANSION`` entries
(Aerleon expands nested names afresh at every use) are refused.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import importlib
import io
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from isms.segments.errors import ParseError, UnsupportedSyntax
from isms.segments.parsers.names import PROTOCOLS
from isms.segments.rules import (
    AnyOf,
    Chain,
    Condition,
    Field,
    Hook,
    IgnoredSection,
    InterfaceMatch,
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

__all__ = ["FORMAT", "STATEFUL_PLATFORMS", "parse"]

FORMAT = "aerleon"
TABLE = "aerleon"

# Targets that are stateful firewalls: their generated configurations accept packets of
# established connections before any term (nftables: ``ct state established,related accept``).
STATEFUL_PLATFORMS = frozenset(
    {
        "ciscoasa",
        "fortigate",
        "gce",
        "gce_vpc_tf",
        "gcp_hf",
        "junipersrx",
        "k8s",
        "nftables",
        "nsxt",
        "nsxv",
        "paloalto",
        "windows_advfirewall",
    }
)
# Targets that read ``option: established`` as a connection-tracking state for every protocol.
_TRACKING_PLATFORMS = STATEFUL_PLATFORMS | {"speedway", "iptables"}
_HIGH_PORTS = ((1024, 65535),)
_ESTABLISHED = frozenset({"established", "related"})

_ACTIONS: dict[str, Verdict | None] = {
    "accept": Verdict.ACCEPT,
    "deny": Verdict.DROP,
    "reject": Verdict.REJECT,
    "reject-with-tcp-rst": Verdict.REJECT,
    "next": None,
}
# Term attributes that cannot change a forwarding decision.
_IGNORED_ATTRIBUTES = {
    "comment": "comments",
    "owner": "term owners",
    "logging": "logging",
    "log_limit": "logging",
    "log_name": "logging",
    "counter": "counters",
    "traffic_class_count": "counters",
    "qos": "QoS marking",
    "dscp_set": "QoS marking",
    "loss_priority": "QoS marking",
    "port_mirror": "port mirroring (a copy of accepted traffic)",
    "timeout": "session timeouts",
    "apply_groups": "Junos configuration groups",
    "apply_groups_except": "Junos configuration groups",
    "profile_settings": "PAN-OS security profiles (inspection of accepted traffic)",
    "tag": "PAN-OS rule tags",
    "priority": "GCE rule priorities (terms keep their order)",
}
# Match criteria the verifier does not model: they narrow what a term matches.
_NARROWING_ATTRIBUTES = {
    "pan_application": "PAN-OS applications",
    "source_zone": "source zones",
    "destination_zone": "destination zones",
    "source_tag": "source tags",
    "destination_tag": "destination tags",
    "source_prefix": "prefix lists",
    "destination_prefix": "prefix lists",
    "source_prefix_except": "prefix lists",
    "destination_prefix_except": "prefix lists",
    "source_fqdn": "FQDN addresses",
    "destination_fqdn": "FQDN addresses",
    "ether_type": "ether types",
    "traffic_type": "traffic types",
    "dscp_match": "DSCP values",
    "dscp_except": "DSCP values",
    "precedence": "IP precedence",
    "forwarding_class": "forwarding classes",
    "forwarding_class_except": "forwarding classes",
    "packet_length": "packet lengths",
    "fragment_offset": "fragment offsets",
    "hop_limit": "hop limits",
    "ttl": "TTL values",
    "flexible_match_range": "flexible matches",
    "policer": "policers (rate limits)",
    "target_resources": "GCE target resources",
    "target_service_accounts": "GCE service accounts",
    "vpn": "VPN tunnels",
    "filter_term": "nested filters",
}
# Attributes that send traffic somewhere the model does not follow.
_REDIRECTING_ATTRIBUTES = {
    "next_ip": "next-ip (policy routing)",
    "routing_instance": "routing-instance",
    "encapsulate": "encapsulate",
}
# Term options that cannot change forwarding.
_IGNORED_OPTIONS = frozenset(
    {"counter", "log_traffic_mode_all", "log_traffic_mode_disable", "log_traffic_start_session"}
)

# How targets render ``source-exclude``/``destination-exclude`` without the address it is
# taken from: every address but the excluded ones, or no exclusion at all (Aerleon 1.18's
# generators, checked one by one). Other targets refuse it or were not checked.
_EXCLUDE_COMPLEMENT = frozenset({"iptables", "speedway", "pcap"})
_EXCLUDE_DROPPED = frozenset(
    {
        "arista",
        "arista_tp",
        "brocade",
        "cisco",
        "ciscoasa",
        "cisconx",
        "ciscoxr",
        "juniper",
        "juniperevo",
        "msmpc",
        "nftables",
        "nsxt",
        "nsxv",
        "paloalto",
        "srxlo",
    }
)
# The most entries (names and values, counted at every use) one name may expand to.
_MAX_EXPANSION = 50_000
# The most entries all uses of names in a policy may expand to.
_MAX_USES = 250_000
_IPV6_ONLY = "terms that match IPv6 addresses only"

# An absolute path (POSIX, or a Windows drive) inside a message.
_ABSOLUTE = re.compile(r"(?<![\w.~:/-])(?:/|[A-Za-z]:[/\\])[^\s'\",;()\[\]]+")
_HEADER = re.compile(r"^\s*header\s*\{?")
_TERM = re.compile(r"^\s*term\s+([^\s{]+)")
_INCLUDE = re.compile(r"^\s*#include\s+['\"]?([^'\"\s]+)")
_LINE = re.compile(r"line (\d+)")
_ILLEGAL = re.compile(r"Illegal character '(.*)' on line (\d+)")


def parse(
    text: str,
    *,
    source: str,
    definitions: Mapping[str, str] | None = None,
    base_dir: str | None = None,
    filter_index: int | None = None,
) -> Ruleset:
    """Parse an Aerleon policy into a rule set of one filter.

    ``definitions`` maps file names (``*.net``, ``*.svc``, ``*.yaml``/``*.yml``; others are
    skipped) to the naming definitions' text. ``base_dir`` is the folder ``#include`` /
    ``include:`` paths are relative to (without it, a policy with includes is refused).
    ``filter_index`` (0-based) picks a filter instead of the default choice.
    """
    return _Reader(text, source, definitions or {}, base_dir, filter_index).run()


# -- layout: where filters and terms are in the text (Aerleon keeps no line numbers) ----------


@dataclass
class _Region:
    """One filter as written: its header line and the lines of its terms."""

    line: int
    terms: dict[str, tuple[str, int, str]] = field(default_factory=dict)


@dataclass
class _Origin:
    """A line of the text Aerleon parsed, as (file, line) of what the user wrote."""

    source: str
    line: int


class _Reader:
    def __init__(
        self,
        text: str,
        source: str,
        definitions: Mapping[str, str],
        base_dir: str | None,
        filter_index: int | None,
    ):
        self.text = text
        self.source = source
        self.lines = text.splitlines()
        self.definitions = definitions
        self.base_dir = base_dir
        self.filter_index = filter_index
        self.is_yaml = PurePosixPath(source.replace("\\", "/")).suffix.lower() in (
            ".yaml",
            ".yml",
        )
        self.files: dict[str, list[str]] = {source: self.lines}
        self.ignored: dict[str, tuple[list[tuple[str, int]], str]] = {}
        self.assumptions: list[str] = []
        self.conditions: dict[tuple[Any, ...], Condition] = {}
        self.expansion: dict[str, dict[str, int]] = {}

    # -- errors ---------------------------------------------------------------------------

    def line_text(self, source: str, line: int) -> str:
        lines = self.files.get(source) or self._definition_lines(source)
        return lines[line - 1].strip() if 0 < line <= len(lines) else ""

    def _definition_lines(self, source: str) -> list[str]:
        text = self.definitions.get(source)
        return text.splitlines() if text is not None else []

    def fail(
        self,
        message: str,
        line: int,
        hint: str,
        message_ja: str = "",
        hint_ja: str = "",
        *,
        source: str | None = None,
        unsupported: bool = False,
    ) -> ParseError:
        where = source or self.source
        cls = UnsupportedSyntax if unsupported else ParseError
        return cls(
            self.scrub(message),
            source=self.scrub(where),
            line=max(line, 1),
            text=self.line_text(where, line),
            hint=self.scrub(hint),
            message_ja=self.scrub(message_ja),
            hint_ja=self.scrub(hint_ja),
        )

    def scrub(self, text: str) -> str:
        """Name files relative to the policy folder and drop every other absolute path.

        Aerleon's messages name files by their full path (``File=/srv/.../x.yaml``,
        ``[Errno 2] ...: '/srv/...'``); an uploaded model's errors must not show the server's
        folders.
        """
        if self.base_dir:
            base = Path(self.base_dir)
            prefixes = {str(base.absolute()), str(base.resolve())}
            for prefix in sorted(prefixes, key=len, reverse=True):
                prefix = re.escape(prefix.rstrip("/\\"))
                if not prefix:
                    continue
                text = re.sub(r"(?<![\w./~-])" + prefix + r"[/\\]+", "", text)
                text = re.sub(r"(?<![\w./~-])" + prefix + r"(?![^\s'\",;)\]])", ".", text)
        return _ABSOLUTE.sub(lambda found: "…/" + re.split(r"[/\\]", found.group(0))[-1], text)

    # -- reading --------------------------------------------------------------------------

    def run(self) -> Ruleset:
        if not any(line.strip() and not line.lstrip().startswith("#") for line in self.lines):
            raise self.fail(
                "the policy is empty",
                1,
                "write a header with a target and at least one term",
                "ポリシーが空",
                "ターゲットを持つ header と一つ以上の term を書いてください",
            )
        aerleon = _aerleon()
        naming = self.naming(aerleon)
        origins = self.origins()
        policy = self.policy(aerleon, naming, origins)
        filters = list(policy.filters)
        regions = self.regions()
        index = self.choose(filters)
        header, terms = filters[index]
        region = regions[index] if len(regions) == len(filters) else None
        return self.ruleset(index, header, terms, region)

    def naming(self, aerleon: Any) -> Any:
        naming = aerleon.naming.Naming()
        for name in sorted(self.definitions):
            suffix = PurePosixPath(name).suffix.lower()
            text = self.definitions[name]
            try:
                with _quiet():
                    if suffix in (".yaml", ".yml"):
                        naming.ParseYaml(text, PurePosixPath(name).name)
                    elif suffix == ".net":
                        naming.ParseNetworkList(text.splitlines())
                    elif suffix == ".svc":
                        naming.ParseServiceList(text.splitlines())
            except Exception as exc:  # Aerleon raises many kinds; none may escape
                raise self.definition_error(name, exc) from None
        try:
            with _quiet():
                naming._CheckUnseen("services")
                naming._CheckUnseen("networks")
        except Exception as exc:
            raise self.undefined(exc) from None
        self.check_expansion(naming)
        return naming

    def check_expansion(self, naming: Any) -> None:
        """Refuse names whose expansion is too large or circular, before Aerleon resolves them.

        Aerleon expands a name afresh at every use, without sharing what nested names have in
        common: names that each contain the next two take exponential time. Counting the
        expansion here (each name once) bounds the work an uploaded file can cause.
        """
        for kind, groups, is_name in (
            ("network", naming.networks, naming.token_re.match),
            ("service", naming.services, lambda item: "/" not in item),
        ):
            sizes = self.expansion.setdefault(kind, {})
            for root in sorted(groups):
                if root in sizes:
                    continue
                # Iterative depth-first count (a long chain of names must not overflow the stack).
                stack: list[tuple[str, list[str]]] = [(root, self._members(groups[root]))]
                path = {root}
                totals = [0]
                while stack:
                    name, pending = stack[-1]
                    if not pending:
                        stack.pop()
                        path.discard(name)
                        size = totals.pop()
                        sizes[name] = size
                        if totals:
                            totals[-1] += size
                        if size > _MAX_EXPANSION:
                            raise self.expansion_error(kind, name, [])
                        continue
                    item = pending.pop()
                    if not is_name(item) or item not in groups:
                        totals[-1] += 1
                    elif item in sizes:
                        totals[-1] += 1 + sizes[item]
                    elif item in path:
                        chain = [n for n, _ in stack]
                        raise self.expansion_error(kind, item, chain[chain.index(item) :])
                    else:
                        totals[-1] += 1
                        stack.append((item, self._members(groups[item])))
                        path.add(item)
                        totals.append(0)

    def check_uses(self) -> None:
        """Refuse a policy whose uses of names add up to too large an expansion."""
        total = 0
        for source, lines in self.files.items():
            for number, line in enumerate(lines, 1):
                for word in re.findall(r"[-\w]+", line):
                    total += max(
                        self.expansion.get("network", {}).get(word, 0),
                        self.expansion.get("service", {}).get(word, 0),
                    )
                    if total > _MAX_USES:
                        raise self.fail(
                            f"the names the policy uses expand to more than {_MAX_USES} "
                            f"entries in all (here: {word})",
                            number,
                            "use large nested names in fewer terms",
                            f"ポリシーが使う名前の展開が合計 {_MAX_USES} 項目を超える",
                            source=source,
                        )

    @staticmethod
    def _members(unit: Any) -> list[str]:
        return [m for m in (str(i).split("#", 1)[0].strip() for i in unit.items) if m]

    def expansion_error(self, kind: str, name: str, cycle: list[str]) -> ParseError:
        where, line = self.definition_site(name)
        if cycle:
            message = f"{kind} {name} contains itself ({' → '.join([*cycle, name])})"
            message_ja = f"{kind} {name} が自分自身を含んでいる"
            hint = "remove the circular reference from the naming definitions"
        else:
            message = (
                f"{kind} {name} expands to more than {_MAX_EXPANSION} entries (names inside "
                "names are expanded at every use)"
            )
            message_ja = f"{kind} {name} の展開が {_MAX_EXPANSION} 項目を超える"
            hint = "list the addresses or services once instead of nesting names repeatedly"
        return self.fail(message, line, hint, message_ja, source=where)

    def definition_site(self, name: str) -> tuple[str, int]:
        """Return the definition file and line that define ``name``."""
        pattern = re.compile(rf"^\s*['\"]?{re.escape(name)}['\"]?\s*[=:]")
        for where, text in sorted(self.definitions.items()):
            for number, line in enumerate(text.splitlines(), 1):
                if pattern.match(line):
                    return where, number
        return (min(self.definitions), 1) if self.definitions else (self.source, 1)

    def definition_error(self, name: str, exc: Exception) -> ParseError:
        message = _message(exc)
        line = _user_line(exc) or self._line_in_message(message) or 1
        return self.fail(
            f"naming definitions {name}: {message}",
            line,
            "fix the definition (YAML: networks/services with values; .net/.svc: NAME = VALUE)",
            f"名前定義 {name} を読めない: {message}",
            "定義を直してください（YAML は networks/services と values、.net/.svc は NAME = 値）",
            source=name,
        )

    @staticmethod
    def _line_in_message(message: str) -> int | None:
        found = _LINE.search(message)
        return int(found.group(1)) if found else None

    def origins(self) -> list[_Origin]:
        """Map each line Aerleon parses (``.pol`` includes inlined) to where it was written."""
        if self.is_yaml:
            return [_Origin(self.source, i + 1) for i in range(len(self.lines))]
        return self._expand(self.source, self.lines, 5)

    def _expand(self, source: str, lines: list[str], depth: int) -> list[_Origin]:
        out: list[_Origin] = []
        for number, line in enumerate(lines, 1):
            words = line.split()
            if len(words) > 1 and words[0] == "#include":
                name = words[1].strip("'\"")
                included = self.include(name, source, number, depth)
                out.extend(self._expand(name, included, depth - 1))
            else:
                out.append(_Origin(source, number))
        return out

    def include(self, name: str, source: str, line: int, depth: int) -> list[str]:
        """Return the lines of an include file (read from ``base_dir``)."""
        if name in self.files:
            return self.files[name]
        if self.base_dir is None:
            raise self.fail(
                f"the policy includes {name}, but no folder to read includes from was given",
                line,
                "pass base_dir (the verifier uses the policy's folder, or its parent when the "
                "folder is named pol), or inline the included terms",
                f"ポリシーが {name} をインクルードしているが、インクルードを読むフォルダがない",
                source=source,
            )
        base = Path(self.base_dir).resolve()
        path = (base / name).resolve()
        if depth <= 0 or not path.is_relative_to(base):
            raise self.fail(
                f"cannot include {name}: "
                + ("includes nest too deep" if depth <= 0 else "it lies outside the policy folder"),
                line,
                "include files inside the policies folder, at most five levels deep",
                f"{name} をインクルードできない",
                source=source,
            )
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            # Never the exception's own text: it names the server's absolute path.
            why = (
                (exc.strerror or type(exc).__name__)
                if isinstance(exc, OSError)
                else "it is not UTF-8 text"
            )
            raise self.fail(
                f"cannot read the include file {name}: {why}",
                line,
                "give a path relative to the policy folder, to a UTF-8 text file",
                f"インクルードファイル {name} を読めない: {why}",
                source=source,
            ) from None
        self.files[name] = lines
        return lines

    def policy(self, aerleon: Any, naming: Any, origins: list[_Origin]) -> Any:
        if self.is_yaml:
            self.check_yaml_includes()
        self.check_uses()
        stdout = io.StringIO()
        try:
            with _quiet(), contextlib.redirect_stdout(stdout):
                if self.is_yaml:
                    policy = aerleon.yaml.ParsePolicy(
                        self.text,
                        filename=self.source,
                        base_dir=self.base_dir or "",
                        definitions=naming,
                        optimize=False,
                    )
                else:
                    policy = aerleon.policy.ParsePolicy(
                        self.text,
                        naming,
                        optimize=False,
                        base_dir=self.base_dir or "",
                        filename=self.source,
                    )
        except Exception as exc:
            raise self.policy_error(exc, origins) from None
        # The lexer prints and skips characters it does not know: that input was not read.
        illegal = _ILLEGAL.search(stdout.getvalue())
        if illegal:
            origin = self._origin(origins, int(illegal.group(2)))
            raise self.fail(
                f"unexpected character {illegal.group(1)!r}",
                origin.line,
                "remove it; values with special characters must be quoted",
                f"予期しない文字 {illegal.group(1)!r}",
                source=origin.source,
            )
        if not policy or not policy.filters:
            raise self.fail(
                "the policy has no filter",
                1,
                "write a header with a target and at least one term",
                "ポリシーにフィルタがない",
                "ターゲットを持つ header と一つ以上の term を書いてください",
            )
        return policy

    @staticmethod
    def _origin(origins: list[_Origin], line: int) -> _Origin:
        return origins[line - 1] if 0 < line <= len(origins) else _Origin(origins[0].source, line)

    def check_yaml_includes(self) -> None:
        """Read every YAML include before Aerleon does: each must lie inside ``base_dir``
        (Aerleon's own check compares path strings, so a sibling folder ``42x`` of ``42``
        would pass it)."""
        if self.base_dir is not None:
            self.yaml_includes(self.source, self.text, 5)
            return
        for number, line in enumerate(self.lines, 1):
            if re.match(r"^\s*-?\s*include\s*:", line):
                raise self.fail(
                    "the policy includes another file, but no folder to read includes from "
                    "was given",
                    number,
                    "pass base_dir (the verifier uses the policy's folder, or its parent when "
                    "the folder is named pol), or inline the included terms",
                    "ポリシーが別ファイルをインクルードしているが、読むフォルダがない",
                )

    def yaml_includes(self, source: str, text: str, depth: int) -> None:
        try:
            loader = _aerleon().yaml_loader.SpanSafeYamlLoader(filename=source)
            document = yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader subclass
        except Exception as exc:
            if source == self.source:
                return  # Aerleon reports the policy's own YAML error, with its line
            problem = getattr(exc, "problem", None) or type(exc).__name__
            raise self.fail(
                f"the include file {source} is not valid YAML: {problem}",
                _user_line(exc) or 1,
                "fix the include file's YAML syntax",
                f"インクルードファイル {source} が YAML として読めない: {problem}",
                source=source,
            ) from None
        for line, name in _include_directives(document):
            lines = self.include(name, source, line, depth)
            self.yaml_includes(name, "\n".join(lines), depth - 1)

    def policy_error(self, exc: Exception, origins: list[_Origin]) -> ParseError:
        message = _message(exc)
        kind = type(exc).__name__
        if kind in ("UndefinedAddressError", "UndefinedServiceError", "UndefinedPortError"):
            return self.undefined(exc)
        line = _user_line(exc) or self._line_in_message(message)
        if line is not None and not self.is_yaml:
            origin = self._origin(origins, line)
        elif line is not None:
            origin = _Origin(self.source, line)
        else:
            origin = _Origin(self.source, self.guess_line(message))
        if kind == "ParseError" and "unablanaced" in message:
            message = "unbalanced braces: a '{' has no matching '}'"
            origin = _Origin(self.source, _unclosed_brace(self.lines))
        problem = getattr(exc.__cause__, "problem", None)
        if problem:
            message = f"{message} ({problem})"
        return self.fail(
            f"Aerleon cannot read the policy: {message.strip()}",
            origin.line,
            "check the keyword and its value at that place against Aerleon's policy format "
            "(e.g. 'destination-address:: NAME' in .pol, 'destination-address: NAME' in YAML)",
            f"Aerleon がポリシーを読めない: {message.strip()}",
            "その位置のキーワードと値を Aerleon のポリシー形式に合わせて直してください",
            source=origin.source,
        )

    def guess_line(self, message: str) -> int:
        """Return the line of the first word of ``message`` that names a term, else 1."""
        for word in re.findall(r"[\w.-]+", message):
            for number, line in enumerate(self.lines, 1):
                found = _TERM.match(line) or re.match(
                    r"^\s*-?\s*name\s*:\s*['\"]?([^'\"\s]+)", line
                )
                if found and found.group(1) == word:
                    return number
        return 1

    def undefined(self, exc: Exception) -> ParseError:
        message = _message(exc).strip()
        name = re.split(r"[\s,:]+", message)[-1] if message else ""
        where, line = self.find_name(name)
        missing = not self.definitions
        hint = (
            "no naming definitions were given: name the folder of the .net/.svc/.yaml "
            "definitions (ruleset.definitions in the model)"
            if missing
            else f"define {name} in the naming definitions or fix the name"
        )
        hint_ja = (
            "名前定義が与えられていない: "
            "モデルの ruleset.definitions に定義フォルダを指定してください"
            if missing
            else f"{name} を名前定義に加えるか、名前を直してください"
        )
        return self.fail(
            f"undefined name {name}" if name else f"undefined name ({message})",
            line,
            hint,
            f"未定義の名前 {name}",
            hint_ja,
            source=where,
        )

    def find_name(self, name: str) -> tuple[str, int]:
        """Return where ``name`` is used: the policy first, then includes and definitions."""
        if not name:
            return self.source, 1
        pattern = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")
        candidates: list[tuple[str, list[str]]] = list(self.files.items())
        candidates += [(n, t.splitlines()) for n, t in sorted(self.definitions.items())]
        for where, lines in candidates:
            for number, line in enumerate(lines, 1):
                stripped = line.strip()
                if stripped.startswith("#") and not stripped.startswith("#include"):
                    continue
                if pattern.search(line.split("#", 1)[0] if where != self.source else line):
                    if where in self.definitions and re.match(
                        rf"^\s*{re.escape(name)}\s*[=:]", line
                    ):
                        continue  # the definition of another name that uses it comes later
                    return where, number
        return self.source, 1

    # -- filters and terms ---------------------------------------------------------------

    def regions(self) -> list[_Region]:
        return self.yaml_regions() if self.is_yaml else self.pol_regions()

    def pol_regions(self) -> list[_Region]:
        regions: list[_Region] = []
        for number, line in enumerate(self.lines, 1):
            if line.lstrip().startswith("#"):
                found = _INCLUDE.match(line)
                if found and regions and found.group(1) in self.files:
                    for i, inc in enumerate(self.files[found.group(1)], 1):
                        term = _TERM.match(inc)
                        if term:
                            regions[-1].terms.setdefault(
                                term.group(1), (found.group(1), i, inc.strip())
                            )
                continue
            if _HEADER.match(line):
                regions.append(_Region(number))
            elif regions:
                term = _TERM.match(line)
                if term:
                    regions[-1].terms.setdefault(term.group(1), (self.source, number, line.strip()))
        return regions

    def yaml_regions(self) -> list[_Region]:
        try:
            loader = _aerleon().yaml_loader.SpanSafeYamlLoader(filename=self.source)
            document = yaml.load(self.text, Loader=loader)  # noqa: S506 - a SafeLoader subclass
        except Exception:
            return []
        regions: list[_Region] = []
        for item in _items(document, "filters"):
            region = _Region(int(item.get("__line__", 1)))
            self.yaml_terms(region, item.get("terms"), self.source, 5)
            regions.append(region)
        return regions

    def yaml_terms(self, region: _Region, terms: Any, source: str, depth: int) -> None:
        if not isinstance(terms, list) or depth <= 0:
            return
        for term in terms:
            if not isinstance(term, dict):
                continue
            line = int(term.get("__line__", 1))
            if "include" in term and self.base_dir is not None:
                name = str(term["include"])
                try:
                    lines = self.include(name, source, line, depth)
                    loader = _aerleon().yaml_loader.SpanSafeYamlLoader(filename=name)
                    included = yaml.load("\n".join(lines), Loader=loader)  # noqa: S506
                except Exception:  # noqa: S112 - Aerleon reports a bad include itself
                    continue
                self.yaml_terms(region, _items(included, "terms"), name, depth - 1)
            elif "name" in term:
                text = self.files[source][line - 1].strip() if source in self.files else ""
                region.terms.setdefault(str(term["name"]), (source, line, text))

    def choose(self, filters: list[tuple[Any, Any]]) -> int:
        described = [
            ", ".join(" ".join([t.platform, *t.options]) for t in header.target)
            for header, _ in filters
        ]
        if self.filter_index is not None:
            if not 0 <= self.filter_index < len(filters):
                raise self.fail(
                    f"the policy has {len(filters)} filters; filter {self.filter_index} "
                    "does not exist",
                    1,
                    f"pick a filter from 0 to {len(filters) - 1}",
                    f"フィルタ {self.filter_index} は存在しない",
                )
            index = self.filter_index
            reason = "as asked"
        else:
            forwarding = [i for i, (h, _) in enumerate(filters) if _forwards(h)]
            index = forwarding[0] if forwarding else 0
            reason = (
                "the first one whose target filters forwarded traffic"
                if forwarding
                else "the first one (no target names a FORWARD hook)"
            )
        if len(filters) > 1:
            self.assumptions.append(
                f"{self.source}: of its {len(filters)} filters, filter {index + 1} "
                f"(targets {described[index]}) is read, {reason}; the others are not."
            )
        return index

    def ruleset(self, index: int, header: Any, terms: list[Any], region: _Region | None) -> Ruleset:
        platforms = [t.platform for t in header.target]
        header_line = region.line if region else 1
        name = _filter_name(header, index)
        stateful = sorted(set(platforms) & STATEFUL_PLATFORMS)
        default_accept = [t.platform for t in header.target if _default_accept(t)]
        policy = Verdict.ACCEPT if default_accept else Verdict.DROP
        self.assumptions.append(
            f"{self.source}:{header_line}: the filter's terms are read as one first-match "
            f"list for forwarded traffic with default {policy.value}"
            + (f" (target {', '.join(default_accept)} says ACCEPT)" if default_accept else "")
            + (
                "; packets of established connections are accepted first, as the stateful "
                + (
                    f"targets {', '.join(stateful)} do"
                    if len(stateful) > 1
                    else f"target {stateful[0]} does"
                )
                if stateful
                else ""
            )
            + "."
        )
        for target in header.target:
            family = [str(o) for o in target.options if str(o) in ("inet", "inet6", "mixed")]
            if family == ["inet6"]:
                self.assumptions.append(
                    f"{self.source}:{header_line}: the {target.platform} target renders IPv6 "
                    "rules only; the verifier (IPv4) reads the terms' IPv4 addresses."
                )
            scope = _zone_scope(target)
            if scope:
                self.assumptions.append(
                    f"{self.source}:{header_line}: the {target.platform} target limits the filter "
                    f"to {scope}; the verifier applies it to all traffic the device forwards."
                )
        header_location = SourceLocation(
            self.source, header_line, self.line_text(self.source, header_line), ref="header"
        )
        rules: list[Rule] = []
        if stateful:
            rules.append(
                Rule(
                    (self.state(_ESTABLISHED),),
                    Verdict.ACCEPT,
                    SourceLocation(
                        header_location.source,
                        header_location.line,
                        header_location.text,
                        ref=f"stateful target {stateful[0]}",
                    ),
                    comment="established connections",
                )
            )
        tracking = {
            p in _TRACKING_PLATFORMS and "nostate" not in header.FilterOptions(p) for p in platforms
        }
        for term in terms:
            where = region.terms.get(term.name) if region else None
            if where is None:
                where = self.locate(term.name, header_line)
            location = SourceLocation(where[0], where[1], where[2], ref=f"term {term.name}")
            rules.extend(self.term(term, location, set(platforms), tracking))
        chain = Chain(TABLE, name, tuple(rules), policy, header_location)
        ignored = tuple(
            IgnoredSection(
                source, tuple(sorted({line for s, line in entries if s == source})), reason, example
            )
            for reason, (entries, example) in self.ignored.items()
            for source in sorted({s for s, _ in entries})
        )
        return Ruleset(
            self.source,
            FORMAT,
            {(TABLE, name): chain},
            (Stage(Hook.FORWARD, 0, StageKind.FILTER, TABLE, name),),
            ignored,
            assumptions=tuple(self.assumptions),
        )

    def locate(self, name: str, fallback: int) -> tuple[str, int, str]:
        for source, lines in self.files.items():
            for number, line in enumerate(lines, 1):
                found = _TERM.match(line) or re.match(
                    r"^\s*-?\s*name\s*:\s*['\"]?([^'\"\s]+)", line
                )
                if found and found.group(1) == name:
                    return source, number, line.strip()
        return self.source, fallback, f"term {name}"

    def ignore(self, reason: str, location: SourceLocation) -> None:
        entries, _ = self.ignored.setdefault(reason, ([], location.text))
        entries.append((location.source, location.line))

    # -- one term -------------------------------------------------------------------------

    def term(
        self, term: Any, location: SourceLocation, platforms: set[str], tracking: set[bool]
    ) -> list[Rule]:
        name = term.name
        where = f"{location.source}:{location.line}"

        def refuse(what: str, hint: str) -> UnsupportedSyntax:
            error = self.fail(
                f"term {name}: {what} is not modelled",
                location.line,
                hint,
                f"term {name}: {what} は検証できない",
                source=location.source,
                unsupported=True,
            )
            assert isinstance(error, UnsupportedSyntax)
            return error

        if str(getattr(term, "restrict_address_family", None) or "") == "inet6":
            self.ignore(_IPV6_ONLY, location)
            return []
        if getattr(term, "inactive", False):
            self.ignore("inactive terms", location)
            return []
        if term.platform or term.platform_exclude:
            applies = {
                p
                for p in platforms
                if (not term.platform or p in term.platform) and p not in term.platform_exclude
            }
            if not applies:
                self.ignore("terms for other platforms", location)
                return []
            if applies != platforms:
                if self._action(term, refuse) is not Verdict.ACCEPT:
                    raise refuse(
                        "a term for only some of the filter's platforms",
                        "give the filter one platform, or split it by platform",
                    )
                self.assumptions.append(
                    f"{where}: term {name} is rendered for {', '.join(sorted(applies))} only; "
                    "it is read as if every target had it (it then permits at least as much)."
                )
        if term.verbatim:
            own = [v for v in term.verbatim if str(v[0]) in platforms]
            if own:
                raise refuse(
                    f"verbatim {own[0][0]} text",
                    "write the rule as terms Aerleon understands; verbatim text is passed "
                    "to the device unread",
                )
            if not term.action:
                self.ignore("verbatim text for other platforms", location)
                return []
        for attribute, what in _REDIRECTING_ATTRIBUTES.items():
            if getattr(term, attribute, None):
                raise refuse(what, "remove it; the verifier follows only the model's static routes")
        action = self._action(term, refuse)
        for attribute, what in _IGNORED_ATTRIBUTES.items():
            if getattr(term, attribute, None):
                self.ignore(what, location)
        narrowing = [w for a, w in _NARROWING_ATTRIBUTES.items() if getattr(term, a, None)]
        options = [str(o) for o in term.option]
        established = [o for o in options if o in ("established", "tcp-established")]
        for option in options:
            if option in _IGNORED_OPTIONS:
                self.ignore("logging", location)
            elif option not in ("established", "tcp-established"):
                narrowing.append(f"option {option}")
        if getattr(term, "expiration", None):
            expiration: datetime.date = term.expiration
            self.assumptions.append(
                f"{where}: term {name} expires on {expiration.isoformat()}; Aerleon stops "
                "rendering it that day, the verifier reads it as written."
            )
        if narrowing:
            if action is not Verdict.ACCEPT:
                raise refuse(
                    narrowing[0],
                    "the verifier cannot tell which packets it matches; on a deny or reject "
                    "term that could let traffic through: match on addresses, protocols and "
                    "ports instead",
                )
            self.assumptions.append(
                f"{where}: term {name} also matches on {', '.join(sorted(set(narrowing)))}; "
                "read as matching every packet of its addresses, protocols and ports."
            )
        base = self.matches(term, location, platforms, action, refuse)
        if isinstance(base, str):
            self.ignore(base, location)
            return []
        readings = self.established(term, established, tracking, action, refuse, where)
        return [
            Rule((*base, *extra), action, location, comment=" ".join(term.comment)[:200])
            for extra in readings
        ]

    @staticmethod
    def _action(term: Any, refuse: Callable[[str, str], UnsupportedSyntax]) -> Outcome | None:
        actions = [str(a) for a in term.action]
        if not actions:
            raise refuse("a term without an action", "give the term an action")
        verdicts = {_ACTIONS[a] for a in actions if a in _ACTIONS}
        unknown = [a for a in actions if a not in _ACTIONS]
        if unknown or len(verdicts) > 1:
            raise refuse(
                f"action {' '.join(actions)}",
                "use one of accept, deny, reject, reject-with-tcp-rst, next",
            )
        return verdicts.pop()

    def established(
        self,
        term: Any,
        options: list[str],
        tracking: set[bool],
        action: Outcome | None,
        refuse: Callable[[str, str], UnsupportedSyntax],
        where: str,
    ) -> list[tuple[Condition, ...]]:
        """Return the alternative extra conditions of ``option: (tcp-)established``."""
        if not options:
            return [()]
        state = self.state(_ESTABLISHED)
        readings: list[tuple[Condition, ...]] = [(state,)]
        protocols = {str(p) for p in term.protocol}
        if "established" in options and False in tracking and "udp" in protocols:
            # Stateless targets render "established" on UDP as destination ports 1024-65535.
            readings.append(
                (self.range(Field.PROTO, ((17, 17),)), self.range(Field.DPORT, _HIGH_PORTS))
            )
            if action is not Verdict.ACCEPT and True in tracking:
                raise refuse(
                    "option established on UDP for stateful and stateless targets at once",
                    "split the filter by target kind",
                )
            self.assumptions.append(
                f"{where}: term {term.name} (option established, UDP) is read as also matching "
                "new UDP flows to ports 1024-65535, as stateless targets render it."
            )
        return readings

    def matches(
        self,
        term: Any,
        location: SourceLocation,
        platforms: set[str],
        action: Outcome | None,
        refuse: Callable[[str, str], UnsupportedSyntax],
    ) -> tuple[Condition, ...] | str:
        """Return the term's conditions, or why it matches no IPv4 packet.

        Excludes follow Aerleon (``Term.FlattenAll``) and the generators: ``source-address``
        with ``source-exclude`` is the source in X minus E, ``address`` with ``address-exclude``
        is the source *or* the destination in X minus E. An exclude without its address is
        rendered differently by different targets (see :meth:`lone_exclude`).
        """
        conditions: list[Condition] = []
        for field_, values, excludes, words in (
            (Field.SRC, term.source_address, term.source_address_exclude, "source"),
            (Field.DST, term.destination_address, term.destination_address_exclude, "destination"),
        ):
            if values:
                ranges = _ipv4(values)
                if not ranges:
                    return _IPV6_ONLY
                conditions.append(self.range(field_, ranges))
                if excludes and _ipv4(excludes):
                    conditions.append(self.range(field_, _ipv4(excludes), negated=True))
            elif (
                excludes
                and _ipv4(excludes)
                and self.lone_exclude(term, words, platforms, action, refuse, location)
            ):
                conditions.append(self.range(field_, _ipv4(excludes), negated=True))
        if term.address:
            ranges = _ipv4(term.address)
            if not ranges:
                return _IPV6_ONLY
            if term.address_exclude:
                ranges = _subtract(ranges, _ipv4(term.address_exclude))
            if not ranges:
                return "terms whose address-exclude removes every IPv4 address"
            conditions.append(
                self.any_of((self.range(Field.SRC, ranges), self.range(Field.DST, ranges)))
            )
        elif term.address_exclude and _ipv4(term.address_exclude):
            self.lone_exclude(term, "", platforms, action, refuse, location)
        protocols = [self.protocol(p, location) for p in term.protocol]
        if protocols:
            conditions.append(self.range(Field.PROTO, _merge((p, p) for p in protocols)))
        if term.protocol_except:
            excluded = [self.protocol(p, location) for p in term.protocol_except]
            conditions.append(self.range(Field.PROTO, _merge((p, p) for p in excluded), True))
        for field_, ports in (
            (Field.SPORT, term.source_port),
            (Field.DPORT, term.destination_port),
        ):
            if ports:
                conditions.append(self.range(field_, _merge((int(a), int(b)) for a, b in ports)))
        if term.port:
            ranges = _merge((int(a), int(b)) for a, b in term.port)
            conditions.append(
                self.any_of((self.range(Field.SPORT, ranges), self.range(Field.DPORT, ranges)))
            )
        if term.icmp_type:
            conditions.append(self.icmp_types(term, protocols, location))
        if term.icmp_code:
            codes = _merge((int(c), int(c)) for c in term.icmp_code)
            conditions.append(self.range(Field.ICMP_CODE, codes))
        if term.source_interface:
            conditions.append(self.interface("in", str(term.source_interface)))
        if term.destination_interface:
            conditions.append(self.interface("out", str(term.destination_interface)))
        return tuple(conditions)

    def lone_exclude(
        self,
        term: Any,
        words: str,
        platforms: set[str],
        action: Outcome | None,
        refuse: Callable[[str, str], UnsupportedSyntax],
        location: SourceLocation,
    ) -> bool:
        """Read an exclude without its address (``words``: source or destination; empty for
        ``address-exclude``). Return True when it means "every address but the excluded"."""
        keyword = f"{words}-exclude" if words else "address-exclude"
        address = f"{words}-address" if words else "address"
        where = f"{location.source}:{location.line}"
        if words and platforms <= _EXCLUDE_COMPLEMENT:
            return True
        if words and platforms <= _EXCLUDE_DROPPED:
            self.assumptions.append(
                f"{where}: term {term.name} has {keyword} without {address}; its targets "
                f"({', '.join(sorted(platforms))}) render no exclusion then, so it is read as "
                f"matching every {words} address."
            )
            return False
        if action is not Verdict.ACCEPT:
            raise refuse(
                f"{keyword} without {address}",
                f"add the {address} the exclusion is taken from: Aerleon's targets render "
                "a lone exclusion differently (every address but the excluded, or no "
                "exclusion at all)",
            )
        self.assumptions.append(
            f"{where}: term {term.name} has {keyword} without {address}; targets render that "
            "differently (every address but the excluded, or no exclusion at all), so it is "
            "read as excluding nothing (it then permits at least as much)."
        )
        return False

    def protocol(self, value: Any, location: SourceLocation) -> int:
        text = str(value).lower()
        if text.isdigit() and int(text) <= 255:
            return int(text)
        number = PROTOCOLS.get(text)
        if number is None:
            number = _aerleon().aclgenerator.Term.PROTO_MAP.get(text)
        if number is None:
            raise self.fail(
                f"unknown protocol {value}",
                location.line,
                "write a protocol name (tcp, udp, icmp, ...) or number",
                f"未知のプロトコル {value}",
                source=location.source,
            )
        return int(number)

    def icmp_types(self, term: Any, protocols: list[int], location: SourceLocation) -> Condition:
        if not protocols or set(protocols) - {1, 58}:
            raise self.fail(
                f"term {term.name}: icmp-type needs protocol icmp or icmpv6 only",
                location.line,
                "add 'protocol: icmp' to the term",
                f"term {term.name}: icmp-type には protocol icmp が必要",
                source=location.source,
            )
        table = _aerleon().policy.Term.ICMP_TYPE
        family = 4 if 1 in protocols else 6
        numbers = []
        for name in term.icmp_type:
            number = table[family].get(str(name))
            if number is None:
                raise self.fail(
                    f"term {term.name}: unknown ICMP type {name}",
                    location.line,
                    "use an ICMP type name Aerleon knows, e.g. echo-request",
                    f"term {term.name}: 未知の ICMP タイプ {name}",
                    source=location.source,
                )
            numbers.append(int(number))
        return self.range(Field.ICMP_TYPE, _merge((n, n) for n in numbers))

    # -- shared condition objects ----------------------------------------------------------

    def range(
        self, field_: Field, ranges: tuple[tuple[int, int], ...], negated: bool = False
    ) -> RangeMatch:
        key = ("range", field_, ranges, negated)
        found = self.conditions.get(key)
        if found is None:
            found = self.conditions[key] = RangeMatch(field_, ranges, negated)
        assert isinstance(found, RangeMatch)
        return found

    def any_of(self, options: tuple[RangeMatch, ...], negated: bool = False) -> Condition:
        key = ("any", options, negated)
        found = self.conditions.get(key)
        if found is None:
            found = self.conditions[key] = AnyOf(options, negated)
        return found

    def state(self, states: frozenset[str]) -> Condition:
        key = ("state", states)
        found = self.conditions.get(key)
        if found is None:
            found = self.conditions[key] = StateMatch(states)
        return found

    def interface(self, direction: str, name: str) -> Condition:
        key = ("iface", direction, name)
        found = self.conditions.get(key)
        if found is None:
            found = self.conditions[key] = InterfaceMatch(direction, (name,))
        return found


# -- helpers --------------------------------------------------------------------------------


@functools.cache
def _aerleon() -> Any:
    """Return Aerleon's modules (imported on first use; typed as Any at this boundary)."""
    modules = {
        name: importlib.import_module(f"aerleon.lib.{name}")
        for name in ("naming", "policy", "yaml", "yaml_loader", "aclgenerator")
    }
    return type("Aerleon", (), modules)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence Aerleon's warnings (logged through absl's "absl" logger) while it parses: what
    they say reaches the caller as errors, ignored sections or assumptions."""
    absl = logging.getLogger("absl")
    level = absl.level
    absl.setLevel(logging.ERROR)
    try:
        yield
    finally:
        absl.setLevel(level)


def _message(exc: Exception) -> str:
    if exc.args and hasattr(exc.args[0], "message"):
        return str(exc.args[0].message)
    return str(exc) or type(exc).__name__


def _user_line(exc: Exception) -> int | None:
    """Return the line an Aerleon ``UserMessage`` or the YAML error behind it names."""
    for arg in exc.args:
        line = getattr(arg, "line", None)
        if isinstance(line, int):
            return line
    mark = getattr(exc.__cause__, "problem_mark", None) or getattr(exc, "problem_mark", None)
    if mark is not None:
        return int(mark.line) + 1
    return None


def _include_directives(node: Any) -> Iterator[tuple[int, str]]:
    """Yield ``(line, path)`` of every ``include:`` mapping in a YAML document."""
    if isinstance(node, dict):
        if "include" in node:
            yield int(node.get("__line__", 1)), str(node["include"])
        for value in node.values():
            yield from _include_directives(value)
    elif isinstance(node, list):
        for item in node:
            yield from _include_directives(item)


def _items(document: Any, key: str) -> list[Any]:
    value = document.get(key) if isinstance(document, dict) else None
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _ipv4(addresses: Iterable[Any]) -> tuple[tuple[int, int], ...]:
    """Return the IPv4 addresses of Aerleon's address objects as merged inclusive ranges."""
    return _merge(
        (int(a.network_address), int(a.broadcast_address))
        for a in addresses
        if getattr(a, "version", None) == 4
    )


def _subtract(
    ranges: tuple[tuple[int, int], ...], removed: tuple[tuple[int, int], ...]
) -> tuple[tuple[int, int], ...]:
    """Return the merged ``ranges`` minus the merged ``removed`` (both sorted, inclusive)."""
    out: list[tuple[int, int]] = []
    for lo, hi in ranges:
        for cut_lo, cut_hi in removed:
            if cut_hi < lo or cut_lo > hi:
                continue
            if cut_lo > lo:
                out.append((lo, cut_lo - 1))
            lo = cut_hi + 1
            if lo > hi:
                break
        if lo <= hi:
            out.append((lo, hi))
    return tuple(out)


def _merge(ranges: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return tuple(merged)


def _hook(target: Any) -> str:
    """Return the hook a speedway/iptables/nftables target names (empty for others)."""
    options = [str(o) for o in target.options]
    if target.platform in ("speedway", "iptables") and options:
        return options[0].upper()
    if target.platform == "nftables" and len(options) > 1:
        return options[1].upper()
    return ""


def _forwards(header: Any) -> bool:
    return any(_hook(t) == "FORWARD" for t in header.target)


def _default_accept(target: Any) -> bool:
    options = [str(o).upper() for o in target.options]
    if target.platform in ("speedway", "iptables"):
        return len(options) > 1 and options[1] == "ACCEPT"
    if target.platform == "nftables":
        return "ACCEPT" in options[2:]
    return False


def _zone_scope(target: Any) -> str:
    options = [str(o) for o in target.options]
    if "from-zone" in options and "to-zone" in options:
        source = options[options.index("from-zone") + 1 : options.index("from-zone") + 2]
        destination = options[options.index("to-zone") + 1 : options.index("to-zone") + 2]
        return f"traffic from zone {''.join(source)} to zone {''.join(destination)}"
    return ""


def _filter_name(header: Any, index: int) -> str:
    for target in header.target:
        options = [str(o) for o in target.options]
        if target.platform in ("speedway", "iptables", "nftables") and _hook(target):
            return _hook(target)
        if options and options[0] not in ("from-zone", "inet", "inet6", "mixed"):
            return options[0]
    return f"filter-{index + 1}"


def _unclosed_brace(lines: list[str]) -> int:
    """Return the line of the first ``{`` never closed (comments and quotes skipped), else 1."""
    stack: list[int] = []
    for number, line in enumerate(lines, 1):
        code = re.sub(r'"[^"]*"', "", line).split("#", 1)[0]
        for char in code:
            if char == "{":
                stack.append(number)
            elif char == "}" and stack:
                stack.pop()
    return stack[0] if stack else max(len(lines), 1)
