"""``isms segments``: check a network model, or explain one flow. No Django.

    isms segments check MODEL.yaml [--json] [--lang ja|en] [--policy MODEL] [--today DATE]
    isms segments explain MODEL.yaml --src IP --dst IP --proto tcp --port 445 [--json]
    isms segments schema
    isms segments aerleon-export MODEL.yaml OUTDIR [--today DATE]

``check`` exits 0 when every segment pair is proved compliant, 1 when any violation exists,
2 on input errors (bad model, unreadable or unsupported rule set, bad arguments).
``explain`` exits 0 after showing the paths, 2 on input errors. ``schema`` prints the JSON
Schema of the model. ``aerleon-export`` writes the model's separation policy as Aerleon
definitions and policy under OUTDIR (``def/networks.yaml``, ``def/services.yaml``,
``pol/segments.yaml``); it exits 0, or 2 on input errors.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from typing import TextIO

from isms.segments.errors import SegmentsError
from isms.segments.explain import explain
from isms.segments.loader import schema
from isms.segments.model import Policy, SeparationModel
from isms.segments.report import explanation_text, report_json, report_text
from isms.segments.verify import verify

__all__ = ["EXIT_COMPLIANT", "EXIT_INPUT_ERROR", "EXIT_VIOLATIONS", "main"]

EXIT_COMPLIANT = 0
EXIT_VIOLATIONS = 1
EXIT_INPUT_ERROR = 2


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date YYYY-MM-DD") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="isms segments",
        description="Prove the three-tier separation (三層の対策) from firewall rules.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "check", help="verify a network model; exit 0 compliant, 1 violations, 2 errors"
    )
    check.add_argument("model", help="the network model (YAML)")
    explain_ = commands.add_parser("explain", help="show the path and deciding rules of one flow")
    explain_.add_argument("model", help="the network model (YAML)")
    explain_.add_argument("--src", required=True, help="source IPv4 address")
    explain_.add_argument("--dst", required=True, help="destination IPv4 address")
    explain_.add_argument("--proto", required=True, help="tcp, udp, icmp or a protocol number")
    explain_.add_argument("--port", type=int, help="destination port (tcp, udp)")
    explain_.add_argument("--sport", type=int, help="source port (default 49152)")
    explain_.add_argument(
        "--icmp-type", type=int, default=8, help="ICMP type (default 8, echo request)"
    )
    for sub in (check, explain_):
        sub.add_argument("--json", action="store_true", help="print JSON instead of text")
        sub.add_argument(
            "--lang", choices=("ja", "en"), default="ja", help="language of the text (default ja)"
        )
        sub.add_argument(
            "--policy",
            choices=[m.value for m in SeparationModel if m is not SeparationModel.CUSTOM],
            help="separation model to check against (default: the model file's)",
        )
        sub.add_argument("--today", type=_date, help="date for exception expiry (default: today)")
    check.add_argument(
        "--max-paths", type=int, default=1000, help="list at most this many violating paths"
    )
    check.add_argument(
        "--no-rule-findings", action="store_true", help="skip the shadowed/redundant rule analysis"
    )
    commands.add_parser("schema", help="print the JSON Schema of the network model")
    export = commands.add_parser(
        "aerleon-export", help="write the model's separation policy as an Aerleon policy"
    )
    export.add_argument("model", help="the network model (YAML)")
    export.add_argument("outdir", help="folder to write def/ and pol/ into")
    export.add_argument("--today", type=_date, help="leave out exceptions expired before this date")
    export.add_argument(
        "--lang", choices=("ja", "en"), default="ja", help="language of errors (default ja)"
    )
    return parser


def _aerleon_export(args: argparse.Namespace, out: TextIO) -> int:
    from pathlib import Path

    from isms.segments.aerleon_export import export
    from isms.segments.loader import load_model

    files = export(load_model(args.model), today=args.today)
    root = Path(args.outdir)
    try:
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise SegmentsError(
            f"cannot write {root}: {exc}",
            hint="give a folder you can write to",
            message_ja=f"{root} に書き込めない: {exc}",
            hint_ja="書き込めるフォルダを指定してください",
        ) from None
    for name in files:
        out.write(f"{root / name}\n")
    return EXIT_COMPLIANT


def main(
    argv: list[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run ``isms segments`` with ``argv`` (without the ``segments`` word); return the exit code."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_INPUT_ERROR if exc.code else EXIT_COMPLIANT
    if args.command == "schema":
        out.write(json.dumps(schema(), indent=2, ensure_ascii=False) + "\n")
        return EXIT_COMPLIANT
    if args.command == "aerleon-export":
        try:
            return _aerleon_export(args, out)
        except SegmentsError as exc:
            err.write(exc.render(args.lang) + "\n")
            return EXIT_INPUT_ERROR
    today = args.today or datetime.date.today()
    policy = None
    try:
        if args.policy:
            from isms.segments.loader import load_model

            loaded = load_model(args.model)
            policy = Policy(SeparationModel(args.policy), loaded.policy.matrix)
        if args.command == "check":
            report = verify(
                args.model,
                today=today,
                policy=policy,
                max_paths=args.max_paths,
                rule_findings=not args.no_rule_findings,
            )
            out.write(report_json(report) + "\n" if args.json else report_text(report, args.lang))
            return EXIT_COMPLIANT if report.compliant else EXIT_VIOLATIONS
        explanation = explain(
            args.model,
            src=args.src,
            dst=args.dst,
            proto=args.proto,
            port=args.port,
            sport=args.sport,
            icmp_type=args.icmp_type,
            today=today,
            policy=policy,
        )
        out.write(
            report_json(explanation) + "\n"
            if args.json
            else explanation_text(explanation, args.lang)
        )
        return EXIT_COMPLIANT
    except SegmentsError as exc:
        err.write(exc.render(args.lang) + "\n")
        return EXIT_INPUT_ERROR
