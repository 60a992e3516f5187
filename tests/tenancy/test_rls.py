from __future__ import annotations

import pytest
from django.apps import apps
from django.db import IntegrityError, ProgrammingError, connection, connections, transaction
from django.db.utils import DatabaseError

from creditapp.tenancy.db import current_tenant, maintenance_access, tenant_context
from creditapp.tenancy.models import TenantOwned
from finance.models import Account
from tests.accounts.factories import UserFactory
from tests.conftest import owner_connection
from tests.finance.factories import AccountFactory

# Tables with a user_id column deliberately outside row-level security; .ci/run passes the same
# list to the RLS audit with the reasons.
NOT_TENANT_SCOPED = {"account_emailaddress", "mfa_authenticator"}


def tables_with_user_id() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_name = 'user_id'"
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
def test_every_tenant_table_has_rls_enabled_forced_and_policies() -> None:
    tenant_owned = {m._meta.db_table for m in apps.get_models() if issubclass(m, TenantOwned)}
    tables = tables_with_user_id() - NOT_TENANT_SCOPED
    assert tenant_owned <= tables
    assert {"finance_account", "accounts_auditentry", "django_admin_log"} <= tables
    with connection.cursor() as cursor:
        for table in sorted(tables):
            cursor.execute(
                "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = %s::regclass", [table]
            )
            assert cursor.fetchone() == (True, True), table
            cursor.execute(
                "SELECT polname, polroles::regrole[]::text[], pg_get_expr(polqual, polrelid), "
                "pg_get_expr(polwithcheck, polrelid) FROM pg_policy WHERE polrelid = %s::regclass",
                [table],
            )
            policies = {name: (roles, using, check) for name, roles, using, check in cursor.fetchall()}
            roles, using, check = policies["tenant_isolation"]
            assert roles == ["creditapp_app"], table
            assert "app_current_user_id()" in using and "app_current_user_id()" in check, table
            assert policies["maintenance_all"][0] == ["creditapp_maint"], table
            # A unique key without the tenant reveals other tenants' rows through its violations.
            cursor.execute(
                "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = %s::regclass "
                "AND indisunique AND NOT indisprimary AND NOT EXISTS (SELECT 1 FROM unnest(indkey) k "
                "JOIN pg_attribute a ON a.attrelid = indrelid AND a.attnum = k WHERE a.attname = 'user_id')",
                [table],
            )
            assert cursor.fetchall() == [], table


@pytest.mark.django_db
def test_app_role_is_not_privileged() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        assert cursor.fetchone() == ("creditapp_app", False, False)
        with pytest.raises(ProgrammingError), transaction.atomic():
            cursor.execute("TRUNCATE finance_account")
        with pytest.raises(DatabaseError), transaction.atomic():
            cursor.execute("SET row_security = off; SELECT count(*) FROM finance_account")
            cursor.fetchone()


both_roles = pytest.mark.django_db(transaction=True, databases=["default", "maint"])


@pytest.fixture
def two_tenants() -> tuple[int, int]:
    alice, bob = UserFactory(), UserFactory()
    with tenant_context(alice.pk):
        AccountFactory(user=alice, name="alice checking")
        AccountFactory(user=alice, name="alice card")
    with tenant_context(bob.pk):
        AccountFactory(user=bob, name="bob savings")
    # The rows exist: seen through the audited maintenance path, so no test below passes vacuously.
    with maintenance_access("test: prove the fixture rows exist"):
        assert Account.objects.filter(user_id=alice.pk).count() == 2
        assert Account.objects.filter(user_id=bob.pk).count() == 1
    return alice.pk, bob.pk


@both_roles
def test_other_tenants_rows_are_invisible_through_orm_and_raw_sql(two_tenants: tuple[int, int]) -> None:
    alice, bob = two_tenants
    with tenant_context(bob):
        assert list(Account.objects.values_list("name", flat=True)) == ["bob savings"]
        assert Account.objects.filter(user_id=alice).count() == 0
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM finance_account WHERE user_id = %s", [alice])
            assert cursor.fetchone() == (0,)
            cursor.execute("SELECT count(*) FROM finance_account")
            assert cursor.fetchone() == (1,)


