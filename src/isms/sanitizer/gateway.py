"""``isms sanitize serve``: run the SMTP gateway (lifecycle, signals, logs); no aiosmtpd here.

One process serves many connections (asyncio) and sanitizes in a few worker threads. Several
processes can listen on the same address side by side (``SO_REUSEPORT``; the kernel spreads
Postfix's connections over them), so Postfix's ``maxproc`` for the filter transport can be
matched by processes. SIGTERM (or SIGINT) closes the listening socket, answers 421 to any new
DATA, waits for the messages in progress (up to ``drain_seconds``), then exits 0.

Logs are JSON lines on stderr: ``{"ts", "level", "event", "pid", ...}``; one ``message`` line
per message with its Message-ID, SHA-256, verdict, holding reasons, reply code and time.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import os
import signal
import socket
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from .policy import Policy
from .quarantine import QuarantineStore
from .relay import NextHop
from .smtp import SanitizingHandler, smtp_factory

__all__ = [
    "DEFAULT_LISTEN",
    "DEFAULT_NEXT_HOP",
    "AddressError",
    "GatewayOptions",
    "JsonLineFormatter",
    "parse_address",
    "serve",
]

DEFAULT_LISTEN = "127.0.0.1:10025"
DEFAULT_NEXT_HOP = "127.0.0.1:10026"
"""The customary after-queue filter ports (Postfix FILTER_README, amavisd-new)."""
DATA_SIZE_FACTOR = 2
"""Accept up to twice the policy's message size, so larger mail is held (with a notice),
not refused by the SMTP layer (which would bounce it)."""
LISTEN_BACKLOG = 100

logger = logging.getLogger("isms.sanitizer.gateway")


class AddressError(ValueError):
    """A ``HOST:PORT`` option that cannot be used; the message says how to fix it."""


def parse_address(text: str, *, option: str, loopback_only: bool = False) -> tuple[str, int]:
    """Parse ``HOST:PORT`` or ``[IPv6]:PORT``; with ``loopback_only`` refuse other addresses."""
    host, sep, port_text = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise AddressError(f"{option} {text!r}: expected HOST:PORT such as {DEFAULT_LISTEN}")
    if loopback_only:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise AddressError(
                f"{option} {text!r}: the gateway re-injects mail to a trusted port, so it "
                "listens on a loopback address only (127.0.0.1 or ::1)"
            )
    return host, int(port_text)


@dataclass(frozen=True, kw_only=True)
class GatewayOptions:
    """Everything ``serve`` needs."""

    listen: tuple[str, int]
    next_hop: tuple[str, int]
    quarantine: Path
    policy: Policy
    threads: int = 2
    drain_seconds: float = 60.0
    hostname: str = "isms-sanitizer.localhost"


class JsonLineFormatter(logging.Formatter):
    """One JSON object per line; ``extra={"fields": {...}}`` adds fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "pid": record.process,
            "event": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            data.update(fields)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def configure_logging(stream: TextIO | None = None) -> None:
    """Send the gateway's logs (and aiosmtpd's warnings) as JSON lines to ``stream``."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLineFormatter())
    for name, level in (("isms.sanitizer.gateway", logging.INFO), ("mail.log", logging.WARNING)):
        log = logging.getLogger(name)
        log.handlers[:] = [handler]
        log.setLevel(level)
        log.propagate = False


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if hasattr(socket, "SO_REUSEPORT"):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(LISTEN_BACKLOG)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


async def _serve(options: GatewayOptions) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    store = QuarantineStore(options.quarantine)
    host, port = options.next_hop
    executor = ThreadPoolExecutor(max_workers=options.threads, thread_name_prefix="sanitize")
    handler = SanitizingHandler(
        policy=options.policy,
        store=store,
        next_hop=NextHop(host=host, port=port, helo=options.hostname),
        executor=executor,
    )
    factory = smtp_factory(
        handler,
        hostname=options.hostname,
        data_size_limit=options.policy.limits.message_bytes * DATA_SIZE_FACTOR,
    )
    sock = _listening_socket(*options.listen)
    server = await loop.create_server(factory, sock=sock)
    bound = sock.getsockname()
    logger.info(
        "started",
        extra={
            "fields": {
                "listen": f"{bound[0]}:{bound[1]}",
                "next_hop": f"{host}:{port}",
                "quarantine": str(options.quarantine),
                "threads": options.threads,
            }
        },
    )
    await stop.wait()
    handler.closing = True
    server.close()
    logger.info("stopping", extra={"fields": {"in_flight": handler.in_flight}})
    deadline = loop.time() + options.drain_seconds
    while handler.in_flight and loop.time() < deadline:
        await asyncio.sleep(0.05)
    left = handler.in_flight
    executor.shutdown(wait=left == 0, cancel_futures=True)
    logger.info("stopped", extra={"fields": {"abandoned": left}})
    return 0


def serve(options: GatewayOptions) -> int:
    """Run the gateway until SIGTERM or SIGINT; return the exit status."""
    configure_logging()
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(_serve(options))
    return 0


def quarantine_default() -> Path | None:
    """``$ISMS_DATA_DIR/quarantine`` when ``ISMS_DATA_DIR`` is set, else None."""
    data = os.environ.get("ISMS_DATA_DIR")
    return Path(data) / "quarantine" if data else None
