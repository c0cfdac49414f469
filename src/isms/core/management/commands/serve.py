"""``isms serve``: the web app on 127.0.0.1:8000 plus a task worker, for one machine."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the app (Django's server, static files included) with a Huey worker beside it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="do not start a task worker")

    def handle(self, *args: Any, **options: Any) -> None:
        worker = None
        if not options["no_worker"]:
            worker = subprocess.Popen([sys.executable, "-m", "isms", "run_huey", "--quiet"])
        try:
            call_command(
                "runserver", options["addrport"], insecure_serving=True, use_reloader=False
            )
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=10)
