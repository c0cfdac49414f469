"""The benchmark harness: every step in its own process, results as tables and JSON.

    .venv/bin/python -m benchmarks.run                 # full run, 6–8 minutes on 2 cores
    .venv/bin/python -m benchmarks.run --quick         # smoke run, 1.5–3.5 minutes
    .venv/bin/python -m benchmarks.run --steps pages   # only some steps

Starts a throw-away PostgreSQL 15 cluster (:mod:`benchmarks.pgcluster`; as root, ``initdb`` and
``pg_ctl`` run as the ``postgres`` user), then runs:

1. ``generate``: the prefecture data set (30 municipalities, 30,000 people, org units, role
   assignments over three fiscal years) on PostgreSQL, then ``isms journal verify`` on it;
2. ``pages``: :mod:`benchmarks.pages` on SQLite and on PostgreSQL (each in a new database);
3. ``journal``: :mod:`benchmarks.journal_throughput` on the prefecture database, then
   ``isms journal verify`` again.

The cluster and the scratch folders are removed at the end. Results go to
``var/benchmarks/results.json`` and ``var/benchmarks/results.md`` (tables as in
``docs/benchmarks.md``) and the tables are printed. The exit status is 1 when a check fails:
a page whose query count changes with the list size or with the number of municipalities a
service administrator manages, a page that does not answer 200, a failed write, or a journal
that does not verify. Timings are never checked: they are figures to compare, not thresholds.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.pgcluster import Server, throwaway_cluster

ROOT = Path(__file__).resolve().parent.parent
STEPS = ("generate", "pages", "journal")
PREFECTURE_DB = "isms_bench_prefecture"


def machine() -> dict[str, Any]:
    """Describe the machine the figures come from."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except (OSError, StopIteration, ValueError):
        mem_kb = 0
    import django

    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "commit": commit or "unknown",
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
    }


