"""Acting on Plaid's webhooks, once verified (`finance.banking.verification`) and their owner found."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from creditapp.core.queue import enqueue_on_commit
from finance.banking import items, plaid
from finance.banking.models import PlaidItem

log = logging.getLogger(__name__)


def plaid_webhook_handle(*, user_id: int, item_pk: int, payload: dict[str, Any]) -> None:
    kind = (payload.get("webhook_type"), payload.get("webhook_code"))
    error = payload.get("error") or {}
    if kind[0] == "TRANSACTIONS":  # SYNC_UPDATES_AVAILABLE, and the legacy codes, all mean "sync"
        enqueue_on_commit("finance.plaid.sync_item", user_id, item_pk)
    elif kind == ("LIABILITIES", "DEFAULT_UPDATE"):
        enqueue_on_commit("finance.plaid.refresh_liabilities", user_id, item_pk)
    elif kind == ("ITEM", "ERROR"):
        error_code = error.get("error_code", "")
        status = (
            PlaidItem.Status.LOGIN_REQUIRED
            if error_code == plaid.ITEM_LOGIN_REQUIRED
            else PlaidItem.Status.ERROR
        )
        items.plaid_item_set_status(
            user_id=user_id, item_pk=item_pk, status=status, error_code=error_code,
            error_message=error.get("error_message", ""),
        )  # fmt: skip
    elif kind in (("ITEM", "PENDING_EXPIRATION"), ("ITEM", "PENDING_DISCONNECT")):
        expires = payload.get("consent_expiration_time")
        items.plaid_item_set_status(
            user_id=user_id,
            item_pk=item_pk,
            status=PlaidItem.Status.PENDING_EXPIRATION,
            consent_expires_at=datetime.fromisoformat(expires.replace("Z", "+00:00")) if expires else None,
        )
    elif kind == ("ITEM", "LOGIN_REPAIRED"):
        items.plaid_item_set_status(user_id=user_id, item_pk=item_pk, status=PlaidItem.Status.GOOD)
        enqueue_on_commit("finance.plaid.sync_item", user_id, item_pk)
    elif kind == ("ITEM", "NEW_ACCOUNTS_AVAILABLE"):
        items.plaid_item_flag_new_accounts(user_id=user_id, item_pk=item_pk)
    else:
        log.info("plaid webhook %s/%s for item %s ignored", *kind, item_pk)
