"""End to end through a real Postfix: Internet side → gateway → Postfix → Maildir.

Postfix runs from a temporary folder (``postfix.py``): loopback only, no DNS, no chroot,
``error:`` as the default transport. scripts/test installs Postfix and runs these tests as
their own step (``-m mail``).
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import shutil
import smtplib
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from isms.sanitizer import Policy, QuarantineStore, sanitize_message

from .postfix import Postfix, available, free_port
from .processes import Gateway

pytestmark = [
    pytest.mark.mail,
    pytest.mark.skipif(not available(), reason="needs Postfix and root (scripts/test)"),
]

CORPUS = Path(__file__).resolve().parent.parent / "corpora" / "mail"
SENDER = "sender@internet.test"


class Rig:
    """Postfix plus gateways sharing one port and one quarantine."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.postfix = Postfix(root=root / "postfix", gateway=self.port)
        self.quarantine = root / "quarantine"
        self.gateways: list[Gateway] = []

    def gateway(self) -> Gateway:
        gateway = Gateway(
            port=self.port,
            next_hop=self.postfix.reinject,
            quarantine=self.quarantine,
            log=self.root / f"gateway-{len(self.gateways)}.log",
        )
        self.gateways.append(gateway)
        gateway.start()
        return gateway

    def send(self, raw: bytes, rcpt: str, *, port: int | None = None) -> None:
        with smtplib.SMTP("127.0.0.1", port or self.postfix.inbound, timeout=30) as client:
            client.sendmail(SENDER, [rcpt], raw)

    def store(self) -> QuarantineStore:
        return QuarantineStore(self.quarantine)


@pytest.fixture
def rig() -> Iterator[Rig]:
    root = Path(tempfile.mkdtemp(prefix="isms-mail-"))
    rig = Rig(root)
    rig.postfix.start()
    try:
        yield rig
    finally:
        for gateway in rig.gateways:
            gateway.stop_quietly()
        rig.postfix.stop()
        shutil.rmtree(root, ignore_errors=True)


def corpus_mails() -> list[Path]:
    picked = sorted((CORPUS / "generated-ja").glob("*.eml"))
    picked += sorted((CORPUS / "mime-is-broken" / "hide-content").rglob("*.eml"))[:6]
    picked += [
        CORPUS / "clamav-testfiles" / "clam.mail",
        CORPUS / "spamassassin" / "sample-spam.eml",
    ]
    return [p for p in picked if p.is_file()]


def wait_queue_empty(postfix: Postfix, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not postfix.queue_empty():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"queue not empty:\n{postfix.queue()}\n{postfix.maillog()[-4000:]}"
            )
        time.sleep(0.2)


def body_of(data: bytes) -> bytes:
    """The message after its header (Postfix prepends Received, Return-Path, Delivered-To)."""
    return data.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in data else data.split(b"\n\n", 1)[1]


def receipt(message: email.message.EmailMessage) -> str:
    value = str(message["X-Sanitized"])
    return value.rsplit("id=", 1)[1].strip()


