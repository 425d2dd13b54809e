"""The status page API of seed 002 G: POST /v1/status/incidents, PATCH /v1/status/<id> with
per-language fields (operator tokens), GET /v1/status (public summary). Thin: token role →
parse → one app.status service → serialize. The same rules as the pages: the completeness
check and the publishing timing (an override needs a manager and a reason).
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import g, jsonify

from app.api import bp
from app.api.auth import require_operator
from app.api.common import json_body, reject_unknown
from app.core.errors import NotFound, ValidationFailed
from app.status import policies, queries, services, states

FIELDS = ("title", "body", "impact")
CREATE_FIELDS = {"kind", "severity", "components", "startedAt", "scheduledStart", "scheduledEnd", "nextUpdateAt",
                 "title", "body", "impact", "publish", "overrideReason"}
PATCH_FIELDS = {"status", "components", "nextUpdateAt", "title", "body", "impact", "publish", "overrideReason"}


def _time(data, name, errors):
    raw = data.get(name)
    if raw is None:
        return None
    if not isinstance(raw, str) or len(raw) > 40:
        errors[name] = "A date-time such as 2026-12-07T04:05:00Z."
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        errors[name] = "A date-time such as 2026-12-07T04:05:00Z."
        return None
    if value.tzinfo is None or not 2000 <= value.year <= 2100:
        errors[name] = "A date-time with its time zone (e.g. Z), between 2000 and 2100."
        return None
    return value.astimezone(timezone.utc)


def _texts(data, errors) -> dict:
    """{"title": {"ko","ja","en"}, "body": {...}, "impact": {...}} → {lang: {field: text}}."""
    texts = {lang: {} for lang in policies.LANGUAGES}
    for field in FIELDS:
        part = data.get(field, {})
        if not isinstance(part, dict) or set(part) - set(policies.LANGUAGES) \
                or not all(isinstance(v, str) for v in part.values()):
            errors[field] = "An object with ko, ja and en texts."
            continue
        for lang in policies.LANGUAGES:
            texts[lang][field] = part.get(lang, "")
    return texts


def _components(data, errors):
    raw = data.get("components")
    if not isinstance(raw, dict) or not raw or not all(isinstance(k, str) and isinstance(v, str)
                                                       for k, v in raw.items()):
        errors["components"] = f"An object such as {{\"payments\": \"major_outage\"}} naming {', '.join(states.COMPONENTS)}."
        return None
    return raw


def _publish_flags(data, errors):
    publish = data.get("publish", False)
    if not isinstance(publish, bool):
        errors["publish"] = "true or false."
    reason = data.get("overrideReason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 1000):
        errors["overrideReason"] = "Text of at most 1,000 characters."
        reason = None
    return publish is True, reason


@bp.get("/status")
def status_summary_endpoint():
    return jsonify(queries.summary_body())


@bp.post("/status/incidents")
def create_status_incident_endpoint():
    require_operator("staff")
    data, errors = json_body(), {}
    reject_unknown(data, CREATE_FIELDS, errors)
    kind = data.get("kind", states.INCIDENT)
    if kind not in states.KINDS:
        errors["kind"] = "incident or maintenance."
    severity = data.get("severity")
    if severity not in policies.SEVERITIES:
        errors["severity"] = "S1, S2, S3 or S4."
    components = _components(data, errors)
    texts = _texts(data, errors)
    times = {name: _time(data, name, errors) for name in ("startedAt", "scheduledStart", "scheduledEnd",
                                                           "nextUpdateAt")}
    publish, reason = _publish_flags(data, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    notice = services.create_notice(kind=kind, severity=severity, components=components, texts=texts,
                                    actor=g.actor, next_update_at=times["nextUpdateAt"],
                                    started_at=times["startedAt"], scheduled_start=times["scheduledStart"],
                                    scheduled_end=times["scheduledEnd"])
    if publish:
        notice = services.publish_notice(notice.public_id, actor=g.actor, override_reason=reason)
    return jsonify(queries.notice_body(queries.get_notice(notice.public_id))), 201


@bp.patch("/status/<notice_id>")
def update_status_notice_endpoint(notice_id: str):
    require_operator("staff")
    notice = queries.get_notice(notice_id)
    if notice is None:
        raise NotFound()
    data, errors = json_body(), {}
    reject_unknown(data, PATCH_FIELDS, errors)
    publish, reason = _publish_flags(data, errors)
    has_texts = any(f in data for f in FIELDS)
    texts = _texts(data, errors) if has_texts else None
    next_update = _time(data, "nextUpdateAt", errors)
    components = _components(data, errors) if "components" in data else None
    status = data.get("status")
    if status is not None and status not in states.STATUSES[notice.kind]:
        errors["status"] = f"One of {', '.join(states.STATUSES[notice.kind])}."
    if errors:
        raise ValidationFailed(fields=errors)
    if not notice.is_published:
        if texts is not None:
            services.update_draft(notice_id, texts=texts, actor=g.actor, next_update_at=next_update)
        if publish:
            services.publish_notice(notice_id, actor=g.actor, override_reason=reason)
    else:
        if texts is None:
            raise ValidationFailed(fields={"title": "An update needs title, body and impact in ko, ja and en."})
        services.post_update(notice_id, status=status or notice.status, texts=texts, actor=g.actor,
                             next_update_at=next_update, components=components)
    return jsonify(queries.notice_body(queries.get_notice(notice_id)))
