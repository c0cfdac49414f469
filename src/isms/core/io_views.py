"""Import, export and template pages of org units and people (``core.io`` does the work)."""

from __future__ import annotations

from collections.abc import Callable
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
    """What differs between the org-unit and the staff import/export pages."""

    title: Any
    filename: str  # without suffix; ASCII so every browser keeps it
    columns: tuple[io.Column, ...]
    view: Action
    manage: Action
    list_url: str
    template_url: str
    model: type[OrgUnit] | type[Person]
    export_rows: Callable[[QuerySet[Any]], list[list[str]]]
    importer: Callable[..., Any]


ORG_UNITS = _Kind(
    _("Import org units"),
    "org-units",
    io.ORG_UNIT_COLUMNS,
    Action.VIEW_ORGANISATION,
    Action.MANAGE_ORGANISATION,
    "core:org_unit_list",
    "core:org_unit_template",
    OrgUnit,
    lambda qs: io.org_unit_rows(qs.order_by("sort_order", "code")),
    io.import_org_units,
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
    lambda qs: io.person_rows(qs.select_related("org_unit").order_by("employee_number")),
    io.import_people,
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
    qs = _scoped(request, kind.view, kind.model.objects.all())
    return _download(kind, request, kind.export_rows(qs), kind.filename)


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
            result = kind.importer(request.user, municipality, upload.read(), upload.name)
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
