"""Import, export and template pages of the asset register, and the page of an asset import
running in the background (``assets.io`` and ``core.io_jobs`` do the work).

Who may: the export is the visible register (``visibility.visible_assets``) narrowed by the
list's filters; the template and the import need ``MANAGE_ASSETS`` in the municipality, and the
import refuses rows of units the user may not edit (``assets.io``).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from isms.core import io as core_io
from isms.core import io_jobs, permissions
from isms.core.models import ImportJob, Municipality
from isms.core.permissions import Action

from . import io
from .visibility import manages_whole_register, visible_assets

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILENAME = "assets"  # ASCII, so every browser keeps it


class AssetImportForm(forms.Form):
    """Upload a CSV or Excel file of assets."""

    file = forms.FileField(
        label=capfirst(gettext_lazy("file")),
        help_text=gettext_lazy(
            "CSV (UTF-8 or Shift_JIS) or Excel (.xlsx), at most 16 MB and 50,000 rows, with the "
            "headers of the template in the first row."
        ),
    )


def _municipality(request: HttpRequest, action: Action) -> Municipality:
    municipality: Municipality | None = request.municipality  # type: ignore[attr-defined]
    if municipality is None:
        raise PermissionDenied
    permissions.require(request.user, action, municipality=municipality)
    return municipality


def _download(request: HttpRequest, rows: list[list[str]], stem: str) -> HttpResponse:
    if request.GET.get("format") == "xlsx":
        body = core_io.export_xlsx(io.ASSET_COLUMNS, rows, FILENAME)
        content_type, suffix = XLSX_TYPE, "xlsx"
    else:
        body, content_type, suffix = core_io.export_csv(io.ASSET_COLUMNS, rows), CSV_TYPE, "csv"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{stem}.{suffix}"'
    return response


@login_required
@require_GET
def asset_export(request: HttpRequest) -> HttpResponse:
    """The visible register of the municipality worked in, with the list's filters."""
    municipality = _municipality(request, Action.VIEW_ASSETS)
    qs = visible_assets(request.user).filter(municipality=municipality)  # type: ignore[arg-type]
    rows = list(io.asset_rows(io.filter_assets(qs, request.GET)))
    return _download(request, rows, FILENAME)


@login_required
@require_GET
def asset_template(request: HttpRequest) -> HttpResponse:
    _municipality(request, Action.MANAGE_ASSETS)
    return _download(request, [], f"{FILENAME}-template")


@login_required
def asset_import(request: HttpRequest) -> HttpResponse:
    municipality = _municipality(request, Action.MANAGE_ASSETS)
    form = AssetImportForm(request.POST or None, request.FILES or None)
    issues: list[core_io.ImportIssue] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            core_io.check_size(upload.size, max_bytes=io.MAX_BYTES)
            data = upload.read()
            rows = core_io.count_rows(data, upload.name, max_bytes=io.MAX_BYTES)
            if rows > io_jobs.BACKGROUND_ROWS:
                job = io_jobs.start(
                    request.user,  # type: ignore[arg-type]
                    municipality,
                    kind=ImportJob.Kind.ASSET,
                    filename=upload.name,
                    data=data,
                    rows=rows,
                )
                return redirect("assets:asset_import_job", pk=job.pk)
            result = io.import_assets(request.user, municipality, data, upload.name)  # type: ignore[arg-type]
        except core_io.ImportRejected as exc:
            issues = exc.issues
        else:
            messages.success(
                request,
                _("Imported: %(created)s added, %(updated)s changed, %(unchanged)s unchanged.")
                % {
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                },
            )
            return redirect("assets:asset_import")
    return render(
        request,
        "assets/io_import.html",
        {
            "form": form,
            "issues": issues,
            "headers": [c.header for c in io.ASSET_COLUMNS],
            "background_rows": io_jobs.BACKGROUND_ROWS,
        },
    )


@login_required
@require_GET
def asset_import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress, then the outcome, of a background asset import; htmx polls the status.

    Its uploader sees it, and whoever manages the whole register; other municipalities' jobs
    and other kinds are a 404.
    """
    municipality = request.municipality  # type: ignore[attr-defined]
    job = ImportJob.objects.filter(
        pk=pk, municipality=municipality, kind=ImportJob.Kind.ASSET
    ).first()
    if municipality is None or job is None:
        raise Http404
    _municipality(request, Action.MANAGE_ASSETS)
    user = request.user
    if job.created_by_id != user.pk and not manages_whole_register(user, municipality.pk):  # type: ignore[arg-type]
        raise PermissionDenied
    job = io_jobs.refresh(job)
    done, total = io_jobs.progress_of(job)
    context = {
        "job": job,
        "done": done,
        "total": total,
        "percent": int(done * 100 / total) if total else 0,
        "issues": [core_io.ImportIssue(**i) for i in job.issues],
    }
    if request.headers.get("HX-Request"):
        return render(request, "assets/io_job_status.html", context)
    return render(request, "assets/io_job.html", context)
