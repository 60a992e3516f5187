"""The Stripe emulator, driven through the real stripe SDK against the sandbox subprocess."""

# stripe-python types every optional or expandable field as a union; these tests assert the actual values.
# mypy: disable-error-code="union-attr, attr-defined, arg-type, index, operator"

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import stripe

from sandbox.stripe.encoding import decode_pairs
from tests.conftest import start_sandbox

SECRET = "whsec_sandbox_test_secret"
DAY = 24 * 3600
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z, where test clocks start


# -- helpers ------------------------------------------------------------------------------------------
def send(
    base: str, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request without following redirects (the hosted pages redirect to the app's URLs)."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def control(base: str, path: str, body: dict[str, Any] | None = None, method: str = "POST") -> Any:
    payload = json.dumps(body).encode() if body is not None else None
    status, _, raw = send(
        base, method, f"/_sandbox/stripe{path}", payload, {"Content-Type": "application/json"}
    )
    assert status == 200, raw
    return json.loads(raw)


def post_form(base: str, path: str, fields: dict[str, str]) -> tuple[int, dict[str, str], str]:
    status, headers, raw = send(
        base, "POST", path, urlencode(fields).encode(), {"Content-Type": "application/x-www-form-urlencoded"}
    )
    return status, headers, raw.decode()


def event_types(client: stripe.StripeClient, **params: Any) -> list[str]:
    """Types of the events so far, oldest first."""
    events = client.v1.events.list(params={"limit": 100, **params}).data
    return [event.type for event in reversed(events)]


def latest_event(client: stripe.StripeClient, event_type: str) -> stripe.Event:
    return client.v1.events.list(params={"type": event_type, "limit": 1}).data[0]


class Receiver:
    """The app's webhook endpoint, as far as these tests need one: records raw bodies and headers."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks/stripe"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[stripe.Event]:
        """Every delivery, verified exactly as the app verifies it."""
        return [
            stripe.Webhook.construct_event(body, headers["Stripe-Signature"], SECRET)
            for headers, body in self.requests
        ]

    def types(self) -> list[str]:
        return [event.type for event in self.events()]


@pytest.fixture
def sandbox(sandbox_url: str) -> str:
    control(sandbox_url, "/reset")
    return sandbox_url


@pytest.fixture
def client(sandbox: str) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_sandbox", base_addresses={"api": sandbox}, max_network_retries=0)


@pytest.fixture
def receiver(sandbox: str) -> Iterator[Receiver]:
    receiver = Receiver()
    control(
        sandbox,
        "/config",
        {"webhook_url": receiver.url, "webhook_secret": SECRET, "webhook_retry_delays": []},
    )
    yield receiver
    receiver.server.shutdown()


def flush(sandbox: str) -> None:
    assert control(sandbox, "/webhooks/flush", {"timeout": 10})["idle"]


def checkout(
    client: stripe.StripeClient,
    customer: str,
    price: str = "price_pro_monthly",
    trial_days: int | None = 14,
) -> stripe.checkout.Session:
    params: dict[str, Any] = {
        "mode": "subscription",
        "customer": customer,
        "line_items": [{"price": price, "quantity": 1}],
        "success_url": "http://app.test/billing/success?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://app.test/billing",
        "client_reference_id": "42",
        "metadata": {"user_id": "42"},
        "subscription_data": {"metadata": {"user_id": "42"}},
    }
    if trial_days:
        params["subscription_data"]["trial_period_days"] = trial_days
    return client.v1.checkout.sessions.create(params=params)


def subscribe(client: stripe.StripeClient, sandbox: str, customer: str, **kwargs: Any) -> stripe.Subscription:
    session = checkout(client, customer, **kwargs)
    result = control(sandbox, f"/checkout/{session.id}/complete", {"outcome": "pay"})
    return client.v1.subscriptions.retrieve(result["subscription"]["id"])


def clock_customer(client: stripe.StripeClient) -> tuple[stripe.test_helpers.TestClock, stripe.Customer]:
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": T0, "name": "billing test"})
    customer = client.v1.customers.create(params={"email": "clock@example.com", "test_clock": clock.id})
    return clock, customer


def advance(client: stripe.StripeClient, clock_id: str, to: int) -> None:
    clock = client.v1.test_helpers.test_clocks.advance(clock_id, params={"frozen_time": to})
    assert clock.status == "ready"
    assert clock.frozen_time == to


# -- wire format --------------------------------------------------------------------------------------
def test_form_decoding_builds_nested_params() -> None:
    decoded = decode_pairs(
        [
            ("line_items[0][price]", "price_a"),
            ("line_items[0][quantity]", "1"),
            ("line_items[1][price]", "price_b"),
            ("metadata[user_id]", "7"),
            ("subscription_data[trial_period_days]", "14"),
            ("subscription_data[metadata][plan]", "pro"),
            ("expand[]", "subscription"),
            ("expand[]", "customer"),
            ("items[0][deleted]", "true"),
            ("email", ""),
        ]
    )
    assert decoded == {
        "line_items": [{"price": "price_a", "quantity": "1"}, {"price": "price_b"}],
        "metadata": {"user_id": "7"},
        "subscription_data": {"trial_period_days": "14", "metadata": {"plan": "pro"}},
        "expand": ["subscription", "customer"],
        "items": [{"deleted": "true"}],
        "email": "",
    }


def test_requests_without_an_api_key_get_stripes_401(sandbox: str) -> None:
    status, _, raw = send(sandbox, "GET", "/v1/customers")
    if status == 500:
        pytest.xfail("sandbox/server.py has no reason phrase for 401, so wsgiref turns it into a 500")
    assert status == 401
    error = json.loads(raw)["error"]
    assert error["type"] == "invalid_request_error"
    assert "API key" in error["message"]
    with pytest.raises(stripe.AuthenticationError):
        stripe.StripeClient("sk_live_nope", base_addresses={"api": sandbox}).v1.customers.list()


def test_basic_auth_with_a_test_key_is_accepted(sandbox: str) -> None:
    status, headers, raw = send(
        sandbox, "GET", "/v1/customers", headers={"Authorization": "Basic c2tfdGVzdF94Og=="}
    )
    assert status == 200
    assert json.loads(raw) == {"object": "list", "data": [], "has_more": False, "url": "/v1/customers"}
    assert headers["Request-Id"].startswith("req_")


# -- customers and prices -----------------------------------------------------------------------------
def test_customer_create_retrieve_update_list_and_search(client: stripe.StripeClient) -> None:
    created = client.v1.customers.create(
        params={"email": "ada@example.com", "name": "Ada", "metadata": {"user_id": "1"}}
    )
    assert created.id.startswith("cus_")
    assert (created.object, created.livemode, created.test_clock) == ("customer", False, None)
    assert isinstance(created.created, int)

    fetched = client.v1.customers.retrieve(created.id)
    assert (fetched.email, fetched.metadata["user_id"]) == ("ada@example.com", "1")

    updated = client.v1.customers.update(created.id, params={"name": "Ada L.", "metadata": {"plan": "pro"}})
    assert updated.name == "Ada L."
    assert updated.metadata.to_dict() == {"user_id": "1", "plan": "pro"}

    client.v1.customers.create(params={"email": "other@example.com"})
    listed = client.v1.customers.list(params={"email": "ada@example.com"})
    assert [c.id for c in listed.data] == [created.id]
    assert len(client.v1.customers.list().data) == 2
    found = client.v1.customers.search(params={"query": "metadata['user_id']:'1'"})
    assert [c.id for c in found.data] == [created.id]

    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.customers.retrieve("cus_missing")
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")


def test_any_price_id_exists_with_interval_and_amount_read_from_it(client: stripe.StripeClient) -> None:
    yearly = client.v1.prices.retrieve("price_family_yearly")
    assert (yearly.object, yearly.type, yearly.currency) == ("price", "recurring", "usd")
    assert (yearly.recurring.interval, yearly.unit_amount) == ("year", 18000)
    monthly = client.v1.prices.retrieve("price_basic_monthly")
    assert (monthly.recurring.interval, monthly.unit_amount) == ("month", 600)
    assert client.v1.prices.retrieve("price_1QxyzAbc").recurring.interval == "month"

    ids = {price.id for price in client.v1.prices.list(params={"limit": 100}).data}
    assert {"price_family_yearly", "price_basic_monthly", "price_1QxyzAbc"} <= ids
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.prices.retrieve("plan_not_a_price")


# -- idempotency ---------------------------------------------------------------------------------------
def test_idempotency_key_replays_and_rejects_other_params(client: stripe.StripeClient) -> None:
    options: Any = {"idempotency_key": "create-customer-1"}
    first = client.v1.customers.create(params={"email": "same@example.com"}, options=options)
    again = client.v1.customers.create(params={"email": "same@example.com"}, options=options)
    assert again.id == first.id
    assert len(client.v1.customers.list().data) == 1

    with pytest.raises(stripe.IdempotencyError) as conflict:
        client.v1.customers.create(params={"email": "different@example.com"}, options=options)
    assert conflict.value.http_status == 400
    assert conflict.value.error.type == "idempotency_error"


# -- Checkout ------------------------------------------------------------------------------------------
def test_checkout_with_trial_starts_a_trialing_subscription_and_sends_signed_webhooks(
    client: stripe.StripeClient, sandbox: str, receiver: Receiver
) -> None:
    customer = client.v1.customers.create(params={"email": "trial@example.com"})
    session = checkout(client, customer.id)
    assert session.id.startswith("cs_test_")
    assert (session.status, session.mode, session.client_reference_id) == ("open", "subscription", "42")
    assert session.url == f"{sandbox}/_sandbox/stripe/checkout/{session.id}"

    result = control(sandbox, f"/checkout/{session.id}/complete", {"outcome": "pay"})
    assert result["redirect_to"] == f"http://app.test/billing/success?session_id={session.id}"

    session = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["subscription"]})
    assert (session.status, session.payment_status) == ("complete", "no_payment_required")
    subscription = session.subscription
    assert subscription.id.startswith("sub_")
    assert subscription.status == "trialing"
    assert subscription.customer == customer.id
    assert subscription.metadata["user_id"] == "42"
    assert subscription["items"].data[0].price.id == "price_pro_monthly"
    assert subscription.trial_end == subscription.trial_start + 14 * DAY
    assert subscription.current_period_end == subscription.trial_end
    assert subscription["items"].data[0].current_period_end == subscription.trial_end
    assert subscription.cancel_at_period_end is False

    flush(sandbox)
    assert receiver.types() == [
        "customer.created",
        "customer.subscription.created",
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
        "checkout.session.completed",
    ]
    completed = receiver.events()[-1]
    assert completed.id.startswith("evt_")
    assert completed.data.object.subscription == subscription.id
    assert completed.data.object.client_reference_id == "42"
    assert completed.data.object.metadata["user_id"] == "42"
    assert client.v1.events.retrieve(completed.id).type == "checkout.session.completed"

    headers, body = receiver.requests[-1]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, headers["Stripe-Signature"], "whsec_wrong")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(json.dumps(json.loads(body)), headers["Stripe-Signature"], SECRET)


def test_checkout_without_trial_is_active_with_a_paid_invoice(
    client: stripe.StripeClient, sandbox: str
) -> None:
    customer = client.v1.customers.create(params={"email": "now@example.com"})
    subscription = subscribe(client, sandbox, customer.id, price="price_basic_monthly", trial_days=None)
    assert subscription.status == "active"
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert (invoice.status, invoice.amount_paid, invoice.attempt_count) == ("paid", 600, 1)
    assert invoice.parent.subscription_details.subscription == subscription.id
    invoices = client.v1.invoices.list(params={"subscription": subscription.id})
    assert [i.id for i in invoices.data] == [invoice.id]
    assert [s.id for s in client.v1.subscriptions.list(params={"customer": customer.id}).data] == [
        subscription.id
    ]


def test_hosted_checkout_page_declines_then_pays_and_redirects(
    client: stripe.StripeClient, sandbox: str
) -> None:
    customer = client.v1.customers.create(params={"email": "page@example.com"})
    session = checkout(client, customer.id)
    path = urlsplit(session.url).path

    status, _, raw = send(sandbox, "GET", path)
    page = raw.decode()
    assert status == 200
    assert ">Pay</button>" in page and ">Decline</button>" in page
    assert "4242 4242 4242 4242" in page and "14-day free trial" in page

    status, _, page = post_form(sandbox, path, {"outcome": "decline"})
    assert status == 200
    assert "Your card was declined." in page
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert client.v1.subscriptions.list(params={"customer": customer.id}).data == []

    status, headers, _ = post_form(sandbox, path, {"outcome": "pay"})
    assert status == 302
    assert headers["Location"] == f"http://app.test/billing/success?session_id={session.id}"
    assert client.v1.checkout.sessions.retrieve(session.id).status == "complete"


def test_declined_checkout_via_control_endpoint_changes_nothing(
    client: stripe.StripeClient, sandbox: str
) -> None:
    customer = client.v1.customers.create(params={"email": "decline@example.com"})
    session = checkout(client, customer.id)
    result = control(sandbox, f"/checkout/{session.id}/complete", {"outcome": "decline"})
    assert result["outcome"] == "declined"
    assert result["error"]["code"] == "card_declined"
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


# -- time: test clocks and the global clock ------------------------------------------------------------
def test_trial_ends_paid_then_renews_on_a_test_clock(client: stripe.StripeClient, sandbox: str) -> None:
    clock, customer = clock_customer(client)
    subscription = subscribe(client, sandbox, customer.id)
    assert (subscription.trial_start, subscription.trial_end) == (T0, T0 + 14 * DAY)

    advance(client, clock.id, T0 + 12 * DAY)
    assert "customer.subscription.trial_will_end" in event_types(client)
    assert latest_event(client, "customer.subscription.trial_will_end").created == T0 + 11 * DAY
    assert client.v1.subscriptions.retrieve(subscription.id).status == "trialing"

    advance(client, clock.id, T0 + 15 * DAY)
    subscription = client.v1.subscriptions.retrieve(subscription.id)
    assert subscription.status == "active"
    assert subscription.current_period_start == T0 + 14 * DAY
    assert subscription.current_period_end == T0 + 14 * DAY + 31 * DAY  # 15 Jan -> 15 Feb
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert (invoice.status, invoice.amount_paid, invoice.billing_reason) == (
        "paid",
        1200,
        "subscription_cycle",
    )
    updated = latest_event(client, "customer.subscription.updated")
    assert updated.data.previous_attributes["status"] == "trialing"

    advance(client, clock.id, T0 + 50 * DAY)
    renewed = client.v1.subscriptions.retrieve(subscription.id)
    assert renewed.current_period_start == subscription.current_period_end
    assert renewed.latest_invoice != subscription.latest_invoice
    paid = client.v1.invoices.list(params={"customer": customer.id, "status": "paid"}).data
    assert [i.amount_paid for i in paid] == [1200, 1200, 0]  # renewal, trial end, the trial's $0 invoice
    updated = latest_event(client, "customer.subscription.updated")
    assert updated.data.previous_attributes["current_period_end"] == subscription.current_period_end


def test_failed_trial_payment_goes_past_due_and_recovers_when_the_card_works(
    client: stripe.StripeClient, sandbox: str
) -> None:
    clock, customer = clock_customer(client)
    subscription = subscribe(client, sandbox, customer.id)
    control(sandbox, f"/customers/{customer.id}/card", {"fails": True})

    advance(client, clock.id, T0 + 14 * DAY + 3600)
    subscription = client.v1.subscriptions.retrieve(subscription.id)
    assert subscription.status == "past_due"
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert (invoice.status, invoice.attempt_count) == ("open", 1)
    assert invoice.next_payment_attempt == T0 + 17 * DAY
    assert latest_event(client, "invoice.payment_failed").data.object.id == invoice.id
    assert client.v1.customers.retrieve(customer.id).delinquent is True

    control(sandbox, f"/customers/{customer.id}/card", {"fails": False})
    advance(client, clock.id, T0 + 17 * DAY + 3600)
    invoice = client.v1.invoices.retrieve(invoice.id)
    assert (invoice.status, invoice.attempt_count) == ("paid", 2)
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"
    assert latest_event(client, "invoice.paid").data.object.id == invoice.id
    recovered = latest_event(client, "customer.subscription.updated")
    assert recovered.data.previous_attributes["status"] == "past_due"


@pytest.mark.parametrize("final_status", ["canceled", "unpaid"])
def test_dunning_ends_in_the_configured_status(
    client: stripe.StripeClient, sandbox: str, final_status: str
) -> None:
    control(sandbox, "/config", {"dunning_final_status": final_status})
    clock, customer = clock_customer(client)
    subscription = subscribe(client, sandbox, customer.id)
    control(sandbox, f"/customers/{customer.id}/card", {"fails": True})

    advance(client, clock.id, T0 + 30 * DAY)  # trial end + retries after 3, 8 and 15 days
    subscription = client.v1.subscriptions.retrieve(subscription.id)
    assert subscription.status == final_status
    assert client.v1.invoices.retrieve(subscription.latest_invoice).attempt_count == 4
    assert event_types(client, type="invoice.payment_failed").count("invoice.payment_failed") == 4
    if final_status == "canceled":
        assert subscription.cancellation_details.reason == "payment_failed"
        assert latest_event(client, "customer.subscription.deleted").data.object.id == subscription.id
        assert client.v1.subscriptions.list(params={"customer": customer.id}).data == []


def test_cancel_at_period_end_takes_effect_when_the_global_clock_passes_it(
    client: stripe.StripeClient, sandbox: str
) -> None:
    customer = client.v1.customers.create(params={"email": "leaving@example.com"})
    subscription = subscribe(client, sandbox, customer.id, trial_days=None)
    updated = client.v1.subscriptions.update(subscription.id, params={"cancel_at_period_end": True})
    assert updated.cancel_at_period_end is True
    assert updated.cancel_at == updated.current_period_end
    change = latest_event(client, "customer.subscription.updated")
    assert change.data.previous_attributes["cancel_at_period_end"] is False

    result = control(sandbox, "/advance", {"seconds": 10 * DAY})
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"
    assert result["now"] < updated.current_period_end

    control(sandbox, "/advance", {"seconds": 25 * DAY})
    ended = client.v1.subscriptions.retrieve(subscription.id)
    assert ended.status == "canceled"
    assert ended.ended_at == updated.current_period_end
    assert latest_event(client, "customer.subscription.deleted").data.object.status == "canceled"


def test_test_clocks_only_move_forward_and_at_most_two_intervals(
    client: stripe.StripeClient, sandbox: str
) -> None:
    clock, customer = clock_customer(client)
    subscribe(client, sandbox, customer.id, trial_days=None)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": T0 - 1})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": T0 + 70 * DAY})
    advance(client, clock.id, T0 + 59 * DAY)
    assert client.v1.test_helpers.test_clocks.retrieve(clock.id).frozen_time == T0 + 59 * DAY


def test_cancelling_a_subscription_now(client: stripe.StripeClient, sandbox: str) -> None:
    customer = client.v1.customers.create(params={"email": "now-gone@example.com"})
    subscription = subscribe(client, sandbox, customer.id)
    canceled = client.v1.subscriptions.cancel(subscription.id)
    assert canceled.status == "canceled"
    assert canceled.canceled_at is not None
    everything = client.v1.subscriptions.list(params={"customer": customer.id, "status": "all"})
    assert [s.id for s in everything.data] == [subscription.id]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.cancel(subscription.id)


def test_subscription_with_a_failing_card_is_incomplete_and_expires_after_23_hours(
    client: stripe.StripeClient, sandbox: str
) -> None:
    customer = client.v1.customers.create(params={"email": "incomplete@example.com"})
    control(sandbox, f"/customers/{customer.id}/card", {"fails": True})
    subscription = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": "price_pro_monthly"}]}
    )
    assert subscription.status == "incomplete"
    assert client.v1.invoices.retrieve(subscription.latest_invoice).next_payment_attempt is None

    control(sandbox, "/advance", {"seconds": 23 * 3600})
    assert client.v1.subscriptions.retrieve(subscription.id).status == "incomplete_expired"
    assert latest_event(client, "customer.subscription.deleted").data.object.id == subscription.id


def test_paying_an_incomplete_subscriptions_invoice(client: stripe.StripeClient, sandbox: str) -> None:
    customer = client.v1.customers.create(params={"email": "retry@example.com"})
    control(sandbox, f"/customers/{customer.id}/card", {"fails": True})
    subscription = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": "price_pro_monthly"}]}
    )
    control(sandbox, f"/customers/{customer.id}/card", {"fails": False})
    paid = client.v1.invoices.pay(subscription.latest_invoice)
    assert (paid.status, paid.attempt_count) == ("paid", 2)
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"

    control(sandbox, f"/customers/{customer.id}/card", {"fails": True})
    again = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": "price_pro_monthly"}]}
    )
    with pytest.raises(stripe.StripeError) as declined:
        client.v1.invoices.pay(again.latest_invoice)
    if declined.value.http_status == 500:
        pytest.xfail("sandbox/server.py has no reason phrase for 402, so wsgiref turns it into a 500")
    assert isinstance(declined.value, stripe.CardError)
    assert declined.value.code == "card_declined"


def test_payment_needing_authentication_is_paid_on_the_hosted_invoice_page(
    client: stripe.StripeClient, sandbox: str
) -> None:
    clock, customer = clock_customer(client)
    subscription = subscribe(client, sandbox, customer.id)
    control(sandbox, f"/customers/{customer.id}/card", {"requires_action": True})
    advance(client, clock.id, T0 + 15 * DAY)
    subscription = client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["latest_invoice"]})
    assert subscription.status == "past_due"
    invoice = subscription.latest_invoice
    assert (invoice.status, invoice.next_payment_attempt) == ("open", None)
    assert latest_event(client, "invoice.payment_action_required").data.object.id == invoice.id

    path = urlsplit(invoice.hosted_invoice_url).path
    status, _, raw = send(sandbox, "GET", path)
    assert status == 200 and ">Pay</button>" in raw.decode()
    status, _, _ = post_form(sandbox, path, {})
    assert status == 302
    assert client.v1.invoices.retrieve(invoice.id).status == "paid"
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"


# -- Customer Portal -----------------------------------------------------------------------------------
def test_portal_plan_switch_sends_subscription_updated(
    client: stripe.StripeClient, sandbox: str, receiver: Receiver
) -> None:
    customer = client.v1.customers.create(params={"email": "portal@example.com"})
    subscription = subscribe(client, sandbox, customer.id, trial_days=None)
    client.v1.prices.retrieve("price_family_monthly")  # the portal offers the prices the app uses
    portal = client.v1.billing_portal.sessions.create(
        params={"customer": customer.id, "return_url": "http://app.test/account"}
    )
    assert portal.id.startswith("bps_")
    path = urlsplit(portal.url).path

    status, _, raw = send(sandbox, "GET", path)
    page = raw.decode()
    assert status == 200
    assert "Switch plan" in page and "price_family_monthly" in page and "http://app.test/account" in page

    status, headers, _ = post_form(
        sandbox,
        path,
        {"action": "switch_plan", "subscription": subscription.id, "price": "price_family_monthly"},
    )
    assert status == 302
    assert headers["Location"].startswith(path)
    switched = client.v1.subscriptions.retrieve(subscription.id)
    assert switched["items"].data[0].price.id == "price_family_monthly"

    flush(sandbox)
    updated = [event for event in receiver.events() if event.type == "customer.subscription.updated"][-1]
    assert updated.data.object["items"].data[0].price.id == "price_family_monthly"
    previous_items = updated.data.previous_attributes["items"]
    assert previous_items.data[0].price.id == "price_pro_monthly"

    post_form(sandbox, path, {"action": "cancel", "subscription": subscription.id})
    assert client.v1.subscriptions.retrieve(subscription.id).cancel_at_period_end is True
    post_form(sandbox, path, {"action": "renew", "subscription": subscription.id})
    assert client.v1.subscriptions.retrieve(subscription.id).cancel_at_period_end is False


def test_portal_card_update_pays_the_open_invoice(client: stripe.StripeClient, sandbox: str) -> None:
    clock, customer = clock_customer(client)
    subscription = subscribe(client, sandbox, customer.id)
    control(sandbox, f"/customers/{customer.id}/card", {"fails": True})
    advance(client, clock.id, T0 + 15 * DAY)
    assert client.v1.subscriptions.retrieve(subscription.id).status == "past_due"

    portal = client.v1.billing_portal.sessions.create(params={"customer": customer.id})
    status, _, _ = post_form(
        sandbox, urlsplit(portal.url).path, {"action": "update_card", "card": "succeeds"}
    )
    assert status == 302
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"
    assert latest_event(client, "customer.updated").data.object.id == customer.id


# -- webhook delivery controls -------------------------------------------------------------------------
def test_redelivery_and_reversed_order_delivery(
    client: stripe.StripeClient, sandbox: str, receiver: Receiver
) -> None:
    control(sandbox, "/config", {"auto_deliver": False})
    customer = client.v1.customers.create(params={"email": "order@example.com"})
    subscribe(client, sandbox, customer.id)
    flush(sandbox)
    assert receiver.requests == []  # held back

    events = list(reversed(client.v1.events.list(params={"type": "customer.subscription.*"}).data))
    events += [latest_event(client, "checkout.session.completed")]
    ids = [event.id for event in events]
    result = control(sandbox, "/events/deliver", {"ids": ids, "reverse": True})
    assert [d["status"] for d in result["deliveries"]] == [200] * len(ids)
    assert [event.id for event in receiver.events()] == list(reversed(ids))

    receiver.requests.clear()
    receiver.status = 500
    result = control(sandbox, f"/events/{ids[0]}/redeliver", {"times": 3})
    assert [d["status"] for d in result["deliveries"]] == [500, 500, 500]
    assert [event.id for event in receiver.events()] == [ids[0]] * 3
    bodies = {body for _, body in receiver.requests}
    assert len(bodies) == 1  # the same event, byte for byte

    recorded = control(sandbox, f"/deliveries?event_id={ids[0]}", method="GET")["deliveries"]
    assert [(d["trigger"], d["status"]) for d in recorded] == [("ordered", 200)] + [("redeliver", 500)] * 3


def test_webhooks_without_a_configured_endpoint_are_only_stored(
    client: stripe.StripeClient, sandbox: str
) -> None:
    customer = client.v1.customers.create(params={"email": "quiet@example.com"})
    event = latest_event(client, "customer.created")
    assert event.data.object.id == customer.id
    assert event.pending_webhooks == 0
    assert event.request.idempotency_key  # the SDK sends one with every POST
    assert control(sandbox, "/deliveries", method="GET")["deliveries"] == []


# -- persistence ---------------------------------------------------------------------------------------
def test_state_survives_a_restart(tmp_path: Any) -> None:
    env = {"SANDBOX_STATE_DIR": str(tmp_path)}
    proc, url = start_sandbox(env)
    try:
        first = stripe.StripeClient("sk_test_x", base_addresses={"api": url}, max_network_retries=0)
        customer = first.v1.customers.create(params={"email": "kept@example.com"})
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert (tmp_path / "stripe.json").exists()

    proc, url = start_sandbox(env)
    try:
        second = stripe.StripeClient("sk_test_x", base_addresses={"api": url}, max_network_retries=0)
        assert second.v1.customers.retrieve(customer.id).email == "kept@example.com"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# -- faults --------------------------------------------------------------------------------------------
def add_fault(sandbox: str, **spec: Any) -> dict[str, Any]:
    return dict(control(sandbox, "/faults", spec)["fault"])


def test_api_error_and_rate_limit_faults_answer_stripes_errors_then_stop(
    client: stripe.StripeClient, sandbox: str
) -> None:
    add_fault(sandbox, type="api_error")
    with pytest.raises(stripe.APIError) as failed:
        client.v1.customers.create(params={"email": "fault@example.com"})
    assert failed.value.http_status == 500 and failed.value.error.type == "api_error"
    assert client.v1.customers.list().data == []  # the failed call changed nothing

    add_fault(sandbox, type="rate_limit", count=2)
    for _ in range(2):
        with pytest.raises(stripe.RateLimitError) as limited:
            client.v1.customers.list()
        assert limited.value.http_status == 429 and limited.value.error.code == "rate_limit"
    assert client.v1.customers.list().data == []  # used up
    assert control(sandbox, "/faults", method="GET")["faults"] == []


def test_faults_match_a_path_prefix_and_a_method_until_cleared(
    client: stripe.StripeClient, sandbox: str
) -> None:
    fault = add_fault(sandbox, type="api_error", path="/v1/checkout/sessions", method="post", count=None)
    assert (fault["path"], fault["method"], fault["count"]) == ("/v1/checkout/sessions", "POST", None)
    customer = client.v1.customers.create(params={"email": "scoped@example.com"})  # another path
    for _ in range(3):
        with pytest.raises(stripe.APIError):
            checkout(client, customer.id)
    with pytest.raises(stripe.InvalidRequestError):  # a GET of that path is answered as usual
        client.v1.checkout.sessions.retrieve("cs_test_missing")
    assert [f["id"] for f in control(sandbox, "/faults", method="GET")["faults"]] == [fault["id"]]

    assert control(sandbox, "/faults", method="DELETE") == {"faults": []}
    assert checkout(client, customer.id).id.startswith("cs_test_")


def test_respond_faults_send_any_status_and_body(client: stripe.StripeClient, sandbox: str) -> None:
    add_fault(sandbox, type="respond", status=502, body="<html><h1>502 Bad Gateway</h1></html>")
    with pytest.raises(stripe.APIError) as proxied:
        client.v1.customers.list()
    assert proxied.value.http_status == 502 and "Bad Gateway" in str(proxied.value)

    add_fault(sandbox, type="respond", body={"not": "a customer"})
    status, headers, raw = send(
        sandbox, "GET", "/v1/customers/cus_anything", headers={"Authorization": "Bearer sk_test_x"}
    )
    assert (status, json.loads(raw)) == (200, {"not": "a customer"})
    assert headers["Content-Type"] == "application/json"


def test_a_timeout_fault_answers_late_so_the_client_gives_up(sandbox: str) -> None:
    impatient = stripe.StripeClient(
        "sk_test_x",
        base_addresses={"api": sandbox},
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=0.2),
    )
    add_fault(sandbox, type="timeout", seconds=1, path="/v1/customers", method="GET")
    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.customers.list()
    assert impatient.v1.customers.list().data == []  # the next call is answered in time


@pytest.mark.parametrize(
    ("spec", "param"),
    [
        ({"type": "meteor"}, "type"),
        ({}, "type"),
        ({"type": "api_error", "path": "/_sandbox/stripe/config"}, "path"),
        ({"type": "api_error", "method": "PATCH"}, "method"),
        ({"type": "api_error", "count": 0}, "count"),
        ({"type": "api_error", "count": "2"}, "count"),
        ({"type": "respond", "status": 99}, "status"),
        ({"type": "timeout", "seconds": -1}, "seconds"),
        ({"type": "timeout", "seconds": 1e9}, "seconds"),
        ({"type": "api_error", "paht": "/v1/customers"}, "paht"),
    ],
)
def test_invalid_faults_are_refused_in_stripes_shape(sandbox: str, spec: dict[str, Any], param: str) -> None:
    status, _, raw = send(
        sandbox,
        "POST",
        "/_sandbox/stripe/faults",
        json.dumps(spec).encode(),
        {"Content-Type": "application/json"},
    )
    assert status == 400
    error = json.loads(raw)["error"]
    assert (error["type"], error["param"]) == ("invalid_request_error", param)
    assert control(sandbox, "/faults", method="GET")["faults"] == []


def test_reset_clears_faults(client: stripe.StripeClient, sandbox: str) -> None:
    add_fault(sandbox, type="api_error", count=None)
    control(sandbox, "/reset")
    assert client.v1.customers.list().data == []


# -- where the browser reaches the hosted pages --------------------------------------------------------
def test_hosted_page_urls_use_the_public_url_and_reset_returns_the_environments() -> None:
    proc, url = start_sandbox({"SANDBOX_PUBLIC_URL": "http://sandbox.example:8765/"})
    try:
        client = stripe.StripeClient("sk_test_x", base_addresses={"api": url}, max_network_retries=0)
        assert control(url, "/config", method="GET")["public_url"] == "http://sandbox.example:8765"
        customer = client.v1.customers.create(params={"email": "public@example.com"})
        assert checkout(client, customer.id).url.startswith(
            "http://sandbox.example:8765/_sandbox/stripe/checkout/"
        )

        assert control(url, "/config", {"public_url": "http://localhost:9999/"})["public_url"] == (
            "http://localhost:9999"
        )
        session = checkout(client, customer.id, trial_days=None)
        assert session.url.startswith("http://localhost:9999/_sandbox/stripe/checkout/cs_test_")
        portal = client.v1.billing_portal.sessions.create(params={"customer": customer.id})
        assert portal.url.startswith("http://localhost:9999/_sandbox/stripe/portal/bps_")
        control(url, f"/checkout/{session.id}/complete", {"outcome": "pay"})
        invoice = client.v1.invoices.list(params={"customer": customer.id}).data[0]
        assert invoice.hosted_invoice_url.startswith("http://localhost:9999/_sandbox/stripe/invoices/in_")

        control(url, "/config", {"public_url": ""})  # none: the address the API call came to
        assert checkout(client, customer.id).url.startswith(f"{url}/_sandbox/stripe/checkout/")
        status, _, raw = send(
            url,
            "POST",
            "/_sandbox/stripe/config",
            b'{"public_url": "ftp://x"}',
            {"Content-Type": "application/json"},
        )
        assert status == 400 and json.loads(raw)["error"]["param"] == "public_url"

        assert control(url, "/reset")["config"]["public_url"] == "http://sandbox.example:8765"
        assert control(url, "/config", method="GET")["public_url"] == "http://sandbox.example:8765"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_sandbox_started_for_tests_ignores_the_public_url_of_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # That address names the developer's own sandbox (`make run`); this one is on a port of its own.
    monkeypatch.setenv("SANDBOX_PUBLIC_URL", "http://127.0.0.1:8765")
    proc, url = start_sandbox()
    try:
        client = stripe.StripeClient("sk_test_x", base_addresses={"api": url}, max_network_retries=0)
        assert control(url, "/config", method="GET")["public_url"] == ""
        customer = client.v1.customers.create(params={"email": "local@example.com"})
        assert checkout(client, customer.id).url.startswith(f"{url}/_sandbox/stripe/checkout/")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
