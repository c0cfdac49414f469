"""Evidence attachments: checked by size and by content, stored under ``DATA_DIR``.

A file is read whole (at most :data:`MAX_BYTES`), its type is found from its content with
libmagic (``core.uploads``), never from its name or the browser's claim, and only the types of
:data:`ALLOWED_TYPES` are kept. It is stored under ``DATA_DIR/incidents/<municipality>/`` with a
random key as its name. The name the user gave is kept as display text only: a download is
named after it with the extension of the type found in the content (:data:`EXTENSIONS`), so a
script sent as ``証拠.js`` (libmagic calls it ``text/plain``) is downloaded as ``証拠.txt``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from isms.core import uploads
from isms.core.uploads import EXTENSIONS, download_name

__all__ = [
    "ALLOWED_TYPES",
    "EXTENSIONS",
    "MAX_BYTES",
    "Checked",
    "check_upload",
    "discard",
    "download_name",
    "store_upload",
]

MAX_BYTES = 5 * 1024 * 1024
ALLOWED_TYPES = {
    "application/pdf": "PDF",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "text/plain": "テキスト",
    "text/csv": "CSV",
    "message/rfc822": "メール (.eml)",
}


@dataclass(frozen=True)
class Checked:
    filename: str
    data: bytes
    content_type: str


def check_upload(upload: Any, field: str = "attachment") -> Checked | None:
    """Read and check an upload (a Django ``UploadedFile``); None when there is none."""
    if upload is None:
        return None
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise ValidationError(
            {
                field: _(
                    "The file is too large (%(size)d KB; at most %(max)d MB). Send a smaller "
                    "file or a part of it."
                )
                % {"size": size // 1024, "max": MAX_BYTES // (1024 * 1024)}
            },
            code="too_large",
        )
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValidationError(
            {
                field: _("The file is too large (at most %(max)d MB).")
                % {"max": MAX_BYTES // (1024 * 1024)}
            },
            code="too_large",
        )
    if not data:
        raise ValidationError({field: _("The file is empty.")}, code="empty")
    found = uploads.detect_type(data)
    if found not in ALLOWED_TYPES:
        raise ValidationError(
            {
                field: _(
                    "Files of this type (%(type)s) are not accepted. Send a PDF, an image "
                    "(PNG, JPEG, GIF), a text or CSV file, or a mail (.eml)."
                )
                % {"type": found or "?"}
            },
            code="forbidden_type",
        )
    return Checked(uploads.clean_name(getattr(upload, "name", "file")), data, found)


def store_upload(
    incident: Any, entry: Any, checked: Checked | None, written: list[Path] | None = None
) -> Any:
    """Write a checked file and record it (inside the caller's transaction).

    The path written is appended to ``written``: the caller removes it with :func:`discard`
    when its transaction rolls back.
    """
    from .models import Evidence

    if checked is None:
        return None
    evidence = Evidence(
        incident=incident,
        entry=entry,
        filename=checked.filename,
        content_type=checked.content_type,
        size=len(checked.data),
        sha256=hashlib.sha256(checked.data).hexdigest(),
        storage_key=secrets.token_hex(16),
    )
    path = evidence.path(incident.municipality_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(checked.data)
    if written is not None:
        written.append(path)
    evidence.save()
    return evidence


def discard(written: list[Path]) -> None:
    """Remove files written in a transaction that rolled back."""
    for path in written:
        path.unlink(missing_ok=True)


def describe(evidence: Any) -> dict[str, Any] | None:
    """What the journal keeps of a stored file: its name, hash and size."""
    if evidence is None:
        return None
    return {"filename": evidence.filename, "sha256": evidence.sha256, "size": evidence.size}
