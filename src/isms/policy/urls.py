from django.urls import path

from . import catalog_views, views

app_name = "policy"

urlpatterns = [
    path("basic/", views.basic_policy, name="basic_policy"),
    path("review/", views.policy_review, name="policy_review"),
    path("controls/", catalog_views.control_list, name="control_list"),
    path("controls/<int:pk>/", catalog_views.control_detail, name="control_detail"),
    path("controls/<int:pk>/edit/", catalog_views.control_edit, name="control_edit"),
    path("controls/versions/", catalog_views.version_list, name="control_versions"),
    path("controls/import/", catalog_views.control_import, name="control_import"),
    path(
        "controls/versions/<int:pk>/export/",
        catalog_views.version_export,
        name="control_export",
    ),
    path(
        "controls/versions/<int:pk>/make-current/",
        catalog_views.version_make_current,
        name="control_make_current",
    ),
    path("controls/versions/<int:pk>/copy/", catalog_views.version_copy, name="control_copy"),
]
