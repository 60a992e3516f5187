from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import stamina

from creditapp.tenancy.db import tenant_binding
from finance.banking import plaid
from finance.banking.items import plaid_item_link
from finance.models import PlaidItem
from tests.finance.credit_helpers import experian_responses, experian_sandbox_fixture

__all__ = ["experian_responses", "experian_sandbox_fixture"]  # fixtures for every finance test
RETRY_ATTEMPTS_CAP = 100  # stamina's test mode only lowers a call's attempts to this: no client has as many


@pytest.fixture(autouse=True)
def retries_without_waits() -> Iterator[None]:
    """Vendor calls retry as often as in production, without the backoff between tries."""
    with stamina.set_testing(True, attempts=RETRY_ATTEMPTS_CAP, cap=True):
        yield


class PlaidSandbox:
    """The sandbox's control endpoints (faults, item state), for arranging and checking tests."""

    def __init__(self, url: str):
        self.http = httpx.Client(base_url=url, timeout=30)

    def reset(self) -> None:
        self.http.post("/_sandbox/plaid/reset").raise_for_status()

    def fault(self, type: str, **options: Any) -> None:
        self.http.post("/_sandbox/plaid/faults", json={"type": type, **options}).raise_for_status()

    def item(self, item_id: str) -> dict[str, Any]:
        response = self.http.get(f"/_sandbox/plaid/items/{item_id}")
        response.raise_for_status()
        return dict(response.json()["item"])

    def configure(self, item_id: str, **options: Any) -> None:
        self.http.post(f"/_sandbox/plaid/items/{item_id}/configure", json=options).raise_for_status()

    def mutate(self, item_id: str, **options: Any) -> dict[str, Any]:
        response = self.http.post(f"/_sandbox/plaid/items/{item_id}/mutate", json=options)
        response.raise_for_status()
        return dict(response.json())

    def reset_login(self, access_token: str) -> None:
        self.http.post("/sandbox/item/reset_login", json={"access_token": access_token},
                       headers={"PLAID-CLIENT-ID": "t", "PLAID-SECRET": "t"}).raise_for_status()  # fmt: skip


@pytest.fixture
def plaid_sandbox(sandbox_url: str) -> Iterator[PlaidSandbox]:
    sandbox = PlaidSandbox(sandbox_url)
    sandbox.reset()
    yield sandbox
    sandbox.http.delete("/_sandbox/plaid/faults")


@pytest.fixture
def link_item(plaid_sandbox: PlaidSandbox):  # type: ignore[no-untyped-def]
    """Link a sandbox bank for a user through the real exchange; returns the PlaidItem."""

    def link(user_id: int, *, username: str = "user_good", institution: str = "ins_109508") -> PlaidItem:
        public_token = plaid.sandbox_public_token(institution, username=username)
        with tenant_binding(user_id):
            return plaid_item_link(user_id=user_id, public_token=public_token)

    return link
