"""Policy documents. This issue holds the 基本方針; 対策基準 and 実施手順 come later."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from isms.core.models import Municipality


class BasicPolicy(models.Model):
    """A municipality's 情報セキュリティ基本方針 (public), one version per row."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="basic_policies"
    )
    title = models.CharField(_("title"), max_length=200)
    version = models.CharField(_("version"), max_length=20)
    guideline_edition = models.CharField(_("guideline edition"), max_length=20, blank=True)
    effective_date = models.DateField(_("effective date"), null=True, blank=True)
    is_current = models.BooleanField(_("current version"), default=True)
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["municipality_id", "-loaded_at"]
        verbose_name = _("basic policy")
        verbose_name_plural = _("basic policies")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "version"], name="basicpolicy_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.version})"


class PolicySection(models.Model):
    """A numbered section of the basic policy (2.1–2.10) with its paragraphs and clauses.

    ``clauses`` is a list of ``{"number": "(1)", "title": str, "paragraphs": [str]}``.
    """

    municipality_lookup = "policy__municipality_id"

    policy = models.ForeignKey(BasicPolicy, on_delete=models.CASCADE, related_name="sections")
    number = models.CharField(_("number"), max_length=10)
    title = models.CharField(_("title"), max_length=200)
    paragraphs = models.JSONField(default=list)
    clauses = models.JSONField(default=list)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["policy_id", "position"]
        verbose_name = _("policy section")
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="policysection_unique")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class PolicyReview(models.Model):
    """The committee's review of the policy for a fiscal year (seed 2.8, 対策基準 9.3).

    ``analysis`` keeps the figures of the year's risk analysis (``risks.RiskAnalysis``) as they
    were when the review was recorded; audit findings and incidents join once those exist.
    """

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    conclusion = models.TextField(_("conclusion of the review"))
    analysis = models.JSONField(_("risk analysis reviewed"), default=dict)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["municipality_id", "-fiscal_year"]
        verbose_name = _("policy review")
        verbose_name_plural = _("policy reviews")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "fiscal_year"], name="policy_review_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.municipality} {self.fiscal_year}"
