"""Pages of the risk register (``/risks/``): the list, assessing, treating and accepting a risk,
the heat map with top risks, risks by unit and segment and the changes since last year, the
threat catalog and scales, the export and the printable report.

Views parse input, ask ``visibility`` and render; writes go through ``services``. Every lookup
goes through ``visibility.visible_risks`` narrowed to the municipality worked in and the fiscal
year selected, so a risk out of sight is a 404; an action the user may not take is a 403.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from isms.assets import visibility as asset_visibility
from isms.assets.common import language
from isms.assets.models import InformationAsset
from isms.core import io as core_io
from isms.core import permissions
from isms.core.calendar import wareki_fiscal_year
from isms.core.models import Municipality, OrgUnit
from isms.core.permissions import Action

from . import io, register, services, visibility
from .catalog import ensure_catalog
from .forms import (
    AcceptanceDecisionForm,
    AcceptanceRequestForm,
    AssetGroupForm,
    ReassessForm,
    RiskFilterForm,
    RiskForm,
    ScalesForm,
    ThreatForm,
    TreatmentForm,
    VulnerabilityForm,
)
from .models import AssetGroup, Risk, RiskSettings, Threat, Vulnerability

PAGE_SIZE = 50
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILENAME = "risks"

CRITERIA = {
    "confidentiality": gettext_lazy("confidentiality class"),
    "integrity": gettext_lazy("integrity class"),
    "availability": gettext_lazy("availability class"),
    "unclassified": gettext_lazy("not classified yet"),
    "persons": gettext_lazy("persons whose personal information is held"),
    "specific_personal_info": gettext_lazy("specific personal information (特定個人情報)"),
    "sensitive_personal_info": gettext_lazy("sensitive personal information (要配慮個人情報)"),
    "segment": gettext_lazy("My Number business segment"),
}


# --- lookups ----------------------------------------------------------------------------------


def municipality_for(request: HttpRequest, action: Action = Action.VIEW_RISKS) -> Municipality:
    """Return the municipality the user works in, if they may do ``action`` there (else 403)."""
    municipality: Municipality | None = request.municipality  # type: ignore[attr-defined]
    if municipality is None or not permissions.can(request.user, action, municipality=municipality):
        raise PermissionDenied
    return municipality


def _fy(request: HttpRequest) -> int:
    return int(request.fiscal_year)  # type: ignore[attr-defined]


def visible(request: HttpRequest, municipality: Municipality) -> QuerySet[Risk]:
    """The risks the user sees in the municipality worked in (every fiscal year)."""
    return visibility.visible_risks(request.user).filter(municipality=municipality)  # type: ignore[arg-type]


def risk_or_404(request: HttpRequest, pk: int) -> Risk:
    municipality = municipality_for(request)
    return get_object_or_404(
        visible(request, municipality).select_related(
            "asset", "asset_group", "threat", "vulnerability", "owning_unit", "owner"
        ),
        pk=pk,
    )


def _settings(municipality: Municipality) -> RiskSettings:
    return ensure_catalog(municipality)


def reasons_for_display(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The proposal's reasons with a label for each criterion, for the templates."""
    return [{**r, "label": str(CRITERIA.get(r["criterion"], r["criterion"]))} for r in reasons]


def _level_label(levels: list[dict[str, Any]], value: int | None) -> str:
    key = "label_ja" if language() == "ja" else "label_en"
    for lv in levels:
        if lv["value"] == value:
            return f"{value} {lv[key]}"
    return "" if value is None else str(value)


# --- list -------------------------------------------------------------------------------------


def _units(request: HttpRequest, municipality: Municipality) -> list[tuple[int, str]]:
    units = OrgUnit.objects.filter(municipality=municipality)
    if not visibility.whole_register(request.user, municipality.pk):  # type: ignore[arg-type]
        units = units.filter(pk__in=asset_visibility.visible_unit_ids(request.user))  # type: ignore[arg-type]
    return list(units.order_by("sort_order", "code").values_list("pk", "name"))


def _filtered(qs: QuerySet[Risk], data: dict[str, Any]) -> QuerySet[Risk]:
    if data.get("unit"):
        qs = qs.filter(owning_unit_id=data["unit"])
    if data.get("segment"):
        qs = qs.filter(segment=data["segment"])
    if data.get("level"):
        qs = qs.filter(current_level=data["level"])
    if data.get("status"):
        qs = qs.filter(status=data["status"])
    if data.get("threat_category"):
        qs = qs.filter(threat__category=data["threat_category"])
    return qs


