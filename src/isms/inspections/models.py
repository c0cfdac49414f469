"""Models of the inspections app.

``CorrectiveAction`` (是正処置) is shared: a 未実施 self-inspection answer, an audit finding
and an incident's closure review all end in actions with an owner and a due date, followed up
in one list.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from isms.core.models import Municipality, OrgUnit, Person
from isms.policy.models import Control


class CorrectiveAction(models.Model):
    """An action that fixes a weakness: who does what, for which unit, by when."""

    class Source(models.TextChoices):
        SELF_INSPECTION = "self_inspection", _("Self-inspection")
        AUDIT = "audit", _("Audit")
        INCIDENT = "incident", _("Incident")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done, awaiting verification")
        CLOSED = "closed", _("Closed")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="corrective_actions"
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    # What the source calls the record the action came from ("INC-2026-0003", a finding's
    # number): readable in lists and exports; the source apps keep their own foreign keys.
    source_reference = models.CharField(_("source reference"), max_length=60, blank=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    control = models.ForeignKey(
        Control,
        verbose_name=_("control"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrective_actions",
    )
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("org unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrective_actions",
    )
    owner = models.ForeignKey(
        Person, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    progress_note = models.TextField(_("progress"), blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        Person,
        verbose_name=_("verified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["municipality_id", "due_date", "id"]
        verbose_name = _("corrective action")
        verbose_name_plural = _("corrective actions")
        indexes = [
            models.Index(fields=["municipality", "status", "due_date"]),
            models.Index(fields=["owner", "status"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED
