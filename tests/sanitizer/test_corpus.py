"""The whole corpus (tests/corpora/mail) through sanitize_message: fail-closed properties and the
expected facts of generated-ja and pdf (EXPECTED.md / expected.json)."""

from __future__ import annotations

import base64
import csv
import hashlib
import re
from pathlib import Path

import pytest

from isms.sanitizer import (
    FileKind,
    PartAction,
    PartOutcome,
    Policy,
    ReasonCode,
    SanitizeResult,
    Verdict,
    sanitize_message,
)
from isms.sanitizer.detect import detect
from isms.sanitizer.textsafety import EICAR

from .conftest import CORPUS, CP932_COMPARE, corpus_files, delivered_text, expected, parse_output

FILES = corpus_files()
MAILS = {m["file"]: m for m in expected()["mails"]}
CLAM_EXE_BASE64 = "TVpQAAIAAAAEAA8A//8AALgAAAAhAAAAQAAaAAAA"
_results: dict[Path, SanitizeResult] = {}


def result_for(path: Path) -> SanitizeResult:
    if path not in _results:
        _results[path] = sanitize_message(path.read_bytes(), policy=Policy())
    return _results[path]


def all_parts(parts: tuple[PartOutcome, ...]) -> list[PartOutcome]:
    flat: list[PartOutcome] = []
    for part in parts:
        flat += [part, *all_parts(part.entries)]
    return flat


def _id(path: Path) -> str:
    return str(path.relative_to(CORPUS))


def test_the_corpus_is_complete():
    """The copied corpus has every source folder with its licence and SOURCES.md."""
    assert len(FILES) > 350
    for folder in ("clamav-testfiles", "mail-parser", "mime-is-broken", "oletools", "pycirclean",
                   "python-test_email", "spamassassin"):  # fmt: skip
        names = {p.name for p in (CORPUS / folder).iterdir()}
        assert "SOURCES.md" in names
        assert names & {"LICENSE", "LICENSE.txt", "LICENSE.md", "LICENSE-PSF.txt", "GPL-2",
                        "LICENSE-Apache-2.0", "copyright"}  # fmt: skip
    assert (
        hashlib.sha256(
            (CORPUS / "generated-ja/ja06-nested-mixed-attachments.eml").read_bytes()
        ).hexdigest()
        == MAILS["ja06-nested-mixed-attachments.eml"]["sha256"]
    )


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_every_file_fails_closed(path):
    """Any file as a raw message: no exception, a parseable 7-bit text/plain mail, nothing active.

    Only text/plain leaves (no HTML part, no attachment), the headers are allow-listed, no test
    malware signature or smuggled executable is in the text, and internal errors never occur.
    """
    result = result_for(path)
    assert result.message.isascii()
    message = parse_output(result.message)
    assert not message.is_multipart()
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message.defects == []
    text = delivered_text(result)
    assert EICAR.decode() not in text and "EICAR-STANDARD-ANTIVIRUS-TEST-FILE" not in text
    assert CLAM_EXE_BASE64 not in text
    assert not re.search(r"(?m)^begin [0-7]{3} ", text)
    internal = {ReasonCode.internal_error, ReasonCode.output_verification_failed}
    assert not internal & {r.code for r in result.reasons}, result.reasons
    assert result.original_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    held = any(r.code.holds for r in result.reasons)
    assert result.verdict is (Verdict.held if held else Verdict.sanitized)
    assert "X-Sanitized" in message
    assert message["Subject"].startswith("【無害化】")


@pytest.mark.parametrize("path", [p for p in FILES if "generated-ja" not in str(p)], ids=_id)
def test_every_file_as_an_attachment_is_never_delivered(path):
    """Any corpus file attached to a mail is extracted as text, deleted or held, never passed."""
    data = path.read_bytes()
    raw = (
        b"From: a@example.jp\r\nTo: b@example.jp\r\nSubject: file\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="X"\r\n\r\n--X\r\n'
        b"Content-Type: text/plain; charset=us-ascii\r\n\r\nsee attachment\r\n--X\r\n"
        b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="'
        + path.name.encode()
        + b'"\r\n\r\n'
        + base64.encodebytes(data).replace(b"\n", b"\r\n")
        + b"--X--\r\n"
    )
    result = sanitize_message(raw, policy=Policy())
    message = parse_output(result.message)
    assert not message.is_multipart() and message.get_content_type() == "text/plain"
    attachment = result.parts[1]
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    assert attachment.action in (PartAction.text_extracted, PartAction.deleted, PartAction.held)
    text = delivered_text(result)
    assert "EICAR-STANDARD-ANTIVIRUS-TEST-FILE" not in text and CLAM_EXE_BASE64 not in text


# --- generated-ja: the exact Japanese texts and attachments -----------------------------------


