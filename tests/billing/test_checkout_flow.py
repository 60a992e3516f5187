"""The whole subscription flow through the real views, the real stripe SDK and the Stripe sandbox:
plan picker → Checkout → success page → webhooks (signed, into the live server, applied by a real
Celery worker) → Customer Portal."""

# stripe-python types expandable fields as unions; these tests assert the actual values.
# mypy: disable-error-code="union-attr"

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import AuditEntry
from billing.models import BillingCustomer, Subscription, WebhookEvent
from billing.selectors import entitlements
from billing.views import PRICE_CACHE_KEY
from creditapp.tenancy.db import tenant_binding, tenant_context
from tests.billing.conftest import (
    StripeSandbox,
    eventually,
    make_user,
    pay_on_hosted_page,
    signed_in,
    start_checkout,
    subscription_of,
)

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "maint"]),
    pytest.mark.urls("tests.billing.urls"),  # + accounts.urls, until the project includes it
]


def test_subscribe_through_checkout_with_webhooks_applied_by_a_real_worker(  # type: ignore[no-untyped-def]
    stripe_webhooks: StripeSandbox, celery_worker_process
) -> None:
    user = make_user()
    client = signed_in(user)
    page = client.get("/billing/").content.decode()
    assert "Free trial" in page and "Starts with a 14-day free trial" in page
    assert 'name="plan" value="pro"' in page and 'name="interval" value="yearly"' in page

    checkout_url, session_id = start_checkout(client, "pro", "monthly")
    assert checkout_url.startswith(f"{stripe_webhooks.url}/_sandbox/stripe/checkout/cs_test_")
    session = stripe_webhooks.client.v1.checkout.sessions.retrieve(session_id)
    assert session.client_reference_id == str(user.pk)
    assert session.metadata.to_dict() == {"user_id": str(user.pk)}  # only our ids
    with tenant_context(user.pk):
        customer_id = BillingCustomer.objects.get(user=user).stripe_customer_id
    assert session.customer == customer_id

    back = pay_on_hosted_page(checkout_url)
    assert back == f"/billing/success/?session_id={session_id}"

    # No success page visit yet: the worker alone turns the webhooks into an active plan.
    eventually(lambda: (s := subscription_of(user)) and s.status == "trialing", what="the webhook to land")
    subscription = subscription_of(user)
    assert subscription is not None
    assert (subscription.plan, subscription.interval) == ("pro", "monthly")
    assert subscription.trial_end is not None and subscription.stripe_customer_id == customer_id
    with tenant_binding(user.pk):
        assert entitlements(user).plan.code == "pro" and entitlements(user).status == "trialing"
    stripe_webhooks.flush()
    eventually(
        lambda: not WebhookEvent.objects.exclude(status="processed").exists(), what="every event processed"
    )
    types = set(WebhookEvent.objects.values_list("type", flat=True))
    assert {"checkout.session.completed", "customer.subscription.created", "invoice.paid"} <= types
    assert "customer.created" not in types  # events we don't act on are not stored

    success = client.get(back)
    assert success.status_code == 200
    text = success.content.decode()
    assert "You're on Pro" in text and 'hx-trigger="every 2s"' not in text

    # The Customer Portal: switch to Family, then cancel at the period end.
    portal = client.post("/billing/portal/")
    assert portal.status_code == 303
    portal_url = portal["Location"]
    assert urlsplit(portal_url).path.startswith("/_sandbox/stripe/portal/bps_")
    with httpx.Client(timeout=30) as browser:
        switched = browser.post(
            portal_url,
            data={"action": "switch_plan", "subscription": subscription.stripe_subscription_id,
                  "price": "price_family_monthly"},
        )  # fmt: skip
        assert switched.status_code == 302
        eventually(lambda: subscription_of(user).plan == "family", what="the plan switch to arrive")
        browser.post(
            portal_url, data={"action": "cancel", "subscription": subscription.stripe_subscription_id}
        )
    eventually(lambda: subscription_of(user).cancel_at_period_end, what="the cancellation to arrive")
    with tenant_binding(user.pk):
        assert (
            entitlements(user).plan.code == "family"
        )  # cancelled at the period end: still Family until then
    assert client.get("/billing/").content.decode().count("it won't renew") == 1

    # Still one Stripe customer for this person, reused throughout.
    assert len(stripe_webhooks.client.v1.customers.list(params={"email": user.email}).data) == 1


