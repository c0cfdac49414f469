"""Models of the inspections app.

自己点検 (``SelfInspection``) runs as a campaign per fiscal year: its ``InspectionItem`` rows are
the questions generated from the 対策基準 per target group; one ``InspectionResponse`` (点検票)
per person × target group (× information system for 情報システム管理者) holds that person's
``InspectionAnswer`` rows, each with its ``InspectionEvidence`` files.

Built for 30,000 people × 50 questions: answers carry a copy of what aggregation groups by (the
campaign, the sheet's unit and 部 at assignment, the chapter, whether the sheet is final), so
every results page is one ``GROUP BY`` over an index of one table, without joins.

``CorrectiveAction`` (是正処置) is shared: a 未実施 self-inspection answer, an audit finding
and an incident's closure review all end in actions with an owner and a due date, followed up
in one list.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from isms.core.models import Municipality, OrgUnit, Person
from isms.policy.models import Control, ControlStandard


class TargetGroup(models.TextChoices):
    """Who answers a questionnaire (対策基準 9.2): everyone, the 管理者, the system managers."""

    STAFF = "staff", _("All staff")
    DIVISION_SECURITY_MANAGER = "division_security_manager", _("Information security managers")
    SYSTEM_MANAGER = "system_manager", _("Information system managers (per system)")


class SelfInspection(models.Model):
    """One 自己点検 campaign of a fiscal year, set up by the 統括情報セキュリティ責任者."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("In preparation")
        OPEN = "open", _("Open for answers")
        CLOSED = "closed", _("Answers closed")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="self_inspections"
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    title = models.CharField(_("title"), max_length=200)
    standard = models.ForeignKey(
        ControlStandard,
        verbose_name=_("control standard"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    opens_on = models.DateField(_("opens on"))
    answer_business_days = models.PositiveSmallIntegerField(
        _("business days to answer"), default=20
    )
    deadline = models.DateField(_("deadline"))
    note = models.TextField(_("note"), blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["municipality_id", "-fiscal_year", "-id"]
        verbose_name = _("self-inspection")
        verbose_name_plural = _("self-inspections")
        indexes = [models.Index(fields=["municipality", "fiscal_year"])]

    def __str__(self) -> str:
        return self.title


class InspectionItem(models.Model):
    """One question (点検項目) of a campaign: a control, for one target group.

    ``code``, ``chapter``, ``requirement`` and ``control_key`` are copied from the control when
    the questionnaire is generated: the questions stay as they were asked when the catalog
    changes, and last year's campaign is compared through ``control_key``.
    """

    municipality_lookup = "campaign__municipality_id"

    campaign = models.ForeignKey(SelfInspection, on_delete=models.CASCADE, related_name="items")
    control = models.ForeignKey(Control, on_delete=models.PROTECT, related_name="+")
    control_key = models.UUIDField(db_index=True)
    target_group = models.CharField(_("target group"), max_length=30, choices=TargetGroup.choices)
    code = models.CharField(_("control ID"), max_length=20)
    chapter = models.PositiveSmallIntegerField(_("chapter"))
    requirement = models.TextField(_("requirement"))
    criteria = models.TextField(_("criteria"), blank=True)
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["campaign_id", "target_group", "position"]
        verbose_name = _("inspection item")
        verbose_name_plural = _("inspection items")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "target_group", "control"], name="inspectionitem_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.requirement[:40]}"


class InspectionResponse(models.Model):
    """One 点検票: the answers of one person for one target group (and one system).

    ``org_unit`` and ``bureau`` are the person's 課 and 部 when the sheet was assigned, so results
    stay with the unit that answered even if the person moves.
    """

    municipality_lookup = "campaign__municipality_id"

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("Not started")
        IN_PROGRESS = "in_progress", _("Being answered")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned")

    campaign = models.ForeignKey(SelfInspection, on_delete=models.CASCADE, related_name="responses")
    person = models.ForeignKey(
        Person, verbose_name=_("respondent"), on_delete=models.PROTECT, related_name="+"
    )
    target_group = models.CharField(_("target group"), max_length=30, choices=TargetGroup.choices)
    system = models.ForeignKey(
        "assets.InformationAsset",
        verbose_name=_("information system"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    bureau = models.ForeignKey(
        OrgUnit,
        verbose_name=_("bureau"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NOT_STARTED
    )
    item_count = models.PositiveIntegerField(_("questions"), default=0)
    answered_count = models.PositiveIntegerField(_("answered"), default=0)
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
    approved_on_behalf_of = models.CharField(_("on behalf of"), max_length=200, blank=True)
    returned_reason = models.TextField(_("reason for return"), blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    reminded_on = models.DateField(_("last reminded on"), null=True, blank=True)
    # When the sheet was created or last changed status (or its final answers): the results
    # snapshot is current while no sheet of the campaign changed after the moment it covers.
    status_changed_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["campaign_id", "org_unit_id", "person_id", "target_group", "id"]
        verbose_name = _("inspection sheet")
        verbose_name_plural = _("inspection sheets")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "person", "target_group"],
                condition=models.Q(system__isnull=True)
                & ~models.Q(target_group="division_security_manager"),
                name="inspectionresponse_unique",
            ),
            # A 管理者 of several 課 answers one 管理者 questionnaire per 課.
            models.UniqueConstraint(
                fields=["campaign", "person", "target_group", "org_unit"],
                condition=models.Q(system__isnull=True, target_group="division_security_manager"),
                name="inspectionresponse_manager_unique",
            ),
            models.UniqueConstraint(
                fields=["campaign", "person", "target_group", "system"],
                condition=models.Q(system__isnull=False),
                name="inspectionresponse_system_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "org_unit", "status"]),
            models.Index(fields=["campaign", "bureau", "status"]),
            models.Index(fields=["campaign", "status"]),
            models.Index(fields=["person", "status"]),
            models.Index(fields=["campaign", "status_changed_at"], name="insp_resp_changed"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} / {self.person}"

    @property
    def is_editable(self) -> bool:
        return self.status in (
            self.Status.NOT_STARTED,
            self.Status.IN_PROGRESS,
            self.Status.RETURNED,
        )


class InspectionAnswer(models.Model):
    """One answer of a sheet. ``campaign``, ``org_unit``, ``bureau``, ``chapter`` and ``final``
    copy the sheet's and item's values, for aggregation in one indexed ``GROUP BY``.

    ``final`` is set while the sheet is submitted or approved: only final answers count in the
    results.
    """

    municipality_lookup = "campaign__municipality_id"

    class Value(models.TextChoices):
        IMPLEMENTED = "implemented", _("Implemented")
        PARTIAL = "partial", _("Partly implemented")
        NOT_IMPLEMENTED = "not_implemented", _("Not implemented")
        NOT_APPLICABLE = "not_applicable", _("Not applicable")

    response = models.ForeignKey(
        InspectionResponse, on_delete=models.CASCADE, related_name="answers"
    )
    item = models.ForeignKey(InspectionItem, on_delete=models.CASCADE, related_name="answers")
    campaign = models.ForeignKey(SelfInspection, on_delete=models.CASCADE, related_name="+")
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    bureau = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    chapter = models.PositiveSmallIntegerField(_("chapter"))
    value = models.CharField(_("answer"), max_length=20, choices=Value.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    final = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["response_id", "id"]
        verbose_name = _("inspection answer")
        verbose_name_plural = _("inspection answers")
        constraints = [
            models.UniqueConstraint(fields=["response", "item"], name="inspectionanswer_unique")
        ]
        indexes = [
            models.Index(fields=["campaign", "final", "org_unit", "value"], name="insp_ans_unit"),
            models.Index(fields=["campaign", "final", "bureau", "value"], name="insp_ans_bureau"),
            models.Index(fields=["campaign", "final", "chapter", "value"], name="insp_ans_chapter"),
            models.Index(fields=["campaign", "final", "item", "value"], name="insp_ans_item"),
        ]

    def __str__(self) -> str:
        return f"{self.item.code}: {self.value}"


class InspectionResultSnapshot(models.Model):
    """The results of a campaign as last computed, read instead of aggregating 1.5 M answers.

    ``scope`` is ``"all"`` for the whole municipality (what the CISO, the leads, the committee
    and the auditors see). ``covers_until`` is the latest sheet change (``status_changed_at``)
    the figures include; the snapshot is current while no sheet changed after it.
    """

    municipality_lookup = "campaign__municipality_id"

    campaign = models.ForeignKey(
        SelfInspection, on_delete=models.CASCADE, related_name="result_snapshots"
    )
    scope = models.CharField(max_length=40, default="all")
    data = models.JSONField(default=dict)
    computed_at = models.DateTimeField(_("computed at"))
    covers_until = models.DateTimeField(null=True, blank=True)
    answer_count = models.PositiveIntegerField(default=0)
    refreshing_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["campaign_id", "scope"]
        verbose_name = _("results snapshot")
        verbose_name_plural = _("results snapshots")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "scope"], name="insp_snapshot_unique")
        ]

    def __str__(self) -> str:
        return f"{self.campaign} / {self.scope}"


class InspectionEvidence(models.Model):
    """A file that shows an answer is true (an evidence file): stored under ``DATA_DIR``."""

    municipality_lookup = "answer__campaign__municipality_id"

    answer = models.ForeignKey(InspectionAnswer, on_delete=models.CASCADE, related_name="evidence")
    stored_name = models.CharField(max_length=100, editable=False)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size"))
    content_type = models.CharField(_("type"), max_length=100)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["answer_id", "id"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return self.original_name


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
    # The 未実施 answer of a self-inspection the action came from (improvement item).
    inspection_answer = models.ForeignKey(
        InspectionAnswer,
        verbose_name=_("inspection answer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrective_actions",
    )
    # The audit finding the action answers (source ``audit``): its auditors verify it.
    finding = models.ForeignKey(
        "audits.Finding",
        verbose_name=_("finding"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrective_actions",
    )
    # Overdue follow-up (``reminders.remind_overdue_actions``): the last reminder to the owner,
    # and the day the overdue action was escalated to the unit's 責任者 and the leads.
    reminded_on = models.DateField(_("reminded on"), null=True, blank=True)
    escalated_on = models.DateField(_("escalated on"), null=True, blank=True)
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
        constraints = [
            # One improvement item per inspection answer (create_improvement also locks it).
            models.UniqueConstraint(
                fields=["inspection_answer"],
                condition=models.Q(inspection_answer__isnull=False),
                name="correctiveaction_one_per_answer",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED
