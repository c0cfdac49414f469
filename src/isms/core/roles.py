"""The roles of the policy's organisation (対策基準 1), with their default Japanese names.

Code names are fixed; each municipality may rename a role for display (``RoleDisplayName``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """A role of the policy's organisation; people hold roles through ``RoleAssignment``."""

    CISO = "ciso", _("Chief Information Security Officer (CISO)")
    DEPUTY_CISO = "deputy_ciso", _("Deputy CISO")
    CISO_ADVISOR = "ciso_advisor", _("CISO advisor")
    LEAD_SECURITY_OFFICER = "lead_security_officer", _("Lead information security officer")
    BUREAU_SECURITY_OFFICER = "bureau_security_officer", _("Information security officer")
    DIVISION_SECURITY_MANAGER = "division_security_manager", _("Information security manager")
    SYSTEM_MANAGER = "system_manager", _("Information system manager")
    SYSTEM_STAFF = "system_staff", _("Information system staff")
    COMMITTEE_CHAIR = "committee_chair", _("Information security committee chair")
    COMMITTEE_MEMBER = "committee_member", _("Information security committee member")
    LEAD_AUDIT_OFFICER = "lead_audit_officer", _("Lead audit officer")
    AUDITOR = "auditor", _("Auditor")
    CSIRT_LEAD = "csirt_lead", _("CSIRT lead")
    CSIRT_MEMBER = "csirt_member", _("CSIRT member")
    CLOUD_SERVICE_MANAGER = "cloud_service_manager", _("External service manager")
    SOCIAL_MEDIA_OFFICER = "social_media_officer", _("Social media service officer")


# Roles held for the whole municipality; the others are held for one org unit.
MUNICIPALITY_WIDE_ROLES = frozenset(
    {
        Role.CISO,
        Role.DEPUTY_CISO,
        Role.CISO_ADVISOR,
        Role.LEAD_SECURITY_OFFICER,
        Role.COMMITTEE_CHAIR,
        Role.COMMITTEE_MEMBER,
        Role.LEAD_AUDIT_OFFICER,
        Role.AUDITOR,
        Role.CSIRT_LEAD,
        Role.CSIRT_MEMBER,
    }
)
