"""Write a network model's separation policy as an Aerleon policy, ready to generate firewalls.

``export(model)`` returns three files (name → text):

* ``def/networks.yaml``: one network per zone (its prefixes as written), per crossing point, per
  cloud service and per exception (source and destination), plus ``SEG_<segment>``: the
  addresses each segment owns (a more specific zone's prefix belongs to that zone, as in the
  model), and ``<NAME>_IN_<SEGMENT>`` where a term needs only part of a network;
* ``def/services.yaml``: the services of crossing points, cloud services and exceptions, one
  per protocol;
* ``pol/segments.yaml``: one filter for Aerleon's ``speedway`` target (``iptables-restore``
  text) on the ``FORWARD`` chain with default ``DROP``, whose terms permit exactly what the
  model's policy allows between zones: packets of established connections, flows inside a
  segment, each ``allow`` cell, ``crossing_only`` cells through their crossing points'
  services, ``security_cloud`` cells to and from the security cloud's zones,
  ``cloud_services_only`` cells to the registered services, and every approved exception
  (with Aerleon's ``expiration``, so that Aerleon stops rendering it once it has expired),
  then a default deny. Each term's comment names the cell or exception it implements.

One thing the policy allows cannot be written as a filter term: a ``security_cloud`` flow
allowed because its path crosses a security-cloud device. The exported filter does not permit
those (it is stricter there); the header comment says so.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass

import yaml

from isms.segments.addresses import format_prefix, prefix_range, range_to_prefixes
from isms.segments.model import (
    CloudService,
    CrossingPoint,
    FlowRule,
    NetworkModel,
    Prefix,
    Service,
)
from isms.segments.parsers.names import PROTOCOL_NAMES
from isms.segments.policy import rule_for

__all__ = ["NETWORKS", "POLICY", "SERVICES", "TARGET", "export"]

NETWORKS = "def/networks.yaml"
SERVICES = "def/services.yaml"
POLICY = "pol/segments.yaml"
TARGET = {"speedway": "FORWARD DROP"}

Intervals = tuple[tuple[int, int], ...]


def export(model: NetworkModel, *, today: datetime.date | None = None) -> dict[str, str]:
    """Return the Aerleon definitions and policy of a model's separation policy.

    ``today``: exceptions that expired before it are left out; without it every exception is
    written, each with its ``expiration``.
    """
    return _Exporter(model, today).run()


@dataclass
class _Term:
    name: str
    comment: str
    fields: dict[str, object]


class _Exporter:
    def __init__(self, model: NetworkModel, today: datetime.date | None):
        self.model = model
        self.today = today
        self.networks: dict[str, dict[str, object]] = {}
        self.services: dict[str, list[dict[str, object]]] = {}
        self.used: dict[str, set[str]] = {}
        self.terms: list[_Term] = []
        self.owned = _owned(model)
        self.segments = [
            s.name for s in model.segments if any(z.segment == s.name for z in model.zones)
        ]
        self.seg: dict[str, str] = {}
        self.sc_ranges: Intervals = ()
        self.segment_sets = {
            s: _merge(r for z in model.zones if z.segment == s for r in self.owned[z.name])
            for s in self.segments
        }

    # -- names --------------------------------------------------------------------------------

    def token(self, *parts: str, namespace: str = "networks") -> str:
        """Return a new Aerleon name (``[A-Z0-9_-]``) made of ``parts``, unique in its namespace."""
        base = "_".join(re.sub(r"[^A-Z0-9_-]", "_", p.upper()) for p in parts)
        used = self.used.setdefault(namespace, set())
        name, n = base, 2
        while name in used:
            name, n = f"{base}_{n}", n + 1
        used.add(name)
        return name

    def network(self, name: str, ranges: Intervals, comment: str) -> str:
        values: list[dict[str, str]] = [
            {"address": format_prefix(n, length)}
            for lo, hi in ranges
            for n, length in range_to_prefixes(lo, hi)
        ]
        self.networks[name] = (
            {"values": values, "comment": comment} if comment else {"values": values}
        )
        return name

    def service_names(self, base: str, services: tuple[Service, ...]) -> list[tuple[str, str]]:
        """Define the services; return (protocol, service name or "") per protocol."""
        by_protocol: dict[int | None, list[tuple[int, int]]] = {}
        for service in services:
            by_protocol.setdefault(service.protocol, []).extend(service.ports)
        out: list[tuple[str, str]] = []
        for protocol, ports in by_protocol.items():
            if protocol is None:
                out.append(("", ""))
                continue
            proto = PROTOCOL_NAMES.get(protocol, str(protocol))
            if proto == "ipv6-icmp":
                proto = "icmpv6"
            if not ports:
                out.append((proto, ""))
                continue
            parts = (base, proto) if len(by_protocol) > 1 else (base,)
            name = self.token(*parts, namespace="services")
            self.services[name] = [
                {"port": f"{lo}-{hi}" if hi != lo else lo, "protocol": proto}
                for lo, hi in _merge(ports)
            ]
            out.append((proto, name))
        return out

    # -- terms --------------------------------------------------------------------------------

    def term(self, kind: str, comment: str, **fields: object) -> None:
        name = f"{kind}-{len(self.terms) + 1:03d}"
        self.terms.append(_Term(name, comment, {k.replace("_", "-"): v for k, v in fields.items()}))

    def part(self, base: str, ranges: Intervals, segment: str) -> str | None:
        """Return a network for ``ranges`` ∩ the segment's addresses, or None when empty."""
        inside = _intersect(ranges, self.segment_sets[segment])
        if not inside:
            return None
        if inside == ranges:
            return base
        name = f"{base}_IN_{self.seg[segment]}"
        if name not in self.networks:
            self.network(name, inside, f"the part of {base} in segment {segment}")
        return name

    def service_terms(
        self, kind: str, comment: str, services: list[tuple[str, str]], **fields: object
    ) -> None:
        for protocol, service in services:
            extra: dict[str, object] = dict(fields)
            if protocol:
                extra["protocol"] = protocol
            if service:
                extra["destination_port"] = service
            self.term(kind, comment, **extra)

    def run(self) -> dict[str, str]:
        model = self.model
        zone_names = {z.name: self.token("ZONE", z.name) for z in model.zones}
        for zone in model.zones:
            ranges = _merge(prefix_range(n, length) for n, length in zone.prefixes)
            self.network(
                zone_names[zone.name],
                ranges,
                f"zone {zone.name} (segment {zone.segment})"
                + (f": {zone.description}" if zone.description else ""),
            )
        self.seg = {s: self.token("SEG", s) for s in self.segments}
        for segment in self.segments:
            self.network(
                self.seg[segment],
                self.segment_sets[segment],
                f"the addresses segment {segment} owns (more specific zones carved out)",
            )
        points: list[tuple[CrossingPoint, str, list[tuple[str, str]]]] = []
        for point in model.crossing_points:
            name = self.token("CP", point.name)
            self.network(name, _ranges(point.addresses), f"crossing point {point.name}")
            points.append((point, name, self.service_names(name, point.services)))
        clouds: list[tuple[CloudService, str, list[tuple[str, str]]]] = []
        for cloud in model.cloud_services:
            name = self.token("CLOUD", cloud.name)
            self.network(name, _ranges(cloud.prefixes), f"cloud service {cloud.name}")
            clouds.append((cloud, name, self.service_names(name, cloud.services)))
        sc_name = None
        if model.security_cloud is not None and model.security_cloud.zones:
            self.sc_ranges = _merge(r for z in model.security_cloud.zones for r in self.owned[z])
            sc_name = self.network(
                self.token("SC", "ZONES"),
                self.sc_ranges,
                f"the zones of the security cloud {model.security_cloud.name}",
            )

        self.term(
            "established",
            "packets of established connections (replies of permitted flows)",
            option="established",
        )
        for segment in self.segments:
            self.term(
                "inside",
                f"flows inside segment {segment} are always allowed",
                source_address=self.seg[segment],
                destination_address=self.seg[segment],
            )
        for a in self.segments:
            for b in self.segments:
                if a != b:
                    self.cell(a, b, points, clouds, sc_name)
        self.exceptions()
        self.term("default-deny", "everything else is denied", action="deny")
        return {
            NETWORKS: _dump(
                "Networks of the segmentation model (generated by isms segments aerleon-export).",
                {"networks": self.networks},
            ),
            SERVICES: _dump(
                "Services of crossing points, cloud services and exceptions.",
                {"services": self.services},
            ),
            POLICY: self.policy(sc_name is not None),
        }

    def cell(
        self,
        a: str,
        b: str,
        points: list[tuple[CrossingPoint, str, list[tuple[str, str]]]],
        clouds: list[tuple[CloudService, str, list[tuple[str, str]]]],
        sc_name: str | None,
    ) -> None:
        rule = rule_for(self.model.policy, a, b)
        cell = f"matrix cell {a} -> {b}: {rule.value}"
        src, dst = self.seg[a], self.seg[b]
        if rule is FlowRule.ALLOW:
            self.term("cell", cell, source_address=src, destination_address=dst)
        elif rule is FlowRule.CROSSING_ONLY:
            for point, name, services in points:
                if a not in point.segments or b not in point.segments:
                    continue
                ranges = _ranges(point.addresses)
                to_point = self.part(name, ranges, b)
                if to_point is not None:
                    self.service_terms(
                        "cell",
                        f"{cell}, to crossing point {point.name}",
                        services,
                        source_address=src,
                        destination_address=to_point,
                    )
                from_point = self.part(name, ranges, a)
                if from_point is not None:
                    self.service_terms(
                        "cell",
                        f"{cell}, from crossing point {point.name}",
                        services,
                        source_address=from_point,
                        destination_address=dst,
                    )
        elif rule is FlowRule.SECURITY_CLOUD and sc_name is not None:
            ranges = self.sc_ranges
            to_cloud = self.part(sc_name, ranges, b)
            if to_cloud is not None:
                self.term(
                    "cell",
                    f"{cell}, to the security cloud",
                    source_address=src,
                    destination_address=to_cloud,
                )
            from_cloud = self.part(sc_name, ranges, a)
            if from_cloud is not None:
                self.term(
                    "cell",
                    f"{cell}, from the security cloud",
                    source_address=from_cloud,
                    destination_address=dst,
                )
        elif rule is FlowRule.CLOUD_SERVICES_ONLY:
            for cloud, name, services in clouds:
                target = self.part(name, _ranges(cloud.prefixes), b)
                if target is not None:
                    self.service_terms(
                        "cell",
                        f"{cell}, to cloud service {cloud.name}",
                        services,
                        source_address=src,
                        destination_address=target,
                    )

    def exceptions(self) -> None:
        for exception in self.model.exceptions:
            if self.today is not None and exception.expires < self.today:
                continue
            base = self.token("EX", exception.id)
            source = self.network(
                f"{base}_SRC", _ranges(exception.sources), f"exception {exception.id}: sources"
            )
            destination = self.network(
                f"{base}_DST",
                _ranges(exception.destinations),
                f"exception {exception.id}: destinations",
            )
            self.service_terms(
                "exception",
                f"exception {exception.id} (approved by {exception.approver}, until "
                f"{exception.expires.isoformat()}): {exception.reason}",
                self.service_names(base, exception.services),
                source_address=source,
                destination_address=destination,
                # Aerleon stops rendering a term on its expiration date; the exception still
                # counts on the day it expires.
                expiration=(exception.expires + datetime.timedelta(days=1)).isoformat(),
            )

    def policy(self, has_cloud_zones: bool) -> str:
        model = self.model
        notes = [
            f"Separation policy of {model.name} (model {model.policy.model.value}), generated "
            "by isms segments aerleon-export.",
            "Each term permits what one matrix cell, crossing point or exception allows.",
        ]
        if model.security_cloud is not None:
            notes.append(
                "Flows allowed because they cross a security-cloud device are not permitted "
                "here"
                + (
                    " (only flows to and from the security cloud's zones)."
                    if has_cloud_zones
                    else "."
                )
            )
        terms = []
        for term in self.terms:
            body: dict[str, object] = {"name": term.name, "comment": term.comment}
            body.update(term.fields)
            body.setdefault("action", "accept")
            terms.append(body)
        document = {
            "filters": [
                {
                    "header": {"comment": "\n".join(notes), "targets": dict(TARGET)},
                    "terms": terms,
                }
            ]
        }
        return _dump("Generated from the network model; edit the model, not this file.", document)


