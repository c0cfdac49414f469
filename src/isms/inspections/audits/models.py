"""Models of 監査 (対策基準 9.1).

An ``AuditPlan`` (監査実施計画) per fiscal year is approved by the 情報セキュリティ委員会; it holds
the ``Audit`` engagements of the year, each of one audited unit (a 課 or 部; optionally one of its
information systems or contractors), with its auditors (``AuditAuditor``, independent of the
audited unit) and its ``AuditItem`` rows (監査項目, copied from the 対策基準). Fieldwork is kept
in ``AuditWorkpaper`` (監査調書) entries per item with their ``AuditEvidence`` (監査証拠) files.
A ``Finding`` (指摘事項) names the control concerned and the unit that must fix it; its
corrective actions are the shared ``inspections.CorrectiveAction`` rows with ``finding`` set.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from isms.core.models import Municipality, OrgUnit, Person
from isms.inspections.models import SelfInspection
from isms.policy.models import Control, ControlStandard


class AuditPlan(models.Model):
    """The 監査実施計画 of a fiscal year (or an extra plan 必要に応じて)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Awaiting committee approval")
        APPROVED = "approved", _("Approved")
        CLOSED = "closed", _("Closed")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="audit_plans"
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    title = models.CharField(_("title"), max_length=200)
    objective = models.TextField(_("objective"), blank=True)
    standard = models.ForeignKey(
        ControlStandard,
        verbose_name=_("control standard"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        Person,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    # The committee's decision the approval records, e.g. 令和8年度第1回情報セキュリティ委員会.
    approval_reference = models.CharField(_("committee decision"), max_length=200, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The person who prepared the plan: never its approver (兼務の禁止).
    prepared_by = models.ForeignKey(
        Person,
        verbose_name=_("prepared by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["municipality_id", "-fiscal_year", "-id"]
        verbose_name = _("audit plan")
        verbose_name_plural = _("audit plans")
        indexes = [models.Index(fields=["municipality", "fiscal_year"])]

    def __str__(self) -> str:
        return self.title

    @property
    def editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.SUBMITTED)


class Audit(models.Model):
    """One audit of a plan: one audited unit (and optionally a system or contractor of it)."""

    municipality_lookup = "plan__municipality_id"

    class Kind(models.TextChoices):
        INTERNAL = "internal", _("Internal audit")
        EXTERNAL = "external", _("External audit")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        FIELDWORK = "fieldwork", _("Fieldwork")
        CLOSED = "closed", _("Closed")

    plan = models.ForeignKey(AuditPlan, on_delete=models.CASCADE, related_name="audits")
    sequence = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.INTERNAL)
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("audited unit"), on_delete=models.PROTECT, related_name="+"
    )
    system = models.ForeignKey(
        "assets.InformationAsset",
        verbose_name=_("information system"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    contractor = models.CharField(_("contractor"), max_length=200, blank=True)
    external_firm = models.CharField(_("audit firm"), max_length=200, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    # The auditors' overall opinion (監査意見), written when the audit closes.
    opinion = models.TextField(_("audit opinion"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["plan_id", "sequence"]
        verbose_name = _("audit")
        verbose_name_plural = _("audits")
        constraints = [
            models.UniqueConstraint(fields=["plan", "sequence"], name="audit_sequence_per_plan")
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return f"{self.plan.fiscal_year}-{self.sequence:02d}"


class AuditAuditor(models.Model):
    """An auditor of an audit (監査人): independent of the audited unit unless waived."""

    municipality_lookup = "audit__plan__municipality_id"

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="auditors")
    person = models.ForeignKey(
        Person, verbose_name=_("auditor"), on_delete=models.PROTECT, related_name="+"
    )
    is_lead = models.BooleanField(_("lead auditor"), default=False)

    class Meta:
        ordering = ["audit_id", "-is_lead", "id"]
        verbose_name = _("auditor")
        verbose_name_plural = _("auditors")
        constraints = [
            models.UniqueConstraint(fields=["audit", "person"], name="auditauditor_once")
        ]

    def __str__(self) -> str:
        return str(self.person)


class AuditItem(models.Model):
    """A 監査項目 of an audit, copied from a control of the plan's 対策基準, with its result."""

    municipality_lookup = "audit__plan__municipality_id"

    class Result(models.TextChoices):
        PENDING = "pending", _("Not assessed yet")
        CONFORMING = "conforming", _("Conforming")
        PARTIAL = "partial", _("Partly nonconforming")
        NONCONFORMING = "nonconforming", _("Nonconforming")
        NOT_APPLICABLE = "not_applicable", _("Not applicable")

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="items")
    control = models.ForeignKey(
        Control, verbose_name=_("control"), on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(_("code"), max_length=30)
    chapter = models.PositiveSmallIntegerField(_("chapter"))
    requirement = models.TextField(_("requirement"))
    focus = models.BooleanField(_("focus item"), default=False)
    position = models.PositiveIntegerField(default=0)
    result = models.CharField(
        _("result"), max_length=20, choices=Result.choices, default=Result.PENDING
    )
    result_note = models.TextField(_("result note"), blank=True)
    assessed_by = models.ForeignKey(
        Person,
        verbose_name=_("assessed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    assessed_at = models.DateTimeField(_("assessed at"), null=True, blank=True)

    class Meta:
        ordering = ["audit_id", "position", "id"]
        verbose_name = _("audit item")
        verbose_name_plural = _("audit items")
        constraints = [
            models.UniqueConstraint(fields=["audit", "control"], name="audititem_control_once")
        ]
        indexes = [models.Index(fields=["audit", "chapter", "result"])]

    def __str__(self) -> str:
        return f"{self.code} {self.requirement[:40]}"


class AuditWorkpaper(models.Model):
    """A 監査調書 entry: what the auditor did for an item and what they saw or heard."""

    municipality_lookup = "item__audit__plan__municipality_id"

    class Kind(models.TextChoices):
        DOCUMENT_REVIEW = "document_review", _("Document review")
        INTERVIEW = "interview", _("Interview")
        OBSERVATION = "observation", _("On-site observation")
        TEST = "test", _("Test")

    item = models.ForeignKey(AuditItem, on_delete=models.CASCADE, related_name="workpapers")
    kind = models.CharField(_("procedure"), max_length=20, choices=Kind.choices)
    performed_on = models.DateField(_("performed on"))
    # Who was interviewed (a name and position as told); not a link to a person record.
    interviewee = models.CharField(_("interviewee"), max_length=200, blank=True)
    notes = models.TextField(_("notes"))
    prepared_by = models.ForeignKey(
        Person, verbose_name=_("prepared by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["item_id", "performed_on", "id"]
        verbose_name = _("working paper")
        verbose_name_plural = _("working papers")

    def __str__(self) -> str:
        return f"{self.item.code} {self.get_kind_display()} {self.performed_on}"


class AuditEvidence(models.Model):
    """A 監査証拠 file of a working paper, stored under ``DATA_DIR`` and kept until
    ``retain_until`` (the end of the fiscal year of the audit plus the retention period)."""

    municipality_lookup = "workpaper__item__audit__plan__municipality_id"

    workpaper = models.ForeignKey(AuditWorkpaper, on_delete=models.PROTECT, related_name="evidence")
    stored_name = models.CharField(max_length=100, editable=False)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size"))
    content_type = models.CharField(_("type"), max_length=100)
    sha256 = models.CharField(max_length=64)
    retain_until = models.DateField(_("kept until"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["workpaper_id", "id"]
        verbose_name = _("audit evidence")
        verbose_name_plural = _("audit evidence")

    def __str__(self) -> str:
        return self.original_name


class Finding(models.Model):
    """A 指摘事項: what the auditor found wrong, for which control and which unit."""

    municipality_lookup = "audit__plan__municipality_id"

    class Severity(models.TextChoices):
        MAJOR = "major", _("Major")
        MINOR = "minor", _("Minor")
        OBSERVATION = "observation", _("Observation (improvement suggested)")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="findings")
    sequence = models.PositiveSmallIntegerField(_("number"))
    item = models.ForeignKey(
        AuditItem,
        verbose_name=_("audit item"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="findings",
    )
    control = models.ForeignKey(
        Control,
        verbose_name=_("control"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The unit that must fix it: the audited unit, or a unit below it.
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit responsible"), on_delete=models.PROTECT, related_name="+"
    )
    severity = models.CharField(_("severity"), max_length=12, choices=Severity.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what was found"))
    recommendation = models.TextField(_("recommendation"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    # Other units asked to check themselves for the same issue (横展開): a one-question
    # self-inspection campaign.
    targeted_inspection = models.ForeignKey(
        SelfInspection,
        verbose_name=_("targeted self-inspection"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        Person, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    closed_by = models.ForeignKey(
        Person,
        verbose_name=_("closed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["audit_id", "sequence"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        constraints = [
            models.UniqueConstraint(fields=["audit", "sequence"], name="finding_sequence_per_audit")
        ]
        indexes = [models.Index(fields=["org_unit", "status"])]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return f"{self.audit.reference}-{self.sequence:02d}"
