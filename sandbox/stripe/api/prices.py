"""`/v1/products` and `/v1/prices`; unknown `price_...` ids are made on first use (see `catalog`)."""

from __future__ import annotations

from typing import Any

from sandbox.stripe import catalog
from sandbox.stripe.api.common import listed, show
from sandbox.stripe.encoding import as_bool, as_dict, as_int, as_list, merge_metadata
from sandbox.stripe.errors import StripeError, invalid, required
from sandbox.stripe.routing import Call, api
from sandbox.stripe.state import previous_values, public, store


@api("POST", "/v1/products")
def create_product(call: Call) -> dict[str, Any]:
    params = call.params
    if not params.get("name"):
        raise required("name")
    product_id = params.get("id") or store.new_id("prod")
    if product_id in store.collection("products"):
        raise StripeError(f"Product already exists: {product_id}", code="resource_already_exists", param="id")
    at = store.now_for()
    product = store.add(
        catalog.product_object(
            product_id,
            params["name"],
            at,
            description=params.get("description"),
            metadata=merge_metadata({}, params.get("metadata", {})),
        )
    )
    store.emit("product.created", product, at)
    return show(call, product)


@api("GET", "/v1/products/{id}")
def retrieve_product(call: Call) -> dict[str, Any]:
    return show(call, store.get("products", call.path["id"]))


@api("GET", "/v1/products")
def list_products(call: Call) -> dict[str, Any]:
    active = as_bool(call.params, "active")
    found = [p for p in store.collection("products").values() if active is None or p["active"] == active]
    return listed(call, found, "/v1/products")


@api("POST", "/v1/prices")
def create_price(call: Call) -> dict[str, Any]:
    params = call.params
    at = store.now_for()
    if params.get("product"):
        product_id = store.get("products", params["product"], "product")["id"]
    elif as_dict(params, "product_data").get("name"):
        product = store.add(catalog.product_object(store.new_id("prod"), params["product_data"]["name"], at))
        product_id = product["id"]
    else:
        raise required("product")
    if not params.get("currency"):
        raise required("currency")
    recurring = as_dict(params, "recurring")
    if recurring and recurring.get("interval") not in ("day", "week", "month", "year"):
        raise invalid("recurring[interval]", "Invalid recurring[interval]: must be day, week, month or year.")
    price = store.add(
        catalog.price_object(
            params.get("id") or store.new_id("price"),
            product_id,
            as_int(params, "unit_amount", 0) or 0,
            at,
            currency=params["currency"].lower(),
            interval=recurring.get("interval"),
            interval_count=as_int(recurring, "interval_count", 1) or 1,
            nickname=params.get("nickname"),
            lookup_key=params.get("lookup_key"),
            metadata=merge_metadata({}, params.get("metadata", {})),
        )
    )
    store.emit("price.created", price, at)
    return show(call, price)


@api("GET", "/v1/prices/{id}")
def retrieve_price(call: Call) -> dict[str, Any]:
    return show(call, catalog.get_price(store, call.path["id"], "id"))


@api("POST", "/v1/prices/{id}")
def update_price(call: Call) -> dict[str, Any]:
    price = catalog.get_price(store, call.path["id"], "id")
    before = public(price)
    for name in ("nickname", "lookup_key"):
        if name in call.params:
            price[name] = call.params[name] or None
    if "active" in call.params:
        price["active"] = as_bool(call.params, "active")
    if "metadata" in call.params:
        price["metadata"] = merge_metadata(price["metadata"], call.params["metadata"])
    changes = previous_values(before, public(price))
    if changes:
        store.emit("price.updated", price, store.now_for(), changes)
    return show(call, price)


@api("GET", "/v1/prices")
def list_prices(call: Call) -> dict[str, Any]:
    params = call.params
    active = as_bool(params, "active")
    lookup_keys = as_list(params.get("lookup_keys"))
    recurring = as_dict(params, "recurring")
    found = [
        p
        for p in store.collection("prices").values()
        if (active is None or p["active"] == active)
        and (not params.get("product") or p["product"] == params["product"])
        and (not params.get("type") or p["type"] == params["type"])
        and (not params.get("currency") or p["currency"] == params["currency"])
        and (not lookup_keys or p["lookup_key"] in lookup_keys)
        and (not recurring.get("interval") or (p["recurring"] or {}).get("interval") == recurring["interval"])
    ]
    return listed(call, found, "/v1/prices")