def test_success_page_activates_the_plan_when_the_webhook_is_slow(stripe_sandbox: StripeSandbox) -> None:
    stripe_sandbox.configure(auto_deliver=False)  # no webhook reaches the app in this test
    user = make_user()
    client = signed_in(user)
    _, session_id = start_checkout(client, "basic", "yearly")
    assert client.get("/billing/status/").content.decode().count('hx-trigger="every 2s"') == 1

    stripe_sandbox.complete(session_id)
    page = client.get(f"/billing/success/?session_id={session_id}").content.decode()
    assert "You're on Basic" in page and 'hx-trigger="every 2s"' not in page
    subscription = subscription_of(user)
    assert subscription is not None and (subscription.plan, subscription.interval) == ("basic", "yearly")
    assert not WebhookEvent.objects.exists()

    status = client.get("/billing/status/?poll=3").content.decode()
    assert "You're on Basic" in status and "hx-trigger" not in status


def test_the_status_partial_stops_polling_after_a_while(stripe_sandbox: StripeSandbox) -> None:
    client = signed_in(make_user())
    waiting = client.get("/billing/status/?poll=1").content.decode()
    assert 'hx-get="/billing/status/?poll=2"' in waiting
    gave_up = client.get("/billing/status/?poll=999").content.decode()
    assert "hx-trigger" not in gave_up and "taking longer than usual" in gave_up


def test_someone_elses_checkout_session_is_not_found(stripe_sandbox: StripeSandbox) -> None:
    stripe_sandbox.configure(auto_deliver=False)
    alice, bob = make_user(), make_user()
    _, session_id = start_checkout(signed_in(alice))
    stripe_sandbox.complete(session_id)
    assert signed_in(bob).get(f"/billing/success/?session_id={session_id}").status_code == 404
    assert subscription_of(bob) is None and subscription_of(alice) is None
    assert signed_in(bob).get("/billing/success/?session_id=cs_test_missing").status_code == 404


def test_trial_only_once_and_one_customer_per_person(stripe_sandbox: StripeSandbox) -> None:
    stripe_sandbox.configure(auto_deliver=False)
    user = make_user()
    client = signed_in(user)
    _, first = start_checkout(client, "pro", "monthly")
    stripe_sandbox.complete(first)
    client.get(f"/billing/success/?session_id={first}")
    subscription = subscription_of(user)
    assert subscription is not None and subscription.status == "trialing"

    # While subscribed, Checkout refuses (changes go through the portal).
    refused = client.post("/billing/checkout/", {"plan": "family", "interval": "monthly"})
    assert refused.status_code == 302 and refused["Location"] == "/billing/"

    stripe_sandbox.client.v1.subscriptions.cancel(subscription.stripe_subscription_id)
    client.get(f"/billing/success/?session_id={first}")  # re-read: now canceled
    assert subscription_of(user).status == "canceled"
    page = client.get("/billing/").content.decode()
    assert "free trial" not in page.split('class="plans plans-3"', 1)[1]

    _, second = start_checkout(client, "family", "monthly")
    session = stripe_sandbox.client.v1.checkout.sessions.retrieve(second)
    assert session.customer == subscription.stripe_customer_id
    stripe_sandbox.complete(second)
    client.get(f"/billing/success/?session_id={second}")
    resubscribed = subscription_of(user)
    assert resubscribed is not None and resubscribed.pk != subscription.pk
    assert (resubscribed.plan, resubscribed.status, resubscribed.trial_end) == ("family", "active", None)
    with tenant_binding(user.pk):
        assert entitlements(user).plan.code == "family"
    with tenant_context(user.pk):
        assert BillingCustomer.objects.filter(user=user).count() == 1
        assert Subscription.objects.filter(user=user).count() == 2


def test_bad_plan_and_a_cancelled_checkout(stripe_sandbox: StripeSandbox) -> None:
    client = signed_in(make_user())
    assert client.post("/billing/checkout/", {"plan": "trial", "interval": "monthly"}).status_code == 400
    assert client.post("/billing/checkout/", {"plan": "pro", "interval": "weekly"}).status_code == 400
    assert client.get("/billing/checkout/").status_code == 405
    page = client.get("/billing/?checkout=canceled", follow=True).content.decode()
    assert "Checkout cancelled" in page


def test_portal_without_a_customer_explains_instead_of_failing(stripe_sandbox: StripeSandbox) -> None:
    client = signed_in(make_user())
    response = client.post("/billing/portal/", follow=True)
    assert response.status_code == 200 and "Choose a plan first" in response.content.decode()


def page(response: Any) -> str:
    return response.content.decode()


def person(user: Any) -> Client:
    """A signed-in browser; a crash is a 500 response here, as the person would see it."""
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_stripe_down_is_a_friendly_page_not_a_500(settings, caplog) -> None:  # type: ignore[no-untyped-def]
    settings.SANDBOX_URL = "http://127.0.0.1:9"  # nothing listens there
    user = make_user()
    response = person(user).post("/billing/checkout/", {"plan": "pro", "interval": "monthly"})
    assert response.status_code == 503 and response["Retry-After"]
    assert "Stripe isn't answering right now" in page(response)
    assert "Nothing was changed and nothing was charged" in page(response)
    assert any(record.name == "billing.middleware" for record in caplog.records)


