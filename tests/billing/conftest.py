"""The Stripe sandbox as the app meets it: the app's own client, webhooks into the live server."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import stripe
from django.test import Client
from django.utils import timezone

from billing import stripe as stripe_api
from billing.models import BillingCustomer, Subscription, WebhookEvent
from billing.tasks import process_stripe_event
from creditapp.tenancy.db import tenant_context
from tests.accounts.factories import UserFactory

DAY = 24 * 3600
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z: where test clocks start


class StripeSandbox:
    """The sandbox's `/_sandbox/stripe` controls, for arranging and checking tests."""

    def __init__(self, url: str):
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=30)

    @property
    def client(self) -> stripe.StripeClient:
        """The very client the app uses."""
        return stripe_api.client()

    def control(self, path: str, body: dict[str, Any] | None = None, method: str = "POST") -> Any:
        response = self.http.request(method, f"/_sandbox/stripe{path}", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def configure(self, **config: Any) -> None:
        self.control("/config", config)

    def fault(self, **spec: Any) -> None:
        """Matching `/v1` calls fail as `spec` says (sandbox/stripe/README.md), every one until reset."""
        self.control("/faults", {"count": None, **spec})

    def flush(self) -> None:
        assert self.control("/webhooks/flush", {"timeout": 20})["idle"]

    def complete(self, session_id: str, outcome: str = "pay") -> dict[str, Any]:
        return dict(self.control(f"/checkout/{session_id}/complete", {"outcome": outcome}))

    def card(self, customer_id: str, *, fails: bool) -> None:
        self.control(f"/customers/{customer_id}/card", {"fails": fails})

    def event_ids(self, *types: str) -> list[str]:
        """Ids of the events so far, oldest first."""
        params: dict[str, Any] = {"limit": 100}
        if types:
            params["types"] = list(types)
        return [event.id for event in reversed(self.client.v1.events.list(params=params).data)]

    def deliver(self, ids: list[str], *, reverse: bool = False) -> list[int]:
        deliveries = self.control("/events/deliver", {"ids": ids, "reverse": reverse})["deliveries"]
        return [delivery["status"] for delivery in deliveries]

    def clock_customer(self, user: Any) -> tuple[str, str]:
        """A customer on a test clock at T0, recorded as `user`'s (the app then reuses it)."""
        clock = self.client.v1.test_helpers.test_clocks.create(params={"frozen_time": T0})
        customer = self.client.v1.customers.create(
            params={"email": user.email, "test_clock": clock.id, "metadata": {"user_id": str(user.pk)}}
        )
        with tenant_context(user.pk):
            BillingCustomer.objects.create(user=user, stripe_customer_id=customer.id)
        return clock.id, customer.id

    def advance_clock(self, clock_id: str, to: int) -> None:
        clock = self.client.v1.test_helpers.test_clocks.advance(clock_id, params={"frozen_time": to})
        assert clock.status == "ready"


@pytest.fixture
def stripe_sandbox(sandbox_url: str) -> Iterator[StripeSandbox]:
    sandbox = StripeSandbox(sandbox_url)
    sandbox.control("/reset")
    yield sandbox
    sandbox.control("/reset")  # stops deliveries to this test's live server
    sandbox.http.close()


@pytest.fixture
def stripe_webhooks(stripe_sandbox: StripeSandbox, live_server: Any, settings: Any) -> StripeSandbox:
    """The sandbox sends its signed webhooks to the app (the live server), with the app's secret."""
    stripe_sandbox.configure(
        webhook_url=f"{live_server.url}/billing/webhook/",
        webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
        webhook_retry_delays=[],
    )
    return stripe_sandbox


def process_received() -> list[str]:
    """Run the Celery task in-process for each stored event not processed yet, in arrival order."""
    pending = WebhookEvent.objects.exclude(status=WebhookEvent.Status.PROCESSED).order_by("received_at", "id")
    statuses = []
    for pk in list(pending.values_list("pk", flat=True)):
        statuses.append(process_stripe_event(pk))
    return statuses


def eventually(check: Callable[[], Any], *, timeout: float = 60, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


def subscription_of(user: Any) -> Subscription | None:
    with tenant_context(user.pk):
        return Subscription.objects.filter(user_id=user.pk).order_by("-created_at", "-id").first()


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def start_checkout(client: Client, plan: str = "pro", interval: str = "monthly") -> tuple[str, str]:
    """Press a plan's button: returns the hosted Checkout page's URL and the session id."""
    response = client.post("/billing/checkout/", {"plan": plan, "interval": interval})
    assert response.status_code == 303, response.content
    url = response["Location"]
    return url, urlsplit(url).path.rsplit("/", 1)[1]


def pay_on_hosted_page(checkout_url: str) -> str:
    """What the person does on Stripe's page: pay with 4242. Returns where Stripe sends them back."""
    response = httpx.post(checkout_url, data={"outcome": "pay"}, timeout=30)
    assert response.status_code == 302, response.text
    back = urlsplit(response.headers["location"])
    return f"{back.path}?{back.query}"


def make_user(*, joined_days_ago: int = 0) -> Any:
    user = UserFactory()
    if joined_days_ago:
        user.date_joined = timezone.now() - timedelta(days=joined_days_ago)
        user.save(update_fields=["date_joined"])
    return user


def put_on_plan(user: Any, plan: str, *, status: str = "active", interval: str = "monthly") -> Subscription:
    """A mirrored subscription row, as a synced webhook would leave it (for gating tests)."""
    with tenant_context(user.pk):
        return Subscription.objects.create(
            user=user,
            stripe_subscription_id=f"sub_test_{user.pk}_{plan}_{status}",
            stripe_customer_id=f"cus_test_{user.pk}",
            stripe_price_id=f"price_{plan}_{interval}",
            plan=plan,
            interval=interval,
            status=status,
            current_period_end=timezone.now() + timedelta(days=30),
            past_due_since=timezone.now() if status == "past_due" else None,
        )
