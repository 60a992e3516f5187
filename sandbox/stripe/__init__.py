"""Stripe emulator: the `/v1` API the app calls, hosted Checkout / Portal / invoice pages, test clocks,
signed webhooks, and `/_sandbox/stripe/...` controls for tests. `router` is what `sandbox.server` mounts.

Modules: `encoding` (form decoding), `state` (objects, lock, persistence), `objects` / `catalog`
(JSON shapes, prices), `billing` (subscription lifecycle), `simulation` (time), `webhooks` (signed
delivery), `api` (the `/v1` routes, one module per resource), `control` / `pages` (the sandbox's own
routes), `flows` (what a customer does on the hosted pages), `routing` (auth, idempotency, the lock),
`faults` (failures tests inject).
"""

from sandbox.stripe import api, control, pages  # noqa: F401 - importing registers their routes
from sandbox.stripe.catalog import register_env_prices
from sandbox.stripe.routing import router
from sandbox.stripe.simulation import settle
from sandbox.stripe.state import store

with store.lock:  # saved with the first mutation: merely importing (tests do) never writes state
    register_env_prices(store)
    settle(store)

__all__ = ["router"]
