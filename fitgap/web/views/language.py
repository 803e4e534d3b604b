"""The language switch (Japanese first, English second)."""

from __future__ import annotations

from flask import Blueprint, redirect, request, session
from werkzeug.wrappers import Response

from fitgap.domain.i18n import SUPPORTED_LANGUAGES
from fitgap.web import authz
from fitgap.web.redirects import safe_next

bp = Blueprint("language", __name__)


@bp.post("/language")
@authz.public
def switch() -> Response:
    """Remember the chosen language in the session and go back to the page."""
    chosen = request.form.get("lang", "ja")
    session["lang"] = chosen if chosen in SUPPORTED_LANGUAGES else "ja"
    return redirect(safe_next(request.form.get("next")), code=303)
