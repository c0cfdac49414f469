"""The demo's self-inspection: this fiscal year's campaign, open, assigned to 総務部 (code 100).

Made only when the municipality has a current 対策基準 with controls (the catalog is loaded by
``load_configuration``) and no campaign of the fiscal year yet, so loading the demo twice
changes nothing.
"""

from __future__ import annotations

from django.utils import timezone

from isms.core.calendar import wareki_fiscal_year
from isms.core.models import Municipality, OrgUnit
from isms.policy.models import Control, ControlStandard

from . import services
from .models import SelfInspection, TargetGroup


def load_demo_inspections(m: Municipality, fiscal_year: int) -> SelfInspection | None:
    if SelfInspection.objects.filter(municipality=m, fiscal_year=fiscal_year).exists():
        return None
    standard = ControlStandard.objects.filter(municipality=m, is_current=True).first()
    if standard is None or not Control.objects.filter(standard=standard).exists():
        return None
    campaign = services.create_campaign(
        None,
        m,
        fiscal_year=fiscal_year,
        title=f"{wareki_fiscal_year(fiscal_year)} 情報セキュリティ自己点検",
        opens_on=timezone.localdate(),
        answer_business_days=20,
        standard=standard,
    )
    campaign = services.open_campaign(None, campaign)
    unit = OrgUnit.objects.filter(municipality=m, code="100").first()
    if unit is not None:
        for group in (TargetGroup.STAFF, TargetGroup.DIVISION_SECURITY_MANAGER):
            if campaign.items.filter(target_group=group).exists():
                services.assign(None, campaign, target_group=group, org_unit=unit)
    return campaign
