"""Access specs of the incident pages, run by tests/test_web_access.py.

From ``core/permissions.py`` RULES narrowed by ``incidents/visibility.py``: every member of
staff reports (STAFF, LEAD, ADMIN); ``t.incident`` was reported by STAFF, who sees it but
handles nothing; LEAD (統括情報セキュリティ責任者) sees and handles every incident; ADMIN (a
municipality administrator, no role) reported nothing and holds no unit: the incident is out
of its sight (404); SERVICE lacks the municipality's grant (personal data): refused everywhere.
The public form and its status page are outside the matrix (no login; tests/incidents).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from isms.core.permissions import Action
from isms.incidents.models import ExternalReport, Incident, TimelineEntry
from tests.support.access import ADMIN, LEAD, STAFF, WEB, AccessSpec

STAFF_ALL = {STAFF, LEAD, ADMIN}


def _url(name: str, **kwargs: object) -> str:
    return reverse(name, kwargs=kwargs)


def _on(name: str) -> Any:
    return lambda t: _url(name, pk=t.incident.pk)


def _page(name: str, action: Action, permitted: set[Any], **more: Any) -> AccessSpec:
    more.setdefault("url", lambda t: _url(name))
    more.setdefault("other", None)
    return AccessSpec(name=name, kind=WEB, action=action, permitted=permitted, **more)


def _handle(name: str, method: str = "POST", **more: Any) -> AccessSpec:
    """A page on ``t.incident`` only the CSIRT and the leads use."""
    more.setdefault("target", lambda t: t.incident)
    if method == "POST":
        more.setdefault("ok", 302)
    more.setdefault("url", _on(name))
    return _page(
        name,
        Action.TRIAGE_INCIDENTS,
        {LEAD},
        method=method,
        hidden={ADMIN},
        other=404,
        **more,
    )


SPECS: list[AccessSpec] = [
    _page("incidents:incident_list", Action.VIEW_INCIDENTS, STAFF_ALL),
    _page("incidents:incident_report", Action.REPORT_INCIDENTS, STAFF_ALL),
    _page(
        "incidents:incident_report",
        Action.REPORT_INCIDENTS,
        STAFF_ALL,
        method="POST",
        data=lambda t: (
            {"title": "不審メール", "description": "添付を開いた"}
            | {"detected_at": "2026-01-05T10:00"}
        ),
        ok=302,
        creates=Incident,
    ),
    _page("incidents:incident_settings", Action.TRIAGE_INCIDENTS, {LEAD}),
    _page(
        "incidents:incident_settings",
        Action.TRIAGE_INCIDENTS,
        {LEAD},
        method="POST",
        data=lambda t: {
            "contact_point_name": "統一窓口",
            "contact_point_email": "csirt@example.lg.jp",
            "ack_business_hours": "4",
            "progress_business_days": "3",
            "public_min_seconds": "3",
            "public_per_address_hour": "5",
            "public_per_municipality_hour": "50",
        },
        ok=302,
    ),
    _page(
        "incidents:incident_detail",
        Action.VIEW_INCIDENTS,
        {STAFF, LEAD},
        url=_on("incidents:incident_detail"),
        hidden={ADMIN},
        other=404,
    ),
    _page(
        "incidents:evidence_download",
        Action.VIEW_INCIDENTS,
        {STAFF, LEAD},
        url=lambda t: _url(
            "incidents:evidence_download",
            pk=t.incident.pk,
            evidence_pk=t.incident.evidence.first().pk,
        ),
        hidden={ADMIN},
        other=404,
    ),
    _handle(
        "incidents:incident_acknowledge",
        url=lambda t: _url("incidents:incident_acknowledge", pk=_unacknowledged(t).pk),
        target=lambda t: _unacknowledged(t),
    ),
    _handle("incidents:incident_triage", "GET"),
    _handle(
        "incidents:incident_triage",
        data=lambda t: {
            "is_incident": "yes",
            "severity": "medium",
            "kind": "malware",
            "threat_category": "intentional",
            "asset_numbers": t.asset.asset_number,
            "persons_affected": "0",
        },
    ),
    _handle("incidents:incident_ppc", data=lambda t: {"ppc-decision": "no_report"}),
    _handle(
        "incidents:incident_external_report",
        data=lambda t: {
            "ext-target": "prefecture",
            "ext-kind": "other",
            "ext-reported_on": _today(),
        },
        creates=ExternalReport,
    ),
    _handle(
        "incidents:incident_publication",
        data=lambda t: {"pub-publication": "not_publish", "pub-reason": "公表基準に該当しない"},
    ),
    _handle(
        "incidents:incident_timeline",
        data=lambda t: {"tl-kind": "contact", "tl-occurred_at": _now(), "tl-text": "県へ電話連絡"},
        creates=TimelineEntry,
    ),
    _handle("incidents:incident_close", "GET"),
    _handle(
        "incidents:incident_close",
        data=lambda t: {"root_cause": "パターンファイルの更新遅れ", "review": "更新を監視する"},
    ),
]


def _unacknowledged(t: Any) -> Incident:
    """A second report of ``t.staff``, nobody has taken in hand yet (made on first use)."""
    from isms.incidents import services

    found = Incident.objects.filter(municipality=t.municipality, title="未受付の報告").first()
    return found or services.report_incident(
        t.staff, t.municipality, title="未受付の報告", description="不審な電話があった。"
    )


def _today() -> str:
    from django.utils import timezone

    return timezone.localdate().isoformat()


def _now() -> str:
    from django.utils import timezone

    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")
