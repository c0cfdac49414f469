"""API of the incidents (``/api/v1/incidents…``)."""

from ninja import Router

router = Router(tags=["incidents"])
