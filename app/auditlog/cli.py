"""`flask audit verify` and `flask db-roles grant` (registered by app.cli)."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup


def owner_engine():
    """An engine on DATABASE_OWNER_URL (the role that owns the tables), else the app's own."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from app.extensions import db

    url = current_app.config.get("DATABASE_OWNER_URL")
    return create_engine(url, poolclass=NullPool) if url else db.engine


def register_audit_cli(app: Flask) -> None:
    audit_group = AppGroup("audit", help="The audit log's hash chain.")

    @audit_group.command("verify")
    @click.option("--batch-size", default=5000, show_default=True, help="Rows read per query.")
    def audit_verify(batch_size: int) -> None:
        """Check every audit row and link against the chain and the last checkpoint.

        Exit code 0 when intact (breaks an admin acknowledged are listed but pass),
        1 naming the first bad row otherwise; the outcome is stored and alerted as
        the daily job does.
        """
        from app.auditlog.chain import describe, run_verification

        report = run_verification(batch_size=batch_size)
        known = [p for p in report.problems if p not in report.new_problems]
        if report.alarming:
            first = (report.new_problems or report.problems)[0]
            click.echo(f"The audit log is NOT intact: {describe(first)}.", err=True)
            for problem in report.new_problems[1:10]:
                click.echo(f"  also: {describe(problem)}", err=True)
            click.echo(f"{report.problem_count} problem(s) in {report.row_count} rows. Operators see a red "
                       "banner until a later check passes or an admin acknowledges the break.", err=True)
            raise SystemExit(1)
        click.echo(f"The audit log is intact: {report.row_count} rows, the last is row {report.last_id}.")
        for problem in known[:10]:
            click.echo(f"  acknowledged earlier: {describe(problem)}")

    app.cli.add_command(audit_group)

    roles = AppGroup("db-roles", help="PostgreSQL roles (run with DATABASE_OWNER_URL set to the owner).")

    @roles.command("grant")
    @click.option("--role", required=True, help="The app's role (DATABASE_URL's user); it must exist already.")
    @click.option("--print-sql", is_flag=True, help="Only print the SQL, change nothing.")
    def roles_grant(role: str, print_sql: bool) -> None:
        """Give the app's role what it needs and no more: no TRUNCATE, no ALTER, append-only audit tables."""
        from app.auditlog.dbroles import RoleRefused, grant_app_role, grant_statements

        engine = owner_engine()
        if print_sql:
            for sql in grant_statements(role, engine.dialect.identifier_preparer.quote):
                click.echo(sql + ";")
            return
        try:
            with engine.begin() as conn:
                statements = grant_app_role(conn, role)
        except RoleRefused as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Role {role} can now use the database ({len(statements)} statements); it cannot truncate, "
                   "alter, or change audit rows.")

    app.cli.add_command(roles)
