"""Figures of the compliance dashboard, the drill-down behind them and the policy review.

Compliance over the last five fiscal years (up to the one selected), for the whole municipality
or a set of units:

- **self-inspections**: per fiscal year, the main campaign(s) of the year (open or closed; the
  one-question 横展開 campaigns of findings left out), read with
  :func:`isms.inspections.results.current_results` (the stored snapshot for the whole
  municipality) or, for a set of units, the grouped queries of ``results`` narrowed to those
  units (``rates_by_unit``/``rates_by_chapter``: indexed by campaign, final and unit). The
  implementation rate = (実施 + ½ 一部実施) ÷ (実施 + 一部実施 + 未実施);
- **audits**: per fiscal year (of approved or closed plans), per audited unit and per chapter, the
  conformity rate of the assessed items = (適合 + ½ 一部不適合) ÷ (適合 + 一部不適合 + 不適合);
  該当なし and 未評価 are left out; findings by severity;
- **findings**: open, and overdue (open, with a corrective action past its due date and not
  closed), per unit.

Nothing here checks who asks: the views and the API narrow with :func:`viewer_scope` and the
visibility modules first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from isms.core import permissions
from isms.core.calendar import fiscal_year_of
from isms.core.models import Municipality, OrgUnit, User
from isms.core.permissions import Action
from isms.inspections import results
from isms.inspections import visibility as inspection_visibility
from isms.inspections.models import (
    CorrectiveAction,
    InspectionAnswer,
    InspectionResponse,
    SelfInspection,
)

from . import visibility
from .models import Audit, AuditItem, AuditPlan, Finding

YEARS = 5
DRILL_LIMIT = 500
PUBLISHED = (AuditPlan.Status.APPROVED, AuditPlan.Status.CLOSED)
MAIN_CAMPAIGN_STATUSES = (SelfInspection.Status.OPEN, SelfInspection.Status.CLOSED)
R = AuditItem.Result
V = InspectionAnswer.Value
SEVERITIES = [s.value for s in Finding.Severity]


# --- figures ----------------------------------------------------------------------------------


@dataclass
class InspectionRate:
    """Self-inspection answers of one cell (summed over the year's main campaigns)."""

    implemented: int = 0
    partial: int = 0
    not_implemented: int = 0
    not_applicable: int = 0

    @property
    def answered(self) -> int:
        return self.implemented + self.partial + self.not_implemented

    @property
    def rate(self) -> float | None:
        if not self.answered:
            return None
        return round(100 * (self.implemented + self.partial / 2) / self.answered, 1)

    def add(self, r: results.Rate) -> None:
        self.implemented += r.implemented
        self.partial += r.partial
        self.not_implemented += r.not_implemented
        self.not_applicable += r.not_applicable

    def as_dict(self) -> dict[str, Any]:
        return {
            "implemented": self.implemented,
            "partial": self.partial,
            "not_implemented": self.not_implemented,
            "not_applicable": self.not_applicable,
            "rate": self.rate,
        }


@dataclass
class AuditRate:
    """Audit items of one cell by result."""

    conforming: int = 0
    partial: int = 0
    nonconforming: int = 0
    not_applicable: int = 0
    pending: int = 0

    @property
    def assessed(self) -> int:
        return self.conforming + self.partial + self.nonconforming

    @property
    def rate(self) -> float | None:
        if not self.assessed:
            return None
        return round(100 * (self.conforming + self.partial / 2) / self.assessed, 1)

    def add(self, counts: dict[str, int]) -> None:
        for name in ("conforming", "partial", "nonconforming", "not_applicable", "pending"):
            setattr(self, name, getattr(self, name) + counts.get(name, 0))

    def as_dict(self) -> dict[str, Any]:
        return {
            "conforming": self.conforming,
            "partial": self.partial,
            "nonconforming": self.nonconforming,
            "not_applicable": self.not_applicable,
            "pending": self.pending,
            "rate": self.rate,
        }


@dataclass
class FindingCounts:
    """Findings of one cell: by severity, open, overdue (open with a late action), closed."""

    by_severity: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SEVERITIES, 0))
    open: int = 0
    overdue: int = 0
    closed: int = 0

    @property
    def total(self) -> int:
        return self.open + self.closed

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_severity": dict(self.by_severity),
            "open": self.open,
            "overdue": self.overdue,
            "closed": self.closed,
        }


