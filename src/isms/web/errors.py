"""Error pages: a plain explanation in the user's language, never a traceback.

Under ``/api/`` they answer JSON ``{"detail": ...}`` like the API's own errors, so that a client
calling a path that does not exist gets no HTML.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

API_PREFIX = "/api/"


def _render(request: HttpRequest, template: str, status: int) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        detail = {
            400: _("The request is malformed."),
            403: _("You are not allowed to do this."),
            404: _("Not found."),
            500: _("Something went wrong on our side; it has been logged."),
        }[status]
        return JsonResponse(
            {"detail": detail}, status=status, json_dumps_params={"ensure_ascii": False}
        )
    try:
        body = loader.render_to_string(template, {"status": status}, request)
    except Exception:  # the error page itself must not fail
        body = f"<h1>{status}</h1>"
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(request, "web/error_400.html", 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(request, "web/error_403.html", 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(request, "web/error_404.html", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return _render(request, "web/error_500.html", 500)
