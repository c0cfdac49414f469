"""Export of the risk register: one column map (Japanese headers), CSV and Excel via core.io."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from isms.core.calendar import wareki_fiscal_year
from isms.core.io import Column

from .models import Risk, RiskLevel, ThreatCategory

__all__ = ["RISK_COLUMNS", "risk_rows"]

RISK_COLUMNS = (
    Column("番号", "id", "int"),
    Column("年度", "fiscal_year", "fiscal_year"),
    Column("管理番号", "asset", "code"),
    Column("資産グループ", "asset_group", "text"),
    Column("所管課", "owning_unit", "text"),
    Column("ネットワーク", "segment", "text"),
    Column("脅威の分類", "threat_category", "text"),
    Column("脅威", "threat", "text"),
    Column("脆弱性", "vulnerability", "text"),
    Column("リスクシナリオ", "scenario", "text"),
    Column("発生可能性", "likelihood", "int"),
    Column("影響度", "impact", "int"),
    Column("影響度（提案）", "proposed_impact", "int"),
    Column("影響度の変更理由", "impact_override_reason", "text"),
    Column("固有リスク", "inherent_level", "text"),
    Column("対応", "treatment", "text"),
    Column("対策基準の管理策", "catalog_controls", "text"),
    Column("管理策", "controls", "text"),
    Column("残留発生可能性", "residual_likelihood", "int"),
    Column("残留影響度", "residual_impact", "int"),
    Column("残留リスク", "residual_level", "text"),
    Column("リスクオーナー", "owner", "text"),
    Column("状態", "status", "text"),
    Column("受容承認者", "accepted_by", "text"),
)

_LEVELS_JA = {"low": "低", "medium": "中", "high": "高", "very_high": "極めて高い"}
_TREATMENT_JA = {"reduce": "低減", "accept": "受容", "transfer": "移転", "avoid": "回避"}
_STATUS_JA = {
    "assessed": "評価済み",
    "treated": "対応決定",
    "acceptance_requested": "受容承認待ち",
    "accepted": "受容承認済み",
}
_CATEGORY_JA = {
    "intentional": "意図的な要因",
    "unintentional": "非意図的な要因",
    "disaster": "災害",
    "pandemic": "疾病",
    "infrastructure": "インフラの障害",
}
_SEGMENT_JA = {
    "mynumber": "マイナンバー利用事務系",
    "lgwan": "LGWAN接続系",
    "internet": "インターネット接続系",
    "standalone": "スタンドアロン",
}


def _n(value: int | None) -> str:
    return "" if value is None else str(value)


def _who(user: object) -> str:
    if user is None:
        return ""
    person = getattr(user, "person", None)
    return str(person) if person is not None else str(getattr(user, "username", ""))


def risk_rows(risks: Iterable[Risk]) -> Iterator[list[str]]:
    """The export rows (in Japanese, like the files' headers), one per risk."""
    assert set(_LEVELS_JA) == set(RiskLevel.values) and set(_CATEGORY_JA) == set(
        ThreatCategory.values
    )
    for r in risks:
        yield [
            str(r.pk),
            wareki_fiscal_year(r.fiscal_year),
            r.asset.asset_number if r.asset_id else "",
            r.asset_group.name if r.asset_group_id else "",
            r.owning_unit.name,
            _SEGMENT_JA.get(r.segment, ""),
            _CATEGORY_JA[r.threat.category],
            f"{r.threat.code} {r.threat.name_ja}",
            f"{r.vulnerability.code} {r.vulnerability.name_ja}" if r.vulnerability_id else "",
            r.scenario,
            str(r.likelihood),
            str(r.impact),
            str(r.proposed_impact),
            r.impact_override_reason,
            _LEVELS_JA[r.inherent_level],
            _TREATMENT_JA.get(r.treatment, ""),
            "、".join(c.code for c in r.catalog_controls.all()),
            r.controls,
            _n(r.residual_likelihood),
            _n(r.residual_impact),
            _LEVELS_JA.get(r.residual_level, ""),
            str(r.owner) if r.owner_id else "",
            _STATUS_JA[r.status],
            _who(r.accepted_by),
        ]


def export_queryset(qs):  # type: ignore[no-untyped-def]
    """Select what :func:`risk_rows` reads, so the export runs a fixed number of queries."""
    from django.db.models import Prefetch

    from isms.policy.models import Control

    return (
        qs.select_related(
            "asset",
            "asset_group",
            "owning_unit",
            "threat",
            "vulnerability",
            "owner",
            "accepted_by__person",
        )
        .prefetch_related(
            Prefetch("catalog_controls", queryset=Control.objects.order_by("position"))
        )
        .order_by("-current_score", "pk")
    )
