"""The Plaid emulator, exercised through the real plaid-python client against the sandbox subprocess."""

from __future__ import annotations

import csv
import hashlib
import json
import queue
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import plaid
import pytest
from plaid.api import plaid_api
from plaid.model.accounts_balance_get_request import AccountsBalanceGetRequest
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.country_code import CountryCode
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.item_remove_request import ItemRemoveRequest
from plaid.model.liabilities_get_request import LiabilitiesGetRequest
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.products import Products
from plaid.model.sandbox_item_fire_webhook_request import SandboxItemFireWebhookRequest
from plaid.model.sandbox_item_reset_login_request import SandboxItemResetLoginRequest
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.sandbox_public_token_create_request_options import SandboxPublicTokenCreateRequestOptions
from plaid.model.transactions_refresh_request import TransactionsRefreshRequest
from plaid.model.transactions_sync_request import TransactionsSyncRequest
from plaid.model.webhook_verification_key_get_request import WebhookVerificationKeyGetRequest

from tests.conftest import start_sandbox

PFC_CSV = Path(__file__).resolve().parents[3] / "shared" / "data" / "plaid-personal-finance-categories.csv"


# --- fixtures and helpers ----------------------------------------------------------------------------------


def make_client(url: str) -> plaid_api.PlaidApi:
    configuration = plaid.Configuration(
        host=url, api_key={"clientId": "test-client", "secret": "test-secret", "plaidVersion": "2020-09-14"}
    )
    return plaid_api.PlaidApi(plaid.ApiClient(configuration))


@pytest.fixture
def client(sandbox_url: str) -> plaid_api.PlaidApi:
    return make_client(sandbox_url)


@pytest.fixture
def control(sandbox_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox_url, timeout=30) as http:
        http.post("/_sandbox/plaid/reset").raise_for_status()
        # ~4 months of history keeps these tests quick; the Link test checks the 12-month default.
        http.post("/_sandbox/plaid/config", json={"history_days": 120}).raise_for_status()
        yield http


