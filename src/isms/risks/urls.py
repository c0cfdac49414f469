"""Pages of the risk register (``/risks/``)."""

from django.urls import path

from . import views

app_name = "risks"

urlpatterns = [
    path("", views.risk_list, name="risk_list"),
    path("heat-map/", views.heat_map, name="heat_map"),
    path("new/", views.risk_create, name="risk_create"),
    path("export/", views.risk_export, name="risk_export"),
    path("report/", views.risk_report, name="risk_report"),
    path("catalog/", views.catalog, name="catalog"),
    path("scales/", views.scales, name="scales"),
    path(
        "catalog/<str:kind>/<int:pk>/active/",
        views.catalog_entry_active,
        name="catalog_entry_active",
    ),
    path("groups/", views.group_list, name="group_list"),
    path("groups/new/", views.group_create, name="group_create"),
    path("groups/<int:pk>/edit/", views.group_edit, name="group_edit"),
    path("<int:pk>/", views.risk_detail, name="risk_detail"),
    path("<int:pk>/treat/", views.risk_treat, name="risk_treat"),
    path("<int:pk>/reassess/", views.risk_reassess, name="risk_reassess"),
    path(
        "<int:pk>/request-acceptance/",
        views.risk_request_acceptance,
        name="risk_request_acceptance",
    ),
    path("<int:pk>/approve/", views.risk_approve, name="risk_approve"),
    path("<int:pk>/reject/", views.risk_reject, name="risk_reject"),
]
