"""`flask support fetch-mail` and `flask support import-mail FILE.eml` (registered on the blueprint)."""
from __future__ import annotations

import json

import click
from flask import current_app


def register(bp) -> None:
    @bp.cli.command("fetch-mail")
    def fetch_mail_command() -> None:
        """Import unseen messages of the support mailbox (SUPPORT_IMAP_URL) as tickets or replies."""
        from app.support.mail import fetch_mailbox

        url = current_app.config.get("SUPPORT_IMAP_URL")
        if not url:
            raise click.ClickException("SUPPORT_IMAP_URL is not set: inbound email is off.")
        click.echo(json.dumps(fetch_mailbox(url)))

    @bp.cli.command("import-mail")
    @click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
    def import_mail_command(files) -> None:
        """Import .eml files as tickets or as replies to their ticket (safe to repeat)."""
        from app.support.mail import import_message

        for path in files:
            with open(path, "rb") as fh:
                outcome, public_id = import_message(fh.read())
            click.echo(f"{path}: {outcome} {public_id}".rstrip())
