"""Uploaded networks: a model YAML and its configurations, or one zip holding them.

Everything is read into memory and checked before anything is written: a zip member with an
absolute path, a ``..`` part, a backslash, a symbolic link or encryption is refused, and so is
a zip with too many files, too much data or a suspicious compression ratio (a zip bomb). The
model file is ``model.yaml`` at the top, or else the only ``*.yaml``/``*.yml`` file there. Every
refusal is a ``ValidationError`` keyed ``files`` that says what, where and how to fix.
"""

from __future__ import annotations

import io
import stat
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

__all__ = [
    "MAX_FILES",
    "MAX_FILE_BYTES",
    "MAX_RATIO",
    "MAX_TOTAL_BYTES",
    "Upload",
    "check_sizes",
    "read_upload",
]

MAX_FILES = 200
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_TOTAL_BYTES = 30 * 1024 * 1024
# Text configurations compress well, but not a thousandfold; a zip bomb does.
MAX_RATIO = 200
_SKIPPED_PARTS = frozenset({"__MACOSX", ".DS_Store", "Thumbs.db"})


@dataclass(frozen=True)
class Upload:
    """Checked files, by their path relative to the snapshot's folder, and the model file."""

    files: dict[str, bytes]
    model_file: str

    @property
    def size(self) -> int:
        return sum(len(v) for v in self.files.values())


def _refuse(message: str) -> ValidationError:
    return ValidationError({"files": [message]}, code="invalid_upload")


def _check_name(name: str, *, where: str) -> str:
    """Return a safe relative POSIX path, or refuse the member ``name``."""
    if not name or "\x00" in name or any(ord(c) < 32 for c in name):
        raise _refuse(
            _("%(where)s: a file name is empty or holds control characters. Rename it.")
            % {"where": where}
        )
    if "\\" in name:
        raise _refuse(
            _(
                "%(where)s: “%(name)s” contains a backslash. Make the zip with a tool that "
                "writes “/” between folders."
            )
            % {"where": where, "name": name[:100]}
        )
    path = PurePosixPath(name)
    if name.startswith("/") or path.is_absolute() or (len(name) > 1 and name[1] == ":"):
        raise _refuse(
            _(
                "%(where)s: “%(name)s” is an absolute path. Put only relative paths in the zip "
                "(zip the folder's contents)."
            )
            % {"where": where, "name": name[:100]}
        )
    if any(part == ".." for part in path.parts):
        raise _refuse(
            _("%(where)s: “%(name)s” leads out of the folder (“..”). Remove it from the zip.")
            % {"where": where, "name": name[:100]}
        )
    clean = "/".join(p for p in path.parts if p not in ("", "."))
    if not clean or len(clean) > 250:
        raise _refuse(
            _("%(where)s: the file name “%(name)s” is empty or too long (at most 250 characters).")
            % {"where": where, "name": name[:100]}
        )
    return clean


def _too_many() -> ValidationError:
    return _refuse(
        _("The upload holds more than %(max)d files. Upload only the model and its configurations.")
        % {"max": MAX_FILES}
    )


def _too_large(name: str) -> ValidationError:
    return _refuse(
        _(
            "“%(name)s” is larger than %(max)d MB, or the upload as a whole is larger than "
            "%(total)d MB. Upload only the model and its configurations."
        )
        % {
            "name": name[:100],
            "max": MAX_FILE_BYTES // (1024 * 1024),
            "total": MAX_TOTAL_BYTES // (1024 * 1024),
        }
    )


def _is_zip(name: str, data: bytes) -> bool:
    return name.lower().endswith(".zip") or data[:4] == b"PK\x03\x04"