@dataclass
class Cell:
    fiscal_year: int
    inspection: InspectionRate = field(default_factory=InspectionRate)
    audit: AuditRate = field(default_factory=AuditRate)
    findings: FindingCounts = field(default_factory=FindingCounts)
    href: str = ""  # the drill-down of the cell (set by the page)

    def as_dict(self) -> dict[str, Any]:
        return {
            "fiscal_year": self.fiscal_year,
            "inspection": self.inspection.as_dict(),
            "audit": self.audit.as_dict(),
            "findings": self.findings.as_dict(),
        }


@dataclass
class Row:
    """A unit (``key``: its id) or a chapter (``key``: its number) over the years."""

    key: int
    label: str
    cells: list[Cell]
    open_findings: int = 0
    overdue_findings: int = 0
    href: str = ""  # set by the page

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "open_findings": self.open_findings,
            "overdue_findings": self.overdue_findings,
            "years": [c.as_dict() for c in self.cells],
        }


@dataclass
class Dashboard:
    municipality: Municipality
    fiscal_year: int
    years: list[int]
    # None: the whole municipality; else the units (and those below) the figures cover.
    unit_ids: frozenset[int] | None
    # The unit whose chapters are shown (``unit`` parameter), if any.
    unit: OrgUnit | None
    campaigns: dict[int, list[SelfInspection]]
    units: list[Row]
    chapters: list[Row]
    # Whether the self-inspection figures were read from a stale snapshot (a refresh is queued).
    stale: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "municipality_id": self.municipality.pk,
            "fiscal_year": self.fiscal_year,
            "years": self.years,
            "whole_municipality": self.unit_ids is None,
            "unit_id": self.unit.pk if self.unit is not None else None,
            "campaigns": {str(y): [c.pk for c in found] for y, found in self.campaigns.items()},
            "units": [r.as_dict() for r in self.units],
            "chapters": [r.as_dict() for r in self.chapters],
            "stale": self.stale,
        }


def years_up_to(fiscal_year: int) -> list[int]:
    return list(range(fiscal_year - YEARS + 1, fiscal_year + 1))


def targeted_campaign_ids(municipality_id: int) -> set[int]:
    """The 横展開 campaigns: asked by findings, never a year's main campaign."""
    return set(
        Finding.objects.filter(
            audit__plan__municipality_id=municipality_id, targeted_inspection__isnull=False
        ).values_list("targeted_inspection_id", flat=True)
    )


def main_campaigns(municipality_id: int, years: Iterable[int]) -> dict[int, list[SelfInspection]]:
    """The main self-inspection campaign(s) of each year (open or closed, not targeted)."""
    found: dict[int, list[SelfInspection]] = {y: [] for y in years}
    qs = (
        SelfInspection.objects.filter(
            municipality_id=municipality_id,
            fiscal_year__in=list(found),
            status__in=MAIN_CAMPAIGN_STATUSES,
        )
        .exclude(pk__in=targeted_campaign_ids(municipality_id))
        .order_by("fiscal_year", "pk")
    )
    for c in qs:
        found[c.fiscal_year].append(c)
    return found


def subtree(unit_ids: Iterable[int]) -> frozenset[int]:
    return frozenset(visibility.unit_ids_below(set(unit_ids)))


def _inspection_rates(
    campaigns: dict[int, list[SelfInspection]],
    unit_ids: frozenset[int] | None,
    chapter_units: frozenset[int] | None,
) -> tuple[dict[tuple[int, int], InspectionRate], dict[tuple[int, int], InspectionRate], bool]:
    """(year, 課 id) and (year, chapter) → answers, and whether a snapshot was stale."""
    by_unit: dict[tuple[int, int], InspectionRate] = defaultdict(InspectionRate)
    by_chapter: dict[tuple[int, int], InspectionRate] = defaultdict(InspectionRate)
    stale = False
    for year, found in campaigns.items():
        for c in found:
            if unit_ids is None:
                r = results.current_results(c)
                stale = stale or r.stale
                unit_rows: list[results.Rate] = r.by_unit
                chapter_rows = r.by_chapter if chapter_units is None else []
            else:
                unit_rows = results.rates_by_unit(c, "org_unit", set(unit_ids))
                chapter_rows = []
                if chapter_units is None:
                    chapter_rows = results.rates_by_chapter(c, set(unit_ids))
            if chapter_units is not None:
                chapter_rows = results.rates_by_chapter(c, set(chapter_units))
            for x in unit_rows:
                if x.key is not None:
                    by_unit[(year, int(x.key))].add(x)
            for x in chapter_rows:
                by_chapter[(year, int(x.key))].add(x)
    return by_unit, by_chapter, stale


