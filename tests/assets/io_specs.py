"""Access specs of the asset register's import/export pages, run by tests/test_web_access.py."""

from __future__ import annotations

from tests.support.access import AccessSpec

SPECS: list[AccessSpec] = []
