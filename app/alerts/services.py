"""The alert engine and the people's actions on alerts: the only code that changes them.

evaluate(now), every minute (workers/jobs/alerts.py):

1. runs every rule's check (a check that raises is logged and skipped: its alerts stay as they are);
2. per firing subject: opens the alert once (INSERT … ON CONFLICT DO NOTHING against the partial
   unique index on (rule, subject) while open/acknowledged, so two evaluators open it once) and
   sends message #1; an alert already open just gets `last_seen_at` and fresh details;
3. a condition rule whose subject no longer fires: resolved by itself, with a "resolved" message;
4. every open (unacknowledged) alert: repeated after the rule's interval, escalated to the next
   person of its area's on-call list after the rule's response time (1st → 2nd → 3rd).

Every message goes through the outbox (queue_operator_message) with a dedupe key made of the
alert id, the message number and the recipient, and each message number is claimed by a guarded
UPDATE (`WHERE notifications_sent = n`), so a repeat is sent once even by two evaluators.
While a silence covers an alert its messages and escalations wait (the alert is still recorded).
Every state change writes an audit event in the same transaction.
"""
from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import or_, select, text, true, update

from app.alerts import policies, texts
from app.alerts.firing import Firing
from app.alerts.models import ACTIVE_WHERE, Alert, AlertSilence, AlertStatus, OnCallEntry
from app.alerts.rules import ALERT_RULES, RULES, AlertRule
from app.core import audit, clock
from app.core.actor import Actor
from app.core.db import is_postgres, run_in_transaction
from app.core.errors import IllegalTransition, NotFound, ValidationFailed
from app.core.ids import public_id
from app.extensions import db

log = logging.getLogger(__name__)
ENGINE = Actor.system("alerts")


