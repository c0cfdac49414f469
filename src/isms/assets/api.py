"""API of the information asset register (``/api/v1/assets…``).

Same path as the pages (see ``core.api``): lookups through the register's visibility (an asset
out of sight is a 404), the action declared before the body is read (403), ids in the body
resolved within the municipality (422), and the services decide.

(No ``from __future__ import annotations``: django-ninja reads the annotations at import time.)
"""

from ninja import Router

router = Router(tags=["assets"])
