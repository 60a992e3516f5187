"""What one key-authenticated API request sends to PostgreSQL, statement by statement.

The authentication path is most of a small request's cost, so these counts are exact: a new statement
on this path should be a decision, not an accident. The plan is read once per request, whichever of
the authentication, the throttle, the permission and the view asks for it, and the key's last use is
written at most once a minute.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connections
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from rest_framework.request import Request

from accounts.api_keys import api_key_create
from billing.selectors import entitlements_for_request
from creditapp.tenancy.db import tenant_context
from finance.models import Transaction
from tests.billing.conftest import make_user, put_on_plan
from tests.finance.factories import AccountFactory

pytestmark = [pytest.mark.django_db(transaction=True, databases=["default", "maint"])]

# What a key-authenticated request does before its view runs: find the key (and its owner; the key
# table is outside RLS), make the owner the tenant, read the owner's plan.
AUTHENTICATION = ["SELECT accounts_apikey", "SELECT set_config", "SELECT billing_subscription"]


def statement(sql: str) -> str:
    """`BEGIN`, `COMMIT`, or the verb and the first table it names: `SELECT finance_transaction`."""
    verb = sql.split(None, 1)[0].upper()
    if verb in {"BEGIN", "COMMIT", "ROLLBACK"}:
        return verb
    if "set_config(" in sql:
        return "SELECT set_config"
    table = re.search(r'(?:FROM|UPDATE|INTO)\s+"(\w+)"', sql)
    return f"{verb} {table.group(1) if table else '?'}"


def sent(token: str, url: str) -> tuple[int, list[str], int]:
    """The response's status, the statements sent on the app's connection, and the number sent
    through the maintenance role's."""
    with (
        CaptureQueriesContext(connections["default"]) as app,
        CaptureQueriesContext(connections["maint"]) as maint,
    ):
        response = Client().get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    return response.status_code, [statement(query["sql"]) for query in app.captured_queries], len(maint)


@pytest.fixture
def pro_key() -> str:
    user = make_user(joined_days_ago=30)
    put_on_plan(user, "pro")
    with tenant_context(user.pk):
        account = AccountFactory(user=user)
        Transaction.objects.create(
            user=user, account_id=account.pk, plaid_transaction_id="t-1", amount_minor=1191, currency="USD",
            date="2026-03-01", name="Safeway",
        )  # fmt: skip
    token = api_key_create(owner_id=user.pk, name="cli").token
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200  # first use
    return token


def test_me_sends_five_statements(pro_key: str) -> None:
    status, statements, through_maint = sent(pro_key, "/api/v1/me/")
    assert status == 200
    assert statements == ["BEGIN", *AUTHENTICATION, "COMMIT"]
    assert through_maint == 0


def test_the_transaction_list_sends_six_statements(pro_key: str) -> None:
    status, statements, through_maint = sent(pro_key, "/api/v1/transactions/")
    assert status == 200
    assert statements == ["BEGIN", *AUTHENTICATION, "SELECT finance_transaction", "COMMIT"]
    assert through_maint == 0


def test_a_keys_first_use_also_records_it() -> None:
    user = make_user(joined_days_ago=30)
    put_on_plan(user, "pro")
    token = api_key_create(owner_id=user.pk, name="cli").token
    status, statements, _ = sent(token, "/api/v1/me/")
    assert status == 200
    assert statements == [
        "BEGIN",
        "SELECT accounts_apikey",
        "UPDATE accounts_apikey",
        *AUTHENTICATION[1:],
        "COMMIT",
    ]


def test_a_refused_request_reads_the_plan_once_and_rolls_back() -> None:
    """A plan without API access: 402, and like every refused request it rolls back, the record of
    the key's use included (so each refused request tries that write again)."""
    user = make_user(joined_days_ago=30)
    put_on_plan(user, "basic")
    new = api_key_create(owner_id=user.pk, name="old key")
    sent(new.token, "/api/v1/me/")
    status, statements, _ = sent(new.token, "/api/v1/me/")
    assert status == 402
    assert statements == [
        "BEGIN",
        "SELECT accounts_apikey",
        "UPDATE accounts_apikey",
        *AUTHENTICATION[1:],
        "ROLLBACK",
    ]
    new.key.refresh_from_db()
    assert new.key.last_used_at is None


def test_drf_and_django_requests_share_one_plan_lookup(django_assert_num_queries: Any) -> None:
    user = make_user(joined_days_ago=30)
    put_on_plan(user, "pro")
    http_request = RequestFactory().get("/api/v1/me/")
    http_request.user = user
    api_request = Request(http_request)
    api_request.user = user
    with tenant_context(user.pk), django_assert_num_queries(1):
        assert entitlements_for_request(api_request).plan.code == "pro"
        assert entitlements_for_request(http_request).plan.code == "pro"
