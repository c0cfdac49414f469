"""The policy review API (seed 2.8): the access matrix of every operation, and its behaviour."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from isms.core import services as core_services
from isms.core.models import JournalEntry
from isms.core.permissions import Action
from isms.core.roles import Role
from isms.policy.models import PolicyReview
from isms.risks.models import RiskAnalysis
from tests.assets.factories import make_asset
from tests.risks.conftest import manager  # noqa: F401  (fixture)
from tests.risks.factories import make_risk, this_year
from tests.support import access
from tests.support.access import ADMIN, API, LEAD, AccessSpec
from tests.support.factories import make_user

READ = {LEAD, ADMIN}  # VIEW_ALL_RISKS, as the page: the leads, auditors and administrators


def _url(name: str, **kwargs: object) -> str:
    return reverse(f"api:{name}", kwargs=kwargs)


SPECS = [
    AccessSpec(
        name="get_policy_review",
        kind=API,
        url=lambda t: _url("get_policy_review", fiscal_year=this_year()),
        action=Action.VIEW_ALL_RISKS,
        permitted=READ,
        other=None,
    ),
    AccessSpec(
        name="get_risk_analysis",
        kind=API,
        url=lambda t: _url("get_risk_analysis", fiscal_year=this_year()),
        action=Action.VIEW_ALL_RISKS,
        permitted=READ,
        other=None,
    ),
    AccessSpec(
        name="record_policy_review",
        kind=API,
        method="PUT",
        url=lambda t: _url("record_policy_review", fiscal_year=this_year()),
        data=lambda t: {"municipality_id": t.municipality.pk, "conclusion": "方針を維持する"},
        action=Action.MANAGE_POLICY_REVIEW,
        permitted={LEAD, ADMIN},
        other=422,
        other_field="municipality_id",
        creates=PolicyReview,
    ),
]


@pytest.fixture
def world(tsuru, kofu):
    return access.make_world(tsuru, kofu)


@pytest.mark.parametrize(("spec", "case"), access.cases(SPECS))
def test_api_access(spec, case, world, client):
    access.check(client, world, spec, case)


def test_every_review_api_operation_has_an_access_spec_and_a_route():
    from isms.policy.review_api import router
    from tests.support.routes import API_ROUTES

    names = access.operation_names(router)
    assert names == {s.name for s in SPECS}
    assert {f"api:{n}" for n in names} <= set(API_ROUTES)


# --- behaviour ---------------------------------------------------------------------------------


class Api:
    def __init__(self, client, user):
        self.client = client
        raw = core_services.issue_api_token(user, name="t")[1]
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": "en"}

    def get(self, name, data=None, **kwargs):
        return self.client.get(_url(name, **kwargs), data or {}, **self.headers)

    def put(self, name, body, **kwargs):
        return self.client.put(
            _url(name, **kwargs), json.dumps(body), content_type="application/json", **self.headers
        )


def test_a_review_is_read_empty_then_recorded_with_the_analysis(client, tsuru, manager):  # noqa: F811
    m = tsuru.municipality
    make_risk(m, unit=tsuru.unit, actor=manager, likelihood=5)
    api = Api(client, tsuru.lead)
    fy = this_year()

    empty = api.get("get_policy_review", fiscal_year=fy)
    recorded = api.put(
        "record_policy_review", {"conclusion": "対策基準6章を見直す"}, fiscal_year=fy
    )
    again = api.get("get_policy_review", fiscal_year=fy)

    assert empty.status_code == 200
    assert (empty.json()["recorded"], empty.json()["conclusion"]) == (False, "")
    assert recorded.status_code == 200
    body = again.json()
    assert (body["recorded"], body["conclusion"]) == (True, "対策基準6章を見直す")
    assert body["analysis"]["by_level"]["very_high"] == 1
    assert body["reviewed_by_id"] == tsuru.lead.pk
    assert RiskAnalysis.objects.get(municipality=m, fiscal_year=fy).summary == body["analysis"]
    assert JournalEntry.objects.filter(action="policy_review.record").count() == 1


def test_a_review_without_conclusion_or_with_a_bad_year_is_a_422(client, tsuru):
    api = Api(client, tsuru.lead)
    before = JournalEntry.objects.count()

    blank = api.put("record_policy_review", {"conclusion": "  "}, fiscal_year=this_year())
    year = api.put("record_policy_review", {"conclusion": "維持"}, fiscal_year=1999)
    read_year = api.get("get_risk_analysis", fiscal_year=3000)

    assert blank.status_code == 422
    assert list(blank.json()["errors"]) == ["conclusion"]
    assert year.status_code == 422
    assert year.json()["errors"] == {"fiscal_year": ["Give a fiscal year between 2000 and 2100."]}
    assert read_year.status_code == 422
    assert not PolicyReview.objects.exists()
    assert JournalEntry.objects.count() == before


def test_the_risk_analysis_lists_changes_and_open_high_risks(client, tsuru, manager):  # noqa: F811
    m = tsuru.municipality
    kept = make_asset(m, tsuru.unit, name="住民記録")
    make_risk(m, kept, actor=manager, likelihood=1, fiscal_year=this_year() - 1)
    high = make_risk(m, kept, actor=manager, likelihood=5)  # 5 × 3: very high, raised
    make_risk(m, unit=tsuru.unit, actor=manager, likelihood=1)  # low: not listed
    api = Api(client, tsuru.lead)

    body = api.get("get_risk_analysis", fiscal_year=this_year()).json()

    assert body["summary"]["total"] == 2
    assert body["changes"]["raised"] == 1 and body["changes"]["raised_ids"] == [high.pk]
    assert body["open_high_total"] == 1
    row = body["open_high"][0]
    assert (row["id"], row["current_level"], row["status"]) == (high.pk, "very_high", "assessed")
    assert "住民記録" in row["subject"]
    assert body["recorded"] is None


def test_staff_managers_and_strangers_are_refused(client, tsuru, kofu, manager):  # noqa: F811
    fy = this_year()
    for user in (tsuru.staff, manager):
        api = Api(client, user)
        assert api.get("get_risk_analysis", fiscal_year=fy).status_code == 403
        assert (
            api.put("record_policy_review", {"conclusion": "x"}, fiscal_year=fy).status_code == 403
        )
    stranger = Api(client, kofu.lead)
    named = {"municipality_id": tsuru.municipality.pk}
    assert stranger.get("get_policy_review", named, fiscal_year=fy).status_code == 403
    assert stranger.get("get_risk_analysis", named, fiscal_year=fy).status_code == 403
    response = stranger.put("record_policy_review", {**named, "conclusion": "越境"}, fiscal_year=fy)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["municipality_id"]
    assert not PolicyReview.objects.exists()


def test_an_auditor_reads_but_does_not_record(client, tsuru):
    auditor = make_user(tsuru.municipality, "auditor", roles=(Role.AUDITOR,), unit=tsuru.unit)
    api = Api(client, auditor)

    assert api.get("get_risk_analysis", fiscal_year=this_year()).status_code == 200
    response = api.put("record_policy_review", {"conclusion": "維持"}, fiscal_year=this_year())
    assert response.status_code == 403


def test_a_first_review_recorded_at_the_same_time_as_another_is_no_500(client, tsuru, monkeypatch):
    # given: another request inserted the year's first review after this one looked for it
    m = tsuru.municipality
    fy = this_year()
    PolicyReview.objects.create(municipality=m, fiscal_year=fy, conclusion="先の結論")
    real = PolicyReview.objects.select_for_update
    calls = []

    def racing(*args, **kwargs):
        calls.append(1)
        return PolicyReview.objects.none() if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(PolicyReview.objects, "select_for_update", racing)

    # when
    answer = Api(client, tsuru.lead).put(
        "record_policy_review", {"conclusion": "後の結論"}, fiscal_year=fy
    )

    # then: the insert met the other row, and this request updated it instead
    assert answer.status_code == 200
    assert answer.json()["conclusion"] == "後の結論"
    assert PolicyReview.objects.filter(municipality=m, fiscal_year=fy).count() == 1
    entry = JournalEntry.objects.get(action="policy_review.record")
    assert (entry.before["conclusion"], entry.after["conclusion"]) == ("先の結論", "後の結論")
