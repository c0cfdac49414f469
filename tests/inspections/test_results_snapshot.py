"""The results snapshot: whole-municipality results are read from it while no sheet changed;
small campaigns are recomputed on the page, large ones show the stale snapshot and queue one
refresh; a closed campaign's results are frozen at close; snapshots never cross tenants."""

from __future__ import annotations

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from isms.core import services as core_services
from isms.core.models import Person
from isms.inspections import results, services, tasks
from isms.inspections.models import (
    InspectionItem,
    InspectionResponse,
    InspectionResultSnapshot,
    TargetGroup,
)
from tests.inspections.factories import make_campaign

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ANSWERS_TABLE = "inspections_inspectionanswer"


def _sheet(tsuru, campaign):
    services.assign(None, campaign, target_group=TargetGroup.STAFF, org_unit=tsuru.unit)
    return InspectionResponse.objects.get(
        campaign=campaign, person=Person.objects.get(user=tsuru.staff)
    )


def _answer_all(user, sheet, value="implemented", submit=True):
    items = InspectionItem.objects.filter(
        campaign_id=sheet.campaign_id, target_group=sheet.target_group
    )
    return services.save_answers(user, sheet, {i.pk: (value, "") for i in items}, submit=submit)


def _snapshot(campaign):
    return InspectionResultSnapshot.objects.get(campaign=campaign, scope=results.SCOPE_ALL)


def _page(client, campaign):
    response = client.get(reverse("inspections:campaign_results", args=[campaign.pk]), **EN)
    assert response.status_code == 200
    return response.content.decode()


def _aggregates(queries):
    return [q["sql"] for q in queries if ANSWERS_TABLE in q["sql"]]


