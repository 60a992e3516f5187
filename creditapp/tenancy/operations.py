"""Migration operations for row-level security: the one that puts a table under it, and the wrapper a
data migration on such tables runs in."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import migrations


def _roles(schema_editor: Any) -> tuple[str, str]:
    roles = settings.DATABASE_ROLES
    quote = schema_editor.quote_name
    return quote(roles["app"]), quote(roles["maint"])


class EnableRLS(migrations.operations.base.Operation):
    """ENABLE + FORCE row-level security on a table, with the app role's tenant policy and the maint
    role's explicit all-rows policy. Pass a model name, or `table=` for tables Django owns elsewhere
    (many-to-many tables, the admin log)."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str | None = None, *, table: str | None = None, column: str = "user_id"):
        if (model_name is None) == (table is None):
            raise ValueError("EnableRLS needs exactly one of model_name or table")
        self.model_name = model_name
        self.table = table
        self.column = column

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        kwargs: dict[str, Any] = {}
        if self.table:
            kwargs["table"] = self.table
        if self.column != "user_id":
            kwargs["column"] = self.column
        return self.__class__.__name__, [self.model_name] if self.model_name else [], kwargs

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def _table(self, app_label: str, state: Any) -> str:
        if self.table:
            return self.table
        return state.apps.get_model(app_label, self.model_name)._meta.db_table

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        table = schema_editor.quote_name(self._table(app_label, to_state))
        app, maint = _roles(schema_editor)
        column = schema_editor.quote_name(self.column)
        match = f"{column} = (SELECT app_current_user_id())"
        for sql in (
            f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
            f"DROP POLICY IF EXISTS tenant_isolation ON {table}",
            f"CREATE POLICY tenant_isolation ON {table} FOR ALL TO {app} "
            f"USING ({match}) WITH CHECK ({match})",
            f"DROP POLICY IF EXISTS maintenance_all ON {table}",
            f"CREATE POLICY maintenance_all ON {table} FOR ALL TO {maint} USING (true) WITH CHECK (true)",
        ):
            schema_editor.execute(sql)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        table = schema_editor.quote_name(self._table(app_label, from_state))
        for sql in (
            f"DROP POLICY IF EXISTS tenant_isolation ON {table}",
            f"DROP POLICY IF EXISTS maintenance_all ON {table}",
            f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
            f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
        ):
            schema_editor.execute(sql)

    def describe(self) -> str:
        return f"Enable row-level security on {self.model_name or self.table}"


class SameTenantForeignKey(migrations.RunSQL):
    """A composite foreign key `(user_id, column) → parent (user_id, id)`: a row can only point at a
    parent row of its own tenant (a plain FK would let a tenant attach rows to another's parent).
    The parent needs `UniqueConstraint(fields=["user", "id"])`."""

    def __init__(self, table: str, column: str, parent: str):
        self.table, self.column, self.parent = table, column, parent
        name = f"{table}_{column}_same_tenant"
        super().__init__(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY (user_id, {column}) "
            f"REFERENCES {parent} (user_id, id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED",
            f"ALTER TABLE {table} DROP CONSTRAINT {name}",
        )

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return self.__class__.__name__, [self.table, self.column, self.parent], {}

    def describe(self) -> str:
        return f"Same-tenant foreign key {self.table}.{self.column} → {self.parent}"


def run_python_unforced(
    tables: tuple[str, ...], code: Any, reverse_code: Any = migrations.RunPython.noop
) -> list[migrations.operations.base.Operation]:
    """`RunPython(code)` on tables that force row-level security. The owner running migrations has no
    policy and would see no rows, so the code runs between NO FORCE and FORCE. DDL is transactional and
    ALTER TABLE locks the table, so no other session ever sees a table unforced."""
    no_force = tuple(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY" for table in tables)
    force = tuple(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY" for table in tables)
    return [
        migrations.RunSQL(no_force, reverse_sql=force),
        migrations.RunPython(code, reverse_code),
        migrations.RunSQL(force, reverse_sql=no_force),
    ]
