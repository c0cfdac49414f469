"""Journal write throughput: concurrent service writers, with and without the journal.

    DATABASE_URL=postgres://… .venv/bin/python -m benchmarks.journal_throughput

Each writer is its own process (no shared GIL) with its own database connection, calling a real
service in a loop for ``--duration`` seconds, all starting at the same instant:

- ``update_org_unit``: rename one of the writer's own org units (no two writers touch the same
  row, so the only shared lock is the journal head of the municipality);
- ``create_person``: register a new person.

Writers are 1, 2 or 8, either all in the same municipality (they share one journal chain, so they
queue on its ``JournalHead`` row lock) or each in a different municipality (separate chains,
separate locks). Every configuration runs twice back to back: once with ``journal.record``
patched to a no-op in the writer (the baseline: the same service, same transaction, no chain),
once with the journal. The ratio journaled/baseline is the journal's cost; comparing "same" with
"different" shows whether the per-municipality head lock serialises writers. The whole sequence
repeats ``--repeats`` times and the median is reported.

Needs PostgreSQL (on SQLite the database itself admits one writer at a time). Generates the
prefecture data set first if the database is empty; verifies every chain at the end, so a race
that broke the chain would show.
"""

from __future__ import annotations

import argparse
import multiprocessing
import queue
import statistics
import time
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from typing import Any
from unittest import mock

from benchmarks import env

WORKLOADS = ("update_org_unit", "create_person")
START_LEAD_S = 0.5  # time the writers get to load their objects before the common start


@dataclass(frozen=True)
class Config:
    """How many writers, and whether they share a municipality."""

    writers: int
    same_municipality: bool

    @property
    def label(self) -> str:
        if self.writers == 1:
            return "1 writer"
        where = "same municipality" if self.same_municipality else "different municipalities"
        return f"{self.writers} writers, {where}"


@dataclass
class Run:
    """One timed run of one configuration."""

    workload: str
    config: str
    writers: int
    same_municipality: bool
    journal: bool
    repeat: int
    ops: int
    seconds: float
    ops_per_s: float
    p50_ms: float
    p95_ms: float
    max_ms: float
    lock_wait_p50_ms: float
    lock_wait_p95_ms: float
    lock_hold_p50_ms: float
    lock_hold_p95_ms: float
    head_busy: float
    errors: int
    first_error: str


def _no_record(**_kwargs: Any) -> None:
    """Stand-in for ``journal.record`` in the baseline runs."""
    return None


# --- writer process -------------------------------------------------------------------------


def _timed_lock(journal: Any, waits: list[float], holds: list[float]) -> Any:
    """Wrap ``journal._lock_head`` to time the wait for the head row and how long it is held.

    The wait runs from the call (``get_or_create`` plus ``SELECT … FOR UPDATE``) until the row is
    ours; the hold from then until the service's transaction has committed (``on_commit``).
    """
    from django.db import transaction

    original = journal._lock_head

    def timed(chain: str) -> Any:
        asked = time.monotonic()
        head = original(chain)
        got = time.monotonic()
        waits.append(got - asked)
        transaction.on_commit(lambda: holds.append(time.monotonic() - got))
        return head

    return timed


def _writer(wid: int, commands: Any, results: Any) -> None:
    env.setup()
    from django.db import connection

    from isms.core import services  # noqa: F401  (import before the clock starts)

    connection.ensure_connection()
    results.put({"ready": wid})
    while True:
        task = commands.get()
        if task is None:
            return
        results.put(_write(wid, task))


def _write(wid: int, task: dict[str, Any]) -> dict[str, Any]:
    from isms.core import journal, services
    from isms.core.models import Municipality, OrgUnit, Person, User

    actor = User.objects.get(username=task["actor"])
    municipality = Municipality.objects.get(pk=task["municipality_id"])
    units = list(OrgUnit.objects.filter(pk__in=task["unit_ids"]).order_by("pk"))
    tag = task["tag"]

    def op(i: int) -> None:
        unit = units[i % len(units)]
        if task["workload"] == "update_org_unit":
            services.update_org_unit(actor, unit, name=f"{unit.code} 改{tag}-{i}")
        else:
            services.create_person(
                actor,
                municipality,
                employee_number=f"W{tag}-{wid}-{i}",
                family_name="並行",
                given_name=f"{i}",
                family_name_kana="ヘイコウ",
                given_name_kana="テスト",
                staff_category=Person.StaffCategory.REGULAR,
                org_unit=unit,
            )

    waits: list[float] = []
    holds: list[float] = []
    if not task["journal"]:
        patch: Any = mock.patch.object(journal, "record", _no_record)
    elif hasattr(journal, "_lock_head"):
        patch = mock.patch.object(journal, "_lock_head", _timed_lock(journal, waits, holds))
    else:  # the journal changed shape: measure throughput only
        patch = nullcontext()
    latencies: list[float] = []
    errors, first_error = 0, ""
    with patch:
        while time.monotonic() < task["start_at"]:
            time.sleep(0.001)
        i = 0
        while (started := time.monotonic()) < task["deadline"]:
            try:
                op(i)
            except Exception as exc:  # a failed write is a finding: count it, keep going
                errors += 1
                first_error = first_error or f"{type(exc).__name__}: {exc}"
            latencies.append(time.monotonic() - started)
            i += 1
        finished = time.monotonic()
    return {
        "wid": wid,
        "ops": len(latencies) - errors,
        "finished": finished,
        "latencies": latencies,
        "lock_waits": waits,
        "lock_holds": holds,
        "errors": errors,
        "first_error": first_error[:300],
    }


