"""python manage.py grant_app_role ROLE [--create] [--sql]: the PostgreSQL
role the web, worker and beat processes connect as, with only the privileges
the service needs (README, "The application's database role").

The operator runs it as the role that owns the tables (the one ``migrate``
runs as), after every ``migrate``. ROLE may then read and write the service's
tables, but:

- TRUNCATE no table (nor REFERENCES or TRIGGER): the service never needs to;
- only read and add rows of the append-only tables (every
  ``core.models.AppendOnly`` model: the patient-data access log, clinical
  events): no UPDATE, no DELETE. The access log's trigger (referrals
  migration 0002) refuses UPDATE and DELETE row by row, but fires for no
  TRUNCATE; privileges refuse all three before any row is touched.

ROLE must not be a superuser, nor own the tables, nor be a member of their
owner: privileges do not bind any of those, so the command refuses them.
The test suite runs as the owner and keeps flushing its database with
TRUNCATE. ``--create`` makes ROLE (LOGIN) if it does not exist, with the
password in ``MSCC_APP_DB_PASSWORD`` if set (never on the command line);
``--sql`` prints the statements for a database administrator instead of
running them. Running it again is harmless: it grants what it grants.
"""

import os
import re
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from core.models import AppendOnly

PASSWORD_VARIABLE = "MSCC_APP_DB_PASSWORD"  # noqa: S105  (a variable's name, not a secret)
# Lower-case unquoted PostgreSQL names only: what an operator would type.
ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def quoted(name: str) -> str:
    """A PostgreSQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def append_only_tables() -> list[str]:
    """The tables of every append-only model, sorted."""
    return sorted(
        model._meta.db_table for model in apps.get_models() if issubclass(model, AppendOnly)
    )


def grant_statements(*, role: str, database: str, schema: str, append_only: list[str]) -> list[str]:
    """The statements that give ``role`` the service's privileges, and no more.

    Idempotent: every table's privileges are first revoked, then granted."""
    r, s = quoted(role), quoted(schema)
    dml = "SELECT, INSERT, UPDATE, DELETE"
    statements = [
        f"GRANT CONNECT ON DATABASE {quoted(database)} TO {r}",
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        # Whatever was granted before (a GRANT ALL, a TRUNCATE) goes first.
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}",
        f"GRANT {dml} ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        # Tables a later migration adds are usable at once (no outage between
        # `migrate` and this command); run the command after every migrate
        # so that a new append-only table loses UPDATE and DELETE.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT {dml} ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT USAGE, SELECT ON SEQUENCES TO {r}",
    ]
    if append_only:
        tables = ", ".join(f"{s}.{quoted(t)}" for t in append_only)
        statements.append(f"REVOKE UPDATE, DELETE ON TABLE {tables} FROM {r}")
    return statements


class Command(BaseCommand):
    help = (
        "Grant the application's PostgreSQL role what the service needs and no more: "
        "no TRUNCATE, and no UPDATE or DELETE of the append-only tables (the access log)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="the role web, worker and beat connect as, e.g. mscc_app")
        parser.add_argument(
            "--create",
            action="store_true",
            help=f"create the role (LOGIN) if it does not exist; password from {PASSWORD_VARIABLE}",
        )
        parser.add_argument(
            "--sql", action="store_true", help="print the SQL instead of running it"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        role: str = options["role"]
        if not ROLE_NAME.fullmatch(role):
            raise CommandError("ROLE must be a lower-case PostgreSQL name, e.g. mscc_app.")
        if connection.vendor != "postgresql":
            raise CommandError(
                "Roles are PostgreSQL's: the embedded SQLite default has none to grant."
            )
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_database(), current_schema()")
            database, schema = cursor.fetchone()
        append_only = append_only_tables()
        statements = grant_statements(
            role=role, database=database, schema=schema, append_only=append_only
        )
        if options["sql"]:
            if options["create"]:
                self.stdout.write(f"CREATE ROLE {quoted(role)} LOGIN;")
                self.stdout.write(f"-- then, in psql: \\password {role}")
            for statement in statements:
                self.stdout.write(statement + ";")
            return
        with transaction.atomic(), connection.cursor() as cursor:
            if options["create"]:
                self._create(cursor, role)
            self._check(cursor, role, schema)
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(
            self.style.SUCCESS(
                f"{role} may read and write the tables of {database}.{schema}, "
                f"TRUNCATE none, and only read and add rows of {', '.join(append_only)}."
            )
        )

    def _create(self, cursor: Any, role: str) -> None:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone():
            self.stdout.write(f"Role {role} exists: left as it is.")
            return
        password = os.environ.get(PASSWORD_VARIABLE, "")
        if password:
            # CREATE ROLE takes no bind parameters: the password is quoted
            # as a literal by the database itself.
            cursor.execute("SELECT quote_literal(%s)", [password])
            (literal,) = cursor.fetchone()
            cursor.execute(f"CREATE ROLE {quoted(role)} LOGIN PASSWORD {literal}")
        else:
            cursor.execute(f"CREATE ROLE {quoted(role)} LOGIN")
            self.stdout.write(
                f"Role {role} created without a password: set {PASSWORD_VARIABLE}, "
                f"or run \\password {role} in psql."
            )

    def _check(self, cursor: Any, role: str, schema: str) -> None:
        """Refuse a role that privileges would not bind."""
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        row = cursor.fetchone()
        if row is None:
            raise CommandError(f"No role {role}: create it, or pass --create.")
        if row[0]:
            raise CommandError(f"{role} is a superuser: no privilege binds it.")
        cursor.execute(
            "SELECT DISTINCT tableowner FROM pg_tables "
            "WHERE schemaname = %s AND pg_has_role(%s, tableowner, 'MEMBER')",
            [schema, role],
        )
        owners = sorted(owner for (owner,) in cursor.fetchall())
        if owners:
            raise CommandError(
                f"{role} owns the tables, or is a member of their owner ({', '.join(owners)}): "
                "an owner may TRUNCATE whatever is granted. Use a role of its own."
            )
