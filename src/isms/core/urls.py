from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("org-units/", views.org_unit_list, name="org_unit_list"),
    path("org-units/<int:pk>/", views.org_unit_detail, name="org_unit_detail"),
    path("people/", views.person_list, name="person_list"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("roles/", views.role_assignment_list, name="role_assignment_list"),
    path("journal/", views.journal_list, name="journal_list"),
]
