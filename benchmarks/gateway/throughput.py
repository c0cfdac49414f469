"""End-to-end gateway throughput through Postfix, as a ratio to Postfix with no filter.

    .venv/bin/python -m benchmarks.gateway.throughput [--messages 400] [--gateways 2]

Needs root and Postfix (as scripts/test installs it). Starts one throw-away, loopback-only
Postfix (tests/sanitizer_gateway/postfix.py) with two inbound ports, one without a filter and
one with the gateway as after-queue content_filter, and sends the same realistic mix to each
(the Japanese corpus mails with attachments, plus plain Japanese text mails, 1:3) from 8
concurrent SMTP clients; a run ends when every message is in a Maildir. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import smtplib
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.sanitizer_gateway.postfix import USERS, Postfix, free_port  # noqa: E402
from tests.sanitizer_gateway.processes import Gateway  # noqa: E402

CORPUS = ROOT / "tests" / "corpora" / "mail" / "generated-ja"
CLIENTS = 8


def mix(count: int) -> list[bytes]:
    corpus = [p.read_bytes() for p in sorted(CORPUS.glob("*.eml"))]
    out = []
    for i in range(count):
        if i % 4 == 0:
            out.append(corpus[(i // 4) % len(corpus)])
        else:
            out.append(
                (
                    f"From: sender{i}@internet.test\r\nSubject: =?UTF-8?B?5qGI5YaF?= {i}\r\n"
                    f"Message-ID: <bench-{i}@internet.test>\r\nMIME-Version: 1.0\r\n"
                    "Content-Type: text/plain; charset=UTF-8\r\n"
                    "Content-Transfer-Encoding: 8bit\r\n\r\n"
                    + "会議の資料を送付します。詳細は https://example.jp/ をご覧ください。\r\n"
                    * 20
                ).encode()
            )
    return out


def run(postfix: Postfix, port: int, messages: list[bytes]) -> float:
    before = len(postfix.delivered())

    def send(chunk: list[tuple[int, bytes]]) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
            for i, raw in chunk:
                client.sendmail("s@internet.test", [postfix.address(USERS[i % 3])], raw)

    chunks = [list(enumerate(messages))[k::CLIENTS] for k in range(CLIENTS)]
    started = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(send, chunks))
    target = before + len(messages)
    while len(postfix.delivered()) < target:
        if time.monotonic() - started > 600:
            raise RuntimeError("timeout")
        time.sleep(0.05)
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--gateways", type=int, default=2)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="isms-bench-gw-"))
    postfix = Postfix(root=root / "postfix", gateway=free_port(), maxproc=8)
    postfix.start()
    gateways = [
        Gateway(
            port=postfix.gateway,
            next_hop=postfix.reinject,
            quarantine=root / "quarantine",
            log=root / f"gateway-{i}.log",
        )
        for i in range(args.gateways)
    ]
    try:
        for gateway in gateways:
            gateway.start()
        messages = mix(args.messages)
        run(postfix, postfix.plain, messages[:20])  # warm up both paths
        run(postfix, postfix.inbound, messages[:20])
        plain = run(postfix, postfix.plain, messages)
        filtered = run(postfix, postfix.inbound, messages)
    finally:
        for gateway in gateways:
            gateway.stop_quietly()
        postfix.stop()
        shutil.rmtree(root, ignore_errors=True)
    result = {
        "messages": args.messages,
        "gateways": args.gateways,
        "cpus": os.cpu_count(),
        "postfix_only_per_s": round(args.messages / plain, 1),
        "through_gateway_per_s": round(args.messages / filtered, 1),
        "ratio_to_postfix_only": round(plain / filtered, 3),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
