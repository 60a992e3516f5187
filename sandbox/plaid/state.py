"""The emulator's state: items, tokens, faults and per-item transaction ledgers, behind one lock.

Items, tokens and each item's change log are plain JSON, persisted to `$SANDBOX_STATE_DIR/plaid.json`
after every mutation when that variable is set. Transactions themselves are regenerated from the item's
seed (see `data`) and cached in a `Ledger` per item.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import threading
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sandbox.plaid import data
from sandbox.plaid.errors import PlaidError, invalid_field

PUBLIC_TOKEN_TTL = timedelta(minutes=30)
LINK_TOKEN_TTL = timedelta(hours=4)
DEFAULT_HISTORY_DAYS = 365
DYNAMIC_USERNAME = "user_transactions_dynamic"
FAULT_TYPES = (
    "api_error",
    "rate_limit",
    "latency",
    "timeout",
    "item_login_required",
    "mutation_during_pagination",
)
DEFAULT_SECONDS = {"latency": 1.0, "timeout": 30.0}


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def today() -> date:
    return now().date()


class Ledger:
    """One item's transactions: the generated base plus its change log, and the sync diffs over them."""

    def __init__(self, item: dict[str, Any]) -> None:
        self.generation = item["generation"]
        self.profile = data.build_profile(item["item_id"], item["seed"], item["institution_id"])
        base = data.generate(
            item["item_id"],
            item["seed"],
            self.profile,
            date.fromisoformat(item["anchor_date"]),
            item["history_days"],
            item["transaction_count"],
            self.generation,
        )
        self.base_ids = {txn.transaction_id for txn in base}
        self.live = {txn.transaction_id: txn for txn in base}
        self.added_in: dict[str, int] = {}
        self.removed_in: dict[str, int] = {}
        self.gone: dict[str, int] = {}  # removed transaction id -> its account index
        self.changes: list[dict[str, Any]] = []
        self.diffs: dict[int, list[tuple[str, Any]]] = {}
        for change in item["changes"]:
            self.apply(
                {
                    "added": [data.Txn(*row) for row in change["added"]],
                    "modified": [data.Txn(*row) for row in change["modified"]],
                    "removed": change["removed"],
                }
            )

    @property
    def version(self) -> int:
        return len(self.changes)

    def apply(self, change: dict[str, Any]) -> None:
        self.changes.append(change)
        version = len(self.changes)
        for txn in change["added"]:
            self.live[txn.transaction_id] = txn
            self.added_in[txn.transaction_id] = version
        for txn in change["modified"]:
            self.live[txn.transaction_id] = txn
        for transaction_id in change["removed"]:
            gone = self.live.pop(transaction_id, None)
            if gone:
                self.gone[transaction_id] = gone.account
            self.removed_in[transaction_id] = version
        self.diffs.clear()

    def _existed(self, transaction_id: str, version: int) -> bool:
        born = 0 if transaction_id in self.base_ids else self.added_in.get(transaction_id, version + 1)
        return born <= version and self.removed_in.get(transaction_id, version + 1) > version

    def diff(self, since: int) -> list[tuple[str, Any]]:
        """Entries ("added"|"modified", Txn) / ("removed", id) from version `since` (-1: nothing) to now."""
        if since not in self.diffs:
            if since < 0:
                entries: list[tuple[str, Any]] = [("added", txn) for txn in self.live.values()]
            else:
                touched: dict[str, None] = {}
                for change in self.changes[since:]:
                    for txn in change["added"] + change["modified"]:
                        touched[txn.transaction_id] = None
                    touched.update(dict.fromkeys(change["removed"]))
                added: list[data.Txn] = []
                modified: list[data.Txn] = []
                removed: list[str] = []
                for transaction_id in touched:
                    before, after = self._existed(transaction_id, since), transaction_id in self.live
                    if after:
                        (modified if before else added).append(self.live[transaction_id])
                    elif before:
                        removed.append(transaction_id)
                entries = (
                    [("added", t) for t in added]
                    + [("modified", t) for t in modified]
                    + [("removed", t) for t in removed]
                )
            if len(self.diffs) > 8:
                self.diffs.clear()
            self.diffs[since] = entries
        return self.diffs[since]


