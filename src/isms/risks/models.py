"""Threats, vulnerabilities, scales, asset groups, risks and the yearly risk analysis."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from isms.assets.models import InformationAsset
from isms.core.models import Municipality, OrgUnit, Person

from . import scales

__all__ = [
    "AssetGroup",
    "Risk",
    "RiskAnalysis",
    "RiskLevel",
    "RiskSettings",
    "Threat",
    "ThreatCategory",
    "Vulnerability",
]


class ThreatCategory(models.TextChoices):
    """The five threats of seed 2.3 (the glossary's ``ThreatCategory``)."""

    INTENTIONAL = "intentional", _("Intentional (cyber attack, intrusion, insider wrongdoing)")
    UNINTENTIONAL = "unintentional", _("Unintentional (violation, defect, mistake, failure)")
    DISASTER = "disaster", _("Disaster (earthquake, lightning, fire)")
    PANDEMIC = "pandemic", _("Epidemic (staff shortage)")
    INFRASTRUCTURE = "infrastructure", _("Infrastructure outage (power, communications, water)")


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    VERY_HIGH = "very_high", _("Very high")


LEVEL_RANK = {level: i + 1 for i, level in enumerate(scales.LEVELS)}


class RiskSettings(models.Model):
    """A municipality's scales and risk-level bands, and the catalog version it was given."""

    municipality = models.OneToOneField(
        Municipality, on_delete=models.PROTECT, related_name="risk_settings"
    )
    likelihood_levels = models.JSONField(_("likelihood scale"), default=list)
    impact_levels = models.JSONField(_("impact scale"), default=list)
    bands = models.JSONField(_("risk level bands"), default=list)
    catalog_version = models.PositiveIntegerField(_("threat catalog version"), default=0)

    class Meta:
        ordering = ["municipality_id"]
        verbose_name = _("risk settings")
        verbose_name_plural = _("risk settings")

    def __str__(self) -> str:
        return f"{self.municipality}"


class _CatalogEntry(models.Model):
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=20)
    name_ja = models.CharField(_("name (Japanese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    builtin = models.BooleanField(_("from the shipped catalog"), default=False)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.code} {self.name_ja}"


class Threat(_CatalogEntry):
    """A threat of seed 2.3 (shipped catalog) or of the municipality's own."""

    category = models.CharField(_("threat category"), max_length=20, choices=ThreatCategory.choices)

    class Meta:
        ordering = ["municipality_id", "code"]
        verbose_name = _("threat")
        verbose_name_plural = _("threats")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="threat_code_unique")
        ]


class Vulnerability(_CatalogEntry):
    """A weakness a threat may exploit (the second list of the catalog)."""

    class Meta:
        ordering = ["municipality_id", "code"]
        verbose_name = _("vulnerability")
        verbose_name_plural = _("vulnerabilities")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="vulnerability_unique")
        ]


# The most assets one group holds: beyond it a group no longer says what was assessed together,
# and one request would exceed the database's parameter limit (forms, API and services check it).
MAX_GROUP_ASSETS = 500


