"""Access specs of the control catalog's pages and API (tests/test_web_access.py runs SPECS,
tests/policy/test_catalog_access.py runs API_SPECS).

Who may, from ``core/permissions.py`` RULES: VIEW_CONTROLS is for all staff (STAFF, LEAD, ADMIN);
MANAGE_CONTROLS for the leads and the municipality administrator (LEAD, ADMIN); a service
administrator managing the municipality (SERVICE) may both (the rules' ``service_admin``; the
catalog is not sensitive, so no grant is needed). The world's catalog (a current version "1"
and a draft "2" made from it) is made on first use by ``target`` (before the runner takes its
"before" state) straight in the database, so that making it writes no journal entry.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from isms.core.permissions import Action
from isms.policy import catalog_io
from isms.policy.models import Control, ControlSection, ControlStandard
from tests.support.access import ADMIN, API, LEAD, SERVICE, STAFF, WEB, AccessSpec

SEE = {STAFF, LEAD, ADMIN, SERVICE}
MANAGE = {LEAD, ADMIN, SERVICE}


@dataclass
class Catalog:
    current: ControlStandard
    draft: ControlStandard

    @property
    def control(self) -> Control:
        return self.current.controls.order_by("position").first()  # type: ignore[return-value]

    @property
    def draft_control(self) -> Control:
        return self.draft.controls.order_by("position").first()  # type: ignore[return-value]


def _version(m: Any, version: str, *, current: bool, previous: Any, keys: list[uuid.UUID]) -> Any:
    s = ControlStandard.objects.create(
        municipality=m,
        title="対策基準",
        version=version,
        is_current=current,
        previous=previous,
    )
    ch = ControlSection.objects.create(
        standard=s, number="4", title="物理的", chapter=4, position=0
    )
    sec = ControlSection.objects.create(
        standard=s, number="4.1", title="サーバ等の管理", chapter=ch.chapter, position=1
    )
    for i, key in enumerate(keys):
        Control.objects.create(
            standard=s,
            section=sec,
            key=key,
            code=f"4.1.{i + 1}",
            requirement=f"サーバを施錠された部屋に置く（{i + 1}）",
            criteria="入退室記録",
            # every self-inspection group has a question (tests/inspections reuses version "1")
            applies_to_roles=[[], ["division_security_manager"], ["system_manager"]][i % 3],
            position=i,
        )
    return s


def ensure_catalog(t: Any) -> Catalog:
    """The municipality's catalog: version "1" (current) and draft "2" with the same keys."""
    m = t.municipality
    current = ControlStandard.objects.filter(municipality=m, version="1").first()
    if current is None:
        keys = [uuid.uuid4(), uuid.uuid4(), uuid.uuid4()]
        current = _version(m, "1", current=True, previous=None, keys=keys)
        _version(m, "2", current=False, previous=current, keys=keys)
    return Catalog(current, ControlStandard.objects.get(municipality=m, version="2"))


def catalog_file(t: Any, name: str = "catalog.xlsx") -> SimpleUploadedFile:
    """The current version of ``t``'s catalog exported, as an upload."""
    return SimpleUploadedFile(name, catalog_io.export_catalog(ensure_catalog(t).current))


def _url(name: str, **kwargs: object) -> str:
    return reverse(name, kwargs=kwargs)


def _page(name: str, action: Action, permitted: set[Any], **more: Any) -> AccessSpec:
    more.setdefault("url", lambda t: _url(name))
    more.setdefault("other", None)
    more.setdefault("target", lambda t: ensure_catalog(t).current)
    return AccessSpec(name=name, kind=WEB, action=action, permitted=permitted, **more)


