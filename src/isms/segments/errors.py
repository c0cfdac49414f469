"""Errors of the segmentation verifier: one base class; each says what, where and how to fix.

Every error raised by :func:`isms.segments.verify` or :func:`isms.segments.explain` for bad input is
a :class:`SegmentsError`; nothing else escapes for bad input. Each error carries the fields a
caller needs to point the user at the problem (file, line, offending text, JSON path) and a
``hint`` saying how to fix it. ``str(error)`` is the English message; :meth:`SegmentsError.render`
gives it in Japanese or English.
"""

from __future__ import annotations

__all__ = [
    "ModelError",
    "ParseError",
    "SegmentsError",
    "UnknownDevice",
    "UnknownZone",
    "UnsupportedSyntax",
]

Lang = str


class SegmentsError(Exception):
    """Base class of every input error of the segmentation verifier."""

    code = "segments_error"

    def __init__(self, message: str, *, hint: str = "", message_ja: str = "", hint_ja: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.message_ja = message_ja or message
        self.hint_ja = hint_ja or hint

    def where(self) -> str:
        """Return where the problem is (file and line, or model path); empty when unknown."""
        return ""

    def render(self, lang: Lang = "en") -> str:
        """Return the full message in ``lang`` (``ja`` or ``en``): where, what, how to fix."""
        message, hint = (
            (self.message_ja, self.hint_ja) if lang == "ja" else (self.message, self.hint)
        )
        where = self.where()
        label = "修正方法" if lang == "ja" else "hint"
        text = f"{where}: {message}" if where else message
        return f"{text}\n  {label}: {hint}" if hint else text

    def __str__(self) -> str:
        return self.render("en")


class ParseError(SegmentsError):
    """A rule-set file could not be read: the file, line and text of the offending line."""

    code = "parse_error"

    def __init__(
        self,
        message: str,
        *,
        source: str,
        line: int,
        text: str,
        hint: str,
        message_ja: str = "",
        hint_ja: str = "",
    ):
        super().__init__(message, hint=hint, message_ja=message_ja, hint_ja=hint_ja)
        self.source = source
        self.line = line
        self.text = text

    def where(self) -> str:
        return f"{self.source}:{self.line}"

    def render(self, lang: Lang = "en") -> str:
        message, hint = (
            (self.message_ja, self.hint_ja) if lang == "ja" else (self.message, self.hint)
        )
        label = "修正方法" if lang == "ja" else "hint"
        shown = self.text if len(self.text) <= 200 else self.text[:197] + "..."
        return f"{self.where()}: {message}\n  | {shown}\n  {label}: {hint}"


class UnsupportedSyntax(ParseError):
    """Valid vendor syntax that can change forwarding but that the verifier does not model."""

    code = "unsupported_syntax"


class ModelError(SegmentsError):
    """The network model (YAML) is invalid: the JSON path of the offending value."""

    code = "model_error"

    def __init__(
        self,
        message: str,
        *,
        source: str,
        path: str,
        hint: str,
        message_ja: str = "",
        hint_ja: str = "",
    ):
        super().__init__(message, hint=hint, message_ja=message_ja, hint_ja=hint_ja)
        self.source = source
        self.path = path

    def where(self) -> str:
        return f"{self.source}: {self.path}" if self.path else self.source


class UnknownZone(ModelError):
    """The model or a query names a zone that the model does not define."""

    code = "unknown_zone"


class UnknownDevice(ModelError):
    """The model or a query names a device that the model does not define."""

    code = "unknown_device"
