"""Incidents (情報セキュリティインシデント): reports, triage, external reports, the timeline.

- :class:`IncidentSettings`: per municipality, the 統一的な窓口 (its mail address) and the
  escalation and public-form limits;
- :class:`Incident`: one report and everything the CSIRT decides about it; numbered
  ``INC-<fiscal year>-<seq>`` per municipality (:class:`IncidentCounter`);
- :class:`ExternalReport`: a report to the PPC, the prefecture, 総務省 or the police;
- :class:`TimelineEntry` and :class:`Evidence`: what was done when, with attachments;
- :class:`PublicIntakeHit`: the public form's requests, for its rate limit across workers.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from isms.assets.models import InformationAsset
from isms.core.models import Municipality, OrgUnit, Person
from isms.inspections.models import CorrectiveAction

__all__ = [
    "Evidence",
    "ExternalReport",
    "Incident",
    "IncidentCounter",
    "IncidentSettings",
    "PublicIntakeHit",
    "TimelineEntry",
]


class IncidentSettings(models.Model):
    """The municipality's 統一的な窓口 and the limits of escalation and the public form."""

    municipality = models.OneToOneField(
        Municipality, on_delete=models.PROTECT, related_name="incident_settings"
    )
    contact_point_name = models.CharField(
        _("unified contact point"), max_length=200, default="情報セキュリティ統一窓口"
    )
    contact_point_email = models.EmailField(_("mail address of the contact point"), blank=True)
    ack_business_hours = models.PositiveSmallIntegerField(
        _("business hours to acknowledge a report"), default=4
    )
    progress_business_days = models.PositiveSmallIntegerField(
        _("business days without progress before escalation"), default=3
    )
    public_min_seconds = models.PositiveSmallIntegerField(
        _("minimum seconds to fill in the public form"), default=3
    )
    public_per_address_hour = models.PositiveSmallIntegerField(
        _("public reports per address and hour"), default=5
    )
    public_per_municipality_hour = models.PositiveSmallIntegerField(
        _("public reports per hour in all"), default=50
    )

    class Meta:
        verbose_name = _("incident settings")
        verbose_name_plural = _("incident settings")

    def __str__(self) -> str:
        return f"{self.municipality}"


class IncidentCounter(models.Model):
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    fiscal_year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "fiscal_year"], name="incident_counter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.fiscal_year}: {self.last}"


