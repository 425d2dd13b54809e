"""`flask reconcile --date YYYY-MM-DD [--gateway-file FILE] [--source …] [--json]` (registered in app/cli.py).

Prints what it did: the settlement file stored (or found already stored), each run's totals and match
rate, and the day's open differences — as JSON with --json (the same shape as
GET /v1/ops/reconciliation/days/{date}), else as short lines. Exit code 0 when every asked source ran,
1 when one could not (its `error` says why), 2 for a bad date or a file that does not add up.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from app.core.actor import Actor
from app.core.errors import DomainError, IllegalTransition, ValidationFailed
from app.payments.settlement import SettlementFileError
from app.reconcile import queries, services
from app.reconcile.policies import SOURCE_ORDER

CLI_ACTOR = Actor.system("cli")


def _fail(message: str, as_json: bool, **extra) -> int:
    if as_json:
        click.echo(json.dumps({"error": {"message": message, **extra}}, ensure_ascii=False))
    else:
        click.echo(f"Error: {message}", err=True)
    return 2


def run_reconcile_command(day_text: str, gateway_file: str | None, sources: tuple[str, ...], as_json: bool) -> int:
    try:
        day = date.fromisoformat(day_text)
        services.check_day(day)
    except ValueError:
        return _fail("--date must be a real date as YYYY-MM-DD.", as_json)
    except ValidationFailed as exc:
        return _fail(str(next(iter(exc.fields.values()), exc.message)), as_json)
    stored_body = None
    if gateway_file:
        try:
            stored = services.store_settlement_file(Path(gateway_file).read_bytes(), origin="uploaded",
                                                    file_name=Path(gateway_file).name, actor=CLI_ACTOR)
        except SettlementFileError as exc:
            return _fail(exc.message, as_json, problems=[{"row": r, "problem": p} for r, p in exc.problems[:100]])
        if stored.file.business_date != day:
            return _fail(f"The file is for {stored.file.business_date.isoformat()}, not {day.isoformat()}; it was "
                         f"stored for its own day.", as_json, file=queries.file_body(stored.file))
        stored_body = {**queries.file_body(stored.file), "alreadyStored": not stored.created}
    wanted = [s for s in SOURCE_ORDER if not sources or s in sources]
    if wanted == list(SOURCE_ORDER):
        runs = services.reconcile_all(day, actor=CLI_ACTOR, trigger="cli")
    else:
        runs = []
        for source in wanted:
            try:
                runs.append((source, services.reconcile_day(day, source, actor=CLI_ACTOR, trigger="cli"), None))
            except (ValidationFailed, IllegalTransition, SettlementFileError, DomainError) as exc:
                runs.append((source, services.get_run(day, source), str(getattr(exc, "message", exc))))
    body = {**queries.day_body(day, runs), "settlementFile": stored_body}
    if as_json:
        click.echo(json.dumps(body, ensure_ascii=False, default=str))
    else:
        for run in body["runs"]:
            if run["error"] and run["status"] != "completed":
                click.echo(f"{run['source']}: not reconciled: {run['error']}")
            else:
                click.echo(f"{run['source']}: {run['matched']} of {run['total']} matched (rate {run['matchRate']}); "
                           f"ours {run['internal']['count']} / {run['internal']['amount']}, "
                           f"theirs {run['external']['count']} / {run['external']['amount']}")
        click.echo(f"{len(body['openItems'])} open differences on {day.isoformat()}.")
    return 1 if any(r["error"] and r["status"] != "completed" for r in body["runs"]) else 0