# --- coordinator ----------------------------------------------------------------------------


@dataclass
class Target:
    """Where writer ``i`` of a configuration works: actor, municipality and its own units."""

    actor: str
    municipality_id: int
    unit_ids: list[int]


def _targets(config: Config, municipalities: Sequence[Any]) -> list[Target]:
    from isms.core.models import OrgUnit

    def unit_ids(m: Any) -> list[int]:
        return list(
            OrgUnit.objects.filter(municipality=m).order_by("pk").values_list("pk", flat=True)
        )

    if config.same_municipality or config.writers == 1:
        m = municipalities[0]
        ids = unit_ids(m)
        return [
            Target(f"admin-{m.code}", m.pk, ids[w :: config.writers]) for w in range(config.writers)
        ]
    return [Target(f"admin-{m.code}", m.pk, unit_ids(m)) for m in municipalities[: config.writers]]


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


class Writers:
    """A pool of persistent writer processes (spawned once, Django set up once each)."""

    def __init__(self, count: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.results = ctx.Queue()
        self.commands = [ctx.Queue() for _ in range(count)]
        self.procs = [
            ctx.Process(target=_writer, args=(w, self.commands[w], self.results), daemon=True)
            for w in range(count)
        ]
        for p in self.procs:
            p.start()
        # Django setup in a spawned process takes a second or two: wait for every writer.
        self._collect(len(self.procs), timeout=120)

    def run(
        self, workload: str, targets: Sequence[Target], *, journal: bool, duration: float, tag: str
    ) -> tuple[list[dict[str, Any]], float]:
        start_at = time.monotonic() + START_LEAD_S
        for w, t in enumerate(targets):
            self.commands[w].put(
                {
                    "workload": workload,
                    "actor": t.actor,
                    "municipality_id": t.municipality_id,
                    "unit_ids": t.unit_ids,
                    "journal": journal,
                    "start_at": start_at,
                    "deadline": start_at + duration,
                    "tag": tag,
                }
            )
        return self._collect(len(targets), timeout=duration + 120), start_at

    def _collect(self, count: int, *, timeout: float) -> list[dict[str, Any]]:
        """Return ``count`` results; stop at once if a writer died (its traceback is above)."""
        done: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(done) < count:
            dead = [w for w, p in enumerate(self.procs) if not p.is_alive()]
            if dead:
                raise RuntimeError(f"writer process {dead} died; see its traceback above")
            if time.monotonic() > deadline:
                raise RuntimeError(f"writers did not answer within {timeout:.0f} s")
            try:
                done.append(self.results.get(timeout=1))
            except queue.Empty:
                continue
        return done

    def close(self) -> None:
        for q in self.commands:
            q.put(None)
        for p in self.procs:
            p.join(timeout=30)


def run_all(
    configs: Sequence[Config], *, repeats: int, duration: float, workloads: Sequence[str]
) -> list[Run]:
    """Run every workload × configuration × (baseline, journal), ``repeats`` times."""
    from django.db.models import Count

    from isms.core.models import Municipality

    municipalities = list(Municipality.objects.annotate(n=Count("people")).order_by("-n", "code"))
    writers = Writers(max(c.writers for c in configs))
    runs: list[Run] = []
    try:
        n = 0
        for repeat in range(repeats):
            # Alternate the order on every repeat so that drift (autovacuum, a growing table)
            # does not always favour the same side.
            order = (False, True) if repeat % 2 == 0 else (True, False)
            for workload in workloads:
                for config in configs if repeat % 2 == 0 else reversed(configs):
                    targets = _targets(config, municipalities)
                    for journal_on in order:
                        n += 1
                        done, start_at = writers.run(
                            workload, targets, journal=journal_on, duration=duration, tag=str(n)
                        )
                        runs.append(
                            _summarise(workload, config, journal_on, repeat, done, start_at)
                        )
    finally:
        writers.close()
    return runs


def _summarise(
    workload: str,
    config: Config,
    journal_on: bool,
    repeat: int,
    done: Sequence[dict[str, Any]],
    start_at: float,
) -> Run:
    ops = sum(d["ops"] for d in done)
    seconds = max(d["finished"] for d in done) - start_at
    latencies = sorted(x for d in done for x in d["latencies"])
    errors = sum(d["errors"] for d in done)
    waits = sorted(x for d in done for x in d["lock_waits"])
    holds = sorted(x for d in done for x in d["lock_holds"])
    # Share of the run during which each chain's head row was locked: near 1 means writers of
    # that municipality cannot go faster, whatever the CPUs could do.
    chains = 1 if config.same_municipality or config.writers == 1 else config.writers
    return Run(
        workload=workload,
        config=config.label,
        writers=config.writers,
        same_municipality=config.same_municipality,
        journal=journal_on,
        repeat=repeat,
        ops=ops,
        seconds=round(seconds, 3),
        ops_per_s=round(ops / seconds, 1),
        p50_ms=round(_percentile(latencies, 0.50) * 1000, 2),
        p95_ms=round(_percentile(latencies, 0.95) * 1000, 2),
        max_ms=round((latencies[-1] if latencies else 0) * 1000, 2),
        lock_wait_p50_ms=round(_percentile(waits, 0.50) * 1000, 2),
        lock_wait_p95_ms=round(_percentile(waits, 0.95) * 1000, 2),
        lock_hold_p50_ms=round(_percentile(holds, 0.50) * 1000, 2),
        lock_hold_p95_ms=round(_percentile(holds, 0.95) * 1000, 2),
        head_busy=round(sum(holds) / seconds / chains, 3),
        errors=errors,
        first_error=next((d["first_error"] for d in done if d["first_error"]), ""),
    )


def summarise(runs: Sequence[Run]) -> list[dict[str, Any]]:
    """Median over repeats of each (workload, configuration), baseline beside journal."""
    rows = []
    keys = list(dict.fromkeys((r.workload, r.config) for r in runs))
    for workload, config in keys:
        group = [r for r in runs if r.workload == workload and r.config == config]
        base = [r for r in group if not r.journal]
        jour = [r for r in group if r.journal]
        base_tp = statistics.median(r.ops_per_s for r in base)
        jour_tp = statistics.median(r.ops_per_s for r in jour)

        def med(values: Any) -> float:
            return round(statistics.median(values), 2)

        rows.append(
            {
                "workload": workload,
                "config": config,
                "writers": group[0].writers,
                "same_municipality": group[0].same_municipality,
                "baseline_ops_per_s": round(base_tp, 1),
                "journal_ops_per_s": round(jour_tp, 1),
                "ratio": round(jour_tp / base_tp, 3) if base_tp else None,
                "baseline_p50_ms": med(r.p50_ms for r in base),
                "journal_p50_ms": med(r.p50_ms for r in jour),
                "baseline_p95_ms": med(r.p95_ms for r in base),
                "journal_p95_ms": med(r.p95_ms for r in jour),
                "lock_wait_p50_ms": med(r.lock_wait_p50_ms for r in jour),
                "lock_wait_p95_ms": med(r.lock_wait_p95_ms for r in jour),
                "lock_hold_p50_ms": med(r.lock_hold_p50_ms for r in jour),
                "lock_hold_p95_ms": med(r.lock_hold_p95_ms for r in jour),
                "head_busy": med(r.head_busy for r in jour),
                "baseline_range": [min(r.ops_per_s for r in base), max(r.ops_per_s for r in base)],
                "journal_range": [min(r.ops_per_s for r in jour), max(r.ops_per_s for r in jour)],
                "errors": sum(r.errors for r in group),
            }
        )
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.journal_throughput", description=__doc__
    )
    parser.add_argument("--duration", type=float, default=2.5, help="seconds per run")
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--writers", default="1,2,8", help="writer counts, e.g. 1,8")
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--json", help="write the results here (for benchmarks.run)")
    args = parser.parse_args(argv)

    env.setup()
    from django.db import connection

    from benchmarks.generate import generate, prefecture_sizes, specs_for
    from isms.core import journal
    from isms.core.models import JournalEntry, Municipality

    if connection.vendor != "postgresql":
        parser.error("needs PostgreSQL: set DATABASE_URL")
    env.migrate()
    if not Municipality.objects.exists():
        generate(specs_for(prefecture_sizes(30, 30_000)))
    counts = sorted({int(w) for w in args.writers.split(",")})
    configs = [Config(1, True)] if 1 in counts else []
    for w in counts:
        if w > 1:
            configs += [Config(w, True), Config(w, False)]
    workloads = [w for w in args.workloads.split(",") if w]
    unknown = set(workloads) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workloads: {', '.join(sorted(unknown))}")

    entries_before = JournalEntry.objects.count()
    runs = run_all(configs, repeats=args.repeats, duration=args.duration, workloads=workloads)
    connection.close()
    started = time.perf_counter()
    report = journal.verify()
    verify_s = time.perf_counter() - started
    env.write_json(
        args.json,
        {
            "database": env.database_label(),
            "duration_s": args.duration,
            "repeats": args.repeats,
            "cpu_count": multiprocessing.cpu_count(),
            "summary": summarise(runs),
            "runs": [asdict(r) for r in runs],
            "journal_entries_before": entries_before,
            "journal_entries_after": report.checked,
            "verify_ok": report.ok,
            "verify_breaks": [str(b) for b in report.breaks],
            "verify_seconds": round(verify_s, 1),
        },
    )


if __name__ == "__main__":
    main()
