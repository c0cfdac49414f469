"""Classification history: the assistant's records and scheme migrations with their review list."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from isms.core.models import Municipality

from .register import InformationAsset

__all__ = ["ClassificationRecord", "MigrationReviewItem", "SchemeMigration"]


class ClassificationRecord(models.Model):
    """One use of the classification assistant on an asset, as confirmed by the user.

    ``answers`` are the normalised answers; ``suggested`` the assistant's classes with
    ``reasons`` (per axis: rule, because, criteria); ``overrides`` the classes the user chose
    instead, each with its reason; the chosen classes are what the asset was given.
    """

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    asset = models.ForeignKey(
        InformationAsset,
        verbose_name=_("asset"),
        on_delete=models.CASCADE,
        related_name="classification_records",
    )
    scheme = models.CharField(_("classification scheme"), max_length=20)
    answers = models.JSONField(_("answers"), default=dict)
    suggested = models.JSONField(_("suggested classes"), default=dict)
    reasons = models.JSONField(_("reasons"), default=list)
    overrides = models.JSONField(_("overrides"), default=list)
    confidentiality = models.CharField(_("confidentiality"), max_length=5)
    integrity = models.CharField(_("integrity"), max_length=5)
    availability = models.CharField(_("availability"), max_length=5)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name = _("classification record")
        verbose_name_plural = _("classification records")
        indexes = [models.Index(fields=["asset", "recorded_at"], name="asset_classrec_idx")]

    def __str__(self) -> str:
        return f"{self.asset_id}: {self.confidentiality}/{self.integrity}/{self.availability}"


class SchemeMigration(models.Model):
    """Migrating a municipality's register from one classification scheme to another.

    Clear cases are applied when it starts; the ambiguous ones are :class:`MigrationReviewItem`
    rows that the owning units' managers resolve. It is complete (``completed_at``) when the
    last item is resolved. One migration at a time per municipality.
    """

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="asset_scheme_migrations"
    )
    from_scheme = models.CharField(_("from scheme"), max_length=20)
    to_scheme = models.CharField(_("to scheme"), max_length=20)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    migrated_count = models.PositiveIntegerField(_("migrated automatically"), default=0)
    review_count = models.PositiveIntegerField(_("assets to review"), default=0)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("classification scheme migration")
        verbose_name_plural = _("classification scheme migrations")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality"],
                condition=Q(completed_at__isnull=True),
                name="asset_one_open_migration",
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_scheme} → {self.to_scheme}"


class MigrationReviewItem(models.Model):
    """One axis of one asset whose new class the owner must choose (e.g. 機密性3 → 3A/3B/3C).

    ``assigned`` keeps the asset's automatically migrated classes (``{"integrity": "2", ...}``,
    the axis under review absent), so that the outcome can be completed once every item of the
    asset is resolved. ``hints`` are the matching hints of the migration rules, strongest first.
    """

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    migration = models.ForeignKey(
        SchemeMigration, on_delete=models.PROTECT, related_name="review_items"
    )
    asset = models.ForeignKey(
        InformationAsset,
        verbose_name=_("asset"),
        on_delete=models.PROTECT,
        related_name="migration_review_items",
    )
    axis = models.CharField(_("axis"), max_length=20)
    source_class = models.CharField(_("old class"), max_length=5)
    candidates = models.JSONField(_("candidate classes"), default=list)
    suggested = models.CharField(_("suggested class"), max_length=5, blank=True)
    reason_ja = models.TextField(blank=True)
    reason_en = models.TextField(blank=True)
    hints = models.JSONField(_("hints"), default=list)
    assigned = models.JSONField(default=dict)
    chosen = models.CharField(_("chosen class"), max_length=5, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_on_behalf_of = models.CharField(_("on behalf of"), max_length=200, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["migration_id", "asset_id", "axis"]
        verbose_name = _("migration review item")
        verbose_name_plural = _("migration review items")
        constraints = [
            models.UniqueConstraint(
                fields=["migration", "asset", "axis"], name="asset_review_item_unique"
            )
        ]
        indexes = [
            models.Index(fields=["municipality", "resolved_at"], name="asset_review_open_idx")
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.axis} {self.source_class} → {'/'.join(self.candidates)}"

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None
