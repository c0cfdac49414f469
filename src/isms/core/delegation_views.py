"""Pages of 代理・代決: who deputises for whom, naming a deputy, and ending a delegation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from . import delegation, permissions
from .forms import DelegationForm
from .models import Delegation, Person, RoleAssignment
from .permissions import Action
from .templatetags.isms_roles import request_role_labels
from .views import _municipality_for, _page, _save_with, _scoped

_RELATED = ("assignment__person", "assignment__org_unit", "deputy", "created_by", "revoked_by")


@login_required
def delegation_list(request: HttpRequest) -> HttpResponse:
    qs = _scoped(request, Action.VIEW_ROLES, Delegation.objects.all()).select_related(*_RELATED)
    past = request.GET.get("show") == "past"
    today = timezone.localdate()
    if past:
        qs = qs.filter(Q(revoked_at__isnull=False) | Q(end_date__lt=today)).order_by(
            "-end_date", "-pk"
        )
    else:
        qs = delegation.current_and_upcoming(qs).order_by("start_date", "pk")
    page = _page(request, qs)
    rows = [
        (d, d.is_active_on(today), delegation.may_revoke(request.user, d))  # type: ignore[arg-type]
        for d in page
    ]
    return render(
        request,
        "core/delegation_list.html",
        {
            "page": page,
            "rows": rows,
            "past": past,
            "mine": permissions.delegations_held(request.user),  # type: ignore[arg-type]
        },
    )


def _assignment_choices(request: HttpRequest) -> list[tuple[int, str]]:
    """Assignments the user may delegate that are in force today or later."""
    municipality = _municipality_for(request, Action.VIEW_ROLES)
    today = timezone.localdate()
    qs = (
        RoleAssignment.objects.filter(municipality=municipality)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("person", "org_unit")
        .order_by("person__sort_key", "role", "start_date")
    )
    if not permissions.can(request.user, Action.MANAGE_ROLES, municipality=municipality):
        person = Person.objects.filter(user=request.user, is_active=True).first()
        if person is None:
            return []
        qs = qs.filter(person=person)
    labels = request_role_labels(request)
    choices = []
    for a in qs:
        unit = f"（{a.org_unit.name}）" if a.org_unit is not None else ""
        end = a.end_date.isoformat() if a.end_date else ""
        choices.append((a.pk, f"{a.person} — {labels[a.role]}{unit} {a.start_date}–{end}"))
    return choices


@login_required
def delegation_create(request: HttpRequest) -> HttpResponse:
    municipality = _municipality_for(request, Action.VIEW_ROLES)
    choices = _assignment_choices(request)
    if not choices:
        raise PermissionDenied
    today = timezone.localdate()
    form = DelegationForm(
        request.POST or None,
        municipality=municipality,
        assignments=choices,
        initial={
            "assignment": request.GET.get("assignment"),
            "start_date": today,
            "end_date": today,
        },
    )
    if request.method == "POST" and form.is_valid():
        # The choices were built from what this user may delegate: the id is one of them.
        assignment = RoleAssignment.objects.get(
            pk=form.cleaned_data["assignment"], municipality=municipality
        )
        created = _save_with(
            form,
            lambda: delegation.create_delegation(
                request.user,  # type: ignore[arg-type]
                assignment,
                **form.service_data(),
            ),
        )
        if created is not None:
            messages.success(
                request,
                _("%(deputy)s is deputy for %(person)s from %(start)s to %(end)s.")
                % {
                    "deputy": created.deputy,
                    "person": assignment.person,
                    "start": created.start_date.isoformat(),
                    "end": created.end_date.isoformat(),
                },
            )
            return redirect("core:delegation_list")
    return render(request, "core/delegation_form.html", {"form": form})


@login_required
def delegation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    d = get_object_or_404(
        _scoped(request, Action.VIEW_ROLES, Delegation.objects.all()).select_related(*_RELATED),
        pk=pk,
    )
    if not delegation.may_revoke(request.user, d):  # type: ignore[arg-type]
        raise PermissionDenied
    error = ""
    if request.method == "POST":
        try:
            delegation.revoke_delegation(request.user, d)  # type: ignore[arg-type]
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request,
                _("The delegation to %(deputy)s has ended.") % {"deputy": d.deputy},
            )
            return redirect("core:delegation_list")
    return render(request, "core/delegation_revoke.html", {"delegation": d, "error": error})
