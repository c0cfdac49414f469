"""Verification: load, compile, reach, judge against the policy, explain, report.

``verify`` runs these steps in order:

1. read the model and every device's rule set (``loader.py``, ``parsers/``);
2. resolve the topology and lay out the BDD variables (``topology.py``, ``space.py``);
3. find shadowed, redundant and unmatchable rules while the chains are folded (``analysis.py``);
4. push every zone's new connections to the fixpoint (``reach.py``);
5. per destination zone, keep what the policy forbids (matrix cell, crossing points, security
   cloud, cloud services, unexpired exceptions) and split it into path classes (``trace.py``);
6. state, for every ordered pair of segments, whether it is proved compliant.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import gc
from collections.abc import Iterator
from pathlib import Path

from isms.segments._bdd import BACKEND, Node
from isms.segments.addresses import format_address, prefix_range
from isms.segments.analysis import Finding, RuleAnalysis
from isms.segments.errors import ModelError
from isms.segments.loader import load_model
from isms.segments.model import (
    Assumptions,
    FlowRule,
    NetworkModel,
    Policy,
    PolicyException,
    Prefix,
    RulesetRef,
    Service,
)
from isms.segments.parsers import parse_ruleset
from isms.segments.policy import rule_for
from isms.segments.reach import Engine, StageTrace
from isms.segments.result import (
    ConfigReading,
    ExceptionStatus,
    Hop,
    IgnoredItem,
    NatStep,
    PathViolation,
    Report,
    RuleFinding,
    RuleRef,
    SegmentPairVerdict,
)
from isms.segments.rules import Chain, Field, Nat, Rule, Ruleset
from isms.segments.space import Space
from isms.segments.summarize import summarize
from isms.segments.topology import Topology, build_topology, ruleset_path
from isms.segments.trace import RawViolation, Tracer

__all__ = ["Context", "PolicyCheck", "paused_collector", "prepare", "rule_ref", "verify"]


@dataclasses.dataclass
class Context:
    """A loaded, compiled network: what ``verify`` and ``explain`` share."""

    model: NetworkModel
    rulesets: dict[str, Ruleset]
    topology: Topology
    space: Space
    engine: Engine
    check: PolicyCheck


def _read_rulesets(model: NetworkModel) -> dict[str, Ruleset]:
    out: dict[str, Ruleset] = {}
    for index, device in enumerate(model.devices):
        if device.ruleset is None:
            continue
        where = f"devices[{index}].ruleset.file"
        path = ruleset_path(model, device.ruleset.path, where=where)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = _reason(exc)
            raise ModelError(
                f"cannot read the rule set of {device.name} ({device.ruleset.path}): {reason}",
                source=model.source,
                path=where,
                hint="give a path relative to the model file, to a UTF-8 text file",
                message_ja=(
                    f"{device.name} のルールセット ({device.ruleset.path}) を読めない: {reason}"
                ),
                hint_ja="モデルファイルからの相対パスで UTF-8 のテキストファイルを指定してください",
            ) from None
        if device.ruleset.format == "aerleon":
            out[device.name] = _read_aerleon(model, index, device.ruleset, path, text)
            continue
        out[device.name] = parse_ruleset(
            text, format=device.ruleset.format, source=device.ruleset.path
        )
    return out


def _check_interfaces(model: NetworkModel, rulesets: dict[str, Ruleset]) -> None:
    """A device whose configuration declares its interfaces must have, in the model, only
    interfaces of that configuration, with one of their addresses.

    Vendor rules name interfaces (zones are sets of them): a model interface that the
    configuration does not know would match none of its rules, and the device would look as
    if it dropped everything through it — a network could pass for compliant. So a name or an
    address that differs is an error, not a guess.
    """
    for index, device in enumerate(model.devices):
        ruleset = rulesets.get(device.name)
        if ruleset is None or not ruleset.interfaces:
            continue
        configured: dict[str, set[tuple[int, int]]] = {}
        for declared in ruleset.interfaces:
            addresses = configured.setdefault(declared.name, set())
            if declared.address is not None and declared.prefix_length is not None:
                addresses.add((declared.address, declared.prefix_length))
        for j, iface in enumerate(device.interfaces):
            where = f"devices[{index}].interfaces[{j}]"
            if iface.name not in configured:
                known = ", ".join(sorted(configured)[:12])
                raise ModelError(
                    f"{device.name}'s configuration ({ruleset.source}) has no interface "
                    f"'{iface.name}'; it has: {known}",
                    source=model.source,
                    path=f"{where}.name",
                    hint="name the interfaces exactly as the configuration does "
                    "(case and punctuation included)",
                    message_ja=f"{device.name} の設定 ({ruleset.source}) にインタフェース "
                    f"'{iface.name}' がない。設定にあるもの: {known}",
                    hint_ja="インタフェース名は設定のとおりに（大文字小文字も含めて）書いてください",
                )
            addresses = configured[iface.name]
            if addresses and (iface.address, iface.prefix_length) not in addresses:
                found = ", ".join(f"{format_address(a)}/{n}" for a, n in sorted(addresses))
                given = f"{format_address(iface.address)}/{iface.prefix_length}"
                raise ModelError(
                    f"{device.name} {iface.name}: the model says {given}, the configuration "
                    f"({ruleset.source}) says {found}",
                    source=model.source,
                    path=f"{where}.address",
                    hint="copy the interface address from the configuration",
                    message_ja=f"{device.name} {iface.name}: モデルは {given}、設定 "
                    f"({ruleset.source}) は {found}",
                    hint_ja="インタフェースのアドレスは設定から写してください",
                )


def _reason(exc: OSError | UnicodeDecodeError) -> str:
    """Why a file could not be read, without the server's path to it."""
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text ({exc.reason} at byte {exc.start})"
    return exc.strerror or type(exc).__name__


