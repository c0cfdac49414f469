"""Models of the emergency response plan (緊急時対応計画, 対策基準 7.3).

A municipality's plan is a series of versions (:class:`EmergencyResponsePlan`, one row a
version): at most one draft being edited and at most one approved version in force; approving
a draft supersedes the version before it. The four required contents are structured fields:
関係者の連絡先 (the contact tree is generated from the role assignments of the day, see
``contacts.py``; the version keeps which roles it covers and the extra contacts outside the
organisation), 報告すべき事項 (a checklist), 対応措置 (steps for 連絡, 証拠保全, 被害拡大の防止,
復旧) and 再発防止措置の策定.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from isms.core.models import Municipality

__all__ = ["EmergencyResponsePlan"]


class EmergencyResponsePlan(models.Model):
    """One version of a municipality's 緊急時対応計画."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved (in force)")
        SUPERSEDED = "superseded", _("Superseded")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="emergency_plans"
    )
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    title = models.CharField(_("title"), max_length=200)
    # 関係者の連絡先: the roles the generated contact tree covers (role codes, in order), the
    # 統一的な窓口 and the contacts outside the role assignments.
    contact_roles = models.JSONField(_("roles in the contact tree"), default=list)
    contact_point = models.TextField(_("single point of contact"), blank=True)
    extra_contacts = models.JSONField(_("other contacts"), default=list)
    # 報告すべき事項
    reporting_items = models.JSONField(_("what to report"), default=list)
    # 対応措置
    steps_contact = models.JSONField(_("contact"), default=list)
    steps_evidence = models.JSONField(_("evidence preservation"), default=list)
    steps_containment = models.JSONField(_("preventing the damage from spreading"), default=list)
    steps_recovery = models.JSONField(_("recovery"), default=list)
    # 再発防止措置の策定
    recurrence_prevention = models.TextField(_("drawing up recurrence prevention measures"))
    # 業務継続計画 (BCP): a reference only, never fetched.
    bcp_title = models.CharField(_("business continuity plan"), max_length=200, blank=True)
    bcp_location = models.CharField(_("where the BCP is kept"), max_length=500, blank=True)
    review_due = models.DateField(_("next review"))
    change_note = models.TextField(_("what changed"), blank=True)
    # Who edited the draft (person ids): none of them may approve it (兼務の禁止).
    editor_ids = models.JSONField(default=list, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_on_behalf_of = models.CharField(max_length=300, blank=True)
    # The role assignments of the contact tree when approved: (role, unit id, person id)
    # triples, to tell when the organisation changed since (the plan is then reviewed).
    org_snapshot = models.JSONField(default=list, editable=False)
    # Reminders of the review date already sent (the task sends each once).
    review_reminded_on = models.DateField(null=True, blank=True, editable=False)
    overdue_reminded_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["municipality_id", "-version"]
        verbose_name = _("emergency response plan")
        verbose_name_plural = _("emergency response plans")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "version"], name="emergency_plan_version_unique"
            ),
            models.UniqueConstraint(
                fields=["municipality"],
                condition=Q(status="draft"),
                name="emergency_plan_one_draft",
            ),
            models.UniqueConstraint(
                fields=["municipality"],
                condition=Q(status="approved"),
                name="emergency_plan_one_approved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.version})"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED
