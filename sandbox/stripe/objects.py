"""Builders for the JSON shapes the API returns (fields as in stripe-python 16's resource classes).

Subscriptions carry `current_period_start/end` both on the subscription (older API versions) and on
each item (newer ones); invoices name their subscription both as `subscription` and under `parent`.
"""

from __future__ import annotations

from typing import Any

from sandbox.stripe.catalog import describe_price
from sandbox.stripe.state import Store, public, random_id


def list_object(data: list[dict[str, Any]], url: str, has_more: bool = False) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def customer(store: Store, at: int, **fields: Any) -> dict[str, Any]:
    customer_id = store.new_id("cus")
    return {
        "id": customer_id,
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": at,
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": None,
        "invoice_prefix": customer_id[4:12].upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {},
        "name": None,
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
        **fields,
        "_card": {"last4": "4242", "brand": "visa", "behaviour": "succeeds"},
    }


def plan(price: dict[str, Any]) -> dict[str, Any]:
    recurring = price.get("recurring") or {}
    return {
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": "per_unit",
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring.get("interval"),
        "interval_count": recurring.get("interval_count", 1),
        "livemode": False,
        "metadata": price["metadata"],
        "meter": None,
        "nickname": price["nickname"],
        "product": price["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }


def subscription_item(
    store: Store, subscription_id: str, price: dict[str, Any], quantity: int, at: int
) -> dict[str, Any]:
    return {
        "id": store.new_id("si"),
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": at,
        "current_period_end": None,
        "current_period_start": None,
        "discounts": [],
        "metadata": {},
        "plan": plan(price),
        "price": public(price),
        "quantity": quantity,
        "subscription": subscription_id,
        "tax_rates": [],
    }


def subscription(
    store: Store,
    customer: dict[str, Any],
    prices: list[tuple[dict[str, Any], int]],
    at: int,
    metadata: dict[str, str],
) -> dict[str, Any]:
    subscription_id = store.new_id("sub")
    items = [subscription_item(store, subscription_id, price, quantity, at) for price, quantity in prices]
    return {
        "id": subscription_id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": at,
        "billing_cycle_anchor_config": None,
        "billing_mode": {"flexible": None, "type": "classic"},
        "billing_thresholds": None,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "collection_method": "charge_automatically",
        "created": at,
        "currency": prices[0][0]["currency"],
        "current_period_end": None,
        "current_period_start": None,
        "customer": customer["id"],
        "days_until_due": None,
        "default_payment_method": customer["invoice_settings"]["default_payment_method"],
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "ended_at": None,
        "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
        "items": {
            "object": "list",
            "data": items,
            "has_more": False,
            "total_count": len(items),
            "url": f"/v1/subscription_items?subscription={subscription_id}",
        },
        "latest_invoice": None,
        "livemode": False,
        "metadata": metadata,
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "plan": items[0]["plan"],
        "quantity": items[0]["quantity"],
        "schedule": None,
        "start_date": at,
        "status": "incomplete",
        "test_clock": customer["test_clock"],
        "transfer_data": None,
        "trial_end": None,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": None,
        "_periods": 0,  # billing periods started since billing_cycle_anchor
        "_trial_will_end_sent": False,
    }


def invoice(
    store: Store,
    customer: dict[str, Any],
    sub: dict[str, Any],
    billing_reason: str,
    period: tuple[int, int],
    trial: bool,
    at: int,
    base_url: str,
) -> dict[str, Any]:
    invoice_id = store.new_id("in")
    lines = []
    for item in sub["items"]["data"]:
        price = item["price"]
        amount = 0 if trial else (price["unit_amount"] or 0) * item["quantity"]
        description = (
            f"{item['quantity']} x {price['nickname'] or price['product']} ({describe_price(price)})"
        )
        if trial:
            description = f"Trial period for {price['nickname'] or price['product']}"
        lines.append(
            {
                "id": store.new_id("il"),
                "object": "line_item",
                "amount": amount,
                "currency": sub["currency"],
                "description": description,
                "discount_amounts": [],
                "discountable": True,
                "discounts": [],
                "invoice": invoice_id,
                "livemode": False,
                "metadata": {},
                "parent": {
                    "type": "subscription_item_details",
                    "invoice_item_details": None,
                    "subscription_item_details": {
                        "invoice_item": None,
                        "proration": False,
                        "proration_details": {"credited_items": None},
                        "subscription": sub["id"],
                        "subscription_item": item["id"],
                    },
                },
                "period": {"start": period[0], "end": period[1]},
                "pretax_credit_amounts": [],
                "price": price,
                "pricing": {
                    "type": "price_details",
                    "price_details": {"price": price["id"], "product": price["product"]},
                    "unit_amount_decimal": price["unit_amount_decimal"],
                },
                "quantity": item["quantity"],
                "taxes": [],
            }
        )
    total = sum(line["amount"] for line in lines)
    number = f"{customer['invoice_prefix']}-{customer['next_invoice_sequence']:04d}"
    customer["next_invoice_sequence"] += 1
    return {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "US",
        "account_name": "creditapp (sandbox)",
        "amount_due": total,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_remaining": total,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": True,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None, "status": None},
        "billing_reason": billing_reason,
        "collection_method": "charge_automatically",
        "created": at,
        "currency": sub["currency"],
        "customer": customer["id"],
        "customer_email": customer["email"],
        "customer_name": customer["name"],
        "default_payment_method": None,
        "description": None,
        "discounts": [],
        "due_date": None,
        "effective_at": at,
        "ending_balance": 0,
        "hosted_invoice_url": f"{base_url}/_sandbox/stripe/invoices/{invoice_id}",
        "invoice_pdf": None,
        "last_finalization_error": None,
        "lines": {
            "object": "list",
            "data": lines,
            "has_more": False,
            "total_count": len(lines),
            "url": f"/v1/invoices/{invoice_id}/lines",
        },
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None,
        "number": number,
        "parent": {
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {"metadata": dict(sub["metadata"]), "subscription": sub["id"]},
        },
        "period_end": period[1],
        "period_start": period[0],
        "starting_balance": 0,
        "status": "open",
        "status_transitions": {
            "finalized_at": at,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subscription": sub["id"],
        "subtotal": total,
        "subtotal_excluding_tax": total,
        "test_clock": customer["test_clock"],
        "total": total,
        "total_discount_amounts": [],
        "total_excluding_tax": total,
        "total_taxes": [],
        "webhooks_delivered_at": at,
    }


def checkout_session(at: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": random_id("cs_test", 58),
        "object": "checkout.session",
        "adaptive_pricing": None,
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": 0,
        "amount_total": 0,
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": None,
        "client_reference_id": None,
        "client_secret": None,
        "consent": None,
        "consent_collection": None,
        "created": at,
        "currency": "usd",
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": None,
        "customer_creation": None,
        "customer_details": None,
        "customer_email": None,
        "expires_at": at + 24 * 3600,
        "invoice": None,
        "invoice_creation": None,
        "livemode": False,
        "locale": None,
        "metadata": {},
        "mode": "subscription",
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "always",
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": None,
        "subscription": None,
        "success_url": None,
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": None,
        **fields,
    }


def portal_session(store: Store, at: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": store.new_id("bps"),
        "object": "billing_portal.session",
        "configuration": "bpc_sandbox_default",
        "created": at,
        "customer": None,
        "flow": None,
        "livemode": False,
        "locale": None,
        "on_behalf_of": None,
        "return_url": None,
        "url": None,
        **fields,
    }


def test_clock(store: Store, frozen_time: int, name: str | None, at: int) -> dict[str, Any]:
    return {
        "id": store.new_id("clock"),
        "object": "test_helpers.test_clock",
        "created": at,
        "deletes_after": at + 30 * 24 * 3600,
        "frozen_time": frozen_time,
        "livemode": False,
        "name": name,
        "status": "ready",
        "status_details": {},
    }


def deleted(obj: dict[str, Any]) -> dict[str, Any]:
    return {"id": obj["id"], "object": obj["object"], "deleted": True}
