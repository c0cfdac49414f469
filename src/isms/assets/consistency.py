"""The consistency report over a register (issue 4 item 5), as data for a page or an export.

Each asset the user may see is checked with the core's ``check_asset`` (through ``facts.py``),
and the whole set with ``likely_duplicates``. The result is plain dataclasses: an
:class:`AssetIssue` per problem of an asset and a :class:`DuplicateGroup` per group of likely
duplicates. The report is read-only; nothing here writes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from isms.assets.classification import (
    AssetIdentity,
    ClassificationError,
    Inconsistency,
    Severity,
    check_asset,
    likely_duplicates,
)
from isms.core.models import Municipality, User

from .facts import RegisterContext, asset_facts, register_context
from .models import InformationAsset
from .visibility import visible_assets

__all__ = [
    "AssetIssue",
    "ConsistencyReport",
    "DuplicateGroup",
    "asset_inconsistencies",
    "consistency_report",
    "duplicates_of",
]

INVALID_CLASSIFICATION = "invalid_classification"
LIKELY_DUPLICATE = "likely_duplicate"
CHUNK = 2000


@dataclass(frozen=True)
class AssetIssue:
    """One inconsistency of one asset, with what identifies the asset to a person."""

    asset_id: int
    asset_number: str
    asset_name: str
    unit_name: str
    code: str
    severity: str
    field: str
    message_ja: str
    message_en: str
    fix_ja: str
    fix_en: str

    def text(self, lang: str = "ja") -> str:
        """Return the message and the fix in ``lang`` (``ja`` or ``en``)."""
        if lang == "ja":
            return f"{self.message_ja} 修正方法: {self.fix_ja}"
        return f"{self.message_en} Fix: {self.fix_en}"


@dataclass(frozen=True)
class DuplicateGroup:
    """Assets that are likely the same one registered twice (same name, unit and place)."""

    asset_ids: tuple[int, ...]
    asset_numbers: tuple[str, ...]
    names: tuple[str, ...]


@dataclass
class ConsistencyReport:
    """Every issue of every visible asset, in register order, and the likely duplicates."""

    issues: list[AssetIssue] = field(default_factory=list)
    duplicates: list[DuplicateGroup] = field(default_factory=list)
    assets_checked: int = 0

    def counts(self) -> dict[str, int]:
        """Return the number of issues per code."""
        counts: dict[str, int] = defaultdict(int)
        for issue in self.issues:
            counts[issue.code] += 1
        return dict(counts)


def _invalid(error: ClassificationError) -> Inconsistency:
    return Inconsistency(
        INVALID_CLASSIFICATION,
        Severity.ERROR,
        "classification",
        error.render("ja"),
        error.render("en"),
        "分類をいまの分類体系の分類に登録し直してください。",
        "Classify the asset again with a class of the scheme in force.",
    )


def _duplicate(numbers: list[str]) -> Inconsistency:
    listed = ", ".join(numbers)
    return Inconsistency(
        LIKELY_DUPLICATE,
        Severity.WARNING,
        "name",
        f"同じ課室・保管場所に同名の情報資産（{listed}）が登録されている。",
        f"An asset of the same name, unit and location is registered already ({listed}).",
        "同じ資産であれば一方を削除せず統合し、別の資産であれば名称で区別してください。",
        "If it is the same asset, merge the records; if not, tell them apart by name.",
    )


def asset_inconsistencies(
    asset: InformationAsset, context: RegisterContext | None = None
) -> list[Inconsistency]:
    """Return the core's inconsistencies of one asset (an invalid stored class is one too)."""
    context = context or register_context(asset.municipality_id)
    try:
        return check_asset(asset_facts(asset, context))
    except ClassificationError as exc:
        return [_invalid(exc)]


def duplicates_of(asset: InformationAsset) -> list[Inconsistency]:
    """Return a warning if other assets of the same unit are likely duplicates of ``asset``."""
    if asset.status == InformationAsset.Status.DISPOSED:
        return []
    others = (
        InformationAsset.objects.filter(
            municipality_id=asset.municipality_id, owning_unit_id=asset.owning_unit_id
        )
        .exclude(status=InformationAsset.Status.DISPOSED)
        .values_list("pk", "asset_number", "name", "storage_location")
    )
    numbers = {str(pk): number for pk, number, _name, _place in others}
    rows = [AssetIdentity(str(pk), name, "", place) for pk, _number, name, place in others]
    mine = str(asset.pk)
    found = sorted(
        {numbers[i] for group in likely_duplicates(rows) if mine in group for i in group}
        - {asset.asset_number}
    )
    return [_duplicate(found)] if found else []


def consistency_report(
    user: User, *, municipality: Municipality | int | None = None
) -> ConsistencyReport:
    """Check every asset ``user`` may see (of ``municipality`` only, when given: a service
    administrator sees several); return the issues and the likely duplicates."""
    report = ConsistencyReport()
    contexts: dict[int, RegisterContext] = {}
    identities: list[AssetIdentity] = []
    labels: dict[str, tuple[int, str, str]] = {}
    visible = visible_assets(user)
    if municipality is not None:
        mid = municipality.pk if isinstance(municipality, Municipality) else municipality
        visible = visible.filter(municipality_id=mid)
    assets = visible.select_related("owning_unit").order_by("municipality_id", "asset_number", "pk")
    for asset in assets.iterator(chunk_size=CHUNK):
        report.assets_checked += 1
        context = contexts.get(asset.municipality_id)
        if context is None:
            context = contexts[asset.municipality_id] = register_context(asset.municipality_id)
        for found in asset_inconsistencies(asset, context):
            report.issues.append(
                AssetIssue(
                    asset_id=asset.pk,
                    asset_number=asset.asset_number,
                    asset_name=asset.name,
                    unit_name=asset.owning_unit.name,
                    code=found.code,
                    severity=found.severity.value,
                    field=found.field,
                    message_ja=found.message_ja,
                    message_en=found.message_en,
                    fix_ja=found.fix_ja,
                    fix_en=found.fix_en,
                )
            )
        if asset.status != InformationAsset.Status.DISPOSED:
            # The unit's id, not its name: two 庶務係 of different 課 are different units.
            identities.append(
                AssetIdentity(
                    str(asset.pk), asset.name, str(asset.owning_unit_id), asset.storage_location
                )
            )
            labels[str(asset.pk)] = (asset.pk, asset.asset_number, asset.name)
    for group in likely_duplicates(identities):
        members = sorted((labels[i] for i in group), key=lambda row: row[1])
        report.duplicates.append(
            DuplicateGroup(
                asset_ids=tuple(m[0] for m in members),
                asset_numbers=tuple(m[1] for m in members),
                names=tuple(m[2] for m in members),
            )
        )
    return report
