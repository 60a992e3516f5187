"""What every /api/v1/ list and request shares: cursor pages that hold still while rows arrive, page sizes
and cursors refused rather than bent, rate limits per kind of operation with their headers on every
answer, and `Idempotency-Key` replays."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from accounts.models import ApiKey
from creditapp.tenancy.db import tenant_context
from finance.models import Account, Transaction, TransactionRule
from tests.api.client import Api, pro_user
from tests.billing.conftest import make_user, put_on_plan
from tests.finance import builders as b
from tests.finance.factories import ItemFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])

RATE_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
FIRST_DAY = date(2026, 3, 1)
_new_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    cache.clear()  # the anonymous callers' window is per address, shared by every test


def checking_of(user: Any, name: str = "Checking") -> Account:
    with tenant_context(user.pk):
        return b.account(user.pk, name=name)


def add_transactions(user: Any, account: Account, days: list[date], per_day: int = 2) -> list[int]:
    with tenant_context(user.pk):
        return [
            b.txn(user.pk, account, amount=100 + n, day=day, name=f"Purchase {next(_new_ids)}").pk
            for day in days
            for n in range(per_day)
        ]


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    return dict(body["error"])


def rate_headers(response: Any) -> tuple[int, int, int]:
    for name in RATE_HEADERS:
        assert response.has_header(name), f"{response.status_code} without {name}"
    limit, remaining, reset = (int(response[name]) for name in RATE_HEADERS)
    assert 0 <= remaining <= limit and reset > 0
    return limit, remaining, reset


# --- cursor pagination ------------------------------------------------------------------------------------
def walk(api: Api, page_size: int, between_pages: Callable[[list[dict[str, Any]]], None]) -> list[int]:
    """Every id of /transactions/, page by page, calling `between_pages` with each page before the next."""
    seen: list[int] = []
    url: str | None = f"/api/v1/transactions/?page_size={page_size}"
    while url:
        response = Client().get(url, **api.auth)
        assert response.status_code == 200, response.content[:300]
        page = response.json()
        assert len(page["results"]) <= page_size
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
        if url:
            between_pages(page["results"])
    return seen


def _newest_first(user: Any) -> list[int]:
    with tenant_context(user.pk):
        return list(
            Transaction.objects.filter(user_id=user.pk).order_by("-date", "-id").values_list("id", flat=True)
        )


def test_pages_hold_still_while_newer_and_older_rows_arrive() -> None:
    """Between pages a sync lands rows dated after everything listed so far and before everything: the
    walk still lists each row that was there once, in order, and none twice."""
    user = pro_user()
    api = Api(user, ApiKey.Scope.READ)
    account = checking_of(user)
    add_transactions(user, account, [FIRST_DAY + timedelta(days=n) for n in range(12)])
    before = _newest_first(user)
    later = (FIRST_DAY + timedelta(days=30 + n) for n in itertools.count())
    earlier = (FIRST_DAY - timedelta(days=30 + n) for n in itertools.count())

    def a_sync_lands(page: list[dict[str, Any]]) -> None:
        add_transactions(user, account, [next(later), next(earlier)], per_day=1)

    seen = walk(api, 5, a_sync_lands)
    assert len(seen) == len(set(seen)), "a row was listed twice"
    assert [pk for pk in seen if pk in set(before)] == before, "a row that was there was skipped"


def test_pages_hold_still_while_rows_arrive_on_the_day_a_page_ends() -> None:
    """Transactions of the day a page ends on keep arriving (today's, mostly): they sort before the
    cursor, so the walk neither repeats nor skips the rows it had not reached."""
    user = pro_user()
    api = Api(user, ApiKey.Scope.READ)
    account = checking_of(user)
    add_transactions(user, account, [FIRST_DAY + timedelta(days=n) for n in range(8)], per_day=3)
    before = _newest_first(user)

    def a_row_on_the_last_day_of_the_page(page: list[dict[str, Any]]) -> None:
        add_transactions(user, account, [date.fromisoformat(page[-1]["date"])], per_day=1)

    seen = walk(api, 4, a_row_on_the_last_day_of_the_page)  # 4 across days of 3: pages end mid-day
    assert len(seen) == len(set(seen)), "a row was listed twice"
    assert [pk for pk in seen if pk in set(before)] == before, "a row that was there was skipped"


def test_a_page_size_above_the_maximum_is_refused_not_cut() -> None:
    user = pro_user()
    add_transactions(user, checking_of(user), [FIRST_DAY])
    api = Api(user, ApiKey.Scope.READ)
    assert len(api.get("/api/v1/transactions/", page_size=500).json()["results"]) == 2
    error = error_of(api.get("/api/v1/transactions/", page_size=501), 400)
    assert error["code"] == "invalid_request"
    assert error["details"]["fields"] == {"page_size": ["Ensure this value is less than or equal to 500."]}


@pytest.mark.parametrize("cursor", ["!!!", "bm90IGEgY3Vyc29y", "cD14", "Ωμέγα"])
def test_a_malformed_cursor_is_refused(cursor: str) -> None:
    user = pro_user()
    add_transactions(user, checking_of(user), [FIRST_DAY])
    error = error_of(Api(user, ApiKey.Scope.READ).get("/api/v1/transactions/", cursor=cursor), 400)
    assert error["code"] == "invalid_request" and list(error["details"]["fields"]) == ["cursor"]


# --- rate limits ------------------------------------------------------------------------------------------
def test_every_answer_carries_the_rate_limit_headers() -> None:
    alice = pro_user()
    account = checking_of(alice)
    reader, writer = Api(alice, ApiKey.Scope.READ), Api(alice)
    basic = make_user(joined_days_ago=30)
    put_on_plan(basic, "basic")
    answers = {
        200: reader.get("/api/v1/accounts/"),
        400: reader.get("/api/v1/transactions/", page_size=501),
        401: Client().get("/api/v1/accounts/"),
        402: Api(basic).get("/api/v1/accounts/"),
        403: reader.send("patch", f"/api/v1/accounts/{account.pk}/", {"custom_name": "Bills"}),
        404: reader.get("/api/v1/accounts/999999999/"),
        405: writer.send("delete", f"/api/v1/accounts/{account.pk}/"),
    }
    for status, response in answers.items():
        assert response.status_code == status, (status, response.content[:300])
        rate_headers(response)


def test_remaining_counts_down_with_each_read() -> None:
    api = Api(pro_user(), ApiKey.Scope.READ)
    counts = [rate_headers(api.get("/api/v1/me/")) for _ in range(3)]
    limit = counts[0][0]
    assert [remaining for _, remaining, _ in counts] == [limit - 1, limit - 2, limit - 3]


@override_settings(
    API_RATE_LIMITS={
        "pro": {"read": "3/day", "write": "5/day", "sync": "7/day"},  # a day: no window ends mid-test
        "default": {"read": "3/day", "write": "5/day", "sync": "7/day"},
        "anonymous": "60/min",
    }
)
def test_reads_writes_and_syncs_are_limited_separately_and_429_says_when_to_retry(
    enqueued: Callable[[], list[str]],
) -> None:
    user = pro_user()
    account = checking_of(user)
    with tenant_context(user.pk):
        item = ItemFactory(user=user)
    api = Api(user)

    assert [rate_headers(api.get("/api/v1/accounts/"))[:2] for _ in range(3)] == [(3, 2), (3, 1), (3, 0)]
    refused = api.get("/api/v1/accounts/")
    error = error_of(refused, 429)
    assert error["code"] == "rate_limited" and error["details"]["retry_after_seconds"] > 0
    limit, remaining, reset = rate_headers(refused)
    assert (limit, remaining) == (3, 0) and int(refused["Retry-After"]) == reset

    # Writes and sync requests have windows of their own: the spent reads take nothing from them.
    renamed = api.send("patch", f"/api/v1/accounts/{account.pk}/", {"custom_name": "Bills"})
    assert renamed.status_code == 200 and rate_headers(renamed)[:2] == (5, 4)
    synced = api.send("post", f"/api/v1/connections/{item.pk}/sync/")
    assert synced.status_code == 202, synced.content[:300]
    assert rate_headers(synced)[:2] == (7, 6)
    assert "finance.plaid.sync_item" in enqueued()
    again = api.send("patch", f"/api/v1/accounts/{account.pk}/", {"custom_name": "Rent"})
    assert again.status_code == 200 and rate_headers(again)[:2] == (5, 3)
    # …and the writes gave nothing back to the reads.
    assert api.get("/api/v1/accounts/").status_code == 429


# --- Idempotency-Key --------------------------------------------------------------------------------------
def custom_name_of(user: Any, account: Account) -> str:
    with tenant_context(user.pk):
        return Account.objects.get(pk=account.pk).custom_name


def test_a_replayed_patch_gets_the_first_answer_and_changes_nothing() -> None:
    user = pro_user()
    account = checking_of(user)
    api = Api(user)
    url = f"/api/v1/accounts/{account.pk}/"
    first = api.send("patch", url, {"custom_name": "Bills"}, **{"Idempotency-Key": "rename-1"})
    assert first.status_code == 200 and first.json()["custom_name"] == "Bills"
    assert not first.has_header("Idempotent-Replayed")

    assert api.send("patch", url, {"custom_name": "Rent"}).status_code == 200  # a later edit
    replay = api.send("patch", url, {"custom_name": "Bills"}, **{"Idempotency-Key": "rename-1"})
    assert (replay.status_code, replay.json()) == (first.status_code, first.json())
    assert replay["Idempotent-Replayed"] == "true"
    assert custom_name_of(user, account) == "Rent", "the replay was applied again"
    assert api.get(url).json()["custom_name"] == "Rent"


def test_the_same_key_with_another_body_is_422_and_changes_nothing() -> None:
    user = pro_user()
    account = checking_of(user)
    api = Api(user)
    url = f"/api/v1/accounts/{account.pk}/"
    assert api.send("patch", url, {"custom_name": "Bills"}, **{"Idempotency-Key": "k-1"}).status_code == 200
    reused = api.send("patch", url, {"custom_name": "Savings"}, **{"Idempotency-Key": "k-1"})
    assert error_of(reused, 422)["code"] == "idempotency_key_reused"
    assert custom_name_of(user, account) == "Bills"


def test_keys_are_per_person() -> None:
    """Bob sending Alice's key string (even her very request) gets his own answer, never her stored one."""
    alice, bob = pro_user(), pro_user()
    alices, bobs = checking_of(alice, "Alice's checking"), checking_of(bob, "Bob's checking")
    alice_api, bob_api = Api(alice), Api(bob)
    alices_url = f"/api/v1/accounts/{alices.pk}/"
    for key in ("shared-1", "shared-2"):
        assert (
            alice_api.send(
                "patch", alices_url, {"custom_name": "Bills"}, **{"Idempotency-Key": key}
            ).status_code
            == 200
        )

    copied = bob_api.send("patch", alices_url, {"custom_name": "Bills"}, **{"Idempotency-Key": "shared-1"})
    assert error_of(copied, 404)["code"] == "not_found" and not copied.has_header("Idempotent-Replayed")
    own_url = f"/api/v1/accounts/{bobs.pk}/"
    own = bob_api.send("patch", own_url, {"custom_name": "Groceries"}, **{"Idempotency-Key": "shared-2"})
    assert own.status_code == 200 and own.json()["id"] == bobs.pk and own.json()["custom_name"] == "Groceries"
    assert not own.has_header("Idempotent-Replayed")
    assert (custom_name_of(alice, alices), custom_name_of(bob, bobs)) == ("Bills", "Groceries")


def test_a_replayed_post_creates_once() -> None:
    user = pro_user()
    api = Api(user)
    body = {"match_text": "Corner Cafe", "category": "FOOD_AND_DRINK_COFFEE"}
    first = api.send("post", "/api/v1/rules/", body, **{"Idempotency-Key": "new-rule"})
    assert first.status_code == 201, first.content[:300]
    replay = api.send("post", "/api/v1/rules/", body, **{"Idempotency-Key": "new-rule"})
    assert (replay.status_code, replay.json()) == (201, first.json())
    with tenant_context(user.pk):
        assert TransactionRule.objects.filter(user_id=user.pk).count() == 1
