"""Policy: defaults, validation, and loading from TOML with errors that name the key."""

from __future__ import annotations

import pytest

from isms.sanitizer import (
    AttachmentAction,
    FileKind,
    LinkMode,
    Policy,
    PolicyError,
    UndecodableText,
    load_policy,
)
from isms.sanitizer.policy import DEFAULT_ATTACHMENT_ACTIONS


def test_defaults():
    """The default policy: text-first, http defanged, what cannot be inspected is held."""
    policy = Policy()
    assert policy.subject_tag == "【無害化】"
    assert policy.links.http is LinkMode.defang and policy.links.mailto is LinkMode.keep
    assert policy.action_for(FileKind.pdf) is AttachmentAction.extract_text
    assert policy.action_for(FileKind.office) is AttachmentAction.delete
    for kind in (FileKind.encrypted, FileKind.executable, FileKind.tnef, FileKind.unknown,
                 FileKind.secure_mail, FileKind.office_active, FileKind.archive_other):  # fmt: skip
        assert policy.action_for(kind) is AttachmentAction.hold
    assert set(DEFAULT_ATTACHMENT_ACTIONS) == set(FileKind)


def test_load_a_toml_policy(tmp_path):
    """Every section of a TOML policy is read; kinds not given keep their default."""
    path = tmp_path / "policy.toml"
    path.write_text(
        'subject_tag = "[SAFE]"\nprefer = "html"\nundecodable_text = "hold"\n'
        'hold_on_type_mismatch = false\n[links]\nhttp = "remove"\ntel = "defang"\n'
        "[limits]\nmessage_bytes = 1048576\nseconds = 5.5\n"
        '[attachments]\noffice = "hold"\nexecutable = "delete"\n',
        encoding="utf-8",
    )
    policy = load_policy(path)
    assert (policy.subject_tag, policy.prefer.value, policy.undecodable_text) == (
        "[SAFE]", "html", UndecodableText.hold,
    )  # fmt: skip
    assert policy.hold_on_type_mismatch is False
    assert (policy.links.http, policy.links.mailto, policy.links.tel) == (
        LinkMode.remove, LinkMode.keep, LinkMode.defang,
    )  # fmt: skip
    assert (policy.limits.message_bytes, policy.limits.seconds, policy.limits.parts) == (
        1048576,
        5.5,
        250,
    )
    assert policy.action_for(FileKind.office) is AttachmentAction.hold
    assert policy.action_for(FileKind.executable) is AttachmentAction.delete
    assert policy.action_for(FileKind.pdf) is AttachmentAction.extract_text


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("colour = 1\n", "colour: unknown key; valid keys are: attachments, held_subject_tag, "
         "hold_on_type_mismatch, limits, links, notice_includes_text, prefer, subject_tag, "
         "undecodable_text"),
        ('[links]\nhttp = "hide"\n', "links.http: 'hide' is not one of: keep, defang, remove"),
        ("[limits]\nparts = -1\n", "limits.parts: must be a positive number, got -1"),
        ('[attachments]\nexecutable = "extract_text"\n',
         "attachments.executable: extract_text is not allowed for this kind; "
         "use one of: delete, hold"),
        ('[attachments]\nword = "hold"\n', "attachments.word: unknown key; valid keys are: "
         "archive, archive_other, audio_video, csv, empty, encrypted, executable, html, image, "
         "message, office, office_active, pdf, pdf_active, script, secure_mail, svg, text, tnef, "
         "unknown"),
        ("prefer = \n", "-: not valid TOML: Invalid value (at line 1, column 10)"),
    ],
)  # fmt: skip
def test_invalid_policies_name_the_file_and_key(tmp_path, toml, message):
    """Every invalid value raises PolicyError saying which file, which key and what is allowed."""
    path = tmp_path / "p.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(caught.value) == f"{path}: {message}"


def test_missing_file(tmp_path):
    """A missing policy file is a PolicyError naming it."""
    with pytest.raises(PolicyError, match="cannot read the file: No such file or directory"):
        load_policy(tmp_path / "none.toml")


def test_subject_tag_cannot_inject_headers():
    """A subject tag with a line break is refused."""
    with pytest.raises(PolicyError, match="subject_tag: must be text without control characters"):
        Policy(subject_tag="x\r\nBcc: a@b.jp")
