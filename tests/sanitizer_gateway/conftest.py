"""Fixtures for the gateway: a next-hop sink (unit tests) and Postfix plus gateways (mail)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from .postfix import free_port


@dataclass
class Sink:
    """A next hop that records what it received and answers ``reply``."""

    port: int
    reply: str = "250 2.0.0 Ok"
    delay: float = 0.0
    started: int = 0
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.started += 1
        await asyncio.sleep(self.delay)
        with self.lock:
            self.received.append(
                (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)  # type: ignore[attr-defined]
            )
        return self.reply


@pytest.fixture
def sink() -> Iterator[Sink]:
    sink = Sink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def quarantine_dir(tmp_path: Path) -> Path:
    return tmp_path / "quarantine"
