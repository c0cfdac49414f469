"""The asset register's API: the access matrix of every operation, and its behaviour."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from isms.assets import lifecycle, scheme_migration
from isms.assets.models import (
    AssetHost,
    ClassificationRecord,
    DisposalRecord,
    InformationAsset,
    LifecycleRequest,
    MigrationReviewItem,
    SchemeMigration,
)
from isms.core import services as core_services
from isms.core.models import JournalEntry
from isms.core.permissions import Action
from tests.assets.factories import PLAIN_ANSWERS, fresh, make_asset, make_register, person_of
from tests.assets.handling_specs import API_SPECS as HANDLING_API_SPECS
from tests.support import access
from tests.support.access import ADMIN, API, LEAD, SERVICE, STAFF, AccessSpec


def _url(name, **kwargs):
    return reverse(f"api:{name}", kwargs=kwargs)


def _mynumber_asset(t):
    """A mynumber-segment system of ``t.unit`` (made once per test, through the service)."""
    m = t.municipality
    found = InformationAsset.objects.filter(municipality=m, asset_number=f"MN-{m.code}").first()
    return found or make_asset(
        m,
        t.unit,
        asset_number=f"MN-{m.code}",
        name="住基端末",
        kind=InformationAsset.Kind.SYSTEM_EQUIPMENT,
        segment=InformationAsset.Segment.MYNUMBER,
    )


def _pending(t):
    """A pending disposal request of ``t.asset``, asked by ``t.staff``."""
    found = LifecycleRequest.objects.filter(
        asset=t.asset, kind="dispose", applicant=t.staff
    ).first()
    return found or lifecycle.request_lifecycle(
        t.staff, t.asset, kind="dispose", details="更新に伴い廃棄"
    )


def _approved(t):
    """``t.asset`` with an approved disposal request (asked by staff, approved by the lead)."""
    if not LifecycleRequest.objects.filter(asset=t.asset, state="approved").exists():
        lifecycle.approve_lifecycle_request(fresh(t.lead), _pending(t))
    return t.asset


def _review_item(t):
    """An open review item of a 機密性3 asset of ``t.unit`` after migrating to r6_10."""
    found = MigrationReviewItem.objects.filter(municipality=t.municipality).first()
    if found is None:
        make_asset(t.municipality, t.unit, name="課税台帳", confidentiality="3", integrity="2")
        scheme_migration.start_migration(None, t.municipality)
        found = MigrationReviewItem.objects.filter(municipality=t.municipality).first()
    return found


def _asset_spec(name, method="POST", *, permitted=frozenset({LEAD, ADMIN}), **more):
    url = more.pop("url", lambda t: _url(name, asset_id=t.asset.pk))
    return AccessSpec(
        name=name,
        kind=API,
        method=method,
        url=url,
        action=more.pop("action", Action.MANAGE_ASSETS),
        permitted=permitted,
        hidden={SERVICE},
        **more,
    )


VIEWERS = frozenset({STAFF, LEAD, ADMIN})

SPECS = [
    AccessSpec(
        name="list_assets",
        kind=API,
        url=lambda t: _url("list_assets"),
        action=Action.VIEW_ASSETS,
        permitted=VIEWERS,
        other=None,
    ),
    AccessSpec(
        name="asset_consistency_report",
        kind=API,
        url=lambda t: _url("asset_consistency_report"),
        action=Action.VIEW_ASSETS,
        permitted=VIEWERS,
        other=None,
    ),
    AccessSpec(
        name="bulk_update_assets",
        kind=API,
        method="POST",
        url=lambda t: _url("bulk_update_assets"),
        data=lambda t: {"asset_ids": [t.asset.pk], "storage_location": "第二書庫"},
        action=Action.MANAGE_ASSETS,
        permitted={LEAD, ADMIN},
        other=422,
        other_field="asset_ids",
        target=lambda t: t.asset,
    ),
    _asset_spec("get_asset", "GET", permitted=VIEWERS, action=Action.VIEW_ASSETS),
    AccessSpec(
        name="create_asset",
        kind=API,
        method="POST",
        url=lambda t: _url("create_asset"),
        data=lambda t: {
            "asset_number": "API-1",
            "name": "API資料",
            "kind": "information",
            "owning_unit_id": t.unit.pk,
            "confidentiality": "2",
            "integrity": "1",
            "availability": "1",
        },
        action=Action.MANAGE_ASSETS,
        permitted={LEAD, ADMIN},
        ok=201,
        other=422,
        other_field="owning_unit_id",
        creates=InformationAsset,
    ),
    _asset_spec(
        "update_asset",
        "PATCH",
        data=lambda t: {"storage_location": "第二書庫"},
        target=lambda t: t.asset,
    ),
    _asset_spec(
        "add_asset_host",
        data=lambda t: {"host_name": "new-host", "network": "192.0.2.0/24"},
        ok=201,
        creates=AssetHost,
    ),
    _asset_spec(
        "remove_asset_host",
        "DELETE",
        url=lambda t: _url(
            "remove_asset_host", asset_id=t.asset.pk, host_id=t.asset.hosts.first().pk
        ),
        ok=204,
        target=lambda t: t.asset,
    ),
    _asset_spec(
        "classify_asset",
        data=lambda t: {"answers": PLAIN_ANSWERS},
        ok=201,
        creates=ClassificationRecord,
        target=lambda t: t.asset,
    ),
    _asset_spec(
        "confirm_asset_mfa",
        url=lambda t: _url("confirm_asset_mfa", asset_id=_mynumber_asset(t).pk),
        target=_mynumber_asset,
    ),
    _asset_spec(
        "confirm_asset_export_blocked",
        url=lambda t: _url("confirm_asset_export_blocked", asset_id=_mynumber_asset(t).pk),
        target=_mynumber_asset,
    ),
    _asset_spec(
        "request_asset_lifecycle",
        data=lambda t: {"kind": "transport", "details": "本庁から支所へ運搬"},
        permitted=VIEWERS,
        action=Action.VIEW_ASSETS,
        ok=201,
        creates=LifecycleRequest,
    ),
    _asset_spec(
        "approve_lifecycle_request",
        url=lambda t: _url("approve_lifecycle_request", request_id=_pending(t).pk),
        data=lambda t: {"reason": "確認済み"},
        permitted={LEAD},
        action=Action.APPROVE_ASSET_LIFECYCLE,
        target=_pending,
    ),
    _asset_spec(
        "reject_lifecycle_request",
        url=lambda t: _url("reject_lifecycle_request", request_id=_pending(t).pk),
        data=lambda t: {"reason": "時期尚早"},
        permitted={LEAD},
        action=Action.APPROVE_ASSET_LIFECYCLE,
        target=_pending,
    ),
    _asset_spec(
        "withdraw_lifecycle_request",
        url=lambda t: _url("withdraw_lifecycle_request", request_id=_pending(t).pk),
        permitted={STAFF},
        action=Action.VIEW_ASSETS,
        target=_pending,
    ),
    _asset_spec(
        "record_asset_disposal",
        data=lambda t: {"disposed_on": timezone.localdate().isoformat(), "method": "物理破壊"},
        ok=201,
        creates=DisposalRecord,
        target=_approved,
    ),
    AccessSpec(
        name="start_asset_migration",
        kind=API,
        method="POST",
        url=lambda t: _url("start_asset_migration"),
        data=lambda t: {"municipality_id": t.municipality.pk, "to_scheme": "r6_10"},
        action=Action.MANAGE_ASSETS,
        permitted={LEAD, ADMIN},
        ok=201,
        other=422,
        other_field="municipality_id",
        creates=SchemeMigration,
    ),
    AccessSpec(
        name="list_asset_review_items",
        kind=API,
        url=lambda t: _url("list_asset_review_items"),
        action=Action.VIEW_ASSETS,
        permitted=VIEWERS,
        other=None,
    ),
    _asset_spec(
        "resolve_asset_review_item",
        url=lambda t: _url("resolve_asset_review_item", item_id=_review_item(t).pk),
        data=lambda t: {"chosen": _review_item(t).candidates[0]},
        target=_review_item,
    ),
]
SPECS += HANDLING_API_SPECS  # the 取扱区分 operations (tests/assets/handling_specs.py)


@pytest.fixture
def world(tsuru, kofu):
    return access.make_world(tsuru, kofu)


@pytest.mark.parametrize(("spec", "case"), access.cases(SPECS))
def test_api_access(spec, case, world, client):
    access.check(client, world, spec, case)


def test_every_asset_api_operation_has_an_access_spec():
    """A new operation fails here until its spec is added to SPECS."""
    from isms.assets.api import router

    names = {
        op.view_func.__name__ for pv in router.path_operations.values() for op in pv.operations
    }
    assert names == {s.name for s in SPECS}


def test_every_asset_api_operation_is_in_the_route_table():
    from isms.assets.api import router
    from tests.support.routes import API_ROUTES

    names = {
        f"api:{op.view_func.__name__}"
        for pv in router.path_operations.values()
        for op in pv.operations
    }
    ours = {n for n in API_ROUTES if n in names}
    assert ours == names


# --- behaviour ---------------------------------------------------------------------------------


@pytest.fixture
def register(tsuru):
    return make_register(tsuru)


class Api:
    """Calls the API as one user, in English."""

    def __init__(self, client, user):
        self.client = client
        raw = core_services.issue_api_token(user, name="t")[1]
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": "en"}

    def get(self, name, data=None, **kwargs):
        return self.client.get(_url(name, **kwargs), data or {}, **self.headers)

    def send(self, method, name, body=None, **kwargs):
        call = getattr(self.client, method)
        return call(
            _url(name, **kwargs),
            json.dumps(body or {}),
            content_type="application/json",
            **self.headers,
        )

    def post(self, name, body=None, **kwargs):
        return self.send("post", name, body, **kwargs)


def test_a_unit_manager_lists_only_their_units_assets_filtered_and_paginated(client, register):
    """The list shows the visible register; filters and folded search narrow it."""
    # given
    r = register
    make_asset(r.municipality, r.unit, name="ﾏｲﾅﾝﾊﾞｰ端末", asset_number="A-ZZ1")
    api = Api(client, r.manager)
    # when
    everything = api.get("list_assets")
    found = api.get("list_assets", {"q": "マイナンバー"})
    page = api.get("list_assets", {"limit": 1, "offset": 1})
    by_unit = api.get("list_assets", {"unit_id": r.section.pk})
    by_class = api.get("list_assets", {"confidentiality": "3"})
    # then
    numbers = [a["asset_number"] for a in everything.json()["items"]]
    assert numbers == sorted(
        [r.asset.asset_number, r.section_asset.asset_number, "A-ZZ1"]
    )  # not 企画課's nor 市民課's
    assert [a["asset_number"] for a in found.json()["items"]] == ["A-ZZ1"]
    assert page.json()["count"] == 3 and len(page.json()["items"]) == 1
    assert [a["id"] for a in by_unit.json()["items"]] == [r.section_asset.pk]
    assert by_class.json()["items"] == []


def test_an_asset_out_of_sight_is_a_404_and_one_in_sight_but_not_editable_a_403(client, register):
    # given
    r = register
    api = Api(client, r.manager)
    before = JournalEntry.objects.count()
    # when
    hidden = api.get("get_asset", asset_id=r.other_asset.pk)
    staff = Api(client, r.colleague)
    refused = staff.send("patch", "update_asset", {"name": "x"}, asset_id=r.asset.pk)
    # then
    assert hidden.status_code == 404
    assert refused.status_code == 403
    assert InformationAsset.objects.get(pk=r.asset.pk).name == "総務課の文書"
    assert JournalEntry.objects.count() == before + 1  # the second token only


def test_create_names_the_request_fields_in_its_errors(client, register, kofu):
    """Another municipality's unit is a 422 on owning_unit_id; a bad class on its field."""
    # given
    r = register
    api = Api(client, r.ciso)
    body = {
        "asset_number": "N-1",
        "name": "新規",
        "kind": "information",
        "owning_unit_id": r.unit.pk,
    }
    # when
    foreign = api.post("create_asset", body | {"owning_unit_id": kofu.unit.pk})
    bad_class = api.post(
        "create_asset", body | {"confidentiality": "9", "integrity": "1", "availability": "1"}
    )
    created = api.post(
        "create_asset",
        body | {"confidentiality": "2", "integrity": "1", "availability": "1"},
    )
    # then
    assert foreign.status_code == 422
    assert list(foreign.json()["errors"]) == ["owning_unit_id"]
    assert bad_class.status_code == 422
    assert list(bad_class.json()["errors"]) == ["confidentiality"]
    assert created.status_code == 201
    assert created.json()["asset"]["owning_unit_id"] == r.unit.pk
    assert InformationAsset.objects.filter(asset_number="N-1").count() == 1


