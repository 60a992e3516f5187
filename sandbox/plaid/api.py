"""Plaid's API endpoints: POST JSON in, Plaid's JSON (or Plaid's error JSON) out."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sandbox.http import (
    BOOLEAN,
    INTEGER,
    OBJECT,
    STRING,
    STRINGS,
    URL,
    Kind,
    Request,
    Response,
    Router,
    field_problem,
    json_response,
)
from sandbox.plaid import data, webhooks
from sandbox.plaid.errors import (
    PlaidError,
    error_response,
    invalid_field,
    missing,
    rate_limited,
    request_id,
)
from sandbox.plaid.state import decode_cursor, encode_cursor, iso, now, store, today

# Requests with no route are still Plaid's when they use Plaid's paths or send Plaid's credentials.
router = Router(
    error_response,
    prefixes=(
        "/link/", "/item/", "/accounts/", "/transactions/", "/liabilities/", "/sandbox/",
        "/webhook_verification_key/", "/institutions/", "/_sandbox/plaid/",
    ),
    headers=("plaid-client-id", "plaid-secret", "plaid-version"),
)  # fmt: skip

# Endpoints that need a healthy item (they answer ITEM_LOGIN_REQUIRED while the item is in that state).
DATA_ENDPOINTS = {
    "/accounts/get",
    "/accounts/balance/get",
    "/transactions/sync",
    "/transactions/refresh",
    "/liabilities/get",
}
DAYS: Kind = ("a whole number of days from 1 to 730", lambda value: INTEGER[1](value) and 1 <= value <= 730)
# What each request field must be when it is sent (a field means the same on every endpoint).
FIELDS: dict[str, Kind] = {
    "client_id": STRING, "secret": STRING, "access_token": STRING, "public_token": STRING,
    "cursor": STRING, "count": INTEGER, "key_id": STRING, "institution_id": STRING,
    "client_name": STRING, "language": STRING, "country_codes": STRINGS, "webhook": URL,
    "redirect_uri": STRING, "user": OBJECT, "user.client_user_id": STRING, "products": STRINGS,
    "initial_products": STRINGS, "required_if_supported_products": STRINGS, "optional_products": STRINGS,
    "additional_consented_products": STRINGS, "transactions": OBJECT, "transactions.days_requested": DAYS,
    "hosted_link": OBJECT, "webhook_code": STRING, "webhook_type": STRING, "options": OBJECT,
    "options.account_ids": STRINGS, "options.webhook": URL, "options.override_username": STRING,
    "options.override_password": STRING, "options.transactions": OBJECT,
    "options.transactions.days_requested": DAYS, "options.transactions.start_date": STRING,
    "options.new_transactions": INTEGER, "options.personal_finance_category_version": STRING,
    "options.include_original_description": BOOLEAN,
}  # fmt: skip
GOOD_PASSWORD = "pass_good"
MALFORMED_TOKEN = (
    "provided access token is in an invalid format. expected format: access-<environment>-<identifier>"
)


@dataclass
class Call:
    body: dict[str, Any]
    request: Request
    item: dict[str, Any]  # {} for endpoints without an access token
    request_id: str


Handler = Callable[[Call], dict[str, Any]]


def endpoint(path: str, *, needs_item: bool = True) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        def serve(request: Request) -> Response:
            rid = request_id()
            try:
                result = _dispatch(path, handler, needs_item, request, rid)
            except PlaidError as exc:
                return json_response(exc.body(rid), exc.status)
            return json_response({**result, "request_id": rid})

        router.route("POST", path)(serve)
        return handler

    return register


def _dispatch(path: str, handler: Handler, needs_item: bool, request: Request, rid: str) -> dict[str, Any]:
    try:
        body = request.json()
    except ValueError:
        raise PlaidError("INVALID_BODY") from None
    if not isinstance(body, dict):
        raise PlaidError("INVALID_BODY")
    if not (request.headers.get("plaid-client-id") or body.get("client_id")) or not (
        request.headers.get("plaid-secret") or body.get("secret")
    ):
        raise PlaidError("INVALID_API_KEYS")
    problem = field_problem(body, FIELDS)
    if problem:
        raise invalid_field(problem)
    with store.lock:
        found = store.item_by_token(body.get("access_token"))
        types: tuple[str, ...] = ("latency", "timeout", "api_error", "rate_limit")
        if found and path in DATA_ENDPOINTS:
            types += ("item_login_required",)
        faults = store.take_faults(path, found["item_id"] if found else None, types)
    delay = sum(fault["seconds"] or 0 for fault in faults)
    if delay:
        time.sleep(delay)  # outside the lock: a slow call must not stall the others
    for fault in faults:
        if fault["type"] == "api_error":
            raise PlaidError("INTERNAL_SERVER_ERROR")
        if fault["type"] == "rate_limit":
            raise rate_limited(path)
        if fault["type"] == "item_login_required":
            if fault["sticky"] and found:
                with store.lock:
                    set_login_required(found)
            raise PlaidError("ITEM_LOGIN_REQUIRED")
    with store.lock:
        item: dict[str, Any] = {}
        if needs_item:
            token = body.get("access_token")
            if not token:
                raise missing("access_token")
            item = store.item_by_token(token) or {}
            if not item:
                malformed = not str(token).startswith("access-")
                raise PlaidError("INVALID_ACCESS_TOKEN", MALFORMED_TOKEN if malformed else None)
            if path in DATA_ENDPOINTS and item["error"]:
                raise PlaidError(item["error"])
        return handler(Call(body, request, item, rid))


# --- shared pieces -----------------------------------------------------------------------------------------


def set_login_required(item: dict[str, Any]) -> None:
    if item["error"] != "ITEM_LOGIN_REQUIRED":
        item["error"] = "ITEM_LOGIN_REQUIRED"
        webhooks.send(item, "ITEM", "ERROR", error=PlaidError("ITEM_LOGIN_REQUIRED").body(request_id()))
        store.save()


def repair(item: dict[str, Any]) -> None:
    """What a successful Link update mode does: clear the item's error (firing LOGIN_REPAIRED) and consent."""
    item["consent_expiration_time"] = None
    if item["error"]:
        item["error"] = None
        webhooks.send(item, "ITEM", "LOGIN_REPAIRED")
    store.save()