def test_corpus_mail_is_delivered_sanitized_with_the_original_in_quarantine(rig: Rig):
    """Every delivered mail is exactly the engine's output for the stored original."""
    rig.gateway()
    mails = corpus_mails()
    assert len(mails) >= 15
    for i, path in enumerate(mails):
        rig.send(path.read_bytes(), rig.postfix.address(("tanaka", "suzuki")[i % 2]))
    delivered = rig.postfix.wait_delivered(len(mails))
    wait_queue_empty(rig.postfix)
    assert len(delivered) == len(mails)
    store = rig.store()
    ids = list(store.ids())
    assert len(ids) == len(mails)
    by_receipt = {sha[:16]: sha for sha in ids}
    verdicts = set()
    for message in delivered:
        assert not message.is_multipart() or all(
            part.get_content_type() == "text/plain" for part in message.iter_parts()
        )
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "EICAR-STANDARD-ANTIVIRUS-TEST-FILE" not in text
        sha = by_receipt[receipt(message)]
        original = store.original(sha)
        [record] = store.records(sha)
        assert record["envelope"]["sender"] == SENDER
        assert record["envelope"]["recipients"] == [str(message["Delivered-To"])]
        expected = sanitize_message(original, policy=Policy())
        delivered_file = next(
            p
            for p in (rig.postfix.mail / "lgwan.test").rglob("new/*")
            if receipt(email.message_from_bytes(p.read_bytes(), policy=email.policy.default))
            == sha[:16]
        )
        assert body_of(delivered_file.read_bytes()).replace(b"\n", b"\r\n").replace(
            b"\r\r\n", b"\r\n"
        ) == body_of(expected.message)
        assert record["verdict"] == str(expected.verdict)
        verdicts.add(record["verdict"])
        assert hashlib.sha256(original).hexdigest() == sha
    assert verdicts == {"sanitized", "held"}


def test_gateway_down_defers_mail_and_flush_delivers_it_after_restart(rig: Rig):
    """Mail waits in Postfix's queue while the gateway is down, then arrives."""
    rig.send(b"Subject: before\r\n\r\nnot yet\r\n", rig.postfix.address("sato"))
    deadline = time.monotonic() + 30
    queue = rig.postfix.queue()
    while "Connection refused" not in queue and time.monotonic() < deadline:
        time.sleep(0.2)
        queue = rig.postfix.queue()
    assert "Connection refused" in queue
    assert "sato@lgwan.test" in queue
    assert rig.postfix.delivered() == []
    rig.gateway()
    rig.postfix.flush()
    [message] = rig.postfix.wait_delivered(1, timeout=30)
    assert str(message["Subject"]).endswith("before")
    assert str(message["X-Sanitized"]).startswith("verdict=sanitized")
    wait_queue_empty(rig.postfix)


def test_kill_9_under_load_loses_nothing(rig: Rig):
    """Two gateways; one is killed with SIGKILL mid-stream and restarted: sent = delivered."""
    first = rig.gateway()
    rig.gateway()
    held = (CORPUS / "generated-ja" / "ja06-nested-mixed-attachments.eml").read_bytes()
    total = 60
    sent: set[str] = set()

    def load() -> None:
        for i in range(total):
            message_id = f"<load-{i}@internet.test>"
            if i % 5 == 0:
                raw = held.replace(b"Message-ID: <ja06.20261120@vendor.example.co.jp>", b"")
                raw = f"Message-ID: {message_id}\r\n".encode() + raw
            else:
                raw = (
                    f"Message-ID: {message_id}\r\nSubject: load {i}\r\n"
                    "Content-Type: text/plain; charset=UTF-8\r\n\r\n"
                    f"本文 {i} https://example.jp/\r\n"
                ).encode()
            rig.send(raw, rig.postfix.address(("tanaka", "suzuki", "sato")[i % 3]))
            sent.add(message_id)

    sender = threading.Thread(target=load)
    sender.start()
    while len(sent) < total // 3 and sender.is_alive():
        time.sleep(0.01)
    first.kill()
    time.sleep(0.5)
    rig.gateway()
    sender.join(timeout=120)
    assert len(sent) == total
    rig.postfix.flush()
    delivered = rig.postfix.wait_delivered(total, timeout=90)
    wait_queue_empty(rig.postfix, timeout=90)
    delivered = rig.postfix.delivered()
    ids = [str(m["Message-ID"]) for m in delivered]
    notices = [m for m in delivered if str(m["X-Sanitized"]).startswith("verdict=held")]
    assert set(ids) == sent
    assert len(notices) == total // 5
    assert all(b"vbaProject" not in m.as_bytes() for m in delivered)
    assert len(set(ids)) == len(notices) + len(
        {str(m["Message-ID"]) for m in delivered if m not in notices}
    )
