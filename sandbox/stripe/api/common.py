"""Helpers every `/v1` endpoint module shares."""

from __future__ import annotations

from typing import Any

from sandbox.stripe.errors import missing
from sandbox.stripe.listing import created_filter, expand, paginate
from sandbox.stripe.routing import Call
from sandbox.stripe.state import public, store


def show(call: Call, obj: dict[str, Any]) -> dict[str, Any]:
    return expand(store, public(obj), call.expand)


def listed(call: Call, objs: Any, url: str) -> dict[str, Any]:
    return paginate(
        store, [obj for obj in objs if created_filter(call.params)(obj)], call.params, url, call.expand
    )


def live_customer(customer_id: str, param: str = "id") -> dict[str, Any]:
    customer = store.get("customers", customer_id, param)
    if customer.get("deleted"):
        raise missing("customer", customer_id, param)
    return customer
