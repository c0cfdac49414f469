"""Access specs of the asset register's pages, run by tests/test_web_access.py.

Who may, from ``core/permissions.py`` RULES narrowed by ``assets/visibility.py``: STAFF sees
``t.asset`` (its unit's) but edits nothing; LEAD (統括) and ADMIN (municipality administrator)
see and edit the whole register; only role holders decide requests (LEAD); SERVICE lacks the
municipality's grant and is refused everything. A few records are made on first use by the
``target`` of the spec (evaluated before the runner counts rows and journal entries): a
mynumber system, an asset that needs no permission to dispose of, and a migration review item.
"""

from __future__ import annotations

import itertools
from typing import Any

from django.urls import reverse

from isms.assets import services
from isms.assets.models import (
    AssetHost,
    InformationAsset,
    LifecycleRequest,
    MigrationReviewItem,
)
from isms.core.permissions import Action
from tests.assets.factories import PLAIN_ANSWERS, make_asset
from tests.support.access import ADMIN, LEAD, STAFF, WEB, AccessSpec, Site

SEE = {STAFF, LEAD, ADMIN}
EDIT = {LEAD, ADMIN}


def _url(name: str, **kwargs: object) -> str:
    return reverse(f"assets:{name}", kwargs=kwargs)


def _page(name: str, action: Action, permitted: set[Any], **more: Any) -> AccessSpec:
    more.setdefault("url", lambda t: _url(name))
    more.setdefault("other", None)
    return AccessSpec(name=f"assets:{name}", kind=WEB, action=action, permitted=permitted, **more)


def asset_form(t: Site, **overrides: Any) -> dict[str, Any]:
    """A valid form of a new (or ``t.asset``'s edited) 機密性2 document of ``t.unit``."""
    data = {
        "asset_number": "N-001",
        "name": "新規資料",
        "description": "",
        "kind": "information",
        "owning_unit": t.unit.pk,
        "custodian_number": "",
        "storage_location": "本庁舎2階",
        "segment": "lgwan",
        "hosting": "on_premises",
        "cloud_service_name": "",
        "status": "in_use",
        "number_of_persons": "",
        "retention_period": "5年",
        "confidentiality": "2",
        "integrity": "1",
        "availability": "1",
        "recovery_time": "",
        "backup_note": "",
        "scope_facility": "other",
        "scope_purpose": "administration",
        "city_owned": "on",
        "in_scope": "on",
        "out_of_scope_reason": "",
    }
    return data | overrides


def classify_form(**overrides: Any) -> dict[str, Any]:
    data = {
        f"q_{k}": ("yes" if v else "no") if isinstance(v, bool) else v
        for k, v in PLAIN_ANSWERS.items()
    }
    return {**data, "step": "confirm"} | overrides


def mynumber_system(t: Site) -> InformationAsset:
    """A mynumber-segment system of ``t.unit`` (made once)."""
    found = InformationAsset.objects.filter(
        municipality=t.municipality, asset_number=f"MN-{t.municipality.code}"
    ).first()
    return found or make_asset(
        t.municipality,
        t.unit,
        asset_number=f"MN-{t.municipality.code}",
        name="個人番号系端末",
        kind="system_equipment",
        segment="mynumber",
        confidentiality="3",
        integrity="2",
        availability="1",
        holds_personal_info=True,
        holds_specific_personal_info=True,
    )


def public_asset(t: Site) -> InformationAsset:
    """A 機密性1 asset of ``t.unit``: disposing of it needs no permission (made once)."""
    found = InformationAsset.objects.filter(
        municipality=t.municipality, asset_number=f"PUB-{t.municipality.code}"
    ).first()
    return found or make_asset(
        t.municipality,
        t.unit,
        asset_number=f"PUB-{t.municipality.code}",
        name="公開資料",
        confidentiality="1",
    )


def review_item(t: Site) -> MigrationReviewItem:
    """An open review item of a 機密性3 asset of ``t.unit`` (starts the migration once)."""
    found = MigrationReviewItem.objects.filter(municipality=t.municipality).first()
    if found is not None:
        return found
    make_asset(
        t.municipality,
        t.unit,
        asset_number=f"C3-{t.municipality.code}",
        name="住民情報",
        confidentiality="3",
        integrity="2",
        availability="1",
        holds_personal_info=True,
    )
    services.start_migration(None, t.municipality)
    return MigrationReviewItem.objects.filter(municipality=t.municipality).first()


_places = itertools.count(1)


def bulk_form(t: Site) -> dict[str, Any]:
    """Move ``t.asset`` to a new storage location (a new one each call, so each is a change)."""
    return {
        "asset_ids": [t.asset.pk],
        "field": "storage_location",
        "storage_location": f"書庫{next(_places)}",
    }


