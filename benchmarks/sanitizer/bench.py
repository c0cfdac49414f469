"""Benchmark: sanitize_message throughput against bare stdlib parse + serialize (issue 5).

    .venv/bin/python benchmarks/sanitizer/bench.py [--seconds 5]

Both run single-threaded over the same realistic mix from tests/corpora/mail (plain Japanese,
HTML, multipart/alternative, attachments: PDF, ZIP, Office, TNEF, an attached mail) in the same
process; the result is messages per second for each and their ratio (target: at most 3x).
"""

from __future__ import annotations

import argparse
import email.policy
import logging
import time
from collections.abc import Callable
from email.parser import BytesParser
from pathlib import Path

from isms.sanitizer import Policy, sanitize_message

CORPUS = Path(__file__).resolve().parents[2] / "tests" / "corpora" / "mail"
MIX = [
    "generated-ja/ja01-iso2022jp-nec-ibm.eml",
    "generated-ja/ja02-shiftjis-cp932.eml",
    "generated-ja/ja03-eucjp.eml",
    "generated-ja/ja04-utf8-html-only.eml",
    "generated-ja/ja05-multipart-alternative.eml",
    "generated-ja/ja06-nested-mixed-attachments.eml",
    "generated-ja/ja07-double-extension-rfc2231.eml",
    "generated-ja/ja08-tnef-winmail.eml",
    "generated-ja/ja09-forward-message-rfc822.eml",
    "generated-ja/ja10-pdf-attachments.eml",
    "spamassassin/sample-nonspam.eml",
    "spamassassin/sample-spam.eml",
    "python-test_email/msg_02.txt",
    "python-test_email/msg_07.txt",
    "mail-parser/mails/mail_test_3",
    "mail-parser/mails/mail_test_9",
]


def baseline(raw: bytes) -> None:
    """Bare stdlib: parse with policy.default and serialize again."""
    BytesParser(policy=email.policy.default).parsebytes(raw).as_bytes()


def sanitize(raw: bytes, policy: Policy = Policy()) -> None:  # noqa: B008 - built once
    sanitize_message(raw, policy=policy)


def rate(function: Callable[[bytes], None], mails: list[bytes], seconds: float) -> float:
    """Return messages per second over whole passes of the mix for about ``seconds``."""
    for raw in mails:  # warm-up: imports, regex compilation, libmagic database
        function(raw)
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for raw in mails:
            function(raw)
        done += len(mails)
    return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    mails = [(CORPUS / name).read_bytes() for name in MIX]
    stdlib = rate(baseline, mails, args.seconds)
    ours = rate(sanitize, mails, args.seconds)
    print(f"mix: {len(mails)} messages, {sum(map(len, mails))} bytes")
    print(f"stdlib parse+serialize: {stdlib:8.1f} msg/s")
    print(f"sanitize_message:       {ours:8.1f} msg/s")
    print(f"ratio (time per message, sanitizer / stdlib): {stdlib / ours:.2f}x (target <= 3x)")


if __name__ == "__main__":
    main()
