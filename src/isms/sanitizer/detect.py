"""What a part really is: content detection (libmagic) plus our own checks for what matters.

libmagic gives the MIME type; our checks decide the ``FileKind``: executables by header, PDF
encryption and active content (object by object, so compressed object streams are seen),
OOXML/ODF macros, DDE, embedded objects and external links, legacy Office encryption and
Excel 4.0 macro sheets, encrypted ZIPs, TNEF, S/MIME and PGP. A dangerous file-name extension
(``.exe``, ``.js``, ``.docm``...) always wins over the content, and an extension that claims a
different kind of file than the content is reported as ``type_mismatch``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import magic

from .archives import is_zip
from .probes import probe_ole, probe_pdf, probe_zip
from .reasons import ReasonCode
from .result import FileKind

__all__ = ["Detection", "detect", "file_extension", "magic_type"]

MAGIC_BYTES = 256 * 1024
"""How much of a part libmagic looks at."""

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_TNEF_MAGIC = b"\x78\x9f\x3e\x22"
_MACHO_MAGICS = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")

EXECUTABLE_EXTENSIONS = frozenset(
    {
        "exe", "com", "scr", "pif", "cpl", "msi", "msp", "mst", "msix", "msixbundle",
        "appx", "appxbundle", "appinstaller", "dll", "sys", "drv", "ocx", "lnk", "jar",
        "apk", "app", "dmg", "pkg", "deb", "rpm", "reg", "chm", "hlp", "gadget",
        "application", "xbap", "scf", "library-ms", "settingcontent-ms", "url", "iqy",
        "pyc",
    }
)  # fmt: skip
SCRIPT_EXTENSIONS = frozenset(
    {
        "js", "jse", "vbs", "vbe", "wsf", "wsh", "wsc", "ps1", "psm1", "psd1", "bat", "cmd",
        "hta", "sct", "sh", "bash", "ksh", "csh", "py", "pyw", "pl", "rb", "php", "vb",
        "ws", "inf", "mht", "mhtml", "xsl", "xslt", "applescript", "scpt", "command",
    }
)  # fmt: skip
MACRO_EXTENSIONS = frozenset(
    {
        "docm", "dotm", "xlsm", "xltm", "xlam", "xla", "pptm", "potm", "ppam", "ppsm",
        "sldm", "slk",
    }
)  # fmt: skip
DISK_IMAGE_EXTENSIONS = frozenset(["iso", "img", "vhd", "vhdx", "udf"])

_EXTENSION_FAMILY: dict[str, str] = {}
for _family, _extensions in {
    "pdf": "pdf",
    "archive": "zip lzh lha 7z rar gz tgz tar bz2 xz cab zst",
    "office": (
        "doc docx dot dotx xls xlsx xlt xltx xlsb ppt pptx pps ppsx pot potx rtf odt ods odp "
        "jtd jtdc"
    ),
    "image": "png jpg jpeg jpe gif bmp tif tiff webp heic heif ico",
    "text": "txt text csv tsv log md htm html xml json ics vcs vcf eml",
    "media": "mp3 mp4 m4a wav wma wmv avi mov mpg mpeg ogg webm flac",
}.items():
    for _extension in _extensions.split():
        _EXTENSION_FAMILY[_extension] = _family

_FAMILY_OF_KIND = {
    FileKind.text: "text",
    FileKind.csv: "text",
    FileKind.html: "text",
    FileKind.pdf: "pdf",
    FileKind.pdf_active: "pdf",
    FileKind.office: "office",
    FileKind.office_active: "office",
    FileKind.image: "image",
    FileKind.svg: "image",
    FileKind.audio_video: "media",
    FileKind.archive: "archive",
    FileKind.archive_other: "archive",
}

_ARCHIVE_TYPES = frozenset(
    {
        "application/gzip", "application/x-gzip", "application/x-7z-compressed",
        "application/x-rar", "application/vnd.rar", "application/x-rar-compressed",
        "application/x-tar", "application/x-bzip2", "application/x-xz",
        "application/x-lzh-compressed", "application/x-lha", "application/x-lzh",
        "application/vnd.ms-cab-compressed", "application/x-iso9660-image", "application/zstd",
        "application/x-cpio", "application/x-archive", "application/x-compress",
        "application/x-lzip", "application/x-lzma", "application/x-arj", "application/x-ace",
        "application/x-stuffit", "application/x-xar",
    }
)  # fmt: skip
_EXECUTABLE_TYPES = frozenset(
    {
        "application/x-dosexec", "application/x-executable", "application/x-sharedlib",
        "application/x-mach-binary", "application/x-msi", "application/x-ms-shortcut",
        "application/vnd.microsoft.portable-executable", "application/java-archive",
        "application/x-java-applet", "application/vnd.android.package-archive",
        "application/x-msdownload", "application/x-pie-executable", "application/x-elf",
        "application/x-ms-installer", "application/x-object", "application/x-coff",
    }
)  # fmt: skip
_SCRIPT_TYPES = frozenset(
    {
        "text/x-shellscript", "text/x-python", "text/x-perl", "text/x-php", "text/x-ruby",
        "text/x-msdos-batch", "application/javascript", "text/javascript",
        "application/x-setupscript",
        "application/x-wine-extension-ini", "application/hta", "text/vbscript",
    }
)  # fmt: skip
_SECURE_MAIL_TYPES = frozenset(
    {
        "application/pkcs7-mime", "application/x-pkcs7-mime", "application/pkcs7-signature",
        "application/x-pkcs7-signature", "application/pgp-encrypted", "application/pgp-signature",
        "application/pgp-keys", "multipart/encrypted", "application/pkcs7-encrypted",
    }
)  # fmt: skip
_TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
_TEXTUAL_TYPES = frozenset(
    {
        "application/json", "application/xml", "message/rfc822", "message/news",
        "message/partial", "application/x-empty", "application/csv", "text/csv",
        "message/delivery-status", "message/disposition-notification", "application/mbox",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Detection:
    """The detected MIME type and kind of a part, with findings."""

    detected_type: str
    kind: FileKind
    findings: tuple[ReasonCode, ...] = ()


def magic_type(data: bytes) -> str:
    """Return libmagic's MIME type for ``data`` (``application/octet-stream`` if it fails)."""
    if not data:
        return "application/x-empty"
    try:
        return str(magic.from_buffer(data[:MAGIC_BYTES], mime=True)) or "application/octet-stream"
    except (magic.MagicException, ValueError, TypeError):
        return "application/octet-stream"


