"""Writes: Stripe customers, Checkout and Portal sessions, the Subscription mirror, webhook events.

The mirror is only ever rewritten from what Stripe says *now* (re-read by id), under a per-customer
database lock, so webhooks arriving late, twice or out of order all end in Stripe's current state.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from datetime import UTC, datetime
from typing import Any

import stripe
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.audit import audit_record
from billing import stripe as stripe_api
from billing.models import BillingCustomer, Subscription, WebhookEvent
from billing.notices import billing_notice_raise
from billing.plans import Interval, Plan, plan_for_price
from billing.selectors import billing_customer_id, had_trial, live_subscription
from creditapp.core.queue import enqueue_on_commit
from creditapp.tenancy.db import maintenance_access

log = logging.getLogger(__name__)

HANDLED_EVENTS = frozenset(
    {
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.subscription.trial_will_end",
        "invoice.paid",
        "invoice.payment_failed",
    }
)
MAX_ERROR_LENGTH = 2000
CHECKOUT_SESSION_ID = re.compile(r"cs_(test|live)_[A-Za-z0-9]{1,240}")


class BillingError(Exception):
    """Something the person can fix or retry; the message is safe to show them."""


class AlreadySubscribed(BillingError):
    pass


class NoBillingCustomer(BillingError):
    pass


class CheckoutSessionNotFound(BillingError):
    """Missing, someone else's, or not a Checkout Session id at all: the caller cannot tell which (404)."""


class UnknownCustomer(Exception):
    """A webhook names a Stripe customer none of our users owns."""


def _ts(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value else None


def _field(obj: Any, name: str) -> Any:
    """A field of a StripeObject (not a dict: it has no `.get`) or None when absent."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(name)
    return obj[name] if name in obj else None  # noqa: SIM401 - StripeObject has no .get


def _id(value: Any) -> str:
    """A Stripe reference is an id, an expanded object, or nothing."""
    if not value:
        return ""
    return value if isinstance(value, str) else str(_field(value, "id") or "")


def _lock_customer(customer_id: str) -> None:
    """Serialise every sync of one customer until the surrounding transaction ends.

    Two workers re-reading the same subscription could otherwise write their answers in the wrong
    order; with this lock the later reader always writes last.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("_lock_customer() only inside transaction.atomic()")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"stripe-customer:{customer_id}"])


# --- customers and sessions ---------------------------------------------------------------------------
def billing_customer_ensure(*, user: Any) -> str:
    """The person's Stripe customer id, creating the customer the first time (and only then)."""
    existing = billing_customer_id(user_id=user.pk)
    if existing:
        return existing
    # Same person and email → same key → Stripe answers a retry with the customer it already made.
    fingerprint = hashlib.sha256(user.email.encode()).hexdigest()[:12]
    customer = stripe_api.customer_create(
        user_id=user.pk, email=user.email, idempotency_key=f"customer-{user.pk}-{fingerprint}"
    )
    with transaction.atomic():
        row, created = BillingCustomer.objects.get_or_create(
            user_id=user.pk, defaults={"stripe_customer_id": customer.id}
        )
        if created:
            audit_record("billing.customer_created", user_id=user.pk, details={"customer": customer.id})
    return row.stripe_customer_id


def trial_eligible(*, user_id: int, customer_id: str) -> bool:
    """A Stripe trial only for people who never had one (ours or Stripe's record says so)."""
    if had_trial(user_id=user_id):
        return False
    return not any(_field(remote, "trial_start") for remote in stripe_api.subscriptions_of(customer_id))


