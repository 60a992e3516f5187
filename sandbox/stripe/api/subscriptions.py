"""`/v1/subscriptions` and `/v1/invoices`."""

from __future__ import annotations

from typing import Any

from sandbox.stripe import billing
from sandbox.stripe.api.common import listed, live_customer, show
from sandbox.stripe.encoding import as_dict, as_int, as_list, merge_metadata
from sandbox.stripe.errors import StripeError, required
from sandbox.stripe.routing import Call, api
from sandbox.stripe.state import store


@api("POST", "/v1/subscriptions")
def create_subscription(call: Call) -> dict[str, Any]:
    params = call.params
    if not params.get("customer"):
        raise required("customer")
    customer = live_customer(params["customer"], "customer")
    at = store.now_for(customer["id"])
    prices = billing.resolve_prices(store, as_list(params.get("items")))
    trial_days = as_int(params, "trial_period_days")
    trial_end = at + trial_days * billing.DAY if trial_days else as_int(params, "trial_end")
    sub = billing.create_subscription(
        store,
        customer,
        prices,
        at,
        trial_end=trial_end,
        metadata=merge_metadata({}, params.get("metadata", {})),
    )
    return show(call, sub)


@api("GET", "/v1/subscriptions/{id}")
def retrieve_subscription(call: Call) -> dict[str, Any]:
    return show(call, store.get("subscriptions", call.path["id"]))


@api("POST", "/v1/subscriptions/{id}")
def update_subscription(call: Call) -> dict[str, Any]:
    sub = store.get("subscriptions", call.path["id"])
    billing.update_subscription(store, sub, call.params, store.now_for(sub["customer"]))
    return show(call, sub)


@api("DELETE", "/v1/subscriptions/{id}")
def cancel_subscription(call: Call) -> dict[str, Any]:
    sub = store.get("subscriptions", call.path["id"])
    details = as_dict(call.params, "cancellation_details")
    sub["cancellation_details"].update(
        {name: details[name] or None for name in ("comment", "feedback") if name in details}
    )
    billing.cancel(store, sub, store.now_for(sub["customer"]), "cancellation_requested")
    return show(call, sub)


@api("GET", "/v1/subscriptions")
def list_subscriptions(call: Call) -> dict[str, Any]:
    params = call.params
    status = params.get("status")
    clock_customers = {
        c["id"]
        for c in store.collection("customers").values()
        if c.get("test_clock") and c["test_clock"] == params.get("test_clock")
    }

    def wanted(sub: dict[str, Any]) -> bool:
        if status == "ended":
            return sub["status"] in billing.ENDED_STATUSES
        if status and status != "all":
            return sub["status"] == status
        return status == "all" or sub["status"] not in billing.ENDED_STATUSES

    found = [
        s
        for s in store.collection("subscriptions").values()
        if wanted(s)
        and (not params.get("customer") or s["customer"] == params["customer"])
        and (not params.get("price") or any(i["price"]["id"] == params["price"] for i in s["items"]["data"]))
        and (not params.get("test_clock") or s["customer"] in clock_customers)
    ]
    return listed(call, found, "/v1/subscriptions")


# -- invoices -----------------------------------------------------------------------------------------
@api("GET", "/v1/invoices/{id}")
def retrieve_invoice(call: Call) -> dict[str, Any]:
    return show(call, store.get("invoices", call.path["id"]))


@api("GET", "/v1/invoices/{id}/lines")
def invoice_lines(call: Call) -> dict[str, Any]:
    return store.get("invoices", call.path["id"])["lines"]


@api("POST", "/v1/invoices/{id}/pay")
def pay_invoice(call: Call) -> dict[str, Any]:
    invoice = store.get("invoices", call.path["id"])
    outcome = billing.pay_invoice(store, invoice, store.now_for(invoice["customer"]))
    if outcome == "fails":
        raise StripeError(
            "Your card was declined.",
            status=402,
            type="card_error",
            code="card_declined",
            decline_code="generic_decline",
        )
    if outcome == "requires_action":
        raise StripeError(
            "This payment requires additional user action before it can be completed.",
            status=402,
            type="card_error",
            code="invoice_payment_intent_requires_action",
        )
    return show(call, invoice)


@api("GET", "/v1/invoices")
def list_invoices(call: Call) -> dict[str, Any]:
    params = call.params
    found = [
        i
        for i in store.collection("invoices").values()
        if all(
            not params.get(name) or i[name] == params[name] for name in ("customer", "subscription", "status")
        )
    ]
    return listed(call, found, "/v1/invoices")
