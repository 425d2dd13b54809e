"""Sign-in, sign-out and server-side operator sessions (use cases; part of the services layer).

The browser's signed cookie carries only a random session id (Flask-Login's
`_user_id`); the `operator_sessions` row it points to decides whether it still
counts. Signing out, changing a password or disabling an operator revokes
rows, so a copied cookie stops working at once. Passwords are checked outside
any database transaction (hashing takes ~0.1 s and, on SQLite, a transaction
holds the write lock).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, g
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from app.auth import policies
from app.auth.models import Operator, OperatorSession, SignInFailure
from app.core import audit, clock
from app.core.actor import Actor
from app.core.db import end_transaction, run_in_transaction
from app.core.errors import DomainError
from app.core.ids import secret_token, token_hash
from app.extensions import db

log = logging.getLogger(__name__)

#: last_seen_at is written at most this often (not on every request).
TOUCH_EVERY = timedelta(seconds=60)
#: Dead session rows are kept this long (for "where am I signed in" history), then deleted.
KEEP_DEAD_SESSIONS = timedelta(days=30)
#: Failure rows older than this are deleted whenever a new failure is written (the throttle looks no further).
KEEP_FAILURES = policies.THROTTLE["pair"]["lookback"]

_dummy_hash: str | None = None


class SignInFailed(DomainError):
    """Wrong email or password, or a disabled account: one answer for all three."""

    code = "sign_in_failed"
    status = 200
    default_message = _l("The email or password is not right. Check both and try again.")


class SignInThrottled(DomainError):
    """Too many failed sign-ins lately; the person must wait a little."""

    code = "sign_in_throttled"
    status = 429
    default_message = _l("Too many tries. Wait a moment and try again.")

    def __init__(self, until: datetime, now: datetime):
        self.until = until
        self.seconds = policies.seconds_to_wait(until, now)
        self.minutes = policies.minutes_to_wait(until, now)
        if self.seconds < 60:
            message = _l("Too many tries with this email or from this network. Wait %(seconds)s seconds "
                         "and try again. If you forgot your password, ask an admin.", seconds=self.seconds)
        else:
            message = _l("Too many tries with this email or from this network. Wait %(minutes)s minute(s) "
                         "and try again. If you forgot your password, ask an admin.", minutes=self.minutes)
        super().__init__(message)


@dataclass(frozen=True)
class FailedTries:
    """Wrong passwords typed for an operator's email since their previous sign-in,
    other than their own typos just before this sign-in (same address, same run)."""

    count: int
    addresses: int
    last_at: datetime


@dataclass
class SignedIn:
    operator: Operator
    token: str  # the raw session id for the cookie (only its hash is stored)
    failed_tries: FailedTries | None = None  # told to the operator once, right after signing in


def _typed_email(email: str | None) -> str:
    return (email or "").strip().lower()[:254]


def _check_dummy(password: str) -> None:
    """Spend the same time as a real check, so an unknown email answers as slowly."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = generate_password_hash("frontdesk-no-such-operator")
    check_password_hash(_dummy_hash, password)


def throttle_wait(email: str, address: str, now: datetime) -> datetime | None:
    """Until when sign-ins for this email or from this address must wait, or None."""
    rules = policies.THROTTLE
    by_account = db.session.execute(select(SignInFailure.created_at, SignInFailure.address).where(
        SignInFailure.email == email, SignInFailure.created_at > now - rules["pair"]["lookback"])).all()
    by_address = db.session.scalars(select(SignInFailure.created_at).where(
        SignInFailure.address == address, SignInFailure.created_at > now - rules["address"]["window"])).all()
    by_pair = [at for at, where in by_account if where == address]
    waits = [w for w in (policies.compute_account_wait(by_pair, now=now, rule=rules["pair"]),
                         policies.compute_account_wait([at for at, _ in by_account], now=now, rule=rules["account"]),
                         policies.compute_address_wait(by_address, now=now)) if w is not None]
    return max(waits) if waits else None


