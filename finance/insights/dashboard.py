"""The dashboard's numbers: a few aggregate queries, computed in SQL and cached per person in Redis.

What counts as spending, income or a transfer is defined once, in `finance.insights.categories`. Everything is
in the person's currency (`User.currency`): accounts and transactions in other currencies are left
out of the sums and counted in `other_currency_accounts`, so no total ever adds dollars to euros.

The cache key carries a per-person version that syncs (the `item_synced` receiver below), imports and
recategorisations bump, plus the newest sync, liabilities refresh and credit pull, and the person's
today; so a number is never older than the data behind it.
"""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.cache import cache
from django.db.models import Max, Q, Sum

from creditapp.core.money import utilisation_bp
from finance.credit.models import score_band
from finance.credit.selectors import score_history
from finance.insights.categories import income_q, spending_q
from finance.insights.spending import month_start, spending_totals
from finance.models import (
    Account,
    CardLiability,
    CreditReport,
    CreditScore,
    PlaidItem,
    ScoreFactor,
    Transaction,
)

CACHE_SECONDS = 6 * 60 * 60
TREND_MONTHS = 12
UTILISATION_LINE_BP = 3000  # 30 %: above it, card balances start to weigh on a credit score
TOP_CATEGORIES = 6  # the doughnut's slices (one colour each); the rest are summed as "Everything else"


# --- dates -------------------------------------------------------------------------------------------
def same_day_last_month(today: date) -> date:
    """The comparison point for month-to-date: 31 March compares with 28 (or 29) February."""
    start = month_start(today, 1)
    last_day = calendar.monthrange(start.year, start.month)[1]
    return start.replace(day=min(today.day, last_day))


# --- the cached part --------------------------------------------------------------------------------
@dataclass(frozen=True)
class CardRow:
    account_id: int
    name: str
    balance_minor: int
    limit_minor: int | None
    utilisation_bp: int | None

    @property
    def over_line(self) -> bool:
        return self.utilisation_bp is not None and self.utilisation_bp > UTILISATION_LINE_BP


@dataclass(frozen=True)
class DueRow:
    account_id: int
    name: str
    due_date: date
    statement_balance_minor: int | None
    minimum_minor: int | None
    days_left: int
    overdue: bool
    currency: str


@dataclass(frozen=True)
class CategoryRow:
    primary: str
    label: str
    amount_minor: int


@dataclass(frozen=True)
class CreditSummary:
    score: int
    model_name: str
    band: str
    date: date
    change: int | None  # since the previous score of the same model
    history: list[tuple[str, int]]  # (ISO date, score), oldest first
    factors: list[str]