def test_a_manager_cannot_create_an_asset_for_another_unit(client, register):
    api = Api(client, register.manager)
    response = api.post(
        "create_asset",
        {
            "asset_number": "N-2",
            "name": "他課",
            "kind": "information",
            "owning_unit_id": register.other_division.pk,
        },
    )
    assert response.status_code == 403
    assert not InformationAsset.objects.filter(asset_number="N-2").exists()


def test_update_hosts_and_custodian(client, register, kofu):
    """PATCH changes fields; hosts are added and removed; a stranger custodian is a 422."""
    # given
    r = register
    api = Api(client, r.manager)
    # when
    patched = api.send(
        "patch",
        "update_asset",
        {"storage_location": "書庫", "custodian_id": person_of(r.colleague).pk},
        asset_id=r.asset.pk,
    )
    foreign = api.send(
        "patch", "update_asset", {"custodian_id": kofu.other_person.pk}, asset_id=r.asset.pk
    )
    added = api.post("add_asset_host", {"network": "１９２.０.２.７"}, asset_id=r.asset.pk)
    bad = api.post("add_asset_host", {"network": "192.0.2.7/24"}, asset_id=r.asset.pk)
    removed = api.send(
        "delete", "remove_asset_host", asset_id=r.asset.pk, host_id=added.json()["id"]
    )
    # then
    assert patched.status_code == 200
    assert patched.json()["asset"]["storage_location"] == "書庫"
    assert foreign.status_code == 422 and list(foreign.json()["errors"]) == ["custodian_id"]
    assert added.status_code == 201 and added.json()["network"] == "192.0.2.7/32"
    assert bad.status_code == 422 and list(bad.json()["errors"]) == ["network"]
    assert removed.status_code == 204
    assert not AssetHost.objects.filter(asset=r.asset).exists()


