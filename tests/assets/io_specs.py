"""Access specs of the asset register's import/export pages, run by tests/test_web_access.py."""

from __future__ import annotations

from django.urls import reverse

from isms.assets.models import InformationAsset
from isms.core.models import ImportJob
from isms.core.permissions import Action
from tests.support.access import ADMIN, LEAD, STAFF, WEB, AccessSpec


def asset_file(t):
    """The route table's asset file; imported late, since the route tables import this
    module's neighbours (importing them first, alone, would be circular)."""
    from tests.support.routes_assets_io import asset_file as make

    return make(t)


def _asset_job(t):
    """A finished background asset import of ``t``'s municipality (no uploader)."""
    job, _created = ImportJob.objects.get_or_create(
        municipality=t.municipality,
        kind=ImportJob.Kind.ASSET,
        filename="assets.csv",
        defaults={"status": ImportJob.Status.DONE, "rows_total": 3000, "created": 3000},
    )
    return job


SPECS: list[AccessSpec] = [
    AccessSpec(
        name="assets:asset_import",
        kind=WEB,
        url=lambda t: reverse("assets:asset_import"),
        action=Action.MANAGE_ASSETS,
        permitted={LEAD, ADMIN},
        other=None,
    ),
    AccessSpec(
        name="assets:asset_import",
        kind=WEB,
        method="POST",
        url=lambda t: reverse("assets:asset_import"),
        data=lambda t: {"file": asset_file(t)},
        action=Action.MANAGE_ASSETS,
        permitted={LEAD, ADMIN},
        ok=302,
        other=200,  # the other municipality has no such unit: the error table
        creates=InformationAsset,
    ),
    AccessSpec(
        name="assets:asset_export",
        kind=WEB,
        url=lambda t: reverse("assets:asset_export"),
        action=Action.VIEW_ASSETS,
        permitted={STAFF, LEAD, ADMIN},
        other=None,
    ),
    AccessSpec(
        name="assets:asset_template",
        kind=WEB,
        url=lambda t: reverse("assets:asset_template"),
        action=Action.MANAGE_ASSETS,
        permitted={LEAD, ADMIN},
        other=None,
    ),
    AccessSpec(
        name="assets:asset_import_job",
        kind=WEB,
        url=lambda t: reverse("assets:asset_import_job", kwargs={"pk": _asset_job(t).pk}),
        action=Action.MANAGE_ASSETS,
        permitted={LEAD, ADMIN},
    ),
]
