"""The status page's use cases: write a notice, publish it, post updates, the RCA, subscribers.

Each service is one transaction (run_in_transaction) that locks the notice row, re-checks,
changes, audits and queues the subscribers' mail in the outbox; after the commit the
static site is rendered again (app.status.static), so the page survives an outage of the app.
Publishing twice is harmless: an already published notice is left as it is.
"""
from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select

from app.auth.roles import has_role
from app.core import audit, clock
from app.core.actor import Actor
from app.core.db import lock_by_id, run_in_transaction
from app.core.errors import Forbidden, IllegalTransition, NotFound, ValidationFailed
from app.core.ids import public_id
from app.extensions import db
from app.status import policies, states
from app.status.models import StatusNotice, StatusSubscriber, StatusUpdate

log = logging.getLogger(__name__)
MAX_TEXT = {"title": 200, "body": 5000, "impact": 1000}
MAX_RCA = 5000
MANAGER = "manager"


# --- input checks -----------------------------------------------------------------------------------


def clean_texts(raw, fields=policies.UPDATE_FIELDS, limits=None) -> dict:
    """{lang: {field: text}} from whatever came in; too long → ValidationFailed. Blank stays blank."""
    limits = limits or MAX_TEXT
    texts: dict = {}
    errors: dict = {}
    raw = raw if isinstance(raw, dict) else {}
    for lang in policies.LANGUAGES:
        part = raw.get(lang) if isinstance(raw.get(lang), dict) else {}
        texts[lang] = {}
        for field in fields:
            value = part.get(field)
            value = value.strip() if isinstance(value, str) else ""
            limit = limits.get(field, MAX_RCA) if isinstance(limits, dict) else MAX_RCA
            if len(value) > limit or "\x00" in value:
                errors[f"{lang}.{field}"] = f"At most {limit} characters."
            texts[lang][field] = value
    if errors:
        raise ValidationFailed(fields=errors)
    return texts


def require_complete(texts: dict, fields=policies.UPDATE_FIELDS) -> None:
    """The completeness check: every language's title, body and impact (or RCA sections) is written."""
    missing = policies.missing_languages(texts, fields)
    if missing:
        raise ValidationFailed(
            "Every language must be written before it is published.",
            fields={f"{lang}.{field}": "Missing." for lang, names in missing.items() for field in names},
            missing=missing)


def clean_components(raw, kind: str) -> dict:
    if not isinstance(raw, dict) or not raw:
        raise ValidationFailed(fields={"components": "Choose at least one component."})
    allowed = (states.MAINTENANCE,) if kind == states.PLANNED else states.COMPONENT_LEVELS[1:4]
    out = {}
    for name, level in raw.items():
        if name not in states.COMPONENTS or level not in allowed:
            raise ValidationFailed(fields={"components": "Unknown component or level."})
        out[name] = level
    return out


def _role(actor: Actor) -> str:
    from app.auth.models import Operator

    operator = db.session.get(Operator, actor.id) if actor.id is not None else None
    return operator.role if operator is not None else ""


def _audit(action: str, notice: StatusNotice, actor: Actor, *, reason=None, **data) -> None:
    audit.record(action, entity_type="status_notice", entity_id=notice.public_id, actor=actor,
                 from_state=data.pop("from_state", None), to_state=data.pop("to_state", None), reason=reason,
                 data={"kind": notice.kind, "severity": notice.severity, **data})


def _load(public: str) -> StatusNotice:
    notice = db.session.scalar(select(StatusNotice).where(StatusNotice.public_id == public)) \
        if isinstance(public, str) and len(public) <= 40 else None
    if notice is None:
        raise NotFound()
    return notice


# --- notices ----------------------------------------------------------------------------------------


def create_notice(*, kind: str, severity: str, components: dict, texts: dict, actor: Actor,
                  next_update_at: datetime | None = None, started_at: datetime | None = None,
                  scheduled_start: datetime | None = None, scheduled_end: datetime | None = None) -> StatusNotice:
    """A draft notice with its first (draft) update; nothing is public yet (commits; audited)."""
    errors = {}
    if kind not in states.KINDS:
        errors["kind"] = "incident or maintenance"
    if severity not in policies.SEVERITIES:
        errors["severity"] = "S1, S2, S3 or S4"
    if kind == states.PLANNED and (scheduled_start is None or scheduled_end is None
                                   or scheduled_end <= scheduled_start):
        errors["scheduledStart"] = "A start and a later end are needed."
    if errors:
        raise ValidationFailed(fields=errors)
    components = clean_components(components, kind)
    texts = clean_texts(texts)
    now = clock.now()

    def work() -> StatusNotice:
        notice = StatusNotice(public_id=public_id("sts"), kind=kind, severity=severity,
                              status=states.FIRST_STATUS[kind], components=components,
                              started_at=(started_at or now) if kind == states.INCIDENT else None,
                              scheduled_start=scheduled_start, scheduled_end=scheduled_end,
                              created_by_id=actor.id)
        notice.updates.append(StatusUpdate(status=notice.status, texts=texts, next_update_at=next_update_at,
                                           created_by_id=actor.id))
        db.session.add(notice)
        db.session.flush()
        _audit("status.notice_drafted", notice, actor, to_state=notice.status)
        return notice

    return run_in_transaction(work)


