"""Fuzzing the parsing layer for a short, bounded time with mutated corpus mails."""

from __future__ import annotations

import random
import time

from .conftest import CORPUS
from .fuzz_parse import fuzz_one_input, mutate

SECONDS = 8.0
SEEDS = (
    sorted((CORPUS / "generated-ja").glob("*.eml"))
    + sorted((CORPUS / "python-test_email").glob("msg_*.txt"))[:20]
    + sorted((CORPUS / "mime-is-broken/hide-content").glob("*.eml"))[:10]
)


def test_mutated_mails_fail_closed():
    """Mutated mails never raise and always give a 7-bit text/plain message (seeded, ~8 s)."""
    rng = random.Random(20261120)
    seeds = [path.read_bytes() for path in SEEDS]
    deadline = time.monotonic() + SECONDS
    runs = 0
    while time.monotonic() < deadline:
        data = mutate(rng.choice(seeds), rng)
        try:
            fuzz_one_input(data)
        except AssertionError as exc:
            raise AssertionError(f"input {data[:2000]!r}: {exc}") from None
        runs += 1
    assert runs > 50
