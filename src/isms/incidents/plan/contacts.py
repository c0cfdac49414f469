"""The 緊急連絡網 (emergency contact tree), generated from the role assignments of a day.

Nobody types the tree: it lists who holds each role the plan covers on that day (assignments
in force, people still active), with the deputies (代理) named in a delegation in force, and a
gap for every role nobody holds: a municipality-wide role without a holder, a 部 without its
情報セキュリティ責任者, a 課 without its 情報セキュリティ管理者 (units in the policy's scope that
still exist). The person's contact is what the core records (e-mail); telephone numbers and
addresses outside the organisation are the plan's extra contacts.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from isms.core.models import Delegation, Municipality, OrgUnit, Person, RoleAssignment
from isms.core.roles import Role
from isms.core.templatetags.isms_roles import role_labels

__all__ = [
    "DEFAULT_ROLES",
    "ContactTree",
    "Deputy",
    "Gap",
    "TreeEntry",
    "build_tree",
    "org_snapshot",
]

# The roles of the reporting chain (対策基準 5.3, 7.3), in the order the tree lists them.
DEFAULT_ROLES: tuple[str, ...] = (
    Role.CISO.value,
    Role.DEPUTY_CISO.value,
    Role.LEAD_SECURITY_OFFICER.value,
    Role.CSIRT_LEAD.value,
    Role.CSIRT_MEMBER.value,
    Role.BUREAU_SECURITY_OFFICER.value,
    Role.DIVISION_SECURITY_MANAGER.value,
    Role.SYSTEM_MANAGER.value,
)

# Per-unit roles that every unit of a kind must have: 部 → 情報セキュリティ責任者, 課 → 管理者.
UNIT_ROLE_KIND = {
    Role.BUREAU_SECURITY_OFFICER.value: OrgUnit.Kind.BUREAU,
    Role.DIVISION_SECURITY_MANAGER.value: OrgUnit.Kind.DIVISION,
}


@dataclass(frozen=True)
class Deputy:
    """A deputy in force for one holder."""

    name: str
    unit_name: str
    email: str
    start_date: datetime.date
    end_date: datetime.date
    reason: str


@dataclass
class TreeEntry:
    """One line of the tree: a role, for the whole municipality or one unit, and its holder."""

    role: str
    role_label: str
    unit_name: str
    person_name: str
    person_unit: str
    email: str
    person_id: int
    unit_id: int | None
    deputies: list[Deputy] = field(default_factory=list)


@dataclass(frozen=True)
class Gap:
    """A role nobody holds (for the whole municipality, or for one unit)."""

    role: str
    role_label: str
    unit_name: str

    @property
    def message(self) -> str:
        if self.unit_name:
            return _("Nobody holds the role %(role)s for %(unit)s.") % {
                "role": self.role_label,
                "unit": self.unit_name,
            }
        return _("Nobody holds the role %(role)s.") % {"role": self.role_label}


@dataclass
class ContactTree:
    """The tree of one day: entries in the plan's role order, and the gaps."""

    day: datetime.date
    entries: list[TreeEntry]
    gaps: list[Gap]
    # False when the reader may not see the role holders (VIEW_ROLES): the entries then carry
    # the roles and units only, without names, units of the holders, e-mails or deputies.
    people_shown: bool = True

    def by_role(self) -> list[tuple[str, list[TreeEntry]]]:
        """Entries grouped by role label, in order (for the pages and the PDF)."""
        groups: dict[str, list[TreeEntry]] = {}
        for e in self.entries:
            groups.setdefault(e.role_label, []).append(e)
        return list(groups.items())


def _in_force(day: datetime.date) -> Q:
    return Q(start_date__lte=day) & (Q(end_date__isnull=True) | Q(end_date__gte=day))


def _assignments(
    municipality_id: int, roles: list[str], day: datetime.date
) -> list[RoleAssignment]:
    return list(
        RoleAssignment.objects.filter(
            _in_force(day),
            municipality_id=municipality_id,
            role__in=roles,
            person__is_active=True,
        )
        .select_related("person", "person__org_unit", "person__user", "org_unit")
        .order_by("org_unit__sort_order", "org_unit__code", "person__sort_key", "pk")
    )


