"""Reconciliation use cases: store a settlement file, reconcile a business date.

`reconcile_day(day, source)` is three steps:

1. claim the day's run (one row per date and source): RUNNING, committed, so a second
   run of the same day and source waits its turn (a run left RUNNING for 30 minutes
   is taken to have died, seed 001 §3.2);
2. read and match (app.reconcile.loaders + matching): nothing is written;
3. in one transaction: upsert one item per difference by its natural key, resolve by
   itself what is no longer different ("gone") or is a cross-midnight pair whose other
   day is reconciled ("cleared"), reopen an automatically resolved item whose difference
   came back, store the totals and the match rate: COMPLETED. A failure marks it FAILED.

Running a day again therefore yields the same items (none twice), keeps a person's
resolution, and leaves every booking, payment, refund and payout exactly as it was:
reconciliation only reads them (DESIGN invariant 10).
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core import audit, clock
from app.core.actor import Actor
from app.core.db import end_transaction, insert_unless_present, run_in_transaction
from app.core.errors import IllegalTransition, ValidationFailed
from app.core.ids import public_id
from app.extensions import db
from app.payments import settlement
from app.reconcile import loaders, matching
from app.reconcile.models import ReconciliationItem, ReconciliationRun, SettlementFile
from app.reconcile.policies import (
    AUTOMATIC,
    KOREA,
    RUN_STALE_AFTER,
    SOURCE_ORDER,
    ItemStatus,
    RunStatus,
    compute_due_at,
    compute_match_rate,
)

log = logging.getLogger(__name__)
SYSTEM = Actor.system("reconciliation")
FIRST_DAY = date(2000, 1, 1)


NOT_A_SOURCE = _l("Choose gateway, payouts or settlement.")
NOT_A_STATUS = _l("Choose open, resolved or all.")
NOT_A_TYPE = _l("Choose AMOUNT_MISMATCH, STATUS_MISMATCH, GHOST_TRANSACTION, TIMING_MISMATCH, INTERNAL_ONLY or "
                "EXTERNAL_ONLY.")
FILE_NOT_READABLE = _l("Send the gateway's settlement file (CSV): its rows must add up to its TOTAL line.")


class RunInProgress(IllegalTransition):
    default_message = _l("This day is being reconciled right now. Wait a minute and look again.")


class NoSettlementFile(ValidationFailed):
    default_message = _l("The gateway's settlement file for this day is not there yet. Upload it, or try again "
                         "later.")


@dataclass
class StoredFile:
    file: SettlementFile
    created: bool            # False: the very same file was stored before (nothing changed)


def check_day(day) -> date:
    """A business date that can be reconciled: a real date, not after today (Korea)."""
    if not isinstance(day, date) or day < FIRST_DAY:
        raise ValidationFailed(fields={"date": _l("A date as YYYY-MM-DD.")})
    if day > clock.now().astimezone(KOREA).date():
        raise ValidationFailed(fields={"date": _l("This day has not happened yet.")})
    return day


# --- settlement files --------------------------------------------------------------------------------

def store_settlement_file(raw: bytes, *, origin: str, file_name: str = "", actor: Actor | None = None,
                          gateway: str | None = None) -> StoredFile:
    """Keep a settlement file whole (raw bytes + sha256) after checking it adds up. Commits.
    The same bytes again change nothing and return the first copy. Raises
    settlement.SettlementFileError for a file that cannot be read or does not add up."""
    parsed = settlement.parse(raw)
    digest = hashlib.sha256(raw).hexdigest()
    actor = actor or SYSTEM
    gateway = gateway or current_app.config["PAYMENT_GATEWAY"]

    def work() -> StoredFile:
        new_id = insert_unless_present(SettlementFile, {
            "public_id": public_id("stf"), "business_date": parsed.business_date, "gateway": gateway[:40],
            "origin": origin, "file_name": (file_name or "")[:200], "sha256": digest, "content": raw,
            "row_count": parsed.count, "total_amount": parsed.total_amount, "total_fee": parsed.total_fee,
            "total_net": parsed.total_net, "currency": parsed.currency, "received_by": actor.name[:200],
            "created_at": clock.now()}, ["sha256"])
        stored = db.session.scalar(select(SettlementFile).where(SettlementFile.sha256 == digest))
        if new_id is not None:
            audit.record("settlement_file.stored", entity_type="settlement_file", entity_id=stored.public_id,
                         actor=actor, data={"businessDate": parsed.business_date.isoformat(), "origin": origin,
                                            "rows": parsed.count, "net": parsed.total_net, "sha256": digest})
        return StoredFile(stored, new_id is not None)

    return run_in_transaction(work)


def fetch_settlement_file(day: date, *, actor: Actor | None = None) -> StoredFile | None:
    """Ask the gateway for a day's file (outside any transaction) and store it; None when not ready."""
    from app.payments.gateway import get_gateway

    gateway = get_gateway()
    fetch = getattr(gateway, "settlement_file", None)
    if fetch is None:
        return None
    end_transaction()
    raw = fetch(day)
    if raw is None:
        return None
    return store_settlement_file(raw, origin="fetched", file_name=f"{gateway.name}-{day:%Y%m%d}.csv",
                                 actor=actor, gateway=gateway.name)


