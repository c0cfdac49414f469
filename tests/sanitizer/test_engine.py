"""sanitize_message: verdicts, limits, fail-closed behaviour, policy options, the output."""

from __future__ import annotations

import base64
import itertools

import pytest

from isms.sanitizer import (
    AttachmentAction,
    AttachmentRejected,
    BodyPreference,
    Conversion,
    ConversionInput,
    ConvertedFile,
    FileKind,
    Limits,
    LinkMode,
    LinkPolicy,
    PartAction,
    Policy,
    ReasonCode,
    SanitizeMethod,
    UndecodableText,
    Verdict,
    engine,
    sanitize_message,
    walk,
)
from isms.sanitizer.mime import parse_message, raw_body
from isms.sanitizer.textsafety import EICAR

from .conftest import CORPUS, delivered_text, mail, multipart, parse_output, part, sanitize

PDF = (CORPUS / "pdf/clean-text.pdf").read_bytes()


def codes(result):
    return {r.code for r in result.reasons}


def test_plain_mail_is_sanitized_with_banner_and_x_sanitized():
    """A plain Japanese mail: sanitized, banner first, text kept, one body part outcome."""
    result = sanitize(mail("こんにちは。\n詳細は https://example.jp/a をご覧ください。\n"))
    assert result.verdict is Verdict.sanitized
    text = delivered_text(result)
    assert text.startswith("【無害化】このメールはインターネットから受信したため")
    assert "詳細は hxxps://example[.]jp/a をご覧ください。" in text
    assert f"受付番号: {result.original_sha256[:16]}" in text
    out = parse_output(result.message)
    assert out["X-Sanitized"] == (
        f"verdict=sanitized; actions=links_defanged; id={result.original_sha256[:16]}"
    )
    assert [(p.part_id, p.action, p.kind) for p in result.parts] == [
        ("1", PartAction.body, FileKind.text)
    ]
    assert result.methods == frozenset({SanitizeMethod.mail_text})
    assert result.actions == ("links_defanged",)


def test_result_is_frozen():
    """Results are frozen records."""
    result = sanitize(mail())
    with pytest.raises(AttributeError):
        result.verdict = Verdict.held  # type: ignore[misc]


def test_non_bytes_input_is_a_type_error():
    """Passing text instead of bytes is a programming error, not a held message."""
    with pytest.raises(TypeError, match="raw must be bytes, not str"):
        sanitize_message("From: a", policy=Policy())  # type: ignore[arg-type]


# --- limits and failures: held, notice without the text --------------------------------------


def _assert_held_without_text(result, code, secret="本文です。"):
    assert result.verdict is Verdict.held
    assert code in codes(result)
    text = delivered_text(result)
    assert text.startswith("【保留】")
    assert code.text_ja in text
    assert secret not in text
    assert parse_output(result.message)["Subject"].startswith("【無害化】【保留】")


def test_message_too_large():
    """A message over limits.message_bytes is held before it is parsed."""
    result = sanitize(mail(), limits=Limits(message_bytes=100))
    _assert_held_without_text(result, ReasonCode.message_too_large)
    assert result.parts == ()
    detail = next(r.detail for r in result.reasons if r.code is ReasonCode.message_too_large)
    assert detail.startswith(f"message_bytes: {len(mail())} exceeds the limit of 100")
    assert "exceeds" not in delivered_text(result)  # technical details stay in the report


def test_mime_depth_limit():
    """Nesting deeper than limits.mime_depth holds the message."""
    deep = part("本文です。".encode(), "text/plain; charset=UTF-8")
    for level in range(5):
        boundary = f"d{level}"
        deep = (
            f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n--{boundary}\r\n'.encode()
            + deep
            + f"\r\n--{boundary}--\r\n".encode()
        )
    raw = b"From: a@example.jp\r\nSubject: deep\r\nMIME-Version: 1.0\r\n" + deep
    assert sanitize(raw).verdict is Verdict.sanitized
    _assert_held_without_text(sanitize(raw, limits=Limits(mime_depth=3)), ReasonCode.mime_too_deep)


