"""Pages of the emergency response plan (``/incidents/plan/``)."""

from django.urls import path  # noqa: F401

app_name = "plan"

urlpatterns: list = []
