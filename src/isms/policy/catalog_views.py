"""Pages of the control catalog (対策基準) under ``/policy/controls/``.

Everyone who may read the catalog (VIEW_CONTROLS: all staff) sees the current version by
chapter and section with filters, a control with its history, the versions and a comparison,
and may export a version. The leads (MANAGE_CONTROLS) import a workbook as a draft version,
copy a version as a draft, edit a draft's controls and make a draft current; the current
version is never edited in place.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from isms.core import io as core_io
from isms.core import permissions
from isms.core.models import Municipality
from isms.core.permissions import Action

from . import catalog, catalog_io, services
from .models import Control, ControlStandard

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _municipality(request: HttpRequest, action: Action = Action.VIEW_CONTROLS) -> Municipality:
    municipality: Municipality | None = request.municipality  # type: ignore[attr-defined]
    if municipality is None or not permissions.can(request.user, action, municipality=municipality):
        raise PermissionDenied
    return municipality


def _standards(request: HttpRequest, municipality: Municipality) -> QuerySet[ControlStandard]:
    return permissions.scope(
        request.user,  # type: ignore[arg-type]
        Action.VIEW_CONTROLS,
        ControlStandard.objects.all(),
    ).filter(municipality=municipality)


def _standard_or_404(request: HttpRequest, pk: int) -> ControlStandard:
    return get_object_or_404(_standards(request, _municipality(request)), pk=pk)


def _control_or_404(request: HttpRequest, pk: int) -> Control:
    municipality = _municipality(request)
    qs = permissions.scope(
        request.user,  # type: ignore[arg-type]
        Action.VIEW_CONTROLS,
        Control.objects.select_related("standard", "section"),
    ).filter(standard__municipality=municipality)
    return get_object_or_404(qs, pk=pk)


class FilterForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("Role"), required=False)
    segment = forms.ChoiceField(label=gettext_lazy("Segment"), required=False)
    key_only = forms.BooleanField(label=gettext_lazy("Key items only"), required=False)
    q = forms.CharField(label=gettext_lazy("Text"), required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "—")] + [
            (c, catalog.ROLE_LABELS_JA[c]) for c in catalog.ROLE_CODES
        ]
        self.fields["segment"].choices = [("", "—")] + [
            (c, catalog.SEGMENT_LABELS_JA[c]) for c in catalog.SEGMENT_CODES
        ]


def filter_controls(qs: QuerySet[Control], data: dict[str, Any]) -> QuerySet[Control]:
    """Narrow controls by role (empty roles count as 職員等), segment (empty: every segment),
    key items and text (requirement, criteria or ID)."""
    role = data.get("role") or ""
    if role:
        ids = [
            pk
            for pk, roles in qs.values_list("pk", "applies_to_roles")
            if role in catalog.effective_roles(list(roles))
        ]
        qs = qs.filter(pk__in=ids)
    segment = data.get("segment") or ""
    if segment:
        ids = [
            pk
            for pk, segments in qs.values_list("pk", "applies_to_segments")
            if not segments or segment in segments
        ]
        qs = qs.filter(pk__in=ids)
    if data.get("key_only"):
        qs = qs.filter(is_key_item=True)
    text = (data.get("q") or "").strip()
    if text:
        qs = qs.filter(
            Q(requirement__icontains=text) | Q(criteria__icontains=text) | Q(code__startswith=text)
        )
    return qs


def _grouped(standard: ControlStandard, controls: list[Control]) -> list[dict[str, Any]]:
    """Chapters → sections → controls, in catalog order, keeping only what the filter left."""
    by_section: dict[int, list[Control]] = {}
    for c in controls:
        by_section.setdefault(c.section_id, []).append(c)
    chapters: list[dict[str, Any]] = []
    for s in standard.sections.all():
        if "." not in s.number:
            chapters.append({"section": s, "sections": []})
        elif chapters:
            chapters[-1]["sections"].append({"section": s, "controls": by_section.get(s.pk, [])})
    return chapters


def _decorate(controls: list[Control]) -> list[Control]:
    for c in controls:
        c.role_labels = catalog.labels("roles", catalog.effective_roles(list(c.applies_to_roles)))  # type: ignore[attr-defined]
        c.segment_labels = catalog.labels("segments", list(c.applies_to_segments))  # type: ignore[attr-defined]
        c.class_labels = catalog.labels("classes", list(c.applies_to_classes))  # type: ignore[attr-defined]
    return controls


@login_required
@require_GET
def control_list(request: HttpRequest) -> HttpResponse:
    """The current catalog (or ``?version=<id>``) by chapter and section, with filters."""
    municipality = _municipality(request)
    standards = _standards(request, municipality)
    version = request.GET.get("version", "")
    standard = (
        standards.filter(pk=int(version)).first()
        if version.isdigit() and len(version) <= 9
        else standards.filter(is_current=True).first()
    )
    form = FilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    grouped: list[dict[str, Any]] = []
    count = 0
    if standard is not None:
        qs = filter_controls(standard.controls.select_related("section"), data)
        controls = _decorate(list(qs.order_by("position")))
        count = len(controls)
        grouped = _grouped(standard, controls)
    return render(
        request,
        "policy/catalog_list.html",
        {
            "standard": standard,
            "grouped": grouped,
            "count": count,
            "form": form,
            "filtered": bool(data and any(data.values())),
            "may_manage": permissions.can(
                request.user, Action.MANAGE_CONTROLS, municipality=municipality
            ),
        },
    )


class ControlForm(forms.Form):
    requirement = forms.CharField(
        label=gettext_lazy("Requirement"), widget=forms.Textarea, max_length=services.MAX_TEXT
    )
    criteria = forms.CharField(
        label=gettext_lazy("Criteria"),
        widget=forms.Textarea,
        required=False,
        max_length=services.MAX_TEXT,
    )
    roles = forms.MultipleChoiceField(
        label=gettext_lazy("Roles"), required=False, widget=forms.CheckboxSelectMultiple
    )
    segments = forms.MultipleChoiceField(
        label=gettext_lazy("Segments"), required=False, widget=forms.CheckboxSelectMultiple
    )
    classes = forms.MultipleChoiceField(
        label=gettext_lazy("Asset classes"), required=False, widget=forms.CheckboxSelectMultiple
    )
    guideline_section = forms.CharField(
        label=gettext_lazy("Guideline section"), required=False, max_length=20
    )
    confidence = forms.ChoiceField(
        label=gettext_lazy("Confidence"), choices=ControlStandard.Confidence.choices
    )
    is_key_item = forms.BooleanField(label=gettext_lazy("Key item"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = [(c, catalog.ROLE_LABELS_JA[c]) for c in catalog.ROLE_CODES]
        self.fields["segments"].choices = [
            (c, catalog.SEGMENT_LABELS_JA[c]) for c in catalog.SEGMENT_CODES
        ]
        self.fields["classes"].choices = list(catalog.class_labels_ja().items())


@login_required
@require_GET
def control_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One control and its history across the versions (by key and replacements)."""
    control = _control_or_404(request, pk)
    _decorate([control])
    history = services.control_history(control)
    return render(
        request,
        "policy/catalog_detail.html",
        {
            "control": control,
            "history": history,
            "may_edit": control.standard.is_draft
            and permissions.can(request.user, Action.MANAGE_CONTROLS, control),
        },
    )


