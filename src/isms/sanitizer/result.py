"""What the engine returns: frozen records, no behaviour beyond derived properties."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .reasons import ReasonCode

__all__ = [
    "FileKind",
    "PartAction",
    "PartOutcome",
    "Reason",
    "SanitizeMethod",
    "SanitizeResult",
    "Verdict",
]


class Verdict(StrEnum):
    """The decision for the whole message."""

    sanitized = "sanitized"
    """A safe plain-text message was built and may be delivered to the LGWAN side."""
    held = "held"
    """The original is kept for review; ``message`` is a text-only notice for the recipient."""


class SanitizeMethod(StrEnum):
    """The 無害化 methods used for one message (glossary: 無害化通信)."""

    mail_text = "mail_text"
    """メールテキスト化: the body (and extracted attachment text) delivered as plain text."""
    strip_attachments = "strip_attachments"
    """添付ファイル削除: at least one attachment was removed."""
    file_sanitize = "file_sanitize"
    """ファイル無害化: at least one attachment was replaced by a converter's output."""


class FileKind(StrEnum):
    """What a part really is, decided from its content (and dangerous file-name extensions)."""

    text = "text"
    csv = "csv"
    html = "html"
    pdf = "pdf"
    pdf_active = "pdf_active"
    office = "office"
    office_active = "office_active"
    image = "image"
    svg = "svg"
    audio_video = "audio_video"
    archive = "archive"
    archive_other = "archive_other"
    encrypted = "encrypted"
    executable = "executable"
    script = "script"
    tnef = "tnef"
    secure_mail = "secure_mail"
    message = "message"
    empty = "empty"
    unknown = "unknown"


class PartAction(StrEnum):
    """What happened to one part of the original message."""

    body = "body"
    """Rendered as (part of) the message body."""
    alternative_dropped = "alternative_dropped"
    """Another alternative (multipart/alternative) was rendered instead."""
    text_extracted = "text_extracted"
    """Removed; its text was extracted into the body."""
    embedded_message = "embedded_message"
    """An attached mail rendered inline; its own parts have their own outcomes."""
    converted = "converted"
    """Replaced by a converter's output (file disarm extension point)."""
    deleted = "deleted"
    """Removed and listed in the banner."""
    held = "held"
    """Causes the whole message to be held."""


@dataclass(frozen=True, kw_only=True)
class Reason:
    """One reason for the verdict or one change listed in the manifest."""

    code: ReasonCode
    """Stable code; ``code.holds`` says whether it holds the message."""
    part_id: str | None = None
    """The part it concerns (see ``PartOutcome.part_id``), or None for the whole message."""
    detail: str = ""
    """Short free text: a file name, or the limit and the value that exceeded it."""


@dataclass(frozen=True, kw_only=True)
class PartOutcome:
    """What the engine found and did for one part of the original message."""

    part_id: str
    """Position in the original: ``1``, ``2.1`` ... (IMAP style); archive entries ``2/3``."""
    filename: str | None
    """Decoded and cleaned file name, or None when the part has none."""
    declared_type: str
    """The Content-Type the sender declared (``type/subtype``, lower case)."""
    detected_type: str
    """The MIME type detected from the content (libmagic)."""
    kind: FileKind
    """What the part really is, which decides the policy applied."""
    size: int
    """Decoded size in bytes."""
    sha256: str
    """SHA-256 of the decoded bytes (hex)."""
    action: PartAction
    """What happened to the part."""
    reasons: tuple[ReasonCode, ...] = ()
    """Why: findings such as ``encrypted_file``, ``type_mismatch``, ``active_content_found``."""
    entries: tuple[PartOutcome, ...] = ()
    """For archives: one outcome per entry inspected."""


@dataclass(frozen=True, kw_only=True)
class SanitizeResult:
    """The outcome of ``sanitize_message``: new message bytes and a full account of the original."""

    verdict: Verdict
    message: bytes
    """The new message (CRLF, 7-bit): the sanitized mail, or the notice when held."""
    reasons: tuple[Reason, ...]
    """Why the message was held (holding codes) and what was changed (the manifest)."""
    parts: tuple[PartOutcome, ...]
    """One outcome per leaf part and per attached mail of the original, in order."""
    original_sha256: str
    original_size: int
    headers: tuple[tuple[str, str], ...]
    """The allow-listed headers as decoded and cleaned text (before the subject tag)."""
    methods: frozenset[SanitizeMethod]
    quarantine_id: str | None = None
    """The quarantine key (the original's SHA-256) when a quarantine store was given."""

    @property
    def held(self) -> bool:
        """Return True when the message is held."""
        return self.verdict is Verdict.held

    @property
    def holding_reasons(self) -> tuple[Reason, ...]:
        """Return only the reasons that hold the message."""
        return tuple(r for r in self.reasons if r.code.holds)

    @property
    def actions(self) -> tuple[str, ...]:
        """Return the sorted, distinct non-holding reason codes (the ``X-Sanitized`` tokens)."""
        return tuple(sorted({str(r.code) for r in self.reasons if not r.code.holds}))
