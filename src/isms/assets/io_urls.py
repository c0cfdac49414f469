"""Import, export and template pages of the asset register (included by ``urls.py``)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
