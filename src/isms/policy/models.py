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


class ControlStandard(models.Model):
    """One version of a municipality's 情報セキュリティ対策基準 (the control catalog).

    A new version is made from the previous one (``previous``); controls whose content did not
    change keep their ``key``, so that answers, findings and exceptions linked to a control can
    be followed across versions. One version per municipality is current.
    """

    class Confidence(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        RECALLED = "recalled", _("Recalled")
        UNCERTAIN = "uncertain", _("Uncertain")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="control_standards"
    )
    title = models.CharField(_("title"), max_length=200)
    version = models.CharField(_("version"), max_length=20)
    guideline_edition = models.CharField(_("guideline edition"), max_length=20, blank=True)
    effective_date = models.DateField(_("effective date"), null=True, blank=True)
    is_current = models.BooleanField(_("current version"), default=False)
    # When the version first became current; a version that has ever been current is never
    # edited again (inspection answers, findings and exceptions may refer to it).
    made_current_at = models.DateTimeField(_("made current at"), null=True, blank=True)
    previous = models.ForeignKey(
        "self",
        verbose_name=_("previous version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["municipality_id", "-created_at", "-id"]
        verbose_name = _("control standard")
        verbose_name_plural = _("control standards")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "version"], name="controlstandard_version_unique"
            ),
            models.UniqueConstraint(
                fields=["municipality"],
                condition=models.Q(is_current=True),
                name="controlstandard_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.version})"

    @property
    def is_draft(self) -> bool:
        """A version that has never been current: the only kind whose controls may be edited."""
        return not self.is_current and self.made_current_at is None


class ControlSection(models.Model):
    """A chapter ("4") or section ("4.1") of a control standard, numbered as the guideline."""

    municipality_lookup = "standard__municipality_id"

    standard = models.ForeignKey(ControlStandard, on_delete=models.CASCADE, related_name="sections")
    number = models.CharField(_("number"), max_length=10)
    title = models.CharField(_("title"), max_length=200)
    chapter = models.PositiveSmallIntegerField(_("chapter"))
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["standard_id", "position"]
        verbose_name = _("control section")
        verbose_name_plural = _("control sections")
        constraints = [
            models.UniqueConstraint(fields=["standard", "number"], name="controlsection_unique")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class Control(models.Model):
    """One requirement of the 対策基準 (遵守事項 and 判断基準), keyed by the guideline numbering.

    ``code`` is unique within a version ("4.1.3"); ``key`` stays the same across versions while
    the control's content is unchanged. Empty applicability lists mean "everyone / every
    segment / every class".
    """

    municipality_lookup = "standard__municipality_id"

    standard = models.ForeignKey(ControlStandard, on_delete=models.CASCADE, related_name="controls")
    section = models.ForeignKey(ControlSection, on_delete=models.PROTECT, related_name="controls")
    key = models.UUIDField(_("identity across versions"), db_index=True)
    # The key of the previous version's control with the same code that this one replaces
    # (its content changed); empty for a control that is new or unchanged.
    replaces = models.UUIDField(_("replaces"), null=True, blank=True)
    code = models.CharField(_("control ID"), max_length=20)
    requirement = models.TextField(_("requirement"))
    criteria = models.TextField(_("criteria"), blank=True)
    applies_to_roles = models.JSONField(_("roles"), default=list, blank=True)
    applies_to_segments = models.JSONField(_("segments"), default=list, blank=True)
    applies_to_classes = models.JSONField(_("asset classes"), default=list, blank=True)
    guideline_section = models.CharField(_("guideline section"), max_length=20, blank=True)
    confidence = models.CharField(
        _("confidence of the content"),
        max_length=10,
        choices=ControlStandard.Confidence.choices,
        default=ControlStandard.Confidence.RECALLED,
    )
    is_key_item = models.BooleanField(_("key item (重点項目)"), default=False)
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["standard_id", "position"]
        verbose_name = _("control")
        verbose_name_plural = _("controls")
        constraints = [
            models.UniqueConstraint(fields=["standard", "code"], name="control_code_unique"),
            models.UniqueConstraint(fields=["standard", "key"], name="control_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.requirement[:40]}"
