"""API of the policy review (seed 2.8) and the year's risk analysis it reads.

The same rules as the review page (``policy.views.policy_review``): whoever sees every risk of
the municipality (``VIEW_ALL_RISKS``: the leads, the auditors, the administrators) reads the
review and the analysis; ``MANAGE_POLICY_REVIEW`` records the committee's conclusion, through the
same service (``policy.services.record_policy_review``, which records the year's
``RiskAnalysis`` in the same transaction).

- ``GET /policy/reviews/{fiscal_year}``: the recorded review of the year (``recorded: false``
  and an empty conclusion while there is none);
- ``PUT /policy/reviews/{fiscal_year}``: record (or bring up to date) the review;
- ``GET /policy/reviews/{fiscal_year}/risk-analysis``: what the committee reviews: the year's
  figures now (counts by level and status, changes since the year before), the open high and
  very high risks with their treatments and owners (the first 100, highest first), and the
  analysis as last recorded.

Every read names the municipality with ``municipality_id`` (default: the caller's own); one the
caller may not read is a 403.

(No ``from __future__ import annotations``: django-ninja reads the annotations at import time.)
"""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from isms.core import permissions
from isms.core.api import In, _target_municipality
from isms.core.models import Municipality, User
from isms.core.permissions import Action

from . import services
from .models import PolicyReview

__all__ = ["router"]

router = Router(tags=["policy review"])

OPEN_HIGH_LIMIT = 100
MIN_FISCAL_YEAR, MAX_FISCAL_YEAR = 2000, 2100


class ReviewFilter(Schema):
    municipality_id: int | None = None


class PolicyReviewOut(Schema):
    municipality_id: int
    fiscal_year: int
    recorded: bool
    conclusion: str
    analysis: dict[str, Any]
    reviewed_by_id: int | None
    reviewed_at: datetime.datetime | None


class PolicyReviewIn(In):
    municipality_id: int | None = None
    conclusion: str = Field(max_length=10000)


class OpenRiskOut(Schema):
    id: int
    asset_id: int | None
    asset_group_id: int | None
    subject: str
    owning_unit_id: int
    threat_id: int
    threat: str
    current_level: str
    current_score: int
    treatment: str
    controls: str
    catalog_control_ids: list[int]
    owner_id: int | None
    status: str


class ChangesOut(Schema):
    new: int
    gone: int
    raised: int
    lowered: int
    unchanged: int
    raised_ids: list[int]
    new_high_ids: list[int]


class RecordedAnalysisOut(Schema):
    summary: dict[str, Any]
    note: str
    recorded_by_id: int | None
    recorded_at: datetime.datetime


class RiskAnalysisOut(Schema):
    municipality_id: int
    fiscal_year: int
    summary: dict[str, Any]
    changes: ChangesOut
    open_high_total: int
    open_high: list[OpenRiskOut]
    recorded: RecordedAnalysisOut | None


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _year(fiscal_year: int) -> int:
    if not MIN_FISCAL_YEAR <= fiscal_year <= MAX_FISCAL_YEAR:
        raise ValidationError({"fiscal_year": _("Give a fiscal year between 2000 and 2100.")})
    return fiscal_year


def _readable(request: HttpRequest, municipality_id: int | None) -> Municipality:
    """The municipality whose review is read: named, or the caller's own; 403 if not theirs."""
    user = _user(request)
    permissions.require(user, Action.VIEW_ALL_RISKS)
    mid = municipality_id if municipality_id is not None else user.municipality_id
    found = (
        Municipality.objects.filter(pk=mid).first()
        if mid is not None and permissions.can(user, Action.VIEW_ALL_RISKS, municipality=mid)
        else None
    )
    if found is None:
        raise PermissionDenied
    return found


def _review_out(municipality: Municipality, fiscal_year: int) -> dict[str, Any]:
    review = PolicyReview.objects.filter(municipality=municipality, fiscal_year=fiscal_year).first()
    if review is None:
        return {
            "municipality_id": municipality.pk,
            "fiscal_year": fiscal_year,
            "recorded": False,
            "conclusion": "",
            "analysis": {},
            "reviewed_by_id": None,
            "reviewed_at": None,
        }
    return {
        "municipality_id": municipality.pk,
        "fiscal_year": fiscal_year,
        "recorded": True,
        "conclusion": review.conclusion,
        "analysis": review.analysis,
        "reviewed_by_id": review.reviewed_by_id,
        "reviewed_at": review.reviewed_at,
    }


@router.get("/policy/reviews/{fiscal_year}", response=PolicyReviewOut)
def get_policy_review(request: HttpRequest, fiscal_year: int, filters: Query[ReviewFilter]) -> Any:
    """The committee's review of the fiscal year, as recorded."""
    municipality = _readable(request, filters.municipality_id)
    return _review_out(municipality, _year(fiscal_year))


@router.put("/policy/reviews/{fiscal_year}", response=PolicyReviewOut)
def record_policy_review(request: HttpRequest, fiscal_year: int, payload: PolicyReviewIn) -> Any:
    """Record the committee's conclusion with the year's risk analysis (as the page does)."""
    municipality = _target_municipality(
        request, Action.MANAGE_POLICY_REVIEW, payload.municipality_id
    )
    year = _year(fiscal_year)
    services.record_policy_review(
        _user(request), municipality, fiscal_year=year, conclusion=payload.conclusion
    )
    return _review_out(municipality, year)


def _subject(risk: Any) -> str:
    if risk.asset_id:
        return f"{risk.asset.asset_number} {risk.asset.name}"
    return risk.asset_group.name if risk.asset_group_id else ""


@router.get("/policy/reviews/{fiscal_year}/risk-analysis", response=RiskAnalysisOut)
def get_risk_analysis(request: HttpRequest, fiscal_year: int, filters: Query[ReviewFilter]) -> Any:
    """What the committee reviews: the year's risk figures, changes and open high risks."""
    from isms.risks import register
    from isms.risks.models import RiskAnalysis
    from isms.risks.visibility import visible_risks

    municipality = _readable(request, filters.municipality_id)
    year = _year(fiscal_year)
    risks = visible_risks(_user(request)).filter(municipality=municipality)
    open_high = register.open_high_risks(risks.filter(fiscal_year=year))
    rows = list(
        open_high.select_related("asset", "asset_group", "threat")
        .prefetch_related("catalog_controls")
        .order_by("-current_score", "pk")[:OPEN_HIGH_LIMIT]
    )
    changes = register.changes_since_last_year(risks, year)
    recorded = RiskAnalysis.objects.filter(municipality=municipality, fiscal_year=year).first()
    return {
        "municipality_id": municipality.pk,
        "fiscal_year": year,
        "summary": register.analysis_summary(risks, year),
        "changes": changes.__dict__,
        "open_high_total": open_high.count(),
        "open_high": [
            {
                "id": r.pk,
                "asset_id": r.asset_id,
                "asset_group_id": r.asset_group_id,
                "subject": _subject(r),
                "owning_unit_id": r.owning_unit_id,
                "threat_id": r.threat_id,
                "threat": f"{r.threat.code} {r.threat.name_ja}",
                "current_level": r.current_level,
                "current_score": r.current_score,
                "treatment": r.treatment,
                "controls": r.controls,
                "catalog_control_ids": sorted(c.pk for c in r.catalog_controls.all()),
                "owner_id": r.owner_id,
                "status": r.status,
            }
            for r in rows
        ],
        "recorded": recorded,
    }
