"""The alert engine: look at a person's data, raise one alert per real event.

`alerts_evaluate(user_id=…)` runs after every Plaid sync (finance.signals.item_synced), after every
credit pull, and hourly for people whose bank connection is broken (no sync runs for them then). It
may run any number of times: each alert's `dedupe_key` names the event, and the insert does nothing
when that key exists (dismissed alerts included), so one event makes exactly one alert.

The events and their keys:
- new hard inquiry — an inquiry on the newest report that the report before it did not have:
  `inquiry:<subscriber>:<date>`. The first report is the baseline: nothing on it is "new".
- new account — a tradeline the previous report did not have: `account:<lender>:<type>:<opened>:<mask>`.
- score change — the headline score moved by CREDIT_SCORE_ALERT_POINTS (default 20) or more between
  two consecutive reports: `score:<model>:<report id>`.
- utilisation — a card's balance, or all cards' balances over all their limits, reaches 30, 50 or
  90 % from below, comparing the two latest daily balance snapshots (the first snapshot counts as
  coming from 0 %). A jump over several thresholds at once raises one alert for the highest:
  `util:<account id|overall>:<threshold>:<snapshot date>`. "Overall" is only raised with two or more
  cards (with one card it would repeat the card's alert).
- payment due — a card's next payment is due within PAYMENT_DUE_DAYS (today included) in the
  person's timezone and its last statement balance is not paid: no payment since the statement was
  issued that covers it. `due:<account id>:<due date>`.
- overdue — Plaid says a card payment is overdue: `overdue:<account id>:<statement date>`.
- unusual transaction — a posted outflow in the last LARGE_TXN_RECENT_DAYS that is more than
  LARGE_TXN_FACTOR (3) times the 95th percentile of the person's outflows in the 90 days before it
  and more than LARGE_TXN_FLOOR_MINOR ($200). Transfers between accounts, loan and card payments and
  income are not spending and are left out of both sides; at least LARGE_TXN_MIN_HISTORY outflows are
  needed for a baseline; a payee already paid at least half as much in those 90 days (rent, tuition)
  is a known bill, not unusual. `txn:<plaid transaction id>`.
- bank connection — an item needs re-login (`relogin:<item>:<last successful sync>`, so each breakage
  after a good sync is its own event) or its consent is about to expire
  (`consent:<item>:<expiry date>`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from creditapp.tenancy.db import tenant_context
from finance.models import Account, Alert, BalanceSnapshot, CardLiability, PlaidItem, Transaction
from finance.money import utilisation_bp
from finance.selectors.credit import headline_score, report_changes, reports_for
from finance.templatetags.money import money

UTILISATION_THRESHOLDS_BP = (3_000, 5_000, 9_000)
PAYMENT_DUE_DAYS = 5
LARGE_TXN_RECENT_DAYS = 7
LARGE_TXN_BASELINE_DAYS = 90
LARGE_TXN_FACTOR = 3
LARGE_TXN_PERCENTILE = 95
LARGE_TXN_FLOOR_MINOR = 20_000
LARGE_TXN_MIN_HISTORY = 20
NOT_SPENDING = ("TRANSFER_IN", "TRANSFER_OUT", "LOAN_PAYMENTS", "INCOME")
REPORTS_COMPARED = 3  # the newest reports compared pairwise: a missed run still catches up


@dataclass(frozen=True)
class Draft:
    kind: str
    severity: str
    title: str
    dedupe_key: str
    body: str = ""
    link: str = ""
    subject: str = ""


def alerts_evaluate(*, user_id: int) -> list[Alert]:
    """Raise the alerts for every event not alerted yet; returns the alerts created by this run."""
    created = []
    with tenant_context(user_id):
        today = _local_today(user_id)
        drafts = [
            *_credit_report_drafts(user_id),
            *_utilisation_drafts(user_id),
            *_card_payment_drafts(user_id, today),
            *_large_transaction_drafts(user_id, today),
            *_connection_drafts(user_id),
        ]
        for draft in drafts:
            alert = alert_raise(user_id=user_id, draft=draft)
            if alert is not None:
                created.append(alert)
    return created


def alert_raise(*, user_id: int, draft: Draft) -> Alert | None:
    """Raise one alert unless its event was alerted already; returns it only when it is new."""
    with tenant_context(user_id):
        alert, was_created = Alert.objects.get_or_create(
            user_id=user_id,
            dedupe_key=draft.dedupe_key[:200],
            defaults={
                "kind": draft.kind,
                "severity": draft.severity,
                "title": draft.title[:200],
                "body": draft.body,
                "link": draft.link,
                "subject": draft.subject,
            },
        )
    return alert if was_created else None


def _local_today(user_id: int) -> date:
    zone = User.objects.filter(pk=user_id).values_list("timezone", flat=True).first() or "UTC"
    return timezone.localdate(timezone=ZoneInfo(zone))


def _a(noun: str) -> str:
    """ "a card", "an auto loan"."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _on(day: date | None) -> str:
    """ " on Jun 5, 2025" (or nothing when the date is unknown)."""
    return f" on {day:%b} {day.day}, {day.year}" if day else ""


