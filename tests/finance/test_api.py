"""The REST API (/api/v1/): the caller's own accounts and transactions only, cursor pagination,
filters, the app's sign on amounts, the subscription endpoint, the schema and its docs. The finance
resources' edits, filters and summaries are in test_api_resources."""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.api_keys import api_key_create
from creditapp.tenancy.api import is_tenant_view
from creditapp.tenancy.db import tenant_context
from finance.models import Account, Transaction
from tests.billing.conftest import make_user, put_on_plan
from tests.finance.factories import AccountFactory

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "maint"]),
    pytest.mark.urls("tests.billing.urls"),  # + accounts.urls, until the project includes it
]


def add_transactions(user: Any, account: Account, days: int, *, start: date = date(2026, 3, 1)) -> None:
    """Two transactions a day (same-day ties test the cursor), inside the owner's tenant context."""
    with tenant_context(user.pk):
        Transaction.objects.bulk_create(
            Transaction(
                user=user, account=account, plaid_transaction_id=f"{account.pk}-{n}", amount_minor=100 + n,
                currency="USD", date=start + timedelta(days=n // 2), name=f"Purchase {n}",
            )
            for n in range(days * 2)
        )  # fmt: skip


@pytest.fixture
def two_tenants() -> dict[str, Any]:
    """Alice and Bob on Pro, each with accounts, transactions and a key."""
    people: dict[str, Any] = {}
    for name in ("alice", "bob"):
        user = make_user(joined_days_ago=30)
        put_on_plan(user, "pro")
        with tenant_context(user.pk):
            checking = AccountFactory(user=user, name=f"{name} checking")
            card = AccountFactory(user=user, name=f"{name} card", type=Account.Type.CREDIT,
                                  current_balance_minor=30_000, credit_limit_minor=100_000)  # fmt: skip
        add_transactions(user, checking, 10)
        add_transactions(user, card, 2, start=date(2026, 4, 1))
        people[name] = user
        people[f"{name}_accounts"] = (checking, card)
        people[f"{name}_token"] = api_key_create(owner_id=user.pk, name="cli").token
    return people


def get(token: str, url: str, **params: Any) -> Any:
    return Client().get(url, params, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_accounts_list_and_detail_are_the_callers_own(two_tenants: dict[str, Any]) -> None:
    alice_checking, alice_card = two_tenants["alice_accounts"]
    response = get(two_tenants["alice_token"], "/api/v1/accounts/")
    assert response.status_code == 200
    page = response.json()
    assert (page["next"], page["previous"]) == (None, None)
    body = page["results"]
    assert sorted(a["name"] for a in body) == ["alice card", "alice checking"]
    card = next(a for a in body if a["id"] == alice_card.pk)
    assert (card["utilisation_bp"], card["currency"], card["balances"]["current_minor"]) == (
        3000,
        "USD",
        30_000,
    )
    assert get(two_tenants["alice_token"], f"/api/v1/accounts/{alice_checking.pk}/").status_code == 200
    # Bob's key never sees Alice's rows: not in lists, and 404 on detail.
    assert get(two_tenants["bob_token"], f"/api/v1/accounts/{alice_checking.pk}/").status_code == 404
    assert "alice" not in get(two_tenants["bob_token"], "/api/v1/accounts/").content.decode()


def test_accounts_page_through_cursors(two_tenants: dict[str, Any]) -> None:
    token = two_tenants["alice_token"]
    first = get(token, "/api/v1/accounts/", page_size=1).json()
    second = Client().get(first["next"], HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert [a["name"] for a in first["results"] + second["results"]] == ["alice card", "alice checking"]
    assert second["next"] is None and second["previous"] is not None
    assert get(token, "/api/v1/accounts/", page_size=501).status_code == 400


def test_amounts_carry_the_apps_sign(two_tenants: dict[str, Any]) -> None:
    """Stored with Plaid's sign (a purchase is positive); the API shows money out as negative."""
    with tenant_context(two_tenants["alice"].pk):
        stored = dict(Transaction.objects.values_list("id", "amount_minor"))
    listed = get(two_tenants["alice_token"], "/api/v1/transactions/", page_size=100).json()["results"]
    assert {t["id"]: t["amount_minor"] for t in listed} == {pk: -amount for pk, amount in stored.items()}
    assert all(t["amount_minor"] < 0 for t in listed)


def test_transactions_cursor_pagination_newest_first(two_tenants: dict[str, Any]) -> None:
    token = two_tenants["alice_token"]
    seen: list[int] = []
    url: str | None = "/api/v1/transactions/?page_size=7"
    while url:
        page = Client().get(url, HTTP_AUTHORIZATION=f"Bearer {token}").json()
        assert len(page["results"]) <= 7 and "count" not in page
        seen += [t["id"] for t in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 24
    with tenant_context(two_tenants["alice"].pk):
        expected = list(Transaction.objects.filter(user=two_tenants["alice"]).order_by("-date", "-id")
                        .values_list("id", flat=True))  # fmt: skip
    assert seen == expected


def test_transactions_filter_by_date_range_and_account(two_tenants: dict[str, Any]) -> None:
    token = two_tenants["alice_token"]
    card = two_tenants["alice_accounts"][1]
    ranged = get(token, "/api/v1/transactions/", date_from="2026-03-03", date_to="2026-03-04").json()[
        "results"
    ]
    assert sorted({t["date"] for t in ranged}) == ["2026-03-03", "2026-03-04"] and len(ranged) == 4
    by_account = get(token, "/api/v1/transactions/", account=card.pk).json()["results"]
    assert len(by_account) == 4 and {t["account"] for t in by_account} == {card.pk}
    bobs_card = two_tenants["bob_accounts"][1]
    assert get(token, "/api/v1/transactions/", account=bobs_card.pk).json()["results"] == []
    assert get(token, "/api/v1/transactions/", date_from="not-a-date").status_code == 400


def test_transaction_detail_of_another_tenant_is_404(two_tenants: dict[str, Any]) -> None:
    with tenant_context(two_tenants["alice"].pk):
        alices = Transaction.objects.filter(user=two_tenants["alice"]).first()
    assert alices is not None
    assert get(two_tenants["alice_token"], f"/api/v1/transactions/{alices.pk}/").json()["name"] == alices.name
    assert get(two_tenants["bob_token"], f"/api/v1/transactions/{alices.pk}/").status_code == 404
    listed = get(two_tenants["bob_token"], "/api/v1/transactions/", page_size=100).json()["results"]
    assert alices.pk not in {t["id"] for t in listed} and len(listed) == 24


def test_a_session_cookie_never_lends_its_tenant_to_a_key(two_tenants: dict[str, Any]) -> None:
    client = Client()
    client.force_login(two_tenants["alice"])
    names = [
        a["name"]
        for a in client.get(
            "/api/v1/accounts/", HTTP_AUTHORIZATION=f"Bearer {two_tenants['bob_token']}"
        ).json()["results"]
    ]
    assert sorted(names) == ["bob card", "bob checking"]
    assert sorted(a["name"] for a in client.get("/api/v1/accounts/").json()["results"]) == [
        "alice card",
        "alice checking",
    ]


def test_accounts_are_never_created_or_deleted_and_writes_need_a_read_write_key(
    two_tenants: dict[str, Any],
) -> None:
    checking = two_tenants["alice_accounts"][0]
    client = Client()
    read = {"HTTP_AUTHORIZATION": f"Bearer {two_tenants['alice_token']}"}
    refused = client.post("/api/v1/accounts/", {}, **read)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_scope"
    writer = api_key_create(owner_id=two_tenants["alice"].pk, name="w", scope="read_write").token
    write = {"HTTP_AUTHORIZATION": f"Bearer {writer}"}
    assert client.post("/api/v1/accounts/", {}, **write).status_code == 405
    assert client.delete(f"/api/v1/accounts/{checking.pk}/", **write).status_code == 405
    assert (
        client.put(
            f"/api/v1/accounts/{checking.pk}/", {}, content_type="application/json", **write
        ).status_code
        == 405
    )
    renamed = client.patch(
        f"/api/v1/accounts/{checking.pk}/", {"custom_name": "Bills"}, content_type="application/json", **read
    )
    assert renamed.status_code == 403 and renamed.json()["error"]["code"] == "insufficient_scope"


def test_subscription_endpoint(two_tenants: dict[str, Any]) -> None:
    body = get(two_tenants["alice_token"], "/api/v1/subscription/").json()
    assert (body["plan"], body["status"], body["interval"], body["cancel_at_period_end"]) == (
        "pro", "active", "monthly", False,
    )  # fmt: skip
    assert body["entitlements"] == {
        "api_access": True, "email_summaries": False, "credit_refresh": "weekly", "max_institutions": 10,
        "csv_export": True, "advanced_charts": False, "family_sharing": False,
    }  # fmt: skip


def test_schema_and_docs() -> None:
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    spec = schema.json()
    assert {
        "/api/v1/accounts/",
        "/api/v1/accounts/{id}/",
        "/api/v1/transactions/",
        "/api/v1/subscription/",
    } <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    params = {p["name"] for p in spec["paths"]["/api/v1/transactions/"]["get"]["parameters"]}
    assert {
        "cursor", "page_size", "date_from", "date_to", "account", "q", "category", "min_amount_minor",
        "max_amount_minor", "pending",
    } <= params  # fmt: skip
    docs = Client().get("/api/docs/")
    assert docs.status_code == 200 and "/api/v1/transactions/" in docs.content.decode()


def _api_views(patterns: list[URLPattern | URLResolver], prefix: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += _api_views(pattern.url_patterns, route)
        else:
            found.append((route, pattern.callback))
    return found


def test_every_api_view_sets_the_tenant_from_drfs_user() -> None:
    api = next(p for p in get_resolver().url_patterns if str(p.pattern) == "api/")
    views = _api_views([api])
    assert len(views) >= 6
    assert [route for route, view in views if not is_tenant_view(view) and not route.endswith("docs/")] == []


def _cursor(querystring: bytes) -> str:
    return base64.b64encode(querystring).decode()


BAD_QUERIES = [
    # A well-formed cursor whose position is not a date, and every other way a cursor goes wrong.
    ("cursor", _cursor(b"p=x")),
    ("cursor", _cursor(b"p=2026-02-30")),
    ("cursor", _cursor(b"p=%00")),
    ("cursor", _cursor(b"p=" + b"9" * 5000)),
    ("cursor", _cursor(b"o=x&p=2026-03-01")),
    ("cursor", _cursor(b"o=" + b"9" * 5000)),
    ("cursor", _cursor(b"r=x")),
    ("cursor", _cursor(b"\xff\xfe")),
    ("cursor", "!!!"),
    ("cursor", "\x00"),
    ("cursor", "Ωμέγα"),
    ("page_size", "x"),
    ("page_size", "0"),
    ("page_size", "-1"),
    ("page_size", "1.5"),
    ("page_size", "501"),
    ("page_size", "9" * 5000),
    ("page_size", "\x00"),
    ("account", "1.5"),
    ("account", "x"),
    ("account", "\x00"),
    ("date_from", "2026-02-30"),
    ("date_to", "\x00"),
]


def test_bad_query_parameters_are_a_400_naming_the_parameter(two_tenants: dict[str, Any]) -> None:
    token = two_tenants["alice_token"]
    client = Client(raise_request_exception=False)
    answers = {}
    for name, value in BAD_QUERIES:
        response = client.get("/api/v1/transactions/", {name: value}, HTTP_AUTHORIZATION=f"Bearer {token}")
        error = response.json()["error"]
        answers[name, value[:40]] = (response.status_code, error["code"], sorted(error["details"]["fields"]))
    assert answers == {(name, value[:40]): (400, "invalid_request", [name]) for name, value in BAD_QUERIES}
    invalid = get(token, "/api/v1/transactions/", cursor=_cursor(b"p=x")).json()["error"]
    assert invalid["message"] == "Invalid cursor: use the `next` or `previous` link of a page as it is."
    too_big = get(token, "/api/v1/transactions/", page_size=501).json()["error"]
    assert too_big["details"]["fields"] == {"page_size": ["Ensure this value is less than or equal to 500."]}


def test_good_cursors_and_page_sizes_still_page(two_tenants: dict[str, Any]) -> None:
    token = two_tenants["alice_token"]
    after_march_3 = _cursor(json.dumps({"after": ["2026-03-03", "0"], "backwards": False}).encode())
    position = get(token, "/api/v1/transactions/", cursor=after_march_3, page_size=500).json()
    assert {t["date"] for t in position["results"]} == {"2026-03-02", "2026-03-01"}
    assert len(get(token, "/api/v1/transactions/", page_size="", cursor="").json()["results"]) == 24
    first = get(token, "/api/v1/transactions/", page_size=5).json()
    second = Client().get(first["next"], HTTP_AUTHORIZATION=f"Bearer {token}").json()
    back = Client().get(second["previous"], HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert back["results"] == first["results"]