def _jsonable(details: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (details or {}).items():
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        elif not isinstance(value, (str, int, float, bool, list, dict, type(None))):
            value = str(value)
        out[str(key)] = value
    return out


# --- who is told -------------------------------------------------------------------------------

def oncall_contacts(area: str) -> list[policies.Contact]:
    """The area's on-call list, 1st first: the list kept on the on-call page, else the
    ALERT_ONCALL_<AREA> / ALERT_ONCALL_DEFAULT setting."""
    entries = db.session.scalars(select(OnCallEntry).where(OnCallEntry.area == area)
                                 .order_by(OnCallEntry.position)).all()
    contacts = []
    for entry in entries:
        op = entry.operator
        if op is not None:
            if not op.active:
                continue
            contacts.append(policies.Contact(op.email, entry.phone, op.language or "ko", op.name or op.email, op.id))
        elif entry.email or entry.phone:
            contacts.append(policies.Contact(entry.email, entry.phone, entry.language or "ko", entry.email or ""))
    if contacts:
        return contacts
    cfg = current_app.config
    return policies.parse_oncall_setting(cfg.get(f"ALERT_ONCALL_{area.upper()}") or cfg.get("ALERT_ONCALL_DEFAULT"))


def active_silence(rule: str, subject: str, now: datetime) -> AlertSilence | None:
    return db.session.scalars(select(AlertSilence).where(
        AlertSilence.rule == rule, or_(AlertSilence.subject.is_(None), AlertSilence.subject == subject),
        AlertSilence.starts_at <= now, AlertSilence.ends_at > now, AlertSilence.ended_early_at.is_(None))
        .order_by(AlertSilence.ends_at.desc()).limit(1)).first()


def _key(alert: Alert, number: Any, channel: str, recipient: str) -> str:
    digest = hashlib.sha256(recipient.encode()).hexdigest()[:16]
    return f"alert:{alert.id}:{number}:{channel}:{digest}"


def _queue_messages(alert: Alert, kind: str, number: Any, contacts: list[policies.Contact]) -> int:
    """Queue the messages of one notification (no commit). Returns how many were added."""
    from app.notifications.services import queue_operator_message

    cfg = current_app.config
    rule = RULES.get(alert.rule)
    channels = policies.channels_for(alert.severity, cfg)
    if kind == "resolved":
        channels = tuple(c for c in channels if c != "sms")  # good news needs no text message at night
    added = 0
    targets: list[tuple[str, str, str]] = []
    for contact in contacts:
        if "email" in channels and contact.email:
            targets.append(("email", contact.email, contact.language))
        if "sms" in channels and contact.phone:
            targets.append(("sms", contact.phone, contact.language))
    hook = policies.webhook_for(alert.severity, cfg) if "webhook" in channels else None
    if hook:
        targets.append(("webhook", hook, cfg.get("BABEL_DEFAULT_LOCALE", "ko")))
    for channel, recipient, language in targets:
        with force_locale(language):
            subject, body = texts.render_message(kind, alert, rule, language)
        if channel == "sms":
            body = "\n".join(line for line in body.splitlines() if not line.startswith(("http", " ")))[:300]
        if queue_operator_message(event=f"alert.{kind}", channel=channel, recipient=recipient, language=language,
                                  subject=subject, body=body, dedupe_key=_key(alert, number, channel, recipient)):
            added += 1
    return added


# --- opening, seeing, clearing -------------------------------------------------------------------

def _insert_alert(rule: AlertRule, firing: Firing, now: datetime) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING on the active (rule, subject): the new id, or None."""
    if is_postgres():
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(Alert).values(
        public_id=public_id("alr"), rule=rule.key, subject=firing.subject[:200], severity=rule.severity,
        area=rule.area, status=AlertStatus.OPEN, opened_at=now, last_seen_at=now, notifications_sent=0,
        escalation_step=0, details=_jsonable(firing.details), created_at=now, updated_at=now,
    ).on_conflict_do_nothing(index_elements=["rule", "subject"], index_where=text(ACTIVE_WHERE)) \
        .returning(Alert.id)
    return db.session.execute(stmt).scalar_one_or_none()


def _open_or_touch(rule: AlertRule, firing: Firing, now: datetime) -> Alert | None:
    """One firing: open its alert (and send #1) or refresh the open one. No commit.
    Returns the alert when this call opened it."""
    subject = firing.subject[:200]
    if rule.event and db.session.scalar(select(Alert.id).where(Alert.rule == rule.key, Alert.subject == subject)
                                        .limit(1)) is not None:
        db.session.execute(update(Alert).where(
            Alert.rule == rule.key, Alert.subject == subject, Alert.status.in_(AlertStatus.ACTIVE))
            .values(last_seen_at=now).execution_options(synchronize_session=False))
        return None  # an event is raised once; a resolved one stays resolved
    alert_id = _insert_alert(rule, firing, now)
    if alert_id is None:
        db.session.execute(update(Alert).where(Alert.rule == rule.key, Alert.subject == subject,
                                               Alert.status.in_(AlertStatus.ACTIVE))
                           .values(last_seen_at=now, details=_jsonable(firing.details))
                           .execution_options(synchronize_session=False))
        return None
    alert = db.session.get(Alert, alert_id)
    audit.record("alert.opened", entity_type="alert", entity_id=alert.public_id, actor=ENGINE,
                 to_state=AlertStatus.OPEN, data={"rule": rule.key, "subject": subject, "severity": rule.severity,
                                                  "details": alert.details})
    log.log(logging.CRITICAL if rule.severity == "CRITICAL" else logging.WARNING,
            "[%s] alert %s opened for %s", rule.severity, rule.key, subject,
            extra={"alert": alert.public_id, "rule": rule.key})
    _notify(alert, "opened", now)
    return alert


def _notify(alert: Alert, kind: str, now: datetime, *, escalate: bool = False) -> bool:
    """Claim the alert's next message number with a guarded UPDATE and queue its messages
    (no commit). False when another evaluator claimed it first or a silence holds it back."""
    silence = active_silence(alert.rule, alert.subject, now)
    if silence is not None:
        if alert.silenced_by_id != silence.id:
            db.session.execute(update(Alert).where(Alert.id == alert.id).values(silenced_by_id=silence.id)
                               .execution_options(synchronize_session=False))
            audit.record("alert.silenced", entity_type="alert", entity_id=alert.public_id, actor=ENGINE,
                         reason=silence.reason, data={"silence": silence.public_id, "held_back": kind})
        return False
    number = alert.notifications_sent
    values: dict[str, Any] = {"notifications_sent": number + 1, "last_notified_at": now, "silenced_by_id": None,
                              "updated_at": now}
    conditions = [Alert.id == alert.id, Alert.notifications_sent == number, Alert.status == AlertStatus.OPEN]
    step = alert.escalation_step
    if escalate:
        values.update(escalation_step=step + 1, escalated_at=now)
        conditions.append(Alert.escalation_step == step)
    claimed = db.session.execute(update(Alert).where(*conditions).values(**values)
                                 .execution_options(synchronize_session=False)).rowcount
    if not claimed:
        return False
    db.session.refresh(alert)
    contacts = oncall_contacts(alert.area)
    target = contacts[alert.escalation_step:alert.escalation_step + 1]
    sent = _queue_messages(alert, kind, number + 1, target)
    if escalate:
        audit.record("alert.escalated", entity_type="alert", entity_id=alert.public_id, actor=ENGINE,
                     data={"step": alert.escalation_step + 1, "to": target[0].name if target else None,
                           "messages": sent})
    elif kind == "repeat":
        audit.record("alert.repeated", entity_type="alert", entity_id=alert.public_id, actor=ENGINE,
                     data={"number": number + 1, "messages": sent})
    else:
        audit.record("alert.notified", entity_type="alert", entity_id=alert.public_id, actor=ENGINE,
                     data={"number": number + 1, "messages": sent,
                           "to": target[0].name if target else None})
    return True


def _resolve(alert: Alert, now: datetime, *, how: str, actor: Actor, operator_id: int | None = None,
             note: str | None = None) -> bool:
    """Active → resolved with a guarded UPDATE (no commit); the "resolved" message goes to
    whoever was told. False when it was resolved already."""
    before = alert.status
    changed = db.session.execute(update(Alert).where(Alert.id == alert.id, Alert.status.in_(AlertStatus.ACTIVE))
                                 .values(status=AlertStatus.RESOLVED, resolved_at=now, resolved_how=how,
                                         resolved_by_id=operator_id, resolution_note=note, updated_at=now)
                                 .execution_options(synchronize_session=False)).rowcount
    if not changed:
        return False
    db.session.refresh(alert)
    audit.record("alert.resolved", entity_type="alert", entity_id=alert.public_id, actor=actor, from_state=before,
                 to_state=AlertStatus.RESOLVED, reason=note, data={"how": how, "rule": alert.rule})
    if alert.notifications_sent and active_silence(alert.rule, alert.subject, now) is None:
        contacts = oncall_contacts(alert.area)[:alert.escalation_step + 1]
        _queue_messages(alert, "resolved", "resolved", contacts)
    return True


def _process_rule(rule: AlertRule, firings: list[Firing], now: datetime) -> dict[str, int]:
    counts = {"opened": 0, "resolved": 0}
    seen = set()
    for firing in firings:
        if firing.subject[:200] in seen:
            continue
        seen.add(firing.subject[:200])
        if _open_or_touch(rule, firing, now) is not None:
            counts["opened"] += 1
    if not rule.event:
        stale = db.session.scalars(select(Alert).where(Alert.rule == rule.key, Alert.status.in_(AlertStatus.ACTIVE),
                                                       Alert.subject.not_in(seen) if seen else true())
                                   .order_by(Alert.id)).all()
        for alert in stale:
            if _resolve(alert, now, how="cleared", actor=ENGINE):
                counts["resolved"] += 1
    return counts


def _follow_up(now: datetime) -> dict[str, int]:
    """Repeats and escalations of the open, unacknowledged alerts (no commit)."""
    counts = {"repeated": 0, "escalated": 0}
    alerts = db.session.scalars(select(Alert).where(Alert.status == AlertStatus.OPEN).order_by(Alert.id)).all()
    people: dict[str, int] = {}
    for alert in alerts:
        rule = RULES.get(alert.rule)
        if rule is None:
            continue
        if alert.area not in people:
            people[alert.area] = len(oncall_contacts(alert.area))
        timing = policies.compute_timing(
            status=alert.status, opened_at=alert.opened_at, last_notified_at=alert.last_notified_at,
            escalated_at=alert.escalated_at, escalation_step=alert.escalation_step, repeat_every=rule.repeat,
            ack_within=rule.respond_within, people=people[alert.area])
        if policies.is_due(timing.escalate_at, now):
            if _notify(alert, "escalated", now, escalate=True):
                counts["escalated"] += 1
        elif policies.is_due(timing.repeat_at, now):
            if _notify(alert, "repeat" if alert.notifications_sent else "opened", now):
                counts["repeated"] += 1
    return counts


def evaluate(now: datetime | None = None, *, rules: tuple[AlertRule, ...] | None = None) -> dict[str, int]:
    """Run every rule once (see module doc). Commits per rule. Safe to run twice and at the
    same time as another evaluate(): each alert opens once and each message goes once."""
    now = now or clock.now()
    totals = {"opened": 0, "resolved": 0, "repeated": 0, "escalated": 0, "failed_checks": 0}
    for rule in rules or ALERT_RULES:
        check = None
        try:
            check = rule.check_function()
        except (ImportError, AttributeError):
            log.warning("alert rule %s: its check %s is not available", rule.key, rule.check)
            totals["failed_checks"] += 1
            continue
        if check is None:
            continue
        try:
            firings = list(check())
            db.session.rollback()  # a check only reads; end its transaction before writing
        except Exception:
            db.session.rollback()
            log.exception("alert rule %s: its check failed", rule.key)
            totals["failed_checks"] += 1
            continue
        counts = run_in_transaction(lambda: _process_rule(rule, firings, now))
        totals["opened"] += counts["opened"]
        totals["resolved"] += counts["resolved"]
    counts = run_in_transaction(lambda: _follow_up(now))
    totals["repeated"] += counts["repeated"]
    totals["escalated"] += counts["escalated"]
    from app.alerts.watchdog import record_evaluated

    record_evaluated(totals, now)  # the watchdog of the worker and the clock reads it
    return totals


def raise_alert(rule: str, subject: str, details: dict[str, Any] | None = None) -> Alert | None:
    """Push an event (a chargeback the gateway reports, a batch that failed) as an alert of
    `rule`, in the caller's transaction (no commit; messages go after commit). Returns the
    alert when this call opened it; raising the same (rule, subject) again does nothing."""
    found = RULES.get(rule)
    if found is None:
        raise ValueError(f"unknown alert rule {rule!r}")
    return _open_or_touch(found, Firing(subject, dict(details or {})), clock.now())


# --- people -----------------------------------------------------------------------------------

def _get_for_update(alert_public_id: str) -> Alert:
    alert = db.session.execute(select(Alert).where(Alert.public_id == alert_public_id).with_for_update()
                               .execution_options(populate_existing=True)).scalar_one_or_none()
    if alert is None:
        raise NotFound()
    return alert


def acknowledge(alert_public_id: str, operator) -> Alert:
    """"I am on it": stops repeats and escalation (commits). Twice → IllegalTransition."""
    actor, now = Actor.operator(operator), clock.now()

    def work() -> Alert:
        alert = _get_for_update(alert_public_id)
        changed = db.session.execute(update(Alert).where(Alert.id == alert.id, Alert.status == AlertStatus.OPEN)
                                     .values(status=AlertStatus.ACKNOWLEDGED, acknowledged_at=now,
                                             acknowledged_by_id=operator.id, updated_at=now)
                                     .execution_options(synchronize_session=False)).rowcount
        if not changed:
            raise IllegalTransition(fields={"status": f"this alert is {alert.status}, not open"})
        db.session.refresh(alert)
        audit.record("alert.acknowledged", entity_type="alert", entity_id=alert.public_id, actor=actor,
                     from_state=AlertStatus.OPEN, to_state=AlertStatus.ACKNOWLEDGED,
                     data={"rule": alert.rule, "minutes_to_ack": int((now - alert.opened_at).total_seconds() // 60)})
        return alert

    return run_in_transaction(work)


def resolve_by_operator(alert_public_id: str, operator, note: str) -> Alert:
    """A person closes the alert with a note (commits). Already resolved → IllegalTransition.
    A condition that still holds opens a new alert at the next evaluation."""
    note = (note or "").strip()
    if len(note) < 3:
        raise ValidationFailed(fields={"note": "Write a short note of what was done."})
    actor, now = Actor.operator(operator), clock.now()

    def work() -> Alert:
        alert = _get_for_update(alert_public_id)
        if not _resolve(alert, now, how="operator", actor=actor, operator_id=operator.id, note=note[:2000]):
            raise IllegalTransition(fields={"status": "this alert is resolved already"})
        return alert

    return run_in_transaction(work)


def create_silence(*, rule: str, subject: str | None, ends_at: datetime, reason: str, operator) -> AlertSilence:
    """Hold back the messages of a rule (or of one subject) until `ends_at` (commits, audited)."""
    now = clock.now()
    reason = (reason or "").strip()
    problems = {}
    if rule not in RULES:
        problems["rule"] = "Choose an alert."
    if ends_at <= now or ends_at > now + policies.SILENCE_MAX:
        problems["ends_at"] = "Choose an end time in the future, within 7 days."
    if len(reason) < policies.SILENCE_REASON_MIN:
        problems["reason"] = "Write why."
    if problems:
        raise ValidationFailed(fields=problems)

    def work() -> AlertSilence:
        silence = AlertSilence(public_id=public_id("sil"), rule=rule, subject=(subject or None),
                               starts_at=now, ends_at=ends_at, reason=reason[:2000], created_by_id=operator.id,
                               created_by_name=(operator.name or operator.email)[:200])
        db.session.add(silence)
        db.session.flush()
        audit.record("alert.silence_created", entity_type="alert_silence", entity_id=silence.public_id,
                     actor=Actor.operator(operator), reason=silence.reason,
                     data={"rule": rule, "subject": subject, "ends_at": ends_at.isoformat()})
        return silence

    return run_in_transaction(work)


def end_silence(silence_public_id: str, operator) -> AlertSilence:
    """End a silence now (commits, audited); the held-back messages go at the next evaluation."""
    now = clock.now()

    def work() -> AlertSilence:
        silence = db.session.scalars(select(AlertSilence).where(AlertSilence.public_id == silence_public_id)
                                     .with_for_update()).first()
        if silence is None:
            raise NotFound()
        if silence.ended_early_at is not None or silence.ends_at <= now:
            raise IllegalTransition(fields={"silence": "this silence has ended already"})
        silence.ended_early_at = now
        silence.ended_early_by_name = (operator.name or operator.email)[:200]
        audit.record("alert.silence_ended", entity_type="alert_silence", entity_id=silence.public_id,
                     actor=Actor.operator(operator), data={"rule": silence.rule, "subject": silence.subject})
        return silence

    return run_in_transaction(work)


def set_oncall(area: str, entries: list[dict[str, Any]], operator) -> list[OnCallEntry]:
    """Replace an area's on-call list (up to three: operator_id, or email/phone; commits, audited
    with the list before and after)."""
    if area not in policies.AREAS:
        raise NotFound()
    from app.auth.models import Operator

    cleaned = []
    for position, entry in enumerate(entries[:len(policies.ONCALL_POSITIONS)], start=1):
        operator_id = entry.get("operator_id")
        email = (entry.get("email") or "").strip() or None
        phone = (entry.get("phone") or "").strip() or None
        if not operator_id and not email and not phone:
            continue
        if operator_id and db.session.get(Operator, operator_id) is None:
            raise ValidationFailed(fields={f"person_{position}": "Unknown operator."})
        cleaned.append({"operator_id": operator_id or None, "email": email, "phone": phone,
                        "language": entry.get("language") or "ko"})

    def describe(rows) -> list[dict[str, Any]]:
        return [{"position": r.position, "operator_id": r.operator_id, "email": r.email,
                 "phone": "***" if r.phone else None} for r in rows]

    def work() -> list[OnCallEntry]:
        old = db.session.scalars(select(OnCallEntry).where(OnCallEntry.area == area)
                                 .order_by(OnCallEntry.position).with_for_update()).all()
        before = describe(old)
        for row in old:
            db.session.delete(row)
        db.session.flush()
        rows = [OnCallEntry(area=area, position=i, **values) for i, values in enumerate(cleaned, start=1)]
        db.session.add_all(rows)
        db.session.flush()
        audit.record("alert.oncall_changed", entity_type="alert_oncall", entity_id=area,
                     actor=Actor.operator(operator), data={"before": before, "after": describe(rows)})
        return rows

    return run_in_transaction(work)