# --- running a day -------------------------------------------------------------------------------------

def _claim(day: date, source: str, actor: Actor, trigger: str) -> int:
    def work() -> int:
        now = clock.now()
        insert_unless_present(ReconciliationRun, {
            "business_date": day, "source": source, "status": RunStatus.FAILED, "started_at": now,
            "started_by": "", "trigger": trigger, "times_run": 0, "internal_count": 0, "internal_amount": 0,
            "external_count": 0, "external_amount": 0, "matched_count": 0, "total_count": 0, "currency": "KRW",
            "created_at": now, "updated_at": now}, ["business_date", "source"])
        run = db.session.execute(select(ReconciliationRun).where(
            ReconciliationRun.business_date == day, ReconciliationRun.source == source).with_for_update()
            .execution_options(populate_existing=True)).scalar_one()
        if run.status == RunStatus.RUNNING and now - run.started_at < RUN_STALE_AFTER:
            raise RunInProgress()
        run.status, run.started_at, run.finished_at, run.error = RunStatus.RUNNING, now, None, None
        run.started_by, run.trigger, run.times_run = actor.name[:200], trigger, run.times_run + 1
        return run.id

    return run_in_transaction(work)


def _fail(run_id: int, error: str) -> None:
    def work() -> None:
        run = db.session.get(ReconciliationRun, run_id, with_for_update=True, populate_existing=True)
        run.status, run.finished_at, run.error = RunStatus.FAILED, clock.now(), error[:2000]
        audit.record("reconciliation.failed", entity_type="reconciliation_run", entity_id=f"{run.business_date}:"
                     f"{run.source}", actor=SYSTEM, reason=error[:500])

    run_in_transaction(work)


@dataclass
class Computed:
    outcome: matching.Outcome
    internal_count: int
    internal_amount: int
    external_count: int
    external_amount: int
    details: dict


def _watch(source: str) -> set[str]:
    """Keys of open items of this source: a match of one of them resolves it."""
    return set(db.session.scalars(select(ReconciliationItem.natural_key).where(
        ReconciliationItem.source == source, ReconciliationItem.status == ItemStatus.OPEN)))


def _compute(day: date, source: str) -> Computed:
    watch = _watch(source)
    if source == "gateway":
        stored, rows = loaders.file_rows(day)
        if stored is None:
            raise NoSettlementFile()
        entries = loaders.gateway_entries(day)
        pairing = matching.pair_gateway(day, entries, rows, watch)
        facts = loaders.gateway_facts(day, pairing.left_entries, pairing.left_rows)
        outcome = matching.classify_gateway(day, pairing, facts, watch)
        return Computed(outcome, len(entries), sum(e.amount for e in entries), stored.row_count, stored.total_amount,
                        {"file": stored.public_id, "fileName": stored.file_name, "sha256": stored.sha256,
                         "fee": stored.total_fee, "net": stored.total_net, "origin": stored.origin})
    if source == "payouts":
        entries = loaders.payout_entries(day)
        lines = loaders.payout_lines(day)
        facts = loaders.payout_facts(day, entries, lines)
        outcome = matching.match_payouts(day, entries, lines, facts, watch)
        return Computed(outcome, len(entries), sum(e.amount for e in entries), len(lines),
                        sum(ln.amount for ln in lines), {})
    expected, credits, details = loaders.settlement_inputs(day)
    groups, manual, waiting = loaders.deposit_groups(day)
    outcome = matching.match_settlement(day, expected, credits, groups, manual, watch)
    group_entries = [e for _lines, entries, _partner in groups for e in entries]
    group_lines = [ln for lines, _entries, _partner in groups for ln in lines]
    credit_lines = [ln for lines in credits.values() for ln in lines]
    return Computed(outcome, len(expected) + len(group_entries) + len(manual),
                    sum(x.net for x in expected) + sum(e.amount for e in group_entries + manual),
                    len(credit_lines) + len(group_lines), sum(ln.amount for ln in credit_lines + group_lines),
                    {**details, "waitingForDecision": waiting, "expectedNet": sum(x.net for x in expected),
                     "settlementCredits": sum(ln.amount for ln in credit_lines)})