@pytest.mark.parametrize("name", sorted(MAILS))
def test_generated_ja_texts_are_exact(name):
    """Every "must contain" text appears exactly, no "must not" text, and the Subject/From."""
    facts = MAILS[name]
    result = result_for(CORPUS / "generated-ja" / name)
    text = delivered_text(result).translate(CP932_COMPARE)
    message = parse_output(result.message)
    for wanted in facts["body_must_contain"]:
        assert wanted.translate(CP932_COMPARE) in text, wanted
    for unwanted in facts["body_must_not_contain"]:
        assert unwanted not in result.message.decode("ascii")
        assert unwanted not in text, unwanted
        assert unwanted not in str(message["Subject"]) + str(message["From"])
    subject = dict(result.headers)["Subject"]
    assert subject.translate(CP932_COMPARE) == facts["subject"].translate(CP932_COMPARE)
    if "from_display" in facts:
        assert result.headers[0][1].startswith(facts["from_display"] + " <")


@pytest.mark.parametrize("name", sorted(MAILS))
def test_generated_ja_attachments_are_accounted_for(name):
    """Every attachment has an outcome with its decoded name, size and full SHA-256."""
    parts = {p.sha256: p for p in all_parts(result_for(CORPUS / "generated-ja" / name).parts)}
    for attachment in MAILS[name]["attachments"]:
        outcome = parts[attachment["sha256"]]
        assert (outcome.filename, outcome.size) == (attachment["filename"], attachment["size"])


EXPECTED_HANDLING = {
    "ja01-iso2022jp-nec-ibm.eml": (Verdict.sanitized, {}),
    "ja02-shiftjis-cp932.eml": (Verdict.sanitized, {}),
    "ja03-eucjp.eml": (Verdict.sanitized, {}),
    "ja04-utf8-html-only.eml": (Verdict.sanitized, {}),
    "ja05-multipart-alternative.eml": (Verdict.sanitized, {}),
    "ja06-nested-mixed-attachments.eml": (
        Verdict.held,
        {
            "請求書_2026年11月.docm": (FileKind.office_active, PartAction.held),
            "資料一式.zip": (FileKind.archive, PartAction.text_extracted),
            "給与明細_12月.zip": (FileKind.encrypted, PartAction.held),
            "提出書類.zip": (FileKind.archive, PartAction.held),
        },
    ),
    "ja07-double-extension-rfc2231.eml": (
        Verdict.held,
        {
            "請求書.pdf.exe": (FileKind.executable, PartAction.held),
            "議事録.pdf": (FileKind.pdf, PartAction.text_extracted),
            "令和8年度_予算要求資料_最終版_差替え.csv": (FileKind.csv, PartAction.text_extracted),
        },
    ),
    "ja08-tnef-winmail.eml": (Verdict.held, {"winmail.dat": (FileKind.tnef, PartAction.held)}),
    "ja09-forward-message-rfc822.eml": (
        Verdict.sanitized,
        {
            "forwarded.eml": (FileKind.message, PartAction.embedded_message),
            "ログイン.html": (FileKind.html, PartAction.text_extracted),
        },
    ),
    "ja10-pdf-attachments.eml": (
        Verdict.sanitized,
        {
            "申請書.pdf": (FileKind.pdf, PartAction.text_extracted),
            "記入例.pdf": (FileKind.pdf_active, PartAction.text_extracted),
            "案内図.pdf": (FileKind.pdf_active, PartAction.text_extracted),
        },
    ),
}


@pytest.mark.parametrize("name", sorted(MAILS))
def test_generated_ja_policy_outcomes(name):
    """Default policy: the verdict and each attachment's kind and action (see docs/sanitizer.md)."""
    result = result_for(CORPUS / "generated-ja" / name)
    verdict, attachments = EXPECTED_HANDLING[name]
    assert result.verdict is verdict
    by_name = {p.filename: p for p in result.parts if p.filename}
    assert {n: (by_name[n].kind, by_name[n].action) for n in attachments} == attachments


def test_ja05_renders_the_text_alternative():
    """Text-first: the text/plain marker is delivered, the HTML one is not."""
    text = delivered_text(result_for(CORPUS / "generated-ja/ja05-multipart-alternative.eml"))
    assert "（この文章はテキストパートです）" in text
    assert "（この文章はHTMLパートです）" not in text


def test_ja04_links_and_tracking_image():
    """Default link policy: http(s) defanged, mailto/tel kept; the tracker URL never appears."""
    result = result_for(CORPUS / "generated-ja/ja04-utf8-html-only.eml")
    text = delivered_text(result)
    assert "hxxps://www[.]city[.]example[.]jp/maintenance/2026-12.html" in text
    assert "hxxp://login[.]example[.]net/city/verify?id=12345" in text
    assert "tel:+81-3-1234-5678" in text and "info@city.example.jp" in text
    assert "tracker" not in text
    assert {ReasonCode.html_converted, ReasonCode.images_removed, ReasonCode.links_defanged} <= {
        r.code for r in result.reasons
    }


