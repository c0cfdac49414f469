"""Fixtures of the segmentation verifier's tests: paths to the corpus and to our own models."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "corpora" / "network"
DATA = HERE / "data"
BATFISH = CORPUS / "batfish"
AERLEON = CORPUS / "aerleon"
PLANTED = DATA / "planted"
# A fixed date: exceptions of the planted network expire on 2026-03-31 and 2024-03-31.
TODAY = datetime.date(2025, 4, 1)


@pytest.fixture
def today() -> datetime.date:
    """The date the tests verify on."""
    return TODAY
