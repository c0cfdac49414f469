"""Shared test setup.

The project must pass from a plain clone, where ``../shared/`` does not exist; an audit hook
makes any attempt to open a file there fail loudly (``tests/test_no_shared.py`` proves it).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED = (PROJECT_ROOT.parent / "shared").resolve()


class SharedFolderRead(RuntimeError):
    """A test tried to read ../shared/, which a plain clone does not have."""


def _guard_shared(event: str, args: tuple[object, ...]) -> None:
    if event in ("open", "os.listdir", "os.scandir") and args:
        target = args[0]
        if isinstance(target, (str, bytes, os.PathLike)):
            path = os.fsdecode(target)
            if path and os.path.realpath(path).startswith(str(SHARED) + os.sep):
                raise SharedFolderRead(f"tests must not read {path}: copy it into tests/corpora/")


sys.addaudithook(_guard_shared)

os.environ.setdefault("ISMS_TESTING", "1")


import pytest  # noqa: E402


@pytest.fixture
def tsuru(db):  # type: ignore[no-untyped-def]
    """都留市 with a unit, staff, a lead security officer and an administrator."""
    from tests.support.factories import make_tenant

    return make_tenant("192040", "都留市")


@pytest.fixture
def kofu(db):  # type: ignore[no-untyped-def]
    """甲府市: the other municipality, for tenancy tests."""
    from tests.support.factories import make_tenant

    return make_tenant("192015", "甲府市")
