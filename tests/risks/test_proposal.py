"""The impact proposal and the scales: pure functions, checked with examples and hypothesis."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from isms.risks import scales
from isms.risks.proposal import AssetImpactFacts, propose_impact, strictest

SCHEMES = {"pre_r6": ["", "1", "2", "3"], "r6_10": ["", "1", "2", "3C", "3B", "3A"]}

facts_strategy = st.sampled_from(sorted(SCHEMES)).flatmap(
    lambda scheme: st.builds(
        AssetImpactFacts,
        scheme=st.just(scheme),
        confidentiality=st.sampled_from(SCHEMES[scheme]),
        integrity=st.sampled_from(["", "1", "2"]),
        availability=st.sampled_from(["", "1", "2"]),
        holds_personal_info=st.booleans(),
        number_of_persons=st.none() | st.integers(min_value=0, max_value=2_000_000),
        holds_specific_personal_info=st.booleans(),
        holds_sensitive_personal_info=st.booleans(),
        segment=st.sampled_from(["", "mynumber", "lgwan", "internet", "standalone"]),
    )
)


def test_an_ordinary_document_gets_a_moderate_impact_for_its_confidentiality():
    p = propose_impact(
        AssetImpactFacts(scheme="pre_r6", confidentiality="2", integrity="1", availability="1")
    )

    assert p.level == 3
    assert [(r.criterion, r.value, r.level, r.decisive) for r in p.reasons] == [
        ("confidentiality", "2", 3, True),
        ("integrity", "1", 1, False),
        ("availability", "1", 1, False),
    ]


def test_r6_10_class_3a_is_the_highest():
    p = propose_impact(
        AssetImpactFacts(scheme="r6_10", confidentiality="3A", integrity="1", availability="1")
    )
    assert (p.level, p.reasons[0].criterion) == (5, "confidentiality")


def test_many_persons_and_specific_personal_information_raise_the_impact():
    facts = AssetImpactFacts(
        scheme="pre_r6",
        confidentiality="2",
        integrity="1",
        availability="1",
        holds_personal_info=True,
        number_of_persons=150_000,
        holds_specific_personal_info=True,
    )
    p = propose_impact(facts)
    assert p.level == 5
    assert [r.criterion for r in p.reasons if r.decisive] == ["persons"]


def test_an_unclassified_asset_is_not_assumed_harmless():
    p = propose_impact(AssetImpactFacts())
    assert (p.level, [r.criterion for r in p.reasons]) == (3, ["unclassified"])


def test_the_proposal_maps_onto_a_three_level_scale():
    p = propose_impact(AssetImpactFacts(scheme="r6_10", confidentiality="3A"), levels=3)
    assert p.level == 3


@settings(deadline=None)
@given(facts_strategy, st.integers(min_value=1, max_value=10))
def test_the_proposal_is_on_the_scale_and_explained(facts, levels):
    p = propose_impact(facts, levels=levels)

    assert 1 <= p.level <= levels
    assert p.reasons, "every proposal says why"
    assert max(r.level for r in p.reasons) == p.level
    assert all(r.decisive == (r.level == p.level) for r in p.reasons)


@settings(deadline=None)
@given(facts_strategy)
def test_more_sensitive_facts_never_lower_the_proposal(facts):
    worse = AssetImpactFacts(
        **{
            **facts.__dict__,
            "holds_specific_personal_info": True,
            "segment": "mynumber",
        }
    )
    assert propose_impact(worse).level >= propose_impact(facts).level


@settings(deadline=None)
@given(st.lists(facts_strategy, min_size=1, max_size=5))
def test_a_group_is_proposed_at_least_as_high_as_each_of_its_assets(members):
    group_level = propose_impact(strictest(members)).level
    for member in members:
        if member.confidentiality and member.integrity and member.availability:
            assert group_level >= propose_impact(member).level


@settings(deadline=None)
@given(st.integers(1, 10), st.integers(1, 10), st.integers(1, 10), st.integers(1, 10))
def test_risk_level_grows_with_likelihood_and_impact(l1, i1, l2, i2):
    bands = scales.DEFAULT_BANDS
    if l1 <= l2 and i1 <= i2:
        order = scales.LEVELS.index
        assert order(scales.risk_level(l1, i1, bands)) <= order(scales.risk_level(l2, i2, bands))


def test_default_scales_are_valid():
    assert scales.check_scale(scales.DEFAULT_LIKELIHOOD) == []
    assert scales.check_scale(scales.DEFAULT_IMPACT) == []
    assert scales.check_bands(scales.DEFAULT_BANDS, max_score=25) == []
    assert [scales.risk_level(1, 4, scales.DEFAULT_BANDS), scales.risk_level(3, 3, [4, 9, 14])] == [
        "low",
        "medium",
    ]
    assert scales.risk_level(5, 3, [4, 9, 14]) == "very_high"