def _can_assess(request: HttpRequest, municipality: Municipality) -> bool:
    return permissions.can(request.user, Action.ASSESS_RISKS, municipality=municipality)


@login_required
@require_GET
def risk_list(request: HttpRequest) -> HttpResponse:
    municipality = municipality_for(request)
    settings = _settings(municipality)
    form = RiskFilterForm(request.GET or None, units=_units(request, municipality))
    qs = visible(request, municipality).filter(fiscal_year=_fy(request))
    if form.is_valid():
        qs = _filtered(qs, form.cleaned_data)
    qs = qs.select_related("asset", "asset_group", "threat", "owning_unit", "owner").order_by(
        "-current_score", "-likelihood", "pk"
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    kept = [(k, v) for k, v in request.GET.items() if k != "page" and v]
    return render(
        request,
        "risks/risk_list.html",
        {
            "form": form,
            "page": page,
            "querystring": urlencode(kept),
            "can_assess": _can_assess(request, municipality),
            "can_manage_catalog": permissions.can(
                request.user, Action.MANAGE_RISK_CATALOG, municipality=municipality
            ),
            "settings": settings,
        },
    )


# --- heat map and overview --------------------------------------------------------------------


def _cell_svg(heat: register.HeatMap) -> dict[str, Any]:
    size, left, top = 64, 150, 16
    cols, rows = len(heat.impact_levels), len(heat.likelihood_levels)
    cells = []
    for r, row in enumerate(heat.rows):
        for c, cell in enumerate(row):
            cells.append(
                {
                    "x": left + c * size,
                    "y": top + r * size,
                    "cx": left + c * size + size // 2,
                    "cy": top + r * size + size // 2,
                    "cell": cell,
                }
            )
    key = "label_ja" if language() == "ja" else "label_en"
    return {
        "size": size,
        "width": left + cols * size + 16,
        "height": top + rows * size + 70,
        "cells": cells,
        "row_labels": [
            {"y": top + r * size + size // 2, "text": f"{lv['value']} {lv[key]}"}
            for r, lv in enumerate(reversed(heat.likelihood_levels))
        ],
        "col_labels": [
            {"x": left + c * size + size // 2, "text": str(iv["value"]), "label": iv[key]}
            for c, iv in enumerate(heat.impact_levels)
        ],
        "axis_y": top + rows * size + 20,
        "axis_title_y": top + rows * size + 50,
        "axis_x": left + cols * size // 2,
        "grid_bottom": top + rows * size,
    }


@login_required
@require_GET
def heat_map(request: HttpRequest) -> HttpResponse:
    """The heat map (SVG and table), top risks, by unit and segment, changes since last year."""
    municipality = municipality_for(request)
    settings = _settings(municipality)
    fy = _fy(request)
    all_years = visible(request, municipality)
    qs = all_years.filter(fiscal_year=fy)
    basis = "inherent" if request.GET.get("basis") == "inherent" else "current"
    heat = register.heat_map(qs, settings, basis=basis)
    changes = register.changes_since_last_year(all_years, fy)
    segments = dict(InformationAsset.Segment.choices)
    by_segment = [
        {**row, "name": segments.get(row["key"], _("no segment / asset group"))}
        for row in register.by_segment(qs)
    ]
    return render(
        request,
        "risks/heat_map.html",
        {
            "heat": heat,
            "svg": _cell_svg(heat),
            "basis": basis,
            "top": register.top_risks(qs),
            "by_unit": register.by_unit(qs),
            "by_segment": by_segment,
            "changes": changes,
            "previous_fy_label": wareki_fiscal_year(fy - 1),
            "may_review": visibility.whole_register(request.user, municipality.pk),  # type: ignore[arg-type]
        },
    )


# --- assess, treat, accept --------------------------------------------------------------------


def _groups(request: HttpRequest, municipality: Municipality) -> list[AssetGroup]:
    qs = AssetGroup.objects.filter(municipality=municipality).order_by("name")
    if not visibility.whole_register(request.user, municipality.pk):  # type: ignore[arg-type]
        qs = qs.filter(owning_unit_id__in=asset_visibility.managed_units(request.user))  # type: ignore[arg-type]
    return list(qs)


def _proposal(
    request: HttpRequest, form: RiskForm, settings: RiskSettings
) -> tuple[Any, Any] | None:
    """Return (subject, proposal) for the asset or group the form names, if the user sees it."""
    data = form.cleaned_data if form.is_bound and hasattr(form, "cleaned_data") else {}
    subject: Any = data.get("asset")
    if subject is not None and not asset_visibility.can_view(request.user, subject):  # type: ignore[arg-type]
        return None
    if subject is None and data.get("asset_group"):
        subject = AssetGroup.objects.filter(
            municipality=form.municipality, pk=data["asset_group"]
        ).first()
    if subject is None:
        return None
    return subject, services.propose(subject, settings)


@login_required
def risk_create(request: HttpRequest) -> HttpResponse:
    """Assess a risk; "propose" shows the proposed impact and why before anything is saved."""
    municipality = municipality_for(request, Action.ASSESS_RISKS)
    settings = _settings(municipality)
    groups = _groups(request, municipality)
    kwargs = {"municipality": municipality, "settings": settings, "groups": groups}
    if request.method == "POST":
        form = RiskForm(request.POST, **kwargs)
        valid = form.is_valid()
        if valid and "propose" not in request.POST:
            try:
                risk = services.assess_risk(
                    request.user,  # type: ignore[arg-type]
                    municipality,
                    fiscal_year=_fy(request),
                    **form.service_data(),
                )
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("Risk %(risk)s assessed.") % {"risk": risk})
                return redirect("risks:risk_detail", pk=risk.pk)
        if "propose" in request.POST:
            # Only the proposal was asked for: no errors on fields the user has not reached.
            form = RiskForm(request.POST, **kwargs)
            form.is_valid()
            form._errors = {
                k: v for k, v in form.errors.items() if k in ("asset_number", "__all__")
            }
    else:
        number = request.GET.get("asset_number", "")
        form = RiskForm({"asset_number": number} if number else None, **kwargs)
        if form.is_bound:
            form.is_valid()
            form._errors = {k: v for k, v in form.errors.items() if k == "asset_number"}
    found = _proposal(request, form, settings) if form.is_bound else None
    proposal = None
    if found is not None:
        subject, p = found
        proposal = {
            "subject": subject,
            "level": p.level,
            "label": _level_label(settings.impact_levels, p.level),
            "reasons": reasons_for_display(
                [
                    {
                        "criterion": r.criterion,
                        "value": r.value,
                        "level": r.level,
                        "decisive": r.decisive,
                    }
                    for r in p.reasons
                ]
            ),
        }
        if "propose" in request.POST or not form.data.get("impact"):
            data = form.data.copy()
            data["impact"] = str(p.level)
            form.data = data
    return render(
        request,
        "risks/risk_form.html",
        {"form": form, "proposal": proposal, "fiscal_year_label": wareki_fiscal_year(_fy(request))},
    )


@login_required
@require_GET
def risk_detail(request: HttpRequest, pk: int) -> HttpResponse:
    risk = risk_or_404(request, pk)
    settings = _settings(risk.municipality)
    can_assess = visibility.can_assess_unit(
        request.user,  # type: ignore[arg-type]
        risk.municipality_id,
        risk.owning_unit_id,
    )
    return render(
        request,
        "risks/risk_detail.html",
        {
            "risk": risk,
            "catalog_controls": list(
                risk.catalog_controls.select_related("standard").order_by("position")
            ),
            "reasons": reasons_for_display(risk.impact_reasons),
            "likelihood_label": _level_label(settings.likelihood_levels, risk.likelihood),
            "impact_label": _level_label(settings.impact_levels, risk.impact),
            "residual_likelihood_label": _level_label(
                settings.likelihood_levels, risk.residual_likelihood
            ),
            "residual_impact_label": _level_label(settings.impact_levels, risk.residual_impact),
            "can_assess": can_assess,
            "can_request": can_assess and risk.status == Risk.Status.TREATED,
            "can_decide": visibility.can_approve(request.user, risk)  # type: ignore[arg-type]
            and risk.status == Risk.Status.ACCEPTANCE_REQUESTED,
            "request_form": AcceptanceRequestForm(),
            "decision_form": AcceptanceDecisionForm(),
        },
    )


def _assessable_or_403(request: HttpRequest, pk: int) -> Risk:
    risk = risk_or_404(request, pk)
    if not visibility.can_assess_unit(request.user, risk.municipality_id, risk.owning_unit_id):  # type: ignore[arg-type]
        raise PermissionDenied
    return risk


@login_required
def risk_treat(request: HttpRequest, pk: int) -> HttpResponse:
    risk = _assessable_or_403(request, pk)
    settings = _settings(risk.municipality)
    kwargs = {"municipality": risk.municipality, "settings": settings, "risk": risk}
    if request.method == "POST":
        form = TreatmentForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                services.treat_risk(request.user, risk, **form.service_data())  # type: ignore[arg-type]
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("Treatment of risk %(risk)s saved.") % {"risk": risk})
                return redirect("risks:risk_detail", pk=risk.pk)
    else:
        form = TreatmentForm(
            initial={
                "treatment": risk.treatment,
                "control_codes": ", ".join(c.code for c in risk.catalog_controls.all()),
                "controls": risk.controls,
                "control_note": risk.control_note,
                "residual_likelihood": risk.residual_likelihood or risk.likelihood,
                "residual_impact": risk.residual_impact or risk.impact,
                "owner_number": risk.owner.employee_number if risk.owner else "",
            },
            **kwargs,
        )
    return render(request, "risks/risk_treat.html", {"form": form, "risk": risk})


@login_required
def risk_reassess(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a recorded assessment (likelihood, impact, scenario) with the proposal again."""
    risk = _assessable_or_403(request, pk)
    settings = _settings(risk.municipality)
    subject = risk.asset if risk.asset_id else risk.asset_group
    assert subject is not None
    p = services.propose(subject, settings)
    if request.method == "POST":
        form = ReassessForm(request.POST, settings=settings)
        if form.is_valid():
            try:
                services.reassess_risk(request.user, risk, **form.service_data())  # type: ignore[arg-type]
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("Assessment of risk %(risk)s saved.") % {"risk": risk})
                return redirect("risks:risk_detail", pk=risk.pk)
    else:
        form = ReassessForm(
            initial={
                "scenario": risk.scenario,
                "likelihood": risk.likelihood,
                "impact": risk.impact,
                "impact_override_reason": risk.impact_override_reason,
            },
            settings=settings,
        )
    return render(
        request,
        "risks/risk_reassess.html",
        {
            "form": form,
            "risk": risk,
            "proposal": {
                "level": p.level,
                "label": _level_label(settings.impact_levels, p.level),
                "reasons": reasons_for_display(services._reasons(p)),
            },
            "voids_acceptance": risk.status
            in (Risk.Status.ACCEPTANCE_REQUESTED, Risk.Status.ACCEPTED),
        },
    )


def _refused(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@login_required
@require_POST
def risk_request_acceptance(request: HttpRequest, pk: int) -> HttpResponse:
    risk = _assessable_or_403(request, pk)
    form = AcceptanceRequestForm(request.POST)
    form.is_valid()
    try:
        services.request_acceptance(
            request.user,  # type: ignore[arg-type]
            risk,
            note=form.cleaned_data.get("acceptance_note", ""),
        )
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Acceptance of the residual risk requested."))
    return redirect("risks:risk_detail", pk=risk.pk)


def _decide(request: HttpRequest, pk: int, *, accept: bool) -> HttpResponse:
    risk = risk_or_404(request, pk)
    if not visibility.can_approve(request.user, risk):  # type: ignore[arg-type]
        raise PermissionDenied
    form = AcceptanceDecisionForm(request.POST)
    form.is_valid()
    reason = form.cleaned_data.get("decision_reason", "")
    try:
        if accept:
            services.approve_acceptance(request.user, risk, reason=reason)  # type: ignore[arg-type]
        else:
            services.reject_acceptance(request.user, risk, reason=reason)  # type: ignore[arg-type]
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _("Residual risk accepted.") if accept else _("Sent back for another treatment."),
        )
    return redirect("risks:risk_detail", pk=risk.pk)


@login_required
@require_POST
def risk_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, accept=True)


@login_required
@require_POST
def risk_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, accept=False)


# --- catalog and scales -----------------------------------------------------------------------

CATALOG_MODELS: dict[str, type[Threat] | type[Vulnerability]] = {
    "threat": Threat,
    "vulnerability": Vulnerability,
}


@login_required
@require_POST
def catalog_entry_active(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Switch a threat or vulnerability off (not offered for new assessments) or on again."""
    model = CATALOG_MODELS.get(kind)
    if model is None:
        raise Http404
    municipality = municipality_for(request)
    entry = get_object_or_404(
        permissions.scope(request.user, Action.VIEW_RISKS, model.objects.all()),
        municipality=municipality,
        pk=pk,
    )
    if not permissions.can(request.user, Action.MANAGE_RISK_CATALOG, entry):
        raise PermissionDenied
    active = request.POST.get("active") == "1"
    services.set_entry_active(request.user, entry, active=active)  # type: ignore[arg-type]
    messages.success(
        request,
        (_("%(entry)s is in use again.") if active else _("%(entry)s is switched off."))
        % {"entry": entry},
    )
    return redirect("risks:catalog")


@login_required
def catalog(request: HttpRequest) -> HttpResponse:
    """The threats (seed 2.3) and vulnerabilities; the leads add the municipality's own."""
    municipality = municipality_for(request)
    ensure_catalog(municipality)
    may_manage = permissions.can(
        request.user, Action.MANAGE_RISK_CATALOG, municipality=municipality
    )
    threat_form, vuln_form = ThreatForm(prefix="t"), VulnerabilityForm(prefix="v")
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied
        which = request.POST.get("form")
        form: Any = (
            ThreatForm(request.POST, prefix="t")
            if which == "threat"
            else VulnerabilityForm(request.POST, prefix="v")
        )
        if form.is_valid():
            try:
                call = (
                    services.create_threat if which == "threat" else services.create_vulnerability
                )
                entry = call(request.user, municipality, **form.cleaned_data)  # type: ignore[arg-type]
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("%(entry)s added.") % {"entry": entry})
                return redirect("risks:catalog")
        if which == "threat":
            threat_form = form
        else:
            vuln_form = form
    threats = Threat.objects.filter(municipality=municipality).order_by("category", "code")
    from .models import ThreatCategory

    grouped = [
        (label, [t for t in threats if t.category == value])
        for value, label in ThreatCategory.choices
    ]
    return render(
        request,
        "risks/catalog.html",
        {
            "grouped": grouped,
            "vulnerabilities": Vulnerability.objects.filter(municipality=municipality).order_by(
                "code"
            ),
            "may_manage": may_manage,
            "threat_form": threat_form,
            "vuln_form": vuln_form,
        },
    )


@login_required
def scales(request: HttpRequest) -> HttpResponse:
    municipality = municipality_for(request, Action.MANAGE_RISK_CATALOG)
    settings = _settings(municipality)
    if request.method == "POST":
        form = ScalesForm(request.POST)
        if form.is_valid():
            try:
                services.update_scales(request.user, municipality, **form.service_data())  # type: ignore[arg-type]
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("Scales saved."))
                return redirect("risks:scales")
    else:
        form = ScalesForm(initial=ScalesForm.initial_for(settings))
    return render(request, "risks/scales.html", {"form": form})


