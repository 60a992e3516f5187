"""`/v1/checkout/sessions` (subscription mode) and `/v1/billing_portal/sessions`."""

from __future__ import annotations

from typing import Any

from sandbox.stripe import billing, catalog, objects
from sandbox.stripe.api.common import listed, live_customer, show
from sandbox.stripe.encoding import as_dict, as_int, as_list, merge_metadata
from sandbox.stripe.errors import StripeError, invalid, required
from sandbox.stripe.routing import Call, api
from sandbox.stripe.state import public, store


@api("POST", "/v1/checkout/sessions")
def create_checkout_session(call: Call) -> dict[str, Any]:
    params = call.params
    if params.get("mode") != "subscription":
        raise invalid("mode", "The sandbox emulates Checkout in `mode=subscription` only.")
    if params.get("customer") and params.get("customer_email"):
        raise invalid(
            "customer_email", "You may only specify one of these parameters: customer, customer_email."
        )
    customer_id = params.get("customer") or None
    if customer_id:
        live_customer(customer_id, "customer")
    line_items = as_list(params.get("line_items"))
    if not line_items:
        raise required("line_items")
    prices = billing.resolve_prices(store, line_items, "line_items")
    data = as_dict(params, "subscription_data")
    trial_days = as_int(data, "trial_period_days")
    if trial_days is not None and not 1 <= trial_days <= 730:
        raise invalid("subscription_data[trial_period_days]", "trial_period_days must be between 1 and 730.")
    reference = params.get("client_reference_id")
    if reference and len(reference) > 200:
        raise invalid("client_reference_id", "client_reference_id must be at most 200 characters.")
    lines = [
        {
            "id": store.new_id("li"),
            "object": "item",
            "amount_discount": 0,
            "amount_subtotal": (price["unit_amount"] or 0) * quantity,
            "amount_tax": 0,
            "amount_total": (price["unit_amount"] or 0) * quantity,
            "currency": price["currency"],
            "description": catalog.product_name(store, price),
            "price": public(price),
            "quantity": quantity,
        }
        for price, quantity in prices
    ]
    total = sum(line["amount_total"] for line in lines)
    session = objects.checkout_session(
        store.now_for(customer_id),
        amount_subtotal=total,
        amount_total=total,
        cancel_url=params.get("cancel_url"),
        client_reference_id=reference,
        currency=prices[0][0]["currency"],
        customer=customer_id,
        customer_email=params.get("customer_email"),
        metadata=merge_metadata({}, params.get("metadata", {})),
        success_url=params.get("success_url"),
        _line_items=lines,
        _subscription_data={
            "trial_period_days": trial_days,
            "trial_end": as_int(data, "trial_end"),
            "metadata": merge_metadata({}, data.get("metadata", {})),
        },
    )
    session["url"] = f"{store.data['base_url']}/_sandbox/stripe/checkout/{session['id']}"
    return show_session(call, store.add(session))


def show_session(call: Call, session: dict[str, Any]) -> dict[str, Any]:
    shown = show(call, session)
    if "line_items" in call.expand:
        shown["line_items"] = objects.list_object(
            session["_line_items"], f"/v1/checkout/sessions/{session['id']}/line_items"
        )
    return shown


@api("GET", "/v1/checkout/sessions/{id}")
def retrieve_checkout_session(call: Call) -> dict[str, Any]:
    return show_session(call, store.get("checkout_sessions", call.path["id"]))


@api("GET", "/v1/checkout/sessions/{id}/line_items")
def checkout_session_line_items(call: Call) -> dict[str, Any]:
    session = store.get("checkout_sessions", call.path["id"])
    return objects.list_object(session["_line_items"], f"/v1/checkout/sessions/{session['id']}/line_items")


@api("POST", "/v1/checkout/sessions/{id}/expire")
def expire_checkout_session(call: Call) -> dict[str, Any]:
    session = store.get("checkout_sessions", call.path["id"])
    if session["status"] != "open":
        raise StripeError(
            f"Only Checkout Sessions with a status of `open` can be expired; "
            f"this one is `{session['status']}`."
        )
    session["status"] = "expired"
    store.emit("checkout.session.expired", session, store.now_for(session["customer"]))
    return show_session(call, session)


@api("GET", "/v1/checkout/sessions")
def list_checkout_sessions(call: Call) -> dict[str, Any]:
    params = call.params
    found = [
        s
        for s in store.collection("checkout_sessions").values()
        if all(
            not params.get(name) or s[name] == params[name] for name in ("customer", "subscription", "status")
        )
    ]
    return listed(call, found, "/v1/checkout/sessions")


@api("POST", "/v1/billing_portal/sessions")
def create_portal_session(call: Call) -> dict[str, Any]:
    params = call.params
    if not params.get("customer"):
        raise required("customer")
    customer = live_customer(params["customer"], "customer")
    flow = as_dict(params, "flow_data") or None
    portal = objects.portal_session(
        store,
        store.now_for(customer["id"]),
        customer=customer["id"],
        return_url=params.get("return_url"),
        flow=flow,
        locale=params.get("locale"),
    )
    portal["url"] = f"{store.data['base_url']}/_sandbox/stripe/portal/{portal['id']}"
    return show(call, store.add(portal))
