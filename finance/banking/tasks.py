"""Thin tasks: load by id, call a service. Each takes (user_id, item_pk) and runs bound to that tenant."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from creditapp.core.locks import redis_client
from creditapp.core.queue import enqueue_on_commit
from creditapp.core.retry import TransientError, task_retry
from creditapp.tenancy.tasks import TenantTask
from finance.banking import plaid
from finance.banking import webhooks as webhook_handling
from finance.banking.items import plaid_item_remove
from finance.banking.lookups import items_due_for_sync, items_for_liabilities_refresh
from finance.banking.models import PlaidItem
from finance.banking.sync import item_data_changed, plaid_item_refresh_liabilities, plaid_item_sync

log = logging.getLogger(__name__)

RETRY = task_retry(max_retries=6, backoff=5, backoff_max=600)
SYNC_AGAIN_KEY = "plaid-sync-again:{}"


def _transient(error: plaid.PlaidError) -> Exception:
    return TransientError(str(error)) if error.transient else error


@shared_task(name="finance.plaid.sync_item", base=TenantTask, bind=True, **RETRY)
def sync_item(self: Any, user_id: int, item_pk: int) -> dict[str, int] | None:
    try:
        result = plaid_item_sync(user_id=user_id, item_pk=item_pk)
    except PlaidItem.DoesNotExist:
        return None  # removed meanwhile
    except plaid.PlaidError as error:
        raise _transient(error) from error
    redis = redis_client()
    if result.skipped:
        # Another worker is syncing this item; make sure it looks again when it finishes, so an
        # update announced now is not lost.
        redis.set(SYNC_AGAIN_KEY.format(item_pk), 1, ex=3600)
        return None
    if redis.delete(SYNC_AGAIN_KEY.format(item_pk)):
        enqueue_on_commit("finance.plaid.sync_item", user_id, item_pk)
    item_data_changed(user_id=user_id)
    return {"added": result.added, "modified": result.modified, "removed": result.removed}


@shared_task(name="finance.plaid.refresh_liabilities", base=TenantTask, bind=True, **RETRY)
def refresh_liabilities(self: Any, user_id: int, item_pk: int) -> int | None:
    try:
        return plaid_item_refresh_liabilities(user_id=user_id, item_pk=item_pk)
    except PlaidItem.DoesNotExist:
        return None
    except plaid.PlaidError as error:
        raise _transient(error) from error


@shared_task(name="finance.plaid.remove_item", base=TenantTask, bind=True, **RETRY)
def remove_item(self: Any, user_id: int, item_pk: int) -> None:
    try:
        plaid_item_remove(user_id=user_id, item_pk=item_pk)
    except PlaidItem.DoesNotExist:
        return
    except plaid.PlaidError as error:
        raise _transient(error) from error


@shared_task(name="finance.plaid.process_plaid_webhook", base=TenantTask)
def process_plaid_webhook(user_id: int, item_pk: int, payload: dict[str, Any]) -> None:
    """Act on a verified webhook (the view only verifies, finds the owner and enqueues this)."""
    webhook_handling.plaid_webhook_handle(user_id=user_id, item_pk=item_pk, payload=payload)


# --- schedules (django-celery-beat) -----------------------------------------------------------------------
@shared_task(name="finance.plaid.sync_due_items")
def sync_due_items(max_age_hours: int = 6) -> int:
    """Fan out: one sync task per healthy item not synced recently, or whose last sync was lost."""
    due = items_due_for_sync(max_age_hours=max_age_hours)
    for user_id, item_pk in due:
        enqueue_on_commit("finance.plaid.sync_item", user_id, item_pk)
    return len(due)


@shared_task(name="finance.plaid.refresh_all_liabilities")
def refresh_all_liabilities() -> int:
    """Daily: one liabilities refresh per healthy item."""
    items = items_for_liabilities_refresh()
    for user_id, item_pk in items:
        enqueue_on_commit("finance.plaid.refresh_liabilities", user_id, item_pk)
    return len(items)
