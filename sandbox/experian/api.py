"""Experian's endpoints: the OAuth2 password grant and the Consumer Credit Profile v2 report."""

from __future__ import annotations

import functools
import hmac
import time
from collections.abc import Callable
from typing import Any

from sandbox.experian import errors
from sandbox.experian.applicant import normalise_ssn, parse_report_request
from sandbox.experian.errors import ExperianError
from sandbox.experian.render import credit_report
from sandbox.experian.state import store
from sandbox.http import Handler, Request, Response, Router, json_response

router = Router(errors.error_response, prefixes=("/oauth2/", "/consumerservices/", "/_sandbox/experian/"))

TOKEN_PATH = "/oauth2/v1/token"
REPORT_PATH = "/consumerservices/credit-profile/v2/credit-report"
CREDENTIAL_FIELDS = ("username", "password", "client_id", "client_secret")
DEFAULT_KEYWORD = "SBMYSQL"  # what Experian's sandbox echoes when no clientReferenceId header is sent


def experian_endpoint(path: str) -> Callable[[Handler], Handler]:
    """Registers a POST endpoint that first suffers any injected transport fault and answers errors in
    Experian's shape."""

    def register(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def serve(request: Request) -> Response:
            try:
                _transport_faults(path, normalise_ssn(_ssn_hint(_json_body(request))) or None)
                return handler(request)
            except ExperianError as exc:
                return exc.response()

        router.route("POST", path)(serve)
        return serve

    return register


def _transport_faults(path: str, ssn: str | None) -> None:
    with store.lock:
        faults = store.take_faults(path, ssn, ("server_error", "timeout", "latency"))
        if faults:
            store.save()
    delay = sum(fault["seconds"] for fault in faults)
    if delay:
        time.sleep(delay)  # outside the lock: one slow call must not stall the others
    for fault in faults:
        if fault["type"] == "server_error":
            raise errors.internal_error()
        if fault["type"] == "timeout":
            raise errors.gateway_timeout()


def _json_body(request: Request) -> Any:
    try:
        return request.json()
    except ValueError:
        return None


def _ssn_hint(body: Any) -> Any:
    try:
        return body["consumerPii"]["primaryApplicant"]["ssn"]["ssn"]
    except (KeyError, TypeError):
        return None


@experian_endpoint(TOKEN_PATH)
def token(request: Request) -> Response:
    """Password grant (and refresh_token grant); fields from a JSON or form body, or Experian's headers."""
    fields = _token_fields(request)
    grant = fields.get("grant_type") or "password"
    with store.lock:
        if grant == "refresh_token":
            if not store.use_refresh_token(fields.get("refresh_token", "")):
                raise errors.invalid_credentials("Invalid or expired refresh token")
        elif grant == "password":
            _check_credentials(fields)
        else:
            raise errors.malformed_request(f"Unsupported grant_type {grant!r}")
        issued = store.issue_tokens()
        store.save()
    return json_response(issued)


def _token_fields(request: Request) -> dict[str, str]:
    if "application/x-www-form-urlencoded" in request.headers.get("content-type", ""):
        body: Any = {key: values[0] for key, values in request.form().items()}
    else:
        body = _json_body(request)
        if not isinstance(body, dict):
            raise errors.malformed_request("Invalid request: the body is not a JSON object or a form")
    fields = {key: str(value) for key, value in body.items()}
    for name in ("client_id", "client_secret", "grant_type"):
        header = request.headers.get(
            name.replace("_", "-")
        )  # Experian's Client_id, Client_secret, Grant_type
        if header and not fields.get(name):
            fields[name] = header
    return fields


def _check_credentials(fields: dict[str, str]) -> None:
    missing = [name for name in CREDENTIAL_FIELDS if not fields.get(name)]
    if missing:
        raise errors.invalid_credentials(f"Missing {', '.join(missing)}")
    required = store.config["credentials"] or {}
    for name, expected in required.items():
        if not hmac.compare_digest(fields[name].encode(), str(expected).encode()):
            raise errors.invalid_credentials()


@experian_endpoint(REPORT_PATH)
def report(request: Request) -> Response:
    _authorise(request)
    body = _json_body(request)
    if not isinstance(body, dict):
        raise errors.malformed_request()
    applicant, models = parse_report_request(body)
    with store.lock:
        if store.take_faults(REPORT_PATH, applicant.ssn, ("inquiry_not_allowed",)):
            store.save()
            raise errors.inquiry_not_allowed()
        if store.ssn_blocked(applicant.ssn):
            raise errors.inquiry_not_allowed()
        at = store.now()
        file = store.record_pull(applicant, at, store.take_forced(applicant.ssn))
        store.save()
    keyword = request.headers.get("clientreferenceid") or DEFAULT_KEYWORD
    return json_response(credit_report(file, applicant, models, at, keyword))


def _authorise(request: Request) -> None:
    scheme, _, token_value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token_value.strip():
        raise errors.invalid_token("Missing access token")
    with store.lock:
        problem = store.token_problem(token_value.strip())
    if problem:
        raise errors.invalid_token(problem)
