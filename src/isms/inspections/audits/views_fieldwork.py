"""Pages of the audit fieldwork (監査調書, 監査証拠, item results, the audit's close), the
findings (指摘事項) and their corrective actions (是正処置).

Views parse input, ask ``visibility`` and ``permissions`` and render; writes go through
``services`` (and ``isms.inspections.services.progress_action`` for the owner's progress). A
record out of sight is a 404; an action the user may not take is a 403; bad input re-renders the
page with the service's messages (never a 500).
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from isms.core import journal, permissions
from isms.core.models import Municipality, User
from isms.core.permissions import Action
from isms.inspections import services as inspection_services
from isms.inspections.models import CorrectiveAction
from isms.inspections.visibility import person_of

from . import services, visibility
from .forms_fieldwork import (
    ActionForm,
    AssessForm,
    CloseAuditForm,
    CloseFindingForm,
    FindingFilterForm,
    FindingForm,
    ProgressForm,
    RejectForm,
    TargetedForm,
    VerifyForm,
    WorkpaperForm,
)
from .models import Audit, AuditEvidence, AuditItem, AuditPlan, AuditWorkpaper, Finding

NOT_CLOSED = ~Q(status=CorrectiveAction.Status.CLOSED)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _municipality(request: HttpRequest) -> Municipality:
    """The municipality worked in, if the user may see its audits (else 403)."""
    municipality: Municipality | None = request.municipality  # type: ignore[attr-defined]
    if municipality is None or not permissions.can(
        _user(request), Action.VIEW_AUDITS, municipality=municipality
    ):
        raise PermissionDenied
    return municipality


def _refused(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _hidden_errors(request: HttpRequest, *pairs: tuple[Any, bool]) -> None:
    """The errors of bound forms the page will not show (the record changed state, e.g. the
    audit closed meanwhile) become messages above the page."""
    for form, shown in pairs:
        if form is None or shown or not form.is_bound or not form.errors:
            continue
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)


def _may_perform(user: User, audit: Audit) -> bool:
    """The user is an auditor of ``audit`` holding an auditor role (who records fieldwork)."""
    return permissions.can(user, Action.PERFORM_AUDITS, audit) and services.is_auditor_of(
        user, audit
    )


def _require_auditor(request: HttpRequest, audit: Audit) -> None:
    """403 unless the user is one of the audit's own auditors."""
    user = _user(request)
    permissions.require(user, Action.PERFORM_AUDITS, audit)
    if not services.is_auditor_of(user, audit):
        raise PermissionDenied(_("Only the auditors named for this audit record its fieldwork."))


def _open_for_fieldwork(audit: Audit) -> bool:
    return bool(
        audit.status != Audit.Status.CLOSED and audit.plan.status == AuditPlan.Status.APPROVED
    )


# --- lookups (404 out of sight) --------------------------------------------------------------


def _audits(request: HttpRequest) -> QuerySet[Audit]:
    municipality = _municipality(request)
    return visibility.visible_audits(_user(request)).filter(plan__municipality=municipality)


def _audit(request: HttpRequest, pk: int) -> Audit:
    return get_object_or_404(_audits(request).select_related("plan", "org_unit", "system"), pk=pk)


def _item(request: HttpRequest, pk: int) -> AuditItem:
    return get_object_or_404(
        AuditItem.objects.filter(audit__in=_audits(request)).select_related(
            "audit__plan", "audit__org_unit", "control", "assessed_by"
        ),
        pk=pk,
    )


def _workpaper(request: HttpRequest, pk: int) -> AuditWorkpaper:
    return get_object_or_404(
        AuditWorkpaper.objects.filter(item__audit__in=_audits(request)).select_related(
            "item__audit__plan", "item__audit__org_unit"
        ),
        pk=pk,
    )


def _findings(request: HttpRequest) -> QuerySet[Finding]:
    municipality = _municipality(request)
    return visibility.visible_findings(_user(request)).filter(
        audit__plan__municipality=municipality
    )


def _finding(request: HttpRequest, pk: int) -> Finding:
    return get_object_or_404(
        _findings(request).select_related(
            "audit__plan",
            "audit__org_unit",
            "item",
            "control",
            "org_unit",
            "recorded_by",
            "closed_by",
            "targeted_inspection",
        ),
        pk=pk,
    )


