"""Locust users for :mod:`benchmarks.inspections`: staff members answering their own 点検票.

Run by the benchmark (``locust --headless`` against gunicorn on 127.0.0.1), never alone. The
plan file (``BENCH_INSPECTIONS_PLAN``) lists staff members, each with an API token and the id
of their own sheet and its questions. Each simulated user takes the next staff member and, as
them, saves the sheet in three parts through ``PUT /api/v1/inspections/sheets/{id}/answers``
(the last part with ``submit: true``), with one baseline request
(``GET /api/v1/inspections/campaigns/{id}``: token check, one small query) after each write;
then takes the next staff member. A user stops when the plan has no staff member left, so the
number of requests is bounded by the plan as well as by ``--run-time``.

Every request's time is kept (``BENCH_INSPECTIONS_OUT``, JSON), so the benchmark computes exact
percentiles instead of locust's rounded ones. ``BENCH_INSPECTIONS_WAIT`` is the think time
between requests: ``"0.5-1.5"`` (seconds, uniform) or ``"0"``.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

from locust import HttpUser, between, constant, events, task
from locust.exception import StopUser

PLAN: dict[str, Any] = json.loads(
    Path(os.environ["BENCH_INSPECTIONS_PLAN"]).read_text(encoding="utf-8")
)
OUT = Path(os.environ["BENCH_INSPECTIONS_OUT"])
_STAFF: list[dict[str, Any]] = list(reversed(PLAN["staff"]))
_RECORDS: list[tuple[str, float, bool, str]] = []
# Every user's first request goes out at the same instant (the whole --spawn-rate at once): those
# first saves queue behind each other on the workers and are reported apart.
_START_WAVE = {"left": 0}
VALUES = ("implemented", "implemented", "implemented", "partial", "not_implemented")
PARTS = 3


def _wait() -> Any:
    spec = os.environ.get("BENCH_INSPECTIONS_WAIT", "0.5-1.5")
    if "-" in spec:
        low, high = (float(x) for x in spec.split("-", 1))
        return between(low, high)
    return constant(float(spec))


@events.request.add_listener
def _on_request(
    request_type: str, name: str, response_time: float, exception: Any, **_kw: Any
) -> None:
    _RECORDS.append((name, float(response_time), exception is not None, str(exception or "")[:200]))


def _dump(**_kw: Any) -> None:
    OUT.write_text(json.dumps(_RECORDS), encoding="utf-8")


events.test_stop.add_listener(_dump)
events.quitting.add_listener(_dump)


class Staff(HttpUser):
    """One member of staff after another, each filling in their own sheet."""

    wait_time = _wait()

    def on_start(self) -> None:
        _START_WAVE["left"] += 1
        self._next_staff()

    def _next_staff(self) -> None:
        if not _STAFF:
            raise StopUser()
        staff = _STAFF.pop()
        self.auth = {"Authorization": f"Bearer {staff['token']}"}
        self.sheet_id = staff["sheet_id"]
        items = list(staff["item_ids"])
        size = -(-len(items) // PARTS)
        self.parts = [items[i : i + size] for i in range(0, len(items), size)]
        self.rng = random.Random(self.sheet_id)
        self.step = 0

    @task
    def work(self) -> None:
        if self.step % 2 == 1:
            self._baseline()
        else:
            part = self.step // 2
            self._save(self.parts[part], submit=part == len(self.parts) - 1, first=part == 0)
        self.step += 1
        if self.step == 2 * len(self.parts):
            self._next_staff()

    def _baseline(self) -> None:
        with self.client.get(
            f"/api/v1/inspections/campaigns/{PLAN['campaign_id']}",
            headers=self.auth,
            name="baseline: GET campaign",
            catch_response=True,
        ) as r:
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}: {r.text[:200]}")

    def _save(self, items: list[int], *, submit: bool, first: bool) -> None:
        body = {
            "answers": [
                {
                    "item_id": i,
                    "value": self.rng.choice(VALUES),
                    "comment": "" if self.rng.random() < 0.8 else "負荷試験の所見",
                }
                for i in items
            ],
            "submit": submit,
        }
        name = (
            "PUT answers + submit"
            if submit
            else "PUT answers (first save)"
            if first
            else "PUT answers (save)"
        )
        if first and _START_WAVE["left"] > 0:
            _START_WAVE["left"] -= 1
            name = "PUT answers (first save, all users at once)"
        with self.client.put(
            f"/api/v1/inspections/sheets/{self.sheet_id}/answers",
            json=body,
            headers=self.auth,
            name=name,
            catch_response=True,
        ) as r:
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}: {r.text[:200]}")
            elif submit and r.json().get("status") != "submitted":
                r.failure(f"not submitted: {r.json().get('status')}")