def _read_aerleon(
    model: NetworkModel, index: int, ref: RulesetRef, path: Path, text: str
) -> Ruleset:
    """Parse an Aerleon policy with every naming-definition file of its ``definitions`` folder.

    Includes are read from the policy's folder, or from its parent when the folder is named
    ``pol`` (Aerleon's ``policies/pol`` + ``policies/includes`` layout).
    """
    from isms.segments.parsers import aerleon

    definitions: dict[str, str] = {}
    if ref.definitions is not None:
        where = f"devices[{index}].ruleset.definitions"
        folder = ruleset_path(model, ref.definitions, where=where)
        try:
            files = sorted(p for p in folder.iterdir() if p.is_file())
            for file in files:
                if model.confined and not file.resolve().is_relative_to(folder):
                    continue  # a symbolic link out of the uploaded folder
                if file.suffix.lower() in (".net", ".svc", ".yaml", ".yml"):
                    definitions[file.name] = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = _reason(exc)
            raise ModelError(
                f"cannot read the naming definitions of {model.devices[index].name}: {reason}",
                source=model.source,
                path=where,
                hint="give a folder relative to the model file, holding UTF-8 .net, .svc or "
                ".yaml files",
                message_ja=f"{model.devices[index].name} の名前定義を読めない: {reason}",
                hint_ja="モデルファイルからの相対パスで、UTF-8 の .net/.svc/.yaml を置いた"
                "フォルダを指定してください",
            ) from None
    base = path.parent.parent if path.parent.name == "pol" else path.parent
    if model.confined and not base.resolve().is_relative_to(Path(model.base_dir).resolve()):
        base = path.parent  # an uploaded model's includes stay inside its folder
    return aerleon.parse(text, source=ref.path, definitions=definitions, base_dir=str(base))


