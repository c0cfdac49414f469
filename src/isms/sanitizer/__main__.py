"""``python -m isms.sanitizer ...``: the same as ``isms sanitize ...``."""

import sys

from .cli import main

sys.exit(main(sys.argv[1:]))
