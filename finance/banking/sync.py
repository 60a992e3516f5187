"""Pulling an item's data from Plaid into our tables.

Called inside the tenant's binding (the task base, or a command), never inside an open transaction:
the HTTP phase then runs outside any database transaction and each write phase is one short
transaction, so a slow bank never holds a connection open and a failed pass writes nothing (the
cursor only moves together with the rows it describes).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from creditapp.core import crypto
from creditapp.core.locks import lock
from creditapp.core.money import apr_to_bp, to_minor
from creditapp.core.queue import enqueue_on_commit
from finance.banking import plaid
from finance.banking.models import Account, BalanceSnapshot, CardLiability, PlaidItem
from finance.insights.dashboard import dashboard_invalidate
from finance.insights.rules import rules_apply
from notifications.models import WebhookEvent
from notifications.webhooks import webhook_event_emit

log = logging.getLogger(__name__)

SYNC_LOCK_SECONDS = int(PlaidItem.SYNC_STALE_AFTER.total_seconds())  # a dead worker's lock lapses with it
MAX_PASS_RESTARTS = 5
INSERT_BATCH = 5000
# Item states the person has to act on; entering one is a `connection.needs_attention` webhook.
ATTENTION_STATUSES = frozenset(
    {PlaidItem.Status.LOGIN_REQUIRED, PlaidItem.Status.ERROR, PlaidItem.Status.PENDING_EXPIRATION}
)


@dataclass
class SyncResult:
    added: int = 0
    modified: int = 0
    removed: int = 0
    restarts: int = 0
    skipped: bool = False


@dataclass
class _Pass:
    """Everything one full /transactions/sync pass returned, deduplicated by transaction id."""

    cursor: str
    upserts: dict[str, Any] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)
    added_count: int = 0
    modified_count: int = 0
    accounts: list[Any] = field(default_factory=list)


# --- what follows a change ---------------------------------------------------------------------------
def item_data_changed(*, user_id: int) -> None:
    """An item's data or status changed: the dashboard forgets its numbers and, once this commits,
    the alert engine looks again (a connection needing re-login is an alert too)."""
    dashboard_invalidate(user_id=user_id)
    enqueue_on_commit("finance.credit.evaluate_alerts", user_id)


# --- progress (shown on the connections page while a sync runs) ------------------------------------
def progress_key(item_pk: int) -> str:
    return f"plaid-sync-progress:{item_pk}"


def sync_progress(item_pk: int) -> dict[str, int] | None:
    return cache.get(progress_key(item_pk))


# --- the sync ------------------------------------------------------------------------------------------
def plaid_item_sync(*, user_id: int, item_pk: int) -> SyncResult:
    """Sync one item's transactions, balances and accounts. One sync per item at a time.

    Raises plaid.PlaidError on failures; transient ones are for the caller to retry.
    """
    item_lock = lock(f"plaid-sync:{item_pk}", timeout=SYNC_LOCK_SECONDS)
    if not item_lock.acquire(blocking=False):
        return SyncResult(skipped=True)
    try:
        with transaction.atomic():
            item = PlaidItem.objects.for_user(user_id).get(pk=item_pk)
            item.sync_state, item.sync_state_at = PlaidItem.SyncState.RUNNING, timezone.now()
            item.save(update_fields=["sync_state", "sync_state_at"])
        try:
            result = _sync(item)
        except plaid.PlaidError as error:
            _record_failure(user_id, item_pk, error)
            raise
        return result
    finally:
        cache.delete(progress_key(item_pk))
        PlaidItem.objects.filter(pk=item_pk, user_id=user_id).update(sync_state=PlaidItem.SyncState.IDLE)
        item_lock.release()


def _sync(item: PlaidItem) -> SyncResult:
    access_token = crypto.decrypt(item.access_token_encrypted)
    restarts = 0
    while True:
        try:
            fetched = _fetch_pass(item.pk, access_token, item.cursor)
            break
        except plaid.PlaidError as error:
            if error.error_code != plaid.MUTATION_DURING_PAGINATION or restarts >= MAX_PASS_RESTARTS:
                raise
            restarts += 1
            log.info("item %s changed during pagination; restarting from the saved cursor", item.pk)
    with transaction.atomic():
        accounts = accounts_upsert(user_id=item.user_id, item=item, plaid_accounts=fetched.accounts)
        rows = [_transaction_row(t, accounts) for t in fetched.upserts.values()]
        transactions_ingest(user_id=item.user_id, rows=[r for r in rows if r is not None])
        rules_apply(user_id=item.user_id, plaid_ids=list(fetched.upserts))
        replaced = {t.get("pending_transaction_id") for t in fetched.upserts.values()} - {None, ""}
        removed = transactions_remove(user_id=item.user_id, plaid_ids=fetched.removed | replaced)
        PlaidItem.objects.filter(pk=item.pk).update(
            cursor=fetched.cursor,
            last_synced_at=timezone.now(),
            **_cleared_error_fields(item),
        )
        result = SyncResult(
            added=fetched.added_count, modified=fetched.modified_count, removed=removed, restarts=restarts
        )
        if result.added or result.modified or result.removed:
            webhook_event_emit(
                user_id=item.user_id,
                event=WebhookEvent.TRANSACTIONS_CHANGED,
                data={
                    "source": "bank_sync", "connection_id": item.pk,
                    "added": result.added, "modified": result.modified, "removed": result.removed,
                },
            )  # fmt: skip
    return result


def _fetch_pass(item_pk: int, access_token: str, cursor: str) -> _Pass:
    fetched = _Pass(cursor=cursor)
    pages = 0
    while True:
        page = plaid.transactions_sync(access_token, fetched.cursor, settings.PLAID_SYNC_PAGE_SIZE)
        for added in page["added"]:
            fetched.upserts[added["transaction_id"]] = added
            fetched.removed.discard(added["transaction_id"])
        for modified in page["modified"]:
            fetched.upserts[modified["transaction_id"]] = modified
        for removed in page["removed"]:
            fetched.upserts.pop(removed["transaction_id"], None)
            fetched.removed.add(removed["transaction_id"])
        fetched.added_count += len(page["added"])
        fetched.modified_count += len(page["modified"])
        fetched.accounts = page["accounts"] or fetched.accounts
        fetched.cursor = str(page["next_cursor"])
        pages += 1
        cache.set(progress_key(item_pk), {"pages": pages, "transactions": len(fetched.upserts)}, 600)
        if not page["has_more"]:
            return fetched


def connection_needs_attention(*, item: PlaidItem, status: str, error_code: str = "") -> None:
    """Tell the person's webhooks that a connection has just entered a state that needs them (sign
    in again, an error, consent about to expire); called inside the transaction that changes it,
    and only on entering, not on every failure that finds it there already."""
    if status in ATTENTION_STATUSES and item.status != status:
        webhook_event_emit(
            user_id=item.user_id,
            event=WebhookEvent.CONNECTION_NEEDS_ATTENTION,
            data={
                "connection_id": item.pk, "institution_name": item.institution_name,
                "status": status, "error_code": error_code,
            },
        )  # fmt: skip


def _record_failure(user_id: int, item_pk: int, error: plaid.PlaidError) -> None:
    with transaction.atomic():
        item = PlaidItem.objects.for_user(user_id).select_for_update().filter(pk=item_pk).first()
        fields: dict[str, Any] = {"last_sync_error_at": timezone.now()}
        if error.error_code == plaid.ITEM_LOGIN_REQUIRED:
            fields.update(
                status=PlaidItem.Status.LOGIN_REQUIRED,
                error_code=error.error_code,
                error_message=error.message,
            )
        elif not error.transient:
            fields.update(
                status=PlaidItem.Status.ERROR, error_code=error.error_code, error_message=error.message
            )
        PlaidItem.objects.filter(pk=item_pk, user_id=user_id).update(**fields)
        if "status" in fields:  # re-login needed, or an error
            if item is not None:
                connection_needs_attention(item=item, status=fields["status"], error_code=error.error_code)
            item_data_changed(user_id=user_id)


def _cleared_error_fields(item: PlaidItem) -> dict[str, Any]:
    """A successful call proves the item works again: clear a login or error status."""
    if item.status in (PlaidItem.Status.LOGIN_REQUIRED, PlaidItem.Status.ERROR):
        return {"status": PlaidItem.Status.GOOD, "error_code": "", "error_message": ""}
    return {}


# --- writes ----------------------------------------------------------------------------------------------
def accounts_upsert(
    *, user_id: int, item: PlaidItem, plaid_accounts: Iterable[dict[str, Any]]
) -> dict[str, int]:
    """Create or update the item's accounts (Plaid JSON) and today's balance snapshot; returns
    external id → pk."""
    today = timezone.localdate()
    for remote in plaid_accounts:
        balances = remote["balances"]
        currency = balances.get("iso_currency_code") or balances.get("unofficial_currency_code") or "USD"
        account, _ = Account.objects.update_or_create(
            user_id=user_id,
            external_id=remote["account_id"],
            defaults={
                "item": item,
                "institution_name": item.institution_name,
                "name": remote["name"],
                "official_name": remote.get("official_name") or "",
                "mask": remote.get("mask") or "",
                "type": remote["type"],
                "subtype": remote.get("subtype") or "",
                "current_balance_minor": to_minor(balances.get("current"), currency),
                "available_balance_minor": to_minor(balances.get("available"), currency),
                "credit_limit_minor": to_minor(balances.get("limit"), currency),
                "currency": currency,
            },
        )
        BalanceSnapshot.objects.update_or_create(
            user_id=user_id,
            account=account,
            date=today,
            defaults={
                "current_minor": account.current_balance_minor,
                "available_minor": account.available_balance_minor,
                "limit_minor": account.credit_limit_minor,
                "currency": currency,
            },
        )
    return dict(Account.objects.for_user(user_id).values_list("external_id", "pk"))


def _transaction_row(remote: dict[str, Any], accounts: dict[str, int]) -> tuple[Any, ...] | None:
    account_pk = accounts.get(remote["account_id"])
    if account_pk is None:
        log.warning(
            "transaction %s for unknown account %s skipped", remote["transaction_id"], remote["account_id"]
        )
        return None
    currency = remote.get("iso_currency_code") or remote.get("unofficial_currency_code") or "USD"
    category = remote.get("personal_finance_category") or {}
    return (
        account_pk,
        remote["transaction_id"],
        to_minor(remote["amount"], currency),
        currency,
        remote["date"],
        remote.get("authorized_date"),
        (remote.get("name") or remote.get("merchant_name") or "Transaction")[:300],
        (remote.get("merchant_name") or "")[:200],
        category.get("primary") or "",
        category.get("detailed") or "",
        remote.get("payment_channel") or "",
        bool(remote["pending"]),
        remote.get("pending_transaction_id") or "",
    )


# (column, PostgreSQL type) in the order _transaction_row builds its tuples.
TRANSACTION_COLUMNS = (
    ("account_id", "bigint"), ("plaid_transaction_id", "text"), ("amount_minor", "bigint"),
    ("currency", "text"), ("date", "date"), ("authorized_date", "date"), ("name", "text"),
    ("merchant_name", "text"), ("category_primary", "text"), ("category_detailed", "text"),
    ("payment_channel", "text"), ("pending", "boolean"), ("pending_transaction_id", "text"),
)  # fmt: skip
# Built from the constant column list above, never from input.
INSERT_SQL = (
    "INSERT INTO finance_transaction (user_id, created_at, updated_at, "  # noqa: S608
    + ", ".join(name for name, _ in TRANSACTION_COLUMNS)
    + ") SELECT %s, %s, %s, * FROM unnest("
    + ", ".join(f"%s::{kind}[]" for _, kind in TRANSACTION_COLUMNS)
    + ")"
)
UPSERT_SQL = (
    INSERT_SQL
    + " ON CONFLICT (user_id, plaid_transaction_id) DO UPDATE SET updated_at = EXCLUDED.updated_at, "
    + ", ".join(
        f"{name} = EXCLUDED.{name}" for name, _ in TRANSACTION_COLUMNS if name != "plaid_transaction_id"
    )
)


def transactions_ingest(*, user_id: int, rows: Sequence[tuple[Any, ...]], sql: str = UPSERT_SQL) -> int:
    """Bulk upsert keyed on (user_id, plaid transaction id), one statement per INSERT_BATCH rows.

    COPY is refused on RLS tables (DESIGN §4), so the rows travel as one array per column through
    `unnest`, bound server-side: about 4x faster than a multi-row VALUES list. Rows are tuples in
    TRANSACTION_COLUMNS order. Must run inside the tenant's context.
    """
    now = timezone.now()
    connection.ensure_connection()
    cursor = psycopg.Cursor(connection.connection)  # server-side binding, inside Django's transaction
    for start in range(0, len(rows), INSERT_BATCH):
        columns = [list(values) for values in zip(*rows[start : start + INSERT_BATCH], strict=True)]
        cursor.execute(sql, [user_id, now, now, *columns])
    return len(rows)


def transactions_remove(*, user_id: int, plaid_ids: Iterable[str]) -> int:
    ids = list(plaid_ids)
    if not ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM finance_transaction WHERE user_id = %s AND plaid_transaction_id = ANY(%s)",
            [user_id, ids],
        )
        return int(cursor.rowcount)


# --- liabilities -----------------------------------------------------------------------------------------
def plaid_item_refresh_liabilities(*, user_id: int, item_pk: int) -> int:
    """Refresh balances and card liabilities; returns how many cards were updated."""
    item = PlaidItem.objects.for_user(user_id).get(pk=item_pk)
    access_token = crypto.decrypt(item.access_token_encrypted)
    try:
        response = plaid.liabilities_get(access_token)
    except plaid.PlaidError as error:
        if error.error_code in (plaid.PRODUCTS_NOT_SUPPORTED, plaid.NO_LIABILITY_ACCOUNTS):
            return 0
        _record_failure(user_id, item_pk, error)
        raise
    cards = response["liabilities"].get("credit") or []
    with transaction.atomic():
        accounts = accounts_upsert(user_id=user_id, item=item, plaid_accounts=response["accounts"])
        currencies = dict(Account.objects.for_user(user_id).values_list("pk", "currency"))
        updated = 0
        for card in cards:
            account_pk = accounts.get(card.get("account_id"))
            if account_pk is None:
                continue
            currency = currencies[account_pk]
            aprs = [
                {
                    "type": apr["apr_type"],
                    "apr_bp": apr_to_bp(apr["apr_percentage"]),
                    "balance_subject_minor": to_minor(apr.get("balance_subject_to_apr"), currency),
                }
                for apr in card.get("aprs") or []
            ]
            purchase = next((a["apr_bp"] for a in aprs if a["type"] == "purchase_apr"), None)
            CardLiability.objects.update_or_create(
                user_id=user_id,
                account_id=account_pk,
                defaults={
                    "purchase_apr_bp": purchase,
                    "aprs": aprs,
                    "last_statement_balance_minor": to_minor(card.get("last_statement_balance"), currency),
                    "last_statement_issue_date": card.get("last_statement_issue_date"),
                    "minimum_payment_minor": to_minor(card.get("minimum_payment_amount"), currency),
                    "next_payment_due_date": card.get("next_payment_due_date"),
                    "is_overdue": bool(card.get("is_overdue")),
                    "last_payment_amount_minor": to_minor(card.get("last_payment_amount"), currency),
                    "last_payment_date": card.get("last_payment_date"),
                    "currency": currency,
                },
            )
            updated += 1
        PlaidItem.objects.filter(pk=item_pk).update(
            liabilities_refreshed_at=timezone.now(), **_cleared_error_fields(item)
        )
    return updated