def test_classify_with_an_override_needs_a_reason(client, register):
    api = Api(client, register.manager)
    without = api.post(
        "classify_asset",
        {"answers": PLAIN_ANSWERS, "overrides": {"integrity": {"class_id": "2", "reason": ""}}},
        asset_id=register.asset.pk,
    )
    done = api.post(
        "classify_asset",
        {
            "answers": PLAIN_ANSWERS,
            "overrides": {"integrity": {"class_id": "2", "reason": "改ざんで事務が止まる"}},
        },
        asset_id=register.asset.pk,
    )
    assert without.status_code == 422
    assert list(without.json()["errors"]) == ["overrides.integrity"]
    assert done.status_code == 201
    assert done.json()["asset"]["integrity"] == "2"
    assert ClassificationRecord.objects.filter(asset=register.asset).count() == 1


def test_a_disposal_needs_an_approval_that_the_applicant_cannot_give(client, register):
    """Staff ask; they cannot approve their own request; the manager approves; the disposal is
    recorded and the asset is disposed."""
    # given
    r = register
    staff, manager = Api(client, r.colleague), Api(client, r.manager)
    asked = staff.post(
        "request_asset_lifecycle",
        {"kind": "dispose", "details": "保存期間満了"},
        asset_id=r.asset.pk,
    )
    request_id = asked.json()["id"]
    too_early = manager.post(
        "record_asset_disposal",
        {"disposed_on": timezone.localdate().isoformat(), "method": "溶解"},
        asset_id=r.asset.pk,
    )
    # when
    own = staff.post("approve_lifecycle_request", {}, request_id=request_id)
    approved = manager.post("approve_lifecycle_request", {}, request_id=request_id)
    disposed = manager.post(
        "record_asset_disposal",
        {"disposed_on": timezone.localdate().isoformat(), "method": "溶解"},
        asset_id=r.asset.pk,
    )
    # then
    assert asked.status_code == 201
    assert too_early.status_code == 422 and list(too_early.json()["errors"]) == ["request_id"]
    assert own.status_code == 403
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    assert disposed.status_code == 201
    assert disposed.json()["request_id"] == request_id
    assert InformationAsset.objects.get(pk=r.asset.pk).status == "disposed"


