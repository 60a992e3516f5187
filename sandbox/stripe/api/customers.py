"""`/v1/customers`: create, retrieve, update, delete, list (by `email`) and search."""

from __future__ import annotations

import re
from typing import Any

from sandbox.stripe import billing, flows, objects
from sandbox.stripe.api.common import listed, live_customer, show
from sandbox.stripe.encoding import merge_metadata
from sandbox.stripe.errors import invalid
from sandbox.stripe.listing import paginate
from sandbox.stripe.routing import Call, api
from sandbox.stripe.state import previous_values, public, store

CUSTOMER_FIELDS = ("email", "name", "description", "phone", "address", "shipping", "preferred_locales")


@api("POST", "/v1/customers")
def create_customer(call: Call) -> dict[str, Any]:
    params = call.params
    clock_id = params.get("test_clock") or None
    if clock_id:
        store.get("test_clocks", clock_id, "test_clock")
    fields = {name: params[name] for name in CUSTOMER_FIELDS if params.get(name) not in (None, "")}
    at = store.collection("test_clocks")[clock_id]["frozen_time"] if clock_id else store.now_for()
    customer = flows.create_customer(
        store, at, **fields, metadata=merge_metadata({}, params.get("metadata", {})), test_clock=clock_id
    )
    return show(call, customer)


@api("GET", "/v1/customers/search")
def search_customers(call: Call) -> dict[str, Any]:
    query = call.params.get("query") or ""
    clauses = re.findall(r"(metadata\[['\"]([^'\"]+)['\"]\]|\w+)\s*([:~])\s*['\"]([^'\"]*)['\"]", query)
    if not clauses:
        raise invalid("query", f"Could not parse the search query: {query!r}")

    def matches(customer: dict[str, Any]) -> bool:
        for field, metadata_key, operator, wanted in clauses:
            value = customer["metadata"].get(metadata_key) if metadata_key else customer.get(field)
            value = "" if value is None else str(value)
            if (operator == ":" and value != wanted) or (
                operator == "~" and wanted.lower() not in value.lower()
            ):
                return False
        return True

    found = [c for c in store.collection("customers").values() if not c.get("deleted") and matches(c)]
    page = paginate(
        store, found, {"limit": call.params.get("limit", 10)}, "/v1/customers/search", call.expand
    )
    return {**page, "object": "search_result", "next_page": None, "total_count": len(found)}


@api("GET", "/v1/customers/{id}")
def retrieve_customer(call: Call) -> dict[str, Any]:
    return show(call, store.get("customers", call.path["id"]))


@api("POST", "/v1/customers/{id}")
def update_customer(call: Call) -> dict[str, Any]:
    customer = live_customer(call.path["id"])
    before = public(customer)
    for name in CUSTOMER_FIELDS:
        if name in call.params:
            customer[name] = call.params[name] or None
    if "metadata" in call.params:
        customer["metadata"] = merge_metadata(customer["metadata"], call.params["metadata"])
    changes = previous_values(before, public(customer))
    if changes:
        store.emit("customer.updated", customer, store.now_for(customer["id"]), changes)
    return show(call, customer)


@api("DELETE", "/v1/customers/{id}")
def delete_customer(call: Call) -> dict[str, Any]:
    customer = live_customer(call.path["id"])
    at = store.now_for(customer["id"])
    for sub in store.collection("subscriptions").values():
        if sub["customer"] == customer["id"] and sub["status"] not in billing.ENDED_STATUSES:
            billing.cancel(store, sub, at, "cancellation_requested")
    store.emit("customer.deleted", customer, at)
    stub = {**objects.deleted(customer), "_sequence": customer["_sequence"], "test_clock": None}
    store.collection("customers")[customer["id"]] = stub
    return objects.deleted(customer)


@api("GET", "/v1/customers")
def list_customers(call: Call) -> dict[str, Any]:
    params = call.params
    found = [
        c
        for c in store.collection("customers").values()
        if not c.get("deleted")
        and (not params.get("email") or c["email"] == params["email"])
        and (not params.get("test_clock") or c["test_clock"] == params["test_clock"])
    ]
    return listed(call, found, "/v1/customers")
