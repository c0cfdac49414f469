"""The asset register's 取扱区分 page and API operations for the route tables."""

from __future__ import annotations

from tests.support.routes import ApiRoute, Data, Kwargs, _none

ROUTES: dict[str, Kwargs] = {
    "assets:handling_categories": _none,
}
POST_DATA: dict[str, Data] = {
    "assets:handling_categories": lambda t: {"form": "use", "use": "example"},
}
API_ROUTES: dict[str, ApiRoute] = {
    "api:get_handling_categories": ApiRoute("GET"),
    "api:put_handling_categories": ApiRoute(
        "PUT", body=lambda t: {"municipality_id": t.municipality.pk, "use": "example"}
    ),
}
