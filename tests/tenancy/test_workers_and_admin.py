from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEntry
from creditapp.tenancy.db import in_maintenance, maintenance_access, tenant_context
from creditapp.tenancy.tasks import visible_row_counts
from finance.models import Account
from tests.accounts.factories import UserFactory
from tests.finance.factories import AccountFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])


@pytest.fixture
def alice_and_bob():  # type: ignore[no-untyped-def]
    alice, bob = UserFactory.create(), UserFactory.create()
    with tenant_context(alice.pk):
        AccountFactory.create_batch(3, user=alice)
    with tenant_context(bob.pk):
        AccountFactory(user=bob, name="bob savings")
    with maintenance_access("test: prove the rows exist"):
        assert Account.objects.count() == 4
    return alice, bob


def test_a_real_worker_sees_only_the_tenant_of_its_task(alice_and_bob, celery_worker_process: None) -> None:  # type: ignore[no-untyped-def]
    alice, bob = alice_and_bob
    for_alice = visible_row_counts.delay(alice.pk)
    for_bob = visible_row_counts.delay(bob.pk)
    assert for_alice.get(timeout=60)["finance_account"] == 3
    assert for_bob.get(timeout=60)["finance_account"] == 1


def test_staff_in_the_admin_see_every_tenant_through_the_maint_role(alice_and_bob) -> None:  # type: ignore[no-untyped-def]
    _alice, _bob = alice_and_bob
    staff = UserFactory.create(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    with CaptureQueriesContext(connections["maint"]) as maint_queries:
        page = client.get("/admin/finance/account/")
    assert page.status_code == 200
    assert "bob savings" in page.content.decode()
    assert "4 accounts" in page.content.decode()
    assert any("finance_account" in q["sql"] for q in maint_queries.captured_queries)


def test_a_non_staff_user_cannot_use_the_admin(alice_and_bob) -> None:  # type: ignore[no-untyped-def]
    alice, _ = alice_and_bob
    client = Client()
    client.force_login(alice)
    with CaptureQueriesContext(connections["maint"]) as maint_queries:
        page = client.get("/admin/finance/account/")
    assert page.status_code == 302
    assert len(maint_queries) == 0


def test_every_finance_admin_page_opens_for_staff(alice_and_bob) -> None:  # type: ignore[no-untyped-def]
    from django.contrib import admin

    staff = UserFactory.create(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    models = [
        m
        for m in admin.site._registry
        if m._meta.app_label in ("finance", "notifications", "billing", "accounts")
    ]
    assert len(models) >= 8
    for model in models:
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert client.get(url).status_code == 200, url


def _browse(client: Client, url: str) -> None:
    """Open an admin page as a browser does: the page, then the admin's own scripts it loads."""
    page = client.get(url)
    assert page.status_code == 200, url
    for script in re.findall(r'<script src="(/admin/[^"]+)"', page.content.decode()):
        assert client.get(script).status_code == 200, script


def test_each_admin_page_staff_open_is_one_audit_entry_naming_what_was_seen(alice_and_bob) -> None:  # type: ignore[no-untyped-def]
    alice, _bob = alice_and_bob
    with maintenance_access("test: list the accounts"):
        accounts = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    staff = UserFactory.create(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)

    def changelist(model: str, **filters: str) -> tuple[str, dict[str, Any]]:
        app, name = model.split(".")
        query = "?" + "&".join(f"{k}={v}" for k, v in filters.items()) if filters else ""
        seen: dict[str, Any] = {
            "model": model,
            "view": "changelist",
            **({"filters": filters} if filters else {}),
        }
        return f"/admin/{app}/{name}/{query}", seen

    def page(model: str, view: str, pk: int) -> tuple[str, dict[str, Any]]:
        app, name = model.split(".")
        return f"/admin/{app}/{name}/{pk}/{view}/", {"model": model, "view": view, "object_id": str(pk)}

    views = [
        ("/admin/", {"view": "index"}),
        ("/admin/finance/", {"view": "app_list", "app_label": "finance"}),
        changelist("finance.account"),
        changelist("finance.account", type__exact="depository"),
        changelist("finance.account", q="bob"),
        *[page("finance.account", "change", pk) for pk in accounts],
        *[page("finance.account", "history", pk) for pk in accounts],
        page("accounts.user", "change", alice.pk),
        *[
            changelist(model)
            for model in (
                "finance.transaction", "finance.plaiditem", "finance.creditreport", "notifications.alert",
                "finance.importjob", "billing.subscription", "billing.billingcustomer",
                "billing.webhookevent", "accounts.user", "accounts.auditentry", "accounts.apikey",
            )
        ],
    ]  # fmt: skip
    assert len(views) == 25
    for url, _ in views:
        _browse(client, url)

    with maintenance_access("test: read the audit log"):
        entries = list(
            AuditEntry.objects.filter(action="maintenance_access", actor=staff)
            .order_by("pk")
            .values_list("details", flat=True)
        )
    assert len(entries) == 25
    for entry, (url, seen) in zip(entries, views, strict=True):
        assert {key: entry.get(key) for key in seen} == seen, url
    assert entries[5]["reason"] == f"admin GET finance.account change {accounts[0]}"
    assert entries[3]["reason"] == "admin GET finance.account changelist?type__exact=depository"


def test_a_maintenance_block_inside_another_writes_no_second_entry() -> None:
    with maintenance_access("test: outer"):
        with maintenance_access("test: inner"):
            assert Account.objects.count() == 0
        assert in_maintenance()
        reasons = list(
            AuditEntry.objects.filter(action="maintenance_access").values_list("details__reason", flat=True)
        )
    assert not in_maintenance()
    assert reasons == ["test: outer"]
