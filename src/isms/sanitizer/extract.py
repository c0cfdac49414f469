"""Built-in text extractors: plain text, CSV, HTML and the text layer of a PDF.

Each is a ``Converter`` returning text only; the original file never leaves.
"""

from __future__ import annotations

import io
from types import MappingProxyType

import pypdf

from .charset import decode_text
from .converters import Conversion, ConversionInput, Converters
from .errors import AttachmentRejected, LimitExceeded, SanitizerError, UnsupportedCharset
from .html import html_to_text
from .policy import UndecodableText
from .reasons import ReasonCode
from .result import FileKind

__all__ = ["BUILTIN_EXTRACTORS", "HtmlExtractor", "PdfTextExtractor", "TextExtractor"]


def decode_part_text(source: ConversionInput) -> tuple[str, tuple[ReasonCode, ...]]:
    """Decode text with the charset layer, applying the policy for undecodable bytes."""
    decoded = decode_text(source.data, source.charset)
    findings: list[ReasonCode] = []
    if decoded.repaired and source.charset:
        findings.append(ReasonCode.charset_repaired)
    if decoded.errors:
        if source.policy.undecodable_text is UndecodableText.hold:
            raise UnsupportedCharset(source.charset, part_id=source.part_id)
        findings.append(ReasonCode.decode_errors)
    return decoded.text, tuple(findings)


class TextExtractor:
    """Plain text and CSV: decoded with the charset layer and shown as they are."""

    def convert(self, source: ConversionInput) -> Conversion:
        """Return the decoded text."""
        text, findings = decode_part_text(source)
        return Conversion(text=text, findings=findings)


class HtmlExtractor:
    """HTML files: converted like HTML mail bodies (scripts, styles, hidden text dropped)."""

    def convert(self, source: ConversionInput) -> Conversion:
        """Return the readable text of the HTML."""
        text, findings = decode_part_text(source)
        converted = html_to_text(text)
        extra = (ReasonCode.unsafe_links_removed,) if converted.unsafe_links else ()
        return Conversion(
            text=converted.text, findings=(*findings, ReasonCode.html_converted, *extra)
        )


class PdfTextExtractor:
    """PDF: the text layer only, page by page; actions, scripts and embedded files never run."""

    def convert(self, source: ConversionInput) -> Conversion:
        """Return the text of every page."""
        limit = source.policy.limits.pdf_pages
        try:
            reader = pypdf.PdfReader(io.BytesIO(source.data), strict=False)
            if reader.is_encrypted:
                raise AttachmentRejected(
                    ReasonCode.encrypted_file, "encrypted PDF", part_id=source.part_id
                )
            count = len(reader.pages)
            if count > limit:
                raise LimitExceeded(
                    ReasonCode.document_too_large,
                    limit="pdf_pages",
                    value=count,
                    maximum=limit,
                    part_id=source.part_id,
                )
            pages: list[str] = []
            for page in reader.pages:
                source.deadline.check(source.part_id)
                pages.append(page.extract_text() or "")
        except SanitizerError:
            raise
        except Exception as exc:  # pypdf raises many types on broken files
            raise AttachmentRejected(
                ReasonCode.conversion_failed,
                f"PDF text could not be extracted: {type(exc).__name__}",
                part_id=source.part_id,
            ) from None
        return Conversion(text="\n\n".join(p.strip("\n") for p in pages))


BUILTIN_EXTRACTORS: Converters = MappingProxyType(
    {
        FileKind.text: TextExtractor(),
        FileKind.csv: TextExtractor(),
        FileKind.html: HtmlExtractor(),
        FileKind.pdf: PdfTextExtractor(),
        FileKind.pdf_active: PdfTextExtractor(),
    }
)
"""The extractors used for ``AttachmentAction.extract_text`` (archives and attached mails are
handled by the engine itself, which recurses into them)."""
