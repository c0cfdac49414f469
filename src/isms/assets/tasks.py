"""Tasks of the asset register (Huey discovers ``<app>.tasks``): the network checks' tasks."""

from __future__ import annotations

from .network.tasks import remind_network_exceptions_daily, run_network_check

__all__ = ["remind_network_exceptions_daily", "run_network_check"]
