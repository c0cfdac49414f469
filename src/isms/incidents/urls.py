"""Pages of the incidents (``/incidents/``)."""

from django.urls import path

from . import views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="incident_list"),
    path("report/", views.incident_report, name="incident_report"),
    path("settings/", views.incident_settings, name="incident_settings"),
    path("public/<str:code>/", views.public_report, name="public_report"),
    path("public/<str:code>/status/", views.public_status, name="public_status"),
    path("<int:pk>/", views.incident_detail, name="incident_detail"),
    path("<int:pk>/acknowledge/", views.incident_acknowledge, name="incident_acknowledge"),
    path("<int:pk>/triage/", views.incident_triage, name="incident_triage"),
    path("<int:pk>/ppc-decision/", views.incident_ppc, name="incident_ppc"),
    path(
        "<int:pk>/external-reports/",
        views.incident_external_report,
        name="incident_external_report",
    ),
    path("<int:pk>/publication/", views.incident_publication, name="incident_publication"),
    path("<int:pk>/timeline/", views.incident_timeline, name="incident_timeline"),
    path(
        "<int:pk>/evidence/<int:evidence_pk>/",
        views.evidence_download,
        name="evidence_download",
    ),
    path("<int:pk>/close/", views.incident_close, name="incident_close"),
]
