from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connections

from creditapp.tenancy.db import APP_ALIAS, set_tenant


def grant_runtime_roles(using: str = APP_ALIAS, **kwargs: Any) -> None:
    """Migrations run as the owner role only, and (re)grant DML to the runtime roles.

    Default privileges are per database, so a freshly created (test) database has none until this
    runs; it is idempotent. TRUNCATE, REFERENCES and TRIGGER are never granted: they ignore RLS.
    """
    roles = settings.DATABASE_ROLES
    connection = connections[using]
    quote = connection.ops.quote_name
    owner, app, maint = quote(roles["owner"]), quote(roles["app"]), quote(roles["maint"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (user,) = cursor.fetchone()
        if user != roles["owner"]:
            raise RuntimeError(
                f"migrations must run as the owner role {roles['owner']!r}, not {user!r} "
                "(use DB_ROLE=owner manage.py migrate)"
            )
        for statement in (
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}, {maint}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            f"GRANT USAGE, SELECT ON SEQUENCES TO {app}, {maint}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}, {maint}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}, {maint}",
        ):
            cursor.execute(statement)


def tenant_on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Queries after a login in the same request see the new user's rows."""
    if connections[APP_ALIAS].in_atomic_block:
        set_tenant(user.pk)


def tenant_on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if connections[APP_ALIAS].in_atomic_block:
        set_tenant(None)
