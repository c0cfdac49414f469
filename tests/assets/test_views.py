"""The register's pages: what each user sees, searching and filtering, the forms and workflows.

Language-independent: requests ask for English and assertions look at data (asset numbers,
rows, states), not at labels. Who may reach each page is the access matrix's job
(tests/assets/web_specs.py); these tests show what the pages do once reached.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from isms.assets import services
from isms.assets.models import (
    ClassificationRecord,
    InformationAsset,
    LifecycleRequest,
    MigrationReviewItem,
)
from isms.core.models import JournalEntry
from tests.assets.factories import PLAIN_ANSWERS, make_asset, make_register
from tests.assets.web_specs import asset_form, classify_form

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def register(tsuru):
    return make_register(tsuru)


def _numbers(response) -> list[str]:
    """Return the asset numbers listed on a register page, in order."""
    return [a.asset_number for a in response.context["page"]]


def _list(client, user, **params):
    client.force_login(user)
    return client.get(reverse("assets:asset_list"), params, **EN)


# --- list -------------------------------------------------------------------------------------


def test_staff_see_only_their_own_units_assets(client, register):
    """A member of 庶務係 sees 庶務係's asset; the 総務課 manager sees 総務課 and 庶務係's."""
    # when
    staff = _numbers(_list(client, register.section_staff))
    manager = _numbers(_list(client, register.manager))
    # then
    assert staff == [register.section_asset.asset_number]
    assert manager == sorted([register.asset.asset_number, register.section_asset.asset_number])


def test_the_lead_sees_the_whole_register(client, register):
    numbers = _numbers(_list(client, register.tenant.lead))
    assert set(numbers) == set(
        InformationAsset.objects.filter(municipality=register.municipality).values_list(
            "asset_number", flat=True
        )
    )


def test_search_ignores_width_kana_and_itaiji(client, register):
    """ﾃﾞｰﾀ and でーた, 髙 and 高: the search folds the query like the stored key."""
    # given
    make_asset(register.municipality, register.unit, asset_number="S-1", name="髙橋ﾃﾞｰﾀ台帳")
    make_asset(register.municipality, register.unit, asset_number="S-2", name="別の台帳")
    # when
    found = _numbers(_list(client, register.tenant.lead, q="高橋データ"))
    by_kana = _numbers(_list(client, register.tenant.lead, q="でーた"))
    by_number = _numbers(_list(client, register.tenant.lead, q="ｓ－２"))
    # then
    assert found == ["S-1"]
    assert by_kana == ["S-1"]
    assert by_number == ["S-2"]


def test_filters_narrow_the_list(client, register):
    # given
    m, unit = register.municipality, register.unit
    make_asset(m, unit, asset_number="F-1", segment="internet", confidentiality="1")
    make_asset(m, unit, asset_number="F-2", kind="system_document", status="retired")
    make_asset(m, register.citizen, asset_number="F-3", confidentiality="3", integrity="2")
    lead = register.tenant.lead
    # when / then
    assert _numbers(_list(client, lead, segment="internet")) == ["F-1"]
    assert _numbers(_list(client, lead, kind="system_document")) == ["F-2"]
    assert _numbers(_list(client, lead, status="retired")) == ["F-2"]
    assert _numbers(_list(client, lead, confidentiality="3")) == ["F-3"]
    citizen = _numbers(_list(client, lead, unit=register.citizen.pk))
    assert citizen == sorted(["F-3", register.citizen_asset.asset_number])


def test_review_pending_filter_and_sort(client, register):
    # given: a 機密性3 asset with personal information goes to review on migration
    pending = make_asset(
        register.municipality,
        register.unit,
        asset_number="Z-1",
        name="あ住民情報",
        confidentiality="3",
        integrity="2",
        holds_personal_info=True,
    )
    services.start_migration(None, register.municipality)
    lead = register.tenant.lead
    # when
    only_pending = _numbers(_list(client, lead, pending="on"))
    by_name = _list(client, lead, sort="name")
    by_number_desc_updated = _numbers(_list(client, lead, sort="updated"))
    # then
    assert only_pending == [pending.asset_number]
    names = [a.name for a in by_name.context["page"]]
    assert names == sorted(names)
    assert len(by_number_desc_updated) == InformationAsset.objects.count()


def test_an_unknown_filter_value_is_ignored_not_an_error(client, register):
    response = _list(client, register.tenant.lead, segment="nowhere", sort="nonsense", page="x")
    assert response.status_code == 200
    assert len(_numbers(response)) == InformationAsset.objects.count()


def test_list_query_count_does_not_grow_with_the_register(client, register):
    """The same number of queries for 5 assets as for 50 (a full page)."""

    def count() -> int:
        client.force_login(register.tenant.lead)
        client.get(reverse("assets:asset_list"), **EN)  # warm the session and caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("assets:asset_list"), **EN)
        assert response.status_code == 200
        return len(queries)

    # given: 5 assets (the register's 4 and one more)
    make_asset(register.municipality, register.other_division, asset_number="Q-000")
    few = count()
    # when: 50 more, across units
    for n in range(1, 51):
        unit = [register.unit, register.citizen, register.other_division][n % 3]
        make_asset(register.municipality, unit, asset_number=f"Q-{n:03d}")
    many = count()
    # then
    assert InformationAsset.objects.count() == 55
    assert few == many


# --- detail -----------------------------------------------------------------------------------


def test_reading_a_confidentiality_3_asset_is_journaled(client, register):
    # given
    secret = make_asset(
        register.municipality,
        register.unit,
        asset_number="C-3",
        confidentiality="3",
        integrity="2",
        holds_personal_info=True,
    )
    client.force_login(register.manager)
    # when
    response = client.get(reverse("assets:asset_detail", args=[secret.pk]), **EN)
    plain = client.get(reverse("assets:asset_detail", args=[register.asset.pk]), **EN)
    # then
    assert response.status_code == plain.status_code == 200
    reads = JournalEntry.objects.filter(action="asset.read", kind="read")
    assert [(e.object_id, e.actor_id) for e in reads] == [(str(secret.pk), register.manager.pk)]


def test_detail_shows_derived_handling_and_history(client, register):
    client.force_login(register.manager)
    response = client.get(reverse("assets:asset_detail", args=[register.asset.pk]), **EN)
    stages = response.context["handling"]["stages"]
    assert [s["needs_approval"] for s in stages] == [
        False,
        False,
        False,
        False,
        False,
        True,
        True,
        True,
    ]
    assert [h["entry"].action for h in response.context["history"]] == ["asset.create"]


def test_an_asset_of_another_unit_is_not_found(client, register):
    client.force_login(register.section_staff)
    response = client.get(reverse("assets:asset_detail", args=[register.asset.pk]), **EN)
    assert response.status_code == 404


# --- create / edit ----------------------------------------------------------------------------


def test_create_offers_only_the_units_the_user_may_edit(client, register):
    client.force_login(register.manager)
    response = client.get(reverse("assets:asset_create"), **EN)
    units = {u.pk for u in response.context["form"].fields["owning_unit"].queryset}
    assert units == {register.unit.pk, register.section.pk}


def test_create_refuses_a_unit_the_user_may_not_edit(client, register):
    # given
    client.force_login(register.manager)
    before = InformationAsset.objects.count()
    # when
    response = client.post(
        reverse("assets:asset_create"),
        asset_form(register.tenant, owning_unit=register.citizen.pk),
        **EN,
    )
    # then
    assert response.status_code == 200
    assert "owning_unit" in response.context["form"].errors
    assert InformationAsset.objects.count() == before


def test_create_saves_and_shows_the_warnings(client, register):
    # given: 特定個人情報 outside the mynumber segment
    client.force_login(register.manager)
    data = asset_form(
        register.tenant,
        asset_number="N-9",
        holds_personal_info="on",
        holds_specific_personal_info="on",
        confidentiality="3",
        integrity="2",
    )
    # when
    response = client.post(reverse("assets:asset_create"), data, follow=True, **EN)
    # then
    asset = InformationAsset.objects.get(asset_number="N-9")
    assert response.redirect_chain[-1][0] == reverse("assets:asset_detail", args=[asset.pk])
    levels = [m.level_tag for m in response.context["messages"]]
    assert levels[0] == "success"
    assert "warning" in levels


def test_a_service_error_comes_back_on_its_field(client, register):
    client.force_login(register.manager)
    response = client.post(
        reverse("assets:asset_create"),
        asset_form(register.tenant, asset_number=register.asset.asset_number),
        **EN,
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["asset_number"]


def test_edit_is_refused_for_another_divisions_manager(client, register):
    # given: the 企画課 manager, and 総務課's asset
    client.force_login(register.other_manager)
    asset = register.asset
    journal = JournalEntry.objects.count()
    url = reverse("assets:asset_edit", args=[asset.pk])
    # when
    page = client.get(url, **EN)
    post = client.post(url, asset_form(register.tenant, asset_number=asset.asset_number), **EN)
    # then: out of sight, unchanged, nothing journaled
    assert (page.status_code, post.status_code) == (404, 404)
    assert InformationAsset.objects.get(pk=asset.pk).name == asset.name
    assert JournalEntry.objects.count() == journal


def test_staff_who_see_an_asset_may_not_edit_it(client, register):
    client.force_login(register.colleague)
    response = client.get(reverse("assets:asset_edit", args=[register.asset.pk]), **EN)
    assert response.status_code == 403


def test_post_only_actions_refuse_get(client, register):
    client.force_login(register.manager)
    host = services.add_host(None, register.asset, host_name="h1")
    for url in (
        reverse("assets:host_remove", args=[register.asset.pk, host.pk]),
        reverse("assets:confirm_mfa", args=[register.asset.pk]),
        reverse("assets:migration_start"),
        reverse("assets:request_approve", args=[1]),
    ):
        assert client.get(url, **EN).status_code == 405, url


def test_confirming_mfa_on_a_document_is_a_message_not_an_error(client, register):
    client.force_login(register.manager)
    url = reverse("assets:confirm_mfa", args=[register.asset.pk])
    response = client.post(url, follow=True, **EN)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert InformationAsset.objects.get(pk=register.asset.pk).mfa_confirmed_at is None


def test_a_confirmed_control_offers_to_confirm_again(client, register):
    """Once MFA is confirmed the button says it confirms again (it records a new date)."""
    asset = make_asset(
        register.municipality,
        register.tenant.unit,
        asset_number="MN-1",
        kind="system_equipment",
        segment="mynumber",
    )
    client.force_login(register.manager)
    url = reverse("assets:asset_detail", args=[asset.pk])
    before = client.get(url, **EN).content.decode()
    client.post(reverse("assets:confirm_mfa", args=[asset.pk]), **EN)
    after = client.get(url, **EN).content.decode()
    assert "Confirm multi-factor authentication" in before
    assert "Confirm again (multi-factor authentication)" not in before
    assert "Confirm again (multi-factor authentication)" in after
    assert "Confirm the export block" in after


# --- bulk edit --------------------------------------------------------------------------------


def _bulk(client, user, ids, query="", **change):
    client.force_login(user)
    data = {"asset_ids": ids, **change}
    return client.post(reverse("assets:asset_bulk_edit") + query, data, **EN)


def test_bulk_edit_changes_every_ticked_asset_and_keeps_the_filters(client, register):
    ids = [register.asset.pk, register.section_asset.pk]
    journal = JournalEntry.objects.count()
    response = _bulk(
        client, register.manager, ids, "?q=文書", field="storage_location", storage_location="書庫B"
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("assets:asset_list") + "?q=%E6%96%87%E6%9B%B8"
    assert set(
        InformationAsset.objects.filter(pk__in=ids).values_list("storage_location", flat=True)
    ) == {"書庫B"}
    assert JournalEntry.objects.count() == journal + 2


def test_bulk_edit_names_the_custodian_by_employee_number(client, register):
    person = register.colleague.person
    number = person.employee_number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    response = _bulk(
        client, register.manager, [register.asset.pk], field="custodian", custodian_number=number
    )
    assert response.status_code == 302
    assert InformationAsset.objects.get(pk=register.asset.pk).custodian_id == person.pk


def test_bulk_edit_is_all_or_nothing_and_keeps_the_ticks(client, register):
    """One asset the manager may not change (企画課's) leaves the others as they were."""
    ids = [register.asset.pk, register.other_asset.pk]
    response = _bulk(client, register.tenant.lead, [], field="status", status="retired")
    assert response.status_code == 200
    assert response.context["bulk_form"].errors["asset_ids"]
    # when: the 総務課 manager ticks 企画課's asset too (it is out of their sight)
    response = _bulk(client, register.manager, ids, field="status", status="retired")
    # then: the list again, with the error and the ticks, nothing changed
    assert response.status_code == 200
    assert response.context["bulk_form"].errors["asset_ids"]
    assert response.context["ticked"] == {str(i) for i in ids}
    assert not InformationAsset.objects.filter(pk__in=ids, status="retired").exists()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"field": "status", "status": ""}, "status"),
        ({"field": "status", "status": "lost"}, "status"),
        ({"field": "custodian", "custodian_number": "99999"}, "custodian_number"),
        ({"field": "colour", "status": "retired"}, "field"),
        ({"field": "segment", "segment": "darknet"}, "segment"),
    ],
)
def test_bulk_edit_refuses_bad_input_on_the_form(client, register, change, field):
    response = _bulk(client, register.manager, [register.asset.pk], **change)
    assert response.status_code == 200
    assert field in response.context["bulk_form"].errors
    assert InformationAsset.objects.get(pk=register.asset.pk).status == "in_use"


