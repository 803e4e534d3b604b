"""Wires the web layer: translations, CSRF, template helpers and the blueprints."""

from __future__ import annotations

import functools
import time
from datetime import datetime
from typing import Any

from flask import Flask, g, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from fitgap.domain.i18n import (
    LOCALE_DIR,
    SUPPORTED_LANGUAGES,
    labelled,
    ngettext,
    paren,
    reset_language,
    set_language,
    yen,
)
from fitgap.domain.i18n import _ as translate
from fitgap.domain.labels import (
    answer_kind_label,
    mark_source_label,
    priority_label,
    requirement_label,
    status_label,
)
from fitgap.domain.risk.scores import round_risk
from fitgap.domain.values import Requirement, Status
from fitgap.domain.wareki import japan_minute
from fitgap.web.markdown import render_markdown

csrf = CSRFProtect()


def select_language() -> str:
    """Japanese unless the user chose English with the language switch."""
    chosen = session.get("lang")
    return chosen if chosen in SUPPORTED_LANGUAGES else "ja"


def local_time(value: datetime | None) -> str:
    """A stored UTC time as Japan time, e.g. 2026-11-26 14:05 (the footer says it is Japan time)."""
    return "" if value is None else japan_minute(value)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, Secure whenever the request came over HTTPS (unless
    SESSION_COOKIE_SECURE says otherwise)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure as configured, or (None) exactly when the request is HTTPS."""
        configured = app.config.get("SESSION_COOKIE_SECURE")
        if configured is None:
            return bool(has_request_context() and request.is_secure)
        return bool(configured)


def _one_charset(content_type: str) -> str:
    """A Content-Type with its charset parameter once (the first one kept)."""
    parts = [part.strip() for part in content_type.split(";")]
    kept: list[str] = []
    seen = False
    for part in parts:
        if part.lower().startswith("charset="):
            if seen:
                continue
            seen = True
        kept.append(part)
    return "; ".join(kept)


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"
)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=()"
)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the web app: configuration, database, translations, CSRF and the views.

    `test_config` replaces the instance folder's config.py and is applied last (tests, demo).
    Templates and static files live beside this package (`fitgap/web/templates`, `static`);
    the instance folder is the project's `instance/`, as before.
    """
    from fitgap.web import config

    app = config.configured_app(test_config)
    init_app(app)
    return app


def init_app(app: Flask) -> None:
    """Register extensions, the language context, template helpers and blueprints."""
    from fitgap.web import authz, errors, limits

    proxies = int(app.config.get("TRUST_PROXY") or 0)
    if proxies:
        # Behind the town's reverse proxy: believe its X-Forwarded-For/-Proto/-Host, so the
        # audit trail has the client's address and HTTPS is recognised.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    app.session_interface = SessionInterface()
    Babel(
        app,
        locale_selector=select_language,
        default_translation_directories=str(LOCALE_DIR),
    )
    # One translation function everywhere: templates use the domain's gettext too (the language
    # is set per request below), so a page, its messages and its exports always agree.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=translate, ngettext=ngettext, newstyle=True
    )

    @app.before_request
    def _language() -> None:
        g.started = time.perf_counter()
        g.language_token = set_language(select_language())

    # The size of the body first: nothing below reads a body larger than its route takes.
    limits.init_app(app)
    # Who may do what is checked before CSRF: an expired session goes to the sign-in page
    # instead of failing on the CSRF token that went with it.
    authz.init_app(app)
    csrf.init_app(app)
    errors.init_app(app)

    @app.teardown_request
    def _reset_language(_error: BaseException | None) -> None:
        token = g.pop("language_token", None)
        if token is not None:
            reset_language(token)

    @app.context_processor
    def _helpers() -> dict[str, Any]:
        return {
            "current_language": select_language(),
            "statuses": list(Status),
            "requirements": list(Requirement),
        }

    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["status_label"] = status_label
    app.jinja_env.filters["requirement_label"] = requirement_label
    app.jinja_env.filters["answer_kind_label"] = answer_kind_label
    app.jinja_env.filters["mark_source"] = mark_source_label
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["risk"] = lambda value: f"{round_risk(value):.1f}"
    app.jinja_env.filters["priority"] = priority_label
    app.jinja_env.filters["yen"] = yen
    app.jinja_env.filters["signed_yen"] = functools.partial(yen, signed=True)
    app.jinja_env.filters["paren"] = paren
    app.jinja_env.filters["labelled"] = labelled
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    from fitgap.web.views import (
        actions,
        admin,
        auth,
        catalog,
        dashboard,
        exports,
        group,
        language,
        meetings,
        sheets,
        vendor,
    )

    app.register_blueprint(auth.bp)
    app.register_blueprint(actions.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(catalog.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(group.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(language.bp)
    app.register_blueprint(meetings.bp)
    app.register_blueprint(sheets.bp)
    app.register_blueprint(vendor.bp)

    @app.after_request
    def _headers(response: Any) -> Any:
        headers = response.headers
        started = g.get("started")
        if started is not None:
            # How long the app took (browsers' developer tools and the load test show it).
            headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if request.is_secure:
            # Only over HTTPS: a plain-HTTP intranet install must not be told to insist on it.
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        content_type = headers.get("Content-Type", "")
        if content_type.lower().count("charset=") > 1:
            # A mimetype given with its charset, to which werkzeug adds the charset again.
            headers["Content-Type"] = _one_charset(content_type)
        # Every answer, a static file's 404 included, gets the policy (harmless on a file).
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if request.path.startswith("/static/") and response.status_code < 400:
            return response  # the app's own CSS and scripts may be cached
        if headers.get("Content-Disposition", "").startswith("attachment"):
            # A download (minutes, the audit trail) holds town data: send_file's "no-cache"
            # would still keep a copy in a shared PC's cache.
            headers["Cache-Control"] = "no-store"
        # Pages hold a town's working data: not kept in shared PCs' caches, not shown again
        # with the back button after signing out.
        headers.setdefault("Cache-Control", "no-store")
        return response
