"""Alerts from credit cards: how much of their limits is used, and their payments.

The events and their keys:
- utilisation — a card's balance, or all cards' balances over all their limits, reaches 30, 50 or
  90 % from below, comparing the two latest daily balance snapshots (the first snapshot counts as
  coming from 0 %). A jump over several thresholds at once raises one alert for the highest:
  `util:<account id|overall>:<threshold>:<snapshot date>`. "Overall" is only raised with two or more
  cards (with one card it would repeat the card's alert).
- payment due — a card's next payment is due within PAYMENT_DUE_DAYS (today included) in the
  person's timezone and its last statement balance is not paid: no payment since the statement was
  issued that covers it. `due:<account id>:<due date>`.
- overdue — Plaid says a card payment is overdue: `overdue:<account id>:<statement date>`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.urls import reverse

from creditapp.core.localtime import day_label
from creditapp.core.money import format_money, utilisation_bp
from finance.banking.models import Account, BalanceSnapshot, CardLiability
from notifications.models import Alert
from notifications.services import Draft

UTILISATION_THRESHOLDS_BP = (3_000, 5_000, 9_000)
PAYMENT_DUE_DAYS = 5

Snapshots = dict[int, list[BalanceSnapshot]]  # account id → its snapshots, newest first


def card_drafts(*, user_id: int, today: date) -> list[Draft]:
    return [*_utilisation_drafts(user_id), *_payment_drafts(user_id, today)]


# --- utilisation ----------------------------------------------------------------------------------------
def _crossed(before_bp: int | None, after_bp: int | None) -> int | None:
    """The highest threshold reached from below between two readings (None before = 0 %)."""
    if after_bp is None:
        return None
    before_bp = before_bp or 0
    crossed = [t for t in UTILISATION_THRESHOLDS_BP if before_bp < t <= after_bp]
    return max(crossed) if crossed else None


def _utilisation_drafts(user_id: int) -> list[Draft]:
    cards = {a.pk: a for a in Account.objects.for_user(user_id).filter(type=Account.Type.CREDIT)}
    if not cards:
        return []
    snapshots: Snapshots = defaultdict(list)
    for snapshot in (
        BalanceSnapshot.objects.for_user(user_id).filter(account_id__in=cards).order_by("account_id", "-date")
    ):
        snapshots[snapshot.account_id].append(snapshot)
    link = reverse("finance:accounts")
    drafts = []
    for account_id, rows in snapshots.items():
        latest, previous = rows[0], rows[1] if len(rows) > 1 else None
        now_bp = utilisation_bp(latest.current_minor, latest.limit_minor)
        before_bp = utilisation_bp(previous.current_minor, previous.limit_minor) if previous else None
        threshold = _crossed(before_bp, now_bp)
        if threshold is None or now_bp is None:
            continue
        drafts.append(
            Draft(
                Alert.Kind.UTILISATION,
                _utilisation_severity(threshold),
                f"{cards[account_id]} is at {now_bp // 100} % of its limit",
                f"util:{account_id}:{threshold // 100}:{latest.date.isoformat()}",
                body=(
                    f"The balance of {format_money(latest.current_minor, latest.currency)} is over "
                    f"{threshold // 100} % of the {format_money(latest.limit_minor, latest.currency)} limit. "
                    "Keeping cards under 30 % helps your credit score."
                ),
                link=link,
                subject=f"account:{account_id}",
            )
        )
    drafts.extend(_overall_utilisation_drafts(snapshots, link))
    return drafts


def _overall_utilisation_drafts(snapshots: Snapshots, link: str) -> list[Draft]:
    with_limits = {key: rows for key, rows in snapshots.items() if any(row.limit_minor for row in rows)}
    if len(with_limits) < 2:
        return []
    days = sorted({row.date for rows in with_limits.values() for row in rows}, reverse=True)

    def overall_bp(day: date) -> int | None:
        balance = limit = 0
        for rows in with_limits.values():
            row = next((r for r in rows if r.date <= day), None)  # that card's balance as of `day`
            if row is not None and row.limit_minor:
                balance, limit = balance + max(0, row.current_minor or 0), limit + row.limit_minor
        return utilisation_bp(balance, limit)

    now_bp = overall_bp(days[0])
    threshold = _crossed(overall_bp(days[1]) if len(days) > 1 else None, now_bp)
    if threshold is None or now_bp is None:
        return []
    return [
        Draft(
            Alert.Kind.UTILISATION,
            _utilisation_severity(threshold),
            f"Your cards are at {now_bp // 100} % of their combined limits",
            f"util:overall:{threshold // 100}:{days[0].isoformat()}",
            body=(
                f"Across all your cards you're using over {threshold // 100} % of your available credit. "
                "Overall utilisation under 30 % helps your credit score."
            ),
            link=link,
            subject="account:overall",
        )
    ]


def _utilisation_severity(threshold_bp: int) -> str:
    return Alert.Severity.WARNING if threshold_bp >= 9_000 else Alert.Severity.INFO


# --- payments ---------------------------------------------------------------------------------------------
def statement_paid(liability: CardLiability) -> bool:
    """Whether a payment made since the last statement covers that statement's balance."""
    balance = liability.last_statement_balance_minor
    if not balance or balance <= 0:
        return True
    if liability.last_payment_date is None or liability.last_payment_amount_minor is None:
        return False
    issued = liability.last_statement_issue_date
    if issued is not None and liability.last_payment_date < issued:
        return False
    return liability.last_payment_amount_minor >= balance


def _payment_drafts(user_id: int, today: date) -> list[Draft]:
    link = reverse("finance:accounts")
    drafts = []
    for liability in (
        CardLiability.objects.for_user(user_id).filter(account__user_id=user_id).select_related("account")
    ):
        due = liability.next_payment_due_date
        if due is not None and 0 <= (due - today).days <= PAYMENT_DUE_DAYS and not statement_paid(liability):
            drafts.append(_due_draft(liability, due, today, link))
        if liability.is_overdue:
            drafts.append(_overdue_draft(liability, link))
    return drafts


def _due_draft(liability: CardLiability, due: date, today: date, link: str) -> Draft:
    card, currency = liability.account, liability.currency
    when = "today" if due == today else "tomorrow" if (due - today).days == 1 else day_label(due)
    minimum = liability.minimum_payment_minor
    return Draft(
        Alert.Kind.PAYMENT_DUE,
        Alert.Severity.WARNING,
        f"{card} payment due {when}",
        f"due:{card.pk}:{due.isoformat()}",
        body=(
            "Your statement balance of "
            f"{format_money(liability.last_statement_balance_minor, currency)} is due {when}"
            + (f" (minimum payment {format_money(minimum, currency)})" if minimum else "")
            + ". Paying in full avoids interest; paying at least the minimum avoids a late fee."
        ),
        link=link,
        subject=f"account:{card.pk}",
    )


def _overdue_draft(liability: CardLiability, link: str) -> Draft:
    card = liability.account
    cycle = liability.last_statement_issue_date or liability.next_payment_due_date
    return Draft(
        Alert.Kind.OVERDUE,
        Alert.Severity.CRITICAL,
        f"{card} payment is overdue",
        f"overdue:{card.pk}:{cycle.isoformat() if cycle else 'unknown'}",
        body=(
            "Your card issuer reports a missed payment. Pay at least the minimum as soon as you "
            "can: payments 30 or more days late are reported to the credit bureaus."
        ),
        link=link,
        subject=f"account:{card.pk}",
    )
