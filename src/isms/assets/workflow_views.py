"""Pages of the register's work: the classification assistant, the consistency report, the
migration to the R6.10 scheme with its review list, and the 運搬/提供/廃棄 requests.

Same path as ``views.py``: lookups through the register's visibility (404 out of sight), the
permission asked before the form is read (403), the services decide; a refusal by a service
(兼務の禁止, a state that changed) comes back as a message, never a 500.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from isms.assets.classification import (
    R6_10,
    Axis,
    InvalidAnswers,
    default_questions,
    suggest_classification,
)
from isms.core.permissions import Action

from . import services, visibility
from .common import language, register_settings
from .consistency import consistency_report
from .forms import ClassifyForm, DecisionForm, ReviewItemForm
from .models import LifecycleRequest, MigrationReviewItem, SchemeMigration
from .views import (
    PAGE_SIZE,
    _class_label,
    _scheme_label,
    editable_or_403,
    municipality_for,
    save_with,
    visible,
    warn,
)

# The headings of the consistency report, one per check of the core (and the register's own).
CHECK_LABELS = {
    "out_of_scope_without_reason": gettext_lazy("Out of scope without a reason"),
    "university_asset_not_city_owned": gettext_lazy("Used by the university but not city-owned"),
    "no_owner": gettext_lazy("No information security manager for the owning unit"),
    "unclassified": gettext_lazy("Not classified"),
    "specific_personal_info_outside_mynumber": gettext_lazy(
        "Specific personal information outside the My Number business segment"
    ),
    "personal_info_flags_inconsistent": gettext_lazy("Personal information flags contradict"),
    "class_not_allowed_in_segment": gettext_lazy("Class not allowed in its network segment"),
    "sensitive_personal_info_in_internet_segment": gettext_lazy(
        "Sensitive personal information in the Internet-connected segment"
    ),
    "personal_info_in_public_class": gettext_lazy("Personal information in a public class"),
    "mynumber_mfa_unconfirmed": gettext_lazy("Multi-factor authentication not confirmed"),
    "mynumber_export_block_unconfirmed": gettext_lazy("Export block not confirmed"),
    "availability_without_backup": gettext_lazy(
        "Availability 2 without a backup and recovery time"
    ),
    "medium_unclassified": gettext_lazy("Storage medium without classes"),
    "medium_mixed_schemes": gettext_lazy("Storage medium holding classes of another scheme"),
    "medium_below_highest_class": gettext_lazy("Storage medium below the highest class it holds"),
    "disposed_without_approval": gettext_lazy("Disposed without an approved disposal record"),
    "invalid_classification": gettext_lazy("Class unknown to the scheme"),
}


# --- classification assistant -----------------------------------------------------------------


def _suggestion_rows(suggestion: Any, scheme: str, form: ClassifyForm) -> list[dict[str, Any]]:
    ja = language() == "ja"
    rows = []
    for axis in Axis:
        reason = suggestion.reason(axis)
        rows.append(
            {
                "axis": axis.value,
                "class": _class_label(scheme, f"{axis.value}:{reason.class_id}"),
                "because": reason.because_ja if ja else reason.because_en,
                "criteria": reason.criteria_ja if ja else reason.criteria_en,
                "override": form[f"override_{axis.value}"],
                "reason": form[f"reason_{axis.value}"],
            }
        )
    return rows


@login_required
def asset_classify(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer the questions (step 1), review the suggestion and confirm or override (step 2)."""
    asset = editable_or_403(request, pk)
    scheme = register_settings(asset.municipality_id).scheme
    questions = default_questions()
    form = ClassifyForm(request.POST or None, questions=questions, scheme=scheme)
    step = request.POST.get("step", "answer") if request.method == "POST" else "answer"
    context: dict[str, Any] = {"asset": asset, "form": form, "stage": "answer"}
    if asset.migration_pending:
        messages.error(
            request,
            _(
                "This asset is waiting for its classification review after the change of "
                "classification scheme: resolve the review item first."
            ),
        )
        return redirect("assets:asset_detail", pk=asset.pk)
    if request.method == "POST" and form.is_valid():
        try:
            suggestion = suggest_classification(form.answers(), scheme=scheme)
        except InvalidAnswers as exc:
            ja = language() == "ja"
            for problem in exc.problems:
                form.add_error(None, problem.message_ja if ja else problem.message_en)
        else:
            if step == "confirm":
                classified = save_with(
                    form,
                    lambda: services.classify_asset(
                        request.user,  # type: ignore[arg-type]
                        asset,
                        answers=form.answers(),
                        overrides=form.overrides(),
                    ),
                )
                if classified is not None:
                    messages.success(
                        request,
                        _("Classified %(asset)s as %(classes)s.")
                        % {
                            "asset": asset,
                            "classes": " / ".join(
                                _class_label(
                                    scheme,
                                    f"{axis.value}:{getattr(classified.asset, axis.value)}",
                                )
                                for axis in Axis
                            ),
                        },
                    )
                    warn(request, classified.warnings)
                    return redirect("assets:asset_detail", pk=asset.pk)
            context.update(
                stage="review",
                suggestion=_suggestion_rows(suggestion, scheme, form),
                answered=[
                    (f, dict(f.field.choices).get(f.value(), f.value()))  # type: ignore[attr-defined]
                    for f in form.question_fields()
                    if f.value()
                ],
            )
    return render(request, "assets/asset_classify.html", context)


