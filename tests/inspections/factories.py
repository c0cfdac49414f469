"""A small control catalog and campaigns for the self-inspection tests (ORM, not the catalog
services, which another area owns)."""

from __future__ import annotations

import datetime
import uuid

from django.utils import timezone

from isms.core.models import Municipality
from isms.inspections import services
from isms.inspections.models import SelfInspection
from isms.policy.models import Control, ControlSection, ControlStandard

# code, chapter, roles
CONTROLS = (
    ("4.1.1", 4, ["staff"], "サーバを管理区域に設置する"),
    ("5.1.1", 5, [], "離席時に端末をロックする"),
    ("6.1.1", 6, ["division_security_manager"], "課のアクセス権限を見直す"),
    ("6.3.1", 6, ["system_manager"], "システムの操作記録を保存する"),
)


def make_standard(m: Municipality, *, current: bool = True, version: str = "1") -> ControlStandard:
    found = ControlStandard.objects.filter(municipality=m, version=version).first()
    if found is not None:
        return found
    standard = ControlStandard.objects.create(
        municipality=m,
        title="情報セキュリティ対策基準",
        version=version,
        is_current=current,
    )
    sections: dict[int, ControlSection] = {}
    for n, (code, chapter, roles, text) in enumerate(CONTROLS):
        if chapter not in sections:
            sections[chapter] = ControlSection.objects.create(
                standard=standard,
                number=str(chapter),
                title=f"第{chapter}章",
                chapter=chapter,
                position=chapter,
            )
        Control.objects.create(
            standard=standard,
            section=sections[chapter],
            key=uuid.uuid5(uuid.NAMESPACE_URL, f"{m.pk}/{code}"),
            code=code,
            requirement=text,
            applies_to_roles=roles,
            position=n,
        )
    return standard


def make_campaign(
    m: Municipality,
    *,
    fiscal_year: int | None = None,
    open_it: bool = True,
    title: str = "自己点検",
    opens_on: datetime.date | None = None,
) -> SelfInspection:
    make_standard(m)
    today = timezone.localdate()
    campaign = services.create_campaign(
        None,
        m,
        fiscal_year=fiscal_year or 2026,
        title=title,
        opens_on=opens_on or today,
        answer_business_days=10,
    )
    if open_it:
        campaign = services.open_campaign(None, campaign)
    return campaign
