"""Alerts from spending: a payment far larger than what the person usually pays.

The event and its key:
- unusual transaction — a posted outflow in the last LARGE_TXN_RECENT_DAYS that is more than
  LARGE_TXN_FACTOR (3) times the 95th percentile of the person's outflows in the 90 days before it
  and more than LARGE_TXN_FLOOR_MINOR ($200). Transfers between accounts, loan and card payments and
  income are not spending and are left out of both sides; at least LARGE_TXN_MIN_HISTORY outflows are
  needed for a baseline; a payee already paid at least half as much in those 90 days (rent, tuition)
  is a known bill, not unusual. `txn:<plaid transaction id>`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from django.urls import reverse

from creditapp.core.localtime import day_label
from creditapp.core.money import format_money
from finance.banking.models import Transaction
from notifications.models import Alert
from notifications.services import Draft

LARGE_TXN_RECENT_DAYS = 7
LARGE_TXN_BASELINE_DAYS = 90
LARGE_TXN_FACTOR = 3
LARGE_TXN_PERCENTILE = 95
LARGE_TXN_FLOOR_MINOR = 20_000
LARGE_TXN_MIN_HISTORY = 20
NOT_SPENDING = ("TRANSFER_IN", "TRANSFER_OUT", "LOAN_PAYMENTS", "INCOME")

Row = Mapping[str, Any]  # one outflow: the Transaction fields the rule reads


def percentile(values: list[int], pct: int) -> int:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def spending_drafts(*, user_id: int, today: date) -> list[Draft]:
    rows = _outflows_since(user_id, today - timedelta(days=LARGE_TXN_RECENT_DAYS + LARGE_TXN_BASELINE_DAYS))
    recent_from = today - timedelta(days=LARGE_TXN_RECENT_DAYS)
    link = reverse("finance:transactions")
    drafts = []
    for row in rows:
        amount, day = int(row["amount_minor"]), row["date"]
        if day < recent_from or amount <= LARGE_TXN_FLOOR_MINOR:
            continue
        baseline = _baseline_before(row, rows)
        if len(baseline) < LARGE_TXN_MIN_HISTORY or _known_bill(row, baseline):
            continue
        typical = percentile([int(other["amount_minor"]) for other in baseline], LARGE_TXN_PERCENTILE)
        if amount > LARGE_TXN_FACTOR * typical:
            drafts.append(_large_transaction_draft(row, typical, link))
    return drafts


def _outflows_since(user_id: int, since: date) -> list[Row]:
    """Posted spending (money out, not transfers, loan payments or income) from `since` on."""
    return list(
        Transaction.objects.for_user(user_id)
        .filter(pending=False, amount_minor__gt=0, date__gte=since)
        .exclude(category_primary__in=NOT_SPENDING)
        .values(
            "plaid_transaction_id", "account_id", "amount_minor", "currency", "date", "name", "merchant_name"
        )
    )


def _baseline_before(row: Row, rows: list[Row]) -> list[Row]:
    """The outflows in the same currency in the LARGE_TXN_BASELINE_DAYS before `row`."""
    day = row["date"]
    window_start = day - timedelta(days=LARGE_TXN_BASELINE_DAYS)
    return [
        other
        for other in rows
        if other["currency"] == row["currency"] and window_start <= other["date"] < day
    ]


def _known_bill(row: Row, baseline: list[Row]) -> bool:
    """The payee was already paid at least half as much before (rent, tuition)."""
    payee, amount = _payee(row), int(row["amount_minor"])
    return any(_payee(other) == payee and int(other["amount_minor"]) * 2 >= amount for other in baseline)


def _payee(row: Row) -> str:
    return str(row["merchant_name"] or row["name"]).strip().lower()


def _large_transaction_draft(row: Row, typical: int, link: str) -> Draft:
    amount, currency = int(row["amount_minor"]), str(row["currency"])
    label = row["merchant_name"] or row["name"]
    return Draft(
        Alert.Kind.LARGE_TRANSACTION,
        Alert.Severity.WARNING,
        f"Unusually large payment: {format_money(amount, currency)} at {label}",
        f"txn:{row['plaid_transaction_id']}",
        body=(
            f"{format_money(amount, currency)} to {label} on {day_label(row['date'])} is much larger than "
            f"your usual spending (95 % of your payments in the previous 90 days were "
            f"{format_money(typical, currency)} or less). If you don't recognise it, contact your bank."
        ),
        link=link,
        subject=f"account:{row['account_id']}",
    )
