"""The Stripe emulator's router and the wrappers every route goes through.

`api` routes behave like api.stripe.com: API-key auth, form-encoded params, Idempotency-Key replay,
Stripe's error shape (after any fault a test injected). `control` routes are the sandbox's own JSON
endpoints under `/_sandbox/stripe`. Both run under the state's one lock, let due subscription steps
happen first, and persist afterwards.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.http import Request, Response, Router, json_response
from sandbox.stripe import simulation
from sandbox.stripe.encoding import decode_form, decode_pairs
from sandbox.stripe.errors import StripeError, error_response
from sandbox.stripe.faults import faulted, faults
from sandbox.stripe.state import current_request, random_id, store

router = Router(
    error_response,
    prefixes=("/v1/", "/_sandbox/stripe/"),
    headers=("stripe-version", "x-stripe-client-user-agent"),
)


@dataclass
class Call:
    request: Request
    params: dict[str, Any]

    @property
    def path(self) -> dict[str, str]:
        return self.request.params

    @property
    def expand(self) -> list[str]:
        value = self.params.get("expand") or []
        return value if isinstance(value, list) else [value]


def base_url(request: Request) -> str:
    """Where hosted pages (Checkout, Portal, invoices) live for the browser: the configured public URL,
    else the address this request reached (right only when the app and the browser use the same one)."""
    return store.config.get("public_url") or f"http://{request.headers.get('host') or '127.0.0.1'}"


def authenticate(request: Request) -> StripeError | None:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    key = ""
    if scheme.lower() == "bearer":
        key = credentials.strip()
    elif scheme.lower() == "basic":
        try:
            key = base64.b64decode(credentials.strip()).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            key = ""
    if not key:
        return StripeError(
            "You did not provide an API key. You need to provide your API key in the Authorization header, "
            "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
            status=401,
        )
    if not key.startswith(("sk_test_", "rk_test_")):
        return StripeError(f"Invalid API Key provided: {key[:8]}{'*' * 8}{key[-4:]}", status=401)
    return None


def _idempotency_conflict(key: str) -> Response:
    return StripeError(
        f"Keys for idempotent requests can only be used with the same parameters they were first used with. "
        f"Try using a key other than '{key}' if you meant to execute a different request.",
        type="idempotency_error",
    ).response()


def api(method: str, pattern: str) -> Callable[[Callable[[Call], Any]], Callable[[Call], Any]]:
    def register(endpoint: Callable[[Call], Any]) -> Callable[[Call], Any]:
        def handler(request: Request) -> Response:
            request_id = random_id("req", 14)
            fault = faults.take(method, request.path)
            response = faulted(fault) if fault else None
            if response is None:
                response = _handle(endpoint, method, request, request_id)
            response.headers["Request-Id"] = request_id
            response.headers.setdefault("Stripe-Version", store.config["api_version"])
            return response

        router.route(method, pattern)(handler)
        return endpoint

    return register


def _handle(endpoint: Callable[[Call], Any], method: str, request: Request, request_id: str) -> Response:
    denied = authenticate(request)
    if denied:
        return denied.response()
    try:
        params = decode_form(request.body) if method == "POST" else decode_pairs(request.query.items())
    except StripeError as exc:
        return exc.response()
    key = request.headers.get("idempotency-key") if method == "POST" else None
    fingerprint = {"method": method, "path": request.path, "params": params}
    with store.lock:
        if key and key in store.data["idempotency"]:
            entry = store.data["idempotency"][key]
            if {name: entry[name] for name in fingerprint} != fingerprint:
                return _idempotency_conflict(key)
            return Response(
                entry["status"],
                entry["body"].encode(),
                {"Content-Type": "application/json", "Idempotent-Replayed": "true"},
            )
        sequence = store.data["sequence"]
        store.data["base_url"] = base_url(request)
        simulation.settle(store)
        token = current_request.set({"id": request_id, "idempotency_key": key})
        try:
            response = json_response(endpoint(Call(request, params)))
        except StripeError as exc:
            response = exc.response()
        finally:
            current_request.reset(token)
        simulation.settle(store)
        if key:
            store.data["idempotency"][key] = {
                **fingerprint,
                "status": response.status,
                "body": response.body.decode(),
                "at": time.time(),
            }
        if method != "GET" or store.data["sequence"] != sequence:
            store.save()
    return response


def control(method: str, pattern: str, *, locked: bool = True) -> Callable[[Callable[..., Any]], Any]:
    """A JSON endpoint of the sandbox itself; `locked=False` for ones that send webhooks (never under
    the lock: the receiver may call the API back)."""

    def register(endpoint: Callable[[Request, dict[str, Any]], Any]) -> Any:
        def handler(request: Request) -> Response:
            try:
                body = request.json()
            except ValueError:
                return StripeError("The request body must be JSON.").response()
            if not isinstance(body, dict):
                return StripeError("The request body must be a JSON object.").response()
            try:
                if not locked:
                    return json_response(endpoint(request, body))
                with store.mutation():
                    store.data["base_url"] = base_url(request)
                    simulation.settle(store)
                    result = endpoint(request, body)
                    simulation.settle(store)
                return json_response(result)
            except StripeError as exc:
                return exc.response()

        router.route(method, pattern)(handler)
        return endpoint

    return register
