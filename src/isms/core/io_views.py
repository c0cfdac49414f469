"""Import, export and template pages of org units and people (``core.io`` does the work)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from . import io
from .forms import ImportForm
from .models import OrgUnit, Person
from .permissions import Action
from .views import _municipality_for, _scoped

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class _Kind:
    title: Any
    filename: str  # without suffix; ASCII so every browser keeps it
    columns: tuple[io.Column, ...]
    view: Action
    manage: Action
    list_url: str

    def rows(self, qs: QuerySet[Any]) -> list[list[str]]:
        if self.columns is io.ORG_UNIT_COLUMNS:
            return io.org_unit_rows(qs.order_by("sort_order", "code"))
        return io.person_rows(qs.select_related("org_unit").order_by("employee_number"))

    def queryset(self) -> QuerySet[Any]:
        return (
            OrgUnit.objects.all() if self.columns is io.ORG_UNIT_COLUMNS else Person.objects.all()
        )

    def run(self, request: HttpRequest, municipality: Any, data: bytes, name: str) -> Any:
        importer = io.import_org_units if self.columns is io.ORG_UNIT_COLUMNS else io.import_people
        return importer(request.user, municipality, data, name)


ORG_UNITS = _Kind(
    _("Import org units"),
    "org-units",
    io.ORG_UNIT_COLUMNS,
    Action.VIEW_ORGANISATION,
    Action.MANAGE_ORGANISATION,
    "core:org_unit_list",
)
PEOPLE = _Kind(
    _("Import staff"),
    "people",
    io.PERSON_COLUMNS,
    Action.VIEW_PEOPLE,
    Action.MANAGE_PEOPLE,
    "core:person_list",
)


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
    qs = _scoped(request, kind.view, kind.queryset())
    return _download(kind, request, kind.rows(qs), kind.filename)


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
            result = kind.run(request, municipality, upload.read(), upload.name)
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
            "template_url": f"core:{'org_unit' if kind is ORG_UNITS else 'person'}_template",
            "cancel_name": kind.list_url,
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