class AssetGroup(models.Model):
    """A named set of assets of one unit assessed together (e.g. every terminal of a 課)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    owning_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="+"
    )
    # Not editable: changed through services.update_asset_group only (journaled with the ids),
    # and left out of journal.snapshot's generic field walk, which holds no lists of records.
    assets = models.ManyToManyField(
        InformationAsset, verbose_name=_("assets"), related_name="risk_groups", editable=False
    )

    class Meta:
        ordering = ["municipality_id", "name"]
        verbose_name = _("asset group")
        verbose_name_plural = _("asset groups")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "name"], name="asset_group_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Risk(models.Model):
    """One assessed risk of an asset or asset group for a fiscal year (seed 2.8).

    ``likelihood``/``impact`` give the inherent risk; after treatment the residual pair. The
    ``current_*`` fields are the residual values once a treatment is recorded, else the inherent
    ones: the heat map and the top list read them, indexed, without computing anything.
    ``proposed_impact`` and ``impact_reasons`` keep what the proposal said when assessed.
    """

    class Treatment(models.TextChoices):
        REDUCE = "reduce", _("Reduce")
        ACCEPT = "accept", _("Accept")
        TRANSFER = "transfer", _("Transfer")
        AVOID = "avoid", _("Avoid")

    class Status(models.TextChoices):
        ASSESSED = "assessed", _("Assessed")
        TREATED = "treated", _("Treatment decided")
        ACCEPTANCE_REQUESTED = "acceptance_requested", _("Acceptance requested")
        ACCEPTED = "accepted", _("Residual risk accepted")

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="risks")
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    asset = models.ForeignKey(
        InformationAsset,
        verbose_name=_("asset"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="risks",
    )
    asset_group = models.ForeignKey(
        AssetGroup,
        verbose_name=_("asset group"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="risks",
    )
    owning_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="+"
    )
    segment = models.CharField(_("network segment"), max_length=20, blank=True)
    threat = models.ForeignKey(
        Threat, verbose_name=_("threat"), on_delete=models.PROTECT, related_name="risks"
    )
    vulnerability = models.ForeignKey(
        Vulnerability,
        verbose_name=_("vulnerability"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="risks",
    )
    scenario = models.TextField(_("risk scenario"), blank=True)
    likelihood = models.PositiveSmallIntegerField(_("likelihood"))
    impact = models.PositiveSmallIntegerField(_("impact"))
    proposed_impact = models.PositiveSmallIntegerField(_("proposed impact"))
    impact_reasons = models.JSONField(_("reasons of the proposed impact"), default=list)
    impact_override_reason = models.TextField(_("reason for another impact"), blank=True)
    inherent_level = models.CharField(
        _("inherent risk level"), max_length=10, choices=RiskLevel.choices
    )
    treatment = models.CharField(
        _("treatment"), max_length=10, choices=Treatment.choices, blank=True
    )
    controls = models.TextField(_("controls"), blank=True)
    catalog_controls = models.ManyToManyField(
        "policy.Control",
        verbose_name=_("controls of the 対策基準"),
        blank=True,
        related_name="risks",
        help_text=_("Controls of the municipality's control standard that treat this risk."),
        editable=False,  # as AssetGroup.assets: through services.treat_risk only
    )
    control_note = models.TextField(_("note on controls"), blank=True)
    residual_likelihood = models.PositiveSmallIntegerField(
        _("residual likelihood"), null=True, blank=True
    )
    residual_impact = models.PositiveSmallIntegerField(_("residual impact"), null=True, blank=True)
    residual_level = models.CharField(
        _("residual risk level"), max_length=10, choices=RiskLevel.choices, blank=True
    )
    owner = models.ForeignKey(
        Person,
        verbose_name=_("risk owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="risks_owned",
    )
    status = models.CharField(
        _("status"), max_length=25, choices=Status.choices, default=Status.ASSESSED
    )
    current_likelihood = models.PositiveSmallIntegerField(editable=False)
    current_impact = models.PositiveSmallIntegerField(editable=False)
    current_score = models.PositiveSmallIntegerField(editable=False)
    current_level = models.CharField(max_length=10, choices=RiskLevel.choices, editable=False)
    acceptance_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acceptance_requested_at = models.DateTimeField(null=True, blank=True)
    acceptance_note = models.TextField(_("note for the approver"), blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_on_behalf_of = models.CharField(max_length=300, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(_("reason of the decision"), blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["municipality_id", "fiscal_year", "-current_score", "pk"]
        verbose_name = _("risk")
        verbose_name_plural = _("risks")
        indexes = [
            models.Index(
                fields=["municipality", "fiscal_year", "current_likelihood", "current_impact"],
                name="risk_heat_idx",
            ),
            models.Index(
                fields=["municipality", "fiscal_year", "current_score"], name="risk_score_idx"
            ),
            models.Index(
                fields=["municipality", "fiscal_year", "owning_unit"], name="risk_unit_idx"
            ),
            models.Index(fields=["municipality", "fiscal_year", "segment"], name="risk_seg_idx"),
            models.Index(fields=["municipality", "fiscal_year", "status"], name="risk_status_idx"),
        ]

    def __str__(self) -> str:
        subject = self.asset or self.asset_group
        return f"{subject} / {self.threat.name_ja}"

    @property
    def subject(self) -> InformationAsset | AssetGroup | None:
        return self.asset or self.asset_group

    @property
    def has_treatment(self) -> bool:
        return bool(self.treatment)


class RiskAnalysis(models.Model):
    """The risk analysis of a fiscal year (seed 2.8): a dated summary the committee reviews."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    summary = models.JSONField(_("summary"), default=dict)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["municipality_id", "-fiscal_year"]
        verbose_name = _("risk analysis")
        verbose_name_plural = _("risk analyses")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "fiscal_year"], name="risk_analysis_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.municipality} {self.fiscal_year}"
