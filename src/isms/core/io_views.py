"""Import, export and template pages of org units, people and role assignments, and the page of
an import running in the background (``core.io`` and ``core.io_jobs`` do the work)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from . import io, io_jobs
from .calendar import fiscal_year_bounds
from .forms import ImportForm
from .models import ImportJob, OrgUnit, Person, RoleAssignment
from .permissions import Action
from .templatetags.isms_roles import role_labels
from .views import _municipality_for, _scoped

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class _Kind:
    """What differs between the org-unit, staff and role-assignment import/export pages."""

    title: Any
    filename: str  # without suffix; ASCII so every browser keeps it
    columns: tuple[io.Column, ...]
    view: Action
    manage: Action
    list_url: str
    template_url: str
    model: type[OrgUnit] | type[Person] | type[RoleAssignment]
    export_rows: Callable[[HttpRequest, QuerySet[Any]], list[list[str]]]
    importer: Callable[..., Any]
    job_kind: str  # ImportJob.Kind


def _role_assignment_rows(request: HttpRequest, qs: QuerySet[Any]) -> list[list[str]]:
    """The assignments running at some time in the fiscal year chosen (as the role list)."""
    lo, hi = fiscal_year_bounds(request.fiscal_year)  # type: ignore[attr-defined]
    qs = (
        qs.filter(start_date__lte=hi)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=lo))
        .select_related("person", "org_unit")
        .order_by("role", "org_unit__sort_order", "org_unit__code", "person__employee_number")
    )
    return io.role_assignment_rows(qs, role_labels(request.municipality, "ja"))  # type: ignore[attr-defined]


ORG_UNITS = _Kind(
    _("Import org units"),
    "org-units",
    io.ORG_UNIT_COLUMNS,
    Action.VIEW_ORGANISATION,
    Action.MANAGE_ORGANISATION,
    "core:org_unit_list",
    "core:org_unit_template",
    OrgUnit,
    lambda request, qs: io.org_unit_rows(qs.order_by("sort_order", "code")),
    io.import_org_units,
    ImportJob.Kind.ORG_UNIT,
)
PEOPLE = _Kind(
    _("Import staff"),
    "people",
    io.PERSON_COLUMNS,
    Action.VIEW_PEOPLE,
    Action.MANAGE_PEOPLE,
    "core:person_list",
    "core:person_template",
    Person,
    lambda request, qs: io.person_rows(qs.select_related("org_unit").order_by("employee_number")),
    io.import_people,
    ImportJob.Kind.PERSON,
)
ROLE_ASSIGNMENTS = _Kind(
    _("Import role assignments"),
    "role-assignments",
    io.ROLE_ASSIGNMENT_COLUMNS,
    Action.VIEW_ROLES,
    Action.MANAGE_ROLES,
    "core:role_assignment_list",
    "core:role_assignment_template",
    RoleAssignment,
    _role_assignment_rows,
    io.import_role_assignments,
    ImportJob.Kind.ROLE_ASSIGNMENT,
)
KINDS = {k.job_kind: k for k in (ORG_UNITS, PEOPLE, ROLE_ASSIGNMENTS)}


def _download(kind: _Kind, request: HttpRequest, rows: list[list[str]], stem: str) -> HttpResponse:
    if request.GET.get("format") == "xlsx":
        body, content_type, suffix = (
            io.export_xlsx(kind.columns, rows, kind.filename),
            XLSX_TYPE,
            "xlsx",
        )
    else:
        body, content_type, suffix = io.export_csv(kind.columns, rows), CSV_TYPE, "csv"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{stem}.{suffix}"'
    return response


def _export(request: HttpRequest, kind: _Kind) -> HttpResponse:
    qs = _scoped(request, kind.view, kind.model.objects.all())
    return _download(kind, request, kind.export_rows(request, qs), kind.filename)


def _template(request: HttpRequest, kind: _Kind) -> HttpResponse:
    _municipality_for(request, kind.manage)
    return _download(kind, request, [], f"{kind.filename}-template")


def _import(request: HttpRequest, kind: _Kind) -> HttpResponse:
    municipality = _municipality_for(request, kind.manage)
    form = ImportForm(request.POST or None, request.FILES or None)
    issues: list[io.ImportIssue] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            io.check_size(upload.size)
            data = upload.read()
            rows = io.count_rows(data, upload.name)
            if rows > io_jobs.BACKGROUND_ROWS:
                job = io_jobs.start(
                    request.user,  # type: ignore[arg-type]
                    municipality,
                    kind=kind.job_kind,
                    filename=upload.name,
                    data=data,
                    rows=rows,
                )
                return redirect("core:import_job_detail", pk=job.pk)
            result = kind.importer(request.user, municipality, data, upload.name)
        except io.ImportRejected as exc:
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
            return redirect(kind.list_url)
    return render(
        request,
        "core/import.html",
        {
            "form": form,
            "issues": issues,
            "title": kind.title,
            "headers": [c.header for c in kind.columns],
            "template_url": kind.template_url,
            "cancel_name": kind.list_url,
            "background_rows": io_jobs.BACKGROUND_ROWS,
            "adds_only": kind is ROLE_ASSIGNMENTS,
        },
    )


@login_required
def org_unit_import(request: HttpRequest) -> HttpResponse:
    return _import(request, ORG_UNITS)


@login_required
def org_unit_export(request: HttpRequest) -> HttpResponse:
    return _export(request, ORG_UNITS)


@login_required
def org_unit_template(request: HttpRequest) -> HttpResponse:
    return _template(request, ORG_UNITS)


@login_required
def person_import(request: HttpRequest) -> HttpResponse:
    return _import(request, PEOPLE)


@login_required
def person_export(request: HttpRequest) -> HttpResponse:
    return _export(request, PEOPLE)


@login_required
def person_template(request: HttpRequest) -> HttpResponse:
    return _template(request, PEOPLE)


@login_required
def role_assignment_import(request: HttpRequest) -> HttpResponse:
    return _import(request, ROLE_ASSIGNMENTS)


@login_required
def role_assignment_export(request: HttpRequest) -> HttpResponse:
    return _export(request, ROLE_ASSIGNMENTS)


@login_required
def role_assignment_template(request: HttpRequest) -> HttpResponse:
    return _template(request, ROLE_ASSIGNMENTS)


@login_required
@require_GET
def import_job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress, then the outcome, of a background import; htmx polls the status part.

    Only users of the job's municipality who may manage its kind see it; anyone else gets 404
    (another municipality's job) or 403 (a right they lack).
    """
    municipality = request.municipality  # type: ignore[attr-defined]
    # Other apps' jobs (kinds not in KINDS) have their own pages.
    job = ImportJob.objects.filter(pk=pk, municipality=municipality, kind__in=KINDS).first()
    if municipality is None or job is None:
        raise Http404
    kind = KINDS[job.kind]
    _municipality_for(request, kind.manage)
    job = io_jobs.refresh(job)
    done, total = io_jobs.progress_of(job)
    context = {
        "job": job,
        "kind": kind,
        "done": done,
        "total": total,
        "percent": int(done * 100 / total) if total else 0,
        "issues": [io.ImportIssue(**i) for i in job.issues],
    }
    if request.headers.get("HX-Request"):
        return render(request, "core/import_job_status.html", context)
    return render(request, "core/import_job.html", context)
