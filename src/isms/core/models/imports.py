"""Imports run as background tasks: a large upload, its progress and its outcome."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .tenancy import Municipality, User

__all__ = ["ImportJob"]


class ImportJob(models.Model):
    """An upload too large to import within the request, imported by a task (``core.io_jobs``).

    The file waits under ``DATA_DIR/imports/`` (``upload`` names it) and is deleted once the
    task has finished; the outcome stays: the counts, or the problems found row by row.
    """

    class Kind(models.TextChoices):
        ORG_UNIT = "org_unit", _("org units")
        PERSON = "person", _("staff")
        ROLE_ASSIGNMENT = "role_assignment", _("role assignments")
        ASSET = "asset", _("information assets")  # registered by the assets app

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        REJECTED = "rejected", _("Refused: nothing imported")
        FAILED = "failed", _("Failed: nothing imported")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="import_jobs"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    filename = models.CharField(_("file"), max_length=255)
    upload = models.CharField(max_length=100, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    issues = models.JSONField(default=list, blank=True)
    message = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [models.Index(fields=["municipality", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.filename}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.REJECTED, self.Status.FAILED)
