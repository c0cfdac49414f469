"""The sanitizer's exceptions: one base class, specific subclasses with fields.

Inside ``sanitize_message`` every ``SanitizerError`` becomes a held verdict carrying its
``reason`` (fail closed); callers only ever see ``QuarantineError`` from it (the original could
not be stored, so the caller must not accept the message) and ``PolicyError`` from
``load_policy``/``Policy`` validation.
"""

from __future__ import annotations

from .reasons import ReasonCode

__all__ = [
    "AttachmentRejected",
    "LimitExceeded",
    "MalformedMessage",
    "MalwareFound",
    "OutputRejected",
    "PolicyError",
    "QuarantineError",
    "SanitizerError",
    "UnsupportedCharset",
]


class SanitizerError(Exception):
    """Base class of every error raised by the sanitizer."""

    reason: ReasonCode = ReasonCode.internal_error

    def __init__(self, message: str, *, part_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.part_id = part_id


class MalformedMessage(SanitizerError):
    """The message cannot be parsed safely (for example, nesting that breaks the parser)."""

    reason = ReasonCode.malformed_message


class UnsupportedCharset(SanitizerError):
    """Text could not be decoded and the policy says to hold rather than replace characters."""

    reason = ReasonCode.unsupported_charset

    def __init__(self, charset: str | None, *, part_id: str | None = None) -> None:
        label = charset or "(none)"
        super().__init__(
            f"part {part_id or '-'}: text in charset {label!r} could not be decoded without "
            'errors; set undecodable_text = "substitute" in the policy to deliver it with U+FFFD',
            part_id=part_id,
        )
        self.charset = charset


class LimitExceeded(SanitizerError):
    """A configured limit was exceeded; ``limit`` names the ``Limits`` field."""

    def __init__(
        self,
        reason: ReasonCode,
        *,
        limit: str,
        value: float,
        maximum: float,
        part_id: str | None = None,
    ) -> None:
        super().__init__(
            f"{limit}: {value:g} exceeds the limit of {maximum:g}"
            + (f" (part {part_id})" if part_id else "")
            + f"; raise limits.{limit} in the policy if this message is legitimate",
            part_id=part_id,
        )
        self.reason = reason
        self.limit = limit
        self.value = value
        self.maximum = maximum


class AttachmentRejected(SanitizerError):
    """A converter or extractor refused one attachment; the part (and so the message) is held."""

    def __init__(self, reason: ReasonCode, message: str, *, part_id: str | None = None) -> None:
        super().__init__(message, part_id=part_id)
        self.reason = reason


class MalwareFound(SanitizerError):
    """A malware (test) signature was found in text that would have been delivered."""

    reason = ReasonCode.malware_signature

    def __init__(self, signature: str, *, part_id: str | None = None) -> None:
        super().__init__(f"signature {signature} found in the delivered text", part_id=part_id)
        self.signature = signature


class OutputRejected(SanitizerError):
    """The message built for delivery failed its final check (a bug, never input's fault)."""

    reason = ReasonCode.output_verification_failed


class PolicyError(SanitizerError):
    """A policy value or file is invalid; ``key`` is the dotted key, ``source`` the file."""

    def __init__(self, key: str, message: str, *, source: str | None = None) -> None:
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{key}: {message}")
        self.key = key
        self.detail = message
        self.source = source


class QuarantineError(SanitizerError):
    """The original could not be stored durably; the caller must temp-fail the message."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"quarantine {path}: {message}")
        self.path = path