@both_roles
def test_no_context_sees_nothing_and_inserts_nothing(two_tenants: tuple[int, int]) -> None:
    alice, _ = two_tenants
    assert Account.objects.count() == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM finance_account")
        assert cursor.fetchone() == (0,)
    with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():
        Account.objects.create(user_id=alice, external_id="x", name="orphan")


@both_roles
def test_insert_for_another_tenant_is_rejected(two_tenants: tuple[int, int]) -> None:
    alice, bob = two_tenants

    def rejected():  # type: ignore[no-untyped-def]
        return pytest.raises(ProgrammingError, match="row-level security")

    with tenant_context(bob), rejected(), transaction.atomic():
        Account.objects.create(user_id=alice, external_id="planted", name="planted by bob")
    with tenant_context(bob), rejected(), transaction.atomic():
        Account.objects.filter(user_id=bob).update(user_id=alice)


@both_roles
def test_update_and_delete_of_another_tenants_rows_affect_nothing(two_tenants: tuple[int, int]) -> None:
    alice, bob = two_tenants
    with tenant_context(bob):
        assert Account.objects.filter(user_id=alice).update(name="hijacked") == 0
        assert Account.objects.filter(user_id=alice).delete()[0] == 0
        with connection.cursor() as cursor:
            cursor.execute("UPDATE finance_account SET name = 'hijacked' WHERE user_id = %s", [alice])
            assert cursor.rowcount == 0
            cursor.execute("DELETE FROM finance_account WHERE user_id = %s", [alice])
            assert cursor.rowcount == 0
    with tenant_context(alice):
        assert sorted(Account.objects.values_list("name", flat=True)) == ["alice card", "alice checking"]


@both_roles
def test_per_tenant_unique_key_does_not_reveal_other_tenants(two_tenants: tuple[int, int]) -> None:
    alice, bob = two_tenants
    with tenant_context(alice):
        taken = Account.objects.values_list("external_id", flat=True)[0]
    with tenant_context(bob):
        Account.objects.create(user_id=bob, external_id=taken, name="same external id, other tenant")
        with pytest.raises(IntegrityError), transaction.atomic():
            Account.objects.create(user_id=bob, external_id=taken, name="duplicate for bob")


@both_roles
def test_a_row_cannot_point_at_another_tenants_parent(two_tenants: tuple[int, int]) -> None:
    from datetime import date

    from finance.models import Transaction

    alice, bob = two_tenants
    with tenant_context(alice):
        alices_account = Account.objects.values_list("pk", flat=True)[0]
    # Bob can insert a row as himself, but not one hanging off Alice's account (composite FK).
    with pytest.raises(IntegrityError, match="same_tenant"), tenant_context(bob):
        Transaction.objects.create(
            user_id=bob, account_id=alices_account, plaid_transaction_id="planted", amount_minor=1,
            date=date(2026, 1, 1), name="planted",
        )  # fmt: skip
    with maintenance_access("test: nothing was planted"):
        assert not Transaction.objects.filter(plaid_transaction_id="planted").exists()


@both_roles
def test_nested_context_restores_the_outer_tenant(two_tenants: tuple[int, int]) -> None:
    alice, bob = two_tenants
    with tenant_context(alice):
        with tenant_context(bob):
            assert current_tenant() == bob
        assert current_tenant() == alice
        assert Account.objects.count() == 2
    assert current_tenant() is None


@both_roles
def test_maintenance_access_is_audited_and_needs_a_reason(two_tenants: tuple[int, int]) -> None:
    from accounts.models import AuditEntry

    with pytest.raises(ValueError), maintenance_access(" "):
        pass
    with maintenance_access("test: count everything"):
        assert Account.objects.count() == 3
    with maintenance_access("test: read the audit"):
        reasons = list(
            AuditEntry.objects.filter(action="maintenance_access").values_list("details__reason", flat=True)
        )
    assert "test: count everything" in reasons
    assert Account.objects.count() == 0  # back on the app role, no context


@both_roles
def test_connection_roles_are_separate(two_tenants: tuple[int, int]) -> None:
    with connections["maint"].cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone() == ("creditapp_maint",)
    with owner_connection(), connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone() == ("creditapp_owner",)
        # FORCE: even the owner sees nothing without a policy of its own.
        cursor.execute("SELECT count(*) FROM finance_account")
        assert cursor.fetchone() == (0,)
