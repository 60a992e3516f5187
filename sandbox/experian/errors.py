"""Experian's error shape, {"errors": [{"errorCode", "errorType", "message"}]}, and the errors sent here.

Error codes other than 76 (Inquiry Not Allowed) are the sandbox's own choice; the real service's codes vary
by gateway and product, so clients should branch on the HTTP status and treat the code as detail.
"""

from __future__ import annotations

from sandbox.http import Response, json_response

VALIDATION = "1000"
INTERNAL = "1001"
INVALID_TOKEN = "1002"
INVALID_CREDENTIALS = "1003"
MALFORMED_REQUEST = "1004"
GATEWAY_TIMEOUT = "1005"
NOT_FOUND = "1006"
METHOD_NOT_ALLOWED = "1007"
INQUIRY_NOT_ALLOWED = "76"


class ExperianError(Exception):
    def __init__(
        self, status: int, errors: list[dict[str, str]], headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(errors[0]["message"])
        self.status = status
        self.errors = errors
        self.headers = headers or {}

    def response(self) -> Response:
        return json_response({"errors": self.errors}, self.status, self.headers)


def entry(code: str, error_type: str, message: str) -> dict[str, str]:
    return {"errorCode": code, "errorType": error_type, "message": message}


def validation_failed(messages: list[str]) -> ExperianError:
    return ExperianError(400, [entry(VALIDATION, "Api Validation Error", message) for message in messages])


def malformed_request(message: str = "Invalid request: the body is not a JSON object") -> ExperianError:
    return ExperianError(400, [entry(MALFORMED_REQUEST, "Api Validation Error", message)])


def invalid_token(message: str) -> ExperianError:
    return ExperianError(
        401,
        [entry(INVALID_TOKEN, "Unauthorized", message)],
        {"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def invalid_credentials(
    message: str = "Invalid username, password, client id or client secret",
) -> ExperianError:
    return ExperianError(401, [entry(INVALID_CREDENTIALS, "Unauthorized", message)])


def internal_error() -> ExperianError:
    return ExperianError(500, [entry(INTERNAL, "Backend Error", "Internal error. Please retry the request")])


def gateway_timeout() -> ExperianError:
    return ExperianError(504, [entry(GATEWAY_TIMEOUT, "Backend Error", "Gateway timeout")])


def inquiry_not_allowed() -> ExperianError:
    return ExperianError(400, [entry(INQUIRY_NOT_ALLOWED, "Backend Error", "INQUIRY NOT ALLOWED")])


def not_found(message: str) -> ExperianError:
    return ExperianError(404, [entry(NOT_FOUND, "Not Found", message)])


# What the server answers itself (unknown route, wrong method, unreadable request, a crash), by status.
SERVER_ERRORS = {
    400: (MALFORMED_REQUEST, "Api Validation Error"),
    404: (NOT_FOUND, "Not Found"),
    405: (METHOD_NOT_ALLOWED, "Method Not Allowed"),
    500: (INTERNAL, "Backend Error"),
}


def error_response(status: int, message: str) -> Response:
    code, error_type = SERVER_ERRORS.get(status, SERVER_ERRORS[500 if status >= 500 else 400])
    return ExperianError(status, [entry(code, error_type, message)]).response()
