from __future__ import annotations

import pytest

from isms.core.roles import Role
from tests.support.factories import make_user


@pytest.fixture
def manager(tsuru):  # type: ignore[no-untyped-def]
    """The 情報セキュリティ管理者 of 都留市's 総務課."""
    return make_user(
        tsuru.municipality, "manager", roles=(Role.DIVISION_SECURITY_MANAGER,), unit=tsuru.unit
    )


@pytest.fixture
def ciso(tsuru):  # type: ignore[no-untyped-def]
    return make_user(tsuru.municipality, "ciso", roles=(Role.CISO,), unit=tsuru.bureau)
