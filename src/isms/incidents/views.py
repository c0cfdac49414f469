"""Pages of the incidents (``/incidents/``): the list, the staff report form, an incident with
its triage, PPC decision, external reports, publication, timeline and closure, the settings
of the 統一的な窓口, and the public intake form with its status page (no login).

Every lookup goes through ``visibility.visible_incidents`` narrowed to the municipality worked
in, so an incident out of sight is a 404; an action the user may not take is a 403. Writes go
through ``services``; a refusal comes back as a message next to the field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from isms.assets import visibility as asset_visibility
from isms.assets.common import language
from isms.assets.forms import find_person
from isms.assets.models import InformationAsset
from isms.core import journal, permissions
from isms.core.models import Municipality
from isms.core.permissions import Action
from isms.risks.forms import split_codes
from isms.risks.models import ThreatCategory

from . import rules, services, visibility
from .clients import client_address
from .evidence import download_name
from .forms import (
    CloseForm,
    ExternalReportForm,
    PpcDecisionForm,
    PublicationForm,
    PublicReportForm,
    SettingsForm,
    StaffReportForm,
    StatusForm,
    TimelineForm,
    TriageForm,
)
from .models import Evidence, Incident

PAGE_SIZE = 50


# --- lookups ----------------------------------------------------------------------------------


def municipality_for(request: HttpRequest, action: Action = Action.VIEW_INCIDENTS) -> Municipality:
    municipality: Municipality | None = request.municipality  # type: ignore[attr-defined]
    if municipality is None or not permissions.can(request.user, action, municipality=municipality):
        raise PermissionDenied
    return municipality


def incident_or_404(request: HttpRequest, pk: int) -> Incident:
    municipality = municipality_for(request)
    qs = visibility.visible_incidents(request.user).filter(municipality=municipality)  # type: ignore[arg-type]
    return get_object_or_404(qs.select_related("org_unit", "reporter"), pk=pk)


def triageable_or_404(request: HttpRequest, pk: int) -> Incident:
    incident = incident_or_404(request, pk)
    if not visibility.can_triage(request.user, incident):  # type: ignore[arg-type]
        raise PermissionDenied
    return incident


# --- list and staff report -------------------------------------------------------------------


@login_required
@require_GET
def incident_list(request: HttpRequest) -> HttpResponse:
    municipality = municipality_for(request)
    qs = visibility.visible_incidents(request.user).filter(municipality=municipality)  # type: ignore[arg-type]
    status = request.GET.get("status", "")
    if status == "open":
        qs = qs.exclude(status__in=[Incident.Status.CLOSED, Incident.Status.NOT_INCIDENT])
    elif status in Incident.Status.values:
        qs = qs.filter(status=status)
    page = Paginator(qs.select_related("org_unit"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "incidents/incident_list.html",
        {
            "page": page,
            "status": status,
            "statuses": Incident.Status.choices,
            "can_report": permissions.can(
                request.user, Action.REPORT_INCIDENTS, municipality=municipality
            ),
            "can_triage": permissions.can(
                request.user, Action.TRIAGE_INCIDENTS, municipality=municipality
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def incident_report(request: HttpRequest) -> HttpResponse:
    municipality = municipality_for(request, Action.REPORT_INCIDENTS)
    form = StaffReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.report_incident(
                request.user,  # type: ignore[arg-type]
                municipality,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request,
                _("Reported as %(number)s. The contact point and your manager have been told.")
                % {"number": incident.number},
            )
            return redirect("incidents:incident_detail", pk=incident.pk)
    return render(request, "incidents/incident_report.html", {"form": form})


# --- one incident -----------------------------------------------------------------------------


def _rule_rows(incident: Incident) -> list[dict[str, Any]]:
    ruleset = rules.load_rules()
    lang = language()
    fired = set(incident.ppc_rule_ids)
    return [
        {
            "id": r.id,
            "label": r.label(lang),
            "source": r.source,
            "confidence": r.confidence,
            "fired": r.id in fired,
        }
        for r in ruleset.rules
    ]


def _detail_context(request: HttpRequest, incident: Incident, **forms: Any) -> dict[str, Any]:
    can_triage = visibility.can_triage(request.user, incident)  # type: ignore[arg-type]
    ruleset = rules.load_rules()
    assets = list(incident.assets.select_related("owning_unit"))
    # The assets app's unit visibility applies here too: others see the 管理番号 only.
    shown = set(
        asset_visibility.visible_assets(request.user, incident.assets.all()).values_list(  # type: ignore[arg-type]
            "pk", flat=True
        )
    )
    for a in assets:
        a.details_visible = a.pk in shown  # type: ignore[attr-defined]
    return {
        "incident": incident,
        "can_triage": can_triage,
        "assets": assets,
        "threat_label": dict(ThreatCategory.choices).get(incident.threat_category, ""),
        "rule_rows": _rule_rows(incident),
        "ruleset": ruleset,
        "deadline_note": ruleset.deadlines.get("note_ja" if language() == "ja" else "note_en", ""),
        "preliminary_wording": ruleset.deadlines.get("preliminary_wording_ja", ""),
        "external_reports": list(incident.external_reports.all()),
        "timeline": list(
            incident.timeline.select_related("actor").prefetch_related("evidence").all()
        ),
        "evidence": list(incident.evidence.filter(entry__isnull=True)),
        "corrective_actions": list(incident.corrective_actions.select_related("owner")),
        "ppc_form": forms.get("ppc_form") or PpcDecisionForm(prefix="ppc"),
        "external_form": forms.get("external_form") or ExternalReportForm(prefix="ext"),
        "publication_form": forms.get("publication_form") or PublicationForm(prefix="pub"),
        "timeline_form": forms.get("timeline_form") or TimelineForm(prefix="tl"),
    }


@login_required
@require_GET
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incident_or_404(request, pk)
    services.read_incident(request.user, incident)  # type: ignore[arg-type]
    return render(request, "incidents/incident_detail.html", _detail_context(request, incident))


def _rerender(request: HttpRequest, incident: Incident, **forms: Any) -> HttpResponse:
    return render(
        request, "incidents/incident_detail.html", _detail_context(request, incident, **forms)
    )


@login_required
@require_POST
def incident_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    incident = triageable_or_404(request, pk)
    try:
        services.acknowledge(request.user, incident)  # type: ignore[arg-type]
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
    return redirect("incidents:incident_detail", pk=incident.pk)


def _triage_initial(incident: Incident) -> dict[str, Any]:
    data: dict[str, Any] = {
        f: getattr(incident, f)
        for f in (
            "severity",
            "kind",
            "threat_category",
            "persons_affected",
            *services.TRIAGE_FLAGS,
        )
    }
    data["note"] = incident.triage_note
    if incident.is_incident is not None:
        data["is_incident"] = "yes" if incident.is_incident else "no"
    data["asset_numbers"] = "\n".join(incident.assets.values_list("asset_number", flat=True))
    return data


@login_required
@require_http_methods(["GET", "POST"])
def incident_triage(request: HttpRequest, pk: int) -> HttpResponse:
    incident = triageable_or_404(request, pk)
    form = TriageForm(request.POST or None, initial=_triage_initial(incident))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        numbers = split_codes(data.pop("asset_numbers"))
        found = {
            a.asset_number: a
            for a in InformationAsset.objects.filter(
                municipality=incident.municipality, asset_number__in=numbers
            )
        }
        missing = [n for n in numbers if n not in found]
        if missing:
            form.add_error(
                "asset_numbers",
                _("No asset with the number %(numbers)s in the register. Check the numbers.")
                % {"numbers": ", ".join(missing[:10])},
            )
        else:
            try:
                services.triage(
                    request.user,  # type: ignore[arg-type]
                    incident,
                    assets=[found[n] for n in numbers],
                    **data,
                )
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("The triage has been recorded."))
                return redirect("incidents:incident_detail", pk=incident.pk)
    return render(
        request,
        "incidents/incident_triage.html",
        {"incident": incident, "form": form, "rule_rows": _rule_rows(incident)},
    )


def _decide(
    request: HttpRequest,
    pk: int,
    form_class: type[Form],
    prefix: str,
    service: Callable[..., Any],
    done: str,
    form_key: str,
) -> HttpResponse:
    """Post one of the detail page's decision forms: the service decides; the page re-renders
    with the form's errors (as ``form_key``) or redirects with the message ``done``."""
    incident = triageable_or_404(request, pk)
    form = form_class(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            service(request.user, incident, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_error(exc)  # type: ignore[attr-defined]
        else:
            messages.success(request, done)
            return redirect("incidents:incident_detail", pk=incident.pk)
    return _rerender(request, incident, **{form_key: form})


@login_required
@require_POST
def incident_ppc(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(
        request,
        pk,
        PpcDecisionForm,
        "ppc",
        services.decide_ppc_report,
        _("The decision on the PPC report has been recorded."),
        "ppc_form",
    )


@login_required
@require_POST
def incident_external_report(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(
        request,
        pk,
        ExternalReportForm,
        "ext",
        services.record_external_report,
        _("The report has been recorded."),
        "external_form",
    )


@login_required
@require_POST
def incident_publication(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(
        request,
        pk,
        PublicationForm,
        "pub",
        services.decide_publication,
        _("The publication decision has been recorded."),
        "publication_form",
    )


@login_required
@require_POST
def incident_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    incident = triageable_or_404(request, pk)
    form = TimelineForm(request.POST, request.FILES, prefix="tl")
    if form.is_valid():
        data = dict(form.cleaned_data)
        number = data.pop("done_by")
        done_by = find_person(incident.municipality, number) if number else None
        if number and done_by is None:
            form.add_error("done_by", _("No member of staff has this employee number."))
        else:
            try:
                services.add_timeline_entry(
                    request.user,  # type: ignore[arg-type]
                    incident,
                    done_by=done_by,
                    **data,
                )
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("The entry has been added to the timeline."))
                return redirect("incidents:incident_detail", pk=incident.pk)
    return _rerender(request, incident, timeline_form=form)


@login_required
@require_GET
def evidence_download(request: HttpRequest, pk: int, evidence_pk: int) -> HttpResponse:
    incident = incident_or_404(request, pk)
    evidence = get_object_or_404(Evidence, incident=incident, pk=evidence_pk)
    path = evidence.path(incident.municipality_id)
    if not path.is_file():
        raise Http404
    # Evidence has no municipality of its own: the read goes into the incident's chain.
    journal.record_read(
        actor=request.user,  # type: ignore[arg-type]
        obj=incident,
        action="evidence_read",
        reason=f"evidence {evidence.pk} {evidence.filename} sha256={evidence.sha256}",
    )
    # The name's extension comes from the type found in the content, never from the uploader.
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=download_name(evidence.filename, evidence.content_type),
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def incident_close(request: HttpRequest, pk: int) -> HttpResponse:
    incident = triageable_or_404(request, pk)
    form = CloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions = []
        owner = None
        if data["action_owner"]:
            owner = find_person(incident.municipality, data["action_owner"])
            if owner is None:
                form.add_error("action_owner", _("No member of staff has this employee number."))
        if data["action_title"] or data["action_owner"] or data["action_due"]:
            actions.append(
                services.ActionSpec(
                    title=data["action_title"], owner=owner, due_date=data["action_due"]
                )
            )
        if not form.errors:
            try:
                services.close_incident(
                    request.user,  # type: ignore[arg-type]
                    incident,
                    root_cause=data["root_cause"],
                    review=data["review"],
                    actions=actions,
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    renamed = {
                        {"actions.0.title": "action_title", "actions.0.owner": "action_owner"}.get(
                            k, "action_due" if k == "actions.0.due_date" else k
                        ): v
                        for k, v in exc.error_dict.items()
                    }
                    exc = ValidationError(renamed)
                form.add_service_error(exc)
            else:
                messages.success(request, _("The incident has been closed."))
                return redirect("incidents:incident_detail", pk=incident.pk)
    return render(request, "incidents/incident_close.html", {"incident": incident, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def incident_settings(request: HttpRequest) -> HttpResponse:
    municipality = municipality_for(request, Action.TRIAGE_INCIDENTS)
    current = services.settings_for(municipality)
    fields = list(SettingsForm.base_fields)
    form = SettingsForm(request.POST or None, initial={f: getattr(current, f) for f in fields})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_settings(request.user, municipality, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The settings have been saved."))
            return redirect("incidents:incident_settings")
    return render(
        request,
        "incidents/settings.html",
        {
            "form": form,
            "public_url": request.build_absolute_uri(f"/incidents/public/{municipality.code}/"),
        },
    )


# --- the public intake form (no login) --------------------------------------------------------


def _client(request: HttpRequest, municipality: Municipality) -> str:
    return services.client_key(municipality, client_address(request))


def _public_municipality(code: str) -> Municipality:
    return get_object_or_404(Municipality, code=code)


@require_http_methods(["GET", "POST"])
def public_report(request: HttpRequest, code: str) -> HttpResponse:
    """The residents' and outsiders' form: honeypot, minimum time, rate limits, size limits."""
    municipality = _public_municipality(code)
    contact = services.settings_for(municipality)
    status = 200
    if request.method == "POST":
        form = PublicReportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                receipt = services.report_public(
                    municipality,
                    client=_client(request, municipality),
                    token=data["started"],
                    honeypot=data["website"],
                    title=data["title"],
                    description=data["description"],
                    name=data["name"],
                    contact=data["contact"],
                    attachment=data["attachment"],
                )
            except services.Refused as exc:
                form.add_service_error(exc)
                status = exc.status
            except ValidationError as exc:
                form.add_service_error(exc)
                status = 400
            else:
                return render(
                    request,
                    "incidents/public_done.html",
                    {"municipality": municipality, "receipt": receipt, "contact": contact},
                )
        else:
            status = 400
        # A new token: the time to fill in counts from this page.
        form.data = form.data.copy()
        form.data["started"] = services.form_token()
    else:
        form = PublicReportForm(initial={"started": services.form_token()})
    return render(
        request,
        "incidents/public_report.html",
        {"municipality": municipality, "form": form, "contact": contact},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def public_status(request: HttpRequest, code: str) -> HttpResponse:
    """The status of one public report, by its confirmation number (and nothing else)."""
    municipality = _public_municipality(code)
    found: Incident | None = None
    asked = False
    status = 200
    form = StatusForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        asked = True
        try:
            found = services.public_status(
                municipality, form.cleaned_data["confirmation"], _client(request, municipality)
            )
        except services.Refused as exc:
            form.add_service_error(exc)
            status, asked = exc.status, False
    return render(
        request,
        "incidents/public_status.html",
        {
            "municipality": municipality,
            "form": form,
            "asked": asked,
            "found": found,
            "public_state": services.PUBLIC_STATUS.get(found.status) if found else None,
        },
        status=status,
    )
