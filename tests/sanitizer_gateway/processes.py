"""Start, stop and kill ``isms sanitize serve`` processes for the tests."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


class Gateway:
    """One gateway process (``python -m isms.sanitizer serve``) logging to ``log``."""

    def __init__(self, *, port: int, next_hop: int, quarantine: Path, log: Path) -> None:
        self.port = port
        self.next_hop = next_hop
        self.quarantine = quarantine
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "isms.sanitizer",
            "serve",
            "--listen",
            f"127.0.0.1:{self.port}",
            "--next-hop",
            f"127.0.0.1:{self.next_hop}",
            "--quarantine",
            str(self.quarantine),
            "--drain-seconds",
            "20",
        ]
        before = len(self.lines())
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=out)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if any(line.get("event") == "started" for line in self.lines()[before:]):
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"gateway exited: {self.log.read_text(errors='replace')}")
            time.sleep(0.05)
        raise RuntimeError("gateway did not start")

    def terminate(self) -> int:
        """SIGTERM and wait; return the exit status."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)

    def kill(self) -> None:
        """SIGKILL (kill -9) and reap."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=30)

    def stop_quietly(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def lines(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        out = []
        for text in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                out.append(json.loads(text))
            except ValueError:
                out.append({"event": "non-json", "text": text})
        return out


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
