"""Pages of the information asset register: list, detail, create/edit, hosts and controls.

Views parse input, ask ``visibility`` and render; writes go through ``services``, whose
``ValidationError`` goes back onto the form next to the field it names. Every lookup goes
through ``visibility.visible_assets`` narrowed to the municipality the user works in, so an
asset out of sight is a 404; an action the user may not take on a visible asset is a 403.
The assistant, the consistency report, the scheme migration and the 運搬/提供/廃棄 requests
are in ``workflow_views.py``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from isms.assets.classification import (
    BUILTIN_SCHEMES,
    Axis,
    ClassificationError,
    Inconsistency,
    default_questions,
    derive_handling,
    get_scheme,
    handling_category,
)
from isms.core import journal, permissions
from isms.core.kana import fold
from isms.core.models import JournalEntry, Municipality, OrgUnit
from isms.core.permissions import Action
from isms.core.templatetags.isms_roles import request_role_labels

from . import bulk, services, visibility
from .common import language, register_settings
from .consistency import asset_inconsistencies, duplicates_of
from .facts import classification_of
from .forms import (
    AssetFilterForm,
    AssetForm,
    BulkEditForm,
    DisposalForm,
    HostForm,
    LifecycleRequestForm,
)
from .lifecycle import needs_approval
from .models import REQUEST_STAGES, AssetHost, InformationAsset, LifecycleRequest

PAGE_SIZE = 50
HISTORY_LIMIT = 100

# What the journal's asset actions are called on the asset's page.
HISTORY_LABELS = {
    "asset.create": gettext_lazy("Registered"),
    "asset.update": gettext_lazy("Changed"),
    "asset.read": gettext_lazy("Read (confidentiality 3)"),
    "asset.classify": gettext_lazy("Classified with the assistant"),
    "asset.migrate": gettext_lazy("Migrated to another classification scheme"),
    "asset.dispose": gettext_lazy("Disposal recorded"),
    "asset.confirm_mfa": gettext_lazy("Multi-factor authentication confirmed"),
    "asset.confirm_export_blocked": gettext_lazy("Export block confirmed"),
}


# --- lookups ----------------------------------------------------------------------------------


def municipality_for(request: HttpRequest, action: Action = Action.VIEW_ASSETS) -> Municipality:
    """Return the municipality the user works in, if they may do ``action`` there (else 403)."""
    municipality: Municipality | None = request.municipality  # type: ignore[attr-defined]
    if municipality is None or not permissions.can(request.user, action, municipality=municipality):
        raise PermissionDenied
    return municipality


def visible(request: HttpRequest) -> QuerySet[InformationAsset]:
    """Return the assets the user sees in the municipality they work in."""
    municipality = municipality_for(request)
    return visibility.visible_assets(request.user).filter(  # type: ignore[arg-type]
        municipality=municipality
    )


def asset_or_404(request: HttpRequest, pk: int) -> InformationAsset:
    """Return a visible asset without journaling a read (for pages that only act on it)."""
    return get_object_or_404(visible(request).select_related("owning_unit"), pk=pk)


def editable_or_403(request: HttpRequest, pk: int) -> InformationAsset:
    asset = asset_or_404(request, pk)
    if not visibility.can_edit(request.user, asset):  # type: ignore[arg-type]
        raise PermissionDenied
    return asset


def editable_units(request: HttpRequest, municipality: Municipality) -> list[OrgUnit]:
    """Return the municipality's current units whose assets the user may register."""
    units = OrgUnit.objects.filter(municipality=municipality, abolished_on__isnull=True)
    if visibility.manages_whole_register(request.user, municipality.pk):  # type: ignore[arg-type]
        return list(units)
    held = visibility.managed_units(request.user)  # type: ignore[arg-type]
    return [u for u in units.filter(pk__in=list(held))]


def warn(request: HttpRequest, warnings: list[Inconsistency]) -> None:
    """Show the consistency problems a save left (they never block it) as messages."""
    ja = language() == "ja"
    for w in warnings:
        messages.warning(
            request,
            _("%(message)s Fix: %(fix)s")
            % {
                "message": w.message_ja if ja else w.message_en,
                "fix": w.fix_ja if ja else w.fix_en,
            },
        )


def save_with(form: Any, call: Any) -> Any:
    """Return what the service ``call`` returns, or None after putting its errors on ``form``."""
    try:
        return call()
    except ValidationError as exc:
        form.add_service_error(exc)
        return None


