"""Builders for the risks tests, all through the services (so every fixture is journaled)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from isms.assets.models import InformationAsset
from isms.core.calendar import fiscal_year_of
from isms.core.models import Municipality
from isms.risks import services
from isms.risks.catalog import ensure_catalog
from isms.risks.models import Risk, Threat, Vulnerability
from tests.assets.factories import make_asset


def this_year() -> int:
    return fiscal_year_of(timezone.localdate())


def threat(m: Municipality, code: str = "T-INT-01") -> Threat:
    ensure_catalog(m)
    return Threat.objects.get(municipality=m, code=code)


def vulnerability(m: Municipality, code: str = "V-01") -> Vulnerability:
    ensure_catalog(m)
    return Vulnerability.objects.get(municipality=m, code=code)


def make_risk(
    m: Municipality,
    asset: InformationAsset | None = None,
    *,
    unit: Any = None,
    actor: Any = None,
    asset_group: Any = None,
    **data: Any,
) -> Risk:
    """A risk of unauthorised access (likelihood 3, the proposed impact) to ``asset``."""
    if asset is None and asset_group is None:
        asset = make_asset(m, unit)
    values: dict[str, Any] = {
        "fiscal_year": this_year(),
        "asset": asset,
        "asset_group": asset_group,
        "threat": threat(m),
        "likelihood": 3,
    }
    values.update(data)
    return services.assess_risk(actor, m, **values)


def make_controls(m: Municipality, *codes: str, version: str = "1", current: bool = True) -> list:
    """A 対策基準 version of ``m`` with one section and the controls ``codes`` (plain ORM: the
    catalog's own services belong to the policy app)."""
    import uuid

    from isms.policy.models import Control, ControlSection, ControlStandard

    if current:
        ControlStandard.objects.filter(municipality=m, is_current=True).update(is_current=False)
    standard = ControlStandard.objects.create(
        municipality=m, title="対策基準", version=version, is_current=current
    )
    section = ControlSection.objects.create(
        standard=standard, number="4", title="物理的セキュリティ", chapter=4, position=0
    )
    return [
        Control.objects.create(
            standard=standard,
            section=section,
            key=uuid.uuid4(),
            code=code,
            requirement=f"{code} の遵守事項",
            position=i,
        )
        for i, code in enumerate(codes)
    ]
