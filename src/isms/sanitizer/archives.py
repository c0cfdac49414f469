"""ZIP inspection in memory with our own limits; nothing is ever written to disk.

Python 3.11.7's ``zipfile`` lacks the overlapping-entry check (CVE-2024-0450), so before reading
any member this module checks that the local headers and data of all entries are disjoint and
lie before the central directory, that names are unique, and it caps every read by the declared
size and the archive budget (``Limits.archive_bytes``), so a zip bomb cannot expand beyond it.
"""

from __future__ import annotations

import io
import itertools
import struct
import zipfile
from dataclasses import dataclass

from .charset import decode_text
from .deadline import Deadline
from .errors import AttachmentRejected, LimitExceeded
from .policy import Limits
from .reasons import ReasonCode

__all__ = ["ZipMember", "is_zip", "read_zip", "zip_entry_name"]

_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_LOCAL_MAGIC = b"PK\x03\x04"
_RATIO_FLOOR = 1024 * 1024
"""Entries smaller than this are not ratio-checked: small text compresses very well."""


@dataclass(frozen=True)
class ZipMember:
    """One file inside a ZIP archive, read into memory."""

    index: int
    name: str
    data: bytes


def is_zip(data: bytes) -> bool:
    """Return True when ``data`` starts like a ZIP archive."""
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")


def zip_entry_name(info: zipfile.ZipInfo) -> str:
    """Decode an entry name: UTF-8 when flagged, otherwise guessed (CP932 from Japanese Windows)."""
    if info.flag_bits & 0x800:
        return info.orig_filename
    try:
        raw = info.orig_filename.encode("cp437")
    except UnicodeEncodeError:
        return info.orig_filename
    return decode_text(raw, None).text


def _malformed(message: str, part_id: str) -> AttachmentRejected:
    return AttachmentRejected(ReasonCode.archive_malformed, message, part_id=part_id)


def _check_layout(data: bytes, infos: list[zipfile.ZipInfo], start_dir: int, part_id: str) -> None:
    """Refuse overlapping or out-of-range entries (zip bombs built from overlapping entries)."""
    spans: list[tuple[int, int]] = []
    for info in infos:
        start = info.header_offset
        header = data[start : start + _LOCAL_HEADER.size]
        if len(header) < _LOCAL_HEADER.size:
            raise _malformed(f"entry {info.orig_filename!r}: local header out of range", part_id)
        fields = _LOCAL_HEADER.unpack(header)
        if fields[0] != _LOCAL_MAGIC:
            raise _malformed(f"entry {info.orig_filename!r}: bad local header", part_id)
        name_len, extra_len = fields[9], fields[10]
        end = start + _LOCAL_HEADER.size + name_len + extra_len + info.compress_size
        spans.append((start, end))
    spans.sort()
    for (_, end), (next_start, _) in itertools.pairwise(spans):
        if end > next_start:
            raise _malformed("entries overlap", part_id)
    if spans and spans[-1][1] > start_dir:
        raise _malformed("entry data runs into the central directory", part_id)


def read_zip(data: bytes, *, limits: Limits, deadline: Deadline, part_id: str) -> list[ZipMember]:
    """Read every file of a ZIP archive within the limits; directories are skipped.

    Raises ``AttachmentRejected`` (``archive_malformed``, ``encrypted_file``) or
    ``LimitExceeded`` (``archive_too_many_entries``, ``archive_too_large``, ``archive_ratio``).
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # zipfile raises many types on corrupt archives
        raise _malformed(f"not a readable ZIP archive: {exc}", part_id) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.archive_entries:
            raise LimitExceeded(
                ReasonCode.archive_too_many_entries,
                limit="archive_entries",
                value=len(infos),
                maximum=limits.archive_entries,
                part_id=part_id,
            )
        names = [info.orig_filename for info in infos]
        if len(set(names)) != len(names):
            raise _malformed("duplicate entry names", part_id)
        if any(info.flag_bits & 0x1 for info in infos):
            raise AttachmentRejected(
                ReasonCode.encrypted_file, "encrypted ZIP entries", part_id=part_id
            )
        _check_layout(data, infos, archive.start_dir, part_id)
        declared = sum(info.file_size for info in infos)
        if declared > limits.archive_bytes:
            raise LimitExceeded(
                ReasonCode.archive_too_large,
                limit="archive_bytes",
                value=declared,
                maximum=limits.archive_bytes,
                part_id=part_id,
            )
        members: list[ZipMember] = []
        total = 0
        for index, info in enumerate(infos, start=1):
            deadline.check(part_id)
            if info.is_dir():
                continue
            if info.file_size > _RATIO_FLOOR and info.file_size > limits.archive_ratio * max(
                info.compress_size, 1
            ):
                raise LimitExceeded(
                    ReasonCode.archive_ratio,
                    limit="archive_ratio",
                    value=round(info.file_size / max(info.compress_size, 1), 1),
                    maximum=limits.archive_ratio,
                    part_id=f"{part_id}/{index}",
                )
            try:
                with archive.open(info) as member:
                    content = member.read(info.file_size + 1)
            except RuntimeError as exc:  # zipfile: "File ... is encrypted"
                raise AttachmentRejected(
                    ReasonCode.encrypted_file, str(exc), part_id=part_id
                ) from None
            except Exception as exc:  # zlib, bz2 and lzma errors on corrupt data
                raise _malformed(f"entry {info.orig_filename!r}: {exc}", part_id) from None
            if len(content) != info.file_size:
                raise _malformed(f"entry {info.orig_filename!r}: size does not match", part_id)
            total += len(content)
            if total > limits.archive_bytes:
                raise LimitExceeded(
                    ReasonCode.archive_too_large,
                    limit="archive_bytes",
                    value=total,
                    maximum=limits.archive_bytes,
                    part_id=part_id,
                )
            members.append(ZipMember(index, zip_entry_name(info), content))
        return members