def _deputies(assignment_ids: list[int], day: datetime.date) -> dict[int, list[Deputy]]:
    found: dict[int, list[Deputy]] = defaultdict(list)
    rows = (
        Delegation.objects.filter(
            assignment_id__in=assignment_ids,
            revoked_at__isnull=True,
            start_date__lte=day,
            end_date__gte=day,
            deputy__is_active=True,
        )
        .select_related("deputy", "deputy__org_unit", "deputy__user")
        .order_by("start_date", "pk")
    )
    for d in rows:
        found[d.assignment_id].append(
            Deputy(
                name=d.deputy.full_name,
                unit_name=d.deputy.org_unit.name if d.deputy.org_unit else "",
                email=_email(d.deputy),
                start_date=d.start_date,
                end_date=d.end_date,
                reason=d.reason,
            )
        )
    return found


def _email(person: Person) -> str:
    if person.email:
        return person.email
    if person.user_id is None:
        return ""
    return person.user.email or ""


def _units_needing(municipality_id: int, kind: str, day: datetime.date) -> list[OrgUnit]:
    return list(
        OrgUnit.objects.filter(municipality_id=municipality_id, kind=kind, in_scope=True)
        .filter(Q(abolished_on__isnull=True) | Q(abolished_on__gt=day))
        .order_by("sort_order", "code")
    )


def build_tree(
    municipality: Municipality | int,
    roles: list[str] | tuple[str, ...] = DEFAULT_ROLES,
    day: datetime.date | None = None,
    *,
    with_people: bool = True,
) -> ContactTree:
    """Return the contact tree of ``municipality`` on ``day`` (today) for ``roles``.

    ``with_people=False`` (a reader without VIEW_ROLES, such as a service administrator without
    the sensitive-data grant) leaves out who holds the roles: one entry per held role and unit,
    with no name, no e-mail and no deputy; the gaps are the same.

    A fixed number of queries whatever the size of the organisation.
    """
    from django.utils import timezone

    mid = municipality.pk if isinstance(municipality, Municipality) else municipality
    day = day or timezone.localdate()
    roles = [r for r in roles if r in Role.values]
    labels = role_labels(mid)
    assignments = _assignments(mid, roles, day)
    deputies = _deputies([a.pk for a in assignments], day)
    order = {r: i for i, r in enumerate(roles)}
    assignments.sort(key=lambda a: order[a.role])
    entries = [
        TreeEntry(
            role=a.role,
            role_label=labels.get(a.role, a.role),
            unit_name=a.org_unit.name if a.org_unit else "",
            person_name=a.person.full_name,
            person_unit=a.person.org_unit.name if a.person.org_unit else "",
            email=_email(a.person),
            person_id=a.person_id,
            unit_id=a.org_unit_id,
            deputies=deputies.get(a.pk, []),
        )
        for a in assignments
    ]
    if not with_people:
        seen: set[tuple[str, int | None]] = set()
        anonymous: list[TreeEntry] = []
        for e in entries:
            if (e.role, e.unit_id) in seen:
                continue
            seen.add((e.role, e.unit_id))
            anonymous.append(
                TreeEntry(
                    role=e.role,
                    role_label=e.role_label,
                    unit_name=e.unit_name,
                    person_name="",
                    person_unit="",
                    email="",
                    person_id=0,
                    unit_id=e.unit_id,
                )
            )
        entries = anonymous
    held: dict[str, set[int | None]] = defaultdict(set)
    for a in assignments:
        held[a.role].add(a.org_unit_id)
    gaps: list[Gap] = []
    for role in roles:
        label = labels.get(role, role)
        kind = UNIT_ROLE_KIND.get(role)
        if kind is not None:
            gaps += [
                Gap(role, label, u.name)
                for u in _units_needing(mid, kind, day)
                if u.pk not in held[role]
            ]
        elif not held[role]:
            gaps.append(Gap(role, label, ""))
    return ContactTree(day=day, entries=entries, gaps=gaps, people_shown=with_people)


def org_snapshot(
    municipality: Municipality | int, roles: list[str] | tuple[str, ...], day: datetime.date
) -> list[list[int | str | None]]:
    """The (role, unit id, person id) triples of the tree on ``day``, sorted (JSON-friendly)."""
    mid = municipality.pk if isinstance(municipality, Municipality) else municipality
    rows = {(a.role, a.org_unit_id, a.person_id) for a in _assignments(mid, list(roles), day)}
    return [list(r) for r in sorted(rows, key=lambda r: (r[0], r[1] or 0, r[2]))]
