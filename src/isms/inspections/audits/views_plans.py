"""Pages of the 監査実施計画 (``/audits/``): the plans by fiscal year, a plan with its audits,
the plan's form, the committee's approval or return, the audits of a plan with their items, and
their auditors (with the CISO's recorded exception when an auditor belongs to the audited unit).

Views parse input, ask ``visibility`` and ``permissions`` and render; writes go through
``services``. A record out of sight is a 404; an action the user may not take is a 403; bad
input re-renders the form or comes back to the plan with the messages (never a 500).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from isms.core import permissions
from isms.core import services as core_services
from isms.core.calendar import wareki_fiscal_year
from isms.core.models import Municipality, SoDWaiver, User
from isms.core.permissions import Action, SeparationOfDutiesError

from . import services, visibility
from .forms_plans import ApproveForm, AuditForm, AuditorForm, PlanForm, ReturnPlanForm
from .models import Audit, AuditAuditor, AuditPlan

SOD_AUDITOR = "sod_auditor_auditee"


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def municipality_for(request: HttpRequest, action: Action) -> Municipality:
    """The municipality worked in, if the user may do ``action`` there (else 403)."""
    municipality: Municipality | None = request.municipality  # type: ignore[attr-defined]
    if municipality is None or not permissions.can(request.user, action, municipality=municipality):
        raise PermissionDenied
    return municipality


def _plan(request: HttpRequest, pk: int) -> AuditPlan:
    municipality = municipality_for(request, Action.VIEW_AUDITS)
    qs = visibility.visible_plans(_user(request)).filter(municipality=municipality)
    return get_object_or_404(qs.select_related("standard", "approved_by", "prepared_by"), pk=pk)


def _audit(request: HttpRequest, pk: int) -> Audit:
    municipality = municipality_for(request, Action.VIEW_AUDITS)
    qs = visibility.visible_audits(_user(request)).filter(plan__municipality=municipality)
    return get_object_or_404(qs.select_related("plan__standard", "org_unit", "system"), pk=pk)


def _refused(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _to_plan(plan_id: int) -> HttpResponse:
    return redirect("audits:plan_detail", pk=plan_id)


# --- plans ------------------------------------------------------------------------------------


@login_required
@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    municipality = municipality_for(request, Action.VIEW_AUDITS)
    plans = (
        visibility.visible_plans(user)
        .filter(municipality=municipality)
        .annotate(audit_count=Count("audits"))
        .order_by("-fiscal_year", "-pk")
    )
    years: list[dict[str, Any]] = []
    for plan in plans:
        if not years or years[-1]["fiscal_year"] != plan.fiscal_year:
            years.append(
                {
                    "fiscal_year": plan.fiscal_year,
                    "label": wareki_fiscal_year(plan.fiscal_year),
                    "plans": [],
                }
            )
        years[-1]["plans"].append(plan)
    return render(
        request,
        "audits/plan_list.html",
        {
            "years": years,
            "can_manage": permissions.can(user, Action.MANAGE_AUDITS, municipality=municipality),
        },
    )


@login_required
def plan_create(request: HttpRequest) -> HttpResponse:
    municipality = municipality_for(request, Action.MANAGE_AUDITS)
    form = PlanForm(
        request.POST or None,
        initial={"fiscal_year": int(request.fiscal_year)},  # type: ignore[attr-defined]
    )
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.create_plan(_user(request), municipality, **form.service_data())
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Audit plan drawn up. Add its audits."))
            return _to_plan(plan.pk)
    return render(request, "audits/plan_form.html", {"form": form, "plan": None})


@login_required
@require_GET
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    plan = _plan(request, pk)
    audits = (
        # Only the audits the user may see: a unit's managers see their units' audits only.
        visibility.visible_audits(user)
        .filter(plan=plan)
        .select_related("org_unit", "system")
        .annotate(
            item_count=Count("items", distinct=True),
            finding_count=Count("findings", distinct=True),
        )
        .prefetch_related(
            Prefetch(
                "auditors",
                queryset=AuditAuditor.objects.select_related("person__org_unit"),
            )
        )
        .order_by("sequence")
    )
    draft = plan.status == AuditPlan.Status.DRAFT
    can_manage = permissions.can(user, Action.MANAGE_AUDITS, plan)
    can_approve = permissions.can(user, Action.APPROVE_AUDIT_PLANS, plan)
    return render(
        request,
        "audits/plan_detail.html",
        {
            "plan": plan,
            "fiscal_year_label": wareki_fiscal_year(plan.fiscal_year),
            "audits": audits,
            "can_edit": can_manage and draft,
            "can_close": can_manage and plan.status == AuditPlan.Status.APPROVED,
            "can_decide": can_approve and plan.status == AuditPlan.Status.SUBMITTED,
            "can_report": permissions.can(user, Action.VIEW_ALL_AUDITS, plan),
            "approve_form": ApproveForm(),
            "return_form": ReturnPlanForm(),
        },
    )


@login_required
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    permissions.require(_user(request), Action.MANAGE_AUDITS, plan)
    if request.method != "POST" and plan.status != AuditPlan.Status.DRAFT:
        messages.error(
            request,
            _("The plan is %(status)s: only a draft is changed.")
            % {"status": plan.get_status_display()},
        )
        return _to_plan(plan.pk)
    form = PlanForm(
        request.POST or None,
        initial={"fiscal_year": plan.fiscal_year, "title": plan.title, "objective": plan.objective},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_plan(_user(request), plan, **form.service_data())
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Audit plan saved."))
            return _to_plan(plan.pk)
    return render(request, "audits/plan_form.html", {"form": form, "plan": plan})


@login_required
@require_POST
def plan_submit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    permissions.require(_user(request), Action.MANAGE_AUDITS, plan)
    try:
        services.submit_plan(_user(request), plan)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Audit plan submitted to the information security committee."))
    return _to_plan(plan.pk)


@login_required
@require_POST
def plan_approve(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    permissions.require(_user(request), Action.APPROVE_AUDIT_PLANS, plan)
    form = ApproveForm(request.POST)
    reference = form.cleaned_data["approval_reference"] if form.is_valid() else ""
    try:
        services.approve_plan(_user(request), plan, reference=reference)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Audit plan approved: the audits may begin."))
    return _to_plan(plan.pk)


@login_required
@require_POST
def plan_return(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    permissions.require(_user(request), Action.APPROVE_AUDIT_PLANS, plan)
    form = ReturnPlanForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.return_plan(_user(request), plan, reason=reason)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Audit plan returned to its preparer."))
    return _to_plan(plan.pk)


@login_required
@require_POST
def plan_close(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    permissions.require(_user(request), Action.MANAGE_AUDITS, plan)
    try:
        services.close_plan(_user(request), plan)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Audit plan closed."))
    return _to_plan(plan.pk)


# --- audits of a plan -------------------------------------------------------------------------


@login_required
def audit_create(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    permissions.require(_user(request), Action.MANAGE_AUDITS, plan)
    form = AuditForm(
        request.POST or None,
        municipality=plan.municipality,
        standard=plan.standard,
        with_items=True,
        initial={"kind": Audit.Kind.INTERNAL},
    )
    if request.method == "POST" and form.is_valid():
        try:
            audit = services.add_audit(_user(request), plan, **form.service_data())
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request,
                _("Audit %(ref)s added with %(n)s audit items. Name its auditors.")
                % {"ref": audit.reference, "n": audit.items.count()},
            )
            return _to_plan(plan.pk)
    return render(request, "audits/audit_form.html", {"form": form, "plan": plan, "audit": None})


@login_required
def audit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    audit = _audit(request, pk)
    plan = audit.plan
    permissions.require(_user(request), Action.MANAGE_AUDITS, audit)
    initial = {
        "title": audit.title,
        "kind": audit.kind,
        "org_unit": audit.org_unit_id,
        "system": audit.system_id,
        "contractor": audit.contractor,
        "external_firm": audit.external_firm,
        "starts_on": audit.starts_on,
        "ends_on": audit.ends_on,
    }
    form = AuditForm(
        request.POST or None,
        municipality=plan.municipality,
        standard=plan.standard,
        with_items=False,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_audit(_user(request), audit, **form.service_data())
        except ValidationError as exc:
            form.add_service_error(exc)
            audit.refresh_from_db()
        else:
            messages.success(request, _("Audit %(ref)s saved.") % {"ref": audit.reference})
            return _to_plan(plan.pk)
    return render(request, "audits/audit_form.html", {"form": form, "plan": plan, "audit": audit})


@login_required
@require_POST
def audit_delete(request: HttpRequest, pk: int) -> HttpResponse:
    audit = _audit(request, pk)
    permissions.require(_user(request), Action.MANAGE_AUDITS, audit)
    reference, plan_id = audit.reference, audit.plan_id
    try:
        services.remove_audit(_user(request), audit)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Audit %(ref)s taken out of the plan.") % {"ref": reference})
    return _to_plan(plan_id)


# --- auditors ---------------------------------------------------------------------------------


def _independence_refusal(audit: Audit, person: Any) -> SeparationOfDutiesError | None:
    """The refusal an auditor who belongs to the audited unit gets (None: independent)."""
    try:
        services.check_independence(person, audit)
    except SeparationOfDutiesError as exc:
        return exc
    return None


@login_required
def auditor_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    audit = _audit(request, pk)
    permissions.require(user, Action.MANAGE_AUDITS, audit)
    municipality = audit.plan.municipality
    posted = request.POST if request.method == "POST" else None
    # The exception's field appears once the auditor chosen is refused for independence, to
    # those who may record it.
    offer_waiver = False
    sod_message = ""
    form = AuditorForm(posted, municipality=municipality, offer_waiver=True)
    if posted is not None and form.is_valid():
        person = form.cleaned_data["person"]
        reason = (form.cleaned_data.get("reason") or "").strip()
        may_waive = permissions.can(user, Action.GRANT_SOD_WAIVER, person)
        refusal = _independence_refusal(audit, person)
        try:
            if refusal is not None and reason and may_waive:
                with transaction.atomic():
                    core_services.grant_sod_waiver(
                        user,
                        person,
                        kind=SoDWaiver.Kind.AUDITOR_AUDITEE,
                        subject=f"audit:{audit.pk}",
                        reason=reason,
                    )
                    services.assign_auditor(
                        user, audit, person, is_lead=form.cleaned_data["is_lead"]
                    )
            else:
                services.assign_auditor(user, audit, person, is_lead=form.cleaned_data["is_lead"])
        except SeparationOfDutiesError as exc:
            if getattr(exc, "code", None) == SOD_AUDITOR or refusal is not None:
                sod_message = " ".join(exc.messages)
                offer_waiver = may_waive
                if reason and not may_waive:
                    form.add_error(None, _("Only the CISO may record an exception to 兼務の禁止."))
            else:
                form.add_service_error(exc)
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            if refusal is not None:
                messages.success(
                    request,
                    _("%(person)s named an auditor of %(ref)s, with the exception recorded.")
                    % {"person": person, "ref": audit.reference},
                )
            else:
                messages.success(
                    request,
                    _("%(person)s named an auditor of %(ref)s.")
                    % {"person": person, "ref": audit.reference},
                )
            return _to_plan(audit.plan_id)
    if not offer_waiver and "reason" in form.fields:
        del form.fields["reason"]
    return render(
        request,
        "audits/auditor_form.html",
        {
            "form": form,
            "audit": audit,
            "plan": audit.plan,
            "sod_message": sod_message,
            "offer_waiver": offer_waiver,
            "auditors": audit.auditors.select_related("person__org_unit"),
        },
    )


@login_required
@require_POST
def auditor_remove(request: HttpRequest, pk: int) -> HttpResponse:
    municipality = municipality_for(request, Action.VIEW_AUDITS)
    audits = visibility.visible_audits(_user(request)).filter(plan__municipality=municipality)
    auditor = get_object_or_404(
        AuditAuditor.objects.select_related("audit__plan", "person").filter(audit__in=audits),
        pk=pk,
    )
    permissions.require(_user(request), Action.MANAGE_AUDITS, auditor.audit)
    try:
        services.remove_auditor(_user(request), auditor)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _("%(person)s is no longer an auditor of %(ref)s.")
            % {"person": auditor.person, "ref": auditor.audit.reference},
        )
    return _to_plan(auditor.audit.plan_id)
