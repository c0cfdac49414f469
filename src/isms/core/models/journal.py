"""Storage of the tamper-evident journal; the API to write and verify it is ``core.journal``."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .tenancy import Municipality, User

__all__ = ["JournalEntry", "JournalHead"]


class JournalHead(models.Model):
    """The end of one hash chain: one row per municipality, plus one for platform-wide entries.

    A writer locks this row (``SELECT … FOR UPDATE``) inside its own transaction, appends the
    next entry and moves the head. Writers of different municipalities never wait for each other.
    """

    chain = models.CharField(max_length=20, unique=True)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="")

    def __str__(self) -> str:
        return f"{self.chain}@{self.last_seq}"


class JournalEntry(models.Model):
    """One recorded change (or read of non-public material); never updated or deleted."""

    class Kind(models.TextChoices):
        CHANGE = "change", _("Change")
        READ = "read", _("Read")

    chain = models.CharField(max_length=20)
    seq = models.BigIntegerField()
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CHANGE)
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(_("actor"), max_length=150)
    action = models.CharField(_("action"), max_length=100)
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object ID"), max_length=64, blank=True)
    object_label = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    on_behalf_of = models.CharField(_("on behalf of"), max_length=200, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["chain", "seq"]
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="journalentry_chain_seq_unique")
        ]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.action}"
