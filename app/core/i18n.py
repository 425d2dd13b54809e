"""Language and time zone selection (Flask-Babel).

Customers: `?lang=` (remembered in the session), else the browser's
Accept-Language among ko/ja/en, else Korean. Operators: their own setting
(Korean by default, English second). The JSON API: Accept-Language, else English.
Each domain keeps its translations in `app/<domain>/translations/`.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, g, has_request_context, request, session
from flask_login import current_user

APP_DIR = Path(__file__).resolve().parent.parent
DOMAINS_WITH_TRANSLATIONS = ("core", "booking", "catalog", "payments", "refunds", "remittance", "auditlog",
                             "notifications", "ops", "api", "auth", "deposits", "adjust", "ledger",
                             "reconcile", "approvals", "alerts", "reports", "observability", "support",
                             "status", "emergency")


def translation_directories() -> list[str]:
    dirs = [APP_DIR / domain / "translations" for domain in DOMAINS_WITH_TRANSLATIONS]
    return [str(d) for d in dirs if d.is_dir()]


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return getattr(g, "force_locale", None) or "en"
    forced = getattr(g, "force_locale", None)
    if forced:
        return forced
    if request.path.startswith("/v1/"):
        return request.accept_languages.best_match(languages) or "en"
    wanted = request.args.get("lang")
    if wanted in languages:
        session["lang"] = wanted
        return wanted
    if session.get("lang") in languages:
        return session["lang"]
    try:
        operator = current_user if getattr(current_user, "is_authenticated", False) else None
    except Exception:  # no login manager user loaded (e.g. errors before auth)
        operator = None
    if operator is not None and getattr(operator, "language", None) in languages:
        return operator.language
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    if not has_request_context():
        return current_app.config["FRONTDESK_TIMEZONE"]
    try:
        if getattr(current_user, "is_authenticated", False):
            return current_user.timezone
    except Exception:
        pass
    return current_app.config["FRONTDESK_TIMEZONE"]


def init_i18n(app: Flask, babel) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_directories()) or "translations"
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
