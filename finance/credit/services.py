"""Consent, identity and credit pulls.

A pull happens only with the person's recorded consent, at most once per UTC day, one at a time per
person (a Redis lock), and only while their plan includes credit monitoring. The Experian call runs
outside any database transaction (callers run these bound to the tenant, never inside a transaction);
the snapshot is then written in one short transaction, and the alert engine looks at it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from redis.exceptions import LockError

from accounts.audit import audit_record
from accounts.models import User
from billing.selectors import entitlements
from creditapp.core import crypto
from creditapp.core.locks import lock
from creditapp.core.queue import enqueue_on_commit
from finance.alerts.engine import alerts_evaluate
from finance.credit import experian
from finance.credit import parser as credit_parser
from finance.credit.models import CreditProfile, CreditReport, CreditScore, Inquiry, ScoreFactor, Tradeline
from notifications.models import WebhookEvent
from notifications.webhooks import webhook_event_emit

log = logging.getLogger(__name__)

# The authorization people give before the first pull. Changing the wording means a new version: people
# who agreed to an older one are asked again (`consent_is_current`).
CONSENT_VERSION = "2025-06-01"
CONSENT_TEXT = (
    "I authorize creditapp, under the Fair Credit Reporting Act, to obtain my credit report and credit "
    "score from Experian now and periodically while I have a creditapp account, in order to show them to "
    "me and alert me to changes. This is my written instruction. Checking my own credit this way does "
    "not affect my credit score. I can withdraw this authorization at any time."
)
# billing.plans cadence → days between scheduled pulls.
CADENCE_DAYS = {"weekly": 7, "monthly": 30}
PULL_LOCK_SECONDS = 5 * 60
PENDING_SECONDS = 10 * 60


class ConsentRequired(Exception):
    """No recorded consent (or identity) for this person: never pull."""


@dataclass(frozen=True)
class PullResult:
    report: CreditReport | None = None
    skipped: str = ""  # "busy", "already_today", "not_entitled"


@dataclass(frozen=True)
class RefreshAvailability:
    allowed: bool
    reason: str = ""  # why not, for the page
    next_at: datetime | None = None


# --- consent and identity ----------------------------------------------------------------------------
def applicant_of(profile: CreditProfile) -> experian.Applicant:
    stored: dict[str, Any] = profile.identity()
    stored["date_of_birth"] = date.fromisoformat(stored["date_of_birth"])
    return experian.Applicant(**stored)


def consent_is_current(profile: CreditProfile | None) -> bool:
    return profile is not None and profile.consent_version == CONSENT_VERSION


def credit_profile_save(
    *, user_id: int, applicant: experian.Applicant, consent_version: str, consent_ip: str | None
) -> CreditProfile:
    """Record consent to the current text and the (encrypted) identity, then queue the first pull."""
    if consent_version != CONSENT_VERSION:
        raise ValueError(f"consent was given to text version {consent_version!r}, not {CONSENT_VERSION!r}")
    identity = dataclasses.asdict(applicant) | {"date_of_birth": applicant.date_of_birth.isoformat()}
    now = timezone.now()
    with transaction.atomic():
        profile, created = CreditProfile.objects.update_or_create(
            user_id=user_id,
            defaults={
                "identity_encrypted": crypto.encrypt(json.dumps(identity)),
                "ssn_last4": applicant.ssn[-4:],
                "consent_given_at": now,
                "consent_version": consent_version,
                "consent_ip": consent_ip,
                "last_error_at": None,
                "last_error_code": "",
                "last_error_message": "",
            },
        )
        audit_record(
            "credit.consent_given",
            user_id=user_id,
            details={"version": consent_version, "ip": consent_ip, "first": created},
        )
        _enqueue_pull(user_id, CreditReport.Trigger.CONSENT)
    return profile


def credit_profile_withdraw(*, user_id: int) -> None:
    """Withdraw consent: the identity is deleted and no further pulls happen. Past snapshots stay (the
    person's own history) until they delete their data."""
    with transaction.atomic():
        deleted, _ = CreditProfile.objects.for_user(user_id).delete()
        if deleted:
            audit_record("credit.consent_withdrawn", user_id=user_id)


# --- when a pull may happen ------------------------------------------------------------------------------
def refresh_interval(*, user_id: int) -> timedelta | None:
    """How often this person's plan refreshes their report; None: their plan has no credit monitoring."""
    cadence = entitlements(User.objects.get(pk=user_id)).credit_refresh
    days = CADENCE_DAYS.get(cadence) if cadence else None
    return timedelta(days=days) if days else None


def _pending_key(user_id: int) -> str:
    return f"credit-refresh-pending:{user_id}"


def credit_refresh_pending(*, user_id: int) -> bool:
    return bool(cache.get(_pending_key(user_id)))


def credit_refresh_availability(*, user_id: int, now: datetime | None = None) -> RefreshAvailability:
    """Whether the person may ask for a fresh report now, and if not, why and from when."""
    now = now or timezone.now()
    profile = CreditProfile.objects.for_user(user_id).first()
    latest = CreditReport.objects.for_user(user_id).order_by("-pulled_at").first()
    if not consent_is_current(profile):
        return RefreshAvailability(False, "Confirm your details and consent first.")
    if refresh_interval(user_id=user_id) is None:
        return RefreshAvailability(False, "Your plan does not include credit monitoring.")
    if credit_refresh_pending(user_id=user_id):
        return RefreshAvailability(False, "A refresh is already in progress.")
    if latest is not None:
        cooldown_ends = latest.pulled_at + timedelta(hours=settings.CREDIT_REFRESH_COOLDOWN_HOURS)
        next_day = datetime.combine(latest.pulled_on + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
        next_at = max(cooldown_ends, next_day)
        if now < next_at:
            return RefreshAvailability(False, "You can refresh your report once a day.", next_at)
    return RefreshAvailability(True)


def credit_refresh_request(*, user_id: int) -> RefreshAvailability:
    """On demand: queue a pull if one is allowed now; says why not otherwise."""
    availability = credit_refresh_availability(user_id=user_id)
    if availability.allowed:
        with transaction.atomic():
            _enqueue_pull(user_id, CreditReport.Trigger.ON_DEMAND)
    return availability


def credit_refresh_due(*, user_id: int, today: date | None = None) -> bool:
    """Scheduled: the plan's interval has passed since the last stored pull (or there is none)."""
    interval = refresh_interval(user_id=user_id)
    if interval is None:
        return False
    today = today or timezone.now().date()
    latest = CreditReport.objects.for_user(user_id).order_by("-pulled_on").first()
    return latest is None or latest.pulled_on <= today - interval


def _enqueue_pull(user_id: int, trigger: str) -> None:
    """Queue a pull once the current transaction commits; the page shows it as in progress meanwhile."""
    cache.set(_pending_key(user_id), 1, timeout=PENDING_SECONDS)
    enqueue_on_commit("finance.credit.refresh_user", user_id, trigger)


# --- the pull --------------------------------------------------------------------------------------------
def credit_report_pull(*, user_id: int, trigger: str) -> PullResult:
    """Pull, store and evaluate one report. Idempotent: a second call the same day stores nothing.

    Raises ConsentRequired without consent, experian.ExperianError when Experian fails (transient ones
    are for the caller to retry; the others are also recorded on the profile for the page).
    """
    user_lock = lock(f"credit-pull:{user_id}", timeout=PULL_LOCK_SECONDS)
    if not user_lock.acquire(blocking=False):
        return PullResult(skipped="busy")
    try:
        pulled_at = timezone.now()
        with transaction.atomic():
            profile = CreditProfile.objects.for_user(user_id).first()
            if not consent_is_current(profile):
                raise ConsentRequired(f"user {user_id} has not consented to the current text")
            assert profile is not None
            if CreditReport.objects.for_user(user_id).filter(pulled_on=pulled_at.date()).exists():
                return PullResult(skipped="already_today")
        if refresh_interval(user_id=user_id) is None:
            return PullResult(skipped="not_entitled")
        try:
            payload = experian.credit_report(applicant_of(profile), reference=f"creditapp-{user_id}")
            parsed = credit_parser.parse_report(payload)
        except experian.ExperianError as error:
            if not error.transient:
                _record_failure(user_id, error.code or str(error.status), _failure_message(error))
            raise
        except credit_parser.ReportFormatError as error:
            _record_failure(user_id, "FORMAT", "Experian sent a report we could not read.")
            raise experian.ExperianError(200, "FORMAT", str(error)) from error
        with transaction.atomic():
            report = _store(user_id, parsed, payload, trigger=trigger, pulled_at=pulled_at)
            CreditProfile.objects.for_user(user_id).update(
                last_error_at=None, last_error_code="", last_error_message=""
            )
            audit_record(
                "credit.report_pulled", user_id=user_id, details={"report": report.pk, "trigger": trigger}
            )
            headline = CreditScore.objects.for_user(user_id).filter(report=report, model=report.model).first()
            webhook_event_emit(
                user_id=user_id,
                event=WebhookEvent.CREDIT_REPORT_READY,
                data={
                    "report_id": report.pk, "pulled_at": report.pulled_at.isoformat(),
                    "status": report.status, "score": headline.value if headline else None,
                },
            )  # fmt: skip
    finally:
        cache.delete(_pending_key(user_id))
        try:
            user_lock.release()
        except LockError:
            log.warning("credit pull lock for user %s expired before the pull ended", user_id)
    alerts_evaluate(user_id=user_id)
    return PullResult(report=report)


def _failure_message(error: experian.ExperianError) -> str:
    """What the page tells the person (Experian's own wording stays in the logs)."""
    if isinstance(error, experian.InquiryNotAllowed):
        return "Experian could not release your report. If you have a security freeze, lift it and try again."
    if isinstance(error, experian.ExperianValidationError):
        return "Experian could not match the details you gave. Check them and try again."
    return "We could not get your report from Experian. We'll try again later."


def _record_failure(user_id: int, code: str, message: str) -> None:
    log.warning("credit pull for user %s failed: %s", user_id, code)
    CreditProfile.objects.for_user(user_id).update(
        last_error_at=timezone.now(), last_error_code=code[:20], last_error_message=message[:300]
    )


def _store(
    user_id: int,
    parsed: credit_parser.Report,
    payload: dict[str, object],
    *,
    trigger: str,
    pulled_at: datetime,
) -> CreditReport:
    headline = parsed.score
    scored = headline is not None and headline.value is not None
    report = CreditReport.objects.create(
        user_id=user_id,
        pulled_at=pulled_at,
        pulled_on=pulled_at.date(),
        report_date=parsed.report_date,
        status=CreditReport.Status.COMPLETE if scored else CreditReport.Status.NO_SCORE,
        trigger=trigger,
        model=headline.model if headline else settings.EXPERIAN_RISK_MODEL,
        summary=parsed.summary.as_json(),
        raw_encrypted=crypto.encrypt(json.dumps(credit_parser.without_account_numbers(payload))),
    )
    day = pulled_at.date()
    CreditScore.objects.bulk_create(
        CreditScore(
            user_id=user_id, report=report, model=s.model, model_name=s.model_name, value=s.value, date=day
        )
        for s in parsed.scores
    )
    ScoreFactor.objects.bulk_create(
        ScoreFactor(
            user_id=user_id, report=report, model=s.model, rank=f.rank, code=f.code, text=f.text[:300]
        )
        for s in parsed.scores
        for f in s.factors
    )
    Tradeline.objects.bulk_create(
        Tradeline(
            user_id=user_id,
            report=report,
            identity=t.identity[:120],
            creditor=t.creditor[:100],
            account_last4=t.account_last4,
            account_type=t.account_type[:4],
            revolving=t.revolving,
            opened_on=t.opened_on,
            is_open=t.is_open,
            balance_minor=t.balance_minor,
            balance_date=t.balance_date,
            limit_minor=t.limit_minor,
            high_balance_minor=t.high_balance_minor,
            original_amount_minor=t.original_amount_minor,
            monthly_payment_minor=t.monthly_payment_minor,
            past_due_minor=t.past_due_minor,
            last_payment_on=t.last_payment_on,
            payment_history=t.payment_history[:100],
            status=t.status[:4],
        )
        for t in parsed.tradelines
    )
    Inquiry.objects.bulk_create(
        Inquiry(
            user_id=user_id,
            report=report,
            identity=i.identity[:60],
            inquired_on=i.inquired_on,
            subscriber_name=i.subscriber_name[:100],
            subscriber_code=i.subscriber_code[:20],
            kind_of_business=i.kind_of_business[:4],
            credit_type=i.credit_type[:4],
            amount_minor=i.amount_minor,
        )
        for i in parsed.inquiries
    )
    return report