class Receiver(ThreadingHTTPServer):
    """A tiny local HTTP server: records webhook POSTs and answers GETs (the Link redirect target)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)
        self.posts: queue.Queue[tuple[Any, bytes]] = queue.Queue()
        self.url = f"http://127.0.0.1:{self.server_port}"

    def wait_for(self, code: str, timeout: float = 10) -> tuple[Any, bytes, dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            headers, body = self.posts.get(timeout=max(0.01, deadline - time.monotonic()))
            payload = json.loads(body)
            if payload["webhook_code"] == code:
                return headers, body, payload


class _ReceiverHandler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.posts.put((self.headers, body))
        self._reply()

    def do_GET(self) -> None:
        self._reply()

    def _reply(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def new_item(
    client: plaid_api.PlaidApi,
    institution_id: str = "ins_109508",
    username: str | None = None,
    webhook: str | None = None,
) -> tuple[str, str]:
    options: dict[str, Any] = {}
    if username:
        options["override_username"] = username
    if webhook:
        options["webhook"] = webhook
    request = SandboxPublicTokenCreateRequest(
        institution_id=institution_id,
        initial_products=[Products("transactions"), Products("liabilities")],
        **({"options": SandboxPublicTokenCreateRequestOptions(**options)} if options else {}),
    )
    public_token = client.sandbox_public_token_create(request).public_token
    exchanged = client.item_public_token_exchange(ItemPublicTokenExchangeRequest(public_token=public_token))
    return exchanged.access_token, exchanged.item_id


def sync(
    client: plaid_api.PlaidApi,
    token: str,
    cursor: str = "",
    state: dict[str, Any] | None = None,
    count: int = 500,
) -> tuple[dict[str, Any], str, dict[str, list[Any]]]:
    """Pull every page from `cursor` and apply them to a copy of `state`; returns (state, cursor, seen)."""
    state = dict(state or {})
    seen: dict[str, list[Any]] = {"added": [], "modified": [], "removed": []}
    while True:
        page = client.transactions_sync(
            TransactionsSyncRequest(access_token=token, cursor=cursor, count=count)
        )
        for txn in page.added + page.modified:
            state[txn.transaction_id] = txn
        for removed in page.removed:
            state.pop(removed.transaction_id, None)
        for kind in seen:
            seen[kind] += page[kind]
        cursor = page.next_cursor
        if not page.has_more:
            return state, cursor, seen


def content(txn: Any) -> tuple[Any, ...]:
    return (txn.date, txn.amount, txn.name, txn.pending, str(txn.personal_finance_category.detailed))


def plaid_error(exc: plaid.ApiException) -> dict[str, Any]:
    return json.loads(exc.body)


def link_token(client: plaid_api.PlaidApi, **fields: Any) -> str:
    request = LinkTokenCreateRequest(
        client_name="creditapp",
        language="en",
        country_codes=[CountryCode("US")],
        user=LinkTokenCreateRequestUser(client_user_id="user-1"),
        **fields,
    )
    return client.link_token_create(request).link_token


def add_fault(control: httpx.Client, **spec: Any) -> dict[str, Any]:
    response = control.post("/_sandbox/plaid/faults", json=spec)
    response.raise_for_status()
    return response.json()["fault"]


# --- tests -------------------------------------------------------------------------------------------------


def test_credentials_are_required(sandbox_url: str, control: httpx.Client) -> None:
    response = httpx.post(f"{sandbox_url}/item/get", json={"access_token": "access-sandbox-x"})
    assert response.status_code == 400
    error = response.json()
    assert error["error_type"] == "INVALID_INPUT"
    assert error["error_code"] == "INVALID_API_KEYS"
    assert set(error) >= {
        "error_type", "error_code", "error_message", "display_message", "request_id", "causes", "status",
        "documentation_url", "suggested_action",
    }  # fmt: skip
    in_body = httpx.post(
        f"{sandbox_url}/item/get", json={"client_id": "c", "secret": "s", "access_token": "access-sandbox-x"}
    )
    assert in_body.json()["error_code"] == "INVALID_ACCESS_TOKEN"


def test_every_endpoint_deserializes(
    client: plaid_api.PlaidApi, control: httpx.Client, receiver: Receiver
) -> None:
    created = client.link_token_create(
        LinkTokenCreateRequest(
            client_name="creditapp",
            language="en",
            country_codes=[CountryCode("US")],
            user=LinkTokenCreateRequestUser(client_user_id="user-1"),
            products=[Products("transactions")],
        )
    )
    assert created.link_token.startswith("link-sandbox-")
    assert created.expiration.tzinfo is not None

    token, item_id = new_item(client, webhook=receiver.url + "/hook")
    assert token.startswith("access-sandbox-")

    item = client.item_get(ItemGetRequest(access_token=token)).item
    assert item.item_id == item_id
    assert item.institution_id == "ins_109508"
    assert item.institution_name == "First Platypus Bank"
    assert item.error is None

    accounts = client.accounts_get(AccountsGetRequest(access_token=token)).accounts
    assert 2 <= len(accounts) <= 4
    kinds = {str(account.subtype) for account in accounts}
    assert {"checking", "savings", "credit card"} <= kinds
    for account in accounts:
        if str(account.type) == "credit":
            assert account.balances.limit and account.balances.current > 0
    balances = client.accounts_balance_get(AccountsBalanceGetRequest(access_token=token)).accounts
    assert [a.account_id for a in balances] == [a.account_id for a in accounts]

    page = client.transactions_sync(TransactionsSyncRequest(access_token=token, cursor="", count=50))
    assert len(page.added) == 50 and page.has_more
    assert str(page.transactions_update_status) == "HISTORICAL_UPDATE_COMPLETE"
    txn = page.added[0]
    assert txn.name and txn.personal_finance_category.primary and txn.get("pending_transaction_id") is None

    client.transactions_refresh(TransactionsRefreshRequest(access_token=token))

    liabilities = client.liabilities_get(LiabilitiesGetRequest(access_token=token)).liabilities
    cards = liabilities.credit
    assert cards and liabilities.mortgage is None
    assert {apr.apr_type for apr in cards[0].aprs} == {"purchase_apr", "cash_apr", "balance_transfer_apr"}
    assert any(card.next_payment_due_date <= date.today() + timedelta(days=5) for card in cards)
    assert all(card.minimum_payment_amount <= card.last_statement_balance for card in cards)

    fired = client.sandbox_item_fire_webhook(
        SandboxItemFireWebhookRequest(access_token=token, webhook_code="SYNC_UPDATES_AVAILABLE")
    )
    assert fired.webhook_fired is True
    headers, _, _ = receiver.wait_for("SYNC_UPDATES_AVAILABLE")
    kid = jwt.get_unverified_header(headers["Plaid-Verification"])["kid"]
    key = client.webhook_verification_key_get(WebhookVerificationKeyGetRequest(key_id=kid)).key
    assert key.kid == kid and isinstance(key.created_at, int) and key.expired_at is None

    assert (
        client.sandbox_item_reset_login(SandboxItemResetLoginRequest(access_token=token)).reset_login is True
    )

    client.item_remove(ItemRemoveRequest(access_token=token))
    with pytest.raises(plaid.ApiException) as raised:
        client.item_get(ItemGetRequest(access_token=token))
    assert raised.value.status == 400
    assert plaid_error(raised.value)["error_code"] == "INVALID_ACCESS_TOKEN"


def test_link_page_flow_then_full_sync(
    client: plaid_api.PlaidApi, control: httpx.Client, receiver: Receiver
) -> None:
    control.post("/_sandbox/plaid/config", json={"history_days": None}).raise_for_status()
    token = link_token(
        client,
        products=[Products("transactions")],
        optional_products=[Products("liabilities")],
        redirect_uri=receiver.url + "/plaid/done",
        webhook=receiver.url,
    )
    page = control.get("/link/open", params={"token": token})
    assert page.status_code == 200
    assert (
        "First Platypus Bank" in page.text and 'value="user_good"' in page.text and "pass_good" in page.text
    )

    wrong = control.post(
        "/link/open",
        data={"token": token, "institution_id": "ins_109511", "username": "u", "password": "nope"},
    )
    assert wrong.status_code == 200
    assert "The provided credentials were not correct" in wrong.text

    done = control.post(
        "/link/open",
        data={
            "token": token,
            "institution_id": "ins_109511",
            "username": "user_good",
            "password": "pass_good",
        },
        follow_redirects=True,
    )
    assert done.status_code == 200
    assert str(done.url).startswith(receiver.url + "/plaid/done?")
    query = parse_qs(urlsplit(str(done.url)).query)
    public_token = query["public_token"][0]
    metadata = json.loads(query["metadata"][0])
    assert public_token.startswith("public-sandbox-")
    assert metadata["institution"] == {"name": "Tartan Bank", "institution_id": "ins_109511"}
    assert metadata["link_session_id"]

    exchanged = client.item_public_token_exchange(ItemPublicTokenExchangeRequest(public_token=public_token))
    with pytest.raises(plaid.ApiException) as raised:  # public tokens are single use
        client.item_public_token_exchange(ItemPublicTokenExchangeRequest(public_token=public_token))
    assert plaid_error(raised.value)["error_code"] == "INVALID_PUBLIC_TOKEN"

    access_token = exchanged.access_token
    accounts = client.accounts_get(AccountsGetRequest(access_token=access_token)).accounts
    assert [a["id"] for a in metadata["accounts"]] == [a.account_id for a in accounts]
    assert metadata["accounts"][0].keys() >= {"id", "name", "mask", "type", "subtype"}
    item = client.item_get(ItemGetRequest(access_token=access_token)).item
    assert item.webhook == receiver.url
    assert {str(p) for p in item.billed_products} == {"transactions", "liabilities"}

    state, cursor, seen = sync(client, access_token)
    summary = control.get(f"/_sandbox/plaid/items/{exchanged.item_id}").json()["item"]
    assert len(seen["added"]) == len(state) == summary["transactions"]
    assert 300 <= len(state) <= 2500
    assert not seen["modified"] and not seen["removed"]
    txns = list(state.values())
    today = date.today()
    assert all(today - timedelta(days=366) <= t.date <= today for t in txns)
    assert 1 <= sum(t.pending for t in txns) <= 8
    assert {t.account_id for t in txns} <= {a.account_id for a in accounts}
    payroll = [t for t in txns if str(t.personal_finance_category.primary) == "INCOME" and t.amount < -1000]
    assert payroll, "payroll deposits are negative amounts"
    merchants = {t.merchant_name for t in txns}
    assert {"Starbucks", "Amazon", "Whole Foods Market"} <= merchants
    coffee = [t for t in txns if t.merchant_name == "Starbucks"]
    assert {str(t.personal_finance_category.detailed) for t in coffee} == {"FOOD_AND_DRINK_COFFEE"}
    assert all(0 < t.amount < 20 for t in coffee)
    if PFC_CSV.exists():
        rows = [line for line in PFC_CSV.read_text().splitlines() if not line.startswith("#")]
        known = {(row["primary"], row["detailed"]) for row in csv.DictReader(rows)}
        used = {
            (str(t.personal_finance_category.primary), str(t.personal_finance_category.detailed))
            for t in txns
        }
        assert used <= known

    # Caught up: the end cursor returns nothing new; a second pass from scratch is identical.
    empty = client.transactions_sync(TransactionsSyncRequest(access_token=access_token, cursor=cursor))
    assert not empty.added and not empty.modified and not empty.removed and not empty.has_more
    again, _, _ = sync(client, access_token, count=333)
    assert {k: content(v) for k, v in again.items()} == {k: content(v) for k, v in state.items()}


def test_same_seed_gives_same_data(client: plaid_api.PlaidApi, control: httpx.Client) -> None:
    results = []
    for _ in range(2):
        token, item_id = new_item(client, "ins_109509")
        control.post(
            f"/_sandbox/plaid/items/{item_id}/configure", json={"seed": "same-person"}
        ).raise_for_status()
        state, _, _ = sync(client, token)
        results.append(state)
    first, second = results
    assert len(first) == len(second) > 0
    assert sorted(map(content, first.values())) == sorted(map(content, second.values()))
    assert not set(first) & set(second), "ids are per item"


def test_mutation_during_pagination_then_restart(client: plaid_api.PlaidApi, control: httpx.Client) -> None:
    token, item_id = new_item(client)
    saved_state, saved_cursor, _ = sync(client, token)
    control.post(f"/_sandbox/plaid/items/{item_id}/mutate", json={"new_transactions": 30}).raise_for_status()

    add_fault(control, type="mutation_during_pagination", item_id=item_id)
    cursor, pages = saved_cursor, 0
    with pytest.raises(plaid.ApiException) as raised:
        while True:  # an app paginating from its saved cursor, small pages
            page = client.transactions_sync(
                TransactionsSyncRequest(access_token=token, cursor=cursor, count=5)
            )
            pages += 1
            cursor = page.next_cursor
            if not page.has_more:
                break
    assert pages == 1
    assert raised.value.status == 400
    error = plaid_error(raised.value)
    assert (error["error_type"], error["error_code"]) == (
        "TRANSACTIONS_ERROR",
        "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION",
    )
    summary = control.get(f"/_sandbox/plaid/items/{item_id}").json()["item"]
    assert summary["version"] == 2, "the fault really changed the data"

    restarted, _, _ = sync(client, token, saved_cursor, saved_state, count=5)
    clean, _, _ = sync(client, token)
    assert {k: content(v) for k, v in restarted.items()} == {k: content(v) for k, v in clean.items()}
    assert len(clean) == summary["transactions"]


def test_dynamic_item_changes_on_refresh(
    client: plaid_api.PlaidApi, control: httpx.Client, receiver: Receiver
) -> None:
    token, _ = new_item(client, username="user_transactions_dynamic", webhook=receiver.url)
    state, cursor, _ = sync(client, token)
    pending_ids = {k for k, t in state.items() if t.pending}
    assert pending_ids

    client.transactions_refresh(TransactionsRefreshRequest(access_token=token))
    receiver.wait_for("SYNC_UPDATES_AVAILABLE")
    state, cursor, seen = sync(client, token, cursor, state)
    assert seen["added"] and seen["modified"] and seen["removed"]
    removed = {r.transaction_id for r in seen["removed"]}
    posted = [t for t in seen["added"] if t.get("pending_transaction_id")]
    assert posted and {t.pending_transaction_id for t in posted} == pending_ids
    assert pending_ids <= removed
    assert all(not t.pending for t in posted)

    client.sandbox_item_fire_webhook(
        SandboxItemFireWebhookRequest(access_token=token, webhook_code="SYNC_UPDATES_AVAILABLE")
    )
    _, _, payload = receiver.wait_for("SYNC_UPDATES_AVAILABLE")
    assert payload["webhook_type"] == "TRANSACTIONS" and payload["historical_update_complete"] is True
    state, cursor, seen = sync(client, token, cursor, state)
    assert seen["added"]
    clean, _, _ = sync(client, token)
    assert {k: content(v) for k, v in state.items()} == {k: content(v) for k, v in clean.items()}


def test_reset_login_then_update_mode(
    client: plaid_api.PlaidApi, control: httpx.Client, receiver: Receiver
) -> None:
    token, item_id = new_item(client, webhook=receiver.url)
    client.sandbox_item_reset_login(SandboxItemResetLoginRequest(access_token=token))
    _, _, payload = receiver.wait_for("ERROR")
    assert payload["webhook_type"] == "ITEM" and payload["error"]["error_code"] == "ITEM_LOGIN_REQUIRED"

    for call in (
        lambda: client.accounts_get(AccountsGetRequest(access_token=token)),
        lambda: client.transactions_sync(TransactionsSyncRequest(access_token=token)),
        lambda: client.liabilities_get(LiabilitiesGetRequest(access_token=token)),
    ):
        with pytest.raises(plaid.ApiException) as raised:
            call()
        assert raised.value.status == 400
        assert plaid_error(raised.value)["error_code"] == "ITEM_LOGIN_REQUIRED"
    item = client.item_get(ItemGetRequest(access_token=token)).item
    assert item.error.error_code == "ITEM_LOGIN_REQUIRED"

    update_token = link_token(client, access_token=token, redirect_uri=receiver.url + "/back")
    page = control.get("/link/open", params={"token": update_token})
    assert "Reconnect to First Platypus Bank" in page.text
    done = control.post(
        "/link/open",
        data={
            "token": update_token,
            "institution_id": "ins_109508",
            "username": "user_good",
            "password": "pass_good",
        },
    )
    assert done.status_code == 302
    query = parse_qs(urlsplit(done.headers["location"]).query)
    receiver.wait_for("LOGIN_REPAIRED")

    assert client.item_get(ItemGetRequest(access_token=token)).item.error is None
    assert client.accounts_get(AccountsGetRequest(access_token=token)).accounts
    again = client.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=query["public_token"][0])
    )
    assert (again.access_token, again.item_id) == (token, item_id), "update mode keeps the item"
    assert len(control.get("/_sandbox/plaid/items").json()["items"]) == 1


def test_faults_with_counts(client: plaid_api.PlaidApi, control: httpx.Client) -> None:
    token, item_id = new_item(client)
    request = AccountsGetRequest(access_token=token)

    add_fault(control, type="api_error", item_id=item_id, endpoint="/accounts/get", seconds=3)
    started = time.monotonic()
    with pytest.raises(plaid.ApiException) as raised:
        client.accounts_get(request)
    assert time.monotonic() - started < 2, "only latency / timeout faults wait"
    assert raised.value.status == 500
    assert plaid_error(raised.value)["error_type"] == "API_ERROR"
    assert plaid_error(raised.value)["error_code"] == "INTERNAL_SERVER_ERROR"
    client.accounts_get(request)  # the retry succeeds

    add_fault(control, type="rate_limit", access_token=token, count=2)
    for _ in range(2):
        with pytest.raises(plaid.ApiException) as raised:
            client.item_get(ItemGetRequest(access_token=token))
        assert raised.value.status == 429
        assert plaid_error(raised.value)["error_type"] == "RATE_LIMIT_EXCEEDED"
    client.item_get(ItemGetRequest(access_token=token))

    add_fault(control, type="item_login_required", endpoint="/transactions/sync")  # any item, once
    client.item_get(ItemGetRequest(access_token=token))  # other endpoints are unaffected
    with pytest.raises(plaid.ApiException) as raised:
        client.transactions_sync(TransactionsSyncRequest(access_token=token))
    assert plaid_error(raised.value)["error_code"] == "ITEM_LOGIN_REQUIRED"
    client.transactions_sync(TransactionsSyncRequest(access_token=token))

    add_fault(control, type="latency", seconds=0.6, endpoint="/accounts/get")
    started = time.monotonic()
    client.accounts_get(request)
    assert time.monotonic() - started >= 0.6

    add_fault(control, type="timeout", seconds=3, endpoint="/item/get")
    with pytest.raises(Exception, match=r"(?i)timed? ?out"):
        client.item_get(ItemGetRequest(access_token=token), _request_timeout=0.5)
    client.item_get(ItemGetRequest(access_token=token), _request_timeout=5)

    add_fault(control, type="api_error", count=None)
    assert control.get("/_sandbox/plaid/faults").json()["faults"][0]["count"] is None
    control.delete("/_sandbox/plaid/faults").raise_for_status()
    client.accounts_get(request)
    assert control.post("/_sandbox/plaid/faults", json={"type": "nonsense"}).status_code == 400


def test_webhook_is_signed_like_plaid(
    client: plaid_api.PlaidApi, control: httpx.Client, receiver: Receiver
) -> None:
    token, item_id = new_item(client, webhook=receiver.url + "/plaid/webhook")
    expected_types = {
        "SYNC_UPDATES_AVAILABLE": "TRANSACTIONS",
        "DEFAULT_UPDATE": "LIABILITIES",
        "NEW_ACCOUNTS_AVAILABLE": "ITEM",
        "ERROR": "ITEM",
        "LOGIN_REPAIRED": "ITEM",
        "PENDING_EXPIRATION": "ITEM",
    }
    for code, webhook_type in expected_types.items():
        client.sandbox_item_fire_webhook(SandboxItemFireWebhookRequest(access_token=token, webhook_code=code))
        headers, body, payload = receiver.wait_for(code)
        assert payload["webhook_type"] == webhook_type and payload["item_id"] == item_id

        signature = headers["Plaid-Verification"]
        header = jwt.get_unverified_header(signature)
        assert header["alg"] == "ES256" and header["typ"] == "JWT"
        jwk = client.webhook_verification_key_get(WebhookVerificationKeyGetRequest(key_id=header["kid"])).key
        public_key = jwt.PyJWK.from_dict(jwk.to_dict())
        claims = jwt.decode(signature, public_key, algorithms=["ES256"])
        assert abs(time.time() - claims["iat"]) < 300
        assert claims["request_body_sha256"] == hashlib.sha256(body).hexdigest()

    item = client.item_get(ItemGetRequest(access_token=token)).item
    assert item.consent_expiration_time is not None  # from PENDING_EXPIRATION
    with pytest.raises(plaid.ApiException) as raised:
        client.webhook_verification_key_get(WebhookVerificationKeyGetRequest(key_id="not-a-key"))
    assert raised.value.status == 400
    deliveries = control.get("/_sandbox/plaid/webhooks", params={"item_id": item_id}).json()["deliveries"]
    assert len(deliveries) == len(expected_types) and all(d["status"] == 200 for d in deliveries)


def test_liabilities_not_supported_and_bad_tokens(client: plaid_api.PlaidApi, control: httpx.Client) -> None:
    token, _ = new_item(client, "ins_109510")
    assert client.liabilities_get(LiabilitiesGetRequest(access_token=token)).liabilities.credit
    request = SandboxPublicTokenCreateRequest(
        institution_id="ins_109512", initial_products=[Products("transactions")]
    )
    public_token = client.sandbox_public_token_create(request).public_token
    access_token = client.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public_token)
    ).access_token
    with pytest.raises(plaid.ApiException) as raised:
        client.liabilities_get(LiabilitiesGetRequest(access_token=access_token))
    assert plaid_error(raised.value)["error_code"] == "PRODUCTS_NOT_SUPPORTED"
    with pytest.raises(plaid.ApiException) as raised:
        client.accounts_get(
            AccountsGetRequest(access_token="access-sandbox-00000000-0000-0000-0000-000000000000")
        )
    assert plaid_error(raised.value)["error_code"] == "INVALID_ACCESS_TOKEN"
    bad_cursor = TransactionsSyncRequest(access_token=token, cursor="garbage!")
    with pytest.raises(plaid.ApiException) as raised:
        client.transactions_sync(bad_cursor)
    assert plaid_error(raised.value)["error_type"] == "INVALID_REQUEST"


def test_link_without_redirect_posts_message_and_cancel(
    client: plaid_api.PlaidApi, control: httpx.Client
) -> None:
    token = link_token(client, products=[Products("transactions"), Products("liabilities")])
    page = control.get("/link/open", params={"token": token})
    assert "Houndstooth Bank" not in page.text, "institutions without a required product are not offered"
    done = control.post(
        "/link/open",
        data={
            "token": token,
            "institution_id": "ins_109508",
            "username": "user_good",
            "password": "pass_good",
        },
    )
    assert done.status_code == 200
    assert "window.opener.postMessage" in done.text and "plaid-link-success" in done.text
    assert "public-sandbox-" in done.text

    with_redirect = link_token(
        client, products=[Products("transactions")], redirect_uri="https://app.test/cb"
    )
    cancelled = control.get("/link/open", params={"token": with_redirect, "cancel": "1"})
    assert cancelled.status_code == 302
    assert parse_qs(urlsplit(cancelled.headers["location"]).query)["error"] == ["user_exit"]
    assert control.get("/link/open", params={"token": "link-sandbox-nope"}).status_code == 400


def test_size_knob_serves_100k_transactions(client: plaid_api.PlaidApi, control: httpx.Client) -> None:
    token, item_id = new_item(client)
    configured = control.post(
        f"/_sandbox/plaid/items/{item_id}/configure", json={"transaction_count": 100_000, "history_days": 730}
    )
    configured.raise_for_status()
    assert configured.json()["item"]["transactions"] == 100_000
    assert configured.json()["generated_in_ms"] < 5000

    first = client.transactions_sync(TransactionsSyncRequest(access_token=token, count=500))
    assert len(first.added) == 500
    seen, cursor, has_more, started = 500, first.next_cursor, first.has_more, time.monotonic()
    oldest = min(t.date for t in first.added)
    auth = {"PLAID-CLIENT-ID": "c", "PLAID-SECRET": "s"}
    while has_more:  # raw JSON: plaid-python's model validation would dominate the timing
        page = control.post(
            "/transactions/sync", headers=auth, json={"access_token": token, "cursor": cursor, "count": 500}
        ).json()
        seen += len(page["added"])
        oldest = min(oldest, date.fromisoformat(min(t["date"] for t in page["added"])))
        cursor, has_more = page["next_cursor"], page["has_more"]
    assert seen == 100_000
    assert time.monotonic() - started < 30
    assert date.today() - timedelta(days=730) < oldest


def test_state_survives_a_restart(tmp_path: Path) -> None:
    env = {"SANDBOX_STATE_DIR": str(tmp_path)}
    proc, url = start_sandbox(env)
    try:
        httpx.post(f"{url}/_sandbox/plaid/config", json={"history_days": 60}).raise_for_status()
        client = make_client(url)
        token, _ = new_item(client, username="user_transactions_dynamic")
        client.transactions_refresh(TransactionsRefreshRequest(access_token=token))
        before, _, _ = sync(client, token)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert (tmp_path / "plaid.json").exists() and (tmp_path / "plaid-webhook-key.json").exists()
    proc, url = start_sandbox(env)
    try:
        after, _, _ = sync(make_client(url), token)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert {k: content(v) for k, v in after.items()} == {k: content(v) for k, v in before.items()}
