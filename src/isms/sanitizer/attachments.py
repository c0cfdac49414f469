"""The per-kind attachment policy: extract text, convert, delete or hold; archives recurse.

One function decides for one attachment (or archive entry): it applies the policy action for
its ``FileKind`` (made stricter by a test signature, a type mismatch or archive nesting), runs
the built-in extractor or the caller's converter, and records the outcome. ZIP archives are
read in memory (``archives``) and each entry goes through the same function.
"""

from __future__ import annotations

from .archives import read_zip
from .compose import Section, section_title_for
from .detect import detect
from .errors import SanitizerError
from .extract import BUILTIN_EXTRACTORS
from .policy import AttachmentAction
from .reasons import ReasonCode
from .result import FileKind, PartAction, PartOutcome
from .state import Item, Run
from .textsafety import find_hidden_mime, find_test_signature

__all__ = ["HOLD_REASONS", "handle_attachment"]

HOLD_REASONS = {
    FileKind.encrypted: ReasonCode.encrypted_file,
    FileKind.executable: ReasonCode.executable,
    FileKind.script: ReasonCode.script,
    FileKind.tnef: ReasonCode.tnef,
    FileKind.secure_mail: ReasonCode.secure_mail,
    FileKind.unknown: ReasonCode.unrecognised_type,
    FileKind.archive_other: ReasonCode.archive_unsupported,
    FileKind.office_active: ReasonCode.active_document,
}
"""The reason given when a kind is held; other kinds held by the policy: ``held_by_policy``."""
_ARCHIVE_KINDS = frozenset({FileKind.archive, FileKind.archive_other})


def _decide(run: Run, item: Item, level: int) -> tuple[AttachmentAction, ReasonCode]:
    """Return the action for ``item`` and the reason to use if it is held."""
    kind = item.detection.kind
    if find_test_signature(item.data):
        return AttachmentAction.hold, ReasonCode.malware_signature
    if ReasonCode.type_mismatch in item.detection.findings and run.policy.hold_on_type_mismatch:
        return AttachmentAction.hold, ReasonCode.type_mismatch
    if kind in _ARCHIVE_KINDS and level + 1 > run.limits.archive_depth:
        return AttachmentAction.hold, ReasonCode.archive_nested
    return run.policy.action_for(kind), HOLD_REASONS.get(kind, ReasonCode.held_by_policy)


def handle_attachment(run: Run, item: Item, *, level: int = 0) -> PartOutcome:
    """Apply the policy to one attachment (``level`` 0) or archive entry; return its outcome."""
    run.deadline.check(item.part_id)
    action, hold_code = _decide(run, item, level)
    if action is AttachmentAction.hold:
        return run.hold(item, hold_code)
    if action is AttachmentAction.delete:
        run.note(ReasonCode.attachment_deleted, item.part_id, item.label)
        return run.outcome(item, PartAction.deleted)
    kind = item.detection.kind
    if action is AttachmentAction.extract_text and kind is FileKind.archive:
        return _archive(run, item, level + 1)
    if action is AttachmentAction.extract_text:
        converter = BUILTIN_EXTRACTORS.get(kind, BUILTIN_EXTRACTORS[FileKind.text])
    elif (found := run.converters.get(kind)) is not None:
        converter = found
    else:
        return run.hold(item, ReasonCode.no_converter)
    try:
        conversion = converter.convert(run.conversion_input(item))
    except SanitizerError as exc:
        if exc.reason is ReasonCode.timeout:
            raise
        return run.hold(item, exc.reason)
    if find_hidden_mime(conversion.text):
        return run.hold(item, ReasonCode.malformed_message)
    for code in conversion.findings:
        if not code.holds:
            run.note(code, item.part_id)
    if conversion.text.strip():
        run.sections.append(Section(section_title_for(item.label), conversion.text))
    if action is AttachmentAction.convert:
        run.files.extend(conversion.files)
        run.note(ReasonCode.attachment_converted, item.part_id, item.label)
        return run.outcome(item, PartAction.converted, conversion.findings)
    run.note(ReasonCode.text_extracted, item.part_id, item.label)
    return run.outcome(item, PartAction.text_extracted, conversion.findings)


def _archive(run: Run, item: Item, level: int) -> PartOutcome:
    """Read a ZIP within the limits and handle every entry; any held entry holds the archive."""
    try:
        members = read_zip(
            item.data, limits=run.limits, deadline=run.deadline, part_id=item.part_id
        )
    except SanitizerError as exc:
        if exc.reason is ReasonCode.timeout:
            raise
        return run.hold(item, exc.reason)
    entries = tuple(
        handle_attachment(
            run,
            Item(
                part_id=f"{item.part_id}/{member.index}",
                data=member.data,
                filename=member.name,
                declared="",
                charset=None,
                detection=detect(member.data, filename=member.name, declared_type=""),
                label=f"{item.label} 内の {member.name}",
            ),
            level=level,
        )
        for member in members
    )
    held = [entry for entry in entries if entry.action is PartAction.held]
    if held:
        codes = tuple(dict.fromkeys(code for entry in held for code in entry.reasons))
        return run.outcome(item, PartAction.held, codes, entries)
    if not entries:
        run.note(ReasonCode.attachment_deleted, item.part_id, item.label)
        return run.outcome(item, PartAction.deleted)
    return run.outcome(item, PartAction.text_extracted, (), entries)
