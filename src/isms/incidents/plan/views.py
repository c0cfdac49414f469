"""Pages of the emergency response plan (``/incidents/plan/``): the plan with its contact tree
(every member of staff), the draft's form (the leads), the versions, the approval (the CISO or
the committee chair, never an editor) and the printable PDF.

Views parse input, ask ``permissions`` and render; writes go through ``services``. Versions are
looked up within the municipality worked in: another municipality's version is a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from isms.core import permissions
from isms.core.models import Municipality
from isms.core.pdf import PdfUnavailable, render_pdf
from isms.core.permissions import Action
from isms.core.templatetags.isms_roles import request_role_labels

from . import contacts, services
from .forms import PlanForm
from .models import EmergencyResponsePlan
from .services import CONTACT_CATEGORIES

PDF_TYPE = "application/pdf"


def municipality_for(
    request: HttpRequest, action: Action = Action.VIEW_EMERGENCY_PLAN
) -> Municipality:
    """Return the municipality the user works in, if they may do ``action`` there (else 403)."""
    municipality: Municipality | None = request.municipality  # type: ignore[attr-defined]
    if municipality is None or not permissions.can(request.user, action, municipality=municipality):
        raise PermissionDenied
    return municipality


def _versions(request: HttpRequest, municipality: Municipality) -> Any:
    return permissions.scope(
        request.user,  # type: ignore[arg-type]
        Action.VIEW_EMERGENCY_PLAN,
        EmergencyResponsePlan.objects.filter(municipality=municipality),
    )


def is_link(location: str) -> bool:
    """Whether the BCP's location is an address the page may link to (http or https only)."""
    return location.startswith(("https://", "http://"))


def plan_context(
    request: HttpRequest, municipality: Municipality, plan: EmergencyResponsePlan | None
) -> dict[str, Any]:
    """What the plan page, a version's page and the PDF show."""
    today = timezone.localdate()
    roles = plan.contact_roles if plan is not None else list(contacts.DEFAULT_ROLES)
    # Who holds the roles is shown only to those who may view the roles (sensitive data).
    people = permissions.can(
        request.user,  # type: ignore[arg-type]
        Action.VIEW_ROLES,
        municipality=municipality,
    )
    tree = contacts.build_tree(municipality, roles, today, with_people=people)
    extra = []
    if plan is not None:
        extra = [
            {**c, "category_label": str(CONTACT_CATEGORIES.get(c["category"], c["category"]))}
            for c in plan.extra_contacts
        ]
    steps = []
    if plan is not None:
        steps = [
            (_("Contact (連絡)"), plan.steps_contact),
            (_("Evidence preservation (証拠保全)"), plan.steps_evidence),
            (_("Preventing the damage from spreading (被害拡大の防止)"), plan.steps_containment),
            (_("Recovery (復旧)"), plan.steps_recovery),
        ]
    user = request.user
    return {
        "municipality": municipality,
        "plan": plan,
        "tree": tree,
        "extra_contacts": extra,
        "steps": steps,
        "today": today,
        "review_state": services.review_state(plan, today) if plan is not None else "",
        "org_changes": (
            services.org_changes(plan, today, with_people=people) if plan is not None else []
        ),
        "bcp_is_link": bool(plan and is_link(plan.bcp_location)),
        "can_manage": permissions.can(
            user,  # type: ignore[arg-type]
            Action.MANAGE_EMERGENCY_PLAN,
            municipality=municipality,
        ),
        "can_approve": bool(
            plan is not None
            and plan.is_draft
            and services.approval_capacity(user, municipality.pk) is not None  # type: ignore[arg-type]
        ),
        "draft": services.draft_of(municipality),
    }


@login_required
@require_GET
def plan_detail(request: HttpRequest) -> HttpResponse:
    """The plan in force (or the draft while none was approved), with today's contact tree."""
    municipality = municipality_for(request)
    plan = services.shown_plan(municipality)
    return render(
        request, "incident_plan/plan_detail.html", plan_context(request, municipality, plan)
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest) -> HttpResponse:
    """Edit the draft (a new draft starts from the plan in force)."""
    municipality = municipality_for(request, Action.MANAGE_EMERGENCY_PLAN)
    labels = request_role_labels(request)
    base = services.draft_of(municipality) or services.current_plan(municipality)
    if request.method == "POST":
        form = PlanForm(request.POST, role_labels=labels)
        if form.is_valid():
            try:
                plan = services.save_draft(
                    request.user,  # type: ignore[arg-type]
                    municipality,
                    **form.service_data(),
                )
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(
                    request,
                    _(
                        "Draft version %(version)d saved. The CISO or the committee chair "
                        "approves it."
                    )
                    % {"version": plan.version},
                )
                return redirect("plan:version_detail", pk=plan.pk)
    else:
        form = PlanForm(
            initial=PlanForm.initial_from(base, timezone.localdate()), role_labels=labels
        )
    return render(
        request,
        "incident_plan/plan_form.html",
        {"form": form, "base": base, "municipality": municipality},
    )


@login_required
@require_GET
def version_list(request: HttpRequest) -> HttpResponse:
    """Every version of the plan, newest first."""
    municipality = municipality_for(request)
    versions = _versions(request, municipality).select_related("approved_by__person")
    return render(
        request,
        "incident_plan/version_list.html",
        {"versions": versions, "municipality": municipality},
    )


@login_required
@require_GET
def version_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One version, with today's contact tree for its roles."""
    municipality = municipality_for(request)
    plan = get_object_or_404(_versions(request, municipality), pk=pk)
    context = plan_context(request, municipality, plan)
    context["version_page"] = True
    return render(request, "incident_plan/plan_detail.html", context)


@login_required
@require_POST
def version_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve a draft (the CISO or the committee chair; 403 for anyone else)."""
    municipality = municipality_for(request)
    plan = get_object_or_404(_versions(request, municipality), pk=pk)
    if services.approval_capacity(request.user, municipality.pk) is None:  # type: ignore[arg-type]
        raise PermissionDenied
    try:
        services.approve_plan(request.user, plan)  # type: ignore[arg-type]
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("plan:version_detail", pk=plan.pk)
    messages.success(
        request, _("Version %(version)d approved: it is now in force.") % {"version": plan.version}
    )
    return redirect("plan:plan_detail")


@login_required
@require_GET
def plan_pdf(request: HttpRequest) -> HttpResponse:
    """The plan as a PDF to print and keep at hand for when the systems are down."""
    municipality = municipality_for(request)
    plan = services.shown_plan(municipality)
    try:
        pdf = plan_pdf_bytes(request, municipality, plan)
    except PdfUnavailable as exc:
        return render(
            request, "incident_plan/pdf_unavailable.html", {"message": str(exc)}, status=503
        )
    response = HttpResponse(pdf, content_type=PDF_TYPE)
    version = plan.version if plan is not None else 0
    response["Content-Disposition"] = (
        f'attachment; filename="emergency-plan-{municipality.code}-v{version}.pdf"'
    )
    return response


def plan_pdf_bytes(
    request: HttpRequest, municipality: Municipality, plan: EmergencyResponsePlan | None
) -> bytes:
    """Render the plan's PDF (raises ``PdfUnavailable``)."""
    context = plan_context(request, municipality, plan)
    context["printed_at"] = timezone.localtime()
    return render_pdf("incident_plan/plan_pdf.html", context)
