"""The time limit per message, checked between steps with an injectable clock."""

from __future__ import annotations

from collections.abc import Callable

from .errors import LimitExceeded
from .reasons import ReasonCode

__all__ = ["Clock", "Deadline"]

Clock = Callable[[], float]
"""A monotonic clock in seconds (``time.monotonic`` in production, a fake in tests)."""


class Deadline:
    """Raise ``LimitExceeded(timeout)`` once ``seconds`` have passed since construction.

    Python cannot interrupt a running C call, so the engine checks between parts, archive
    entries and PDF pages; a supervisor that kills a stuck worker is the gateway's job.
    """

    def __init__(self, seconds: float, clock: Clock) -> None:
        self.seconds = seconds
        self._clock = clock
        self._start = clock()

    def elapsed(self) -> float:
        """Return the seconds spent so far."""
        return self._clock() - self._start

    def check(self, part_id: str | None = None) -> None:
        """Raise ``LimitExceeded`` with reason ``timeout`` if the time is up."""
        elapsed = self.elapsed()
        if elapsed > self.seconds:
            raise LimitExceeded(
                ReasonCode.timeout,
                limit="seconds",
                value=round(elapsed, 3),
                maximum=self.seconds,
                part_id=part_id,
            )
