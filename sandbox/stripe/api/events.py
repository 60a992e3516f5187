"""`/v1/events` and `/v1/test_helpers/test_clocks`."""

from __future__ import annotations

from typing import Any

from sandbox.stripe import objects, simulation
from sandbox.stripe.api.common import listed, show
from sandbox.stripe.encoding import as_int, as_list
from sandbox.stripe.errors import required
from sandbox.stripe.routing import Call, api
from sandbox.stripe.state import store


@api("GET", "/v1/events/{id}")
def retrieve_event(call: Call) -> dict[str, Any]:
    return show(call, store.get("events", call.path["id"]))


def type_matches(event_type: str, pattern: str) -> bool:
    return event_type == pattern or (pattern.endswith(".*") and event_type.startswith(pattern[:-1]))


@api("GET", "/v1/events")
def list_events(call: Call) -> dict[str, Any]:
    patterns = as_list(call.params.get("types")) or as_list(call.params.get("type"))
    found = [
        e
        for e in store.collection("events").values()
        if not patterns or any(type_matches(e["type"], pattern) for pattern in patterns)
    ]
    return listed(call, found, "/v1/events")


# -- test clocks --------------------------------------------------------------------------------------
@api("POST", "/v1/test_helpers/test_clocks")
def create_test_clock(call: Call) -> dict[str, Any]:
    frozen_time = as_int(call.params, "frozen_time")
    if frozen_time is None:
        raise required("frozen_time")
    clock = store.add(objects.test_clock(store, frozen_time, call.params.get("name"), store.global_now()))
    store.emit("test_helpers.test_clock.created", clock, frozen_time)
    return show(call, clock)


@api("GET", "/v1/test_helpers/test_clocks/{id}")
def retrieve_test_clock(call: Call) -> dict[str, Any]:
    return show(call, store.get("test_clocks", call.path["id"]))


@api("GET", "/v1/test_helpers/test_clocks")
def list_test_clocks(call: Call) -> dict[str, Any]:
    return listed(call, store.collection("test_clocks").values(), "/v1/test_helpers/test_clocks")


@api("POST", "/v1/test_helpers/test_clocks/{id}/advance")
def advance_test_clock(call: Call) -> dict[str, Any]:
    clock = store.get("test_clocks", call.path["id"])
    frozen_time = as_int(call.params, "frozen_time")
    if frozen_time is None:
        raise required("frozen_time")
    simulation.advance_test_clock(store, clock, frozen_time)
    return show(call, clock)


@api("DELETE", "/v1/test_helpers/test_clocks/{id}")
def delete_test_clock(call: Call) -> dict[str, Any]:
    """Like Stripe, deleting a clock deletes its customers and everything they own."""
    clock = store.get("test_clocks", call.path["id"])
    delete_clock_objects(clock["id"])
    store.emit("test_helpers.test_clock.deleted", clock, clock["frozen_time"])
    del store.collection("test_clocks")[clock["id"]]
    return objects.deleted(clock)


def delete_clock_objects(clock_id: str) -> None:
    customers = {c["id"] for c in store.collection("customers").values() if c.get("test_clock") == clock_id}
    for collection in ("subscriptions", "invoices", "checkout_sessions", "portal_sessions"):
        objs = store.collection(collection)
        for object_id in [i for i, obj in objs.items() if obj.get("customer") in customers]:
            del objs[object_id]
    for customer_id in customers:
        del store.collection("customers")[customer_id]
