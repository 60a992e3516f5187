"""Tenant context (transaction-local) and the audited maintenance path.

`tenant_context(user_id)` makes PostgreSQL's policies see one tenant for the queries inside it (one
transaction); `tenant_binding(user_id)` does the same for every transaction opened inside it, so a
worker's vendor calls run outside any transaction and each write phase commits on its own.
`maintenance_access(reason)` routes the ORM to the `maint` alias, whose role has its own policies,
and records why (through the recorder named by `settings.TENANCY_MAINTENANCE_AUDIT`). Outside all
three, the app role sees no tenant rows at all (fail closed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.utils.module_loading import import_string
from psycopg.pq import TransactionStatus

APP_ALIAS = "default"
MAINT_ALIAS = "maint"

_maintenance_reason: ContextVar[str | None] = ContextVar("maintenance_reason", default=None)
_bound_tenant: ContextVar[int | None] = ContextVar("bound_tenant", default=None)


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


def _set_raw(connection: Any, user_id: int | None) -> None:
    """set_config on the driver's own cursor: it bypasses Django's execute wrappers (no recursion), and
    as the first statement of a transaction it also begins it."""
    value = "" if user_id is None else str(int(user_id))
    connection.connection.execute("SELECT set_config('app.current_user_id', %s, true)", [value])


def _bound_tenant_wrapper(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
) -> Any:
    """Give the statement the bound tenant: the first statement of a transaction sets it for the whole
    transaction; a statement outside any atomic block gets a transaction of its own that sets it."""
    connection = context["connection"]
    user_id = _bound_tenant.get()
    if user_id is None:
        return execute(sql, params, many, context)
    if connection.in_atomic_block:
        if connection.connection.info.transaction_status == TransactionStatus.IDLE:
            _set_raw(connection, user_id)
        return execute(sql, params, many, context)
    with transaction.atomic(using=connection.alias):
        _set_raw(connection, user_id)
        return execute(sql, params, many, context)


def _open_transaction_tenant(connection: Any, user_id: int | None) -> int | None:
    """Inside an open transaction, switch its tenant now and return the one it had."""
    if not connection.in_atomic_block or connection.connection is None:
        return None
    if connection.connection.info.transaction_status != TransactionStatus.INTRANS:
        return None
    previous = current_tenant(connection.alias)
    _set_raw(connection, user_id)
    return previous


@contextmanager
def tenant_binding(user_id: int, using: str = APP_ALIAS) -> Iterator[None]:
    """Every transaction opened inside the block runs as tenant `user_id` (the tenant task base,
    commands). It opens no transaction itself: a slow vendor call inside holds no connection state,
    and work that committed stays committed when a later step fails. A transaction already open when
    the block starts switches to the tenant and switches back when it ends."""
    connection = connections[using]
    token = _bound_tenant.set(int(user_id))
    try:
        with connection.execute_wrapper(_bound_tenant_wrapper):
            previous = _open_transaction_tenant(connection, user_id)
            try:
                yield
            finally:
                _open_transaction_tenant(connection, previous)
    finally:
        _bound_tenant.reset(token)


def insert_as_owner(row: Any) -> None:
    """Insert a new row as the tenant it names (its `user_id`), whoever the current tenant is.

    For records about a person written outside their own session: allauth reports a password reset
    to a signed-out request and a logout after the tenant was cleared, and their audit entries belong
    to that person. It writes that one row and reads nothing. Under maintenance the maint role writes.
    """
    if row.user_id is None or in_maintenance():
        row.save(force_insert=True)
        return
    with tenant_context(row.user_id):
        row.save(force_insert=True)


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
    outermost = not in_maintenance()
    token = _maintenance_reason.set(reason)
    try:
        with transaction.atomic(using=MAINT_ALIAS):
            if outermost:
                _maintenance_recorder()(reason, actor=actor, target_user_id=target_user_id, details=details)
            yield
    finally:
        _maintenance_reason.reset(token)


@cache
def _maintenance_recorder() -> Callable[..., Any]:
    """The audit log sits above tenancy, so settings name the function that records an access."""
    return import_string(settings.TENANCY_MAINTENANCE_AUDIT)  # type: ignore[no-any-return]


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