_RESULT_COUNTS = {
    "conforming": Count("pk", filter=Q(result=R.CONFORMING)),
    "partial": Count("pk", filter=Q(result=R.PARTIAL)),
    "nonconforming": Count("pk", filter=Q(result=R.NONCONFORMING)),
    "not_applicable": Count("pk", filter=Q(result=R.NOT_APPLICABLE)),
    "pending": Count("pk", filter=Q(result=R.PENDING)),
}


def _audit_items(
    municipality_id: int, years: list[int], unit_ids: frozenset[int] | None
) -> QuerySet[AuditItem]:
    qs = AuditItem.objects.filter(
        audit__plan__municipality_id=municipality_id,
        audit__plan__status__in=PUBLISHED,
        audit__plan__fiscal_year__in=years,
    )
    if unit_ids is not None:
        qs = qs.filter(audit__org_unit_id__in=unit_ids)
    return qs.order_by()


def _audit_rates(
    municipality_id: int, years: list[int], unit_ids: frozenset[int] | None, field_name: str
) -> dict[tuple[int, int], AuditRate]:
    """(year, audited unit id or chapter) → items by result."""
    found: dict[tuple[int, int], AuditRate] = defaultdict(AuditRate)
    rows = (
        _audit_items(municipality_id, years, unit_ids)
        .values("audit__plan__fiscal_year", field_name)
        .annotate(**_RESULT_COUNTS)
    )
    for row in rows:
        key = (row.pop("audit__plan__fiscal_year"), row.pop(field_name))
        found[key].add(row)
    return found


def _late_actions() -> QuerySet[CorrectiveAction]:
    return CorrectiveAction.objects.filter(
        finding=OuterRef("pk"), due_date__lt=timezone.localdate()
    ).exclude(status=CorrectiveAction.Status.CLOSED)


def findings_of(municipality_id: int, unit_ids: frozenset[int] | None = None) -> QuerySet[Finding]:
    """Findings of the published plans of the municipality (of ``unit_ids`` if given)."""
    qs = Finding.objects.filter(
        audit__plan__municipality_id=municipality_id, audit__plan__status__in=PUBLISHED
    )
    if unit_ids is not None:
        qs = qs.filter(org_unit_id__in=unit_ids)
    return qs.order_by()


def overdue(qs: QuerySet[Finding]) -> QuerySet[Finding]:
    """The open findings of ``qs`` with a corrective action past its due date, not closed."""
    return qs.filter(status=Finding.Status.OPEN).filter(Exists(_late_actions()))


def _finding_counts(qs: QuerySet[Finding], field_name: str) -> dict[tuple[int, int], FindingCounts]:
    """(year, ``field_name``) → findings (``field_name``: ``org_unit`` or ``chapter``)."""
    found: dict[tuple[int, int], FindingCounts] = defaultdict(FindingCounts)
    grouped = qs.values("audit__plan__fiscal_year", field_name, "severity", "status").annotate(
        n=Count("pk")
    )
    for row in grouped:
        cell = found[(row["audit__plan__fiscal_year"], row[field_name])]
        cell.by_severity[row["severity"]] = cell.by_severity.get(row["severity"], 0) + row["n"]
        if row["status"] == Finding.Status.OPEN:
            cell.open += row["n"]
        else:
            cell.closed += row["n"]
    late = overdue(qs).values("audit__plan__fiscal_year", field_name).annotate(n=Count("pk"))
    for row in late:
        found[(row["audit__plan__fiscal_year"], row[field_name])].overdue += row["n"]
    return found


def _with_chapter(qs: QuerySet[Finding]) -> QuerySet[Finding]:
    return qs.annotate(chapter=Coalesce("item__chapter", "control__section__chapter"))


