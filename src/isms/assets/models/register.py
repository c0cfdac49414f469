"""The register itself: its settings per municipality, the assets and their hosts."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from isms.assets.classification import PRE_R6, AssetKind, AssetStatus, Segment
from isms.core.kana import fold
from isms.core.models import Municipality, OrgUnit, Person

__all__ = ["AssetHost", "AssetRegisterSettings", "InformationAsset", "asset_search_key"]

SEARCH_KEY_MAX = 600


def asset_search_key(name: str, asset_number: str, storage_location: str) -> str:
    """Return the folded text an asset search matches against (name, number, location)."""
    return "|".join(fold(p) for p in (name, asset_number, storage_location))[:SEARCH_KEY_MAX]


class AssetRegisterSettings(models.Model):
    """How one municipality classifies its register: the scheme in force and its 取扱区分.

    ``scheme`` switches from ``pre_r6`` to ``r6_10`` when a scheme migration starts; new
    classifications must use it. ``handling_category_map`` names the 取扱区分 mapping in force
    (empty: none; the derived 取扱制限 are shown as they are): the id of the classification
    core's shipped example or of the municipality's own mapping. ``handling_categories`` holds
    the municipality's own mapping documents by scheme id (``{"r6_10": {"id": ..., "version":
    ..., "scheme": "r6_10", "label_ja": ..., "categories": [...], "mapping": {...}}}``, the
    structure of the core's YAML files); a mapping belongs to one scheme, so after a scheme
    migration the old one no longer applies.
    """

    municipality = models.OneToOneField(
        Municipality, on_delete=models.PROTECT, related_name="asset_register_settings"
    )
    scheme = models.CharField(_("classification scheme"), max_length=20, default=PRE_R6)
    handling_category_map = models.CharField(
        _("handling category mapping"), max_length=50, blank=True
    )
    handling_categories = models.JSONField(_("own handling categories"), default=dict, blank=True)

    class Meta:
        ordering = ["municipality_id"]
        verbose_name = _("asset register settings")
        verbose_name_plural = _("asset register settings")

    def __str__(self) -> str:
        return f"{self.municipality}: {self.scheme}"


class InformationAsset(models.Model):
    """One information asset of the register (情報資産, seed 2.4(2) ①–④).

    The classes are stored with the scheme they belong to; all three are empty while the asset
    is unclassified. While a scheme migration waits for the owner's review of this asset,
    ``migration_pending`` is set and the asset keeps its old scheme and classes (see
    ``scheme_migration``). ``held_classes`` lists, for a storage medium or other container, the
    classes of the information recorded on it (``[{"scheme", "confidentiality", "integrity",
    "availability"}, ...]``); the medium must be classed at least as high.
    """

    class Kind(models.TextChoices):
        """Seed 2.4(2) ①–③ (the core's ``AssetKind``); ④ is ``used_by_university``."""

        SYSTEM_EQUIPMENT = (
            AssetKind.SYSTEM_EQUIPMENT.value,
            _("Network, information system, equipment or storage medium"),
        )
        INFORMATION = AssetKind.INFORMATION.value, _("Information (printouts included)")
        SYSTEM_DOCUMENT = (
            AssetKind.SYSTEM_DOCUMENT.value,
            _("System document (specifications, network diagrams)"),
        )

    class Segment(models.TextChoices):
        """Where the asset lives in the three-tier model (the core's ``Segment``)."""

        MYNUMBER = Segment.MYNUMBER.value, _("My Number business segment")
        LGWAN = Segment.LGWAN.value, _("LGWAN-connected segment")
        INTERNET = Segment.INTERNET.value, _("Internet-connected segment")
        STANDALONE = Segment.STANDALONE.value, _("Standalone")

    class Hosting(models.TextChoices):
        ON_PREMISES = "on_premises", _("On premises")
        CLOUD = "cloud", _("Cloud service")

    class Status(models.TextChoices):
        """The asset's life in the register (the core's ``AssetStatus``)."""

        PLANNED = AssetStatus.PLANNED.value, _("Planned")
        IN_USE = AssetStatus.IN_USE.value, _("In use")
        RETIRED = AssetStatus.RETIRED.value, _("No longer used")
        DISPOSED = AssetStatus.DISPOSED.value, _("Disposed")

    class Facility(models.TextChoices):
        """Where the asset is used, for the scope exclusions of seed 2.4 (``scope.yaml``)."""

        OTHER = "other", _("Other (mayor's departments and the rest)")
        SCHOOL = "school", _("Board of education (elementary and junior high schools)")
        CITY_HOSPITAL = "city_hospital", _("Tsuru Municipal Hospital")
        CARE_FACILITY = "care_facility", _("Long-term care health facility Tsuru")

    class Purpose(models.TextChoices):
        """What the asset is used for, for the scope exclusions of seed 2.4."""

        ADMINISTRATION = "administration", _("Administrative work")
        TEACHING = "teaching", _("Teaching")
        MEDICAL_CARE = "medical_care", _("Medical care")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="information_assets"
    )
    asset_number = models.CharField(_("asset number"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind of asset"), max_length=30, choices=Kind.choices)
    owning_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="assets"
    )
    custodian = models.ForeignKey(
        Person,
        verbose_name=_("custodian"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assets_in_custody",
    )
    storage_location = models.CharField(_("storage location"), max_length=200, blank=True)
    segment = models.CharField(
        _("network segment"),
        max_length=20,
        choices=Segment.choices,
        blank=True,
        help_text=_("Empty for assets outside any network, such as paper."),
    )
    hosting = models.CharField(
        _("hosting"), max_length=20, choices=Hosting.choices, default=Hosting.ON_PREMISES
    )
    cloud_service_name = models.CharField(_("cloud service"), max_length=200, blank=True)
    holds_personal_info = models.BooleanField(_("holds personal information"), default=False)
    holds_specific_personal_info = models.BooleanField(
        _("holds specific personal information (特定個人情報)"), default=False
    )
    holds_sensitive_personal_info = models.BooleanField(
        _("holds sensitive personal information (要配慮個人情報)"), default=False
    )
    classified_document = models.BooleanField(_("classified document (秘密文書)"), default=False)
    number_of_persons = models.PositiveIntegerField(
        _("approximate number of persons"), null=True, blank=True
    )
    retention_period = models.CharField(_("retention period"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.IN_USE
    )
    scheme = models.CharField(_("classification scheme"), max_length=20, default=PRE_R6)
    confidentiality = models.CharField(_("confidentiality"), max_length=5, blank=True)
    integrity = models.CharField(_("integrity"), max_length=5, blank=True)
    availability = models.CharField(_("availability"), max_length=5, blank=True)
    migration_pending = models.BooleanField(
        _("classification review pending"),
        default=False,
        help_text=_(
            "Set while a scheme migration waits for the owner's choice; the old classes apply "
            "until then."
        ),
    )
    held_classes = models.JSONField(_("classes of the information held"), default=list, blank=True)
    scope_facility = models.CharField(
        _("used at"), max_length=30, choices=Facility.choices, default=Facility.OTHER
    )
    scope_purpose = models.CharField(
        _("used for"), max_length=30, choices=Purpose.choices, default=Purpose.ADMINISTRATION
    )
    in_scope = models.BooleanField(_("in scope of the policy"), default=True)
    out_of_scope_reason = models.TextField(_("reason for being out of scope"), blank=True)
    used_by_university = models.BooleanField(_("used by Tsuru University"), default=False)
    city_owned = models.BooleanField(_("owned by the municipality"), default=True)
    mfa_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("multi-factor authentication confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    mfa_confirmed_at = models.DateTimeField(
        _("multi-factor authentication confirmed at"), null=True, blank=True
    )
    export_blocked_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("export block confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    export_blocked_confirmed_at = models.DateTimeField(
        _("export block confirmed at"), null=True, blank=True
    )
    has_backup = models.BooleanField(_("backed up"), default=False)
    recovery_time = models.CharField(
        _("recovery time objective"),
        max_length=100,
        blank=True,
        help_text=_("For example: 24時間以内, 3営業日以内."),
    )
    backup_note = models.CharField(_("backup method and place"), max_length=200, blank=True)
    # Derived on every save (kana.fold): never edited, never shown.
    search_key = models.CharField(max_length=SEARCH_KEY_MAX, blank=True, default="", editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["municipality_id", "asset_number"]
        verbose_name = _("information asset")
        verbose_name_plural = _("information assets")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "asset_number"], name="asset_number_unique"
            )
        ]
        indexes = [
            models.Index(fields=["municipality", "owning_unit"], name="asset_unit_idx"),
            models.Index(fields=["municipality", "status"], name="asset_status_idx"),
            models.Index(fields=["municipality", "segment"], name="asset_segment_idx"),
            models.Index(
                fields=["municipality", "scheme", "confidentiality"], name="asset_conf_idx"
            ),
            models.Index(fields=["municipality", "kind"], name="asset_kind_idx"),
            models.Index(fields=["municipality", "search_key"], name="asset_search_key_idx"),
            models.Index(fields=["municipality", "migration_pending"], name="asset_migration_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.asset_number} {self.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_key = asset_search_key(self.name, self.asset_number, self.storage_location)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_key"}
        super().save(*args, **kwargs)

    @property
    def is_classified(self) -> bool:
        return bool(self.confidentiality and self.integrity and self.availability)

    @property
    def has_backup_and_rto(self) -> bool:
        """Whether a backup and a recovery time are recorded (可用性2 requires both)."""
        return self.has_backup and bool(self.recovery_time.strip())


class AssetHost(models.Model):
    """A host name and/or an IP address or range of an asset (to link network checks to it).

    ``network`` is the normalised form (``ipaddress.ip_network``: ``192.0.2.0/24``,
    ``192.0.2.7/32``, ``2001:db8::/32``); ``range_start``/``range_end`` are its first and last
    addresses as fixed-width hexadecimal (8 digits for IPv4, 32 for IPv6), so that "which asset
    holds this address" is an indexed range query.
    """

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    asset = models.ForeignKey(
        InformationAsset, verbose_name=_("asset"), on_delete=models.CASCADE, related_name="hosts"
    )
    host_name = models.CharField(_("host name"), max_length=253, blank=True)
    network = models.CharField(_("IP address or range"), max_length=50, blank=True)
    ip_version = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    range_start = models.CharField(max_length=32, blank=True, editable=False)
    range_end = models.CharField(max_length=32, blank=True, editable=False)

    class Meta:
        ordering = ["asset_id", "host_name", "network"]
        verbose_name = _("asset host")
        verbose_name_plural = _("asset hosts")
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "host_name", "network"], name="asset_host_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["municipality", "ip_version", "range_start"], name="asset_host_range_idx"
            ),
            models.Index(fields=["municipality", "host_name"], name="asset_host_name_idx"),
        ]

    def __str__(self) -> str:
        return " ".join(p for p in (self.host_name, self.network) if p)
