"""The workers' door: `tenant_binding` gives every transaction inside it one tenant, opens none itself,
and the tenant task base binds each task to the `user_id` it was given."""

from __future__ import annotations

import pytest
from celery import shared_task
from django.db import connection, transaction

from creditapp.tenancy.db import current_tenant, tenant_binding, tenant_context
from creditapp.tenancy.tasks import TenantTask
from finance.models import Account
from tests.accounts.factories import UserFactory
from tests.finance.factories import AccountFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])


@pytest.fixture
def alice_and_bob():  # type: ignore[no-untyped-def]
    alice, bob = UserFactory.create(), UserFactory.create()
    with tenant_context(alice.pk):
        AccountFactory.create_batch(2, user=alice)
    with tenant_context(bob.pk):
        AccountFactory(user=bob)
    return alice, bob


@shared_task(base=TenantTask)
def accounts_seen(user_id: int) -> int:
    return Account.objects.count()


def test_every_transaction_and_every_lone_statement_sees_the_bound_tenant(alice_and_bob) -> None:  # type: ignore[no-untyped-def]
    alice, _bob = alice_and_bob
    assert Account.objects.count() == 0  # no door: nothing visible
    with tenant_binding(alice.pk):
        assert not connection.in_atomic_block  # it opened no transaction
        assert Account.objects.count() == 2  # a statement on its own
        with transaction.atomic():
            assert Account.objects.count() == 2
            assert current_tenant() == alice.pk
        with transaction.atomic(), transaction.atomic():  # the first statement is a savepoint's
            assert Account.objects.count() == 2
    assert Account.objects.count() == 0


def test_a_phase_that_committed_stays_when_a_later_one_fails(alice_and_bob) -> None:  # type: ignore[no-untyped-def]
    alice, _bob = alice_and_bob
    with pytest.raises(RuntimeError), tenant_binding(alice.pk):
        with transaction.atomic():
            Account.objects.for_user(alice).update(name="renamed")
        with transaction.atomic():
            Account.objects.for_user(alice).update(name="lost")
            raise RuntimeError("the vendor failed")
    with tenant_context(alice.pk):
        assert set(Account.objects.values_list("name", flat=True)) == {"renamed"}


def test_rows_written_under_a_binding_must_be_the_tenants_own(alice_and_bob) -> None:  # type: ignore[no-untyped-def]
    alice, bob = alice_and_bob
    with tenant_binding(alice.pk):
        assert Account.objects.filter(user=bob).update(name="taken") == 0
    with tenant_context(bob.pk):
        assert not Account.objects.filter(name="taken").exists()


def test_inside_an_open_transaction_it_switches_and_switches_back(alice_and_bob) -> None:  # type: ignore[no-untyped-def]
    alice, bob = alice_and_bob
    with tenant_context(bob.pk):
        assert Account.objects.count() == 1
        with tenant_binding(alice.pk):
            assert Account.objects.count() == 2
        assert current_tenant() == bob.pk
        assert Account.objects.count() == 1


def test_the_task_base_binds_the_user_id_it_is_given(alice_and_bob) -> None:  # type: ignore[no-untyped-def]
    alice, bob = alice_and_bob
    assert accounts_seen(alice.pk) == 2
    assert accounts_seen(user_id=bob.pk) == 1
    assert Account.objects.count() == 0  # the binding ended with the task
