"""Results of a campaign, aggregated in the database.

Every figure is one ``GROUP BY`` over ``InspectionAnswer`` (or ``InspectionResponse``) using the
copies of unit, 部, chapter and ``final`` the answers carry, so a 1.5-million-answer campaign
needs no join and no loop over answers in Python. Only final answers (of submitted or approved
sheets) count.

The implementation rate (実施率) of a group = (実施 + ½ 一部実施) ÷ (実施 + 一部実施 + 未実施):
該当なし is left out.

Pages read :func:`current_results`: the whole municipality's figures come from the stored
``InspectionResultSnapshot`` while no sheet changed since it was computed (docs/inspections.md).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Set as AbstractSet
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from isms.core.models import OrgUnit

from .models import (
    InspectionAnswer,
    InspectionItem,
    InspectionResponse,
    InspectionResultSnapshot,
    SelfInspection,
)

SCOPE_ALL = "all"

logger = logging.getLogger(__name__)

V = InspectionAnswer.Value
S = InspectionResponse.Status

# ``Count("value")`` (not ``"pk"``): every column read is in the ``insp_ans_*`` indexes, so
# PostgreSQL answers with an index-only scan.
_COUNTS = {
    "implemented": Count("value", filter=Q(value=V.IMPLEMENTED)),
    "partial": Count("value", filter=Q(value=V.PARTIAL)),
    "not_implemented": Count("value", filter=Q(value=V.NOT_IMPLEMENTED)),
    "not_applicable": Count("value", filter=Q(value=V.NOT_APPLICABLE)),
}


@dataclass
class Rate:
    """The answers of one group (a unit, a 部, a chapter, a control) and its rate."""

    key: Any
    label: str
    implemented: int = 0
    partial: int = 0
    not_implemented: int = 0
    not_applicable: int = 0
    last_year: float | None = None

    @property
    def answered(self) -> int:
        return self.implemented + self.partial + self.not_implemented

    @property
    def rate(self) -> float | None:
        if not self.answered:
            return None
        return round(100 * (self.implemented + self.partial / 2) / self.answered, 1)

    @property
    def change(self) -> float | None:
        if self.rate is None or self.last_year is None:
            return None
        return round(self.rate - self.last_year, 1)


@dataclass
class Progress:
    """The sheets of one unit by status."""

    unit_id: int
    label: str
    total: int = 0
    not_started: int = 0
    in_progress: int = 0
    submitted: int = 0
    approved: int = 0
    returned: int = 0

    @property
    def done_percent(self) -> float:
        return round(100 * (self.submitted + self.approved) / self.total, 1) if self.total else 0.0


class _Expanded(frozenset[int]):
    """Units already expanded to every unit below them (by :func:`results`, once per page)."""


def _expanded(unit_ids: AbstractSet[int]) -> list[int]:
    """The units held and every unit below them: a sheet's 課 is among them exactly when the
    sheet belongs to a unit held (so one indexed ``org_unit IN (...)`` does, without an OR)."""
    if isinstance(unit_ids, _Expanded):
        return sorted(unit_ids)
    ids, level = set(unit_ids), set(unit_ids)
    while level:
        level = set(OrgUnit.objects.filter(parent_id__in=level).values_list("pk", flat=True))
        level -= ids
        ids |= level
    return sorted(ids)


def _answers(
    campaign: SelfInspection, unit_ids: AbstractSet[int] | None
) -> QuerySet[InspectionAnswer]:
    qs = InspectionAnswer.objects.filter(campaign=campaign, final=True)
    if unit_ids is not None:
        qs = qs.filter(org_unit_id__in=_expanded(unit_ids))
    return qs.order_by()


def _grouped(qs: QuerySet[InspectionAnswer], field: str) -> dict[Any, dict[str, int]]:
    return {row.pop(field): row for row in qs.values(field).annotate(**_COUNTS)}


def _rate_of(counts: dict[str, int]) -> float | None:
    return Rate(key=None, label="", **counts).rate


def previous_campaign(campaign: SelfInspection) -> SelfInspection | None:
    """Last fiscal year's campaign of the municipality (the latest one, if several)."""
    return (
        SelfInspection.objects.filter(
            municipality_id=campaign.municipality_id, fiscal_year=campaign.fiscal_year - 1
        )
        .exclude(status=SelfInspection.Status.DRAFT)
        .order_by("-pk")
        .first()
    )


