"""API of the organisation's imports and exports: the same files as the pages, for scripts.

- ``POST /imports/{kind}`` (multipart, field ``file``; ``kind`` is ``org-units``, ``people`` or
  ``role-assignments``): 200 with the counts when imported; 202 with the job when the file is
  over ``io_jobs.BACKGROUND_ROWS`` rows and runs as a task; 422 with ``issues`` (row, column,
  message, fix — the page's error table) when refused, nothing saved.
- ``GET /imports/jobs/{job_id}``: a background import's state, counts or issues.
- ``GET /exports/{kind}?format=csv|xlsx`` and ``GET /exports/{kind}/template``: the file.

A user of one municipality imports into it; a service administrator managing several names it
with ``municipality_id``.
"""

from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from . import io, io_jobs, permissions
from .io_views import CSV_TYPE, KINDS, XLSX_TYPE, _Kind
from .models import ImportJob, Municipality

router = Router(tags=["organisation"])

KIND_SLUGS = {
    "org-units": ImportJob.Kind.ORG_UNIT,
    "people": ImportJob.Kind.PERSON,
    "role-assignments": ImportJob.Kind.ROLE_ASSIGNMENT,
}
Slug = Literal["org-units", "people", "role-assignments"]


class IssueOut(Schema):
    row: int | None
    column: str
    message: str
    fix: str


class ImportedOut(Schema):
    created: int
    updated: int
    unchanged: int


class RejectedOut(Schema):
    detail: str
    issues: list[IssueOut]


class JobOut(Schema):
    id: int
    municipality_id: int
    kind: str
    filename: str
    status: str
    rows_total: int
    rows_done: int
    created: int
    updated: int
    unchanged: int
    issues: list[IssueOut]
    message: str


class Target(Schema):
    municipality_id: int | None = Field(
        None, description="Needed only by a service administrator managing several"
    )


class ExportQuery(Target):
    format: Literal["csv", "xlsx"] = "csv"
    fiscal_year: int | None = Field(
        None, ge=2000, le=2100, description="role-assignments: the year (default: this one)"
    )


def _municipality(request: HttpRequest, action: permissions.Action, mid: int | None) -> Any:
    permissions.require(request.user, action)
    allowed = permissions.allowed_municipality_ids(request.user, action)  # type: ignore[arg-type]
    if mid is None:
        if len(allowed) != 1:
            raise ValidationError(
                {"municipality_id": _("Name the municipality: you work for several.")}
            )
        mid = allowed[0]
    if mid not in allowed:
        raise ValidationError(
            {"municipality_id": _("The selected record was not found in this municipality.")}
        )
    return Municipality.objects.get(pk=mid)


def _kind(slug: str) -> _Kind:
    return KINDS[KIND_SLUGS[slug]]


def _issues(issues: list[io.ImportIssue]) -> list[dict[str, Any]]:
    return [{"row": i.row, "column": i.column, "message": i.message, "fix": i.fix} for i in issues]


@router.post("/imports/{kind}", response={200: ImportedOut, 202: JobOut, 422: RejectedOut})
def import_file(
    request: HttpRequest, kind: Slug, target: Query[Target], file: File[UploadedFile]
) -> Any:
    k = _kind(kind)
    municipality = _municipality(request, k.manage, target.municipality_id)
    try:
        io.check_size(file.size or 0)
        data = file.read()
        rows = io.count_rows(data, file.name or "")
        if rows > io_jobs.BACKGROUND_ROWS:
            job = io_jobs.start(
                request.user,  # type: ignore[arg-type]
                municipality,
                kind=k.job_kind,
                filename=file.name or "",
                data=data,
                rows=rows,
            )
            return Status(202, job)
        result = k.importer(request.user, municipality, data, file.name or "")
    except io.ImportRejected as exc:
        return Status(
            422,
            {
                "detail": _("Nothing was imported: correct the rows listed and try again."),
                "issues": _issues(exc.issues),
            },
        )
    return {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}


@router.get("/imports/jobs/{job_id}", response=JobOut)
def get_import_job(request: HttpRequest, job_id: int) -> Any:
    """A job is seen by those who may manage its kind in its municipality; to others it does
    not exist (404)."""
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.municipality_id not in permissions.allowed_municipality_ids(
        request.user,  # type: ignore[arg-type]
        KINDS[job.kind].manage,
    ):
        raise Http404
    return io_jobs.refresh(job)


def _file(k: _Kind, fmt: str, rows: list[list[str]], stem: str) -> HttpResponse:
    if fmt == "xlsx":
        response = HttpResponse(io.export_xlsx(k.columns, rows, k.filename), content_type=XLSX_TYPE)
        suffix = "xlsx"
    else:
        response = HttpResponse(io.export_csv(k.columns, rows), content_type=CSV_TYPE)
        suffix = "csv"
    response["Content-Disposition"] = f'attachment; filename="{stem}.{suffix}"'
    return response


@router.get("/exports/{kind}", response={200: None})
def export_file(request: HttpRequest, kind: Slug, query: Query[ExportQuery]) -> HttpResponse:
    k = _kind(kind)
    municipality = _municipality(request, k.view, query.municipality_id)
    qs = permissions.scope(request.user, k.view, k.model.objects.all()).filter(
        **{permissions.municipality_lookup(k.model): municipality.pk}
    )
    # The pages read the year and the municipality from the request; so does the API.
    request.municipality = municipality  # type: ignore[attr-defined]
    # (MunicipalityMiddleware has set this fiscal year by default.)
    if query.fiscal_year is not None:
        request.fiscal_year = query.fiscal_year  # type: ignore[attr-defined]
    return _file(k, query.format, k.export_rows(request, qs), k.filename)


@router.get("/exports/{kind}/template", response={200: None})
def export_template(request: HttpRequest, kind: Slug, query: Query[ExportQuery]) -> HttpResponse:
    k = _kind(kind)
    _municipality(request, k.manage, query.municipality_id)
    return _file(k, query.format, [], f"{k.filename}-template")
