"""Alerts in the REST API: the inbox as the alerts page shows it, the strict `unread` filter, marking
read and dismissing through the page's services (idempotent), mark all read, and nobody else's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from accounts.models import ApiKey
from creditapp.tenancy.db import tenant_context
from notifications.models import Alert
from tests.api.client import Api
from tests.billing.conftest import make_user, put_on_plan

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    cache.clear()


def alert(user: Any, key: str, *, hours_ago: int, read: bool = False, dismissed: bool = False) -> Alert:
    at = timezone.now() - timedelta(hours=hours_ago)
    with tenant_context(user.pk):
        return Alert.objects.create(
            user=user, kind=Alert.Kind.PAYMENT_DUE, severity=Alert.Severity.WARNING, title=f"Alert {key}",
            link="/app/accounts/", dedupe_key=key, created_at=at, read_at=at if read or dismissed else None,
            dismissed_at=at if dismissed else None,
        )  # fmt: skip


@pytest.fixture
def people() -> dict[str, Any]:
    """Alice: an unread alert, a read one (older) and a dismissed one; Bob: one unread alert."""
    alice, bob = make_user(joined_days_ago=30), make_user(joined_days_ago=30)
    put_on_plan(alice, "pro")
    put_on_plan(bob, "pro")
    return {
        "alice": alice,
        "bob": bob,
        "unread": alert(alice, "a-unread", hours_ago=1),
        "read": alert(alice, "a-read", hours_ago=2, read=True),
        "dismissed": alert(alice, "a-dismissed", hours_ago=3, dismissed=True),
        "bobs": alert(bob, "b-unread", hours_ago=1),
    }


def stored(user: Any, pk: int) -> Alert:
    with tenant_context(user.pk):
        return Alert.objects.get(pk=pk)


def assert_not_found(response: Any) -> None:
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found.", "details": {}}}


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_the_inbox_newest_first_without_dismissed_alerts(people: dict[str, Any]) -> None:
    api = Api(people["alice"], scope=ApiKey.Scope.READ)
    page = api.get("/api/v1/alerts/").json()
    assert (page["next"], page["previous"]) == (None, None)
    assert [a["id"] for a in page["results"]] == [people["unread"].pk, people["read"].pk]
    newest = page["results"][0]
    assert (newest["title"], newest["kind"], newest["severity"], newest["unread"]) == (
        "Alert a-unread",
        "payment_due",
        "warning",
        True,
    )
    assert newest["web_url"].endswith("/app/accounts/") and newest["dismissed_at"] is None

    first = api.get("/api/v1/alerts/", page_size=1).json()
    assert [a["id"] for a in first["results"]] == [people["unread"].pk]
    second = Client().get(first["next"], **api.auth).json()
    assert [a["id"] for a in second["results"]] == [people["read"].pk] and second["next"] is None
    too_large = api.get("/api/v1/alerts/", page_size=501)
    assert too_large.status_code == 400 and "page_size" in too_large.json()["error"]["details"]["fields"]


@pytest.mark.parametrize("value", ["yes", "1", "True", "none"])
def test_unread_filter_is_true_or_false_and_nothing_else(people: dict[str, Any], value: str) -> None:
    api = Api(people["alice"])
    assert ids(api.get("/api/v1/alerts/", unread="true")) == [people["unread"].pk]
    assert ids(api.get("/api/v1/alerts/", unread="false")) == [people["read"].pk]
    refused = api.get("/api/v1/alerts/", unread=value)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid_request"
    assert list(refused.json()["error"]["details"]["fields"]) == ["unread"]


def test_another_persons_alerts_are_404_like_missing_ones(people: dict[str, Any]) -> None:
    alice, bob = Api(people["alice"]), Api(people["bob"])
    assert ids(bob.get("/api/v1/alerts/")) == [people["bobs"].pk]
    theirs = people["unread"].pk
    assert alice.get(f"/api/v1/alerts/{theirs}/").status_code == 200
    assert_not_found(bob.get(f"/api/v1/alerts/{theirs}/"))
    assert_not_found(bob.get(f"/api/v1/alerts/{theirs + 10_000}/"))
    for verb in ("read", "dismiss"):
        assert_not_found(bob.post(f"/api/v1/alerts/{theirs}/{verb}/"))
    assert bob.post("/api/v1/alerts/read-all/").json() == {"marked_read": 1}
    mine = stored(people["alice"], theirs)
    assert (mine.read_at, mine.dismissed_at) == (None, None)


def test_mark_read_changes_state_once(people: dict[str, Any]) -> None:
    api, pk = Api(people["alice"]), people["unread"].pk
    response = api.post(f"/api/v1/alerts/{pk}/read/")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == pk and body["unread"] is False and body["read_at"]
    read_at = stored(people["alice"], pk).read_at
    assert read_at is not None

    again = api.post(f"/api/v1/alerts/{pk}/read/")
    assert again.status_code == 200 and again.json() == body
    assert stored(people["alice"], pk).read_at == read_at
    assert ids(api.get("/api/v1/alerts/", unread="true")) == []


def test_dismiss_takes_an_alert_out_of_the_inbox_once(people: dict[str, Any]) -> None:
    api, pk = Api(people["alice"]), people["unread"].pk
    response = api.post(f"/api/v1/alerts/{pk}/dismiss/")
    assert response.status_code == 200
    body = response.json()
    assert body["dismissed_at"] and body["unread"] is False
    dismissed_at = stored(people["alice"], pk).dismissed_at
    assert dismissed_at is not None

    again = api.post(f"/api/v1/alerts/{pk}/dismiss/")
    assert again.status_code == 200 and again.json() == body
    assert stored(people["alice"], pk).dismissed_at == dismissed_at
    assert ids(api.get("/api/v1/alerts/")) == [people["read"].pk]
    assert api.get(f"/api/v1/alerts/{pk}/").json() == body  # still readable by its id


def test_mark_all_read(people: dict[str, Any]) -> None:
    api = Api(people["alice"])
    assert api.post("/api/v1/alerts/read-all/").json() == {"marked_read": 1}
    assert ids(api.get("/api/v1/alerts/", unread="true")) == []
    assert stored(people["alice"], people["unread"].pk).read_at is not None
    assert api.post("/api/v1/alerts/read-all/").json() == {"marked_read": 0}
    assert stored(people["bob"], people["bobs"].pk).read_at is None


def test_a_read_only_key_changes_nothing(people: dict[str, Any]) -> None:
    api, pk = Api(people["alice"], scope=ApiKey.Scope.READ), people["unread"].pk
    for url in (f"/api/v1/alerts/{pk}/read/", f"/api/v1/alerts/{pk}/dismiss/", "/api/v1/alerts/read-all/"):
        refused = api.post(url)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_scope"
    unchanged = stored(people["alice"], pk)
    assert (unchanged.read_at, unchanged.dismissed_at) == (None, None)
