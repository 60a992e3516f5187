"""Thin tasks: load by id, call a service. Each runs bound to the tenant of its `user_id`."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from creditapp.tenancy.tasks import TenantTask
from notifications.webhooks import DELIVER_TASK, MAX_ATTEMPTS, webhook_delivery_attempt


@shared_task(
    name=DELIVER_TASK, base=TenantTask, bind=True, acks_late=True, reject_on_worker_lost=True,
    max_retries=MAX_ATTEMPTS,
)  # fmt: skip
def deliver_webhook(self: Any, user_id: int, delivery_pk: int) -> None:
    """One attempt of one delivery. The service picks the wait before the next one (and logs it
    with the attempt, so the delivery log shows when it comes); Celery keeps the time."""
    outcome = webhook_delivery_attempt(user_id=user_id, delivery_pk=delivery_pk)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