def test_part_count_limit():
    """More MIME entities than limits.parts holds the message."""
    raw = multipart(*[part(b"x", "text/plain", cte="7bit") for _ in range(10)])
    assert sanitize(raw, limits=Limits(parts=11)).verdict is Verdict.sanitized
    _assert_held_without_text(
        sanitize(raw, limits=Limits(parts=10)), ReasonCode.too_many_parts, secret="x\n"
    )


def test_time_limit_with_an_injected_clock():
    """When the clock passes limits.seconds between steps, the message is held (timeout)."""
    ticks = itertools.count(0, 10)
    result = sanitize_message(
        mail(), policy=Policy(limits=Limits(seconds=15)), clock=lambda: float(next(ticks))
    )
    _assert_held_without_text(result, ReasonCode.timeout)


def test_text_length_limit():
    """Delivered text longer than limits.text_chars holds the message."""
    _assert_held_without_text(
        sanitize(mail("長い本文です。" * 100), limits=Limits(text_chars=200)),
        ReasonCode.text_too_long,
        secret="長い本文です。",
    )


def test_an_unexpected_error_fails_closed(monkeypatch):
    """A bug inside a step gives a held verdict (internal_error) and a notice without content."""

    def broken(html):
        raise RuntimeError("boom")

    monkeypatch.setattr(walk, "html_to_text", broken)
    result = sanitize(mail("<p>本文です。</p>", content_type="text/html; charset=UTF-8"))
    _assert_held_without_text(result, ReasonCode.internal_error)
    assert any(r.detail == "RuntimeError: boom" for r in result.reasons)


def test_a_failing_output_build_falls_back_to_a_fixed_notice(monkeypatch):
    """If even the notice cannot be built, a fixed notice with nothing from the mail is sent."""

    def broken(*args, **kwargs):
        raise ValueError("cannot build")

    monkeypatch.setattr(engine, "build_message", broken)
    result = sanitize(mail())
    assert result.verdict is Verdict.held
    assert ReasonCode.output_verification_failed in codes(result)
    out = parse_output(result.message)
    assert out["Subject"] == "【保留】無害化できなかったメール"
    assert out["From"] is None
    assert "本文です。" not in delivered_text(result)


def test_test_signature_in_the_body_holds_without_text():
    """The EICAR string in a text body holds the message; the notice does not repeat it."""
    result = sanitize(mail(b"hello " + EICAR + b"\n"))
    assert result.verdict is Verdict.held
    assert ReasonCode.malware_signature in codes(result)
    assert "EICAR" not in delivered_text(result)


def test_mime_hidden_in_text_holds_the_message():
    """A text body carrying a boundary and MIME headers (parser confusion) is held."""
    body = (
        "--x\r\nContent-Type: application/zip\r\nContent-Transfer-Encoding: base64\r\n\r\nUEsD\r\n"
    )
    result = sanitize(mail(body))
    assert result.verdict is Verdict.held
    assert ReasonCode.malformed_message in codes(result)
    assert "UEsD" not in delivered_text(result)


def test_multipart_without_a_usable_boundary_is_held():
    """A multipart whose boundary cannot be found is never treated as plain text."""
    raw = mail("--other\r\nhidden\r\n", content_type="multipart/mixed; boundary=missing")
    result = sanitize(raw)
    assert result.verdict is Verdict.held
    assert result.parts[0].action is PartAction.held
    assert "hidden" not in delivered_text(result)


# --- text handling ---------------------------------------------------------------------------


def test_controls_bidi_and_uuencode_are_removed_from_text():
    """Controls, bidi overrides and a uuencoded block never reach the recipient."""
    body = "請求書\u202egpj.exe\x07\nbegin 644 evil.exe\nM4$%\n`\nend\n以上\n"
    result = sanitize(mail(body))
    text = delivered_text(result)
    assert "請求書gpj.exe\n[符号化されたファイルを削除しました]\n以上" in text
    assert {ReasonCode.controls_removed, ReasonCode.encoded_block_removed} <= codes(result)


