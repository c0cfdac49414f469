"""The classification core stands alone: it never imports Django."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import isms.assets.classification

PACKAGE = Path(isms.assets.classification.__file__).resolve().parent


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
    """Every import statement in src/isms/assets/classification names a module outside Django."""
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            n for n in _imported_modules(path) if n.split(".")[0] == "django"
        )
        for path in PACKAGE.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_package_imports_only_django_free_project_modules():
    """Project modules the package imports (e.g. isms.core.kana) are themselves Django-free."""
    project = sorted(
        {
            name
            for path in PACKAGE.rglob("*.py")
            for name in _imported_modules(path)
            if name.startswith("isms.") and not name.startswith("isms.assets.classification")
        }
    )
    assert project == ["isms.core.kana"]


def test_importing_and_running_the_engine_loads_no_django_module():
    """A fresh interpreter that loads every data file and runs each function loads no django."""
    code = (
        "import sys\n"
        "from isms.assets import classification as c\n"
        "for s in c.BUILTIN_SCHEMES: c.derive_handling(c.get_scheme(s).classification("
        "c.get_scheme(s).confidentiality.class_ids[0], '2', '2'))\n"
        "c.default_handling_categories('r6_10'); c.default_questions()\n"
        "c.migrate_classification(c.Classification('pre_r6', '3', '2', '2'))\n"
        "c.check_asset(c.AssetFacts()); c.decide_scope(facility='school', purpose='teaching')\n"
        "c.likely_duplicates([('1', 'a', 'b', 'c'), ('2', 'A', 'b', 'c')])\n"
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_package_docstring_example_runs():
    """The example in the package docstring gives the outputs it shows."""
    import doctest

    result = doctest.testmod(isms.assets.classification)
    assert (result.attempted, result.failed) == (6, 0)
