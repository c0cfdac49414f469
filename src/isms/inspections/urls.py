"""Pages of the self-inspections (``/inspections/``)."""

from django.urls import path  # noqa: F401

app_name = "inspections"

urlpatterns: list = []
