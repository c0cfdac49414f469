"""The administrator's daily digest from the quarantine metadata."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from pathlib import Path

from isms.sanitizer import Policy, QuarantineStore, sanitize_message
from isms.sanitizer.cli import EXIT_OK, EXIT_TEMPFAIL, EXIT_USAGE, main
from isms.sanitizer.digest import build_digest, digest_message

from .conftest import Sink
from .postfix import free_port
from .test_smtp import HELD, RAW

JST = dt.timezone(dt.timedelta(hours=9))


def fill(root: Path) -> QuarantineStore:
    store = QuarantineStore(root)
    for raw, at in (
        (RAW, dt.datetime(2026, 11, 25, 8, 0, tzinfo=JST)),
        (HELD, dt.datetime(2026, 11, 25, 23, 59, tzinfo=JST)),
        (HELD.replace(b"exe", b"exe2"), dt.datetime(2026, 11, 26, 0, 1, tzinfo=JST)),
    ):
        result = sanitize_message(raw, policy=Policy())
        store.store(raw, result, received_at=at, sender="s@internet.test", recipients=["t@x"])
    return store


def test_digest_counts_one_japan_day_and_lists_held_mail(tmp_path: Path):
    digest = build_digest(fill(tmp_path), dt.date(2026, 11, 25))
    assert digest.total == 2
    assert digest.verdicts == {"sanitized": 1, "held": 1}
    assert digest.reasons == {"executable": 1, "links_defanged": 1}
    [held] = digest.held
    assert held["time"] == "23:59:00"
    assert held["sender"] == "s@internet.test"
    assert held["recipients"] == ["t@x"]
    assert held["subject"] == "exe"
    text = digest.text()
    assert text.startswith("無害化ゲートウェイ日報 2026-11-25（日本時間）\n\n")
    assert "受信: 2 通（無害化して配信 1 通、保留 1 通）" in text
    assert f"  {held['receipt']}  23:59:00  s@internet.test → t@x  「exe」  " in text


def test_digest_mail_is_utf8_plain_text(tmp_path: Path):
    digest = build_digest(fill(tmp_path), dt.date(2026, 11, 25))
    data = digest_message(digest, to="admin@lgwan.test", now=dt.datetime(2026, 11, 26, tzinfo=JST))
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert message["Subject"] == "【無害化】日報 2026-11-25"
    assert message.get_content_type() == "text/plain"
    assert message.get_content().replace("\r\n", "\n") == digest.text()


def test_digest_command_prints_and_mails(tmp_path: Path, sink: Sink, capsys):
    fill(tmp_path / "q")
    assert main(["digest", "--quarantine", str(tmp_path / "q"), "--date", "2026-11-26"]) == 0
    assert "受信: 1 通（無害化して配信 0 通、保留 1 通）" in capsys.readouterr().out
    argv = ["digest", "--quarantine", str(tmp_path / "q"), "--date", "2026-11-25"]
    assert main(
        [*argv, "--mail-to", "admin@lgwan.test", "--next-hop", f"127.0.0.1:{sink.port}"]
    ) == (EXIT_OK)
    [(sender, rcpts, _data)] = sink.received
    assert (sender, rcpts) == ("<>", ["admin@lgwan.test"])
    down = f"127.0.0.1:{free_port()}"
    assert main([*argv, "--mail-to", "a@lgwan.test", "--next-hop", down]) == EXIT_TEMPFAIL
    assert capsys.readouterr().err.startswith("error: the digest was not sent: ConnectionRefused")
    assert main([*argv, "--date", "25/11"]) == EXIT_USAGE
    assert capsys.readouterr().err == "error: --date '25/11': expected YYYY-MM-DD\n"