def open_session(operator_id: int, now: datetime, address: str, user_agent: str) -> str:
    raw = secret_token("fds")
    db.session.add(OperatorSession(
        token_hash=token_hash(raw), operator_id=operator_id, created_at=now, last_seen_at=now,
        expires_at=now + timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"]),
        address=(address or "")[:64], user_agent=(user_agent or "")[:300]))
    return raw


def revoke_sessions(operator_id: int, reason: str, *, only_token: str | None = None) -> int:
    """Revoke the operator's live sessions (or just one). No commit. Running it twice changes nothing."""
    stmt = update(OperatorSession).where(OperatorSession.operator_id == operator_id,
                                         OperatorSession.revoked_at.is_(None))
    if only_token is not None:
        stmt = stmt.where(OperatorSession.token_hash == token_hash(only_token))
    return db.session.execute(stmt.values(revoked_at=clock.now(), revoked_reason=reason)
                              .execution_options(synchronize_session=False)).rowcount or 0


def sign_in(email: str, password: str, *, address: str, user_agent: str = "",
            previous_token: str | None = None) -> SignedIn:
    """Check the credentials and open a new session (a fresh random id: no fixation). Commits.

    Refuses with SignInThrottled while the account or address must wait
    (nothing recorded), or SignInFailed — the same answer, after the same
    password-hashing work, for an unknown email, a wrong password and a
    disabled account — after recording the failure. Success clears the
    failures of this email from this address (others' failures keep binding
    their own networks), revokes `previous_token` (the browser's older
    session) and counts the wrong passwords others typed for this operator
    since their previous sign-in (`SignedIn.failed_tries`, audited).
    """
    typed = _typed_email(email)
    address = (address or "unknown")[:64]
    now = clock.now()
    until = throttle_wait(typed, address, now)
    row = db.session.execute(select(Operator.id, Operator.password_hash, Operator.active)
                             .where(Operator.email == typed)).first()
    end_transaction()
    if until is not None:
        log.warning("sign-in throttled", extra={"event": "auth.sign_in_throttled", "email": typed,
                                                "address": address, "until": until.isoformat()})
        raise SignInThrottled(until, now)
    if row is None:
        _check_dummy(password or "")
        ok = False
    else:
        ok = check_password_hash(row.password_hash, password or "") and row.active
    if not ok:
        _record_failure(typed, address, operator_id=row.id if row else None,
                        known=row is not None, disabled=row is not None and not row.active)
        raise SignInFailed()

    def work() -> SignedIn:
        operator = db.session.get(Operator, row.id)
        stamp = clock.now()
        tries = failed_tries_since(operator, typed, address, stamp)
        db.session.execute(delete(SignInFailure).where(SignInFailure.email == typed,
                                                       SignInFailure.address == address))
        if previous_token:
            revoke_sessions(operator.id, "replaced", only_token=previous_token)
        db.session.execute(delete(OperatorSession).where(
            OperatorSession.operator_id == operator.id, OperatorSession.expires_at < stamp - KEEP_DEAD_SESSIONS))
        raw = open_session(operator.id, stamp, address, user_agent)
        operator.last_login_at = stamp
        audit.record("operator.signed_in", entity_type="operator", entity_id=operator.id,
                     actor=Actor.operator(operator), data={"address": address})
        if tries is not None:
            audit.record("operator.told_of_failed_sign_ins", entity_type="operator", entity_id=operator.id,
                         actor=Actor.operator(operator),
                         data={"count": tries.count, "addresses": tries.addresses,
                               "lastAt": tries.last_at.isoformat()})
        return SignedIn(operator, raw, tries)

    signed_in = run_in_transaction(work)
    signed_in.operator.session_token = signed_in.token
    log.info("operator signed in", extra={"event": "auth.signed_in", "operator_id": signed_in.operator.id,
                                          "operator": signed_in.operator.email, "address": address})
    return signed_in


