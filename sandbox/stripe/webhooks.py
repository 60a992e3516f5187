"""Webhook delivery, signed as Stripe signs: `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256>` over
`f"{t}.{raw_body}"` with the endpoint's `whsec_...` secret.

A background thread sends each new event once, in the order they were made, and retries failures after
the configured delays. Control endpoints can also send chosen events synchronously (re-delivery,
deliberately out of order); every attempt is recorded with the status the receiver answered.
"""

from __future__ import annotations

import heapq
import hmac
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from hashlib import sha256
from typing import Any

from sandbox.stripe.state import Store, public, random_id, store

MAX_RECORDED_DELIVERIES = 5000
TIMEOUT_SECONDS = 10


def sign(payload: str, secret: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def payload_of(event: dict[str, Any]) -> str:
    """The raw body: pretty-printed like Stripe's, so receivers must verify bytes, not re-serialised JSON."""
    return json.dumps(public(event), indent=2)


class Deliverer:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.condition = threading.Condition()
        self.queue: list[tuple[float, int, str, int]] = []  # (due, tie-break, event id, attempt)
        self.counter = itertools.count()
        self.busy = 0
        self.thread: threading.Thread | None = None

    # -- the background sender -----------------------------------------------------------------------
    def on_event(self, event_id: str) -> None:
        config = self.store.config
        if config["auto_deliver"] and config["webhook_url"]:
            self.enqueue(event_id, attempt=1, delay=0)

    def enqueue(self, event_id: str, attempt: int, delay: float) -> None:
        with self.condition:
            heapq.heappush(self.queue, (time.monotonic() + delay, next(self.counter), event_id, attempt))
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="stripe-webhooks", daemon=True)
                self.thread.start()
            self.condition.notify_all()

    def clear(self) -> None:
        with self.condition:
            self.queue.clear()
            self.condition.notify_all()

    def _run(self) -> None:
        while True:
            with self.condition:
                while not self.queue or self.queue[0][0] > time.monotonic():
                    self.condition.wait(timeout=self.queue[0][0] - time.monotonic() if self.queue else None)
                _, _, event_id, attempt = heapq.heappop(self.queue)
                self.busy += 1
            try:
                record = self.deliver(event_id, "automatic" if attempt == 1 else "retry", attempt)
                delays = self.store.config["webhook_retry_delays"]
                if record and not record["ok"] and attempt <= len(delays):
                    self.enqueue(event_id, attempt + 1, delays[attempt - 1])
            finally:
                with self.condition:
                    self.busy -= 1
                    self.condition.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Until nothing is queued (retries included) or being sent; False on timeout."""
        deadline = time.monotonic() + timeout
        with self.condition:
            while self.queue or self.busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.condition.wait(timeout=min(remaining, 0.2))
            return True

    def pending(self) -> int:
        with self.condition:
            return len(self.queue) + self.busy

    # -- one attempt ---------------------------------------------------------------------------------
    def deliver(self, event_id: str, trigger: str, attempt: int = 1) -> dict[str, Any] | None:
        """POST one event to the configured endpoint now (outside the state lock) and record the answer."""
        with self.store.lock:
            event = self.store.collection("events").get(event_id)
            if event is None:
                return None
            url, secret = self.store.config["webhook_url"], self.store.config["webhook_secret"]
            payload = payload_of(event)
        record: dict[str, Any] = {
            "id": random_id("whdel", 16),
            "event_id": event_id,
            "event_type": event["type"],
            "url": url,
            "trigger": trigger,
            "attempt": attempt,
            "status": None,
            "ok": False,
            "error": None,
            "response_body": None,
            "delivered_at": int(time.time()),
        }
        if not url:
            record["error"] = "no webhook_url configured"
        elif not url.startswith(("http://", "https://")):
            record["error"] = f"webhook_url must be http(s): {url!r}"
        else:
            self._post(url, secret, payload, record)
        with self.store.lock:
            deliveries = self.store.data["deliveries"]
            deliveries.append(record)
            del deliveries[:-MAX_RECORDED_DELIVERIES]
            if record["ok"] and event_id in self.store.collection("events"):
                self.store.collection("events")[event_id]["pending_webhooks"] = 0
            self.store.save()
        return record

    @staticmethod
    def _post(url: str, secret: str, payload: str, record: dict[str, Any]) -> None:
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            url,
            data=payload.encode(),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Stripe-Signature": sign(payload, secret, int(time.time())),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                record["status"] = response.status
                record["response_body"] = response.read(2000).decode(errors="replace")
        except urllib.error.HTTPError as exc:
            record["status"] = exc.code
            record["response_body"] = exc.read(2000).decode(errors="replace")
        except (OSError, ValueError) as exc:
            record["error"] = f"{type(exc).__name__}: {exc}"
        record["ok"] = record["status"] is not None and 200 <= record["status"] < 300


deliverer = Deliverer(store)
store.event_listeners.append(deliverer.on_event)
store.reset_listeners.append(deliverer.clear)
