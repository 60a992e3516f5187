"""Tenant context (transaction-local) and the audited maintenance path.

`tenant_context(user_id)` makes PostgreSQL's policies see one tenant for the queries inside it;
`maintenance_access(reason)` routes the ORM to the `maint` alias, whose role has its own policies,
and records why. Outside both, the app role sees no tenant rows at all (fail closed).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connections, transaction

APP_ALIAS = "default"
MAINT_ALIAS = "maint"

_maintenance_reason: ContextVar[str | None] = ContextVar("maintenance_reason", default=None)


def set_tenant(user_id: int | None, using: str = APP_ALIAS) -> None:
    """Set the tenant for the rest of the current transaction (never the session)."""
    connection = connections[using]
    if not connection.in_atomic_block:
        raise RuntimeError("set_tenant() only inside transaction.atomic(): the setting is transaction-local")
    value = "" if user_id is None else str(int(user_id))
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('app.current_user_id', %s, true)", [value])


def current_tenant(using: str = APP_ALIAS) -> int | None:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT app_current_user_id()")
        row = cursor.fetchone()
    return row[0] if row else None


@contextmanager
def tenant_scope(using: str = APP_ALIAS) -> Iterator[None]:
    """An atomic block whose tenant setting does not outlive it.

    A LOCAL setting made inside a savepoint survives RELEASE SAVEPOINT, so a nested scope puts the
    outer tenant back when it ends normally (a rollback restores it by itself).
    """
    connection = connections[using]
    nested = connection.in_atomic_block
    with transaction.atomic(using=using):
        previous = current_tenant(using) if nested else None
        yield
        if nested and not connection.needs_rollback:
            set_tenant(previous, using)


@contextmanager
def tenant_context(user_id: int, using: str = APP_ALIAS) -> Iterator[None]:
    """Run the block as tenant `user_id` (tasks, commands, tests)."""
    with tenant_scope(using):
        set_tenant(user_id, using)
        yield


def in_maintenance() -> bool:
    return _maintenance_reason.get() is not None


@contextmanager
def maintenance_access(
    reason: str,
    *,
    actor: Any = None,
    target_user_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> Iterator[None]:
    """Dangerous by design: every ORM query inside sees all tenants through the `maint` role.

    Opens its own transaction on the maint alias and writes an audit entry naming the reason (and
    `details`, what exactly is looked at). A block opened inside another is part of the outer one's
    work, already recorded there, so it writes no entry of its own.
    """
    if not reason.strip():
        raise ValueError("maintenance_access needs a reason")
    from accounts.audit import audit_maintenance

    outermost = not in_maintenance()
    token = _maintenance_reason.set(reason)
    try:
        with transaction.atomic(using=MAINT_ALIAS):
            if outermost:
                audit_maintenance(reason, actor=actor, target_user_id=target_user_id, details=details)
            yield
    finally:
        _maintenance_reason.reset(token)


class MaintenanceRouter:
    """Routes to `maint` only inside maintenance_access; otherwise always `default`, never None.

    Returning None would let Django fall back to an instance's own database, so an object loaded
    under maintenance and saved later would keep bypassing the tenant policies.
    """

    def _route(self) -> str:
        return MAINT_ALIAS if in_maintenance() else APP_ALIAS

    def db_for_read(self, model: Any, **hints: Any) -> str:
        return self._route()

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return self._route()

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        if {obj1._state.db, obj2._state.db} <= {APP_ALIAS, MAINT_ALIAS}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == APP_ALIAS
