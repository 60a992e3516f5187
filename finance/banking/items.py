"""Connecting, repairing and removing Plaid items."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import router, transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User
from creditapp.core import crypto
from creditapp.core.locks import redis_client
from creditapp.core.queue import enqueue_on_commit
from finance.banking import plaid
from finance.banking.models import PlaidItem
from finance.banking.sync import accounts_upsert, connection_needs_attention, item_data_changed

log = logging.getLogger(__name__)


def link_token_for_new_item(*, user_id: int, redirect_uri: str) -> str:
    return plaid.link_token_create(user_id=user_id, redirect_uri=redirect_uri)


def link_token_for_relink(*, user_id: int, item_pk: int, redirect_uri: str) -> str:
    """Link update mode: a token made with the item's access token and no products."""
    item = PlaidItem.objects.for_user(user_id).get(pk=item_pk)
    return plaid.link_token_create(
        user_id=user_id, redirect_uri=redirect_uri, access_token=crypto.decrypt(item.access_token_encrypted)
    )


def plaid_item_link(
    *, user_id: int, public_token: str, institution_id: str = "", institution_name: str = ""
) -> PlaidItem:
    """Exchange Link's public token, store the item with its access token encrypted, create its
    accounts and queue the first sync (Plaid only sends sync webhooks after one sync)."""
    access_token, item_id = plaid.public_token_exchange(public_token)
    remote = plaid.accounts_get(access_token)
    institution_id = institution_id or str(remote["item"].get("institution_id") or "")
    institution_name = institution_name or str(remote["item"].get("institution_name") or "") or "Bank"
    with transaction.atomic():
        item, _created = PlaidItem.objects.update_or_create(
            user_id=user_id,
            item_id=item_id,
            defaults={
                "institution_id": institution_id,
                "institution_name": institution_name,
                "access_token_encrypted": crypto.encrypt(access_token),
                "status": PlaidItem.Status.GOOD,
                "error_code": "",
                "error_message": "",
                "sync_state": PlaidItem.SyncState.QUEUED,
                "sync_state_at": timezone.now(),
            },
        )
        accounts_upsert(user_id=user_id, item=item, plaid_accounts=remote["accounts"])
        audit_record(
            "plaid.item_linked", user_id=user_id, details={"item": item.pk, "institution": institution_name}
        )
        plaid_item_enqueue_sync(item=item)
    return item


def plaid_item_enqueue_sync(*, item: PlaidItem) -> None:
    PlaidItem.objects.filter(pk=item.pk).update(
        sync_state=PlaidItem.SyncState.QUEUED, sync_state_at=timezone.now()
    )
    using = router.db_for_write(PlaidItem)
    enqueue_on_commit("finance.plaid.sync_item", item.user_id, item.pk, using=using)
    enqueue_on_commit("finance.plaid.refresh_liabilities", item.user_id, item.pk, using=using)


SYNC_NOW_COOLDOWN_SECONDS = 30


def _sync_now_key(item_pk: int) -> str:
    return f"sync-now:{item_pk}"


def plaid_item_sync_now(*, item: PlaidItem) -> int:
    """The person's "Sync now", from the connections page or the API: queue a sync unless one was asked
    for within the cooldown. Returns 0 when queued, else the seconds until another may be asked for."""
    key = _sync_now_key(item.pk)
    if not cache.add(key, 1, SYNC_NOW_COOLDOWN_SECONDS):
        return max(1, int(redis_client().ttl(cache.make_key(key))))
    plaid_item_enqueue_sync(item=item)
    item.sync_state, item.sync_state_at = PlaidItem.SyncState.QUEUED, timezone.now()
    return 0


def plaid_item_sync_request(*, user_id: int, item_pk: int, actor: User) -> None:
    """Staff's "sync now", which also retries a failed sync: queue a sync of the item and its cards."""
    # The alias the writes go to: maint when staff act from the admin.
    with transaction.atomic(using=router.db_for_write(PlaidItem)):
        item = PlaidItem.objects.for_user(user_id).get(pk=item_pk)
        plaid_item_enqueue_sync(item=item)
        audit_record("plaid.item_sync_requested", user_id=user_id, actor=actor, details={"item": item_pk})


def plaid_item_reset_cursor(*, user_id: int, item_pk: int, actor: User) -> None:
    """Forget the sync cursor and queue a sync, which then fetches the item's whole history again
    (rows already stored are updated in place, not duplicated)."""
    with transaction.atomic(using=router.db_for_write(PlaidItem)):
        item = PlaidItem.objects.for_user(user_id).select_for_update().get(pk=item_pk)
        item.cursor = ""
        item.save(update_fields=["cursor"])
        plaid_item_enqueue_sync(item=item)
        audit_record("plaid.item_cursor_reset", user_id=user_id, actor=actor, details={"item": item_pk})


def plaid_item_relinked(*, user_id: int, item_pk: int) -> PlaidItem:
    """After Link update mode succeeds: confirm with Plaid, clear the error, sync again."""
    item = PlaidItem.objects.for_user(user_id).get(pk=item_pk)
    remote = plaid.item_get(crypto.decrypt(item.access_token_encrypted))
    error = remote.item.get("error")
    with transaction.atomic():
        if error:
            connection_needs_attention(
                item=item, status=PlaidItem.Status.LOGIN_REQUIRED, error_code=str(error.error_code)
            )
            item.status = PlaidItem.Status.LOGIN_REQUIRED
            item.error_code = str(error.error_code)
        else:
            item.status, item.error_code, item.error_message = PlaidItem.Status.GOOD, "", ""
            plaid_item_enqueue_sync(item=item)
        item.save(update_fields=["status", "error_code", "error_message"])
        audit_record("plaid.item_relinked", user_id=user_id, details={"item": item.pk, "ok": not error})
    return item


def plaid_item_remove(*, user_id: int, item_pk: int) -> None:
    """Revoke the item at Plaid, then delete it with its accounts and transactions."""
    item = PlaidItem.objects.for_user(user_id).get(pk=item_pk)
    try:
        plaid.item_remove(crypto.decrypt(item.access_token_encrypted))
    except plaid.PlaidError as error:
        if error.transient:
            raise
        log.warning("item %s: /item/remove answered %s; deleting our copy anyway", item_pk, error)
    with transaction.atomic():
        PlaidItem.objects.filter(pk=item_pk, user_id=user_id).delete()
        audit_record(
            "plaid.item_removed",
            user_id=user_id,
            details={"item": item_pk, "institution": item.institution_name},
        )


def plaid_item_set_status(
    *, user_id: int, item_pk: int, status: str, error_code: str = "", error_message: str = "",
    consent_expires_at: datetime | None = None,
) -> None:  # fmt: skip
    with transaction.atomic():
        fields: dict[str, Any] = {"status": status, "error_code": error_code, "error_message": error_message}
        if consent_expires_at:
            fields["consent_expires_at"] = consent_expires_at
        item = PlaidItem.objects.for_user(user_id).select_for_update().filter(pk=item_pk).first()
        if item is not None:
            connection_needs_attention(item=item, status=status, error_code=error_code)
        PlaidItem.objects.filter(pk=item_pk, user_id=user_id).update(**fields)
        item_data_changed(user_id=user_id)
        audit_record(
            "plaid.item_status",
            user_id=user_id,
            details={"item": item_pk, "status": status, "code": error_code},
        )


def plaid_item_flag_new_accounts(*, user_id: int, item_pk: int) -> None:
    PlaidItem.objects.filter(pk=item_pk, user_id=user_id).update(new_accounts_available=True)