def check_products(institution_id: str, products: list[str]) -> None:
    unsupported = sorted(set(products) - data.supported_products(institution_id) - {"balance"})
    if unsupported:
        raise PlaidError(
            "PRODUCTS_NOT_SUPPORTED",
            f"the following products are not supported by this institution: {unsupported}",
        )


def item_json(item: dict[str, Any], with_consent: bool = False) -> dict[str, Any]:
    institution = data.INSTITUTIONS[item["institution_id"]]
    products = sorted(set(item["products"]))
    result = {
        "item_id": item["item_id"],
        "webhook": item["webhook"],
        "error": PlaidError(item["error"]).body(request_id()) if item["error"] else None,
        "available_products": sorted(data.supported_products(item["institution_id"]) - set(products)),
        "billed_products": products,
        "products": products,
        "consented_products": products,
        "consent_expiration_time": item["consent_expiration_time"],
        "update_type": "background",
        "institution_id": item["institution_id"],
        "institution_name": institution.name,
        "auth_method": None,
    }
    if with_consent:
        result["created_at"] = item["created_at"]
    return result


def accounts_json(item: dict[str, Any], account_ids: list[str] | None = None) -> list[dict[str, Any]]:
    accounts = store.ledger(item).profile.accounts
    return [account for account in accounts if not account_ids or account["account_id"] in account_ids]


# --- Link and tokens ---------------------------------------------------------------------------------------


@endpoint("/link/token/create", needs_item=False)
def link_token_create(call: Call) -> dict[str, Any]:
    body = call.body
    absent = [key for key in ("client_name", "language", "country_codes") if not body.get(key)]
    if not (body.get("user") or {}).get("client_user_id"):
        absent.append("user.client_user_id")
    if absent:
        raise missing(*absent)
    update_item = None
    if body.get("access_token"):
        update_item = store.item_by_token(body["access_token"])
        if update_item is None:
            raise PlaidError("INVALID_ACCESS_TOKEN")
    elif not body.get("products"):
        raise missing("products")
    token, expiration = store.create_link_token(
        {
            "client_name": body["client_name"],
            "client_user_id": body["user"]["client_user_id"],
            "products": list(body.get("products") or []),
            "if_supported": [
                *(body.get("required_if_supported_products") or []),
                *(body.get("optional_products") or []),
            ],
            "webhook": body.get("webhook"),
            "redirect_uri": body.get("redirect_uri"),
            "item_id": update_item["item_id"] if update_item else None,
            "days_requested": (body.get("transactions") or {}).get("days_requested"),
            "institution_id": body.get("institution_id"),
        }
    )
    store.save()
    result = {"link_token": token, "expiration": expiration}
    if body.get("hosted_link") is not None:
        result["hosted_link_url"] = (
            f"http://{call.request.headers.get('host', '127.0.0.1')}/link/open?token={token}"
        )
    return result