def test_undecodable_text_policy():
    """Undecodable bytes: U+FFFD and decode_errors by default, held with "hold"."""
    raw = mail(b'\x1b$B$"\x1b(B \xff\xfe', content_type="text/plain; charset=ISO-2022-JP")
    replaced = sanitize(raw)
    assert replaced.verdict is Verdict.sanitized
    assert ReasonCode.decode_errors in codes(replaced)
    held = sanitize(raw, undecodable_text=UndecodableText.hold)
    assert held.verdict is Verdict.held
    assert ReasonCode.unsupported_charset in codes(held)


def test_prefer_html_renders_the_html_alternative():
    """With prefer = html, the HTML alternative is converted and the text one dropped."""
    raw = multipart(
        part("テキスト版".encode(), "text/plain; charset=UTF-8"),
        part("<p>HTML版</p>".encode(), "text/html; charset=UTF-8"),
        subtype="alternative",
    )
    text_first = sanitize(raw)
    assert "テキスト版" in delivered_text(text_first)
    assert [p.action for p in text_first.parts] == [PartAction.body, PartAction.alternative_dropped]
    html_first = sanitize(raw, prefer=BodyPreference.html)
    assert "HTML版" in delivered_text(html_first) and "テキスト版" not in delivered_text(html_first)


@pytest.mark.parametrize(
    ("links", "expected"),
    [
        (
            LinkPolicy(http=LinkMode.keep),
            "https://example.jp/x mailto:a@example.jp tel:+81-3-1234-5678",
        ),
        (LinkPolicy(), "hxxps://example[.]jp/x mailto:a@example.jp tel:+81-3-1234-5678"),
        (
            LinkPolicy(http=LinkMode.remove, mailto=LinkMode.defang, tel=LinkMode.remove),
            "[リンク削除] mailto[:]a[@]example[.]jp [リンク削除]",
        ),
    ],
)
def test_link_policy_per_scheme(links, expected):
    """http(s), mailto and tel links are kept, defanged or removed separately."""
    result = sanitize(
        mail("https://example.jp/x mailto:a@example.jp tel:+81-3-1234-5678\n"), links=links
    )
    assert expected in delivered_text(result)


# --- attachments -----------------------------------------------------------------------------


def _with_attachment(data: bytes, content_type: str, filename: str) -> bytes:
    return multipart(
        part("本文です。".encode(), "text/plain; charset=UTF-8"),
        part(
            data, content_type, extra=f'Content-Disposition: attachment; filename="{filename}"\r\n'
        ),
    )


def test_pdf_text_is_extracted_and_listed():
    """A clean PDF's text is added under a titled divider; the file itself is gone."""
    result = sanitize(_with_attachment(PDF, "application/pdf", "a.pdf"))
    text = delivered_text(result)
    assert (
        "──── 添付ファイル「a.pdf」から抽出したテキスト ────\nSanitizer corpus: clean PDF" in text
    )
    assert "・添付ファイルからテキストを抽出し、本文に掲載しました。（「a.pdf」）" in text
    assert result.parts[1].action is PartAction.text_extracted


def test_deleted_attachment_is_listed_in_the_banner():
    """An image is deleted by default and named in the banner (strip_attachments)."""
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    )
    result = sanitize(_with_attachment(png, "image/png", "写真.png"))
    assert result.verdict is Verdict.sanitized
    assert "・添付ファイルを削除しました。（「写真.png」）" in delivered_text(result)
    assert result.parts[1].kind is FileKind.image
    assert SanitizeMethod.strip_attachments in result.methods


def test_policy_can_hold_or_delete_a_kind():
    """attachments.pdf = hold holds (held_by_policy); = delete deletes."""
    raw = _with_attachment(PDF, "application/pdf", "a.pdf")
    held = sanitize(raw, attachments={FileKind.pdf: AttachmentAction.hold})
    assert held.verdict is Verdict.held and ReasonCode.held_by_policy in codes(held)
    assert "本文です。" in delivered_text(held)  # held for an attachment: the text still shows
    deleted = sanitize(raw, attachments={FileKind.pdf: AttachmentAction.delete})
    assert deleted.parts[1].action is PartAction.deleted


