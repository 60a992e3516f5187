"""Credit pulls as Celery tasks: thin, by id, named `finance.credit.*`."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from creditapp.core.queue import enqueue_on_commit
from creditapp.core.retry import TransientError, task_retry
from creditapp.tenancy.tasks import TenantTask
from finance.credit import experian
from finance.credit import services as credit_services
from finance.credit.lookups import people_due_for_refresh
from finance.credit.models import CreditReport

log = logging.getLogger(__name__)


@shared_task(
    name="finance.credit.refresh_user",
    base=TenantTask,
    bind=True,
    **task_retry(max_retries=6, backoff=30, backoff_max=3600),
)
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
            raise TransientError(str(error)) from error
        return None  # recorded on the profile; the person fixes their details or their freeze
    return result.report.pk if result.report else None


@shared_task(name="finance.credit.refresh_due")
def refresh_due() -> int:
    """Fan out: one refresh task per consenting person whose last pull may be due."""
    due = people_due_for_refresh()
    for user_id in due:
        enqueue_on_commit("finance.credit.refresh_user", user_id, CreditReport.Trigger.SCHEDULED)
    return len(due)
