"""POST /webhooks/plaid: only Plaid-signed, fresh, untampered webhooks get through."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from django.test import Client

from creditapp.tenancy.db import tenant_context
from finance.models import PlaidItem, Transaction
from finance.services.sync import plaid_item_sync
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])


@pytest.fixture
def signing_key(sandbox_url: str, sandbox_state_dir: Path) -> tuple[Any, str]:
    saved = json.loads((sandbox_state_dir / "plaid-webhook-key.json").read_text())
    return serialization.load_pem_private_key(saved["private_key_pem"].encode(), password=None), saved["kid"]


def sign(body: bytes, key: Any, kid: str, *, iat: float | None = None, algorithm: str = "ES256") -> str:
    claims = {"iat": int(iat or time.time()), "request_body_sha256": hashlib.sha256(body).hexdigest()}
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid, "typ": "JWT"})


def post(body: bytes, token: str | None) -> int:
    headers = {"HTTP_PLAID_VERIFICATION": token} if token else {}
    return Client().post("/webhooks/plaid", body, content_type="application/json", **headers).status_code


@pytest.fixture
def item(link_item):  # type: ignore[no-untyped-def]
    return link_item(UserFactory().pk)


def webhook_body(item_id: str) -> bytes:
    return json.dumps(
        {"webhook_type": "TRANSACTIONS", "webhook_code": "SYNC_UPDATES_AVAILABLE", "item_id": item_id,
         "initial_update_complete": True, "historical_update_complete": True, "environment": "sandbox"}
    ).encode()  # fmt: skip


def test_a_signed_fresh_webhook_is_accepted_and_enqueued(item, signing_key, enqueued) -> None:  # type: ignore[no-untyped-def]
    body = webhook_body(item.item_id)
    assert enqueued() == []
    assert post(body, sign(body, *signing_key)) == 200
    assert enqueued() == ["finance.plaid.process_plaid_webhook"]


@pytest.mark.parametrize(
    "case",
    [
        "tampered body",
        "expired",
        "wrong algorithm",
        "unknown key",
        "foreign key",
        "missing header",
        "garbage",
    ],
)
def test_bad_webhooks_are_rejected_and_nothing_is_enqueued(item, signing_key, enqueued, case) -> None:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.asymmetric import ec

    key, kid = signing_key
    body = webhook_body(item.item_id)
    token: str | None = {
        "tampered body": lambda: sign(body.replace(b"SYNC_UPDATES", b"XYNC_UPDATES"), key, kid),
        "expired": lambda: sign(body, key, kid, iat=time.time() - 6 * 60),
        "wrong algorithm": lambda: jwt.encode(
            {"iat": int(time.time()), "request_body_sha256": hashlib.sha256(body).hexdigest()},
            "a-shared-secret-that-is-long-enough-for-hs256",
            algorithm="HS256",
            headers={"kid": kid},
        ),
        "unknown key": lambda: sign(body, key, "00000000-0000-0000-0000-000000000000"),
        "foreign key": lambda: sign(body, ec.generate_private_key(ec.SECP256R1()), kid),
        "missing header": lambda: None,
        "garbage": lambda: "not-a-jwt",
    }[case]()
    assert enqueued() == []
    assert post(body, token) == 400
    assert enqueued() == []


def test_unknown_items_are_acknowledged_and_ignored(sandbox_url, signing_key, enqueued) -> None:  # type: ignore[no-untyped-def]
    body = webhook_body("item-that-is-not-ours")
    assert post(body, sign(body, *signing_key)) == 200
    assert enqueued() == []


def test_sync_updates_webhook_from_the_sandbox_syncs_through_a_real_worker(  # type: ignore[no-untyped-def]
    live_server, settings, link_item, plaid_sandbox, celery_worker_process
) -> None:
    settings.PLAID_WEBHOOK_URL = f"{live_server.url}/webhooks/plaid"
    user = UserFactory()
    item = link_item(user.pk, username="user_transactions_dynamic")
    plaid_item_sync(user_id=user.pk, item_pk=item.pk)
    with tenant_context(user.pk):
        synced_before = PlaidItem.objects.get(pk=item.pk).last_synced_at
    plaid_sandbox.mutate(item.item_id, webhook=True, new_transactions=5)
    remote = plaid_sandbox.item(item.item_id)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with tenant_context(user.pk):
            item.refresh_from_db()
            ours = Transaction.objects.count()
        if item.last_synced_at != synced_before and item.sync_state == "idle":
            break
        time.sleep(0.3)
    deliveries = plaid_sandbox.http.get("/_sandbox/plaid/webhooks", params={"item_id": item.item_id}).json()
    assert any(d["status"] == 200 for d in deliveries["deliveries"]), deliveries
    assert item.last_synced_at != synced_before, "the webhook never led to a sync"
    assert ours == remote["transactions"]
