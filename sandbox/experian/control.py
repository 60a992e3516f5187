"""Sandbox-only control endpoints under `/_sandbox/experian/` (documented in the package docstring)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sandbox.experian import errors
from sandbox.experian.api import CREDENTIAL_FIELDS, router
from sandbox.experian.profile import Events
from sandbox.experian.state import DEFAULT_CONFIG, store
from sandbox.http import INTEGER, SECONDS, STRING, Request, Response, field_problem, json_response

PREFIX = "/_sandbox/experian"


def _bad(message: str) -> Response:
    return errors.validation_failed([message]).response()


def _digits(value: Any) -> str:
    return "".join(ch for ch in str(value) if ch.isdigit())


@router.route("POST", PREFIX + "/reset")
def reset(request: Request) -> Response:
    with store.lock:
        store.clear()
        store.save()
    return json_response({"reset": True})


@router.route("GET", PREFIX + "/config")
def get_config(request: Request) -> Response:
    with store.lock:
        return json_response({"config": store.config})


@router.route("POST", PREFIX + "/config")
def set_config(request: Request) -> Response:
    changes = request.json_object()
    unknown = sorted(set(changes) - set(DEFAULT_CONFIG))
    if unknown:
        return _bad(f"unknown config keys: {', '.join(unknown)}")
    problem = _config_problem(changes)
    if problem:
        return _bad(problem)
    with store.lock:
        store.config.update(changes)
        store.save()
        return json_response({"config": store.config})


def _config_problem(changes: dict[str, Any]) -> str | None:
    for key in ("token_ttl_seconds", "refresh_token_ttl_seconds"):
        if key in changes and not (isinstance(changes[key], int) and changes[key] >= 1):
            return f"{key} must be a whole number of seconds, at least 1"
    credentials = changes.get("credentials")
    if credentials is not None and not (
        isinstance(credentials, dict)
        and set(credentials) <= set(CREDENTIAL_FIELDS)
        and all(isinstance(value, str) and value for value in credentials.values())
    ):
        return f"credentials must be null or an object with some of {', '.join(CREDENTIAL_FIELDS)}"
    if changes.get("report_now") is not None:
        try:
            datetime.fromisoformat(str(changes["report_now"]))
        except ValueError:
            return "report_now must be null or an ISO date-time such as 2025-06-15T14:39:11"
    prefixes = changes.get("inquiry_not_allowed_ssn_prefixes", [])
    if not (isinstance(prefixes, list) and all(isinstance(p, str) and p.isdigit() for p in prefixes)):
        return "inquiry_not_allowed_ssn_prefixes must be a list of digit strings"
    return None


@router.route("POST", PREFIX + "/tokens/expire")
def expire_tokens(request: Request) -> Response:
    with store.lock:
        expired = store.expire_tokens()
        store.save()
    return json_response({"expired": expired})


@router.route("GET", PREFIX + "/faults")
def list_faults(request: Request) -> Response:
    with store.lock:
        return json_response({"faults": store.faults})


@router.route("POST", PREFIX + "/faults")
def add_fault(request: Request) -> Response:
    spec = request.json_object()
    kinds = {"type": STRING, "count": INTEGER, "endpoint": STRING, "ssn": STRING, "seconds": SECONDS}
    problem = field_problem(spec, kinds)
    if problem:
        return _bad(problem)
    with store.lock:
        try:
            fault = store.add_fault(spec)
        except ValueError as exc:
            return _bad(str(exc))
        store.save()
        return json_response({"fault": fault})


@router.route("DELETE", PREFIX + "/faults")
def clear_faults(request: Request) -> Response:
    with store.lock:
        store.faults.clear()
        store.save()
    return json_response({"faults": []})


@router.route("GET", PREFIX + "/next-pull")
def list_forced(request: Request) -> Response:
    with store.lock:
        return json_response({"next_pull": store.forced})


@router.route("POST", PREFIX + "/next-pull")
def force_next_pull(request: Request) -> Response:
    body = request.json_object()
    flags = {key: body.get(key, False) for key in ("new_inquiry", "new_account")}
    delta = body.get("score_delta")
    if not all(isinstance(flag, bool) for flag in flags.values()):
        return _bad("new_inquiry and new_account must be true or false")
    if delta is not None and (not isinstance(delta, int) or isinstance(delta, bool)):
        return _bad("score_delta must be a whole number or null")
    ssn = _digits(body["ssn"]) if body.get("ssn") else None
    with store.lock:
        forced = store.force_next_pull(ssn, Events(score_delta=delta, **flags))
        store.save()
    return json_response({"ssn": ssn, "next_pull": forced})


@router.route("DELETE", PREFIX + "/next-pull")
def clear_forced(request: Request) -> Response:
    with store.lock:
        store.forced.clear()
        store.save()
    return json_response({"next_pull": {}})


def _summary(seed: str) -> dict[str, Any]:
    consumer = store.consumers[seed]
    file = store.credit_file(seed)
    return {
        "name": consumer["name"],
        "ssn_last4": consumer["ssn_last4"],
        "pulls": consumer["pulls"],
        "score": file.score,
        "tradelines": len(file.tradelines),
        "inquiries": len(file.recent_inquiries()),
    }


@router.route("GET", PREFIX + "/consumers")
def list_consumers(request: Request) -> Response:
    with store.lock:
        return json_response({"consumers": [_summary(seed) for seed in store.consumers]})


@router.route("GET", PREFIX + "/consumers/{ssn}")
def get_consumer(request: Request) -> Response:
    with store.lock:
        found = [_summary(seed) for seed in store.find_consumers(_digits(request.params["ssn"]))]
    if not found:
        return errors.not_found("no consumer with that SSN has been pulled").response()
    return json_response({"consumers": found})
