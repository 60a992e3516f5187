"""Every error the sandbox answers is in the shape of the vendor the request was meant for, so each
vendor's own client reads it as that vendor's error: Stripe's `{"error": {"type", "message", ...}}`,
Plaid's error object, Experian's `{"errors": [{"errorCode", "errorType", "message"}]}`."""

from __future__ import annotations

import http.client
import io
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import stripe
from plaid.api_client import ApiClient
from plaid.model.plaid_error import PlaidError

from sandbox.experian.errors import error_response as experian_error
from sandbox.http import ErrorRenderer, Request, Response, Router
from sandbox.plaid.errors import error_response as plaid_error
from sandbox.server import App
from sandbox.stripe.errors import error_response as stripe_error

Check = Callable[[int, bytes], None]


# -- what each vendor's error looks like -----------------------------------------------------------------
def stripe_shaped(status: int, body: bytes) -> None:
    error = json.loads(body)["error"]
    assert error["type"] == ("api_error" if status >= 500 else "invalid_request_error")
    assert isinstance(error["message"], str) and error["message"]


class _PlaidResponse:
    """What plaid-python's deserialiser reads from an HTTP response."""

    def __init__(self, body: bytes) -> None:
        self.data = body.decode()

    def getheader(self, name: str, default: str | None = None) -> str:
        return "application/json"


def plaid_shaped(status: int, body: bytes) -> None:
    # plaid-python's own model, type-checked: every required key present, error_type one of Plaid's.
    error = ApiClient().deserialize(_PlaidResponse(body), (PlaidError,), True)
    assert error.error_type.value == ("API_ERROR" if status >= 500 else "INVALID_REQUEST")
    assert error.error_code and error.error_message
    assert "display_message" in json.loads(body)
    assert json.loads(body)["request_id"] and json.loads(body)["status"] == status


def experian_shaped(status: int, body: bytes) -> None:
    (error,) = json.loads(body)["errors"]
    assert set(error) == {"errorCode", "errorType", "message"}
    assert all(isinstance(value, str) and value for value in error.values())
    if status >= 500:
        assert error["errorType"] == "Backend Error"


