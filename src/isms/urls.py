"""URL configuration: the web shell, each app's pages, the API and the auth views.

Django's admin site is deliberately not mounted: it would bypass ``core.permissions`` and the
tenancy scope. Operators use the ``isms`` command line instead.
"""

from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from isms.api import api
from isms.web import errors

urlpatterns = [
    path("", include("isms.web.urls")),
    path("organisation/", include("isms.core.urls")),
    path("policy/", include("isms.policy.urls")),
    path("quarantine/", include("isms.quarantine.urls")),
    path("assets/", include("isms.assets.urls")),
    path("risks/", include("isms.risks.urls")),
    path("inspections/", include("isms.inspections.urls")),
    path("audits/", include("isms.inspections.audits.urls")),
    path("incidents/plan/", include("isms.incidents.plan.urls")),
    path("incidents/", include("isms.incidents.urls")),
    path("api/v1/", api.urls),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(success_url="/password/done/"),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
]

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
