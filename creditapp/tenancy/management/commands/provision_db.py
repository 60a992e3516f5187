"""Create the three roles, the database and its grants; safe to run any number of times.

Connects with the user named in DATABASE_URL (a superuser or a role with CREATEROLE and
CREATEDB). For dev and CI; production gets roles and grants from its operators.
"""

from __future__ import annotations

from typing import Any

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand
from psycopg import sql
from psycopg.conninfo import make_conninfo


def admin_conninfo(dbname: str) -> str:
    database = settings.DATABASES["default"]
    parts = {
        "host": database["HOST"],
        "port": database["PORT"],
        "user": settings.DATABASE_ADMIN["USER"],
        "password": settings.DATABASE_ADMIN["PASSWORD"],
        "dbname": dbname,
    }
    return make_conninfo(**{k: str(v) for k, v in parts.items() if v})


ROLE_ATTRIBUTES = {
    # CREATEDB lets the owner create the test database; nobody bypasses row-level security.
    "owner": "LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB NOCREATEROLE",
    "app": "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE",
    "maint": "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE",
}


class Command(BaseCommand):
    help = "Create or update the owner/app/maint roles, the database and grants (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        roles, passwords = settings.DATABASE_ROLES, settings.DATABASE_PASSWORDS
        name = settings.DATABASES["default"]["NAME"]
        with psycopg.connect(admin_conninfo("postgres"), autocommit=True) as conn:
            for key, attributes in ROLE_ATTRIBUTES.items():
                role = sql.Identifier(roles[key])
                exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [roles[key]]).fetchone()
                verb = sql.SQL("ALTER") if exists else sql.SQL("CREATE")
                conn.execute(sql.SQL("{} ROLE {} " + attributes).format(verb, role))
                if passwords[key]:
                    conn.execute(
                        sql.SQL("ALTER ROLE {} PASSWORD {}").format(role, sql.Literal(passwords[key]))
                    )
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(
                        sql.Identifier(name), sql.Identifier(roles["owner"])
                    )
                )
        with psycopg.connect(admin_conninfo(name), autocommit=True) as conn:
            owner, app, maint = (sql.Identifier(roles[k]) for k in ("owner", "app", "maint"))
            conn.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(name), owner))
            conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(owner))
            conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}, {}").format(app, maint))
            conn.execute(
                sql.SQL("GRANT CONNECT ON DATABASE {} TO {}, {}").format(sql.Identifier(name), app, maint)
            )
        self.stdout.write(f"provisioned database {name!r} with roles {', '.join(roles.values())}")
