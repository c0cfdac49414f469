"""Pages of the emergency response plan (``/incidents/plan/``)."""

from django.urls import path

from . import views

app_name = "plan"

urlpatterns = [
    path("", views.plan_detail, name="plan_detail"),
    path("edit/", views.plan_edit, name="plan_edit"),
    path("pdf/", views.plan_pdf, name="plan_pdf"),
    path("versions/", views.version_list, name="version_list"),
    path("versions/<int:pk>/", views.version_detail, name="version_detail"),
    path("versions/<int:pk>/approve/", views.version_approve, name="version_approve"),
]
