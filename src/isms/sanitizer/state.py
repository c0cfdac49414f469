"""The working state of one sanitization: what was found and done so far (internal only).

``Run`` collects part outcomes, reasons, text sections and converted files while the walk
(``walk``) and the attachment policy (``attachments``) do their work; ``engine`` turns it into
the frozen ``SanitizeResult``. Nothing here is returned to callers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from .compose import Section
from .converters import ConversionInput, ConvertedFile, Converter
from .deadline import Deadline
from .detect import Detection
from .errors import LimitExceeded
from .headers import SafeHeaders
from .policy import Policy
from .reasons import ReasonCode
from .result import FileKind, PartAction, PartOutcome, Reason

__all__ = ["NO_NAME", "Item", "Run"]

NO_NAME = "(名前なし)"


@dataclass(frozen=True)
class Item:
    """One part or archive entry being handled, with what is known about it."""

    part_id: str
    data: bytes
    filename: str | None
    declared: str
    """The declared ``type/subtype`` ("" for archive entries)."""
    charset: str | None
    detection: Detection
    label: str
    """How the banner and the notice name it (file name, or the archive path)."""


class Run:
    """The state of one sanitization."""

    def __init__(
        self, policy: Policy, converters: Mapping[FileKind, Converter], deadline: Deadline
    ) -> None:
        self.policy = policy
        self.limits = policy.limits
        self.converters = converters
        self.deadline = deadline
        self.raw = b""
        self.headers = SafeHeaders()
        self.parts: list[PartOutcome] = []
        self.reasons: list[Reason] = []
        self.sections: list[Section] = []
        self.files: list[ConvertedFile] = []
        self.entities = 0
        self.body_complete = False
        """True once the whole tree was walked without a message-level failure."""

    def note(self, code: ReasonCode, part_id: str | None = None, detail: str = "") -> None:
        """Record a reason once."""
        reason = Reason(code=code, part_id=part_id, detail=detail)
        if reason not in self.reasons:
            self.reasons.append(reason)

    def enter(self, part_id: str, depth: int) -> None:
        """Count one MIME entity; raise when the part count, depth or time limit is passed."""
        self.entities += 1
        if self.entities > self.limits.parts:
            raise LimitExceeded(
                ReasonCode.too_many_parts,
                limit="parts",
                value=self.entities,
                maximum=self.limits.parts,
                part_id=part_id,
            )
        if depth > self.limits.mime_depth:
            raise LimitExceeded(
                ReasonCode.mime_too_deep,
                limit="mime_depth",
                value=depth,
                maximum=self.limits.mime_depth,
                part_id=part_id,
            )
        self.deadline.check(part_id)

    def outcome(
        self,
        item: Item,
        action: PartAction,
        reasons: tuple[ReasonCode, ...] = (),
        entries: tuple[PartOutcome, ...] = (),
    ) -> PartOutcome:
        """Return the outcome record of ``item``."""
        return PartOutcome(
            part_id=item.part_id,
            filename=item.filename,
            declared_type=item.declared,
            detected_type=item.detection.detected_type,
            kind=item.detection.kind,
            size=len(item.data),
            sha256=hashlib.sha256(item.data).hexdigest(),
            action=action,
            reasons=tuple(dict.fromkeys((*item.detection.findings, *reasons))),
            entries=entries,
        )

    def hold(self, item: Item, code: ReasonCode) -> PartOutcome:
        """Record that ``item`` holds the message; return its outcome (not yet appended)."""
        self.note(code, item.part_id, item.label)
        return self.outcome(item, PartAction.held, (code,))

    def conversion_input(self, item: Item) -> ConversionInput:
        """Return what a converter receives for ``item``."""
        return ConversionInput(
            data=item.data,
            filename=item.filename,
            kind=item.detection.kind,
            detected_type=item.detection.detected_type,
            declared_type=item.declared,
            charset=item.charset,
            part_id=item.part_id,
            policy=self.policy,
            deadline=self.deadline,
        )
