"""Models of the asset register; each module lists its ``__all__``."""

from .classification import ClassificationRecord, MigrationReviewItem, SchemeMigration
from .lifecycle import REQUEST_STAGES, DisposalRecord, LifecycleRequest
from .network import NetworkCheck, NetworkSnapshot, NetworkViolation, PolicyException
from .register import AssetHost, AssetRegisterSettings, InformationAsset, asset_search_key

__all__ = [
    "REQUEST_STAGES",
    "AssetHost",
    "AssetRegisterSettings",
    "ClassificationRecord",
    "DisposalRecord",
    "InformationAsset",
    "LifecycleRequest",
    "MigrationReviewItem",
    "NetworkCheck",
    "NetworkSnapshot",
    "NetworkViolation",
    "PolicyException",
    "SchemeMigration",
    "asset_search_key",
]
