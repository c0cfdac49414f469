"""The engine stands alone: it never imports Django, and it runs on CUDD."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import isms.segments
from isms.segments import _bdd
from isms.segments.space import Space

PACKAGE = Path(isms.segments.__file__).resolve().parent


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(str(node.args[0].value))
    return names


def test_no_module_of_the_package_imports_django():
    """Every import statement in src/isms/segments names a module outside Django."""
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            n for n in _imported_modules(path) if n.split(".")[0] == "django"
        )
        for path in PACKAGE.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_importing_and_running_the_engine_loads_no_django_module():
    """A fresh interpreter that imports the package and runs the CLI loads no django module."""
    code = (
        "import io, sys\n"
        "import isms.segments, isms.segments.cli\n"
        "isms.segments.cli.main(['schema'], stdout=io.StringIO())\n"
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_bdd_backend_is_cudd():
    """The binary wheel's CUDD extension is the backend; the pure-Python fallback is not in use."""
    assert _bdd.BACKEND == "dd.cudd"
    assert isms.segments.BACKEND == "dd.cudd"
    assert type(Space(zone_count=2).bdd).__module__ == "dd.cudd"


def test_automatic_reordering_is_off():
    """The engine relies on its own variable order, so CUDD must not reorder."""
    space = Space(zone_count=2)
    assert space.bdd.configure()["reordering"] is False
