"""Pages of the self-inspections (``/inspections/``): campaigns, assignment, the answer sheet
with evidence files, the approval queue, results with export and committee report, and the
improvement items.

Views parse input, ask ``visibility`` and ``permissions`` and render; writes go through
``services``. A record out of sight is a 404; an action the user may not take is a 403; bad
input re-renders the page with the messages (never a 500).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from isms.core import journal, permissions
from isms.core.calendar import wareki_fiscal_year
from isms.core.models import Municipality, Person, User
from isms.core.pdf import PdfUnavailable, render_pdf
from isms.core.permissions import Action

from . import io, results, services, visibility
from .forms import AssignForm, CampaignForm, ImprovementForm, ProgressForm, ReturnForm
from .models import (
    CorrectiveAction,
    InspectionAnswer,
    InspectionEvidence,
    InspectionItem,
    InspectionResponse,
    SelfInspection,
)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def municipality_for(request: HttpRequest, action: Action) -> Municipality:
    """The municipality worked in, if the user may do ``action`` there (else 403)."""
    municipality: Municipality | None = request.municipality  # type: ignore[attr-defined]
    if municipality is None or not permissions.can(request.user, action, municipality=municipality):
        raise PermissionDenied
    return municipality


def _campaign(request: HttpRequest, pk: int) -> SelfInspection:
    municipality = municipality_for(request, Action.VIEW_INSPECTIONS)
    return get_object_or_404(
        visibility.visible_campaigns(_user(request)).filter(municipality=municipality), pk=pk
    )


def _sheet(request: HttpRequest, pk: int) -> InspectionResponse:
    municipality = municipality_for(request, Action.VIEW_INSPECTIONS)
    qs = visibility.visible_responses(_user(request)).filter(campaign__municipality=municipality)
    return get_object_or_404(
        qs.select_related("campaign", "person", "org_unit", "bureau", "system"), pk=pk
    )


def _refused(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


# --- campaigns --------------------------------------------------------------------------------


@login_required
@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    municipality = municipality_for(request, Action.VIEW_INSPECTIONS)
    campaigns = visibility.visible_campaigns(user).filter(municipality=municipality)
    person = visibility.person_of(user)
    mine = (
        InspectionResponse.objects.filter(person=person, campaign__municipality=municipality)
        .exclude(campaign__status=SelfInspection.Status.DRAFT)
        .select_related("campaign", "system")
        .order_by("-campaign__fiscal_year", "campaign_id", "target_group")
        if person is not None
        else InspectionResponse.objects.none()
    )
    return render(
        request,
        "inspections/campaign_list.html",
        {
            "campaigns": campaigns,
            "mine": mine,
            "can_manage": permissions.can(
                user, Action.MANAGE_INSPECTIONS, municipality=municipality
            ),
            "can_approve": visibility.approvable_responses(user).exists(),
        },
    )


@login_required
def campaign_create(request: HttpRequest) -> HttpResponse:
    municipality = municipality_for(request, Action.MANAGE_INSPECTIONS)
    form = CampaignForm(request.POST or None, fiscal_year=int(request.fiscal_year))  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.create_campaign(_user(request), municipality, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Campaign set up with its questionnaires."))
            return redirect("inspections:campaign_detail", pk=campaign.pk)
    return render(request, "inspections/campaign_form.html", {"form": form})


@login_required
@require_GET
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    campaign = _campaign(request, pk)
    counts = dict(campaign.items.order_by().values_list("target_group").annotate(n=Count("pk")))
    can_manage = permissions.can(user, Action.MANAGE_INSPECTIONS, campaign)
    units = visibility.results_units(user, campaign)
    return render(
        request,
        "inspections/campaign_detail.html",
        {
            "campaign": campaign,
            "fiscal_year_label": wareki_fiscal_year(campaign.fiscal_year),
            "item_counts": counts,
            "can_manage": can_manage,
            "can_see_results": units is None or bool(units),
            "progress": results.progress_by_unit(campaign, units)
            if (units is None or units)
            else [],
        },
    )


def _status_change(request: HttpRequest, pk: int, *, open_it: bool) -> HttpResponse:
    campaign = _campaign(request, pk)
    permissions.require(request.user, Action.MANAGE_INSPECTIONS, campaign)  # type: ignore[arg-type]
    try:
        if open_it:
            services.open_campaign(_user(request), campaign)
        else:
            services.close_campaign(_user(request), campaign)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Campaign opened.") if open_it else _("Campaign closed."))
    return redirect("inspections:campaign_detail", pk=campaign.pk)


@login_required
@require_POST
def campaign_open(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_change(request, pk, open_it=True)


@login_required
@require_POST
def campaign_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_change(request, pk, open_it=False)


@login_required
def campaign_assign(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    permissions.require(request.user, Action.MANAGE_INSPECTIONS, campaign)  # type: ignore[arg-type]
    form = AssignForm(request.POST or None, municipality=campaign.municipality)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        skipped: list[str] = []
        try:
            created = services.assign(
                _user(request),
                campaign,
                target_group=data["target_group"],
                org_unit=data.get("org_unit"),
                person=data.get("person"),
                skipped=skipped,
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("%(n)s inspection sheets assigned.") % {"n": created})
            if skipped:
                messages.info(
                    request,
                    _("Abolished units left out (%(n)s): %(units)s.")
                    % {"n": len(skipped), "units": "、".join(skipped[:20])},
                )
            return redirect("inspections:campaign_detail", pk=campaign.pk)
    return render(request, "inspections/assign.html", {"form": form, "campaign": campaign})


# --- sheets -----------------------------------------------------------------------------------


def _rows(sheet: InspectionResponse) -> list[dict[str, Any]]:
    items = list(
        InspectionItem.objects.filter(
            campaign_id=sheet.campaign_id, target_group=sheet.target_group
        ).order_by("position", "pk")
    )
    answers = {
        a.item_id: a
        for a in InspectionAnswer.objects.filter(response=sheet).prefetch_related("evidence")
    }
    actions = {
        a.inspection_answer_id: a
        for a in CorrectiveAction.objects.filter(inspection_answer__response=sheet)
    }
    rows = []
    for item in items:
        answer = answers.get(item.pk)
        rows.append(
            {
                "item": item,
                "answer": answer,
                "value": answer.value if answer else "",
                "comment": answer.comment if answer else "",
                "evidence": list(answer.evidence.all()) if answer else [],
                "action": actions.get(answer.pk) if answer else None,
            }
        )
    return rows


def _posted_answers(request: HttpRequest, sheet: InspectionResponse) -> dict[int, tuple[str, str]]:
    ids = InspectionItem.objects.filter(
        campaign_id=sheet.campaign_id, target_group=sheet.target_group
    ).values_list("pk", flat=True)
    return {
        i: (request.POST.get(f"answer_{i}", ""), request.POST.get(f"comment_{i}", ""))
        for i in ids
        if f"answer_{i}" in request.POST or f"comment_{i}" in request.POST
    }


def _item(sheet: InspectionResponse, raw: str) -> InspectionItem | None:
    """The question ``raw`` (an id from the form) of the sheet's questionnaire, if it is one."""
    if not raw.isdigit() or len(raw) > 12:
        return None
    return InspectionItem.objects.filter(
        pk=int(raw), campaign_id=sheet.campaign_id, target_group=sheet.target_group
    ).first()


