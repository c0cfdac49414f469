"""Import, export and template pages of the asset register (included by ``urls.py``)."""

from django.urls import URLPattern, path

from . import io_views

urlpatterns: list[URLPattern] = [
    path("import/", io_views.asset_import, name="asset_import"),
    path("import/<int:pk>/", io_views.asset_import_job, name="asset_import_job"),
    path("export/", io_views.asset_export, name="asset_export"),
    path("template/", io_views.asset_template, name="asset_template"),
]
