"""``isms segments``: exit codes 0 / 1 / 2, text in Japanese or English, JSON, explain."""

from __future__ import annotations

import io
import json

from isms.segments.cli import main

from .conftest import DATA, PLANTED


def _run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_check_exits_1_and_lists_the_violation_in_japanese_by_default():
    """A violating network exits 1; the default language is Japanese."""
    code, out, _ = _run("check", str(PLANTED / "model.yaml"), "--today", "2025-04-01")
    assert code == 1
    assert "結果: 不適合: 違反する通信クラス 4 件" in out
    assert "fw-core.rules:10  -A FORWARD -d 10.20.0.50/32" in out


def test_check_exits_0_when_every_pair_is_proved():
    """With the matrix opened for the broken cell, the same network is compliant (exit 0)."""
    code, out, _ = _run(
        "check", str(DATA / "compliant.yaml"), "--today", "2025-04-01", "--lang", "en"
    )
    assert code == 0
    assert "Result: COMPLIANT: every segment pair is proved" in out


def test_check_json_is_machine_readable():
    """--json prints the whole report as JSON with a format tag."""
    code, out, _ = _run("check", str(PLANTED / "model.yaml"), "--today", "2025-04-01", "--json")
    document = json.loads(out)
    assert code == 1
    assert document["format"] == "isms-segments-report/1"
    assert document["compliant"] is False
    assert len(document["violations"]) == 4
    assert document["backend"] == "dd.cudd"


def test_input_errors_exit_2_with_the_message_in_the_chosen_language(tmp_path):
    """A broken rule set exits 2 and says file, line and how to fix, in English or Japanese."""
    model = tmp_path / "m.yaml"
    model.write_text((PLANTED / "model.yaml").read_text().replace("fw-core.rules", "broken.rules"))
    (tmp_path / "fw-edge.rules").write_text((PLANTED / "fw-edge.rules").read_text())
    (tmp_path / "broken.rules").write_text("*filter\n-A FORWARD -m recent --set -j DROP\nCOMMIT\n")
    code, out, err = _run("check", str(model), "--lang", "en")
    assert (code, out) == (2, "")
    assert err.startswith(
        "broken.rules:2: match module '-m recent' can change forwarding and is not modelled"
    )
    code, _, err = _run("check", str(model), "--lang", "ja")
    assert code == 2
    assert "修正方法" in err


def test_bad_arguments_exit_2():
    """Unknown options are input errors too."""
    code, _, _ = _run("check")
    assert code == 2
    code, _, _ = _run("explain", str(PLANTED / "model.yaml"), "--src", "1.2.3.4")
    assert code == 2


def test_explain_shows_the_path_and_the_deciding_rule_on_each_device():
    """One flow: DNAT on fw-edge, accepted on fw-edge and fw-core, delivered, a violation."""
    code, out, _ = _run(
        "explain",
        str(PLANTED / "model.yaml"),
        "--src",
        "192.0.2.7",
        "--dst",
        "203.0.113.10",
        "--proto",
        "tcp",
        "--port",
        "8443",
        "--lang",
        "en",
        "--today",
        "2025-04-01",
    )
    assert code == 0
    assert "Flow: 192.0.2.7:49152 → 203.0.113.10:8443 tcp" in out
    assert "path 1: delivered lgwan-office — VIOLATION of the policy [deny]" in out
    assert "192.0.2.7:49152 → 203.0.113.10:8443 tcp  ⇒  192.0.2.7:49152 → 10.20.0.50:443 tcp" in out
    assert "nat PREROUTING: DNAT" in out
    assert "fw-core.rules:10" in out


def test_explain_of_a_blocked_flow_names_the_dropping_rule():
    """mynumber → Internet is dropped on fw-core by its final '-A FORWARD -j DROP'."""
    code, out, _ = _run(
        "explain",
        str(PLANTED / "model.yaml"),
        "--src",
        "10.30.0.10",
        "--dst",
        "8.8.8.8",
        "--proto",
        "udp",
        "--port",
        "53",
        "--lang",
        "en",
        "--today",
        "2025-04-01",
        "--json",
    )
    document = json.loads(out)
    (path,) = document["paths"]
    assert (code, path["disposition"], path["verdict"]) == (0, "dropped fw-core", "blocked")
    step = path["hops"][0]["steps"][-1]
    rule = step["rules"][-1]
    assert (step["stage"], step["outcome"]) == ("filter FORWARD", "drop")
    assert (rule["source"], rule["line"], rule["text"]) == (
        "fw-core.rules",
        12,
        "-A FORWARD -j DROP",
    )


def test_schema_prints_the_json_schema():
    """isms segments schema prints the model's JSON Schema."""
    code, out, _ = _run("schema")
    assert code == 0
    assert json.loads(out)["title"].startswith("Network model")
