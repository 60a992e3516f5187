"""Plaid's error object and the errors the emulator answers with."""

from __future__ import annotations

import random
import string
from typing import Any

from sandbox.http import Response, json_response

_ID_ALPHABET = string.ascii_letters + string.digits

# error_code -> (error_type, HTTP status, error_message, display_message, documentation path)
CATALOGUE: dict[str, tuple[str, int, str, str | None, str]] = {
    "INVALID_API_KEYS": (
        "INVALID_INPUT",
        400,
        "invalid client_id or secret provided",
        None,
        "invalid-input/#invalid_api_keys",
    ),
    "INVALID_ACCESS_TOKEN": (
        "INVALID_INPUT",
        400,
        "could not find matching access token",
        None,
        "invalid-input/#invalid_access_token",
    ),
    "INVALID_PUBLIC_TOKEN": (
        "INVALID_INPUT",
        400,
        "could not find matching public token",
        None,
        "invalid-input/#invalid_public_token",
    ),
    "INVALID_LINK_TOKEN": (
        "INVALID_INPUT",
        400,
        "provided link token is invalid or expired",
        None,
        "invalid-input/#invalid_link_token",
    ),
    "INVALID_INSTITUTION": (
        "INVALID_INPUT",
        400,
        "invalid institution_id provided",
        None,
        "invalid-input/#invalid_institution",
    ),
    "INVALID_WEBHOOK_VERIFICATION_KEY_ID": (
        "INVALID_INPUT",
        400,
        "invalid key_id provided",
        None,
        "invalid-input/#invalid_webhook_verification_key_id",
    ),
    "INVALID_BODY": ("INVALID_REQUEST", 400, "body could not be parsed as JSON", None, "invalid-request/"),
    "MISSING_FIELDS": (
        "INVALID_REQUEST",
        400,
        "the following required fields are missing",
        None,
        "invalid-request/#missing_fields",
    ),
    "INVALID_FIELD": ("INVALID_REQUEST", 400, "a field is invalid", None, "invalid-request/#invalid_field"),
    "NOT_FOUND": ("INVALID_REQUEST", 404, "not found", None, "invalid-request/#not_found"),
    "ITEM_LOGIN_REQUIRED": (
        "ITEM_ERROR",
        400,
        "the login details of this item have changed (credentials, MFA, or required user action) and a user "
        "login is required to update this information. use Link's update mode to restore the item to a good "
        "state",
        "To keep your account connected, please sign in to your bank again.",
        "item/#item_login_required",
    ),
    "INVALID_CREDENTIALS": (
        "ITEM_ERROR",
        400,
        "the provided credentials were not correct",
        "The provided credentials were not correct. Please try again.",
        "item/#invalid_credentials",
    ),
    "PRODUCTS_NOT_SUPPORTED": (
        "ITEM_ERROR",
        400,
        "the requested product is not supported by this institution",
        None,
        "item/#products_not_supported",
    ),
    "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION": (
        "TRANSACTIONS_ERROR",
        400,
        "Underlying transaction data changed since last page was fetched. Please restart pagination from "
        "last update.",
        None,
        "transactions/#transactions_sync_mutation_during_pagination",
    ),
    "SANDBOX_WEBHOOK_INVALID": (
        "SANDBOX_ERROR",
        400,
        "the webhook for the item is either not set or not valid",
        None,
        "sandbox/#sandbox_webhook_invalid",
    ),
    "INTERNAL_SERVER_ERROR": (
        "API_ERROR",
        500,
        "an unexpected error occurred",
        "Something went wrong. Please try again later.",
        "api/#internal_server_error",
    ),
}

RATE_LIMIT_CODES = {
    "/accounts/get": "ACCOUNTS_LIMIT",
    "/accounts/balance/get": "BALANCE_LIMIT",
    "/item/get": "ITEM_GET_LIMIT",
    "/transactions/sync": "TRANSACTIONS_SYNC_LIMIT",
    "/transactions/refresh": "TRANSACTIONS_LIMIT",
}
for _code in {*RATE_LIMIT_CODES.values(), "RATE_LIMIT"}:
    CATALOGUE[_code] = (
        "RATE_LIMIT_EXCEEDED",
        429,
        "rate limit exceeded for attempts to access this item. please try again later",
        None,
        "rate-limit-exceeded/",
    )


def request_id() -> str:
    return "".join(random.choices(_ID_ALPHABET, k=15))


class PlaidError(Exception):
    """Raised by handlers; rendered as Plaid's error JSON with the right HTTP status."""

    def __init__(self, code: str, message: str | None = None, *, status: int | None = None) -> None:
        error_type, usual_status, default_message, display, doc = CATALOGUE[code]
        super().__init__(message or default_message)
        self.code = code
        self.error_type = error_type
        self.status = status or usual_status
        self.message = message or default_message
        self.display_message = display
        self.documentation_url = f"https://plaid.com/docs/errors/{doc}"

    def body(self, rid: str) -> dict[str, Any]:
        return {
            "error_type": self.error_type,
            "error_code": self.code,
            "error_code_reason": None,
            "error_message": self.message,
            "display_message": self.display_message,
            "request_id": rid,
            "causes": [],
            "status": self.status,
            "documentation_url": self.documentation_url,
            "suggested_action": None,
        }


# What the server answers itself (unknown route, wrong method, unreadable request, a crash), by status.
SERVER_ERRORS = {400: "INVALID_BODY", 404: "NOT_FOUND", 405: "NOT_FOUND", 500: "INTERNAL_SERVER_ERROR"}


def error_response(status: int, message: str) -> Response:
    code = SERVER_ERRORS.get(status, "INTERNAL_SERVER_ERROR" if status >= 500 else "INVALID_BODY")
    error = PlaidError(code, message, status=status)
    return json_response(error.body(request_id()), status)


def rate_limited(path: str) -> PlaidError:
    return PlaidError(RATE_LIMIT_CODES.get(path, "RATE_LIMIT"))


def missing(*fields: str) -> PlaidError:
    return PlaidError("MISSING_FIELDS", "the following required fields are missing: " + ", ".join(fields))


def invalid_field(message: str) -> PlaidError:
    return PlaidError("INVALID_FIELD", message)
