"""The network model: segments, zones, devices, crossing points, exceptions and the policy.

These frozen dataclasses are what ``loader.py`` builds from the YAML file (validated against
``network-model.schema.json``) and what the engine reads. Addresses are integers; prefixes are
``(network, length)`` pairs.
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass

__all__ = [
    "BUILTIN_SEGMENTS",
    "Assumptions",
    "CloudService",
    "CrossingPoint",
    "Device",
    "FlowRule",
    "Interface",
    "MatrixEntry",
    "NetworkModel",
    "NetworkSegment",
    "Policy",
    "PolicyException",
    "Prefix",
    "Route",
    "RulesetRef",
    "SecurityCloud",
    "SeparationModel",
    "Service",
    "Zone",
]

Prefix = tuple[int, int]

# The three tiers of seed 2.2(8)-(10), plus the outside Internet itself.
BUILTIN_SEGMENTS = {
    "mynumber": ("マイナンバー利用事務系", "My Number business segment"),
    "lgwan": ("LGWAN接続系", "LGWAN-connected segment"),
    "internet": ("インターネット接続系", "Internet-connected segment"),
    "external": ("外部（インターネット）", "outside networks (the Internet)"),
}


class SeparationModel(enum.Enum):
    """The guideline's separation models (glossary: ``SeparationModel``)."""

    ALPHA = "alpha"
    ALPHA_PRIME = "alpha_prime"
    BETA = "beta"
    BETA_PRIME = "beta_prime"
    CUSTOM = "custom"


class FlowRule(enum.Enum):
    """What the policy allows from one segment to another."""

    ALLOW = "allow"
    DENY = "deny"
    CROSSING_ONLY = "crossing_only"
    SECURITY_CLOUD = "security_cloud"
    CLOUD_SERVICES_ONLY = "cloud_services_only"


@dataclass(frozen=True)
class NetworkSegment:
    """A tier of the three-tier model (or a custom one): ``mynumber``, ``lgwan``, ..."""

    name: str
    label_ja: str
    label_en: str


@dataclass(frozen=True)
class Service:
    """A protocol and its destination ports; no ports means every port (or not applicable)."""

    protocol: int | None
    ports: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Zone:
    """Hosts of one segment that share address ranges, e.g. 住民情報系 terminals."""

    name: str
    segment: str
    prefixes: tuple[Prefix, ...]
    description: str = ""


@dataclass(frozen=True)
class Interface:
    """A device interface: its address, subnet length and the zones reached through it."""

    name: str
    address: int
    prefix_length: int
    zones: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    """A static route: a prefix and a gateway (``via``), an interface, or both."""

    prefix: Prefix
    via: int | None
    interface: str | None


@dataclass(frozen=True)
class RulesetRef:
    """The rule-set file a device runs, relative to the model file, and its format.

    ``definitions``: for format ``aerleon``, the folder of the naming definitions (``*.net``,
    ``*.svc``, ``*.yaml``), relative to the model file.
    """

    path: str
    format: str
    definitions: str | None = None


@dataclass(frozen=True)
class Device:
    """A router or firewall; without a rule set it forwards everything it has a route for."""

    name: str
    interfaces: tuple[Interface, ...]
    routes: tuple[Route, ...]
    ruleset: RulesetRef | None
    security_cloud: bool = False


@dataclass(frozen=True)
class CrossingPoint:
    """A designated crossing point (無害化): mail or file sanitizer, screen-transfer server."""

    name: str
    kind: str
    addresses: tuple[Prefix, ...]
    services: tuple[Service, ...]
    segments: tuple[str, ...]


@dataclass(frozen=True)
class SecurityCloud:
    """The 自治体情報セキュリティクラウド: its proxy/relay zones and gateway devices."""

    name: str
    zones: tuple[str, ...]
    devices: tuple[str, ...]


@dataclass(frozen=True)
class CloudService:
    """A cloud service LGWAN terminals may reach directly under the α′ model."""

    name: str
    prefixes: tuple[Prefix, ...]
    services: tuple[Service, ...]


@dataclass(frozen=True)
class PolicyException:
    """An approved exception (例外措置): one flow, why, who approved it, until when."""

    id: str
    sources: tuple[Prefix, ...]
    destinations: tuple[Prefix, ...]
    services: tuple[Service, ...]
    reason: str
    approver: str
    expires: datetime.date


@dataclass(frozen=True)
class MatrixEntry:
    """One cell of the communication matrix."""

    source: str
    destination: str
    rule: FlowRule


@dataclass(frozen=True)
class Policy:
    """A separation model and the cells that override its matrix."""

    model: SeparationModel
    matrix: tuple[MatrixEntry, ...] = ()


@dataclass(frozen=True)
class Assumptions:
    """What the proof assumes; every report prints these.

    ``connection_state``: ``new`` verifies the first packet of new connections (replies of
    permitted connections are not violations); ``any`` also considers packets of existing
    connections. ``spoofing``: when False, hosts send only from their zone's addresses.
    """

    connection_state: str = "new"
    spoofing: bool = False


@dataclass(frozen=True)
class NetworkModel:
    """A whole network to verify.

    ``confined``: the files the model names (rule sets, naming definitions) must lie inside
    ``base_dir`` — set for a model uploaded through the web app, whose paths are untrusted.
    """

    name: str
    source: str
    base_dir: str
    segments: tuple[NetworkSegment, ...]
    zones: tuple[Zone, ...]
    devices: tuple[Device, ...]
    crossing_points: tuple[CrossingPoint, ...]
    security_cloud: SecurityCloud | None
    cloud_services: tuple[CloudService, ...]
    exceptions: tuple[PolicyException, ...]
    policy: Policy
    assumptions: Assumptions
    confined: bool = False