@login_required
def control_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit one control of a draft version; a version that is or was current is refused."""
    control = _control_or_404(request, pk)
    permissions.require(request.user, Action.MANAGE_CONTROLS, control)  # type: ignore[arg-type]
    initial = {
        "requirement": control.requirement,
        "criteria": control.criteria,
        "roles": control.applies_to_roles,
        "segments": control.applies_to_segments,
        "classes": control.applies_to_classes,
        "guideline_section": control.guideline_section,
        "confidence": control.confidence,
        "is_key_item": control.is_key_item,
    }
    form = ControlForm(request.POST or None, initial=initial)
    frozen = not control.standard.is_draft
    if request.method == "POST":
        if frozen:
            form.add_error(
                None,
                str(
                    services.CURRENT_IS_FROZEN
                    if control.standard.is_current
                    else services.PAST_IS_FROZEN
                ),
            )
        elif form.is_valid():
            d = form.cleaned_data
            try:
                control = services.update_control(
                    request.user,  # type: ignore[arg-type]
                    control,
                    requirement=d["requirement"],
                    criteria=d["criteria"],
                    applies_to_roles=d["roles"],
                    applies_to_segments=d["segments"],
                    applies_to_classes=d["classes"],
                    guideline_section=d["guideline_section"],
                    confidence=d["confidence"],
                    is_key_item=d["is_key_item"],
                )
            except ValidationError as exc:
                for messages_ in exc.message_dict.values():
                    for m in messages_:
                        form.add_error(None, m)
            else:
                messages.success(request, _("The control was saved."))
                return redirect("policy:control_detail", pk=control.pk)
    return render(
        request,
        "policy/catalog_edit.html",
        {"control": control, "form": form, "frozen": frozen},
    )


class CompareForm(forms.Form):
    a = forms.IntegerField(label=gettext_lazy("Older version"), required=False)
    b = forms.IntegerField(label=gettext_lazy("Newer version"), required=False)


class CopyForm(forms.Form):
    version = forms.CharField(label=gettext_lazy("New version"), max_length=20)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200, required=False)


@login_required
@require_GET
def version_list(request: HttpRequest) -> HttpResponse:
    """The versions, newest first, and the comparison of two (``?a=&b=``)."""
    municipality = _municipality(request)
    standards = list(_standards(request, municipality).order_by("-created_at", "-id"))
    by_pk = {s.pk: s for s in standards}
    comparison = None
    older = newer = None
    form = CompareForm(request.GET or None)
    if form.is_valid() and form.cleaned_data.get("a") and form.cleaned_data.get("b"):
        older = by_pk.get(form.cleaned_data["a"])
        newer = by_pk.get(form.cleaned_data["b"])
        if older is None or newer is None:
            form.add_error(None, _("Choose two versions of this municipality."))
        else:
            comparison = services.compare(older, newer)
    for s in standards:
        s.control_count = s.controls.count()  # type: ignore[attr-defined]
    return render(
        request,
        "policy/catalog_versions.html",
        {
            "standards": standards,
            "form": form,
            "comparison": comparison,
            "older": older,
            "newer": newer,
            "copy_form": CopyForm(),
            "may_manage": permissions.can(
                request.user, Action.MANAGE_CONTROLS, municipality=municipality
            ),
        },
    )


@login_required
@require_GET
def version_export(request: HttpRequest, pk: int) -> HttpResponse:
    standard = _standard_or_404(request, pk)
    response = HttpResponse(catalog_io.export_catalog(standard), content_type=XLSX_TYPE)
    filename = catalog_io.export_filename(standard)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_POST
def version_make_current(request: HttpRequest, pk: int) -> HttpResponse:
    standard = _standard_or_404(request, pk)
    services.make_current(request.user, standard)  # type: ignore[arg-type]
    messages.success(
        request,
        _("Version %(version)s is now the current control standard.")
        % {"version": standard.version},
    )
    return redirect("policy:control_versions")


@login_required
@require_POST
def version_copy(request: HttpRequest, pk: int) -> HttpResponse:
    standard = _standard_or_404(request, pk)
    permissions.require(request.user, Action.MANAGE_CONTROLS, standard)  # type: ignore[arg-type]
    form = CopyForm(request.POST)
    if form.is_valid():
        try:
            draft = services.copy_as_draft(
                request.user,  # type: ignore[arg-type]
                standard,
                version=form.cleaned_data["version"],
                title=form.cleaned_data["title"],
            )
        except ValidationError as exc:
            for m in exc.messages:
                messages.error(request, m)
        else:
            messages.success(
                request,
                _("Draft version %(version)s was made; edit its controls, then make it current.")
                % {"version": draft.version},
            )
            return redirect(reverse("policy:control_list") + f"?version={draft.pk}")
    else:
        for errors in form.errors.values():
            for m in errors:
                messages.error(request, m)
    return redirect("policy:control_versions")


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Excel workbook (.xlsx)"))
    version = forms.CharField(label=gettext_lazy("New version"), max_length=20)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200, required=False)
    note = forms.CharField(
        label=gettext_lazy("Note"), widget=forms.Textarea, required=False, max_length=4000
    )


@login_required
def control_import(request: HttpRequest) -> HttpResponse:
    """Upload a workbook: errors by row and column, or a new draft version (all or nothing)."""
    municipality = _municipality(request, Action.MANAGE_CONTROLS)
    form = ImportForm(request.POST or None, request.FILES or None)
    issues: list[core_io.ImportIssue] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            core_io.check_size(upload.size, max_bytes=catalog_io.MAX_BYTES)
            draft = catalog_io.import_catalog(
                request.user,  # type: ignore[arg-type]
                municipality,
                upload.read(),
                upload.name,
                version=form.cleaned_data["version"],
                title=form.cleaned_data["title"],
                note=form.cleaned_data["note"],
            )
        except core_io.ImportRejected as exc:
            issues = exc.issues
        else:
            messages.success(
                request,
                _("Draft version %(version)s was imported with %(count)s controls.")
                % {"version": draft.version, "count": draft.controls.count()},
            )
            return redirect("policy:control_versions")
    return render(
        request,
        "policy/catalog_import.html",
        {
            "form": form,
            "issues": issues,
            "headers": [c.header for c in catalog_io.CATALOG_COLUMNS],
            "current": services.current_standard(municipality),
        },
    )