@dataclass
class DashboardData:
    currency: str
    today: date
    has_accounts: bool = False
    cash_minor: int = 0
    card_owed_minor: int = 0
    other_currency_accounts: int = 0
    spending_mtd_minor: int = 0
    spending_last_mtd_minor: int = 0
    last_month_compared_to: date | None = None
    income_mtd_minor: int = 0
    categories: list[CategoryRow] = field(default_factory=list)
    trend: list[tuple[date, int, int]] = field(default_factory=list)  # (month, spending, income)
    cards: list[CardRow] = field(default_factory=list)
    cards_balance_minor: int = 0
    cards_limit_minor: int = 0
    due: list[DueRow] = field(default_factory=list)
    credit: CreditSummary | None = None

    @property
    def net_minor(self) -> int:
        """Cash less what is owed on cards."""
        return self.cash_minor - self.card_owed_minor

    @property
    def spending_change_bp(self) -> int | None:
        """Month-to-date spending against the same days of last month in basis points (+1250: 12.5 % more)."""
        before = self.spending_last_mtd_minor
        if before <= 0:
            return None
        return (self.spending_mtd_minor - before) * 10_000 // before

    @property
    def overall_utilisation_bp(self) -> int | None:
        return utilisation_bp(self.cards_balance_minor, self.cards_limit_minor)

    # Chart.js configs for static/js/charts.js (values in minor units; the canvas formats them).
    def category_chart(self) -> dict[str, Any]:
        return {
            "type": "doughnut",
            "data": {
                "labels": [row.label for row in self.categories],
                "datasets": [{"label": "Spent", "data": [row.amount_minor for row in self.categories]}],
            },
            # The page lists the categories with their amounts beside the chart: no legend needed.
            "options": {"cutout": "62%", "plugins": {"legend": {"display": False}}},
        }

    def trend_chart(self) -> dict[str, Any]:
        return {
            "type": "bar",
            "data": {
                "labels": [
                    month.strftime("%b %Y" if month.month == 1 else "%b") for month, _, _ in self.trend
                ],
                "datasets": [
                    {"label": "Spending", "data": [spent for _, spent, _ in self.trend]},
                    {"label": "Income", "data": [earned for _, _, earned in self.trend]},
                ],
            },
            "options": {
                "plugins": {"legend": {"position": "bottom"}},
                "scales": {"x": {"ticks": {"maxRotation": 0, "autoSkipPadding": 8}}},
            },
        }

    def credit_chart(self) -> dict[str, Any] | None:
        if self.credit is None or len(self.credit.history) < 2:
            return None
        return {
            "type": "line",
            "data": {
                "labels": [day for day, _ in self.credit.history],
                "datasets": [
                    {
                        "label": self.credit.model_name,
                        "data": [value for _, value in self.credit.history],
                        "tension": 0.3,
                        "pointRadius": 3,
                    }
                ],
            },
            "options": {
                "plugins": {"legend": {"display": False}},
                "scales": {"y": {"suggestedMin": 300, "suggestedMax": 850}},
            },
        }


def _balances(data: DashboardData, *, user_id: int) -> None:
    accounts = list(Account.objects.for_user(user_id).order_by("name", "id"))
    data.has_accounts = bool(accounts)
    for account in accounts:
        if account.currency != data.currency:
            data.other_currency_accounts += 1
            continue
        balance = account.current_balance_minor
        if account.type == Account.Type.DEPOSITORY and balance is not None:
            data.cash_minor += balance
        elif account.type == Account.Type.CREDIT:
            data.card_owed_minor += max(0, balance or 0)
            data.cards.append(
                CardRow(
                    account_id=account.pk,
                    name=str(account),
                    balance_minor=balance or 0,
                    limit_minor=account.credit_limit_minor,
                    utilisation_bp=account.utilisation_bp,
                )
            )
            if account.credit_limit_minor:
                data.cards_balance_minor += balance or 0
                data.cards_limit_minor += account.credit_limit_minor


def _due_dates(data: DashboardData, *, user_id: int) -> None:
    rows = (
        CardLiability.objects.for_user(user_id)
        .filter(next_payment_due_date__isnull=False)
        .filter(Q(next_payment_due_date__gte=data.today) | Q(is_overdue=True), account__user_id=user_id)
        .select_related("account")
        .order_by("next_payment_due_date")
    )
    data.due = [
        DueRow(
            account_id=liability.account_id,
            name=str(liability.account),
            due_date=liability.next_payment_due_date,
            statement_balance_minor=liability.last_statement_balance_minor,
            minimum_minor=liability.minimum_payment_minor,
            days_left=(liability.next_payment_due_date - data.today).days,
            overdue=liability.is_overdue,
            currency=liability.currency,
        )
        for liability in rows
        if liability.next_payment_due_date is not None
    ]


