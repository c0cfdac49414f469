"""Files users upload as evidence: their type found by content, the names they download under.

A file's type comes from its content (libmagic through python-magic), never from its name or
the browser's claim. The name the uploader gave is kept as display text only: a download gets
the extension of the type found (:data:`EXTENSIONS`), so a script sent as ``証拠.js`` (which
libmagic calls ``text/plain``) comes back as ``証拠.txt`` and is never run by a double-click.
Each app decides which types it accepts and how large a file may be.
"""

from __future__ import annotations

import unicodedata

import magic

# The extension of a download, by the type found in the content (never the uploader's).
EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/bmp": ".bmp",
    "image/tiff": ".tif",
    "text/plain": ".txt",
    "text/csv": ".csv",
    "application/csv": ".csv",
    "message/rfc822": ".eml",
    "application/msword": ".doc",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.ms-powerpoint": ".ppt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.oasis.opendocument.presentation": ".odp",
}


def detect_type(data: bytes) -> str:
    """The MIME type of ``data`` by its content (the first 64 KB are enough for libmagic)."""
    return str(magic.from_buffer(data[:65536], mime=True) or "")


def clean_name(name: str, default: str = "file") -> str:
    """The base name the uploader gave, without folders, control or reserved characters."""
    name = unicodedata.normalize("NFKC", str(name or default)).replace("\\", "/").split("/")[-1]
    name = "".join(c for c in name if c.isprintable() and c not in '"<>|:*?')
    return name.strip()[:200] or default


def download_name(name: str, content_type: str, default: str = "file") -> str:
    """The uploader's name with its extension replaced by the one of the detected type."""
    stem = clean_name(name, default)
    if "." in stem.strip("."):
        stem = stem.rsplit(".", 1)[0]
    stem = stem.strip(". ") or default
    return f"{stem[:190]}{EXTENSIONS.get(content_type, '.bin')}"
