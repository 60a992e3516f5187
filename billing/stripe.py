"""A thin client over `stripe.StripeClient`: the calls billing makes, typed, and nothing else.

Without STRIPE_SECRET_KEY the client talks to the local sandbox (the process that also serves Plaid
and Experian). Every create carries an idempotency key; metadata carries only our ids.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

import stripe
from django.conf import settings

SANDBOX_KEY = "sk_test_local_sandbox"

# Errors worth retrying later: Stripe unreachable, rate limited, or failing on its side.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (stripe.APIConnectionError, stripe.RateLimitError)


def is_transient(error: Exception) -> bool:
    if isinstance(error, TRANSIENT_ERRORS):
        return True
    return isinstance(error, stripe.StripeError) and (error.http_status or 0) >= 500


def client() -> stripe.StripeClient:
    if settings.STRIPE_SECRET_KEY:
        return _client(settings.STRIPE_SECRET_KEY, None)
    return _client(SANDBOX_KEY, settings.SANDBOX_URL)


@functools.cache
def _client(api_key: str, api_base: str | None) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base} if api_base else None,
        max_network_retries=2,  # safe: the SDK retries POSTs with the same idempotency key
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),  # the SDK's own default
    )


def _our_ids(user_id: int) -> dict[str, str]:
    return {"user_id": str(user_id)}


# --- customers -------------------------------------------------------------------------------------
def customer_create(*, user_id: int, email: str, idempotency_key: str) -> stripe.Customer:
    return client().v1.customers.create(
        params={"email": email, "metadata": _our_ids(user_id)},
        options={"idempotency_key": idempotency_key},
    )


# --- Checkout and the Customer Portal --------------------------------------------------------------
def checkout_session_create(
    *,
    user_id: int,
    customer_id: str,
    price_id: str,
    trial_days: int | None,
    success_url: str,
    cancel_url: str,
    idempotency_key: str,
) -> stripe.checkout.Session:
    subscription_data: dict[str, Any] = {"metadata": _our_ids(user_id)}
    if trial_days:
        subscription_data["trial_period_days"] = trial_days
    params: Any = {
        "mode": "subscription",
        "customer": customer_id,
        "line_items": [{"price": price_id, "quantity": 1}],
        "success_url": success_url,
        "cancel_url": cancel_url,
        "client_reference_id": str(user_id),
        "metadata": _our_ids(user_id),
        "subscription_data": subscription_data,
    }
    return client().v1.checkout.sessions.create(params=params, options={"idempotency_key": idempotency_key})


def checkout_session_retrieve(session_id: str) -> stripe.checkout.Session:
    return client().v1.checkout.sessions.retrieve(session_id)


def portal_session_create(*, customer_id: str, return_url: str) -> stripe.billing_portal.Session:
    # Portal sessions are short-lived and single-use: a fresh key per request only guards retries.
    return client().v1.billing_portal.sessions.create(
        params={"customer": customer_id, "return_url": return_url},
        options={"idempotency_key": f"portal-{uuid.uuid4()}"},
    )


# --- subscriptions and prices ----------------------------------------------------------------------
def subscription_retrieve(subscription_id: str) -> stripe.Subscription:
    return client().v1.subscriptions.retrieve(subscription_id)


def subscriptions_of(customer_id: str) -> list[stripe.Subscription]:
    """Every subscription the customer ever had, ended ones included (newest first)."""
    listed = client().v1.subscriptions.list(params={"customer": customer_id, "status": "all", "limit": 100})
    return list(listed.data)


def price_retrieve(price_id: str) -> stripe.Price:
    return client().v1.prices.retrieve(price_id)


# --- webhooks -----------------------------------------------------------------------------------------
def construct_event(payload: bytes, signature: str | None) -> stripe.Event:
    """Verify `Stripe-Signature` over the raw body (5-minute tolerance) and parse the event.

    Raises stripe.SignatureVerificationError (bad, missing or old signature) or ValueError (not JSON).
    """
    return client().construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
