"""The ``isms`` command: a thin front to the Django management commands.

isms serve              run the web app (and a task worker) on http://127.0.0.1:8000
isms demo               load the Tsuru configuration and demo data (idempotent)
isms createadmin        create a municipality administrator (or --superuser)
isms journal verify     check the journal's hash chains; non-zero exit on a break
isms worker             run the Huey task worker
isms <django command>   any other management command (migrate, shell, ...)
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    # The engines stand alone: their commands never load Django or touch the database.
    if args and args[0] == "sanitize":
        from isms.sanitizer.cli import main as sanitize_main

        sys.exit(sanitize_main(args[1:]))
    if args and args[0] == "segments":
        from isms.segments.cli import main as segments_main

        sys.exit(segments_main(args[1:]))

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "isms.settings")
    from django.core.management import execute_from_command_line

    if args and args[0] == "worker":
        args[0] = "run_huey"
    execute_from_command_line(["isms", *args])


if __name__ == "__main__":
    main()
