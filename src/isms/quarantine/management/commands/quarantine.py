"""``isms quarantine``: map recipient domains, index the gateway's quarantine, apply retention.

isms quarantine domain DOMAIN MUNICIPALITY_CODE   mail to DOMAIN belongs to the municipality
isms quarantine import                            index new receptions (also every minute)
isms quarantine purge                             apply the retention period (also nightly)
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from isms.core import journal
from isms.core.models import Municipality
from isms.quarantine import services
from isms.quarantine.models import RecipientDomain


class Command(BaseCommand):
    help = "Map recipient domains, index the gateway's quarantine, apply retention."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        domain = commands.add_parser("domain", help="map a recipient domain to a municipality")
        domain.add_argument("domain")
        domain.add_argument("municipality_code")
        commands.add_parser("import", help="index new receptions")
        commands.add_parser("purge", help="apply the retention period")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["command"] == "domain":
            self._domain(options["domain"].strip().lower(), options["municipality_code"])
        elif options["command"] == "import":
            report = services.import_new()
            self.stdout.write(f"imported {report.created}, unmapped recipients {report.unmapped}")
        else:
            originals, rows = services.purge_expired()
            self.stdout.write(f"removed {originals} originals, {rows} rows")

    def _domain(self, domain: str, code: str) -> None:
        municipality = Municipality.objects.filter(code=code).first()
        if municipality is None:
            raise CommandError(f"no municipality with code {code!r} (isms demo lists them)")
        if not domain or "@" in domain or " " in domain:
            raise CommandError(f"{domain!r} is not a domain name (e.g. lgwan.city.example.jp)")
        with transaction.atomic():
            row, created = RecipientDomain.objects.update_or_create(
                domain=domain, defaults={"municipality": municipality}
            )
            journal.record(
                actor=None,
                system="isms quarantine domain",
                action="quarantine.domain",
                obj=row,
                after={"domain": domain, "municipality": municipality.code},
            )
        self.stdout.write(f"{domain} → {municipality.name} ({'added' if created else 'updated'})")
