"""The connection pages: the Link flow through the real views, and no way into another's item."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.test import Client

from creditapp.tenancy.db import maintenance_access, tenant_context
from finance.banking import plaid
from finance.models import Account, PlaidItem
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])


def test_connect_a_bank_through_link_and_the_callback(plaid_sandbox, enqueued) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory()
    client = Client()
    client.force_login(user)
    start = client.post("/app/connections/new/")
    assert start.status_code == 302 and "/link/open?token=link-sandbox-" in start["Location"]

    # The person picks a bank on the (sandbox) Link page; Link sends the browser back to us.
    with httpx.Client(timeout=10) as browser:
        page = browser.get(start["Location"])
        assert "Select your bank" in page.text
        token = parse_qs(urlsplit(start["Location"]).query)["token"][0]
        back = browser.post(
            str(page.url.copy_with(query=None)),
            data={
                "token": token,
                "institution_id": "ins_109509",
                "username": "user_good",
                "password": "pass_good",
            },
        )
    assert back.status_code == 302
    callback = urlsplit(back.headers["location"])
    assert callback.path == "/app/connections/callback/"

    form = client.get(f"{callback.path}?{callback.query}")
    assert form.status_code == 200 and 'name="public_token"' in form.content.decode()
    params = {k: v[0] for k, v in parse_qs(callback.query).items()}
    done = client.post(callback.path, params)
    assert done.status_code == 302 and done["Location"] == "/app/connections/"
    assert enqueued() == ["finance.plaid.refresh_liabilities", "finance.plaid.sync_item"]
    with tenant_context(user.pk):
        item = PlaidItem.objects.get()
        assert item.institution_name == "First Gingham Credit Union"
        assert Account.objects.filter(item=item).count() >= 2
    listing = client.get("/app/connections/").content.decode()
    assert "First Gingham Credit Union" in listing and "Sync queued" in listing


def test_a_replayed_callback_without_a_link_in_progress_does_nothing(plaid_sandbox) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory()
    client = Client()
    client.force_login(user)
    response = client.post("/app/connections/callback/", {"public_token": "public-sandbox-forged"})
    assert response.status_code == 302
    with tenant_context(user.pk):
        assert not PlaidItem.objects.exists()


def test_another_tenant_cannot_see_sync_relink_or_remove_an_item(link_item) -> None:  # type: ignore[no-untyped-def]
    alice, bob = UserFactory(), UserFactory()
    item = link_item(alice.pk)
    client = Client()
    client.force_login(bob)
    assert client.get(f"/app/connections/{item.pk}/").status_code == 404
    for action in ("sync", "relink", "remove"):
        assert client.post(f"/app/connections/{item.pk}/{action}/").status_code == 404, action
    assert item.institution_name not in client.get("/app/connections/").content.decode()
    with maintenance_access("test: the item survived"):
        assert PlaidItem.objects.filter(pk=item.pk).exists()

    owner = Client()
    owner.force_login(alice)
    assert owner.get(f"/app/connections/{item.pk}/").status_code == 200


def test_remove_revokes_at_plaid_and_deletes_the_data(link_item, plaid_sandbox) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory()
    item = link_item(user.pk)
    client = Client()
    client.force_login(user)
    assert client.post(f"/app/connections/{item.pk}/remove/").status_code == 302
    with tenant_context(user.pk):
        assert not PlaidItem.objects.exists() and not Account.objects.exists()
    assert plaid_sandbox.http.get(f"/_sandbox/plaid/items/{item.item_id}").status_code == 404


def test_sync_now_queues_once_per_cooldown(link_item, enqueued) -> None:  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    user = UserFactory()
    item = link_item(user.pk)
    app_queue_before = enqueued()
    assert len(app_queue_before) == 2  # linking queued the first sync and liabilities refresh
    cache.delete(f"sync-now:{item.pk}")
    client = Client()
    client.force_login(user)
    client.post(f"/app/connections/{item.pk}/sync/")
    client.post(f"/app/connections/{item.pk}/sync/")
    assert len(enqueued()) == 4  # one more sync + refresh, from the first click only


def test_a_lost_sync_stops_showing_and_sync_now_works_again(link_item, enqueued) -> None:  # type: ignore[no-untyped-def]
    """A worker that died mid-sync leaves the item "running": after PlaidItem.SYNC_STALE_AFTER the
    page stops polling and shows "Sync now" enabled again, instead of a spinner forever."""
    from datetime import timedelta

    from django.core.cache import cache
    from django.utils import timezone

    user = UserFactory()
    item = link_item(user.pk)
    client = Client()
    client.force_login(user)

    def card() -> str:
        return " ".join(client.get(f"/app/connections/{item.pk}/").content.decode().split())

    def left_running(ago: timedelta) -> None:
        with tenant_context(user.pk):
            PlaidItem.objects.filter(pk=item.pk).update(
                sync_state="running", sync_state_at=timezone.now() - ago
            )

    left_running(timedelta(minutes=1))  # a sync in progress
    assert "Syncing" in card() and "every 2s" in card() and "disabled>Sync now" in card()

    left_running(PlaidItem.SYNC_STALE_AFTER + timedelta(minutes=1))  # its worker died
    lost = card()
    assert "Syncing" not in lost and "every 2s" not in lost and "disabled>Sync now" not in lost
    assert "Not synced yet." in lost

    cache.delete(f"sync-now:{item.pk}")
    before = enqueued().count("finance.plaid.sync_item")
    assert (
        "Sync queued"
        in client.post(f"/app/connections/{item.pk}/sync/", HTTP_HX_REQUEST="true").content.decode()
    )
    assert enqueued().count("finance.plaid.sync_item") == before + 1


def _post_callback(client: Client, metadata: str) -> Any:
    session = client.session
    session["plaid_link"] = {"mode": "new"}
    session.save()
    public_token = plaid.sandbox_public_token("ins_109508")
    return client.post("/app/connections/callback/", {"public_token": public_token, "metadata": metadata})


@pytest.mark.parametrize(
    "metadata",
    [
        "[1]",
        '"str"',
        "null",
        "1e999",
        "{",
        "[" * 100_000 + "]" * 100_000,
        '{"institution": "str"}',
        '{"institution": []}',
        '{"institution": {"name": [], "institution_id": {}}}',
        '{"institution": {"name": "Bank", "institution_id": 5}}',
        '{"institution": {"name": "a\\u0000b", "institution_id": "ins_1"}}',
        json.dumps({"institution": {"name": "x" * 201, "institution_id": "ins_1"}}),
    ],
)
def test_link_metadata_of_the_wrong_shape_is_a_400_and_links_nothing(plaid_sandbox, metadata: str) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory()
    client = Client()
    client.force_login(user)
    response = _post_callback(client, metadata)
    assert response.status_code == 400
    assert "connection details from Plaid Link" in response.content.decode()
    assert client.session.get("plaid_link") == {"mode": "new"}  # the person can still finish this link
    with tenant_context(user.pk):
        assert not PlaidItem.objects.exists()


@pytest.mark.parametrize(
    ("metadata", "institution_name"),
    [
        ("", "First Platypus Bank"),  # none given: the item's own, from Plaid
        ('{"institution": null, "accounts": []}', "First Platypus Bank"),
        ('{"institution": {"name": "My Bank", "institution_id": "ins_109508"}}', "My Bank"),
    ],
)
def test_link_metadata_of_links_shape_is_used(
    plaid_sandbox, enqueued, metadata: str, institution_name: str
) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory()
    client = Client()
    client.force_login(user)
    assert _post_callback(client, metadata).status_code == 302
    with tenant_context(user.pk):
        assert PlaidItem.objects.get().institution_name == institution_name
