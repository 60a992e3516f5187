"""Faults tests inject into the `/v1` API: Stripe failing, rate limiting, not answering in time, or
answering with any status and body at all (what a proxy in front of Stripe may send).

Kept in memory only, apart from the state: a restart or `/reset` clears them.
"""

from __future__ import annotations

import json
import threading
import time
from http import HTTPStatus
from typing import Any

from sandbox.http import INTEGER, SECONDS, STRING, Response, field_problem
from sandbox.stripe.errors import StripeError, invalid

FAULT_TYPES = ("api_error", "rate_limit", "timeout", "respond")
METHODS = ("GET", "POST", "DELETE")
STATUSES = {int(status) for status in HTTPStatus if 200 <= status < 600}
DEFAULT_TIMEOUT_SECONDS = 30.0
KINDS = {
    "type": STRING,
    "path": STRING,
    "method": STRING,
    "count": INTEGER,
    "seconds": SECONDS,
    "status": INTEGER,
}
FIELDS = {*KINDS, "body"}


class Faults:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: list[dict[str, Any]] = []
        self.sequence = 0

    def add(self, spec: dict[str, Any]) -> dict[str, Any]:
        """`{"type", "path"?, "method"?, "count"?, "seconds"?, "status"?, "body"?}`, checked."""
        unknown = sorted(set(spec) - FIELDS)
        if unknown:
            raise invalid(unknown[0], f"Unknown fault field {unknown[0]!r}; known: {sorted(FIELDS)}.")
        problem = field_problem(spec, KINDS)
        if problem:
            raise invalid(problem.split(" ", 1)[0], f"Invalid fault: {problem}.")
        if spec.get("type") not in FAULT_TYPES:
            raise invalid("type", f"type must be one of {', '.join(FAULT_TYPES)}.")
        path = spec.get("path") or "/v1/"
        if not path.startswith("/v1/"):
            raise invalid("path", "path must start with /v1/ (the calls a fault applies to).")
        method = spec["method"].upper() if spec.get("method") else None
        if method not in (None, *METHODS):
            raise invalid("method", f"method must be one of {', '.join(METHODS)}.")
        count = spec.get("count", 1)
        if count is not None and count < 1:
            raise invalid("count", "count must be at least 1, or null for every call until cleared.")
        status = 200 if spec.get("status") is None else spec["status"]
        if status not in STATUSES:
            raise invalid("status", "status must be an HTTP status code from 200 to 599.")
        seconds = spec.get("seconds") if spec["type"] == "timeout" else None
        if spec["type"] == "timeout" and seconds is None:
            seconds = DEFAULT_TIMEOUT_SECONDS
        with self.lock:
            self.sequence += 1
            fault = {
                "id": f"fault_{self.sequence}",
                "type": spec["type"],
                "path": path,
                "method": method,
                "count": count,
                "seconds": seconds,
                "status": status,
                "body": spec.get("body"),
            }
            self.items.append(fault)
            return dict(fault)

    def take(self, method: str, path: str) -> dict[str, Any] | None:
        """The first fault matching a call, used up by one (the last one is removed)."""
        with self.lock:
            for fault in self.items:
                if fault["method"] not in (None, method) or not path.startswith(fault["path"]):
                    continue
                if fault["count"] is not None:
                    fault["count"] -= 1
                    if fault["count"] == 0:
                        self.items.remove(fault)
                return dict(fault)
        return None

    def listing(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(fault) for fault in self.items]

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


faults = Faults()


def faulted(fault: dict[str, Any]) -> Response | None:
    """What a faulted call answers; None when it is answered as usual (a timeout, after its delay)."""
    if fault["type"] == "timeout":
        time.sleep(fault["seconds"])  # the client has given up by then
        return None
    if fault["type"] == "api_error":
        return StripeError("An unknown error occurred.", status=500, type="api_error").response()
    if fault["type"] == "rate_limit":
        return StripeError(
            "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
            status=429,
            code="rate_limit",
        ).response()
    body = fault["body"]
    if isinstance(body, str):
        return Response(fault["status"], body.encode(), {"Content-Type": "text/html; charset=utf-8"})
    return Response(fault["status"], json.dumps(body).encode(), {"Content-Type": "application/json"})
