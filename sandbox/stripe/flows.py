"""What a customer does on the hosted pages (or a test does through the control API): complete or
decline Checkout, and the Customer Portal's switch plan / cancel / renew / update card."""

from __future__ import annotations

from typing import Any

from sandbox.stripe import billing, objects
from sandbox.stripe.errors import StripeError, invalid
from sandbox.stripe.state import Store

DECLINE = {
    "type": "card_error",
    "code": "card_declined",
    "decline_code": "generic_decline",
    "message": "Your card was declined.",
}
PAY_CARD = "4242 4242 4242 4242"
DECLINE_CARD = "4000 0000 0000 0002"


def create_customer(store: Store, at: int, **fields: Any) -> dict[str, Any]:
    customer = store.add(objects.customer(store, at, **fields))
    store.emit("customer.created", customer, at)
    return customer


def success_url(session: dict[str, Any]) -> str | None:
    url = session["success_url"]
    if not url:
        return None
    for placeholder in ("{CHECKOUT_SESSION_ID}", "%7BCHECKOUT_SESSION_ID%7D"):
        url = url.replace(placeholder, session["id"])
    return url


def complete_checkout(
    store: Store, session: dict[str, Any], outcome: str, email: str | None = None
) -> dict[str, Any]:
    """Pay (card 4242: the subscription starts) or decline (card 0002: nothing changes) a Checkout Session."""
    if outcome not in ("pay", "decline"):
        raise invalid("outcome", "outcome must be 'pay' or 'decline'.")
    if session["status"] != "open":
        raise StripeError(f"This Checkout Session is {session['status']}, not open.", code="session_not_open")
    if outcome == "decline":
        return {"outcome": "declined", "error": DECLINE}
    customer = store.collection("customers").get(session["customer"] or "")
    if customer is None:
        address = email or session["customer_email"] or "customer@example.com"
        customer = create_customer(store, store.global_now(), email=address)
    at = store.now_for(customer["id"])
    billing.set_card(store, customer, "succeeds", at, announce=False)
    data = session["_subscription_data"]
    trial_days = data.get("trial_period_days")
    trial_end = at + trial_days * billing.DAY if trial_days else data.get("trial_end")
    prices = [(store.get("prices", line["price"]["id"]), line["quantity"]) for line in session["_line_items"]]
    sub = billing.create_subscription(
        store, customer, prices, at, trial_end=trial_end, metadata=data.get("metadata") or {}
    )
    invoice = store.get("invoices", sub["latest_invoice"])
    session.update(
        status="complete",
        payment_status="paid" if invoice["amount_paid"] else "no_payment_required",
        customer=customer["id"],
        customer_details={
            "address": None,
            "email": customer["email"],
            "name": customer["name"],
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        },
        subscription=sub["id"],
        invoice=invoice["id"],
    )
    store.emit("checkout.session.completed", session, at)
    return {"outcome": "paid", "session": session, "subscription": sub, "redirect_to": success_url(session)}


def portal_subscription(store: Store, portal: dict[str, Any], subscription_id: str) -> dict[str, Any]:
    sub = store.collection("subscriptions").get(subscription_id)
    if sub is None or sub["customer"] != portal["customer"]:
        raise StripeError("That subscription is not this customer's.", status=404, code="resource_missing")
    return sub


def switch_plan(store: Store, sub: dict[str, Any], price_id: str) -> None:
    item = sub["items"]["data"][0]
    if item["price"]["id"] == price_id:
        return
    params = {"items": [{"id": item["id"], "price": price_id}], "proration_behavior": "create_prorations"}
    billing.update_subscription(store, sub, params, store.now_for(sub["customer"]))


def set_cancel_at_period_end(store: Store, sub: dict[str, Any], cancel: bool) -> None:
    params = {"cancel_at_period_end": "true" if cancel else "false"}
    billing.update_subscription(store, sub, params, store.now_for(sub["customer"]))


def update_card(store: Store, customer: dict[str, Any], behaviour: str) -> list[str]:
    """A new default card; like Stripe, open invoices of past-due subscriptions are retried with it."""
    at = store.now_for(customer["id"])
    billing.set_card(store, customer, behaviour, at, announce=True)
    outcomes = []
    for sub in list(store.collection("subscriptions").values()):
        if sub["customer"] == customer["id"] and sub["status"] in ("past_due", "unpaid", "incomplete"):
            for invoice in billing.open_invoices(store, sub):
                outcomes.append(billing.pay_invoice(store, invoice, at))
    return outcomes
