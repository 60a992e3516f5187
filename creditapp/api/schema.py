"""The OpenAPI schema's generic part: what every /api/v1/ operation can answer besides its success.

Every operation passes through the same doors (a key, the plan, the key's scope, the rate limit,
`Idempotency-Key` on POST and PATCH), so the refusals they produce are documented here once, from
the operation's shape, instead of on each view:

    400  the operation takes query parameters, a body or an Idempotency-Key
    401  always: no key, a malformed, revoked or expired one
    402  always: the plan has no API access
    403  unsafe methods: a read-only key
    404  the path has parameters: not found, or not yours (the same answer)
    409  POST and PATCH: the first request with this Idempotency-Key is still running
    422  POST and PATCH: this Idempotency-Key was used for a different request
    429  always: the rate limit of the plan and kind of operation
    500  always: our fault, in the same shape

A view may declare any of these codes itself (a 409 for a clash of its own, say): its description
and schema are kept, and the generic example is added beside its own when both use the error shape.
Every response carries the RateLimit-* headers (a 404 for a path no endpoint matches cannot); a 429
adds Retry-After, a 401 WWW-Authenticate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from creditapp.api.errors import MESSAGES, error_body
from creditapp.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from creditapp.api.idempotency import KEEP_SECONDS, MAX_KEY_LENGTH
from creditapp.api.idempotency import METHODS as IDEMPOTENT_METHODS
from creditapp.api.pagination import MAX_PAGE_SIZE

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class ErrorInfoSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(
        help_text="Stable, for programs: `invalid_request`, `invalid_api_key`, `upgrade_required`, "
        "`insufficient_scope`, `not_found`, `rate_limited`, …"
    )
    message = serializers.CharField(help_text="For people; may change.")
    details = serializers.DictField(
        help_text="Facts to act on: `fields` for a 400, `upgrade_url` for a 402, "
        "`retry_after_seconds` for a 429; empty otherwise."
    )


class ErrorSerializer(serializers.Serializer[Any]):
    """Every answer that is not a success, 4xx and 5xx alike."""

    error = ErrorInfoSerializer()


def _example(
    name: str, summary: str, code: str, message: str, details: dict[str, Any] | None = None
) -> OpenApiExample:
    return OpenApiExample(name, summary=summary, value=error_body(code, message, details))


@dataclass(frozen=True)
class Refusal:
    status: int
    description: str
    examples: tuple[OpenApiExample, ...]

    def response(self) -> OpenApiResponse:
        return OpenApiResponse(ErrorSerializer, description=self.description, examples=list(self.examples))


INVALID_FIELD = _example(
    "invalid_request", "A parameter or field is invalid", "invalid_request", "Enter a valid date.",
    {"fields": {"date_from": ["Enter a valid date."]}},
)  # fmt: skip
PAGE_TOO_LARGE = _example(
    "page_size_too_large", f"page_size above {MAX_PAGE_SIZE} (refused, never cut)", "invalid_request",
    f"Ensure this value is less than or equal to {MAX_PAGE_SIZE}.",
    {"fields": {"page_size": [f"Ensure this value is less than or equal to {MAX_PAGE_SIZE}."]}},
)  # fmt: skip
BAD_CURSOR = _example(
    "invalid_cursor", "A cursor that is not one of ours", "invalid_request",
    "Invalid cursor: use the `next` or `previous` link of a page as it is.",
    {"fields": {"cursor": ["Invalid cursor: use the `next` or `previous` link of a page as it is."]}},
)  # fmt: skip
MALFORMED_BODY = _example(
    "malformed_body", "The body is not valid JSON", "malformed_body",
    "JSON parse error - Expecting value: line 1 column 1 (char 0)",
)  # fmt: skip
BAD_IDEMPOTENCY_KEY = _example(
    "invalid_idempotency_key", f"An empty or over-long {IDEMPOTENCY_HEADER}", "invalid_idempotency_key",
    f"{IDEMPOTENCY_HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters.",
)  # fmt: skip

UNAUTHENTICATED = Refusal(
    401,
    "No API key, or one that is malformed, revoked or expired. Send `Authorization: Bearer ck_…`.",
    (
        _example(
            "unauthenticated", "No key", "unauthenticated", "Authentication credentials were not provided."
        ),
        _example(
            "invalid_api_key", "Unknown or revoked key", "invalid_api_key", "Invalid or revoked API key."
        ),
        _example(
            "api_key_expired", "Expired key", "api_key_expired", "This API key has expired: create a new one."
        ),
    ),
)
UPGRADE_REQUIRED = Refusal(
    402,
    "Your plan does not include the API (Pro and Family do); `details.upgrade_url` is where to upgrade. "
    "Keys start working again the moment the plan does.",
    (
        _example(
            "upgrade_required", "A plan without API access", "upgrade_required",
            "REST API and personal API keys are part of the Pro and Family plans.",
            {"feature": "api_access", "upgrade_url": "https://app.example.com/billing/plans/"},
        ),
    ),
)  # fmt: skip
READ_ONLY_KEY = Refusal(
    403,
    "This key is read-only: changing data needs a read-write key.",
    (
        _example(
            "insufficient_scope", "A read-only key on a write", "insufficient_scope",
            "This API key is read-only: create a read-write key to change data.",
        ),
    ),
)  # fmt: skip
NOT_FOUND = Refusal(
    404,
    "No such object, or it is not yours: the two answers are the same.",
    (_example("not_found", "Not found, or someone else's", "not_found", MESSAGES[404]),),
)
IDEMPOTENCY_IN_FLIGHT = Refusal(
    409,
    f"The first request with this {IDEMPOTENCY_HEADER} is still running: retry once it has finished.",
    (
        _example(
            "idempotency_key_in_use", f"{IDEMPOTENCY_HEADER} in flight", "idempotency_key_in_use",
            "The first request with this key is still running.",
        ),
    ),
)  # fmt: skip
IDEMPOTENCY_REUSED = Refusal(
    422,
    f"This {IDEMPOTENCY_HEADER} was used for a different request (method, path or body): use a new key.",
    (
        _example(
            "idempotency_key_reused", f"{IDEMPOTENCY_HEADER} reused", "idempotency_key_reused",
            f"This {IDEMPOTENCY_HEADER} was used for a different request; use a new key for a new request.",
        ),
    ),
)  # fmt: skip
RATE_LIMITED = Refusal(
    429,
    "Too many requests of this kind (reads, writes or sync requests) for your plan: wait `Retry-After` "
    "seconds. Every response says where you stand in `RateLimit-Limit`, `RateLimit-Remaining` and "
    "`RateLimit-Reset`.",
    (
        _example(
            "rate_limited", "Rate limited", "rate_limited", "Too many requests: slow down.",
            {"retry_after_seconds": 42.0},
        ),
    ),
)  # fmt: skip
SERVER_ERROR = Refusal(
    500,
    "Something failed on our side and nothing was changed; try again later.",
    (_example("server_error", "Our fault", "server_error", MESSAGES[500]),),
)


def _header(name: str, description: str, response: bool | list[int], schema: Any = OpenApiTypes.INT) -> Any:
    return OpenApiParameter(
        name, schema, OpenApiParameter.HEADER, required=True, description=description, response=response
    )


RESPONSE_HEADERS = [
    _header("RateLimit-Limit", "Requests allowed in the current window for this kind of operation.", True),
    _header("RateLimit-Remaining", "Requests left in the current window.", True),
    _header("RateLimit-Reset", "Seconds until the window starts again.", True),
    _header("Retry-After", "Seconds to wait before trying again.", [429]),
    _header("WWW-Authenticate", "How to authenticate: `Bearer`.", [401], OpenApiTypes.STR),
]
RATE_LIMIT_HEADER_NAMES = {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"}
IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    OpenApiParameter.HEADER,
    required=False,
    description=(
        f"Any unique string (a UUID, say), 1 to {MAX_KEY_LENGTH} printable characters. Retrying with the "
        f"same key and request within {KEEP_SECONDS // 3600} hours returns the first answer "
        "(marked `Idempotent-Replayed: true`) instead of acting twice."
    ),
)


class ApiAutoSchema(AutoSchema):
    """REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS."""

    def get_override_parameters(self) -> list[Any]:
        parameters = [*super().get_override_parameters(), *RESPONSE_HEADERS]
        if self.method in IDEMPOTENT_METHODS:
            parameters.append(IDEMPOTENCY_KEY)
        return parameters

    def _get_response_headers_for_code(self, status_code: str, direction: str = "response") -> dict[str, Any]:
        headers: dict[str, Any] = super()._get_response_headers_for_code(status_code, direction)
        if status_code == "404":
            # A path that routes to no endpoint at all (`/accounts/1.5/`) is answered before any rate
            # limit is counted.
            for name in RATE_LIMIT_HEADER_NAMES & set(headers):
                headers[name] = {**headers[name], "required": False}
        return headers

    def _get_pagination_parameters(self) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super()._get_pagination_parameters()
        paginator = self._get_paginator()
        size_param = getattr(paginator, "page_size_query_param", None)
        largest = getattr(paginator, "max_page_size", None)
        for parameter in parameters:
            if parameter["name"] == size_param and largest:
                parameter["schema"] = {**parameter["schema"], "minimum": 1, "maximum": largest}
            elif parameter["name"] == getattr(paginator, "cursor_query_param", None):
                parameter["description"] = (
                    "Opaque: follow a page's `next` or `previous` link as it is; anything else is a 400."
                )
        return parameters

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses: dict[str, Any] = operation["responses"]
        for refusal in self.refusals(operation):
            generic = self._get_response_for_code(refusal.response(), str(refusal.status))
            declared = responses.get(str(refusal.status))
            responses[str(refusal.status)] = generic if declared is None else _merged(declared, generic)
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def refusals(self, operation: dict[str, Any]) -> list[Refusal]:
        """The refusals this operation can answer with, from its method, path and parameters."""
        query = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        has_body = "requestBody" in operation
        idempotent = self.method in IDEMPOTENT_METHODS
        found = []
        if query or has_body or idempotent:
            examples = [INVALID_FIELD]
            paginator = self._get_paginator()
            if getattr(paginator, "page_size_query_param", None) in query:
                examples.append(PAGE_TOO_LARGE)
            if getattr(paginator, "cursor_query_param", None) in query:
                examples.append(BAD_CURSOR)
            if has_body:
                examples.append(MALFORMED_BODY)
            if idempotent:
                examples.append(BAD_IDEMPOTENCY_KEY)
            description = (
                "The request is invalid; `details.fields` names each field or parameter and what is wrong."
            )
            found.append(Refusal(400, description, tuple(examples)))
        found += [UNAUTHENTICATED, UPGRADE_REQUIRED]
        if self.method not in SAFE_METHODS:
            found.append(READ_ONLY_KEY)
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            found.append(NOT_FOUND)
        if idempotent:
            found += [IDEMPOTENCY_IN_FLIGHT, IDEMPOTENCY_REUSED]
        found += [RATE_LIMITED, SERVER_ERROR]
        return found


def _merged(declared: dict[str, Any], generic: dict[str, Any]) -> dict[str, Any]:
    """A code the view declared keeps its own description and schema; the generic refusal's examples
    join the view's when both answer in the error shape, and a declared code without a body gets it."""
    merged = {**declared, "headers": {**generic.get("headers", {}), **declared.get("headers", {})}}
    if not declared.get("content"):
        merged["content"] = generic["content"]
        merged["description"] = " ".join(filter(None, [declared.get("description"), generic["description"]]))
        return merged
    for media_type, body in declared["content"].items():
        ours = generic["content"].get(media_type)
        if ours is not None and body.get("schema") == ours["schema"]:
            body["examples"] = {**ours.get("examples", {}), **body.get("examples", {})}
            if generic["description"] not in merged.get("description", ""):
                merged["description"] = " ".join(
                    filter(None, [declared.get("description"), generic["description"]])
                )
    return merged
