"""Operator accounts and API tokens: create, change password, profile, and the admin's changes.

Every change writes an audit event in the same transaction and a JSON log
line. The admin's changes lock the active admins first, so two admins acting
at once can never leave the back office without an active admin.
"""
from __future__ import annotations

import logging

from email_validator import EmailNotValidError, validate_email
from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from app.auth.models import ApiToken, Operator
from app.auth.roles import OPERATOR_LANGUAGES, Role
from app.auth.sessions import open_session, revoke_sessions
from app.core import audit, clock
from app.core.actor import Actor
from app.core.db import end_transaction, run_in_transaction
from app.core.errors import NotFound, ValidationFailed
from app.core.ids import secret_token, token_hash
from app.extensions import db

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
MIN_REASON_LENGTH = 3
MAX_REASON_LENGTH = 500


def normalize_email(email: str) -> str:
    try:
        return validate_email(email or "", check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationFailed(fields={"email": _l("Enter a valid email address.")}) from exc


def validate_password(password: str, field: str = "password") -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(fields={field: _l("Use at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)})
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationFailed(fields={field: _l("Use at most %(n)s characters.", n=MAX_PASSWORD_LENGTH)})


def validate_reason(reason: str | None) -> str:
    """The written reason for an admin change: required, trimmed."""
    text = (reason or "").strip()
    if len(text) < MIN_REASON_LENGTH:
        raise ValidationFailed(fields={"reason": _l("Write a short reason (it is kept in the audit log).")})
    return text[:MAX_REASON_LENGTH]


def _check_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError as exc:
        raise ValidationFailed(fields={"role": _l("Choose staff, manager or admin.")}) from exc


def _check_language(language: str) -> str:
    if language not in OPERATOR_LANGUAGES:
        raise ValidationFailed(fields={"language": _l("Choose Korean or English.")})
    return language


def create_operator(email: str, password: str, role: str = Role.STAFF, name: str = "",
                    language: str = "ko", actor: Actor | None = None, reason: str | None = None) -> Operator:
    """Add an operator. Commits. Raises ValidationFailed for a taken email, weak
    password, unknown role or language (and changes nothing). Not idempotent:
    a second call with the same email is refused as taken."""
    email = normalize_email(email)
    role = _check_role(role)
    language = _check_language(language)
    validate_password(password)
    if db.session.scalar(select(Operator.id).where(Operator.email == email)):
        raise ValidationFailed(fields={"email": _l("An operator with this email already exists.")})
    password_hash = generate_password_hash(password)
    actor = actor or Actor.system("cli")

    def work() -> Operator:
        operator = Operator(email=email, name=(name or "").strip()[:100] or email.split("@")[0], role=role,
                            language=language, password_hash=password_hash)
        db.session.add(operator)
        db.session.flush()
        audit.record("operator.created", entity_type="operator", entity_id=operator.id, actor=actor,
                     to_state=role, reason=reason, data={"email": email, "language": language})
        return operator

    try:
        operator = run_in_transaction(work)
    except IntegrityError as exc:  # the same email added at the same moment
        raise ValidationFailed(fields={"email": _l("An operator with this email already exists.")}) from exc
    log.info("operator created", extra={"event": "auth.operator_created", "operator_id": operator.id,
                                        "role": str(role), "by": actor.name})
    return operator


def change_password(operator_id: int, current: str, new: str, confirm: str, *,
                    address: str, user_agent: str = "") -> str:
    """The operator changes their own password (the current one is required). Commits.

    Revokes every session of the operator — a copied cookie stops working —
    and opens a new one for this browser; returns its raw id. Raises
    ValidationFailed (nothing changed) for a wrong current password, a weak
    new one or a mismatched confirmation.
    """
    stored = db.session.scalar(select(Operator.password_hash).where(Operator.id == operator_id))
    end_transaction()
    if stored is None:
        raise NotFound()
    if not check_password_hash(stored, current or ""):
        raise ValidationFailed(fields={"current_password": _l("This is not your current password.")})
    validate_password(new, "new_password")
    if new != confirm:
        raise ValidationFailed(fields={"confirm_password": _l("The two new passwords are not the same.")})
    if new == current:
        raise ValidationFailed(fields={"new_password": _l("Choose a password different from the current one.")})
    new_hash = generate_password_hash(new)

    def work() -> str:
        operator = _lock_operator(operator_id)
        operator.password_hash = new_hash
        revoked = revoke_sessions(operator.id, "password_changed")
        raw = open_session(operator.id, clock.now(), address, user_agent)
        audit.record("operator.password_changed", entity_type="operator", entity_id=operator.id,
                     actor=Actor.operator(operator), data={"sessions_revoked": revoked})
        return raw

    raw = run_in_transaction(work)
    log.info("operator changed password", extra={"event": "auth.password_changed", "operator_id": operator_id})
    return raw


def update_profile(operator_id: int, *, name: str, language: str) -> Operator:
    """The operator's own name and language (ko/en). Commits; unchanged values write nothing."""
    language = _check_language(language)
    name = (name or "").strip()[:100]
    if not name:
        raise ValidationFailed(fields={"name": _l("Enter your name.")})

    def work() -> Operator:
        operator = _lock_operator(operator_id)
        before = {"name": operator.name, "language": operator.language}
        after = {"name": name, "language": language}
        if before != after:
            operator.name, operator.language = name, language
            audit.record("operator.profile_changed", entity_type="operator", entity_id=operator.id,
                         actor=Actor.operator(operator), data={"before": before, "after": after})
        return operator

    return run_in_transaction(work)


# --- the admin's changes ---------------------------------------------------------

class LastAdmin(ValidationFailed):
    code = "last_admin"
    status = 409
    default_message = _l("There must always be at least one active admin. Make someone else an admin first.")


def _lock_operator(operator_id: int) -> Operator:
    operator = db.session.execute(select(Operator).where(Operator.id == operator_id).with_for_update()
                                  .execution_options(populate_existing=True)).scalar_one_or_none()
    if operator is None:
        raise NotFound(_l("No such operator."))
    return operator


def _lock_admins_then(operator_id: int) -> tuple[list[int], Operator]:
    """Lock the active admins (in id order), then the target: one order for every admin change."""
    admins = list(db.session.scalars(select(Operator.id).where(
        Operator.role == Role.ADMIN, Operator.active.is_(True)).order_by(Operator.id).with_for_update()))
    return admins, _lock_operator(operator_id)


def _guard_last_admin(admins: list[int], target: Operator) -> None:
    if target.active and target.role == Role.ADMIN and not [a for a in admins if a != target.id]:
        raise LastAdmin()


def set_operator_active(operator_id: int, active: bool, *, actor: Actor, reason: str) -> tuple[Operator, bool]:
    """Disable (or enable) an operator. Commits. Returns (operator, changed).

    Disabling revokes all their sessions at once (they are signed out
    everywhere) and their API tokens stop working. Refused with LastAdmin when
    it would leave no active admin. Running it twice: the second is a no-op.
    """
    reason = validate_reason(reason)

    def work() -> tuple[Operator, bool]:
        admins, operator = _lock_admins_then(operator_id)
        if operator.active == active:
            return operator, False
        if not active:
            _guard_last_admin(admins, operator)
        operator.active = active
        revoked = revoke_sessions(operator.id, "disabled") if not active else 0
        audit.record("operator.enabled" if active else "operator.disabled", entity_type="operator",
                     entity_id=operator.id, actor=actor, reason=reason,
                     from_state="disabled" if active else "active", to_state="active" if active else "disabled",
                     data={"sessions_revoked": revoked})
        return operator, True

    operator, changed = run_in_transaction(work)
    if changed:
        log.info("operator %s", "enabled" if active else "disabled",
                 extra={"event": "auth.operator_enabled" if active else "auth.operator_disabled",
                        "operator_id": operator.id, "by": actor.name})
    return operator, changed


def change_operator_role(operator_id: int, role: str, *, actor: Actor, reason: str) -> tuple[Operator, bool]:
    """Give an operator another role. Commits. Returns (operator, changed).

    Takes effect on their next page (roles are read on every request).
    Refused with LastAdmin when it would leave no active admin. Running it
    twice: the second is a no-op.
    """
    role = _check_role(role)
    reason = validate_reason(reason)

    def work() -> tuple[Operator, str, bool]:
        admins, operator = _lock_admins_then(operator_id)
        previous = operator.role
        if previous == role:
            return operator, previous, False
        if role != Role.ADMIN:
            _guard_last_admin(admins, operator)
        operator.role = role
        audit.record("operator.role_changed", entity_type="operator", entity_id=operator.id, actor=actor,
                     reason=reason, from_state=previous, to_state=role)
        return operator, previous, True

    operator, previous, changed = run_in_transaction(work)
    if changed:
        log.info("operator role changed", extra={"event": "auth.role_changed", "operator_id": operator.id,
                                                 "from": previous, "to": str(role), "by": actor.name})
    return operator, changed


def record_permission_refused(operator: Operator, *, path: str, method: str, required: str) -> None:
    """A signed-in operator asked for a page their role does not allow: log it and audit it. Commits."""
    def work() -> None:
        audit.record("operator.permission_refused", entity_type="operator", entity_id=operator.id,
                     actor=Actor.operator(operator),
                     data={"path": path[:300], "method": method, "role": operator.role, "required": required})

    run_in_transaction(work)
    if has_request_context():
        g.refusal_audited = True  # the error page must not record the same refusal again
    log.warning("permission refused", extra={"event": "auth.permission_refused", "operator_id": operator.id,
                                             "role": operator.role, "required": required, "path": path})


# --- API tokens ------------------------------------------------------------------

def create_api_token(email: str, name: str = "cli") -> tuple[ApiToken, str]:
    """Issue an API token for an operator; returns the row and the token (shown once). Commits."""
    operator = db.session.scalar(select(Operator).where(Operator.email == email.strip().lower()))
    if operator is None:
        raise NotFound(f"No operator with email {email}")
    raw = secret_token("fdt")
    token = ApiToken(operator_id=operator.id, token_hash=token_hash(raw), name=name)
    db.session.add(token)
    db.session.flush()
    audit.record("api_token.created", entity_type="api_token", entity_id=token.id,
                 actor=Actor.system("cli"), data={"operator": operator.email, "name": name})
    db.session.commit()
    return token, raw


def operator_for_token(raw: str) -> Operator | None:
    """The active operator owning this API token, or None."""
    if not raw or not raw.startswith("fdt_"):
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(raw)))
    if token is None or token.revoked_at is not None or not token.operator.active:
        return None
    return token.operator
