"""Helpers of the classification core's tests: the shipped data files as editable documents."""

from __future__ import annotations

import copy
from importlib import resources
from typing import Any

import pytest
import yaml

PACKAGE = "isms.assets.classification"


def shipped(*parts: str) -> dict[str, Any]:
    """Return a shipped data file (under data/) parsed, as a fresh copy to edit."""
    resource = resources.files(PACKAGE).joinpath("data")
    for part in parts:
        resource = resource.joinpath(part)
    return copy.deepcopy(yaml.safe_load(resource.read_text("utf-8")))


def dump(document: dict[str, Any]) -> str:
    """Return ``document`` as YAML text."""
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


@pytest.fixture
def pre_r6_document() -> dict[str, Any]:
    """The pre_r6 scheme file, parsed."""
    return shipped("schemes", "pre_r6.yaml")


@pytest.fixture
def r6_10_document() -> dict[str, Any]:
    """The r6_10 scheme file, parsed."""
    return shipped("schemes", "r6_10.yaml")


# Answers to every required question: an ordinary internal document.
PLAIN_ANSWERS: dict[str, bool | str] = {
    "classified_document": False,
    "specific_personal_info": False,
    "sensitive_personal_info": False,
    "personal_info": False,
    "published": False,
    "leak_harm": "none",
    "alteration_harm": "none",
    "loss_harm": "none",
    "max_downtime": "week_or_more",
}
