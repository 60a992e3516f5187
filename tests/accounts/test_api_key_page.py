"""The API keys page: a new key's scope (read only unless asked) and expiry (never unless asked), refused
input shown as form errors with nothing created, and each key's scope, expiry, last use and address in
the list, in the person's time zone and the app's date format."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from accounts.api_keys import MAX_KEYS_PER_OWNER, api_key_create, api_key_revoke
from accounts.models import ApiKey
from creditapp.core.localtime import local_today
from creditapp.tenancy.db import tenant_context
from tests.billing.conftest import make_user, put_on_plan, signed_in
from tests.finance import builders as b

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])

PAGE, NEW = "/accounts/api-keys/", "/accounts/api-keys/new/"
TOKEN = re.compile(r"ck_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")
LOS_ANGELES = "America/Los_Angeles"


def pro_user(tz: str = "UTC") -> Any:
    user = make_user(joined_days_ago=30)
    user.timezone = tz
    user.save(update_fields=["timezone"])
    put_on_plan(user, "pro")
    return user


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def rows(page: str) -> dict[str, str]:
    """The keys table: each row's text by the key's name (its first cell)."""
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S):
        cells = re.findall(r"<td>(.*?)</td>", row, flags=re.S)
        if cells:
            found[text_of(cells[0]).split(" ck_")[0]] = text_of(row)
    return found


def only_key(user: Any) -> ApiKey:
    (key,) = ApiKey.objects.filter(owner=user)
    return key


def test_the_form_offers_scope_and_expiry_read_only_and_never_by_default() -> None:
    page = signed_in(pro_user()).get(PAGE).content.decode()
    assert re.search(r'<input type="radio" name="scope" value="read" id="id_scope_0" checked', page)
    assert re.search(r'<input type="radio" name="scope" value="read_write" id="id_scope_1" aria', page)
    assert "<legend>Access</legend>" in page
    assert re.search(r'<option value="never" selected>Never</option>', page)
    for days in (30, 90, 365):
        assert f'<option value="{days}">In {days} days</option>' in page
    assert '<option value="date">On a date</option>' in page
    assert re.search(r'<input type="date" name="expires_on"[^>]*min="\d{4}-\d\d-\d\d"', page)


def test_a_key_made_with_only_a_name_reads_and_never_expires() -> None:
    user = pro_user()
    created = signed_in(user).post(NEW, {"name": "spreadsheet"})
    assert created.status_code == 200
    key = only_key(user)
    assert (key.scope, key.expires_at) == (ApiKey.Scope.READ, None)
    shown = text_of(created.content.decode())
    assert "Access: Read only" in shown and "Expires: Never (it works until you revoke it)" in shown


def test_a_read_and_write_key_for_90_days() -> None:
    user = pro_user(LOS_ANGELES)
    before = timezone.now()
    created = signed_in(user).post(NEW, {"name": "budget app", "scope": "read_write", "expires": "90"})
    after = timezone.now()
    assert created.status_code == 200 and created["Cache-Control"] == "no-store"
    key = only_key(user)
    assert key.scope == ApiKey.Scope.READ_WRITE and key.expires_at is not None
    assert before + timedelta(days=90) <= key.expires_at <= after + timedelta(days=90)
    expires_on = key.expires_at.astimezone(ZoneInfo(LOS_ANGELES))
    shown = text_of(created.content.decode())
    assert "Access: Read and write It can read and change your data." in shown
    assert f"Expires: {expires_on:%b} {expires_on.day}, {expires_on.year}" in shown


def test_a_key_expiring_on_a_date_stops_as_that_day_begins_where_the_person_is() -> None:
    user = pro_user(LOS_ANGELES)
    day = local_today(LOS_ANGELES) + timedelta(days=10)
    created = signed_in(user).post(
        NEW, {"name": "tax export", "expires": "date", "expires_on": day.isoformat()}
    )
    assert created.status_code == 200
    key = only_key(user)
    assert key.expires_at == datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(LOS_ANGELES))
    assert key.scope == ApiKey.Scope.READ
    assert f"Expires: {day:%b} {day.day}, {day.year}" in text_of(created.content.decode())


def test_the_chosen_scope_is_what_the_api_allows() -> None:
    user = pro_user()
    with tenant_context(user.pk):
        account = b.account(user.pk, name="Checking")
    client = signed_in(user)
    tokens = {}
    for scope in ("read", "read_write"):
        created = client.post(NEW, {"name": scope, "scope": scope}).content.decode()
        match = TOKEN.search(created)
        assert match
        tokens[scope] = match.group(0)

    def rename(token: str) -> Any:
        return Client().patch(
            f"/api/v1/accounts/{account.pk}/", {"custom_name": "Bills"}, content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )  # fmt: skip

    refused = rename(tokens["read"])
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_scope"
    assert rename(tokens["read_write"]).status_code == 200


def _tomorrow() -> str:
    return (local_today("UTC") + timedelta(days=1)).isoformat()


BAD_INPUT = [
    ({"name": ""}, "name", "This field is required."),
    ({"name": "x" * 101}, "name", "Ensure this value has at most 100 characters (it has 101)."),
    (
        {"name": "cli", "scope": "admin"},
        "scope",
        "Select a valid choice. admin is not one of the available choices.",
    ),
    (
        {"name": "cli", "expires": "45"},
        "expires",
        "Select a valid choice. 45 is not one of the available choices.",
    ),
    ({"name": "cli", "expires": "date"}, "expires_on", "Choose the day the key stops working."),
    ({"name": "cli", "expires": "date", "expires_on": "2026-02-30"}, "expires_on", "Enter a valid date."),
    (
        {"name": "cli", "expires": "date", "expires_on": "yesterday"},
        "expires_on",
        "Choose a day after today.",
    ),
    ({"name": "cli", "expires": "date", "expires_on": "today"}, "expires_on", "Choose a day after today."),
    (
        {"name": "cli", "expires": "never", "expires_on": "tomorrow"},
        "expires_on",
        "To use this date, choose “On a date” under Expires (or clear the date).",
    ),
]


@pytest.mark.parametrize(
    ("form", "field", "message"), BAD_INPUT, ids=[f"{f}-{m[:24]}" for _, f, m in BAD_INPUT]
)
def test_bad_input_is_a_form_error_and_creates_nothing(
    form: dict[str, str], field: str, message: str
) -> None:
    user = pro_user()
    today = local_today("UTC")
    days = {"yesterday": today - timedelta(days=1), "today": today, "tomorrow": today + timedelta(days=1)}
    if form.get("expires_on") in days:
        form = {**form, "expires_on": days[form["expires_on"]].isoformat()}
    response = signed_in(user).post(NEW, form)
    assert response.status_code == 400
    page = response.content.decode()
    errors = re.search(rf'<ul class="errorlist" id="id_{field}_error"><li>(.*?)</li>', page)
    assert errors and html.unescape(errors.group(1)) == message
    assert not ApiKey.objects.filter(owner=user).exists()
    assert TOKEN.search(page) is None
    if field != "name":  # what was typed stays in the form
        assert f'value="{html.escape(form["name"])}"' in page


def test_too_many_keys_is_a_form_error() -> None:
    user = pro_user()
    for n in range(MAX_KEYS_PER_OWNER):
        api_key_create(owner_id=user.pk, name=f"key {n}")
    response = signed_in(user).post(NEW, {"name": "one more"})
    assert response.status_code == 400
    assert f"You can have at most {MAX_KEYS_PER_OWNER} active keys; revoke one first." in text_of(
        response.content.decode()
    )
    assert ApiKey.objects.filter(owner=user).count() == MAX_KEYS_PER_OWNER


def test_the_list_shows_each_keys_scope_expiry_and_last_use_in_the_persons_time_zone() -> None:
    user = pro_user(LOS_ANGELES)
    now = timezone.now()
    reader = api_key_create(owner_id=user.pk, name="spreadsheet").key
    writer = api_key_create(
        owner_id=user.pk, name="budget app", scope=ApiKey.Scope.READ_WRITE,
        expires_at=datetime(2099, 7, 4, 6, 30, tzinfo=UTC),  # Jul 3 where the person is
    ).key  # fmt: skip
    expired = api_key_create(owner_id=user.pk, name="old export", expires_at=now - timedelta(days=2)).key
    revoked = api_key_create(owner_id=user.pk, name="laptop").key
    api_key_revoke(owner_id=user.pk, key_pk=revoked.pk)
    ApiKey.objects.filter(pk=writer.pk).update(
        last_used_at=datetime(2026, 3, 5, 3, 30, tzinfo=UTC), last_used_ip="203.0.113.9"
    )
    ApiKey.objects.filter(pk=revoked.pk).update(last_used_at=datetime(2026, 1, 2, 20, 0, tzinfo=UTC))

    listed = rows(signed_in(user).get(PAGE).content.decode())
    created_on = reader.created_at.astimezone(ZoneInfo(LOS_ANGELES)).date()
    created = f"{created_on:%b} {created_on.day}, {created_on.year}"
    expired_at = expired.expires_at.astimezone(ZoneInfo(LOS_ANGELES))  # type: ignore[union-attr]
    expired_on = f"{expired_at:%b} {expired_at.day}, {expired_at.year}"
    assert listed["spreadsheet"] == f"spreadsheet ck_{reader.prefix}_… Read only Never Never {created} Revoke"
    assert listed["budget app"] == (
        f"budget app ck_{writer.prefix}_… Read and write Jul 3, 2099 Mar 4, 2026, 7:30 p.m. from 203.0.113.9 "
        f"{created} Revoke"
    )
    assert listed["old export"] == (
        f"old export ck_{expired.prefix}_… Read only Expired {expired_on} Never {created} Revoke"
    )
    assert (
        listed["laptop"]
        == f"laptop ck_{revoked.prefix}_… Read only Never Jan 2, 2026, 12:00 p.m. {created} Revoked"
    )


def test_a_key_expiring_on_a_date_works_until_that_day() -> None:
    """The expiry chosen on the page is the one the API enforces."""
    user = pro_user()
    client = signed_in(user)
    created = client.post(NEW, {"name": "cli", "expires": "date", "expires_on": _tomorrow()}).content.decode()
    match = TOKEN.search(created)
    assert match
    headers = {"HTTP_AUTHORIZATION": f"Bearer {match.group(0)}"}
    assert Client().get("/api/v1/me/", **headers).status_code == 200
    ApiKey.objects.filter(owner=user).update(expires_at=timezone.now() - timedelta(seconds=1))  # the day came
    refused = Client().get("/api/v1/me/", **headers)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "api_key_expired"
    assert "Expired" in rows(client.get(PAGE).content.decode())["cli"]
