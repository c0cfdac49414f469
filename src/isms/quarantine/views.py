"""Quarantine pages: list and search with a chart, the manifest of one message, releases.

Views parse input, ask ``permissions`` and render; releases go through ``services``. Every page
that shows quarantined mail is journaled as a read.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from isms.core import journal, permissions
from isms.core.models import JournalEntry, Municipality
from isms.core.permissions import Action
from isms.sanitizer import ReasonCode

from . import services
from .forms import ReasonForm, SearchForm
from .models import QuarantinedMessage, Release

PAGE_SIZE = 50
CHART_DAYS = 14


def _municipality(request: HttpRequest, action: Action) -> Municipality:
    municipality = request.municipality  # type: ignore[attr-defined]
    if municipality is None or not permissions.can(request.user, action, municipality=municipality):
        raise PermissionDenied
    return municipality


def _messages(request: HttpRequest, action: Action) -> QuerySet[QuarantinedMessage]:
    municipality = _municipality(request, action)
    return permissions.scope(request.user, action, QuarantinedMessage.objects.all()).filter(
        municipality=municipality
    )


def _read(request: HttpRequest, municipality: Municipality, action: str, detail: str) -> None:
    item = journal.JournalItem(
        action=action,
        object_type="quarantine.quarantinedmessage",
        object_id="",
        object_label=detail[:200],
        kind=JournalEntry.Kind.READ,
    )
    with transaction.atomic():
        journal.record_many([item], actor=request.user, municipality=municipality)  # type: ignore[arg-type]


def _label(code: str) -> str:
    try:
        return ReasonCode(code).text_ja
    except ValueError:
        return code


def _chart(qs: QuerySet[QuarantinedMessage]) -> dict[str, Any]:
    """Counts by verdict per day (last CHART_DAYS days) and by reason, for <meter> bars."""
    today = timezone.localdate()
    start = today - dt.timedelta(days=CHART_DAYS - 1)
    rows = qs.filter(received_at__date__gte=start).values_list(
        "received_at", "verdict", "reason_codes"
    )
    days: dict[dt.date, Counter[str]] = {
        start + dt.timedelta(days=i): Counter() for i in range(CHART_DAYS)
    }
    reasons: Counter[str] = Counter()
    for received, verdict, codes in rows:
        day = timezone.localtime(received).date()
        if day in days:
            days[day][verdict] += 1
        reasons.update(codes.split())
    top = max([sum(c.values()) for c in days.values()] + [1])
    return {
        "days": [
            {
                "day": day,
                "sanitized": c["sanitized"],
                "held": c["held"],
                "total": sum(c.values()),
            }
            for day, c in days.items()
        ],
        "max": top,
        "reasons": [
            {"code": code, "label": _label(code), "count": n} for code, n in reasons.most_common()
        ],
        "reasons_max": max([*reasons.values(), 1]),
    }


@login_required
def message_list(request: HttpRequest) -> HttpResponse:
    qs = _messages(request, Action.VIEW_QUARANTINE)
    municipality = _municipality(request, Action.VIEW_QUARANTINE)
    form = SearchForm(request.GET or None)
    found = qs
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            found = found.filter(Q(sender__icontains=data["q"]) | Q(subject__icontains=data["q"]))
        if data["verdict"]:
            found = found.filter(verdict=data["verdict"])
        if data["reason"]:
            found = found.filter(reason_codes__contains=f" {data['reason']} ")
        if data["date_from"]:
            found = found.filter(received_at__date__gte=data["date_from"])
        if data["date_to"]:
            found = found.filter(received_at__date__lte=data["date_to"])
    elif form.is_bound:
        found = qs.none()
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    _read(request, municipality, "quarantine.list", request.GET.urlencode() or "-")
    return render(
        request,
        "quarantine/message_list.html",
        {"form": form, "page": page, "chart": _chart(qs), "label": _label},
    )


def _releases_context(request: HttpRequest, message: QuarantinedMessage) -> dict[str, Any]:
    releases = list(message.releases.select_related("requested_by", "approved_by"))
    return {
        "releases": releases,
        "pending": [r for r in releases if r.state == Release.State.PENDING],
        "can_release": permissions.can(request.user, Action.RELEASE_QUARANTINE, message),
    }


@login_required
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(_messages(request, Action.VIEW_QUARANTINE), pk=pk)
    journal.record_read(actor=request.user, obj=message, action="quarantine.view")  # type: ignore[arg-type]
    reasons = [{**r, "label": _label(r["code"])} for r in message.manifest.get("reasons", [])]
    context = {
        "message": message,
        "reasons": reasons,
        "parts": message.manifest.get("parts", []),
        "headers": message.manifest.get("headers", []),
        "derivative_form": ReasonForm(auto_id="derivative_%s"),
        "original_form": ReasonForm(auto_id="original_%s"),
        **_releases_context(request, message),
    }
    return render(request, "quarantine/message_detail.html", context)


def _done(request: HttpRequest, message: QuarantinedMessage, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("quarantine:message_detail", pk=message.pk)


def _refused(
    request: HttpRequest, message: QuarantinedMessage, exc: ValidationError
) -> HttpResponse:
    for text in exc.messages:
        messages.error(request, text)
    return redirect("quarantine:message_detail", pk=message.pk)


@login_required
@require_POST
def release_derivative(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(_messages(request, Action.RELEASE_QUARANTINE), pk=pk)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.release_derivative(request.user, message, reason=reason)  # type: ignore[arg-type]
    except ValidationError as exc:
        return _refused(request, message, exc)
    return _done(request, message, _("The sanitized version was delivered to the recipients."))


@login_required
@require_POST
def request_original(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(_messages(request, Action.RELEASE_QUARANTINE), pk=pk)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.request_original(request.user, message, reason=reason)  # type: ignore[arg-type]
    except ValidationError as exc:
        return _refused(request, message, exc)
    return _done(request, message, _("The release of the original now awaits a second approver."))


@login_required
@require_POST
def approve_original(request: HttpRequest, pk: int) -> HttpResponse:
    municipality = _municipality(request, Action.RELEASE_QUARANTINE)
    releases = permissions.scope(
        request.user, Action.RELEASE_QUARANTINE, Release.objects.select_related("message")
    ).filter(message__municipality=municipality)
    release = get_object_or_404(releases, pk=pk)
    try:
        services.approve_original(request.user, release)  # type: ignore[arg-type]
    except ValidationError as exc:
        return _refused(request, release.message, exc)
    return _done(
        request, release.message, _("The original was released and delivered to the recipients.")
    )
