"""Credit pulls and the alert engine as Celery tasks: thin, by id, named `finance.credit.*`."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from creditapp.tenancy.db import maintenance_access
from finance import experian
from finance.models import CreditProfile, CreditReport, PlaidItem
from finance.services import credit as credit_services
from finance.services.alerts import alerts_evaluate

log = logging.getLogger(__name__)

RETRY = {"max_retries": 6, "retry_backoff": 30, "retry_backoff_max": 3600, "retry_jitter": True}


class TransientExperianError(Exception):
    """Retry me: Experian failed, rate-limited us or timed out (after the client's own quick retries)."""


@shared_task(name="finance.credit.refresh_user", bind=True, autoretry_for=(TransientExperianError,), **RETRY)
def refresh_user(self: Any, user_id: int, trigger: str) -> int | None:
    """Pull one person's report (scheduled pulls only when their plan's interval has passed); returns
    the new report's id, or None when nothing was pulled."""
    if trigger == CreditReport.Trigger.SCHEDULED and not credit_services.credit_refresh_due(user_id=user_id):
        return None
    try:
        result = credit_services.credit_report_pull(user_id=user_id, trigger=trigger)
    except credit_services.ConsentRequired:
        log.info("credit refresh for user %s skipped: no current consent", user_id)
        return None
    except experian.ExperianError as error:
        if error.transient:
            raise TransientExperianError(str(error)) from error
        return None  # recorded on the profile; the person fixes their details or their freeze
    return result.report.pk if result.report else None


@shared_task(name="finance.credit.refresh_due")
def refresh_due() -> int:
    """Fan out: one refresh task per consenting person whose last pull is older than the shortest plan
    interval (the task then checks their own plan)."""
    shortest = min(credit_services.CADENCE_DAYS.values())
    cutoff = timezone.now().date() - timedelta(days=shortest)
    latest_pull = (
        CreditReport.objects.filter(user_id=OuterRef("user_id"))
        .order_by("-pulled_on")
        .values("pulled_on")[:1]
    )
    with maintenance_access("schedule: find credit profiles due for a refresh"):
        due = list(
            CreditProfile.objects.filter(consent_version=credit_services.CONSENT_VERSION)
            .annotate(latest=Subquery(latest_pull))
            .filter(Q(latest__isnull=True) | Q(latest__lte=cutoff))
            .values_list("user_id", flat=True)
        )
    for user_id in due:
        refresh_user.delay(user_id, CreditReport.Trigger.SCHEDULED)
    return len(due)


@shared_task(name="finance.credit.evaluate_alerts")
def evaluate_alerts(user_id: int) -> int:
    return len(alerts_evaluate(user_id=user_id))


@shared_task(name="finance.credit.evaluate_alerts_for_broken_connections")
def evaluate_alerts_for_broken_connections() -> int:
    """Hourly: no sync runs for an item that needs re-login, so nothing else would tell its owner."""
    with maintenance_access("schedule: alert owners of bank connections that need attention"):
        user_ids = set(
            PlaidItem.objects.filter(
                status__in=(PlaidItem.Status.LOGIN_REQUIRED, PlaidItem.Status.PENDING_EXPIRATION)
            ).values_list("user_id", flat=True)
        )
    for user_id in user_ids:
        evaluate_alerts.delay(user_id)
    return len(user_ids)


def evaluate_alerts_after_sync(sender: Any, *, user_id: int, **kwargs: Any) -> None:
    """Receiver of finance.signals.item_synced (connected in FinanceConfig.ready)."""
    evaluate_alerts.delay(user_id)
