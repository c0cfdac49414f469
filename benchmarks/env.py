"""Django setup for benchmark steps, which run against a database named by the environment.

A step never falls back to the developer's database in ``./var``: it refuses to run unless
``DATABASE_URL`` (PostgreSQL) or ``ISMS_DATA_DIR`` (SQLite in that folder) is set. The harness
(:mod:`benchmarks.run`) sets them for each step.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

SECRET_KEY = "benchmark-only-not-secret"


def setup() -> None:
    """Configure and start Django for a benchmark step (no test mode: production settings)."""
    if not os.environ.get("DATABASE_URL") and not os.environ.get("ISMS_DATA_DIR"):
        sys.exit(
            "benchmarks: set DATABASE_URL (PostgreSQL) or ISMS_DATA_DIR (a scratch folder for "
            "SQLite); the benchmarks never touch the database in ./var"
        )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "isms.settings")
    os.environ.setdefault("ISMS_SECRET_KEY", SECRET_KEY)
    # Production settings, except that the benchmark's own process must not run Huey tasks.
    os.environ.pop("ISMS_TESTING", None)
    import django

    django.setup()


def database_label() -> str:
    """Return 'postgresql 15.x' or 'sqlite 3.x' for the current connection."""
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SHOW server_version")
            return f"postgresql {cur.fetchone()[0].split()[0]}"
        cur.execute("SELECT sqlite_version()")
        return f"sqlite {cur.fetchone()[0]}"


def migrate() -> None:
    """Bring the benchmark database to the current schema."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def write_json(path: str | None, data: dict[str, Any]) -> None:
    """Write a step's results (for the harness), or print them when no path is given."""
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    if path:
        Path(path).write_text(text, encoding="utf-8")
    else:
        print(text)
