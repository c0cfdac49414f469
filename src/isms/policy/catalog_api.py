"""API of the control catalog (対策基準) at ``/api/v1/control-standards…``.

Same rules as the pages: reading needs VIEW_CONTROLS (all staff), writing MANAGE_CONTROLS (the
leads, the municipality administrator). A version or control of another municipality is a 404.

- ``GET /control-standards``: the versions (newest first);
- ``GET /control-standards/current/controls`` and ``GET /control-standards/{id}/controls``: the
  controls of a version, filtered (``role``, ``segment``, ``key_only``, ``q``);
- ``GET /controls/{id}``: one control with its history (ids across versions);
- ``PATCH /controls/{id}``: edit a control of a draft version (one that is or was current: 422);
- ``GET /control-standards/{id}/export``: the version as .xlsx;
- ``POST /control-standards/import``: a workbook as a new draft (422 with row/column issues);
- ``POST /control-standards/{id}/copy``: a new draft from a version;
- ``POST /control-standards/{id}/make-current``.

(No ``from __future__ import annotations``: django-ninja reads the annotations at import time.)
"""

import datetime
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from isms.core import io as core_io
from isms.core import permissions
from isms.core.api import In, _target_municipality
from isms.core.permissions import Action

from . import catalog_io, services
from .catalog_views import XLSX_TYPE, filter_controls
from .models import Control, ControlStandard

__all__ = ["router"]

router = Router(tags=["control standard"])


class StandardOut(Schema):
    id: int
    municipality_id: int
    version: str
    title: str
    guideline_edition: str
    effective_date: datetime.date | None
    is_current: bool
    made_current_at: datetime.datetime | None
    previous_id: int | None
    note: str
    created_at: datetime.datetime


class ControlOut(Schema):
    id: int
    standard_id: int
    key: uuid.UUID
    replaces: uuid.UUID | None
    code: str
    chapter: int
    section: str
    section_title: str
    requirement: str
    criteria: str
    applies_to_roles: list[str]
    applies_to_segments: list[str]
    applies_to_classes: list[str]
    guideline_section: str
    confidence: str
    is_key_item: bool

    @staticmethod
    def resolve_chapter(obj: Control) -> int:
        return obj.section.chapter

    @staticmethod
    def resolve_section(obj: Control) -> str:
        return obj.section.number

    @staticmethod
    def resolve_section_title(obj: Control) -> str:
        return obj.section.title


class ControlDetailOut(ControlOut):
    history: list[dict[str, Any]]


class ControlFilter(Schema):
    municipality_id: int | None = None
    role: str | None = Field(None, max_length=40)
    segment: str | None = Field(None, max_length=20)
    key_only: bool = False
    q: str | None = Field(None, max_length=100)


class Target(Schema):
    municipality_id: int | None = None


class ImportQuery(Schema):
    municipality_id: int | None = None
    version: str = Field(max_length=20, min_length=1)
    title: str = Field("", max_length=200)
    note: str = Field("", max_length=4000)


class CopyIn(In):
    version: str = Field(max_length=20, min_length=1)
    title: str = Field("", max_length=200)


class ControlPatch(In):
    requirement: str | None = Field(None, max_length=4000)
    criteria: str | None = Field(None, max_length=4000)
    applies_to_roles: list[str] | None = Field(None, max_length=20)
    applies_to_segments: list[str] | None = Field(None, max_length=10)
    applies_to_classes: list[str] | None = Field(None, max_length=20)
    guideline_section: str | None = Field(None, max_length=20)
    confidence: ControlStandard.Confidence | None = None
    is_key_item: bool | None = None


class IssueOut(Schema):
    row: int | None
    column: str
    message: str
    fix: str


class RejectedOut(Schema):
    detail: str
    issues: list[IssueOut]


def _standards(request: HttpRequest) -> Any:
    return permissions.scope(
        request.user,  # type: ignore[arg-type]
        Action.VIEW_CONTROLS,
        ControlStandard.objects.all(),
    )


def _standard(request: HttpRequest, standard_id: int) -> ControlStandard:
    return get_object_or_404(_standards(request), pk=standard_id)


def _controls(request: HttpRequest) -> Any:
    return permissions.scope(
        request.user,  # type: ignore[arg-type]
        Action.VIEW_CONTROLS,
        Control.objects.select_related("section", "standard"),
    )


