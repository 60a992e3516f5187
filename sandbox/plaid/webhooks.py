"""Webhooks as Plaid sends them: JSON POSTs signed with an ES256 JWT in the `Plaid-Verification` header.

The P-256 signing key is generated once and kept in `$SANDBOX_STATE_DIR/plaid-webhook-key.json` (when
set), so an app's cached verification key survives sandbox restarts; `/_sandbox/plaid/reset` keeps it.
Each delivery runs on its own daemon thread (3 attempts, 1 s and 3 s apart) and is recorded for
`GET /_sandbox/plaid/webhooks`.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import logging
import os
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import deque
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from sandbox.plaid.state import iso, now

log = logging.getLogger("sandbox.plaid")
RETRY_DELAYS = (0.0, 1.0, 3.0)


def _b64url(number: int) -> str:
    return base64.urlsafe_b64encode(number.to_bytes(32, "big")).decode().rstrip("=")


class Signer:
    def __init__(self, state_dir: str | None) -> None:
        path = Path(state_dir) / "plaid-webhook-key.json" if state_dir else None
        if path and path.exists():
            saved = json.loads(path.read_text())
            key = serialization.load_pem_private_key(saved["private_key_pem"].encode(), password=None)
            assert isinstance(key, ec.EllipticCurvePrivateKey)
            self.key, self.kid, self.created_at = key, saved["kid"], saved["created_at"]
            return
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.kid, self.created_at = str(uuid.uuid4()), int(time.time())
        if path:
            pem = self.key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(
                json.dumps({"kid": self.kid, "created_at": self.created_at, "private_key_pem": pem})
            )
            os.chmod(path, 0o600)

    def jwk(self) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        return {
            "alg": "ES256",
            "crv": "P-256",
            "kid": self.kid,
            "kty": "EC",
            "use": "sig",
            "x": _b64url(numbers.x),
            "y": _b64url(numbers.y),
            "created_at": self.created_at,
            "expired_at": None,
        }

    def sign(self, body: bytes) -> str:
        claims = {"iat": int(time.time()), "request_body_sha256": hashlib.sha256(body).hexdigest()}
        return jwt.encode(claims, self.key, algorithm="ES256", headers={"kid": self.kid, "typ": "JWT"})


signer = Signer(os.environ.get("SANDBOX_STATE_DIR") or None)
deliveries: deque[dict[str, Any]] = deque(maxlen=200)
_delivery_ids = itertools.count(1)


def _deliver(record: dict[str, Any], body: bytes) -> None:
    for delay in RETRY_DELAYS:
        time.sleep(delay)
        record["attempts"] += 1
        request = urllib.request.Request(  # noqa: S310 - the app's own webhook URL (http or https)
            record["url"],
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Plaid-Verification": signer.sign(body),
                "User-Agent": "Plaid Sandbox Webhook",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                record["status"], record["error"] = response.status, None
                return
        except urllib.error.HTTPError as exc:
            record["status"], record["error"] = exc.code, f"HTTP {exc.code}"
        except (OSError, ValueError) as exc:
            record["status"], record["error"] = None, str(exc)
    log.warning("webhook to %s failed: %s", record["url"], record["error"])


def send(item: dict[str, Any], webhook_type: str, webhook_code: str, **extra: Any) -> bool:
    """Queue one webhook for the item (no-op without a webhook URL); returns whether one was sent."""
    payload = {
        "webhook_type": webhook_type,
        "webhook_code": webhook_code,
        "item_id": item["item_id"],
        **extra,
        "environment": "sandbox",
    }
    item["last_webhook"] = {"sent_at": iso(now()), "code_sent": webhook_code}
    if not item.get("webhook"):
        return False
    body = json.dumps(payload, indent=2).encode()
    record = {
        "id": next(_delivery_ids),
        "url": item["webhook"],
        "item_id": item["item_id"],
        "webhook_type": webhook_type,
        "webhook_code": webhook_code,
        "payload": payload,
        "queued_at": iso(now()),
        "attempts": 0,
        "status": None,
        "error": None,
    }
    deliveries.append(record)
    threading.Thread(target=_deliver, args=(record, body), daemon=True, name="plaid-webhook").start()
    return True


def sync_updates_available(item: dict[str, Any]) -> bool:
    return send(
        item,
        "TRANSACTIONS",
        "SYNC_UPDATES_AVAILABLE",
        initial_update_complete=True,
        historical_update_complete=True,
    )
