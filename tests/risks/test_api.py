"""The risk API: the access matrix of every operation, and its behaviour."""

from __future__ import annotations

import pytest
from django.urls import reverse

from isms.core.models import Person
from isms.core.permissions import Action
from isms.risks.models import AssetGroup, Risk, Vulnerability
from tests.assets.factories import make_asset
from tests.risks.factories import make_risk, threat
from tests.risks.web_specs import _group, _threat, _treated
from tests.support import access
from tests.support.access import ADMIN, API, LEAD, STAFF, AccessSpec

SEE = {STAFF, LEAD, ADMIN}
ASSESS = {LEAD, ADMIN}


def _url(name: str, **kwargs: object) -> str:
    return reverse(f"api:{name}", kwargs=kwargs)


def _spec(name: str, action: Action, permitted: set, **more) -> AccessSpec:
    more.setdefault("url", lambda t: _url(name))
    more.setdefault("other", None)
    return AccessSpec(name=name, kind=API, action=action, permitted=permitted, **more)


def _vuln(t) -> Vulnerability:
    return Vulnerability.objects.get(municipality=t.municipality, code="V-01")


def _on_risk(name: str):
    return lambda t: _url(name, risk_id=t.risk.pk)


SPECS = [
    _spec("list_risks", Action.VIEW_RISKS, SEE),
    _spec("risk_heat_map", Action.VIEW_RISKS, SEE),
    _spec("list_threats", Action.VIEW_RISKS, SEE),
    _spec("list_vulnerabilities", Action.VIEW_RISKS, SEE),
    _spec(
        "propose_risk_impact",
        Action.VIEW_RISKS,
        SEE,
        url=lambda t: _url("propose_risk_impact", asset_id=t.asset.pk),
        other=404,
    ),
    _spec("get_risk", Action.VIEW_RISKS, SEE, url=_on_risk("get_risk"), other=404),
    _spec(
        "create_risk",
        Action.ASSESS_RISKS,
        ASSESS,
        method="POST",
        data=lambda t: {
            "fiscal_year": t.risk.fiscal_year,
            "asset_id": t.asset.pk,
            "threat_id": _threat(t).pk,
            "likelihood": 2,
        },
        ok=201,
        other=422,
        other_field="asset_id",
        creates=Risk,
    ),
    _spec(
        "treat_risk",
        Action.ASSESS_RISKS,
        ASSESS,
        method="POST",
        url=_on_risk("treat_risk"),
        data=lambda t: {"treatment": "avoid", "owner_id": t.other_person.pk},
        other=404,
        target=lambda t: t.risk,
    ),
    _spec(
        "request_risk_acceptance",
        Action.ASSESS_RISKS,
        ASSESS,
        method="POST",
        url=lambda t: _url("request_risk_acceptance", risk_id=_treated(t).pk),
        other=404,
        target=_treated,
    ),
    _spec(
        "reassess_risk",
        Action.ASSESS_RISKS,
        ASSESS,
        method="POST",
        url=_on_risk("reassess_risk"),
        data=lambda t: {"likelihood": 2, "scenario": "再評価"},
        other=404,
        target=lambda t: t.risk,
    ),
    _spec(
        "set_threat_active",
        Action.MANAGE_RISK_CATALOG,
        ASSESS,
        method="POST",
        url=lambda t: _url("set_threat_active", threat_id=_threat(t).pk),
        data=lambda t: {"active": False},
        other=404,
        target=_threat,
    ),
    _spec(
        "set_vulnerability_active",
        Action.MANAGE_RISK_CATALOG,
        ASSESS,
        method="POST",
        url=lambda t: _url("set_vulnerability_active", vulnerability_id=_vuln(t).pk),
        data=lambda t: {"active": False},
        other=404,
        target=_vuln,
    ),
    _spec("list_asset_groups", Action.VIEW_RISKS, SEE),
    _spec(
        "get_asset_group",
        Action.VIEW_RISKS,
        SEE,
        url=lambda t: _url("get_asset_group", group_id=_group(t).pk),
        other=404,
        target=_group,
    ),
    _spec(
        "create_asset_group",
        Action.ASSESS_RISKS,
        ASSESS,
        method="POST",
        data=lambda t: {"name": "窓口端末", "owning_unit_id": t.unit.pk, "asset_ids": [t.asset.pk]},
        ok=201,
        other=422,
        other_field="owning_unit_id",
        creates=AssetGroup,
    ),
    _spec(
        "update_asset_group",
        Action.ASSESS_RISKS,
        ASSESS,
        method="PUT",
        url=lambda t: _url("update_asset_group", group_id=_group(t).pk),
        data=lambda t: {"name": "端末一式（改）", "asset_ids": [t.asset.pk]},
        other=404,
        target=_group,
    ),
    _spec(
        "approve_risk_acceptance",
        Action.APPROVE_RISK_ACCEPTANCE,
        {LEAD},
        method="POST",
        url=_on_risk("approve_risk_acceptance"),
        other=404,
        target=lambda t: t.risk,
    ),
    _spec(
        "reject_risk_acceptance",
        Action.APPROVE_RISK_ACCEPTANCE,
        {LEAD},
        method="POST",
        url=_on_risk("reject_risk_acceptance"),
        data=lambda t: {"reason": "対策不足"},
        other=404,
        target=lambda t: t.risk,
    ),
]