def test_snapshot_is_read_while_current_and_no_answer_is_aggregated(client, tsuru):
    campaign = make_campaign(tsuru.municipality)
    _answer_all(tsuru.staff, _sheet(tsuru, campaign))
    client.force_login(tsuru.lead)
    first = _page(client, campaign)
    assert "Computed at" in first and "100.0" in first
    computed = _snapshot(campaign).computed_at
    with CaptureQueriesContext(connection) as live:
        results.results(campaign)
    with CaptureQueriesContext(connection) as cached:
        page = _page(client, campaign)
    assert "100.0" in page and "being refreshed" not in page
    assert _aggregates(live.captured_queries)
    assert _aggregates(cached.captured_queries) == []
    assert len(cached.captured_queries) < len(live.captured_queries)
    assert _snapshot(campaign).computed_at == computed
    # The Excel export and the API read the same snapshot.
    with CaptureQueriesContext(connection) as export:
        body = client.get(reverse("inspections:campaign_export", args=[campaign.pk])).content
    assert body[:2] == b"PK" and _aggregates(export.captured_queries) == []
    token = core_services.issue_api_token(tsuru.lead, name="t")[1]
    api = client.get(
        f"/api/v1/inspections/campaigns/{campaign.pk}/results",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert api.status_code == 200
    assert api.json()["computed_at"] and api.json()["stale"] is False


def test_small_campaign_is_recomputed_after_submit_return_and_approve(client, tsuru, manager):
    campaign = make_campaign(tsuru.municipality)
    sheet = _sheet(tsuru, campaign)
    client.force_login(tsuru.lead)
    assert results.current_results(campaign).overall.rate is None
    sheet = _answer_all(tsuru.staff, sheet, value="not_implemented")
    r = results.current_results(campaign)
    assert r.overall.rate == 0.0 and not r.stale
    services.return_sheet(manager, sheet, reason="やり直し")
    assert results.current_results(campaign).overall.rate is None
    sheet.refresh_from_db()
    sheet = _answer_all(tsuru.staff, sheet, value="implemented")
    assert results.current_results(campaign).overall.rate == 100.0
    services.approve(manager, sheet)
    progress = {p.label: p for p in results.current_results(campaign).progress}[tsuru.unit.name]
    assert progress.approved == 1 and progress.submitted == 0
    assert "100.0" in _page(client, campaign)
    # The stored figures equal a live computation.
    assert _snapshot(campaign).data == results.to_json(results.results(campaign))


def test_large_campaign_shows_the_stale_snapshot_and_queues_one_refresh(
    client, tsuru, settings, monkeypatch
):
    campaign = make_campaign(tsuru.municipality)
    sheet = _sheet(tsuru, campaign)
    client.force_login(tsuru.lead)
    _page(client, campaign)  # the first snapshot: nothing answered
    before = _snapshot(campaign)
    settings.INSPECTION_LIVE_RESULTS_MAX_ANSWERS = 0  # every campaign is "large"
    _answer_all(tsuru.staff, sheet)
    queued: list[int] = []
    monkeypatch.setattr(tasks, "refresh_results_snapshot", queued.append)
    page = _page(client, campaign)
    assert "being refreshed" in page and "Computed at" in page
    assert "100.0" not in page  # the old figures, until the refresh ran
    assert queued == [campaign.pk]
    assert _snapshot(campaign).refreshing_since is not None
    # A second look while the refresh is pending queues nothing more.
    _page(client, campaign)
    assert queued == [campaign.pk]
    assert _snapshot(campaign).computed_at == before.computed_at
    # The refresh task recomputes it; the page is current again.
    monkeypatch.undo()
    assert results.refresh_snapshot(campaign.pk) is True
    after = _snapshot(campaign)
    assert after.refreshing_since is None and after.computed_at > before.computed_at
    page = _page(client, campaign)
    assert "100.0" in page and "being refreshed" not in page
    assert results.refresh_snapshot(campaign.pk) is False  # nothing changed since


def test_huey_task_runs_the_refresh_when_queued(client, tsuru, settings):
    campaign = make_campaign(tsuru.municipality)
    sheet = _sheet(tsuru, campaign)
    results.current_results(campaign)
    settings.INSPECTION_LIVE_RESULTS_MAX_ANSWERS = 0
    _answer_all(tsuru.staff, sheet)
    # Huey runs immediately in tests: the page shows the stale figures, the queued task
    # refreshes the snapshot right away.
    r = results.current_results(campaign)
    assert r.stale and r.overall.rate is None
    assert results.current_results(campaign).overall.rate == 100.0


def test_periodic_task_refreshes_stale_snapshots_of_open_campaigns(tsuru, settings):
    settings.INSPECTION_LIVE_RESULTS_MAX_ANSWERS = 0
    campaign = make_campaign(tsuru.municipality)
    draft = make_campaign(tsuru.municipality, title="準備中", open_it=False)
    sheet = _sheet(tsuru, campaign)
    results.store_snapshot(campaign)
    _answer_all(tsuru.staff, sheet)
    assert tasks.refresh_stale_results_snapshots.call_local() == 1
    assert _snapshot(campaign).data["overall"]["implemented"] == 2
    assert not InspectionResultSnapshot.objects.filter(campaign=draft).exists()
    assert tasks.refresh_stale_results_snapshots.call_local() == 0


def test_closed_campaign_is_frozen_at_close_and_equals_live(client, tsuru):
    campaign = make_campaign(tsuru.municipality)
    _answer_all(tsuru.staff, _sheet(tsuru, campaign), value="partial")
    services.close_campaign(None, campaign)
    snap = _snapshot(campaign)
    assert snap.data == results.to_json(results.results(campaign))
    client.force_login(tsuru.lead)
    with CaptureQueriesContext(connection) as queries:
        page = _page(client, campaign)
    assert "50.0" in page and "Computed at" in page
    assert _aggregates(queries.captured_queries) == []
    assert _snapshot(campaign).computed_at == snap.computed_at
    assert results.refresh_snapshot(campaign.pk) is False


def test_last_year_comes_from_the_frozen_snapshot_also_for_a_unit_manager(tsuru, manager):
    last = make_campaign(tsuru.municipality, fiscal_year=2025, title="前年度")
    _answer_all(tsuru.staff, _sheet(tsuru, last), value="not_implemented")
    services.close_campaign(None, last)
    snap = _snapshot(last)
    assert snap.data["rates"]["org_unit"] == {str(tsuru.unit.pk): 0.0}
    # Mark the frozen figures to see they are what the comparison reads.
    snap.data["rates"]["org_unit"] = {str(tsuru.unit.pk): 12.5}
    snap.data["rates"]["chapter"] = {"4": 25.0, "5": 25.0}
    snap.save()
    campaign = make_campaign(tsuru.municipality, fiscal_year=2026)
    _answer_all(tsuru.staff, _sheet(tsuru, campaign))
    whole = results.current_results(campaign)
    assert [x.last_year for x in whole.by_unit] == [12.5]
    assert {x.last_year for x in whole.by_chapter} == {25.0}
    assert whole.weakest and all(x.last_year == 0.0 for x in whole.weakest)
    units = {tsuru.unit.pk}
    scoped = results.current_results(campaign, units)
    assert scoped.computed_at is None  # live
    assert [x.last_year for x in scoped.by_unit] == [12.5]
    assert {x.last_year for x in scoped.by_chapter} == {0.0}  # scoped: aggregated live


def test_snapshot_of_another_municipality_is_never_shown(client, tsuru, kofu):
    mine = make_campaign(tsuru.municipality)
    _answer_all(tsuru.staff, _sheet(tsuru, mine))
    results.store_snapshot(mine)
    client.force_login(kofu.lead)
    for name in ("campaign_results", "campaign_export", "campaign_report"):
        assert client.get(reverse(f"inspections:{name}", args=[mine.pk])).status_code == 404
    # A snapshot pointing at another municipality's campaign as "last year" shows no comparison.
    theirs = make_campaign(kofu.municipality, fiscal_year=2025, title="甲府")
    snap = _snapshot(mine)
    snap.data["previous_id"] = theirs.pk
    snap.save()
    assert results.current_results(mine).previous is None


def test_snapshot_changed_moment_is_set_by_each_status_change(tsuru, manager):
    campaign = make_campaign(tsuru.municipality)
    sheet = _sheet(tsuru, campaign)
    moments = [sheet.status_changed_at]
    sheet = _answer_all(tsuru.staff, sheet, submit=False)
    moments.append(InspectionResponse.objects.get(pk=sheet.pk).status_changed_at)
    sheet = services.submit(tsuru.staff, sheet)
    moments.append(InspectionResponse.objects.get(pk=sheet.pk).status_changed_at)
    services.approve(manager, sheet)
    moments.append(InspectionResponse.objects.get(pk=sheet.pk).status_changed_at)
    assert moments == sorted(moments) and len(set(moments)) == 4
    assert results.latest_change(campaign) == moments[-1]
    assert moments[-1] <= timezone.now() + datetime.timedelta(seconds=1)


def test_queue_down_still_shows_the_stored_figures(client, tsuru, settings, monkeypatch):
    campaign = make_campaign(tsuru.municipality)
    sheet = _sheet(tsuru, campaign)
    results.store_snapshot(campaign)
    settings.INSPECTION_LIVE_RESULTS_MAX_ANSWERS = 0
    _answer_all(tsuru.staff, sheet)

    def down(_campaign_id: int) -> None:
        raise ConnectionError("redis is down")

    monkeypatch.setattr(tasks, "refresh_results_snapshot", down)
    client.force_login(tsuru.lead)
    assert "being refreshed" in _page(client, campaign)
    assert _snapshot(campaign).refreshing_since is None  # the next page tries again
