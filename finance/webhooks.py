"""Plaid webhook verification (ES256 JWT in `Plaid-Verification`, per Plaid's documentation)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import jwt
from django.core.cache import cache

from finance import plaid

MAX_AGE_SECONDS = 5 * 60
KEY_CACHE_SECONDS = 24 * 3600


class WebhookRejected(Exception):
    pass


def _verification_key(kid: str) -> dict[str, Any]:
    cache_key = f"plaid-webhook-key:{kid}"
    key = cache.get(cache_key)
    if key is None:
        try:
            key = plaid.webhook_verification_key(kid)
        except plaid.PlaidError as error:
            raise WebhookRejected(f"unknown key id: {error}") from error
        cache.set(cache_key, key, KEY_CACHE_SECONDS)
    if key.get("expired_at") and int(key["expired_at"]) < time.time():
        raise WebhookRejected("verification key has expired")
    return key


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
    key = _verification_key(str(header.get("kid", "")))
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
