"""The alert engine as Celery tasks (named `finance.credit.*` since the schedules first named them)."""

from __future__ import annotations

from celery import shared_task

from creditapp.core.queue import enqueue_on_commit
from creditapp.tenancy.tasks import TenantTask
from finance.alerts.engine import alerts_evaluate
from finance.banking.lookups import owners_of_broken_items


@shared_task(name="finance.credit.evaluate_alerts", base=TenantTask)
def evaluate_alerts(user_id: int) -> int:
    return len(alerts_evaluate(user_id=user_id))


@shared_task(name="finance.credit.evaluate_alerts_for_broken_connections")
def evaluate_alerts_for_broken_connections() -> int:
    """Hourly: no sync runs for an item that needs re-login, so nothing else would tell its owner."""
    user_ids = owners_of_broken_items()
    for user_id in user_ids:
        enqueue_on_commit("finance.credit.evaluate_alerts", user_id)
    return len(user_ids)
