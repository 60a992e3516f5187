"""The doors of every /api/v1/ operation, from the OpenAPI schema (so a new endpoint is covered the day
it appears): no key, a bad, revoked or expired key → 401; a read-only key on a write → 403; a plan
without API access → 402; another person's ids → 404 exactly as ids that exist for nobody; a session
cookie sent with someone else's key never reads as the cookie's owner. Every refusal is in the one error
shape, with a status and code the operation's schema documents.

The people and their rows are made once for the module and committed (outside any test's transaction,
as transactional tests make theirs), then flushed as the owner at the end; each test's requests are
rolled back after it. No test here changes them anyway: every write it sends is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from accounts.api_keys import api_key_create, api_key_revoke
from accounts.models import ApiKey
from creditapp.core import crypto
from creditapp.tenancy.db import tenant_context
from finance.models import CreditReport, CreditScore, TransactionRule
from notifications.models import Alert
from notifications.webhooks import webhook_endpoint_create
from tests.accounts.factories import UserFactory
from tests.billing.conftest import put_on_plan
from tests.conftest import owner_connection
from tests.finance import builders as b
from tests.finance.factories import ItemFactory

pytestmark = pytest.mark.django_db(databases=["default", "maint"])

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
NOBODYS_ID = 999_999_999  # no row of any kind has it
UNLIMITED = "1000000/day"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # the schema's template: /api/v1/accounts/{id}/
    operation_id: str
    responses: dict[str, Any] = field(hash=False, compare=False)

    @property
    def writes(self) -> bool:
        return self.method in WRITE_METHODS

    @property
    def has_parameters(self) -> bool:
        return "{" in self.path

    def documented_codes(self, status: int) -> set[str] | None:
        """The error codes the schema's examples give for `status` (None when it shows none)."""
        content = self.responses[str(status)].get("content", {}).get("application/json", {})
        examples = content.get("examples", {}).values()
        codes = {example["value"]["error"]["code"] for example in examples if "error" in example["value"]}
        return codes or None


def _operations() -> list[Operation]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        Operation(method.upper(), path, spec["operationId"], spec["responses"])
        for path, methods in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method, spec in methods.items()
        if method.upper() in ("GET", *WRITE_METHODS)
    ]


OPERATIONS = _operations()
BY_PATH = {(op.method, op.path): op for op in OPERATIONS}
WRITES = [op for op in OPERATIONS if op.writes]
READS = [op for op in OPERATIONS if not op.writes]
WITH_IDS = [op for op in OPERATIONS if op.has_parameters]


def _param(operations: list[Operation]) -> list[Any]:
    return [pytest.param(op, id=op.operation_id) for op in operations]


# --- the people -------------------------------------------------------------------------------------------
def _person(marker: str, *, plan: str | None, joined_days_ago: int = 30) -> Any:
    user = UserFactory(email=f"{marker}@example.com", full_name=f"{marker.title()} Example")
    user.date_joined = timezone.now() - timedelta(days=joined_days_ago)
    user.save(update_fields=["date_joined"])
    if plan:
        put_on_plan(user, plan)
    return user