def update_draft(public: str, *, texts: dict, actor: Actor, next_update_at: datetime | None = None) -> StatusNotice:
    """Change the texts of a notice that is not published yet (commits; audited)."""
    texts = clean_texts(texts)

    def work():
        notice = lock_by_id(StatusNotice, _load(public).id)
        if notice.is_published:
            raise IllegalTransition("It is already published: post an update instead.")
        notice.latest.texts = texts
        notice.latest.next_update_at = next_update_at
        _audit("status.draft_changed", notice, actor)
        return notice

    return run_in_transaction(work)


def publish_check(notice: StatusNotice, now: datetime | None = None) -> policies.PublishCheck:
    return policies.compute_publish_check(notice.kind, notice.severity, now=now or clock.now(),
                                          started_at=notice.started_at, scheduled_start=notice.scheduled_start)


def publish_notice(public: str, *, actor: Actor, override_reason: str | None = None) -> StatusNotice:
    """Publish a draft notice and its first update in the three languages (commits; audited).

    Refused while a language is incomplete (ValidationFailed naming them), and — without a
    manager's override with a reason — before the seed's timing (S2 after 10 minutes,
    maintenance 3 Korean business days ahead). Publishing twice is a no-op."""
    override_reason = (override_reason or "").strip()[:1000] or None

    def work():
        notice = lock_by_id(StatusNotice, _load(public).id)
        if notice.is_published:
            return notice
        require_complete(notice.latest.texts)
        check = publish_check(notice)
        if not check.allowed:
            if not override_reason:
                _refused(notice, actor, check)
            if not has_role(_role(actor), MANAGER):
                audit.record("status.override_refused", entity_type="status_notice", entity_id=notice.public_id,
                             actor=actor, reason=override_reason, data={"why": check.reason})
                db.session.commit()
                raise Forbidden("Only a manager may publish before the rule's time.")
        now = clock.now()
        notice.published_at = now
        notice.latest.published_at = now
        notice.override_reason = override_reason if not check.allowed else None
        _audit("status.notice_published", notice, actor, reason=notice.override_reason,
               override=not check.allowed, rule=check.reason)
        _notify_subscribers(notice, notice.latest)
        return notice

    notice = run_in_transaction(work)
    _render_site()
    return notice


def _refused(notice: StatusNotice, actor: Actor, check: policies.PublishCheck):
    if check.reason == "too_early":
        message = "An S2 incident is published after it has lasted 10 minutes."
    else:
        message = "Planned maintenance is announced at least 3 business days ahead."
    raise ValidationFailed(message, fields={"publish": message}, rule=check.reason,
                           earliest=check.earliest.isoformat() if check.earliest else None)


def post_update(public: str, *, status: str, texts: dict, actor: Actor, next_update_at: datetime | None = None,
                components: dict | None = None) -> StatusUpdate:
    """Publish a new update of a published notice (commits; audited): the status moves by the
    transition table, every language must be complete. Resolving or completing frees the components."""
    texts = clean_texts(texts)
    require_complete(texts)

    def work():
        notice = lock_by_id(StatusNotice, _load(public).id)
        if not notice.is_published:
            raise IllegalTransition("Publish the notice first.")
        before = notice.status
        notice.status = states.next_state(notice.kind, notice.status, status)
        if components is not None:
            notice.components = clean_components(components, notice.kind)
        now = clock.now()
        if notice.status in states.FINAL:
            notice.resolved_at = now
        if notice.kind == states.PLANNED and notice.status == states.IN_PROGRESS and notice.started_at is None:
            notice.started_at = now
        update = StatusUpdate(status=notice.status, texts=texts, published_at=now,
                              next_update_at=None if notice.status in states.FINAL else next_update_at,
                              created_by_id=actor.id)
        notice.updates.append(update)
        db.session.flush()
        _audit("status.update_posted", notice, actor, from_state=before, to_state=notice.status)
        _notify_subscribers(notice, update)
        return update

    update = run_in_transaction(work)
    _render_site()
    return update


