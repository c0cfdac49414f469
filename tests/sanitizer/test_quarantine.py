"""The quarantine store: content-addressed originals, durable writes, metadata, retention."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from datetime import UTC, datetime, timedelta

import pytest

from isms.sanitizer import Policy, QuarantineError, QuarantineStore, Verdict, sanitize_message

from .conftest import CORPUS, mail

RECEIVED = datetime(2026, 11, 20, 0, 30, tzinfo=UTC)


def test_original_and_metadata_are_stored_before_the_result_returns(tmp_path, monkeypatch):
    """The original is stored byte-for-byte, fsynced with its folder, with JSON metadata."""
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    raw = (CORPUS / "generated-ja/ja08-tnef-winmail.eml").read_bytes()
    store = QuarantineStore(tmp_path / "q", retention_days=30)
    result = sanitize_message(raw, policy=Policy(), quarantine=store, received_at=RECEIVED)
    sha = hashlib.sha256(raw).hexdigest()
    assert (
        result.quarantine_id
        == sha
        == "41578bab9351ea58b8ec67f83bbcf94d1ea2248e0f4b7f591e6576d7f248ecbf"
    )
    folder = tmp_path / "q" / sha[:2] / sha
    assert (folder / "original.eml").read_bytes() == raw
    assert store.original(sha) == raw
    assert len(synced) >= 4  # two files and their folder, at least
    (record,) = store.records(sha)
    assert record["verdict"] == "held"
    assert record["received_at"] == "2026-11-20T00:30:00+00:00"
    assert record["retain_until"] == "2026-12-20T00:30:00+00:00"
    assert [r["code"] for r in record["reasons"] if r["holds"]] == ["tnef"]
    assert record["parts"][1]["filename"] == "winmail.dat"
    assert stat.S_IMODE((folder / "original.eml").stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert list(store.ids()) == [sha]


def test_the_same_mail_twice_is_stored_once_with_two_records(tmp_path):
    """Content addressing: one original, one metadata record per reception."""
    store = QuarantineStore(tmp_path)
    for minutes in (0, 5):
        sanitize_message(
            mail(),
            policy=Policy(),
            quarantine=store,
            received_at=RECEIVED + timedelta(minutes=minutes),
        )
    (sha,) = store.ids()
    assert [r["received_at"][11:16] for r in store.records(sha)] == ["00:30", "00:35"]


def test_retention_purges_old_receptions_then_the_original(tmp_path):
    """purge() drops records older than the retention; the original goes with the last one."""
    store = QuarantineStore(tmp_path, retention_days=10)
    old = sanitize_message(mail("古い"), policy=Policy(), quarantine=store, received_at=RECEIVED)
    sanitize_message(mail("新しい"), policy=Policy(), quarantine=store,
                     received_at=RECEIVED + timedelta(days=8))  # fmt: skip
    removed = store.purge(now=RECEIVED + timedelta(days=11))
    assert removed == [old.original_sha256]
    assert len(list(store.ids())) == 1
    assert store.purge(now=RECEIVED + timedelta(days=12)) == []


def test_a_tampered_original_is_detected(tmp_path):
    """Reading back an original whose bytes changed raises QuarantineError."""
    store = QuarantineStore(tmp_path)
    result = sanitize_message(mail(), policy=Policy(), quarantine=store, received_at=RECEIVED)
    path = tmp_path / result.original_sha256[:2] / result.original_sha256 / "original.eml"
    path.write_bytes(b"changed")
    with pytest.raises(QuarantineError, match="does not match its SHA-256"):
        store.original(result.original_sha256)


def test_an_unwritable_store_raises_so_the_caller_can_temp_fail(tmp_path):
    """If the original cannot be stored, sanitize_message raises instead of returning a verdict."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(QuarantineError):
        sanitize_message(
            mail(), policy=Policy(), quarantine=QuarantineStore(blocker), received_at=RECEIVED
        )


def test_received_at_must_be_aware(tmp_path):
    """A naive received time is refused (the store keeps UTC)."""
    with pytest.raises(QuarantineError, match="timezone-aware"):
        sanitize_message(mail(), policy=Policy(), quarantine=QuarantineStore(tmp_path),
                         received_at=datetime(2026, 1, 1))  # fmt: skip


def test_metadata_is_plain_json_with_japanese_unescaped(tmp_path):
    """The metadata file is UTF-8 JSON with readable Japanese."""
    store = QuarantineStore(tmp_path)
    raw = (CORPUS / "generated-ja/ja01-iso2022jp-nec-ibm.eml").read_bytes()
    result = sanitize_message(raw, policy=Policy(), quarantine=store, received_at=RECEIVED)
    folder = tmp_path / result.original_sha256[:2] / result.original_sha256
    (record_file,) = [p for p in folder.iterdir() if p.suffix == ".json"]
    text = record_file.read_text(encoding="utf-8")
    assert '"From",\n      "髙橋 一郎 <takahashi@takahashi-shoji.example.co.jp>"' in text
    assert json.loads(text)["verdict"] == Verdict.sanitized.value