def file_extension(filename: str | None) -> str:
    """Return the last extension in lower case, ignoring trailing dots and spaces like Windows."""
    if not filename:
        return ""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].rstrip(". \t")
    if "." not in name:
        return ""
    return name.rsplit(".", 1)[-1].strip().lower()


def _looks_textual(data: bytes) -> bool:
    """Return True when ``data`` has no NUL and very few other control bytes."""
    sample = data[:65536]
    if b"\x00" in sample and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    controls = sum(
        sample.count(bytes((c,))) for c in (*range(1, 9), 11, *range(14, 27), 28, 29, 30, 31)
    )
    return controls <= len(sample) // 100


# --- putting it together ----------------------------------------------------------------------


def _kind_from_content(
    data: bytes, mime: str, declared: str
) -> tuple[FileKind, str, tuple[ReasonCode, ...]]:
    head = data[:16]
    if mime == "application/x-dosexec" and not head.startswith(b"MZ"):
        mime = "application/octet-stream"  # libmagic's weak DOS .COM guess fires on CP932 text
    if head.startswith(b"MZ") or head.startswith(b"\x7fELF") or head[:4] in _MACHO_MAGICS:
        return FileKind.executable, mime, (ReasonCode.executable,)
    if mime in _EXECUTABLE_TYPES:
        return FileKind.executable, mime, (ReasonCode.executable,)
    if b"%PDF-" in data[:1024]:
        kind, findings = probe_pdf(data)
        return kind, "application/pdf", findings
    if is_zip(data):
        kind, precise, findings = probe_zip(data)
        return kind, precise or mime, findings
    if head.startswith(_OLE_MAGIC):
        kind, findings = probe_ole(data)
        return kind, mime, findings
    if head.startswith(_TNEF_MAGIC) or mime in _TNEF_TYPES or declared in _TNEF_TYPES:
        return FileKind.tnef, "application/vnd.ms-tnef", (ReasonCode.tnef,)
    if head.startswith(b"{\\rt"):
        if re.search(rb"\\(?:object|objdata|objocx|objemb|objlink)", data):
            return FileKind.office_active, "text/rtf", (ReasonCode.active_document,)
        return FileKind.office, "text/rtf", ()
    if head.startswith(b"ID;P") or mime == "application/x-sylk":
        return FileKind.office_active, "application/x-sylk", (ReasonCode.active_document,)
    if (
        declared in _SECURE_MAIL_TYPES
        or mime in _SECURE_MAIL_TYPES
        or head.startswith(b"-----BEGIN PGP")
    ):
        return FileKind.secure_mail, mime, (ReasonCode.secure_mail,)
    if mime in _ARCHIVE_TYPES:
        return FileKind.archive_other, mime, (ReasonCode.archive_unsupported,)
    if mime == "image/svg+xml":
        return FileKind.svg, mime, ()
    if mime.startswith("image/"):
        return FileKind.image, mime, ()
    if mime.startswith(("audio/", "video/")):
        return FileKind.audio_video, mime, ()
    if mime in _SCRIPT_TYPES:
        return FileKind.script, mime, (ReasonCode.script,)
    if mime == "text/html" or mime == "application/xhtml+xml":
        return FileKind.html, mime, ()
    if (
        mime.startswith("text/")
        or mime in _TEXTUAL_TYPES
        or (mime == "application/octet-stream" and _looks_textual(data))
    ):
        if declared in ("text/html", "application/xhtml+xml") and re.search(
            rb"(?i)<\s*(?:html|body|p|div|br|table|a\s)", data[:65536]
        ):
            return FileKind.html, "text/html", ()
        if mime == "text/csv" or declared == "text/csv":
            return FileKind.csv, mime, ()
        return FileKind.text, mime, ()
    return FileKind.unknown, mime, (ReasonCode.unrecognised_type,)


