"""Pages of the self-inspections (``/inspections/``)."""

from django.urls import path

from . import views

app_name = "inspections"

urlpatterns = [
    path("", views.campaign_list, name="campaign_list"),
    path("new/", views.campaign_create, name="campaign_create"),
    path("<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("<int:pk>/open/", views.campaign_open, name="campaign_open"),
    path("<int:pk>/close/", views.campaign_close, name="campaign_close"),
    path("<int:pk>/assign/", views.campaign_assign, name="campaign_assign"),
    path("<int:pk>/results/", views.campaign_results, name="campaign_results"),
    path("<int:pk>/results/export/", views.campaign_export, name="campaign_export"),
    path("<int:pk>/results/report/", views.campaign_report, name="campaign_report"),
    path("sheets/<int:pk>/", views.sheet_detail, name="sheet_detail"),
    path("sheets/<int:pk>/evidence/", views.sheet_evidence, name="sheet_evidence"),
    path("sheets/<int:pk>/approve/", views.sheet_approve, name="sheet_approve"),
    path("sheets/<int:pk>/return/", views.sheet_return, name="sheet_return"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
    path("evidence/<int:pk>/delete/", views.evidence_delete, name="evidence_delete"),
    path("approvals/", views.approval_queue, name="approval_queue"),
    path("improvements/", views.improvement_list, name="improvement_list"),
    path("answers/<int:pk>/improvement/", views.improvement_create, name="improvement_create"),
    path(
        "improvements/<int:pk>/progress/", views.improvement_progress, name="improvement_progress"
    ),
    path("improvements/<int:pk>/verify/", views.improvement_verify, name="improvement_verify"),
]
