"""htmx in one place: detect its requests, render a whole page or one block, set its headers."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import Response, current_app, make_response, request
from flask import redirect as flask_redirect
from werkzeug.wrappers import Response as BaseResponse

R = TypeVar("R", bound=BaseResponse)


def is_htmx() -> bool:
    """Whether the current request was sent by htmx (and is not a history restore)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def target() -> str | None:
    """The id of the element the htmx request will swap (`HX-Target`), if any."""
    return request.headers.get("HX-Target") if is_htmx() else None


def current_url() -> str | None:
    """The page the browser shows while it sends an htmx request (`HX-Current-URL`)."""
    return request.headers.get("HX-Current-URL") if is_htmx() else None


def vary(response: R) -> R:
    """Mark a response as different for htmx and plain requests (shared caches, back button)."""
    response.vary.add("HX-Request")
    return response


def redirect(location: str) -> BaseResponse:
    """Go to `location`: a 303 for a plain request; for htmx a full-page redirect
    (`HX-Redirect`), with 401 so that htmx swaps nothing in the meantime."""
    if is_htmx():
        response = Response(status=401)
        response.headers["HX-Redirect"] = location
        return response
    return flask_redirect(location, code=303)


def render_block(template_name: str, block_name: str, **context: Any) -> str:
    """Render one named block of a template with the full template context."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    template = app.jinja_env.get_or_select_template(template_name)
    app.update_template_context(context)
    block = template.blocks[block_name]
    return "".join(block(template.new_context(context)))


def render(template_name: str, block_name: str | None = None, **context: Any) -> Response:
    """The whole page for a normal request; only `block_name` for an htmx request."""
    if block_name is not None and is_htmx():
        body = render_block(template_name, block_name, **context)
    else:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        body = app.jinja_env.get_or_select_template(template_name).render(
            _with_context(app, context)
        )
    return vary(make_response(body))


def _with_context(app: Any, context: dict[str, Any]) -> dict[str, Any]:
    app.update_template_context(context)
    return context


def trigger(response: Response, event: str) -> Response:
    """Ask htmx to fire a client-side event once the response is swapped in."""
    existing = response.headers.get("HX-Trigger")
    response.headers["HX-Trigger"] = f"{existing}, {event}" if existing else event
    return response


def retarget(response: Response, selector: str, swap: str = "outerHTML") -> Response:
    """Send the response to another element than the one that asked (e.g. an error box)."""
    response.headers["HX-Retarget"] = selector
    response.headers["HX-Reswap"] = swap
    return response