# --- list -------------------------------------------------------------------------------------


def _filter_units(request: HttpRequest, municipality: Municipality) -> list[OrgUnit]:
    units = OrgUnit.objects.filter(municipality=municipality)
    if not permissions.can(request.user, Action.VIEW_ALL_ASSETS, municipality=municipality):
        units = units.filter(pk__in=visibility.visible_unit_ids(request.user))  # type: ignore[arg-type]
    return list(units.only("pk", "name", "sort_order", "code"))


def _filtered(qs: QuerySet[InformationAsset], data: dict[str, Any]) -> QuerySet[InformationAsset]:
    if data.get("q"):
        qs = qs.filter(search_key__contains=fold(data["q"]))
    if data.get("unit"):
        qs = qs.filter(owning_unit_id=data["unit"])
    if data.get("confidentiality") == "none":
        qs = qs.filter(confidentiality="")
    elif data.get("confidentiality"):
        qs = qs.filter(confidentiality=data["confidentiality"])
    for name in ("segment", "kind", "status"):
        if data.get(name):
            qs = qs.filter(**{name: data[name]})
    if data.get("pending"):
        qs = qs.filter(migration_pending=True)
    return qs


@login_required
def asset_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request)


@login_required
@require_POST
def asset_bulk_edit(request: HttpRequest) -> HttpResponse:
    """Apply one change to the assets ticked on the list (all or nothing), back to the list."""
    municipality = municipality_for(request, Action.MANAGE_ASSETS)
    form = BulkEditForm(request.POST, municipality=municipality)
    if form.is_valid():
        try:
            changed = bulk.bulk_update_assets(
                request.user,  # type: ignore[arg-type]
                municipality,
                form.cleaned_data["asset_ids"],
                **form.change(),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                target = {"custodian": "custodian_number"}.get(field, field)
                form.add_error(target if target in form.fields else None, errors)
        else:
            messages.success(
                request,
                ngettext("Changed %(n)d asset.", "Changed %(n)d assets.", len(changed))
                % {"n": len(changed)},
            )
            query = request.GET.urlencode()
            return redirect(reverse("assets:asset_list") + (f"?{query}" if query else ""))
    return _list_page(request, bulk_form=form)


def _list_page(request: HttpRequest, bulk_form: BulkEditForm | None = None) -> HttpResponse:
    municipality = municipality_for(request)
    settings = register_settings(municipality)
    form = AssetFilterForm(
        request.GET or None,
        units=_filter_units(request, municipality),
        scheme=settings.scheme,
    )
    qs = visible(request).select_related("owning_unit")
    order = AssetFilterForm.SORTS["number"]
    if form.is_valid():
        qs = _filtered(qs, form.cleaned_data)
        order = AssetFilterForm.SORTS.get(form.cleaned_data.get("sort") or "number", order)
        if form.cleaned_data.get("sort") == "class":
            qs = qs.annotate(confidentiality_rank=_confidentiality_rank())
    page = Paginator(qs.order_by(*order), PAGE_SIZE).get_page(request.GET.get("page"))
    kept = [(k, v) for k, v in request.GET.items() if k != "page" and v]
    can_create = bool(editable_units(request, municipality))
    if bulk_form is None and can_create:
        bulk_form = BulkEditForm(municipality=municipality)
    ticked = set(bulk_form.data.getlist("asset_ids")) if bulk_form and bulk_form.is_bound else set()
    return render(
        request,
        "assets/asset_list.html",
        {
            "form": form,
            "page": page,
            "querystring": urlencode(kept),
            "can_create": can_create,
            "bulk_form": bulk_form,
            "ticked": ticked,
            "can_migrate": visibility.manages_whole_register(request.user, municipality.pk),  # type: ignore[arg-type]
            "can_manage": permissions.can(
                request.user, Action.MANAGE_ASSETS, municipality=municipality
            ),
            "scheme_label": _scheme_label(settings.scheme),
        },
    )


def _confidentiality_rank() -> Case:
    """Rank the confidentiality classes of both schemes, strictest highest (3A > 3B > 3C)."""
    ranks: dict[str, int] = {}
    for scheme_id in BUILTIN_SCHEMES:
        for level in get_scheme(scheme_id).scale(Axis.CONFIDENTIALITY).classes:
            ranks[level.id] = max(ranks.get(level.id, 0), level.rank)
    return Case(
        *(When(confidentiality=class_id, then=Value(rank)) for class_id, rank in ranks.items()),
        default=Value(0),
        output_field=IntegerField(),
    )


def _scheme_label(scheme_id: str) -> str:
    scheme = get_scheme(scheme_id)
    return scheme.label_ja if language() == "ja" else scheme.label_en


# --- detail -----------------------------------------------------------------------------------


def _class_label(scheme_id: str, origin: str) -> str:
    """Return ``confidentiality:3`` as 機密性3 (``common``: every asset)."""
    if origin == "common":
        return _("every asset")
    axis, _sep, class_id = origin.partition(":")
    try:
        level = get_scheme(scheme_id).level(Axis(axis), class_id)
    except (ClassificationError, ValueError):
        return origin
    return level.label_ja if language() == "ja" else level.label_en


def _handling(request: HttpRequest, asset: InformationAsset) -> dict[str, Any] | None:
    """Return the derived 取扱制限 per stage and the 取扱区分, for the template."""
    classification = classification_of(asset)
    if classification is None:
        return None
    ja = language() == "ja"
    roles = request_role_labels(request)
    try:
        rules = derive_handling(classification)
    except ClassificationError as exc:
        return {"error": exc.render(language())}
    stages = []
    for stage, applied in rules.stages:
        stages.append(
            {
                "label": stage.label_ja if ja else stage.label_en,
                "needs_approval": rules.needs_approval(stage),
                "restrictions": [
                    {
                        "text": a.restriction.text_ja if ja else a.restriction.text_en,
                        "required_by": [
                            _class_label(classification.scheme, o) for o in a.required_by
                        ],
                        "approval": roles.get(a.restriction.approval, a.restriction.approval)
                        if a.restriction.approval
                        else "",
                    }
                    for a in applied
                ],
            }
        )
    category = None
    mapping = services.handling_categories_of(register_settings(asset.municipality_id))
    if mapping is not None:
        try:
            found = handling_category(classification, mapping)
            category = {
                "label": found.label_ja if ja else found.label_en,
                "description": found.description_ja if ja else found.description_en,
                "map": mapping.label_ja if ja else mapping.label_en,
            }
        except (ClassificationError, KeyError):
            category = None
    return {"stages": stages, "category": category}


def _history(asset: InformationAsset) -> list[dict[str, Any]]:
    entries = JournalEntry.objects.filter(
        chain=journal.chain_for(asset.municipality_id),
        object_type=InformationAsset._meta.label_lower,
        object_id=str(asset.pk),
    ).order_by("-seq")[:HISTORY_LIMIT]
    names = {f.name: f.verbose_name for f in InformationAsset._meta.get_fields() if f.concrete}
    rows = []
    for e in entries:
        before, after = e.before or {}, e.after or {}
        changed = (
            [str(names.get(k, k)) for k in after if k in names and before.get(k) != after.get(k)]
            if isinstance(before, dict) and isinstance(after, dict) and before
            else []
        )
        rows.append(
            {"entry": e, "label": HISTORY_LABELS.get(e.action, e.action), "changed": changed}
        )
    return rows


def _requests(request: HttpRequest, asset: InformationAsset) -> list[dict[str, Any]]:
    user = request.user
    rows = []
    for r in asset.lifecycle_requests.select_related(
        "applicant__person", "approver__person"
    ).order_by("-requested_at", "-pk"):
        pending = r.state == LifecycleRequest.State.PENDING
        r.asset = asset  # already read; spares a query per row
        rows.append(
            {
                "request": r,
                "can_decide": pending and visibility.can_approve(user, r),  # type: ignore[arg-type]
                "can_withdraw": pending and r.applicant_id == user.pk,
            }
        )
    return rows


def _request_kinds(asset: InformationAsset) -> list[str]:
    """Return the kinds of request the asset's classes call for (none once disposed)."""
    if asset.status == InformationAsset.Status.DISPOSED:
        return []
    kinds = []
    for kind, stage in REQUEST_STAGES.items():
        try:
            if needs_approval(asset, stage):
                kinds.append(kind)
        except ClassificationError:
            continue
    return kinds


def _approved_disposal(asset: InformationAsset) -> LifecycleRequest | None:
    return (
        asset.lifecycle_requests.filter(
            kind=LifecycleRequest.Kind.DISPOSE,
            state=LifecycleRequest.State.APPROVED,
            disposal_record__isnull=True,
        )
        .order_by("-decided_at")
        .first()
    )


def _may_record_disposal(request: HttpRequest, asset: InformationAsset) -> bool:
    if asset.status == InformationAsset.Status.DISPOSED:
        return False
    if visibility.can_edit(request.user, asset):  # type: ignore[arg-type]
        return True
    approved = _approved_disposal(asset)
    return approved is not None and approved.applicant_id == request.user.pk


@login_required
def asset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    municipality = municipality_for(request)
    try:
        asset = visibility.read_asset(request.user, pk)  # type: ignore[arg-type]
    except InformationAsset.DoesNotExist:
        raise Http404 from None
    if asset.municipality_id != municipality.pk:
        raise Http404
    can_edit = visibility.can_edit(request.user, asset)  # type: ignore[arg-type]
    ja = language() == "ja"
    findings = asset_inconsistencies(asset) + duplicates_of(asset)
    record = asset.classification_records.select_related("recorded_by").first()
    questions = None
    if record is not None:
        qs = default_questions()
        questions = []
        for qid, value in record.answers.items():
            q = qs.question(qid)
            text = (q.text_ja if ja else q.text_en) if q else qid
            shown = value
            if isinstance(value, bool):
                shown = _("Yes") if value else _("No")
            elif q is not None:
                shown = next(
                    (o.label_ja if ja else o.label_en for o in q.options if o.id == value), value
                )
            questions.append((text, shown))
    return render(
        request,
        "assets/asset_detail.html",
        {
            "asset": asset,
            "can_edit": can_edit,
            "is_mynumber_system": asset.segment == InformationAsset.Segment.MYNUMBER
            and asset.kind == InformationAsset.Kind.SYSTEM_EQUIPMENT,
            "hosts": asset.hosts.all(),
            "host_form": HostForm() if can_edit else None,
            "handling": _handling(request, asset),
            "findings": [
                {
                    "message": f.message_ja if ja else f.message_en,
                    "fix": f.fix_ja if ja else f.fix_en,
                    "severity": f.severity.value,
                }
                for f in findings
            ],
            "record": record,
            "answers": questions,
            "reasons": [
                {
                    "axis": r.get("axis"),
                    "class": r.get("class"),
                    "because": r.get("because_ja") if ja else r.get("because_en"),
                }
                for r in (record.reasons if record else [])
            ],
            "requests": _requests(request, asset),
            "request_kinds": _request_kinds(asset),
            "disposal": asset.disposal_records.select_related(
                "disposed_by", "approver__person", "recorded_by__person"
            ).first(),
            "may_record_disposal": _may_record_disposal(request, asset),
            "history": _history(asset),
            "scheme_label": _scheme_label(asset.scheme),
            "class_labels": {
                axis.value: _class_label(asset.scheme, f"{axis.value}:{getattr(asset, axis.value)}")
                for axis in Axis
                if getattr(asset, axis.value)
            },
            "review_items": asset.migration_review_items.filter(resolved_at__isnull=True),
        },
    )


# --- create / edit ----------------------------------------------------------------------------


@login_required
def asset_create(request: HttpRequest) -> HttpResponse:
    municipality = municipality_for(request, Action.MANAGE_ASSETS)
    units = editable_units(request, municipality)
    if not units:
        raise PermissionDenied
    scheme = register_settings(municipality).scheme
    form = AssetForm(request.POST or None, municipality=municipality, units=units, scheme=scheme)
    if request.method == "POST" and form.is_valid():
        saved = save_with(
            form,
            lambda: services.create_asset(request.user, municipality, **form.service_data()),  # type: ignore[arg-type]
        )
        if saved is not None:
            messages.success(request, _("Registered the asset %(asset)s.") % {"asset": saved.asset})
            warn(request, saved.warnings)
            return redirect("assets:asset_detail", pk=saved.asset.pk)
    return render(request, "assets/asset_form.html", {"form": form, "asset": None})


@login_required
def asset_edit(request: HttpRequest, pk: int) -> HttpResponse:
    asset = editable_or_403(request, pk)
    municipality = municipality_for(request, Action.MANAGE_ASSETS)
    if request.method == "GET":
        # The form shows every field: opening it reads the asset (journaled for 機密性3).
        visibility.read_asset(request.user, asset)  # type: ignore[arg-type]
    original = InformationAsset.objects.get(pk=asset.pk)
    units = editable_units(request, municipality)
    if asset.owning_unit not in units:
        units.append(asset.owning_unit)
    form = AssetForm(
        request.POST or None,
        instance=asset,
        municipality=municipality,
        units=units,
        scheme=register_settings(municipality).scheme,
    )
    if request.method == "POST" and form.is_valid():
        saved = save_with(
            form,
            lambda: services.update_asset(request.user, original, **form.service_data()),  # type: ignore[arg-type]
        )
        if saved is not None:
            messages.success(request, _("Saved the asset %(asset)s.") % {"asset": saved.asset})
            warn(request, saved.warnings)
            return redirect("assets:asset_detail", pk=saved.asset.pk)
    return render(request, "assets/asset_form.html", {"form": form, "asset": original})


# --- hosts and the mynumber controls --------------------------------------------------------------


@login_required
def host_add(request: HttpRequest, pk: int) -> HttpResponse:
    asset = editable_or_403(request, pk)
    form = HostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        host = save_with(
            form,
            lambda: services.add_host(request.user, asset, **form.service_data()),  # type: ignore[arg-type]
        )
        if host is not None:
            messages.success(request, _("Recorded the host %(host)s.") % {"host": host})
            return redirect("assets:asset_detail", pk=asset.pk)
    return render(request, "assets/host_form.html", {"form": form, "asset": asset})


@login_required
@require_POST
def host_remove(request: HttpRequest, pk: int, host_pk: int) -> HttpResponse:
    asset = editable_or_403(request, pk)
    host = get_object_or_404(AssetHost.objects.filter(asset=asset), pk=host_pk)
    host.asset = asset
    services.remove_host(request.user, host)  # type: ignore[arg-type]
    messages.success(request, _("Removed the host %(host)s.") % {"host": host})
    return redirect("assets:asset_detail", pk=asset.pk)


def _confirm(request: HttpRequest, pk: int, call: Any, done: str) -> HttpResponse:
    asset = editable_or_403(request, pk)
    try:
        saved = call(request.user, asset)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
        warn(request, saved.warnings)
    return redirect("assets:asset_detail", pk=asset.pk)


@login_required
@require_POST
def confirm_mfa(request: HttpRequest, pk: int) -> HttpResponse:
    return _confirm(
        request, pk, services.confirm_mfa, _("Recorded that multi-factor authentication is set up.")
    )


@login_required
@require_POST
def confirm_export_blocked(request: HttpRequest, pk: int) -> HttpResponse:
    return _confirm(
        request,
        pk,
        services.confirm_export_blocked,
        _("Recorded that the export block is in force."),
    )


# --- requests and disposal on the asset -------------------------------------------------------


@login_required
def request_create(request: HttpRequest, pk: int) -> HttpResponse:
    asset = asset_or_404(request, pk)
    kinds = _request_kinds(asset)
    form = LifecycleRequestForm(
        request.POST or None, kinds=kinds or None, initial={"kind": request.GET.get("kind")}
    )
    if request.method == "POST" and form.is_valid():
        created = save_with(
            form,
            lambda: services.request_lifecycle(request.user, asset, **form.service_data()),  # type: ignore[arg-type]
        )
        if created is not None:
            messages.success(
                request,
                _("Requested: %(request)s. The information security manager decides.")
                % {"request": created.get_kind_display()},
            )
            return redirect("assets:asset_detail", pk=asset.pk)
    return render(
        request,
        "assets/request_form.html",
        {"form": form, "asset": asset, "no_kinds": not kinds},
    )


@login_required
def disposal_record(request: HttpRequest, pk: int) -> HttpResponse:
    asset = asset_or_404(request, pk)
    if not _may_record_disposal(request, asset):
        if asset.status == InformationAsset.Status.DISPOSED:
            messages.error(request, _("This asset has already been disposed of."))
            return redirect("assets:asset_detail", pk=asset.pk)
        raise PermissionDenied
    approved = _approved_disposal(asset)
    form = DisposalForm(request.POST or None, municipality=asset.municipality)
    if request.method == "POST" and form.is_valid():
        record = save_with(
            form,
            lambda: services.record_disposal(
                request.user,  # type: ignore[arg-type]
                asset,
                request=approved,
                **form.service_data(),
            ),
        )
        if record is not None:
            messages.success(
                request,
                _("Recorded the disposal of %(asset)s on %(date)s.")
                % {"asset": asset, "date": record.disposed_on.isoformat()},
            )
            return redirect("assets:asset_detail", pk=asset.pk)
    return render(
        request,
        "assets/disposal_form.html",
        {"form": form, "asset": asset, "approved": approved},
    )
