"""Access specs of the risk pages, run by tests/test_web_access.py.

Who may, from ``core/permissions.py`` RULES narrowed by ``risks/visibility.py``: STAFF sees
``t.risk`` (its unit's asset) but assesses nothing; LEAD (統括) and ADMIN (municipality
administrator) see and assess every risk; only role holders accept a residual risk (LEAD, who
is neither its owner nor its requester); SERVICE lacks the municipality's grant and is refused
everything. A treated risk to put up for acceptance is made on first use by the ``target``.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from isms.assets.models import InformationAsset
from isms.core.permissions import Action
from isms.policy.models import PolicyReview
from isms.risks import services
from isms.risks.models import AssetGroup, Risk, Threat
from tests.assets.factories import make_asset
from tests.support.access import ADMIN, LEAD, STAFF, WEB, AccessSpec, Site

SEE = {STAFF, LEAD, ADMIN}
ASSESS = {LEAD, ADMIN}


def _url(name: str, **kwargs: object) -> str:
    return reverse(name, kwargs=kwargs)


def _page(name: str, action: Action, permitted: set[Any], **more: Any) -> AccessSpec:
    more.setdefault("url", lambda t: _url(name))
    more.setdefault("other", None)
    return AccessSpec(name=name, kind=WEB, action=action, permitted=permitted, **more)


def _threat(t: Site, code: str = "T-DIS-02") -> Threat:
    return Threat.objects.get(municipality=t.municipality, code=code)


def _treated(t: Site) -> Risk:
    """A treated risk of ``t.asset`` (fire), not yet put up for acceptance."""
    found = Risk.objects.filter(municipality=t.municipality, threat__code="T-DIS-03").first()
    if found is not None:
        return found
    risk = services.assess_risk(
        None,
        t.municipality,
        fiscal_year=t.risk.fiscal_year,
        asset=t.asset,
        threat=_threat(t, "T-DIS-03"),
        likelihood=2,
    )
    return services.treat_risk(
        None, risk, treatment="transfer", owner=t.other_person, controls="保険"
    )


def _spec_asset(t: Site) -> InformationAsset:
    """An asset whose number names nothing of the municipality (the form echoes it back)."""
    found = InformationAsset.objects.filter(municipality=t.municipality, asset_number="RS-1")
    return found.first() or make_asset(t.municipality, t.unit, asset_number="RS-1", name="台帳")


def _group(t: Site) -> AssetGroup:
    """An asset group of ``t.unit`` holding ``t.asset`` (made once, through the service)."""
    found = AssetGroup.objects.filter(municipality=t.municipality, name="端末一式").first()
    return found or services.create_asset_group(
        None, t.municipality, name="端末一式", owning_unit=t.unit, assets=[t.asset]
    )


def _risk_url(name: str) -> Any:
    return lambda t: _url(name, pk=t.risk.pk)


SPECS: list[AccessSpec] = [
    _page("risks:risk_list", Action.VIEW_RISKS, SEE),
    _page("risks:heat_map", Action.VIEW_RISKS, SEE),
    _page("risks:risk_export", Action.VIEW_RISKS, SEE),
    _page("risks:risk_report", Action.VIEW_RISKS, SEE),
    _page("risks:catalog", Action.VIEW_RISKS, SEE),
    _page(
        "risks:catalog",
        Action.MANAGE_RISK_CATALOG,
        ASSESS,
        method="POST",
        data=lambda t: {
            "form": "threat",
            "t-category": "disaster",
            "t-code": "T-SPEC",
            "t-name_ja": "大雪",
        },
        ok=302,
        creates=Threat,
    ),
    _page("risks:scales", Action.MANAGE_RISK_CATALOG, ASSESS),
    _page(
        "risks:scales",
        Action.MANAGE_RISK_CATALOG,
        ASSESS,
        method="POST",
        data=lambda t: {
            "likelihood_levels": "1|低|Low\n2|中|Mid\n3|高|High\n4|極|Top\n5|最|Max",
            "impact_levels": "1|低|Low\n2|中|Mid\n3|高|High\n4|極|Top\n5|最|Max",
            "bands": "3, 8, 12",
        },
        ok=302,
    ),
    _page("risks:risk_create", Action.ASSESS_RISKS, ASSESS),
    _page(
        "risks:risk_create",
        Action.ASSESS_RISKS,
        ASSESS,
        method="POST",
        data=lambda t: {
            "asset_number": _spec_asset(t).asset_number,
            "threat": _threat(t).pk,
            "likelihood": "2",
        },
        ok=302,
        creates=Risk,
        target=_spec_asset,
        other=200,
    ),
    _page(
        "risks:risk_detail", Action.VIEW_RISKS, SEE, url=_risk_url("risks:risk_detail"), other=404
    ),
    _page(
        "risks:risk_treat",
        Action.ASSESS_RISKS,
        ASSESS,
        url=_risk_url("risks:risk_treat"),
        other=404,
    ),
    _page(
        "risks:risk_treat",
        Action.ASSESS_RISKS,
        ASSESS,
        method="POST",
        url=_risk_url("risks:risk_treat"),
        data=lambda t: {
            "treatment": "reduce",
            "controls": "多要素認証",
            "owner_number": t.other_person.employee_number,
            "residual_likelihood": "1",
            "residual_impact": "1",
        },
        ok=302,
        other=404,
        target=lambda t: t.risk,
    ),
    _page(
        "risks:risk_request_acceptance",
        Action.ASSESS_RISKS,
        ASSESS,
        method="POST",
        url=lambda t: _url("risks:risk_request_acceptance", pk=_treated(t).pk),
        ok=302,
        other=404,
        target=_treated,
    ),
    _page(
        "risks:risk_approve",
        Action.APPROVE_RISK_ACCEPTANCE,
        {LEAD},
        method="POST",
        url=_risk_url("risks:risk_approve"),
        data=lambda t: {"decision_reason": "了承"},
        ok=302,
        other=404,
        target=lambda t: t.risk,
    ),
    _page(
        "risks:risk_reject",
        Action.APPROVE_RISK_ACCEPTANCE,
        {LEAD},
        method="POST",
        url=_risk_url("risks:risk_reject"),
        data=lambda t: {"decision_reason": "対策不足"},
        ok=302,
        other=404,
        target=lambda t: t.risk,
    ),
    _page(
        "risks:catalog_entry_active",
        Action.MANAGE_RISK_CATALOG,
        ASSESS,
        method="POST",
        url=lambda t: _url("risks:catalog_entry_active", kind="threat", pk=_threat(t).pk),
        data=lambda t: {"active": "0"},
        ok=302,
        other=404,
        target=_threat,
    ),
    _page("risks:group_list", Action.VIEW_RISKS, SEE),
    _page("risks:group_create", Action.ASSESS_RISKS, ASSESS),
    _page(
        "risks:group_create",
        Action.ASSESS_RISKS,
        ASSESS,
        method="POST",
        data=lambda t: {
            "name": "窓口端末",
            "owning_unit": t.unit.pk,
            "asset_numbers": t.asset.asset_number,
        },
        ok=302,
        creates=AssetGroup,
        other=200,
    ),
    _page(
        "risks:group_edit",
        Action.ASSESS_RISKS,
        ASSESS,
        url=lambda t: _url("risks:group_edit", pk=_group(t).pk),
        other=404,
        target=_group,
    ),
    _page(
        "risks:group_edit",
        Action.ASSESS_RISKS,
        ASSESS,
        method="POST",
        url=lambda t: _url("risks:group_edit", pk=_group(t).pk),
        data=lambda t: {"name": "端末一式（改）", "asset_numbers": t.asset.asset_number},
        ok=302,
        other=404,
        target=_group,
    ),
    _page(
        "risks:risk_reassess",
        Action.ASSESS_RISKS,
        ASSESS,
        url=_risk_url("risks:risk_reassess"),
        other=404,
    ),
    _page(
        "risks:risk_reassess",
        Action.ASSESS_RISKS,
        ASSESS,
        method="POST",
        url=_risk_url("risks:risk_reassess"),
        data=lambda t: {"likelihood": "2", "scenario": "再評価"},
        ok=302,
        other=404,
        target=lambda t: t.risk,
    ),
    _page("policy:policy_review", Action.VIEW_ALL_RISKS, ASSESS),
    _page(
        "policy:policy_review",
        Action.MANAGE_POLICY_REVIEW,
        ASSESS,
        method="POST",
        data=lambda t: {"conclusion": "方針を維持する"},
        ok=302,
        creates=PolicyReview,
    ),
]