def _listed(standard: ControlStandard, f: ControlFilter) -> list[Control]:
    qs = filter_controls(standard.controls.select_related("section"), f.dict())
    return list(qs.order_by("position"))


@router.get("/control-standards", response=list[StandardOut])
def list_standards(request: HttpRequest, target: Query[Target]) -> Any:
    permissions.require(request.user, Action.VIEW_CONTROLS)  # type: ignore[arg-type]
    qs = _standards(request)
    if target.municipality_id is not None:
        qs = qs.filter(municipality_id=target.municipality_id)
    return list(qs.order_by("municipality_id", "-created_at", "-id"))


@router.get("/control-standards/current/controls", response=list[ControlOut])
def current_controls(request: HttpRequest, filters: Query[ControlFilter]) -> Any:
    mid = filters.municipality_id
    if mid is None and request.user.municipality_id is None:  # type: ignore[union-attr]
        # A service administrator of one municipality need not name it.
        allowed = permissions.allowed_municipality_ids(request.user, Action.VIEW_CONTROLS)  # type: ignore[arg-type]
        mid = allowed[0] if len(allowed) == 1 else None
    municipality = _target_municipality(request, Action.VIEW_CONTROLS, mid)
    standard = services.current_standard(municipality)
    return [] if standard is None else _listed(standard, filters)


@router.get("/control-standards/{standard_id}/controls", response=list[ControlOut])
def standard_controls(request: HttpRequest, standard_id: int, filters: Query[ControlFilter]) -> Any:
    return _listed(_standard(request, standard_id), filters)


@router.get("/controls/{control_id}", response=ControlDetailOut)
def get_control(request: HttpRequest, control_id: int) -> Any:
    control = get_object_or_404(_controls(request), pk=control_id)
    control.history = [  # type: ignore[attr-defined]
        {"id": c.pk, "standard_id": c.standard_id, "version": c.standard.version, "code": c.code}
        for c in services.control_history(control)
    ]
    return control


@router.patch("/controls/{control_id}", response=ControlOut)
def patch_control(request: HttpRequest, control_id: int, body: ControlPatch) -> Any:
    control = get_object_or_404(_controls(request), pk=control_id)
    changes = {k: v for k, v in body.dict().items() if v is not None}
    return services.update_control(request.user, control, **changes)  # type: ignore[arg-type]


@router.get("/control-standards/{standard_id}/export", response={200: None})
def export_standard(request: HttpRequest, standard_id: int) -> HttpResponse:
    standard = _standard(request, standard_id)
    response = HttpResponse(catalog_io.export_catalog(standard), content_type=XLSX_TYPE)
    filename = catalog_io.export_filename(standard)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.post("/control-standards/import", response={201: StandardOut, 422: RejectedOut})
def import_standard(
    request: HttpRequest, query: Query[ImportQuery], file: File[UploadedFile]
) -> Any:
    municipality = _target_municipality(request, Action.MANAGE_CONTROLS, query.municipality_id)
    try:
        core_io.check_size(file.size or 0, max_bytes=catalog_io.MAX_BYTES)
        standard = catalog_io.import_catalog(
            request.user,  # type: ignore[arg-type]
            municipality,
            file.read(),
            file.name or "",
            version=query.version,
            title=query.title,
            note=query.note,
        )
    except core_io.ImportRejected as exc:
        return Status(
            422,
            {
                "detail": _("Nothing was imported: correct the rows listed and try again."),
                "issues": [
                    {"row": i.row, "column": i.column, "message": i.message, "fix": i.fix}
                    for i in exc.issues
                ],
            },
        )
    return Status(201, standard)


@router.post("/control-standards/{standard_id}/copy", response={201: StandardOut})
def copy_standard(request: HttpRequest, standard_id: int, body: CopyIn) -> Any:
    standard = _standard(request, standard_id)
    draft = services.copy_as_draft(
        request.user,  # type: ignore[arg-type]
        standard,
        version=body.version,
        title=body.title,
    )
    return Status(201, draft)


@router.post("/control-standards/{standard_id}/make-current", response=StandardOut)
def make_standard_current(request: HttpRequest, standard_id: int) -> Any:
    standard = _standard(request, standard_id)
    return services.make_current(request.user, standard)  # type: ignore[arg-type]
