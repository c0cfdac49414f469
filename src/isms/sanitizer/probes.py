"""Content probes for containers whose danger libmagic cannot see.

PDF: encryption and active content (JavaScript, Launch, embedded files, XFA...), looked for in
the raw bytes with name escapes undone and object by object through pypdf, so that compressed
object streams are seen. ZIP: OOXML/ODF macros, DDE fields, embedded objects and external
template/object links; JAR/APK; encrypted entries. OLE2: encrypted OOXML, VBA storages, Excel
FILEPASS and Excel 4.0 macro sheets, Word's encryption flag. Every probe returns a ``FileKind``
and never raises: a file it cannot read is ``unknown`` (and so held).
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from typing import Any

import olefile  # type: ignore[import-untyped]
import pypdf
from pypdf.generic import DictionaryObject, NameObject

from .reasons import ReasonCode
from .result import FileKind

__all__ = ["probe_ole", "probe_pdf", "probe_zip"]

_PDF_ACTIVE_KEYS = ("/JS", "/JavaScript", "/Launch", "/EmbeddedFile", "/EmbeddedFiles",
                    "/RichMedia", "/XFA", "/SubmitForm", "/ImportData", "/GoToE")  # fmt: skip
_PDF_ACTIVE_RAW = re.compile(
    rb"/(?:JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA|SubmitForm|ImportData|GoToE)"
    rb"(?![A-Za-z0-9])"
)
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_MAX_PDF_OBJECTS = 20000
_OOXML_MEMBER_CAP = 8 * 1024 * 1024


# --- PDF ---------------------------------------------------------------------------------------


def _pdf_active_in_object(obj: Any) -> bool:
    if not isinstance(obj, DictionaryObject):
        return False
    for key in _PDF_ACTIVE_KEYS:
        if key in obj:
            return True
    action = obj.get("/S")
    return isinstance(action, NameObject) and str(action) in _PDF_ACTIVE_KEYS


def probe_pdf(data: bytes) -> tuple[FileKind, tuple[ReasonCode, ...]]:
    normalised = _PDF_NAME_ESCAPE.sub(lambda m: bytes((int(m.group(1), 16),)), data)
    active = _PDF_ACTIVE_RAW.search(normalised) is not None
    if re.search(rb"/Encrypt(?![A-Za-z])", normalised):
        return FileKind.encrypted, (ReasonCode.encrypted_file,)
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            return FileKind.encrypted, (ReasonCode.encrypted_file,)
        if not active:
            ids = [(num, gen) for gen, table in reader.xref.items() for num in table]
            ids += [(num, 0) for num in reader.xref_objStm]
            for num, gen in ids[:_MAX_PDF_OBJECTS]:
                try:
                    obj = reader.get_object(pypdf.generic.IndirectObject(num, gen, reader))
                except Exception:  # noqa: S112 - a broken object is not a finding
                    continue
                if _pdf_active_in_object(obj):
                    active = True
                    break
    except Exception:  # noqa: S110 - pypdf raises many types; the raw scan above still counts
        pass
    if active:
        return FileKind.pdf_active, (ReasonCode.active_content_found,)
    return FileKind.pdf, ()


# --- ZIP-based formats (OOXML, ODF, JAR) ------------------------------------------------------

_OOXML_EXTERNAL = re.compile(rb"""TargetMode\s*=\s*["']External["']""", re.IGNORECASE)
_OOXML_RISKY_REL = re.compile(
    rb"/(?:oleObject|attachedTemplate|frame|subDocument)\b", re.IGNORECASE
)
_DDE = re.compile(rb"\bDDE(?:AUTO)?\b", re.IGNORECASE)


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    with archive.open(info) as member:
        return member.read(min(info.file_size, _OOXML_MEMBER_CAP))


def _ooxml_is_active(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> bool:
    for info in infos:
        name = info.orig_filename.lower()
        if (
            name.endswith(("vbaproject.bin", "vbadata.xml"))
            or "/activex/" in name
            or "/embeddings/" in name
            or "/externallinks/" in name
            or (name.endswith(".bin") and "macrosheets" in name)
            or "/macrosheets/" in name
        ):
            return True
        if name == "[content_types].xml":
            content = _read_member(archive, info)
            if b"macroEnabled" in content or b"vbaProject" in content:
                return True
        elif name.endswith(".rels"):
            content = _read_member(archive, info)
            for match in re.finditer(rb"<Relationship\b[^>]*>", content, re.IGNORECASE):
                rel = match.group()
                if _OOXML_EXTERNAL.search(rel) and _OOXML_RISKY_REL.search(rel):
                    return True
        elif name in ("word/document.xml", "word/header1.xml", "word/footer1.xml") or (
            name.startswith("xl/") and name.endswith("workbook.xml")
        ):
            content = _read_member(archive, info)
            if b"instrText" in content and _DDE.search(content):
                return True
            if b"ddeService" in content or b"ddeLink" in content:
                return True
    return False


def probe_zip(data: bytes) -> tuple[FileKind, str | None, tuple[ReasonCode, ...]]:
    """Return the kind, a more precise MIME type if known, and findings for a ZIP container."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            names = {info.orig_filename for info in infos}
            lower = {name.lower() for name in names}
            if any(info.flag_bits & 0x1 for info in infos):
                return FileKind.encrypted, None, (ReasonCode.encrypted_file,)
            if "[content_types].xml" in lower:
                if _ooxml_is_active(archive, infos):
                    return FileKind.office_active, None, (ReasonCode.active_document,)
                return FileKind.office, None, ()
            if "mimetype" in lower:
                info = next(i for i in infos if i.orig_filename.lower() == "mimetype")
                if _read_member(archive, info).startswith(b"application/vnd.oasis.opendocument"):
                    if any(n.lower().startswith(("basic/", "scripts/")) for n in names):
                        return FileKind.office_active, None, (ReasonCode.active_document,)
                    return FileKind.office, None, ()
            if lower & {"meta-inf/manifest.mf", "classes.dex", "androidmanifest.xml"}:
                return FileKind.executable, "application/java-archive", (ReasonCode.executable,)
            return FileKind.archive, "application/zip", ()
    except Exception:  # a file the probe cannot read is unknown, and so held
        return FileKind.unknown, None, (ReasonCode.archive_malformed,)


# --- OLE2 compound files (legacy Office, encrypted OOXML, MSI, Outlook .msg) ------------------

_BIFF_RECORD = struct.Struct("<HH")
_BIFF_BOF, _BIFF_EOF, _BIFF_FILEPASS, _BIFF_BOUNDSHEET = 0x0809, 0x000A, 0x002F, 0x0085


def _excel_findings(stream: bytes) -> tuple[bool, bool]:
    """Scan the workbook globals: return (encrypted, has an Excel 4.0 macro sheet)."""
    pos = 0
    encrypted = macro = False
    for _ in range(100000):
        if pos + 4 > len(stream):
            break
        record, length = _BIFF_RECORD.unpack_from(stream, pos)
        body = stream[pos + 4 : pos + 4 + length]
        if record == _BIFF_FILEPASS:
            encrypted = True
        elif record == _BIFF_BOUNDSHEET and len(body) >= 6 and body[5] in (0x01, 0x06):
            macro = True
        elif record == _BIFF_EOF:
            break
        pos += 4 + length
    return encrypted, macro


def probe_ole(data: bytes) -> tuple[FileKind, tuple[ReasonCode, ...]]:
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception:  # a file the probe cannot read is unknown, and so held
        return FileKind.unknown, ()
    try:
        entries = ["/".join(path).lower() for path in ole.listdir(streams=True, storages=True)]
        names = set(entries)
        if names & {"encryptedpackage", "encryptioninfo", "encryptedsummary"}:
            return FileKind.encrypted, (ReasonCode.encrypted_file,)
        if any(
            e.startswith(("macros", "_vba_project_cur", "vba/"))
            or "/vba/" in e
            or e == "vba"
            or e.endswith("/_vba_project")
            or e == "xlm_macro"
            for e in entries
        ):
            return FileKind.office_active, (ReasonCode.active_document,)
        for workbook in ("workbook", "book"):
            if workbook in names:
                encrypted, macro = _excel_findings(ole.openstream(workbook).read(16 * 1024 * 1024))
                if encrypted:
                    return FileKind.encrypted, (ReasonCode.encrypted_file,)
                if macro:
                    return FileKind.office_active, (ReasonCode.active_document,)
                return FileKind.office, ()
        if "worddocument" in names:
            fib = ole.openstream("WordDocument").read(32)
            if len(fib) >= 12 and struct.unpack_from("<H", fib, 10)[0] & 0x0100:
                return FileKind.encrypted, (ReasonCode.encrypted_file,)
            if any(e.startswith("objectpool") for e in entries):
                return FileKind.office_active, (ReasonCode.active_document,)
            return FileKind.office, ()
        if "powerpoint document" in names or "visiodocument" in names:
            return FileKind.office, ()
        return FileKind.unknown, ()
    except Exception:  # a file the probe cannot read is unknown, and so held
        return FileKind.unknown, ()
    finally:
        ole.close()
