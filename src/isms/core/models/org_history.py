"""組織改正 history: what each org unit was called and where it sat, and what replaced what.

``OrgUnit`` is the stable identity every record points at (role assignments, people, later
assets and findings); it never changes its primary key. Its name, code, parent, kind and scope
flag mirror the *current* ``OrgUnitVersion``. Each reorganisation (``OrgChange``) closes the open
version the day before its effective date and opens a new one, so "what was this 課 called on
that day" is one indexed lookup. Merges and splits record ``OrgUnitSuccession`` links from the
old unit to the new, so a record of an abolished unit can be followed to its successor.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .org import OrgUnit
from .tenancy import Municipality, User

__all__ = ["OrgChange", "OrgUnitSuccession", "OrgUnitVersion", "PlannedOrgChange"]


class OrgChange(models.Model):
    """One 組織改正 event with its effective date (the first day the new organisation applies)."""

    class Kind(models.TextChoices):
        REORGANISE = "reorganise", _("Rename or move")
        MERGE = "merge", _("Merge")
        SPLIT = "split", _("Split")
        ABOLISH = "abolish", _("Abolish")

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind of change"), max_length=20, choices=Kind.choices)
    effective_date = models.DateField(_("effective date"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["municipality_id", "-effective_date", "-pk"]
        verbose_name = _("reorganisation")
        verbose_name_plural = _("reorganisations")
        indexes = [models.Index(fields=["municipality", "effective_date"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.effective_date.isoformat()}"


class OrgUnitVersion(models.Model):
    """An org unit's name, code and place in the tree over one period (both ends inclusive).

    ``valid_from`` empty: since before the system's records; ``valid_to`` empty: still current.
    ``parent`` points at the parent's stable identity, whose own name on a day comes from its
    own versions.
    """

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="versions")
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid until"), null=True, blank=True)
    code = models.CharField(_("unit code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    name_kana = models.CharField(_("name (kana)"), max_length=200, blank=True)
    parent = models.ForeignKey(
        OrgUnit,
        verbose_name=_("parent unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=OrgUnit.Kind.choices)
    organ_kind = models.CharField(_("organ"), max_length=40, choices=OrgUnit.OrganKind.choices)
    in_scope = models.BooleanField(_("in scope of the policy"), default=True)
    change = models.ForeignKey(
        OrgChange, on_delete=models.PROTECT, null=True, blank=True, related_name="versions"
    )

    class Meta:
        ordering = ["org_unit_id", "valid_from"]
        verbose_name = _("org unit version")
        verbose_name_plural = _("org unit versions")
        indexes = [
            models.Index(fields=["org_unit", "valid_from"]),
            models.Index(fields=["municipality", "name"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="orgunitversion_period_ordered",
            ),
            models.UniqueConstraint(
                fields=["org_unit"],
                condition=Q(valid_to__isnull=True),
                name="orgunitversion_one_current",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def covers(self, day: datetime.date) -> bool:
        """Return whether this version applied on ``day``."""
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class OrgUnitSuccession(models.Model):
    """``predecessor``'s work passed (in whole or in part) to ``successor`` by ``change``."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    change = models.ForeignKey(OrgChange, on_delete=models.PROTECT, related_name="successions")
    predecessor = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="successors")
    successor = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="predecessors")

    class Meta:
        ordering = ["change_id", "pk"]
        verbose_name = _("org unit succession")
        verbose_name_plural = _("org unit successions")
        constraints = [
            models.UniqueConstraint(
                fields=["change", "predecessor", "successor"], name="orgunitsuccession_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.predecessor} → {self.successor}"


class PlannedOrgChange(models.Model):
    """A 組織改正 decided ahead of its effective date (usually in March, for 4/1).

    Checked when planned; carried out by the daily task on its day through the same services
    as an immediate change (``core.planned_changes.apply_due``). Until then the organisation
    is unchanged. ``params`` holds the service's arguments, units by primary key.
    """

    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        APPLIED = "applied", _("Carried out")
        FAILED = "failed", _("Could not be carried out")
        CANCELLED = "cancelled", _("Cancelled")

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="planned_changes")
    kind = models.CharField(_("kind of change"), max_length=20, choices=OrgChange.Kind.choices)
    effective_date = models.DateField(_("effective date"))
    params = models.JSONField(default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.PLANNED
    )
    error = models.TextField(_("why it could not be carried out"), blank=True)
    applied_change = models.ForeignKey(
        OrgChange, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["effective_date", "pk"]
        verbose_name = _("planned reorganisation")
        verbose_name_plural = _("planned reorganisations")
        indexes = [models.Index(fields=["state", "effective_date"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.org_unit} {self.effective_date.isoformat()}"
