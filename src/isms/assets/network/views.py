"""Pages of the network checks (``/assets/network/``): overview and upload, a check and its
report, the history and the comparison of two checks, the 例外措置 register, the inventory.

Views parse input, ask ``permissions`` and render; every write goes through ``services``.
Records are fetched through ``permissions.scope`` within the municipality the user works in, so
another municipality's id is a 404.
"""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from isms.core import permissions
from isms.core.models import Municipality
from isms.core.permissions import Action
from isms.segments.model import BUILTIN_SEGMENTS

from .. import visibility
from ..common import language
from ..models import NetworkCheck, NetworkSnapshot, NetworkViolation, PolicyException
from . import checks, inventory, services
from .forms import DecisionForm, ExceptionForm, UploadForm
from .uploads import check_sizes

PROGRESS = {
    "loading": gettext_lazy("Reading the model and the configurations"),
    "verifying": gettext_lazy("Verifying every pair of segments"),
    "matching": gettext_lazy("Matching the violations to the register"),
}


def _municipality(request: HttpRequest, action: Action) -> Municipality:
    municipality: Municipality | None = request.municipality  # type: ignore[attr-defined]
    if municipality is None or not permissions.can(request.user, action, municipality=municipality):
        raise PermissionDenied
    return municipality


def _scoped(request: HttpRequest, action: Action, model: type[Any]) -> QuerySet[Any]:
    municipality = _municipality(request, action)
    return permissions.scope(request.user, action, model.objects.all()).filter(
        municipality=municipality
    )


def segment_label(name: str) -> str:
    labels = BUILTIN_SEGMENTS.get(name)
    if labels is None:
        return name
    return labels[0] if language() == "ja" else labels[1]


def _can(request: HttpRequest, action: Action) -> bool:
    municipality = request.municipality  # type: ignore[attr-defined]
    return municipality is not None and permissions.can(
        request.user, action, municipality=municipality
    )


def _latest_checks(snapshots: list[NetworkSnapshot]) -> list[dict[str, Any]]:
    rows = []
    for snapshot in snapshots:
        latest = snapshot.checks.order_by("-created_at", "-pk").first()
        rows.append({"snapshot": snapshot, "check": latest})
    return rows


def _overview(request: HttpRequest, form: UploadForm | None = None, status: int = 200) -> Any:
    municipality = _municipality(request, Action.VIEW_NETWORK_CHECKS)
    snapshots = list(_scoped(request, Action.VIEW_NETWORK_CHECKS, NetworkSnapshot)[:20])
    report = inventory.inventory_report(municipality)
    pending = _scoped(request, Action.VIEW_NETWORK_CHECKS, PolicyException).filter(
        status=PolicyException.Status.REQUESTED
    )
    context = {
        "rows": _latest_checks(snapshots),
        "form": form or UploadForm(),
        "can_run": _can(request, Action.RUN_NETWORK_CHECKS),
        "inventory": report,
        "pending_exceptions": pending.count(),
    }
    return render(request, "assets/network/overview.html", context, status=status)


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    return _overview(request)  # type: ignore[no-any-return]


