"""Inventory checks: the asset register against the network model of the latest valid check.

For every in-scope system asset (kind ``system_equipment``, planned or in use):

- ``no_segment``: it is assigned to no segment;
- ``outside_zones``: one of its host networks (IPv4) lies in no zone of the model, or only in
  a zone of ``external`` (the Internet: a catch-all ``0.0.0.0/0`` zone owns every address);
- ``other_segment``: a host network lies in a zone of another segment than the asset's (the
  zone owning it is the one with the longest prefix containing it, as in the engine), or a zone
  of another segment lies inside it;
- ``no_mfa`` / ``no_export_block``: a マイナンバー利用事務系 system without a recorded
  confirmation of 多要素認証 / 持ち出し不可設定.

Cloud-hosted assets and assets without a network are not placed in zones; a standalone asset
must not lie in any zone.

And for the network itself, ``no_crossing_point``: an allowed cross-segment flow without a
registered crossing point. In the engine's terms: a pair of the report (``Report.pairs``)
between two of the municipality's own segments (not ``external``, whose flows the security
cloud governs) that is ``reachable`` (some new connection gets through) and ``compliant`` (the
policy allows everything that gets through), is carried by no registered exception
(``via_exceptions`` empty: those flows are in the 例外措置 register instead), and no crossing
point of the model (``crossing_points``) joins its two segments. Under the α matrix such a pair
cannot be compliant without a crossing point, so this finds the cells a custom or overridden
matrix opens (``allow``) where 通信経路の分割 names no crossing point.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from isms.core.models import Municipality
from isms.segments import NetworkModel, SegmentsError, load_model

from ..models import InformationAsset, NetworkCheck

__all__ = ["Finding", "InventoryReport", "inventory_report", "latest_valid_check"]

EXTERNAL = "external"


@dataclass(frozen=True)
class Finding:
    """One problem: its code, the asset concerned (None for the network), what and how to fix."""

    code: str
    message: str
    asset: InformationAsset | None = None


@dataclass
class InventoryReport:
    """The findings against one check's network (``check`` None: no valid check yet)."""

    check: NetworkCheck | None
    findings: list[Finding] = field(default_factory=list)
    error: str = ""
    assets_checked: int = 0

    @property
    def ok(self) -> bool:
        return self.check is not None and not self.error and not self.findings


def latest_valid_check(municipality: Municipality | int) -> NetworkCheck | None:
    """The municipality's latest check that verified its network (status done)."""
    return (
        NetworkCheck.objects.filter(municipality=municipality, status=NetworkCheck.Status.DONE)
        .select_related("snapshot")
        .order_by("-finished_at", "-pk")
        .first()
    )


def _zones(model: NetworkModel) -> list[tuple[ipaddress.IPv4Network, str, str]]:
    out = []
    for zone in model.zones:
        for network, length in zone.prefixes:
            out.append((ipaddress.IPv4Network((network, length)), zone.name, zone.segment))
    return out


def _segment_label(name: str) -> str:
    labels = dict(InformationAsset.Segment.choices)
    return str(labels.get(name, name))


def _place(
    asset: InformationAsset,
    network: ipaddress.IPv4Network,
    zones: list[tuple[ipaddress.IPv4Network, str, str]],
) -> Finding | None:
    standalone = asset.segment == InformationAsset.Segment.STANDALONE
    for p, name, seg in zones:
        if p != network and p.subnet_of(network) and seg not in (asset.segment, EXTERNAL):
            return Finding(
                "other_segment",
                _(
                    "%(network)s also covers zone %(zone)s of segment %(segment)s. Register "
                    "the asset's own addresses only."
                )
                % {"network": network, "zone": name, "segment": _segment_label(seg)},
                asset,
            )
    containing = [(p.prefixlen, name, seg) for p, name, seg in zones if network.subnet_of(p)]
    owner = max(containing) if containing else None
    if owner is None or owner[2] == EXTERNAL:
        if standalone:
            return None
        return Finding(
            "outside_zones",
            _(
                "%(network)s lies in no zone of the municipality's segments in the network "
                "model. Correct the address in the register, or add the zone to the model."
            )
            % {"network": network},
            asset,
        )
    _length, zone, segment = owner
    if segment != asset.segment:
        return Finding(
            "other_segment",
            _(
                "%(network)s lies in zone %(zone)s of segment %(segment)s, but the asset is "
                "registered in %(registered)s. Correct the segment or the address in the "
                "register, or the zone in the model."
            )
            % {
                "network": network,
                "zone": zone,
                "segment": _segment_label(segment),
                "registered": _segment_label(asset.segment),
            },
            asset,
        )
    return None


