"""Compiled translation catalogs for tests that read Japanese or English page text."""

from __future__ import annotations

from isms.i18n import compile_catalogs


def ensure_compiled() -> None:
    """Compile ``.po`` files whose ``.mo`` is stale and make Django reload its catalogs.

    ``scripts/setup`` compiles them too; this keeps a test run right after editing a ``.po``.
    """
    if compile_catalogs():
        from django.utils.translation import trans_real

        trans_real._translations = {}
        trans_real._active = trans_real.Local()
        trans_real._default = None
