"""The 基本方針 as structured data: faithful to the published text, loaded idempotently."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.utils import translation

import isms
from isms.policy.models import BasicPolicy
from isms.policy.services import load_basic_policy
from tests.support.factories import make_municipality

TSURU = Path(isms.__file__).parent / "data" / "tsuru"


def _strip(text: str) -> str:
    """Drop white space and list markers, which the structured form does not keep."""
    return re.sub(r"\s+|^- ", "", re.sub(r"(?m)^\s*- ", "", text))


def _flatten(doc: dict) -> str:
    parts = [doc["title"]]
    for s in doc["sections"]:
        parts.append(f"{s['number']}.{s['title']}")
        parts.extend(s.get("paragraphs", []))
        for c in s.get("clauses", []):
            parts.append(f"{c['number']}{c['title']}")
            parts.extend(c["paragraphs"])
    return "".join(parts)


def test_structured_policy_keeps_every_character_of_the_published_text():
    """Nothing is lost or reworded: only white space, list markers and "(1 1)" → "(11)" differ."""
    source = (TSURU / "tsuru-basic-policy.txt").read_text(encoding="utf-8")
    doc = yaml.safe_load((TSURU / "basic_policy.yaml").read_text(encoding="utf-8"))
    assert _strip(_flatten(doc)) == _strip(source)
    assert [s["number"] for s in doc["sections"]] == [f"2.{i}" for i in range(1, 11)]
    assert "非意図的的要因" in _flatten(doc)  # the source's typo is kept


@pytest.mark.django_db
def test_loading_twice_replaces_sections_and_keeps_one_current_version():
    m = make_municipality()
    doc = yaml.safe_load((TSURU / "basic_policy.yaml").read_text(encoding="utf-8"))
    first = load_basic_policy(None, m, doc)
    second = load_basic_policy(None, m, doc)
    assert first.pk == second.pk
    assert second.sections.count() == 10
    assert BasicPolicy.objects.filter(municipality=m, is_current=True).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"title": "x", "sections": []}, "The basic policy has no sections."),
        ({"title": "x", "sections": [{"number": "2.1"}]}, "Section 1 of the basic policy needs"),
    ],
)
def test_malformed_policy_is_refused_and_nothing_saved(doc, message):
    m = make_municipality()
    # Messages are in the active language (Japanese by default); the English source is checked.
    with translation.override("en"), pytest.raises(ValidationError, match=message):
        load_basic_policy(None, m, doc)
    assert not BasicPolicy.objects.exists()
