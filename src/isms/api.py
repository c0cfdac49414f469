"""The HTTP API at ``/api/v1``: django-ninja, bearer tokens, OpenAPI at ``/api/v1/openapi.json``.

Each app contributes a router (``<app>/api.py``); handlers are thin and call the same services
and permission module as the pages.

**Authentication.** ``Authorization: Bearer isms_…``; tokens are issued with
``isms token create USERNAME --name NAME`` and only their SHA-256 is stored. A missing, forged,
expired or revoked token, or one whose login was deactivated, is a 401, never a 500.

**Errors** are JSON, always with a ``detail`` sentence in the user's language:

- 401 ``{"detail": ...}``: no valid token;
- 403 ``{"detail": ...}``: authenticated, but the action is not theirs to do;
- 404 ``{"detail": ...}``: the record does not exist *or belongs to another municipality*;
- 400 ``{"detail": ..., "errors": {"__all__": [...]}}``: the body is not JSON, or too large;
- 422 ``{"detail": ..., "errors": {field: [message, ...]}}``: bad input, keyed by the field of
  the request (``parent_id``, ``fiscal_year``; ``__all__`` when no single field is to blame). An
  id in a body that names another municipality's record is a 422 on that field, as if it did not
  exist; nothing is saved.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import (
    NON_FIELD_ERRORS,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    ValidationError,
)
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from isms.core.models import ApiToken

logger = logging.getLogger("isms.api")

# Raw tokens are "isms_" and 43 URL-safe characters; anything much longer is not ours.
MAX_TOKEN_LENGTH = 200
# Stamping ``last_used_at`` on every call would turn every read into a write; once a minute
# is precise enough to see which tokens are still in use.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)
# Where a request's parts appear in pydantic's error locations; not field names.
_LOCATION_PARTS = frozenset({"body", "query", "path", "header", "cookie", "form", "file"})


class TokenAuth(HttpBearer):
    """``Authorization: Bearer isms_…``; only the token's SHA-256 is stored."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
            return None
        row = ApiToken.objects.select_related("user").filter(digest=ApiToken.hash(token)).first()
        if row is None or not row.is_usable() or not row.user.is_active:
            return None
        now = timezone.now()
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        return row.user


api = NinjaAPI(
    title="ISMS API",
    version="1",
    description=__doc__ or "",
    urls_namespace="api",
    auth=TokenAuth(),
    docs_url="/docs",
)


def _error(
    request: HttpRequest, status: int, detail: str, errors: dict[str, list[str]] | None = None
) -> HttpResponse:
    body: dict[str, Any] = {"detail": detail}
    if errors is not None:
        body["errors"] = errors
    return api.create_response(request, body, status=status)


def field_errors(exc: ValidationError) -> dict[str, list[str]]:
    """Return a Django ``ValidationError`` as ``{field: [message, ...]}``."""
    if hasattr(exc, "error_dict"):
        return {name: [str(m) for e in v for m in e.messages] for name, v in exc.error_dict.items()}
    return {NON_FIELD_ERRORS: [str(m) for m in exc.messages]}


# Pydantic's messages are English only; the common ones are said again in the user's language.
def _schema_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    messages = {
        "missing": lambda: _("This field is required."),
        "extra_forbidden": lambda: _("This field is not accepted here; check its spelling."),
        "int_parsing": lambda: _("Enter a whole number."),
        "int_type": lambda: _("Enter a whole number."),
        "int_from_float": lambda: _("Enter a whole number."),
        "bool_parsing": lambda: _("Enter true or false."),
        "bool_type": lambda: _("Enter true or false."),
        "string_type": lambda: _("Enter text."),
        "date_parsing": lambda: _("Enter a date as YYYY-MM-DD."),
        "date_from_datetime_parsing": lambda: _("Enter a date as YYYY-MM-DD."),
        "date_from_datetime_inexact": lambda: _("Enter a date as YYYY-MM-DD."),
        "date_type": lambda: _("Enter a date as YYYY-MM-DD."),
        "model_attributes_type": lambda: _("Send a JSON object."),
        "dict_type": lambda: _("Send a JSON object."),
        "string_too_long": lambda: (
            _("Enter at most %(max)s characters.") % {"max": ctx.get("max_length")}
        ),
        "greater_than_equal": lambda: (
            _("Enter a number of at least %(min)s.") % {"min": ctx.get("ge")}
        ),
        "less_than_equal": lambda: _("Enter a number of at most %(max)s.") % {"max": ctx.get("le")},
        "enum": lambda: _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected")},
        "nul_character": lambda: _("Remove the NUL character (\\x00) from this text."),
    }
    make = messages.get(kind)
    return make() if make is not None else str(error.get("msg", ""))


def _field_name(loc: Iterable[Any], param_names: frozenset[str]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in _LOCATION_PARTS:
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in param_names:
        parts = parts[1:]
    return ".".join(parts) or NON_FIELD_ERRORS


# The names handlers give their schema-typed parameters; never a field of the request.
_PARAM_NAMES = frozenset({"payload", "filters", "pagination", "ninja_pagination"})


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return _error(request, 422, _("The input is not valid."), field_errors(exc))


@api.exception_handler(NinjaValidationError)
def on_schema_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for e in exc.errors:
        errors.setdefault(_field_name(e.get("loc", ()), _PARAM_NAMES), []).append(
            _schema_message(e)
        )
    return _error(request, 422, _("The input is not valid."), errors)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, _("You are not allowed to do this."))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, _("Not found."))


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _error(request, 401, _("A valid API token is required."))
    response["WWW-Authenticate"] = 'Bearer realm="isms"'
    return response


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        # The only 400 django-ninja raises: a body that does not parse.
        message = _("The request body is not valid JSON.")
        return _error(request, 400, message, {NON_FIELD_ERRORS: [message]})
    return _error(request, exc.status_code, str(exc))


@api.exception_handler(SuspiciousOperation)
def on_suspicious_request(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    if isinstance(exc, RequestDataTooBig):
        message = _("The request body is too large.")
    else:
        message = _("The request is malformed.")
    return _error(request, 400, message, {NON_FIELD_ERRORS: [message]})


@api.exception_handler(Exception)
def on_unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
    return _error(request, 500, _("Something went wrong on our side; it has been logged."))


def _register() -> None:
    from isms.assets.api import router as assets_router
    from isms.assets.network.api import router as network_router
    from isms.core.api import router as core_router
    from isms.core.delegation_api import router as delegation_router
    from isms.core.io_api import router as io_router
    from isms.core.planned_api import router as planned_router
    from isms.incidents.api import router as incidents_router
    from isms.incidents.plan.api import router as plan_router
    from isms.inspections.api import router as inspections_router
    from isms.inspections.audits.api import router as audits_router
    from isms.inspections.audits.api_dashboard import router as audit_dashboard_router
    from isms.policy.catalog_api import router as catalog_router
    from isms.policy.review_api import router as policy_review_router
    from isms.risks.api import router as risks_router

    api.add_router("/", core_router)
    api.add_router("/", delegation_router)
    api.add_router("/", planned_router)
    api.add_router("/", io_router)
    api.add_router("/", assets_router)
    api.add_router("/", network_router)
    api.add_router("/", risks_router)
    api.add_router("/", policy_review_router)
    api.add_router("/", inspections_router)
    api.add_router("/", audits_router)
    api.add_router("/", audit_dashboard_router)
    api.add_router("/", incidents_router)
    api.add_router("/", plan_router)
    api.add_router("/", catalog_router)


_register()