def save_rca(public: str, *, texts: dict, actor: Actor, publish: bool = False) -> StatusNotice:
    """Keep the RCA (seed 002 E) in three languages; `publish` needs every section of every
    language and a resolved incident (commits; audited)."""
    texts = clean_texts(texts, policies.RCA_FIELDS, limits=MAX_RCA)
    if publish:
        require_complete(texts, policies.RCA_FIELDS)

    def work():
        notice = lock_by_id(StatusNotice, _load(public).id)
        if notice.kind != states.INCIDENT or notice.status != states.RESOLVED:
            raise IllegalTransition("An RCA belongs to a resolved incident.")
        notice.rca = texts
        if publish and notice.rca_published_at is None:
            notice.rca_published_at = clock.now()
            _audit("status.rca_published" if publish else "status.rca_saved", notice, actor)
        return notice

    notice = run_in_transaction(work)
    if publish:
        _render_site()
    return notice


def _render_site() -> None:
    """After the commit: the static copy follows every published change. A failure is logged,
    never raised (the change is done; `flask status publish` renders again)."""
    from app.status.static import publish_site

    try:
        publish_site()
    except Exception:  # noqa: BLE001
        log.exception("status page static render failed")


# --- subscribers ------------------------------------------------------------------------------------


def _serializer(purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["LINK_SECRET"], salt=f"status-{purpose}")


def subscriber_token(subscriber: StatusSubscriber, purpose: str) -> str:
    return _serializer(purpose).dumps({"id": subscriber.id, "e": subscriber.email})


def _from_token(token: str, purpose: str) -> StatusSubscriber:
    try:
        data = _serializer(purpose).loads(token or "")
    except BadSignature as exc:
        raise NotFound() from exc
    sub = db.session.get(StatusSubscriber, data.get("id")) if isinstance(data, dict) \
        and isinstance(data.get("id"), int) and 0 < data["id"] < 2**31 else None
    if sub is None or sub.email != data.get("e"):
        raise NotFound()
    return sub


def subscribe(email: str, language: str) -> StatusSubscriber:
    """Ask for status mail: stores the address unconfirmed and queues the confirmation mail
    (double opt-in). Asking again re-sends the confirmation; a confirmed address stays confirmed."""
    email = (email or "").strip().lower()
    if language not in policies.LANGUAGES:
        language = "ko"
    if not email or len(email) > 254 or "@" not in email:
        raise ValidationFailed(fields={"email": "Not an email address."})

    def work():
        sub = db.session.scalar(select(StatusSubscriber).where(StatusSubscriber.email == email))
        if sub is None:
            sub = StatusSubscriber(email=email, language=language, confirmations_sent=0)
            db.session.add(sub)
        sub.language = language
        if sub.unsubscribed_at is not None:
            sub.unsubscribed_at, sub.confirmed_at = None, None
        if sub.confirmed_at is None:
            sub.confirmations_sent += 1
            db.session.flush()
            from app.status.mail import queue_confirmation

            queue_confirmation(sub)
        return sub

    return run_in_transaction(work)


def confirm_subscription(token: str) -> StatusSubscriber:
    def work():
        sub = _from_token(token, "confirm")
        if sub.confirmed_at is None:
            sub.confirmed_at = clock.now()
            sub.unsubscribed_at = None
        return sub

    return run_in_transaction(work)


def unsubscribe(token: str) -> StatusSubscriber:
    def work():
        sub = _from_token(token, "unsubscribe")
        if sub.unsubscribed_at is None:
            sub.unsubscribed_at = clock.now()
        return sub

    return run_in_transaction(work)


def _notify_subscribers(notice: StatusNotice, update: StatusUpdate) -> None:
    from app.status.mail import queue_update_mail

    subs = db.session.scalars(select(StatusSubscriber).where(
        StatusSubscriber.confirmed_at.is_not(None), StatusSubscriber.unsubscribed_at.is_(None)))
    for sub in subs:
        queue_update_mail(sub, notice, update)


def count_active_subscribers() -> int:
    return db.session.scalar(select(func.count()).select_from(StatusSubscriber).where(
        StatusSubscriber.confirmed_at.is_not(None), StatusSubscriber.unsubscribed_at.is_(None))) or 0
