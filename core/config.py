"""Configuration read from the environment.

Every setting has a ``DEPOT_`` environment variable; the README lists them.
Nothing here is evaluated at import time into module-level state: the factory
calls :func:`load_config` each time an app is created.
"""
from __future__ import annotations

import os
import secrets
from datetime import date
from pathlib import Path


class ConfigError(RuntimeError):
    """The environment does not describe a runnable Depot."""


def _seconds(value: str | None, default: float, name: str, high: float = 3600) -> float:
    if value is None or value.strip() == "":
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {value!r}") from None
    if not 0 <= seconds <= high:
        raise ConfigError(f"{name} must be between 0 and {high:g} seconds, not {value!r}")
    return seconds


def _share(value: str, name: str) -> float:
    try:
        share = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a fraction such as 0.02, not {value!r}") from None
    if not 0 <= share <= 1:
        raise ConfigError(f"{name} must be between 0 and 1, not {value!r}")
    return share


def _positive_int(value: str | None, default: int, name: str, low: int = 1, high: int = 2**31 - 1) -> int:
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
    if not low <= number <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, not {value!r}")
    return number


def _earliest_date(value: str | None) -> date:
    # Back-dating stops here; a date in year 1 would overflow as soon as it met a time zone.
    if value is None or value.strip() == "":
        return date(2000, 1, 1)
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError(f"DEPOT_EARLIEST_DATE must be a date (YYYY-MM-DD), not {value!r}") from None
    if not date(1970, 1, 1) <= day <= date(2100, 1, 1):
        raise ConfigError(f"DEPOT_EARLIEST_DATE must be between 1970-01-01 and 2100-01-01, not {value!r}")
    return day


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _month_day(value: str | None, default: str | None, name: str) -> str | None:
    """A day of the year as MM-DD (checked against a leap year, so 02-29 passes), or ``default``."""
    if value is None or not value.strip():
        return default
    value = value.strip()
    try:
        month, day = (int(x) for x in value.split("-"))
        date(2024, month, day)
    except ValueError:
        raise ConfigError(f"{name} must be a day of the year as MM-DD, not {value!r}") from None
    return f"{month:02d}-{day:02d}"


def default_sqlite_url(instance_path: str) -> str:
    """The embedded database: a SQLite file in the instance folder."""
    return "sqlite:///" + str(Path(instance_path) / "depot.sqlite")


