"""Stripe's error shape: `{"error": {"type", "code", "message", "param"}}` with the HTTP status it uses."""

from __future__ import annotations

from sandbox.http import Response, json_response


class StripeError(Exception):
    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        **extra: str,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.code = code
        self.param = param
        self.extra = extra

    def response(self) -> Response:
        error: dict[str, object] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        error.update(self.extra)
        return json_response({"error": error}, self.status)


def missing(kind: str, object_id: str, param: str = "id") -> StripeError:
    return StripeError(f"No such {kind}: '{object_id}'", status=404, code="resource_missing", param=param)


def required(param: str) -> StripeError:
    return StripeError(f"Missing required param: {param}.", code="parameter_missing", param=param)


def invalid(param: str, message: str) -> StripeError:
    return StripeError(message, code="parameter_invalid", param=param)


def error_response(status: int, message: str) -> Response:
    """What the server answers itself (unknown route, wrong method, unreadable request, a crash)."""
    return StripeError(
        message, status=status, type="api_error" if status >= 500 else "invalid_request_error"
    ).response()
