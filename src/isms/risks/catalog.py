"""The shipped threat catalog (``data/threats.yaml``) and a municipality's copy of it.

A municipality gets the catalog's threats and vulnerabilities, and its default scales, the first
time its risks are used (:func:`ensure_catalog`); a newer catalog version adds the codes the
municipality lacks and never changes or removes its rows, so its own additions and edits stay.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from isms.core import journal
from isms.core.models import Municipality

from . import scales
from .models import RiskSettings, Threat, Vulnerability

__all__ = ["CATALOG_FILE", "catalog", "ensure_catalog", "risk_settings"]

CATALOG_FILE = Path(__file__).with_name("data") / "threats.yaml"


@functools.cache
def catalog() -> dict[str, Any]:
    """Return the shipped catalog (version, categories with their threats, vulnerabilities)."""
    with CATALOG_FILE.open(encoding="utf-8") as f:
        data: dict[str, Any] = yaml.safe_load(f)
    return data


def _defaults(municipality_id: int) -> RiskSettings:
    return RiskSettings(
        municipality_id=municipality_id,
        likelihood_levels=scales.DEFAULT_LIKELIHOOD,
        impact_levels=scales.DEFAULT_IMPACT,
        bands=scales.DEFAULT_BANDS,
    )


def risk_settings(municipality: Municipality | int) -> RiskSettings:
    """Return the municipality's scales (the defaults, unsaved, before its first use)."""
    mid = municipality.pk if isinstance(municipality, Municipality) else municipality
    return RiskSettings.objects.filter(municipality_id=mid).first() or _defaults(mid)


def ensure_catalog(municipality: Municipality | int) -> RiskSettings:
    """Give the municipality the catalog and default scales if it lacks them (journaled)."""
    mid = municipality.pk if isinstance(municipality, Municipality) else municipality
    data = catalog()
    found = RiskSettings.objects.filter(municipality_id=mid).first()
    if found is not None and found.catalog_version >= data["version"]:
        return found
    with transaction.atomic():
        settings, _created = RiskSettings.objects.select_for_update().get_or_create(
            municipality_id=mid,
            defaults={
                "likelihood_levels": scales.DEFAULT_LIKELIHOOD,
                "impact_levels": scales.DEFAULT_IMPACT,
                "bands": scales.DEFAULT_BANDS,
            },
        )
        if settings.catalog_version >= data["version"]:
            return settings
        have_threats = set(
            Threat.objects.filter(municipality_id=mid).values_list("code", flat=True)
        )
        have_vulns = set(
            Vulnerability.objects.filter(municipality_id=mid).values_list("code", flat=True)
        )
        threats = [
            Threat(municipality_id=mid, category=c["id"], builtin=True, **t)
            for c in data["categories"]
            for t in c["threats"]
            if t["code"] not in have_threats
        ]
        vulns = [
            Vulnerability(municipality_id=mid, builtin=True, **v)
            for v in data["vulnerabilities"]
            if v["code"] not in have_vulns
        ]
        Threat.objects.bulk_create(threats)
        Vulnerability.objects.bulk_create(vulns)
        before = settings.catalog_version
        settings.catalog_version = data["version"]
        settings.save(update_fields=["catalog_version"])
        journal.record(
            actor=None,
            system="risks.catalog",
            action="risk_catalog.load",
            obj=settings,
            before={"catalog_version": before},
            after={
                "catalog_version": data["version"],
                "threats": [t.code for t in threats],
                "vulnerabilities": [v.code for v in vulns],
            },
        )
    return settings
