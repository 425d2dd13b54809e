"""Operator accounts and API tokens."""
from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from app.auth.models import ApiToken, Operator
from app.auth.roles import Role
from app.core import audit
from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.core.ids import secret_token, token_hash
from app.extensions import db

MIN_PASSWORD_LENGTH = 10


def normalize_email(email: str) -> str:
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationFailed(fields={"email": str(exc)}) from exc


def validate_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(fields={"password": f"At least {MIN_PASSWORD_LENGTH} characters."})


def create_operator(email: str, password: str, role: str = Role.STAFF, name: str = "",
                    language: str = "ko", actor: Actor | None = None) -> Operator:
    """Add an operator. Raises ValidationFailed for a taken email, weak password or unknown role."""
    email = normalize_email(email)
    try:
        role = Role(role)
    except ValueError as exc:
        raise ValidationFailed(fields={"role": "Choose staff, manager or admin."}) from exc
    validate_password(password)
    if db.session.scalar(select(Operator.id).where(Operator.email == email)):
        raise ValidationFailed(fields={"email": "An operator with this email already exists."})
    operator = Operator(email=email, name=name or email.split("@")[0], role=role, language=language)
    operator.set_password(password)
    db.session.add(operator)
    db.session.flush()
    audit.record("operator.created", entity_type="operator", entity_id=operator.id,
                 actor=actor or Actor.system("cli"), to_state=role)
    db.session.commit()
    return operator


def create_api_token(email: str, name: str = "cli") -> tuple[ApiToken, str]:
    """Issue an API token for an operator; returns the row and the token (shown once)."""
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


