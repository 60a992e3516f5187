"""The alert engine: look at a person's data, raise one alert per real event.

`alerts_evaluate(user_id=…)` runs after every Plaid sync or item status change (queued by
`finance.banking.sync.item_data_changed`), after every credit pull, and hourly for people whose bank
connection is broken (no sync runs for them then). It may run any number of times: each alert's
`dedupe_key` names the event, and the insert does nothing when that key exists (dismissed alerts
included), so one event makes exactly one alert.

Each family of events, with its keys, is described in its own module:
- `finance.alerts.credit` — new hard inquiry, new account, score change (between credit reports);
- `finance.alerts.cards` — utilisation thresholds, payment due, overdue;
- `finance.alerts.spending` — unusually large transactions;
- `finance.alerts.connections` — bank connections needing re-login or about to lose consent.

"Today" is the calendar day in the person's own time zone.
"""

from __future__ import annotations

from datetime import date

from accounts.selectors import timezone_of
from creditapp.core.localtime import local_today
from finance.alerts.cards import card_drafts
from finance.alerts.connections import connection_drafts
from finance.alerts.credit import credit_drafts
from finance.alerts.spending import spending_drafts
from notifications.models import Alert
from notifications.services import notification_raise


def alerts_evaluate(*, user_id: int) -> list[Alert]:
    """Raise the alerts for every event not alerted yet; returns the alerts created by this run."""
    today = _local_today(user_id)
    drafts = [
        *credit_drafts(user_id=user_id),
        *card_drafts(user_id=user_id, today=today),
        *spending_drafts(user_id=user_id, today=today),
        *connection_drafts(user_id=user_id),
    ]
    created = []
    for draft in drafts:
        alert = notification_raise(user_id=user_id, draft=draft)
        if alert is not None:
            created.append(alert)
    return created


def _local_today(user_id: int) -> date:
    return local_today(timezone_of(user_id))