def _actions(request: HttpRequest) -> QuerySet[CorrectiveAction]:
    municipality = _municipality(request)
    return visibility.visible_actions(_user(request)).filter(municipality=municipality)


def _action(request: HttpRequest, pk: int) -> CorrectiveAction:
    return get_object_or_404(
        _actions(request).select_related("finding__audit__plan", "owner"), pk=pk
    )


# --- the audit --------------------------------------------------------------------------------

RESULT_ORDER = [
    AuditItem.Result.CONFORMING,
    AuditItem.Result.PARTIAL,
    AuditItem.Result.NONCONFORMING,
    AuditItem.Result.NOT_APPLICABLE,
    AuditItem.Result.PENDING,
]


def _audit_page(
    request: HttpRequest, audit: Audit, close_form: CloseAuditForm | None = None
) -> HttpResponse:
    user = _user(request)
    items = list(
        audit.items.annotate(
            workpaper_count=Count("workpapers", distinct=True),
            evidence_count=Count("workpapers__evidence", distinct=True),
        ).order_by("chapter", "position", "pk")
    )
    chapters: dict[int, list[AuditItem]] = {}
    for item in items:
        chapters.setdefault(item.chapter, []).append(item)
    counted = Counter(item.result for item in items)
    labels = dict(AuditItem.Result.choices)
    findings = (
        visibility.visible_findings(user)
        .filter(audit=audit)
        .select_related("org_unit", "control")
        .order_by("sequence")
    )
    is_auditor = _may_perform(user, audit)
    _hidden_errors(request, (close_form, is_auditor and _open_for_fieldwork(audit)))
    return render(
        request,
        "audits/audit_detail.html",
        {
            "audit": audit,
            "auditors": audit.auditors.select_related("person"),
            "chapters": sorted(chapters.items()),
            "result_counts": [(labels[r], counted.get(r, 0), r) for r in RESULT_ORDER],
            "item_total": len(items),
            "findings": findings,
            "is_auditor": is_auditor,
            "can_fieldwork": is_auditor and _open_for_fieldwork(audit),
            "close_form": close_form or CloseAuditForm(initial={"opinion": audit.opinion}),
        },
    )


@login_required
@require_GET
def audit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _audit_page(request, _audit(request, pk))


@login_required
@require_POST
def audit_close(request: HttpRequest, pk: int) -> HttpResponse:
    audit = _audit(request, pk)
    _require_auditor(request, audit)
    form = CloseAuditForm(request.POST)
    if form.is_valid():
        try:
            services.close_audit(_user(request), audit, opinion=form.cleaned_data["opinion"])
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Audit closed with its opinion."))
            return redirect("audits:audit_detail", pk=audit.pk)
    audit.refresh_from_db()
    return _audit_page(request, audit, close_form=form)


# --- items, working papers and evidence ---------------------------------------------------------


def _item_page(
    request: HttpRequest,
    item: AuditItem,
    *,
    workpaper_form: WorkpaperForm | None = None,
    assess_form: AssessForm | None = None,
    status: int = 200,
) -> HttpResponse:
    audit = item.audit
    can_fieldwork = _may_perform(_user(request), audit) and _open_for_fieldwork(audit)
    workpapers = item.workpapers.select_related("prepared_by").prefetch_related("evidence")
    _hidden_errors(request, (workpaper_form, can_fieldwork), (assess_form, can_fieldwork))
    return render(
        request,
        "audits/item_detail.html",
        {
            "item": item,
            "audit": audit,
            "workpapers": workpapers,
            "can_fieldwork": can_fieldwork,
            "workpaper_form": workpaper_form or WorkpaperForm(),
            "assess_form": assess_form
            or AssessForm(
                initial={
                    "result": "" if item.result == AuditItem.Result.PENDING else item.result,
                    "result_note": item.result_note,
                }
            ),
            "max_mb": inspection_services.evidence_max_bytes() // 1048576,
        },
        status=status,
    )


@login_required
@require_GET
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _item_page(request, _item(request, pk))


