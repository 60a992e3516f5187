from __future__ import annotations

import pytest
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from creditapp.tenancy.db import maintenance_access, tenant_context
from creditapp.tenancy.tasks import visible_row_counts
from finance.models import Account
from tests.factories import UserFactory
from tests.finance.factories import AccountFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])


@pytest.fixture
def alice_and_bob():  # type: ignore[no-untyped-def]
    alice, bob = UserFactory(), UserFactory()
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
    staff = UserFactory(is_staff=True, is_superuser=True)
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

    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    models = [m for m in admin.site._registry if m._meta.app_label in ("finance", "billing", "accounts")]
    assert len(models) >= 8
    for model in models:
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert client.get(url).status_code == 200, url