def _unit_labels(ids: list[Any]) -> dict[int, str]:
    return dict(OrgUnit.objects.filter(pk__in=[i for i in ids if i]).values_list("pk", "name"))


# Last year's rates by key (``str`` of a 部/課 id, a chapter or a control key), from the frozen
# snapshot of last year's campaign when there is one, else ``None`` (aggregated live).
LastRates = dict[str, float | None]


def _last_rates(
    previous: SelfInspection | None, unit_ids: AbstractSet[int] | None, field: str
) -> LastRates | None:
    """Last year's rates of ``field`` from its snapshot: only for the whole municipality (a
    scoped view's 部, chapter and control rates differ from the whole one's), and for
    ``org_unit`` (a 課's rate is the same whoever looks)."""
    if previous is None or previous.status != SelfInspection.Status.CLOSED:
        return None
    if unit_ids is not None and field != "org_unit":
        return None
    snap = (
        InspectionResultSnapshot.objects.filter(campaign=previous, scope=SCOPE_ALL)
        .values_list("data", flat=True)
        .first()
    )
    if not snap or "rates" not in snap:
        return None
    found: LastRates | None = snap["rates"].get(field)
    return found


def rates_by_unit(
    campaign: SelfInspection,
    field: str,
    unit_ids: AbstractSet[int] | None = None,
    previous: SelfInspection | None = None,
) -> list[Rate]:
    """Rates by ``org_unit`` (課) or ``bureau`` (部), with last year's rate of the same unit."""
    now = _grouped(_answers(campaign, unit_ids), field)
    last = _last_rates(previous, unit_ids, field)
    if last is None:
        before = _grouped(_answers(previous, unit_ids), field) if previous is not None else {}
        last = {str(k): _rate_of(v) for k, v in before.items()}
    labels = _unit_labels(list(now))
    rows = [
        Rate(key=key, label=labels.get(key, "—"), last_year=last.get(str(key)), **counts)
        for key, counts in now.items()
    ]
    return sorted(rows, key=lambda r: r.label)


def rates_by_chapter(
    campaign: SelfInspection,
    unit_ids: AbstractSet[int] | None = None,
    previous: SelfInspection | None = None,
) -> list[Rate]:
    now = _grouped(_answers(campaign, unit_ids), "chapter")
    last = _last_rates(previous, unit_ids, "chapter")
    if last is None:
        before = _grouped(_answers(previous, unit_ids), "chapter") if previous is not None else {}
        last = {str(k): _rate_of(v) for k, v in before.items()}
    return [
        Rate(key=chapter, label=str(chapter), last_year=last.get(str(chapter)), **now[chapter])
        for chapter in sorted(now)
    ]


def _control_counts(
    campaign: SelfInspection, by_item: dict[Any, dict[str, int]]
) -> dict[str, dict[str, int]]:
    """The answers per control (its ``control_key``, over every target group)."""
    keys = dict(InspectionItem.objects.filter(campaign=campaign).values_list("pk", "control_key"))
    out: dict[str, dict[str, int]] = {}
    for item_id, counts in by_item.items():
        total = out.setdefault(str(keys[item_id]), dict.fromkeys(counts, 0))
        for name, n in counts.items():
            total[name] += n
    return out


def weakest_controls(
    campaign: SelfInspection,
    unit_ids: AbstractSet[int] | None = None,
    previous: SelfInspection | None = None,
    limit: int = 10,
    by_item: dict[Any, dict[str, int]] | None = None,
) -> list[Rate]:
    """The controls with the lowest rates (ties: most 未実施 first)."""
    now = by_item if by_item is not None else _grouped(_answers(campaign, unit_ids), "item")
    rows = [Rate(key=item_id, label="", **counts) for item_id, counts in now.items()]
    rows = [r for r in rows if r.rate is not None]
    rows.sort(key=lambda r: (r.rate, -r.not_implemented))
    rows = rows[:limit]
    items = InspectionItem.objects.in_bulk([r.key for r in rows])
    last = _last_rates(previous, unit_ids, "controls")
    if last is None:
        last = {}
        if previous is not None and rows:
            keys = {items[r.key].control_key for r in rows}
            last = {
                str(row.pop("item__control_key")): _rate_of(row)
                for row in _answers(previous, unit_ids)
                .filter(item__control_key__in=keys)
                .values("item__control_key")
                .annotate(**_COUNTS)
            }
    for r in rows:
        item = items[r.key]
        r.label = f"{item.code} {item.requirement}"
        r.last_year = last.get(str(item.control_key))
    return rows


