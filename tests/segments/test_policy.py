"""The communication matrices of the separation models."""

from __future__ import annotations

import pytest

from isms.segments.model import FlowRule, MatrixEntry, Policy, SeparationModel
from isms.segments.policy import rule_for

SEGMENTS = ("mynumber", "lgwan", "internet", "external")
ALPHA = {
    ("lgwan", "internet"): FlowRule.CROSSING_ONLY,
    ("internet", "lgwan"): FlowRule.CROSSING_ONLY,
    ("internet", "external"): FlowRule.SECURITY_CLOUD,
    ("external", "internet"): FlowRule.SECURITY_CLOUD,
}


def _matrix(policy):
    return {
        (a, b): rule_for(policy, a, b)
        for a in SEGMENTS
        for b in SEGMENTS
        if a != b and rule_for(policy, a, b) is not FlowRule.DENY
    }


@pytest.mark.parametrize(
    "model", [SeparationModel.ALPHA, SeparationModel.BETA, SeparationModel.BETA_PRIME]
)
def test_alpha_beta_and_beta_prime_isolate_mynumber_and_split_lgwan_from_the_internet(model):
    """mynumber is isolated; lgwan↔internet via crossing points; egress via the security cloud."""
    assert _matrix(Policy(model)) == ALPHA


def test_alpha_prime_adds_registered_cloud_services_from_lgwan():
    """α′: LGWAN terminals may reach registered cloud services directly (local breakout)."""
    assert _matrix(Policy(SeparationModel.ALPHA_PRIME)) == {
        **ALPHA,
        ("lgwan", "external"): FlowRule.CLOUD_SERVICES_ONLY,
    }


def test_custom_starts_from_deny_and_takes_cells():
    """Custom: deny between segments except the listed cells; the same segment is allowed."""
    policy = Policy(SeparationModel.CUSTOM, (MatrixEntry("lgwan", "backup", FlowRule.ALLOW),))
    assert _matrix(policy) == {}
    assert rule_for(policy, "lgwan", "backup") is FlowRule.ALLOW
    assert rule_for(policy, "backup", "backup") is FlowRule.ALLOW
    assert rule_for(policy, "backup", "lgwan") is FlowRule.DENY
