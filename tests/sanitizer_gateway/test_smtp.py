"""The gateway's handler and lifecycle without Postfix: replies, durability order, signals."""

from __future__ import annotations

import hashlib
import smtplib
import threading
import time
from pathlib import Path

import pytest

from isms.sanitizer import Policy, QuarantineStore
from isms.sanitizer.cli import EXIT_USAGE, main
from isms.sanitizer.relay import NextHop
from isms.sanitizer.smtp import (
    REPLY_NEXT_HOP_REJECTED,
    REPLY_NEXT_HOP_TEMPFAIL,
    REPLY_TEMPFAIL,
    SanitizingHandler,
)

from .conftest import Sink
from .postfix import free_port
from .processes import Gateway, listening

RAW = (
    b"From: sender@internet.test\r\nTo: tanaka@lgwan.test\r\nSubject: test\r\n"
    b"Message-ID: <m1@internet.test>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
    b"hello https://example.jp/\r\n"
)
HELD = (
    b"From: sender@internet.test\r\nTo: tanaka@lgwan.test\r\nSubject: exe\r\n"
    b"Message-ID: <m2@internet.test>\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
    b"Content-Type: text/plain\r\n\r\nsee attachment\r\n--b\r\n"
    b"Content-Type: application/octet-stream\r\n"
    b'Content-Disposition: attachment; filename="run.exe"\r\n'
    b"Content-Transfer-Encoding: base64\r\n\r\n"
    b"TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAA=\r\n--b--\r\n"
)


def handler(store_root: Path, port: int) -> SanitizingHandler:
    return SanitizingHandler(
        policy=Policy(),
        store=QuarantineStore(store_root),
        next_hop=NextHop(host="127.0.0.1", port=port, timeout=10),
    )


def test_accepts_after_relaying_the_sanitized_message_and_storing_the_original(
    sink: Sink, quarantine_dir: Path
):
    """250 with the receipt; the next hop got the sanitized bytes; the original is stored."""
    outcome = handler(quarantine_dir, sink.port).process(RAW, "s@internet.test", ["t@lgwan.test"])
    sha = hashlib.sha256(RAW).hexdigest()
    assert outcome.reply == f"250 2.0.0 Ok: sanitized as {sha[:16]} (sanitized)"
    assert outcome.verdict == "sanitized"
    assert outcome.message_id == "<m1@internet.test>"
    [(sender, rcpts, data)] = sink.received
    assert (sender, rcpts) == ("s@internet.test", ["t@lgwan.test"])
    assert b"X-Sanitized: verdict=sanitized" in data
    assert data != RAW
    store = QuarantineStore(quarantine_dir)
    assert store.original(sha) == RAW
    [record] = store.records(sha)
    assert record["envelope"] == {"sender": "s@internet.test", "recipients": ["t@lgwan.test"]}
    assert record["quarantine_id"] == sha


def test_held_message_relays_the_notice(sink: Sink, quarantine_dir: Path):
    """A held message is accepted; the recipient gets the notice, never the executable."""
    outcome = handler(quarantine_dir, sink.port).process(HELD, "", ["t@lgwan.test"])
    assert outcome.reply.startswith("250 2.0.0 Ok: sanitized as ")
    assert outcome.reply.endswith("(held)")
    assert outcome.holds == ("executable",)
    [(sender, _rcpts, data)] = sink.received
    assert sender == "<>"  # the null sender, as aiosmtpd records it
    assert b"TVqQ" not in data
    assert b"X-Sanitized: verdict=held" in data


def test_unwritable_quarantine_answers_4xx_and_relays_nothing(sink: Sink, tmp_path: Path):
    """If the original cannot be stored, nothing goes to the next hop and Postfix retries."""
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    outcome = handler(blocker / "q", sink.port).process(RAW, "s@x.test", ["t@lgwan.test"])
    assert outcome.reply == REPLY_TEMPFAIL
    assert outcome.reply.startswith("451 4.3.0 ")
    assert "QuarantineError" in (outcome.error or "")
    assert sink.received == []


def test_next_hop_down_answers_4xx(quarantine_dir: Path):
    """No next hop listening: 451, the original is stored all the same (retries dedupe)."""
    outcome = handler(quarantine_dir, free_port()).process(RAW, "s@x.test", ["t@lgwan.test"])
    assert outcome.reply == REPLY_NEXT_HOP_TEMPFAIL
    assert outcome.reply.startswith("451 4.4.2 ")


def test_next_hop_temporary_refusal_answers_4xx(sink: Sink, quarantine_dir: Path):
    sink.reply = "452 4.3.1 Insufficient system storage"
    outcome = handler(quarantine_dir, sink.port).process(RAW, "s@x.test", ["t@lgwan.test"])
    assert outcome.reply == REPLY_NEXT_HOP_TEMPFAIL


