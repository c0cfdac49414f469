"""Import of 30,000 people from CSV: time and peak memory against same-run baselines.

Run standalone (not wired into benchmarks/run.py):

    ISMS_DATA_DIR=/tmp/bench-import .venv/bin/python -m benchmarks.org_import
    DATABASE_URL=postgres://... .venv/bin/python -m benchmarks.org_import   # one database:
                                                                              # each step its own
                                                                              # municipality

Each step runs in its own process (peak RSS is a per-process figure) against its own SQLite
folder under ``ISMS_DATA_DIR`` (or its own municipality in ``DATABASE_URL``):

- ``read``: the file alone — check the header and every row as the import's first pass does
  (baseline for memory: what reading the file costs);
- ``bulk``: the bare ``Person.objects.bulk_create`` of the same 30,000 people in one
  transaction, no services, no journal (baseline for time);
- ``import``: ``core.io.import_people`` of the file (30,000 created through
  ``services.create_person``, one journal entry each, all in one transaction);
- ``import-10k``: the same with the first 10,000 rows (how memory grows with the file);
- ``reimport``: the file again over the people already registered (30,000 unchanged; they
  are inserted by a separate process first, so that its memory is not counted).

Reported per step: wall and CPU seconds, peak RSS of the process and its growth over the RSS
before the step (the file is built before the measurement and is counted in neither).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import env

PEOPLE = 30_000
STEPS = ["read", "bulk", "import", "import-10k", "reimport"]
CODES = {  # one municipality per step (valid 全国地方公共団体コード of 山梨県)
    "read": "192023",
    "bulk": "192066",
    "import": "192074",
    "import-10k": "192082",
    "reimport": "192104",
}
FAMILY = [("髙橋", "タカハシ"), ("齋藤", "サイトウ"), ("渡邊", "ワタナベ"), ("山田", "ヤマダ")]
GIVEN = [("一郎", "イチロウ"), ("花子", "ハナコ"), ("健", "ケン"), ("直子", "ナオコ")]


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _csv(count: int, unit_code: str) -> bytes:
    from isms.core import io

    rows = []
    for i in range(count):
        family, family_kana = FAMILY[i % len(FAMILY)]
        given, given_kana = GIVEN[(i // 7) % len(GIVEN)]
        number = f"B{i:06d}"
        email = f"b{i}@example.jp"
        rows.append(
            [number, family, given, family_kana, given_kana, "職員", unit_code, email, "", "はい"]
        )
    return io.export_csv(io.PERSON_COLUMNS, rows)


def _setup(step: str) -> tuple[Any, Any, Any]:
    from isms.core import services
    from isms.core.models import Municipality, OrgUnit, User

    code = CODES[step]
    m = Municipality.objects.filter(code=code).first() or services.create_municipality(
        None, code=code, name=f"ベンチ{step}"
    )
    admin = User.objects.filter(username=f"bench-{code}").first() or services.create_user(
        None, username=f"bench-{code}", password=None, municipality=m, is_municipality_admin=True
    )
    unit = OrgUnit.objects.filter(municipality=m, code="B1").first() or services.create_org_unit(
        None, m, code="B1", name="ベンチ課", kind="division", organ_kind="mayor_departments"
    )
    return m, admin, unit


def _bulk(m: Any, data: bytes) -> int:
    """Insert the file's people with one bulk_create, as the baseline (no checks, no journal)."""
    from django.db import transaction

    from isms.core import io
    from isms.core.models import OrgUnit, Person

    units = {u.code: u for u in OrgUnit.objects.filter(municipality=m)}
    batch = []
    for row in io.read_rows(data, "p.csv", io.PERSON_COLUMNS):
        c = row.cells
        p = Person(
            municipality=m,
            employee_number=c["職員番号"],
            family_name=c["姓"],
            given_name=c["名"],
            family_name_kana=c["姓（フリガナ）"],
            given_name_kana=c["名（フリガナ）"],
            staff_category=Person.StaffCategory.REGULAR,
            org_unit=units[c["所属コード"]],
            email=c["メールアドレス"],
        )
        p.refresh_keys()
        batch.append(p)
    with transaction.atomic():
        Person.objects.bulk_create(batch, batch_size=1000)
    return len(batch)


