"""Products and prices. Any `price_...` id the app is configured with exists: an unknown one is made on
first use, its interval read from the id (`year`/`annual` -> yearly, `week`, `day`, else monthly) and
its amount from the plan word in it (basic, pro, family, ...), so the app needs no seeding step."""

from __future__ import annotations

import os
import re
from typing import Any

from sandbox.stripe.errors import missing
from sandbox.stripe.state import Store

CURRENCY = "usd"
MONTHLY_AMOUNTS = {  # minor units per month; a yearly price is ten months
    "basic": 600,
    "starter": 900,
    "plus": 1400,
    "pro": 1200,
    "premium": 2900,
    "family": 1800,
    "business": 4900,
}
DEFAULT_MONTHLY_AMOUNT = 1500


def plan_word(price_id: str) -> str | None:
    lowered = price_id.lower()
    for word in MONTHLY_AMOUNTS:
        if re.search(rf"(?<![a-z]){word}", lowered):
            return word
    return None


def interval_from_id(price_id: str) -> str:
    lowered = price_id.lower()
    if "year" in lowered or "annual" in lowered:
        return "year"
    if "week" in lowered:
        return "week"
    if "daily" in lowered or re.search(r"(?<![a-z])day", lowered):
        return "day"
    return "month"


def product_object(product_id: str, name: str, at: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": product_id,
        "object": "product",
        "active": True,
        "created": at,
        "default_price": None,
        "description": None,
        "images": [],
        "livemode": False,
        "marketing_features": [],
        "metadata": {},
        "name": name,
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": None,
        "tax_code": None,
        "type": "service",
        "unit_label": None,
        "updated": at,
        "url": None,
        **fields,
    }


def price_object(
    price_id: str,
    product_id: str,
    unit_amount: int,
    at: int,
    *,
    currency: str = CURRENCY,
    interval: str | None = "month",
    interval_count: int = 1,
    nickname: str | None = None,
    lookup_key: str | None = None,
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "id": price_id,
        "object": "price",
        "active": True,
        "billing_scheme": "per_unit",
        "created": at,
        "currency": currency,
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": lookup_key,
        "metadata": metadata or {},
        "nickname": nickname,
        "product": product_id,
        "recurring": (
            {
                "interval": interval,
                "interval_count": interval_count,
                "meter": None,
                "trial_period_days": None,
                "usage_type": "licensed",
            }
            if interval
            else None
        ),
        "tax_behavior": "unspecified",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "recurring" if interval else "one_time",
        "unit_amount": unit_amount,
        "unit_amount_decimal": str(unit_amount),
    }


def synthesize_price(store: Store, price_id: str) -> dict[str, Any]:
    word = plan_word(price_id)
    interval = interval_from_id(price_id)
    monthly = MONTHLY_AMOUNTS.get(word or "", DEFAULT_MONTHLY_AMOUNT)
    amount = {"year": monthly * 10, "week": monthly // 4, "day": max(monthly // 30, 50)}.get(
        interval, monthly
    )
    at = store.global_now()
    slug = word or re.sub(r"[^A-Za-z0-9]", "", price_id.removeprefix("price_"))[:24] or "plan"
    product_id = f"prod_{slug}"
    if product_id not in store.collection("products"):
        name = f"creditapp {word.capitalize()}" if word else f"Plan {slug}"
        store.add(product_object(product_id, name, at))
    nickname = f"{(word or slug).capitalize()} {interval}ly".replace("dayly", "daily")
    return store.add(price_object(price_id, product_id, amount, at, interval=interval, nickname=nickname))


def get_price(store: Store, price_id: str, param: str = "price") -> dict[str, Any]:
    """A known price, or a new one for any `price_...` id (see the module docstring)."""
    found = store.collection("prices").get(price_id)
    if found:
        return found
    if not price_id.startswith("price_") or len(price_id) <= len("price_"):
        raise missing("price", price_id, param)
    return synthesize_price(store, price_id)


def register_env_prices(store: Store) -> None:
    """Any environment value that looks like a price id is known from the start (the portal lists it)."""
    for value in os.environ.values():
        if re.fullmatch(r"price_[A-Za-z0-9_-]+", value):
            get_price(store, value)


def product_name(store: Store, price: dict[str, Any]) -> str:
    product = store.collection("products").get(price["product"])
    return product["name"] if product else price["product"]


def format_amount(amount: int, currency: str) -> str:
    symbol = {"usd": "$", "eur": "€", "gbp": "£"}.get(currency, currency.upper() + " ")
    return f"{symbol}{amount / 100:,.2f}"


def describe_price(price: dict[str, Any]) -> str:
    text = format_amount(price["unit_amount"] or 0, price["currency"])
    recurring = price.get("recurring")
    if recurring:
        count = recurring["interval_count"]
        text += f" / {recurring['interval']}" if count == 1 else f" every {count} {recurring['interval']}s"
    return text
