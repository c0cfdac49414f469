"""Approvals of 運搬 / 外部提供 / 廃棄 and the disposal log (対策基準 2.(2))."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from isms.assets.classification import HandlingStage
from isms.core.models import Municipality, Person

from .register import InformationAsset

__all__ = ["REQUEST_STAGES", "DisposalRecord", "LifecycleRequest"]

# The 取扱制限 stage each kind of request asks permission for.
REQUEST_STAGES = {
    "transport": HandlingStage.TRANSPORT,
    "provide": HandlingStage.PROVIDE_PUBLISH,
    "dispose": HandlingStage.DISPOSE,
}


class LifecycleRequest(models.Model):
    """A request for the 情報セキュリティ管理者's permission to transport, provide or dispose of
    an asset whose classes require it (the derived 取扱制限, ``HandlingRules.needs_approval``).

    The approver is never the applicant (兼務の禁止); a deputy may approve, and
    ``approved_on_behalf_of`` then names the absent holder.
    """

    class Kind(models.TextChoices):
        TRANSPORT = "transport", _("Transport")
        PROVIDE = "provide", _("Provision to an outside party")
        DISPOSE = "dispose", _("Disposal")

    class State(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    asset = models.ForeignKey(
        InformationAsset,
        verbose_name=_("asset"),
        on_delete=models.PROTECT,
        related_name="lifecycle_requests",
    )
    kind = models.CharField(_("kind of request"), max_length=20, choices=Kind.choices)
    details = models.TextField(_("details"))
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applicant"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.PENDING
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approver"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # A deputy's decision names the absent holder they decided for (代理・代決).
    approved_on_behalf_of = models.CharField(_("on behalf of"), max_length=200, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("lifecycle request")
        verbose_name_plural = _("lifecycle requests")
        indexes = [
            models.Index(fields=["municipality", "state"], name="asset_request_state_idx"),
            models.Index(fields=["asset", "kind", "state"], name="asset_request_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.asset}"

    @property
    def stage(self) -> HandlingStage:
        """The 取扱制限 stage this request asks permission for."""
        return REQUEST_STAGES[self.kind]


class DisposalRecord(models.Model):
    """The disposal log (対策基準 2.(2) 廃棄): date, person, method, and the approval it rests on.

    ``request`` is the approved disposal request, required when the asset's classes need the
    情報セキュリティ管理者's permission to dispose of it; ``approver`` is copied from it.
    """

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    asset = models.ForeignKey(
        InformationAsset,
        verbose_name=_("asset"),
        on_delete=models.PROTECT,
        related_name="disposal_records",
    )
    request = models.OneToOneField(
        LifecycleRequest,
        verbose_name=_("approved request"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disposal_record",
    )
    disposed_on = models.DateField(_("disposed on"))
    disposed_by = models.ForeignKey(
        Person, verbose_name=_("disposed by"), on_delete=models.PROTECT, related_name="+"
    )
    method = models.TextField(_("method of disposal"))
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approver"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
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
        ordering = ["-disposed_on", "-pk"]
        verbose_name = _("disposal record")
        verbose_name_plural = _("disposal records")
        constraints = [models.UniqueConstraint(fields=["asset"], name="asset_one_disposal_record")]

    def __str__(self) -> str:
        return f"{self.asset} {self.disposed_on.isoformat()}"
