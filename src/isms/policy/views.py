"""Pages of the policy documents."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from isms.core import permissions
from isms.core.permissions import Action

from .models import BasicPolicy


@login_required
def basic_policy(request: HttpRequest) -> HttpResponse:
    """Show the current 基本方針 of the user's municipality, read-only."""
    municipality = request.municipality  # type: ignore[attr-defined]
    if municipality is None or not permissions.can(
        request.user, Action.VIEW_POLICY, municipality=municipality
    ):
        raise PermissionDenied
    policy = (
        permissions.scope(request.user, Action.VIEW_POLICY, BasicPolicy.objects.all())
        .filter(municipality=municipality, is_current=True)
        .prefetch_related("sections")
        .first()
    )
    return render(request, "policy/basic_policy.html", {"policy": policy})


@login_required
def policy_review(request: HttpRequest) -> HttpResponse:
    """The review of the fiscal year selected (seed 2.8): what the committee looks at.

    It gathers the year's risk analysis from the risks app (the changes since the last fiscal
    year, the open high risks with their treatments) and the year's incident figures from the
    incidents app, and the year's audit figures from the audits app (plans, findings by severity,
    open, overdue and closed findings).
    """
    from django.contrib import messages
    from django.core.exceptions import ValidationError
    from django.shortcuts import redirect

    from isms.core.calendar import wareki_fiscal_year
    from isms.incidents.services import review_summary
    from isms.inspections.audits.dashboard import review_summary as audit_review_summary
    from isms.risks import register
    from isms.risks.visibility import visible_risks

    from . import services
    from .models import PolicyReview

    municipality = request.municipality  # type: ignore[attr-defined]
    if municipality is None or not permissions.can(
        request.user, Action.VIEW_ALL_RISKS, municipality=municipality
    ):
        raise PermissionDenied
    fy = int(request.fiscal_year)  # type: ignore[attr-defined]
    may_record = permissions.can(
        request.user, Action.MANAGE_POLICY_REVIEW, municipality=municipality
    )
    error = ""
    if request.method == "POST":
        if not may_record:
            raise PermissionDenied
        try:
            services.record_policy_review(
                request.user,  # type: ignore[arg-type]
                municipality,
                fiscal_year=fy,
                conclusion=request.POST.get("conclusion", ""),
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("Policy review recorded."))
            return redirect("policy:policy_review")
    risks = visible_risks(request.user).filter(municipality=municipality)  # type: ignore[arg-type]
    year = risks.filter(fiscal_year=fy)
    review = PolicyReview.objects.filter(municipality=municipality, fiscal_year=fy).first()
    return render(
        request,
        "policy/policy_review.html",
        {
            "changes": register.changes_since_last_year(risks, fy),
            "summary": register.analysis_summary(risks, fy),
            "open_high": register.open_high_risks(year)
            .select_related("asset", "asset_group", "threat", "owning_unit", "owner")
            .order_by("-current_score", "pk")[:100],
            "previous_fy_label": wareki_fiscal_year(fy - 1),
            "incidents": review_summary(municipality, fy),
            "audits": audit_review_summary(municipality, fy),
            "review": review,
            "may_record": may_record,
            "error": error,
            "conclusion": request.POST.get("conclusion", review.conclusion if review else ""),
        },
    )