def _asset_findings(municipality_id: int, model: NetworkModel | None) -> tuple[list[Finding], int]:
    assets = (
        InformationAsset.objects.filter(
            municipality_id=municipality_id,
            kind=InformationAsset.Kind.SYSTEM_EQUIPMENT,
            status__in=[InformationAsset.Status.PLANNED, InformationAsset.Status.IN_USE],
            in_scope=True,
        )
        .prefetch_related("hosts")
        .order_by("asset_number")
    )
    zones = _zones(model) if model is not None else []
    findings: list[Finding] = []
    count = 0
    for asset in assets:
        count += 1
        if not asset.segment:
            findings.append(
                Finding(
                    "no_segment",
                    _(
                        "The system is assigned to no network segment. Choose its segment "
                        "(マイナンバー利用事務系, LGWAN接続系, インターネット接続系 or standalone)."
                    ),
                    asset,
                )
            )
        elif model is not None and asset.hosting != InformationAsset.Hosting.CLOUD:
            for host in asset.hosts.all():
                if host.ip_version != 4 or not host.network:
                    continue
                found = _place(asset, ipaddress.IPv4Network(host.network), zones)
                if found is not None:
                    findings.append(found)
        if asset.segment == InformationAsset.Segment.MYNUMBER:
            if asset.mfa_confirmed_at is None:
                findings.append(
                    Finding(
                        "no_mfa",
                        _(
                            "No confirmation of multi-factor authentication is recorded for "
                            "this マイナンバー利用事務系 system. Confirm it on the asset's page."
                        ),
                        asset,
                    )
                )
            if asset.export_blocked_confirmed_at is None:
                findings.append(
                    Finding(
                        "no_export_block",
                        _(
                            "No confirmation of 持ち出し不可設定 (export block) is recorded for "
                            "this マイナンバー利用事務系 system. Confirm it on the asset's page."
                        ),
                        asset,
                    )
                )
    return findings, count


def _crossing_findings(model: NetworkModel, report: dict[str, Any]) -> list[Finding]:
    findings = []
    for pair in report.get("pairs", []):
        source, target = pair.get("source_segment"), pair.get("destination_segment")
        if EXTERNAL in (source, target) or source == target:
            continue
        if not pair.get("reachable") or not pair.get("compliant") or pair.get("via_exceptions"):
            continue
        if any(source in p.segments and target in p.segments for p in model.crossing_points):
            continue
        findings.append(
            Finding(
                "no_crossing_point",
                _(
                    "Connections from %(source)s to %(target)s are allowed and get through, "
                    "but no crossing point joins the two segments (通信経路の分割). Register the "
                    "crossing point in the model, or close the flow."
                )
                % {"source": _segment_label(source), "target": _segment_label(target)},
            )
        )
    return findings


def inventory_report(
    municipality: Municipality | int, check: NetworkCheck | None = None
) -> InventoryReport:
    """Run the inventory checks against ``check`` (default: the latest valid one)."""
    municipality_id = municipality if isinstance(municipality, int) else municipality.pk
    if check is None or check.status != NetworkCheck.Status.DONE:
        check = latest_valid_check(municipality_id)
    result = InventoryReport(check=check)
    model = None
    if check is not None:
        try:
            model = load_model(check.snapshot.model_path)
        except SegmentsError:
            result.error = _(
                "The network model of this check can no longer be read; run a new check."
            )
    findings, result.assets_checked = _asset_findings(municipality_id, model)
    if model is not None and check is not None:
        findings += _crossing_findings(model, check.report)
    result.findings = findings
    return result
