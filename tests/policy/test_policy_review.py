"""The policy review page of a fiscal year (seed 2.8): the committee's input and its record."""

from __future__ import annotations

from django.urls import reverse

from isms.core.models import JournalEntry
from isms.policy.models import PolicyReview
from isms.risks.models import RiskAnalysis
from tests.assets.factories import make_asset
from tests.risks.conftest import manager  # noqa: F401  (fixture)
from tests.risks.factories import make_risk, this_year

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_the_review_gathers_changes_and_open_high_risks(client, tsuru, manager):  # noqa: F811
    m = tsuru.municipality
    kept = make_asset(m, tsuru.unit, name="住民記録")
    make_risk(m, kept, actor=manager, likelihood=1, fiscal_year=this_year() - 1)
    make_risk(m, kept, actor=manager, likelihood=5)  # 5 × 3: very high, raised
    client.force_login(tsuru.lead)

    html = client.get(reverse("policy:policy_review"), **EN).content.decode()

    changes = html.split('data-testid="review-changes"', 1)[1].split("</dl>", 1)[0]
    assert "<dt>raised</dt><dd>1</dd>" in changes
    assert "<dt>new risks</dt><dd>0</dd>" in changes
    high = html.split('data-testid="open-high"', 1)[1].split("</table>", 1)[0]
    assert "住民記録" in high and "(Very high)" in high
    assert 'data-testid="review-audits"' in html  # audit figures: tests/audits/test_dashboard.py


def test_the_review_shows_the_years_incident_figures(client, tsuru, kofu):
    """Seed 2.8, 対策基準 7.3: the incidents of the year feed the review (only our own)."""
    import datetime

    from django.utils import timezone

    from isms.incidents import services as incident_services

    when = timezone.now() - datetime.timedelta(hours=1)
    for t in (tsuru, kofu, kofu):
        incident_services.report_incident(
            t.staff, t.municipality, title="USBメモリ紛失", description="紛失", detected_at=when
        )
    client.force_login(tsuru.lead)

    html = client.get(reverse("policy:policy_review"), **EN).content.decode()

    figures = html.split('data-testid="review-incidents"', 1)[1].split("</dl>", 1)[0]
    assert "<dt>reports received</dt><dd>1</dd>" in figures
    assert "<dt>still open</dt><dd>1</dd>" in figures
    assert "<dt>closed after review</dt><dd>0</dd>" in figures


def test_a_review_needs_a_conclusion_and_records_the_analysis(client, tsuru, manager):  # noqa: F811
    make_risk(tsuru.municipality, unit=tsuru.unit, actor=manager, likelihood=5)
    client.force_login(tsuru.lead)
    url = reverse("policy:policy_review")
    before = JournalEntry.objects.count()

    response = client.post(url, {"conclusion": "  "}, **EN)

    assert response.status_code == 200
    assert "Write the committee&#x27;s conclusion" in response.content.decode()
    assert not PolicyReview.objects.exists() and not RiskAnalysis.objects.exists()
    assert JournalEntry.objects.count() == before

    response = client.post(url, {"conclusion": "対策基準6章を見直す"}, **EN)

    review = PolicyReview.objects.get()
    assert response.status_code == 302
    assert (review.fiscal_year, review.conclusion) == (this_year(), "対策基準6章を見直す")
    assert review.analysis["by_level"]["very_high"] == 1
    assert RiskAnalysis.objects.get().summary == review.analysis
    new = JournalEntry.objects.order_by("-pk")[: JournalEntry.objects.count() - before]
    assert {"policy_review.record", "risk_analysis.record"} <= {e.action for e in new}


def test_staff_and_strangers_are_refused(client, tsuru, kofu, manager):  # noqa: F811
    make_risk(tsuru.municipality, unit=tsuru.unit, actor=manager)
    url = reverse("policy:policy_review")

    client.force_login(tsuru.staff)
    assert client.get(url, **EN).status_code == 403
    client.force_login(kofu.lead)
    body = client.get(url, **EN).content.decode()
    assert "都留市" not in body.split("<main", 1)[1]
    assert client.post(url, {"conclusion": "x"}, **EN).status_code == 302
    assert PolicyReview.objects.get().municipality == kofu.municipality
