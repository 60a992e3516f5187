"""Personal API keys: made on their page (the token shown once), checked by the API on every
request (revoked, wrong secret, malformed, or an owner without API access: refused)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from accounts.api_keys import LAST_USED_RESOLUTION, api_key_check, api_key_create
from accounts.models import ApiKey, AuditEntry
from billing.models import Subscription
from creditapp.tenancy.db import tenant_context
from tests.billing.conftest import make_user, put_on_plan, signed_in
from tests.finance.factories import AccountFactory

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "maint"]),
    pytest.mark.urls("tests.billing.urls"),  # + accounts.urls, until the project includes it
]

TOKEN = re.compile(r"ck_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


def pro_user() -> Any:
    user = make_user(joined_days_ago=30)
    put_on_plan(user, "pro")
    return user


def api(token: str | None, url: str = "/api/v1/accounts/") -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    return Client().get(url, **headers)


def test_create_a_key_on_its_page_and_see_the_token_once() -> None:
    user = pro_user()
    client = signed_in(user)
    assert client.get("/accounts/api-keys/").status_code == 200
    created = client.post("/accounts/api-keys/new/", {"name": "budget spreadsheet"})
    assert created.status_code == 200 and created["Cache-Control"] == "no-store"
    match = TOKEN.search(created.content.decode())
    assert match, "the token is shown"
    token = match.group(0)
    key = ApiKey.objects.get(owner=user)
    assert key.name == "budget spreadsheet" and token.startswith(f"ck_{key.prefix}_")
    assert token.split("_", 2)[2] not in {key.secret_sha256, key.prefix}  # only a hash is kept
    listing = client.get("/accounts/api-keys/").content.decode()
    assert f"ck_{key.prefix}_" in listing and token not in listing  # never shown again
    assert client.post("/accounts/api-keys/new/", {"name": ""}).status_code == 400
    with tenant_context(user.pk):
        assert AuditEntry.objects.filter(user=user, action="api_key.created").count() == 1


def test_a_valid_key_authenticates_and_records_its_use() -> None:
    user = pro_user()
    with tenant_context(user.pk):
        AccountFactory(user=user, name="Everyday checking")
    new = api_key_create(owner_id=user.pk, name="cli")
    response = api(new.token)
    assert response.status_code == 200
    assert [a["name"] for a in response.json()["results"]] == ["Everyday checking"]
    new.key.refresh_from_db()
    assert new.key.last_used_at is not None


def test_use_is_recorded_at_most_once_a_minute() -> None:
    """The first request of each minute writes when and from where; the rest of the minute writes
    nothing, even from another address."""
    user = pro_user()
    new = api_key_create(owner_id=user.pk, name="cli")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {new.token}"}
    assert Client().get("/api/v1/me/", **headers).status_code == 200
    new.key.refresh_from_db()
    first_use, first_address = new.key.last_used_at, new.key.last_used_ip
    assert first_use is not None and first_address == "127.0.0.1"

    assert Client().get("/api/v1/me/", REMOTE_ADDR="203.0.113.9", **headers).status_code == 200
    new.key.refresh_from_db()
    assert (new.key.last_used_at, new.key.last_used_ip) == (first_use, first_address)

    a_minute_ago = first_use - LAST_USED_RESOLUTION
    ApiKey.objects.filter(pk=new.key.pk).update(last_used_at=a_minute_ago)
    assert Client().get("/api/v1/me/", REMOTE_ADDR="203.0.113.9", **headers).status_code == 200
    new.key.refresh_from_db()
    assert new.key.last_used_at is not None and new.key.last_used_at > first_use
    assert new.key.last_used_ip == "203.0.113.9"


@pytest.mark.parametrize(
    "case",
    ["revoked", "wrong secret", "unknown prefix", "malformed", "other scheme", "no header", "inactive owner"],
)
def test_bad_keys_are_refused(case: str) -> None:
    user = pro_user()
    new = api_key_create(owner_id=user.pk, name="cli")
    prefix, secret = new.token.split("_", 2)[1:]
    token: str | None = {
        "revoked": new.token,
        "wrong secret": f"ck_{prefix}_{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}",
        "unknown prefix": f"ck_000000000000_{secret}",
        "malformed": "ck_nounderscore",
        "other scheme": f"sk_{prefix}_{secret}",
        "no header": None,
        "inactive owner": new.token,
    }[case]
    if case == "revoked":
        assert signed_in(user).post(f"/accounts/api-keys/{new.key.pk}/revoke/").status_code == 302
    if case == "inactive owner":
        user.is_active = False
        user.save(update_fields=["is_active"])
    response = api(token)
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_constant_time_check_rejects_without_touching_the_row() -> None:
    user = pro_user()
    new = api_key_create(owner_id=user.pk, name="cli")
    assert api_key_check(new.token) == new.key
    assert api_key_check(new.token + "x") is None
    assert api_key_check("") is None and api_key_check("ck__") is None


@pytest.mark.parametrize("plan", ["trial", "basic", "expired"])
def test_keys_of_people_without_api_access_are_refused(plan: str) -> None:
    user = make_user() if plan == "trial" else make_user(joined_days_ago=30)
    if plan == "basic":
        put_on_plan(user, "basic")
    new = api_key_create(owner_id=user.pk, name="old key")
    response = api(new.token)
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "upgrade_required"


def test_keys_stop_when_pro_ends_and_work_again_on_resubscribing() -> None:
    user = pro_user()
    new = api_key_create(owner_id=user.pk, name="cli")
    assert api(new.token).status_code == 200
    with tenant_context(user.pk):
        Subscription.objects.filter(user=user).update(status="canceled")
    assert api(new.token).status_code == 402
    listing = signed_in(user).get("/accounts/api-keys/").content.decode()
    assert "Existing keys stop working until you upgrade" in listing  # and may still be revoked
    put_on_plan(user, "family")
    assert api(new.token).status_code == 200


def test_someone_elses_key_cannot_be_revoked() -> None:
    alice, bob = pro_user(), pro_user()
    key = api_key_create(owner_id=alice.pk, name="alice's").key
    assert signed_in(bob).post(f"/accounts/api-keys/{key.pk}/revoke/").status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None
    assert "alice&#x27;s" not in signed_in(bob).get("/accounts/api-keys/").content.decode()


def test_the_key_table_is_outside_rls_and_names_no_user_id() -> None:
    """Looked up by prefix before anyone is known, so deliberately not tenant-scoped (see the report):
    its owner column is owner_id, which the RLS audit (user_id tables) does not pick up."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'accounts_apikey'"
        )
        columns = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT relrowsecurity FROM pg_class WHERE oid = 'accounts_apikey'::regclass")
        (rls,) = cursor.fetchone()
    assert "owner_id" in columns and "user_id" not in columns and not rls
    assert "secret_sha256" in columns and not {"secret", "token"} & columns