@endpoint("/sandbox/public_token/create", needs_item=False)
def sandbox_public_token_create(call: Call) -> dict[str, Any]:
    body = call.body
    absent = [key for key in ("institution_id", "initial_products") if not body.get(key)]
    if absent:
        raise missing(*absent)
    institution_id = body["institution_id"]
    if institution_id not in data.INSTITUTIONS:
        raise PlaidError("INVALID_INSTITUTION")
    options = body.get("options") or {}
    if options.get("override_password") not in (None, GOOD_PASSWORD):
        raise PlaidError("INVALID_CREDENTIALS")
    check_products(institution_id, body["initial_products"])
    days = (options.get("transactions") or {}).get("days_requested")
    start = (options.get("transactions") or {}).get("start_date")
    if start and not days:
        try:
            days = (today() - date.fromisoformat(start)).days + 1
        except ValueError:
            raise invalid_field("options.transactions.start_date must be a date such as 2025-01-31") from None
        if not DAYS[1](days):
            raise invalid_field("options.transactions.start_date must be within the last 730 days")
    item = store.create_item(
        institution_id,
        options.get("override_username") or "user_good",
        options.get("webhook"),
        list(body["initial_products"]),
        days,
    )
    token = store.issue_public_token(item)
    store.save()
    return {"public_token": token}


@endpoint("/item/public_token/exchange", needs_item=False)
def item_public_token_exchange(call: Call) -> dict[str, Any]:
    if not call.body.get("public_token"):
        raise missing("public_token")
    item = store.exchange(call.body["public_token"])
    store.save()
    return {"access_token": item["access_token"], "item_id": item["item_id"]}


# --- items and accounts ------------------------------------------------------------------------------------


@endpoint("/item/get")
def item_get(call: Call) -> dict[str, Any]:
    item = call.item
    synced = item.get("last_synced_at")
    return {
        "item": item_json(item, with_consent=True),
        "status": {
            "investments": None,
            "transactions": {"last_successful_update": synced, "last_failed_update": None},
            "last_webhook": item["last_webhook"],
        },
    }


@endpoint("/item/remove")
def item_remove(call: Call) -> dict[str, Any]:
    store.remove_item(call.item)
    store.save()
    return {}


@endpoint("/item/webhook/update")
def item_webhook_update(call: Call) -> dict[str, Any]:
    call.item["webhook"] = call.body.get("webhook")
    webhooks.send(
        call.item, "ITEM", "WEBHOOK_UPDATE_ACKNOWLEDGED", new_webhook_url=call.item["webhook"], error=None
    )
    store.save()
    return {"item": item_json(call.item)}


@endpoint("/accounts/get")
def accounts_get(call: Call) -> dict[str, Any]:
    account_ids = (call.body.get("options") or {}).get("account_ids")
    return {"accounts": accounts_json(call.item, account_ids), "item": item_json(call.item)}


@endpoint("/accounts/balance/get")
def accounts_balance_get(call: Call) -> dict[str, Any]:
    account_ids = (call.body.get("options") or {}).get("account_ids")
    accounts = [
        {**account, "balances": {**account["balances"], "last_updated_datetime": iso(now())}}
        for account in accounts_json(call.item, account_ids)
    ]
    return {"accounts": accounts, "item": item_json(call.item)}


@endpoint("/liabilities/get")
def liabilities_get(call: Call) -> dict[str, Any]:
    item = call.item
    check_products(item["institution_id"], ["liabilities"])
    if "liabilities" not in item["products"]:
        item["products"].append("liabilities")
        store.save()
    account_ids = (call.body.get("options") or {}).get("account_ids")
    profile = store.ledger(item).profile
    credit = data.credit_liabilities(item["seed"], profile, date.fromisoformat(item["anchor_date"]), today())
    return {
        "accounts": accounts_json(item, account_ids),
        "item": item_json(item),
        "liabilities": {
            "credit": [card for card in credit if not account_ids or card["account_id"] in account_ids],
            "mortgage": None,
            "student": None,
        },
    }


# --- transactions ------------------------------------------------------------------------------------------