# --- asset groups -----------------------------------------------------------------------------


def _visible_groups(request: HttpRequest, municipality: Municipality) -> QuerySet[AssetGroup]:
    """The groups of the units whose risks the user sees (every group for the leads)."""
    qs = permissions.scope(request.user, Action.VIEW_RISKS, AssetGroup.objects.all()).filter(
        municipality=municipality
    )
    if not visibility.whole_register(request.user, municipality.pk):  # type: ignore[arg-type]
        qs = qs.filter(owning_unit_id__in=asset_visibility.visible_unit_ids(request.user))  # type: ignore[arg-type]
    return qs


def _assessable_units(request: HttpRequest, municipality: Municipality) -> list[tuple[int, str]]:
    """The units whose assets the user may group: all for the leads, else the units they manage
    (the rule of ``visibility.can_assess_unit``, asked once rather than per unit)."""
    user = request.user
    if not permissions.can(user, Action.ASSESS_RISKS, municipality=municipality):
        return []
    units = OrgUnit.objects.filter(municipality=municipality).order_by("sort_order", "code")
    if not visibility._whole(user, municipality.pk):  # type: ignore[arg-type]
        if municipality.pk != user.municipality_id:  # type: ignore[union-attr]
            return []
        units = units.filter(pk__in=list(asset_visibility.managed_units(user)))  # type: ignore[arg-type]
    return [(u.pk, u.name) for u in units]