def _rows_of_every_kind(user: Any, marker: str) -> None:
    """A bank connection with a checking account and a card (with its liability), transactions, a rule,
    an alert, a credit report with its score and a webhook endpoint: one row of each kind the API serves."""
    today = date.today()
    with tenant_context(user.pk):
        item = ItemFactory(
            user=user, institution_name=f"{marker} bank", access_token_encrypted=crypto.encrypt("access-none")
        )
        checking = b.account(user.pk, item=item, name=f"{marker} checking")
        card = b.account(
            user.pk,
            type="credit",
            item=item,
            name=f"{marker} card",
            credit_limit_minor=100_000,
            balance=30_000,
        )
        b.liability(
            user.pk, card, minimum_payment_minor=2_500, next_payment_due_date=today + timedelta(days=9)
        )
        for n in range(2):
            b.txn(user.pk, checking, amount=450 + n, day=today - timedelta(days=n), merchant=f"{marker} cafe")
        TransactionRule.objects.create(
            user_id=user.pk, match_key=f"{marker} cafe", label=f"{marker} cafe",
            category_primary="FOOD_AND_DRINK", category_detailed="FOOD_AND_DRINK_COFFEE",
        )  # fmt: skip
        Alert.objects.create(
            user_id=user.pk, kind=Alert.Kind.PAYMENT_DUE, title=f"{marker} card is due",
            link="/app/accounts/", dedupe_key=f"due:{marker}",
        )  # fmt: skip
        report = CreditReport.objects.create(
            user_id=user.pk, pulled_on=today, trigger="scheduled", raw_encrypted="-"
        )
        CreditScore.objects.create(
            user_id=user.pk, report=report, model="V4", model_name="VantageScore 4.0", value=702, date=today
        )
        # A literal public address: registering it resolves nothing, and nothing is ever delivered.
        webhook_endpoint_create(
            user_id=user.pk, url=f"https://93.184.215.14/{marker}", events=["alert.created"]
        )


@dataclass
class World:
    tokens: dict[str, str]  # "alice", "alice_writer", "alice_revoked", "alice_expired", "bob", …
    users: dict[str, Any]
    _first_ids: dict[tuple[str, str], int | None] = field(default_factory=dict)

    def first_id(self, who: str, collection: str) -> int | None:
        """The id of `who`'s first row in a list, read through the API with their own key."""
        if (who, collection) not in self._first_ids:
            first = None
            if ("GET", _template_of(collection)) in BY_PATH:
                response = send("GET", collection, authorization=f"Bearer {self.tokens[who]}")
                results = response.json().get("results") if response.status_code == 200 else None
                first = results[0]["id"] if results else None
            self._first_ids[who, collection] = first
        return self._first_ids[who, collection]

    def path_of(self, op: Operation, who: str) -> str | None:
        """The operation's path with `who`'s own ids (None when they have no row of a kind it names)."""
        filled = ""
        for part in re.split(r"(\{[^}]+\})", op.path):
            if part.startswith("{"):
                row = self.first_id(who, filled)
                if row is None:
                    return None
                filled += str(row)
            else:
                filled += part
        return filled


def _template_of(filled: str) -> str:
    """/api/v1/webhooks/12/deliveries/ → /api/v1/webhooks/{id}/deliveries/ (the schema's names)."""
    for _, template in BY_PATH:
        pattern = re.sub(r"\\\{[^}]+\\\}", r"[^/]+", re.escape(template))
        if re.fullmatch(pattern, filled):
            return template
    return filled


def nobodys_path(op: Operation) -> str:
    return re.sub(r"\{[^}]+\}", str(NOBODYS_ID), op.path)


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    with django_db_blocker.unblock():
        users = {
            "alice": _person("alice", plan="pro"),
            "bob": _person("bob", plan="pro"),
            "basic": _person("carol", plan="basic"),
            "trial": _person("dave", plan=None, joined_days_ago=0),
            "expired trial": _person("erin", plan=None),
        }
        _rows_of_every_kind(users["alice"], "alice")
        _rows_of_every_kind(users["bob"], "bob")

        def token(who: str, scope: str = ApiKey.Scope.READ, **options: Any) -> str:
            return api_key_create(owner_id=users[who].pk, name="script", scope=scope, **options).token

        revoked = api_key_create(owner_id=users["alice"].pk, name="old")
        api_key_revoke(owner_id=users["alice"].pk, key_pk=revoked.key.pk)
        tokens = {
            "alice": token("alice"),
            "alice_writer": token("alice", ApiKey.Scope.READ_WRITE),
            "alice_revoked": revoked.token,
            "alice_expired": token(
                "alice", ApiKey.Scope.READ_WRITE, expires_at=timezone.now() - timedelta(minutes=1)
            ),
            "bob": token("bob"),
            "bob_writer": token("bob", ApiKey.Scope.READ_WRITE),
            **{who: token(who, ApiKey.Scope.READ_WRITE) for who in ("basic", "trial", "expired trial")},
        }
    yield World(tokens=tokens, users=users)
    with django_db_blocker.unblock():
        connections["maint"].close()
        with owner_connection():
            call_command("flush", interactive=False, verbosity=0, database="default")


