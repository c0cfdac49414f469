"""Quarantined mail as the web app sees it: one row per reception and municipality.

The originals themselves stay in the gateway's quarantine folder (``isms.sanitizer``'s
``QuarantineStore``); these rows index its metadata per municipality (by recipient domain,
``RecipientDomain``) for search, the manifest and releases. ``adapter.py`` fills them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from isms.core.models import Municipality


class RecipientDomain(models.Model):
    """Mail to this domain (envelope recipient) belongs to this municipality."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="quarantine_domains"
    )
    domain = models.CharField(_("domain"), max_length=253, unique=True)

    class Meta:
        ordering = ["domain"]
        verbose_name = _("recipient domain")

    def __str__(self) -> str:
        return self.domain


class QuarantinedMessage(models.Model):
    """One reception of one original, for one municipality's recipients."""

    class Verdict(models.TextChoices):
        SANITIZED = "sanitized", _("sanitized and delivered")
        HELD = "held", _("held")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="quarantined_messages"
    )
    sha256 = models.CharField(_("SHA-256 of the original"), max_length=64)
    received_at = models.DateTimeField(_("received at"))
    retain_until = models.DateTimeField(_("kept until"))
    sender = models.CharField(_("sender"), max_length=998, blank=True)
    recipients = models.JSONField(_("recipients"), default=list)
    subject = models.TextField(_("subject"), blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=998, blank=True)
    verdict = models.CharField(_("verdict"), max_length=20, choices=Verdict.choices)
    reason_codes = models.CharField(
        _("reasons"), max_length=2000, blank=True, help_text="space-separated, padded"
    )
    size = models.PositiveIntegerField(_("size"), default=0)
    manifest = models.JSONField(_("manifest"), default=dict)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("quarantined message")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "sha256", "received_at"], name="quarantine_reception"
            )
        ]
        indexes = [models.Index(fields=["municipality", "received_at"])]

    def __str__(self) -> str:
        return f"{self.receipt} {self.subject[:60]}"

    @property
    def receipt(self) -> str:
        """The receipt number shown in the recipient's notice."""
        return self.sha256[:16]

    @property
    def codes(self) -> list[str]:
        return self.reason_codes.split()


class Release(models.Model):
    """A release of a quarantined message: the sanitized derivative, or the original after a
    second person approved it (兼務の禁止)."""

    municipality_lookup = "message__municipality_id"

    class Kind(models.TextChoices):
        DERIVATIVE = "derivative", _("sanitized derivative")
        ORIGINAL = "original", _("original")

    class State(models.TextChoices):
        PENDING = "pending", _("awaiting a second approver")
        DONE = "done", _("released")

    message = models.ForeignKey(
        QuarantinedMessage, on_delete=models.CASCADE, related_name="releases"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=20, choices=State.choices)
    reason = models.TextField(_("reason"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    # A deputy's approval names the absent holder they approved for (代理・代決).
    approved_on_behalf_of = models.CharField(_("on behalf of"), max_length=200, blank=True)
    released_at = models.DateTimeField(_("released at"), null=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("release")

    def __str__(self) -> str:
        return f"{self.message.receipt} {self.kind} {self.state}"
