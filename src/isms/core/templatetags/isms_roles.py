"""Role names as a municipality shows them: its ``RoleDisplayName`` if it renamed the role.

In templates::

    {% load isms_roles %}
    {% role_label assignment.role %}

Views that need the labels (a role select) call :func:`request_role_labels`.
"""

from __future__ import annotations

from django import template
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language

from isms.core.models import Municipality, RoleDisplayName
from isms.core.roles import Role

register = template.Library()

_CACHE_ATTR = "_isms_role_labels"


def role_labels(
    municipality: Municipality | int | None, language: str | None = None
) -> dict[str, str]:
    """Return ``{role code: label}`` in ``language`` (the active one), renamed roles included.

    A renamed role shows ``name_ja`` in Japanese and ``name_en`` in English; without an English
    name it keeps the standard English label.
    """
    labels = {role.value: str(role.label) for role in Role}
    if municipality is None:
        return labels
    lang = (language or get_language() or settings.LANGUAGE_CODE).split("-")[0]
    renamed = RoleDisplayName.objects.filter(municipality=municipality).values_list(
        "role", "name_ja", "name_en"
    )
    for code, name_ja, name_en in renamed:
        name = name_ja if lang == "ja" else name_en
        if code in labels and name:
            labels[code] = name
    return labels


def request_role_labels(request: HttpRequest | None) -> dict[str, str]:
    """Return :func:`role_labels` for the request's municipality, read once per request."""
    municipality = getattr(request, "municipality", None)
    if request is None:
        return role_labels(None)
    key = (getattr(municipality, "pk", None), get_language())
    cache: dict[tuple[int | None, str], dict[str, str]] = request.__dict__.setdefault(
        _CACHE_ATTR, {}
    )
    if key not in cache:
        cache[key] = role_labels(municipality)
    return cache[key]


@register.simple_tag(takes_context=True)
def role_label(context: template.Context, role: str) -> str:
    """Render the label of ``role`` as the current municipality names it."""
    labels = request_role_labels(context.get("request"))
    return labels.get(role, role)