def overall(campaign: SelfInspection, unit_ids: AbstractSet[int] | None = None) -> Rate:
    counts = _answers(campaign, unit_ids).aggregate(**_COUNTS)
    return Rate(key=None, label="", **counts)


def progress_by_unit(
    campaign: SelfInspection, unit_ids: AbstractSet[int] | None = None
) -> list[Progress]:
    """Sheets per 課 by status (one ``GROUP BY``)."""
    qs = InspectionResponse.objects.filter(campaign=campaign)
    if unit_ids is not None:
        qs = qs.filter(org_unit_id__in=_expanded(unit_ids))
    rows = (
        qs.order_by()
        .values("org_unit")
        .annotate(
            total=Count("pk"),
            **{s.value: Count("pk", filter=Q(status=s.value)) for s in S},
        )
    )
    found = {row.pop("org_unit"): row for row in rows}
    labels = _unit_labels(list(found))
    return sorted(
        (Progress(unit_id=k, label=labels.get(k, "—"), **v) for k, v in found.items()),
        key=lambda p: p.label,
    )


@dataclass
class Results:
    campaign: SelfInspection
    previous: SelfInspection | None
    overall: Rate
    progress: list[Progress]
    by_bureau: list[Rate]
    by_unit: list[Rate]
    by_chapter: list[Rate]
    weakest: list[Rate]
    # Set when read from a snapshot: when it was computed, and whether it is out of date (a
    # refresh is queued).
    computed_at: datetime.datetime | None = None
    stale: bool = False
    # This campaign's rates per 部/課/chapter/control (whole municipality only): stored in the
    # snapshot, the comparison source of next year's campaign.
    rates: dict[str, LastRates] = field(default_factory=dict)


def results(campaign: SelfInspection, unit_ids: AbstractSet[int] | None = None) -> Results:
    """Everything the results page, the export and the committee report show, aggregated live.
    Pages read :func:`current_results` instead."""
    previous = previous_campaign(campaign)
    if unit_ids is not None and not isinstance(unit_ids, _Expanded):
        unit_ids = _Expanded(_expanded(unit_ids))
    by_item = _grouped(_answers(campaign, unit_ids), "item")
    r = Results(
        campaign=campaign,
        previous=previous,
        overall=overall(campaign, unit_ids),
        progress=progress_by_unit(campaign, unit_ids),
        by_bureau=rates_by_unit(campaign, "bureau", unit_ids, previous),
        by_unit=rates_by_unit(campaign, "org_unit", unit_ids, previous),
        by_chapter=rates_by_chapter(campaign, unit_ids, previous),
        weakest=weakest_controls(campaign, unit_ids, previous, by_item=by_item),
    )
    if unit_ids is None:
        r.rates = {
            "bureau": {str(x.key): x.rate for x in r.by_bureau},
            "org_unit": {str(x.key): x.rate for x in r.by_unit},
            "chapter": {str(x.key): x.rate for x in r.by_chapter},
            "controls": {k: _rate_of(v) for k, v in _control_counts(campaign, by_item).items()},
        }
    return r


# --- snapshot ---------------------------------------------------------------------------------

_COUNT_NAMES = ("implemented", "partial", "not_implemented", "not_applicable")


def _rate_json(r: Rate) -> dict[str, Any]:
    return {
        "key": r.key,
        "label": r.label,
        "last_year": r.last_year,
        **{n: getattr(r, n) for n in _COUNT_NAMES},
    }


def to_json(r: Results) -> dict[str, Any]:
    """The figures of ``r`` as JSON (what the snapshot stores)."""
    return {
        "previous_id": r.previous.pk if r.previous is not None else None,
        "overall": _rate_json(r.overall),
        "progress": [asdict(p) for p in r.progress],
        "by_bureau": [_rate_json(x) for x in r.by_bureau],
        "by_unit": [_rate_json(x) for x in r.by_unit],
        "by_chapter": [_rate_json(x) for x in r.by_chapter],
        "weakest": [_rate_json(x) for x in r.weakest],
        "rates": r.rates,
    }