def _unit_labels(ids: Iterable[int]) -> list[tuple[int, str]]:
    units = OrgUnit.objects.filter(pk__in=list(ids)).order_by("code", "name", "pk")
    return [(u.pk, u.name) for u in units]


def build(
    municipality: Municipality,
    fiscal_year: int,
    unit_ids: Iterable[int] | None = None,
    unit: OrgUnit | None = None,
) -> Dashboard:
    """The dashboard of ``municipality`` for the five years up to ``fiscal_year``.

    ``unit_ids``: None for the whole municipality, else the units (with those below them) the
    viewer answers for. ``unit``: the chapters × years table is that unit's (with the units
    below it); otherwise it covers ``unit_ids``.
    """
    mid = municipality.pk
    years = years_up_to(fiscal_year)
    scope = subtree(unit_ids) if unit_ids is not None else None
    chapter_scope = subtree({unit.pk}) if unit is not None else None
    if chapter_scope is not None and scope is not None:
        chapter_scope = chapter_scope & scope
    campaigns = main_campaigns(mid, years)
    insp_units, insp_chapters, stale = _inspection_rates(campaigns, scope, chapter_scope)
    audit_units = _audit_rates(mid, years, scope, "audit__org_unit")
    chapter_audits = chapter_scope if chapter_scope is not None else scope
    audit_chapters = _audit_rates(mid, years, chapter_audits, "chapter")
    findings = findings_of(mid, scope).filter(audit__plan__fiscal_year__in=years)
    finding_units = _finding_counts(findings, "org_unit")
    chapter_findings = findings_of(mid, chapter_audits).filter(audit__plan__fiscal_year__in=years)
    finding_chapters = _finding_counts(_with_chapter(chapter_findings), "chapter")
    # Open and overdue findings per unit, whatever year they were found in.
    every = findings_of(mid, scope)
    open_now = dict(
        every.filter(status=Finding.Status.OPEN)
        .values("org_unit")
        .annotate(n=Count("pk"))
        .values_list("org_unit", "n")
    )
    late_now = dict(
        overdue(every).values("org_unit").annotate(n=Count("pk")).values_list("org_unit", "n")
    )

    def cells(key: int, *sources: tuple[str, dict[tuple[int, int], Any]]) -> list[Cell]:
        out = []
        for y in years:
            cell = Cell(fiscal_year=y)
            for name, table in sources:
                if (y, key) in table:
                    setattr(cell, name, table[(y, key)])
            out.append(cell)
        return out

    unit_keys = {k for _, k in insp_units} | {k for _, k in audit_units}
    unit_keys |= {k for _, k in finding_units} | set(open_now)
    unit_rows = [
        Row(
            key=pk,
            label=name,
            cells=cells(
                pk,
                ("inspection", insp_units),
                ("audit", audit_units),
                ("findings", finding_units),
            ),
            open_findings=open_now.get(pk, 0),
            overdue_findings=late_now.get(pk, 0),
        )
        for pk, name in _unit_labels(unit_keys)
    ]
    chapter_keys = {k for _, k in insp_chapters} | {k for _, k in audit_chapters}
    chapter_keys |= {k for _, k in finding_chapters if k is not None}
    chapter_rows = [
        Row(
            key=ch,
            label=str(ch),
            cells=cells(
                ch,
                ("inspection", insp_chapters),
                ("audit", audit_chapters),
                ("findings", finding_chapters),
            ),
        )
        for ch in sorted(chapter_keys)
    ]
    for row in chapter_rows:
        row.open_findings = sum(c.findings.open for c in row.cells)
        row.overdue_findings = sum(c.findings.overdue for c in row.cells)
    return Dashboard(
        municipality=municipality,
        fiscal_year=fiscal_year,
        years=years,
        unit_ids=scope,
        unit=unit,
        campaigns=campaigns,
        units=unit_rows,
        chapters=chapter_rows,
        stale=stale,
    )


# --- who sees what ----------------------------------------------------------------------------


