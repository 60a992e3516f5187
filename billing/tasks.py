"""Thin tasks: load by id, call a service."""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from celery import shared_task

from billing import stripe as stripe_api
from billing.models import WebhookEvent
from billing.notices import billing_notice_send, free_trial_reminders_send
from billing.services import webhook_event_process

log = logging.getLogger(__name__)

RETRY = {"max_retries": 8, "retry_backoff": 5, "retry_backoff_max": 600, "retry_jitter": True}


class TransientStripeError(Exception):
    """Retry me: Stripe was unreachable, rate-limited us or failed on its side."""


@shared_task(name="billing.process_stripe_event", bind=True, autoretry_for=(TransientStripeError,), **RETRY)
def process_stripe_event(self: Any, event_pk: int) -> str | None:
    """Apply one stored Stripe event. Failures stay on the row (admin: replay); transient ones retry."""
    try:
        return webhook_event_process(event_pk=event_pk).status
    except WebhookEvent.DoesNotExist:
        return None
    except Exception as error:
        if stripe_api.is_transient(error):
            raise TransientStripeError(str(error)) from error
        raise


@shared_task(name="billing.send_notice", autoretry_for=(smtplib.SMTPException, OSError), **RETRY)
def send_notice(user_id: int, alert_pk: int) -> None:
    """Email a billing alert; a mail server that is down is retried, the alert itself is already kept."""
    billing_notice_send(user_id=user_id, alert_pk=alert_pk)


@shared_task(name="billing.send_free_trial_reminders")
def send_free_trial_reminders() -> int:
    """Scheduled: remind people whose free trial is about to end (each once)."""
    return free_trial_reminders_send()
