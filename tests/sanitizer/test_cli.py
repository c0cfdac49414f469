"""isms sanitize: exit codes and report, as docs/sanitizer.md describes them."""

from __future__ import annotations

import json
import shutil

from isms.sanitizer.cli import EXIT_HELD, EXIT_OK, EXIT_TEMPFAIL, EXIT_USAGE, main

from .conftest import CORPUS, parse_output

JA = CORPUS / "generated-ja"


def test_sanitized_message_exit_0_with_out_and_report(tmp_path, capsys):
    """A clean mail: exit 0, the sanitized mail in OUT, the JSON report in REPORT."""
    out, report = tmp_path / "out.eml", tmp_path / "r.json"
    status = main(
        [
            "message",
            str(JA / "ja01-iso2022jp-nec-ibm.eml"),
            "--out",
            str(out),
            "--report",
            str(report),
        ]
    )
    assert status == EXIT_OK
    assert (
        parse_output(out.read_bytes())["Subject"]
        == "【無害化】【重要】①定例会議のご案内（㈱髙橋商事）10時～12時"
    )
    data = json.loads(report.read_text(encoding="utf-8"))
    assert (data["verdict"], data["output"], data["quarantine_id"]) == ("sanitized", str(out), None)
    assert data["original"]["sha256"].startswith("69f887f15eadef23")
    assert capsys.readouterr().out.startswith("sanitized\t")


def test_held_message_exit_2_and_the_notice_is_written(tmp_path, capsys):
    """A held mail: exit 2, the notice is still written, the report lists the reasons."""
    out, report, quarantine = tmp_path / "out.eml", tmp_path / "r.json", tmp_path / "q"
    status = main([
        "message", str(JA / "ja08-tnef-winmail.eml"), "--out", str(out), "--report", str(report),
        "--quarantine", str(quarantine),
    ])  # fmt: skip
    assert status == EXIT_HELD
    assert parse_output(out.read_bytes())["Subject"].startswith("【無害化】【保留】")
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["verdict"] == "held"
    assert data["quarantine_id"] == data["original"]["sha256"]
    assert [r["code"] for r in data["reasons"] if r["holds"]] == ["tnef"]
    assert (
        quarantine / data["quarantine_id"][:2] / data["quarantine_id"] / "original.eml"
    ).exists()
    assert capsys.readouterr().out.strip().endswith("\ttnef")


def test_usage_errors_exit_1(tmp_path, capsys):
    """Missing options, unreadable input and an invalid policy exit 1 and write nothing."""
    out = tmp_path / "out.eml"
    assert (
        main(["message", str(JA / "ja01-iso2022jp-nec-ibm.eml"), "--out", str(out)]) == EXIT_USAGE
    )
    assert "the following arguments are required: --report" in capsys.readouterr().err
    assert (
        main(
            [
                "message",
                str(tmp_path / "none.eml"),
                "--out",
                str(out),
                "--report",
                str(tmp_path / "r"),
            ]
        )
        == EXIT_USAGE
    )
    assert "cannot read" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("[links]\nhttp = 1\n", encoding="utf-8")
    status = main(["message", str(JA / "ja01-iso2022jp-nec-ibm.eml"), "--out", str(out),
                   "--report", str(tmp_path / "r"), "--policy", str(bad)])  # fmt: skip
    assert status == EXIT_USAGE
    assert "links.http: 1 is not one of: keep, defang, remove" in capsys.readouterr().err
    assert main([]) == EXIT_USAGE
    assert not out.exists()


def test_help_exits_0(capsys):
    """--help prints usage and returns 0."""
    assert main(["--help"]) == EXIT_OK
    assert "usage: isms sanitize" in capsys.readouterr().out


def test_quarantine_failure_exits_75(tmp_path, capsys):
    """When the original cannot be stored, exit 75 (EX_TEMPFAIL) and write no output."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = tmp_path / "out.eml"
    status = main(["message", str(JA / "ja01-iso2022jp-nec-ibm.eml"), "--out", str(out),
                   "--report", str(tmp_path / "r.json"), "--quarantine", str(blocker)])  # fmt: skip
    assert status == EXIT_TEMPFAIL
    assert not out.exists()
    assert "retry later" in capsys.readouterr().err


def test_batch_summary_and_exit_2_when_any_is_held(tmp_path, capsys):
    """batch: one output per input, a summary line, a combined report; exit 2 if any held."""
    source = tmp_path / "in"
    source.mkdir()
    for name in ("ja01-iso2022jp-nec-ibm.eml", "ja08-tnef-winmail.eml"):
        shutil.copy(JA / name, source / name)
    out, report = tmp_path / "out", tmp_path / "all.json"
    assert main(["batch", str(source), "--out", str(out), "--report", str(report)]) == EXIT_HELD
    assert sorted(p.name for p in out.iterdir()) == [
        "ja01-iso2022jp-nec-ibm.eml",
        "ja08-tnef-winmail.eml",
    ]
    assert capsys.readouterr().out.splitlines()[-1] == "total 2: sanitized 1, held 1"
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["summary"] == {"total": 2, "sanitized": 1, "held": 1}
    assert [m["verdict"] for m in data["messages"]] == ["sanitized", "held"]
    (source / "ja08-tnef-winmail.eml").unlink()
    assert main(["batch", str(source), "--out", str(tmp_path / "out2")]) == EXIT_OK
