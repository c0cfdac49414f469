"""The sanitizer policy: a frozen record, loadable from TOML, validated on construction.

>>> from isms.sanitizer import Policy, LinkPolicy, LinkMode
>>> Policy(links=LinkPolicy(http=LinkMode.remove)).links.http
<LinkMode.remove: 'remove'>
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .errors import PolicyError
from .result import FileKind

__all__ = [
    "DEFAULT_ATTACHMENT_ACTIONS",
    "AttachmentAction",
    "BodyPreference",
    "Limits",
    "LinkMode",
    "LinkPolicy",
    "Policy",
    "UndecodableText",
    "load_policy",
    "policy_from_mapping",
]

MIB = 1024 * 1024


class LinkMode(StrEnum):
    """How links of one scheme family appear in the delivered text."""

    keep = "keep"
    defang = "defang"
    """``https://www.example.jp/a`` becomes ``hxxps://www[.]example[.]jp/a``."""
    remove = "remove"
    """The link is replaced by ``[リンク削除]``."""


class AttachmentAction(StrEnum):
    """What to do with an attachment of one ``FileKind``."""

    extract_text = "extract_text"
    """Remove the file, put its text in the body (text, CSV, HTML, PDF text layer, ZIP entries,
    attached mails)."""
    convert = "convert"
    """Replace the file by a registered converter's output (file disarm, CDR)."""
    delete = "delete"
    """Remove the file and list it in the banner."""
    hold = "hold"
    """Hold the whole message for review."""


class BodyPreference(StrEnum):
    """Which alternative of a multipart/alternative to render."""

    text = "text"
    html = "html"


class UndecodableText(StrEnum):
    """What to do when text cannot be decoded without errors."""

    substitute = "substitute"
    """Deliver it with U+FFFD for the undecodable bytes (reason ``decode_errors``)."""
    hold = "hold"
    """Hold the message (reason ``unsupported_charset``)."""


DEFAULT_ATTACHMENT_ACTIONS: Mapping[FileKind, AttachmentAction] = MappingProxyType(
    {
        FileKind.text: AttachmentAction.extract_text,
        FileKind.csv: AttachmentAction.extract_text,
        FileKind.html: AttachmentAction.extract_text,
        FileKind.pdf: AttachmentAction.extract_text,
        FileKind.pdf_active: AttachmentAction.extract_text,
        FileKind.archive: AttachmentAction.extract_text,
        FileKind.message: AttachmentAction.extract_text,
        FileKind.office: AttachmentAction.delete,
        FileKind.image: AttachmentAction.delete,
        FileKind.svg: AttachmentAction.delete,
        FileKind.audio_video: AttachmentAction.delete,
        FileKind.empty: AttachmentAction.delete,
        FileKind.office_active: AttachmentAction.hold,
        FileKind.archive_other: AttachmentAction.hold,
        FileKind.encrypted: AttachmentAction.hold,
        FileKind.executable: AttachmentAction.hold,
        FileKind.script: AttachmentAction.hold,
        FileKind.tnef: AttachmentAction.hold,
        FileKind.secure_mail: AttachmentAction.hold,
        FileKind.unknown: AttachmentAction.hold,
    }
)

_EXTRACTABLE = frozenset(
    {
        FileKind.text,
        FileKind.csv,
        FileKind.html,
        FileKind.pdf,
        FileKind.pdf_active,
        FileKind.archive,
        FileKind.message,
    }
)
_NEVER_PASSED = frozenset(
    {
        FileKind.encrypted,
        FileKind.executable,
        FileKind.script,
        FileKind.tnef,
        FileKind.secure_mail,
        FileKind.unknown,
        FileKind.archive_other,
    }
)

ALLOWED_ACTIONS: Mapping[FileKind, frozenset[AttachmentAction]] = MappingProxyType(
    {
        kind: (
            frozenset({AttachmentAction.hold, AttachmentAction.delete})
            if kind in _NEVER_PASSED
            else frozenset(
                {AttachmentAction.hold, AttachmentAction.delete, AttachmentAction.convert}
                | ({AttachmentAction.extract_text} if kind in _EXTRACTABLE else set())
            )
        )
        for kind in FileKind
    }
)
"""Which actions each kind accepts: what cannot be inspected can only be held or deleted."""


@dataclass(frozen=True, kw_only=True)
class LinkPolicy:
    """Link handling per scheme family; ``javascript:``, ``data:`` and such are always removed."""

    http: LinkMode = LinkMode.defang
    """http, https and ftp links."""
    mailto: LinkMode = LinkMode.keep
    tel: LinkMode = LinkMode.keep


