"""Settings: defaults, then the instance folder's config.py, then FITGAP_* variables, then tests."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from fitgap.db import default_sqlite_url

ENVIRONMENT = {
    "FITGAP_DATABASE_URL": "DATABASE_URL",
    "FITGAP_CATALOG_DIR": "CATALOG_DIR",
    "FITGAP_TOWNS_DIR": "TOWNS_DIR",
    "FITGAP_EXPORTS_DIR": "EXPORTS_DIR",
    "FITGAP_SECRET_KEY": "SECRET_KEY",
}


def configure(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill app.config in layers: defaults → instance config.py → environment → test dict."""
    app.config.from_mapping(
        CATALOG_DIR="requirements_catalog",
        TOWNS_DIR="towns",
        EXPORTS_DIR="exports",
        PAGE_SIZE=100,
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        BABEL_DEFAULT_LOCALE="ja",
        BABEL_DEFAULT_TIMEZONE="Asia/Tokyo",
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    for variable, key in ENVIRONMENT.items():
        value = os.environ.get(variable)
        if value:
            app.config[key] = value
    if test_config is not None:
        app.config.update(test_config)
    if not app.config.get("DATABASE_URL"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["DATABASE_URL"] = default_sqlite_url(app.instance_path)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))


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
