"""The per-kind converter interface: the extension point for text extraction and file disarm.

A converter turns one attachment into something safe: text for the body, disarmed files to
attach, or both. The engine calls ``BUILTIN_EXTRACTORS[kind]`` for ``extract_text`` and the
caller's ``converters[kind]`` for ``convert`` (file disarm, CDR: rendering PDFs and images,
re-saving Office files without macros; it is planned for a later issue, so there are no
built-in ones). A converter refuses a file by raising ``AttachmentRejected``: the part, and so
the message, is then held with the reason given.

    class PdfToImages:
        def convert(self, source: ConversionInput) -> Conversion:
            pages = render_in_sandbox(source.data, deadline=source.deadline)
            return Conversion(files=(ConvertedFile(
                filename=(source.filename or "document") + ".pdf",
                content_type="application/pdf", data=pages),))

    sanitize_message(raw, policy=Policy(attachments={FileKind.pdf: AttachmentAction.convert}),
                     converters={FileKind.pdf: PdfToImages()})
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from .deadline import Deadline
from .policy import Policy
from .reasons import ReasonCode
from .result import FileKind

__all__ = ["Conversion", "ConversionInput", "ConvertedFile", "Converter", "Converters"]


@dataclass(frozen=True, kw_only=True)
class ConversionInput:
    """One attachment handed to a converter."""

    data: bytes
    """The decoded attachment bytes."""
    filename: str | None
    kind: FileKind
    detected_type: str
    declared_type: str
    charset: str | None
    """The charset parameter the sender declared, for text."""
    part_id: str
    policy: Policy
    deadline: Deadline
    """Call ``deadline.check(part_id)`` between expensive steps."""


@dataclass(frozen=True, kw_only=True)
class ConvertedFile:
    """A disarmed file to attach to the delivered message."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, kw_only=True)
class Conversion:
    """What a converter produced."""

    text: str = ""
    """Text for the body (may be empty)."""
    files: tuple[ConvertedFile, ...] = ()
    """Disarmed files to attach (only converters for ``convert`` should return files)."""
    findings: tuple[ReasonCode, ...] = ()
    """Non-holding observations for the part outcome (e.g. ``decode_errors``)."""


class Converter(Protocol):
    """Turn one attachment into safe output, or raise ``AttachmentRejected``."""

    def convert(self, source: ConversionInput) -> Conversion:
        """Return the conversion of ``source``."""
        ...


Converters = Mapping[FileKind, Converter]