def test_bulk_edit_with_an_id_that_is_not_a_number_is_a_form_error(client, register):
    response = _bulk(client, register.manager, ["x"], field="status", status="retired")
    assert response.status_code == 200
    assert response.context["bulk_form"].errors["asset_ids"]


def test_staff_see_no_bulk_edit_and_may_not_post_it(client, register):
    page = _list(client, register.colleague)
    assert page.context["bulk_form"] is None
    assert b'id="bulk-edit"' not in page.content
    response = _bulk(
        client, register.colleague, [register.asset.pk], field="status", status="retired"
    )
    assert response.status_code == 403


# --- assistant --------------------------------------------------------------------------------


def test_assistant_suggests_then_confirms(client, register):
    # given
    client.force_login(register.manager)
    url = reverse("assets:asset_classify", args=[register.asset.pk])
    # when: step 1, the answers
    review = client.post(url, classify_form(step="answer"), **EN)
    # then: the suggestion with a reason per axis, nothing saved yet
    assert review.status_code == 200
    assert review.context["stage"] == "review"
    assert [r["axis"] for r in review.context["suggestion"]] == [
        "confidentiality",
        "integrity",
        "availability",
    ]
    assert all(r["because"] for r in review.context["suggestion"])
    assert not ClassificationRecord.objects.exists()
    # when: step 2, confirmed with one override
    done = client.post(
        url,
        classify_form(override_integrity="2", reason_integrity="住民の申請を受け付ける"),
        **EN,
    )
    # then
    assert done.status_code == 302
    record = ClassificationRecord.objects.get()
    assert record.overrides == [
        {"axis": "integrity", "suggested": "1", "chosen": "2", "reason": "住民の申請を受け付ける"}
    ]
    assert record.answers == PLAIN_ANSWERS


