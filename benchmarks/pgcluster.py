"""A throw-away PostgreSQL 15 cluster, started the way ``scripts/test`` starts one.

``initdb`` and ``pg_ctl`` refuse to run as root, so as root they run as the ``postgres`` user
(``runuser -u postgres``), in a temporary folder, on a free local port; the cluster is stopped
and its folder removed on exit. Unlike the test cluster, this one keeps PostgreSQL's defaults
(``fsync``, ``synchronous_commit`` on): commit latency is part of what the journal benchmark
measures.

    with throwaway_cluster() as server:
        url = server.create_database("isms_bench")
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("ISMS_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@dataclass(frozen=True)
class Server:
    """A running PostgreSQL server reachable as the ``postgres`` superuser without password."""

    host: str
    port: int

    def url(self, database: str) -> str:
        return f"postgres://postgres@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create (or re-create) an empty database and return its DATABASE_URL."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def settings(self) -> dict[str, str]:
        """Return the server settings that matter for the figures."""
        import psycopg

        names = (
            "server_version",
            "fsync",
            "synchronous_commit",
            "shared_buffers",
            "work_mem",
            "max_connections",
        )
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            return {n: str(conn.execute(f"SHOW {n}").fetchone()[0]) for n in names}


@contextmanager
def throwaway_cluster(*, keep: bool = False) -> Iterator[Server]:
    """Start a new cluster in a temporary folder; stop and remove it afterwards."""
    if not (PG_BIN / "initdb").exists():
        raise SystemExit(f"PostgreSQL 15 is not installed ({PG_BIN}/initdb missing)")
    folder = Path(tempfile.mkdtemp(prefix="isms-bench-pg."))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data, log = folder / "data", folder / "log"
    port = _free_port()
    subprocess.run(
        _as_postgres(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=100"
    subprocess.run(
        _as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o", options, "start"]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        yield Server("127.0.0.1", port)
    finally:
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
