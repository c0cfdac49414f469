"""The main menu: every area of the policy, built or not yet (準備中)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from isms.core.permissions import Action


@dataclass(frozen=True)
class MenuItem:
    """One entry of the main menu; ``url_name`` None means the area is not built yet."""

    slug: str
    label: str | Promise
    url_name: str | None = None
    action: Action | None = None
    policy_ref: str = ""


MENU: tuple[MenuItem, ...] = (
    MenuItem("dashboard", _("Dashboard"), "web:dashboard"),
    MenuItem(
        "policy", _("Information security policy"), "policy:basic_policy", Action.VIEW_POLICY, "2.9"
    ),
    MenuItem("controls", _("Control standard"), "policy:control_list", Action.VIEW_CONTROLS, "2.9"),
    MenuItem(
        "org_units", _("Organisation"), "core:org_unit_list", Action.VIEW_ORGANISATION, "2.6(1)"
    ),
    MenuItem("people", _("Staff"), "core:person_list", Action.VIEW_PEOPLE, "2.5"),
    MenuItem(
        "roles", _("Role assignments"), "core:role_assignment_list", Action.VIEW_ROLES, "2.6(1)"
    ),
    MenuItem("delegations", _("Deputies"), "core:delegation_list", Action.VIEW_ROLES, "2.6(1)"),
    MenuItem("assets", _("Information assets"), "assets:asset_list", Action.VIEW_ASSETS, "2.6(2)"),
    MenuItem("risks", _("Threats and risks"), "risks:risk_list", Action.VIEW_RISKS, "2.3, 2.8"),
    MenuItem(
        "network",
        _("Network separation"),
        "assets:network:overview",
        Action.VIEW_NETWORK_CHECKS,
        "2.6(3)",
    ),
    MenuItem(
        "sanitizer",
        _("Sanitisation and quarantine"),
        "quarantine:message_list",
        Action.VIEW_QUARANTINE,
        "2.2(12)",
    ),
    MenuItem(
        "inspections",
        _("Self-inspections"),
        "inspections:campaign_list",
        Action.VIEW_INSPECTIONS,
        policy_ref="2.7",
    ),
    MenuItem("audits", _("Audits"), "audits:plan_list", Action.VIEW_AUDITS, policy_ref="2.7"),
    MenuItem(
        "incidents",
        _("Incidents"),
        "incidents:incident_list",
        Action.VIEW_INCIDENTS,
        policy_ref="2.6(7)",
    ),
    MenuItem(
        "emergency_plan",
        _("Emergency response plan"),
        "plan:plan_detail",
        Action.VIEW_EMERGENCY_PLAN,
        "2.6(7)",
    ),
    MenuItem("suppliers", _("Contractors, cloud and social media"), policy_ref="2.6(8)"),
    MenuItem("training", _("Training and pledges"), policy_ref="2.6(5)"),
    MenuItem("journal", _("Journal"), "core:journal_list", Action.VIEW_JOURNAL),
)

COMING_SOON = {item.slug: item for item in MENU if item.url_name is None}
