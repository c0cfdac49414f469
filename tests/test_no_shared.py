"""The suite must pass from a plain clone: nothing may read ../shared/."""

from pathlib import Path

import pytest

from tests.conftest import SHARED, SharedFolderRead

ROOT = Path(__file__).resolve().parent.parent


def test_opening_a_file_under_shared_fails():
    """The audit hook refuses any open() below ../shared/, existing or not."""
    with pytest.raises(SharedFolderRead):
        open(SHARED / "README.md")  # noqa: SIM115


def test_no_source_or_test_names_the_shared_folder():
    """No test or source file refers to ../shared/ by path."""
    offenders = []
    for base in ("src", "tests", "benchmarks"):
        for path in (ROOT / base).rglob("*.py"):
            if path.name == "test_no_shared.py" or path.name == "conftest.py":
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            if "../shared" in text or "/work/shared" in text:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