@login_required
def sheet_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    sheet = _sheet(request, pk)
    person = visibility.person_of(user)
    own = person is not None and person.pk == sheet.person_id
    editable = (
        own
        and sheet.is_editable
        and sheet.campaign.status == SelfInspection.Status.OPEN
        and permissions.can(user, Action.ANSWER_INSPECTIONS, sheet)
    )
    if request.method == "POST":
        _require_own(request, sheet)
        submit = "submit" in request.POST
        # Answers and files are saved in one transaction (all or nothing); the submission is
        # tried in a second one, so a refused submission keeps what was just saved.
        written: list[Path] = []
        saved = False
        try:
            with transaction.atomic():
                sheet = services.save_answers(
                    user, sheet, _posted_answers(request, sheet), submit=False
                )
                for key, upload in request.FILES.items():
                    if not key.startswith("evidence_"):
                        continue
                    item = _item(sheet, key.removeprefix("evidence_"))
                    if item is None:
                        raise ValidationError({"item": _("This question is not on the sheet.")})
                    evidence = services.add_evidence(
                        user, sheet, item, name=upload.name or "", data=_read_upload(upload)
                    )
                    written.append(services.evidence_path(evidence))
            saved = True
            if submit:
                sheet.refresh_from_db()
                services.submit(user, sheet)
        except ValidationError as exc:
            if not saved:
                # Rolled back: the files written for it have no row any more.
                for path in written:
                    path.unlink(missing_ok=True)
            _refused(request, exc)
            if saved:
                messages.info(
                    request,
                    _("Your answers were saved, but the sheet was not submitted."),
                )
            sheet.refresh_from_db()
        else:
            if submit:
                messages.success(request, _("Inspection sheet submitted for approval."))
            else:
                messages.success(request, _("Answers saved. You can come back and go on later."))
            return redirect("inspections:sheet_detail", pk=sheet.pk)
    decide = visibility.approval_capacity(user, sheet) is not None and not own
    return render(
        request,
        "inspections/sheet.html",
        {
            "sheet": sheet,
            "rows": _rows(sheet),
            "editable": editable,
            "choices": InspectionAnswer.Value.choices,
            "can_decide": decide and sheet.status == InspectionResponse.Status.SUBMITTED,
            "can_improve": decide,
            "return_form": ReturnForm(),
            "improvement_form": ImprovementForm(),
            "max_mb": services.evidence_max_bytes() // 1048576,
        },
    )


