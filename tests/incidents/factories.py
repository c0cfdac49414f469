"""Incidents for tests and for the access matrix's world (``tests/support/access.Site``)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from isms.incidents import services
from isms.incidents.models import Incident

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def world_incident(t: Any) -> Incident:
    """An incident reported by ``t.staff`` two hours ago, triaged (low, no personal data, so no
    PPC report is suggested), with one timeline entry carrying a PDF as evidence."""
    m = t.municipality
    incident = services.report_incident(
        t.staff,
        m,
        title=f"{m.name}の端末でウイルス検知",
        description="職員の端末でウイルス対策ソフトが警告を表示した。",
        detected_at=timezone.now() - datetime.timedelta(hours=2),
    )
    services.triage(
        None,
        incident,
        is_incident=True,
        severity="low",
        kind="malware",
        threat_category="intentional",
    )
    services.add_timeline_entry(
        None,
        incident,
        kind="evidence",
        occurred_at=timezone.now() - datetime.timedelta(hours=1),
        text="端末をネットワークから切り離し、ログを保全した。",
        done_by=t.other_person,
        attachment=SimpleUploadedFile("log.pdf", PDF),
    )
    return Incident.objects.get(pk=incident.pk)
