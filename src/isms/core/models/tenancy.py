"""Tenancy: municipalities (団体), user accounts, service administrators and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..validators import validate_lg_code
from .prefectures import Prefecture

__all__ = ["ApiToken", "Municipality", "Prefecture", "ServiceAccessGrant", "User"]


class Municipality(models.Model):
    """A local government (団体); every domain record belongs to exactly one."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    name_en = models.CharField(_("name in English"), max_length=100, blank=True)
    code = models.CharField(
        _("local government code"),
        max_length=6,
        unique=True,
        validators=[validate_lg_code],
        help_text=_("全国地方公共団体コード: 5 digits and a check digit, e.g. 192040."),
    )
    prefecture = models.CharField(_("prefecture"), max_length=2, choices=Prefecture.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A login account.

    An ordinary user belongs to one municipality. A service administrator (a prefecture's shared
    service or an LGWAN-ASP operator) has ``municipality`` unset and manages the municipalities
    listed in ``managed_municipalities``; what they may see there is decided by
    ``core.permissions``.
    """

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    is_municipality_admin = models.BooleanField(
        _("municipality administrator"),
        default=False,
        help_text=_(
            "May manage the organisation, people and role assignments of the municipality."
        ),
    )
    is_service_admin = models.BooleanField(_("service administrator"), default=False)
    managed_municipalities = models.ManyToManyField(
        Municipality,
        blank=True,
        related_name="service_admins",
        verbose_name=_("managed municipalities"),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.username


class ServiceAccessGrant(models.Model):
    """A municipality's permission for its service administrators to see sensitive material."""

    municipality = models.OneToOneField(
        Municipality, on_delete=models.CASCADE, related_name="service_access_grant"
    )
    sensitive_access = models.BooleanField(
        _("service administrators may see personal data and 機密性3 material"), default=False
    )
    reason = models.TextField(_("reason"), blank=True)
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("service access grant")

    def __str__(self) -> str:
        return f"{self.municipality}: {self.sensitive_access}"


class ApiToken(models.Model):
    """A bearer token for the API; only its SHA-256 digest is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(raw: str) -> str:
        """Return the stored digest of a raw token."""
        return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()

    @staticmethod
    def generate() -> str:
        """Return a new random raw token (shown to its owner once)."""
        while True:
            raw = "isms_" + secrets.token_urlsafe(32)
            # The prefix (raw[5:13]) is typed on command lines: one starting with "-" would be
            # read as an option by `isms token revoke`.
            if raw[5].isalnum():
                return raw

    def is_usable(self, now: timezone.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
