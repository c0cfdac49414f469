"""Demo data of the incidents app: the 統一的な窓口 of the demo municipality."""

from __future__ import annotations

from isms.core.models import Municipality

from . import services

DEMO_CONTACT_POINT = {
    "contact_point_name": "情報政策担当（CSIRT）",
    "contact_point_email": "csirt@city.tsuru.example.lg.jp",
}


def load_demo_incident_settings(m: Municipality) -> None:
    """Set the demo's contact point (once; later changes through the page are kept)."""
    current = services.settings_for(m)
    if not current.contact_point_email:
        services.update_settings(None, m, **DEMO_CONTACT_POINT)
