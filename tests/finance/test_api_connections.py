"""Bank connections in the REST API: their status as the connections page shows it, nobody else's, and
"Sync now" — queued as the page's button queues it, sharing its cooldown, a write and a sync request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import ApiKey
from creditapp.tenancy.db import tenant_context
from finance.banking.items import SYNC_NOW_COOLDOWN_SECONDS
from finance.models import PlaidItem
from tests.api.client import Api
from tests.billing.conftest import make_user, put_on_plan
from tests.finance import builders as b
from tests.finance.factories import ItemFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])
SYNC_TASKS = ["finance.plaid.refresh_liabilities", "finance.plaid.sync_item"]


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    cache.clear()  # rate limits and "Sync now" cooldowns of earlier runs


@pytest.fixture
def people() -> dict[str, Any]:
    """Alice on Pro with a healthy bank and one that needs her to log in again; Bob with one bank."""
    alice, bob = make_user(joined_days_ago=30), make_user(joined_days_ago=30)
    put_on_plan(alice, "pro")
    put_on_plan(bob, "pro")
    with tenant_context(alice.pk):
        good = ItemFactory(user=alice, institution_name="Acme Bank")
        relogin = ItemFactory(
            user=alice,
            institution_name="Zed Credit Union",
            status=PlaidItem.Status.LOGIN_REQUIRED,
            error_code="ITEM_LOGIN_REQUIRED",
        )
        b.account(alice.pk, item=good, name="Everyday Checking")
        b.account(alice.pk, item=good, type="credit", name="Rewards Card", custom_name="My card")
        b.account(alice.pk, item=relogin, name="Savings")
    with tenant_context(bob.pk):
        bobs = ItemFactory(user=bob, institution_name="Bob's Bank")
    return {"alice": alice, "bob": bob, "good": good, "relogin": relogin, "bobs": bobs}


def assert_not_found(response: Any) -> None:
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found.", "details": {}}}


def test_connections_list_what_the_page_shows(people: dict[str, Any]) -> None:
    api = Api(people["alice"])
    page = api.get("/api/v1/connections/").json()
    assert (page["next"], page["previous"]) == (None, None)
    good, relogin = page["results"]
    assert (good["institution_name"], relogin["institution_name"]) == ("Acme Bank", "Zed Credit Union")
    assert (good["status"], good["needs_relogin"], good["needs_attention"]) == ("good", False, False)
    assert (relogin["status"], relogin["status_label"], relogin["needs_relogin"]) == (
        "login_required",
        "Needs re-login",
        True,
    )
    assert relogin["needs_attention"] and relogin["error_code"] == "ITEM_LOGIN_REQUIRED"
    assert sorted(a["name"] for a in good["accounts"]) == ["Everyday Checking", "My card"]
    assert [a["name"] for a in relogin["accounts"]] == ["Savings"]
    assert (good["sync_state"], good["sync_progress"], good["last_synced_at"]) == ("idle", None, None)

    first = api.get("/api/v1/connections/", page_size=1).json()
    assert [c["institution_name"] for c in first["results"]] == ["Acme Bank"] and first["next"]
    too_large = api.get("/api/v1/connections/", page_size=501)
    assert too_large.status_code == 400 and "page_size" in too_large.json()["error"]["details"]["fields"]

    detail = api.get(f"/api/v1/connections/{people['relogin'].pk}/")
    assert detail.status_code == 200 and detail.json() == relogin


def test_another_persons_connection_is_404_like_a_missing_one(people: dict[str, Any]) -> None:
    bob = Api(people["bob"])
    listed = bob.get("/api/v1/connections/").json()["results"]
    assert [c["institution_name"] for c in listed] == ["Bob's Bank"]
    assert_not_found(bob.get(f"/api/v1/connections/{people['good'].pk}/"))
    assert_not_found(bob.get(f"/api/v1/connections/{people['good'].pk + 10_000}/"))


def test_sync_queues_the_sync_and_answers_where_to_watch_it(
    people: dict[str, Any], enqueued: Callable[[], list[str]]
) -> None:
    item = people["good"]
    response = Api(people["alice"]).post(f"/api/v1/connections/{item.pk}/sync/")
    assert response.status_code == 202
    body = response.json()
    status_url = f"http://testserver/api/v1/connections/{item.pk}/"
    assert body["status_url"] == status_url and response["Location"] == status_url
    assert body["connection"]["id"] == item.pk and body["connection"]["sync_state"] == "queued"
    assert enqueued() == SYNC_TASKS
    with tenant_context(people["alice"].pk):
        assert PlaidItem.objects.get(pk=item.pk).live_sync_state == PlaidItem.SyncState.QUEUED
    polled = Client().get(status_url, HTTP_AUTHORIZATION=Api(people["alice"]).auth["HTTP_AUTHORIZATION"])
    assert polled.json()["sync_state"] == "queued"


def test_sync_again_within_the_cooldown_is_a_409_shared_with_the_page(
    people: dict[str, Any], enqueued: Callable[[], list[str]]
) -> None:
    api, item, other = Api(people["alice"]), people["good"], people["relogin"]
    assert api.post(f"/api/v1/connections/{item.pk}/sync/").status_code == 202
    again = api.post(f"/api/v1/connections/{item.pk}/sync/")
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "sync_already_requested"
    assert 1 <= error["details"]["retry_after_seconds"] <= SYNC_NOW_COOLDOWN_SECONDS
    assert error["details"]["status_url"] == f"http://testserver/api/v1/connections/{item.pk}/"
    assert enqueued() == SYNC_TASKS  # the first request only

    # The page's "Sync now" and the API share one cooldown, whichever asks first.
    browser = Client()
    browser.force_login(people["alice"])
    browser.post(f"/app/connections/{item.pk}/sync/")
    assert enqueued() == SYNC_TASKS
    browser.post(f"/app/connections/{other.pk}/sync/")
    assert enqueued() == sorted(SYNC_TASKS * 2)
    assert (
        api.post(f"/api/v1/connections/{other.pk}/sync/").json()["error"]["code"] == "sync_already_requested"
    )
    assert enqueued() == sorted(SYNC_TASKS * 2)


def test_sync_is_a_write_and_only_of_ones_own(
    people: dict[str, Any], enqueued: Callable[[], list[str]]
) -> None:
    item = people["good"]
    read_only = Api(people["alice"], scope=ApiKey.Scope.READ).post(f"/api/v1/connections/{item.pk}/sync/")
    assert read_only.status_code == 403 and read_only.json()["error"]["code"] == "insufficient_scope"
    assert_not_found(Api(people["bob"]).post(f"/api/v1/connections/{item.pk}/sync/"))
    assert enqueued() == []
    with tenant_context(people["alice"].pk):
        assert PlaidItem.objects.get(pk=item.pk).live_sync_state == PlaidItem.SyncState.IDLE


def test_sync_requests_have_their_own_rate_limit(
    people: dict[str, Any], settings: Any, enqueued: Callable[[], list[str]]
) -> None:
    pro = {"read": "600/min", "write": "120/min", "sync": "1/hour"}
    settings.API_RATE_LIMITS = {**settings.API_RATE_LIMITS, "pro": pro}
    api = Api(people["alice"])
    first = api.post(f"/api/v1/connections/{people['good'].pk}/sync/")
    assert (
        first.status_code == 202 and first["RateLimit-Limit"] == "1" and first["RateLimit-Remaining"] == "0"
    )
    limited = api.post(f"/api/v1/connections/{people['relogin'].pk}/sync/")
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
    assert int(limited["Retry-After"]) >= 1
    assert enqueued() == SYNC_TASKS
    # Reads are counted apart from sync requests.
    listed = api.get("/api/v1/connections/")
    assert listed.status_code == 200 and listed["RateLimit-Limit"] == "600"