# --- credit reports --------------------------------------------------------------------------------------
def _credit_report_drafts(user_id: int) -> list[Draft]:
    reports = list(reports_for(user_id=user_id)[:REPORTS_COMPARED])
    drafts: list[Draft] = []
    for report, previous in pairwise(reports):
        changes = report_changes(report, previous)
        link = reverse("finance:credit-report", args=[report.pk])
        for inquiry in changes.new_inquiries:
            drafts.append(
                Draft(
                    Alert.Kind.NEW_INQUIRY,
                    Alert.Severity.WARNING,
                    f"New hard inquiry from {inquiry.subscriber_name}",
                    f"inquiry:{inquiry.identity}",
                    body=(
                        f"{inquiry.subscriber_name} checked your credit{_on(inquiry.inquired_on)} for "
                        f"{_a(inquiry.type_label.lower())}. If you didn't apply for credit, contact them and "
                        "consider freezing your credit."
                    ),
                    link=link,
                    subject=f"report:{report.pk}",
                )
            )
        for tradeline in changes.new_tradelines:
            opened = f" opened{_on(tradeline.opened_on)}" if tradeline.opened_on else ""
            drafts.append(
                Draft(
                    Alert.Kind.NEW_ACCOUNT,
                    Alert.Severity.WARNING,
                    f"New account: {tradeline.type_label.lower()} with {tradeline.creditor}",
                    f"account:{tradeline.identity}",
                    body=(
                        f"{_a(tradeline.type_label.lower()).capitalize()} with {tradeline.creditor}{opened} "
                        "is new on your Experian report. If you don't recognise it, contact the lender "
                        "and Experian."
                    ),
                    link=link,
                    subject=f"report:{report.pk}",
                )
            )
        delta = changes.score_delta
        score = headline_score(report)
        if delta is not None and score is not None and abs(delta) >= settings.CREDIT_SCORE_ALERT_POINTS:
            direction = "up" if delta > 0 else "down"
            drafts.append(
                Draft(
                    Alert.Kind.SCORE_CHANGE,
                    Alert.Severity.INFO if delta > 0 else Alert.Severity.WARNING,
                    f"Your credit score went {direction} {abs(delta)} points",
                    f"score:{score.model}:{report.pk}",
                    body=(
                        f"Your {score.model_name} moved from {changes.score_before} to {changes.score_after} "
                        f"({score.band.lower()}). See what changed since your last report."
                    ),
                    link=link,
                    subject=f"report:{report.pk}",
                )
            )
    return drafts


# --- utilisation ----------------------------------------------------------------------------------------
def _crossed(before_bp: int | None, after_bp: int | None) -> int | None:
    """The highest threshold reached from below between two readings (None before = 0 %)."""
    if after_bp is None:
        return None
    before_bp = before_bp or 0
    crossed = [t for t in UTILISATION_THRESHOLDS_BP if before_bp < t <= after_bp]
    return max(crossed) if crossed else None


