from __future__ import annotations

import pytest
from django.utils import translation

from isms.core.roles import Role
from tests.support.factories import make_user


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    """Services called outside a request speak English here, like the pages (conftest)."""
    with translation.override("en"):
        yield


@pytest.fixture
def manager(tsuru):  # type: ignore[no-untyped-def]
    """The 情報セキュリティ管理者 of 都留市's 総務課."""
    return make_user(
        tsuru.municipality, "manager", roles=(Role.DIVISION_SECURITY_MANAGER,), unit=tsuru.unit
    )
