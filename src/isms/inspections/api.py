"""API of the self-inspections (``/api/v1/inspections…``)."""

from ninja import Router

router = Router(tags=["inspections"])
