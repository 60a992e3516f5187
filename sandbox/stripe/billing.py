"""Subscription and invoice lifecycle: creating, charging, renewing, dunning, updating and cancelling.

Every function takes `at`, the moment it happens on the customer's clock (a test clock's frozen time
or the sandbox's global time), and emits the webhook events Stripe would, in Stripe's order.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from typing import Any

from sandbox.stripe import objects
from sandbox.stripe.catalog import get_price
from sandbox.stripe.encoding import as_bool, as_int, as_list, merge_metadata
from sandbox.stripe.errors import StripeError, invalid, missing
from sandbox.stripe.state import Store, previous_values, public

DAY = 24 * 3600
TRIAL_WILL_END_NOTICE = 3 * DAY
RETRY_DELAYS = (3 * DAY, 5 * DAY, 7 * DAY)  # after the 1st, 2nd and 3rd failed attempt; the 4th is final
INCOMPLETE_EXPIRES_AFTER = 23 * 3600
ENDED_STATUSES = ("canceled", "incomplete_expired")

# What a customer's card does when charged; set by Checkout (4242 succeeds), the portal and the control API.
CARDS = {
    "succeeds": {"last4": "4242", "brand": "visa"},
    "fails": {"last4": "0341", "brand": "visa"},  # attaches, then every charge is declined
    "requires_action": {"last4": "3184", "brand": "visa"},  # 3-D Secure on every charge
}


def add_interval(timestamp: int, interval: str, count: int) -> int:
    """Calendar arithmetic as Stripe bills: Jan 31 + 1 month = Feb 28/29, anchored to the original day."""
    if interval == "day":
        return timestamp + count * DAY
    if interval == "week":
        return timestamp + count * 7 * DAY
    moment = datetime.fromtimestamp(timestamp, UTC)
    months = moment.month - 1 + count * (12 if interval == "year" else 1)
    year, month = moment.year + months // 12, months % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def recurring_of(sub: dict[str, Any]) -> tuple[str, int]:
    recurring = sub["items"]["data"][0]["price"]["recurring"]
    return recurring["interval"], recurring["interval_count"]


def period_bounds(sub: dict[str, Any], index: int) -> tuple[int, int]:
    interval, count = recurring_of(sub)
    anchor = sub["billing_cycle_anchor"]
    return add_interval(anchor, interval, index * count), add_interval(anchor, interval, (index + 1) * count)


def set_period(sub: dict[str, Any], start: int, end: int) -> None:
    sub["current_period_start"], sub["current_period_end"] = start, end
    for item in sub["items"]["data"]:
        item["current_period_start"], item["current_period_end"] = start, end


def set_card(store: Store, customer: dict[str, Any], behaviour: str, at: int, *, announce: bool) -> None:
    """A new default card (`announce`: the customer changed it, so `customer.updated` is sent), or the
    card on file starting to behave differently (no event, as when a real card expires)."""
    if behaviour not in CARDS:
        raise invalid("behaviour", f"Unknown card behaviour {behaviour!r}; use one of {sorted(CARDS)}.")
    before = public(customer)
    customer["_card"] = {**CARDS[behaviour], "behaviour": behaviour}
    if announce or not customer["invoice_settings"]["default_payment_method"]:
        customer["invoice_settings"]["default_payment_method"] = store.new_id("pm")
    if announce:
        store.emit("customer.updated", customer, at, previous_values(before, public(customer)))


def card_outcome(customer: dict[str, Any], amount: int) -> str:
    return "succeeds" if amount == 0 else customer["_card"]["behaviour"]


# -- invoices -----------------------------------------------------------------------------------------
def issue_invoice(
    store: Store, sub: dict[str, Any], reason: str, period: tuple[int, int], at: int, *, trial: bool = False
) -> dict[str, Any]:
    customer = store.get("customers", sub["customer"])
    invoice = store.add(
        objects.invoice(store, customer, sub, reason, period, trial, at, store.data.get("base_url", ""))
    )
    sub["latest_invoice"] = invoice["id"]
    store.emit("invoice.created", invoice, at)
    store.emit("invoice.finalized", invoice, at)
    return invoice


def collect(store: Store, invoice: dict[str, Any], at: int) -> str:
    """One payment attempt with the customer's card; returns the card outcome."""
    customer = store.get("customers", invoice["customer"])
    outcome = card_outcome(customer, invoice["amount_due"])
    invoice["attempt_count"] += 1
    invoice["attempted"] = True
    if outcome == "succeeds":
        invoice.update(
            status="paid", amount_paid=invoice["amount_due"], amount_remaining=0, next_payment_attempt=None
        )
        invoice["status_transitions"]["paid_at"] = at
        customer["delinquent"] = any(
            other["status"] == "open" and other["customer"] == customer["id"]
            for other in store.collection("invoices").values()
        )
        store.emit("invoice.paid", invoice, at)
        store.emit("invoice.payment_succeeded", invoice, at)
        return outcome
    customer["delinquent"] = True
    retries = invoice["billing_reason"] != "subscription_create" and outcome == "fails"
    attempt = invoice["attempt_count"]
    invoice["next_payment_attempt"] = (
        at + RETRY_DELAYS[attempt - 1] if retries and attempt <= len(RETRY_DELAYS) else None
    )
    if outcome == "requires_action":
        store.emit("invoice.payment_action_required", invoice, at)
    else:
        store.emit("invoice.payment_failed", invoice, at)
    return outcome