@login_required
@require_GET
def group_list(request: HttpRequest) -> HttpResponse:
    """The asset groups (assets of one unit assessed together) the user sees."""
    municipality = municipality_for(request)
    groups = (
        _visible_groups(request, municipality)
        .select_related("owning_unit")
        .annotate(n_assets=Count("assets", distinct=True), n_risks=Count("risks", distinct=True))
        .order_by("name")
    )
    rows = [
        {
            "group": g,
            "can_edit": visibility.can_assess_unit(request.user, municipality.pk, g.owning_unit_id),  # type: ignore[arg-type]
        }
        for g in groups
    ]
    return render(
        request,
        "risks/group_list.html",
        {"rows": rows, "can_assess": _can_assess(request, municipality)},
    )


@login_required
def group_create(request: HttpRequest) -> HttpResponse:
    municipality = municipality_for(request, Action.ASSESS_RISKS)
    units = _assessable_units(request, municipality)
    if request.method == "POST":
        form = AssetGroupForm(request.POST, municipality=municipality, units=units)
        if form.is_valid():
            try:
                group = services.create_asset_group(
                    request.user,  # type: ignore[arg-type]
                    municipality,
                    **form.service_data(),
                )
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("Asset group %(group)s saved.") % {"group": group})
                return redirect("risks:group_list")
    else:
        form = AssetGroupForm(municipality=municipality, units=units)
    return render(request, "risks/group_form.html", {"form": form, "group": None})


