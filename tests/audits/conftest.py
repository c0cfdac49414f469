from __future__ import annotations

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    """Services called outside a request speak English here, like the pages (conftest)."""
    with translation.override("en"):
        yield


@pytest.fixture
def world(tsuru):  # type: ignore[no-untyped-def]
    """都留市 with an approved audit plan: one audit of 総務課 by an auditor of 監査室."""
    from tests.audits.factories import audit_world

    return audit_world(tsuru)


@pytest.fixture
def other_world(kofu):  # type: ignore[no-untyped-def]
    from tests.audits.factories import audit_world

    return audit_world(kofu)
