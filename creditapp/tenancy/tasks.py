from __future__ import annotations

from celery import shared_task
from django.db import connection

from creditapp.tenancy.db import tenant_context


@shared_task(ignore_result=False)
def visible_row_counts(user_id: int) -> dict[str, int]:
    """Support diagnostics: how many rows of each tenant table one person's context can see.

    Counts every table that has a user_id column, unfiltered, so the answer is what the database's
    policies allow, which is what an isolation check needs.
    """
    with tenant_context(user_id), connection.cursor() as cursor:
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
