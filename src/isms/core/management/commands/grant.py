"""``isms grant``: decisions a municipality records about access, taken as a named user.

isms grant service-access --as USER [--revoke] --reason TEXT
    let (or stop letting) the service administrators of USER's municipality see personal data
    and 機密性3 material (the CISO or a municipality administrator decides)
isms grant sod-waiver --as USER --person EMPLOYEE_NUMBER --kind KIND --subject S --reason TEXT
    record a やむを得ない場合 exception to 兼務の禁止 for one subject (the CISO decides)

``--as`` names the deciding user: the service checks that user's rights and the journal records
them as the actor, exactly as if they had acted on a page.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from isms.core import services
from isms.core.models import Person, SoDWaiver, User


class Command(BaseCommand):
    help = "Record a service-access grant or a separation-of-duties waiver as a named user."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        access = sub.add_parser("service-access", help="grant or revoke service-admin access")
        access.add_argument("--as", dest="actor", required=True)
        access.add_argument("--revoke", action="store_true")
        access.add_argument("--reason", default="")
        waiver = sub.add_parser("sod-waiver", help="record an exception to 兼務の禁止")
        waiver.add_argument("--as", dest="actor", required=True)
        waiver.add_argument("--person", required=True, help="employee number (職員番号)")
        waiver.add_argument("--kind", required=True, choices=SoDWaiver.Kind.values)
        waiver.add_argument("--subject", required=True, help="e.g. role:42:auditor")
        waiver.add_argument("--reason", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = User.objects.filter(username=options["actor"], is_active=True).first()
        if actor is None or actor.municipality_id is None:
            raise CommandError(f"No active user of a municipality is called {options['actor']!r}.")
        try:
            if options["subcommand"] == "service-access":
                grant = services.set_service_access(
                    actor,
                    actor.municipality,
                    sensitive_access=not options["revoke"],
                    reason=options["reason"],
                )
                state = "granted" if grant.sensitive_access else "revoked"
                self.stdout.write(f"Service-administrator access {state} for {actor.municipality}.")
            else:
                person = Person.objects.filter(
                    municipality_id=actor.municipality_id, employee_number=options["person"]
                ).first()
                if person is None:
                    raise CommandError(
                        f"No person of {actor.municipality} has the employee number "
                        f"{options['person']!r}."
                    )
                waiver = services.grant_sod_waiver(
                    actor,
                    person,
                    kind=options["kind"],
                    subject=options["subject"],
                    reason=options["reason"],
                )
                self.stdout.write(f"Recorded waiver #{waiver.pk} for {person}: {waiver.subject}.")
        except PermissionDenied as exc:
            raise CommandError(f"{actor.username} may not do this: {exc}") from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
