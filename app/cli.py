"""`flask` commands: seed-demo, users, tokens, inventory, statements, sandbox, dev."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.core.errors import DomainError

#: Demo operators created by `flask seed-demo --with-operators` (development only).
DEMO_OPERATORS = (
    ("admin@frontdesk.example", "admin", "Admin Kim"),
    ("manager@frontdesk.example", "manager", "Manager Lee"),
    ("staff@frontdesk.example", "staff", "Staff Park"),
)
DEMO_PASSWORD = "frontdesk-demo"


def _fail(exc: DomainError) -> None:
    details = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
    raise click.ClickException(f"{exc.message}{' (' + details + ')' if details else ''}")


def seed_everything(with_operators: bool) -> list[str]:
    """Demo hotels (and demo operators); returns what to tell the person. Idempotent."""
    from sqlalchemy import select

    from app.auth.models import Operator
    from app.auth.services import create_operator
    from app.catalog.demo import seed_demo
    from app.extensions import db

    lines = [f"{len(seed_demo())} demo hotels ready."]
    if with_operators:
        for email, role, name in DEMO_OPERATORS:
            if db.session.scalar(select(Operator.id).where(Operator.email == email)) is None:
                create_operator(email, DEMO_PASSWORD, role=role, name=name)
        lines.append(f"Demo operators: {', '.join(e for e, _, _ in DEMO_OPERATORS)} / {DEMO_PASSWORD}")
    return lines


def register_cli(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--with-operators", is_flag=True, help=f"Also add demo operators (password {DEMO_PASSWORD}).")
    def seed_demo_command(with_operators: bool) -> None:
        """Add demo hotels in Seoul, Busan and Jeju (safe to run again)."""
        if with_operators and app.config["FRONTDESK_ENV"] == "production":
            raise click.ClickException("Demo operators are not created in production.")
        for line in seed_everything(with_operators):
            click.echo(line)

    users = AppGroup("users", help="Operator accounts.")

    @users.command("create")
    @click.argument("email")
    @click.option("--role", type=click.Choice(["admin", "manager", "staff"]), default="staff", show_default=True)
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--name", default="")
    @click.option("--language", type=click.Choice(["ko", "en"]), default="ko", show_default=True)
    def users_create(email: str, role: str, password: str, name: str, language: str) -> None:
        """Add an operator."""
        from app.auth.services import create_operator

        try:
            operator = create_operator(email, password, role=role, name=name, language=language)
        except DomainError as exc:
            _fail(exc)
        click.echo(f"Operator {operator.email} ({operator.role}) created.")

    app.cli.add_command(users)

    tokens = AppGroup("tokens", help="API tokens for operators.")

    @tokens.command("create")
    @click.argument("email")
    @click.option("--name", default="cli", help="What the token is for.")
    def tokens_create(email: str, name: str) -> None:
        """Print a new API token for the operator (shown only once)."""
        from app.auth.services import create_api_token

        try:
            _token, raw = create_api_token(email, name)
        except DomainError as exc:
            _fail(exc)
        click.echo(raw)

    app.cli.add_command(tokens)

    inventory = AppGroup("inventory", help="The inventory calendar.")

    @inventory.command("extend")
    def inventory_extend() -> None:
        """Make nights exist up to the horizon for every room type."""
        from app.catalog.services import extend_inventory_horizon

        click.echo(f"{extend_inventory_horizon()} room types up to date.")

    app.cli.add_command(inventory)

    @app.cli.command("reconcile")
    @click.option("--date", "day", required=True, help="The business date (Korean), YYYY-MM-DD.")
    @click.option("--gateway-file", type=click.Path(exists=True, dir_okay=False), default=None,
                  help="The gateway's settlement file of that day (else it is fetched from the gateway).")
    @click.option("--source", "sources", multiple=True, type=click.Choice(["gateway", "payouts", "settlement"]),
                  help="Only these reconciliations (all three when left out).")
    @click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
    def reconcile_command(day: str, gateway_file: str | None, sources: tuple[str, ...], as_json: bool) -> None:
        """Reconcile a business date against the gateway's file and the bank statements (safe to run again)."""
        from app.reconcile.cli import run_reconcile_command

        code = run_reconcile_command(day, gateway_file, sources, as_json)
        if code:
            raise SystemExit(code)

    statements = AppGroup("statements", help="Bank statements.")

    @statements.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--account", default=None, help="Our account the statement is of (default: DEPOSIT_ACCOUNT_NUMBER).")
    @click.option("--format", "source_format", type=click.Choice(["csv", "xlsx", "xls", "mt940", "camt053"]),
                  default=None, help="The file's format; detected from its content when left out.")
    @click.option("--bank", default="", help="CSV/Excel: the bank whose remembered column mapping to use.")
    @click.option("--json", "as_json", is_flag=True, help="Print every line and the counts as JSON.")
    def statements_import(file: str, account: str | None, source_format: str | None, bank: str,
                          as_json: bool) -> None:
        """Import a bank statement file, as the back office's upload does (safe to run again).

        Prints every line with what it did and the counts; exit code 1 (with a JSON error under
        --json) when the file cannot be imported, and then nothing was imported.
        """
        import json
        from pathlib import Path

        from app.api.ops_statements import StatementRefused, import_file
        from app.core.actor import Actor
        from app.deposits.services import MAX_FILE_BYTES

        path = Path(file)
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)  # one byte more is enough to refuse a file too large
        try:
            body, _stored = import_file(raw, file_name=path.name, account=account, source_format=source_format,
                                        bank=bank, actor=Actor.system("statements-cli"))
        except StatementRefused as exc:
            error = {"error": {"code": exc.code, "message": str(exc.message),
                               "fields": {k: str(v) for k, v in exc.fields.items()}}, **exc.extra}
            if as_json:
                click.echo(json.dumps(error, ensure_ascii=False, default=str))
            else:
                rows = [f"  row {p['row']}: {p['problem']}" for p in exc.extra.get("problems", [])]
                rows += [f"  row {b['row']}: expected {b['expected']}, found {b['found']}"
                         for b in exc.extra.get("breaks", [])]
                click.echo("\n".join([f"Nothing was imported: {exc.message}", *rows]), err=True)
            raise SystemExit(1)
        if as_json:
            click.echo(json.dumps(body, ensure_ascii=False))
            return
        state = "already imported, nothing changed" if body["alreadyImported"] else "imported"
        click.echo(f"{path.name} ({body['format']}, account {body['account']}): {len(body['lines'])} lines, {state}.")
        click.echo("  " + ", ".join(f"{name}: {n}" for name, n in body["counts"].items()))
        for line in body["lines"]:
            click.echo(f"  row {line['row']:>5}  {line['bookedOn']}  {line['amount']:>+14,}  {line['kind']:<18} "
                       f"{line['outcome']}{' ' + line['bookingCode'] if line['bookingCode'] else ''}"
                       f"{' (' + line['problem'] + ')' if line['problem'] else ''}")

    app.cli.add_command(statements)

    sandbox = AppGroup("sandbox", help="Script what the sandbox bank and gateway do next (demos, tests).")
    sandbox_adapters = {"bank": "app.remittance.sandbox_bank:SCRIPT", "gateway": "app.payments.sandbox:SCRIPT"}

    def _scriptable(name: str):
        from app.core.adapters import spec

        return spec(sandbox_adapters[name])

    @sandbox.command("script")
    @click.argument("adapter", type=click.Choice(sorted(sandbox_adapters)))
    @click.argument("outcomes", nargs=-1, required=True)
    @click.option("--operation", "-o", default=None,
                  help="transfer/inquire (bank), charge/refund/retrieve/refund_status (gateway); "
                       "default: transfer, charge.")
    @click.option("--append", is_flag=True, help="Add after what is already scripted instead of replacing it.")
    def sandbox_script(adapter: str, outcomes: tuple[str, ...], operation: str | None, append: bool) -> None:
        """Set the next outcomes of a sandbox, one per call, e.g. `flask sandbox script bank timeout_after
        accept` or `flask sandbox script gateway -o refund refuse:refund_declined` (see
        app/core/sandbox_script.py). Nothing changes when one outcome is wrong."""
        from app.core.sandbox_script import ScriptError

        scriptable = _scriptable(adapter)
        try:
            parsed = scriptable.set(outcomes, operation, append=append)
        except ScriptError as exc:
            raise click.ClickException(f"Nothing was scripted: {exc}.")
        click.echo(f"The sandbox {adapter}'s next {operation or scriptable.main_operation} calls: "
                   f"{', '.join(str(o) for o in parsed)}; then its usual rules.")

    @sandbox.command("show")
    def sandbox_show() -> None:
        """Print what is still scripted, per sandbox and operation."""
        for adapter in sorted(sandbox_adapters):
            pending = _scriptable(adapter).pending()
            if not pending:
                click.echo(f"{adapter}: nothing scripted (usual rules)")
            for operation, items in pending.items():
                click.echo(f"{adapter} {operation}: {', '.join(items)}")

    @sandbox.command("clear")
    @click.argument("adapters", nargs=-1, type=click.Choice(sorted(sandbox_adapters)))
    def sandbox_clear(adapters: tuple[str, ...]) -> None:
        """Forget the scripts (of both sandboxes when none is named)."""
        for adapter in adapters or sorted(sandbox_adapters):
            _scriptable(adapter).clear()
            click.echo(f"{adapter}: script cleared (usual rules)")

    app.cli.add_command(sandbox)

    from app.auditlog.cli import register_audit_cli

    register_audit_cli(app)  # flask audit verify, flask db-roles grant

    @app.cli.command("dev")
    @click.option("--port", default=5000, show_default=True, envvar="PORT", help="The web port (or PORT).")
    @click.option("--no-seed", is_flag=True, help="Do not add the demo data.")
    def dev_command(port: int, no_seed: bool) -> None:
        """Run everything on this machine: database, Redis, web, worker and clock."""
        from app.core.devserver import run_development

        run_development(app, port=port, seed=not no_seed)