class Incident(models.Model):
    class Channel(models.TextChoices):
        STAFF = "staff", _("Staff report")
        PUBLIC = "public", _("Public form")
        API = "api", _("API")

    class Status(models.TextChoices):
        REPORTED = "reported", _("Reported")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        TRIAGED = "triaged", _("Triaged, being handled")
        CLOSED = "closed", _("Closed after review")
        NOT_INCIDENT = "not_incident", _("Not an incident")

    class Severity(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")
        CRITICAL = "critical", _("Critical")

    class Kind(models.TextChoices):
        PERSONAL_DATA_BREACH = "personal_data_breach", _("Leakage etc. of personal data (漏えい等)")
        UNAUTHORISED_ACCESS = "unauthorised_access", _("Unauthorised access")
        MALWARE = "malware", _("Malware")
        DENIAL_OF_SERVICE = "denial_of_service", _("Denial of service")
        LOSS_OR_THEFT = "loss_or_theft", _("Loss or theft of a device or medium")
        MISDELIVERY = "misdelivery", _("Misdelivery (mail, fax, post)")
        SYSTEM_FAILURE = "system_failure", _("System failure or outage")
        POLICY_VIOLATION = "policy_violation", _("Policy violation")
        OTHER = "other", _("Other")

    class PpcDecision(models.TextChoices):
        UNDECIDED = "", _("Not decided yet")
        REPORT = "report", _("Report to the PPC")
        NO_REPORT = "no_report", _("No report to the PPC")

    class Publication(models.TextChoices):
        UNDECIDED = "", _("Not decided yet")
        PUBLISH = "publish", _("Publish")
        NOT_PUBLISH = "not_publish", _("Do not publish")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="incidents"
    )
    number = models.CharField(_("incident number"), max_length=20)
    fiscal_year = models.PositiveIntegerField(_("fiscal year"))
    channel = models.CharField(_("reported through"), max_length=10, choices=Channel.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what happened"))
    detected_at = models.DateTimeField(_("detected at"))
    reported_at = models.DateTimeField(_("reported at"), auto_now_add=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reporter_name = models.CharField(_("reporter's name"), max_length=100, blank=True)
    reporter_contact = models.CharField(_("reporter's contact"), max_length=200, blank=True)
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("org unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmation_digest = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REPORTED
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_progress_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    # The highest level of the chain mailed so far (escalation goes one above it).
    notified_level = models.PositiveSmallIntegerField(_("highest level notified"), default=0)
    # triage
    is_incident = models.BooleanField(_("is an incident"), null=True, blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, blank=True)
    kind = models.CharField(_("kind of incident"), max_length=30, choices=Kind.choices, blank=True)
    threat_category = models.CharField(_("threat category"), max_length=20, blank=True)
    assets = models.ManyToManyField(
        InformationAsset,
        verbose_name=_("affected assets"),
        blank=True,
        related_name="+",
        editable=False,  # set by the triage service; kept out of model_to_dict and snapshots
    )
    personal_data = models.BooleanField(_("personal data involved"), default=False)
    persons_affected = models.PositiveIntegerField(_("number of persons affected"), default=0)
    involves_sensitive_data = models.BooleanField(
        _("sensitive personal information (要配慮個人情報)"), default=False
    )
    involves_ordinance_sensitive_data = models.BooleanField(
        _("sensitive information under an ordinance (条例要配慮個人情報)"), default=False
    )
    risk_of_financial_damage = models.BooleanField(_("risk of financial damage"), default=False)
    unauthorised_purpose = models.BooleanField(
        _("possibly for an unauthorised purpose"), default=False
    )
    involves_my_number = models.BooleanField(
        _("specific personal information (特定個人情報)"), default=False
    )
    is_serious_situation = models.BooleanField(_("serious situation (重大な事態)"), default=False)
    triage_note = models.TextField(_("triage note"), blank=True)
    triaged_at = models.DateTimeField(_("triaged at"), null=True, blank=True)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # the PPC suggestion and the person's decision
    ppc_suggested = models.BooleanField(_("PPC report suggested"), default=False)
    ppc_rule_version = models.PositiveIntegerField(_("rule version"), null=True, blank=True)
    ppc_rule_ids = models.JSONField(_("rules that fired"), default=list, blank=True)
    ppc_preliminary_due = models.DateField(_("preliminary report due"), null=True, blank=True)
    ppc_final_due = models.DateField(_("final report due"), null=True, blank=True)
    ppc_decision = models.CharField(
        _("PPC report decision"), max_length=10, choices=PpcDecision.choices, blank=True
    )
    ppc_decision_reason = models.TextField(_("reason for the decision"), blank=True)
    ppc_decided_at = models.DateTimeField(null=True, blank=True)
    ppc_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    publication = models.CharField(
        _("publication"), max_length=12, choices=Publication.choices, blank=True
    )
    publication_reason = models.TextField(_("reason for the publication decision"), blank=True)
    publication_decided_at = models.DateTimeField(null=True, blank=True)
    # closure
    root_cause = models.TextField(_("root cause"), blank=True)
    closure_review = models.TextField(_("closure review"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    corrective_actions = models.ManyToManyField(
        CorrectiveAction,
        verbose_name=_("corrective actions"),
        blank=True,
        related_name="+",
        editable=False,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-reported_at", "-pk"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "number"], name="incident_number_unique"
            )
        ]
        indexes = [
            models.Index(fields=["municipality", "status"]),
            models.Index(fields=["municipality", "fiscal_year"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.CLOSED, self.Status.NOT_INCIDENT)


class ExternalReport(models.Model):
    class Target(models.TextChoices):
        PPC = "ppc", _("Personal Information Protection Commission (個人情報保護委員会)")
        PREFECTURE = "prefecture", _("Prefecture")
        MIC = "mic", _("Ministry of Internal Affairs and Communications (総務省)")
        POLICE = "police", _("Police")

    class Kind(models.TextChoices):
        PRELIMINARY = "preliminary", _("Preliminary report (速報)")
        FINAL = "final", _("Final report (確報)")
        OTHER = "other", _("Report")

    municipality_lookup = "incident__municipality_id"

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="external_reports"
    )
    target = models.CharField(_("reported to"), max_length=12, choices=Target.choices)
    kind = models.CharField(_("kind of report"), max_length=12, choices=Kind.choices)
    reported_on = models.DateField(_("reported on"))
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reported_on", "pk"]

    def __str__(self) -> str:
        return f"{self.get_target_display()} {self.get_kind_display()} {self.reported_on}"


class TimelineEntry(models.Model):
    class Kind(models.TextChoices):
        CONTACT = "contact", _("Contact (連絡)")
        EVIDENCE = "evidence", _("Evidence preservation (証拠保全)")
        CONTAINMENT = "containment", _("Preventing the damage from spreading (被害拡大の防止)")
        RECOVERY = "recovery", _("Recovery (復旧)")
        PREVENTION = "prevention", _("Recurrence prevention (再発防止)")
        OTHER = "other", _("Other")

    municipality_lookup = "incident__municipality_id"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(_("kind of action"), max_length=12, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("time of the event"))
    text = models.TextField(_("what was done"))
    actor = models.ForeignKey(
        Person, verbose_name=_("who did it"), on_delete=models.PROTECT, null=True, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.get_kind_display()}"


class Evidence(models.Model):
    """An attached file: stored under ``DATA_DIR/incidents/<municipality>/<key>``."""

    municipality_lookup = "incident__municipality_id"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="evidence")
    entry = models.ForeignKey(
        TimelineEntry, on_delete=models.CASCADE, null=True, blank=True, related_name="evidence"
    )
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.filename

    def path(self, municipality_id: int) -> Path:
        return Path(settings.DATA_DIR) / "incidents" / str(municipality_id) / self.storage_key


class PublicIntakeHit(models.Model):
    """One request of the public form (kept a day), for its rate limits."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10)
    client = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["municipality", "kind", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at}"