def encode_cursor(item: dict[str, Any], since: int, target: int, offset: int) -> str:
    raw = f"{item['item_id'][:12]}|{item['generation']}|{since}|{target}|{offset}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(item: dict[str, Any], cursor: str) -> tuple[int, int, int]:
    """(since, target, offset); an empty cursor is (-1, -1, 0): everything, from the start."""
    if not cursor:
        return -1, -1, 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, generation, since, target, offset = raw.split("|")
        values = int(generation), int(since), int(target), int(offset)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise invalid_field("cursor is not valid") from None
    if prefix != item["item_id"][:12]:
        raise invalid_field("cursor does not belong to this item")
    if values[0] != item["generation"]:
        raise invalid_field(
            "cursor is from before this item's data was regenerated; sync from an empty cursor"
        )
    return values[1], values[2], values[3]


class Store:
    def __init__(self, state_dir: str | None) -> None:
        self.lock = threading.RLock()
        self.path = Path(state_dir) / "plaid.json" if state_dir else None
        self.ledgers: dict[str, Ledger] = {}
        self.faults: list[dict[str, Any]] = []
        self._fault_ids = 0
        self.items: dict[str, dict[str, Any]] = {}
        self.link_tokens: dict[str, dict[str, Any]] = {}
        self.public_tokens: dict[str, dict[str, Any]] = {}
        self.config: dict[str, Any] = {"transaction_count": None, "history_days": None}
        if self.path and self.path.exists():
            saved = json.loads(self.path.read_text())
            self.items, self.link_tokens = saved["items"], saved["link_tokens"]
            self.public_tokens, self.config = saved["public_tokens"], saved["config"]

    def clear(self) -> None:
        self.items, self.link_tokens, self.public_tokens = {}, {}, {}
        self.config = {"transaction_count": None, "history_days": None}
        self.ledgers.clear()
        self.faults.clear()

    def save(self) -> None:
        if not self.path:
            return
        cutoff = iso(now())
        self.public_tokens = {k: v for k, v in self.public_tokens.items() if v["expires_at"] > cutoff}
        self.link_tokens = {k: v for k, v in self.link_tokens.items() if v["expiration"] > cutoff}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(
            json.dumps(
                {
                    "items": self.items,
                    "link_tokens": self.link_tokens,
                    "public_tokens": self.public_tokens,
                    "config": self.config,
                }
            )
        )
        os.replace(temporary, self.path)

    # --- items and tokens --------------------------------------------------------------------------------

    def item_by_token(self, access_token: str | None) -> dict[str, Any] | None:
        if not access_token:
            return None
        return next((item for item in self.items.values() if item["access_token"] == access_token), None)

    def create_item(
        self,
        institution_id: str,
        username: str,
        webhook: str | None,
        products: list[str],
        history_days: int | None = None,
    ) -> dict[str, Any]:
        item_id = data.make_id(uuid.uuid4())
        item = {
            "item_id": item_id,
            "access_token": f"access-sandbox-{uuid.uuid4()}",
            "institution_id": institution_id,
            "username": username,
            "webhook": webhook,
            "products": products,
            "created_at": iso(now()),
            "anchor_date": today().isoformat(),
            "seed": item_id,
            "dynamic": username == DYNAMIC_USERNAME,
            "history_days": history_days or self.config["history_days"] or DEFAULT_HISTORY_DAYS,
            "transaction_count": self.config["transaction_count"],
            "generation": 0,
            "changes": [],
            "error": None,
            "consent_expiration_time": None,
            "synced_once": False,
            "last_webhook": None,
            "last_synced_at": None,
        }
        self.items[item_id] = item
        return item

    def issue_public_token(self, item: dict[str, Any]) -> str:
        token = f"public-sandbox-{uuid.uuid4()}"
        self.public_tokens[token] = {"item_id": item["item_id"], "expires_at": iso(now() + PUBLIC_TOKEN_TTL)}
        return token

    def exchange(self, public_token: str) -> dict[str, Any]:
        entry = self.public_tokens.pop(public_token, None)
        if entry is None or entry["item_id"] not in self.items:
            raise PlaidError("INVALID_PUBLIC_TOKEN")
        if entry["expires_at"] <= iso(now()):
            raise PlaidError(
                "INVALID_PUBLIC_TOKEN",
                "provided public token is expired. Public tokens expire 30 "
                "minutes after creation at which point they can no longer be exchanged",
            )
        return self.items[entry["item_id"]]

    def create_link_token(self, fields: dict[str, Any]) -> tuple[str, str]:
        token = f"link-sandbox-{uuid.uuid4()}"
        expiration = iso(now() + LINK_TOKEN_TTL)
        self.link_tokens[token] = {**fields, "expiration": expiration}
        return token, expiration

    def link_token(self, token: str) -> dict[str, Any] | None:
        entry = self.link_tokens.get(token)
        if entry is None or entry["expiration"] <= iso(now()):
            return None
        return entry

    def remove_item(self, item: dict[str, Any]) -> None:
        self.items.pop(item["item_id"], None)
        self.ledgers.pop(item["item_id"], None)

    # --- transactions -------------------------------------------------------------------------------------

    def ledger(self, item: dict[str, Any]) -> Ledger:
        ledger = self.ledgers.get(item["item_id"])
        if ledger is None or ledger.generation != item["generation"]:
            ledger = self.ledgers[item["item_id"]] = Ledger(item)
        return ledger

    def new_version(self, item: dict[str, Any], new_transactions: int | None = None) -> int:
        """Change the item's data (new, posted, modified, removed transactions); returns the new version."""
        ledger = self.ledger(item)
        change = data.make_change(
            item["item_id"],
            item["seed"],
            ledger.profile,
            ledger.live,
            ledger.version + 1,
            today(),
            item["generation"],
            new_transactions,
        )
        ledger.apply(change)
        item["changes"].append(
            {
                "added": [list(t) for t in change["added"]],
                "modified": [list(t) for t in change["modified"]],
                "removed": change["removed"],
                "at": iso(now()),
            }
        )
        return ledger.version

    def configure(self, item: dict[str, Any], settings: dict[str, Any]) -> None:
        """Regenerate the item's transactions with new size / history / seed (old cursors stop working)."""
        for key in ("transaction_count", "history_days", "seed", "dynamic"):
            if key in settings:
                item[key] = settings[key]
        item["history_days"] = max(1, min(int(item["history_days"]), 730 * 2))
        item["anchor_date"] = today().isoformat()
        item["changes"] = []
        item["generation"] += 1
        self.ledgers.pop(item["item_id"], None)

    # --- faults -------------------------------------------------------------------------------------------

    def add_fault(self, spec: dict[str, Any]) -> dict[str, Any]:
        if spec.get("type") not in FAULT_TYPES:
            raise ValueError(f"type must be one of {', '.join(FAULT_TYPES)}")
        self._fault_ids += 1
        fault = {
            "id": f"fault-{self._fault_ids}",
            "type": spec["type"],
            "item_id": spec.get("item_id"),
            "endpoint": spec.get("endpoint"),
            "count": spec.get("count", 1),
            # only latency / timeout faults wait; the others answer at once
            "seconds": float(spec.get("seconds") or DEFAULT_SECONDS[spec["type"]])
            if spec["type"] in DEFAULT_SECONDS
            else None,
            "sticky": bool(spec.get("sticky", False)),
        }
        self.faults.append(fault)
        return fault

    def take_faults(self, path: str, item_id: str | None, types: tuple[str, ...]) -> list[dict[str, Any]]:
        """Consume and return the faults of these types that match a call; one error fault at most."""
        taken: list[dict[str, Any]] = []
        for fault in list(self.faults):
            if fault["type"] not in types or fault["endpoint"] not in (None, path):
                continue
            if fault["item_id"] is not None and fault["item_id"] != item_id:
                continue
            is_error = fault["type"] not in DEFAULT_SECONDS
            if is_error and any(f["type"] not in DEFAULT_SECONDS for f in taken):
                continue
            taken.append(fault)
            if fault["count"] is not None:
                fault["count"] -= 1
                if fault["count"] <= 0:
                    self.faults.remove(fault)
        return taken


store = Store(os.environ.get("SANDBOX_STATE_DIR") or None)