def test_bulk_update_is_all_or_nothing(client, register):
    """One asset the manager may not edit: nothing changes; all theirs: all change."""
    # given
    r = register
    api = Api(client, r.manager)
    mine = [r.asset.pk, r.section_asset.pk]
    # when
    mixed = api.post(
        "bulk_update_assets",
        {"asset_ids": [*mine, r.other_asset.pk], "storage_location": "第三書庫"},
    )
    two_changes = api.post(
        "bulk_update_assets", {"asset_ids": mine, "storage_location": "x", "status": "retired"}
    )
    done = api.post("bulk_update_assets", {"asset_ids": mine, "status": "retired"})
    # then
    assert mixed.status_code == 422 and list(mixed.json()["errors"]) == ["asset_ids"]
    assert two_changes.status_code == 422
    assert set(
        InformationAsset.objects.filter(pk__in=mine).values_list("storage_location", flat=True)
    ) == {""}
    assert done.status_code == 200
    assert {a["status"] for a in done.json()} == {"retired"}
    assert JournalEntry.objects.filter(action="asset.update").count() == 2


def test_migration_and_review_items_through_the_api(client, register):
    """The CISO starts the migration; the unit's manager lists and resolves its review item."""
    # given
    r = register
    make_asset(r.municipality, r.unit, name="課税台帳", confidentiality="3", integrity="2")
    ciso, manager = Api(client, r.ciso), Api(client, r.manager)
    # when
    refused = manager.post("start_asset_migration", {"to_scheme": "r6_10"})
    started = ciso.post("start_asset_migration", {"to_scheme": "r6_10"})
    items = manager.get("list_asset_review_items").json()["items"]
    wrong = manager.post("resolve_asset_review_item", {"chosen": "2"}, item_id=items[0]["id"])
    resolved = manager.post(
        "resolve_asset_review_item", {"chosen": items[0]["candidates"][0]}, item_id=items[0]["id"]
    )
    # then
    assert refused.status_code == 403
    assert started.status_code == 201 and started.json()["review_count"] == 1
    assert len(items) == 1
    assert wrong.status_code == 422 and list(wrong.json()["errors"]) == ["chosen"]
    assert resolved.status_code == 200 and resolved.json()["resolved_at"]
    assert manager.get("list_asset_review_items").json()["items"] == []


def test_consistency_report_lists_the_visible_problems(client, register):
    r = register
    make_asset(
        r.municipality,
        r.unit,
        name="住民票データ",
        holds_specific_personal_info=True,
        segment=InformationAsset.Segment.INTERNET,
    )
    report = Api(client, r.manager).get("asset_consistency_report").json()
    assert report["assets_checked"] == 3
    assert "specific_personal_info_outside_mynumber" in report["counts"] or report["issues"]
    assert {i["asset_number"] for i in report["issues"]} <= {
        a.asset_number for a in InformationAsset.objects.filter(owning_unit__in=[r.unit, r.section])
    }
