"""Organisation pages: org chart, staff, role assignments, role names, and the journal.

Views parse input, ask ``permissions`` and render; writes go through ``services``, whose
``ValidationError`` goes back onto the form next to the field it names.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from . import (
    history,
    journal,
    people,
    permissions,
    personnel,
    planned_changes,
    reorganisation,
    services,
)
from .calendar import fiscal_year_bounds, fiscal_year_of, wareki_fiscal_year
from .forms import (
    CarryOverForm,
    OrgUnitForm,
    OrgUnitReorganiseForm,
    PersonForm,
    RoleAssignmentEndForm,
    RoleAssignmentForm,
    RoleDisplayNameForm,
)
from .models import (
    JournalEntry,
    Municipality,
    OrgUnit,
    Person,
    PlannedOrgChange,
    RoleAssignment,
    RoleDisplayName,
)
from .permissions import Action
from .roles import Role
from .templatetags.isms_roles import request_role_labels, role_labels

PAGE_SIZE = 50


def _scoped(request: HttpRequest, action: Action, qs):  # type: ignore[no-untyped-def]
    """Scope ``qs`` by permission and to the municipality the user works in now."""
    municipality = request.municipality  # type: ignore[attr-defined]
    if municipality is None or not permissions.can(request.user, action, municipality=municipality):
        raise PermissionDenied
    return permissions.scope(request.user, action, qs).filter(
        **{f"{permissions.municipality_lookup(qs.model)}": municipality.pk}
    )


def _municipality_for(request: HttpRequest, action: Action) -> Municipality:
    """Return the municipality the user works in, if they may do ``action`` there."""
    municipality = request.municipality  # type: ignore[attr-defined]
    if municipality is None:
        raise PermissionDenied
    permissions.require(request.user, action, municipality=municipality)
    return municipality


def _can(request: HttpRequest, action: Action) -> bool:
    municipality = request.municipality  # type: ignore[attr-defined]
    return municipality is not None and permissions.can(
        request.user, action, municipality=municipality
    )


def _page(request: HttpRequest, qs):  # type: ignore[no-untyped-def]
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
def org_unit_list(request: HttpRequest) -> HttpResponse:
    units = list(_scoped(request, Action.VIEW_ORGANISATION, OrgUnit.objects.all()))
    abolished = [u for u in units if u.abolished_on is not None]
    children: dict[int | None, list[OrgUnit]] = {}
    for u in units:
        if u.abolished_on is None:
            children.setdefault(u.parent_id, []).append(u)
    tree: list[tuple[int, OrgUnit]] = []

    def walk(parent: int | None, depth: int) -> None:
        for u in children.get(parent, []):
            tree.append((depth, u))
            walk(u.pk, depth + 1)

    walk(None, 0)
    return render(
        request,
        "core/org_unit_list.html",
        {
            "tree": tree,
            "abolished": abolished,
            "can_manage": _can(request, Action.MANAGE_ORGANISATION),
        },
    )


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
    past = history.unit_history(unit)
    then = [v for v in past.versions if v.valid_to is None or v.valid_to >= lo]
    return render(
        request,
        "core/org_unit_detail.html",
        {
            "unit": unit,
            "children": unit.children.filter(abolished_on__isnull=True),
            "assignments": assignments if can_see_people else None,
            "history": past,
            # The name the unit had at the start of the selected fiscal year, if different.
            "name_then": then[-1].name if then and then[-1].name != unit.name else "",
            "can_manage": unit.abolished_on is None
            and permissions.can(request.user, Action.MANAGE_ORGANISATION, unit),
            "planned": unit.planned_changes.exclude(
                state__in=[PlannedOrgChange.State.APPLIED, PlannedOrgChange.State.CANCELLED]
            ).select_related("created_by"),
        },
    )


@login_required
def person_list(request: HttpRequest) -> HttpResponse:
    qs = _scoped(request, Action.VIEW_PEOPLE, Person.objects.select_related("org_unit"))
    q = request.GET.get("q", "").strip()
    qs = people.search(qs, q)
    return render(
        request,
        "core/person_list.html",
        {"page": _page(request, qs), "q": q, "can_manage": _can(request, Action.MANAGE_PEOPLE)},
    )


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(
        _scoped(request, Action.VIEW_PEOPLE, Person.objects.select_related("org_unit")), pk=pk
    )
    assignments = person.role_assignments.select_related("org_unit").order_by("-start_date")
    return render(
        request,
        "core/person_detail.html",
        {
            "person": person,
            "assignments": assignments,
            "can_manage": permissions.can(request.user, Action.MANAGE_PEOPLE, person),
            "can_manage_roles": permissions.can(request.user, Action.MANAGE_ROLES, person),
            "today": timezone.localdate(),
        },
    )


@login_required
def role_assignment_list(request: HttpRequest) -> HttpResponse:
    year = request.fiscal_year  # type: ignore[attr-defined]
    lo, hi = fiscal_year_bounds(year)
    qs = (
        _scoped(request, Action.VIEW_ROLES, RoleAssignment.objects.all())
        .filter(start_date__lte=hi)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=lo))
        .select_related("person", "org_unit")
        .order_by("role", "org_unit__sort_order", "start_date")
    )
    unit_name = request.GET.get("unit", "").strip()[:100]
    if unit_name:
        # By the name the unit had during that year: a renamed or merged 課 is still found.
        qs = qs.filter(
            org_unit__in=history.units_named(request.municipality, unit_name, fiscal_year=year)  # type: ignore[attr-defined]
        )
    page = _page(request, qs)
    # The unit's name when the assignment began (or on 4/1): one query per distinct day.
    by_day: dict[Any, set[int]] = {}
    for a in page:
        if a.org_unit_id is not None:
            by_day.setdefault(max(a.start_date, lo), set()).add(a.org_unit_id)
    names_then = {
        (day, uid): name
        for day, ids in by_day.items()
        for uid, name in history.names_on(ids, day).items()
    }
    rows = [(a, names_then.get((max(a.start_date, lo), a.org_unit_id), "")) for a in page]
    return render(
        request,
        "core/role_assignment_list.html",
        {
            "page": page,
            "rows": rows,
            "unit_name": unit_name,
            "warnings": personnel.role_warnings(request.municipality, year),  # type: ignore[attr-defined]
            "can_manage": _can(request, Action.MANAGE_ROLES),
        },
    )


@login_required
def role_carry_over(request: HttpRequest) -> HttpResponse:
    municipality = _municipality_for(request, Action.MANAGE_ROLES)
    year = request.fiscal_year  # type: ignore[attr-defined]
    form = CarryOverForm(request.POST or None, initial={"from_year": year})
    if request.method == "POST" and form.is_valid():
        result = _save_with(
            form,
            lambda: personnel.carry_over_roles(request.user, municipality, **form.service_data()),
        )
        if result is not None:
            messages.success(
                request,
                _("Carried %(count)s role assignments into %(year)s.")
                % {
                    "count": len(result.created),
                    "year": wareki_fiscal_year(form.cleaned_data["from_year"] + 1),
                },
            )
            for assignment, reason in result.skipped:
                messages.warning(
                    request,
                    _("Not carried over: %(assignment)s. %(reason)s")
                    % {"assignment": assignment, "reason": reason},
                )
            return redirect("core:role_assignment_list")
    return render(
        request,
        "core/role_carry_over.html",
        {
            "form": form,
            "from_label": wareki_fiscal_year(year),
            "to_label": wareki_fiscal_year(year + 1),
            "warnings": personnel.role_warnings(municipality, year + 1),
        },
    )


@login_required
def journal_list(request: HttpRequest) -> HttpResponse:
    municipality = _municipality_for(request, Action.VIEW_JOURNAL)
    # Filtering on the chain walks the (chain, seq) index backwards instead of sorting the
    # municipality's whole journal.
    qs = (
        permissions.scope(request.user, Action.VIEW_JOURNAL, JournalEntry.objects.all())
        .filter(chain=journal.chain_for(municipality.pk))
        .order_by("-seq")
    )
    return render(request, "core/journal_list.html", {"page": _page(request, qs)})


# --- forms ---------------------------------------------------------------------------------


def _form_page(request: HttpRequest, template: str, form: Any, **context: Any) -> HttpResponse:
    return render(request, template, {"form": form, **context})


def _save_with(form: Any, call: Any) -> Any:
    """Return what the service ``call`` returns, or None after putting its errors on ``form``."""
    try:
        return call()
    except ValidationError as exc:
        form.add_service_error(exc)
        return None


@login_required
def org_unit_create(request: HttpRequest) -> HttpResponse:
    municipality = _municipality_for(request, Action.MANAGE_ORGANISATION)
    form = OrgUnitForm(request.POST or None, municipality=municipality)
    if request.method == "POST" and form.is_valid():
        unit = _save_with(
            form,
            lambda: services.create_org_unit(request.user, municipality, **form.service_data()),
        )
        if unit is not None:
            messages.success(request, _("Created the org unit %(name)s.") % {"name": unit.name})
            return redirect("core:org_unit_detail", pk=unit.pk)
    return _form_page(request, "core/org_unit_form.html", form)


@login_required
def org_unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_object_or_404(
        _scoped(request, Action.MANAGE_ORGANISATION, OrgUnit.objects.all()), pk=pk
    )
    permissions.require(request.user, Action.MANAGE_ORGANISATION, unit)
    original = OrgUnit.objects.get(pk=unit.pk)
    form = OrgUnitForm(request.POST or None, instance=unit, municipality=unit.municipality)
    if request.method == "POST" and form.is_valid():
        saved = _save_with(
            form, lambda: services.update_org_unit(request.user, original, **form.service_data())
        )
        if saved is not None:
            messages.success(request, _("Saved the org unit %(name)s.") % {"name": saved.name})
            return redirect("core:org_unit_detail", pk=saved.pk)
    return _form_page(request, "core/org_unit_form.html", form, unit=original)


@login_required
def org_unit_reorganise(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_object_or_404(
        _scoped(request, Action.MANAGE_ORGANISATION, OrgUnit.objects.all()), pk=pk
    )
    permissions.require(request.user, Action.MANAGE_ORGANISATION, unit)
    form = OrgUnitReorganiseForm(
        request.POST or None, unit=unit, initial={"effective_date": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid() and form.is_planned():
        # A future date: kept as planned and carried out on the day by the nightly task.
        planned = _save_with(
            form,
            lambda: planned_changes.plan_change(
                request.user, unit, form.cleaned_data["kind"], **form.service_data()
            ),
        )
        if planned is not None:
            messages.success(
                request,
                _("Planned the reorganisation (%(kind)s) for %(date)s; it takes effect that day.")
                % {
                    "kind": planned.get_kind_display(),
                    "date": planned.effective_date.isoformat(),
                },
            )
            return redirect("core:org_unit_detail", pk=unit.pk)
    elif request.method == "POST" and form.is_valid():
        result = _save_with(
            form,
            lambda: reorganisation.apply_change(
                request.user, unit, form.cleaned_data["kind"], **form.service_data()
            ),
        )
        if result is not None:
            messages.success(
                request,
                _("Recorded the reorganisation (%(kind)s) from %(date)s.")
                % {
                    "kind": result.change.get_kind_display(),
                    "date": result.change.effective_date.isoformat(),
                },
            )
            return redirect("core:org_unit_detail", pk=unit.pk)
    return _form_page(request, "core/org_unit_reorganise.html", form, unit=unit)


@login_required
def planned_change_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    planned = get_object_or_404(
        _scoped(request, Action.MANAGE_ORGANISATION, PlannedOrgChange.objects.all()).select_related(
            "org_unit"
        ),
        pk=pk,
    )
    if request.method != "POST":
        return redirect("core:org_unit_detail", pk=planned.org_unit_id)
    try:
        planned_changes.cancel_planned(request.user, planned)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Cancelled the reorganisation planned for %(date)s.")
            % {"date": planned.effective_date.isoformat()},
        )
    return redirect("core:org_unit_detail", pk=planned.org_unit_id)


@login_required
def person_create(request: HttpRequest) -> HttpResponse:
    municipality = _municipality_for(request, Action.MANAGE_PEOPLE)
    form = PersonForm(request.POST or None, municipality=municipality)
    if request.method == "POST" and form.is_valid():
        person = _save_with(
            form,
            lambda: services.create_person(request.user, municipality, **form.service_data()),
        )
        if person is not None:
            messages.success(request, _("Registered %(name)s.") % {"name": person.full_name})
            return redirect("core:person_detail", pk=person.pk)
    return _form_page(request, "core/person_form.html", form)


@login_required
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(_scoped(request, Action.MANAGE_PEOPLE, Person.objects.all()), pk=pk)
    permissions.require(request.user, Action.MANAGE_PEOPLE, person)
    original = Person.objects.get(pk=person.pk)
    form = PersonForm(request.POST or None, instance=person, municipality=person.municipality)
    if request.method == "POST" and form.is_valid():
        saved = _save_with(
            form, lambda: services.update_person(request.user, original, **form.service_data())
        )
        if saved is not None:
            messages.success(request, _("Saved %(name)s.") % {"name": saved.full_name})
            return redirect("core:person_detail", pk=saved.pk)
    return _form_page(request, "core/person_form.html", form, person=original)


def _fiscal_year_choices() -> list[tuple[int, str]]:
    this_fy = fiscal_year_of(timezone.localdate())
    return [(y, f"{wareki_fiscal_year(y)}（{y}）") for y in range(this_fy + 1, this_fy - 4, -1)]


@login_required
def role_assignment_create(request: HttpRequest, person_pk: int) -> HttpResponse:
    person = get_object_or_404(
        _scoped(request, Action.MANAGE_ROLES, Person.objects.all()), pk=person_pk
    )
    permissions.require(request.user, Action.MANAGE_ROLES, person)
    form = RoleAssignmentForm(
        request.POST or None,
        municipality=person.municipality,
        role_labels=request_role_labels(request),
        fiscal_years=_fiscal_year_choices(),
        initial={"fiscal_year": request.fiscal_year},  # type: ignore[attr-defined]
    )
    if request.method == "POST" and form.is_valid():
        assignment = _save_with(
            form,
            lambda: services.assign_role(request.user, person, **form.service_data()),
        )
        if assignment is not None:
            messages.success(
                request,
                _("%(person)s now holds the role %(role)s.")
                % {
                    "person": person.full_name,
                    "role": request_role_labels(request)[assignment.role],
                },
            )
            return redirect("core:person_detail", pk=person.pk)
    return _form_page(request, "core/role_assignment_form.html", form, person=person)


@login_required
def role_assignment_end(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = get_object_or_404(
        _scoped(request, Action.MANAGE_ROLES, RoleAssignment.objects.all()).select_related(
            "person", "org_unit"
        ),
        pk=pk,
    )
    permissions.require(request.user, Action.MANAGE_ROLES, assignment)
    form = RoleAssignmentEndForm(request.POST or None, initial={"end_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        ended = _save_with(
            form,
            lambda: services.end_role_assignment(request.user, assignment, **form.service_data()),
        )
        if ended is not None:
            messages.success(
                request,
                _("The role %(role)s of %(person)s ends on %(date)s.")
                % {
                    "role": request_role_labels(request)[ended.role],
                    "person": ended.person.full_name,
                    "date": ended.end_date.isoformat(),
                },
            )
            return redirect("core:person_detail", pk=ended.person_id)
    return _form_page(request, "core/role_assignment_end.html", form, assignment=assignment)


@login_required
def role_display_name_list(request: HttpRequest) -> HttpResponse:
    municipality = _municipality_for(request, Action.VIEW_ROLES)
    renamed = {
        r.role: r
        for r in permissions.scope(
            request.user, Action.VIEW_ROLES, RoleDisplayName.objects.all()
        ).filter(municipality=municipality)
    }
    labels = request_role_labels(request)
    rows = [
        {"role": role, "label": labels[role.value], "renamed": renamed.get(role.value)}
        for role in Role
    ]
    return render(
        request,
        "core/role_display_name_list.html",
        {"rows": rows, "can_manage": _can(request, Action.MANAGE_ROLES)},
    )


@login_required
def role_display_name_edit(request: HttpRequest, role: str) -> HttpResponse:
    if role not in Role.values:
        raise Http404
    municipality = _municipality_for(request, Action.MANAGE_ROLES)
    current = RoleDisplayName.objects.filter(municipality=municipality, role=role).first()
    form = RoleDisplayNameForm(request.POST or None, instance=current or RoleDisplayName(role=role))
    if request.method == "POST" and form.is_valid():
        saved = _save_with(
            form,
            lambda: services.rename_role(request.user, municipality, role, **form.service_data()),
        )
        if saved is not None:
            messages.success(
                request,
                _("%(role)s is now shown as %(name)s.")
                % {"role": Role(role).label, "name": role_labels(municipality)[role]},
            )
            return redirect("core:role_display_name_list")
    return _form_page(request, "core/role_display_name_form.html", form, role=Role(role))