@login_required
@require_POST
def sheet_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = _sheet(request, pk)
    _require_own(request, sheet)
    upload = request.FILES.get("file")
    item = _item(sheet, request.POST.get("item", ""))
    try:
        if upload is None or item is None:
            raise ValidationError({"file": _("Choose a question and a file to attach.")})
        services.add_evidence(
            _user(request), sheet, item, name=upload.name or "", data=_read_upload(upload)
        )
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Evidence file attached."))
    return redirect("inspections:sheet_detail", pk=sheet.pk)


def _read_upload(upload: UploadedFile[Any]) -> bytes:
    """The upload's bytes, never reading more than the limit and one byte (the service then
    refuses a file over the limit with its size message)."""
    limit = services.evidence_max_bytes()
    if upload.size is not None and upload.size > limit:
        raise ValidationError({"file": services.too_large_message(upload.size)})
    return bytes(upload.read(limit + 1))


def _require_own(request: HttpRequest, sheet: InspectionResponse) -> None:
    """Only the person a sheet is assigned to answers it (403 for anyone else)."""
    user = _user(request)
    permissions.require(user, Action.ANSWER_INSPECTIONS, sheet)
    person = visibility.person_of(user)
    if person is None or person.pk != sheet.person_id:
        raise PermissionDenied


def _evidence(request: HttpRequest, pk: int) -> InspectionEvidence:
    municipality = municipality_for(request, Action.VIEW_INSPECTIONS)
    sheets = visibility.visible_responses(_user(request)).filter(
        campaign__municipality=municipality
    )
    return get_object_or_404(
        InspectionEvidence.objects.select_related("answer__response__campaign").filter(
            answer__response__in=sheets
        ),
        pk=pk,
    )


@login_required
@require_GET
def evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = _evidence(request, pk)
    path = services.evidence_path(evidence)
    if not path.is_file():
        raise Http404
    journal.record_read(actor=_user(request), obj=evidence.answer.response, action="evidence.read")
    response = FileResponse(path.open("rb"), content_type=evidence.content_type)
    response["Content-Disposition"] = (
        f"attachment; filename*=UTF-8''{quote(services.download_name(evidence))}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def evidence_delete(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = _evidence(request, pk)
    sheet_pk = evidence.answer.response_id
    try:
        services.delete_evidence(_user(request), evidence)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Evidence file removed."))
    return redirect("inspections:sheet_detail", pk=sheet_pk)


# --- approval ---------------------------------------------------------------------------------


@login_required
@require_GET
def approval_queue(request: HttpRequest) -> HttpResponse:
    municipality = municipality_for(request, Action.APPROVE_INSPECTIONS)
    sheets = (
        visibility.approvable_responses(_user(request))
        .filter(campaign__municipality=municipality, status=InspectionResponse.Status.SUBMITTED)
        .select_related("campaign", "person", "org_unit", "system")
        .order_by("submitted_at", "pk")[:500]
    )
    return render(request, "inspections/approvals.html", {"sheets": sheets})


def _decide(request: HttpRequest, pk: int, *, approve: bool) -> HttpResponse:
    sheet = _sheet(request, pk)
    if visibility.approval_capacity(_user(request), sheet) is None:
        raise PermissionDenied
    try:
        if approve:
            services.approve(_user(request), sheet)
        else:
            form = ReturnForm(request.POST)
            form.is_valid()
            services.return_sheet(_user(request), sheet, reason=form.cleaned_data.get("reason", ""))
    except ValidationError as exc:
        _refused(request, exc)
        return redirect("inspections:sheet_detail", pk=sheet.pk)
    messages.success(
        request, _("Inspection sheet approved.") if approve else _("Inspection sheet returned.")
    )
    return redirect("inspections:approval_queue")


@login_required
@require_POST
def sheet_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=True)


@login_required
@require_POST
def sheet_return(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=False)


# --- results ----------------------------------------------------------------------------------


def _results_scope(request: HttpRequest, pk: int) -> tuple[SelfInspection, set[int] | None]:
    campaign = _campaign(request, pk)
    units = visibility.results_units(_user(request), campaign)
    if units is not None and not units:
        raise PermissionDenied
    return campaign, units


