"""fitgap: joint fit & gap analysis for towns that share one standard-spec municipal package."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the web app: configuration, database, translations, CSRF and the views.

    `test_config` replaces the instance folder's config.py and is applied last (tests, demo).
    """
    # Flask is imported here, not at the top, so `fitgap.domain` stays free of it.
    from flask import Flask

    from fitgap import config, db, web

    app = Flask(__name__, instance_relative_config=True)
    config.configure(app, test_config)
    db.init_app(app)
    web.init_app(app)
    return app
