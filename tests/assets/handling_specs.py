"""Access specs of the register's 取扱区分 page and API.

``SPECS`` (the page) run in tests/test_web_access.py, ``API_SPECS`` in tests/assets/test_api.py.
Everyone who sees the register reads the page (STAFF, LEAD, ADMIN); only those who manage the
whole register change it (LEAD, ADMIN); SERVICE lacks the municipality's grant. A user of
another municipality reaches their own register's settings (the URL names no record) or, naming
this municipality in a body, a field error.
"""

from __future__ import annotations

from django.urls import reverse

from isms.assets.models import AssetRegisterSettings
from isms.core.permissions import Action
from tests.support.access import ADMIN, API, LEAD, STAFF, WEB, AccessSpec, Site

SEE = {STAFF, LEAD, ADMIN}
MANAGE = {LEAD, ADMIN}


def _settings(t: Site) -> AssetRegisterSettings:
    """The register's settings row (made on first use, before the runner takes its state)."""
    return AssetRegisterSettings.objects.get_or_create(municipality=t.municipality)[0]


SPECS: list[AccessSpec] = [
    AccessSpec(
        name="assets:handling_categories",
        kind=WEB,
        url=lambda t: reverse("assets:handling_categories"),
        action=Action.VIEW_ASSETS,
        permitted=SEE,
        other=None,
    ),
    AccessSpec(
        name="assets:handling_categories",
        kind=WEB,
        method="POST",
        url=lambda t: reverse("assets:handling_categories"),
        data=lambda t: {"form": "use", "use": "example"},
        action=Action.MANAGE_ASSETS,
        permitted=MANAGE,
        ok=302,
        other=None,
        target=_settings,
    ),
]

API_SPECS: list[AccessSpec] = [
    AccessSpec(
        name="get_handling_categories",
        kind=API,
        url=lambda t: reverse("api:get_handling_categories"),
        action=Action.VIEW_ASSETS,
        permitted=SEE,
        other=None,
    ),
    AccessSpec(
        name="put_handling_categories",
        kind=API,
        method="PUT",
        url=lambda t: reverse("api:put_handling_categories"),
        data=lambda t: {"municipality_id": t.municipality.pk, "use": "example"},
        action=Action.MANAGE_ASSETS,
        permitted=MANAGE,
        other=422,
        other_field="municipality_id",
        target=_settings,
    ),
]