def _spending(data: DashboardData, *, user_id: int) -> None:
    today = data.today
    this_month, last_month = month_start(today), month_start(today, 1)
    compared_to = same_day_last_month(today)
    data.last_month_compared_to = compared_to
    rows = Transaction.objects.for_user(user_id).filter(currency=data.currency, account__user_id=user_id)

    totals = rows.filter(date__gte=last_month, date__lte=today).aggregate(
        this=Sum("amount_minor", filter=spending_q() & Q(date__gte=this_month)),
        last=Sum("amount_minor", filter=spending_q() & Q(date__lte=compared_to, date__lt=this_month)),
        income=Sum("amount_minor", filter=income_q() & Q(date__gte=this_month)),
    )
    data.spending_mtd_minor = totals["this"] or 0
    data.spending_last_mtd_minor = totals["last"] or 0
    data.income_mtd_minor = -(totals["income"] or 0)

    by_category = spending_totals(
        user_id=user_id, currency=data.currency, start=this_month, end=today, group_by="category"
    )
    positive = [
        CategoryRow(row.key, row.label, row.spending_minor) for row in by_category if row.spending_minor > 0
    ]
    if len(positive) > TOP_CATEGORIES:
        rest = sum(row.amount_minor for row in positive[TOP_CATEGORIES - 1 :])
        positive = [*positive[: TOP_CATEGORIES - 1], CategoryRow("*", "Everything else", rest)]
    data.categories = positive

    monthly = spending_totals(
        user_id=user_id,
        currency=data.currency,
        start=month_start(today, TREND_MONTHS - 1),
        end=today,
        group_by="month",
    )
    data.trend = [(row.month, row.spending_minor, row.income_minor) for row in monthly if row.month]


def _credit(data: DashboardData, *, user_id: int) -> None:
    latest = (
        CreditScore.objects.for_user(user_id)
        .filter(value__isnull=False)
        .order_by("-date", "-id")
        .values("model", "model_name", "value", "date", "report_id")
        .first()
    )
    if latest is None:
        return
    history = score_history(user_id=user_id, model=latest["model"], limit=24)
    previous = history[-2].value if len(history) >= 2 else None
    factors = (
        ScoreFactor.objects.for_user(user_id)
        .filter(report_id=latest["report_id"], model=latest["model"])
        .order_by("rank", "id")[:4]
    )
    score = int(latest["value"] or 0)  # never None: the query excludes unscored files
    data.credit = CreditSummary(
        score=score,
        model_name=latest["model_name"],
        band=score_band(latest["model"], score),
        date=latest["date"],
        change=score - previous if previous is not None else None,
        history=[(point.day.isoformat(), point.value) for point in history],
        factors=[factor.text for factor in factors],
    )


def dashboard_compute(*, user_id: int, currency: str, today: date) -> DashboardData:
    """All the cached numbers, straight from the database (about seven queries)."""
    data = DashboardData(currency=currency, today=today)
    _balances(data, user_id=user_id)
    _due_dates(data, user_id=user_id)
    _spending(data, user_id=user_id)
    _credit(data, user_id=user_id)
    return data


# --- cache ----------------------------------------------------------------------------------------------
def _version_key(user_id: int) -> str:
    return f"dashboard-version:{user_id}"


def dashboard_invalidate(*, user_id: int) -> None:
    """Forget a person's cached dashboard (after a sync, an import, a recategorisation or a new rule)."""
    cache.set(_version_key(user_id), uuid.uuid4().hex, None)


@dataclass(frozen=True)
class Freshness:
    """What the cache key needs besides the version, read in one small query per table."""

    last_synced_at: datetime | None
    liabilities_at: datetime | None
    credit_pulled_at: datetime | None


def freshness(*, user_id: int, items: list[PlaidItem]) -> Freshness:
    synced = [item.last_synced_at for item in items if item.last_synced_at]
    refreshed = [item.liabilities_refreshed_at for item in items if item.liabilities_refreshed_at]
    pulled = CreditReport.objects.for_user(user_id).aggregate(at=Max("pulled_at"))["at"]
    return Freshness(max(synced, default=None), max(refreshed, default=None), pulled)


def dashboard_data(
    *, user_id: int, joined: datetime, currency: str, today: date, fresh: Freshness
) -> DashboardData:
    """The cached numbers. `joined` (the user's date_joined) keeps a reused user id, after a database
    is recreated or restored, from reading the previous owner's entry."""
    version = cache.get(_version_key(user_id)) or "0"
    stamp = "|".join(
        value.isoformat() if value else "-"
        for value in (joined, fresh.last_synced_at, fresh.liabilities_at, fresh.credit_pulled_at)
    )
    key = f"dashboard:{user_id}:{version}:{currency}:{today.isoformat()}:{stamp}"
    data = cache.get(key)
    if data is None:
        data = dashboard_compute(user_id=user_id, currency=currency, today=today)
        cache.set(key, data, CACHE_SECONDS)
    return data