@login_required
def group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename a group or change its assets (its unit stays)."""
    municipality = municipality_for(request)
    group = get_object_or_404(
        _visible_groups(request, municipality).select_related("owning_unit"), pk=pk
    )
    if not visibility.can_assess_unit(request.user, municipality.pk, group.owning_unit_id):  # type: ignore[arg-type]
        raise PermissionDenied
    if request.method == "POST":
        form = AssetGroupForm(request.POST, municipality=municipality, units=None)
        if form.is_valid():
            try:
                services.update_asset_group(request.user, group, **form.service_data())  # type: ignore[arg-type]
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("Asset group %(group)s saved.") % {"group": group})
                return redirect("risks:group_list")
    else:
        numbers = group.assets.order_by("asset_number").values_list("asset_number", flat=True)
        form = AssetGroupForm(
            initial={"name": group.name, "asset_numbers": "\n".join(numbers)},
            municipality=municipality,
            units=None,
        )
    return render(
        request,
        "risks/group_form.html",
        {
            "form": form,
            "group": group,
            "accepted_risks": services.acceptances_voided_by_member_change(group),
        },
    )


# --- export and report ------------------------------------------------------------------------


def _export_qs(request: HttpRequest) -> QuerySet[Risk]:
    municipality = municipality_for(request)
    qs = visible(request, municipality).filter(fiscal_year=_fy(request))
    form = RiskFilterForm(request.GET or None, units=_units(request, municipality))
    if form.is_valid():
        qs = _filtered(qs, form.cleaned_data)
    return io.export_queryset(qs)


@login_required
@require_GET
def risk_export(request: HttpRequest) -> HttpResponse:
    """The visible register of the fiscal year, with the list's filters, as CSV or Excel."""
    rows = list(io.risk_rows(_export_qs(request)))
    if request.GET.get("format") == "xlsx":
        body = core_io.export_xlsx(io.RISK_COLUMNS, rows, FILENAME)
        content_type, suffix = XLSX_TYPE, "xlsx"
    else:
        body, content_type, suffix = core_io.export_csv(io.RISK_COLUMNS, rows), CSV_TYPE, "csv"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{FILENAME}-{_fy(request)}.{suffix}"'
    return response


@login_required
@require_GET
def risk_report(request: HttpRequest) -> HttpResponse:
    """The printable register: the heat map table, then every risk of the year."""
    municipality = municipality_for(request)
    settings = _settings(municipality)
    qs = _export_qs(request)
    heat = register.heat_map(qs, settings)
    return render(
        request,
        "risks/report.html",
        {
            "heat": heat,
            "svg": _cell_svg(heat),
            "risks": list(qs),
            "fiscal_year_label": wareki_fiscal_year(_fy(request)),
            "export_url": reverse("risks:risk_export"),
        },
    )