def raw(url: str, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> Any:
    """One request exactly as given (a Content-Length that is not a number, say)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.putrequest(method, path)
        for name, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


# -- 404, 405 and 400 from the running server ------------------------------------------------------------
NOT_FOUND = [
    ("GET", "/v1/nothing", {}, stripe_shaped),
    ("POST", "/_sandbox/stripe/nothing", {}, stripe_shaped),
    ("POST", "/nothing", {"Stripe-Version": "2026-10-28.endive"}, stripe_shaped),
    ("POST", "/accounts/nothing", {}, plaid_shaped),
    ("POST", "/_sandbox/plaid/nothing", {}, plaid_shaped),
    ("POST", "/nothing", {"PLAID-CLIENT-ID": "test-client"}, plaid_shaped),
    ("POST", "/consumerservices/nothing", {}, experian_shaped),
    ("GET", "/_sandbox/experian/nothing", {}, experian_shaped),
]


@pytest.mark.parametrize(("method", "path", "headers", "shaped"), NOT_FOUND)
def test_unknown_routes_are_404_in_the_vendors_shape(
    sandbox_url: str, method: str, path: str, headers: dict[str, str], shaped: Check
) -> None:
    response = httpx.request(method, sandbox_url + path, headers=headers, timeout=30)
    assert response.status_code == 404
    shaped(404, response.content)


@pytest.mark.parametrize(
    ("method", "path", "allowed", "shaped"),
    [
        ("DELETE", "/v1/checkout/sessions", "GET, POST", stripe_shaped),
        ("GET", "/_sandbox/stripe/reset", "POST", stripe_shaped),
        ("GET", "/accounts/get", "POST", plaid_shaped),
        ("GET", "/oauth2/v1/token", "POST", experian_shaped),
    ],
)
def test_a_method_the_route_does_not_take_is_405_in_the_vendors_shape(
    sandbox_url: str, method: str, path: str, allowed: str, shaped: Check
) -> None:
    response = httpx.request(method, sandbox_url + path, timeout=30)
    assert response.status_code == 405
    assert response.headers["Allow"] == allowed
    shaped(405, response.content)


@pytest.mark.parametrize(
    ("path", "body", "shaped"),
    [
        ("/_sandbox/stripe/config", b"{not json", stripe_shaped),
        ("/_sandbox/stripe/faults", b"[1, 2]", stripe_shaped),
        ("/_sandbox/plaid/config", b"{not json", plaid_shaped),
        ("/_sandbox/plaid/faults", b"[" * 100_000, plaid_shaped),  # deeper than the JSON parser goes
        ("/_sandbox/experian/config", b"[]", experian_shaped),
        ("/_sandbox/experian/next-pull", b"\xff\xfe", experian_shaped),
    ],
)
def test_unreadable_bodies_are_400_in_the_vendors_shape(
    sandbox_url: str, path: str, body: bytes, shaped: Check
) -> None:
    response = httpx.post(
        sandbox_url + path, content=body, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert response.status_code == 400
    shaped(400, response.content)


@pytest.mark.parametrize(
    ("path", "shaped"),
    [
        ("/v1/customers", stripe_shaped),
        ("/accounts/get", plaid_shaped),
        ("/oauth2/v1/token", experian_shaped),
    ],
)
def test_a_content_length_that_is_not_a_number_is_400_in_the_vendors_shape(
    sandbox_url: str, path: str, shaped: Check
) -> None:
    status, _, body = raw(sandbox_url, "POST", path, headers={"Content-Length": "many"})
    assert status == 400
    shaped(400, body)


def test_requests_meant_for_no_vendor_get_every_vendors_shape_at_once(sandbox_url: str) -> None:
    response = httpx.get(sandbox_url + "/favicon.ico", timeout=30)
    assert response.status_code == 404
    for shaped in (stripe_shaped, plaid_shaped, experian_shaped):
        shaped(404, response.content)


def test_the_stripe_sdk_reads_the_servers_errors_as_stripe_errors(sandbox_url: str) -> None:
    client = stripe.StripeClient("sk_test_shapes", base_addresses={"api": sandbox_url}, max_network_retries=0)
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.raw_request("get", "/v1/nothing")
    assert missing.value.http_status == 404
    assert missing.value.user_message == "Unrecognized request URL (GET: /v1/nothing)."
    with pytest.raises(stripe.APIError) as wrong_method:
        client.raw_request("delete", "/v1/checkout/sessions")
    assert wrong_method.value.http_status == 405
    assert wrong_method.value.error is not None and wrong_method.value.error.type == "invalid_request_error"


# -- 500: a handler that fails --------------------------------------------------------------------------
def _crashing_app(renderer: ErrorRenderer) -> App:
    router = Router(renderer, prefixes=("/crash",))

    @router.route("POST", "/crash")
    def crash(request: Request) -> Response:
        raise RuntimeError("a bug in the sandbox")

    return App([router])


def _call(app: App, method: str, path: str) -> tuple[int, bytes]:
    started: dict[str, str] = {}
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "wsgi.input": io.BytesIO()}
    body = b"".join(app(environ, lambda status, headers: started.update(status=status)))
    return int(started["status"].split()[0]), body


@pytest.mark.parametrize(
    ("renderer", "shaped"),
    [(stripe_error, stripe_shaped), (plaid_error, plaid_shaped), (experian_error, experian_shaped)],
)
def test_a_failing_handler_is_500_in_the_vendors_shape_without_its_traceback(
    renderer: ErrorRenderer, shaped: Check
) -> None:
    status, body = _call(_crashing_app(renderer), "POST", "/crash")
    assert status == 500
    shaped(500, body)
    assert b"a bug in the sandbox" not in body and b"Traceback" not in body
