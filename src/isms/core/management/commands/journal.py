"""``isms journal verify``: recompute the journal's hash chains."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from isms.core import journal


class Command(BaseCommand):
    help = "Journal tools. 'verify' exits non-zero and names the first broken entry of each chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        report = journal.verify()
        for chain, (seq, digest) in sorted(report.heads.items()):
            self.stdout.write(f"{chain}: {seq} entries, head {digest}")
        if not report.ok:
            for b in report.breaks:
                self.stderr.write(f"BROKEN {b}")
            raise CommandError(
                f"journal verification failed ({len(report.breaks)} chain(s) broken)"
            )
        self.stdout.write(f"OK: {report.checked} entries verified.")
