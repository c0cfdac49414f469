"""The MIME walk: from raw bytes to text sections and part outcomes, within the limits.

``walk_message`` parses the message, reads the allow-listed headers and visits every entity:
multipart/alternative renders one alternative (text first by default), multipart/related its
root, attached mails are rendered inline, text and HTML bodies are decoded and converted, and
every other leaf goes to the attachment policy. ``delivered_text`` then joins, cleans and
checks the sections. Both raise ``SanitizerError`` for message-level failures.
"""

from __future__ import annotations

import re
from email.message import Message

from .attachments import handle_attachment
from .compose import Section, section_title_for
from .detect import Detection, detect
from .encoded_words import decode_header_text
from .errors import LimitExceeded, MalformedMessage, MalwareFound
from .extract import decode_part_text
from .headers import read_headers
from .html import html_to_text
from .links import apply_link_policy
from .mime import (
    alternative_choice,
    content_type,
    decode_transfer,
    parse_message,
    part_filename,
    part_params,
    payload_bytes,
    related_root,
    serialize_message,
    stored_payload,
    transfer_encoding,
)
from .policy import AttachmentAction
from .reasons import ReasonCode
from .result import FileKind, PartAction, PartOutcome
from .state import NO_NAME, Item, Run
from .textsafety import (
    clean_body_text,
    find_hidden_mime,
    find_test_signature,
    remove_encoded_blocks,
)

__all__ = ["delivered_text", "walk_message"]

_BODY_TYPES = frozenset({"text/plain", "text/html"})
_TEXT_KINDS = frozenset({FileKind.text, FileKind.csv, FileKind.html, FileKind.empty})
_MESSAGE_TYPES = frozenset({"message/rfc822", "message/global"})
_BLANK_LINES = re.compile(r"\n{3,}")
_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+\-]*/[a-z0-9][a-z0-9!#$&^_.+\-]*$")
_STRUCTURE_DEFECTS = frozenset(
    {
        "StartBoundaryNotFoundDefect",
        "MultipartInvariantViolationDefect",
        "NoBoundaryInMultipartDefect",
    }
)


def _parse(raw: bytes) -> Message:
    """Parse with the stdlib; any parser failure is a malformed message."""
    try:
        return parse_message(raw)
    except RecursionError:
        raise MalformedMessage("the MIME structure is nested too deeply to parse") from None
    except Exception as exc:  # the stdlib parser trips on hostile headers
        raise MalformedMessage(f"the MIME parser failed: {type(exc).__name__}") from None


def walk_message(run: Run, raw: bytes) -> None:
    """Parse ``raw`` and visit every entity, filling ``run``."""
    run.raw = raw
    if len(raw) > run.limits.message_bytes:
        raise LimitExceeded(
            ReasonCode.message_too_large,
            limit="message_bytes",
            value=len(raw),
            maximum=run.limits.message_bytes,
        )
    message = _parse(raw)
    run.deadline.check()
    run.headers, findings = read_headers(message.raw_items())
    for code in sorted(findings):
        run.note(code)
    _render(run, message, "", 0, in_body=True, dropped=False)
    run.body_complete = True


def _render(
    run: Run, entity: Message, part_id: str, depth: int, *, in_body: bool, dropped: bool
) -> None:
    """Visit one entity: a multipart, an attached mail, a delivery status or a leaf."""
    run.enter(part_id or "1", depth)
    ctype = content_type(entity)
    payload = stored_payload(entity)
    if ctype in _MESSAGE_TYPES and isinstance(payload, list) and payload:
        inner = payload[0]
        if isinstance(inner, Message):
            if transfer_encoding(entity) in ("base64", "quoted-printable"):
                # not allowed by RFC 2046, yet mail readers decode it: so do we
                inner = _parse(decode_transfer(serialize_message(inner, run.raw), entity))
            _embedded(run, entity, ctype, inner, part_id or "1", depth, dropped=dropped)
            return
    if ctype == "message/delivery-status" and isinstance(payload, list):
        _delivery_status(run, payload, part_id or "1", in_body=in_body and not dropped)
        return
    if entity.is_multipart() and isinstance(payload, list):
        children = [child for child in payload if isinstance(child, Message)]
        chosen = root = -1
        if ctype == "multipart/alternative":
            chosen = alternative_choice(children, run.policy.prefer)
        elif ctype == "multipart/related":
            root = related_root(entity, children)
        for index, child in enumerate(children):
            _render(
                run,
                child,
                f"{part_id}.{index + 1}" if part_id else str(index + 1),
                depth + 1,
                in_body=in_body and (root < 0 or index == root),
                dropped=dropped or (chosen >= 0 and index != chosen),
            )
        return
    _leaf(run, entity, ctype, part_id or "1", in_body=in_body, dropped=dropped)


def _structure_problem(entity: Message, declared: str) -> str | None:
    """Return why a leaf's MIME structure cannot be trusted, or None.

    A multipart whose boundary the parser could not find, or a Content-Type that is not a
    plain ``type/subtype`` token, is what parser-confusion tricks produce: other mail readers
    may see attachments where the parser saw text.
    """
    defects = {type(defect).__name__ for defect in entity.defects} & _STRUCTURE_DEFECTS
    if defects:
        return "MIME structure: " + ", ".join(sorted(defects))
    if not _CONTENT_TYPE.match(declared):
        return f"invalid Content-Type {declared[:60]!r}"
    if declared.startswith("multipart/"):
        return f"{declared} without parts"
    return None


def _leaf(
    run: Run, entity: Message, declared: str, part_id: str, *, in_body: bool, dropped: bool
) -> None:
    """Handle a leaf: bad structure, test signature, dropped alternative, body or attachment."""
    data = payload_bytes(entity)
    type_params, disposition = part_params(entity)
    filename = part_filename(type_params, disposition)
    item = Item(
        part_id=part_id,
        data=data,
        filename=filename,
        declared=declared,
        charset=type_params.params.get("charset"),
        detection=detect(data, filename=filename, declared_type=declared),
        label=filename or NO_NAME,
    )
    problem = _structure_problem(entity, declared)
    if problem:
        run.note(ReasonCode.malformed_message, part_id, filename or problem)
        run.parts.append(run.outcome(item, PartAction.held, (ReasonCode.malformed_message,)))
        return
    if find_test_signature(data):
        run.parts.append(run.hold(item, ReasonCode.malware_signature))
        return
    textual = (
        item.detection.kind in _TEXT_KINDS
        and ReasonCode.type_mismatch not in item.detection.findings
    )
    if dropped and textual:
        run.parts.append(run.outcome(item, PartAction.alternative_dropped))
        return
    is_body = (
        in_body
        and not dropped
        and textual
        and declared in _BODY_TYPES
        and filename is None
        and disposition.value != "attachment"
    )
    run.parts.append(_body(run, item) if is_body else handle_attachment(run, item))


def _body(run: Run, item: Item) -> PartOutcome:
    """Decode (and convert, for HTML) a body part into a section; return its outcome."""
    text, findings = decode_part_text(run.conversion_input(item))
    if find_hidden_mime(text):
        return run.hold(item, ReasonCode.malformed_message)
    for code in findings:
        run.note(code, item.part_id)
    if item.declared == "text/html" or item.detection.kind is FileKind.html:
        converted = html_to_text(text)
        text = converted.text
        run.note(ReasonCode.html_converted)
        if converted.images:
            run.note(ReasonCode.images_removed)
        if converted.unsafe_links:
            run.note(ReasonCode.unsafe_links_removed)
    run.sections.append(Section(None, text))
    return run.outcome(item, PartAction.body, findings)


def _delivery_status(run: Run, blocks: list[object], part_id: str, *, in_body: bool) -> None:
    """Render a delivery status notification's fields as text."""
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Message):
            lines += [f"{k}: {decode_header_text(str(v))}" for k, v in block.raw_items()]
            lines.append("")
    text = "\n".join(lines)
    item = Item(
        part_id=part_id,
        data=text.encode("utf-8"),
        filename=None,
        declared="message/delivery-status",
        charset="utf-8",
        detection=Detection("message/delivery-status", FileKind.text),
        label=NO_NAME,
    )
    if in_body:
        run.sections.append(Section(None, text))
    run.parts.append(
        run.outcome(item, PartAction.body if in_body else PartAction.alternative_dropped)
    )


