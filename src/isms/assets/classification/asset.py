"""What the classification core needs to know about one asset, as a frozen dataclass.

:class:`AssetFacts` is a snapshot the Django app builds from an ``InformationAsset`` (through a
thin adapter) and hands to the pure functions of this package: consistency checks, migration
hints. It holds facts only, never database objects.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from isms.assets.classification.model import Classification

__all__ = ["AssetFacts", "AssetKind", "AssetStatus", "Segment"]


class AssetKind(enum.Enum):
    """The kinds of information asset of seed 2.4(2) ①–③ (④ is the ``used_by_university`` flag)."""

    SYSTEM_EQUIPMENT = "system_equipment"  # ① networks, systems, their equipment and media
    INFORMATION = "information"  # ② information they handle, printouts included
    SYSTEM_DOCUMENT = "system_document"  # ③ specifications, network diagrams, ...


class Segment(enum.Enum):
    """Where an asset lives in the three-tier model (seed 2.6(3)), or standalone."""

    MYNUMBER = "mynumber"
    LGWAN = "lgwan"
    INTERNET = "internet"
    STANDALONE = "standalone"


class AssetStatus(enum.Enum):
    """An asset's life in the register."""

    PLANNED = "planned"
    IN_USE = "in_use"
    RETIRED = "retired"  # no longer used, not yet disposed of
    DISPOSED = "disposed"


@dataclass(frozen=True, kw_only=True)
class AssetFacts:
    """The facts about one asset that the checks and the migration read.

    ``held_classifications`` is for storage media (and other containers): the classes of the
    information recorded on it; the medium itself must be classed at least as high on each
    axis (対策基準 2.(2) 利用). ``classified_document`` means 秘密文書 (自治体機密性3A).
    """

    asset_id: str = ""
    kind: AssetKind | None = None
    segment: Segment | None = None
    classification: Classification | None = None
    holds_personal_info: bool = False
    holds_specific_personal_info: bool = False
    holds_sensitive_personal_info: bool = False
    classified_document: bool = False
    number_of_persons: int | None = None
    mfa_confirmed: bool = False
    export_blocked_confirmed: bool = False
    has_backup_and_rto: bool = False
    has_owner: bool = False
    status: AssetStatus = AssetStatus.IN_USE
    disposal_approved: bool = False
    held_classifications: tuple[Classification, ...] = ()
    used_by_university: bool = False
    city_owned: bool = True
    in_scope: bool = True
    out_of_scope_reason: str = ""
