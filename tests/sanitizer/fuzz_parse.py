"""A fuzz target for the parsing layer: ``fuzz_one_input(data)`` checks the fail-closed properties.

It runs under atheris (``atheris.Setup(sys.argv, fuzz_one_input); atheris.Fuzz()``) or from
``test_fuzz.py``, which feeds it mutated corpus mails for a short, bounded time.
"""

from __future__ import annotations

import email
import email.policy
import random

from isms.sanitizer import Policy, ReasonCode, sanitize_message

POLICY = Policy()
BUGS = {ReasonCode.internal_error, ReasonCode.output_verification_failed}


def fuzz_one_input(data: bytes) -> None:
    """Sanitize ``data``; raise AssertionError if a fail-closed property does not hold."""
    result = sanitize_message(data, policy=POLICY)
    assert result.message.isascii()
    out = email.message_from_bytes(result.message, policy=email.policy.default)
    assert not out.is_multipart() and out.get_content_type() == "text/plain"
    assert not BUGS & {r.code for r in result.reasons}, result.reasons
    text = out.get_content()
    assert "EICAR-STANDARD-ANTIVIRUS-TEST-FILE" not in text


_TOKENS = [
    b"\r\n", b"\n", b"--", b"boundary=", b'"', b";", b"=?", b"?=", b"=?ISO-2022-JP?B?",
    b"\x1b$B", b"\x1b(B", b"Content-Type: multipart/mixed; boundary=x\r\n", b"--x\r\n",
    b"Content-Transfer-Encoding: base64\r\n", b"Content-Type: message/rfc822\r\n",
    b"filename*0*=utf-8''%E8%AD", b"charset=", b"\x00", b"\xff", b"\x82\xa0", b"PK\x03\x04",
    b"%PDF-1.7\n", b"<script>", b"begin 644 x\n", b"Content-Type: text/html\r\n",
]  # fmt: skip


def mutate(data: bytes, rng: random.Random) -> bytes:
    """Return ``data`` with a few random byte-level and MIME-aware mutations."""
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        choice = rng.random()
        position = rng.randint(0, len(buffer))
        if choice < 0.25 and buffer:
            del buffer[position : position + rng.randint(1, 64)]
        elif choice < 0.5:
            buffer[position:position] = rng.choice(_TOKENS)
        elif choice < 0.7 and buffer:
            buffer[min(position, len(buffer) - 1)] = rng.randrange(256)
        elif choice < 0.85 and buffer:
            start = rng.randint(0, len(buffer) - 1)
            buffer[position:position] = buffer[start : start + rng.randint(1, 200)]
        else:
            buffer = buffer[: rng.randint(0, len(buffer))]
    return bytes(buffer)
