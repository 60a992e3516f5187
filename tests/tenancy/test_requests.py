"""The web and API layers on one reused connection (DESIGN §4's traps, run for real)."""

from __future__ import annotations

import pytest
from django.db import close_old_connections, connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from creditapp.tenancy.db import maintenance_access, tenant_context
from finance.models import Account
from tests.accounts.factories import UserFactory
from tests.finance.factories import AccountFactory

pytestmark = [
    pytest.mark.urls("tests.tenancy.urls"),
    pytest.mark.django_db(transaction=True, databases=["default", "maint"]),
]


@pytest.fixture
def alice_and_bob():  # type: ignore[no-untyped-def]
    alice, bob = UserFactory(), UserFactory()
    with tenant_context(alice.pk):
        AccountFactory(user=alice, name="alice checking")
    with tenant_context(bob.pk):
        AccountFactory(user=bob, name="bob savings")
    with maintenance_access("test: prove the rows exist"):
        assert Account.objects.count() == 2
    return alice, bob


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def test_reused_connection_never_carries_a_tenant_to_the_next_request(alice_and_bob) -> None:  # type: ignore[no-untyped-def]
    alice, bob = alice_and_bob
    client = Client()
    close_old_connections()
    pid = backend_pid()

    client.force_login(alice)
    assert client.get("/all-accounts").json() == {"names": ["alice checking"]}
    close_old_connections()  # what a real server does at request end (the test client skips it)
    assert Account.objects.count() == 0

    client.force_login(bob)
    assert client.get("/all-accounts").json() == {"names": ["bob savings"]}
    close_old_connections()

    client.logout()
    assert client.get("/all-accounts").json() == {"names": []}
    close_old_connections()
    assert backend_pid() == pid  # it really was the same server connection throughout
    assert Account.objects.count() == 0


def test_token_only_api_view_ignores_the_session_cookie_tenant(alice_and_bob) -> None:  # type: ignore[no-untyped-def]
    alice, _ = alice_and_bob
    client = Client()
    client.force_login(alice)
    assert client.get("/all-accounts").json() == {"names": ["alice checking"]}
    assert client.get("/api/token-only").json() == {"names": []}


def test_crashing_view_rolls_back_its_writes(alice_and_bob) -> None:  # type: ignore[no-untyped-def]
    alice, _ = alice_and_bob
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    assert client.get("/crash").status_code == 500
    with tenant_context(alice.pk):
        assert list(Account.objects.values_list("name", flat=True)) == ["alice checking"]


def test_a_normal_request_never_touches_the_maint_alias(alice_and_bob) -> None:  # type: ignore[no-untyped-def]
    alice, _ = alice_and_bob
    client = Client()
    client.force_login(alice)
    with CaptureQueriesContext(connections["maint"]) as maint_queries:
        assert client.get("/all-accounts").status_code == 200
    assert len(maint_queries) == 0
