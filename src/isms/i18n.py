"""Compile the translation catalogs (``locale/*/LC_MESSAGES/*.po`` → ``.mo``) without gettext.

Run by ``scripts/setup``; compiled files are not committed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def compile_catalogs(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Compile every ``.po`` under ``locale_dir`` whose ``.mo`` is missing or older."""
    written = []
    for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        # Write beside the target and rename: a process reading the catalog meanwhile (a running
        # server, a parallel test worker) sees the old file or the new one, never half of one.
        fd, tmp = tempfile.mkstemp(dir=mo_path.parent, prefix=".", suffix=".mo")
        os.close(fd)
        try:
            polib.pofile(str(po_path)).save_as_mofile(tmp)
            os.chmod(tmp, 0o644)  # mkstemp makes it private; the server may run as another user
            os.replace(tmp, mo_path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        written.append(mo_path)
    return written


if __name__ == "__main__":
    compile_catalogs()