SPECS = [
    _page("asset_list", Action.VIEW_ASSETS, SEE),
    _page(
        "asset_bulk_edit",
        Action.MANAGE_ASSETS,
        EDIT,
        method="POST",
        data=bulk_form,
        ok=302,
        # Another municipality's manager names 都留市's asset: "no such asset", on the form.
        other=200,
        target=lambda t: t.asset,
    ),
    _page(
        "asset_detail",
        Action.VIEW_ASSETS,
        SEE,
        url=lambda t: _url("asset_detail", pk=t.asset.pk),
        other=404,
    ),
    _page("asset_create", Action.MANAGE_ASSETS, EDIT),
    _page(
        "asset_create",
        Action.MANAGE_ASSETS,
        EDIT,
        method="POST",
        data=asset_form,
        ok=302,
        # Another municipality's user posts 都留市's unit: the form comes back with an error.
        other=200,
        creates=InformationAsset,
    ),
    _page(
        "asset_edit",
        Action.MANAGE_ASSETS,
        EDIT,
        url=lambda t: _url("asset_edit", pk=t.asset.pk),
        other=404,
    ),
    _page(
        "asset_edit",
        Action.MANAGE_ASSETS,
        EDIT,
        url=lambda t: _url("asset_edit", pk=t.asset.pk),
        method="POST",
        data=lambda t: asset_form(t, asset_number=t.asset.asset_number, name="改名資料"),
        ok=302,
        other=404,
        target=lambda t: t.asset,
    ),
    _page(
        "host_add",
        Action.MANAGE_ASSETS,
        EDIT,
        url=lambda t: _url("host_add", pk=t.asset.pk),
        other=404,
    ),
    _page(
        "host_add",
        Action.MANAGE_ASSETS,
        EDIT,
        url=lambda t: _url("host_add", pk=t.asset.pk),
        method="POST",
        data=lambda t: {"host_name": "new-host", "network": "192.0.2.0/24"},
        ok=302,
        other=404,
        creates=AssetHost,
    ),
    _page(
        "host_remove",
        Action.MANAGE_ASSETS,
        EDIT,
        url=lambda t: _url("host_remove", pk=t.asset.pk, host_pk=t.asset.hosts.first().pk),
        method="POST",
        ok=302,
        other=404,
        creates=AssetHost,
    ),
    _page(
        "confirm_mfa",
        Action.MANAGE_ASSETS,
        EDIT,
        url=lambda t: _url("confirm_mfa", pk=mynumber_system(t).pk),
        method="POST",
        ok=302,
        other=404,
        target=mynumber_system,
    ),
    _page(
        "confirm_export_blocked",
        Action.MANAGE_ASSETS,
        EDIT,
        url=lambda t: _url("confirm_export_blocked", pk=mynumber_system(t).pk),
        method="POST",
        ok=302,
        other=404,
        target=mynumber_system,
    ),
    _page(
        "asset_classify",
        Action.MANAGE_ASSETS,
        EDIT,
        url=lambda t: _url("asset_classify", pk=t.asset.pk),
        other=404,
    ),
    _page(
        "asset_classify",
        Action.MANAGE_ASSETS,
        EDIT,
        url=lambda t: _url("asset_classify", pk=t.asset.pk),
        method="POST",
        data=lambda t: classify_form(),
        ok=302,
        other=404,
        target=lambda t: t.asset,
    ),
    _page(
        "request_create",
        Action.VIEW_ASSETS,
        SEE,
        url=lambda t: _url("request_create", pk=t.asset.pk),
        other=404,
    ),
    _page(
        "request_create",
        Action.VIEW_ASSETS,
        SEE,
        url=lambda t: _url("request_create", pk=t.asset.pk),
        method="POST",
        data=lambda t: {"kind": "provide", "details": "県に提出する。"},
        ok=302,
        other=404,
        creates=LifecycleRequest,
    ),
    _page(
        "disposal_record",
        Action.MANAGE_ASSETS,
        EDIT,
        url=lambda t: _url("disposal_record", pk=public_asset(t).pk),
        other=404,
        target=public_asset,
    ),
    _page(
        "disposal_record",
        Action.MANAGE_ASSETS,
        EDIT,
        url=lambda t: _url("disposal_record", pk=public_asset(t).pk),
        method="POST",
        data=lambda t: {
            "disposed_on": "2025-04-01",
            "method": "溶解処理",
            "disposed_by": t.other_person.employee_number,
        },
        ok=302,
        other=404,
        target=public_asset,
    ),
    _page("consistency", Action.VIEW_ASSETS, SEE),
    _page("migration", Action.MANAGE_ASSETS, EDIT),
    _page("migration_start", Action.MANAGE_ASSETS, EDIT, method="POST", ok=302),
    _page(
        "review_item_resolve",
        Action.MANAGE_ASSETS,
        EDIT,
        url=lambda t: _url("review_item_resolve", pk=review_item(t).pk),
        method="POST",
        data=lambda t: {"chosen": "3C", "note": "住民への影響は限定的"},
        ok=302,
        other=404,
        target=review_item,
    ),
    _page("request_list", Action.VIEW_ASSETS, SEE),
    _page(
        "request_approve",
        Action.APPROVE_ASSET_LIFECYCLE,
        {LEAD},
        url=lambda t: _url("request_approve", pk=t.lifecycle_request.pk),
        method="POST",
        ok=302,
        other=404,
        target=lambda t: t.lifecycle_request,
    ),
    _page(
        "request_reject",
        Action.APPROVE_ASSET_LIFECYCLE,
        {LEAD},
        url=lambda t: _url("request_reject", pk=t.lifecycle_request.pk),
        method="POST",
        data=lambda t: {"reason": "運搬の必要がない。"},
        ok=302,
        other=404,
        target=lambda t: t.lifecycle_request,
    ),
    _page(
        "request_withdraw",
        Action.VIEW_ASSETS,
        {STAFF},
        url=lambda t: _url("request_withdraw", pk=t.lifecycle_request.pk),
        method="POST",
        ok=302,
        other=404,
        target=lambda t: t.lifecycle_request,
    ),
]
