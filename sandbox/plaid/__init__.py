"""Local Plaid emulator: Plaid's wire format for the endpoints creditapp calls, plus sandbox controls.

Plaid API (POST JSON; credentials in PLAID-CLIENT-ID / PLAID-SECRET headers or client_id / secret in the
body, any non-empty value): /link/token/create, /sandbox/public_token/create, /item/public_token/exchange,
/item/get, /item/remove, /item/webhook/update, /accounts/get, /accounts/balance/get, /transactions/sync,
/transactions/refresh, /liabilities/get, /webhook_verification_key/get, /sandbox/item/fire_webhook,
/sandbox/item/reset_login. Errors are Plaid's error JSON: 400 for INVALID_REQUEST / INVALID_INPUT /
ITEM_ERROR / TRANSACTIONS_ERROR / SANDBOX_ERROR, 429 RATE_LIMIT_EXCEEDED, 500 API_ERROR.

Sandbox behaviour
- Institutions: ins_109508 First Platypus Bank, ins_109509 First Gingham Credit Union, ins_109510
  Tattersall Federal Credit Union, ins_109511 Tartan Bank (checking, savings, 1-2 cards each) and ins_109512
  Houndstooth Bank (checking + card, no liabilities product: /liabilities/get -> PRODUCTS_NOT_SUPPORTED).
- Data is deterministic per item: seeded from the item_id (or a seed set through `configure`), dated
  relative to the day the item was linked; ~12 months of history by default (the link token's or
  public_token/create's `transactions.days_requested` sets it, up to 730 days).
- Username `user_transactions_dynamic` makes a dynamic item: each /transactions/refresh and each
  fire_webhook SYNC_UPDATES_AVAILABLE creates a new data version (pending transactions post - the posted one
  carries `pending_transaction_id`, the pending one is `removed` - plus new, modified and removed ones) and
  sends TRANSACTIONS: SYNC_UPDATES_AVAILABLE. Refresh only sends it once the item has synced once.
- /sandbox/item/reset_login (and fire_webhook ERROR) puts the item in ITEM_LOGIN_REQUIRED, sends ITEM: ERROR;
  data endpoints then answer 400 ITEM_LOGIN_REQUIRED and /item/get shows `item.error`. Link update mode (a
  link token created with `access_token`) clears it and sends ITEM: LOGIN_REPAIRED.
- Webhooks are POSTed from background threads to the item's webhook URL with a `Plaid-Verification` ES256 JWT
  ({"iat", "request_body_sha256"}), key served by /webhook_verification_key/get and kept in
  $SANDBOX_STATE_DIR/plaid-webhook-key.json.
- State (items, tokens, change logs, config) persists to $SANDBOX_STATE_DIR/plaid.json when that is set.
- Link stand-in: GET /link/open?token=<link_token> (see `sandbox.plaid.link`).

Control endpoints (JSON; item keys accept an item_id or an access token)
- POST   /_sandbox/plaid/reset                      forget items, tokens, faults, config and webhook log
                                                    (the signing key stays) -> {"reset": true}
- GET    /_sandbox/plaid/config                     -> {"config": {"transaction_count", "history_days"}}
- POST   /_sandbox/plaid/config {"transaction_count": 100000 | null, "history_days": 730 | null}
                                                    defaults for items created afterwards (null = natural
                                                    volume / 365 days)
- POST   /_sandbox/plaid/faults {"type", "item_id"?, "access_token"?, "endpoint"?, "count"?, "seconds"?,
                                  "sticky"?}       -> {"fault": {..., "id"}}
    type: "api_error" (500 API_ERROR INTERNAL_SERVER_ERROR), "rate_limit" (429 RATE_LIMIT_EXCEEDED),
          "latency" (sleep `seconds`, default 1, then answer normally), "timeout" (same, default 30 s),
          "item_login_required" (400 ITEM_LOGIN_REQUIRED on data endpoints; "sticky": true also puts the item
          in that state), "mutation_during_pagination" (on a /transactions/sync page after the first: the
          item's data really changes, the call answers TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION).
    count: how many matching calls it affects (default 1; null = until cleared); endpoint: e.g.
    "/transactions/sync" (default any); item_id: one item (default all).
- GET    /_sandbox/plaid/faults                     -> {"faults": [...]} (with the remaining counts)
- DELETE /_sandbox/plaid/faults                     clear them all
- GET    /_sandbox/plaid/items                      -> {"items": [summary, ...]}
- GET    /_sandbox/plaid/items/{key}                -> {"item": summary} (access_token, version, transactions,
                                                    pending, accounts, error, webhook, ...)
- POST   /_sandbox/plaid/items/{key}/configure {"transaction_count"?, "history_days"?, "seed"?, "dynamic"?}
                                                    regenerate the item's transactions (100 k take < 1 s);
                                                    cursors issued before answer INVALID_FIELD, so configure
                                                    before the first sync -> {"item": summary,
                                                    "generated_in_ms"}
- POST   /_sandbox/plaid/items/{key}/mutate {"new_transactions"?, "webhook"?: true}
                                                    one new data version (any item) + SYNC_UPDATES_AVAILABLE
                                                    -> {"version", "webhook_sent"}
- GET    /_sandbox/plaid/webhooks[?item_id=]        -> {"deliveries": [{url, payload, status, attempts,
                                                    error, ...}]} (last 200)
"""

from sandbox.plaid import control, link  # noqa: F401  (they register their routes on the router)
from sandbox.plaid.api import router

__all__ = ["router"]
