"""The app's PostgreSQL role: everything it needs, nothing that could erase the audit log.

The tables belong to the owner role that runs migrations (`DATABASE_OWNER_URL`).
The app (web, worker, clock) connects as a second role (`DATABASE_URL`) that
gets SELECT/INSERT/UPDATE/DELETE on the tables, only SELECT/INSERT on
`audit_events` and `audit_checkpoints`, USAGE/SELECT on the sequences, and the
same by default on tables created later. Owning nothing and being no
superuser, it cannot TRUNCATE, ALTER TABLE … DISABLE TRIGGER, DROP, or
SET session_replication_role. docs/db-roles.md shows the same SQL by hand.
"""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

#: Tables the app may only read and append to.
APPEND_ONLY_TABLES = ("audit_events", "audit_checkpoints")
#: Tables only migrations write.
MIGRATION_TABLES = ("alembic_version",)


class RoleRefused(Exception):
    """The role cannot be made a safe app role (it is the owner, a superuser, or does not exist)."""


def grant_statements(role: str, quote) -> list[str]:
    """The SQL, in order, for the role (quoted with `quote`, e.g. the dialect's identifier preparer)."""
    r = quote(role)
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {r}",
    ]
    for table in APPEND_ONLY_TABLES:
        statements.append(f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {table} FROM {r}")
    for table in MIGRATION_TABLES:
        statements.append(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {table} FROM {r}")
    return statements


def grant_app_role(conn: Connection, role: str) -> list[str]:
    """Grant `role` the app's privileges on the connected database (run as the tables' owner).

    Refuses a superuser, a role that can bypass row security, the connecting
    role itself, or a member of it (each could still erase the log). Safe to
    run again (GRANT and REVOKE are idempotent); run it after migrations that
    add append-only tables. Returns the statements run.
    """
    if conn.dialect.name != "postgresql":
        raise RoleRefused("database roles exist on PostgreSQL only; SQLite has no roles")
    found = conn.execute(text("SELECT rolsuper, rolbypassrls, rolcreaterole FROM pg_roles WHERE rolname = :r"),
                         {"r": role}).first()
    if found is None:
        raise RoleRefused(f"role {role!r} does not exist: CREATE ROLE {role} LOGIN PASSWORD '…' first")
    if found.rolsuper or found.rolbypassrls or found.rolcreaterole:
        raise RoleRefused(f"role {role!r} is a superuser or may create roles or bypass row security; "
                          "the app needs a plain role")
    owner = conn.execute(text("SELECT current_user")).scalar_one()
    if role == owner or conn.execute(text("SELECT pg_has_role(:r, :owner, 'MEMBER')"),
                                     {"r": role, "owner": owner}).scalar_one():
        raise RoleRefused(f"role {role!r} is (or is a member of) {owner!r}, which owns the tables; "
                          "the app needs a role of its own")
    statements = grant_statements(role, conn.dialect.identifier_preparer.quote)
    for sql in statements:
        conn.execute(text(sql))
    return statements