@contextlib.contextmanager
def paused_collector() -> Iterator[None]:
    """Pause Python's cyclic garbage collector, and restore its previous state afterwards.

    Compiling a large rule base allocates millions of small objects (rules, conditions, BDD
    handles) that form no reference cycles; the collector's full passes over them took about a
    fifth of the CPU time of a 100,000-rule proof. Reference counting still frees everything.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def prepare(
    model: str | Path | NetworkModel,
    *,
    today: datetime.date,
    policy: Policy | None = None,
    assumptions: Assumptions | None = None,
    rulesets: dict[str, Ruleset] | None = None,
) -> Context:
    """Load a model (unless given one) and its rule sets, and set up the engine.

    ``rulesets`` (device name → parsed rule set) replaces reading the files named in the model.
    """
    with paused_collector():
        return _prepare(model, today, policy, assumptions, rulesets)


def _prepare(
    model: str | Path | NetworkModel,
    today: datetime.date,
    policy: Policy | None,
    assumptions: Assumptions | None,
    rulesets: dict[str, Ruleset] | None,
) -> Context:
    loaded = model if isinstance(model, NetworkModel) else load_model(model)
    if policy is not None:
        loaded = dataclasses.replace(loaded, policy=policy)
    if assumptions is not None:
        loaded = dataclasses.replace(loaded, assumptions=assumptions)
    if rulesets is None:
        rulesets = _read_rulesets(loaded)
    _check_interfaces(loaded, rulesets)
    topology = build_topology(loaded, rulesets)
    space = Space(zone_count=len(loaded.zones))
    engine = Engine(topology, space, loaded.assumptions)
    return Context(loaded, rulesets, topology, space, engine, PolicyCheck(loaded, engine, today))


class PolicyCheck:
    """Build the "allowed" sets of the policy over delivered flows."""

    def __init__(self, model: NetworkModel, engine: Engine, today: datetime.date):
        self.model = model
        self.engine = engine
        self.space = engine.space
        self.today = today
        self.segment_of = {z.name: z.segment for z in model.zones}
        self._forbidden: dict[str, Node] = {}
        self._approved: Node | None = None

    def prefixes(self, prefixes: tuple[Prefix, ...], field: Field, copy: str) -> Node:
        """Return the set where an address field lies in one of the prefixes."""
        return self.space.ranges(
            field, tuple(prefix_range(n, length) for n, length in prefixes), copy
        )

    def service(self, services: tuple[Service, ...]) -> Node:
        """Return the set of packets (as delivered) of any of the services."""
        space = self.space
        result = space.false
        for service in services:
            part = (
                space.true
                if service.protocol is None
                else space.value(Field.PROTO, service.protocol)
            )
            if service.ports:
                part = part & space.ranges(Field.DPORT, service.ports)
            result = result | part
        return result

    def exception(self, exception: PolicyException) -> Node:
        """Return the flows an exception approves: real source, delivered destination."""
        return (
            self.prefixes(exception.sources, Field.SRC, "o")
            & self.prefixes(exception.destinations, Field.DST, "c")
            & self.service(exception.services)
        )

    def active_exceptions(self) -> Node:
        """Return the flows approved by exceptions that have not expired."""
        if self._approved is not None:
            return self._approved
        result = self.space.false
        for exception in self.model.exceptions:
            if exception.expires >= self.today:
                result = result | self.exception(exception)
        self._approved = result
        return result

    def allowed(self, rule: FlowRule, source: str, destination: str) -> Node:
        """Return the flows a matrix cell allows from one segment to another."""
        space = self.space
        if rule is FlowRule.ALLOW:
            return space.true
        if rule is FlowRule.DENY:
            return space.false
        if rule is FlowRule.CROSSING_ONLY:
            result = space.false
            for point in self.model.crossing_points:
                if source in point.segments and destination in point.segments:
                    at_point = self.prefixes(point.addresses, Field.SRC, "o") | self.prefixes(
                        point.addresses, Field.DST, "c"
                    )
                    result = result | (at_point & self.service(point.services))
            return result
        if rule is FlowRule.SECURITY_CLOUD:
            result = space.tsc()
            cloud = self.model.security_cloud
            if cloud is not None:
                for zone in cloud.zones:
                    result = result | self.engine.deliverable(zone)
                    result = result | space.zone(self.engine.topology.zone_index[zone])
            return result
        result = space.false
        for service in self.model.cloud_services:
            result = result | (
                self.prefixes(service.prefixes, Field.DST, "c") & self.service(service.services)
            )
        return result

    def forbidden(self, destination_zone: str) -> Node:
        """Return, over origin zones, what the policy forbids delivering to a zone."""
        target = self.segment_of[destination_zone]
        cached = self._forbidden.get(target)
        if cached is not None:
            return cached
        space = self.space
        approved = self.active_exceptions()
        origins: dict[str, Node] = {}
        for zone in self.model.zones:
            origin = space.zone(self.engine.topology.zone_index[zone.name])
            origins[zone.segment] = origins.get(zone.segment, space.false) | origin
        result = space.false
        for segment, origin in origins.items():
            if segment == target:
                continue
            rule = rule_for(self.model.policy, segment, target)
            if rule is FlowRule.ALLOW:
                continue
            result = result | (origin & ~(self.allowed(rule, segment, target) | approved))
        self._forbidden[target] = result
        return result


def verify(
    model: str | Path | NetworkModel,
    *,
    today: datetime.date,
    policy: Policy | None = None,
    assumptions: Assumptions | None = None,
    max_paths: int = 1000,
    rule_findings: bool = True,
) -> Report:
    """Verify a network model against its separation policy; see the package docstring.

    ``rule_findings=False`` skips the shadowed/redundant/unmatchable analysis (an extra pass over
    every rule); the proof and the violating paths are the same either way.
    """
    with paused_collector():
        return _verify(model, today, policy, assumptions, max_paths, rule_findings)


def _verify(
    model: str | Path | NetworkModel,
    today: datetime.date,
    policy: Policy | None,
    assumptions: Assumptions | None,
    max_paths: int,
    rule_findings: bool,
) -> Report:
    context = prepare(model, today=today, policy=policy, assumptions=assumptions)
    model_ = context.model
    engine = context.engine
    findings: list[tuple[str, Finding]] = []
    for name, device_engine in engine.devices.items():
        # One device at a time: the analysis keeps a BDD per rule, freed before the next device.
        if device_engine.info.ruleset is not None and rule_findings:
            analysis = RuleAnalysis(device_engine, engine.state_domain())
            analysis.attach()
            analysis.prepare()
            findings.extend((name, f) for f in analysis.findings())
            device_engine.folder.observer = None  # type: ignore[union-attr]
            del analysis
    reach = engine.run()
    check = context.check
    violations = {zone: reach.delivered[zone] & check.forbidden(zone) for zone in reach.delivered}
    violations = {z: v for z, v in violations.items() if v != context.space.false}
    tracer = Tracer(engine, violations, limit=max_paths)
    raw = tracer.run()
    path_violations = tuple(_violation(context, item) for item in raw)
    pairs = _pairs(context, reach.delivered, violations, path_violations)
    exceptions = _exceptions(context, reach.delivered)
    return Report(
        model=model_.name,
        policy_model=model_.policy.model.value,
        backend=BACKEND,
        assumptions=_assumption_codes(model_.assumptions),
        compliant=not violations,
        violations=path_violations,
        pairs=pairs,
        exceptions=exceptions,
        rule_findings=tuple(_finding(name, f) for name, f in findings),
        ignored=_ignored(context),
        devices=len(model_.devices),
        rules=sum(r.rule_count() for r in context.rulesets.values()),
        truncated=tracer.truncated,
        today=today,
        readings=tuple(
            ConfigReading(device, text)
            for device, ruleset in context.rulesets.items()
            for text in ruleset.assumptions
        ),
    )


def _assumption_codes(assumptions: Assumptions) -> tuple[str, ...]:
    return (
        f"connection_state={assumptions.connection_state}",
        f"spoofing={'allowed' if assumptions.spoofing else 'none'}",
        "device_traffic=out_of_scope",
        "ip=ipv4",
        "routes=static",
        "tcp_flags=first_packet",
        "nat_range=any_address",
    )


def rule_ref(device: str, item: Rule | Chain) -> RuleRef:
    """Return the report reference of a rule or of a chain's policy."""
    if isinstance(item, Chain):
        loc = item.location
        policy = item.policy.value if item.policy else ""
        return RuleRef(device, loc.source, loc.line, loc.text, f"{item.table} {item.name}", policy)
    loc = item.location
    return RuleRef(device, loc.source, loc.line, loc.text, loc.ref)