def test_assistant_override_without_a_reason_is_refused(client, register):
    # given
    client.force_login(register.manager)
    url = reverse("assets:asset_classify", args=[register.asset.pk])
    journal = JournalEntry.objects.count()
    # when
    response = client.post(url, classify_form(override_confidentiality="3"), **EN)
    # then
    assert response.status_code == 200
    assert "reason_confidentiality" in response.context["form"].errors
    assert not ClassificationRecord.objects.exists()
    assert JournalEntry.objects.count() == journal


def test_assistant_missing_answers_come_back_on_the_form(client, register):
    client.force_login(register.manager)
    url = reverse("assets:asset_classify", args=[register.asset.pk])
    response = client.post(url, {"step": "answer", "q_published": "no"}, **EN)
    assert response.status_code == 200
    assert response.context["stage"] == "answer"
    assert "q_leak_harm" in response.context["form"].errors


# --- lifecycle requests -----------------------------------------------------------------------


def test_the_applicant_cannot_approve_their_own_request(client, register):
    # given: the 総務課 manager asks to dispose of the unit's asset
    manager = register.manager
    request = services.request_lifecycle(
        manager, register.asset, kind="dispose", details="溶解処理する。"
    )
    client.force_login(manager)
    journal = JournalEntry.objects.count()
    # when
    response = client.post(reverse("assets:request_approve", args=[request.pk]), follow=True, **EN)
    # then: a message on the page, still pending, nothing journaled
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert LifecycleRequest.objects.get(pk=request.pk).state == "pending"
    assert JournalEntry.objects.count() == journal


