"""Every URL pattern of the app, with how to fill in its parameters for access tests.

``ROUTES`` maps a URL name (``namespace:name``) to a function that takes a ``Tenant`` and returns
the URL kwargs pointing at that tenant's objects (``{}`` for routes without parameters). The
tenancy walk (tests/test_tenancy_walk.py) requests every route as a user of one municipality with
the other municipality's objects, and fails when a URL pattern is missing from this table: a new
view must be added here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.factories import Tenant

Kwargs = Callable[[Tenant], dict[str, Any]]


def _none(t: Tenant) -> dict[str, Any]:
    return {}


ROUTES: dict[str, Kwargs] = {
    "web:dashboard": _none,
    "web:coming_soon": lambda t: {"slug": "assets"},
    "web:set_fiscal_year": _none,
    "web:set_municipality": _none,
    "core:org_unit_list": _none,
    "core:org_unit_detail": lambda t: {"pk": t.unit.pk},
    "core:person_list": _none,
    "core:person_detail": lambda t: {"pk": t.other_person.pk},
    "core:role_assignment_list": _none,
    "core:journal_list": _none,
    "policy:basic_policy": _none,
    "login": _none,
    "logout": _none,
    "password_change": _none,
    "password_change_done": _none,
    "set_language": _none,
    "javascript-catalog": _none,
}