# What Stripe, or something in front of it, may do: (fault, the status of our page, what it says).
STRIPE_FAILURES = {
    "a 500": ({"type": "api_error"}, 502, "Stripe couldn't finish this"),
    "rate limiting": ({"type": "rate_limit"}, 503, "Stripe isn't answering right now"),
    "a timeout": ({"type": "timeout", "seconds": 3}, 503, "Stripe isn't answering right now"),
    "an unknown body": (
        {"type": "respond", "body": {"unexpected": True}},
        502,
        "Stripe couldn't finish this",
    ),
    "a proxy's page": (
        {"type": "respond", "status": 502, "body": "<html>Bad Gateway</html>"},
        502,
        "Stripe couldn't finish this",
    ),
}


@pytest.fixture
def impatient(settings) -> None:  # type: ignore[no-untyped-def]
    settings.STRIPE_TIMEOUT_SECONDS = 0.3  # so that a timeout fault of 3 s is a timeout


@pytest.mark.parametrize("failure", STRIPE_FAILURES)
def test_stripe_failing_during_checkout_is_a_friendly_page_and_changes_nothing(  # type: ignore[no-untyped-def]
    stripe_sandbox: StripeSandbox, impatient, caplog, failure: str
) -> None:
    fault, status, headline = STRIPE_FAILURES[failure]
    stripe_sandbox.fault(path="/v1/checkout/sessions", method="POST", **fault)
    user = make_user()
    response = person(user).post("/billing/checkout/", {"plan": "pro", "interval": "monthly"})
    assert response.status_code == status
    assert headline in page(response) and "Nothing was changed" in page(response)
    assert any(record.name == "billing.middleware" for record in caplog.records)
    with tenant_context(user.pk):  # the Stripe customer made on the way is not kept: the request rolled back
        assert not BillingCustomer.objects.filter(user=user).exists()
        assert not AuditEntry.objects.filter(user=user, action="billing.checkout_started").exists()


@pytest.mark.parametrize("failure", STRIPE_FAILURES)
def test_stripe_failing_to_open_the_portal_is_a_friendly_page(  # type: ignore[no-untyped-def]
    stripe_sandbox: StripeSandbox, impatient, failure: str
) -> None:
    fault, status, headline = STRIPE_FAILURES[failure]
    user = make_user()
    stripe_sandbox.clock_customer(user)
    stripe_sandbox.fault(path="/v1/billing_portal/sessions", **fault)
    response = person(user).post("/billing/portal/")
    assert response.status_code == status
    assert headline in page(response) and 'href="/billing/"' in page(response)


@pytest.mark.parametrize("failure", ["a 500", "an unknown body", "a proxy's page"])
def test_stripe_failing_on_the_way_back_from_checkout_still_shows_the_waiting_page(  # type: ignore[no-untyped-def]
    stripe_sandbox: StripeSandbox, failure: str
) -> None:
    stripe_sandbox.configure(auto_deliver=False)
    user = make_user()
    _, session_id = start_checkout(person(user))
    stripe_sandbox.complete(session_id)
    stripe_sandbox.fault(path="/v1/checkout/sessions", method="GET", **STRIPE_FAILURES[failure][0])
    response = person(user).get("/billing/success/", {"session_id": session_id})
    assert response.status_code == 200
    assert "Activating your subscription" in page(response)  # the webhook brings the plan instead
    assert subscription_of(user) is None


@pytest.mark.parametrize("failure", ["a 500", "an unknown body", "a proxy's page"])
def test_plan_pages_without_prices_when_stripe_cannot_say_them(  # type: ignore[no-untyped-def]
    stripe_sandbox: StripeSandbox, failure: str
) -> None:
    stripe_sandbox.fault(path="/v1/prices", **STRIPE_FAILURES[failure][0])
    cache.delete(PRICE_CACHE_KEY)
    assert Client(raise_request_exception=False).get("/pricing/").status_code == 200
    cache.delete(PRICE_CACHE_KEY)
    plans = person(make_user()).get("/billing/")
    assert plans.status_code == 200 and 'name="plan" value="pro"' in page(plans)


@pytest.mark.parametrize(
    "session_id",
    [
        "../../etc/passwd",
        "cs_test_unknown",
        "cs_live_unknown",
        "cs_test_" + "a" * 5000,
        "cs_test_abc/../../v1/customers",
        "cs_test_abc?expand[]=customer",
        "cs_test_\x00",
        "<script>alert(1)</script>",
        "sub_123",
        " ",
    ],
)
def test_a_session_id_stripe_does_not_know_is_a_clear_404(
    stripe_sandbox: StripeSandbox, session_id: str
) -> None:
    response = person(make_user()).get("/billing/success/", {"session_id": session_id})
    assert response.status_code == 404
    assert "We couldn't find that checkout" in page(response)
    assert "<script>alert(1)</script>" not in page(response)
