"""A regression net: no request, however malformed, makes a server error.

Every URL pattern in the project's URLconf is resolved from `get_resolver()`, its path converters filled
with plausible values (the signed-in person's own rows, another person's) and junk, and sent GET and POST
with junk query strings, form bodies, JSON bodies and uploads, by someone signed in who has data of
every kind. Every answer must be below 500. A failure names the request and the exception behind it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils.regex_helper import normalize

from accounts.api_keys import api_key_create
from creditapp.core import crypto
from creditapp.tenancy.db import tenant_context
from finance.imports.services import Destination, import_job_create
from finance.models import CreditReport, CreditScore, ImportJob, TransactionRule
from notifications.models import Alert
from tests.accounts.factories import UserFactory
from tests.billing.conftest import put_on_plan
from tests.conftest import owner_connection
from tests.finance import builders as b
from tests.finance.credit_helpers import consent
from tests.finance.factories import ItemFactory

pytestmark = pytest.mark.django_db(databases=["default", "maint"])

# --- what is sent -----------------------------------------------------------------------------------------
# Every name a view, form or serializer reads from a query string or a body; each request sets them all.
PARAMETERS = (
    "q", "start", "end", "account", "category", "min", "max", "flow", "pending", "sort", "after",
    "cursor", "page_size", "page", "date_from", "date_to", "next", "was", "cancel", "similar", "open",
    "action", "public_token", "metadata", "error", "session_id", "checkout", "poll", "plan", "interval",
    "new_name", "new_kind", "encoding", "delimiter", "date_column", "description_column",
    "amount_column", "debit_column", "credit_column", "date_format", "decimal", "sign", "full_name",
    "timezone", "currency", "first_name", "last_name", "date_of_birth", "ssn", "line1", "line2", "city",
    "state", "zip_code", "consent", "consent_version", "name", "email", "login", "password", "password1",
    "password2", "oldpassword", "remember", "code", "o", "e", "p", "format",
)  # fmt: skip
NASTY = (
    "",
    "x" * 20_000,
    "\x00",
    "a\x00b",
    "Ωμέγα 🙂 \u202e\ufeff",
    "-1",
    "0",
    "-99999999999999999999999",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "1.5",
    "null",
    "[1]",
    '"str"',
    '{"institution": "str"}',
    '{"institution": {"name": [], "institution_id": {}}}',
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "2026-02-30",
    "foo",
    "cD14",  # base64 of "p=x": a well-formed cursor whose position is not a date
)
RAW_QUERIES = ("%ff%fe=%00", "a=%E0%A4%A&&&=&", "cursor=%%%", "after=" + "9" * 5000 + "_1")
JSON_BODIES = (
    "null", "[]", "[1]", '"str"', "{}", '{"data": null, "type": 1}', "1e999999", "{" * 2,
    "[" * 100_000 + "]" * 100_000,
)  # fmt: skip
UPLOADS = (
    b"",
    b"\x00\x01\x02binary",
    b"PK\x03\x04zip",
    "Date,Description,Amount\n".encode("utf-16") + "\x00".encode("utf-16-le"),
    b"Date,Description,Amount\n2026-01-01," + b"x" * 140_000 + b",1\n",
)
# Values for path converters and regex groups that no real row has.
JUNK_PATH_VALUES = ("0", "99999999999999999999", "-1", "x", "%00", "%C3%BC%F0%9F%99%82", "..")

# URL name → which of the person's rows its id names (others get "1").
OWN_ROW = {
    "finance:connection-status": "item",
    "finance:connection-relink": "item",
    "finance:connection-sync": "item",
    "finance:connection-remove": "item",
    "finance:credit-report": "report",
    "notifications:alert-read": "alert",
    "notifications:alert-dismiss": "alert",
    "finance:account-detail": "account",
    "finance:transaction-category": "transaction",
    "finance:import-review": "import",
    "finance:import-status": "import",
    "finance:rule-delete": "rule",
    "accounts:api-key-revoke": "api_key",
    "api-v1:account-detail": "account",
    "api-v1:transaction-detail": "transaction",
}
PLAUSIBLE_VALUES = {"step": "profile", "app_label": "finance", "url": "nowhere/", "key": "abc"}

# Endpoints not walked, each with its reason. (None today: the webhooks are walked too, since an unsigned
# body of any shape must be refused with a 4xx before it is parsed.)
EXCLUDED: dict[str, str] = {}

# Known server errors in code this net does not own; each is asserted as it should be and marked, so it
# shows until it is fixed (strict: the mark must go when the fix lands).
KNOWN_FAILURES: dict[str, str] = {}


# --- the URL patterns -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Endpoint:
    route: str  # the full regex, as Django matches it
    name: str
    callback: Any

    @property
    def id(self) -> str:
        return self.name or self.route


def _walk(patterns: list[URLPattern | URLResolver], prefix: str = "", ns: str = "") -> Iterator[Endpoint]:
    for pattern in patterns:
        regex = pattern.pattern.regex.pattern.lstrip("^")
        if isinstance(pattern, URLResolver):
            inner = f"{ns}{pattern.namespace}:" if pattern.namespace else ns
            yield from _walk(pattern.url_patterns, prefix + regex.removesuffix("$"), inner)
        else:
            name = f"{ns}{pattern.name}" if pattern.name else ""
            yield Endpoint(prefix + regex, name, pattern.callback)


ENDPOINTS = list({e.route: e for e in _walk(get_resolver().url_patterns)}.values())


# --- someone with data ------------------------------------------------------------------------------------
CSV = b"Date,Description,Amount\n2026-03-01,Corner Cafe,-4.50\n2026-03-02,Payroll,2500.00\n"


def _person_with_data() -> dict[str, Any]:
    """A Pro subscriber with a bank connection, accounts, transactions, a rule, alerts, credit reports,
    a draft import and an API key; returns them by kind."""
    user = UserFactory()
    put_on_plan(user, "pro")
    consent(user.pk)
    today = date.today()
    with tenant_context(user.pk):
        item = ItemFactory(user=user, access_token_encrypted=crypto.encrypt("access-sandbox-not-linked"))
        checking = b.account(user.pk, item=item, name="Checking")
        card = b.account(user.pk, type="credit", name="Visa", credit_limit_minor=100_000, balance=30_000)
        b.liability(user.pk, card, next_payment_due_date=today + timedelta(days=3))
        transactions = [
            b.txn(user.pk, checking, amount=450 + n, day=today - timedelta(days=n), merchant=f"Shop {n}")
            for n in range(6)
        ]
        b.txn(user.pk, card, amount=-2_000, day=today, name="Refund", category="")
        rule = TransactionRule.objects.create(
            user_id=user.pk, match_key="shop 1", label="Shop 1",
            category_primary="FOOD_AND_DRINK", category_detailed="FOOD_AND_DRINK_COFFEE",
        )  # fmt: skip
        alert = Alert.objects.create(
            user_id=user.pk,
            kind="payment_due",
            title="Visa is due",
            link="/app/accounts/",
            dedupe_key="due:1",
        )
        report = CreditReport.objects.create(
            user_id=user.pk, pulled_on=today, trigger="scheduled", raw_encrypted="-"
        )
        CreditScore.objects.create(
            user_id=user.pk, report=report, model="V4", model_name="VantageScore 4.0", value=702, date=today
        )
    with tenant_context(user.pk):
        job = import_job_create(
            user_id=user.pk, filename="bank.csv", content=CSV, destination=Destination(new_name="Imported"),
            currency="USD",
        )  # fmt: skip
        ImportJob.objects.create(
            user_id=user.pk, filename="old.csv", content=CSV, size=len(CSV), status=ImportJob.Status.FAILED
        )
    key = api_key_create(owner_id=user.pk, name="cli")
    return {
        "user": user, "item": item, "account": card, "transaction": transactions[0], "rule": rule,
        "alert": alert, "report": report, "import": job, "api_key": key.key,
    }  # fmt: skip


@pytest.fixture(scope="module")
def people(django_db_setup: None, django_db_blocker: Any) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Made once for the module and committed (each test's requests are rolled back after it), then
    flushed as the owner, as transactional tests do."""
    with django_db_blocker.unblock():
        made = _person_with_data(), _person_with_data()
    yield made
    with django_db_blocker.unblock():
        connections["maint"].close()
        with owner_connection():
            call_command("flush", interactive=False, verbosity=0, database="default")


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    cache.clear()  # rate limits and cooldowns from earlier tests