# --- consistency report -----------------------------------------------------------------------


@login_required
def consistency(request: HttpRequest) -> HttpResponse:
    municipality = municipality_for(request)
    report = consistency_report(request.user, municipality=municipality)  # type: ignore[arg-type]
    ja = language() == "ja"
    groups: OrderedDict[str, dict[str, Any]] = OrderedDict()
    for code in CHECK_LABELS:
        groups[code] = {"label": CHECK_LABELS[code], "issues": []}
    for issue in report.issues:
        group = groups.setdefault(issue.code, {"label": issue.code, "issues": []})
        group["issues"].append(
            {
                "issue": issue,
                "message": issue.message_ja if ja else issue.message_en,
                "fix": issue.fix_ja if ja else issue.fix_en,
            }
        )
    return render(
        request,
        "assets/consistency.html",
        {
            "report": report,
            "groups": [(code, g) for code, g in groups.items() if g["issues"]],
            "duplicates": [
                list(zip(d.asset_ids, d.asset_numbers, d.names, strict=True))
                for d in report.duplicates
            ],
        },
    )


# --- scheme migration -------------------------------------------------------------------------


def _open_items(request: HttpRequest) -> list[MigrationReviewItem]:
    """Return the open review items of assets the user sees and may edit."""
    items = (
        MigrationReviewItem.objects.filter(resolved_at__isnull=True, asset__in=visible(request))
        .select_related("asset", "asset__owning_unit", "migration")
        .order_by("asset__asset_number", "axis")
    )
    return [i for i in items if visibility.can_edit(request.user, i.asset)]  # type: ignore[arg-type]


@login_required
def migration(request: HttpRequest) -> HttpResponse:
    municipality = municipality_for(request, Action.MANAGE_ASSETS)
    settings = register_settings(municipality)
    ja = language() == "ja"
    rows = []
    for item in _open_items(request):
        scheme = item.migration.to_scheme
        rows.append(
            {
                "item": item,
                "form": ReviewItemForm(prefix=f"item{item.pk}", initial={"chosen": item.suggested}),
                "axis": _class_label(
                    item.migration.from_scheme, f"{item.axis}:{item.source_class}"
                ),
                "candidates": [
                    (c, _class_label(scheme, f"{item.axis}:{c}")) for c in item.candidates
                ],
                "reason": item.reason_ja if ja else item.reason_en,
                "hints": [h.get("text_ja") if ja else h.get("text_en") for h in item.hints],
            }
        )
    current = SchemeMigration.objects.filter(municipality=municipality).first()
    return render(
        request,
        "assets/migration.html",
        {
            "scheme_label": _scheme_label(settings.scheme),
            "target_label": _scheme_label(R6_10),
            "can_start": settings.scheme != R6_10
            and visibility.manages_whole_register(request.user, municipality.pk),  # type: ignore[arg-type]
            "migration": current,
            "open_total": current.review_items.filter(resolved_at__isnull=True).count()
            if current
            else 0,
            "rows": rows,
        },
    )


