"""``isms sanitize``: sanitize one message or a folder of messages from the command line.

    isms sanitize message FILE.eml --out OUT.eml --report REPORT.json
                  [--quarantine DIR] [--policy POLICY.toml]
    isms sanitize batch DIR --out OUTDIR [--report REPORT.json] [--recursive]
                  [--quarantine DIR] [--policy POLICY.toml]
    isms sanitize serve [--listen 127.0.0.1:10025] [--next-hop 127.0.0.1:10026]
                  [--quarantine DIR] [--policy POLICY.toml] [--threads N]

    isms sanitize digest [--quarantine DIR] [--date YYYY-MM-DD] [--mail-to ADDR]
                  [--next-hop 127.0.0.1:10026]

``serve`` runs the SMTP gateway behind Postfix (``docs/gateway.md``) until SIGTERM; its
quarantine defaults to ``$ISMS_DATA_DIR/quarantine``.

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
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

from .digest import JST, build_digest, digest_message
from .engine import sanitize_message
from .errors import PolicyError, QuarantineError
from .gateway import (
    DEFAULT_LISTEN,
    DEFAULT_NEXT_HOP,
    AddressError,
    GatewayOptions,
    parse_address,
    quarantine_default,
    serve,
)
from .policy import Policy, load_policy
from .quarantine import QuarantineStore
from .relay import NextHop, NextHopRefused
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
    gateway = commands.add_parser(
        "serve", parents=[common], help="run the SMTP gateway (Postfix content_filter)"
    )
    gateway.add_argument("--listen", default=DEFAULT_LISTEN, metavar="HOST:PORT")
    gateway.add_argument("--next-hop", default=DEFAULT_NEXT_HOP, metavar="HOST:PORT")
    gateway.add_argument("--threads", type=int, default=2, metavar="N", help="sanitizing threads")
    gateway.add_argument(
        "--drain-seconds", type=float, default=60.0, metavar="S", help="wait on SIGTERM"
    )
    digest = commands.add_parser("digest", help="the administrator's daily digest (Japanese)")
    digest.add_argument("--quarantine", metavar="DIR", help="the gateway's quarantine folder")
    digest.add_argument("--date", metavar="YYYY-MM-DD", help="the day (default: yesterday, JST)")
    digest.add_argument("--mail-to", metavar="ADDR", help="send it there instead of printing")
    digest.add_argument("--next-hop", default=DEFAULT_NEXT_HOP, metavar="HOST:PORT")
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


def _serve(args: argparse.Namespace, policy: Policy) -> int:
    try:
        listen = parse_address(args.listen, option="--listen", loopback_only=True)
        next_hop = parse_address(args.next_hop, option="--next-hop")
    except AddressError as exc:
        raise UsageError(str(exc)) from None
    quarantine = _quarantine(args)
    if args.threads < 1 or args.drain_seconds < 0:
        raise UsageError("--threads must be at least 1 and --drain-seconds not negative")
    try:
        quarantine.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"cannot create the quarantine folder {quarantine}: {exc.strerror}"
        ) from None
    options = GatewayOptions(
        listen=listen,
        next_hop=next_hop,
        quarantine=quarantine,
        policy=policy,
        threads=args.threads,
        drain_seconds=args.drain_seconds,
    )
    try:
        return serve(options)
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.listen}: {exc.strerror or exc}") from None


def _quarantine(args: argparse.Namespace) -> Path:
    quarantine = Path(args.quarantine) if args.quarantine else quarantine_default()
    if quarantine is None:
        raise UsageError(
            f"{args.command} needs --quarantine DIR (or ISMS_DATA_DIR): originals are kept"
        )
    return quarantine


def _digest(args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    if args.date:
        try:
            day = date.fromisoformat(args.date)
        except ValueError:
            raise UsageError(f"--date {args.date!r}: expected YYYY-MM-DD") from None
    else:
        day = now.astimezone(JST).date() - timedelta(days=1)
    digest = build_digest(QuarantineStore(_quarantine(args)), day)
    if not args.mail_to:
        sys.stdout.write(digest.text())
        return EXIT_OK
    try:
        host, port = parse_address(args.next_hop, option="--next-hop")
    except AddressError as exc:
        raise UsageError(str(exc)) from None
    message = digest_message(digest, to=args.mail_to, now=now)
    try:
        NextHop(host=host, port=port).send("", [args.mail_to], message)
    except NextHopRefused as exc:
        _say(f"error: the digest was not sent: {exc.detail}", error=True)
        return EXIT_TEMPFAIL
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``isms sanitize`` with ``argv`` (the arguments after ``sanitize``); return the status."""
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
        policy_file = getattr(args, "policy", None)
        policy = load_policy(policy_file) if policy_file else Policy()
        if args.command == "serve":
            return _serve(args, policy)
        if args.command == "digest":
            return _digest(args)
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
