"""One report's mail sent through a real SMTP server (aiosmtpd on 127.0.0.1, a free port)."""

from __future__ import annotations

import socket
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from isms.incidents import services


class Sink:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_sink():  # type: ignore[no-untyped-def]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield sink, controller.port
    finally:
        controller.stop()


def test_the_report_is_mailed_through_the_configured_smtp_server(
    tsuru, chain, smtp_sink, django_capture_on_commit_callbacks
):
    sink, port = smtp_sink
    with (
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        incident = services.report_incident(
            tsuru.staff, tsuru.municipality, title="不審メール", description="添付を開いた"
        )
    assert len(sink.messages) == 1
    rcpts, raw = sink.messages[0]
    assert set(rcpts) == {
        "madoguchi@tsuru.example",
        "manager@tsuru.example",
        "csirt@tsuru.example",
    }
    message = message_from_bytes(raw)
    assert incident.number in str(make_header(decode_header(message["Subject"])))
    body = message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")
    assert "ISMSにログインして" in body
    assert "添付を開いた" not in body  # the mail never carries the report's content
