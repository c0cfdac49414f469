"""Template context shared by every page: menu, municipality, fiscal year."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from isms.core import permissions
from isms.core.calendar import fiscal_year_of, wareki_fiscal_year
from isms.core.models import Municipality

from .navigation import MENU


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    municipality: Municipality | None = getattr(request, "municipality", None)
    fy = getattr(request, "fiscal_year", None)
    menu = []
    for item in MENU:
        if item.url_name is None:
            url = reverse("web:coming_soon", args=[item.slug])
        elif item.action is not None and not permissions.can(
            user, item.action, municipality=municipality
        ):
            continue
        else:
            url = reverse(item.url_name)
        menu.append({"item": item, "url": url, "ready": item.url_name is not None})
    this_fy = fiscal_year_of(timezone.localdate())
    return {
        "menu": menu,
        "current_municipality": municipality,
        "managed_municipalities": (
            user.managed_municipalities.all() if user.is_service_admin else []
        ),
        "fiscal_year": fy,
        "fiscal_year_label": wareki_fiscal_year(fy) if fy else "",
        "fiscal_year_choices": [
            (y, wareki_fiscal_year(y)) for y in range(this_fy + 1, this_fy - 5, -1)
        ],
    }