def test_another_manager_approves_and_the_disposal_is_recorded(client, register):
    # given: the colleague asks; the manager approves
    request = services.request_lifecycle(
        register.colleague, register.asset, kind="dispose", details="溶解処理する。"
    )
    client.force_login(register.manager)
    pending = client.get(reverse("assets:request_list"), **EN).context["pending"]
    assert [r.pk for r in pending] == [request.pk]
    # when
    client.post(reverse("assets:request_approve", args=[request.pk]), **EN)
    recorded = client.post(
        reverse("assets:disposal_record", args=[register.asset.pk]),
        {"disposed_on": "2025-04-01", "method": "溶解処理", "disposed_by": ""},
        **EN,
    )
    # then
    assert recorded.status_code == 302
    asset = InformationAsset.objects.get(pk=register.asset.pk)
    assert asset.status == "disposed"
    assert asset.disposal_records.get().approver == register.manager


def test_rejecting_needs_a_reason(client, register):
    request = services.request_lifecycle(
        register.colleague, register.asset, kind="transport", details="支所へ運ぶ。"
    )
    client.force_login(register.manager)
    client.post(reverse("assets:request_reject", args=[request.pk]), {"reason": " "}, **EN)
    assert LifecycleRequest.objects.get(pk=request.pk).state == "pending"
    client.post(reverse("assets:request_reject", args=[request.pk]), {"reason": "不要"}, **EN)
    assert LifecycleRequest.objects.get(pk=request.pk).state == "rejected"


