"""fitgap: joint fit & gap analysis for towns that share one standard-spec municipal package.

The layers (docs/architecture.md): `domain` (pure Python) ← `store` (database) ← `services`
(use cases) ← `web` and `cli`. This package root only hands `create_app` on, so importing
`fitgap.domain` never pulls in Flask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(
    test_config: dict[str, Any] | None = None, *, views: bool = True, database: bool = True
) -> Flask:
    """Build the web app (see `fitgap.web.app.create_app`); `views=False`: only its settings
    and database, for a command that neither serves nor renders pages; `database=False` too:
    only its settings."""
    if not (views and database):
        from fitgap.web.config import configured_app

        return configured_app(test_config, database=database)
    from fitgap.web.app import create_app as build

    return build(test_config)
