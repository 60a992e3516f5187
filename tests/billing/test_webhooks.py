# subscription_of() is Optional; these tests assert it exists by using it.
# mypy: disable-error-code="union-attr"

"""POST /billing/webhook/: only Stripe-signed, fresh events are stored; each is applied exactly once,
in whatever order and however often it arrives; failures are visible and can be replayed."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import AuditEntry
from billing.models import BillingCustomer, WebhookEvent
from billing.tasks import process_stripe_event
from creditapp.tenancy.db import tenant_binding, tenant_context
from tests.billing.conftest import (
    StripeSandbox,
    make_user,
    process_received,
    signed_in,
    start_checkout,
    subscription_of,
)

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "maint"]),
    pytest.mark.urls("tests.billing.urls"),  # + accounts.urls, until the project includes it
]


def purge() -> None:
    from creditapp.celery import app

    app.control.purge()


def sign(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """Stripe's scheme: t=<unix>,v1=HMAC-SHA256(secret, "<t>.<raw body>")."""
    t = int(timestamp if timestamp is not None else time.time())
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def event_body(event_id: str = "evt_test_signature") -> bytes:
    event = {
        "id": event_id, "object": "event", "type": "customer.subscription.updated",
        "created": int(time.time()), "livemode": False, "api_version": "2026-10-28.endive",
        "pending_webhooks": 1,
        "data": {"object": {"id": "sub_test_1", "object": "subscription", "customer": "cus_test_1"}},
    }  # fmt: skip
    return json.dumps(event, indent=2).encode()


def post(body: bytes, signature: str | None) -> int:
    headers = {"HTTP_STRIPE_SIGNATURE": signature} if signature is not None else {}
    client = Client(raise_request_exception=False)  # a crash is a 500 to assert on, as Stripe would see it
    return client.post("/billing/webhook/", body, content_type="application/json", **headers).status_code


@pytest.mark.parametrize(
    "case", ["wrong secret", "too old", "tampered body", "re-serialised body", "missing", "garbage"]
)
def test_bad_or_old_signatures_are_refused_and_nothing_is_stored(case: str, enqueued: Any) -> None:
    body = event_body()
    secret = settings.STRIPE_WEBHOOK_SECRET
    presented, signature = {
        "wrong secret": (body, sign(body, "whsec_not_ours")),
        "too old": (body, sign(body, secret, int(time.time()) - 301)),
        "tampered body": (body.replace(b"cus_test_1", b"cus_test_2"), sign(body, secret)),
        "re-serialised body": (json.dumps(json.loads(body)).encode(), sign(body, secret)),
        "missing": (body, None),
        "garbage": (body, "not-a-signature"),
    }[case]
    assert post(presented, signature) == 400
    assert not WebhookEvent.objects.exists()
    assert enqueued() == []


def _event(**changes: Any) -> dict[str, Any]:
    event = json.loads(event_body())
    for path, value in changes.items():
        *parents, name = path.split("__")
        target = event
        for parent in parents:
            target = target[parent]
        if value is DELETE:
            del target[name]
        else:
            target[name] = value
    return event


DELETE = object()
NOT_EVENTS: dict[str, Any] = {
    "an empty object": {},
    "a list": [],
    "null": None,
    "a string": "customer.subscription.updated",
    "a number": 42,
    "no data": _event(data=DELETE),
    "data not an object": _event(data="sub_test_1"),
    "data.object null": _event(data__object=None),
    "data.object a list": _event(data__object=[{"id": "sub_test_1"}]),
    "data.object a string": _event(data__object="sub_test_1"),
    "no id": _event(id=DELETE),
    "id a number": _event(id=123),
    "id an object": _event(id={"id": "evt_1"}),
    "id with a NUL": _event(id="evt_\u0000"),
    "id too long": _event(id="evt_" + "x" * 300),
    "no type": _event(type=DELETE),
    "type a list": _event(type=["customer.subscription.updated"]),
    "not an event object": _event(object="subscription"),
    "created a string": _event(created="yesterday"),
    "created past year 9999": _event(created=10**12),
    "livemode a string": _event(livemode="false"),
    "object id a number": _event(data__object__id=7),
    "customer a number": _event(data__object__customer=7),
    "customer with a NUL": _event(data__object__customer="cus_\u0000"),
    "customer an object without an id": _event(data__object__customer={"email": "x@example.com"}),
    "subscription a list": _event(type="invoice.paid", data__object__subscription=["sub_test_1"]),
    "invoice parent a string": _event(type="invoice.paid", data__object__parent="sub_test_1"),
    "invoice subscription a number": _event(
        type="invoice.paid", data__object__parent={"subscription_details": {"subscription": 5}}
    ),
}