def viewer_scope(user: User | None, municipality: Municipality) -> frozenset[int] | None:
    """The units whose figures ``user`` sees: None for the whole municipality (whoever may
    ``VIEW_ALL_AUDITS``), else the units they answer for as 管理者/責任者 (with those below);
    anyone else: ``PermissionDenied``."""
    if not permissions.can(user, Action.VIEW_AUDITS, municipality=municipality):
        raise PermissionDenied
    if visibility.sees_all(user, municipality.pk):
        return None
    units = visibility.managed_units(user)
    if not units or getattr(user, "municipality_id", None) != municipality.pk:
        raise PermissionDenied
    return frozenset(units)


def unit_in_scope(
    municipality: Municipality, scope: frozenset[int] | None, unit_id: int
) -> OrgUnit | None:
    """The unit ``unit_id`` if it is the municipality's and within ``scope`` (else None)."""
    if scope is not None and unit_id not in scope:
        return None
    return OrgUnit.objects.filter(municipality=municipality, pk=unit_id).first()


# --- drill-down -------------------------------------------------------------------------------

_ANSWER_RANK = Case(
    When(value=V.NOT_IMPLEMENTED, then=Value(0)),
    When(value=V.PARTIAL, then=Value(1)),
    When(value=V.IMPLEMENTED, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)
_ITEM_RANK = Case(
    When(result=R.NONCONFORMING, then=Value(0)),
    When(result=R.PARTIAL, then=Value(1)),
    When(result=R.CONFORMING, then=Value(2)),
    When(result=R.PENDING, then=Value(3)),
    default=Value(4),
    output_field=IntegerField(),
)


@dataclass
class Drill:
    fiscal_year: int
    unit: OrgUnit | None
    chapter: int | None
    campaigns: list[SelfInspection]
    answers: list[InspectionAnswer]
    answer_count: int
    items: list[AuditItem]
    item_count: int
    limit: int = DRILL_LIMIT

    @property
    def answers_cut(self) -> bool:
        return self.answer_count > len(self.answers)

    @property
    def items_cut(self) -> bool:
        return self.item_count > len(self.items)


def drill(
    user: User | None,
    municipality: Municipality,
    fiscal_year: int,
    scope: frozenset[int] | None,
    unit: OrgUnit | None,
    chapter: int | None,
    limit: int = DRILL_LIMIT,
) -> Drill:
    """The self-inspection answers and the audit items behind one cell, as ``user`` may see
    them (``inspections.visibility`` and ``audits.visibility``): 未実施 and 一部実施 first,
    不適合 and 一部不適合 first, at most ``limit`` of each with their counts."""
    units: frozenset[int] | None = scope
    if unit is not None:
        units = subtree({unit.pk}) if scope is None else subtree({unit.pk}) & scope
    campaigns = main_campaigns(municipality.pk, [fiscal_year])[fiscal_year]
    answers = InspectionAnswer.objects.filter(
        campaign__in=[c.pk for c in campaigns], final=True
    ).exclude(value="")
    if not inspection_visibility.sees_all(user, municipality.pk):
        answers = answers.filter(
            response__in=inspection_visibility.visible_responses(
                user, InspectionResponse.objects.filter(campaign__in=[c.pk for c in campaigns])
            )
        )
    items = (
        visibility.visible_audits(user)
        .filter(
            plan__municipality=municipality,
            plan__fiscal_year=fiscal_year,
            plan__status__in=PUBLISHED,
        )
        .values("pk")
    )
    audit_items = AuditItem.objects.filter(audit__in=items)
    if units is not None:
        answers = answers.filter(org_unit_id__in=units)
        audit_items = audit_items.filter(audit__org_unit_id__in=units)
    if chapter is not None:
        answers = answers.filter(chapter=chapter)
        audit_items = audit_items.filter(chapter=chapter)
    answer_count = answers.count()
    item_count = audit_items.count()
    shown_answers = list(
        answers.annotate(rank=_ANSWER_RANK)
        .select_related("item", "org_unit", "response", "campaign")
        .order_by("rank", "org_unit__code", "org_unit_id", "item__position", "pk")[:limit]
    )
    shown_items = list(
        audit_items.annotate(rank=_ITEM_RANK, workpaper_count=Count("workpapers"))
        .select_related("audit", "audit__plan", "audit__org_unit")
        .order_by("rank", "audit__plan_id", "audit__sequence", "position", "pk")[:limit]
    )
    return Drill(
        fiscal_year=fiscal_year,
        unit=unit,
        chapter=chapter,
        campaigns=campaigns,
        answers=shown_answers,
        answer_count=answer_count,
        items=shown_items,
        item_count=item_count,
        limit=limit,
    )


# --- the committee report ---------------------------------------------------------------------


@dataclass
class AuditReport:
    audit: Audit
    rate: AuditRate
    chapters: list[tuple[int, AuditRate]]
    findings: list[Finding]
    counts: FindingCounts


def plan_report(plan: AuditPlan) -> list[AuditReport]:
    """Per audit of ``plan``: its results overall and by chapter, its findings with actions."""
    audits = list(
        Audit.objects.filter(plan=plan)
        .select_related("org_unit", "system")
        .prefetch_related("auditors__person")
        .order_by("sequence")
    )
    by_chapter: dict[int, dict[int, AuditRate]] = defaultdict(dict)
    rows = (
        AuditItem.objects.filter(audit__plan=plan)
        .order_by()
        .values("audit", "chapter")
        .annotate(**_RESULT_COUNTS)
    )
    for row in rows:
        rate = AuditRate()
        audit_id, chapter = row.pop("audit"), row.pop("chapter")
        rate.add(row)
        by_chapter[audit_id][chapter] = rate
    late = set(overdue(Finding.objects.filter(audit__plan=plan)).values_list("pk", flat=True))
    findings: dict[int, list[Finding]] = defaultdict(list)
    for f in (
        Finding.objects.filter(audit__plan=plan)
        .select_related("audit__plan", "control", "org_unit")
        .prefetch_related("corrective_actions__owner")
        .order_by("audit_id", "sequence")
    ):
        f.overdue = f.pk in late  # type: ignore[attr-defined]
        findings[f.audit.pk].append(f)
    out = []
    for audit in audits:
        total = AuditRate()
        chapters = sorted(by_chapter.get(audit.pk, {}).items())
        for _, rate in chapters:
            total.add(rate.as_dict())
        counts = FindingCounts()
        for f in findings.get(audit.pk, []):
            counts.by_severity[f.severity] = counts.by_severity.get(f.severity, 0) + 1
            if f.status == Finding.Status.OPEN:
                counts.open += 1
                counts.overdue += int(f.overdue)  # type: ignore[attr-defined]
            else:
                counts.closed += 1
        out.append(
            AuditReport(
                audit=audit,
                rate=total,
                chapters=chapters,
                findings=findings.get(audit.pk, []),
                counts=counts,
            )
        )
    return out


# --- the policy review ------------------------------------------------------------------------


def review_summary(municipality: Municipality | int, fiscal_year: int) -> dict[str, Any]:
    """The audit figures of a fiscal year, for the policy review (基本方針 2.8, 対策基準 9.1):
    the approved (or closed) plans of the year, their audits, findings and actions."""
    mid = municipality.pk if isinstance(municipality, Municipality) else municipality
    plans = AuditPlan.objects.filter(
        municipality_id=mid, fiscal_year=fiscal_year, status__in=PUBLISHED
    )
    audits = Audit.objects.filter(plan__in=plans)
    findings = Finding.objects.filter(audit__plan__in=plans).order_by()
    by_severity = dict.fromkeys(SEVERITIES, 0)
    for row in findings.values("severity").annotate(n=Count("pk")):
        by_severity[row["severity"]] = row["n"]
    actions = CorrectiveAction.objects.filter(finding__in=findings)
    rate = AuditRate()
    rate.add(AuditItem.objects.filter(audit__plan__in=plans).order_by().aggregate(**_RESULT_COUNTS))
    return {
        "fiscal_year": fiscal_year,
        "plans": plans.count(),
        "audits": audits.count(),
        "audits_closed": audits.filter(status=Audit.Status.CLOSED).count(),
        "conformity_rate": rate.rate,
        "findings": sum(by_severity.values()),
        "by_severity": by_severity,
        "open": findings.filter(status=Finding.Status.OPEN).count(),
        "overdue": overdue(findings).count(),
        "closed": findings.filter(status=Finding.Status.CLOSED).count(),
        "corrective_actions": actions.count(),
        "corrective_actions_closed": actions.filter(status=CorrectiveAction.Status.CLOSED).count(),
    }


def today_fiscal_year() -> int:
    return fiscal_year_of(timezone.localdate())
