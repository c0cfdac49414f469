"""``isms createadmin``: create a municipality administrator or a platform superuser."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from isms.core import services
from isms.core.models import Municipality


class Command(BaseCommand):
    help = "Create an administrator of a municipality (or, with --superuser, of the platform)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--municipality", help="local government code, e.g. 192040")
        parser.add_argument("--superuser", action="store_true")
        parser.add_argument(
            "--password-env",
            default="ISMS_ADMIN_PASSWORD",
            help="read the password from this environment variable instead of prompting",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        municipality = None
        if options["municipality"]:
            municipality = Municipality.objects.filter(code=options["municipality"]).first()
            if municipality is None:
                raise CommandError(f"No municipality has the code {options['municipality']}.")
        elif not options["superuser"]:
            raise CommandError("Give --municipality CODE, or --superuser for a platform account.")
        password = os.environ.get(options["password_env"])
        if not password:
            password = getpass.getpass("Password: ")
        try:
            user = services.create_user(
                None,
                username=options["username"],
                password=password,
                municipality=municipality,
                is_municipality_admin=municipality is not None,
                is_superuser=options["superuser"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"Created {user.username}.")
