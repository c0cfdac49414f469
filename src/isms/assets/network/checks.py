"""The thin adapter between the web app and the Django-free engine ``isms.segments``.

:func:`run` (called by the task ``tasks.run_network_check``) claims a queued check, loads the
snapshot's model with :func:`isms.segments.load_model`, replaces its ``exceptions`` with the
register's approved, unexpired ones (``services.engine_exceptions``), verifies it with today's
date, and stores the report (JSON and text in both languages), one :class:`NetworkViolation` per
violating path class (its fingerprint, path and rule lines) matched to the register's assets,
and a journal entry. Bad input (every ``SegmentsError``) makes the check ``invalid`` with the
engine's message (file, line, hint) in Japanese and English; anything else makes it ``failed``
with a sentence saying so. A check never stays running: a worker that vanished is noticed by
:func:`refresh`.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import ipaddress
import json
import logging
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from isms.core import journal
from isms.segments import (
    PathViolation,
    Report,
    SegmentsError,
    load_model,
    report_json,
    report_text,
    verify,
)

from ..models import AssetHost, InformationAsset, NetworkCheck, NetworkViolation
from . import services

__all__ = ["STALE_AFTER", "fingerprint", "match_assets", "refresh", "run"]

logger = logging.getLogger(__name__)

STALE_AFTER = datetime.timedelta(minutes=30)
EXTERNAL = "external"


def _progress(check: NetworkCheck, step: str) -> None:
    NetworkCheck.objects.filter(pk=check.pk).update(progress=step)


def fingerprint(v: PathViolation) -> str:
    """What identifies a violation across checks: zones, destinations and services."""
    key = json.dumps(
        [
            v.source_zone,
            v.destination_zone,
            sorted(v.flows.destinations),
            sorted(v.flows.protocols),
            sorted(v.flows.ports),
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _ranges(items: tuple[str, ...]) -> list[tuple[str, str]]:
    """The address ranges (as the register's hexadecimal bounds) of a flow summary's items."""
    out = []
    for item in items:
        text = item.split(" except ", 1)[0].strip()
        if text in ("any", "...") or text.startswith("..."):
            continue
        try:
            network = ipaddress.IPv4Network(text, strict=False)
        except ValueError:
            continue
        out.append((f"{int(network.network_address):08x}", f"{int(network.broadcast_address):08x}"))
    return out


def match_assets(municipality_id: int, v: PathViolation) -> list[int]:
    """The ids of the assets a violation touches: their hosts overlap its (non-external)
    sources or delivered destinations, or a host name names its source or destination zone."""
    condition = Q()
    items: tuple[str, ...] = ()
    if v.source_segment != EXTERNAL:
        items += v.flows.sources
    if v.destination_segment != EXTERNAL:
        items += v.flows.destinations
    for first, last in _ranges(items):
        condition |= Q(ip_version=4, range_start__lte=last, range_end__gte=first)
    zones = {z.lower() for z in (v.source_zone, v.destination_zone)}
    for zone in zones:
        condition |= Q(host_name=zone) | Q(host_name__startswith=f"{zone}.")
    if not condition:
        return []
    hosts = AssetHost.objects.filter(Q(municipality_id=municipality_id) & condition).exclude(
        asset__status=InformationAsset.Status.DISPOSED
    )
    return sorted(set(hosts.values_list("asset_id", flat=True)))


def _rule(ref: Any) -> dict[str, Any]:
    return {
        "device": ref.device,
        "file": ref.source,
        "line": ref.line,
        "text": ref.text,
        "chain": ref.chain,
        "policy": ref.policy,
    }


def _path(v: PathViolation) -> list[dict[str, Any]]:
    return [
        {
            "device": hop.device,
            "in": hop.in_interface,
            "out": hop.out_interface,
            "rules": [_rule(r) for r in hop.rules],
            "nat": [{"kind": n.kind, "to": n.to, "rule": _rule(n.rule)} for n in hop.nat],
        }
        for hop in v.path
    ]


def _summary(v: PathViolation) -> str:
    f = v.flows
    ports = f"/{','.join(f.ports)}" if f.ports and f.ports != ("any",) else ""
    return (
        f"{', '.join(f.sources)} → {', '.join(f.destinations)} {','.join(f.protocols)}{ports}"
    ).strip()


def _store(check: NetworkCheck, report: Report, applied: list[str], folder: Path) -> None:
    scrub = str(folder.resolve()) + "/"
    data = json.loads(report_json(report).replace(scrub, ""))
    with transaction.atomic():
        check.refresh_from_db()
        check.status = NetworkCheck.Status.DONE
        check.finished_at = timezone.now()
        check.compliant = report.compliant
        check.violation_count = len(report.violations)
        check.pair_count = len(report.pairs)
        check.exceptions_applied = applied
        check.report = data
        check.report_text_ja = report_text(report, "ja").replace(scrub, "")
        check.report_text_en = report_text(report, "en").replace(scrub, "")
        check.progress = ""
        check.save()
        for v in report.violations:
            row = NetworkViolation.objects.create(
                municipality_id=check.municipality_id,
                network_check=check,
                fingerprint=fingerprint(v),
                source_zone=v.source_zone,
                source_segment=v.source_segment,
                destination_zone=v.destination_zone,
                destination_segment=v.destination_segment,
                rule=v.rule,
                summary=_summary(v),
                flows=dataclasses.asdict(v.flows),
                path=_path(v),
                nat_applied=v.nat_applied,
            )
            row.assets.set(match_assets(check.municipality_id, v))
        journal.record(
            actor=None,
            system=services.SYSTEM,
            action="network.check_done",
            obj=check,
            after={
                "snapshot": check.snapshot.name,
                "compliant": report.compliant,
                "violations": len(report.violations),
                "exceptions": applied,
            },
        )


def _finish(check: NetworkCheck, status: str, ja: str, en: str) -> None:
    with transaction.atomic():
        NetworkCheck.objects.filter(pk=check.pk).update(
            status=status, finished_at=timezone.now(), error_ja=ja, error_en=en, progress=""
        )
        journal.record(
            actor=None,
            system=services.SYSTEM,
            action=f"network.check_{status}",
            obj=check,
            after={"snapshot": check.snapshot.name, "error": en[:500]},
        )


def _message(text: str, folder: Path) -> str:
    """An engine message without the server's path to the snapshot."""
    return text.replace(str(folder.resolve()) + "/", "").replace(str(folder) + "/", "")


def run(check_id: int, today: datetime.date | None = None) -> NetworkCheck | None:
    """Run a queued check (the task); a check already claimed is left alone."""
    claimed = NetworkCheck.objects.filter(pk=check_id, status=NetworkCheck.Status.QUEUED).update(
        status=NetworkCheck.Status.RUNNING, started_at=timezone.now(), progress="loading"
    )
    if not claimed:
        return None
    check = NetworkCheck.objects.select_related("snapshot").get(pk=check_id)
    folder = check.snapshot.folder
    today = today or timezone.localdate()
    try:
        model = load_model(check.snapshot.model_path)
        applied = services.engine_exceptions(check.municipality_id, today)
        # confined: the engine refuses any file the model names outside the upload (absolute
        # paths, "..", symbolic links, Aerleon includes)
        model = dataclasses.replace(model, exceptions=applied, confined=True)
        _progress(check, "verifying")
        report = verify(model, today=today)
        _progress(check, "matching")
        _store(check, report, [e.id for e in applied], folder)
    except SegmentsError as exc:
        _finish(
            check,
            NetworkCheck.Status.INVALID,
            _message(exc.render("ja"), folder),
            _message(exc.render("en"), folder),
        )
    except Exception:
        logger.exception("network check %s failed", check_id)
        texts = {}
        for lang in ("ja", "en"):
            with override(lang):
                texts[lang] = _(
                    "The check stopped on an unexpected error. Run it again; if it fails "
                    "again, ask the system administrator to look at the server log."
                )
        _finish(check, NetworkCheck.Status.FAILED, texts["ja"], texts["en"])
    check.refresh_from_db()
    return check


def refresh(check: NetworkCheck, *, now: datetime.datetime | None = None) -> NetworkCheck:
    """Mark a check failed when it has been running for :data:`STALE_AFTER` (worker gone)."""
    if check.status != NetworkCheck.Status.RUNNING:
        return check
    now = now or timezone.now()
    if check.started_at is not None and now - check.started_at > STALE_AFTER:
        messages = {}
        for lang in ("ja", "en"):
            with override(lang):
                messages[lang] = _(
                    "The check stopped without finishing (the task worker was stopped or "
                    "restarted). Run it again."
                )
        NetworkCheck.objects.filter(pk=check.pk, status=NetworkCheck.Status.RUNNING).update(
            status=NetworkCheck.Status.FAILED,
            finished_at=now,
            error_ja=messages["ja"],
            error_en=messages["en"],
        )
        check.refresh_from_db()
    return check
