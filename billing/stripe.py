"""A thin client over `stripe.StripeClient`: the calls billing makes, typed, and nothing else.

Without STRIPE_SECRET_KEY the client talks to the local sandbox (the process that also serves Plaid
and Experian). Every create carries an idempotency key; metadata carries only our ids.

Every answer is checked to be the object asked for, with the fields billing reads: an answer of any
other shape (from a proxy in front of Stripe, or a change on Stripe's side) raises `UnexpectedAnswer`,
a `stripe.StripeError` like every other failure of a call. A webhook body that is signed but not
shaped like an event raises `MalformedEvent` (a ValueError) before anything reads it.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from typing import Any, TypeVar

import stripe
from django.conf import settings

SANDBOX_KEY = "sk_test_local_sandbox"

# Errors worth retrying later: Stripe unreachable, rate limited, or failing on its side.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (stripe.APIConnectionError, stripe.RateLimitError)

Answer = TypeVar("Answer", bound=stripe.StripeObject)
Types = type | tuple[type, ...]
OPTIONAL_TEXT: Types = (str, type(None))
OPTIONAL_TIMESTAMP: Types = (int, type(None))
REFERENCE: Types = (str, stripe.StripeObject, type(None))  # an id, an expanded object, or nothing


class UnexpectedAnswer(stripe.APIError):
    """Stripe, or something in front of it, answered with something other than the object asked for."""


def is_transient(error: Exception) -> bool:
    if isinstance(error, TRANSIENT_ERRORS):
        return True
    return isinstance(error, stripe.StripeError) and (error.http_status or 0) >= 500


def client() -> stripe.StripeClient:
    if settings.STRIPE_SECRET_KEY:
        return _client(settings.STRIPE_SECRET_KEY, None, settings.STRIPE_TIMEOUT_SECONDS)
    return _client(SANDBOX_KEY, settings.SANDBOX_URL, settings.STRIPE_TIMEOUT_SECONDS)


@functools.cache
def _client(api_key: str, api_base: str | None, timeout: float) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base} if api_base else None,
        max_network_retries=2,  # safe: the SDK retries POSTs with the same idempotency key
        http_client=stripe.RequestsClient(timeout=timeout),
    )


def _expect(answer: Answer, kind: str | None, **fields: Types) -> Answer:
    """`answer`, when it is a Stripe `kind` object (None: a nested hash) whose `fields` have these types."""
    if not isinstance(answer, stripe.StripeObject) or (kind and _value(answer, "object") != kind):
        raise UnexpectedAnswer(f"Stripe answered with something other than a {kind or 'hash'}")
    for name, types in fields.items():
        if not isinstance(_value(answer, name), types):
            raise UnexpectedAnswer(f"Stripe's {kind or 'hash'} has no {name} of the expected type")
    return answer


def _value(obj: stripe.StripeObject, name: str) -> Any:
    return obj[name] if name in obj else None  # noqa: SIM401 - StripeObject has no .get


def _our_ids(user_id: int) -> dict[str, str]:
    return {"user_id": str(user_id)}


# --- customers -------------------------------------------------------------------------------------
def customer_create(*, user_id: int, email: str, idempotency_key: str) -> stripe.Customer:
    customer = client().v1.customers.create(
        params={"email": email, "metadata": _our_ids(user_id)},
        options={"idempotency_key": idempotency_key},
    )
    return _expect(customer, "customer", id=str)


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
    session = client().v1.checkout.sessions.create(
        params=params, options={"idempotency_key": idempotency_key}
    )
    return _expect(session, "checkout.session", id=str, url=str)


def checkout_session_retrieve(session_id: str) -> stripe.checkout.Session:
    session = client().v1.checkout.sessions.retrieve(session_id)
    return _expect(
        session,
        "checkout.session",
        id=str,
        customer=REFERENCE,
        subscription=REFERENCE,
        client_reference_id=OPTIONAL_TEXT,
    )


def portal_session_create(*, customer_id: str, return_url: str) -> stripe.billing_portal.Session:
    # Portal sessions are short-lived and single-use: a fresh key per request only guards retries.
    session = client().v1.billing_portal.sessions.create(
        params={"customer": customer_id, "return_url": return_url},
        options={"idempotency_key": f"portal-{uuid.uuid4()}"},
    )
    return _expect(session, "billing_portal.session", url=str)


# --- subscriptions and prices ----------------------------------------------------------------------
def _subscription(answer: stripe.Subscription) -> stripe.Subscription:
    _expect(
        answer,
        "subscription",
        id=str,
        status=str,
        customer=REFERENCE,
        items=stripe.StripeObject,
        cancel_at_period_end=bool,
        trial_end=OPTIONAL_TIMESTAMP,
        ended_at=OPTIONAL_TIMESTAMP,
    )
    items = _expect(answer["items"], "list", data=list).data
    for item in items:
        _expect(item, "subscription_item", price=stripe.StripeObject)
        _expect(item.price, "price", id=str)
    return answer


def subscription_retrieve(subscription_id: str) -> stripe.Subscription:
    return _subscription(client().v1.subscriptions.retrieve(subscription_id))


def subscriptions_of(customer_id: str) -> list[stripe.Subscription]:
    """Every subscription the customer ever had, ended ones included (newest first)."""
    listed = client().v1.subscriptions.list(params={"customer": customer_id, "status": "all", "limit": 100})
    return [_subscription(remote) for remote in _expect(listed, "list", data=list).data]


def price_retrieve(price_id: str) -> stripe.Price:
    price = _expect(
        client().v1.prices.retrieve(price_id),
        "price",
        id=str,
        currency=str,
        unit_amount=(int, type(None)),  # null for metered and tiered prices
        recurring=(stripe.StripeObject, type(None)),
    )
    if price.recurring is not None:
        _expect(price.recurring, None, interval=str)
    return price


# --- webhooks -----------------------------------------------------------------------------------------
EVENT_ID = re.compile(r"evt_[A-Za-z0-9_]{1,251}")
EVENT_TYPE = re.compile(r"(?=.{1,100}$)[a-z_]+(\.[a-z_]+)+")
OBJECT_ID = re.compile(r"[^\x00-\x1f\x7f]{1,255}")  # some ids are chosen by people (coupons, plans)
LAST_TIMESTAMP = 253_402_300_799  # 9999-12-31T23:59:59Z, the last second a datetime holds
MAX_DEPTH = 32  # Stripe's objects nest a few levels, expanded ones included


class MalformedEvent(ValueError):
    """Signed with our secret, but not shaped like a Stripe event: nothing is recorded from it."""


def construct_event(payload: bytes, signature: str | None) -> stripe.Event:
    """Verify `Stripe-Signature` over the raw body (5-minute tolerance), then check that the body is
    shaped like an event before anything reads it.

    Raises stripe.SignatureVerificationError (bad, missing or old signature), MalformedEvent (signed,
    but not JSON or not an event) or another ValueError (not UTF-8).
    """
    stripe.WebhookSignature.verify_header(
        payload, signature, settings.STRIPE_WEBHOOK_SECRET, stripe.Webhook.DEFAULT_TOLERANCE
    )
    try:
        values = json.loads(payload)
    except (ValueError, RecursionError):
        raise MalformedEvent("the body is not JSON") from None
    problem = event_problem(values)
    if problem:
        raise MalformedEvent(problem)
    return client().construct_event_without_verification(payload)


def event_problem(values: Any) -> str | None:
    """What keeps `values` from being an event billing can read: its envelope, and the references
    to other objects that billing takes from `data.object`. None when there is nothing."""
    if not isinstance(values, dict) or values.get("object") != "event":
        return "the body is not an event object"
    if _depth(values) > MAX_DEPTH:
        return "the event nests deeper than Stripe's objects do"
    if not _matches(EVENT_ID, values.get("id")):
        return "id is not an event id"
    if not _matches(EVENT_TYPE, values.get("type")):
        return "type is not an event type"
    created = values.get("created")
    if type(created) is not int or not 0 < created <= LAST_TIMESTAMP:
        return "created is not a Unix timestamp"
    if not isinstance(values.get("livemode"), bool):
        return "livemode is not true or false"
    data = values.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        return "data.object is not an object"
    if "id" in obj and not _matches(OBJECT_ID, obj["id"]):
        return "data.object.id is not an id"
    parent = obj.get("parent")
    details = parent.get("subscription_details") if isinstance(parent, dict) else None
    if not isinstance(parent, dict | None) or not isinstance(details, dict | None):
        return "data.object.parent is not an object"
    references = {"customer": obj.get("customer"), "subscription": obj.get("subscription")}
    references["parent.subscription_details.subscription"] = (details or {}).get("subscription")
    for name, value in references.items():
        if not (value is None or _matches(OBJECT_ID, value) or _matches(OBJECT_ID, _id_of(value))):
            return f"data.object.{name} is neither an id nor an object with one"
    return None


def _matches(pattern: re.Pattern[str], value: Any) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def _id_of(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else None


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in `value` (without recursing, whatever the depth)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        current, depth = pending.pop()
        children = (
            current.values() if isinstance(current, dict) else current if isinstance(current, list) else ()
        )
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > MAX_DEPTH:
                    return depth + 1
                pending.append((child, depth + 1))
        deepest = max(deepest, depth)
    return deepest