def _utilisation_drafts(user_id: int) -> list[Draft]:
    cards = {a.pk: a for a in Account.objects.filter(user_id=user_id, type=Account.Type.CREDIT)}
    if not cards:
        return []
    snapshots: dict[int, list[BalanceSnapshot]] = defaultdict(list)  # account → newest first
    for snapshot in BalanceSnapshot.objects.filter(user_id=user_id, account_id__in=cards).order_by(
        "account_id", "-date"
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
        card = cards[account_id]
        drafts.append(
            Draft(
                Alert.Kind.UTILISATION,
                _utilisation_severity(threshold),
                f"{card} is at {now_bp // 100} % of its limit",
                f"util:{account_id}:{threshold // 100}:{latest.date.isoformat()}",
                body=(
                    f"The balance of {money(latest.current_minor, latest.currency)} is over "
                    f"{threshold // 100} % of the {money(latest.limit_minor, latest.currency)} limit. "
                    "Keeping cards under 30 % helps your credit score."
                ),
                link=link,
                subject=f"account:{account_id}",
            )
        )
    drafts.extend(_overall_utilisation_drafts(snapshots, link))
    return drafts


def _overall_utilisation_drafts(snapshots: dict[int, list[BalanceSnapshot]], link: str) -> list[Draft]:
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


# --- card payments ----------------------------------------------------------------------------------------
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


def _card_payment_drafts(user_id: int, today: date) -> list[Draft]:
    link = reverse("finance:accounts")
    drafts = []
    for liability in CardLiability.objects.filter(user_id=user_id).select_related("account"):
        card, currency = liability.account, liability.currency
        due = liability.next_payment_due_date
        if due is not None and 0 <= (due - today).days <= PAYMENT_DUE_DAYS and not statement_paid(liability):
            when = "today" if due == today else "tomorrow" if (due - today).days == 1 else _on(due).strip()
            minimum = liability.minimum_payment_minor
            drafts.append(
                Draft(
                    Alert.Kind.PAYMENT_DUE,
                    Alert.Severity.WARNING,
                    f"{card} payment due {when}",
                    f"due:{card.pk}:{due.isoformat()}",
                    body=(
                        "Your statement balance of "
                        f"{money(liability.last_statement_balance_minor, currency)} is due {when}"
                        + (f" (minimum payment {money(minimum, currency)})" if minimum else "")
                        + ". Paying in full avoids interest; paying at least the minimum avoids a late fee."
                    ),
                    link=link,
                    subject=f"account:{card.pk}",
                )
            )
        if liability.is_overdue:
            cycle = liability.last_statement_issue_date or liability.next_payment_due_date
            drafts.append(
                Draft(
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
            )
    return drafts


# --- unusual transactions -----------------------------------------------------------------------------------
def percentile(values: list[int], pct: int) -> int:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def _payee(row: Mapping[str, Any]) -> str:
    return str(row["merchant_name"] or row["name"]).strip().lower()


def _large_transaction_drafts(user_id: int, today: date) -> list[Draft]:
    since = today - timedelta(days=LARGE_TXN_RECENT_DAYS + LARGE_TXN_BASELINE_DAYS)
    rows = list(
        Transaction.objects.filter(user_id=user_id, pending=False, amount_minor__gt=0, date__gte=since)
        .exclude(category_primary__in=NOT_SPENDING)
        .values(
            "plaid_transaction_id", "account_id", "amount_minor", "currency", "date", "name", "merchant_name"
        )
    )
    recent_from = today - timedelta(days=LARGE_TXN_RECENT_DAYS)
    link = reverse("finance:transactions")
    drafts = []
    for row in rows:
        amount, day = int(row["amount_minor"]), row["date"]
        if day < recent_from or amount <= LARGE_TXN_FLOOR_MINOR:
            continue
        window_start = day - timedelta(days=LARGE_TXN_BASELINE_DAYS)
        currency = row["currency"]
        baseline = [
            other for other in rows if other["currency"] == currency and window_start <= other["date"] < day
        ]
        if len(baseline) < LARGE_TXN_MIN_HISTORY:
            continue
        typical = percentile([int(other["amount_minor"]) for other in baseline], LARGE_TXN_PERCENTILE)
        if amount <= LARGE_TXN_FACTOR * typical:
            continue
        payee = _payee(row)
        if any(_payee(other) == payee and int(other["amount_minor"]) * 2 >= amount for other in baseline):
            continue
        label = row["merchant_name"] or row["name"]
        drafts.append(
            Draft(
                Alert.Kind.LARGE_TRANSACTION,
                Alert.Severity.WARNING,
                f"Unusually large payment: {money(amount, str(row['currency']))} at {label}",
                f"txn:{row['plaid_transaction_id']}",
                body=(
                    f"{money(amount, str(row['currency']))} to {label}{_on(day)} is much larger than your "
                    f"usual spending (95 % of your payments in the previous 90 days were "
                    f"{money(typical, str(row['currency']))} or less). If you don't recognise it, contact "
                    "your bank."
                ),
                link=link,
                subject=f"account:{row['account_id']}",
            )
        )
    return drafts


# --- bank connections --------------------------------------------------------------------------------------
def _connection_drafts(user_id: int) -> list[Draft]:
    link = reverse("finance:connections")
    drafts = []
    broken = (PlaidItem.Status.LOGIN_REQUIRED, PlaidItem.Status.PENDING_EXPIRATION)
    for item in PlaidItem.objects.filter(user_id=user_id, status__in=broken):
        name = item.institution_name or "Your bank"
        if item.status == PlaidItem.Status.LOGIN_REQUIRED:
            since = item.last_synced_at.isoformat() if item.last_synced_at else "never"
            drafts.append(
                Draft(
                    Alert.Kind.RELOGIN,
                    Alert.Severity.WARNING,
                    f"{name} needs you to sign in again",
                    f"relogin:{item.pk}:{since}",
                    body=(
                        f"We can't update {name} until you reconnect it. "
                        "It takes a minute on the connections page."
                    ),
                    link=link,
                    subject=f"item:{item.pk}",
                )
            )
        else:
            expires = item.consent_expires_at.date().isoformat() if item.consent_expires_at else "soon"
            drafts.append(
                Draft(
                    Alert.Kind.RELOGIN,
                    Alert.Severity.INFO,
                    f"{name} access expires soon",
                    f"consent:{item.pk}:{expires}",
                    body=(
                        f"Your permission for us to read {name} ends {expires}. "
                        "Reconnect it to keep it up to date."
                    ),
                    link=link,
                    subject=f"item:{item.pk}",
                )
            )
    return drafts


# --- the inbox ---------------------------------------------------------------------------------------------
def alert_mark_read(*, user_id: int, alert_pk: int) -> Alert:
    with tenant_context(user_id):
        alert = Alert.objects.get(pk=alert_pk, user_id=user_id)
        if alert.read_at is None:
            alert.read_at = timezone.now()
            alert.save(update_fields=["read_at"])
    return alert


def alert_dismiss(*, user_id: int, alert_pk: int) -> Alert:
    """Hide an alert for good (its event never alerts again)."""
    with tenant_context(user_id):
        alert = Alert.objects.get(pk=alert_pk, user_id=user_id)
        now = timezone.now()
        alert.read_at = alert.read_at or now
        alert.dismissed_at = alert.dismissed_at or now
        alert.save(update_fields=["read_at", "dismissed_at"])
    return alert


def alerts_mark_all_read(*, user_id: int) -> int:
    with tenant_context(user_id):
        return Alert.objects.filter(user_id=user_id, read_at__isnull=True).update(read_at=timezone.now())
