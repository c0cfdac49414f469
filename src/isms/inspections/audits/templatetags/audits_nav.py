"""The tab bar of the audit pages (``audits/_nav.html``): each tab shown by what the user may see.

A tag rather than view context, so that every audit page includes the bar the same way.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from isms.core import permissions
from isms.core.permissions import Action
from isms.inspections.audits import visibility

register = template.Library()


@register.simple_tag(takes_context=True)
def audit_tabs(context: template.Context) -> list[dict[str, Any]]:
    """The tabs of the audit pages the current user may open (label, url, current)."""
    request = context.get("request")
    if request is None:
        return []
    user = getattr(request, "user", None)
    municipality = getattr(request, "municipality", None)
    if municipality is None or not permissions.can(
        user, Action.VIEW_AUDITS, municipality=municipality
    ):
        return []
    tabs = [
        ("plan_list", _("Audit plans")),
        ("finding_list", _("Findings")),
        ("action_list", _("Corrective actions")),
    ]
    if visibility.sees_all(user, municipality.pk) or visibility.managed_units(user):
        tabs.append(("dashboard", _("Compliance")))
    match = getattr(request, "resolver_match", None)
    here = match.url_name if match is not None and match.namespace == "audits" else ""
    sections = {
        "plan_list": {
            "plan_list",
            "plan_create",
            "plan_detail",
            "plan_edit",
            "audit_create",
            "audit_edit",
            "auditor_add",
            "audit_detail",
            "item_detail",
            "workpaper_create",
            "workpaper_edit",
        },
        "finding_list": {"finding_list", "finding_detail", "finding_edit", "finding_create"},
        "action_list": {"action_list", "action_create", "action_progress"},
        "dashboard": {"dashboard", "dashboard_drill"},
    }
    return [
        {
            "label": label,
            "url": reverse(f"audits:{name}"),
            "current": here in sections.get(name, set()),
        }
        for name, label in tabs
    ]