def load_config(instance_path: str, env: dict[str, str] | None = None) -> dict:
    """Build the Flask config dict from environment variables."""
    env = dict(os.environ if env is None else env)
    mode = env.get("DEPOT_ENV", "development").lower()
    if mode not in {"development", "production"}:
        raise ConfigError(f"DEPOT_ENV must be 'development' or 'production', not {mode!r}")
    secret = env.get("DEPOT_SECRET_KEY")
    if not secret:
        if mode == "production":
            raise ConfigError("DEPOT_SECRET_KEY is required when DEPOT_ENV=production")
        # Development only: a per-instance random key kept in the instance
        # folder so sessions survive restarts without a secret in the code.
        secret = _instance_secret(instance_path)
    production = mode == "production"
    return {
        "DEPOT_ENV": mode,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": env.get("DEPOT_DATABASE_URL") or default_sqlite_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("DEPOT_SECURE_COOKIES"), production),
        "REMEMBER_COOKIE_SECURE": _bool(env.get("DEPOT_SECURE_COOKIES"), production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_CHECK_DEFAULT": False,  # checked in core.security, skipped for bearer tokens
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": int(env.get("DEPOT_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)),
        # Imports (core.sheets): data rows and bytes one spreadsheet may have, checked before any work.
        "DEPOT_IMPORT_MAX_ROWS": int(env.get("DEPOT_IMPORT_MAX_ROWS", 100_000)),
        "DEPOT_IMPORT_MAX_BYTES": int(env.get("DEPOT_IMPORT_MAX_BYTES", 10 * 1024 * 1024)),
        "DEPOT_MAX_JSON_BYTES": _positive_int(env.get("DEPOT_MAX_JSON_BYTES"), 1024 * 1024, "DEPOT_MAX_JSON_BYTES"),
        "DEPOT_MAX_JSON_DEPTH": _positive_int(env.get("DEPOT_MAX_JSON_DEPTH"), 32, "DEPOT_MAX_JSON_DEPTH", 2, 200),
        "DEPOT_EARLIEST_DATE": _earliest_date(env.get("DEPOT_EARLIEST_DATE")),
        # Offices send their spares back to HQ between these days (MM-DD; no end: the last working day).
        "INVENTORY_RETURN_WINDOW_START": _month_day(env.get("DEPOT_RETURN_WINDOW_START"), "12-01",
                                                    "DEPOT_RETURN_WINDOW_START"),
        "INVENTORY_RETURN_WINDOW_END": _month_day(env.get("DEPOT_RETURN_WINDOW_END"), None, "DEPOT_RETURN_WINDOW_END"),
        "UPLOAD_FOLDER": env.get("DEPOT_UPLOAD_FOLDER") or str(Path(instance_path) / "uploads"),
        "BABEL_DEFAULT_LOCALE": env.get("DEPOT_DEFAULT_LOCALE", "en"),
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "DEPOT_LOCALES": ["en", "zh_CN"],
        "DEPOT_TIMEZONE": "Asia/Shanghai",
        "DEPOT_BASE_URL": env.get("DEPOT_BASE_URL", "http://127.0.0.1:5000"),
        "MAIL_SERVER": env.get("DEPOT_SMTP_HOST", "localhost"),
        "MAIL_PORT": int(env.get("DEPOT_SMTP_PORT", 25)),
        "MAIL_USERNAME": env.get("DEPOT_SMTP_USER"),
        "MAIL_PASSWORD": env.get("DEPOT_SMTP_PASSWORD"),
        "MAIL_USE_TLS": _bool(env.get("DEPOT_SMTP_STARTTLS")),
        "MAIL_SENDER": env.get("DEPOT_MAIL_FROM", "depot@localhost"),
        "SUPERVISOR_EMAIL": env.get("DEPOT_SUPERVISOR_EMAIL", "supervisor@localhost"),
        # The service mailbox the hotline desk reads (IMAP) and answers from (SMTP above).
        "IMAP_HOST": env.get("DEPOT_IMAP_HOST") or None,
        "IMAP_PORT": _positive_int(env.get("DEPOT_IMAP_PORT"), 993, "DEPOT_IMAP_PORT", high=65535),
        "IMAP_SSL": _bool(env.get("DEPOT_IMAP_SSL"), True),
        "IMAP_USER": env.get("DEPOT_IMAP_USER") or None,
        "IMAP_PASSWORD": env.get("DEPOT_IMAP_PASSWORD") or None,
        "IMAP_MAILBOX": env.get("DEPOT_IMAP_MAILBOX") or "INBOX",
        "HOTLINE_MAIL_FROM": env.get("DEPOT_HOTLINE_MAIL_FROM") or env.get("DEPOT_IMAP_USER") or None,
        "RATELIMIT_STORAGE_URI": ratelimit_storage(env),
        # "10 per minute" means in any 60 seconds, not per clock minute (a burst across
        # a minute's turn would get twice the limit).
        "RATELIMIT_STRATEGY": "moving-window",
        # Redis away: count in this process meanwhile rather than fail the request.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": env.get("DEPOT_LOGIN_RATE_LIMIT", "10 per minute"),
        # A deactivated user's or revoked token stops working in every process within this.
        "DEPOT_TOKEN_RECHECK_SECONDS": _seconds(env.get("DEPOT_TOKEN_RECHECK_SECONDS"), 1.0,
                                                "DEPOT_TOKEN_RECHECK_SECONDS", high=1.0),
        "API_TITLE": "Depot API",
        "API_VERSION": "1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        # Served by Depot itself (core.api_docs): the docs page works on an intranet without internet.
        "OPENAPI_SWAGGER_UI_URL": env.get("DEPOT_SWAGGER_UI_URL", "/api/docs/assets/"),
        "TESTING": False,
        # Only when set: the default lives with the DOA rules (doa.applications).
        **({"DOA_WINDOW_DAYS": _positive_int(env["DEPOT_DOA_WINDOW_DAYS"], 0, "DEPOT_DOA_WINDOW_DAYS", 1, 3650)}
           if (env.get("DEPOT_DOA_WINDOW_DAYS") or "").strip() else {}),
        # Only when set: the default lives with the count rules (inventory.counts.RECOUNT_THRESHOLD).
        **({"INVENTORY_RECOUNT_THRESHOLD": _positive_int(env["DEPOT_RECOUNT_THRESHOLD"], 0,
                                                          "DEPOT_RECOUNT_THRESHOLD", 0, 10**9)}
           if (env.get("DEPOT_RECOUNT_THRESHOLD") or "").strip() else {}),
        # Only when set: the default lives with the swap rules (repairs.swap.DEFAULT_MINIMUM).
        **({"VENDOR_POOL_MINIMUM": _positive_int(env["DEPOT_VENDOR_POOL_MINIMUM"], 0,
                                                  "DEPOT_VENDOR_POOL_MINIMUM", 0, 10**6)}
           if (env.get("DEPOT_VENDOR_POOL_MINIMUM") or "").strip() else {}),
        # Only when set: the default lives with the swap rules (repairs.swap.DEFAULT_SALES_SHARE).
        **({"VENDOR_POOL_SALES_SHARE": _share(env["DEPOT_VENDOR_POOL_SALES_SHARE"], "DEPOT_VENDOR_POOL_SALES_SHARE")}
           if (env.get("DEPOT_VENDOR_POOL_SALES_SHARE") or "").strip() else {}),
    }


def ratelimit_storage(env: dict) -> str:
    """Where rate limits are counted: ``DEPOT_RATELIMIT_STORAGE_URI`` (e.g.
    ``redis://127.0.0.1:6379/0``), shared by every worker and host; the default,
    ``memory://``, counts in each worker process alone."""
    return (env.get("DEPOT_RATELIMIT_STORAGE_URI") or env.get("DEPOT_RATELIMIT_STORAGE") or "memory://").strip()


def per_worker_limits_warning(storage_uri: str, workers: int) -> str | None:
    """The warning to log when limits counted in memory would be multiplied by ``workers``."""
    if workers > 1 and storage_uri.startswith("memory://"):
        return (f"Rate limits are counted in each of the {workers} worker processes alone, so a client gets "
                f"{workers} times the limit (sign-in attempts, dealer status checks). Set "
                "DEPOT_RATELIMIT_STORAGE_URI=redis://HOST:6379/0 to share them.")
    return None


def _instance_secret(instance_path: str) -> str:
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()

    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
