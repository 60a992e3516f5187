"""The few pieces of HTTP the vendor emulators share: a request, a response and a path router."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # from {placeholders} in the route

    def json(self) -> Any:
        """The body parsed as JSON ({} when empty); ValueError when it is not JSON."""
        if not self.body:
            return {}
        try:
            return json.loads(self.body)
        except RecursionError:  # nested deeper than the parser goes: unreadable all the same
            raise ValueError("The request body is nested too deeply.") from None

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object ({} when empty); BadRequest when it is not JSON or not an object."""
        try:
            body = self.json()
        except ValueError:
            raise BadRequest("The request body must be JSON.") from None
        if not isinstance(body, dict):
            raise BadRequest("The request body must be a JSON object.")
        return body

    def form(self) -> dict[str, list[str]]:
        try:
            return parse_qs(self.body.decode(), keep_blank_values=True)
        except UnicodeDecodeError:
            raise BadRequest("The request body must be UTF-8 form data.") from None


class BadRequest(Exception):
    """A request the sandbox cannot read; the server answers 400 in the vendor's error shape."""


# What a request field must be, as (how an error names it, the test).
Kind = tuple[str, Callable[[Any], bool]]
STRING: Kind = ("a string", lambda value: isinstance(value, str))
INTEGER: Kind = ("an integer", lambda value: isinstance(value, int) and not isinstance(value, bool))
NUMBER: Kind = (
    "a number",
    lambda value: isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value),
)
BOOLEAN: Kind = ("true or false", lambda value: isinstance(value, bool))
OBJECT: Kind = ("an object", lambda value: isinstance(value, dict))
STRINGS: Kind = (
    "a list of strings",
    lambda value: isinstance(value, list) and all(isinstance(v, str) for v in value),
)
SECONDS: Kind = (
    "a number of seconds from 0 to 3600",
    lambda value: NUMBER[1](value) and 0 <= value <= 3600,
)
URL: Kind = ("an http or https URL (or empty)", lambda value: isinstance(value, str) and _is_url(value))


def _is_url(value: str) -> bool:
    parts = urlsplit(value)
    return value == "" or (parts.scheme in ("http", "https") and bool(parts.netloc))


def field_problem(body: dict[str, Any], kinds: dict[str, Kind]) -> str | None:
    """The first field (a dotted path into `body`) that is present, not null and not of its kind."""
    for path, (name, valid) in kinds.items():
        value: Any = body
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None and not valid(value):
            return f"{path} must be {name}"
    return None


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status,
        json.dumps(data).encode(),
        {"Content-Type": "application/json", **(headers or {})},
    )


def html_response(text: str, status: int = 200) -> Response:
    return Response(status, text.encode(), {"Content-Type": "text/html; charset=utf-8"})


def redirect(location: str) -> Response:
    return Response(302, b"", {"Location": location})


Handler = Callable[[Request], Response]
ErrorRenderer = Callable[[int, str], Response]


class Router:
    """Maps (method, path pattern) to a handler; `{name}` in a pattern matches one path segment.

    `error(status, message)` renders an error in the vendor's own shape: the server uses it for what it
    answers itself (an unknown route, a method the path does not take, an unreadable request, a handler
    that failed). `prefixes` and `headers` name the requests that are the vendor's even when no route
    matches, so that their 404 is in the vendor's shape too.
    """

    def __init__(
        self, error: ErrorRenderer, *, prefixes: tuple[str, ...] = (), headers: tuple[str, ...] = ()
    ) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.error = error
        self.prefixes = prefixes
        self.headers = headers

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "/?$")

        def register(handler: Handler) -> Handler:
            self._routes.append((method.upper(), regex, handler))
            return handler

        return register

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        for route_method, regex, handler in self._routes:
            found = regex.match(path)
            if found and route_method == method.upper():
                return handler, found.groupdict()
        return None

    def methods(self, path: str) -> list[str]:
        """The methods this vendor serves `path` with (none: it has no such route)."""
        return sorted({method for method, regex, _ in self._routes if regex.match(path)})

    def owns_path(self, path: str) -> bool:
        return bool(self.methods(path)) or path.startswith(self.prefixes)

    def owns_headers(self, request: Request) -> bool:
        return any(name in request.headers for name in self.headers)
