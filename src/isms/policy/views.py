"""Pages of the policy documents."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from isms.core import permissions
from isms.core.permissions import Action

from .models import BasicPolicy


@login_required
def basic_policy(request: HttpRequest) -> HttpResponse:
    """Show the current 基本方針 of the user's municipality, read-only."""
    municipality = request.municipality  # type: ignore[attr-defined]
    if municipality is None or not permissions.can(
        request.user, Action.VIEW_POLICY, municipality=municipality
    ):
        raise PermissionDenied
    policy = (
        permissions.scope(request.user, Action.VIEW_POLICY, BasicPolicy.objects.all())
        .filter(municipality=municipality, is_current=True)
        .prefetch_related("sections")
        .first()
    )
    return render(request, "policy/basic_policy.html", {"policy": policy})