@login_required
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    municipality = _municipality(request, Action.RUN_NETWORK_CHECKS)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            check_sizes([(f.name, f.size) for f in form.cleaned_data["files"]])
            files = [(f.name, f.read()) for f in form.cleaned_data["files"]]
            _snapshot, check = services.upload_snapshot(
                request.user,  # type: ignore[arg-type]
                municipality,
                name=form.cleaned_data["name"],
                uploaded=files,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            assert check is not None
            messages.success(request, _("The network was uploaded; the check is running."))
            return redirect("assets:network:check_detail", pk=check.pk)
    return _overview(request, form)  # type: ignore[no-any-return]


@login_required
@require_POST
def run_check(request: HttpRequest, pk: int) -> HttpResponse:
    snapshot = get_object_or_404(
        _scoped(request, Action.RUN_NETWORK_CHECKS, NetworkSnapshot), pk=pk
    )
    check = services.request_check(request.user, snapshot)  # type: ignore[arg-type]
    messages.success(request, _("The check was started."))
    return redirect("assets:network:check_detail", pk=check.pk)


def _flow_initial(v: NetworkViolation) -> dict[str, str]:
    """What the exception form is pre-filled with for exactly this violation's flow."""
    flows = v.flows
    sources = [s.split(" except ", 1)[0] for s in flows.get("sources", []) if s[:1].isdigit()]
    destinations = [d for d in flows.get("destinations", []) if d[:1].isdigit()]
    services_text = []
    ports = [p for p in flows.get("ports", []) if p[:1].isdigit()]
    for protocol in flows.get("protocols", []):
        if ports and protocol in ("tcp", "udp", "sctp"):
            services_text += [f"{protocol}/{p}" for p in ports]
        elif protocol not in ("tcp", "udp", "sctp", "any"):
            services_text.append(protocol)
    return {
        "sources": ", ".join(s.removesuffix("/32") for s in sources),
        "destinations": ", ".join(d.removesuffix("/32") for d in destinations),
        "services": ", ".join(services_text),
    }


def _violations(request: HttpRequest, check: NetworkCheck) -> list[dict[str, Any]]:
    visible_ids = set(
        visibility.visible_assets(request.user)  # type: ignore[arg-type]
        .filter(municipality_id=check.municipality_id)
        .values_list("pk", flat=True)
    )
    out = []
    for v in check.violations.prefetch_related("assets"):
        assets = list(v.assets.all())
        initial = _flow_initial(v)
        out.append(
            {
                "v": v,
                "source_label": segment_label(v.source_segment),
                "destination_label": segment_label(v.destination_segment),
                "assets": [a for a in assets if a.pk in visible_ids],
                "hidden_assets": sum(1 for a in assets if a.pk not in visible_ids),
                "exception_query": urlencode({k: val for k, val in initial.items() if val}),
            }
        )
    return out


def _check_context(request: HttpRequest, check: NetworkCheck) -> dict[str, Any]:
    check = checks.refresh(check)
    report = check.report or {}
    pairs = [
        {
            **p,
            "source_label": segment_label(p.get("source_segment", "")),
            "destination_label": segment_label(p.get("destination_segment", "")),
        }
        for p in report.get("pairs", [])
    ]
    ja = language() == "ja"
    context: dict[str, Any] = {
        "check": check,
        "progress": PROGRESS.get(check.progress, ""),
        "error": check.error_ja if ja else check.error_en,
        "pairs": pairs,
        "violations": _violations(request, check) if check.status == "done" else [],
        "report_exceptions": report.get("exceptions", []),
        "readings": report.get("readings", []),
        "ignored": report.get("ignored", []),
        "rule_findings": report.get("rule_findings", []),
        "can_run": _can(request, Action.RUN_NETWORK_CHECKS),
        "can_request": _can(request, Action.MANAGE_NETWORK_EXCEPTIONS),
    }
    if check.status == NetworkCheck.Status.DONE:
        context["inventory"] = inventory.inventory_report(check.municipality_id, check)
    return context


@login_required
@require_GET
def check_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A check: its progress (htmx polls the body every 2 s), then its results."""
    check = get_object_or_404(
        _scoped(request, Action.VIEW_NETWORK_CHECKS, NetworkCheck).select_related("snapshot"),
        pk=pk,
    )
    context = _check_context(request, check)
    if request.headers.get("HX-Request"):
        return render(request, "assets/network/check_body.html", context)
    return render(request, "assets/network/check.html", context)


@login_required
@require_GET
def check_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The verifier's text report of a check, in the user's language."""
    check = get_object_or_404(_scoped(request, Action.VIEW_NETWORK_CHECKS, NetworkCheck), pk=pk)
    if check.status != NetworkCheck.Status.DONE:
        raise Http404
    text = check.report_text_ja if language() == "ja" else check.report_text_en
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="network-check-{check.pk}.txt"'
    return response


@login_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    qs = _scoped(request, Action.VIEW_NETWORK_CHECKS, NetworkCheck).select_related(
        "snapshot", "requested_by"
    )
    before, after = request.GET.get("before", ""), request.GET.get("after", "")
    if before.isdigit() and after.isdigit():
        return redirect("assets:network:compare", pk=int(before), other=int(after))
    return render(request, "assets/network/history.html", {"checks": list(qs[:200])})


@login_required
@require_GET
def compare(request: HttpRequest, pk: int, other: int) -> HttpResponse:
    qs = _scoped(request, Action.VIEW_NETWORK_CHECKS, NetworkCheck).select_related("snapshot")
    before = get_object_or_404(qs, pk=pk)
    after = get_object_or_404(qs, pk=other)
    result = services.compare(before, after)
    return render(request, "assets/network/compare.html", {"c": result})


def _exceptions_page(
    request: HttpRequest, form: ExceptionForm | None = None, status: int = 200
) -> HttpResponse:
    rows = _scoped(request, Action.VIEW_NETWORK_CHECKS, PolicyException).select_related(
        "requested_by", "approved_by"
    )
    today = timezone.localdate()
    can_request = _can(request, Action.MANAGE_NETWORK_EXCEPTIONS)
    can_approve = _can(request, Action.APPROVE_NETWORK_EXCEPTIONS)
    if form is None:
        initial = {k: request.GET.get(k, "")[:500] for k in ("sources", "destinations", "services")}
        initial["expires"] = (today + datetime.timedelta(days=180)).isoformat()
        form = ExceptionForm(initial=initial)
    items = [
        {
            "e": e,
            "days_left": e.days_left(today),
            "can_decide": can_approve
            and e.status == PolicyException.Status.REQUESTED
            and e.requested_by_id != request.user.pk,
            "can_withdraw": e.status
            in (PolicyException.Status.REQUESTED, PolicyException.Status.APPROVED)
            and can_request
            and (e.requested_by_id == request.user.pk or can_approve),
        }
        for e in rows.order_by("-requested_at", "-pk")
    ]
    context = {
        "items": items,
        "form": form,
        "decision_form": DecisionForm(),
        "can_request": can_request,
        "remind_days": services.REMIND_DAYS,
    }
    return render(request, "assets/network/exceptions.html", context, status=status)


@login_required
def exceptions(request: HttpRequest) -> HttpResponse:
    """The 例外措置 register; POST asks for a new exception."""
    if request.method != "POST":
        _municipality(request, Action.VIEW_NETWORK_CHECKS)
        return _exceptions_page(request)
    municipality = _municipality(request, Action.MANAGE_NETWORK_EXCEPTIONS)
    form = ExceptionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            exception = services.request_exception(
                request.user,  # type: ignore[arg-type]
                municipality,
                sources=data["sources"],
                destinations=data["destinations"],
                services=data["services"],
                reason=data["reason"],
                expires=data["expires"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                _("Exception %(number)s was requested; another person must approve it.")
                % {"number": exception.number},
            )
            return redirect("assets:network:exceptions")
    return _exceptions_page(request, form)


def _decision(request: HttpRequest, pk: int, action: Action) -> PolicyException:
    return get_object_or_404(_scoped(request, action, PolicyException), pk=pk)


def _refused(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    for text in exc.messages:
        messages.error(request, text)
    return redirect("assets:network:exceptions")


@login_required
@require_POST
def exception_approve(request: HttpRequest, pk: int) -> HttpResponse:
    exception = _decision(request, pk, Action.APPROVE_NETWORK_EXCEPTIONS)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.approve_exception(request.user, exception, note=note)  # type: ignore[arg-type]
    except ValidationError as exc:
        return _refused(request, exc)
    messages.success(request, _("Exception %(number)s was approved.") % {"number": exception})
    return redirect("assets:network:exceptions")


@login_required
@require_POST
def exception_reject(request: HttpRequest, pk: int) -> HttpResponse:
    exception = _decision(request, pk, Action.APPROVE_NETWORK_EXCEPTIONS)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.reject_exception(request.user, exception, note=note)  # type: ignore[arg-type]
    except ValidationError as exc:
        return _refused(request, exc)
    messages.success(request, _("Exception %(number)s was rejected.") % {"number": exception})
    return redirect("assets:network:exceptions")


@login_required
@require_POST
def exception_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    exception = _decision(request, pk, Action.MANAGE_NETWORK_EXCEPTIONS)
    try:
        services.withdraw_exception(request.user, exception)  # type: ignore[arg-type]
    except ValidationError as exc:
        return _refused(request, exc)
    messages.success(request, _("Exception %(number)s was withdrawn.") % {"number": exception})
    return redirect("assets:network:exceptions")


@login_required
@require_GET
def inventory_page(request: HttpRequest) -> HttpResponse:
    municipality = _municipality(request, Action.VIEW_NETWORK_CHECKS)
    report = inventory.inventory_report(municipality)
    return render(
        request,
        "assets/network/inventory.html",
        {"inventory": report, "overview_url": reverse("assets:network:overview")},
    )
