"""`Idempotency-Key` on POST and PATCH: a retried request gets the first answer instead of acting twice.

The first request with a key claims it (an atomic add in the cache, per caller, so one person's key
never meets another's); its answer is kept for 24 hours once its transaction commits. A replay with the
same method, path and body gets that answer back, marked `Idempotent-Replayed: true`; the same key
with a different request is a 422; a replay while the first is still running is a 409. Server errors
and rate-limit refusals are not kept: the key can be used again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import transaction
from rest_framework.request import Request
from rest_framework.response import Response

from creditapp.api.errors import ApiError

HEADER = "Idempotency-Key"
METHODS = ("POST", "PATCH")
KEEP_SECONDS = 24 * 3600
CLAIM_SECONDS = 120  # how long a crashed first attempt blocks its key
MAX_KEY_LENGTH = 255
PENDING = "pending"


@dataclass(frozen=True)
class Claim:
    cache_key: str
    fingerprint: str


def _fingerprint(request: Request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b"\0" + request.get_full_path().encode() + b"\0")
    digest.update(request._request.body)
    return digest.hexdigest()


def idempotency_claim(request: Request) -> Claim | Response | None:
    """None when the request has no key (or is not a POST or PATCH); the stored answer for a replay;
    otherwise the claim, to be settled with `idempotency_settle` once the answer is known."""
    key = request.headers.get(HEADER)
    if key is None or request.method not in METHODS:
        return None
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ApiError(
            400, "invalid_idempotency_key", f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters."
        )
    cache_key = f"idempotency:{request.user.pk}:{hashlib.sha256(key.encode()).hexdigest()}"
    fingerprint = _fingerprint(request)
    if cache.add(cache_key, {"state": PENDING, "fingerprint": fingerprint}, CLAIM_SECONDS):
        return Claim(cache_key, fingerprint)
    stored = cache.get(cache_key)
    if stored is None:  # expired between the two calls: claim it again
        return idempotency_claim(request)
    if stored["fingerprint"] != fingerprint:
        raise ApiError(
            422,
            "idempotency_key_reused",
            f"This {HEADER} was used for a different request; use a new key for a new request.",
        )
    if stored["state"] == PENDING:
        raise ApiError(409, "idempotency_key_in_use", "The first request with this key is still running.")
    replay = Response(stored["data"], status=stored["status"], headers=stored["headers"])
    replay["Idempotent-Replayed"] = "true"
    return replay


def idempotency_settle(claim: Claim, response: Response) -> None:
    """Keep the answer once it is final: after commit for a success, at once for a refusal (which
    changed nothing); release the key for a server error or a rate-limit refusal."""
    if response.status_code >= 500 or response.status_code == 429:
        cache.delete(claim.cache_key)
        return
    record: dict[str, Any] = {
        "state": "done",
        "fingerprint": claim.fingerprint,
        "status": response.status_code,
        "data": response.data,
        "headers": {name: response[name] for name in ("Location",) if response.has_header(name)},
    }

    def keep() -> None:
        cache.set(claim.cache_key, record, KEEP_SECONDS)

    if response.status_code < 400:
        transaction.on_commit(keep)
    else:
        keep()
