"""The emulator's state: config, tokens, each consumer's pull log, faults and forced events; one lock.

Reports are not stored: each is replayed from the consumer's pull log (see `profile`). When
`SANDBOX_STATE_DIR` is set the state is written to `$SANDBOX_STATE_DIR/experian.json` after every mutation
and loaded again at start.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import secrets
import threading
import time
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sandbox.experian.applicant import Applicant
from sandbox.experian.profile import CreditFile, Events, replay, seed_for

FAULT_TYPES = ("server_error", "timeout", "latency", "inquiry_not_allowed")
DELAY_FAULTS = {"timeout": 30.0, "latency": 1.0}  # type -> default seconds
STATE_KEYS = ("config", "tokens", "refresh_tokens", "consumers", "faults", "forced", "fault_seq")
DEFAULT_CONFIG: dict[str, Any] = {
    "token_ttl_seconds": 1800,
    "refresh_token_ttl_seconds": 86400,
    "credentials": None,  # {"username", "password", "client_id", "client_secret"}: required values; None: any
    "report_now": None,  # ISO datetime the reports are dated at; None: the wall clock (UTC)
    "inquiry_not_allowed_ssn_prefixes": ["666"],
}


def ssn_digest(ssn: str) -> str:
    return hashlib.sha256(ssn.encode()).hexdigest()


class Store:
    def __init__(self, state_dir: str | None) -> None:
        self.lock = threading.RLock()
        self.path = Path(state_dir) / "experian.json" if state_dir else None
        self.clear()
        if self.path and self.path.exists():
            saved = json.loads(self.path.read_text())
            for key in STATE_KEYS:
                setattr(self, key, saved.get(key, getattr(self, key)))

    def clear(self) -> None:
        self.config: dict[str, Any] = copy.deepcopy(DEFAULT_CONFIG)
        self.tokens: dict[str, float] = {}  # access token -> expiry (epoch seconds)
        self.refresh_tokens: dict[str, float] = {}
        self.consumers: dict[str, dict[str, Any]] = {}  # seed -> {name, ssn_digest, ssn_last4, dob, pulls}
        self.faults: list[dict[str, Any]] = []
        self.forced: dict[str, dict[str, Any]] = {}  # SSN or "*" -> the next pull's events
        self.fault_seq = 0

    def save(self) -> None:
        if not self.path:
            return
        state = {key: getattr(self, key) for key in STATE_KEYS}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        scratch = self.path.with_suffix(".tmp")
        scratch.write_text(json.dumps(state))
        scratch.replace(self.path)

    def now(self) -> datetime:
        """When a report is dated: the pinned `report_now` as written, else the wall clock in UTC."""
        pinned = self.config["report_now"]
        moment = datetime.fromisoformat(pinned) if pinned else datetime.now(UTC)
        return moment.replace(tzinfo=None)

    # --- tokens -----------------------------------------------------------------------------------------
    def issue_tokens(self) -> dict[str, str]:
        now = time.time()
        self.tokens = {token: expiry for token, expiry in self.tokens.items() if expiry > now - 86400}
        self.refresh_tokens = {token: expiry for token, expiry in self.refresh_tokens.items() if expiry > now}
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        ttl = int(self.config["token_ttl_seconds"])
        self.tokens[access] = now + ttl
        self.refresh_tokens[refresh] = now + int(self.config["refresh_token_ttl_seconds"])
        return {
            "issued_at": str(int(now * 1000)),
            "expires_in": str(ttl),
            "token_type": "Bearer",
            "access_token": access,
            "refresh_token": refresh,
        }

    def token_problem(self, token: str) -> str | None:
        """Why a bearer token is refused, or None when it is good."""
        expiry = self.tokens.get(token)
        if expiry is None:
            return "Invalid access token"
        return "Access token expired" if expiry <= time.time() else None

    def use_refresh_token(self, token: str) -> bool:
        expiry = self.refresh_tokens.pop(token, None)
        return expiry is not None and expiry > time.time()

    def expire_tokens(self) -> int:
        now = time.time()
        self.tokens = dict.fromkeys(self.tokens, now - 1)
        self.refresh_tokens.clear()
        return len(self.tokens)

    # --- faults -----------------------------------------------------------------------------------------
    def add_fault(self, spec: dict[str, Any]) -> dict[str, Any]:
        kind = spec.get("type")
        if kind not in FAULT_TYPES:
            raise ValueError(f"type must be one of {', '.join(FAULT_TYPES)}")
        count = spec.get("count", 1)
        if count is not None and (not isinstance(count, int) or count < 1):
            raise ValueError("count must be a positive integer, or null for every call until cleared")
        self.fault_seq += 1
        fault = {
            "id": f"fault-{self.fault_seq}",
            "type": kind,
            "count": count,
            "endpoint": spec.get("endpoint"),
            "ssn": spec.get("ssn") and "".join(ch for ch in str(spec["ssn"]) if ch.isdigit()),
            "seconds": float(spec.get("seconds") or DELAY_FAULTS.get(kind, 0.0)),
        }
        self.faults.append(fault)
        return fault

    def take_faults(self, path: str, ssn: str | None, types: tuple[str, ...]) -> list[dict[str, Any]]:
        """Consume the faults of these types that match a call: any delays, and at most one error."""
        taken: list[dict[str, Any]] = []
        for fault in list(self.faults):
            if fault["type"] not in types or fault["endpoint"] not in (None, path):
                continue
            if fault["ssn"] and fault["ssn"] != ssn:
                continue
            is_error = fault["type"] != "latency"
            if is_error and any(f["type"] != "latency" for f in taken):
                continue
            taken.append(fault)
            if fault["count"] is not None:
                fault["count"] -= 1
                if fault["count"] == 0:
                    self.faults.remove(fault)
        return taken

    def ssn_blocked(self, ssn: str) -> bool:
        return any(ssn.startswith(prefix) for prefix in self.config["inquiry_not_allowed_ssn_prefixes"])

    # --- pulls ------------------------------------------------------------------------------------------
    def force_next_pull(self, ssn: str | None, events: Events) -> dict[str, Any]:
        self.forced[ssn or "*"] = asdict(events)
        return self.forced[ssn or "*"]

    def take_forced(self, ssn: str) -> Events | None:
        forced = self.forced.pop(ssn, None) or self.forced.pop("*", None)
        return Events(**forced) if forced else None

    def record_pull(self, applicant: Applicant, at: datetime, forced: Events | None) -> CreditFile:
        """Adds a pull to the consumer's log and returns the file as this pull sees it."""
        seed = seed_for(applicant.ssn, applicant.dob, applicant.surname)
        consumer = self.consumers.setdefault(
            seed,
            {
                "name": applicant.full_name,
                "ssn_digest": ssn_digest(applicant.ssn),
                "ssn_last4": applicant.ssn[-4:],
                "dob": applicant.dob.isoformat(),
                "pulls": [],
            },
        )
        consumer["pulls"].append(
            {"at": at.isoformat(timespec="seconds"), "forced": asdict(forced) if forced else None}
        )
        return self.credit_file(seed)

    def credit_file(self, seed: str) -> CreditFile:
        consumer = self.consumers[seed]
        pulls = [
            (datetime.fromisoformat(pull["at"]).date(), Events(**pull["forced"]) if pull["forced"] else None)
            for pull in consumer["pulls"]
        ]
        return replay(seed, date.fromisoformat(consumer["dob"]), pulls)

    def find_consumers(self, ssn: str) -> list[str]:
        digest = ssn_digest(ssn)
        return [seed for seed, consumer in self.consumers.items() if consumer["ssn_digest"] == digest]


store = Store(os.environ.get("SANDBOX_STATE_DIR") or None)