def _resolve_automatically(item: ReconciliationItem, resolution: str, now) -> None:
    item.status, item.resolution, item.resolved_at = ItemStatus.RESOLVED, resolution, now
    item.resolved_by, item.resolution_reason = SYSTEM.name, str(AUTOMATIC[resolution])


def _apply(run_id: int, day: date, source: str, computed: Computed) -> dict:
    """Step 3 (see the module doc): items and totals in one transaction."""
    now = clock.now()
    run = db.session.get(ReconciliationRun, run_id, with_for_update=True, populate_existing=True)
    if run.status != RunStatus.RUNNING:
        raise RunInProgress()
    findings = {f.key: f for f in computed.outcome.findings}
    existing: dict[str, ReconciliationItem] = {}
    keys = list(findings)
    for i in range(0, len(keys), loaders.CHUNK):
        for item in db.session.scalars(select(ReconciliationItem).where(
                ReconciliationItem.natural_key.in_(keys[i:i + loaders.CHUNK]))):
            existing[item.natural_key] = item
    counts = {"new": 0, "updated": 0, "cleared": 0, "gone": 0, "reopened": 0}
    for key, f in findings.items():
        item = existing.get(key)
        if item is None:
            item = ReconciliationItem(public_id=public_id("rci"), natural_key=key, source=source, first_seen_at=now,
                                      status=ItemStatus.OPEN)
            db.session.add(item)
            counts["new"] += 1
        else:
            counts["updated"] += 1
            if item.status == ItemStatus.RESOLVED and item.resolution not in AUTOMATIC:
                item.run_id, item.last_seen_at = run_id, now   # a person's decision stands as they saw it
                continue
        if item.type != f.type:
            item.type, item.due_at = f.type, compute_due_at(f.type, item.first_seen_at)
        item.business_date, item.run_id, item.last_seen_at = f.business_date, run_id, now
        item.internal, item.external, item.facts = f.internal, f.external, f.facts or None
        item.internal_amount, item.external_amount, item.reservation_id = f.internal_amount, f.external_amount, \
            f.reservation_id
        if item.status == ItemStatus.OPEN and f.cleared:
            _resolve_automatically(item, "cleared", now)
            counts["cleared"] += 1
        elif item.status == ItemStatus.RESOLVED and item.resolution in AUTOMATIC and not f.cleared:
            item.status, item.resolution, item.resolved_at, item.resolved_by, item.resolution_reason = \
                ItemStatus.OPEN, None, None, None, None
            counts["reopened"] += 1
    stale = db.session.scalars(select(ReconciliationItem).where(
        ReconciliationItem.source == source, ReconciliationItem.status == ItemStatus.OPEN,
        ReconciliationItem.business_date == day))
    for item in list(stale) + [i for i in _open_items(computed.outcome.matched_keys)]:
        if item.natural_key not in findings and item.status == ItemStatus.OPEN:
            _resolve_automatically(item, "gone", now)
            counts["gone"] += 1
    db.session.flush()
    outcome = computed.outcome
    run.status, run.finished_at = RunStatus.COMPLETED, now
    run.internal_count, run.internal_amount = computed.internal_count, computed.internal_amount
    run.external_count, run.external_amount = computed.external_count, computed.external_amount
    run.matched_count, run.total_count = outcome.matched, outcome.total
    run.match_rate = compute_match_rate(outcome.matched, outcome.total)
    by_type: dict[str, int] = {}
    for f in outcome.findings:
        by_type[f.type] = by_type.get(f.type, 0) + 1
    run.details = {**computed.details, "findingsByType": by_type, "items": counts}
    audit.record("reconciliation.completed", entity_type="reconciliation_run", entity_id=f"{day}:{source}",
                 actor=SYSTEM, data={"matched": outcome.matched, "total": outcome.total,
                                     "matchRate": str(run.match_rate) if run.match_rate is not None else None,
                                     "items": counts, "byType": by_type, "run": run.times_run})
    return counts