def _nat_text(nat: Nat) -> str:
    parts = []
    if nat.addresses is not None:
        lo, hi = nat.addresses
        parts.append(format_address(lo) + (f"-{format_address(hi)}" if hi != lo else ""))
    elif nat.kind == "masquerade":
        parts.append("(outgoing interface address)")
    if nat.ports is not None:
        lo, hi = nat.ports
        parts.append(f"port {lo}" + (f"-{hi}" if hi != lo else ""))
    return " ".join(parts)


def _hop(hop_device: str, in_iface: str, out_iface: str, stages: tuple[StageTrace, ...]) -> Hop:
    rules: list[RuleRef] = []
    nats: list[NatStep] = []
    for trace in stages:
        refs = [rule_ref(hop_device, d) for d in trace.deciders]
        rules.extend(refs)
        if isinstance(trace.outcome, Nat) and refs:
            nats.append(NatStep(hop_device, trace.outcome.kind, _nat_text(trace.outcome), refs[-1]))
    return Hop(hop_device, in_iface, out_iface, tuple(rules), tuple(nats))


def _violation(context: Context, item: RawViolation) -> PathViolation:
    segment_of = context.check.segment_of
    source_segment = segment_of[item.source_zone]
    destination_segment = segment_of[item.destination_zone]
    rule = rule_for(context.model.policy, source_segment, destination_segment)
    hops = tuple(_hop(h.device, h.in_interface, h.out_interface, h.stages) for h in item.hops)
    return PathViolation(
        source_zone=item.source_zone,
        source_segment=source_segment,
        destination_zone=item.destination_zone,
        destination_segment=destination_segment,
        rule=rule.value,
        flows=summarize(context.space, item.flows),
        path=hops,
        nat_applied=any(h.nat for h in hops),
    )


