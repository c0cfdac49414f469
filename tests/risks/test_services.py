"""The risks services: catalog, scales, assessment with the proposal, treatment, acceptance."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from isms.assets.models import InformationAsset
from isms.core.models import JournalEntry, Person
from isms.core.roles import Role
from isms.risks import services
from isms.risks.catalog import catalog, ensure_catalog
from isms.risks.models import AssetGroup, Risk, RiskSettings, Threat, Vulnerability
from tests.assets.factories import make_asset
from tests.risks.factories import make_risk, this_year, threat, vulnerability
from tests.support.factories import make_person, make_unit, make_user


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


# --- catalog ------------------------------------------------------------------------------------


def test_catalog_gives_the_five_categories_of_seed_2_3_with_their_sub_threats(tsuru):
    m = tsuru.municipality

    ensure_catalog(m)

    by_category = {}
    for t in Threat.objects.filter(municipality=m):
        by_category.setdefault(t.category, set()).add(t.name_ja)
    assert set(by_category) == {
        "intentional",
        "unintentional",
        "disaster",
        "pandemic",
        "infrastructure",
    }
    assert {"不正アクセス", "サービス不能攻撃", "内部不正"} <= by_category["intentional"]
    assert {"委託管理の不備", "機器故障", "操作・設定ミス"} <= by_category["unintentional"]
    assert by_category["disaster"] == {"地震", "落雷", "火災"}
    assert by_category["infrastructure"] == {"電力供給の途絶", "通信の途絶", "水道供給の途絶"}
    assert Vulnerability.objects.filter(municipality=m).count() == len(catalog()["vulnerabilities"])


def test_catalog_is_copied_once_and_journaled_once(tsuru):
    m = tsuru.municipality
    ensure_catalog(m)
    threats = Threat.objects.filter(municipality=m).count()
    entries = JournalEntry.objects.filter(action="risk_catalog.load").count()

    ensure_catalog(m)

    assert Threat.objects.filter(municipality=m).count() == threats
    assert JournalEntry.objects.filter(action="risk_catalog.load").count() == entries == 1


def test_a_municipality_adds_its_own_threat_and_vulnerability(tsuru, kofu):
    t = services.create_threat(
        tsuru.lead,
        tsuru.municipality,
        category="intentional",
        code="T-OWN-01",
        name_ja="標的型メール",
    )
    v = services.create_vulnerability(
        tsuru.lead, tsuru.municipality, code="V-OWN-01", name_ja="訓練未実施"
    )

    assert (t.builtin, v.builtin) == (False, False)
    assert not Threat.objects.filter(municipality=kofu.municipality, code="T-OWN-01").exists()


def test_a_threat_code_used_twice_or_without_category_is_refused(tsuru):
    ensure_catalog(tsuru.municipality)
    with pytest.raises(ValidationError) as exc:
        services.create_threat(
            tsuru.lead, tsuru.municipality, category="", code="T-INT-01", name_ja=""
        )

    assert _errors(exc) == {
        "name_ja": ["Give the Japanese name."],
        "code": ["Code T-INT-01 is already used. Choose another."],
        "category": ["Choose one of the five threat categories of seed 2.3."],
    }


def test_staff_may_not_extend_the_catalog(tsuru):
    with pytest.raises(PermissionDenied):
        services.create_threat(
            tsuru.staff, tsuru.municipality, category="disaster", code="T-X", name_ja="大雪"
        )


# --- scales -------------------------------------------------------------------------------------


def _levels(*values):
    return [{"value": v, "label_ja": f"L{v}", "label_en": f"L{v}"} for v in values]


@pytest.mark.parametrize(
    ("levels", "message"),
    [
        (_levels(1, 2, 4), "Level 3 is missing: number the levels 1, 2, 3 … without gaps."),
        (
            _levels(1, 2, 2, 3),
            "Level 2 appears more than once. Give each level its own number.",
        ),
        (_levels(2, 1, 3), "List the levels in ascending order (1 first)."),
        (_levels(1), "Give at least two levels, numbered from 1."),
        (
            [{"value": 1, "label_ja": "", "label_en": "x"}, *_levels(2)],
            "Level 1 has no label. Give it a Japanese and an English label.",
        ),
    ],
)
def test_bad_scales_are_refused_with_a_message_and_nothing_saved(tsuru, levels, message):
    settings = ensure_catalog(tsuru.municipality)
    before = JournalEntry.objects.count()

    with pytest.raises(ValidationError) as exc:
        services.update_scales(
            tsuru.lead,
            tsuru.municipality,
            likelihood_levels=levels,
            impact_levels=_levels(1, 2, 3),
            bands=[1, 2, 3],
        )

    assert _errors(exc) == {"likelihood_levels": [message]}
    assert RiskSettings.objects.get(pk=settings.pk).likelihood_levels == settings.likelihood_levels
    assert JournalEntry.objects.count() == before


def test_bands_must_ascend_within_the_scores(tsuru):
    with pytest.raises(ValidationError) as exc:
        services.update_scales(
            tsuru.lead,
            tsuru.municipality,
            likelihood_levels=_levels(1, 2, 3),
            impact_levels=_levels(1, 2, 3),
            bands=[4, 3, 8],
        )

    assert list(_errors(exc)) == ["bands"]


def test_new_scales_relevel_the_risks(tsuru, manager):
    risk = make_risk(tsuru.municipality, unit=tsuru.unit, actor=manager)  # 3 × 3 = 9: medium
    assert risk.inherent_level == "medium"

    services.update_scales(
        tsuru.lead,
        tsuru.municipality,
        likelihood_levels=_levels(1, 2, 3, 4, 5),
        impact_levels=_levels(1, 2, 3, 4, 5),
        bands=[2, 4, 8],
    )

    risk.refresh_from_db()
    assert (risk.inherent_level, risk.current_level) == ("very_high", "very_high")


def test_a_scale_cannot_drop_a_level_that_risks_use(tsuru, manager):
    make_risk(tsuru.municipality, unit=tsuru.unit, actor=manager, likelihood=5)

    with pytest.raises(ValidationError) as exc:
        services.update_scales(
            tsuru.lead,
            tsuru.municipality,
            likelihood_levels=_levels(1, 2, 3),
            impact_levels=_levels(1, 2, 3, 4, 5),
            bands=[2, 4, 8],
        )

    assert _errors(exc) == {
        "likelihood_levels": [
            "Risks are assessed with levels above 3. Keep those levels, or reassess those "
            "risks first."
        ]
    }


# --- assessment ---------------------------------------------------------------------------------


def test_assessment_takes_the_proposed_impact_with_its_reasons(tsuru, manager):
    m = tsuru.municipality
    asset = make_asset(
        m,
        tsuru.unit,
        confidentiality="3",
        integrity="2",
        availability="1",
        holds_personal_info=True,
        number_of_persons=12000,
    )

    risk = make_risk(m, asset, actor=manager, likelihood=2)

    assert (risk.impact, risk.proposed_impact) == (4, 4)
    decisive = {(r["criterion"], r["value"]) for r in risk.impact_reasons if r["decisive"]}
    assert decisive == {("confidentiality", "3"), ("persons", "12000")}
    assert (risk.inherent_level, risk.current_score, risk.owning_unit_id) == (
        "medium",
        8,
        tsuru.unit.pk,
    )
    entry = JournalEntry.objects.get(action="risk.assess")
    assert entry.after["impact"] == 4 and entry.actor_id == manager.pk


def test_another_impact_needs_a_reason(tsuru, manager):
    asset = make_asset(tsuru.municipality, tsuru.unit)  # 機密性2: proposed 3

    with pytest.raises(ValidationError) as exc:
        make_risk(tsuru.municipality, asset, actor=manager, impact=1)

    assert _errors(exc) == {
        "impact_override_reason": [
            "The proposed impact is 3. Say why you chose 1, or keep the proposal."
        ]
    }
    assert not Risk.objects.exists()
    risk = make_risk(
        tsuru.municipality, asset, actor=manager, impact=1, impact_override_reason="紙のみ"
    )
    assert (risk.impact, risk.proposed_impact, risk.impact_override_reason) == (1, 3, "紙のみ")


def test_a_disposed_asset_is_not_assessed(tsuru, manager):
    asset = make_asset(tsuru.municipality, tsuru.unit)
    InformationAsset.objects.filter(pk=asset.pk).update(status="disposed")
    asset.refresh_from_db()

    with pytest.raises(ValidationError) as exc:
        make_risk(tsuru.municipality, asset, actor=manager)

    assert _errors(exc) == {
        "asset": [
            f"{asset} has been disposed of: its risks are no longer assessed. Choose an asset "
            "that is still held."
        ]
    }
    assert not Risk.objects.exists()


def test_the_same_risk_twice_in_a_year_is_refused(tsuru, manager):
    asset = make_asset(tsuru.municipality, tsuru.unit)
    make_risk(tsuru.municipality, asset, actor=manager)

    with pytest.raises(ValidationError) as exc:
        make_risk(tsuru.municipality, asset, actor=manager)

    assert list(_errors(exc)) == ["threat"]
    assert Risk.objects.count() == 1
    # next year it is a new assessment
    make_risk(tsuru.municipality, asset, actor=manager, fiscal_year=this_year() + 1)
    assert Risk.objects.count() == 2


def test_levels_outside_the_scale_are_refused(tsuru, manager):
    with pytest.raises(ValidationError) as exc:
        make_risk(tsuru.municipality, unit=tsuru.unit, actor=manager, likelihood=6)

    assert _errors(exc) == {"likelihood": ["Choose a level from 1 to 5."]}


def test_another_municipalitys_threat_is_refused(tsuru, kofu, manager):
    with pytest.raises(ValidationError) as exc:
        make_risk(
            tsuru.municipality, unit=tsuru.unit, actor=manager, threat=threat(kofu.municipality)
        )

    assert _errors(exc) == {"threat": ["Choose a threat of the catalog."]}


def test_a_manager_assesses_only_their_units_assets(tsuru, manager):
    other_unit = make_unit(tsuru.municipality, "税務課", parent=tsuru.bureau)
    asset = make_asset(tsuru.municipality, other_unit)

    with pytest.raises(PermissionDenied):
        make_risk(tsuru.municipality, asset, actor=manager)
    with pytest.raises(PermissionDenied):
        make_risk(tsuru.municipality, unit=tsuru.unit, actor=tsuru.staff)
    assert not Risk.objects.exists()


def test_an_asset_group_is_assessed_at_its_strictest_asset(tsuru, manager):
    m = tsuru.municipality
    plain = make_asset(m, tsuru.unit, confidentiality="1")
    mynumber = make_asset(m, tsuru.unit, segment="mynumber", confidentiality="2")
    group = services.create_asset_group(
        manager, m, name="総務課端末", owning_unit=tsuru.unit, assets=[plain, mynumber]
    )

    risk = make_risk(m, None, actor=manager, asset_group=group)

    assert risk.impact == 4
    assert [r["criterion"] for r in risk.impact_reasons if r["decisive"]] == ["segment"]
    with pytest.raises(ValidationError) as exc:
        make_risk(m, plain, actor=manager, asset_group=group)
    assert _errors(exc) == {"asset": ["Choose either an asset or an asset group."]}


def test_a_group_with_a_disposed_asset_is_refused(tsuru, manager):
    m = tsuru.municipality
    asset = make_asset(m, tsuru.unit)
    group = services.create_asset_group(
        manager, m, name="g", owning_unit=tsuru.unit, assets=[asset]
    )
    InformationAsset.objects.filter(pk=asset.pk).update(status="disposed")

    with pytest.raises(ValidationError) as exc:
        make_risk(m, None, actor=manager, asset_group=AssetGroup.objects.get())

    assert list(_errors(exc)) == ["asset_group"]
    assert group.risks.count() == 0


# --- treatment and acceptance ---------------------------------------------------------------------


def test_treatment_without_owner_is_refused_and_changes_nothing(tsuru, manager):
    risk = make_risk(tsuru.municipality, unit=tsuru.unit, actor=manager)
    before = JournalEntry.objects.count()

    with pytest.raises(ValidationError) as exc:
        services.treat_risk(manager, risk, treatment="reduce", owner=None, controls="MFA")

    assert _errors(exc) == {
        "owner": ["Name the risk owner (職員番号): the person who answers for this risk."]
    }
    risk.refresh_from_db()
    assert (risk.treatment, risk.status) == ("", "assessed")
    assert JournalEntry.objects.count() == before


def test_reduce_needs_controls_and_residual_cannot_exceed_inherent(tsuru, manager):
    risk = make_risk(tsuru.municipality, unit=tsuru.unit, actor=manager, likelihood=2)
    owner = Person.objects.get(user=manager)

    with pytest.raises(ValidationError) as exc:
        services.treat_risk(manager, risk, treatment="reduce", owner=owner, residual_likelihood=4)

    assert _errors(exc) == {
        "controls": [
            "Name the controls that reduce the risk: controls of the 対策基準, or a description."
        ],
        "residual_likelihood": [
            "The residual risk (12) cannot be higher than the inherent risk (6). Lower the "
            "residual likelihood or impact."
        ],
    }


def test_treatment_sets_the_residual_risk_as_current(tsuru, manager):
    risk = make_risk(tsuru.municipality, unit=tsuru.unit, actor=manager, likelihood=4)  # 12 high
    owner = Person.objects.get(user=manager)

    treated = services.treat_risk(
        manager,
        risk,
        treatment="reduce",
        owner=owner,
        controls="多要素認証を導入する",
        residual_likelihood=1,
        residual_impact=3,
    )

    assert (treated.inherent_level, treated.residual_level) == ("high", "low")
    assert (treated.current_likelihood, treated.current_impact, treated.current_score) == (1, 3, 3)
    assert treated.status == "treated"


def _treated(tsuru, manager, owner=None):
    risk = make_risk(tsuru.municipality, unit=tsuru.unit, actor=manager)
    return services.treat_risk(
        manager,
        risk,
        treatment="accept",
        owner=owner or Person.objects.get(user=manager),
        residual_likelihood=3,
        residual_impact=3,
    )


def test_the_owner_cannot_accept_their_own_risk(tsuru, manager):
    owner_lead = tsuru.lead  # a lead who owns the risk
    risk = _treated(tsuru, manager, owner=Person.objects.get(user=owner_lead))
    risk = services.request_acceptance(manager, risk)
    before = JournalEntry.objects.count()

    with pytest.raises(ValidationError) as exc:
        services.approve_acceptance(owner_lead, risk)

    assert _errors(exc) == {
        "approver": [
            f"{Person.objects.get(user=owner_lead)} owns this risk and cannot accept it "
            "(兼務の禁止). Another lead decides."
        ]
    }
    risk.refresh_from_db()
    assert risk.status == "acceptance_requested" and risk.accepted_by is None
    assert JournalEntry.objects.count() == before


def test_the_requester_cannot_accept_it_either(tsuru):
    m = tsuru.municipality
    requester = tsuru.lead  # a lead may assess and request too
    other = make_person(m, unit=tsuru.unit)
    risk = _treated(tsuru, requester, owner=other)
    risk = services.request_acceptance(requester, risk)

    with pytest.raises(ValidationError) as exc:
        services.approve_acceptance(requester, risk)

    assert list(_errors(exc)) == ["approver"]
    assert "兼務の禁止" in _errors(exc)["approver"][0]


def test_a_lead_who_is_neither_owner_nor_requester_accepts(tsuru, manager, ciso):
    risk = services.request_acceptance(manager, _treated(tsuru, manager), note="費用対効果")

    accepted = services.approve_acceptance(ciso, risk, reason="了承")

    assert (accepted.status, accepted.accepted_by_id, accepted.decision_reason) == (
        "accepted",
        ciso.pk,
        "了承",
    )
    assert JournalEntry.objects.filter(action="risk.accept", actor=ciso).count() == 1


def test_a_unit_manager_may_not_accept(tsuru, manager):
    other_manager = make_user(
        tsuru.municipality, roles=(Role.DIVISION_SECURITY_MANAGER,), unit=tsuru.unit
    )
    risk = services.request_acceptance(manager, _treated(tsuru, manager))

    with pytest.raises(PermissionDenied):
        services.approve_acceptance(other_manager, risk)


def test_rejection_needs_a_reason_and_sends_the_risk_back(tsuru, manager, ciso):
    risk = services.request_acceptance(manager, _treated(tsuru, manager))

    with pytest.raises(ValidationError) as exc:
        services.reject_acceptance(ciso, risk, reason="")
    assert _errors(exc) == {"decision_reason": ["Say why the residual risk is not accepted."]}

    back = services.reject_acceptance(ciso, risk, reason="対策が不十分")
    assert (back.status, back.accepted_by_id, back.decision_reason) == (
        "treated",
        None,
        "対策が不十分",
    )


def test_acceptance_needs_a_treatment_first(tsuru, manager):
    risk = make_risk(tsuru.municipality, unit=tsuru.unit, actor=manager)

    with pytest.raises(ValidationError) as exc:
        services.request_acceptance(manager, risk)

    assert exc.value.messages == [
        "Decide the treatment first; only a treated risk can be put up for acceptance."
    ]


def test_a_new_treatment_voids_the_acceptance(tsuru, manager, ciso):
    risk = services.approve_acceptance(
        ciso, services.request_acceptance(manager, _treated(tsuru, manager))
    )

    again = services.treat_risk(
        manager,
        risk,
        treatment="reduce",
        owner=risk.owner,
        controls="UTM",
        residual_likelihood=1,
        residual_impact=1,
    )

    assert (again.status, again.accepted_by_id) == ("treated", None)


def test_reassessment_keeps_the_reason_rule(tsuru, manager):
    risk = make_risk(tsuru.municipality, unit=tsuru.unit, actor=manager)

    with pytest.raises(ValidationError) as exc:
        services.reassess_risk(manager, risk, likelihood=2, impact=5)
    assert list(_errors(exc)) == ["impact_override_reason"]

    changed = services.reassess_risk(
        manager, risk, likelihood=2, impact=5, impact_override_reason="住民影響大"
    )
    assert (changed.current_score, changed.inherent_level) == (10, "high")
    assert vulnerability(tsuru.municipality).code == "V-01"