def failed_tries_since(operator: Operator, typed: str, address: str, now: datetime) -> FailedTries | None:
    """Wrong passwords typed for this operator since their previous sign-in (from the
    audit log, which keeps them for good), except this person's own typos: failures
    from the address now signing in, within the last run window. None when there were none."""
    from app.core.audit import AuditEvent

    query = select(AuditEvent.created_at, AuditEvent.data).where(
        AuditEvent.action == "operator.sign_in_failed", AuditEvent.entity_type == "operator",
        AuditEvent.entity_id == str(operator.id))
    if operator.last_login_at is not None:
        query = query.where(AuditEvent.created_at > operator.last_login_at)
    own_run_since = now - policies.THROTTLE["pair"]["window"]
    tries = [(at, (data or {}).get("address", "")) for at, data in db.session.execute(query)
             if not ((data or {}).get("address") == address and at > own_run_since)]
    if not tries:
        return None
    return FailedTries(count=len(tries), addresses=len({where for _, where in tries}),
                       last_at=max(at for at, _ in tries))


def _record_failure(typed: str, address: str, *, operator_id: int | None, known: bool, disabled: bool) -> None:
    def work() -> None:
        stamp = clock.now()
        db.session.add(SignInFailure(email=typed, address=address, created_at=stamp))
        db.session.execute(delete(SignInFailure).where(SignInFailure.created_at < stamp - KEEP_FAILURES))
        audit.record("operator.sign_in_failed", entity_type="operator",
                     entity_id=operator_id if operator_id is not None else "unknown",
                     actor=Actor("guest", None, typed),
                     data={"email": typed, "address": address, "known_operator": known, "disabled": disabled})

    run_in_transaction(work)
    log.warning("sign-in failed", extra={"event": "auth.sign_in_failed", "email": typed, "address": address,
                                         "known_operator": known})


def load_session(raw: str | None) -> Operator | None:
    """The operator of a live session, else None (and `g.session_end` says why).

    Live: not revoked, not past the absolute timeout, seen within the idle
    timeout, and its operator active. Refreshes last_seen_at at most once a
    minute (its own small commit). Safe to call on every request.
    """
    if not raw or not isinstance(raw, str) or len(raw) > 100 or not raw.startswith("fds_"):
        return None
    found = db.session.execute(
        select(OperatorSession, Operator).join(Operator, Operator.id == OperatorSession.operator_id)
        .where(OperatorSession.token_hash == token_hash(raw)).execution_options(populate_existing=True)).first()
    if found is None:
        return None
    sess, operator = found
    now = clock.now()
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    ended = policies.compute_session_end(
        policies.SessionTimes(sess.created_at, sess.last_seen_at, sess.expires_at, sess.revoked_at),
        now=now, idle=idle)
    if ended is None and not operator.active:
        ended = "revoked"
    if ended is not None:
        g.session_end = sess.revoked_reason if ended == "revoked" and sess.revoked_reason else ended
        return None
    if now - sess.last_seen_at >= TOUCH_EVERY:
        db.session.execute(update(OperatorSession).where(OperatorSession.id == sess.id,
                                                         OperatorSession.revoked_at.is_(None))
                           .values(last_seen_at=now).execution_options(synchronize_session=False))
        db.session.commit()
    operator.session_token = raw
    return operator


def sign_out(operator: Operator) -> None:
    """Revoke the session this request came with. Commits. Running it twice changes nothing."""
    token = operator.session_token

    def work() -> int:
        revoked = revoke_sessions(operator.id, "signed_out", only_token=token) if token else 0
        if revoked:
            audit.record("operator.signed_out", entity_type="operator", entity_id=operator.id,
                         actor=Actor.operator(operator))
        return revoked

    if run_in_transaction(work):
        log.info("operator signed out", extra={"event": "auth.signed_out", "operator_id": operator.id,
                                               "operator": operator.email})


def list_live_sessions(operator_id: int) -> list[OperatorSession]:
    """The operator's sessions that still count, newest first."""
    now = clock.now()
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    return list(db.session.scalars(select(OperatorSession).where(
        OperatorSession.operator_id == operator_id, OperatorSession.revoked_at.is_(None),
        OperatorSession.expires_at > now, OperatorSession.last_seen_at > now - idle)
        .order_by(OperatorSession.last_seen_at.desc())))
