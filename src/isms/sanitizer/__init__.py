"""無害化 (sanitizer) engine: Internet mail to safe plain-text mail, without mojibake, fail-closed.

Pure Python, never imports Django. One call does the work::

    >>> from isms.sanitizer import Policy, sanitize_message
    >>> raw = (b"From: a@example.jp\\r\\nSubject: =?UTF-8?B?5qGI5YaF?=\\r\\n"
    ...        b"Content-Type: text/plain; charset=UTF-8\\r\\n\\r\\nhttps://example.jp/\\r\\n")
    >>> result = sanitize_message(raw, policy=Policy())
    >>> result.verdict
    <Verdict.sanitized: 'sanitized'>
    >>> result.actions
    ('links_defanged',)

``result.message`` holds the new message (``text/plain; charset=utf-8``, built from scratch);
``result.parts`` has one ``PartOutcome`` per part of the original; ``result.reasons`` says why a
message was held and what was changed. See ``docs/sanitizer.md``.
"""

from .converters import Conversion, ConversionInput, ConvertedFile, Converter
from .engine import sanitize_message
from .errors import (
    AttachmentRejected,
    LimitExceeded,
    MalformedMessage,
    MalwareFound,
    OutputRejected,
    PolicyError,
    QuarantineError,
    SanitizerError,
    UnsupportedCharset,
)
from .policy import (
    AttachmentAction,
    BodyPreference,
    Limits,
    LinkMode,
    LinkPolicy,
    Policy,
    UndecodableText,
    load_policy,
    policy_from_mapping,
)
from .quarantine import QuarantineStore
from .reasons import ReasonCode
from .report import result_to_dict, result_to_json
from .result import (
    FileKind,
    PartAction,
    PartOutcome,
    Reason,
    SanitizeMethod,
    SanitizeResult,
    Verdict,
)

__all__ = [
    "AttachmentAction",
    "AttachmentRejected",
    "BodyPreference",
    "Conversion",
    "ConversionInput",
    "ConvertedFile",
    "Converter",
    "FileKind",
    "LimitExceeded",
    "Limits",
    "LinkMode",
    "LinkPolicy",
    "MalformedMessage",
    "MalwareFound",
    "OutputRejected",
    "PartAction",
    "PartOutcome",
    "Policy",
    "PolicyError",
    "QuarantineError",
    "QuarantineStore",
    "Reason",
    "ReasonCode",
    "SanitizeMethod",
    "SanitizeResult",
    "SanitizerError",
    "UndecodableText",
    "UnsupportedCharset",
    "Verdict",
    "load_policy",
    "policy_from_mapping",
    "result_to_dict",
    "result_to_json",
    "sanitize_message",
]