@login_required
@require_GET
def campaign_results(request: HttpRequest, pk: int) -> HttpResponse:
    campaign, units = _results_scope(request, pk)
    return render(
        request,
        "inspections/results.html",
        {
            "campaign": campaign,
            "r": results.current_results(campaign, units),
            "fiscal_year_label": wareki_fiscal_year(campaign.fiscal_year),
            "whole": units is None,
        },
    )


@login_required
@require_GET
def campaign_export(request: HttpRequest, pk: int) -> HttpResponse:
    campaign, units = _results_scope(request, pk)
    body = io.results_xlsx(results.current_results(campaign, units))
    response = HttpResponse(body, content_type=XLSX_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="self-inspection-{campaign.fiscal_year}-{campaign.pk}.xlsx"'
    )
    return response


@login_required
@require_GET
def campaign_report(request: HttpRequest, pk: int) -> HttpResponse:
    campaign, units = _results_scope(request, pk)
    try:
        pdf = render_pdf(
            "inspections/report_pdf.html",
            {
                "campaign": campaign,
                "r": results.current_results(campaign, units),
                "fiscal_year_label": wareki_fiscal_year(campaign.fiscal_year),
                "municipality": campaign.municipality,
                "today": timezone.localdate(),
                "actions": CorrectiveAction.objects.filter(
                    inspection_answer__campaign=campaign
                ).select_related("owner", "org_unit")[:200],
            },
        )
    except PdfUnavailable as exc:
        messages.error(request, str(exc))
        return redirect("inspections:campaign_results", pk=campaign.pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="self-inspection-report-{campaign.fiscal_year}.pdf"'
    )
    return response


# --- improvement items ------------------------------------------------------------------------


def visible_actions(request: HttpRequest, municipality: Municipality) -> QuerySet[CorrectiveAction]:
    """Improvement items of self-inspections: all (VIEW_ALL), of the units held, and one's own."""
    user = _user(request)
    qs = permissions.scope(user, Action.VIEW_INSPECTIONS, CorrectiveAction.objects.all()).filter(
        municipality=municipality, source=CorrectiveAction.Source.SELF_INSPECTION
    )
    if visibility.sees_all(user, municipality.pk):
        return qs
    person = visibility.person_of(user)
    condition = Q(owner=person) if person is not None else Q(pk__in=[])
    units = visibility.managed_unit_ids(user)
    if units:
        condition |= Q(org_unit_id__in=units) | Q(org_unit__parent_id__in=units)
    return qs.filter(condition)


@login_required
@require_GET
def improvement_list(request: HttpRequest) -> HttpResponse:
    municipality = municipality_for(request, Action.VIEW_INSPECTIONS)
    actions = visible_actions(request, municipality).select_related("owner", "org_unit", "control")[
        :500
    ]
    return render(
        request,
        "inspections/improvements.html",
        {"actions": actions, "me": visibility.person_of(_user(request)), "form": ProgressForm()},
    )


@login_required
@require_POST
def improvement_create(request: HttpRequest, pk: int) -> HttpResponse:
    municipality = municipality_for(request, Action.VIEW_INSPECTIONS)
    sheets = visibility.visible_responses(_user(request)).filter(
        campaign__municipality=municipality
    )
    answer = get_object_or_404(
        InspectionAnswer.objects.select_related("response__campaign", "item").filter(
            response__in=sheets
        ),
        pk=pk,
    )
    if visibility.approval_capacity(_user(request), answer.response) is None:
        raise PermissionDenied
    form = ImprovementForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
        return redirect("inspections:sheet_detail", pk=answer.response_id)
    owner = Person.objects.filter(
        municipality=municipality, employee_number=form.cleaned_data["owner_number"]
    ).first()
    try:
        services.create_improvement(
            _user(request),
            answer,
            owner=owner,
            due_date=form.cleaned_data["due_date"],
            title=form.cleaned_data.get("title", ""),
        )
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Improvement item created."))
    return redirect("inspections:sheet_detail", pk=answer.response_id)


def _action(request: HttpRequest, pk: int) -> CorrectiveAction:
    municipality = municipality_for(request, Action.VIEW_INSPECTIONS)
    return get_object_or_404(visible_actions(request, municipality), pk=pk)


@login_required
@require_POST
def improvement_progress(request: HttpRequest, pk: int) -> HttpResponse:
    action = _action(request, pk)
    form = ProgressForm(request.POST)
    form.is_valid()
    try:
        services.progress_action(
            _user(request),
            action,
            note=form.cleaned_data.get("note", ""),
            done=bool(form.cleaned_data.get("done")),
        )
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Progress recorded."))
    return redirect("inspections:improvement_list")


@login_required
@require_POST
def improvement_verify(request: HttpRequest, pk: int) -> HttpResponse:
    action = _action(request, pk)
    try:
        services.verify_action(_user(request), action)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Improvement verified and closed."))
    return redirect("inspections:improvement_list")
