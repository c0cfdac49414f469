"""``isms demo``: load the default configuration and demo data, idempotently."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from isms.data.loader import load_demo


class Command(BaseCommand):
    help = "Load the Tsuru configuration and demo data (idempotent) and print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--config", default="tsuru", help="configuration folder under data/")
        parser.add_argument("--password", help="demo password (default: a new random one)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = load_demo(options["config"], password=options.get("password"))
        except ValidationError as exc:
            raise CommandError("demo data is invalid: " + "; ".join(exc.messages)) from exc
        self.stdout.write(f"Loaded {result.municipality.name} ({result.municipality.code}).")
        self.stdout.write(f"Demo logins (password for all: {result.password}):")
        for username, who in result.logins:
            self.stdout.write(f"  {username:10} {who}")
