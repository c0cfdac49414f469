"""Pages of 監査 (``/audits/``)."""

from django.urls import path

from . import views_dashboard, views_fieldwork, views_plans

app_name = "audits"

urlpatterns = [
    # plans and audits (views_plans)
    path("", views_plans.plan_list, name="plan_list"),
    path("plans/new/", views_plans.plan_create, name="plan_create"),
    path("plans/<int:pk>/", views_plans.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/edit/", views_plans.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/submit/", views_plans.plan_submit, name="plan_submit"),
    path("plans/<int:pk>/approve/", views_plans.plan_approve, name="plan_approve"),
    path("plans/<int:pk>/return/", views_plans.plan_return, name="plan_return"),
    path("plans/<int:pk>/close/", views_plans.plan_close, name="plan_close"),
    path("plans/<int:pk>/audits/new/", views_plans.audit_create, name="audit_create"),
    path("<int:pk>/edit/", views_plans.audit_edit, name="audit_edit"),
    path("<int:pk>/delete/", views_plans.audit_delete, name="audit_delete"),
    path("<int:pk>/auditors/", views_plans.auditor_add, name="auditor_add"),
    path("auditors/<int:pk>/remove/", views_plans.auditor_remove, name="auditor_remove"),
    # fieldwork, findings and corrective actions (views_fieldwork)
    path("<int:pk>/", views_fieldwork.audit_detail, name="audit_detail"),
    path("<int:pk>/close/", views_fieldwork.audit_close, name="audit_close"),
    path("items/<int:pk>/", views_fieldwork.item_detail, name="item_detail"),
    path("items/<int:pk>/assess/", views_fieldwork.item_assess, name="item_assess"),
    path("items/<int:pk>/workpapers/", views_fieldwork.workpaper_create, name="workpaper_create"),
    path("workpapers/<int:pk>/edit/", views_fieldwork.workpaper_edit, name="workpaper_edit"),
    path("workpapers/<int:pk>/evidence/", views_fieldwork.evidence_upload, name="evidence_upload"),
    path("evidence/<int:pk>/", views_fieldwork.evidence_download, name="evidence_download"),
    path("findings/", views_fieldwork.finding_list, name="finding_list"),
    path("<int:pk>/findings/new/", views_fieldwork.finding_create, name="finding_create"),
    path("findings/<int:pk>/", views_fieldwork.finding_detail, name="finding_detail"),
    path("findings/<int:pk>/edit/", views_fieldwork.finding_edit, name="finding_edit"),
    path("findings/<int:pk>/close/", views_fieldwork.finding_close, name="finding_close"),
    path("findings/<int:pk>/targeted/", views_fieldwork.finding_targeted, name="finding_targeted"),
    path("findings/<int:pk>/actions/", views_fieldwork.action_create, name="action_create"),
    path("actions/", views_fieldwork.action_list, name="action_list"),
    path("actions/<int:pk>/progress/", views_fieldwork.action_progress, name="action_progress"),
    path("actions/<int:pk>/verify/", views_fieldwork.action_verify, name="action_verify"),
    path("actions/<int:pk>/reject/", views_fieldwork.action_reject, name="action_reject"),
    # compliance dashboard and the committee report (views_dashboard)
    path("dashboard/", views_dashboard.dashboard, name="dashboard"),
    path("dashboard/drill/", views_dashboard.drill, name="dashboard_drill"),
    path("plans/<int:pk>/report.pdf", views_dashboard.plan_report, name="plan_report"),
]