def from_json(campaign: SelfInspection, data: dict[str, Any]) -> Results:
    previous = (
        SelfInspection.objects.filter(
            pk=data["previous_id"], municipality_id=campaign.municipality_id
        ).first()
        if data.get("previous_id")
        else None
    )
    return Results(
        campaign=campaign,
        previous=previous,
        overall=Rate(**data["overall"]),
        progress=[Progress(**p) for p in data["progress"]],
        by_bureau=[Rate(**x) for x in data["by_bureau"]],
        by_unit=[Rate(**x) for x in data["by_unit"]],
        by_chapter=[Rate(**x) for x in data["by_chapter"]],
        weakest=[Rate(**x) for x in data["weakest"]],
        rates=data.get("rates", {}),
    )


def latest_change(campaign: SelfInspection) -> datetime.datetime | None:
    """The latest sheet change of the campaign: one index-only lookup of ``insp_resp_changed``."""
    return (
        InspectionResponse.objects.filter(campaign=campaign)
        .order_by("-status_changed_at")
        .values_list("status_changed_at", flat=True)
        .first()
    )


def _is_current(snap: InspectionResultSnapshot, latest: datetime.datetime | None) -> bool:
    if latest is None:
        return True
    return snap.covers_until is not None and latest <= snap.covers_until


def live_threshold() -> int:
    """Campaigns whose last snapshot counted fewer final answers are recomputed on the page."""
    return int(getattr(settings, "INSPECTION_LIVE_RESULTS_MAX_ANSWERS", 50_000))


def store_snapshot(campaign: SelfInspection) -> Results:
    """Compute the whole-municipality results of ``campaign`` and store them."""
    latest = latest_change(campaign)  # before aggregating: a change meanwhile makes it stale
    r = results(campaign)
    r.computed_at = timezone.now()
    InspectionResultSnapshot.objects.update_or_create(
        campaign=campaign,
        scope=SCOPE_ALL,
        defaults={
            "data": to_json(r),
            "computed_at": r.computed_at,
            "covers_until": latest,
            "answer_count": r.overall.answered + r.overall.not_applicable,
            "refreshing_since": None,
        },
    )
    return r


def refresh_snapshot(campaign_id: int) -> bool:
    """Recompute the snapshot of a campaign if it is out of date (the Huey tasks call this)."""
    campaign = SelfInspection.objects.filter(pk=campaign_id).first()
    if campaign is None:
        return False
    snap = InspectionResultSnapshot.objects.filter(campaign=campaign, scope=SCOPE_ALL).first()
    if snap is not None and _is_current(snap, latest_change(campaign)):
        InspectionResultSnapshot.objects.filter(pk=snap.pk).update(refreshing_since=None)
        return False
    store_snapshot(campaign)
    return True


def _request_refresh(snap: InspectionResultSnapshot) -> None:
    """Queue one refresh per campaign: a refresh queued less than 30 minutes ago is enough."""
    now = timezone.now()
    claimed = (
        InspectionResultSnapshot.objects.filter(pk=snap.pk)
        .filter(
            Q(refreshing_since__isnull=True)
            | Q(refreshing_since__lt=now - datetime.timedelta(minutes=30))
        )
        .update(refreshing_since=now)
    )
    if claimed:
        from .tasks import refresh_results_snapshot

        try:
            refresh_results_snapshot(snap.campaign_id)
        except Exception:  # the queue is down: the page still shows the stored figures
            logger.exception("could not queue the results refresh of campaign %s", snap.campaign_id)
            InspectionResultSnapshot.objects.filter(pk=snap.pk).update(refreshing_since=None)


def current_results(campaign: SelfInspection, unit_ids: AbstractSet[int] | None = None) -> Results:
    """The results a page shows. Scoped views (a 部, a 課) are aggregated live (they are small;
    last year's 課 rates come from last year's frozen snapshot). The whole municipality is read
    from the snapshot while it is current; when it is not, a small campaign is recomputed
    now, a large one shows the stale snapshot (``stale``) and queues a refresh."""
    if unit_ids is not None:
        return results(campaign, unit_ids)
    snap = InspectionResultSnapshot.objects.filter(campaign=campaign, scope=SCOPE_ALL).first()
    if snap is None:
        return store_snapshot(campaign)
    current = _is_current(snap, latest_change(campaign))
    if not current and snap.answer_count < live_threshold():
        return store_snapshot(campaign)
    r = from_json(campaign, snap.data)
    r.computed_at = snap.computed_at
    if not current:
        r.stale = True
        _request_refresh(snap)
    return r