@login_required
@require_POST
def migration_start(request: HttpRequest) -> HttpResponse:
    municipality = municipality_for(request, Action.MANAGE_ASSETS)
    if not visibility.manages_whole_register(request.user, municipality.pk):  # type: ignore[arg-type]
        raise PermissionDenied
    try:
        started = services.start_migration(request.user, municipality, to_scheme=R6_10)  # type: ignore[arg-type]
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _(
                "The register now uses the new scheme: %(migrated)s assets were migrated "
                "automatically, %(review)s wait for their owners' review."
            )
            % {"migrated": started.migrated_count, "review": started.review_count},
        )
    return redirect("assets:migration")


@login_required
@require_POST
def review_item_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(
        MigrationReviewItem.objects.filter(asset__in=visible(request)).select_related(
            "asset", "asset__owning_unit"
        ),
        pk=pk,
    )
    if not visibility.can_edit(request.user, item.asset):  # type: ignore[arg-type]
        raise PermissionDenied
    form = ReviewItemForm(request.POST, prefix=f"item{item.pk}")
    if not form.is_valid():
        form = ReviewItemForm(request.POST)  # a plain form (tests, scripts) is accepted too
    if form.is_valid():
        try:
            services.resolve_review_item(request.user, item, **form.service_data())  # type: ignore[arg-type]
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, f"{item.asset}: {message}")
        else:
            messages.success(
                request,
                _("%(asset)s: the new class is %(chosen)s.")
                % {"asset": item.asset, "chosen": form.cleaned_data["chosen"]},
            )
    else:
        messages.error(request, _("Choose the new class."))
    return redirect("assets:migration")


# --- lifecycle requests -----------------------------------------------------------------------


def _request_or_404(request: HttpRequest, pk: int) -> LifecycleRequest:
    return get_object_or_404(
        LifecycleRequest.objects.filter(asset__in=visible(request)).select_related(
            "asset", "asset__owning_unit", "applicant__person", "approver__person"
        ),
        pk=pk,
    )


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    municipality = municipality_for(request)
    qs = (
        LifecycleRequest.objects.filter(asset__in=visible(request))
        .select_related("asset", "asset__owning_unit", "applicant__person", "approver__person")
        .order_by("-requested_at", "-pk")
    )
    pending = [
        r
        for r in qs.filter(state=LifecycleRequest.State.PENDING)
        if visibility.can_approve(request.user, r)  # type: ignore[arg-type]
    ]
    mine = Paginator(qs.filter(applicant=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "assets/request_list.html",
        {
            "pending": pending,
            "page": mine,
            "decision_form": DecisionForm(),
            "municipality": municipality,
        },
    )


def _decide(request: HttpRequest, pk: int, call: Any, done: str) -> HttpResponse:
    lifecycle_request = _request_or_404(request, pk)
    if not visibility.can_approve(request.user, lifecycle_request):  # type: ignore[arg-type]
        raise PermissionDenied
    form = DecisionForm(request.POST)
    form.is_valid()
    try:
        call(request.user, lifecycle_request, reason=form.cleaned_data.get("reason", ""))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done % {"request": lifecycle_request})
    return _back(request, lifecycle_request)


def _back(request: HttpRequest, lifecycle_request: LifecycleRequest) -> HttpResponse:
    """Go back to the asset's page if the form was there, else to the list of requests."""
    if request.POST.get("back") == "asset":
        return redirect("assets:asset_detail", pk=lifecycle_request.asset_id)
    return redirect("assets:request_list")


@login_required
@require_POST
def request_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, services.approve_lifecycle_request, _("Approved: %(request)s."))


@login_required
@require_POST
def request_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, services.reject_lifecycle_request, _("Rejected: %(request)s."))


@login_required
@require_POST
def request_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    lifecycle_request = _request_or_404(request, pk)
    if lifecycle_request.applicant_id != request.user.pk:
        raise PermissionDenied
    try:
        services.withdraw_lifecycle_request(request.user, lifecycle_request)  # type: ignore[arg-type]
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Withdrew: %(request)s.") % {"request": lifecycle_request})
    return _back(request, lifecycle_request)
