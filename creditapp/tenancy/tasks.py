"""The tenant task base: the door through which Celery work enters a tenant."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import Task, shared_task
from django.db import connection

from creditapp.tenancy.db import tenant_binding


class TenantTask(Task):  # type: ignore[misc]
    """Runs the task bound to one tenant: every transaction its services open sees that tenant only.

    The tenant is the task's `user_id` argument (keyword, or the first positional argument). A task
    whose tenant is known only after a lookup names a function that finds it from the arguments,
    `@shared_task(base=TenantTask, tenant_of=owner_of_event)`; when that finds nobody, the task runs
    without a tenant and sees no tenant rows (fail closed).
    """

    tenant_of: Callable[..., int | None] | None = None

    def tenant_for(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
        if self.tenant_of is not None:
            return type(self).tenant_of(*args, **kwargs)  # type: ignore[misc]
        user_id = kwargs.get("user_id", args[0] if args else None)
        return None if user_id is None else int(user_id)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        user_id = self.tenant_for(args, kwargs)
        if user_id is None:
            return super().__call__(*args, **kwargs)
        with tenant_binding(user_id):
            return super().__call__(*args, **kwargs)


@shared_task(base=TenantTask, ignore_result=False)
def visible_row_counts(user_id: int) -> dict[str, int]:
    """Support diagnostics: how many rows of each tenant table one person's context can see.

    Counts every table that has a user_id column, unfiltered, so the answer is what the database's
    policies allow, which is what an isolation check needs.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relrowsecurity AND c.relkind = 'r' ORDER BY c.relname"
        )
        tables = [row[0] for row in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - names come from the catalog
            counts[table] = int(cursor.fetchone()[0])
    return counts
