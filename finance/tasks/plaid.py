"""Thin tasks: load by id, call a service. Each takes (user_id, item_pk) and runs in that tenant."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from creditapp.locks import redis_client
from creditapp.tenancy.db import maintenance_access
from finance import plaid
from finance.models import PlaidItem
from finance.services import items as item_services
from finance.services.sync import plaid_item_refresh_liabilities, plaid_item_sync

log = logging.getLogger(__name__)

RETRY = {"max_retries": 6, "retry_backoff": 5, "retry_backoff_max": 600, "retry_jitter": True}
SYNC_AGAIN_KEY = "plaid-sync-again:{}"


class TransientPlaidError(Exception):
    """Retry me: Plaid failed, rate-limited us or timed out."""


def _transient(error: plaid.PlaidError) -> Exception:
    return TransientPlaidError(str(error)) if error.transient else error


@shared_task(name="finance.plaid.sync_item", bind=True, autoretry_for=(TransientPlaidError,), **RETRY)
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
        sync_item.delay(user_id, item_pk)
    from finance.signals import item_synced

    item_synced.send(sender=PlaidItem, user_id=user_id, item_pk=item_pk)
    return {"added": result.added, "modified": result.modified, "removed": result.removed}


@shared_task(
    name="finance.plaid.refresh_liabilities", bind=True, autoretry_for=(TransientPlaidError,), **RETRY
)
def refresh_liabilities(self: Any, user_id: int, item_pk: int) -> int | None:
    try:
        return plaid_item_refresh_liabilities(user_id=user_id, item_pk=item_pk)
    except PlaidItem.DoesNotExist:
        return None
    except plaid.PlaidError as error:
        raise _transient(error) from error


@shared_task(name="finance.plaid.remove_item", bind=True, autoretry_for=(TransientPlaidError,), **RETRY)
def remove_item(self: Any, user_id: int, item_pk: int) -> None:
    try:
        item_services.plaid_item_remove(user_id=user_id, item_pk=item_pk)
    except PlaidItem.DoesNotExist:
        return
    except plaid.PlaidError as error:
        raise _transient(error) from error


@shared_task(name="finance.plaid.process_plaid_webhook")
def process_plaid_webhook(user_id: int, item_pk: int, payload: dict[str, Any]) -> None:
    """Act on a verified webhook (the view only verifies, finds the owner and enqueues this)."""
    kind = (payload.get("webhook_type"), payload.get("webhook_code"))
    error_code = (payload.get("error") or {}).get("error_code", "")
    if kind[0] == "TRANSACTIONS":  # SYNC_UPDATES_AVAILABLE, and the legacy codes, all mean "sync"
        sync_item.delay(user_id, item_pk)
    elif kind == ("LIABILITIES", "DEFAULT_UPDATE"):
        refresh_liabilities.delay(user_id, item_pk)
    elif kind == ("ITEM", "ERROR"):
        status = (
            PlaidItem.Status.LOGIN_REQUIRED
            if error_code == plaid.ITEM_LOGIN_REQUIRED
            else PlaidItem.Status.ERROR
        )
        item_services.plaid_item_set_status(
            user_id=user_id, item_pk=item_pk, status=status, error_code=error_code,
            error_message=(payload.get("error") or {}).get("error_message", ""),
        )  # fmt: skip
    elif kind == ("ITEM", "PENDING_EXPIRATION") or kind == ("ITEM", "PENDING_DISCONNECT"):
        expires = payload.get("consent_expiration_time")
        item_services.plaid_item_set_status(
            user_id=user_id,
            item_pk=item_pk,
            status=PlaidItem.Status.PENDING_EXPIRATION,
            consent_expires_at=datetime.fromisoformat(expires.replace("Z", "+00:00")) if expires else None,
        )
    elif kind == ("ITEM", "LOGIN_REPAIRED"):
        item_services.plaid_item_set_status(user_id=user_id, item_pk=item_pk, status=PlaidItem.Status.GOOD)
        sync_item.delay(user_id, item_pk)
    elif kind == ("ITEM", "NEW_ACCOUNTS_AVAILABLE"):
        item_services.plaid_item_flag_new_accounts(user_id=user_id, item_pk=item_pk)
    else:
        log.info("plaid webhook %s/%s for item %s ignored", *kind, item_pk)


# --- schedules (django-celery-beat) -----------------------------------------------------------------------
@shared_task(name="finance.plaid.sync_due_items")
def sync_due_items(max_age_hours: int = 6) -> int:
    """Fan out: one sync task per healthy item not synced recently, or whose last sync was lost."""
    now = timezone.now()
    cutoff = now - timedelta(hours=max_age_hours)
    pending = ~Q(sync_state=PlaidItem.SyncState.IDLE)
    lost = pending & (Q(sync_state_at__lt=now - PlaidItem.SYNC_STALE_AFTER) | Q(sync_state_at__isnull=True))
    with maintenance_access("schedule: find Plaid items due for a sync"):
        due = list(
            PlaidItem.objects.exclude(status=PlaidItem.Status.LOGIN_REQUIRED)
            .filter(Q(last_synced_at__lt=cutoff) | Q(last_synced_at__isnull=True) | lost)
            .values_list("user_id", "pk")
        )
    for user_id, item_pk in due:
        sync_item.delay(user_id, item_pk)
    return len(due)


@shared_task(name="finance.plaid.refresh_all_liabilities")
def refresh_all_liabilities() -> int:
    """Daily: one liabilities refresh per healthy item."""
    with maintenance_access("schedule: daily card liabilities refresh"):
        items = list(
            PlaidItem.objects.exclude(status=PlaidItem.Status.LOGIN_REQUIRED).values_list("user_id", "pk")
        )
    for user_id, item_pk in items:
        refresh_liabilities.delay(user_id, item_pk)
    return len(items)
