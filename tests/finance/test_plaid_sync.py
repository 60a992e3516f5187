"""Linking and syncing against the local Plaid sandbox over real HTTP with real plaid-python."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from creditapp.core import crypto
from creditapp.tenancy.db import tenant_binding, tenant_context
from finance.banking import plaid
from finance.banking.items import plaid_item_relinked
from finance.banking.sync import plaid_item_refresh_liabilities, plaid_item_sync
from finance.models import Account, CardLiability, PlaidItem, Transaction
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])


def db_transaction_ids(user_id: int) -> list[str]:
    with tenant_context(user_id):
        return list(Transaction.objects.values_list("plaid_transaction_id", flat=True))


def test_link_exchange_sync_puts_rows_in_the_database(link_item, plaid_sandbox) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory()
    item = link_item(user.pk)
    with tenant_binding(user.pk):
        result = plaid_item_sync(user_id=user.pk, item_pk=item.pk)
    remote = plaid_sandbox.item(item.item_id)
    assert result.added == remote["transactions"] > 50
    ids = db_transaction_ids(user.pk)
    assert len(ids) == len(set(ids)) == remote["transactions"]
    with tenant_context(user.pk):
        item.refresh_from_db()
        assert item.cursor and item.last_synced_at and item.sync_state == "idle"
        accounts = {a.external_id: a for a in Account.objects.all()}
        assert set(accounts) == {a["account_id"] for a in remote["accounts"]}
        card = next(a for a in accounts.values() if a.type == "credit")
        assert card.credit_limit_minor and card.credit_limit_minor > 0
        assert Transaction.objects.filter(pending=True).count() == remote["pending"]
        sample = Transaction.objects.exclude(merchant_name="").first()
        assert sample is not None and sample.category_primary and isinstance(sample.amount_minor, int)

    # A second sync with nothing new changes nothing.
    with tenant_binding(user.pk):
        again = plaid_item_sync(user_id=user.pk, item_pk=item.pk)
    assert (again.added, again.modified, again.removed) == (0, 0, 0)
    assert len(db_transaction_ids(user.pk)) == remote["transactions"]


def test_card_liabilities_are_stored_in_minor_units(link_item) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory()
    item = link_item(user.pk)
    with tenant_binding(user.pk):
        assert plaid_item_refresh_liabilities(user_id=user.pk, item_pk=item.pk) >= 1
    with tenant_context(user.pk):
        liability = CardLiability.objects.select_related("account").first()
        assert liability is not None and liability.account.type == "credit"
        assert liability.purchase_apr_bp and 500 < liability.purchase_apr_bp < 4000
        assert liability.minimum_payment_minor is not None and liability.next_payment_due_date is not None
        assert any(apr["type"] == "purchase_apr" for apr in liability.aprs)


def test_mutation_during_pagination_restarts_and_ends_correct(link_item, plaid_sandbox) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory()
    item = link_item(user.pk)
    plaid_sandbox.fault("mutation_during_pagination", item_id=item.item_id, endpoint="/transactions/sync")
    with pytest.MonkeyPatch.context() as patch:
        from django.conf import settings

        patch.setattr(settings, "PLAID_SYNC_PAGE_SIZE", 100)  # several pages, so the fault can strike
        with tenant_binding(user.pk):
            result = plaid_item_sync(user_id=user.pk, item_pk=item.pk)
    assert result.restarts == 1
    remote = plaid_sandbox.item(item.item_id)
    ids = db_transaction_ids(user.pk)
    assert len(ids) == len(set(ids)) == remote["transactions"]


def test_removed_and_pending_to_posted_on_a_dynamic_item(link_item, plaid_sandbox) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory()
    item = link_item(user.pk, username="user_transactions_dynamic")
    with tenant_binding(user.pk):
        plaid_item_sync(user_id=user.pk, item_pk=item.pk)
    with tenant_context(user.pk):
        pending_before = set(
            Transaction.objects.filter(pending=True).values_list("plaid_transaction_id", flat=True)
        )
    assert pending_before

    plaid_sandbox.mutate(item.item_id, webhook=False)
    with tenant_binding(user.pk):
        result = plaid_item_sync(user_id=user.pk, item_pk=item.pk)
    assert result.removed > 0
    remote = plaid_sandbox.item(item.item_id)
    ids = db_transaction_ids(user.pk)
    assert len(ids) == len(set(ids)) == remote["transactions"]
    with tenant_context(user.pk):
        posted = Transaction.objects.exclude(pending_transaction_id="")
        replaced = set(posted.values_list("pending_transaction_id", flat=True))
        assert replaced, "some pending transactions should have posted"
        # The posted transaction replaced its pending one rather than duplicating it.
        assert not Transaction.objects.filter(plaid_transaction_id__in=replaced).exists()
        assert replaced <= pending_before


def test_item_login_required_marks_the_item_then_update_mode_clears_it(link_item, plaid_sandbox) -> None:  # type: ignore[no-untyped-def]
    import httpx

    user = UserFactory()
    item = link_item(user.pk)
    with tenant_binding(user.pk):
        plaid_item_sync(user_id=user.pk, item_pk=item.pk)
    access_token = crypto.decrypt(item.access_token_encrypted)
    plaid_sandbox.reset_login(access_token)

    with pytest.raises(plaid.PlaidError) as failure, tenant_binding(user.pk):
        plaid_item_sync(user_id=user.pk, item_pk=item.pk)
    assert failure.value.error_code == plaid.ITEM_LOGIN_REQUIRED and not failure.value.transient
    with tenant_context(user.pk):
        item.refresh_from_db()
    assert item.status == PlaidItem.Status.LOGIN_REQUIRED
    cursor_before = item.cursor

    # Link update mode: a token made from the item's access token, completed on the Link page.
    token = plaid.link_token_create(
        user_id=user.pk, redirect_uri="http://testserver/cb", access_token=access_token
    )
    link_page = httpx.get(plaid.link_url(token) or "", timeout=10)
    assert link_page.status_code == 200
    done = httpx.post(
        link_page.url.copy_with(query=None),
        data={"token": token, "username": "user_good", "password": "pass_good"},
        timeout=10,
    )
    assert done.status_code == 302 and "public_token=" in done.headers["location"]

    with tenant_binding(user.pk):
        plaid_item_relinked(user_id=user.pk, item_pk=item.pk)
    with tenant_context(user.pk):
        item.refresh_from_db()
    assert (item.status, item.error_code) == (PlaidItem.Status.GOOD, "")
    assert item.cursor == cursor_before  # the failed sync moved nothing
    with tenant_binding(user.pk):
        assert plaid_item_sync(user_id=user.pk, item_pk=item.pk).skipped is False


@pytest.mark.parametrize("fault", ["api_error", "rate_limit", "timeout"])
def test_transient_failures_keep_the_cursor_and_lose_nothing(
    link_item, plaid_sandbox, settings, fault
) -> None:  # type: ignore[no-untyped-def]
    settings.PLAID_TIMEOUT_SECONDS = 1
    plaid._api.cache_clear()
    user = UserFactory()
    item = link_item(user.pk)
    plaid_sandbox.fault(fault, item_id=item.item_id, endpoint="/transactions/sync", seconds=3)
    with pytest.raises(plaid.PlaidError) as failure, tenant_binding(user.pk):
        plaid_item_sync(user_id=user.pk, item_pk=item.pk)
    assert failure.value.transient
    with tenant_context(user.pk):
        item.refresh_from_db()
    assert item.cursor == "" and item.status == PlaidItem.Status.GOOD
    assert db_transaction_ids(user.pk) == []
    # The retry succeeds and everything arrives.
    with tenant_binding(user.pk):
        plaid_item_sync(user_id=user.pk, item_pk=item.pk)
    assert len(db_transaction_ids(user.pk)) == plaid_sandbox.item(item.item_id)["transactions"]


def test_two_concurrent_syncs_of_one_item_run_once(link_item, plaid_sandbox) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory()
    item = link_item(user.pk)
    plaid_sandbox.fault("latency", item_id=item.item_id, endpoint="/transactions/sync", seconds=2, count=None)
    results = []

    def run() -> None:
        try:
            with tenant_binding(user.pk):
                results.append(plaid_item_sync(user_id=user.pk, item_pk=item.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.skipped for r in results) == [False, True]
    ids = db_transaction_ids(user.pk)
    assert len(ids) == len(set(ids)) == plaid_sandbox.item(item.item_id)["transactions"]


def test_the_access_token_is_stored_encrypted(link_item, plaid_sandbox) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory()
    item = link_item(user.pk)
    token = plaid_sandbox.item(item.item_id)["access_token"]
    assert token.startswith("access-sandbox-")
    with tenant_context(user.pk), connection.cursor() as cursor:
        cursor.execute("SELECT access_token_encrypted FROM finance_plaiditem WHERE id = %s", [item.pk])
        stored = cursor.fetchone()[0]
    assert token not in stored and "access-" not in stored
    assert crypto.decrypt(stored) == token