@login_required
@require_POST
def item_assess(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    _require_auditor(request, item.audit)
    form = AssessForm(request.POST)
    if form.is_valid():
        try:
            services.assess_item(
                _user(request),
                item,
                result=form.cleaned_data["result"],
                note=form.cleaned_data.get("result_note", ""),
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Result recorded."))
            return redirect("audits:item_detail", pk=item.pk)
    item.refresh_from_db()
    return _item_page(request, item, assess_form=form)


@login_required
@require_POST
def workpaper_create(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    _require_auditor(request, item.audit)
    form = WorkpaperForm(request.POST)
    if form.is_valid():
        try:
            services.add_workpaper(_user(request), item, **form.service_data())
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Working paper recorded."))
            return redirect("audits:item_detail", pk=item.pk)
    return _item_page(request, item, workpaper_form=form)


@login_required
def workpaper_edit(request: HttpRequest, pk: int) -> HttpResponse:
    paper = _workpaper(request, pk)
    audit = paper.item.audit
    _require_auditor(request, audit)
    form = WorkpaperForm(
        request.POST or None,
        initial={
            "kind": paper.kind,
            "performed_on": paper.performed_on,
            "interviewee": paper.interviewee,
            "notes": paper.notes,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_workpaper(_user(request), paper, **form.service_data())
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Working paper updated."))
            return redirect("audits:item_detail", pk=paper.item_id)
    return render(
        request,
        "audits/workpaper_form.html",
        {"form": form, "paper": paper, "item": paper.item, "audit": audit},
    )


def _read_upload(upload: UploadedFile[Any]) -> bytes:
    """The upload's bytes, never reading more than the limit and one byte (the service then
    refuses a file over the limit with its size message)."""
    limit = inspection_services.evidence_max_bytes()
    if upload.size is not None and upload.size > limit:
        raise ValidationError({"file": inspection_services.too_large_message(upload.size)})
    return bytes(upload.read(limit + 1))


@login_required
@require_POST
def evidence_upload(request: HttpRequest, pk: int) -> HttpResponse:
    paper = _workpaper(request, pk)
    item = paper.item
    _require_auditor(request, item.audit)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise ValidationError({"file": _("Choose the evidence file to attach.")})
        services.add_evidence(
            _user(request), paper, name=upload.name or "", data=_read_upload(upload)
        )
    except ValidationError as exc:
        _refused(request, exc)
        item.audit.refresh_from_db()
        return _item_page(request, item)
    messages.success(request, _("Evidence file attached."))
    return redirect("audits:item_detail", pk=item.pk)


@login_required
@require_GET
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    evidence = get_object_or_404(
        AuditEvidence.objects.filter(workpaper__item__audit__in=_audits(request)).select_related(
            "workpaper__item__audit__plan"
        ),
        pk=pk,
    )
    path = services.evidence_path(evidence)
    if not path.is_file():
        raise Http404
    journal.record_read(
        actor=_user(request),
        obj=evidence,
        action="audit_evidence.read",
        municipality=evidence.workpaper.item.audit.plan.municipality_id,
    )
    response = FileResponse(path.open("rb"), content_type="application/octet-stream")
    response["Content-Disposition"] = (
        f"attachment; filename*=UTF-8''{quote(services.download_name(evidence))}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- findings ---------------------------------------------------------------------------------


@login_required
@require_GET
def finding_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = FindingFilterForm(request.GET or None)
    findings = _findings(request).annotate(
        open_actions=Count("corrective_actions", filter=NOT_CLOSED, distinct=True),
        overdue_actions=Count(
            "corrective_actions",
            filter=NOT_CLOSED & Q(corrective_actions__due_date__lt=today),
            distinct=True,
        ),
    )
    if form.is_valid():
        data = form.cleaned_data
        if data.get("status"):
            findings = findings.filter(status=data["status"])
        if data.get("severity"):
            findings = findings.filter(severity=data["severity"])
        if data.get("overdue"):
            findings = findings.filter(overdue_actions__gt=0)
        if data.get("fiscal_year"):
            findings = findings.filter(audit__plan__fiscal_year=data["fiscal_year"])
    findings = findings.select_related("audit__plan", "org_unit", "control").order_by(
        "-audit__plan__fiscal_year", "audit__plan_id", "audit__sequence", "sequence"
    )[:500]
    return render(request, "audits/finding_list.html", {"findings": findings, "form": form})


@login_required
def finding_create(request: HttpRequest, pk: int) -> HttpResponse:
    audit = _audit(request, pk)
    _require_auditor(request, audit)
    initial: dict[str, Any] = {}
    raw_item = request.GET.get("item", "")
    if raw_item.isascii() and raw_item.isdigit() and len(raw_item) < 12:
        initial["item"] = audit.items.filter(pk=int(raw_item)).first()
    form = FindingForm(request.POST or None, audit=audit, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            finding = services.record_finding(
                _user(request), audit, item=form.cleaned_data.get("item"), **form.service_data()
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Finding recorded; the unit's managers are told."))
            return redirect("audits:finding_detail", pk=finding.pk)
    return render(request, "audits/finding_form.html", {"form": form, "audit": audit})


def _finding_page(
    request: HttpRequest,
    finding: Finding,
    *,
    action_form: ActionForm | None = None,
    close_form: CloseFindingForm | None = None,
    targeted_form: TargetedForm | None = None,
) -> HttpResponse:
    user = _user(request)
    municipality = finding.audit.plan.municipality
    is_open = finding.status == Finding.Status.OPEN
    try:
        services.respond_capacity(user, finding)
    except PermissionDenied:
        can_respond = False
    else:
        can_respond = is_open
    is_auditor = _may_perform(user, finding.audit)
    can_target = (
        is_open
        and finding.targeted_inspection_id is None
        and permissions.can(user, Action.MANAGE_INSPECTIONS, municipality=municipality)
        and permissions.can(user, Action.VIEW_ALL_AUDITS, municipality=municipality)
    )
    _hidden_errors(
        request,
        (action_form, can_respond),
        (close_form, is_auditor and is_open),
        (targeted_form, can_target),
    )
    person = person_of(user)
    today = timezone.localdate()
    actions = list(finding.corrective_actions.select_related("owner", "verified_by"))
    for a in actions:
        a.is_mine = person is not None and a.owner_id == person.pk
        a.is_overdue = a.status != CorrectiveAction.Status.CLOSED and a.due_date < today
    return render(
        request,
        "audits/finding_detail.html",
        {
            "finding": finding,
            "actions": actions,
            # An action's owner sees the finding, not the audit's working papers.
            "audit_visible": visibility.visible_audits(_user(request))
            .filter(pk=finding.audit_id)
            .exists(),
            "is_open": is_open,
            "can_edit": is_auditor and is_open and _open_for_fieldwork(finding.audit),
            "can_respond": can_respond,
            "is_auditor": is_auditor,
            "can_target": can_target,
            "action_form": action_form or ActionForm(municipality=municipality),
            "close_form": close_form or CloseFindingForm(),
            "targeted_form": targeted_form or TargetedForm(municipality=municipality),
        },
    )


@login_required
@require_GET
def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _finding_page(request, _finding(request, pk))


@login_required
def finding_edit(request: HttpRequest, pk: int) -> HttpResponse:
    finding = _finding(request, pk)
    audit = finding.audit
    _require_auditor(request, audit)
    form = FindingForm(
        request.POST or None,
        audit=audit,
        editing=True,
        initial={
            "severity": finding.severity,
            "title": finding.title,
            "description": finding.description,
            "recommendation": finding.recommendation,
            "item": finding.item,
            "org_unit": finding.org_unit,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_finding(_user(request), finding, **form.service_data())
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Finding updated."))
            return redirect("audits:finding_detail", pk=finding.pk)
    return render(
        request, "audits/finding_form.html", {"form": form, "audit": audit, "finding": finding}
    )


@login_required
@require_POST
def finding_close(request: HttpRequest, pk: int) -> HttpResponse:
    finding = _finding(request, pk)
    _require_auditor(request, finding.audit)
    form = CloseFindingForm(request.POST)
    if form.is_valid():
        try:
            services.close_finding(_user(request), finding, note=form.cleaned_data.get("note", ""))
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Finding closed."))
            return redirect("audits:finding_detail", pk=finding.pk)
    finding.refresh_from_db()
    return _finding_page(request, finding, close_form=form)


@login_required
@require_POST
def finding_targeted(request: HttpRequest, pk: int) -> HttpResponse:
    finding = _finding(request, pk)
    municipality = finding.audit.plan.municipality
    user = _user(request)
    permissions.require(user, Action.MANAGE_INSPECTIONS, municipality=municipality)
    permissions.require(user, Action.VIEW_ALL_AUDITS, municipality=municipality)
    form = TargetedForm(request.POST, municipality=municipality)
    if form.is_valid():
        try:
            campaign = services.request_targeted_inspection(
                user,
                finding,
                units=list(form.cleaned_data["units"]),
                answer_business_days=form.cleaned_data["answer_business_days"],
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request,
                _("Targeted self-inspection opened: %(title)s.") % {"title": campaign.title},
            )
            return redirect("audits:finding_detail", pk=finding.pk)
    finding.refresh_from_db()
    return _finding_page(request, finding, targeted_form=form)


# --- corrective actions -----------------------------------------------------------------------


@login_required
@require_POST
def action_create(request: HttpRequest, pk: int) -> HttpResponse:
    finding = _finding(request, pk)
    user = _user(request)
    services.respond_capacity(user, finding)  # 403 for who does not answer this unit
    form = ActionForm(request.POST, municipality=finding.audit.plan.municipality)
    if form.is_valid():
        try:
            services.add_action(user, finding, **form.service_data())
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Corrective action added; its owner is told."))
            return redirect("audits:finding_detail", pk=finding.pk)
    finding.refresh_from_db()
    return _finding_page(request, finding, action_form=form)


@login_required
@require_GET
def action_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    person = person_of(user)
    today = timezone.localdate()
    mine = request.GET.get("mine") == "1"
    actions = _actions(request)
    if mine:
        actions = actions.filter(owner=person) if person is not None else actions.none()
    rows = list(
        actions.select_related("owner", "org_unit", "finding__audit__plan").order_by(
            "status", "due_date", "pk"
        )[:500]
    )
    for a in rows:
        a.is_mine = person is not None and a.owner_id == person.pk  # type: ignore[attr-defined]
        a.is_overdue = a.status != CorrectiveAction.Status.CLOSED and a.due_date < today  # type: ignore[attr-defined]
    return render(
        request,
        "audits/action_list.html",
        {"actions": rows, "mine": mine},
    )


def _back(request: HttpRequest, action: CorrectiveAction) -> HttpResponse:
    """Back to the finding's page, or to the list the form was posted from."""
    if request.POST.get("back") == "list":
        return redirect(reverse("audits:action_list"))
    return redirect("audits:finding_detail", pk=action.finding_id)


@login_required
@require_POST
def action_progress(request: HttpRequest, pk: int) -> HttpResponse:
    action = _action(request, pk)
    form = ProgressForm(request.POST)
    form.is_valid()
    try:
        inspection_services.progress_action(
            _user(request),
            action,
            note=form.cleaned_data.get("note", ""),
            done=bool(form.cleaned_data.get("done")),
        )
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Progress recorded."))
    return _back(request, action)


@login_required
@require_POST
def action_verify(request: HttpRequest, pk: int) -> HttpResponse:
    action = _action(request, pk)
    assert action.finding is not None
    _require_auditor(request, action.finding.audit)
    form = VerifyForm(request.POST)
    form.is_valid()
    try:
        services.verify_action(_user(request), action, note=form.cleaned_data.get("note", ""))
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Corrective action verified and closed."))
    return _back(request, action)


@login_required
@require_POST
def action_reject(request: HttpRequest, pk: int) -> HttpResponse:
    action = _action(request, pk)
    assert action.finding is not None
    _require_auditor(request, action.finding.audit)
    form = RejectForm(request.POST)
    form.is_valid()
    try:
        services.reject_action(_user(request), action, reason=form.cleaned_data.get("reason", ""))
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Corrective action sent back to its owner."))
    return _back(request, action)
