"""The language switch (Japanese first, English second)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, request, session
from werkzeug.wrappers import Response

from fitgap.domain.i18n import SUPPORTED_LANGUAGES

bp = Blueprint("language", __name__)


def _safe_next(target: str | None) -> str:
    """Only redirect within this site, to a path."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@bp.post("/language")
def switch() -> Response:
    """Remember the chosen language in the session and go back to the page."""
    chosen = request.form.get("lang", "ja")
    session["lang"] = chosen if chosen in SUPPORTED_LANGUAGES else "ja"
    return redirect(_safe_next(request.form.get("next")), code=303)
