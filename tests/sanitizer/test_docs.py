"""docs/sanitizer.md matches the code: the example runs; codes, kinds, errors, options are there."""

from __future__ import annotations

import contextlib
import dataclasses
import doctest
import io
import re
from pathlib import Path

import isms.sanitizer as sanitizer
from isms.sanitizer import (
    FileKind,
    Limits,
    Policy,
    ReasonCode,
    SanitizerError,
    charset,
    encoded_words,
    links,
    policy,
)
from isms.sanitizer.cli import EXIT_HELD, EXIT_OK, EXIT_TEMPFAIL, EXIT_USAGE
from isms.sanitizer.policy import ALLOWED_ACTIONS, DEFAULT_ATTACHMENT_ACTIONS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "sanitizer.md").read_text(encoding="utf-8")


def _table_rows(heading: str) -> dict[str, list[str]]:
    section = DOC.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and cells:
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def test_the_runnable_example_runs_and_prints_what_the_page_says():
    """The page's first Python block runs as written and prints the values in its comments."""
    code = DOC.split("## A runnable example\n", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(code, "docs/sanitizer.md", "exec"), {})
    assert output.getvalue().splitlines() == [
        "①お知らせ",
        "('links_defanged',)",
        "[('1', 'body'), ('2', 'alternative_dropped')]",
    ]


def test_every_reason_code_is_documented_with_its_text_and_hold_flag():
    """The reason table lists every ReasonCode, whether it holds, and its exact Japanese text."""
    rows = _table_rows("Reason codes")
    assert set(rows) == {code.value for code in ReasonCode}
    for code in ReasonCode:
        assert rows[code.value] == ["yes" if code.holds else "no", code.text_ja]


def test_every_kind_is_documented_with_its_default_and_allowed_actions():
    """The kinds table lists every FileKind with the default action and the allowed ones."""
    rows = _table_rows("Kinds and attachment actions")
    assert set(rows) == {kind.value for kind in FileKind}
    for kind in FileKind:
        default, allowed = rows[kind.value][1], rows[kind.value][2]
        assert DEFAULT_ATTACHMENT_ACTIONS[kind].value in default
        expected = {a.value for a in ALLOWED_ACTIONS[kind]}
        if len(expected) == len(ALLOWED_ACTIONS[FileKind.text]):
            assert allowed == "all"
        else:
            assert set(allowed.split(", ")) == expected


def test_every_error_option_and_exit_status_is_documented():
    """Every error class, Policy and Limits field, and CLI exit status appears on the page."""
    errors = {
        name
        for name in sanitizer.__all__
        if isinstance(getattr(sanitizer, name), type)
        and issubclass(getattr(sanitizer, name), SanitizerError)
    }
    assert errors == set(
        re.findall(
            r"^\| `(\w+)` \| [^|]+ \| [^|]*\|$", DOC.split("## Errors")[1].split("\n## ")[0], re.M
        )
    )
    for field in dataclasses.fields(Policy):
        assert f"| `{field.name}` |" in DOC
    for field in dataclasses.fields(Limits):
        assert f"| `{field.name}` |" in DOC
    for status in (EXIT_OK, EXIT_HELD, EXIT_USAGE, EXIT_TEMPFAIL):
        assert f"\n| {status} | " in DOC


def test_module_docstring_examples_run():
    """The interactive examples in the engine's module docstrings are correct (doctest)."""
    for module in (sanitizer, charset, encoded_words, links, policy):
        failed, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert (module.__name__, failed) == (module.__name__, 0)
        assert tried > 0, module.__name__
