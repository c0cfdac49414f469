"""Migrating a register pre_r6 → r6_10: clear cases at once, 機密性3 to review, resolving."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from isms.assets import services
from isms.assets.common import register_settings
from isms.assets.models import InformationAsset, MigrationReviewItem, SchemeMigration
from isms.core import journal
from isms.core.models import JournalEntry
from tests.assets.factories import delegate, fresh, make_asset, make_register


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def reg(tsuru):
    r = make_register(tsuru)
    # 総務課: a 機密性3 tax file with 特定個人情報 and an unclassified draft; 企画課: 機密性3, none.
    r.secret = make_asset(
        r.municipality,
        r.unit,
        name="課税台帳",
        confidentiality="3",
        integrity="2",
        availability="2",
        holds_personal_info=True,
        holds_specific_personal_info=True,
        segment="mynumber",
        has_backup=True,
        recovery_time="1営業日",
    )
    r.plain_secret = make_asset(
        r.municipality, r.other_division, name="人事案", confidentiality="3"
    )
    r.draft = make_asset(
        r.municipality, r.unit, name="下書き", confidentiality="", integrity="", availability=""
    )
    return r


def _classes(asset):
    a = InformationAsset.objects.get(pk=asset.pk)
    return a.scheme, a.confidentiality, a.integrity, a.availability, a.migration_pending


def test_clear_cases_are_mapped_and_confidentiality_3_goes_to_review(reg):
    # when
    migration = services.start_migration(fresh(reg.tenant.lead), reg.municipality)
    # then: the register switches scheme at once
    assert register_settings(reg.municipality).scheme == "r6_10"
    assert (migration.from_scheme, migration.to_scheme, migration.completed_at) == (
        "pre_r6",
        "r6_10",
        None,
    )
    # clear cases are mapped
    assert _classes(reg.asset) == ("r6_10", "2", "1", "1", False)
    assert _classes(reg.draft) == ("r6_10", "", "", "", False)
    # 機密性3 keeps its old classes, flagged, until reviewed
    assert _classes(reg.secret) == ("pre_r6", "3", "2", "2", True)
    item = MigrationReviewItem.objects.get(asset=reg.secret)
    assert (item.axis, item.source_class, item.candidates, item.suggested) == (
        "confidentiality",
        "3",
        ["3A", "3B", "3C"],
        "3B",
    )
    assert item.hints[0]["text_ja"].startswith("特定個人情報を含むため")
    assert item.assigned == {"integrity": "2", "availability": "2"}
    assert (migration.migrated_count, migration.review_count) == (4, 2)
    assert JournalEntry.objects.filter(action="asset.migrate").count() == 7
    assert journal.verify().ok


def test_resolving_validates_the_candidates_and_changes_nothing_on_error(reg):
    services.start_migration(None, reg.municipality)
    item = MigrationReviewItem.objects.get(asset=reg.secret)
    before = JournalEntry.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.resolve_review_item(fresh(reg.manager), item, chosen="2")
    assert caught.value.message_dict == {
        "chosen": [
            "'2' is not a candidate for confidentiality 3\n  hint: choose one of: 3A, 3B, 3C"
        ]
    }
    assert MigrationReviewItem.objects.get(pk=item.pk).resolved_at is None
    assert _classes(reg.secret) == ("pre_r6", "3", "2", "2", True)
    assert JournalEntry.objects.count() == before


def test_resolving_the_last_item_of_an_asset_applies_the_new_classes(reg):
    services.start_migration(None, reg.municipality)
    item = MigrationReviewItem.objects.get(asset=reg.secret)
    # when
    services.resolve_review_item(fresh(reg.manager), item, chosen="3B", note="特定個人情報")
    # then
    assert _classes(reg.secret) == ("r6_10", "3B", "2", "2", False)
    stored = MigrationReviewItem.objects.get(pk=item.pk)
    assert (stored.chosen, stored.resolved_by, stored.note) == ("3B", reg.manager, "特定個人情報")
    entry = JournalEntry.objects.get(action="asset_migration.resolve")
    assert entry.after["asset_after"]["confidentiality"] == "3B"
    # the migration is not complete while 企画課's item waits
    assert SchemeMigration.objects.get().completed_at is None


def test_the_migration_completes_with_its_last_item(reg):
    migration = services.start_migration(None, reg.municipality)
    services.resolve_review_item(
        fresh(reg.manager), MigrationReviewItem.objects.get(asset=reg.secret), chosen="3B"
    )
    services.resolve_review_item(
        fresh(reg.other_manager),
        MigrationReviewItem.objects.get(asset=reg.plain_secret),
        chosen="3C",
    )
    assert SchemeMigration.objects.get(pk=migration.pk).completed_at is not None
    assert not InformationAsset.objects.filter(migration_pending=True).exists()
    assert JournalEntry.objects.filter(action="asset_migration.complete").count() == 1


def test_a_resolved_item_cannot_be_resolved_again(reg):
    services.start_migration(None, reg.municipality)
    item = MigrationReviewItem.objects.get(asset=reg.secret)
    services.resolve_review_item(fresh(reg.manager), item, chosen="3B")
    with pytest.raises(ValidationError) as caught:
        services.resolve_review_item(fresh(reg.manager), item, chosen="3C")
    assert caught.value.messages == ["This review item has already been resolved."]
    assert _classes(reg.secret)[1] == "3B"


def test_only_the_owning_units_manager_resolves(reg):
    services.start_migration(None, reg.municipality)
    item = MigrationReviewItem.objects.get(asset=reg.secret)
    with pytest.raises(PermissionDenied):
        services.resolve_review_item(fresh(reg.other_manager), item, chosen="3B")
    with pytest.raises(PermissionDenied):
        services.resolve_review_item(fresh(reg.tenant.staff), item, chosen="3B")
    assert MigrationReviewItem.objects.get(pk=item.pk).resolved_at is None


def test_a_deputy_resolves_on_behalf_of_the_manager(reg):
    services.start_migration(None, reg.municipality)
    delegate(reg.manager, reg.colleague)
    item = MigrationReviewItem.objects.get(asset=reg.secret)
    services.resolve_review_item(fresh(reg.colleague), item, chosen="3B")
    stored = MigrationReviewItem.objects.get(pk=item.pk)
    assert str(reg.manager.person) in stored.resolved_on_behalf_of
    entry = JournalEntry.objects.get(action="asset_migration.resolve")
    assert entry.on_behalf_of == stored.resolved_on_behalf_of


def test_an_asset_awaiting_review_cannot_be_reclassified_meanwhile(reg):
    services.start_migration(None, reg.municipality)
    with pytest.raises(ValidationError) as caught:
        services.update_asset(fresh(reg.manager), reg.secret, confidentiality="3A")
    assert list(caught.value.message_dict) == ["confidentiality"]
    # other fields may still change
    services.update_asset(fresh(reg.manager), reg.secret, storage_location="書庫")
    assert _classes(reg.secret) == ("pre_r6", "3", "2", "2", True)


def test_new_classes_after_the_switch_must_be_of_the_new_scheme(reg):
    services.start_migration(None, reg.municipality)
    with pytest.raises(ValidationError) as caught:
        make_asset(reg.municipality, reg.unit, confidentiality="3")
    assert list(caught.value.message_dict) == ["confidentiality"]
    asset = make_asset(reg.municipality, reg.unit, confidentiality="3C")
    assert asset.scheme == "r6_10"


def test_only_the_leads_and_the_administrator_start_a_migration(reg):
    for user in (reg.manager, reg.bureau_officer, reg.auditor, reg.tenant.staff):
        with pytest.raises(PermissionDenied):
            services.start_migration(fresh(user), reg.municipality)
    assert not SchemeMigration.objects.exists()
    assert register_settings(reg.municipality).scheme == "pre_r6"


def test_a_migration_to_the_scheme_in_use_or_a_second_one_is_refused(reg):
    services.start_migration(None, reg.municipality)
    with pytest.raises(ValidationError) as caught:
        services.start_migration(None, reg.municipality)
    assert caught.value.message_dict == {
        "to_scheme": ["The register already uses this classification scheme."]
    }
    assert SchemeMigration.objects.count() == 1


def test_a_disposed_asset_keeps_the_scheme_it_was_disposed_under(reg):
    public = make_asset(reg.municipality, reg.unit, confidentiality="1")
    services.record_disposal(
        None,
        public,
        disposed_on=public.created_at.date(),
        method="廃棄",
        disposed_by=reg.tenant.other_person,
    )
    services.start_migration(None, reg.municipality)
    assert _classes(public) == ("pre_r6", "1", "1", "1", False)


def test_another_municipalitys_register_is_untouched(reg, kofu):
    other = make_register(kofu)
    services.start_migration(None, reg.municipality)
    assert register_settings(kofu.municipality).scheme == "pre_r6"
    assert _classes(other.asset) == ("pre_r6", "2", "1", "1", False)
