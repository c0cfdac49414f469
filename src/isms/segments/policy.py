"""The communication matrix of each separation model (policy-model.md, 対策基準 3).

α (default): マイナンバー利用事務系 talks to no other segment except registered exceptions
(seed 2.6(3)①); LGWAN接続系 and インターネット接続系 reach each other only through designated
crossing points on their services (通信経路の分割, 無害化通信: seed 2.2(11), 2.6(3)②); the
インターネット接続系 reaches the outside only through the 自治体情報セキュリティクラウド (seed
2.6(3)③); LGWAN接続系 never reaches the outside directly.

α′ adds direct access from LGWAN接続系 to registered cloud services (ローカルブレイクアウト).
β and β′ move terminals and business systems to the インターネット接続系; the flows between
segments that firewalls must enforce stay those of α, so their matrices equal α's (the extra
measures of β/β′ — EDR, log analysis, external audit — are not visible in firewall rules).
A custom policy starts from "deny between different segments".

Flows inside one segment are always allowed; exceptions (例外措置) may permit any flow.
"""

from __future__ import annotations

from isms.segments.model import FlowRule, Policy, SeparationModel

__all__ = ["default_matrix", "rule_for"]

_THREE_TIER: dict[tuple[str, str], FlowRule] = {
    ("lgwan", "internet"): FlowRule.CROSSING_ONLY,
    ("internet", "lgwan"): FlowRule.CROSSING_ONLY,
    ("internet", "external"): FlowRule.SECURITY_CLOUD,
    ("external", "internet"): FlowRule.SECURITY_CLOUD,
}


def default_matrix(model: SeparationModel) -> dict[tuple[str, str], FlowRule]:
    """Return the cells of a model that are not ``deny``."""
    if model is SeparationModel.CUSTOM:
        return {}
    cells = dict(_THREE_TIER)
    if model is SeparationModel.ALPHA_PRIME:
        cells[("lgwan", "external")] = FlowRule.CLOUD_SERVICES_ONLY
    return cells


def rule_for(policy: Policy, source: str, destination: str) -> FlowRule:
    """Return what the policy says about new connections from one segment to another."""
    if source == destination:
        return FlowRule.ALLOW
    for entry in policy.matrix:
        if entry.source == source and entry.destination == destination:
            return entry.rule
    return default_matrix(policy.model).get((source, destination), FlowRule.DENY)
