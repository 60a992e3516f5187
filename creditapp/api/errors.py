"""One error shape for every API answer that is not a success, 4xx and 5xx alike:

    {"error": {"code": "not_found", "message": "Not found.", "details": {}}}

`code` is stable and meant for programs; `message` is for people; `details` holds per-field errors
(a 400) or the facts a client acts on (the feature and upgrade URL of a 402, the wait of a 429).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

log = logging.getLogger(__name__)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The request is well formed but cannot be processed."
    default_code = "unprocessable"


class ApiError(exceptions.APIException):
    """An error with its own code and details: `ApiError(402, "upgrade_required", "…", {"feature": …})`."""

    def __init__(self, status_code: int, code: str, message: str, details: dict[str, Any] | None = None):
        super().__init__(message, code)
        self.status_code = status_code
        self.error_code = code
        self.details = details or {}


# The code each DRF exception answers with, when it carries no better one.
CODES: dict[type[exceptions.APIException], str] = {
    exceptions.ValidationError: "invalid_request",
    exceptions.ParseError: "malformed_body",
    exceptions.NotAuthenticated: "unauthenticated",
    exceptions.AuthenticationFailed: "invalid_api_key",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "rate_limited",
}
MESSAGES = {
    400: "The request is invalid: see details.",
    404: "Not found.",
    500: "Something went wrong on our side; nothing was changed. Try again later.",
}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _code_of(exc: exceptions.APIException) -> str:
    if isinstance(exc, ApiError):
        return exc.error_code
    for kind in type(exc).__mro__:
        if kind in CODES:
            detail_code = exc.get_codes()
            # A specific code given where the exception was raised ("api_key_expired") wins.
            if isinstance(detail_code, str) and detail_code not in ("invalid", "error", exc.default_code):
                return detail_code
            return CODES[kind]
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else str(exc.default_code)


def _shape(exc: exceptions.APIException) -> dict[str, Any]:
    code = _code_of(exc)
    detail = exc.detail
    if isinstance(exc, ApiError):
        return error_body(code, str(detail), exc.details)
    if isinstance(exc, exceptions.ValidationError):
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        first = next(iter(fields.values()), None)
        message = str(first[0]) if isinstance(first, list) and first else MESSAGES[400]
        return error_body(code, message, {"fields": fields})
    if isinstance(exc, exceptions.Throttled):
        return error_body(code, "Too many requests: slow down.", {"retry_after_seconds": exc.wait})
    if isinstance(detail, dict):  # {"detail": …, extra facts…}
        facts = {k: v for k, v in detail.items() if k not in ("detail", "code")}
        return error_body(str(detail.get("code", code)), str(detail.get("detail", "")), facts)
    return error_body(code, str(detail))


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """REST_FRAMEWORK's EXCEPTION_HANDLER: DRF's own handling (headers such as WWW-Authenticate and
    Retry-After), then our shape. What DRF does not know is a 500, logged, never a traceback."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        log.exception("unhandled API error", exc_info=exc)
        return Response(error_body("server_error", MESSAGES[500]), status=500)
    assert isinstance(exc, exceptions.APIException)
    response.data = _shape(exc)
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """A path under /api/ that matches no endpoint."""
    return JsonResponse(error_body("not_found", MESSAGES[404]), status=404)


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(error_body("server_error", MESSAGES[500]), status=500)