@pytest.mark.parametrize("case", [*NOT_EVENTS, "nested too deeply", "deeper than JSON goes", "not UTF-8"])
def test_signed_bodies_not_shaped_like_an_event_are_refused_and_nothing_is_recorded(
    case: str, enqueued: Any
) -> None:
    body = {
        "nested too deeply": json.dumps(
            _event(data__object__metadata=json.loads("[" * 40 + "]" * 40))
        ).encode(),
        "deeper than JSON goes": b'{"object": "event", "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "not UTF-8": event_body().replace(b"cus_test_1", b"cus_\xff"),
    }.get(case) or json.dumps(NOT_EVENTS[case]).encode()
    assert post(body, sign(body, settings.STRIPE_WEBHOOK_SECRET)) == 400
    assert not WebhookEvent.objects.exists()
    assert enqueued() == []


def test_a_good_signature_is_stored_once_and_queued_once(enqueued: Any) -> None:
    body = event_body()
    assert post(body, sign(body, settings.STRIPE_WEBHOOK_SECRET)) == 200
    assert post(body, sign(body, settings.STRIPE_WEBHOOK_SECRET)) == 200
    event = WebhookEvent.objects.get()
    assert (event.event_id, event.status, event.attempts) == ("evt_test_signature", "received", 0)
    assert (event.customer_id, event.subscription_id) == ("cus_test_1", "sub_test_1")
    assert enqueued() == ["billing.process_stripe_event"]
    assert not hasattr(event, "user_id") and not hasattr(event, "payload")  # ids only


def test_events_we_do_not_handle_are_acknowledged_and_not_stored(enqueued: Any) -> None:
    body = event_body().replace(b"customer.subscription.updated", b"customer.created")
    assert post(body, sign(body, settings.STRIPE_WEBHOOK_SECRET)) == 200
    assert not WebhookEvent.objects.exists() and enqueued() == []


def _subscribe_without_deliveries(sandbox: StripeSandbox, plan: str = "pro") -> tuple[Any, str]:
    """A user with a completed Checkout whose events the sandbox holds back until asked."""
    sandbox.configure(auto_deliver=False)
    user = make_user()
    _, session_id = start_checkout(signed_in(user), plan, "monthly")
    sandbox.complete(session_id)
    return user, session_id


def test_the_same_event_ten_times_has_one_effect(stripe_webhooks: StripeSandbox, enqueued: Any) -> None:
    user, _ = _subscribe_without_deliveries(stripe_webhooks)
    (completed,) = stripe_webhooks.event_ids("checkout.session.completed")
    result = stripe_webhooks.control(f"/events/{completed}/redeliver", {"times": 10})
    assert [d["status"] for d in result["deliveries"]] == [200] * 10
    assert WebhookEvent.objects.filter(event_id=completed).count() == 1
    assert enqueued() == ["billing.process_stripe_event"]

    pk = WebhookEvent.objects.get(event_id=completed).pk
    for _ in range(10):  # and even if the queue handed the task out ten times
        assert process_stripe_event(pk) == "processed"
    event = WebhookEvent.objects.get(pk=pk)
    assert (event.status, event.attempts) == ("processed", 1)
    subscription = subscription_of(user)
    assert subscription is not None and (subscription.plan, subscription.status) == ("pro", "trialing")
    with tenant_context(user.pk):
        applied = AuditEntry.objects.filter(user=user, action="billing.stripe_event")
        assert [entry.details["event"] for entry in applied] == [completed]
        assert AuditEntry.objects.filter(user=user, action="billing.subscription_changed").count() == 1


def test_out_of_order_events_end_in_stripes_current_state(stripe_webhooks: StripeSandbox) -> None:
    user, _ = _subscribe_without_deliveries(stripe_webhooks)
    subscription_id = stripe_webhooks.client.v1.subscriptions.list(params={"limit": 1}).data[0].id
    stripe_webhooks.client.v1.subscriptions.update(subscription_id, params={"cancel_at_period_end": True})
    stripe_webhooks.client.v1.subscriptions.cancel(subscription_id)
    ids = stripe_webhooks.event_ids(
        "checkout.session.completed", "customer.subscription.*", "invoice.paid", "invoice.payment_failed"
    )
    assert len(ids) >= 4

    # Newest first: `deleted` arrives before `created`, and is applied before it.
    assert stripe_webhooks.deliver(ids, reverse=True) == [200] * len(ids)
    arrival = list(WebhookEvent.objects.order_by("received_at", "id").values_list("type", flat=True))
    assert arrival.index("customer.subscription.deleted") < arrival.index("customer.subscription.created")
    process_received()
    subscription = subscription_of(user)
    assert subscription is not None and subscription.status == "canceled"
    assert not WebhookEvent.objects.exclude(status="processed").exists()


