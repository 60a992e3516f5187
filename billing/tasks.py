"""Thin tasks: load by id, call a service."""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime
from typing import Any

from celery import shared_task
from django.utils import timezone

from billing import stripe as stripe_api
from billing.models import WebhookEvent
from billing.notices import billing_notice_send, free_trial_candidates, free_trial_reminder_send
from billing.services import webhook_event_owner, webhook_event_process
from creditapp.core.retry import TransientError, task_retry
from creditapp.tenancy.tasks import TenantTask

log = logging.getLogger(__name__)

RETRY = task_retry(max_retries=8, backoff=5, backoff_max=600)
MAIL_RETRY = task_retry(max_retries=8, backoff=5, backoff_max=600, on=(smtplib.SMTPException, OSError))


@shared_task(
    name="billing.process_stripe_event", base=TenantTask, tenant_of=webhook_event_owner, bind=True, **RETRY
)
def process_stripe_event(self: Any, event_pk: int) -> str | None:
    """Apply one stored Stripe event as its customer's owner. Failures stay on the row (admin:
    replay); transient ones retry."""
    try:
        return webhook_event_process(event_pk=event_pk).status
    except WebhookEvent.DoesNotExist:
        return None
    except Exception as error:
        if stripe_api.is_transient(error):
            raise TransientError(str(error)) from error
        raise


@shared_task(name="billing.send_notice", base=TenantTask, **MAIL_RETRY)
def send_notice(user_id: int, alert_pk: int) -> None:
    """Email a billing alert; a mail server that is down is retried, the alert itself is already kept."""
    billing_notice_send(user_id=user_id, alert_pk=alert_pk)


@shared_task(name="billing.send_free_trial_reminder", base=TenantTask)
def send_free_trial_reminder(user_id: int, now: str) -> bool:
    return free_trial_reminder_send(user_id=user_id, now=datetime.fromisoformat(now))


@shared_task(name="billing.send_free_trial_reminders")
def send_free_trial_reminders() -> int:
    """Scheduled: remind people whose free trial is about to end (each once, each as themselves)."""
    now = timezone.now()
    candidates = free_trial_candidates(now=now)
    return sum(send_free_trial_reminder(user_id, now.isoformat()) for user_id in candidates)
