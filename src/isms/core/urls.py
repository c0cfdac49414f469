from django.urls import path

from . import delegation_views, io_views, views

app_name = "core"

urlpatterns = [
    path("org-units/", views.org_unit_list, name="org_unit_list"),
    path("org-units/import/", io_views.org_unit_import, name="org_unit_import"),
    path("org-units/export/", io_views.org_unit_export, name="org_unit_export"),
    path("org-units/template/", io_views.org_unit_template, name="org_unit_template"),
    path("org-units/new/", views.org_unit_create, name="org_unit_create"),
    path("org-units/<int:pk>/", views.org_unit_detail, name="org_unit_detail"),
    path("org-units/<int:pk>/edit/", views.org_unit_edit, name="org_unit_edit"),
    path("org-units/<int:pk>/reorganise/", views.org_unit_reorganise, name="org_unit_reorganise"),
    path(
        "org-units/planned/<int:pk>/cancel/",
        views.planned_change_cancel,
        name="planned_change_cancel",
    ),
    path("people/", views.person_list, name="person_list"),
    path("people/import/", io_views.person_import, name="person_import"),
    path("people/export/", io_views.person_export, name="person_export"),
    path("people/template/", io_views.person_template, name="person_template"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path(
        "people/<int:person_pk>/roles/new/",
        views.role_assignment_create,
        name="role_assignment_create",
    ),
    path("roles/", views.role_assignment_list, name="role_assignment_list"),
    path("roles/import/", io_views.role_assignment_import, name="role_assignment_import"),
    path("roles/export/", io_views.role_assignment_export, name="role_assignment_export"),
    path("roles/template/", io_views.role_assignment_template, name="role_assignment_template"),
    path("imports/<int:pk>/", io_views.import_job_detail, name="import_job_detail"),
    path("roles/carry-over/", views.role_carry_over, name="role_carry_over"),
    path("roles/<int:pk>/end/", views.role_assignment_end, name="role_assignment_end"),
    path("roles/names/", views.role_display_name_list, name="role_display_name_list"),
    path("roles/names/<slug:role>/", views.role_display_name_edit, name="role_display_name_edit"),
    path("delegations/", delegation_views.delegation_list, name="delegation_list"),
    path("delegations/new/", delegation_views.delegation_create, name="delegation_create"),
    path("delegations/<int:pk>/end/", delegation_views.delegation_revoke, name="delegation_revoke"),
    path("journal/", views.journal_list, name="journal_list"),
]