@pytest.fixture
def world(tsuru, kofu):
    return access.make_world(tsuru, kofu)


@pytest.mark.parametrize(("spec", "case"), access.cases(SPECS))
def test_api_access(spec, case, world, client):
    access.check(client, world, spec, case)


def test_every_risk_api_operation_has_an_access_spec_and_a_route():
    from isms.risks.api import router
    from tests.support.routes import API_ROUTES

    names = access.operation_names(router)
    assert names == {s.name for s in SPECS}
    assert {f"api:{n}" for n in names} <= set(API_ROUTES)


# --- behaviour ---------------------------------------------------------------------------------


def _headers(world_user):
    from isms.core import services

    return {"HTTP_AUTHORIZATION": f"Bearer {services.issue_api_token(world_user, name='t')[1]}"}


def test_assess_through_the_api_with_the_proposal(client, tsuru, manager):
    asset = make_asset(tsuru.municipality, tsuru.unit, confidentiality="3")
    headers = {**_headers(manager), "HTTP_ACCEPT_LANGUAGE": "en"}

    proposal = client.get(_url("propose_risk_impact", asset_id=asset.pk), **headers).json()
    response = client.post(
        _url("create_risk"),
        {
            "fiscal_year": 2026,
            "asset_id": asset.pk,
            "threat_id": threat(tsuru.municipality).pk,
            "likelihood": 2,
        },
        content_type="application/json",
        **headers,
    )

    assert proposal["level"] == 4
    assert proposal["reasons"][0] == {
        "criterion": "confidentiality",
        "value": "3",
        "level": 4,
        "decisive": True,
    }
    assert response.status_code == 201
    assert (response.json()["impact"], response.json()["inherent_level"]) == (4, "medium")


def test_bad_input_is_a_422_on_the_field(client, tsuru, manager):
    asset = make_asset(tsuru.municipality, tsuru.unit)
    headers = {**_headers(manager), "HTTP_ACCEPT_LANGUAGE": "en"}

    response = client.post(
        _url("create_risk"),
        {
            "fiscal_year": 2026,
            "asset_id": asset.pk,
            "threat_id": threat(tsuru.municipality).pk,
            "likelihood": 2,
            "impact": 1,
        },
        content_type="application/json",
        **headers,
    )

    assert response.status_code == 422
    assert response.json()["errors"] == {
        "impact_override_reason": [
            "The proposed impact is 3. Say why you chose 1, or keep the proposal."
        ]
    }
    assert not Risk.objects.exists()


def test_treatment_without_owner_and_owner_acceptance_refused(client, tsuru, manager, ciso):
    risk = make_risk(tsuru.municipality, unit=tsuru.unit, actor=manager)
    headers = {**_headers(manager), "HTTP_ACCEPT_LANGUAGE": "en"}

    response = client.post(
        _url("treat_risk", risk_id=risk.pk),
        {"treatment": "accept"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["owner_id"]

    owner = Person.objects.get(user=ciso)
    response = client.post(
        _url("treat_risk", risk_id=risk.pk),
        {"treatment": "accept", "owner_id": owner.pk},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 200
    client.post(
        _url("request_risk_acceptance", risk_id=risk.pk),
        {},
        content_type="application/json",
        **headers,
    )
    response = client.post(
        _url("approve_risk_acceptance", risk_id=risk.pk),
        {},
        content_type="application/json",
        **{**_headers(ciso), "HTTP_ACCEPT_LANGUAGE": "en"},
    )
    assert response.status_code == 422
    assert "owns this risk and cannot accept it" in response.json()["errors"]["approver"][0]
    risk.refresh_from_db()
    assert risk.status == "acceptance_requested"


def test_a_treatment_without_catalog_control_ids_keeps_the_links_and_an_empty_list_clears_them(
    client, tsuru, manager
):
    from tests.risks.factories import make_controls

    m = tsuru.municipality
    c1, c2 = make_controls(m, "4.1.1", "4.1.2")
    risk = make_risk(m, unit=tsuru.unit, actor=manager)
    owner = Person.objects.get(user=manager)
    headers = {**_headers(manager), "HTTP_ACCEPT_LANGUAGE": "en"}

    def treat(body: dict) -> object:
        return client.post(
            _url("treat_risk", risk_id=risk.pk),
            {"treatment": "reduce", "owner_id": owner.pk, "controls": "施錠", **body},
            content_type="application/json",
            **headers,
        )

    # set in the UI (or by a newer client)
    assert treat({"catalog_control_ids": [c1.pk, c2.pk]}).status_code == 200
    # an older client omits the field: the links stay
    response = treat({})
    assert response.status_code == 200
    assert response.json()["catalog_control_ids"] == sorted([c1.pk, c2.pk])
    # null: unchanged too
    assert treat({"catalog_control_ids": None}).json()["catalog_control_ids"] == sorted(
        [c1.pk, c2.pk]
    )
    # an empty list clears them
    response = treat({"catalog_control_ids": []})
    assert response.status_code == 200
    assert response.json()["catalog_control_ids"] == []
    assert not Risk.objects.get(pk=risk.pk).catalog_controls.exists()