def _embedded(
    run: Run,
    entity: Message,
    declared: str,
    inner: Message,
    part_id: str,
    depth: int,
    *,
    dropped: bool,
) -> None:
    """Render an attached mail inline (headers summary, then its own parts), per the policy."""
    type_params, disposition = part_params(entity)
    filename = part_filename(type_params, disposition)
    inner_headers, _ = read_headers(inner.raw_items())
    item = Item(
        part_id=part_id,
        data=serialize_message(inner, run.raw),
        filename=filename,
        declared=declared,
        charset=None,
        detection=Detection("message/rfc822", FileKind.message),
        label=filename or inner_headers.subject or NO_NAME,
    )
    action = run.policy.action_for(FileKind.message)
    if dropped or action is not AttachmentAction.extract_text or find_test_signature(item.data):
        if dropped and action is AttachmentAction.extract_text:
            run.parts.append(run.outcome(item, PartAction.alternative_dropped))
        else:
            run.parts.append(handle_attachment(run, item))
        return
    run.note(ReasonCode.embedded_message, part_id, item.label)
    run.parts.append(run.outcome(item, PartAction.embedded_message))
    summary = "\n".join(
        f"{label}: {value}"
        for label, value in (
            ("差出人", ", ".join(str(b) for b in inner_headers.from_)),
            ("宛先", ", ".join(str(b) for b in inner_headers.to)),
            ("件名", inner_headers.subject),
            ("日付", dict(inner_headers.as_pairs()).get("Date", "")),
        )
        if value
    )
    run.sections.append(Section(section_title_for(item.label, embedded=True), summary))
    inner_id = part_id if inner.is_multipart() else f"{part_id}.1"
    _render(run, inner, inner_id, depth + 1, in_body=True, dropped=False)


def delivered_text(run: Run) -> str:
    """Join the sections, clean them, apply the link policy and the final checks."""
    pieces: list[str] = []
    for section in run.sections:
        text, changed = clean_body_text(section.text)
        if changed:
            run.note(ReasonCode.controls_removed)
        text, blocks = remove_encoded_blocks(text)
        if blocks:
            run.note(ReasonCode.encoded_block_removed)
        text = "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")
        pieces.append(f"──── {section.title} ────\n{text}" if section.title else text)
    text = _BLANK_LINES.sub("\n\n", "\n\n".join(pieces))
    text, counts = apply_link_policy(text, run.policy.links)
    for count, code in (
        (counts.defanged, ReasonCode.links_defanged),
        (counts.removed, ReasonCode.links_removed),
        (counts.unsafe, ReasonCode.unsafe_links_removed),
    ):
        if count:
            run.note(code)
    if len(text) > run.limits.text_chars:
        raise LimitExceeded(
            ReasonCode.text_too_long,
            limit="text_chars",
            value=len(text),
            maximum=run.limits.text_chars,
        )
    signature = find_test_signature(text)
    if signature:
        raise MalwareFound(signature)
    return text