# -- address sets ------------------------------------------------------------------------------


def _ranges(prefixes: Iterable[Prefix]) -> Intervals:
    return _merge(prefix_range(n, length) for n, length in prefixes)


def _merge(ranges: Iterable[tuple[int, int]]) -> Intervals:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return tuple(merged)


def _intersect(a: Intervals, b: Intervals) -> Intervals:
    out: list[tuple[int, int]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def _owned(model: NetworkModel) -> dict[str, Intervals]:
    """Return the addresses each zone owns: those whose most specific zone prefix is its."""
    prefixes = sorted(
        (
            (length, prefix_range(n, length), zone.name)
            for zone in model.zones
            for n, length in zone.prefixes
        ),
    )
    # Paint from the least to the most specific prefix; later paint wins.
    painted: list[tuple[int, int, str]] = []
    for _, (lo, hi), name in prefixes:
        out: list[tuple[int, int, str]] = []
        for a, b, owner in painted:
            if b < lo or a > hi:
                out.append((a, b, owner))
                continue
            if a < lo:
                out.append((a, lo - 1, owner))
            if b > hi:
                out.append((hi + 1, b, owner))
        out.append((lo, hi, name))
        painted = sorted(out)
    owned: dict[str, list[tuple[int, int]]] = {z.name: [] for z in model.zones}
    for lo, hi, name in painted:
        owned[name].append((lo, hi))
    return {name: _merge(ranges) for name, ranges in owned.items()}


def _dump(comment: str, document: object) -> str:
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    return f"# {comment}\n{text}"