def checkout_start(*, user: Any, plan: Plan, interval: Interval, success_url: str, cancel_url: str) -> str:
    """Create a subscription-mode Checkout Session and return its URL."""
    if not plan.paid:
        raise BillingError("That plan cannot be bought.")
    if live_subscription(user_id=user.pk) is not None:
        raise AlreadySubscribed("You already have a subscription: change it in the billing portal.")
    customer_id = billing_customer_ensure(user=user)
    trial_days = settings.TRIAL_DAYS if trial_eligible(user_id=user.pk, customer_id=customer_id) else None
    price_id = plan.price_id(interval)
    # A double click within the same minute gets the same session instead of a second one.
    minute = int(time.time() // 60)
    session = stripe_api.checkout_session_create(
        user_id=user.pk, customer_id=customer_id, price_id=price_id, trial_days=trial_days,
        success_url=success_url, cancel_url=cancel_url,
        idempotency_key=f"checkout-{user.pk}-{price_id}-{trial_days or 0}-{minute}",
    )  # fmt: skip
    with transaction.atomic():
        details = {"session": session.id, "plan": plan.code, "interval": interval, "trial_days": trial_days}
        audit_record("billing.checkout_started", user_id=user.pk, details=details)
    return str(session.url)


def portal_start(*, user_id: int, return_url: str) -> str:
    customer_id = billing_customer_id(user_id=user_id)
    if not customer_id:
        raise NoBillingCustomer("Choose a plan first: there is nothing to manage yet.")
    return str(stripe_api.portal_session_create(customer_id=customer_id, return_url=return_url).url)


# --- the Subscription mirror ----------------------------------------------------------------------------
def subscription_sync(*, user_id: int, remote: stripe.Subscription) -> Subscription:
    """Write our mirror of `remote` (Stripe's current state). Call under `_lock_customer`."""
    items = remote["items"].data
    item = items[0] if items else None
    price_id = item.price.id if item else ""
    known = plan_for_price(price_id)
    if known is None:
        log.warning("subscription %s uses price %r, which is none of STRIPE_PRICES", remote.id, price_id)
    # Since API version 2025-03-31 the period lives on the items; older versions had it on the subscription.
    period_end = _field(item, "current_period_end") or _field(remote, "current_period_end")
    with transaction.atomic():
        existing = Subscription.objects.for_user(user_id).filter(stripe_subscription_id=remote.id).first()
        past_due_since = None
        if remote.status == Subscription.Status.PAST_DUE:
            past_due_since = (existing.past_due_since if existing else None) or timezone.now()
        subscription, _ = Subscription.objects.update_or_create(
            user_id=user_id,
            stripe_subscription_id=remote.id,
            defaults={
                "stripe_customer_id": _id(remote.customer),
                "stripe_price_id": price_id,
                "plan": known[0].code if known else "",
                "interval": known[1] if known else "",
                "status": remote.status,
                "current_period_end": _ts(period_end),
                "cancel_at_period_end": bool(remote.cancel_at_period_end),
                "trial_end": _ts(remote.trial_end),
                "past_due_since": past_due_since,
                "ended_at": _ts(_field(remote, "ended_at")),
            },
        )
        before = (existing.status, existing.plan, existing.cancel_at_period_end) if existing else None
        after = (subscription.status, subscription.plan, subscription.cancel_at_period_end)
        if before != after:
            audit_record(
                "billing.subscription_changed", user_id=user_id,
                details={"subscription": remote.id, "before": before, "after": after},
            )  # fmt: skip
    return subscription


def subscription_refresh(*, user_id: int, customer_id: str, subscription_id: str) -> Subscription | None:
    """Re-read one subscription from Stripe and mirror it (safe against stale or reordered events)."""
    with transaction.atomic():
        _lock_customer(customer_id)
        try:
            remote = stripe_api.subscription_retrieve(subscription_id)
        except stripe.InvalidRequestError as error:
            if error.http_status != 404:
                raise
            # Gone at Stripe (a deleted test clock, say): it grants nothing.
            Subscription.objects.for_user(user_id).filter(stripe_subscription_id=subscription_id).update(
                status=Subscription.Status.CANCELED, past_due_since=None, ended_at=timezone.now()
            )
            return None
        if _id(remote.customer) != customer_id:
            raise UnknownCustomer(f"subscription {subscription_id} is not customer {customer_id}'s")
        return subscription_sync(user_id=user_id, remote=remote)


def checkout_session_sync(*, user_id: int, session_id: str) -> Subscription | None:
    """After Checkout: read the session back and mirror its subscription, so the plan is active even
    when the webhook is slow. Someone else's session is indistinguishable from a missing one."""
    if not CHECKOUT_SESSION_ID.fullmatch(session_id):
        raise CheckoutSessionNotFound(session_id)  # never sent to Stripe: it names no session
    customer_id = billing_customer_id(user_id=user_id)
    try:
        session = stripe_api.checkout_session_retrieve(session_id)
    except stripe.InvalidRequestError as error:
        raise CheckoutSessionNotFound(session_id) from error
    if not customer_id or _id(session.customer) != customer_id or session.client_reference_id != str(user_id):
        raise CheckoutSessionNotFound(session_id)
    subscription_id = _id(session.subscription)
    if not subscription_id:
        return None  # not completed (yet)
    return subscription_refresh(user_id=user_id, customer_id=customer_id, subscription_id=subscription_id)


# --- webhooks -------------------------------------------------------------------------------------------
def _event_ids(event_type: str, obj: Any) -> dict[str, str]:
    object_id = _id(obj)
    if event_type.startswith("customer.subscription."):
        subscription_id = object_id
    elif event_type.startswith("invoice."):
        # Since API version 2025-03-31 an invoice names its subscription under parent.subscription_details.
        details = _field(_field(obj, "parent"), "subscription_details")
        subscription_id = _id(_field(obj, "subscription")) or _id(_field(details, "subscription"))
    else:
        subscription_id = _id(_field(obj, "subscription"))
    return {
        "object_id": object_id,
        "customer_id": _id(_field(obj, "customer")),
        "subscription_id": subscription_id,
    }


def webhook_event_record(*, event: stripe.Event) -> tuple[WebhookEvent, bool]:
    """Store a verified event once; the first time, queue its processing after commit."""
    with transaction.atomic():
        record, created = WebhookEvent.objects.get_or_create(
            event_id=event.id,
            defaults={
                "type": event.type,
                "livemode": bool(event.livemode),
                "stripe_created_at": _ts(event.created),
                **_event_ids(event.type, event.data.object),
            },
        )
        if created:
            enqueue_on_commit("billing.process_stripe_event", record.pk)
    return record, created


def _owner_of(customer_id: str) -> int | None:
    with maintenance_access("stripe webhook: find customer owner"):
        owner = (
            BillingCustomer.objects.filter(stripe_customer_id=customer_id)
            .values_list("user_id", flat=True)
            .first()
        )
    return owner


def webhook_event_owner(event_pk: int) -> int | None:
    """The person a stored event is about (its processing runs as them), or None when nobody is."""
    customer_id = WebhookEvent.objects.filter(pk=event_pk).values_list("customer_id", flat=True).first()
    return _owner_of(customer_id) if customer_id else None


def _apply(event: WebhookEvent) -> None:
    if not event.customer_id:
        raise UnknownCustomer(f"{event.type} {event.event_id} names no customer")
    owner = _owner_of(event.customer_id)
    if owner is None:
        raise UnknownCustomer(f"no user owns Stripe customer {event.customer_id}")
    subscription = None
    if event.subscription_id:
        subscription = subscription_refresh(
            user_id=owner, customer_id=event.customer_id, subscription_id=event.subscription_id
        )
    audit_record("billing.stripe_event", user_id=owner, details={"event": event.event_id, "type": event.type})
    if subscription is not None:
        billing_notice_raise(event=event, subscription=subscription)


def webhook_event_process(*, event_pk: int) -> WebhookEvent:
    """Apply one stored event exactly once. A failure is recorded on the row (and re-raised), so
    it shows in the admin and can be replayed; a processed event is never applied again."""
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.select_for_update().get(pk=event_pk)
            if event.status == WebhookEvent.Status.PROCESSED:
                return event
            _apply(event)
            event.status = WebhookEvent.Status.PROCESSED
            event.attempts += 1
            event.processed_at = timezone.now()
            event.last_error = ""
            event.save(update_fields=["status", "attempts", "processed_at", "last_error"])
            return event
    except WebhookEvent.DoesNotExist:
        raise
    except Exception as error:
        WebhookEvent.objects.filter(pk=event_pk).exclude(status=WebhookEvent.Status.PROCESSED).update(
            status=WebhookEvent.Status.FAILED,
            attempts=F("attempts") + 1,
            last_error=f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH],
        )
        raise


def webhook_events_replay(*, event_pks: list[int]) -> int:
    """Queue unprocessed (failed or stuck) events again; processed ones are left alone."""
    pending = list(
        WebhookEvent.objects.filter(pk__in=event_pks)
        .exclude(status=WebhookEvent.Status.PROCESSED)
        .values_list("pk", flat=True)
    )
    WebhookEvent.objects.filter(pk__in=pending).update(status=WebhookEvent.Status.RECEIVED)
    for pk in pending:
        enqueue_on_commit("billing.process_stripe_event", pk)
    return len(pending)
