"""Organisation pages: org chart, staff, role assignments, and the journal.

Views parse input, ask ``permissions`` and render; writes go through ``services``.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from . import permissions
from .calendar import fiscal_year_bounds
from .models import JournalEntry, OrgUnit, Person, RoleAssignment
from .permissions import Action

PAGE_SIZE = 50


def _scoped(request: HttpRequest, action: Action, qs):  # type: ignore[no-untyped-def]
    """Scope ``qs`` by permission and to the municipality the user works in now."""
    municipality = request.municipality  # type: ignore[attr-defined]
    if municipality is None or not permissions.can(request.user, action, municipality=municipality):
        raise PermissionDenied
    return permissions.scope(request.user, action, qs).filter(
        **{f"{permissions.municipality_lookup(qs.model)}": municipality.pk}
    )


def _page(request: HttpRequest, qs):  # type: ignore[no-untyped-def]
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
def org_unit_list(request: HttpRequest) -> HttpResponse:
    units = list(_scoped(request, Action.VIEW_ORGANISATION, OrgUnit.objects.all()))
    children: dict[int | None, list[OrgUnit]] = {}
    for u in units:
        children.setdefault(u.parent_id, []).append(u)
    tree: list[tuple[int, OrgUnit]] = []

    def walk(parent: int | None, depth: int) -> None:
        for u in children.get(parent, []):
            tree.append((depth, u))
            walk(u.pk, depth + 1)

    walk(None, 0)
    return render(request, "core/org_unit_list.html", {"tree": tree})


@login_required
def org_unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_object_or_404(
        _scoped(request, Action.VIEW_ORGANISATION, OrgUnit.objects.select_related("parent")), pk=pk
    )
    lo, hi = fiscal_year_bounds(request.fiscal_year)  # type: ignore[attr-defined]
    assignments = (
        RoleAssignment.objects.filter(org_unit=unit, start_date__lte=hi)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=lo))
        .select_related("person")
    )
    can_see_people = permissions.can(request.user, Action.VIEW_PEOPLE, unit)
    return render(
        request,
        "core/org_unit_detail.html",
        {
            "unit": unit,
            "children": unit.children.all(),
            "assignments": assignments if can_see_people else None,
        },
    )


@login_required
def person_list(request: HttpRequest) -> HttpResponse:
    qs = _scoped(request, Action.VIEW_PEOPLE, Person.objects.select_related("org_unit"))
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(
            Q(family_name__icontains=q)
            | Q(given_name__icontains=q)
            | Q(family_name_kana__icontains=q)
            | Q(given_name_kana__icontains=q)
            | Q(employee_number__iexact=q)
        )
    return render(request, "core/person_list.html", {"page": _page(request, qs), "q": q})


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(
        _scoped(request, Action.VIEW_PEOPLE, Person.objects.select_related("org_unit")), pk=pk
    )
    assignments = person.role_assignments.select_related("org_unit").order_by("-start_date")
    return render(
        request, "core/person_detail.html", {"person": person, "assignments": assignments}
    )


@login_required
def role_assignment_list(request: HttpRequest) -> HttpResponse:
    lo, hi = fiscal_year_bounds(request.fiscal_year)  # type: ignore[attr-defined]
    qs = (
        _scoped(request, Action.VIEW_ROLES, RoleAssignment.objects.all())
        .filter(start_date__lte=hi)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=lo))
        .select_related("person", "org_unit")
        .order_by("role", "org_unit__sort_order", "start_date")
    )
    return render(request, "core/role_assignment_list.html", {"page": _page(request, qs)})


@login_required
def journal_list(request: HttpRequest) -> HttpResponse:
    qs = _scoped(request, Action.VIEW_JOURNAL, JournalEntry.objects.all()).order_by("-seq")
    return render(request, "core/journal_list.html", {"page": _page(request, qs)})
