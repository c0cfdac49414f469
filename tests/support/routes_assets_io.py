"""The asset register's import/export pages and API operations for the route tables."""

from __future__ import annotations

from tests.support.routes import ApiRoute, Data, Kwargs

ROUTES: dict[str, Kwargs] = {}
POST_DATA: dict[str, Data] = {}
API_ROUTES: dict[str, ApiRoute] = {}