def open_invoices(store: Store, sub: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        invoice
        for invoice in store.collection("invoices").values()
        if invoice["subscription"] == sub["id"] and invoice["status"] == "open"
    ]


def pay_invoice(store: Store, invoice: dict[str, Any], at: int) -> str:
    """An explicit payment (API `pay`, hosted invoice page, new card in the portal) and its consequences."""
    if invoice["status"] != "open":
        raise StripeError("Invoice is already paid.", code="invoice_not_open")
    outcome = collect(store, invoice, at)
    sub = store.collection("subscriptions").get(invoice["subscription"] or "")
    if outcome == "succeeds" and sub:
        _recover(store, sub, at)
    return outcome


def _recover(store: Store, sub: dict[str, Any], at: int) -> None:
    latest = store.collection("invoices").get(sub["latest_invoice"] or "")
    if sub["status"] in ("past_due", "unpaid", "incomplete") and (
        latest is None or latest["status"] == "paid"
    ):
        before = public(sub)
        sub["status"] = "active"
        store.emit("customer.subscription.updated", sub, at, previous_values(before, public(sub)))


# -- subscriptions ------------------------------------------------------------------------------------
def resolve_prices(store: Store, items: list[Any], param: str = "items") -> list[tuple[dict[str, Any], int]]:
    prices = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not item.get("price"):
            raise StripeError(
                f"Missing required param: {param}[{index}][price].",
                code="parameter_missing",
                param=f"{param}[{index}][price]",
            )
        price = get_price(store, item["price"], f"{param}[{index}][price]")
        if not price.get("recurring"):
            raise invalid(
                f"{param}[{index}][price]",
                "The price specified is set to `type=one_time` but this "
                "field only accepts prices with `type=recurring`.",
            )
        prices.append((price, as_int(item, "quantity", 1) or 1))
    if not prices:
        raise StripeError(f"Missing required param: {param}.", code="parameter_missing", param=param)
    if len({(p["recurring"]["interval"], p["recurring"]["interval_count"]) for p, _ in prices}) > 1:
        raise invalid(param, "All prices on a subscription must have the same `recurring.interval`.")
    return prices


