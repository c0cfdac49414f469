"""Pages of the network checks, under ``/assets/network/`` (namespace ``assets:network``)."""

from django.urls import path

from . import views

app_name = "network"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("upload/", views.upload, name="upload"),
    path("snapshots/<int:pk>/run/", views.run_check, name="run_check"),
    path("checks/<int:pk>/", views.check_detail, name="check_detail"),
    path("checks/<int:pk>/report.txt", views.check_report, name="check_report"),
    path("checks/<int:pk>/compare/<int:other>/", views.compare, name="compare"),
    path("history/", views.history, name="history"),
    path("exceptions/", views.exceptions, name="exceptions"),
    path("exceptions/<int:pk>/approve/", views.exception_approve, name="exception_approve"),
    path("exceptions/<int:pk>/reject/", views.exception_reject, name="exception_reject"),
    path("exceptions/<int:pk>/withdraw/", views.exception_withdraw, name="exception_withdraw"),
    path("inventory/", views.inventory_page, name="inventory"),
]
