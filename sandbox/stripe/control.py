"""The sandbox's own JSON endpoints under `/_sandbox/stripe`: configuration, driving the hosted flows
without a browser, card behaviour, time, and webhook (re)delivery for tests."""

from __future__ import annotations

from typing import Any

from sandbox.http import BOOLEAN, SECONDS, STRING, URL, Kind, Request, field_problem
from sandbox.stripe import billing, catalog, flows, simulation
from sandbox.stripe.errors import invalid, missing
from sandbox.stripe.faults import faults
from sandbox.stripe.routing import control
from sandbox.stripe.state import env_config, public, store
from sandbox.stripe.webhooks import deliverer

MAX_REDELIVERIES = 100


def _check(body: dict[str, Any], kinds: dict[str, Kind]) -> None:
    problem = field_problem(body, kinds)
    if problem:
        raise invalid(problem.split(" ", 1)[0], f"Invalid value: {problem}.")


@control("GET", "/_sandbox/stripe/config")
def show_config(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    return {**store.config, "now": store.global_now(), "pending_deliveries": deliverer.pending()}


@control("POST", "/_sandbox/stripe/config")
def update_config(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """`{"webhook_url", "webhook_secret", "auto_deliver", "webhook_retry_delays", "dunning_final_status",
    "api_version", "public_url"}`."""
    checks = {
        "webhook_url": URL[1],
        "public_url": URL[1],
        "webhook_secret": lambda v: isinstance(v, str),
        "auto_deliver": lambda v: isinstance(v, bool),
        "webhook_retry_delays": lambda v: isinstance(v, list) and all(SECONDS[1](d) for d in v),
        "dunning_final_status": lambda v: v in ("canceled", "unpaid"),
        "api_version": lambda v: isinstance(v, str) and v != "",
    }
    for name, value in body.items():
        if name not in checks:
            raise invalid(name, f"Unknown setting {name!r}; known: {sorted(checks)}.")
        if not checks[name](value):
            raise invalid(name, f"Invalid value for {name}: {value!r}")
    store.config.update(body)
    if "public_url" in body:
        store.config["public_url"] = body["public_url"].rstrip("/")
    return show_config(request, {})


@control("POST", "/_sandbox/stripe/reset")
def reset(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """Forget every object, event, delivery and setting (settings return to the environment's)."""
    store.reset()
    faults.clear()
    catalog.register_env_prices(store)
    return {"reset": True, "config": env_config()}


@control("POST", "/_sandbox/stripe/faults", locked=False)
def add_fault(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """`{"type": "api_error" | "rate_limit" | "timeout" | "respond", "path"?, "method"?, "count"?,
    "seconds"?, "status"?, "body"?}`: how the next matching `/v1` calls fail (see the README)."""
    return {"fault": faults.add(body)}


@control("GET", "/_sandbox/stripe/faults", locked=False)
def list_faults(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    return {"faults": faults.listing()}


@control("DELETE", "/_sandbox/stripe/faults", locked=False)
def clear_faults(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    faults.clear()
    return {"faults": []}


@control("POST", "/_sandbox/stripe/checkout/{id}/complete")
def complete_checkout(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """`{"outcome": "pay" | "decline", "email"?: str}`: what the hosted page's buttons do."""
    _check(body, {"outcome": STRING, "email": STRING})
    session = store.get("checkout_sessions", request.params["id"])
    result = flows.complete_checkout(store, session, body.get("outcome", "pay"), body.get("email"))
    return {
        key: public(value) if isinstance(value, dict) and "id" in value else value
        for key, value in result.items()
    }


@control("POST", "/_sandbox/stripe/customers/{id}/card")
def set_card(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """`{"fails": true}` (charges are declined), `{"requires_action": true}` (3-D Secure), or both false."""
    _check(body, {"fails": BOOLEAN, "requires_action": BOOLEAN, "behaviour": STRING})
    customer = store.get("customers", request.params["id"])
    if customer.get("deleted"):
        raise missing("customer", customer["id"])
    behaviour = (
        "fails" if body.get("fails") else "requires_action" if body.get("requires_action") else "succeeds"
    )
    billing.set_card(
        store, customer, body.get("behaviour", behaviour), store.now_for(customer["id"]), announce=False
    )
    return {"customer": customer["id"], "card": customer["_card"]}


@control("POST", "/_sandbox/stripe/advance")
def advance(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """`{"seconds": N}`: moves the global clock (customers without a test clock) forward."""
    seconds = body.get("seconds")
    if not isinstance(seconds, int):
        raise invalid("seconds", "seconds must be an integer.")
    first = store.data["sequence"]
    now = simulation.advance_global(store, seconds)
    events = [e["id"] for e in store.collection("events").values() if e["_sequence"] > first]
    return {"now": now, "clock_offset": store.data["clock_offset"], "events": events}


@control("POST", "/_sandbox/stripe/prices")
def register_prices(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """`{"ids": ["price_pro_monthly", ...]}`: make prices known up front (e.g. for the portal's plan list)."""
    ids = body.get("ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise invalid("ids", "ids must be a list of price ids.")
    return {"prices": [public(catalog.get_price(store, price_id, "ids")) for price_id in ids]}


@control("GET", "/_sandbox/stripe/deliveries")
def list_deliveries(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """Every webhook attempt, oldest first; `?event_id=` and `?type=` filter."""
    event_id, event_type = request.query.get("event_id"), request.query.get("type")
    found = [
        d
        for d in store.data["deliveries"]
        if (not event_id or d["event_id"] == event_id) and (not event_type or d["event_type"] == event_type)
    ]
    return {"deliveries": found, "pending": deliverer.pending()}


@control("POST", "/_sandbox/stripe/webhooks/flush", locked=False)
def flush(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """`{"timeout": seconds}`: wait until every queued delivery (retries included) has been attempted."""
    _check(body, {"timeout": SECONDS})
    timeout = body.get("timeout")
    idle = deliverer.wait_idle(10.0 if timeout is None else float(timeout))
    return {"idle": idle, "pending": deliverer.pending()}


@control("POST", "/_sandbox/stripe/events/{id}/redeliver", locked=False)
def redeliver(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """`{"times": N}`: send the same event N times now, one after another."""
    times = body.get("times", 1)
    if not isinstance(times, int) or not 1 <= times <= MAX_REDELIVERIES:
        raise invalid("times", f"times must be an integer from 1 to {MAX_REDELIVERIES}.")
    with store.lock:
        store.get("events", request.params["id"])
    return {"deliveries": [deliverer.deliver(request.params["id"], "redeliver") for _ in range(times)]}


@control("POST", "/_sandbox/stripe/events/deliver", locked=False)
def deliver_in_order(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """`{"ids": [...], "reverse": false}`: send these events now, in exactly this (or the reverse) order."""
    ids = body.get("ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise invalid("ids", "ids must be a non-empty list of event ids.")
    with store.lock:
        for event_id in ids:
            store.get("events", event_id, "ids")
    order = list(reversed(ids)) if body.get("reverse") else ids
    return {"deliveries": [deliverer.deliver(event_id, "ordered") for event_id in order]}
