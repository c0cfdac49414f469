"""API of the emergency response plan (``/api/v1/emergency-plan…``)."""

from ninja import Router

router = Router(tags=["emergency plan"])
