"""The asset register's pages and API operations for the route tables (see routes.py).

Owned by the register's pages and API; ``routes_assets_io.py`` holds its import/export pages.
"""

from __future__ import annotations

from tests.support.routes import ApiRoute, Data, Kwargs

ROUTES: dict[str, Kwargs] = {}
POST_DATA: dict[str, Data] = {}
API_ROUTES: dict[str, ApiRoute] = {}
