"""The header allow-list: only safe, decoded, re-encoded headers leave."""

from __future__ import annotations

import base64
import email.header
import email.utils
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isms.sanitizer import ReasonCode
from isms.sanitizer.textsafety import clean_header_text

from .conftest import mail, parse_output, sanitize

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
OUR_HEADERS = {"mime-version", "x-sanitized", "content-type", "content-transfer-encoding"}
ALLOWED = {"from", "to", "cc", "date", "message-id", "subject", "in-reply-to", "references"}
FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
any_text = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=80)


def _b(text: str) -> str:
    return f"=?UTF-8?B?{base64.b64encode(text.encode()).decode()}?="


def _header_names(data: bytes) -> list[str]:
    head = data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return [line.split(":", 1)[0].lower() for line in head.split("\r\n") if line[:1] not in " \t"]


def test_only_allow_listed_headers_leave():
    """Received, Reply-To, X-Mailer, Return-Path and friends are dropped; order is fixed."""
    raw = mail(
        headers=(
            "Reply-To: evil@example.net\r\nX-Mailer: Outlook\r\nReturn-Path: <x@y.jp>\r\n"
            "Received: from a by b\r\nCc: c@example.jp\r\nIn-Reply-To: <p@example.jp>\r\n"
            "References: <o@example.jp> <p@example.jp>\r\nDisposition-Notification-To: a@b.jp\r\n"
        )
    )
    result = sanitize(raw)
    assert _header_names(result.message) == [
        "from", "to", "cc", "date", "message-id", "subject", "in-reply-to", "references",
        "mime-version", "x-sanitized", "content-type", "content-transfer-encoding",
    ]  # fmt: skip


def test_encoded_crlf_cannot_inject_a_header():
    """A CR/LF hidden in an encoded word stays inside the Subject, on one line."""
    raw = mail(headers="").replace(
        b"Subject: test", ("Subject: " + _b("hi\r\nBcc: victim@example.jp\r\n\r\nbody")).encode()
    )
    result = sanitize(raw)
    out = parse_output(result.message)
    assert "bcc" not in _header_names(result.message)
    assert out["Subject"] == "【無害化】hi Bcc: victim@example.jp body"
    assert ReasonCode.controls_removed in {r.code for r in result.reasons}


def test_bidi_override_removed_from_display_name_and_subject():
    """RLO tricks (e.g. "gpj.exe" shown reversed) are removed from names and subjects."""
    raw = (
        mail()
        .replace(
            b"From: Sender <sender@example.jp>",
            ("From: " + _b("経理\u202eXLS.exe") + " <a@example.jp>").encode(),
        )
        .replace(b"Subject: test", ("Subject: " + _b("請求\u2066書\u2069")).encode())
    )
    out = parse_output(sanitize(raw).message)
    assert out["From"].addresses[0].display_name == "経理XLS.exe"
    assert out["Subject"] == "【無害化】請求書"


def test_invalid_addresses_and_ids_are_dropped():
    """An address without a domain, a non-ASCII local part and a bad Message-ID are dropped."""
    raw = mail().replace(
        b"To: user@city.example.jp", "To: me, 田中@example.jp, ok@example.jp".encode()
    )
    raw = raw.replace(b"Message-ID: <t1@example.jp>", b"Message-ID: not-an-id")
    result = sanitize(raw)
    out = parse_output(result.message)
    assert [a.addr_spec for a in out["To"].addresses] == ["ok@example.jp"]
    assert out["Message-ID"] is None
    assert ReasonCode.header_invalid in {r.code for r in result.reasons}


def test_internationalised_domain_becomes_idna():
    """A Japanese domain leaves as its IDNA (xn--) form, never as raw UTF-8."""
    raw = mail().replace(b"To: user@city.example.jp", "To: user@例え.jp".encode())
    out = parse_output(sanitize(raw).message)
    assert out["To"].addresses[0].domain == "xn--r8jz45g.jp"


def test_duplicate_from_uses_the_first_and_reports_it():
    """A second From header is dropped (reason header_invalid)."""
    raw = mail(headers="From: other@evil.example\r\n")
    result = sanitize(raw)
    assert parse_output(result.message)["From"].addresses[0].addr_spec == "sender@example.jp"
    assert ReasonCode.header_invalid in {r.code for r in result.reasons}


def test_subject_tag_is_not_repeated_and_can_be_disabled():
    """【無害化】 is prefixed once; an empty tag leaves the subject unchanged."""
    raw = mail().replace(b"Subject: test", ("Subject: " + _b("【無害化】Re: 件名")).encode())
    assert parse_output(sanitize(raw).message)["Subject"] == "【無害化】Re: 件名"
    assert parse_output(sanitize(mail(), subject_tag="").message)["Subject"] == "test"


@SETTINGS
@given(any_text)
def test_any_subject_leaves_clean_and_round_trips(subject):
    """Any subject decodes, loses only controls/bidi/line breaks, and re-encodes to 7-bit."""
    raw = mail().replace(b"Subject: test", ("Subject: " + _b(subject)).encode())
    result = sanitize(raw)
    expected, _ = clean_header_text(subject, max_chars=900)
    assert result.message.isascii()
    assert set(_header_names(result.message)) <= ALLOWED | OUR_HEADERS
    assert all(len(line) <= 998 for line in result.message.split(b"\r\n"))
    decoded = parse_output(result.message)["Subject"]
    assert decoded == "【無害化】" + expected
    assert not FORBIDDEN.search(decoded)


@SETTINGS
@given(any_text)
def test_any_display_name_round_trips(name):
    """Any display name comes back cleaned, with the address untouched."""
    raw = mail().replace(
        b"From: Sender <sender@example.jp>", f"From: {_b(name)} <sender@example.jp>".encode()
    )
    result = sanitize(raw)
    # decoded with the stdlib's legacy RFC 2047 decoder: policy.default keeps the space between
    # encoded words inside a phrase, which RFC 2047 (and mail readers) drop
    raw_from = str(parse_output(result.message).get("From"))
    output_header = result.message.split(b"\r\n\r\n")[0].decode("ascii")
    raw_from = re.search(r"^From: (.*?)\r\n(?! )", output_header + "\r\n", re.M | re.S).group(1)
    ((display, addr_spec),) = email.utils.getaddresses([raw_from.replace("\r\n", "")])
    decoded = str(email.header.make_header(email.header.decode_header(display)))
    assert addr_spec == "sender@example.jp"
    assert decoded == clean_header_text(name, max_chars=200)[0]
    assert result.message.isascii()


@SETTINGS
@given(st.binary(max_size=120))
def test_raw_header_bytes_never_break_the_output(value):
    """Arbitrary raw bytes as a Subject give a 7-bit message whose Subject has no controls."""
    value = value.replace(b"\r", b"").replace(b"\n", b"")
    raw = mail().replace(b"Subject: test", b"Subject: " + value)
    result = sanitize(raw)
    assert result.message.isascii()
    assert not FORBIDDEN.search(str(parse_output(result.message)["Subject"]))
