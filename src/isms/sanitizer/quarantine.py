"""The quarantine store: originals kept content-addressed (SHA-256), durably, with retention.

Layout under the root folder (files 0600, folders 0700)::

    ab/abcdef...(64 hex)/original.eml                      the original bytes, written once
    ab/abcdef.../20261120T003000000000Z-1a2b3c4d.json      one metadata file per reception

Every file is written to a temporary name, fsynced, renamed into place, and its folder fsynced,
so a stored original survives a crash once ``store`` returns. The same mail received twice is
stored once, with two metadata files. ``purge`` removes receptions older than the retention
period and an original once no reception refers to it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .errors import QuarantineError
from .report import result_to_dict
from .result import SanitizeResult

__all__ = ["QuarantineStore"]

ORIGINAL_NAME = "original.eml"
_STAMP = "%Y%m%dT%H%M%S%fZ"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_RECORD = re.compile(r"^(\d{8}T\d{12}Z)-[0-9a-f]{8}\.json$")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durable(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".tmp-{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


class QuarantineStore:
    """A folder of quarantined originals and their metadata."""

    def __init__(self, root: str | Path, *, retention_days: int = 90) -> None:
        if retention_days < 1:
            raise ValueError("retention_days must be at least 1")
        self.root = Path(root)
        self.retention = timedelta(days=retention_days)

    def folder(self, sha256: str) -> Path:
        """Return the folder of one original."""
        if not _SHA256.match(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def _make_dirs(self, folder: Path) -> None:
        created = []
        for path in (self.root, folder.parent, folder):
            if not path.exists():
                path.mkdir(mode=0o700, exist_ok=True)
                created.append(path)
        for path in created:
            _fsync_dir(path.parent)

    def store(
        self,
        raw: bytes,
        result: SanitizeResult,
        *,
        received_at: datetime,
        sender: str | None = None,
        recipients: Sequence[str] = (),
    ) -> Path:
        """Store the original and one metadata record durably; return the original's folder.

        ``sender`` and ``recipients`` (the SMTP envelope, when known: the gateway gives them)
        are recorded as ``"envelope"`` in the metadata, so the web app can tell the
        municipality and the recipient.

        Raises ``QuarantineError`` if anything cannot be written: the caller must then not
        accept the message (temporary failure), since the original would be lost.
        """
        sha256 = hashlib.sha256(raw).hexdigest()
        if sha256 != result.original_sha256:
            raise QuarantineError(str(self.root), "the result does not belong to these bytes")
        if received_at.tzinfo is None:
            raise QuarantineError(str(self.root), "received_at must be timezone-aware")
        folder = self.folder(sha256)
        received = received_at.astimezone(UTC)
        metadata: dict[str, Any] = {
            **result_to_dict(result),
            "received_at": received.isoformat(),
            "retain_until": (received + self.retention).isoformat(),
        }
        if sender is not None or recipients:
            metadata["envelope"] = {"sender": sender or "", "recipients": list(recipients)}
        try:
            self._make_dirs(folder)
            original = folder / ORIGINAL_NAME
            if not original.exists() or hashlib.sha256(original.read_bytes()).hexdigest() != sha256:
                _write_durable(original, raw)
            name = f"{received.strftime(_STAMP)}-{secrets.token_hex(4)}.json"
            payload = json.dumps(metadata, ensure_ascii=False, indent=2).encode("utf-8")
            _write_durable(folder / name, payload)
        except OSError as exc:
            raise QuarantineError(str(folder), exc.strerror or str(exc)) from None
        return folder

    def original(self, sha256: str) -> bytes:
        """Return a stored original, checking that it still has its SHA-256."""
        path = self.folder(sha256) / ORIGINAL_NAME
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise QuarantineError(str(path), exc.strerror or str(exc)) from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise QuarantineError(str(path), "the stored original does not match its SHA-256")
        return data

    def records(self, sha256: str) -> list[dict[str, Any]]:
        """Return the metadata records of one original, oldest first."""
        folder = self.folder(sha256)
        try:
            names = sorted(p.name for p in folder.iterdir() if _RECORD.match(p.name))
            return [json.loads((folder / name).read_text(encoding="utf-8")) for name in names]
        except (OSError, ValueError) as exc:
            raise QuarantineError(str(folder), str(exc)) from None

    def ids(self) -> Iterator[str]:
        """Yield the SHA-256 of every stored original."""
        if not self.root.is_dir():
            return
        for prefix in sorted(self.root.iterdir()):
            if prefix.is_dir() and len(prefix.name) == 2:
                for folder in sorted(prefix.iterdir()):
                    if _SHA256.match(folder.name) and (folder / ORIGINAL_NAME).exists():
                        yield folder.name

    def purge(self, *, now: datetime) -> list[str]:
        """Remove receptions older than the retention period; return the originals removed."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        cutoff = now.astimezone(UTC) - self.retention
        removed: list[str] = []
        for sha256 in list(self.ids()):
            folder = self.folder(sha256)
            try:
                remaining = 0
                for path in folder.iterdir():
                    match = _RECORD.match(path.name)
                    if not match:
                        continue
                    stamp = datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)
                    if stamp < cutoff:
                        path.unlink()
                    else:
                        remaining += 1
                if remaining == 0:
                    for path in folder.iterdir():
                        path.unlink()
                    folder.rmdir()
                    removed.append(sha256)
                _fsync_dir(folder.parent)
            except OSError as exc:
                raise QuarantineError(str(folder), exc.strerror or str(exc)) from None
        return removed