def _unzip(name: str, data: bytes) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _refuse(
            _(
                "“%(name)s” is not a readable zip file. Make it again, or upload the files "
                "themselves."
            )
            % {"name": name[:100]}
        ) from None
    if len(members) > MAX_FILES * 2:
        raise _too_many()
    files: dict[str, bytes] = {}
    total = 0
    for info in members:
        where = f"{name[:100]}: {info.filename[:100]}"
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise _refuse(
                _(
                    "%(where)s is a symbolic link. Put the file itself into the zip, not a link "
                    "to it."
                )
                % {"where": where}
            )
        if info.flag_bits & 0x1:
            raise _refuse(
                _("%(where)s is encrypted. Upload a zip without a password.") % {"where": where}
            )
        path = _check_name(info.filename, where=name[:100])
        if info.is_dir():
            continue
        if any(part in _SKIPPED_PARTS for part in path.split("/")):
            continue
        if len(files) >= MAX_FILES:
            raise _too_many()
        if info.file_size > MAX_FILE_BYTES or total + info.file_size > MAX_TOTAL_BYTES:
            raise _too_large(info.filename)
        if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _refuse(
                _(
                    "%(where)s expands more than %(ratio)d times (a zip bomb?). Upload the "
                    "configurations as they are."
                )
                % {"where": where, "ratio": MAX_RATIO}
            )
        try:
            with archive.open(info) as member:
                content = member.read(MAX_FILE_BYTES + 1)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
            raise _refuse(
                _("%(where)s cannot be read from the zip (damaged, or an unknown compression).")
                % {"where": where}
            ) from None
        if len(content) > MAX_FILE_BYTES or len(content) != info.file_size:
            raise _too_large(info.filename)
        total += len(content)
        if path in files:
            raise _refuse(_("%(where)s appears twice in the zip.") % {"where": where})
        files[path] = content
    return _strip_common_folder(files)


def _strip_common_folder(files: dict[str, bytes]) -> dict[str, bytes]:
    """A zip made of a folder holds ``folder/...``: take the folder's contents."""
    tops = {path.split("/", 1)[0] for path in files}
    if len(tops) == 1 and all("/" in path for path in files):
        return {path.split("/", 1)[1]: data for path, data in files.items()}
    return files


def _model_file(files: dict[str, bytes]) -> str:
    top = [p for p in files if "/" not in p]
    if "model.yaml" in top:
        return "model.yaml"
    yamls = sorted(p for p in top if p.lower().endswith((".yaml", ".yml")))
    if len(yamls) == 1:
        return yamls[0]
    if not yamls:
        raise _refuse(
            _(
                "No network model was found: put the model as model.yaml (or the only .yaml "
                "file) at the top of the upload, beside its configurations."
            )
        )
    raise _refuse(
        _(
            "Several .yaml files lie at the top of the upload (%(names)s): name the network "
            "model model.yaml, or move the other files into a folder."
        )
        % {"names": ", ".join(yamls[:5])}
    )


def check_sizes(sizes: list[tuple[str, int]]) -> None:
    """Refuse an upload too large before it is read into memory (names and sizes in bytes)."""
    if len(sizes) > MAX_FILES:
        raise _too_many()
    total = 0
    for name, size in sizes:
        total += size
        if size > MAX_TOTAL_BYTES or total > MAX_TOTAL_BYTES:
            raise _too_large(name)


def read_upload(uploaded: list[tuple[str, bytes]]) -> Upload:
    """Check what was uploaded (file name and content each) and return the files to keep."""
    if not uploaded:
        raise _refuse(
            _("Choose the network model and its configuration files, or one zip holding them.")
        )
    if len(uploaded) > MAX_FILES:
        raise _too_many()
    if len(uploaded) == 1 and _is_zip(*uploaded[0]):
        files = _unzip(*uploaded[0])
    else:
        files = {}
        total = 0
        for name, data in uploaded:
            if _is_zip(name, data):
                raise _refuse(
                    _("Upload a zip on its own, not together with other files (%(name)s).")
                    % {"name": name[:100]}
                )
            path = _check_name(PurePosixPath(name.replace("\\", "/")).name, where=name[:100])
            total += len(data)
            if len(data) > MAX_FILE_BYTES or total > MAX_TOTAL_BYTES:
                raise _too_large(name)
            if path in files:
                raise _refuse(
                    _("Two files are named “%(name)s”. Upload each file once.")
                    % {"name": path[:100]}
                )
            files[path] = data
    if not files:
        raise _refuse(_("The zip holds no files."))
    return Upload(files=files, model_file=_model_file(files))
