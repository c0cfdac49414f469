"""Every model of the register belongs to a municipality, so the tenancy tooling finds it."""

from __future__ import annotations

from django.apps import apps

from isms.core import permissions
from tests.test_tenancy_walk import _tenant_models


def test_every_asset_model_is_found_by_the_tenancy_walk():
    ours = set(apps.get_app_config("assets").get_models())
    assert {m._meta.object_name for m in ours} == {
        "AssetRegisterSettings",
        "InformationAsset",
        "AssetHost",
        "ClassificationRecord",
        "SchemeMigration",
        "MigrationReviewItem",
        "LifecycleRequest",
        "DisposalRecord",
        "NetworkSnapshot",
        "NetworkCheck",
        "NetworkViolation",
        "PolicyException",
    }
    assert ours <= set(_tenant_models())
    for model in ours:
        assert permissions.municipality_lookup(model) == "municipality_id"