def test_ja06_zip_entries_with_cp932_names_are_extracted():
    """The plain ZIP's CP932-encoded entries are decoded and its text files extracted."""
    result = result_for(CORPUS / "generated-ja/ja06-nested-mixed-attachments.eml")
    archive = next(p for p in result.parts if p.filename == "資料一式.zip")
    assert [(e.filename, e.action) for e in archive.entries] == [
        ("見積書.txt", PartAction.text_extracted),
        ("readme.txt", PartAction.text_extracted),
    ]
    nested = next(p for p in result.parts if p.filename == "提出書類.zip")
    assert ReasonCode.archive_nested in nested.reasons
    assert "NESTED-ZIP-JS-MARKER" not in delivered_text(result)
    assert "金額：550,000円（税込）" in delivered_text(result)


def test_held_notice_keeps_the_text_but_names_the_reasons():
    """A mail held for its attachments still shows its sanitized text and each reason."""
    result = result_for(CORPUS / "generated-ja/ja07-double-extension-rfc2231.eml")
    text = delivered_text(result)
    assert text.startswith("【保留】")
    assert "実行ファイルが添付されています。（「請求書.pdf.exe」）" in text
    assert "DOUBLE-EXT-MARKER" not in text
    assert parse_output(result.message)["Subject"] == "【無害化】【保留】【至急】請求書の確認依頼"


def test_ja09_forwarded_mail_is_rendered_without_active_html():
    """The attached mail's text is rendered; its HTML attachment's script never appears."""
    text = delivered_text(result_for(CORPUS / "generated-ja/ja09-forward-message-rfc822.eml"))
    for wanted in (
        "パスワードの有効期限が切れます。",
        "添付のHTMLファイルを開いてログインしてください。",
        "差出人: システム管理者 <admin@login-portal.example.net>",
    ):
        assert wanted in text
    assert "phish.example.net" not in text and "<form" not in text


# --- PDFs ------------------------------------------------------------------------------------

PDF_FACTS = {
    "clean-text.pdf": (FileKind.pdf, "Sanitizer corpus: clean PDF"),
    "js-openaction.pdf": (FileKind.pdf_active, "PDF with OpenAction JavaScript"),
    "launch-action.pdf": (FileKind.pdf_active, "PDF with a Launch action on page open"),
    "embedded-file-uri.pdf": (FileKind.pdf_active, "PDF with an embedded .js file and a URI link"),
}


@pytest.mark.parametrize("name", sorted(PDF_FACTS))
def test_pdf_facts(name):
    """Clean and active PDFs are told apart; only the text layer is delivered, no markers."""
    data = (CORPUS / "pdf" / name).read_bytes()
    facts = expected()["pdfs"][name]
    assert (len(data), hashlib.sha256(data).hexdigest()) == (facts["size"], facts["sha256"])
    kind, page_text = PDF_FACTS[name]
    assert detect(data, filename=name, declared_type="application/pdf").kind is kind
    raw = (
        b"From: a@example.jp\r\nSubject: pdf\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: application/pdf; name="' + name.encode() + b'"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(data)
    )
    result = sanitize_message(raw, policy=Policy())
    text = delivered_text(result)
    assert page_text in text
    assert not re.search(r"PDF-(JS|LAUNCH|EMBED)-MARKER|pdf-uri-marker|cmd\.exe", text)
    assert (ReasonCode.active_content_found in result.parts[0].reasons) is (
        kind is FileKind.pdf_active
    )


# --- mime-is-broken ---------------------------------------------------------------------------

MANIFEST = {
    row["file"]: row
    for row in csv.DictReader(
        (CORPUS / "mime-is-broken/MANIFEST.tsv").read_text(encoding="utf-8").splitlines(),
        delimiter="\t",
    )
}


@pytest.mark.parametrize("name", sorted(n for n in MANIFEST if n.startswith("hide-content/")))
def test_hidden_eicar_zip_is_never_delivered(name):
    """eicar.zip hidden by broken MIME: the mail is held, or delivered without any trace of it."""
    result = result_for(CORPUS / "mime-is-broken" / name)
    text = delivered_text(result)
    assert "UEsDBBQAAgAIABFKjkk8z1Fo" not in text.replace("\n", "")  # the zip's base64
    if result.verdict is Verdict.sanitized:
        assert ReasonCode.encoded_block_removed in {r.code for r in result.reasons}


@pytest.mark.parametrize(
    "name",
    sorted(
        n
        for n, row in MANIFEST.items()
        if n.startswith("hide-filename/") and row["validity"] != "0"
    ),
)
def test_hidden_file_names_are_recognised(name):
    """Names hidden by RFC 2231/2047 tricks (validity 1-3) are decoded: file.zip / file.png."""
    names = [p.filename or "" for p in result_for(CORPUS / "mime-is-broken" / name).parts]
    assert any(n.endswith((".zip", ".png")) for n in names), names
