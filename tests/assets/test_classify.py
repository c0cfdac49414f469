"""Classifying with the assistant, and confirming the マイナンバー利用事務系 controls."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from isms.assets import services
from isms.assets.models import ClassificationRecord, InformationAsset
from isms.core.models import JournalEntry
from tests.assets.factories import PLAIN_ANSWERS, fresh, make_asset, make_register


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def reg(tsuru):
    return make_register(tsuru)


def _state():
    return (
        ClassificationRecord.objects.count(),
        JournalEntry.objects.count(),
        list(InformationAsset.objects.values_list("confidentiality", "integrity", "availability")),
    )


def test_the_assistant_classifies_and_records_answers_suggestion_and_reasons(reg):
    # given
    answers = {**PLAIN_ANSWERS, "personal_info": True, "number_of_persons": "under_1000"}
    # when
    done = services.classify_asset(fresh(reg.manager), reg.asset, answers=answers)
    # then
    asset = InformationAsset.objects.get(pk=reg.asset.pk)
    assert (asset.scheme, asset.confidentiality, asset.integrity, asset.availability) == (
        "pre_r6",
        "2",
        "1",
        "1",
    )
    record = ClassificationRecord.objects.get()
    assert record == done.record
    assert record.answers["personal_info"] is True
    assert record.suggested == {"confidentiality": "2", "integrity": "1", "availability": "1"}
    assert [r["axis"] for r in record.reasons] == ["confidentiality", "integrity", "availability"]
    assert record.overrides == []
    assert record.recorded_by == reg.manager
    entry = JournalEntry.objects.get(action="asset.classify")
    assert entry.after["classification_record"] == record.pk


def test_an_override_with_a_reason_is_recorded_and_applied(reg):
    done = services.classify_asset(
        fresh(reg.manager),
        reg.asset,
        answers=PLAIN_ANSWERS,
        overrides={"availability": ("2", "窓口で毎日使う")},
    )
    assert done.asset.availability == "2"
    assert done.record.suggested["availability"] == "1"
    assert done.record.overrides == [
        {"axis": "availability", "suggested": "1", "chosen": "2", "reason": "窓口で毎日使う"}
    ]
    assert [w.code for w in done.warnings] == ["availability_without_backup"]


def test_an_override_without_a_reason_is_refused_and_nothing_changes(reg):
    before = _state()
    with pytest.raises(ValidationError) as caught:
        services.classify_asset(
            fresh(reg.manager),
            reg.asset,
            answers=PLAIN_ANSWERS,
            overrides={"availability": ("2", "  ")},
        )
    assert caught.value.message_dict == {
        "override_availability": [
            "overriding the suggested availability class needs a reason\n"
            "  hint: say why the suggested class does not fit this asset"
        ]
    }
    assert _state() == before


def test_missing_and_unknown_answers_are_all_reported_and_nothing_changes(reg):
    before = _state()
    answers = {k: v for k, v in PLAIN_ANSWERS.items() if k != "published"} | {"colour": "red"}
    with pytest.raises(ValidationError) as caught:
        services.classify_asset(fresh(reg.manager), reg.asset, answers=answers)
    messages = caught.value.message_dict["answers"]
    assert messages[0] == "unknown question 'colour'"
    assert messages[1].startswith("question 'published' needs an answer")
    assert _state() == before


def test_the_assistant_uses_the_registers_scheme_after_migration(reg):
    services.start_migration(None, reg.municipality)
    answers = {
        **PLAIN_ANSWERS,
        "specific_personal_info": True,
        "personal_info": True,
        "number_of_persons": "at_least_1000",
    }
    done = services.classify_asset(fresh(reg.manager), reg.asset, answers=answers)
    assert done.asset.scheme == "r6_10"
    assert done.asset.confidentiality == "3B"


def test_a_manager_of_another_division_cannot_classify(reg):
    before = _state()
    with pytest.raises(PermissionDenied):
        services.classify_asset(fresh(reg.other_manager), reg.asset, answers=PLAIN_ANSWERS)
    assert _state() == before


def _mynumber_terminal(reg):
    return make_asset(
        reg.municipality,
        reg.unit,
        name="マイナンバー端末",
        kind=InformationAsset.Kind.SYSTEM_EQUIPMENT,
        segment=InformationAsset.Segment.MYNUMBER,
        holds_personal_info=True,
        holds_specific_personal_info=True,
        confidentiality="3",
    )


def test_confirming_mfa_and_export_block_records_who_and_when_and_clears_the_warnings(reg):
    # given
    terminal = _mynumber_terminal(reg)
    manager = fresh(reg.manager)
    # when
    first = services.confirm_mfa(manager, terminal)
    second = services.confirm_export_blocked(manager, terminal)
    # then
    assert [w.code for w in first.warnings] == ["mynumber_export_block_unconfirmed"]
    assert second.warnings == []
    stored = InformationAsset.objects.get(pk=terminal.pk)
    assert stored.mfa_confirmed_by == reg.manager and stored.mfa_confirmed_at is not None
    assert stored.export_blocked_confirmed_by == reg.manager
    assert stored.export_blocked_confirmed_at is not None
    assert list(
        JournalEntry.objects.filter(
            object_type="assets.informationasset", object_id=str(terminal.pk)
        )
        .order_by("seq")
        .values_list("action", flat=True)
    ) == ["asset.create", "asset.confirm_mfa", "asset.confirm_export_blocked"]


def test_the_controls_are_confirmed_for_mynumber_systems_only(reg):
    before = JournalEntry.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.confirm_mfa(fresh(reg.manager), reg.asset)
    assert list(caught.value.message_dict) == ["segment"]
    assert JournalEntry.objects.count() == before
    assert InformationAsset.objects.get(pk=reg.asset.pk).mfa_confirmed_at is None


def test_plain_staff_cannot_confirm_the_controls(reg):
    terminal = _mynumber_terminal(reg)
    with pytest.raises(PermissionDenied):
        services.confirm_mfa(fresh(reg.tenant.staff), terminal)
    assert InformationAsset.objects.get(pk=terminal.pk).mfa_confirmed_at is None