SPECS = [
    _page("policy:control_list", Action.VIEW_CONTROLS, SEE),
    _page("policy:control_versions", Action.VIEW_CONTROLS, SEE),
    _page(
        "policy:control_detail",
        Action.VIEW_CONTROLS,
        SEE,
        url=lambda t: _url("policy:control_detail", pk=ensure_catalog(t).control.pk),
        other=404,
    ),
    _page(
        "policy:control_export",
        Action.VIEW_CONTROLS,
        SEE,
        url=lambda t: _url("policy:control_export", pk=ensure_catalog(t).current.pk),
        other=404,
    ),
    _page(
        "policy:control_edit",
        Action.MANAGE_CONTROLS,
        MANAGE,
        url=lambda t: _url("policy:control_edit", pk=ensure_catalog(t).draft_control.pk),
        other=404,
    ),
    _page(
        "policy:control_edit",
        Action.MANAGE_CONTROLS,
        MANAGE,
        method="POST",
        url=lambda t: _url("policy:control_edit", pk=ensure_catalog(t).draft_control.pk),
        data=lambda t: {
            "requirement": "サーバ室を常に施錠する",
            "criteria": "",
            "confidence": "recalled",
            "roles": ["system_manager"],
        },
        ok=302,
        other=404,
        target=lambda t: ensure_catalog(t).draft_control,
    ),
    _page("policy:control_import", Action.MANAGE_CONTROLS, MANAGE),
    _page(
        "policy:control_import",
        Action.MANAGE_CONTROLS,
        MANAGE,
        method="POST",
        data=lambda t: {"file": catalog_file(t), "version": "9"},
        ok=302,
        creates=ControlStandard,
    ),
    _page(
        "policy:control_make_current",
        Action.MANAGE_CONTROLS,
        MANAGE,
        method="POST",
        url=lambda t: _url("policy:control_make_current", pk=ensure_catalog(t).draft.pk),
        ok=302,
        other=404,
        target=lambda t: ensure_catalog(t).draft,
    ),
    _page(
        "policy:control_copy",
        Action.MANAGE_CONTROLS,
        MANAGE,
        method="POST",
        url=lambda t: _url("policy:control_copy", pk=ensure_catalog(t).current.pk),
        data=lambda t: {"version": "3"},
        ok=302,
        other=404,
        creates=ControlStandard,
    ),
]


def _api(name: str, **kwargs: object) -> str:
    return reverse(f"api:{name}", kwargs=kwargs)


def _spec(name: str, action: Action, permitted: set[Any], **more: Any) -> AccessSpec:
    more.setdefault("url", lambda t: _api(name))
    more.setdefault("other", None)
    more.setdefault("target", lambda t: ensure_catalog(t).current)
    return AccessSpec(name=name, kind=API, action=action, permitted=permitted, **more)


API_SPECS = [
    _spec("list_standards", Action.VIEW_CONTROLS, SEE),
    _spec(
        "current_controls",
        Action.VIEW_CONTROLS,
        SEE,
        url=lambda t: _api("current_controls") + f"?municipality_id={t.municipality.pk}",
        other=422,
        other_field="municipality_id",
    ),
    _spec(
        "standard_controls",
        Action.VIEW_CONTROLS,
        SEE,
        url=lambda t: _api("standard_controls", standard_id=ensure_catalog(t).current.pk),
        other=404,
    ),
    _spec(
        "get_control",
        Action.VIEW_CONTROLS,
        SEE,
        url=lambda t: _api("get_control", control_id=ensure_catalog(t).control.pk),
        other=404,
    ),
    _spec(
        "patch_control",
        Action.MANAGE_CONTROLS,
        MANAGE,
        method="PATCH",
        url=lambda t: _api("patch_control", control_id=ensure_catalog(t).draft_control.pk),
        data=lambda t: {"requirement": "サーバ室を常に施錠する"},
        other=404,
        target=lambda t: ensure_catalog(t).draft_control,
    ),
    _spec(
        "export_standard",
        Action.VIEW_CONTROLS,
        SEE,
        url=lambda t: _api("export_standard", standard_id=ensure_catalog(t).current.pk),
        other=404,
    ),
    _spec(
        "import_standard",
        Action.MANAGE_CONTROLS,
        MANAGE,
        method="POST",
        url=lambda t: _api("import_standard") + f"?version=9&municipality_id={t.municipality.pk}",
        ok=201,
        other=422,
        other_field="municipality_id",
        creates=ControlStandard,
    ),
    _spec(
        "copy_standard",
        Action.MANAGE_CONTROLS,
        MANAGE,
        method="POST",
        url=lambda t: _api("copy_standard", standard_id=ensure_catalog(t).current.pk),
        data=lambda t: {"version": "3"},
        ok=201,
        other=404,
        creates=ControlStandard,
    ),
    _spec(
        "make_standard_current",
        Action.MANAGE_CONTROLS,
        MANAGE,
        method="POST",
        url=lambda t: _api("make_standard_current", standard_id=ensure_catalog(t).draft.pk),
        other=404,
        target=lambda t: ensure_catalog(t).draft,
    ),
]