# --- scheme migration -------------------------------------------------------------------------


@pytest.fixture
def migrating(register):
    make_asset(
        register.municipality,
        register.unit,
        asset_number="M-1",
        confidentiality="3",
        integrity="2",
        holds_personal_info=True,
    )
    services.start_migration(None, register.municipality)
    return MigrationReviewItem.objects.get(asset__asset_number="M-1", axis="confidentiality")


def test_resolving_outside_the_candidates_is_refused(client, register, migrating):
    # given
    client.force_login(register.manager)
    journal = JournalEntry.objects.count()
    # when
    response = client.post(
        reverse("assets:review_item_resolve", args=[migrating.pk]),
        {"chosen": "2", "note": ""},
        follow=True,
        **EN,
    )
    # then
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert MigrationReviewItem.objects.get(pk=migrating.pk).resolved_at is None
    assert JournalEntry.objects.count() == journal


def test_the_owner_resolves_a_review_item(client, register, migrating):
    # given
    client.force_login(register.manager)
    page = client.get(reverse("assets:migration"), **EN)
    assert [row["item"].pk for row in page.context["rows"]] == [migrating.pk]
    # when
    client.post(
        reverse("assets:review_item_resolve", args=[migrating.pk]),
        {f"item{migrating.pk}-chosen": "3B", f"item{migrating.pk}-note": "税情報"},
        **EN,
    )
    # then
    asset = InformationAsset.objects.get(asset_number="M-1")
    assert (asset.scheme, asset.confidentiality, asset.migration_pending) == ("r6_10", "3B", False)


def test_another_divisions_manager_does_not_get_the_review_item(client, register, migrating):
    client.force_login(register.other_manager)
    page = client.get(reverse("assets:migration"), **EN)
    response = client.post(
        reverse("assets:review_item_resolve", args=[migrating.pk]), {"chosen": "3B"}, **EN
    )
    assert page.context["rows"] == []
    assert response.status_code == 404
    assert MigrationReviewItem.objects.get(pk=migrating.pk).resolved_at is None


# --- consistency report -----------------------------------------------------------------------


def test_consistency_report_groups_findings_by_check(client, register):
    # given: 特定個人情報 in the LGWAN segment
    bad = make_asset(
        register.municipality,
        register.unit,
        asset_number="K-1",
        holds_personal_info=True,
        holds_specific_personal_info=True,
        confidentiality="3",
        integrity="2",
    )
    client.force_login(register.tenant.lead)
    # when
    groups = dict(client.get(reverse("assets:consistency"), **EN).context["groups"])
    # then
    found = groups["specific_personal_info_outside_mynumber"]["issues"]
    assert [row["issue"].asset_id for row in found] == [bad.pk]


def test_detail_shows_the_municipalitys_handling_category(client, register):
    # given
    services.set_handling_category_map(None, register.municipality, map_id="three_levels")
    client.force_login(register.manager)
    # when
    response = client.get(reverse("assets:asset_detail", args=[register.asset.pk]), **EN)
    # then: 機密性2 maps to the middle category of the shipped example
    assert response.context["handling"]["category"]["label"] == "Internal only"


def test_opening_the_edit_form_of_a_confidentiality_3_asset_is_journaled(client, register):
    secret = make_asset(
        register.municipality,
        register.unit,
        asset_number="C-4",
        confidentiality="3",
        integrity="2",
        holds_personal_info=True,
    )
    client.force_login(register.manager)
    client.get(reverse("assets:asset_edit", args=[secret.pk]), **EN)
    reads = JournalEntry.objects.filter(action="asset.read", object_id=str(secret.pk))
    assert [e.actor_id for e in reads] == [register.manager.pk]


def test_sorting_by_class_puts_the_strictest_first(client, register):
    # given
    m, unit = register.municipality, register.unit
    make_asset(m, unit, asset_number="R-1", confidentiality="1")
    make_asset(m, unit, asset_number="R-3", confidentiality="3", integrity="2")
    make_asset(m, unit, asset_number="R-0", confidentiality="", integrity="", availability="")
    # when
    numbers = _numbers(_list(client, register.tenant.lead, sort="class"))
    # then
    assert numbers[0] == "R-3"
    assert numbers[-1] == "R-0"
    assert numbers.index("R-1") > numbers.index(register.asset.asset_number)
