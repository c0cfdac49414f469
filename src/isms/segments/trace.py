"""Split violating flow sets into classes, one per path and per deciding rule on every device.

The fixpoint (``reach.py``) works on unions; to say *which* rules let a violation through, the
violating original headers are pushed through the network again, and at each stage the flow
set is split top-down by the rule that decides it. A class ends when it is delivered to a zone
where it is a violation. Loops are cut when a path would enter the same device interface twice.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from isms.segments._bdd import Node
from isms.segments.compile import ACCEPT, DROP
from isms.segments.reach import DeviceEngine, Engine, StageTrace
from isms.segments.rules import Nat, Stage, StageKind
from isms.segments.space import Space
from isms.segments.topology import RouteEntry

__all__ = ["RawHop", "RawViolation", "Tracer"]


@dataclass(frozen=True)
class RawHop:
    """A device on a class's path, with the stage decisions that passed it."""

    device: str
    in_interface: str
    out_interface: str
    stages: tuple[StageTrace, ...]


@dataclass(frozen=True)
class RawViolation:
    """A violating class: the flows (a BDD), the origin and destination zones, the path."""

    flows: Node
    source_zone: str
    destination_zone: str
    hops: tuple[RawHop, ...]


class Tracer:
    """Decompose violations into path classes."""

    def __init__(self, engine: Engine, violations: dict[str, Node], *, limit: int = 1000):
        self.engine = engine
        self.space: Space = engine.space
        self.violations = violations
        self.limit = limit
        self.truncated = False

    def run(self) -> list[RawViolation]:
        """Return every violating class (up to ``limit``)."""
        space = self.space
        union = space.false
        for node in self.violations.values():
            union = union | node
        if union == space.false:
            return []
        original = space.exist([*space.current_vars(), "tsc"], union)
        out: list[RawViolation] = []
        queue: deque[tuple[str, str, str, Node, tuple[RawHop, ...]]] = deque()
        for zone, device, iface in self.engine.topology.attachments:
            start = self.engine.origin(zone) & original
            if start != space.false:
                queue.append((zone, device, iface, start, ()))
        while queue:
            zone, device, iface, flows, hops = queue.popleft()
            for route, part, hop in self._device(device, iface, flows):
                path = (*hops, hop)
                if route.peer is not None:
                    if any(
                        h.device == route.peer[0] and h.in_interface == route.peer[1] for h in path
                    ):
                        continue
                    queue.append((zone, route.peer[0], route.peer[1], part, path))
                    continue
                for target in self.engine.topology.devices[device].ifaces[route.iface].zones:
                    bad = self.violations.get(target, space.false)
                    cls = part & self.engine.deliverable(target) & bad
                    if cls == space.false:
                        continue
                    if len(out) >= self.limit:
                        self.truncated = True
                        return out
                    out.append(RawViolation(cls, zone, target, path))
        return out

    def _stages(
        self,
        engine: DeviceEngine,
        stages: tuple[Stage, ...],
        classes: list[tuple[Node, tuple[StageTrace, ...]]],
        iif: int,
        oif: int,
    ) -> list[tuple[Node, tuple[StageTrace, ...]]]:
        space = self.space
        for stage in stages:
            split: list[tuple[Node, tuple[StageTrace, ...]]] = []
            for flows, traces in classes:
                untouched = space.false
                if stage.kind is StageKind.NAT:
                    untouched, flows = engine._nat_scope(flows)
                    if untouched != space.false:
                        split.append((untouched, traces))
                for part, key, deciders in engine.trace_stage(stage, flows, iif, oif):
                    if key == DROP or key is None:
                        continue
                    record = (*traces, StageTrace(stage, deciders, key))
                    if key == ACCEPT:
                        split.append((part, record))
                    else:
                        assert isinstance(key, Nat)
                        rewritten = engine.rewrite(part, key, iif, oif)
                        if rewritten != space.false:
                            split.append((rewritten, record))
            classes = split
            if not classes:
                break
        return classes

    def _device(
        self, device: str, iface: str, flows: Node
    ) -> list[tuple[RouteEntry, Node, RawHop]]:
        space = self.space
        engine = self.engine.devices[device]
        iif = engine.info.ifaces[iface].index
        classes = self._stages(engine, engine.pre, [(flows, ())], iif, 0)
        out: list[tuple[RouteEntry, Node, RawHop]] = []
        for pre_flows, pre_traces in classes:
            local = pre_flows & ~engine.own
            for route, region in engine.groups:
                part = local & region
                if part == space.false:
                    continue
                oif = engine.info.ifaces[route.iface].index
                finished = self._stages(
                    engine, (*engine.fwd, *engine.post), [(part, pre_traces)], iif, oif
                )
                for final, traces in finished:
                    if engine.info.security_cloud:
                        final = space.exist(["tsc"], final) & space.tsc()
                    out.append((route, final, RawHop(device, iface, route.iface, traces)))
        return out
