"""Each test of the network checks keeps its uploads in its own data folder."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _network_data_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path