@pytest.fixture(autouse=True)
def no_rate_limits(settings: Any) -> None:
    """Rate limits have their own tests (test_plumbing); here they would only cut the walk short."""
    kinds = {"read": UNLIMITED, "write": UNLIMITED, "sync": UNLIMITED}
    settings.API_RATE_LIMITS = {"default": kinds, "pro": kinds, "family": kinds, "anonymous": UNLIMITED}


# --- requests ---------------------------------------------------------------------------------------------
def send(method: str, path: str, *, authorization: str | None = None, client: Client | None = None) -> Any:
    client = client or Client(raise_request_exception=False)
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    if method in ("GET", "DELETE"):
        return getattr(client, method.lower())(path, **headers)
    return getattr(client, method.lower())(path, data="{}", content_type="application/json", **headers)


def call(op: Operation, path: str, token: str | None = None, **options: Any) -> Any:
    return send(op.method, path, authorization=f"Bearer {token}" if token else None, **options)


def own_path(world: World, op: Operation) -> str:
    """Alice's ids where she has rows of the kind; ids of nobody's where not (the doors come first)."""
    return world.path_of(op, "alice") or nobodys_path(op)


def refusal(op: Operation, response: Any, status: int) -> dict[str, Any]:
    """The response's error, checked: the status, the one error shape, and a status and code the
    operation's schema documents."""
    where = f"{op.method} {response.request['PATH_INFO']}"
    assert response.status_code == status, f"{where}: {response.status_code} {response.content[:300]!r}"
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, (where, body)
    error = body["error"]
    assert isinstance(error["code"], str) and error["code"], (where, body)
    assert isinstance(error["message"], str) and error["message"], (where, body)
    assert isinstance(error["details"], dict), (where, body)
    assert str(status) in op.responses, f"{where}: {status} is not in the operation's schema"
    documented = op.documented_codes(status)
    assert documented is None or error["code"] in documented, (where, error["code"], documented)
    return dict(error)


# --- the doors --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("op", _param(OPERATIONS))
def test_no_key_is_401(op: Operation, world: World) -> None:
    path = own_path(world, op)
    for authorization in (None, "Basic YWxpY2U6c2VjcmV0"):  # nothing, or a scheme that is not ours
        response = send(op.method, path, authorization=authorization)
        assert refusal(op, response, 401)["code"] == "unauthenticated"
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("op", _param(OPERATIONS))
def test_a_malformed_or_unknown_key_is_401(op: Operation, world: World) -> None:
    path = own_path(world, op)
    prefix, secret = world.tokens["alice_writer"].split("_", 2)[1:]
    wrong_secret = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    for authorization in (
        "Bearer",
        "Bearer two parts",
        "Bearer ck_nounderscore",
        "Bearer sk_live_abc",
        f"Bearer ck_{prefix}_{wrong_secret}",
        f"Bearer ck_000000000000_{secret}",
    ):
        response = send(op.method, path, authorization=authorization)
        assert refusal(op, response, 401)["code"] == "invalid_api_key", authorization
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("op", _param(OPERATIONS))
def test_a_revoked_key_is_401(op: Operation, world: World) -> None:
    response = call(op, own_path(world, op), world.tokens["alice_revoked"])
    assert refusal(op, response, 401)["code"] == "invalid_api_key"


@pytest.mark.parametrize("op", _param(OPERATIONS))
def test_an_expired_key_is_401(op: Operation, world: World) -> None:
    response = call(op, own_path(world, op), world.tokens["alice_expired"])
    assert refusal(op, response, 401)["code"] == "api_key_expired"


