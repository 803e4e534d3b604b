"""fitgap: joint fit & gap analysis for towns that share one standard-spec municipal package."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the web app: configuration, database, translations, CSRF and the views."""
    app = Flask(__name__, instance_relative_config=True)

    from fitgap import config, db, web

    config.configure(app, test_config)
    db.init_app(app)
    web.init_app(app)
    return app