# --- the walk ---------------------------------------------------------------------------------------------
def _fills(endpoint: Endpoint, me: dict[str, Any], other: dict[str, Any]) -> tuple[str, list[str]]:
    """The endpoint's path with plausible values, then with each kind of junk."""
    (template, params), *_ = normalize(endpoint.route)
    own = OWN_ROW.get(endpoint.name)

    def plausible(param: str) -> str:
        return str(me[own].pk) if own else PLAUSIBLE_VALUES.get(param, "1")

    def path(values: dict[str, str]) -> str:
        return "/" + template % values

    main = path({p: plausible(p) for p in params})
    junk = [path(dict.fromkeys(params, value)) for value in JUNK_PATH_VALUES] if params else []
    if own:
        junk.append(path({p: str(other[own].pk) for p in params}))  # another person's row: a 404
    return main, junk


def _resolves_to(path: str, endpoint: Endpoint) -> bool:
    try:
        return resolve(path.split("?")[0]).func == endpoint.callback
    except Resolver404:
        return False


def _requests(main: str, junk: list[str]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, path, client kwargs) for every request sent to one endpoint."""
    for value in NASTY:
        query = urlencode(dict.fromkeys(PARAMETERS, value))
        yield "get", f"{main}?{query}", {}
        yield "post", main, {"data": dict.fromkeys(PARAMETERS, value)}
    for raw in RAW_QUERIES:
        yield "get", f"{main}?{raw}", {}
    for body in JSON_BODIES:
        yield "post", main, {"data": body, "content_type": "application/json"}
    for content in UPLOADS:
        upload = SimpleUploadedFile("bank.csv", content, content_type="text/csv")
        yield (
            "post",
            main,
            {"data": {"file": upload, "account": "new", "new_name": "x", "new_kind": "checking"}},
        )
    for path in junk:
        yield "get", f"{path}?{urlencode(dict.fromkeys(PARAMETERS, 'x'))}", {}
        yield "post", path, {"data": {"q": "x"}}


def _describe(response: Any) -> str:
    error = getattr(response, "exc_info", None)
    if error:
        return f"{error[0].__name__}: {str(error[1])[:300]}"
    return response.content[:300].decode(errors="replace")


def _marked(endpoint: Endpoint) -> Any:
    if endpoint.id in KNOWN_FAILURES:
        return pytest.param(
            endpoint, id=endpoint.id, marks=pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[endpoint.id])
        )
    return pytest.param(endpoint, id=endpoint.id)


@pytest.mark.parametrize("endpoint", [_marked(e) for e in ENDPOINTS if e.id not in EXCLUDED])
def test_no_request_makes_a_server_error(
    endpoint: Endpoint, people: tuple[dict[str, Any], dict[str, Any]], sandbox_url: str
) -> None:
    me, other = people
    main, junk = _fills(endpoint, me, other)
    assert _resolves_to(main, endpoint), f"{main} should resolve to {endpoint.id}"
    junk = [path for path in junk if _resolves_to(path, endpoint)]
    client = Client(raise_request_exception=False)
    client.force_login(me["user"])
    failures = []
    for n, (method, path, kwargs) in enumerate(_requests(main, junk)):
        headers = {"HTTP_HX_REQUEST": "true"} if n % 2 else {}  # htmx and plain requests
        response = getattr(client, method)(path, **kwargs, **headers)
        if response.status_code >= 500:
            failures.append(f"{method.upper()} {path[:120]} → {response.status_code} {_describe(response)}")
    assert not failures, "\n".join(failures)


def test_every_endpoint_is_walked_or_excluded_by_name() -> None:
    names = {e.id for e in ENDPOINTS}
    assert set(EXCLUDED) <= names and set(KNOWN_FAILURES) <= names
    assert len(ENDPOINTS) > 100
