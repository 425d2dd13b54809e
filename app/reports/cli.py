"""`flask report run daily|weekly|monthly [--date YYYY-MM-DD] [--no-email] [--json]` (the blueprint's CLI group).

--date picks the period containing that day (its week, its month); without it, the scheduled one: today,
the previous week, the previous month. Prints the key figures; exit 0, or 2 for a bad date or a period
that has not started.
"""
from __future__ import annotations

import json
from datetime import date

import click

from app.core.actor import Actor
from app.core.errors import ValidationFailed
from app.reports import labels, services
from app.reports.policies import KINDS

CLI_ACTOR = Actor.system("cli")


def register(bp) -> None:
    @bp.cli.command("run")
    @click.argument("kind", type=click.Choice(KINDS))
    @click.option("--date", "day_text", default=None, help="A day in the period (YYYY-MM-DD, Korean calendar).")
    @click.option("--no-email", is_flag=True, help="Compute and store only; do not email the recipients.")
    @click.option("--json", "as_json", is_flag=True, help="Print the stored figures as JSON.")
    def run_command(kind: str, day_text: str | None, no_email: bool, as_json: bool) -> None:
        """Compute (again) a report; the email goes out once per period."""
        try:
            day = date.fromisoformat(day_text) if day_text else None
        except ValueError:
            raise click.exceptions.Exit(_fail("--date must be a real date as YYYY-MM-DD."))
        try:
            run = services.run_report(kind, day, send=not no_email, actor=CLI_ACTOR)
        except ValidationFailed as exc:
            raise click.exceptions.Exit(_fail(str(next(iter(exc.fields.values()), exc.message))))
        if as_json:
            click.echo(json.dumps({"kind": run.kind, "periodStart": run.period_start.isoformat(),
                                   "periodEnd": run.period_end.isoformat(),
                                   "sentAt": run.sent_at.isoformat() if run.sent_at else None,
                                   "figures": run.figures}, ensure_ascii=False))
            return
        click.echo(f"{run.kind} report {run.period_start.isoformat()}..{run.period_end.isoformat()} "
                   f"(computed {run.times_computed} time(s); "
                   f"{'emailed ' + run.sent_at.isoformat() if run.sent_at else 'not emailed'})")
        for path in labels.KEY_FIGURES:
            click.echo(f"  {path}: {labels.lookup(run.figures, path)}")


def _fail(message: str) -> int:
    click.echo(f"Error: {message}", err=True)
    return 2
