from __future__ import annotations

import pytest

from tests.incidents_plan.factories import Org, make_org


@pytest.fixture
def org(tsuru) -> Org:  # type: ignore[no-untyped-def]
    """都留市 with its CISO, committee chair, lead, staff and two 課."""
    return make_org(tsuru)


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    """Services answer in the active language: these tests read the English messages."""
    from django.utils import translation

    with translation.override("en"):
        yield
