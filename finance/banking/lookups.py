"""Looking across every tenant, through the audited maintenance path: what the fan-out schedules
look for, and whose item a webhook names."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from creditapp.tenancy.db import maintenance_access
from finance.banking.models import PlaidItem


def items_due_for_sync(*, max_age_hours: int) -> list[tuple[int, int]]:
    """(owner, item) of every healthy item not synced for `max_age_hours`, or whose last sync was lost."""
    now = timezone.now()
    cutoff = now - timedelta(hours=max_age_hours)
    pending = ~Q(sync_state=PlaidItem.SyncState.IDLE)
    lost = pending & (Q(sync_state_at__lt=now - PlaidItem.SYNC_STALE_AFTER) | Q(sync_state_at__isnull=True))
    with maintenance_access("schedule: find Plaid items due for a sync"):
        return list(
            PlaidItem.objects.exclude(status=PlaidItem.Status.LOGIN_REQUIRED)
            .filter(Q(last_synced_at__lt=cutoff) | Q(last_synced_at__isnull=True) | lost)
            .values_list("user_id", "pk")
        )


def items_for_liabilities_refresh() -> list[tuple[int, int]]:
    """(owner, item) of every item that does not need a re-login."""
    with maintenance_access("schedule: daily card liabilities refresh"):
        return list(
            PlaidItem.objects.exclude(status=PlaidItem.Status.LOGIN_REQUIRED).values_list("user_id", "pk")
        )


def owners_of_broken_items() -> set[int]:
    """Everyone with a bank connection that needs a re-login or whose consent is about to expire."""
    with maintenance_access("schedule: alert owners of bank connections that need attention"):
        return set(
            PlaidItem.objects.filter(
                status__in=(PlaidItem.Status.LOGIN_REQUIRED, PlaidItem.Status.PENDING_EXPIRATION)
            ).values_list("user_id", flat=True)
        )


def item_owner(item_id: str) -> tuple[int, int] | None:
    """(owner, item) of a Plaid item id a webhook names, or None when it is nobody's."""
    with maintenance_access("plaid webhook: find the item's owner"):
        return PlaidItem.objects.filter(item_id=item_id).values_list("user_id", "pk").first()