@dataclass(frozen=True, kw_only=True)
class Limits:
    """Limits that hold the message when exceeded (reason in parentheses)."""

    message_bytes: int = 25 * MIB
    """Size of the raw message (``message_too_large``)."""
    mime_depth: int = 16
    """Nesting of multiparts and attached mails (``mime_too_deep``)."""
    parts: int = 250
    """Number of MIME entities, containers included (``too_many_parts``)."""
    seconds: float = 30.0
    """Processing time per message, checked between steps (``timeout``)."""
    text_chars: int = 2_000_000
    """Characters of delivered text (``text_too_long``)."""
    archive_bytes: int = 100 * MIB
    """Total uncompressed size of one archive (``archive_too_large``)."""
    archive_ratio: float = 100.0
    """Uncompressed/compressed ratio of an archive entry (``archive_ratio``)."""
    archive_depth: int = 1
    """Archive nesting; 1 means an archive inside an archive is held (``archive_nested``)."""
    archive_entries: int = 1000
    """Entries in one archive (``archive_too_many_entries``)."""
    pdf_pages: int = 500
    """Pages of a PDF whose text is extracted (``document_too_large``)."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise PolicyError(f"limits.{f.name}", f"must be a positive number, got {value!r}")
        if self.archive_ratio < 1:
            raise PolicyError("limits.archive_ratio", "must be at least 1")


@dataclass(frozen=True, kw_only=True)
class Policy:
    """Everything that decides how a message is sanitized. ``Policy()`` is the default."""

    subject_tag: str = "【無害化】"
    """Prefixed to the Subject of sanitized mail (not repeated if already there); "" for none."""
    held_subject_tag: str = "【保留】"
    """Added after ``subject_tag`` on the notice for a held message."""
    prefer: BodyPreference = BodyPreference.text
    """Which alternative to render when a mail has both text and HTML."""
    links: LinkPolicy = field(default_factory=LinkPolicy)
    limits: Limits = field(default_factory=Limits)
    attachments: Mapping[FileKind, AttachmentAction] = field(
        default_factory=lambda: DEFAULT_ATTACHMENT_ACTIONS
    )
    """Action per kind; kinds not given keep their default."""
    undecodable_text: UndecodableText = UndecodableText.substitute
    hold_on_type_mismatch: bool = True
    """Hold when the file-name extension claims another kind than the content (e.g. ``.zip``
    holding text, ``.pdf`` holding a ZIP)."""
    notice_includes_text: bool = True
    """When held only because of attachments, include the sanitized text in the notice."""

    def __post_init__(self) -> None:
        merged = dict(DEFAULT_ATTACHMENT_ACTIONS)
        for kind, action in self.attachments.items():
            try:
                kind_ = FileKind(kind)
                action_ = AttachmentAction(action)
            except ValueError as exc:
                raise PolicyError(f"attachments.{kind}", str(exc)) from None
            if action_ not in ALLOWED_ACTIONS[kind_]:
                allowed = ", ".join(sorted(ALLOWED_ACTIONS[kind_]))
                raise PolicyError(
                    f"attachments.{kind_}",
                    f"{action_} is not allowed for this kind; use one of: {allowed}",
                )
            merged[kind_] = action_
        object.__setattr__(self, "attachments", MappingProxyType(merged))
        for name in ("subject_tag", "held_subject_tag"):
            value = getattr(self, name)
            if not isinstance(value, str) or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
                raise PolicyError(name, "must be text without control characters")
            if len(value) > 40:
                raise PolicyError(name, "must be at most 40 characters")

    def action_for(self, kind: FileKind) -> AttachmentAction:
        """Return the action the policy takes for an attachment of ``kind``."""
        return self.attachments[kind]


def _enum_value(enum: type[StrEnum], key: str, value: Any) -> Any:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise PolicyError(key, f"{value!r} is not one of: {allowed}") from None


def _check_keys(section: Mapping[str, Any], allowed: set[str], prefix: str) -> None:
    unknown = sorted(set(section) - allowed)
    if unknown:
        key = f"{prefix}{unknown[0]}"
        raise PolicyError(key, f"unknown key; valid keys are: {', '.join(sorted(allowed))}")


def policy_from_mapping(data: Mapping[str, Any], *, source: str | None = None) -> Policy:
    """Build a ``Policy`` from parsed TOML/JSON data; raise ``PolicyError`` naming the bad key."""
    try:
        return _policy_from_mapping(data)
    except PolicyError as exc:
        if source is None:
            raise
        raise PolicyError(exc.key, exc.detail, source=source) from None


def _section(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, Mapping):
        raise PolicyError(name, "must be a table")
    return value


def _policy_from_mapping(data: Mapping[str, Any]) -> Policy:
    top = {f.name for f in fields(Policy)}
    _check_keys(data, top, "")
    kwargs: dict[str, Any] = {}
    for name in ("subject_tag", "held_subject_tag"):
        if name in data:
            if not isinstance(data[name], str):
                raise PolicyError(name, "must be a string")
            kwargs[name] = data[name]
    if "prefer" in data:
        kwargs["prefer"] = _enum_value(BodyPreference, "prefer", data["prefer"])
    if "undecodable_text" in data:
        kwargs["undecodable_text"] = _enum_value(
            UndecodableText, "undecodable_text", data["undecodable_text"]
        )
    for name in ("hold_on_type_mismatch", "notice_includes_text"):
        if name in data:
            if not isinstance(data[name], bool):
                raise PolicyError(name, "must be true or false")
            kwargs[name] = data[name]
    links = _section(data, "links")
    _check_keys(links, {f.name for f in fields(LinkPolicy)}, "links.")
    kwargs["links"] = LinkPolicy(
        **{k: _enum_value(LinkMode, f"links.{k}", v) for k, v in links.items()}
    )
    limits = _section(data, "limits")
    _check_keys(limits, {f.name for f in fields(Limits)}, "limits.")
    kwargs["limits"] = Limits(**limits)
    attachments = _section(data, "attachments")
    _check_keys(attachments, {k.value for k in FileKind}, "attachments.")
    kwargs["attachments"] = {
        FileKind(k): _enum_value(AttachmentAction, f"attachments.{k}", v)
        for k, v in attachments.items()
    }
    return Policy(**kwargs)


def load_policy(path: str | Path) -> Policy:
    """Read a TOML policy file; raise ``PolicyError`` (with the file and key) if it is invalid."""
    source = str(path)
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise PolicyError("-", f"cannot read the file: {exc.strerror}", source=source) from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError("-", f"not valid TOML: {exc}", source=source) from None
    return policy_from_mapping(data, source=source)
