"""Large imports as background tasks: queue the upload, run it, report progress and outcome.

A file with more than :data:`BACKGROUND_ROWS` data rows is not imported within the request:
:func:`start` keeps the upload under ``DATA_DIR/imports/``, records an :class:`ImportJob` and
queues ``core.tasks.run_import_job``; the task calls :func:`run`, which calls the same importer
as the page (``core.io``) and stores the outcome on the job. While it runs, the importer's
progress goes to the task queue's own store (Huey ``put``/``get``), not to the database: the
import holds one long transaction, and on SQLite nothing else may write until it commits.

A job never stays "running" for good: any exception marks it failed (nothing was imported, the
transaction rolled back), and a job whose worker vanished (killed, restarted) is marked failed
by :func:`refresh` once no progress has been reported for :data:`STALE_AFTER`.
"""

from __future__ import annotations

import datetime
import logging
import secrets
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from . import io
from .models import ImportJob, Municipality, User
from .permissions import Action, require

__all__ = [
    "BACKGROUND_ROWS",
    "STALE_AFTER",
    "progress_of",
    "refresh",
    "register",
    "run",
    "start",
]

logger = logging.getLogger(__name__)

# More data rows than this and the file is imported by a task, not within the request.
BACKGROUND_ROWS = 2_000
# A running job that reports no progress for this long is taken for dead (its worker is gone).
STALE_AFTER = datetime.timedelta(minutes=15)

IMPORTERS: dict[str, Any] = {
    ImportJob.Kind.ORG_UNIT: io.import_org_units,
    ImportJob.Kind.PERSON: io.import_people,
    ImportJob.Kind.ROLE_ASSIGNMENT: io.import_role_assignments,
}
ACTIONS: dict[str, Action] = {
    ImportJob.Kind.ORG_UNIT: Action.MANAGE_ORGANISATION,
    ImportJob.Kind.PERSON: Action.MANAGE_PEOPLE,
    ImportJob.Kind.ROLE_ASSIGNMENT: Action.MANAGE_ROLES,
}


def register(kind: str, importer: Any, action: Action) -> None:
    """Let another app's importer run as jobs of ``kind`` (an ``ImportJob.Kind``), for users
    who may do ``action``; the app calls it when it is loaded (``AppConfig.ready``), so that
    the task worker knows it too. ``core`` imports no other app."""
    IMPORTERS[kind] = importer
    ACTIONS[kind] = action


def upload_dir() -> Path:
    """Return the folder where queued uploads wait (created on first use)."""
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _huey() -> Any:
    from huey.contrib.djhuey import HUEY

    return HUEY


def _progress_key(job_id: int) -> str:
    return f"isms-import-progress-{job_id}"


def _report(job_id: int, done: int, total: int) -> None:
    _huey().put(_progress_key(job_id), (done, total, time.time()))


def progress_of(job: ImportJob) -> tuple[int, int]:
    """Return (rows done, rows in the file) of a job: live while it runs, final afterwards."""
    if job.status == ImportJob.Status.RUNNING:
        live = _huey().get(_progress_key(job.pk), peek=True)
        if live is not None:
            return int(live[0]), int(live[1])
    return job.rows_done, job.rows_total


def start(
    actor: User, municipality: Municipality, *, kind: str, filename: str, data: bytes, rows: int
) -> ImportJob:
    """Keep the upload, record a queued job and queue the task that imports it."""
    require(actor, ACTIONS[kind], municipality=municipality)
    suffix = ".xlsx" if filename.lower().endswith(io.XLSX_SUFFIXES) else ".csv"
    name = f"{secrets.token_hex(16)}{suffix}"
    (upload_dir() / name).write_bytes(data)
    job = ImportJob.objects.create(
        municipality=municipality,
        kind=kind,
        filename=filename[:255],
        upload=name,
        rows_total=rows,
        created_by=actor,
    )
    from .tasks import run_import_job

    run_import_job(job.pk)
    job.refresh_from_db()
    return job


def _finish(job: ImportJob, status: str, **values: Any) -> None:
    job.status = status
    job.finished_at = timezone.now()
    for name, value in values.items():
        setattr(job, name, value)
    job.save()


def run(job_id: int) -> ImportJob | None:
    """Import a queued job's file and store the outcome; never leave it running.

    Called by the task; a job already started (a duplicate delivery of the task) is left alone.
    """
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    job = ImportJob.objects.select_related("municipality", "created_by").get(pk=job_id)
    path = upload_dir() / job.upload
    try:
        with override(settings.LANGUAGE_CODE):
            _run(job, path)
    finally:
        path.unlink(missing_ok=True)
        _huey().delete(_progress_key(job.pk))
    return job


def _run(job: ImportJob, path: Path) -> None:
    try:
        if job.created_by is None:
            raise PermissionDenied
        result = IMPORTERS[job.kind](
            job.created_by,
            job.municipality,
            path.read_bytes(),
            job.filename,
            progress=lambda done, total: _report(job.pk, done, total),
        )
    except io.ImportRejected as exc:
        _finish(
            job,
            ImportJob.Status.REJECTED,
            issues=[asdict(i) for i in exc.issues],
            rows_done=0,
        )
    except PermissionDenied:
        _finish(
            job,
            ImportJob.Status.FAILED,
            message=_(
                "The person who uploaded the file may no longer import it; nothing was imported."
            ),
        )
    except Exception:
        logger.exception("import job %s failed", job.pk)
        _finish(
            job,
            ImportJob.Status.FAILED,
            message=_(
                "The import stopped on an unexpected error; nothing was imported. Try again; if "
                "it fails again, ask the system administrator to look at the server log."
            ),
        )
    else:
        _finish(
            job,
            ImportJob.Status.DONE,
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
            rows_done=job.rows_total,
        )


def refresh(job: ImportJob, *, now: datetime.datetime | None = None) -> ImportJob:
    """Mark a running job failed when its worker has reported nothing for ``STALE_AFTER``."""
    if job.status != ImportJob.Status.RUNNING:
        return job
    now = now or timezone.now()
    live = _huey().get(_progress_key(job.pk), peek=True)
    last = (
        datetime.datetime.fromtimestamp(live[2], tz=datetime.UTC)
        if live is not None
        else job.started_at or job.created_at
    )
    if now - last > STALE_AFTER:
        with override(settings.LANGUAGE_CODE):  # stored, like the task's messages
            message = _(
                "The import stopped without finishing (the task worker was stopped or "
                "restarted); nothing was imported. Upload the file again."
            )
        stopped = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.RUNNING).update(
            status=ImportJob.Status.FAILED, finished_at=now, message=message
        )
        if stopped:
            (upload_dir() / job.upload).unlink(missing_ok=True)
        job.refresh_from_db()
    return job
