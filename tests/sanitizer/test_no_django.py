"""The engine never imports Django: neither directly, nor through anything it imports."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import isms.sanitizer

PACKAGE = Path(isms.sanitizer.__file__).resolve().parent


def test_importing_every_sanitizer_module_loads_no_django():
    """A fresh interpreter importing every module of isms.sanitizer has no django module loaded."""
    modules = [m.name for m in pkgutil.walk_packages([str(PACKAGE)], "isms.sanitizer.")]
    modules = [m for m in modules if m != "isms.sanitizer.__main__"]
    code = (
        "import importlib, json, sys\n"
        f"for name in {['isms.sanitizer', *modules]!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'django')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(done.stdout) == []
    assert "isms.sanitizer.cli" in modules


def test_no_sanitizer_source_names_django():
    """No import statement in the engine's sources mentions django."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "django"]
    assert offenders == []
