"""One threaded HTTP server that serves every vendor emulator on one port."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import subprocess
import sys
import traceback
from collections.abc import Iterable
from http import HTTPStatus
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qsl
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from sandbox.http import BadRequest, Request, Response, Router, json_response

log = logging.getLogger("sandbox")


def routers() -> list[Router]:
    """Every vendor's router, imported lazily so one vendor's import error names itself."""
    found = []
    for module in ("sandbox.plaid", "sandbox.experian", "sandbox.stripe"):
        try:
            found.append(__import__(module, fromlist=["router"]).router)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    return found


class App:
    """Dispatches to the vendor whose route matches. Whatever the server answers itself is an error in
    the shape of the vendor the request was meant for (by its path, else its headers), so each vendor's
    client reads it as that vendor's error."""

    def __init__(self, vendor_routers: list[Router]) -> None:
        self.routers = vendor_routers

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(
            method=environ["REQUEST_METHOD"],
            path=environ.get("PATH_INFO", "/"),
            query=dict(parse_qsl(environ.get("QUERY_STRING", ""))),
            headers={
                key[5:].replace("_", "-").lower(): value
                for key, value in environ.items()
                if key.startswith("HTTP_")
            }
            | {"content-type": environ.get("CONTENT_TYPE", "")},
            body=b"",
        )
        try:
            request.body = _body(environ)
        except BadRequest as problem:
            response = self.error(request, 400, str(problem))
        else:
            response = self.dispatch(request)
        status = f"{response.status} {HTTPStatus(response.status).phrase}"
        start_response(status, list(response.headers.items()))
        return [response.body]

    def dispatch(self, request: Request) -> Response:
        for router in self.routers:
            found = router.match(request.method, request.path)
            if found:
                handler, request.params = found
                try:
                    return handler(request)
                except BadRequest as problem:
                    return router.error(400, str(problem))
                except Exception:
                    log.error("sandbox handler failed: %s", traceback.format_exc())
                    return router.error(500, "The sandbox failed on this request: its log has the details.")
        owner = self.owner(request)
        allowed = owner.methods(request.path) if owner else []
        if owner and allowed:
            response = owner.error(
                405, f"{request.method} is not allowed on {request.path}: use {', '.join(allowed)}."
            )
            response.headers["Allow"] = ", ".join(allowed)
            return response
        return self.error(request, 404, f"Unrecognized request URL ({request.method}: {request.path}).")

    def owner(self, request: Request) -> Router | None:
        """The vendor a request is meant for: the one whose paths it uses, else whose headers it sends."""
        return next((r for r in self.routers if r.owns_path(request.path)), None) or next(
            (r for r in self.routers if r.owns_headers(request)), None
        )

    def error(self, request: Request, status: int, message: str) -> Response:
        owner = self.owner(request)
        if owner:
            return owner.error(status, message)
        # Meant for no vendor in particular (a browser, curl): every vendor's shape in one body, whose
        # keys do not overlap, so whichever client sent it reads its own vendor's error.
        body: dict[str, Any] = {}
        for router in self.routers:
            body |= json.loads(router.error(status, message).body)
        return json_response(body, status)


def _body(environ: dict[str, Any]) -> bytes:
    length = environ.get("CONTENT_LENGTH") or "0"
    if not re.fullmatch(r"[0-9]+", length):
        raise BadRequest(f"Content-Length must be a number of bytes, not {length!r}.")
    return environ["wsgi.input"].read(int(length)) if int(length) else b""


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)


def start_subprocess(env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    """`python -m sandbox` on a free port (tests, benchmarks); returns the process and its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", "0"],
        cwd=Path(__file__).resolve().parent.parent,
        # A public URL from the environment names another sandbox: this one is on a port of its own.
        env={**os.environ, "SANDBOX_PUBLIC_URL": "", **(env or {})},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        raise RuntimeError(f"sandbox did not start: {line!r}")
    return proc, line.rsplit(" ", 1)[1].strip()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Local Plaid / Experian / Stripe sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="sandbox %(levelname)s %(message)s")
    server = make_server(args.host, args.port, App(routers()), ThreadingServer, QuietHandler)
    print(f"sandbox listening on http://{args.host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)