class Harness:
    """Runs steps as subprocesses with a clean environment of their own."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.n = 0

    def env(self, database_url: str | None) -> dict[str, str]:
        self.n += 1
        data_dir = self.scratch / f"step{self.n}"
        data_dir.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ISMS_", "DATABASE_"))}
        env.update(ISMS_DATA_DIR=str(data_dir), ISMS_SECRET_KEY="benchmark-only-not-secret")
        if database_url:
            env["DATABASE_URL"] = database_url
        return env

    def step(self, module: str, *args: str, database_url: str | None) -> dict[str, Any]:
        """Run ``python -m module args --json FILE`` and return what it wrote."""
        out = self.scratch / f"{module.rsplit('.', 1)[-1]}-{self.n + 1}.json"
        # Other work on the machine skews timings; the load average says how much there was.
        load = [round(x, 1) for x in os.getloadavg()]
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", module, *args, "--json", str(out)],
            cwd=ROOT,
            env=self.env(database_url),
            check=False,
        )
        if done.returncode != 0 or not out.exists():
            # Keep the other steps' results; the failure is reported as a failed check.
            return {"error": f"{module} exited with status {done.returncode} (output above)"}
        data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        data["step_seconds"] = round(time.perf_counter() - started, 1)
        data["load_before"] = load
        data["load_after"] = [round(x, 1) for x in os.getloadavg()]
        return data

    def verify(self, database_url: str) -> dict[str, Any]:
        """Run ``isms journal verify`` and return its exit status, last line and time."""
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "isms", "journal", "verify"],
            cwd=ROOT,
            env=self.env(database_url),
            capture_output=True,
            text=True,
            check=False,
        )
        lines = (done.stdout + done.stderr).strip().splitlines()
        return {
            "exit_status": done.returncode,
            "chains": sum(1 for line in lines if ": " in line and "head" in line),
            "last_line": lines[-1] if lines else "",
            "seconds": round(time.perf_counter() - started, 1),
        }


def run(steps: Sequence[str], *, quick: bool, server: Server, scratch: Path) -> dict[str, Any]:
    h = Harness(scratch)
    results: dict[str, Any] = {"machine": machine(), "postgresql": server.settings()}
    results["quick"] = quick
    prefecture_url = None
    if "generate" in steps:
        prefecture_url = server.create_database(PREFECTURE_DB)
        print("== generate: prefecture data set on PostgreSQL", flush=True)
        results["generate"] = h.step(
            "benchmarks.generate", "--preset", "prefecture", database_url=prefecture_url
        )
        if "error" not in results["generate"]:
            results["generate"]["verify"] = h.verify(prefecture_url)
    if "pages" in steps:
        repeat = ["--repeat", "5", "--warmup", "1"] if quick else []
        print("== pages on SQLite", flush=True)
        results["pages_sqlite"] = h.step("benchmarks.pages", *repeat, database_url=None)
        print("== pages on PostgreSQL", flush=True)
        pages_url = server.create_database("isms_bench_pages")
        results["pages_postgresql"] = h.step("benchmarks.pages", *repeat, database_url=pages_url)
    if "journal" in steps:
        if prefecture_url is None:
            prefecture_url = server.create_database(PREFECTURE_DB)
        args = ["--duration", "1", "--repeats", "1"] if quick else []
        print("== journal throughput on PostgreSQL", flush=True)
        results["journal"] = h.step(
            "benchmarks.journal_throughput", *args, database_url=prefecture_url
        )
        if "error" not in results["journal"]:
            results["journal"]["verify"] = h.verify(prefecture_url)
    return results


# --- checks and tables ------------------------------------------------------------------------


def _by_page(rows: Sequence[dict[str, Any]]) -> dict[str, dict[int, dict[str, Any]]]:
    table: dict[str, dict[int, dict[str, Any]]] = {}
    for r in rows:
        table.setdefault(r["page"], {})[r["size"]] = r
    return table


def checks(results: dict[str, Any]) -> list[str]:
    """Return one line per failed check (empty when all hold)."""
    failed = [
        f"{key}: {step['error']}"
        for key, step in results.items()
        if isinstance(step, dict) and "error" in step
    ]
    for key in ("pages_sqlite", "pages_postgresql"):
        if key not in results or "error" in results[key]:
            continue
        for section, what in (("pages", "list size"), ("service_admin", "municipalities managed")):
            for page, by_size in _by_page(results[key][section]).items():
                counts = {s: r["queries"] for s, r in by_size.items()}
                if len(set(counts.values())) > 1:
                    failed.append(
                        f"{key} {section}: '{page}' query count varies with {what}: {counts}"
                    )
                bad = {s: r["status"] for s, r in by_size.items() if r["status"] != 200}
                if bad:
                    failed.append(f"{key} {section}: '{page}' answered {bad}")
    for key in ("generate", "journal"):
        verify = results.get(key, {}).get("verify")
        if verify and verify["exit_status"] != 0:
            failed.append(f"{key}: isms journal verify failed: {verify['last_line']}")
    for row in results.get("journal", {}).get("summary", []):
        if row["errors"]:
            failed.append(f"journal: {row['workload']} {row['config']}: {row['errors']} errors")
    return failed


def _load(step: dict[str, Any]) -> str:
    before, after = step.get("load_before"), step.get("load_after")
    if not before or not after:
        return ""
    return (
        f"Load average (1/5/15 min) before → after the step: "
        f"{' '.join(map(str, before))} → {' '.join(map(str, after))}."
    )


def _range(pair: Sequence[float]) -> str:
    return f"{math.floor(pair[0])}–{math.ceil(pair[1])}"


def _ms(x: float) -> str:
    return f"{x:.1f}"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "–"


def _pages_table(rows: Sequence[dict[str, Any]]) -> list[str]:
    by_page = _by_page(rows)
    sizes = sorted({r["size"] for r in rows})
    head = " / ".join(f"{s:,}" for s in sizes)
    out = [
        f"| page | queries ({head}) | median ms ({head}) | time ratio "
        f"{sizes[1]:,}/{sizes[0]:,} | time ratio {sizes[-1]:,}/{sizes[0]:,} |",
        "|---|---|---|---|---|",
    ]
    for page, by_size in by_page.items():
        q = [by_size[s]["queries"] for s in sizes]
        flag = "" if len(set(q)) == 1 else " **varies**"
        status = {by_size[s]["status"] for s in sizes} - {200}
        if status:
            flag += f" **HTTP {'/'.join(map(str, sorted(status)))}**"
        t = [by_size[s]["median_ms"] for s in sizes]
        out.append(
            f"| {page} | {' / '.join(map(str, q))}{flag} | {' / '.join(_ms(x) for x in t)} | "
            f"{_ratio(t[1], t[0])} | {_ratio(t[-1], t[0])} |"
        )
    return out


def markdown(results: dict[str, Any]) -> str:
    """Render the results as the tables of docs/benchmarks.md."""
    lines = []
    m = results["machine"]
    pg = results["postgresql"]
    lines += [
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; {m['os']}; "
        f"Python {m['python']}, Django {m['django']}; commit {m['commit']}; "
        f"PostgreSQL {pg['server_version']} "
        f"(fsync={pg['fsync']}, synchronous_commit={pg['synchronous_commit']}, "
        f"shared_buffers={pg['shared_buffers']}, work_mem={pg.get('work_mem', '?')}).",
        "",
    ]
    if "generate" in results and "error" not in results["generate"]:
        g = results["generate"]
        v = g["verify"]
        lines += [
            "### Prefecture data set (PostgreSQL)",
            "",
            "| municipalities | people | org units | role assignments (3 FY) | journal entries "
            "| generation s | `isms journal verify` |",
            "|---|---|---|---|---|---|---|",
            f"| {g['municipalities']} | {g['people']:,} | {g['org_units']:,} | "
            f"{g['role_assignments']:,} | {g['journal_entries']:,} | {g['seconds']} | "
            f"exit {v['exit_status']}, {v['chains']} chains, {v['seconds']} s |",
            "",
            _load(g),
            "",
        ]
    for key, name in (("pages_sqlite", "SQLite"), ("pages_postgresql", "PostgreSQL")):
        if key not in results or "error" in results[key]:
            continue
        p = results[key]
        sizes = ", ".join(
            f"{x['people']:,} people / {x['org_units']} units / {x['journal_entries']:,} entries"
            for x in p["municipalities"]
        )
        lines += [
            f"### Pages on {name} ({p['database']}; median of {p['repeat']} requests)",
            "",
            f"Municipalities: {sizes}. {_load(p)}",
            "",
            *_pages_table(p["pages"]),
            "",
            "Service administrator managing 1 / 10 / 30 municipalities, viewing the same "
            "100-person one:",
            "",
            *_pages_table(p["service_admin"]),
            "",
        ]
    if "journal" in results and "error" not in results["journal"]:
        j = results["journal"]
        v = j["verify"]
        lines += [
            f"### Journal write throughput ({j['database']}; {j['cpu_count']} cores; "
            f"{j['duration_s']} s runs, median of {j['repeats']})",
            "",
            "| service | writers | baseline ops/s (range) | journaled ops/s (range) | ratio "
            "| p50 ms base → journal | p95 ms base → journal | head lock wait p50 / p95 ms "
            "| head lock held p50 / p95 ms | head row busy |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in j["summary"]:
            ratio = f"{r['ratio']:.2f}" if r["ratio"] is not None else "–"
            lines.append(
                f"| {r['workload']} | {r['config']} | {r['baseline_ops_per_s']} "
                f"({_range(r['baseline_range'])}) | {r['journal_ops_per_s']} "
                f"({_range(r['journal_range'])}) | {ratio} | {_ms(r['baseline_p50_ms'])} → "
                f"{_ms(r['journal_p50_ms'])} | {_ms(r['baseline_p95_ms'])} → "
                f"{_ms(r['journal_p95_ms'])} | {_ms(r['lock_wait_p50_ms'])} / "
                f"{_ms(r['lock_wait_p95_ms'])} | {_ms(r['lock_hold_p50_ms'])} / "
                f"{_ms(r['lock_hold_p95_ms'])} | "
                f"{r['head_busy'] * 100:.0f} % |"
            )
        lines += [
            "",
            f"Journal after the runs: {j['journal_entries_after']:,} entries; "
            f"`isms journal verify` exit {v['exit_status']} ({v['seconds']} s): {v['last_line']}",
            "",
            _load(j),
            "",
        ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument(
        "--steps", default=",".join(STEPS), help="comma-separated: " + ",".join(STEPS)
    )
    parser.add_argument("--quick", action="store_true", help="fewer repeats: a smoke run")
    parser.add_argument("--out", default=str(ROOT / "var" / "benchmarks"))
    args = parser.parse_args(argv)
    steps = [s for s in args.steps.split(",") if s]
    unknown = set(steps) - set(STEPS)
    if unknown:
        parser.error(f"unknown steps: {', '.join(sorted(unknown))}")

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="isms-bench.") as tmp, throwaway_cluster() as server:
        results = run(steps, quick=args.quick, server=server, scratch=Path(tmp))
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    failed = checks(results)
    results["failed_checks"] = failed

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    text = markdown(results)
    (out / "results.md").write_text(text + "\n", encoding="utf-8")
    print()
    print(text)
    print(f"Total {results['total_seconds']} s; results in {out}/results.{{json,md}}")
    if failed:
        print("\nFAILED CHECKS:")
        for line in failed:
            print(f"  - {line}")
        sys.exit(1)


if __name__ == "__main__":
    main()
