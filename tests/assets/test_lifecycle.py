"""運搬 / 外部提供 / 廃棄 requests, their approval with 兼務の禁止, and the disposal log."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from isms.assets import services
from isms.assets.consistency import asset_inconsistencies
from isms.assets.models import DisposalRecord, InformationAsset, LifecycleRequest
from isms.core.models import JournalEntry
from isms.core.permissions import SeparationOfDutiesError
from tests.assets.factories import delegate, fresh, make_asset, make_register, person_of

TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def reg(tsuru):
    return make_register(tsuru)


def _request(reg, user=None, kind="dispose", asset=None):
    return services.request_lifecycle(
        fresh(user or reg.tenant.staff),
        asset or reg.asset,
        kind=kind,
        details="保存期間満了のため溶解処理",
    )


def _state():
    return (
        list(LifecycleRequest.objects.values_list("state", "approver_id")),
        DisposalRecord.objects.count(),
        list(InformationAsset.objects.values_list("status", flat=True)),
        JournalEntry.objects.count(),
    )


@pytest.mark.parametrize("kind", ["transport", "provide", "dispose"])
def test_staff_request_permission_for_a_confidentiality_2_asset_of_their_unit(reg, kind):
    request = _request(reg, kind=kind)
    assert (request.state, request.applicant, request.kind) == ("pending", reg.tenant.staff, kind)
    entry = JournalEntry.objects.get(action="asset_request.create")
    assert entry.after["details"] == "保存期間満了のため溶解処理"


def test_a_confidentiality_1_asset_needs_no_request(reg):
    public = make_asset(reg.municipality, reg.unit, confidentiality="1")
    before = _state()
    with pytest.raises(ValidationError) as caught:
        _request(reg, asset=public, kind="transport")
    assert caught.value.message_dict == {
        "kind": [
            "The classes of this asset need no permission for this: its handling restrictions "
            "apply without a request."
        ]
    }
    assert _state() == before


def test_a_request_needs_details_and_a_known_kind(reg):
    before = _state()
    with pytest.raises(ValidationError) as caught:
        services.request_lifecycle(fresh(reg.tenant.staff), reg.asset, kind="lend", details="x")
    assert list(caught.value.message_dict) == ["kind"]
    with pytest.raises(ValidationError) as caught:
        services.request_lifecycle(fresh(reg.tenant.staff), reg.asset, kind="dispose", details=" ")
    assert list(caught.value.message_dict) == ["details"]
    assert _state() == before


def test_staff_cannot_request_for_an_asset_they_cannot_see(reg):
    before = _state()
    with pytest.raises(PermissionDenied):
        _request(reg, asset=reg.other_asset)
    assert _state() == before


def test_a_second_disposal_request_is_refused(reg):
    _request(reg)
    with pytest.raises(ValidationError) as caught:
        _request(reg, user=reg.manager)
    assert caught.value.message_dict == {
        "kind": ["A disposal of this asset is already requested or approved."]
    }


def test_the_manager_approves_and_the_journal_records_it(reg):
    # given
    request = _request(reg)
    # when
    approved = services.approve_lifecycle_request(fresh(reg.manager), request, reason="確認済み")
    # then
    stored = LifecycleRequest.objects.get(pk=request.pk)
    assert (stored.state, stored.approver, stored.approved_on_behalf_of) == (
        "approved",
        reg.manager,
        "",
    )
    assert stored.decided_at is not None and approved.decision_reason == "確認済み"
    entry = JournalEntry.objects.get(action="asset_request.approve")
    assert (entry.actor, entry.on_behalf_of, entry.after["state"]) == (reg.manager, "", "approved")


def test_the_applicant_cannot_approve_their_own_request(reg):
    request = _request(reg, user=reg.manager)
    before = _state()
    with pytest.raises(SeparationOfDutiesError) as caught:
        services.approve_lifecycle_request(fresh(reg.manager), request)
    assert (
        "cannot approve their own request (兼務の禁止)" in caught.value.message_dict["approver"][0]
    )
    assert _state() == before


def test_a_deputy_approves_and_the_journal_says_on_whose_behalf(reg):
    # given: 総務課's manager is away; a colleague deputises
    request = _request(reg)
    delegate(reg.manager, reg.colleague)
    # when
    services.approve_lifecycle_request(fresh(reg.colleague), request)
    # then
    stored = LifecycleRequest.objects.get(pk=request.pk)
    assert stored.approver == reg.colleague
    assert str(person_of(reg.manager)) in stored.approved_on_behalf_of
    assert reg.unit.name in stored.approved_on_behalf_of
    entry = JournalEntry.objects.get(action="asset_request.approve")
    assert entry.on_behalf_of == stored.approved_on_behalf_of


def test_a_deputy_cannot_approve_what_the_absent_manager_asked_for(reg):
    request = _request(reg, user=reg.manager)
    delegate(reg.manager, reg.colleague)
    before = _state()
    with pytest.raises(SeparationOfDutiesError):
        services.approve_lifecycle_request(fresh(reg.colleague), request)
    assert _state() == before


def test_a_manager_of_another_division_cannot_approve(reg):
    request = _request(reg)
    before = _state()
    with pytest.raises(PermissionDenied):
        services.approve_lifecycle_request(fresh(reg.other_manager), request)
    assert _state() == before


@pytest.mark.parametrize("who", ["staff", "admin", "auditor"])
def test_staff_administrators_and_auditors_cannot_approve(reg, who):
    request = _request(reg, user=reg.colleague)
    user = {"staff": reg.tenant.staff, "admin": reg.tenant.admin, "auditor": reg.auditor}[who]
    with pytest.raises(PermissionDenied):
        services.approve_lifecycle_request(fresh(user), request)
    assert LifecycleRequest.objects.get(pk=request.pk).state == "pending"


def test_the_bureau_officer_and_the_lead_may_approve(reg):
    first = _request(reg, kind="transport")
    second = _request(reg, kind="provide")
    services.approve_lifecycle_request(fresh(reg.bureau_officer), first)
    services.approve_lifecycle_request(fresh(reg.tenant.lead), second)
    assert set(LifecycleRequest.objects.values_list("state", flat=True)) == {"approved"}


def test_a_decided_request_cannot_be_decided_again(reg):
    request = _request(reg)
    services.approve_lifecycle_request(fresh(reg.manager), request)
    with pytest.raises(ValidationError) as caught:
        services.reject_lifecycle_request(fresh(reg.manager), request, reason="やはり不可")
    assert caught.value.messages == ["This request is not awaiting a decision."]
    assert LifecycleRequest.objects.get(pk=request.pk).state == "approved"


def test_a_rejection_needs_a_reason(reg):
    request = _request(reg)
    with pytest.raises(ValidationError) as caught:
        services.reject_lifecycle_request(fresh(reg.manager), request, reason="")
    assert caught.value.message_dict == {"decision_reason": ["Say why the request is rejected."]}
    services.reject_lifecycle_request(fresh(reg.manager), request, reason="保存期間内")
    stored = LifecycleRequest.objects.get(pk=request.pk)
    assert (stored.state, stored.decision_reason) == ("rejected", "保存期間内")


def test_only_the_applicant_withdraws_a_pending_request(reg):
    request = _request(reg)
    with pytest.raises(PermissionDenied):
        services.withdraw_lifecycle_request(fresh(reg.manager), request)
    services.withdraw_lifecycle_request(fresh(reg.tenant.staff), request)
    assert LifecycleRequest.objects.get(pk=request.pk).state == "withdrawn"
    assert JournalEntry.objects.filter(action="asset_request.withdraw").count() == 1


def test_an_approved_disposal_is_recorded_and_the_asset_becomes_disposed(reg):
    # given
    request = _request(reg)
    services.approve_lifecycle_request(fresh(reg.manager), request)
    # when: the applicant records it once done
    record = services.record_disposal(
        fresh(reg.tenant.staff),
        reg.asset,
        disposed_on=TODAY(),
        method="シュレッダー",
        request=request,
    )
    # then
    asset = InformationAsset.objects.get(pk=reg.asset.pk)
    assert asset.status == "disposed"
    assert (record.disposed_by, record.method, record.approver, record.request) == (
        person_of(reg.tenant.staff),
        "シュレッダー",
        reg.manager,
        request,
    )
    entry = JournalEntry.objects.get(action="asset.dispose")
    assert entry.after["status"] == "disposed"
    assert entry.after["disposal_record"]["method"] == "シュレッダー"
    assert asset_inconsistencies(asset) == []


def test_the_approved_request_on_record_is_found_when_none_is_given(reg):
    request = _request(reg)
    services.approve_lifecycle_request(fresh(reg.manager), request)
    record = services.record_disposal(
        fresh(reg.manager), reg.asset, disposed_on=TODAY(), method="溶解"
    )
    assert record.request == request


def test_a_disposal_without_approval_is_refused_and_nothing_changes(reg):
    _request(reg)  # pending, not approved
    before = _state()
    with pytest.raises(ValidationError) as caught:
        services.record_disposal(fresh(reg.manager), reg.asset, disposed_on=TODAY(), method="溶解")
    assert caught.value.message_dict == {
        "request": [
            "Disposing of this asset needs the information security manager's permission: "
            "request the disposal and have it approved first."
        ]
    }
    assert _state() == before


def test_a_confidentiality_1_asset_is_disposed_without_a_request(reg):
    public = make_asset(reg.municipality, reg.unit, confidentiality="1")
    record = services.record_disposal(
        fresh(reg.manager), public, disposed_on=TODAY(), method="廃棄"
    )
    assert (record.request, record.approver) == (None, None)
    assert asset_inconsistencies(InformationAsset.objects.get(pk=public.pk)) == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"method": " "}, "method"),
        ({"disposed_on": datetime.date.today() + datetime.timedelta(days=2)}, "disposed_on"),
    ],
)
def test_a_disposal_record_needs_a_method_and_a_past_date(reg, kwargs, field):
    public = make_asset(reg.municipality, reg.unit, confidentiality="1")
    values = {"disposed_on": TODAY(), "method": "廃棄", **kwargs}
    with pytest.raises(ValidationError) as caught:
        services.record_disposal(fresh(reg.manager), public, **values)
    assert list(caught.value.message_dict) == [field]
    assert InformationAsset.objects.get(pk=public.pk).status == "in_use"


def test_staff_who_did_not_apply_cannot_record_a_disposal(reg):
    public = make_asset(reg.municipality, reg.unit, confidentiality="1")
    with pytest.raises(PermissionDenied):
        services.record_disposal(fresh(reg.tenant.staff), public, disposed_on=TODAY(), method="x")
    assert not DisposalRecord.objects.exists()


def test_a_disposed_asset_cannot_be_disposed_again(reg):
    public = make_asset(reg.municipality, reg.unit, confidentiality="1")
    services.record_disposal(fresh(reg.manager), public, disposed_on=TODAY(), method="廃棄")
    with pytest.raises(ValidationError):
        services.record_disposal(fresh(reg.manager), public, disposed_on=TODAY(), method="廃棄")
    assert DisposalRecord.objects.count() == 1