@endpoint("/transactions/sync")
def transactions_sync(call: Call) -> dict[str, Any]:
    item, body = call.item, call.body
    count = body.get("count", 100)
    if not isinstance(count, int) or not 1 <= count <= 500:
        raise invalid_field("count must be an integer between 1 and 500")
    ledger = store.ledger(item)
    since, target, offset = decode_cursor(item, body.get("cursor") or "")
    if since > ledger.version:
        raise invalid_field("cursor is not valid")
    if offset and store.take_faults("/transactions/sync", item["item_id"], ("mutation_during_pagination",)):
        store.new_version(item)
        store.save()
    if offset and target != ledger.version:
        raise PlaidError("TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION")
    if not offset:
        target = ledger.version
    entries = ledger.diff(since)
    page = entries[offset : offset + count]
    has_more = offset + count < len(entries)
    next_cursor = (
        encode_cursor(item, since, target, offset + count)
        if has_more
        else encode_cursor(item, target, target, 0)
    )
    options = body.get("options") or {}
    pfc_version = str(options.get("personal_finance_category_version") or "v1")
    describe = bool(options.get("include_original_description"))
    buckets: dict[str, list[Any]] = {"added": [], "modified": [], "removed": []}
    for kind, value in page:
        if kind == "removed":
            account = ledger.profile.accounts[ledger.gone[value]]["account_id"]
            buckets["removed"].append({"transaction_id": value, "account_id": account})
        else:
            buckets[kind].append(data.transaction_json(value, ledger.profile, pfc_version, describe))
    if not item["synced_once"] or not has_more:
        item["synced_once"] = True
        item["last_synced_at"] = iso(now())
        store.save()
    return {
        **buckets,
        "accounts": ledger.profile.accounts,
        "next_cursor": next_cursor,
        "has_more": has_more,
        "transactions_update_status": "HISTORICAL_UPDATE_COMPLETE",
    }


@endpoint("/transactions/refresh")
def transactions_refresh(call: Call) -> dict[str, Any]:
    item = call.item
    if item["dynamic"]:
        store.new_version(item)
        store.save()
    if item["synced_once"]:
        webhooks.sync_updates_available(item)
    return {}


# --- webhooks and sandbox helpers --------------------------------------------------------------------------


@endpoint("/webhook_verification_key/get", needs_item=False)
def webhook_verification_key_get(call: Call) -> dict[str, Any]:
    key = webhooks.signer.jwk()
    if not call.body.get("key_id"):
        raise missing("key_id")
    if call.body["key_id"] != key["kid"]:
        raise PlaidError("INVALID_WEBHOOK_VERIFICATION_KEY_ID")
    return {"key": key}


@endpoint("/sandbox/item/reset_login")
def sandbox_item_reset_login(call: Call) -> dict[str, Any]:
    set_login_required(call.item)
    return {"reset_login": True}


@endpoint("/sandbox/item/fire_webhook")
def sandbox_item_fire_webhook(call: Call) -> dict[str, Any]:
    item, body = call.item, call.body
    code = body.get("webhook_code")
    if not code:
        raise missing("webhook_code")
    if not item["webhook"]:
        raise PlaidError("SANDBOX_WEBHOOK_INVALID")
    new_transactions = (body.get("options") or {}).get("new_transactions")
    if code == "SYNC_UPDATES_AVAILABLE":
        if item["dynamic"] or new_transactions:
            store.new_version(item, new_transactions)
        webhooks.sync_updates_available(item)
    elif code == "DEFAULT_UPDATE" and body.get("webhook_type") == "TRANSACTIONS":
        webhooks.send(
            item, "TRANSACTIONS", "DEFAULT_UPDATE", error=None, new_transactions=new_transactions or 0
        )
    elif code == "DEFAULT_UPDATE":
        cards = [a["account_id"] for a in store.ledger(item).profile.accounts if a["type"] == "credit"]
        webhooks.send(
            item,
            "LIABILITIES",
            "DEFAULT_UPDATE",
            error=None,
            account_ids_with_new_liabilities=[],
            account_ids_with_updated_liabilities={card: ["next_payment_due_date"] for card in cards},
        )
    elif code == "NEW_ACCOUNTS_AVAILABLE":
        webhooks.send(item, "ITEM", "NEW_ACCOUNTS_AVAILABLE", error=None)
    elif code == "PENDING_EXPIRATION":
        item["consent_expiration_time"] = iso(now() + timedelta(days=7))
        webhooks.send(
            item, "ITEM", "PENDING_EXPIRATION", consent_expiration_time=item["consent_expiration_time"]
        )
    elif code == "ERROR":
        item["error"] = None  # so set_login_required fires the webhook even when already in error
        set_login_required(item)
    elif code == "LOGIN_REPAIRED":
        repair(item)
    elif code in ("USER_PERMISSION_REVOKED", "USER_ACCOUNT_REVOKED", "PENDING_DISCONNECT"):
        webhooks.send(item, "ITEM", code, error=None)
    else:
        raise invalid_field(f"webhook_code {code} is not supported by this sandbox")
    store.save()
    return {"webhook_fired": True}
