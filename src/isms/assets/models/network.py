"""Network separation checks (対策基準 3): uploaded networks, their checks, violations, 例外措置.

A :class:`NetworkSnapshot` is one upload (a network model and its configurations) kept under
``DATA_DIR/network/<municipality id>/<snapshot id>/``; a :class:`NetworkCheck` runs the
segmentation verifier (``isms.segments``) on it in the background and keeps the report; each
:class:`NetworkViolation` is one violating path class of the report, linked to the assets of the
register it touches. :class:`PolicyException` is the 例外措置 register for flows between
segments: the approved, unexpired ones replace the model's own ``exceptions`` when a check runs.
"""

from __future__ import annotations

import datetime
import secrets
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from isms.core.models import Municipality

from .register import InformationAsset

__all__ = ["NetworkCheck", "NetworkSnapshot", "NetworkViolation", "PolicyException"]


def _storage_key() -> str:
    return secrets.token_hex(8)


class NetworkSnapshot(models.Model):
    """One uploaded network: the model file and its configurations, as uploaded.

    The files lie in ``DATA_DIR/network/<municipality id>/<snapshot id>-<storage key>/``: the
    random key keeps a reset or restored database (ids used again) and two test workers
    sharing a data folder from ever meeting another snapshot's files.
    """

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="network_snapshots"
    )
    name = models.CharField(_("name"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    model_file = models.CharField(_("model file"), max_length=255)
    files = models.JSONField(_("files"), default=list, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    storage_key = models.CharField(max_length=32, default=_storage_key, editable=False)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("network upload")
        verbose_name_plural = _("network uploads")

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def root(municipality_id: int) -> Path:
        return Path(settings.DATA_DIR) / "network" / str(municipality_id)

    @property
    def folder(self) -> Path:
        """Where the files are kept (see the class)."""
        return self.root(self.municipality_id) / f"{self.pk}-{self.storage_key}"

    @property
    def model_path(self) -> Path:
        return self.folder / self.model_file


class NetworkCheck(models.Model):
    """One run of the segmentation verifier on a snapshot, and what it found."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Checking")
        DONE = "done", _("Checked")
        INVALID = "invalid", _("Invalid input")
        FAILED = "failed", _("Failed")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="network_checks"
    )
    snapshot = models.ForeignKey(
        NetworkSnapshot, verbose_name=_("network"), on_delete=models.CASCADE, related_name="checks"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.CharField(_("progress"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    compliant = models.BooleanField(_("compliant"), null=True, blank=True)
    violation_count = models.PositiveIntegerField(_("violations"), default=0)
    pair_count = models.PositiveIntegerField(_("segment pairs"), default=0)
    exceptions_applied = models.JSONField(_("exceptions applied"), default=list, blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True)
    report_text_ja = models.TextField(blank=True)
    report_text_en = models.TextField(blank=True)
    error_ja = models.TextField(_("error"), blank=True)
    error_en = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("network check")
        verbose_name_plural = _("network checks")
        indexes = [models.Index(fields=["municipality", "created_at"], name="network_check_idx")]

    def __str__(self) -> str:
        return f"{self.snapshot} #{self.pk}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.INVALID, self.Status.FAILED)


class NetworkViolation(models.Model):
    """One class of violating new connections of a check, with its path and the rules."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    network_check = models.ForeignKey(
        NetworkCheck, on_delete=models.CASCADE, related_name="violations"
    )
    fingerprint = models.CharField(max_length=64, db_index=True)
    source_zone = models.CharField(_("source zone"), max_length=100)
    source_segment = models.CharField(_("source segment"), max_length=50)
    destination_zone = models.CharField(_("destination zone"), max_length=100)
    destination_segment = models.CharField(_("destination segment"), max_length=50)
    rule = models.CharField(_("rule broken"), max_length=30)
    summary = models.TextField(_("flows"), blank=True)
    flows = models.JSONField(default=dict, blank=True)
    path = models.JSONField(default=list, blank=True)
    nat_applied = models.BooleanField(default=False)
    assets = models.ManyToManyField(InformationAsset, related_name="network_violations", blank=True)

    class Meta:
        ordering = ["network_check_id", "id"]
        verbose_name = _("network violation")
        verbose_name_plural = _("network violations")

    def __str__(self) -> str:
        return f"{self.source_zone} → {self.destination_zone}: {self.summary}"


class PolicyException(models.Model):
    """An entry of the 例外措置 register for flows between segments (glossary:
    ``PolicyException``): asked for by one person, approved by another, for at most a year."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Expired")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="network_exceptions"
    )
    number = models.CharField(_("number"), max_length=20)
    sources = models.TextField(_("sources"))
    destinations = models.TextField(_("destinations"))
    services = models.TextField(_("services"))
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    approved_on_behalf_of = models.CharField(max_length=300, blank=True)
    decision_note = models.TextField(_("note on the decision"), blank=True)
    expires = models.DateField(_("expires"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED
    )
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)

    class Meta:
        ordering = ["municipality_id", "-number"]
        verbose_name = _("exception (例外措置)")
        verbose_name_plural = _("exceptions (例外措置)")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "number"], name="network_exception_number_unique"
            )
        ]

    def __str__(self) -> str:
        return self.number

    def days_left(self, today: datetime.date) -> int:
        return (self.expires - today).days
