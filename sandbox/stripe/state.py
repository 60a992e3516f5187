"""The emulator's whole state: Stripe-shaped objects in memory, one lock, optional JSON persistence.

Objects are stored exactly as the API returns them, plus sandbox-only fields whose names start with `_`
(stripped by `public`). When `SANDBOX_STATE_DIR` is set, every mutation is written to
`$SANDBOX_STATE_DIR/stripe.json` and loaded again at start.
"""

from __future__ import annotations

import contextvars
import copy
import json
import os
import secrets
import string
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sandbox.stripe.errors import missing

API_VERSION = "2026-10-28.endive"  # what stripe-python 16 pins; events carry it as Stripe's would
IDEMPOTENCY_TTL = 24 * 3600

# id prefix -> (collection, the name Stripe's "No such ..." errors use)
PREFIXES = {
    "cus": ("customers", "customer"),
    "prod": ("products", "product"),
    "price": ("prices", "price"),
    "sub": ("subscriptions", "subscription"),
    "in": ("invoices", "invoice"),
    "cs": ("checkout_sessions", "checkout.session"),
    "bps": ("portal_sessions", "billing_portal.session"),
    "clock": ("test_clocks", "test clock"),
    "evt": ("events", "event"),
}
COLLECTIONS = [collection for collection, _ in PREFIXES.values()]

# Set by the API layer while a request runs, so events name the request that caused them.
current_request: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "stripe_sandbox_request", default=None
)


def env_config() -> dict[str, Any]:
    return {
        "webhook_url": os.environ.get("SANDBOX_STRIPE_WEBHOOK_URL", ""),
        # Where a browser reaches the sandbox, for hosted page URLs ("": the address each request used).
        "public_url": os.environ.get("SANDBOX_PUBLIC_URL", "").rstrip("/"),
        "webhook_secret": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        "auto_deliver": True,
        "webhook_retry_delays": [2, 10, 30],
        "dunning_final_status": "canceled",  # or "unpaid", after the last failed retry
        "api_version": API_VERSION,
    }


def empty_state() -> dict[str, Any]:
    return {
        **{collection: {} for collection in COLLECTIONS},
        "idempotency": {},
        "deliveries": [],
        "clock_offset": 0,
        "sequence": 0,
        "config": env_config(),
    }


def public(obj: dict[str, Any]) -> dict[str, Any]:
    """A deep copy without the sandbox's own `_fields`: what the API and events show."""
    return {key: copy.deepcopy(value) for key, value in obj.items() if not key.startswith("_")}


def random_id(prefix: str, length: int = 24) -> str:
    alphabet = string.ascii_letters + string.digits
    return f"{prefix}_" + "".join(secrets.choice(alphabet) for _ in range(length))


class Store:
    def __init__(self, state_file: Path | None) -> None:
        self.lock = threading.RLock()
        self.state_file = state_file
        self.data = empty_state()
        self.event_listeners: list[Callable[[str], None]] = []
        self.reset_listeners: list[Callable[[], None]] = []
        if state_file and state_file.exists():
            loaded = json.loads(state_file.read_text())
            self.data.update(loaded, config={**self.data["config"], **loaded.get("config", {})})
        for key in ("webhook_url", "webhook_secret", "public_url"):
            if env_config()[key]:
                self.data["config"][key] = env_config()[key]

    @classmethod
    def from_env(cls) -> Store:
        state_dir = os.environ.get("SANDBOX_STATE_DIR")
        return cls(Path(state_dir) / "stripe.json" if state_dir else None)

    # -- persistence ---------------------------------------------------------------------------------
    def save(self) -> None:
        if not self.state_file:
            return
        with self.lock:
            cutoff = time.time() - IDEMPOTENCY_TTL
            self.data["idempotency"] = {
                key: entry for key, entry in self.data["idempotency"].items() if entry["at"] > cutoff
            }
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            partial = self.state_file.with_suffix(".json.tmp")
            partial.write_text(json.dumps(self.data))
            partial.replace(self.state_file)

    def reset(self) -> None:
        with self.lock:
            self.data = empty_state()
            for listener in self.reset_listeners:
                listener()
            self.save()

    @property
    def config(self) -> dict[str, Any]:
        return self.data["config"]

    # -- objects -------------------------------------------------------------------------------------
    def collection(self, name: str) -> dict[str, dict[str, Any]]:
        return self.data[name]

    def add(self, obj: dict[str, Any]) -> dict[str, Any]:
        collection, _ = PREFIXES[obj["id"].split("_", 1)[0]]
        self.data["sequence"] += 1
        obj["_sequence"] = self.data["sequence"]
        self.data[collection][obj["id"]] = obj
        return obj

    def find(self, object_id: str) -> dict[str, Any] | None:
        entry = PREFIXES.get(object_id.split("_", 1)[0])
        return self.data[entry[0]].get(object_id) if entry else None

    def get(self, collection: str, object_id: str, param: str = "id") -> dict[str, Any]:
        found = self.data[collection].get(object_id)
        if found is None:
            kind = next(kind for name, kind in PREFIXES.values() if name == collection)
            raise missing(kind, object_id, param)
        return found

    def new_id(self, prefix: str) -> str:
        return random_id(prefix, 14 if prefix in ("cus", "prod", "clock") else 24)

    # -- time ----------------------------------------------------------------------------------------
    def global_now(self) -> int:
        """Wall-clock time plus what `/_sandbox/stripe/advance` added; for customers without a test clock."""
        return int(time.time()) + self.data["clock_offset"]

    def now_for(self, customer_id: str | None = None) -> int:
        customer = self.data["customers"].get(customer_id or "")
        if customer and customer.get("test_clock"):
            clock = self.data["test_clocks"].get(customer["test_clock"])
            if clock:
                return clock["frozen_time"]
        return self.global_now()

    # -- events --------------------------------------------------------------------------------------
    def emit(
        self,
        event_type: str,
        obj: dict[str, Any],
        at: int,
        previous_attributes: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        data: dict[str, Any] = {"object": public(obj)}
        if previous_attributes:
            data["previous_attributes"] = copy.deepcopy(previous_attributes)
        request = current_request.get()
        event = self.add(
            {
                "id": self.new_id("evt"),
                "object": "event",
                "api_version": self.config["api_version"],
                "created": at,
                "data": data,
                "livemode": False,
                "pending_webhooks": 1 if self.config["webhook_url"] else 0,
                "request": dict(request) if request else {"id": None, "idempotency_key": None},
                "type": event_type,
            }
        )
        for listener in self.event_listeners:
            listener(event["id"])
        return event

    # -- the lock around a unit of work --------------------------------------------------------------
    @contextmanager
    def mutation(self) -> Iterator[None]:
        with self.lock:
            yield
            self.save()


def previous_values(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Stripe's `previous_attributes`: the old value of every top-level field that changed."""
    return {key: value for key, value in before.items() if after.get(key) != value}


store = Store.from_env()
