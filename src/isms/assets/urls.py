"""Pages of the information asset register (``/assets/``).

``io_urls.py`` holds the import/export pages; both share the ``assets`` namespace. The register
itself is in ``views.py``; the assistant, the consistency report, the scheme migration and the
運搬/提供/廃棄 requests in ``workflow_views.py``.
"""

from django.urls import URLPattern, URLResolver, include, path

from . import handling_views, views, workflow_views
from .io_urls import urlpatterns as io_urlpatterns

app_name = "assets"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.asset_list, name="asset_list"),
    path("new/", views.asset_create, name="asset_create"),
    path("bulk-edit/", views.asset_bulk_edit, name="asset_bulk_edit"),
    path("<int:pk>/", views.asset_detail, name="asset_detail"),
    path("<int:pk>/edit/", views.asset_edit, name="asset_edit"),
    path("<int:pk>/hosts/add/", views.host_add, name="host_add"),
    path("<int:pk>/hosts/<int:host_pk>/remove/", views.host_remove, name="host_remove"),
    path("<int:pk>/confirm-mfa/", views.confirm_mfa, name="confirm_mfa"),
    path(
        "<int:pk>/confirm-export-blocked/",
        views.confirm_export_blocked,
        name="confirm_export_blocked",
    ),
    path("<int:pk>/classify/", workflow_views.asset_classify, name="asset_classify"),
    path("<int:pk>/requests/new/", views.request_create, name="request_create"),
    path("<int:pk>/disposal/", views.disposal_record, name="disposal_record"),
    path("consistency/", workflow_views.consistency, name="consistency"),
    path("handling-categories/", handling_views.handling_categories, name="handling_categories"),
    path("migration/", workflow_views.migration, name="migration"),
    path("migration/start/", workflow_views.migration_start, name="migration_start"),
    path(
        "migration/items/<int:pk>/resolve/",
        workflow_views.review_item_resolve,
        name="review_item_resolve",
    ),
    path("requests/", workflow_views.request_list, name="request_list"),
    path("requests/<int:pk>/approve/", workflow_views.request_approve, name="request_approve"),
    path("requests/<int:pk>/reject/", workflow_views.request_reject, name="request_reject"),
    path("requests/<int:pk>/withdraw/", workflow_views.request_withdraw, name="request_withdraw"),
    *io_urlpatterns,
    path("network/", include("isms.assets.network.urls")),
]
