"""Settings: defaults, then the instance folder's config.py, then FITGAP_* variables, then tests."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

ENVIRONMENT = {
    "FITGAP_DATABASE_URL": "DATABASE_URL",
    "FITGAP_CATALOG_DIR": "CATALOG_DIR",
    "FITGAP_TOWNS_DIR": "TOWNS_DIR",
    "FITGAP_EXPORTS_DIR": "EXPORTS_DIR",
    "FITGAP_SECRET_KEY": "SECRET_KEY",
}

# The security settings a town's rules may change (documented in docs/security.md).
SECURITY_DEFAULTS: dict[str, Any] = {
    "IDLE_TIMEOUT_MINUTES": 30,  # signed out after this long without a request of the user
    "IDLE_WARNING_MINUTES": 2,  # the page warns this long before, with "stay signed in"
    "SESSION_MAX_HOURS": 12,  # signed out this long after signing in, active or not
    "LOCKOUT_ATTEMPTS": 5,  # failed sign-ins in a row that lock the account ...
    "LOCKOUT_MINUTES": 15,  # ... for this long
    "PASSWORD_MIN_LENGTH": 12,
    "PASSWORD_MIN_KINDS": 3,  # of lower case, upper case, digits, symbols
    "PASSWORD_MAX_AGE_DAYS": None,  # None: passwords do not expire
    "PASSWORD_FORCE_INITIAL_CHANGE": True,  # a password set by someone else must be changed
    "PASSWORD_HASH_METHOD": "scrypt",  # werkzeug.security; tests use a cheap pbkdf2
    "AUDIT_RETENTION_YEARS": 5,  # `fitgap audit prune` keeps at least this many years
    "TRUST_PROXY": 0,  # reverse proxies in front whose X-Forwarded-* headers are believed
    "SESSION_COOKIE_SECURE": None,  # None: Secure exactly when the request came over HTTPS
    "DEMO": False,  # set by `fitgap demo`: the sign-in page lists the demo accounts
    "BACKUP_DIR": None,  # where `fitgap backup` writes (None: the instance folder's backups/)
}
# Each of them may also come from a FITGAP_<NAME> environment variable, read as this type.
SECURITY_TYPES: dict[str, type] = {
    "IDLE_TIMEOUT_MINUTES": float,
    "IDLE_WARNING_MINUTES": float,
    "SESSION_MAX_HOURS": float,
    "LOCKOUT_ATTEMPTS": int,
    "LOCKOUT_MINUTES": float,
    "PASSWORD_MIN_LENGTH": int,
    "PASSWORD_MIN_KINDS": int,
    "PASSWORD_MAX_AGE_DAYS": int,
    "PASSWORD_FORCE_INITIAL_CHANGE": bool,
    "PASSWORD_HASH_METHOD": str,
    "AUDIT_RETENTION_YEARS": int,
    "TRUST_PROXY": int,
    "SESSION_COOKIE_SECURE": bool,
    "BACKUP_DIR": str,
}


def _from_environment(key: str, text: str) -> Any:
    """An environment variable's text as the setting's type ("none" clears an optional one)."""
    kind = SECURITY_TYPES[key]
    if text.strip().lower() in ("none", "") and SECURITY_DEFAULTS[key] is None:
        return None
    if kind is bool:
        return text.strip().lower() in ("1", "true", "yes", "on")
    return kind(text)


def configured_app(test_config: dict[str, Any] | None = None, *, database: bool = True) -> Flask:
    """The app with its settings and its database, without the views, Babel or CSRF: all that
    `fitgap load` and `score` need (importing the views would double their start), and
    without the database (`database=False`) for `fitgap check`. `create_app` adds the rest."""
    app = Flask("fitgap.web", instance_relative_config=True)
    configure(app, test_config)
    if database:
        from fitgap.web import database as web_database

        web_database.init_app(app)
    return app


def configure(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill app.config in layers: defaults → instance config.py → environment → test dict."""
    app.config.from_mapping(
        CATALOG_DIR="requirements_catalog",
        TOWNS_DIR="towns",
        EXPORTS_DIR="exports",
        PAGE_SIZE=100,
        # What one request may send (fitgap.web.limits): a form, or a marking sheet.
        MAX_CONTENT_LENGTH=256 * 1024,
        MAX_UPLOAD_LENGTH=16 * 1024 * 1024,
        BABEL_DEFAULT_LOCALE="ja",
        BABEL_DEFAULT_TIMEZONE="Asia/Tokyo",
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="fitgap_session",
        **SECURITY_DEFAULTS,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    for variable, key in ENVIRONMENT.items():
        value = os.environ.get(variable)
        if value:
            app.config[key] = value
    for key in SECURITY_TYPES:
        value = os.environ.get(f"FITGAP_{key}")
        if value is not None and value != "":
            app.config[key] = _from_environment(key, value)
    if test_config is not None:
        app.config.update(test_config)
    if not app.config.get("DATABASE_URL"):
        from fitgap.store.db import default_sqlite_url

        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["DATABASE_URL"] = default_sqlite_url(app.instance_path)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
        # Each machine makes its own: fine for one server, wrong for several (see serve).
        app.config["SECRET_KEY_FILE"] = str(Path(app.instance_path) / "secret_key")


def _instance_secret(instance: Path) -> str:
    """The session signing key, generated on first start and kept in the instance folder."""
    path = instance / "secret_key"
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Written to a private temporary file, then linked into place: link fails if the key
    # exists, so two workers starting together agree on one key and never read half of it.
    temporary = instance / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key)
    try:
        os.link(temporary, path)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
    finally:
        temporary.unlink()
    return key
