"""``sanitize_message``: Internet mail in, a safe plain-text mail (or a held notice) out.

The steps, each failing closed:

1. size limit, then the stdlib parser finds the MIME structure;
2. the allow-listed headers are decoded and validated (``headers``);
3. the tree is walked (depth, part count and time limits): text bodies are decoded by the
   Japanese charset layer, HTML is converted to text, every other part is classified from its
   content and handled by the per-kind policy (extract text, convert, delete or hold);
4. the text is cleaned (controls, bidi, smuggled uuencode), the link policy applied, and a new
   message is built from scratch and verified (``compose``);
5. with a quarantine store, the original is written and fsynced before the result is returned.

Any error, limit or timeout yields a held verdict and a notice; nothing from the original is
emitted unless it went through these steps.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from datetime import UTC, datetime

from .compose import banner_text, build_message, fallback_message, notice_text, verify_output
from .converters import Converter
from .deadline import Clock, Deadline
from .errors import SanitizerError
from .policy import Policy
from .quarantine import QuarantineStore
from .reasons import ReasonCode
from .result import (
    FileKind,
    PartAction,
    PartOutcome,
    Reason,
    SanitizeMethod,
    SanitizeResult,
    Verdict,
)
from .state import Run
from .walk import delivered_text, walk_message

__all__ = ["sanitize_message"]

_UNTRUSTED = frozenset({ReasonCode.malformed_message, ReasonCode.malware_signature})
"""Holds after which no text at all goes into the notice: the structure or content is hostile."""


def _subject(policy: Policy, subject: str, *, held: bool) -> str:
    tag = policy.subject_tag
    if subject.startswith(tag):
        subject = subject[len(tag) :].lstrip()
    if held:
        return f"{tag}{policy.held_subject_tag}{subject}"
    return f"{tag}{subject}"


def _methods(parts: list[PartOutcome]) -> frozenset[SanitizeMethod]:
    methods = {SanitizeMethod.mail_text}
    flat = list(parts)
    while flat:
        part = flat.pop()
        flat.extend(part.entries)
        if part.action is PartAction.deleted:
            methods.add(SanitizeMethod.strip_attachments)
        elif part.action is PartAction.converted:
            methods.add(SanitizeMethod.file_sanitize)
    return frozenset(methods)


def _x_sanitized(verdict: Verdict, reasons: list[Reason], receipt: str) -> str:
    actions = sorted({str(r.code) for r in reasons if not r.code.holds}) or ["none"]
    value = f"verdict={verdict}; actions={','.join(actions)}"
    holds = sorted({str(r.code) for r in reasons if r.code.holds})
    if holds:
        value += f"; holds={','.join(holds)}"
    return f"{value}; id={receipt}"


def sanitize_message(
    raw: bytes,
    *,
    policy: Policy,
    quarantine: QuarantineStore | None = None,
    received_at: datetime | None = None,
    converters: Mapping[FileKind, Converter] | None = None,
    clock: Clock = time.monotonic,
) -> SanitizeResult:
    """Sanitize one Internet mail; return the new message and a full account of the original.

    Never raises for bad input: errors, limits and timeouts give a held verdict. Raises
    ``QuarantineError`` only when ``quarantine`` is given and the original cannot be stored
    (the caller must then refuse the message temporarily), and ``TypeError`` for non-bytes.

    ``converters`` are used for kinds the policy sets to ``convert``; ``clock`` measures the
    time limit; ``received_at`` (default: now, UTC) is recorded in the quarantine metadata.
    """
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise TypeError(f"raw must be bytes, not {type(raw).__name__}")
    raw = bytes(raw)
    original_sha256 = hashlib.sha256(raw).hexdigest()
    receipt = original_sha256[:16]
    run = Run(policy, converters or {}, Deadline(policy.limits.seconds, clock))
    text: str | None = None
    try:
        walk_message(run, raw)
        text = delivered_text(run)
    except SanitizerError as exc:
        run.note(exc.reason, exc.part_id, str(exc))
        run.body_complete = False
    except (RecursionError, MemoryError) as exc:
        run.note(ReasonCode.malformed_message, None, type(exc).__name__)
        run.body_complete = False
    except Exception as exc:  # fail closed on any bug or stdlib surprise
        run.note(ReasonCode.internal_error, None, f"{type(exc).__name__}: {exc}"[:300])
        run.body_complete = False
    message = _build(run, text, receipt)
    holds = any(r.code.holds for r in run.reasons)
    result = SanitizeResult(
        verdict=Verdict.held if holds else Verdict.sanitized,
        message=message,
        reasons=tuple(run.reasons),
        parts=tuple(run.parts),
        original_sha256=original_sha256,
        original_size=len(raw),
        headers=run.headers.as_pairs(),
        methods=_methods(run.parts),
        quarantine_id=original_sha256 if quarantine is not None else None,
    )
    if quarantine is not None:
        quarantine.store(raw, result, received_at=received_at or datetime.now(UTC))
    return result


def _build(run: Run, text: str | None, receipt: str) -> bytes:
    """Build and verify the sanitized message or the notice; fall back to a fixed notice."""
    for _attempt in range(2):
        holds = [r for r in run.reasons if r.code.holds]
        verdict = Verdict.held if holds else Verdict.sanitized
        try:
            if verdict is Verdict.sanitized and text is not None:
                body = banner_text(run.reasons, receipt) + "\n" + text
                files = run.files
            else:
                include = (
                    run.policy.notice_includes_text
                    and run.body_complete
                    and text is not None
                    and all(r.part_id is not None and r.code not in _UNTRUSTED for r in holds)
                )
                body = notice_text(run.reasons, receipt, run.headers, text if include else None)
                files = []
            data = build_message(
                run.headers,
                subject=_subject(run.policy, run.headers.subject, held=verdict is Verdict.held),
                text=body,
                x_sanitized=_x_sanitized(verdict, run.reasons, receipt),
                files=files,
            )
            verify_output(data, files=len(files))
            return data
        except Exception as exc:  # a build failure must still fail closed
            code = (
                exc.reason
                if isinstance(exc, SanitizerError)
                else ReasonCode.output_verification_failed
            )
            run.note(code, None, f"{type(exc).__name__}: {exc}"[:300])
            run.body_complete = False
            text = None
    return fallback_message(receipt)
