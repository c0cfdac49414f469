"""The demo risk assessments (``data/<name>/demo_risks.yaml``), through the ordinary services."""

from __future__ import annotations

from typing import Any

from isms.assets.models import InformationAsset
from isms.core.models import Municipality, Person, User

from . import services
from .catalog import ensure_catalog
from .models import Risk, Threat, Vulnerability

__all__ = ["load_demo_risks"]


def load_demo_risks(m: Municipality, rows: list[dict[str, Any]], fiscal_year: int) -> int:
    """Assess, treat and accept the demo risks that are missing; return how many were added."""
    ensure_catalog(m)
    assets = {a.asset_number: a for a in InformationAsset.objects.filter(municipality=m)}
    threats = {t.code: t for t in Threat.objects.filter(municipality=m)}
    vulns = {v.code: v for v in Vulnerability.objects.filter(municipality=m)}
    added = 0
    for row in rows:
        fy = fiscal_year - int(row.get("years_ago", 0))
        asset = assets[row["asset"]]
        vulnerability = vulns.get(row.get("vulnerability", ""))
        threat = threats[row["threat"]]
        if Risk.objects.filter(
            municipality=m, fiscal_year=fy, asset=asset, threat=threat, vulnerability=vulnerability
        ).exists():
            continue
        risk = services.assess_risk(
            None,
            m,
            fiscal_year=fy,
            asset=asset,
            threat=threat,
            vulnerability=vulnerability,
            scenario=row.get("scenario", ""),
            likelihood=row["likelihood"],
            impact=row.get("impact"),
            impact_override_reason=row.get("impact_reason", ""),
        )
        added += 1
        treatment = row.get("treatment")
        if treatment:
            risk = services.treat_risk(
                None,
                risk,
                treatment=treatment["treatment"],
                owner=Person.objects.get(municipality=m, employee_number=treatment["owner"]),
                controls=treatment.get("controls", ""),
                residual_likelihood=treatment.get("residual_likelihood"),
                residual_impact=treatment.get("residual_impact"),
            )
        if row.get("requested_by"):
            risk = services.request_acceptance(User.objects.get(username=row["requested_by"]), risk)
        if row.get("accepted_by"):
            services.approve_acceptance(User.objects.get(username=row["accepted_by"]), risk)
    return added
