"""The shell's own pages: dashboard, 準備中 areas, fiscal-year and municipality selection."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from isms.core.middleware import SESSION_FISCAL_YEAR, SESSION_MUNICIPALITY

from .navigation import COMING_SOON


def _back(request: HttpRequest) -> HttpResponse:
    nxt = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        nxt = "/"
    return redirect(nxt or "/")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "web/dashboard.html")


@login_required
def coming_soon(request: HttpRequest, slug: str) -> HttpResponse:
    item = COMING_SOON.get(slug)
    if item is None:
        raise Http404
    return render(request, "web/coming_soon.html", {"area": item})


@login_required
@require_POST
def set_fiscal_year(request: HttpRequest) -> HttpResponse:
    try:
        fy = int(request.POST.get("fiscal_year", ""))
    except ValueError:
        fy = 0
    if 2000 <= fy <= 2100:
        request.session[SESSION_FISCAL_YEAR] = fy
    return _back(request)


@login_required
@require_POST
def set_municipality(request: HttpRequest) -> HttpResponse:
    """Let a service administrator switch between the municipalities they manage."""
    try:
        mid = int(request.POST.get("municipality", ""))
    except ValueError:
        mid = 0
    if (
        request.user.is_service_admin
        and request.user.managed_municipalities.filter(pk=mid).exists()
    ):
        request.session[SESSION_MUNICIPALITY] = mid
    return _back(request)