def _open_items(keys: set[str]) -> list[ReconciliationItem]:
    keys = list(keys)
    found: list[ReconciliationItem] = []
    for i in range(0, len(keys), loaders.CHUNK):
        found += db.session.scalars(select(ReconciliationItem).where(
            ReconciliationItem.natural_key.in_(keys[i:i + loaders.CHUNK]),
            ReconciliationItem.status == ItemStatus.OPEN))
    return found


def reconcile_day(day: date, source: str, *, actor: Actor | None = None, trigger: str = "operator") \
        -> ReconciliationRun:
    """Reconcile one business date against one source (see the module doc). Commits. Safe to run
    again at any time: the same differences give the same items. Raises RunInProgress when the same
    day and source is running now, NoSettlementFile (gateway) when the day's file is missing."""
    if source not in SOURCE_ORDER:
        raise ValidationFailed(fields={"source": NOT_A_SOURCE})
    check_day(day)
    actor = actor or SYSTEM
    run_id = _claim(day, source, actor, trigger)
    try:
        computed = _compute(day, source)
        end_transaction()
        run_in_transaction(lambda: _apply(run_id, day, source, computed))
    except Exception as exc:
        db.session.rollback()
        message = str(getattr(exc, "message", "") or exc) or type(exc).__name__
        _fail(run_id, message)
        if not isinstance(exc, (ValidationFailed, settlement.SettlementFileError)):
            log.exception("reconciliation of %s (%s) failed", day, source)
        raise
    return db.session.get(ReconciliationRun, run_id, populate_existing=True)


def reconcile_all(day: date, *, actor: Actor | None = None, trigger: str = "operator",
                  fetch: bool = True) -> list[tuple[str, ReconciliationRun | None, str | None]]:
    """The three reconciliations of a day, in seed order; a missing gateway file is fetched first
    (when the gateway offers it). One source failing does not stop the others.
    Returns (source, run, error message or None) per source."""
    check_day(day)
    results = []
    for source in SOURCE_ORDER:
        if source == "gateway" and fetch and day_has_ended(day) and loaders.latest_file(day) is None:
            try:
                fetch_settlement_file(day, actor=actor)
            except settlement.SettlementFileError as exc:
                log.warning("the gateway's file for %s does not add up: %s", day, exc.message)
        try:
            results.append((source, reconcile_day(day, source, actor=actor, trigger=trigger), None))
        except (ValidationFailed, IllegalTransition, settlement.SettlementFileError) as exc:
            results.append((source, get_run(day, source), str(getattr(exc, "message", exc))))
    return results


def day_has_ended(day: date) -> bool:
    """A gateway's file is complete only once its day is over (Korea); no partial file is fetched."""
    return day < clock.now().astimezone(KOREA).date()


def get_run(day: date, source: str) -> ReconciliationRun | None:
    return db.session.scalar(select(ReconciliationRun).where(ReconciliationRun.business_date == day,
                                                             ReconciliationRun.source == source))


def reconcile_scheduled(source: str) -> dict:
    """The morning job of one source: reconcile yesterday (Korean date; the gateway's file is fetched
    first, every time: a file fetched during the day was partial, and the same bytes again change
    nothing), then the day before again when it still has open items, so a pair recorded on either
    side of midnight clears itself ("익일 자동 재대사"). Safe to run twice."""
    from app.reconcile.policies import previous_business_date

    day = previous_business_date(clock.now())
    done = {}
    for target in (day, day - timedelta(days=1)):
        if target != day:
            earlier = get_run(target, source)
            if earlier is None or not _has_open_items(target, source):
                continue
        if source == "gateway":   # the gateway's file of a finished day; the same bytes again change nothing
            try:
                fetch_settlement_file(target, actor=SYSTEM)
            except settlement.SettlementFileError as exc:
                log.error("[CRITICAL] the gateway's settlement file for %s does not add up: %s", target,
                          exc.message, extra={"alert": "CRITICAL"})
        try:
            run = reconcile_day(target, source, actor=SYSTEM, trigger="schedule")
            done[target.isoformat()] = {"status": run.status, "matched": run.matched_count, "total": run.total_count}
        except (ValidationFailed, IllegalTransition, settlement.SettlementFileError) as exc:
            done[target.isoformat()] = {"status": "failed", "error": str(getattr(exc, "message", exc))}
    return done


def _has_open_items(day: date, source: str) -> bool:
    return db.session.scalar(select(ReconciliationItem.id).where(
        ReconciliationItem.business_date == day, ReconciliationItem.source == source,
        ReconciliationItem.status == ItemStatus.OPEN).limit(1)) is not None
