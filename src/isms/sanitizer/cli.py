"""``isms sanitize``: sanitize one message or a folder of messages from the command line.

    isms sanitize message FILE.eml --out OUT.eml --report REPORT.json
                  [--quarantine DIR] [--policy POLICY.toml]
    isms sanitize batch DIR --out OUTDIR [--report REPORT.json] [--recursive]
                  [--quarantine DIR] [--policy POLICY.toml]

Exit status: 0 every message sanitized; 2 at least one held (its notice is still written to
the output); 1 usage error (bad arguments, unreadable input, invalid policy, unwritable
output); 75 (EX_TEMPFAIL) the quarantine could not store an original (nothing more is written).

``main(argv)`` takes the arguments after ``sanitize`` and returns the exit status; it never
calls ``sys.exit`` and never imports Django.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from .engine import sanitize_message
from .errors import PolicyError, QuarantineError
from .policy import Policy, load_policy
from .quarantine import QuarantineStore
from .report import result_to_dict
from .result import SanitizeResult, Verdict

__all__ = ["EXIT_HELD", "EXIT_OK", "EXIT_TEMPFAIL", "EXIT_USAGE", "main"]

EXIT_OK = 0
EXIT_USAGE = 1
EXIT_HELD = 2
EXIT_TEMPFAIL = 75  # sysexits.h EX_TEMPFAIL: try again later


class UsageError(Exception):
    """Bad arguments or files; the message says what to fix."""


class _Parser(argparse.ArgumentParser):
    """An argument parser that raises instead of exiting with argparse's status 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="isms sanitize",
        description="無害化: turn Internet mail into safe plain-text mail (fail-closed).",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    common = _Parser(add_help=False)
    common.add_argument("--quarantine", metavar="DIR", help="store originals in this folder")
    common.add_argument("--policy", metavar="POLICY.toml", help="policy file (default: built-in)")
    one = commands.add_parser("message", parents=[common], help="sanitize one message")
    one.add_argument("file", metavar="FILE.eml")
    one.add_argument("--out", required=True, metavar="OUT.eml")
    one.add_argument("--report", required=True, metavar="REPORT.json")
    many = commands.add_parser("batch", parents=[common], help="sanitize every file in a folder")
    many.add_argument("folder", metavar="DIR")
    many.add_argument("--out", required=True, metavar="OUTDIR")
    many.add_argument("--report", metavar="REPORT.json", help="write one JSON report for all")
    many.add_argument("--recursive", action="store_true", help="include sub-folders")
    return parser


def _say(line: str, *, error: bool = False) -> None:
    (sys.stderr if error else sys.stdout).write(line + "\n")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None


def _write(path: Path, data: bytes) -> None:
    """Write atomically (temporary file, then rename)."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None


def _json(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _sanitize(path: Path, policy: Policy, store: QuarantineStore | None) -> SanitizeResult:
    return sanitize_message(
        _read(path), policy=policy, quarantine=store, received_at=datetime.now(UTC)
    )


def _summary_line(path: Path, result: SanitizeResult) -> str:
    holds = ",".join(sorted({str(r.code) for r in result.holding_reasons}))
    return f"{result.verdict}\t{path}" + (f"\t{holds}" if holds else "")


def _message(args: argparse.Namespace, policy: Policy, store: QuarantineStore | None) -> int:
    source, out, report = Path(args.file), Path(args.out), Path(args.report)
    if out.resolve() == source.resolve():
        raise UsageError("--out must not be the input file")
    result = _sanitize(source, policy, store)
    _write(out, result.message)
    _write(report, _json({"input": str(source), "output": str(out), **result_to_dict(result)}))
    _say(_summary_line(source, result))
    return EXIT_HELD if result.held else EXIT_OK


def _batch(args: argparse.Namespace, policy: Policy, store: QuarantineStore | None) -> int:
    folder, out = Path(args.folder), Path(args.out)
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder")
    if out.resolve() == folder.resolve():
        raise UsageError("--out must be a different folder from the input")
    pattern = "**/*" if args.recursive else "*"
    files = sorted(
        p
        for p in folder.glob(pattern)
        if p.is_file() and not p.name.startswith(".") and out.resolve() not in p.resolve().parents
    )
    counts = {str(Verdict.sanitized): 0, str(Verdict.held): 0}
    messages = []
    for path in files:
        relative = path.relative_to(folder)
        result = _sanitize(path, policy, store)
        _write(out / relative, result.message)
        counts[str(result.verdict)] += 1
        messages.append(
            {"input": str(path), "output": str(out / relative), **result_to_dict(result)}
        )
        _say(_summary_line(path, result))
    summary = {"total": len(files), **counts}
    _say(f"total {summary['total']}: sanitized {summary['sanitized']}, held {summary['held']}")
    if args.report:
        _write(Path(args.report), _json({"summary": summary, "messages": messages}))
    return EXIT_HELD if counts[str(Verdict.held)] else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``isms sanitize`` with ``argv`` (the arguments after ``sanitize``); return the status."""
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
        policy = load_policy(args.policy) if args.policy else Policy()
        store = QuarantineStore(args.quarantine) if args.quarantine else None
        if args.command == "message":
            return _message(args, policy, store)
        return _batch(args, policy, store)
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except (UsageError, PolicyError) as exc:
        _say(f"error: {exc}", error=True)
        return EXIT_USAGE
    except QuarantineError as exc:
        _say(f"error: {exc}; nothing was written for this message, retry later", error=True)
        return EXIT_TEMPFAIL