@pytest.mark.parametrize("op", _param(WRITES))
def test_a_read_only_key_may_not_write(op: Operation, world: World) -> None:
    response = call(op, own_path(world, op), world.tokens["alice"])
    assert refusal(op, response, 403)["code"] == "insufficient_scope"


@pytest.mark.parametrize("op", _param(READS))
def test_a_read_only_key_reads(op: Operation, world: World) -> None:
    path = world.path_of(op, "alice")
    assert path is not None, f"{op.path}: add a row of this kind to _rows_of_every_kind"
    response = call(op, path, world.tokens["alice"])
    assert response.status_code == 200, response.content[:300]


@pytest.mark.parametrize("op", _param(OPERATIONS))
def test_a_plan_without_api_access_is_402(op: Operation, world: World) -> None:
    for who in ("basic", "trial", "expired trial"):
        error = refusal(op, call(op, own_path(world, op), world.tokens[who]), 402)
        assert error["code"] == "upgrade_required", who
        assert error["details"]["feature"] == "api_access" and error["details"]["upgrade_url"], who


# --- tenancy ----------------------------------------------------------------------------------------------
def _nearest_read(op: Operation) -> Operation | None:
    """The closest readable resource at or above the operation's path."""
    template = op.path
    while template.startswith("/api/v1/"):
        if ("GET", template) in BY_PATH:
            return BY_PATH["GET", template]
        template = template.rstrip("/").rsplit("/", 1)[0] + "/"
    return None


@pytest.mark.parametrize("op", _param(WITH_IDS))
def test_another_persons_ids_are_404_exactly_like_nobodys(op: Operation, world: World) -> None:
    bobs = world.path_of(op, "bob")
    assert bobs is not None, f"{op.path}: add a row of this kind to _rows_of_every_kind"
    token = world.tokens["alice_writer" if op.writes else "alice"]
    read = _nearest_read(op)
    bobs_view = world.path_of(read, "bob") if read else None

    def seen_by_bob() -> tuple[int, Any]:
        assert read is not None and bobs_view is not None
        response = call(read, bobs_view, world.tokens["bob"])
        return response.status_code, response.json()

    before = seen_by_bob() if bobs_view else None
    theirs = call(op, bobs, token)
    nobodys = call(op, nobodys_path(op), token)
    assert refusal(op, theirs, 404) == refusal(op, nobodys, 404)
    assert (
        theirs.json()
        == nobodys.json()
        == {"error": {"code": "not_found", "message": "Not found.", "details": {}}}
    )
    if before is not None:  # and nothing of Bob's changed
        assert seen_by_bob() == before


@pytest.mark.parametrize("op", _param(READS))
def test_a_session_cookie_never_reads_as_its_owner_beside_a_key(op: Operation, world: World) -> None:
    """Alice is signed in (her cookie goes along) while a script uses Bob's key: the answer is Bob's."""
    alices_browser = Client(raise_request_exception=False)
    alices_browser.force_login(world.users["alice"])
    bobs = world.path_of(op, "bob")
    assert bobs is not None, f"{op.path}: add a row of this kind to _rows_of_every_kind"

    with_cookie = call(op, bobs, world.tokens["bob"], client=alices_browser)
    key_only = call(op, bobs, world.tokens["bob"])
    assert with_cookie.status_code == key_only.status_code == 200, with_cookie.content[:300]
    assert with_cookie.json() == key_only.json()
    assert "alice" not in with_cookie.content.decode().lower()
    if op.has_parameters:  # and Alice's own ids are not found for Bob's key
        alices = world.path_of(op, "alice")
        assert alices is not None
        refusal(op, call(op, alices, world.tokens["bob"], client=alices_browser), 404)


def test_the_walk_covers_the_api() -> None:
    """The schema lists the API's operations (a schema that lost them would make every test above vacuous)."""
    paths = {op.path for op in OPERATIONS}
    assert {"/api/v1/accounts/", "/api/v1/accounts/{id}/", "/api/v1/transactions/", "/api/v1/me/"} <= paths
    assert WRITES and WITH_IDS and len(OPERATIONS) >= 20
