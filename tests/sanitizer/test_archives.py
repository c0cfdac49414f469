"""ZIP inspection in memory with our own limits (zip bombs, overlaps, encryption, nesting)."""

from __future__ import annotations

import io
import struct
import time
import zipfile

import pytest

from isms.sanitizer import (
    AttachmentRejected,
    FileKind,
    LimitExceeded,
    Limits,
    PartAction,
    ReasonCode,
    Verdict,
)
from isms.sanitizer.archives import read_zip
from isms.sanitizer.deadline import Deadline

from .conftest import delivered_text, multipart, part, sanitize


def make_zip(files: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def read(data: bytes, **limits: float):
    # A fresh deadline per call: one made at import time expires in a long test run.
    deadline = Deadline(60, time.monotonic)
    return read_zip(data, limits=Limits(**limits), deadline=deadline, part_id="2")


def _with_zip(data: bytes, name: str = "a.zip") -> bytes:
    return multipart(
        part("本文".encode(), "text/plain; charset=UTF-8"),
        part(
            data, "application/zip", extra=f'Content-Disposition: attachment; filename="{name}"\r\n'
        ),
    )


@pytest.fixture(autouse=True)
def _never_extract_to_disk(monkeypatch):
    """Nothing is ever extracted by path."""

    def refuse(*args, **kwargs):
        raise AssertionError("extraction to disk")

    monkeypatch.setattr(zipfile.ZipFile, "extract", refuse)
    monkeypatch.setattr(zipfile.ZipFile, "extractall", refuse)


def test_members_are_read_with_their_names():
    """Entries are read in order; directories skipped; UTF-8 names kept."""
    data = make_zip({"dir/": b"", "dir/見積書.txt": "金額".encode(), "b.csv": b"a,b\n"})
    assert [(m.index, m.name, m.data) for m in read(data)] == [
        (2, "dir/見積書.txt", "金額".encode()),
        (3, "b.csv", b"a,b\n"),
    ]


def test_cp932_entry_names_without_the_utf8_flag_are_decoded():
    """Japanese Windows writes CP932 names without the UTF-8 flag: they decode correctly."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("placeholder.txt")
        archive.writestr(info, b"x")
    cp932 = "見積書.txt".encode("cp932")
    data = buffer.getvalue().replace(b"placeholder.txt", cp932.ljust(15, b" ")[:15])
    assert len(cp932) <= 15
    name = read(data)[0].name
    assert name.rstrip() == "見積書.txt"


def test_entry_count_limit():
    """More entries than limits.archive_entries: archive_too_many_entries."""
    data = make_zip({f"{i}.txt": b"x" for i in range(6)})
    with pytest.raises(LimitExceeded) as caught:
        read(data, archive_entries=5)
    assert caught.value.reason is ReasonCode.archive_too_many_entries
    assert str(caught.value) == (
        "archive_entries: 6 exceeds the limit of 5 (part 2); "
        "raise limits.archive_entries in the policy if this message is legitimate"
    )


def test_total_size_and_ratio_limits():
    """A highly compressible entry (bomb) trips the ratio; a big total trips the size."""
    bomb = make_zip({"zeros.bin": b"\0" * (3 * 1024 * 1024)})
    with pytest.raises(LimitExceeded) as ratio:
        read(bomb)
    assert ratio.value.reason is ReasonCode.archive_ratio
    with pytest.raises(LimitExceeded) as size:
        read(bomb, archive_bytes=1024 * 1024, archive_ratio=1e9)
    assert size.value.reason is ReasonCode.archive_too_large


def test_overlapping_entries_are_refused():
    """Two central directory entries pointing into the same data (CVE-2024-0450 style)."""
    data = bytearray(
        make_zip({"a.txt": b"A" * 100, "b.txt": b"B" * 100}, compression=zipfile.ZIP_STORED)
    )
    central = data.index(b"PK\x01\x02", data.index(b"PK\x01\x02") + 4)  # second entry
    struct.pack_into("<I", data, central + 42, 0)  # its local header offset -> the first's
    with pytest.raises(AttachmentRejected) as caught:
        read(bytes(data))
    assert caught.value.reason is ReasonCode.archive_malformed


def test_encrypted_entries_are_refused():
    """An entry with the encryption flag cannot be inspected: encrypted_file."""
    data = bytearray(make_zip({"a.txt": b"secret"}))
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<H", data, central + 8, data[central + 8] | 1)
    with pytest.raises(AttachmentRejected) as caught:
        read(bytes(data))
    assert caught.value.reason is ReasonCode.encrypted_file


def test_garbage_is_malformed():
    """Bytes that only start like a ZIP are archive_malformed."""
    with pytest.raises(AttachmentRejected) as caught:
        read(b"PK\x03\x04" + b"\0" * 40)
    assert caught.value.reason is ReasonCode.archive_malformed


def test_zip_text_entries_are_extracted_and_executables_hold():
    """Text entries reach the body; an .exe entry holds the message."""
    ok = sanitize(_with_zip(make_zip({"memo.txt": "メモです".encode()})))
    assert ok.verdict is Verdict.sanitized
    assert (
        "──── 添付ファイル「a.zip 内の memo.txt」から抽出したテキスト ────\nメモです"
        in delivered_text(ok)
    )
    bad = sanitize(_with_zip(make_zip({"memo.txt": b"x", "run.exe": b"MZ\x90\x00"})))
    assert bad.verdict is Verdict.held
    assert [e.action for e in bad.parts[1].entries] == [PartAction.text_extracted, PartAction.held]


def test_nested_archives_hold_unless_the_depth_allows_them():
    """A ZIP inside a ZIP is held (archive_nested) with the default depth of 1."""
    nested = make_zip({"inner.zip": make_zip({"setup.js": b"WScript.Echo(1)"}), "readme.txt": b"r"})
    result = sanitize(_with_zip(nested))
    assert result.verdict is Verdict.held
    assert ReasonCode.archive_nested in {r.code for r in result.reasons}
    deeper = sanitize(_with_zip(nested), limits=Limits(archive_depth=2))
    inner = deeper.parts[1].entries[0]
    assert inner.kind is FileKind.archive
    assert [e.kind for e in inner.entries] == [FileKind.script]  # still held, as a script
    assert ReasonCode.script in {r.code for r in deeper.reasons}
