"""The Celery side of Plaid: retries through a real worker, and the scheduled fan-out."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from creditapp.tenancy.db import tenant_context
from finance.banking.tasks import sync_due_items, sync_item
from finance.models import PlaidItem, Transaction
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])


def test_a_failed_sync_is_retried_by_the_worker_and_loses_nothing(  # type: ignore[no-untyped-def]
    link_item, plaid_sandbox, celery_worker_process
) -> None:
    user = UserFactory()
    item = link_item(user.pk)
    plaid_sandbox.fault("api_error", item_id=item.item_id, endpoint="/transactions/sync", count=1)
    plaid_sandbox.fault("rate_limit", item_id=item.item_id, endpoint="/transactions/sync", count=1)
    sync_item.delay(user.pk, item.pk)
    expected = plaid_sandbox.item(item.item_id)["transactions"]
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with tenant_context(user.pk):
            if Transaction.objects.count() == expected:
                break
        time.sleep(0.5)
    with tenant_context(user.pk):
        assert Transaction.objects.count() == expected
        item.refresh_from_db()
    assert item.cursor and item.status == PlaidItem.Status.GOOD
    # Both failures really happened (the sandbox drops a fault once it has been used up).
    assert plaid_sandbox.http.get("/_sandbox/plaid/faults").json()["faults"] == []


def test_the_schedule_fans_out_one_sync_per_due_item(link_item, enqueued) -> None:  # type: ignore[no-untyped-def]
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    stale, fresh, broken = link_item(alice.pk), link_item(bob.pk), link_item(carol.pk)
    with tenant_context(alice.pk):
        PlaidItem.objects.filter(pk=stale.pk).update(last_synced_at=timezone.now() - timedelta(hours=7))
    with tenant_context(bob.pk):
        PlaidItem.objects.filter(pk=fresh.pk).update(last_synced_at=timezone.now() - timedelta(minutes=5))
    with tenant_context(carol.pk):
        PlaidItem.objects.filter(pk=broken.pk).update(status=PlaidItem.Status.LOGIN_REQUIRED)
    enqueued_before = len(enqueued())
    assert sync_due_items() == 1
    assert len(enqueued()) == enqueued_before + 1

    # A sync lost with its worker is queued again however recent the last good sync; one that is
    # merely running is not.
    dave = UserFactory()
    lost, running = link_item(dave.pk), link_item(dave.pk)
    with tenant_context(dave.pk):
        recently = timezone.now() - timedelta(minutes=5)
        PlaidItem.objects.filter(pk__in=[lost.pk, running.pk]).update(
            sync_state="running", last_synced_at=recently
        )
        PlaidItem.objects.filter(pk=lost.pk).update(sync_state_at=timezone.now() - timedelta(minutes=16))
        PlaidItem.objects.filter(pk=running.pk).update(sync_state_at=timezone.now())
    assert sync_due_items() == 2  # alice's stale item (nothing ran it here) and dave's lost sync