def test_next_hop_permanent_refusal_is_passed_on(sink: Sink, quarantine_dir: Path):
    """A 5xx for the whole message is passed on (Postfix bounces it to the sender)."""
    sink.reply = "554 5.7.1 Rejected by policy"
    outcome = handler(quarantine_dir, sink.port).process(RAW, "s@x.test", ["t@lgwan.test"])
    assert outcome.reply == REPLY_NEXT_HOP_REJECTED.format(detail="554 5.7.1 Rejected by policy")


def test_a_bug_in_the_engine_answers_4xx(sink: Sink, quarantine_dir: Path, monkeypatch):
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr("isms.sanitizer.smtp.sanitize_message", boom)
    outcome = handler(quarantine_dir, sink.port).process(RAW, "s@x.test", ["t@lgwan.test"])
    assert outcome.reply == REPLY_TEMPFAIL
    assert sink.received == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["serve", "--listen", "0.0.0.0:10025", "--quarantine", "q"],
            "error: --listen '0.0.0.0:10025': the gateway re-injects mail to a trusted port, "
            "so it listens on a loopback address only (127.0.0.1 or ::1)\n",
        ),
        (
            ["serve", "--listen", "localhost", "--quarantine", "q"],
            "error: --listen 'localhost': expected HOST:PORT such as 127.0.0.1:10025\n",
        ),
        (
            ["serve", "--next-hop", "127.0.0.1:0", "--quarantine", "q"],
            "error: --next-hop '127.0.0.1:0': expected HOST:PORT such as 127.0.0.1:10025\n",
        ),
    ],
)
def test_serve_refuses_bad_addresses(argv, message, capsys):
    assert main(argv) == EXIT_USAGE
    assert capsys.readouterr().err == message


def test_serve_needs_a_quarantine(capsys, monkeypatch):
    monkeypatch.delenv("ISMS_DATA_DIR", raising=False)
    assert main(["serve"]) == EXIT_USAGE
    assert capsys.readouterr().err == (
        "error: serve needs --quarantine DIR (or ISMS_DATA_DIR): originals are kept\n"
    )


def send(port: int, raw: bytes, rcpt: str = "t@lgwan.test") -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.sendmail("s@internet.test", [rcpt], raw)


def test_two_processes_share_a_port(sink: Sink, tmp_path: Path):
    """Two gateways listen on one port side by side (SO_REUSEPORT) and both serve."""
    port = free_port()
    gateways = [
        Gateway(port=port, next_hop=sink.port, quarantine=tmp_path / "q", log=tmp_path / f"{i}")
        for i in range(2)
    ]
    try:
        for gateway in gateways:
            gateway.start()
        for i in range(10):
            send(port, RAW.replace(b"hello", b"hello %d" % i))
        assert len(sink.received) == 10
        for gateway in gateways:
            assert gateway.terminate() == 0
        messages = [line for g in gateways for line in g.lines() if line["event"] == "message"]
        assert len(messages) == 10
        assert {m["reply"] for m in messages} == {"250"}
        assert {m["verdict"] for m in messages} == {"sanitized"}
    finally:
        for gateway in gateways:
            gateway.stop_quietly()


def test_sigterm_finishes_the_message_in_progress(sink: Sink, tmp_path: Path):
    """SIGTERM while a message waits on the next hop: it is still answered 250, exit 0."""
    port = free_port()
    gateway = Gateway(port=port, next_hop=sink.port, quarantine=tmp_path / "q", log=tmp_path / "l")
    sink.delay = 1.0
    errors: list[Exception] = []

    def deliver() -> None:
        try:
            send(port, HELD)
        except Exception as exc:
            errors.append(exc)

    try:
        gateway.start()
        sender = threading.Thread(target=deliver)
        sender.start()
        deadline = time.monotonic() + 20
        while not sink.started and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sink.started == 1
        assert gateway.terminate() == 0
        sender.join(timeout=30)
        assert errors == []
        assert len(sink.received) == 1
        assert not listening(port)
        lines = gateway.lines()
        assert [line["event"] for line in lines] == ["started", "stopping", "message", "stopped"]
        assert lines[1]["in_flight"] == 1
        assert lines[2]["reply"] == "250"
        assert lines[2]["verdict"] == "held"
        assert lines[2]["holds"] == ["executable"]
        assert lines[2]["message_id"] == "<m2@internet.test>"
        assert lines[3]["abandoned"] == 0
    finally:
        gateway.stop_quietly()


def test_serve_refuses_a_quarantine_it_cannot_create(tmp_path: Path, capsys):
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    assert main(["serve", "--quarantine", str(blocker / "q")]) == EXIT_USAGE
    assert capsys.readouterr().err == (
        f"error: cannot create the quarantine folder {blocker / 'q'}: Not a directory\n"
    )