def _read(data: bytes) -> int:
    from isms.core import io

    source = io._open(data, "p.csv", io.PERSON_COLUMNS)
    parser = io._Parser(io.PERSON_COLUMNS)
    issues: list[Any] = []
    return sum(1 for row in source.rows() if parser.parse(row, issues) is not None)


def prepare(step: str) -> None:
    """Register the people a ``reimport`` finds (in a process of its own)."""
    env.setup()
    env.migrate()
    m, _admin, unit = _setup(step)
    _bulk(m, _csv(PEOPLE, unit.code))


def run_step(step: str) -> dict[str, Any]:
    """Run one step in this process and return its figures."""
    env.setup()
    env.migrate()
    from isms.core import io, journal

    m, admin, unit = _setup(step)
    count = 10_000 if step == "import-10k" else PEOPLE
    data = _csv(count, unit.code)
    rss_before = _rss_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    if step == "read":
        outcome: Any = _read(data)
    elif step == "bulk":
        outcome = _bulk(m, data)
    else:
        result = io.import_people(admin, m, data, "people.csv")
        outcome = {"created": result.created, "unchanged": result.unchanged}
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = _peak_mb()
    figures = {
        "step": step,
        "rows": count,
        "file_mb": round(len(data) / 1024 / 1024, 2),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "rss_before_mb": round(rss_before, 1),
        "peak_rss_mb": round(peak, 1),
        "growth_mb": round(peak - rss_before, 1),
        "outcome": outcome,
    }
    if step.startswith("import"):
        figures["journal_ok"] = journal.verify().ok
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", choices=STEPS, help="run one step here (used by the driver)")
    parser.add_argument("--steps", default=",".join(STEPS), help="comma-separated steps")
    parser.add_argument("--prepare", action="store_true", help="with --step: its data only")
    args = parser.parse_args()
    if args.step and args.prepare:
        prepare(args.step)
        return
    if args.step:
        print(json.dumps(run_step(args.step), ensure_ascii=False))
        return
    if not os.environ.get("DATABASE_URL") and not os.environ.get("ISMS_DATA_DIR"):
        env.setup()  # refuses to run, with the message
    base = os.environ.get("ISMS_DATA_DIR")
    results = []
    for step in args.steps.split(","):
        child = dict(os.environ)
        if not child.get("DATABASE_URL") and base:
            child["ISMS_DATA_DIR"] = tempfile.mkdtemp(prefix=f"{step}-", dir=base)
        command = [sys.executable, "-m", "benchmarks.org_import", "--step", step]
        for extra in (["--prepare"], []) if step == "reimport" else ([],):
            done = subprocess.run(
                command + extra,
                env=child,
                capture_output=True,
                text=True,
                check=False,
                cwd=Path(__file__).resolve().parent.parent,
            )
            if done.returncode != 0:
                sys.exit(f"step {step} failed:\n{done.stdout}{done.stderr}")
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    by_step = {r["step"]: r for r in results}
    summary: dict[str, Any] = {"database": _label(), "steps": results}
    if "import" in by_step and "bulk" in by_step:
        summary["import_time_ratio_to_bulk"] = round(
            by_step["import"]["wall_s"] / by_step["bulk"]["wall_s"], 1
        )
    if "import" in by_step and "read" in by_step:
        summary["import_memory_ratio_to_read"] = round(
            by_step["import"]["growth_mb"] / max(by_step["read"]["growth_mb"], 0.1), 1
        )
    if "import" in by_step and "import-10k" in by_step:
        grown = by_step["import"]["growth_mb"] - by_step["import-10k"]["growth_mb"]
        summary["import_memory_per_1000_rows_mb"] = round(grown / 20, 2)
    env.write_json(None, summary)


def _label() -> str:
    return "postgresql" if os.environ.get("DATABASE_URL") else "sqlite"


if __name__ == "__main__":
    main()
