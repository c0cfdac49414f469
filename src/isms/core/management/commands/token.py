"""``isms token``: issue, list and revoke API tokens.

isms token create USERNAME --name NAME [--expires-days 90]   print a new token (shown once)
isms token list USERNAME                                   the user's tokens, without secrets
isms token revoke USERNAME PREFIX                           revoke the token starting with PREFIX

Only the token's SHA-256 is stored; whoever loses a token revokes it and creates another. The
token acts as its user, with exactly that user's rights.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from isms.core import services
from isms.core.models import ApiToken, User

DEFAULT_EXPIRY_DAYS = 90
MAX_EXPIRY_DAYS = 3650


class Command(BaseCommand):
    help = "Issue, list and revoke API tokens (bearer tokens for /api/v1)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        create = sub.add_parser("create", help="issue a new token and print it once")
        create.add_argument("username")
        create.add_argument("--name", required=True, help="what the token is for, e.g. 'backup'")
        create.add_argument(
            "--expires-days",
            type=int,
            default=DEFAULT_EXPIRY_DAYS,
            help=f"days until the token expires (1–{MAX_EXPIRY_DAYS}; default "
            f"{DEFAULT_EXPIRY_DAYS})",
        )
        listing = sub.add_parser("list", help="list a user's tokens")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("username")
        revoke.add_argument("prefix", help="the characters after 'isms_' shown by 'list'")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user is called {options['username']!r}.")
        if options["subcommand"] == "create":
            self._create(user, options["name"], options["expires_days"])
        elif options["subcommand"] == "list":
            self._list(user)
        else:
            self._revoke(user, options["prefix"])

    def _create(self, user: User, name: str, days: int) -> None:
        if not user.is_active:
            raise CommandError(f"The login {user.username!r} is deactivated.")
        if not 1 <= days <= MAX_EXPIRY_DAYS:
            raise CommandError(f"--expires-days must be between 1 and {MAX_EXPIRY_DAYS}.")
        expires_at = timezone.now() + datetime.timedelta(days=days)
        try:
            token, raw = services.issue_api_token(user, name=name, expires_at=expires_at)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stderr.write(
            f"Token {token.name!r} for {user.username}, expires {expires_at:%Y-%m-%d %H:%M %Z}. "
            "It is shown only now; send it as 'Authorization: Bearer <token>'."
        )
        self.stdout.write(raw)

    def _list(self, user: User) -> None:
        now = timezone.now()
        for t in ApiToken.objects.filter(user=user):
            if t.revoked_at is not None:
                state = f"revoked {t.revoked_at:%Y-%m-%d}"
            elif not t.is_usable(now):
                state = "expired"
            else:
                state = "active"
            expires = f"{t.expires_at:%Y-%m-%d}" if t.expires_at else "never"
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
            self.stdout.write(f"{t.prefix}\t{t.name}\t{state}\texpires {expires}\tlast used {used}")

    def _revoke(self, user: User, prefix: str) -> None:
        matches = list(ApiToken.objects.filter(user=user, prefix=prefix, revoked_at__isnull=True))
        if not matches:
            raise CommandError(f"{user.username} has no active token starting with {prefix!r}.")
        for token in matches:  # two tokens share 48 random bits only in theory
            services.revoke_api_token(user, token)
            self.stdout.write(f"Revoked {token.name!r} ({prefix}…).")
