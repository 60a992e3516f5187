"""Sandbox-only control endpoints under `/_sandbox/plaid/` (documented in the package docstring)."""

from __future__ import annotations

import time
from typing import Any

from sandbox.http import (
    BOOLEAN,
    INTEGER,
    SECONDS,
    STRING,
    Kind,
    Request,
    Response,
    field_problem,
    json_response,
)
from sandbox.plaid import data, webhooks
from sandbox.plaid.api import router
from sandbox.plaid.errors import PlaidError, invalid_field, request_id
from sandbox.plaid.state import store

PREFIX = "/_sandbox/plaid"
SIZES: dict[str, Kind] = {
    "transaction_count": (
        "a whole number from 0 to 1000000",
        lambda v: INTEGER[1](v) and 0 <= v <= 1_000_000,
    ),
    "history_days": ("a whole number of days from 1 to 1460", lambda v: INTEGER[1](v) and 1 <= v <= 1460),
}
SEED: Kind = ("a string or an integer", lambda value: STRING[1](value) or INTEGER[1](value))


def _body(request: Request, kinds: dict[str, Kind]) -> dict[str, Any]:
    """The JSON object body, its fields of the kinds given (else PlaidError INVALID_FIELD)."""
    body = request.json_object()
    problem = field_problem(body, kinds)
    if problem:
        raise invalid_field(problem)
    return body


def _find(key: str | None) -> dict[str, Any] | None:
    """An item by item_id or access token."""
    if not key:
        return None
    return store.items.get(key) or store.item_by_token(key)


def _summary(item: dict[str, Any]) -> dict[str, Any]:
    ledger = store.ledger(item)
    return {
        **{
            key: item[key]
            for key in (
                "item_id",
                "access_token",
                "institution_id",
                "username",
                "dynamic",
                "webhook",
                "products",
                "error",
                "seed",
                "history_days",
                "transaction_count",
                "generation",
                "created_at",
                "anchor_date",
                "consent_expiration_time",
                "synced_once",
                "last_webhook",
            )
        },
        "institution_name": data.INSTITUTIONS[item["institution_id"]].name,
        "version": ledger.version,
        "transactions": len(ledger.live),
        "pending": sum(1 for txn in ledger.live.values() if txn.pending),
        "accounts": [
            {key: account[key] for key in ("account_id", "name", "mask", "type", "subtype")}
            for account in ledger.profile.accounts
        ],
    }


def _not_found(key: Any) -> Response:
    return _error(PlaidError("NOT_FOUND", f"no item {key!r}"))


def _error(error: PlaidError) -> Response:
    return json_response(error.body(request_id()), error.status)


@router.route("POST", PREFIX + "/reset")
def reset(request: Request) -> Response:
    with store.lock:
        store.clear()
        webhooks.deliveries.clear()
        store.save()
    return json_response({"reset": True})


@router.route("GET", PREFIX + "/config")
def get_config(request: Request) -> Response:
    return json_response({"config": store.config})


@router.route("POST", PREFIX + "/config")
def set_config(request: Request) -> Response:
    try:
        body = _body(request, SIZES)
    except PlaidError as error:
        return _error(error)
    with store.lock:
        for key in ("transaction_count", "history_days"):
            if key in body:
                store.config[key] = None if body[key] is None else int(body[key])
        store.save()
        return json_response({"config": store.config})


@router.route("GET", PREFIX + "/faults")
def list_faults(request: Request) -> Response:
    with store.lock:
        return json_response({"faults": store.faults})


@router.route("POST", PREFIX + "/faults")
def add_fault(request: Request) -> Response:
    kinds = {
        "type": STRING, "item_id": STRING, "access_token": STRING, "endpoint": STRING,
        "count": INTEGER, "seconds": SECONDS, "sticky": BOOLEAN,
    }  # fmt: skip
    try:
        spec = _body(request, kinds)
    except PlaidError as error:
        return _error(error)
    with store.lock:
        if spec.get("access_token") and not spec.get("item_id"):
            item = store.item_by_token(spec["access_token"])
            if item is None:
                return _not_found(spec["access_token"])
            spec["item_id"] = item["item_id"]
        try:
            fault = store.add_fault(spec)
        except ValueError as exc:
            return _error(invalid_field(str(exc)))
        return json_response({"fault": fault})


@router.route("DELETE", PREFIX + "/faults")
def clear_faults(request: Request) -> Response:
    with store.lock:
        store.faults.clear()
        return json_response({"faults": []})


@router.route("GET", PREFIX + "/items")
def list_items(request: Request) -> Response:
    with store.lock:
        return json_response({"items": [_summary(item) for item in store.items.values()]})


@router.route("GET", PREFIX + "/items/{key}")
def get_item(request: Request) -> Response:
    with store.lock:
        item = _find(request.params["key"])
        return json_response({"item": _summary(item)}) if item else _not_found(request.params["key"])


@router.route("POST", PREFIX + "/items/{key}/configure")
def configure_item(request: Request) -> Response:
    try:
        body = _body(request, {**SIZES, "seed": SEED, "dynamic": BOOLEAN})
    except PlaidError as error:
        return _error(error)
    with store.lock:
        item = _find(request.params["key"])
        if item is None:
            return _not_found(request.params["key"])
        started = time.perf_counter()
        store.configure(item, body)
        summary = _summary(item)
        store.save()
        return json_response(
            {"item": summary, "generated_in_ms": round((time.perf_counter() - started) * 1000)}
        )


@router.route("POST", PREFIX + "/items/{key}/mutate")
def mutate_item(request: Request) -> Response:
    try:
        body = _body(request, {"new_transactions": INTEGER, "webhook": BOOLEAN})
    except PlaidError as error:
        return _error(error)
    with store.lock:
        item = _find(request.params["key"])
        if item is None:
            return _not_found(request.params["key"])
        version = store.new_version(item, body.get("new_transactions"))
        sent = webhooks.sync_updates_available(item) if body.get("webhook", True) else False
        store.save()
        return json_response({"version": version, "webhook_sent": sent})


@router.route("GET", PREFIX + "/webhooks")
def list_webhooks(request: Request) -> Response:
    item_id = request.query.get("item_id")
    records = [record for record in list(webhooks.deliveries) if not item_id or record["item_id"] == item_id]
    return json_response({"deliveries": records})
