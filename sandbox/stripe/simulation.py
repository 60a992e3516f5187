"""Time passing: each subscription's next due step (trial notice, trial end, renewal, dunning retry,
incomplete expiry) runs when its customer's clock reaches it, in time order across subscriptions.

A customer with a test clock lives at the clock's frozen time (moved by the test-clock API); every other
customer lives at the sandbox's global time, wall-clock plus what `/_sandbox/stripe/advance` added.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.stripe import billing
from sandbox.stripe.errors import StripeError
from sandbox.stripe.state import Store

MAX_STEPS = 10_000

Step = Callable[[Store, dict[str, Any], int], None]
STEPS: dict[str, Step] = {
    "trial_will_end": billing.send_trial_will_end,
    "renew": billing.renew,
    "retry": billing.retry,
    "expire_incomplete": billing.expire_incomplete,
}


def next_step(store: Store, sub: dict[str, Any]) -> tuple[int, str] | None:
    status = sub["status"]
    if status == "trialing":
        if not sub["_trial_will_end_sent"]:
            return max(sub["trial_end"] - billing.TRIAL_WILL_END_NOTICE, sub["trial_start"]), "trial_will_end"
        return sub["trial_end"], "renew"
    if status == "incomplete":
        return sub["created"] + billing.INCOMPLETE_EXPIRES_AFTER, "expire_incomplete"
    if status in ("active", "past_due", "unpaid"):
        steps = [(sub["current_period_end"], "renew")]
        if status == "past_due":  # only past-due subscriptions have invoices awaiting a retry
            steps += [
                (invoice["next_payment_attempt"], "retry")
                for invoice in billing.open_invoices(store, sub)
                if invoice["next_payment_attempt"]
            ]
        return min(steps)
    return None


def settle(store: Store) -> None:
    """Run every step that is due on its customer's clock, earliest first."""
    for _ in range(MAX_STEPS):
        due = []
        for sub in store.collection("subscriptions").values():
            step = next_step(store, sub)
            if step and step[0] <= store.now_for(sub["customer"]):
                due.append((step[0], sub["_sequence"], step[1], sub))
        if not due:
            return
        at, _, name, sub = min(due, key=lambda entry: entry[:2])
        STEPS[name](store, sub, at)
    raise RuntimeError("subscription simulation did not settle")


def clock_subscriptions(store: Store, clock_id: str) -> list[dict[str, Any]]:
    customers = {c["id"] for c in store.collection("customers").values() if c["test_clock"] == clock_id}
    return [s for s in store.collection("subscriptions").values() if s["customer"] in customers]


def advance_test_clock(store: Store, clock: dict[str, Any], frozen_time: int) -> None:
    if frozen_time <= clock["frozen_time"]:
        raise StripeError(
            "The frozen_time must be after the test clock's frozen_time: test clocks only move forward.",
            code="parameter_invalid",
            param="frozen_time",
        )
    limits = [
        billing.add_interval(clock["frozen_time"], *_doubled(sub))
        for sub in clock_subscriptions(store, clock["id"])
        if sub["status"] not in billing.ENDED_STATUSES
    ]
    if limits and frozen_time > min(limits):
        raise StripeError(
            "Cannot advance a test clock more than two intervals of its shortest subscription interval "
            f"at once: advance to at most {min(limits)} and then again.",
            param="frozen_time",
        )
    clock["status"] = "advancing"
    store.emit("test_helpers.test_clock.advancing", clock, clock["frozen_time"])
    clock["frozen_time"] = frozen_time
    settle(store)
    clock["status"] = "ready"
    store.emit("test_helpers.test_clock.ready", clock, frozen_time)


def _doubled(sub: dict[str, Any]) -> tuple[str, int]:
    interval, count = billing.recurring_of(sub)
    return interval, 2 * count


def advance_global(store: Store, seconds: int) -> int:
    if seconds <= 0:
        raise StripeError("seconds must be positive: the sandbox clock only moves forward.", param="seconds")
    store.data["clock_offset"] += seconds
    settle(store)
    return store.global_now()
