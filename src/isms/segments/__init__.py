"""The segmentation verifier: prove 三層の対策 from Linux firewall rules, list every violating path.

Give it a network model (YAML: segments, zones, devices with their ``iptables-save`` or
``nft -j list ruleset`` files, crossing points, the security cloud, exceptions) and it proves,
for every ordered pair of segments, that the firewalls let through only what the separation
model allows, or lists every class of violating new connections with the path and the rule
lines that permit it on each device::

    >>> import datetime
    >>> from isms.segments import verify
    >>> report = verify("network.yaml", today=datetime.date(2025, 4, 1))  # doctest: +SKIP
    >>> [(v.source_zone, v.destination_zone) for v in report.violations]  # doctest: +SKIP
    [('internet-dmz', 'lgwan-office')]

The package never imports Django. See ``docs/segments.md`` for the model format, the policies,
the assumptions, the results and every error.
"""

from __future__ import annotations

from isms.segments._bdd import BACKEND
from isms.segments.errors import (
    ModelError,
    ParseError,
    SegmentsError,
    UnknownDevice,
    UnknownZone,
    UnsupportedSyntax,
)
from isms.segments.explain import explain
from isms.segments.loader import load_model, load_model_text, schema
from isms.segments.model import Assumptions, FlowRule, NetworkModel, Policy, SeparationModel
from isms.segments.parsers import parse_ruleset
from isms.segments.report import report_json, report_text
from isms.segments.result import (
    ConfigReading,
    ExceptionStatus,
    Explanation,
    FlowSpace,
    Hop,
    IgnoredItem,
    NatStep,
    PathViolation,
    Report,
    RuleFinding,
    RuleRef,
    SegmentPairVerdict,
)
from isms.segments.verify import verify

__all__ = [
    "BACKEND",
    "Assumptions",
    "ConfigReading",
    "ExceptionStatus",
    "Explanation",
    "FlowRule",
    "FlowSpace",
    "Hop",
    "IgnoredItem",
    "ModelError",
    "NatStep",
    "NetworkModel",
    "ParseError",
    "PathViolation",
    "Policy",
    "Report",
    "RuleFinding",
    "RuleRef",
    "SegmentPairVerdict",
    "SegmentsError",
    "SeparationModel",
    "UnknownDevice",
    "UnknownZone",
    "UnsupportedSyntax",
    "explain",
    "load_model",
    "load_model_text",
    "parse_ruleset",
    "report_json",
    "report_text",
    "schema",
    "verify",
]