def test_payment_failure_past_due_grace_and_recovery(stripe_webhooks: StripeSandbox) -> None:
    """Test clock: the trial ends, the card is declined (past due, still Pro during the grace period),
    then a new card in the portal pays the invoice (active again)."""
    from datetime import timedelta

    from django.utils import timezone

    from billing.selectors import entitlements
    from tests.billing.conftest import DAY, T0

    user = make_user(joined_days_ago=20)  # the app-level trial is long over
    clock_id, customer_id = stripe_webhooks.clock_customer(user)
    client = signed_in(user)
    _, session_id = start_checkout(client, "pro", "monthly")
    stripe_webhooks.complete(session_id)
    stripe_webhooks.flush()
    process_received()
    assert subscription_of(user).status == "trialing"

    stripe_webhooks.card(customer_id, fails=True)
    stripe_webhooks.advance_clock(clock_id, T0 + 15 * DAY)  # past the trial end: the first charge fails
    stripe_webhooks.flush()
    assert "invoice.payment_failed" in WebhookEvent.objects.values_list("type", flat=True)
    process_received()
    subscription = subscription_of(user)
    assert subscription is not None and subscription.status == "past_due"
    assert subscription.past_due_since is not None
    now = timezone.now()
    with tenant_binding(user.pk):
        within, after = entitlements(user, at=now), entitlements(user, at=now + timedelta(days=8))
    assert (within.plan.code, within.status, within.api_access) == ("pro", "past_due", True)
    assert (after.plan.code, after.status, after.api_access) == ("expired", "expired", False)
    assert "didn't go through" in client.get("/billing/").content.decode()

    portal_url = client.post("/billing/portal/")["Location"]
    import httpx

    assert httpx.post(portal_url, data={"action": "update_card", "card": "succeeds"}).status_code == 302
    stripe_webhooks.flush()
    process_received()
    recovered = subscription_of(user)
    assert recovered is not None and (recovered.status, recovered.past_due_since) == ("active", None)
    with tenant_binding(user.pk):
        assert entitlements(user, at=now + timedelta(days=8)).plan.code == "pro"


def test_stripe_trial_ends_into_a_paid_plan_and_dunning_ends_it(stripe_webhooks: StripeSandbox) -> None:
    """Test clock: the Stripe trial ends and the card pays (active); later renewals fail until Stripe
    gives up and cancels: the person is back to read-only."""
    from billing.selectors import entitlements
    from tests.billing.conftest import DAY, T0

    user = make_user(joined_days_ago=30)
    clock_id, customer_id = stripe_webhooks.clock_customer(user)
    _, session_id = start_checkout(signed_in(user), "basic", "monthly")
    stripe_webhooks.complete(session_id)
    stripe_webhooks.advance_clock(clock_id, T0 + 15 * DAY)
    stripe_webhooks.flush()
    process_received()
    assert subscription_of(user).status == "active"
    with tenant_binding(user.pk):
        assert entitlements(user).plan.code == "basic"

    stripe_webhooks.card(customer_id, fails=True)
    for day in (50, 60, 75, 90):  # the renewal fails, then three retries fail
        stripe_webhooks.advance_clock(clock_id, T0 + day * DAY)
    stripe_webhooks.flush()
    process_received()
    assert subscription_of(user).status == "canceled"
    with tenant_binding(user.pk):
        assert entitlements(user).status == "expired"


def test_failed_processing_is_visible_and_replayable_from_the_admin(
    stripe_webhooks: StripeSandbox, enqueued: Any
) -> None:
    from accounts.models import User

    stripe_webhooks.configure(auto_deliver=False)
    user = make_user()
    customer = stripe_webhooks.client.v1.customers.create(params={"email": user.email})
    stripe_webhooks.client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": "price_pro_monthly"}]}
    )
    (created,) = stripe_webhooks.event_ids("customer.subscription.created")
    assert stripe_webhooks.deliver([created]) == [200]
    assert enqueued() == ["billing.process_stripe_event"]
    purge()
    with pytest.raises(Exception, match="no user owns Stripe customer"):
        process_received()
    event = WebhookEvent.objects.get(event_id=created)
    assert (event.status, event.attempts) == ("failed", 1)
    assert customer.id in event.last_error

    # The cause is fixed (the customer is linked to its person); staff replay the event.
    with tenant_context(user.pk):
        BillingCustomer.objects.create(user=user, stripe_customer_id=customer.id)
    staff = User.objects.create_superuser(email="ops@example.com", password="correct-horse-battery-9")
    admin = Client()
    admin.force_login(staff)
    assert "failed" in admin.get("/admin/billing/webhookevent/").content.decode()
    response = admin.post(
        "/admin/billing/webhookevent/", {"action": "replay", "_selected_action": [event.pk]}, follow=True
    )
    assert response.status_code == 200 and "1 event(s) queued" in response.content.decode()
    assert enqueued() == ["billing.process_stripe_event"]
    assert process_stripe_event(event.pk) == "processed"
    event.refresh_from_db()
    assert (event.status, event.attempts, event.last_error) == ("processed", 2, "")
    assert subscription_of(user).plan == "pro"

    purge()
    admin.post("/admin/billing/webhookevent/", {"action": "replay", "_selected_action": [event.pk]})
    assert enqueued() == []  # processed events are skipped