def detect(data: bytes, *, filename: str | None, declared_type: str) -> Detection:
    """Detect what ``data`` is; ``filename`` and ``declared_type`` only ever make it stricter."""
    if not data:
        return Detection("application/x-empty", FileKind.empty)
    mime = magic_type(data)
    kind, detected, findings = _kind_from_content(data, mime, declared_type)
    extension = file_extension(filename)
    if kind in (FileKind.text, FileKind.csv) and extension == "csv":
        kind = FileKind.csv
    if kind is FileKind.text and extension in ("htm", "html", "xhtml", "mht", "mhtml"):
        kind = FileKind.html if extension in ("htm", "html", "xhtml") else kind
    if extension in EXECUTABLE_EXTENSIONS and kind is not FileKind.executable:
        return Detection(detected, FileKind.executable, (*findings, ReasonCode.executable))
    if extension in SCRIPT_EXTENSIONS and kind not in (FileKind.executable, FileKind.script):
        return Detection(detected, FileKind.script, (*findings, ReasonCode.script))
    if extension in DISK_IMAGE_EXTENSIONS and kind is not FileKind.executable:
        return Detection(
            detected, FileKind.archive_other, (*findings, ReasonCode.archive_unsupported)
        )
    if extension in MACRO_EXTENSIONS and kind in (FileKind.office, FileKind.archive, FileKind.text):
        return Detection(detected, FileKind.office_active, (*findings, ReasonCode.active_document))
    family = _EXTENSION_FAMILY.get(extension)
    content_family = _FAMILY_OF_KIND.get(kind)
    if family and content_family and family != content_family:
        return Detection(detected, kind, (*findings, ReasonCode.type_mismatch))
    return Detection(detected, kind, findings)