def test_extension_that_lies_about_the_content_is_held():
    """Text named .zip is a type mismatch: held by default, extracted when allowed."""
    raw = _with_attachment(b"just text\n", "application/octet-stream", "file.zip")
    assert ReasonCode.type_mismatch in codes(sanitize(raw))
    relaxed = sanitize(raw, hold_on_type_mismatch=False)
    assert (
        relaxed.verdict is Verdict.sanitized
        and relaxed.parts[1].action is PartAction.text_extracted
    )


def test_signed_smime_mail_is_held():
    """multipart/signed with an S/MIME signature is held (secure_mail)."""
    raw = multipart(
        part("署名付き本文".encode(), "text/plain; charset=UTF-8"),
        part(b"\x30\x82\x01\x00", "application/pkcs7-signature; name=smime.p7s"),
        subtype='signed; protocol="application/pkcs7-signature"',
    )
    result = sanitize(raw)
    assert result.verdict is Verdict.held and ReasonCode.secure_mail in codes(result)


def test_base64_encoded_attached_mail_is_decoded_and_rendered():
    """message/rfc822 with base64 (not allowed, but mail readers decode it) is looked into."""
    inner = (
        b"Subject: inner\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" + "内側の本文".encode()
    )
    raw = multipart(
        part("外側".encode(), "text/plain; charset=UTF-8"), part(inner, "message/rfc822")
    )
    result = sanitize(raw)
    assert "内側の本文" in delivered_text(result)
    assert result.parts[1].action is PartAction.embedded_message


class FakeDisarm:
    """A converter standing in for the later CDR issue."""

    def __init__(self):
        self.seen: list[ConversionInput] = []

    def convert(self, source: ConversionInput) -> Conversion:
        self.seen.append(source)
        return Conversion(
            text="(変換済み)",
            files=(
                ConvertedFile(
                    filename="safe.pdf", content_type="application/pdf", data=b"%PDF-1.7 safe"
                ),
            ),
        )


def test_converter_extension_point_attaches_disarmed_files():
    """convert: the registered converter's files are attached; file_sanitize is reported."""
    converter = FakeDisarm()
    result = sanitize_message(
        _with_attachment(PDF, "application/pdf", "a.pdf"),
        policy=Policy(attachments={FileKind.pdf: AttachmentAction.convert}),
        converters={FileKind.pdf: converter},
    )
    assert result.verdict is Verdict.sanitized
    assert converter.seen[0].filename == "a.pdf" and converter.seen[0].data == PDF
    out = parse_output(result.message)
    assert out.get_content_type() == "multipart/mixed"
    files = [(p.get_filename(), p.get_content()) for p in out.iter_attachments()]
    assert files == [("safe.pdf", b"%PDF-1.7 safe")]
    assert SanitizeMethod.file_sanitize in result.methods
    assert result.parts[1].action is PartAction.converted


def test_convert_without_a_converter_or_with_a_refusal_holds():
    """No converter registered: no_converter; a converter refusing: its reason."""
    raw = _with_attachment(PDF, "application/pdf", "a.pdf")
    policy = Policy(attachments={FileKind.pdf: AttachmentAction.convert})
    assert ReasonCode.no_converter in codes(sanitize_message(raw, policy=policy))

    class Refuses:
        def convert(self, source):
            raise AttachmentRejected(ReasonCode.conversion_failed, "renderer crashed")

    refused = sanitize_message(raw, policy=policy, converters={FileKind.pdf: Refuses()})
    assert refused.verdict is Verdict.held and ReasonCode.conversion_failed in codes(refused)


def test_raw_body_keeps_8bit_bytes_exactly():
    """The stored payload gives the exact body bytes (get_payload would re-decode them)."""
    raw = mail("髙﨑".encode("cp932"), content_type="text/plain; charset=Shift_JIS")
    assert raw_body(parse_message(raw)) == "髙﨑".encode("cp932")
