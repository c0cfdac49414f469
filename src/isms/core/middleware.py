"""Per-request context: the current municipality and fiscal year."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .calendar import fiscal_year_of
from .models import Municipality

SESSION_MUNICIPALITY = "isms_municipality_id"
SESSION_FISCAL_YEAR = "isms_fiscal_year"


def current_municipality(request: HttpRequest) -> Municipality | None:
    """Return the municipality the user works in now.

    An ordinary user always works in their own. A service administrator picks one of the
    municipalities they manage (kept in the session; the first one otherwise).
    """
    user = request.user
    if not user.is_authenticated:
        return None
    if not user.is_service_admin:
        return user.municipality
    managed = user.managed_municipalities.all()
    chosen = request.session.get(SESSION_MUNICIPALITY)
    return (managed.filter(pk=chosen).first() if chosen else None) or managed.first()


class MunicipalityMiddleware:
    """Set ``request.municipality`` and ``request.fiscal_year`` for views and templates."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.municipality = current_municipality(request)  # type: ignore[attr-defined]
        default_fy = fiscal_year_of(timezone.localdate())
        try:
            fy = int(request.session.get(SESSION_FISCAL_YEAR, default_fy))
        except (TypeError, ValueError):
            fy = default_fy
        request.fiscal_year = fy  # type: ignore[attr-defined]
        return self.get_response(request)
