"""POST /webhooks/plaid: only Plaid-signed, fresh, untampered webhooks get through."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from django.core.cache import cache
from django.test import Client

from creditapp.core.locks import redis_client
from creditapp.tenancy.db import tenant_binding, tenant_context
from finance.banking import plaid
from finance.banking import verification as webhooks
from finance.banking.sync import plaid_item_sync
from finance.models import PlaidItem, Transaction
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])


@pytest.fixture(autouse=True)
def no_cached_keys() -> None:
    """Each test starts with no verification key, refusal or lookup budget in the cache."""
    cache.clear()


@pytest.fixture
def key_lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The key ids the app asks Plaid (the sandbox) about. Counted where the client calls out; the
    call itself still goes over HTTP to the sandbox."""
    asked: list[str] = []
    fetch = plaid.webhook_verification_key

    def counted(key_id: str) -> dict[str, Any]:
        asked.append(key_id)
        return fetch(key_id)

    monkeypatch.setattr(plaid, "webhook_verification_key", counted)
    return asked


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
    with tenant_binding(user.pk):
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


# --- verification keys: cached, and Plaid is never asked once per junk request -----------------------
def test_the_key_is_fetched_once_and_kept_for_a_day(item, signing_key, key_lookups) -> None:  # type: ignore[no-untyped-def]
    body = webhook_body(item.item_id)
    assert [post(body, sign(body, *signing_key)) for _ in range(5)] == [200] * 5
    assert key_lookups == [signing_key[1]]
    ttl = redis_client().ttl(cache.make_key(f"plaid-webhook-key:{signing_key[1]}"))
    assert webhooks.KEY_CACHE_SECONDS - 60 < ttl <= webhooks.KEY_CACHE_SECONDS


def test_a_repeated_unknown_key_id_is_asked_about_once(item, signing_key, key_lookups) -> None:  # type: ignore[no-untyped-def]
    key, _ = signing_key
    body = webhook_body(item.item_id)
    unknown = str(uuid.uuid4())
    assert {post(body, sign(body, key, unknown)) for _ in range(20)} == {400}
    assert key_lookups == [unknown]


def test_a_flood_of_random_key_ids_costs_plaid_a_bounded_number_of_calls(  # type: ignore[no-untyped-def]
    item, signing_key, key_lookups, enqueued
) -> None:
    key, kid = signing_key
    body = webhook_body(item.item_id)
    assert post(body, sign(body, key, kid)) == 200  # the real key is cached before the flood
    flood = 3 * webhooks.LOOKUPS_PER_WINDOW
    assert {post(body, sign(body, key, str(uuid.uuid4()))) for _ in range(flood)} == {400}
    assert len(key_lookups) == webhooks.LOOKUPS_PER_WINDOW  # the real key's lookup counts too
    assert post(body, sign(body, key, kid)) == 200  # Plaid's own webhooks still get through
    assert enqueued() == ["finance.plaid.process_plaid_webhook"] * 2


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.parametrize("kid", [None, 7, ["a"], "", "x" * 101, "line\nbreak", "../../key"])
def test_a_malformed_key_id_is_refused_without_asking_plaid(item, signing_key, key_lookups, kid) -> None:  # type: ignore[no-untyped-def]
    body = webhook_body(item.item_id)
    claims = {"iat": int(time.time()), "request_body_sha256": hashlib.sha256(body).hexdigest()}
    header: dict[str, Any] = {"alg": "ES256", "typ": "JWT"} | ({} if kid is None else {"kid": kid})
    # Built by hand: PyJWT refuses to encode a key id that is not a string, but anyone can send one.
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = jwt.get_algorithm_by_name("ES256").sign(signing_input.encode(), signing_key[0])
    token = f"{signing_input}.{_b64(signature)}"
    assert post(body, token) == 400
    assert key_lookups == []


def test_a_key_past_its_expiry_is_refused(item, signing_key, key_lookups) -> None:  # type: ignore[no-untyped-def]
    """Plaid sets `expired_at` on a key it has rotated out; a cached copy stops working at that time."""
    key, kid = signing_key
    body = webhook_body(item.item_id)
    assert post(body, sign(body, key, kid)) == 200
    cache_key = f"plaid-webhook-key:{kid}"
    cache.set(cache_key, {**cache.get(cache_key), "expired_at": int(time.time()) - 1})
    assert post(body, sign(body, key, kid)) == 400
    assert key_lookups == [kid]


def test_a_key_that_expires_is_cached_only_until_then(  # type: ignore[no-untyped-def]
    item, signing_key, monkeypatch
) -> None:
    """The sandbox never rotates its key, so the one it serves is stamped with an `expired_at`, as
    Plaid's answer carries it for a key on its way out."""
    key, kid = signing_key
    fetch = plaid.webhook_verification_key
    expires = int(time.time()) + 120
    monkeypatch.setattr(
        plaid, "webhook_verification_key", lambda key_id: {**fetch(key_id), "expired_at": expires}
    )
    body = webhook_body(item.item_id)
    assert post(body, sign(body, key, kid)) == 200
    assert 0 < redis_client().ttl(cache.make_key(f"plaid-webhook-key:{kid}")) <= 120