def create_subscription(
    store: Store,
    customer: dict[str, Any],
    prices: list[tuple[dict[str, Any], int]],
    at: int,
    *,
    trial_end: int | None = None,
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    sub = store.add(objects.subscription(store, customer, prices, at, dict(metadata or {})))
    if trial_end:
        if trial_end <= at:
            raise invalid("trial_end", "The trial end must be in the future.")
        sub.update(status="trialing", trial_start=at, trial_end=trial_end, billing_cycle_anchor=trial_end)
        set_period(sub, at, trial_end)
        store.emit("customer.subscription.created", sub, at)
        collect(store, issue_invoice(store, sub, "subscription_create", (at, at), at, trial=True), at)
        return sub
    set_period(sub, *period_bounds(sub, 0))
    sub["_periods"] = 1
    amount = sum((price["unit_amount"] or 0) * quantity for price, quantity in prices)
    sub["status"] = "active" if card_outcome(customer, amount) == "succeeds" else "incomplete"
    store.emit("customer.subscription.created", sub, at)
    collect(store, issue_invoice(store, sub, "subscription_create", period_bounds(sub, 0), at), at)
    return sub


def renew(store: Store, sub: dict[str, Any], at: int) -> None:
    """The end of a period (or of the trial): cancel if asked to, else start the next period and bill it."""
    if sub["cancel_at_period_end"]:
        cancel(store, sub, at, "cancellation_requested")
        return
    before = public(sub)
    start, end = period_bounds(sub, sub["_periods"])
    sub["_periods"] += 1
    set_period(sub, start, end)
    if sub["status"] == "unpaid":  # Stripe stops attempting invoices for unpaid subscriptions
        store.emit("customer.subscription.updated", sub, at, previous_values(before, public(sub)))
        return
    invoice = issue_invoice(store, sub, "subscription_cycle", (start, end), at)
    outcome = collect(store, invoice, at)
    sub["status"] = "active" if outcome == "succeeds" else "past_due"
    store.emit("customer.subscription.updated", sub, at, previous_values(before, public(sub)))


def retry(store: Store, sub: dict[str, Any], at: int) -> None:
    """A scheduled dunning retry of the subscription's oldest due invoice."""
    invoice = min(
        (
            i
            for i in open_invoices(store, sub)
            if i["next_payment_attempt"] and i["next_payment_attempt"] <= at
        ),
        key=lambda i: i["next_payment_attempt"],
    )
    outcome = collect(store, invoice, at)
    if outcome == "succeeds":
        _recover(store, sub, at)
    elif outcome == "fails" and invoice["next_payment_attempt"] is None:  # that was the last attempt
        if store.config["dunning_final_status"] == "unpaid":
            before = public(sub)
            sub["status"] = "unpaid"
            store.emit("customer.subscription.updated", sub, at, previous_values(before, public(sub)))
        else:
            cancel(store, sub, at, "payment_failed")


def send_trial_will_end(store: Store, sub: dict[str, Any], at: int) -> None:
    sub["_trial_will_end_sent"] = True
    store.emit("customer.subscription.trial_will_end", sub, at)


def expire_incomplete(store: Store, sub: dict[str, Any], at: int) -> None:
    for invoice in open_invoices(store, sub):
        invoice.update(status="void", next_payment_attempt=None)
        invoice["status_transitions"]["voided_at"] = at
        store.emit("invoice.voided", invoice, at)
    sub.update(status="incomplete_expired", ended_at=at)
    store.emit("customer.subscription.deleted", sub, at)


def cancel(store: Store, sub: dict[str, Any], at: int, reason: str) -> None:
    if sub["status"] in ENDED_STATUSES:
        raise missing("subscription", sub["id"])
    for invoice in open_invoices(store, sub):
        invoice["next_payment_attempt"] = None
    sub.update(status="canceled", canceled_at=sub["canceled_at"] or at, ended_at=at)
    sub["cancellation_details"]["reason"] = reason
    store.emit("customer.subscription.deleted", sub, at)


def update_subscription(store: Store, sub: dict[str, Any], params: dict[str, Any], at: int) -> None:
    """`POST /v1/subscriptions/{id}` and the portal's plan switch / cancel / renew."""
    if sub["status"] in ENDED_STATUSES and set(params) - {"metadata", "cancellation_details", "expand"}:
        raise StripeError("A canceled subscription can only update its cancellation_details and metadata.")
    before = public(sub)
    if "items" in params:
        _update_items(store, sub, as_list(params["items"]), at)
    if "metadata" in params:
        sub["metadata"] = merge_metadata(sub["metadata"], params["metadata"])
    if "description" in params:
        sub["description"] = params["description"] or None
    cancel_at_period_end = as_bool(params, "cancel_at_period_end")
    if cancel_at_period_end is not None and cancel_at_period_end != sub["cancel_at_period_end"]:
        sub["cancel_at_period_end"] = cancel_at_period_end
        sub["cancel_at"] = sub["current_period_end"] if cancel_at_period_end else None
        sub["canceled_at"] = at if cancel_at_period_end else None
        sub["cancellation_details"]["reason"] = "cancellation_requested" if cancel_at_period_end else None
    if "trial_end" in params and sub["status"] == "trialing":
        trial_end = at if params["trial_end"] == "now" else as_int(params, "trial_end")
        if not trial_end or trial_end < at:
            raise invalid("trial_end", "Invalid timestamp: must be an integer Unix timestamp in the future.")
        sub.update(trial_end=trial_end, billing_cycle_anchor=trial_end, _periods=0)
        set_period(sub, sub["current_period_start"], trial_end)
    changes = previous_values(before, public(sub))
    if changes:
        store.emit("customer.subscription.updated", sub, at, changes)


def _update_items(store: Store, sub: dict[str, Any], updates: list[Any], at: int) -> None:
    items = sub["items"]["data"]
    old_recurring = recurring_of(sub)
    for index, update in enumerate(updates):
        if not isinstance(update, dict):
            raise invalid(f"items[{index}]", "Invalid hash")
        existing = next((item for item in items if item["id"] == update.get("id")), None)
        if update.get("id") and existing is None:
            raise StripeError(
                f"No such subscription item: '{update['id']}'",
                status=404,
                code="resource_missing",
                param=f"items[{index}][id]",
            )
        if existing and as_bool(update, "deleted"):
            items.remove(existing)
            continue
        if existing is None:
            ((price, quantity),) = resolve_prices(store, [update], f"items[{index}]")
            items.append(objects.subscription_item(store, sub["id"], price, quantity, at))
            continue
        if update.get("price"):
            ((price, _),) = resolve_prices(store, [update], f"items[{index}]")
            existing["price"], existing["plan"] = public(price), objects.plan(price)
        existing["quantity"] = as_int(update, "quantity", existing["quantity"])
    if not items:
        raise invalid("items", "A subscription must have at least one item.")
    resolve_prices(store, [{"price": item["price"]["id"]} for item in items])  # same interval everywhere
    sub["items"]["total_count"] = len(items)
    sub["plan"], sub["quantity"] = items[0]["plan"], items[0]["quantity"]
    set_period(sub, sub["current_period_start"], sub["current_period_end"])
    if recurring_of(sub) != old_recurring and sub["status"] != "trialing":
        # A new billing interval restarts the cycle now and bills the new period immediately.
        sub.update(billing_cycle_anchor=at, _periods=1)
        set_period(sub, *period_bounds(sub, 0))
        outcome = collect(
            store, issue_invoice(store, sub, "subscription_update", period_bounds(sub, 0), at), at
        )
        if outcome != "succeeds":
            sub["status"] = "past_due"
