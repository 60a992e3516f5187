"""Spending and income over any range, by category, merchant or month: the dashboard's charts and the
API's spending summaries are these numbers.

What counts as spending or income is `finance.insights.categories` (posted, not hidden, on cash and
card accounts, transfers left out); one currency at a time, so no total adds dollars to euros.
Totals are sizes: spending is positive (a refund in a spending category reduces it), and so is income.

Summaries are cached per person; the key carries the person's transaction change number
(`finance.insights.changes.change_version`), which every insert, update and deletion of one of their
transactions raises, so an edit, a sync or a removal makes the next answer fresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.cache import cache
from django.db.models import Count, F, Max, Sum, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, NullIf, TruncMonth

from finance.insights.categories import counted_q, income_q, primary_label, spending_q
from finance.insights.changes import change_version
from finance.models import Transaction

GROUPS = ("category", "merchant", "month")
CACHE_SECONDS = 6 * 60 * 60


def month_start(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def months_between(start: date, end: date) -> int:
    """How many calendar months the range touches (1 for a range inside one month)."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


@dataclass(frozen=True)
class SpendingRow:
    key: str  # the primary category code, the merchant's match key, or the month as YYYY-MM
    label: str
    spending_minor: int
    income_minor: int
    transactions: int  # counted towards spending or income (transfers are not)
    month: date | None = None  # the month's first day, when grouped by month


def _group_expression(group_by: str) -> Combinable:
    if group_by == "category":
        return F("effective_category_primary")
    if group_by == "merchant":
        return F("match_key")
    if group_by == "month":
        return TruncMonth("date")
    raise ValueError(f"unknown grouping {group_by!r}")


def spending_totals(
    *, user_id: int, currency: str, start: date, end: date, group_by: str, account_id: int | None = None
) -> list[SpendingRow]:
    """One row per category or merchant (most spent first) or per month (oldest first, every month of
    the range, empty ones too), from one query."""
    rows = Transaction.objects.for_user(user_id).filter(
        currency=currency, date__gte=start, date__lte=end, account__user_id=user_id
    )
    if account_id is not None:
        rows = rows.filter(account_id=account_id)
    totals = {
        "spent": Sum("amount_minor", filter=spending_q()),
        "earned": Sum("amount_minor", filter=income_q()),
        "count": Count("id"),
    }
    if group_by == "merchant":  # how the person sees the merchant: one of its names
        totals["name"] = Max(Coalesce(NullIf("merchant_name", Value("")), "name"))
    grouped: list[Any] = list(
        rows.filter(counted_q() & (spending_q() | income_q()))
        .annotate(group=_group_expression(group_by))
        .values("group")
        .annotate(**totals)
    )
    if group_by != "month":
        found = [
            SpendingRow(
                key=str(row["group"]),
                label=row["name"] if group_by == "merchant" else primary_label(row["group"]),
                spending_minor=row["spent"] or 0,
                income_minor=-(row["earned"] or 0),
                transactions=row["count"],
            )
            for row in grouped
        ]
        return sorted(found, key=lambda row: (-row.spending_minor, row.key))
    by_month = {row["group"]: row for row in grouped}
    months = []
    for back in range(months_between(start, end) - 1, -1, -1):
        month = month_start(end, back)
        row = by_month.get(month)
        months.append(
            SpendingRow(
                key=month.strftime("%Y-%m"),
                label=month.strftime("%B %Y"),
                spending_minor=(row["spent"] or 0) if row else 0,
                income_minor=-(row["earned"] or 0) if row else 0,
                transactions=row["count"] if row else 0,
                month=month,
            )
        )
    return months


@dataclass(frozen=True)
class SpendingSummary:
    group_by: str
    currency: str
    start: date
    end: date
    account_id: int | None
    rows: list[SpendingRow]

    @property
    def spending_minor(self) -> int:
        return sum(row.spending_minor for row in self.rows)

    @property
    def income_minor(self) -> int:
        return sum(row.income_minor for row in self.rows)


def spending_summary(
    *,
    user_id: int,
    joined: datetime,
    currency: str,
    start: date,
    end: date,
    group_by: str,
    account_id: int | None = None,
) -> SpendingSummary:
    """`spending_totals`, cached. `joined` (the user's date_joined) keeps a reused user id, after a
    database is recreated or restored, from reading the previous owner's entry."""
    version = change_version(user_id=user_id)
    key = (
        f"spending:{user_id}:{joined.isoformat()}:{version}:{currency}:{group_by}:"
        f"{start.isoformat()}:{end.isoformat()}:{account_id if account_id is not None else '-'}"
    )
    summary = cache.get(key)
    if summary is None:
        rows = spending_totals(
            user_id=user_id, currency=currency, start=start, end=end, group_by=group_by, account_id=account_id
        )
        summary = SpendingSummary(group_by, currency, start, end, account_id, rows)
        cache.set(key, summary, CACHE_SECONDS)
    return summary
