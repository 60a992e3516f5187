"""Plaid webhook verification (ES256 JWT in `Plaid-Verification`, per Plaid's documentation)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from typing import Any

import jwt
from django.core.cache import cache

from finance.banking import plaid

MAX_AGE_SECONDS = 5 * 60
KEY_CACHE_SECONDS = 24 * 3600
# A key id Plaid does not know (or a lookup that failed) is not asked about again for a minute, and
# at most LOOKUPS_PER_WINDOW key ids missing from the cache are looked up per window all told, so a
# flood of junk tokens, with repeated or random key ids, costs Plaid a handful of calls. Plaid rotates
# keys rarely; a real new key turned away meanwhile comes back with Plaid's retry of the webhook.
REJECTION_CACHE_SECONDS = 60
LOOKUPS_PER_WINDOW = 10
LOOKUP_WINDOW_SECONDS = 60
LOOKUPS_KEY = "plaid-webhook-key-lookups"
KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,100}")  # Plaid's key ids are UUIDs


class WebhookRejected(Exception):
    pass


def _verification_key(kid: object) -> dict[str, Any]:
    """The JWK Plaid signs with under this key id, from the cache or from Plaid."""
    if not isinstance(kid, str) or not KEY_ID.fullmatch(kid):
        raise WebhookRejected("missing or malformed key id")
    cache_key = f"plaid-webhook-key:{kid}"
    cached = cache.get(cache_key)
    if cached is None:
        cached = _fetch_key(kid, cache_key)
    if isinstance(cached, str):
        raise WebhookRejected(cached)
    if _seconds_left(cached) == 0:
        raise WebhookRejected("verification key has expired")
    return dict(cached)


def _fetch_key(kid: str, cache_key: str) -> dict[str, Any] | str:
    """Ask Plaid, within the lookup budget, and cache the key or the reason it was refused."""
    if not _lookup_allowed():
        raise WebhookRejected("too many key lookups; not asking Plaid now")
    try:
        key = plaid.webhook_verification_key(kid)
    except plaid.PlaidError as error:
        reason = f"unknown key id: {error}"
        cache.set(cache_key, reason, REJECTION_CACHE_SECONDS)
        return reason
    left = _seconds_left(key)
    if left == 0:  # expiry is for good
        reason = "verification key has expired"
        cache.set(cache_key, reason, KEY_CACHE_SECONDS)
        return reason
    cache.set(cache_key, key, KEY_CACHE_SECONDS if left is None else min(left, KEY_CACHE_SECONDS))
    return key


def _seconds_left(key: dict[str, Any]) -> int | None:
    """Seconds until the key's `expired_at` (0 once it has passed), None while it has no expiry."""
    expired_at = key.get("expired_at")
    if expired_at is None:
        return None
    return max(0, int(expired_at) - int(time.time()))


def _lookup_allowed() -> bool:
    """Count one lookup against the window's budget (the window starts with its first lookup)."""
    cache.add(LOOKUPS_KEY, 0, LOOKUP_WINDOW_SECONDS)
    try:
        return int(cache.incr(LOOKUPS_KEY)) <= LOOKUPS_PER_WINDOW
    except ValueError:  # the window ended between add and incr
        cache.set(LOOKUPS_KEY, 1, LOOKUP_WINDOW_SECONDS)
        return True


def verify_plaid_webhook(body: bytes, token: str | None) -> dict[str, Any]:
    """Return the webhook's JSON payload if it was signed by Plaid just now, else raise."""
    if not token:
        raise WebhookRejected("missing Plaid-Verification header")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise WebhookRejected(f"malformed token: {error}") from error
    if header.get("alg") != "ES256":
        raise WebhookRejected("algorithm must be ES256")
    key = _verification_key(header.get("kid"))
    jwk = {name: key[name] for name in ("alg", "crv", "kid", "kty", "use", "x", "y")}
    try:
        claims = jwt.decode(
            token,
            key=jwt.PyJWK.from_dict(jwk).key,
            algorithms=["ES256"],
            options={"require": ["iat"], "verify_iat": True},
        )
    except jwt.PyJWTError as error:
        raise WebhookRejected(f"bad signature: {error}") from error
    if int(claims["iat"]) < time.time() - MAX_AGE_SECONDS:
        raise WebhookRejected("token is older than 5 minutes")
    expected = str(claims.get("request_body_sha256", ""))
    if not hmac.compare_digest(hashlib.sha256(body).hexdigest(), expected):
        raise WebhookRejected("body does not match the signed hash")
    try:
        payload = json.loads(body)
    except ValueError as error:
        raise WebhookRejected("body is not JSON") from error
    if not isinstance(payload, dict):
        raise WebhookRejected("body is not a JSON object")
    return payload