def _pairs(
    context: Context,
    delivered: dict[str, Node],
    violations: dict[str, Node],
    listed: tuple[PathViolation, ...],
) -> tuple[SegmentPairVerdict, ...]:
    space = context.space
    model = context.model
    segments = [s.name for s in model.segments if any(z.segment == s.name for z in model.zones)]
    index = context.topology.zone_index
    out = []
    for source in segments:
        origin = space.false
        for zone in model.zones:
            if zone.segment == source:
                origin = origin | space.zone(index[zone.name])
        for target in segments:
            if target == source:
                continue
            reached = space.false
            bad = space.false
            for zone in model.zones:
                if zone.segment == target:
                    reached = reached | (delivered[zone.name] & origin)
                    bad = bad | (violations.get(zone.name, space.false) & origin)
            used = tuple(
                e.id
                for e in model.exceptions
                if e.expires >= context.check.today
                and reached & context.check.exception(e) != space.false
            )
            count = sum(
                1 for v in listed if v.source_segment == source and v.destination_segment == target
            )
            rule = rule_for(model.policy, source, target)
            out.append(
                SegmentPairVerdict(
                    source,
                    target,
                    rule.value,
                    bad == space.false,
                    reached != space.false,
                    count,
                    used,
                )
            )
    return tuple(out)


def _exceptions(context: Context, delivered: dict[str, Node]) -> tuple[ExceptionStatus, ...]:
    space = context.space
    everything = space.false
    for node in delivered.values():
        everything = everything | node
    out = []
    for exception in context.model.exceptions:
        used = everything & context.check.exception(exception) != space.false
        out.append(
            ExceptionStatus(
                exception.id,
                exception.expires,
                exception.expires < context.check.today,
                used,
                exception.approver,
                exception.reason,
            )
        )
    return tuple(out)


def _finding(device: str, finding: Finding) -> RuleFinding:
    return RuleFinding(
        finding.kind,
        rule_ref(device, finding.subject),
        tuple(rule_ref(device, b) for b in finding.by),
        finding.reason,
    )


def _ignored(context: Context) -> tuple[IgnoredItem, ...]:
    return tuple(
        IgnoredItem(device, item.source, item.lines, item.reason, item.example)
        for device, ruleset in context.rulesets.items()
        for item in ruleset.ignored
    )
